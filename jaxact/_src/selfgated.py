"""Self-gated activations: x times a gate in [0, 1] computed from x itself."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxact._src import errors, numerics
from jaxact._src.define import define, with_derivative

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# tanh-GELU as x * sigmoid(z), z = 2u = x (c1 + c3 x^2) with u = sqrt(2/pi)(x + 0.044715 x^3).
_C1 = 2 * math.sqrt(2 / math.pi)
_C3 = _C1 * 0.044715


def _gelu_cutoff(x):
  """Past -cutoff the exact GELU and its derivative are below 2^-110 in magnitude
  (subnormal or 0 in x's dtype), past +cutoff they are x and 1.

  Clamping x there keeps exp(-x^2 / 2), erfc and x^3 from overflowing into inf * 0;
  below -cutoff both are 0 by selection, not by the flushing of a subnormal erfc or
  exp (GPUs keep subnormals: at the clamp, x phi(x) is -1.5e-42 in float32).
  """
  return 40.0 if x.dtype.itemsize >= 8 else 14.0


def _erfc_of_minus_x_over_sqrt2(x, c, *, clamp_below: bool):
  """erfc(-x / sqrt 2), its argument clamped from one side where erfc is already 0 or 2
  (from above where x >= -c is all that is read, from below otherwise).

  The clamp comes after the product, not before: XLA's erfc squares its argument, and
  on a 0-d array or in a loop body XLA's simplifier rewrites (x c) (x c) into
  (x x)(c c) with c c = 0.49999997 rounded (15.7 ULP off at x = -7.5 in float32, the
  error multiplied by x^2 / 2 in exp). A clamped argument has no such rewrite, so every
  context squares the same rounded argument.

  The value (in float64; float32's has no erfc) and the derivative rule clamp from
  different sides on purpose: as different expressions, XLA computes each erfc in its own
  fusion. Shared, XLA TPU keeps the erfc for the backward pass instead of recomputing it
  (a bfloat16 MLP block keeps 3.44 hidden-size tensors, not 2.19).
  """
  z = -_SQRT_HALF * x
  zc = c * _SQRT_HALF
  return jax.lax.erfc(jnp.maximum(z, -zc) if clamp_below else jnp.minimum(z, zc))


# float32 a Phi(-a) from one exp and one polynomial (tools/fit_gelu_erf.py): (centre,
# 1 / half-width, coefficients highest first). Below a = 3, P(s) ~ log(2 Phi(-a)) + a^2/2
# in s = (a - 1.5) / 1.5; from 3 on, a e^(a^2/2) Phi(-a) (a Mills ratio) in 1 / a^2. The
# tail's degree-6 coefficients are padded with leading zeros to the near polynomial's
# length, so that one Horner loop evaluates either.
_ERF_SPLIT = 3.0
_ERF_NEAR = (1.5, 0.6666666865348816, (
    -4.410375186125748e-05, 5.424347909865901e-05, 0.0003579625627025962,
    -0.002561406698077917, 0.01195348147302866, -0.04676615819334984, 0.16824036836624146,
    -0.6580162644386292, -0.8877972364425659))
_ERF_TAIL = (0.05810657516121864, 18.866310119628906, (
    0.0, 0.0, 4.38194638263667e-06, -1.5338458979385905e-05, 5.540771235246211e-05,
    -0.0002764247765298933, 0.0017305361106991768, -0.015905916690826416,
    0.37894922494888306))


def _gelu_erf_forward(x):
  c = _gelu_cutoff(x)
  if x.dtype.itemsize >= 8:  # float64: erfc itself (the polynomials are float32's)
    xl = jnp.maximum(x, -c)
    erfc = _erfc_of_minus_x_over_sqrt2(x, c, clamp_below=False)
    return jnp.where(x < -c, -0.0, 0.5 * xl * erfc)
  # x Phi(x) = x - t for x >= 0 and -t for x < 0, t = a Phi(-a), a = |x|: one exp and one
  # polynomial, its variable and coefficients selected by a, no erfc. XLA TPU recomputes
  # this value in the backward pass as it does jax.nn's; built on erfc (or on a single
  # polynomial long enough for [0, 14]) it kept a gate-sized tensor more (the erf GEGLU
  # block 1.18x jax.nn's temp in bfloat16, the GELU MLP block 1.27x in float32). Past -c
  # the value is -0 by selection, past +c, x; the sign of 0 is x's even where t flushes.
  a = jnp.minimum(jnp.abs(x), c)
  near = a < _ERF_SPLIT
  aa = a * a
  v = jnp.where(near, a, 1 / jnp.maximum(aa, _ERF_SPLIT**2))
  (near_centre, near_scale, near_p), (tail_centre, tail_scale, tail_q) = _ERF_NEAR, _ERF_TAIL
  s = (v - jnp.where(near, near_centre, tail_centre)) * jnp.where(near, near_scale, tail_scale)
  p = jnp.where(near, near_p[0], tail_q[0])
  for near_k, tail_k in zip(near_p[1:], tail_q[1:], strict=True):
    p = p * s + jnp.where(near, near_k, tail_k)
  t = jnp.exp(jnp.where(near, p, 0.0) - 0.5 * aa) * jnp.where(near, 0.5 * a, p)
  return jnp.where(x < 0, jnp.where(x < -c, -0.0, -t), x - t)


def _gelu_erf_derivative(x, y):
  c = _gelu_cutoff(x)
  xc = jnp.clip(x, -c, c)
  slope = (0.5 * _erfc_of_minus_x_over_sqrt2(x, c, clamp_below=True)
           + xc * (_INV_SQRT_2PI * jnp.exp(-0.5 * xc * xc)))
  return jnp.where(x < -c, 0.0, slope)


def _gelu_tanh_cutoff(x):
  """Past +-cutoff sigmoid(z) is exactly 1 or 0 (underflowed) in x's dtype."""
  return 30.0 if x.dtype.itemsize >= 8 else 12.0


def _gelu_tanh_z(xc):
  return xc * (_C1 + _C3 * (xc * xc))


def _gelu_tanh_forward(x):
  # lax.logistic, one op: the value needs sigmoid(z) alone, which 1 / (1 + e^-z) gives to
  # full relative precision in both tails (an underflowed tail is below 2^-110). XLA TPU
  # then recomputes the output in the backward pass as for jax.nn.gelu; built from exp
  # and a division, it keeps the output of a gated block, act(g) * u (1.30x jax.nn's
  # temp in bfloat16). Below -cutoff the gate is 0 by selection (the logistic has
  # underflowed there already: the same values), and x's clamp is not the rule's: XLA's
  # CPU reduction fusion of sum(gelu(x)) then stops at the selection and shares no
  # broadcast constant with the rule's fusion, which it would materialise (a
  # value_and_grad 2.7x jax.nn's). -inf reads as the most negative finite x (0 * -inf).
  c = _gelu_tanh_cutoff(x)
  s = jax.lax.logistic(_gelu_tanh_z(jnp.clip(x, -c, c)))
  return jnp.maximum(x, -2 * numerics.Z_CLAMP) * jnp.where(x >= -c, s, 0)


def _gelu_tanh_derivative(x, y):
  c = _gelu_tanh_cutoff(x)
  xc = jnp.clip(x, -c, c)
  s, s_neg = numerics.logistic_pair(_gelu_tanh_z(xc), apart=True)
  dz = _C1 + (3 * _C3) * (xc * xc)
  return s + xc * dz * (s * s_neg)


# Not keep_derivative: this rule shares nothing with the forward formula (its erfc has a
# different argument), so XLA already keeps x and y only (2 per layer in float32), and a
# tie to the derivative makes the jitted value-and-gradient of an erfc 3x slower. The
# tanh rule shares nothing either: it computes its logistic pair apart (numerics.logistic_pair).
_gelu_erf = define(_gelu_erf_forward, _gelu_erf_derivative, name="gelu")
_gelu_tanh = define(_gelu_tanh_forward, _gelu_tanh_derivative, name="gelu")


def gelu(x: ArrayLike, approximate: bool = True) -> jax.Array:
  r"""Gaussian error linear unit activation.

  Exact (``approximate=False``):

  .. math::
    \mathrm{gelu}(x) = x\,\Phi(x) = \frac{x}{2}\,\mathrm{erfc}\!\left(-\frac{x}{\sqrt 2}\right)

  Approximate (``approximate=True``, the default, as in ``jax.nn.gelu``):

  .. math::
    \mathrm{gelu}(x) = \frac{x}{2}\left(1 + \tanh\!\left(\sqrt{2/\pi}\,
      \left(x + 0.044715\,x^3\right)\right)\right) = x\,\sigma(2u)

  Derivative: exact :math:`\Phi(x) + x\,\varphi(x)`; approximate
  :math:`\sigma(2u) + 2 x u'(x)\,\sigma(2u)\,\sigma(-2u)` with
  :math:`u'(x) = \sqrt{2/\pi}\,(1 + 0.134145\,x^2)`.

  Numerics: the tanh form is evaluated as :math:`x\,\sigma(2u)`, since
  :math:`1 + \tanh u` cancels to 0 for :math:`x < -1`; the exact form as
  :math:`\max(x, 0) - |x|\,\Phi(-|x|)` for the same reason (:math:`1 + \mathrm{erf}`
  cancels), with :math:`|x|\,\Phi(-|x|)` from one ``exp`` and one fitted polynomial in
  float32 (within 2 ULP, and as cheap to recompute in the backward pass as
  ``jax.nn.gelu``) and from ``erfc`` in float64; and :math:`x` is
  clamped where the result has saturated, so :math:`x^3` and :math:`x^2` never overflow
  into :math:`0 \cdot \infty` = NaN (``jax.nn.gelu`` returns NaN derivatives from
  :math:`|x| \approx 10^{19}` in float32 and 148 in float16).

  Smooth everywhere.

  Args:
    x: input array.
    approximate: use the tanh approximation (a static Python bool).

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.gelu(jnp.array([-1.0, 0.0, 1.0]), approximate=False))
    [-0.1587  0.      0.8413]

  References:
    Hendrycks & Gimpel, *Gaussian Error Linear Units (GELUs)*, arXiv:1606.08415, 2016.

  .. note:: The constants are :math:`\sqrt{2/\pi}` and 0.044715, not
    :math:`(2/\pi)^{1}/2` and 0.44715 as in some snippets.

  See also:
    :func:`silu`, :func:`geglu`.
  """
  errors.check(isinstance(approximate, bool), "gelu", "approximate",
               "be a Python bool (it selects the formula at trace time)",
               errors.shown(approximate))
  return _gelu_tanh(x) if approximate else _gelu_erf(x)


# ----------------------------------------------------------------------------- swish


def _swish_gate(x, beta):
  """The pieces of ``x * sigmoid(beta x)``, from one exp and safe against overflow.

  Returns ``(xc, z, h, big, hb)``: ``xc`` is x clamped to the finite range (so that
  ``beta * xc`` is never ``0 * inf`` and ``xc * 0`` never NaN), ``z = beta * xc``,
  ``h = exp(-|z| / 2)``, ``big = 1 / (1 + h^2) = sigmoid(|z|)`` and ``hb = h * big``,
  so that ``sigmoid(-|z|) = h * hb`` and ``sigmoid(z) sigmoid(-z) = hb^2``. Working
  with the square root ``h`` of ``e^-|z|`` keeps ``x * sigmoid(-|z|) = (xc h) hb``
  from underflowing where ``e^-|z|`` alone would (small beta, large x).
  """
  big_x = float(jnp.finfo(x.dtype).max)
  xc = jnp.clip(x, -big_x, big_x)
  z = beta * xc
  return xc, z, *numerics.half_logistic(z)


def _swish_forward(x, beta):
  xc, z, h, big, hb = _swish_gate(x, beta)
  return jnp.where(z >= 0, x * big, (xc * h) * hb)


def _swish_slope_forward(x, beta):
  xc, z, h, big, hb = _swish_gate(x, beta)
  s = jnp.where(z >= 0, big, h * hb)
  return s + numerics.clamp_z(z) * (hb * hb)


def _swish_slope_derivative(x, slope, beta):
  # d slope / dz = K = s s_neg (2 + z (s_neg - s)): d/dx = beta K, d/dbeta = x K. Given
  # as a rule, because autodiff of the slope cancels differently in forward and reverse
  # mode near K's zeros (z ~ +-2.4).
  xc, z, h, big, hb = _swish_gate(x, beta)
  small = h * hb
  positive = z >= 0
  tail = 2 + numerics.clamp_z(z) * (jnp.where(positive, small, big)
                                                  - jnp.where(positive, big, small))
  return beta * ((hb * hb) * tail), (xc * hb) * (hb * tail)


_swish_slope = with_derivative(_swish_slope_forward, _swish_slope_derivative)


def _swish_derivative(x, y, beta):
  xc, z, h, big, hb = _swish_gate(x, beta)
  return _swish_slope(x, beta), jnp.square(xc * hb)


_swish = define(_swish_forward, _swish_derivative, name="swish", params=("beta",),
                keep_derivative=True)


def _silu_forward(x):
  # x sigmoid(x) with x = -inf read as the most negative finite x (sigmoid is 0 there,
  # and -inf * 0 would be NaN). beta = 1 needs none of swish's care for small beta. One
  # product of a selected gate, not a selection of two products: the same values, but
  # XLA TPU then recomputes the output in the backward pass of a gated block, act(g) * u,
  # as for jax.nn.silu, instead of keeping it (1.30x jax.nn's temp in bfloat16). The
  # clamp is not the rule's Z_CLAMP: XLA's CPU reduction fusion of sum(silu(x)) takes a
  # broadcast constant only if no other fusion shares it, and materialises a shared one
  # (a value_and_grad 1.7x slower).
  _, big, small, positive = numerics.logistic(x)
  return jnp.maximum(x, -2 * numerics.Z_CLAMP) * jnp.where(positive, big, small)


def _silu_slope_forward(x):
  _, big, small, positive = numerics.logistic(x, apart=True)
  return jnp.where(positive, big, small) + numerics.clamp_z(x) * (small * big)


def _silu_slope_derivative(x, slope):
  # silu'' = s s_neg (2 + x (s_neg - s)), s_neg - s = -sgn(x) (big - small).
  _, big, small, positive = numerics.logistic(x)
  diff = jnp.where(positive, small - big, big - small)
  return (small * big) * (2 + numerics.clamp_z(x) * diff)


_silu_slope = with_derivative(_silu_slope_forward, _silu_slope_derivative)
_silu = define(_silu_forward, lambda x, y: _silu_slope(x), name="silu")
_swish_one = define(_silu_forward, lambda x, y: _silu_slope(x), name="swish")


def silu(x: ArrayLike) -> jax.Array:
  r"""Sigmoid linear unit activation (SiLU), also known as swish.

  .. math::
    \mathrm{silu}(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}

  Derivative: :math:`\sigma(x)\,\bigl(1 + x\,\sigma(-x)\bigr)
  = \sigma(x) + x\,\sigma(x)\,\sigma(-x)`, with :math:`\sigma(x)` and
  :math:`\sigma(-x)` both from one :math:`e^{-|x|}`: the textbook
  :math:`\sigma(x)(1 + x(1 - \sigma(x)))` loses every digit of :math:`1 - \sigma(x)`
  once :math:`\sigma(x)` rounds to 1.

  Numerics: no intermediate overflows, and the limits are exact:
  :math:`\mathrm{silu}(-\infty) = 0` with derivative 0 (``x * sigmoid(x)`` is
  :math:`-\infty \cdot 0` = NaN there), :math:`\mathrm{silu}(\infty) = \infty` with
  derivative 1.

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.silu(jnp.array([-2.0, 0.0, 1.0, 3.0])))
    [-0.2384  0.      0.7311  2.8577]

  References:
    Hendrycks & Gimpel, *Gaussian Error Linear Units (GELUs)*, arXiv:1606.08415, 2016;
    Elfwing, Uchibe & Doya, *Sigmoid-Weighted Linear Units for Neural Network Function
    Approximation in Reinforcement Learning*, Neural Networks 107, 2018;
    Ramachandran, Zoph & Le, *Searching for Activation Functions*, arXiv:1710.05941,
    2017.

  .. note:: Unlike ``jax.nn.silu``, integer inputs promote to float (``jax.nn.silu``
    raises), the value at :math:`-\infty` is 0 (not NaN) and the derivative at
    :math:`\pm\infty` is 0 and 1 (not NaN).

  See also:
    :func:`swish` (with a slope :math:`\beta`), :func:`hard_silu`, :func:`gelu`,
    :func:`mish`, :func:`swiglu`.
  """
  return _silu(x)


def swish(x: ArrayLike, beta: ArrayLike = 1.0) -> jax.Array:
  r"""Swish activation, with a (learnable) slope :math:`\beta`.

  .. math::
    \mathrm{swish}(x) = x\,\sigma(\beta x) = \frac{x}{1 + e^{-\beta x}}

  :math:`\beta = 1` is :func:`silu`; :math:`\beta \to 0` gives the linear
  :math:`x/2` (exactly, for :math:`\beta = 0`) and :math:`\beta \to \infty` gives
  :func:`relu`.

  Derivative: :math:`\sigma(z) + z\,\sigma(z)\,\sigma(-z)` with :math:`z = \beta x`;
  :math:`\partial/\partial\beta = x^2\,\sigma(z)\,\sigma(-z)`. Both use
  :math:`\sigma(z)` and :math:`\sigma(-z)` from one :math:`e^{-|z|/2}`, so nothing
  cancels (unlike :math:`1 - \sigma(z)`) and nothing underflows early (for a small
  :math:`\beta`, :math:`x\,\sigma(\beta x)` is a normal number long after
  :math:`e^{\beta x}` has underflowed).

  Numerics: exact limits at :math:`\pm\infty` for every :math:`\beta`, including
  :math:`\beta = 0`; where :math:`\beta x` overflows the result is :math:`x` or 0.

  Smooth everywhere.

  Args:
    x: input array.
    beta: the slope :math:`\beta`, a scalar or an array broadcasting against ``x``;
      differentiable. Default 1 (:func:`silu`).

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> x = jnp.array([-2.0, 0.0, 1.0, 3.0])
    >>> print(jaxact.swish(x))
    [-0.2384  0.      0.7311  2.8577]
    >>> print(jaxact.swish(x, beta=0.0))
    [-1.   0.   0.5  1.5]

  References:
    Ramachandran, Zoph & Le, *Searching for Activation Functions*, arXiv:1710.05941,
    2017.

  .. note:: ``jax.nn.swish`` is ``jax.nn.silu`` and has no ``beta``; with the default
    the two agree (see :func:`silu` for where jaxact differs). A static ``beta`` of 1
    (a Python number) computes :func:`silu`'s cheaper form; a traced one keeps its
    derivative.

  See also:
    :func:`silu`, :func:`acon_c`, :func:`hard_silu`.
  """
  if isinstance(beta, (int, float)) and beta == 1:  # a static 1: silu, at its speed
    return _swish_one(x)
  return _swish(x, beta)


# ----------------------------------------------------------------------------- mish


def _mish_parts(x):
  r"""``tanh(softplus(x)) = a / den`` from one ``E = exp(-|x|)``.

  With :math:`n = e^x (e^x + 2)`, :math:`\tanh(\log(1 + e^x)) = n / (n + 2)`: for
  x <= 0, :math:`a = E (E + 2)` and den = a + 2; for x > 0 (numerator and denominator
  times :math:`e^{-2x}`), a = 1 + 2E and den = a + 2E^2. Nothing overflows, and
  :math:`1 - t = b / den`, :math:`1 + t` never cancel.
  """
  e = jnp.exp(-jnp.abs(x))
  positive = x > 0
  a = jnp.where(positive, 1 + 2 * e, e * (e + 2))
  b = jnp.where(positive, 2 * (e * e), 2.0)
  return e, positive, a, a + b


def _mish_forward(x):
  _, _, a, den = _mish_parts(x)
  # x clamped to the finite range so that x = -inf gives -max * 0 = 0, not NaN.
  big_x = float(jnp.finfo(x.dtype).max)
  return jnp.maximum(x, -big_x) * (a / den)


def _mish_slope_forward(x):
  # mish' = t + x sech^2(sp) sigmoid(x) = t + x w, with
  # w = 4 e^x (1 + e^x) / den^2 (x <= 0) = 4 E^2 (1 + E) / den^2 (x > 0): one sign,
  # no 1 - t^2 to cancel. x is clamped where w has underflowed to 0 (|x| > 745 in
  # float64), so that x * w is never inf * 0.
  e, positive, a, den = _mish_parts(x)
  c = jnp.where(positive, e * e, e)
  w = (4 * (1 + e) * c) / (den * den)
  return a / den + numerics.clamp_z(x) * w


def _mish_slope_derivative(x, slope):
  # mish'' = 2w + x w' = 4 c (2 (1 + E) den + x p) / den^3 with c as above and
  # p = 2 + 2E - 3E^2 - 2E^3 (x <= 0), -(2 + 3E - 2E^2 - 2E^3) (x > 0). Autodiff of
  # a / den would cancel: t' = w is far below the rounding of a' and den' for x >> 0.
  e, positive, a, den = _mish_parts(x)
  e2 = e * e
  c = jnp.where(positive, e2, e)
  p = jnp.where(positive, -(2 + 3 * e - 2 * e2 - 2 * (e2 * e)),
                2 + 2 * e - 3 * e2 - 2 * (e2 * e))
  inner = 2 * (1 + e) * den + numerics.clamp_z(x) * p
  return 4 * c * (inner / den) / (den * den)


_mish_slope = with_derivative(_mish_slope_forward, _mish_slope_derivative)


def _mish_derivative(x, y):
  return _mish_slope(x)


_mish = define(_mish_forward, _mish_derivative, name="mish", keep_derivative=True)


def mish(x: ArrayLike) -> jax.Array:
  r"""Mish activation: a self-regularized non-monotonic activation.

  .. math::
    \mathrm{mish}(x) = x \tanh\bigl(\mathrm{softplus}(x)\bigr)
      = x\,\frac{n}{n + 2}, \qquad n = e^{x}\left(e^{x} + 2\right)

  evaluated from one :math:`e^{-|x|}` (for :math:`x > 0` as
  :math:`(1 + 2e^{-x}) / (1 + 2e^{-x} + 2e^{-2x})`), instead of the three
  transcendentals (exp, log1p, tanh) of the textbook form.

  Derivative: :math:`\tanh(\mathrm{sp}) + x\,\mathrm{sech}^2(\mathrm{sp})\,\sigma(x)`
  with :math:`\mathrm{sech}^2(\mathrm{sp})\,\sigma(x) = 4 e^{x}(1 + e^{x}) / (n + 2)^2`,
  from the same exponential: the usual :math:`1 - \tanh^2` cancels once the tanh
  nears 1 (from :math:`x \approx 4` in float32).

  Numerics: no intermediate overflows; :math:`\mathrm{mish}(-\infty) = 0` with
  derivative 0, :math:`\mathrm{mish}(\infty) = \infty` with derivative 1.

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.mish(jnp.array([-2.0, 0.0, 1.0, 3.0])))
    [-0.2525  0.      0.8651  2.9865]

  References:
    Misra, *Mish: A Self Regularized Non-Monotonic Activation Function*, BMVC 2020,
    arXiv:1908.08681.

  .. note:: ``jax.nn.mish`` returns NaN at :math:`-\infty`, and NaN derivatives at
    :math:`\pm\infty`; jaxact returns the limits 0 and :math:`\infty` (derivatives 0
    and 1).

  See also:
    :func:`silu`, :func:`softplus`, :func:`tanh`.
  """
  return _mish(x)


# ----------------------------------------------------------------------------- hard_silu


def _hard_silu_forward(x):
  # x <= -3 gives 0 (not x * 0, which is NaN at -inf); comparisons are False at NaN,
  # so NaN reaches the last branch and propagates.
  return jnp.where(x <= -3, 0.0, jnp.where(x >= 3, x, x * (x + 3) / 6))


def _hard_silu_derivative(x, y):
  # (2x + 3) / 6 exactly rounded (2x and, near the zero x = -1.5, 2x + 3 are exact).
  return jnp.where(x <= -3, 0.0, jnp.where(x >= 3, 1.0, (2 * x + 3) / 6))


_hard_silu = define(_hard_silu_forward, _hard_silu_derivative, name="hard_silu")


def hard_silu(x: ArrayLike) -> jax.Array:
  r"""Hard SiLU (hard swish) activation: :math:`x` times the hard sigmoid.

  .. math::
    \mathrm{hard\_silu}(x) = x\,\frac{\mathrm{relu6}(x + 3)}{6}
      = \begin{cases} 0, & x \le -3 \\ x (x + 3) / 6, & -3 < x < 3 \\
        x, & x \ge 3 \end{cases}

  Derivative: 0 for :math:`x < -3`, :math:`(2x + 3)/6` on :math:`(-3, 3)`, 1 for
  :math:`x > 3`.

  Kinks: :math:`\mathrm{hard\_silu}'(-3) = 0` and :math:`\mathrm{hard\_silu}'(3) = 1`,
  as in PyTorch (the derivative is continuous at :math:`-3` and jumps from 1.5 to 1
  at 3).

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.hard_silu(jnp.array([-4.0, -1.0, 0.0, 1.0, 4.0])))
    [ 0.     -0.3333  0.      0.6667  4.    ]

  References:
    Howard et al., *Searching for MobileNetV3*, ICCV 2019.

  .. note:: ``hard_swish`` is the same function object. Unlike ``jax.nn.hard_silu``,
    the value at :math:`-\infty` is 0 (not NaN) and the derivative at NaN is NaN; the
    kinks agree with jax.nn and PyTorch.

  See also:
    :func:`hard_sigmoid`, :func:`silu`, :func:`relu6`.
  """
  return _hard_silu(x)


hard_swish = hard_silu
