"""Smooth rectifiers: softplus and its relatives, ReLU shapes differentiable everywhere."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxact._src import errors
from jaxact._src.define import define, with_derivative

# ----------------------------------------------------------------------------- softplus


def _softplus_forward(x, beta):
  # log(1 + e^z) / beta with z = beta x, as max(z, 0) / beta + log1p(e^-|z|) / beta:
  # e^-|z| <= 1 cannot overflow. max(z, 0) / beta is x where z > 0, else 0, taken from
  # x itself: no rounding, and x stays finite when beta x overflows to inf.
  z = beta * x
  e = jnp.exp(-jnp.abs(z))
  return jnp.where(z > 0, x, 0) + jnp.log1p(e) / beta


def _softplus_derivative(x, y, beta):
  # d/dx = sigmoid(beta x) = 1 - e^(-beta y), exact from the output alone (beta y =
  # log(1 + e^z) >= 0): expm1 keeps every digit as beta y -> 0, and beta y = inf gives 1.
  d_x = -jnp.expm1(-beta * y)
  # d/dbeta = (z sigmoid(z) - log(1 + e^z)) / beta^2 = -(|z| sigmoid(-|z|) + log1p(e^-|z|))
  # / beta^2: a sum of terms of one sign, where the textbook difference cancels (it is
  # O(e^-|z|) for large |z|). |z| is clamped so that inf * e^-inf cannot be NaN.
  az = jnp.minimum(jnp.abs(beta * x), jnp.finfo(x.dtype).max)
  e = jnp.exp(-az)
  h = -(az * (e / (1 + e)) + jnp.log1p(e))
  return d_x, h / beta / beta


_softplus = define(_softplus_forward, _softplus_derivative, name="softplus", params=("beta",),
                   slope_from_output=True)


def softplus(x: ArrayLike, beta: ArrayLike = 1.0) -> jax.Array:
  r"""Softplus activation, with an optional sharpness :math:`\beta`.

  .. math::
    \mathrm{softplus}(x) = \frac{1}{\beta}\log\left(1 + e^{\beta x}\right)
      = \frac{\max(\beta x, 0) + \log\left(1 + e^{-|\beta x|}\right)}{\beta}

  Derivative: :math:`\sigma(\beta x) = 1 - e^{-\beta y}`, computed from the output
  :math:`y` alone as ``-expm1(-beta * y)`` (exact in every regime), so a training
  step keeps only the output alive;
  :math:`\partial/\partial\beta = \left(x\,\sigma(\beta x) - y\right)/\beta
  = -\left(|z|\,\sigma(-|z|) + \log(1 + e^{-|z|})\right)/\beta^2` with
  :math:`z = \beta x`, a sum of one sign (the difference cancels).

  Numerics: nothing overflows (``log(1 + exp(beta * x))`` is inf from
  :math:`\beta x > 88` in float32); where :math:`\beta x` itself overflows, the
  result is :math:`x` and the derivative 1; a float32 :math:`\beta` is not rounded
  to a bfloat16 or float16 input's precision.

  Smooth everywhere.

  Args:
    x: input array.
    beta: the sharpness :math:`\beta \ne 0` (softplus tends to relu as
      :math:`\beta \to \infty`), a scalar or an array broadcasting against ``x``;
      differentiable. Default 1, the plain softplus of ``jax.nn``.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if a concrete ``beta`` is 0.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.softplus(jnp.array([-1.0, 0.0, 1.0, 100.0])))
    [  0.3133   0.6931   1.3133 100.    ]
    >>> print(jaxact.softplus(jnp.array([-1.0, 0.0, 1.0]), beta=10.0))
    [4.5399e-06 6.9315e-02 1.0000e+00]

  References:
    Dugas, Bengio, Bélisle, Nadeau & Garcia, *Incorporating Second-Order Functional
    Knowledge for Better Option Pricing*, NeurIPS 2000.

  .. note:: ``jax.nn.softplus`` has no ``beta``; with the default the two agree.
    PyTorch's ``softplus`` also takes ``threshold=20``, past which it returns
    :math:`x` (an approximation); jaxact needs none.

  See also:
    :func:`log_sigmoid`, :func:`squareplus`, :func:`sparse_plus`, :func:`relu`.
  """
  errors.check_values("softplus", "beta", beta, lambda v: v != 0, "be nonzero")
  return _softplus(x, beta)


# ----------------------------------------------------------------------------- sparse_plus


def _sparse_plus_forward(x):
  # One `where`: for x <= -1 the clamped square is (-1 + 1)^2 = 0; clip keeps NaN, and
  # the clamp keeps (x + 1)^2 from overflowing.
  xc = jnp.clip(x, -1, 1)
  return jnp.where(x >= 1, x, 0.25 * jnp.square(xc + 1))


def _sparse_plus_derivative(x, y):
  # (x + 1) / 2 clamped to [0, 1]: 0 at x = -1, 1 at x = 1 (continuous). From x, with
  # arithmetic only; sqrt(y) would give it from y, at the cost of a sqrt and of a NaN
  # second derivative where y = 0.
  return 0.5 * (jnp.clip(x, -1, 1) + 1)


_sparse_plus = define(_sparse_plus_forward, _sparse_plus_derivative, name="sparse_plus")


def sparse_plus(x: ArrayLike) -> jax.Array:
  r"""Sparse plus activation: a once-differentiable softplus with exact zeros.

  .. math::
    \mathrm{sparse\_plus}(x) = \begin{cases} 0, & x \le -1 \\
      \frac{1}{4}(x + 1)^2, & -1 < x < 1 \\ x, & x \ge 1 \end{cases}

  Derivative: :func:`sparse_sigmoid`, :math:`\frac{1}{2}\,\mathrm{clip}(x + 1, 0, 2)`:
  continuous, 0 at :math:`x = -1` and 1 at :math:`x = 1`.

  Kinks: none in the derivative; the second derivative jumps at :math:`x = \pm 1`
  (from 0 to :math:`1/2` and back).

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.sparse_plus(jnp.array([-2.0, -0.5, 0.0, 1.0, 3.0])))
    [0.     0.0625 0.25   1.     3.    ]

  References:
    Blondel, Martins & Niculae, *Learning with Fenchel-Young Losses*, JMLR 21, 2020.

  .. note:: The same values and derivative as ``jax.nn.sparse_plus``, except where the
    derivative of its unselected branch :math:`(x + 1)^2 / 4` overflows: jax.nn's
    derivative is NaN at :math:`|x| > 32752` in float16, :math:`|x| > 1.7 \times
    10^{38}` in float32 and at :math:`\pm\infty` (jaxact: 1 and 0).

  See also:
    :func:`sparse_sigmoid`, :func:`softplus`, :func:`relu`.
  """
  return _sparse_plus(x)


# ----------------------------------------------------------------------------- squareplus


def _squareplus_threshold(x):
  """Past this |x|, x^2 would overflow (or come near it): there sqrt(x^2 + b) is |x|."""
  return 2.0**500 if x.dtype.itemsize >= 8 else 2.0**60


def _squareplus_root(x, b):
  """(big, s) with s = sqrt(x^2 + b), where ``big`` (|x| past the threshold) s = |x|:
  x^2 would overflow there, and sqrt(x^2 + b) = |x| (1 + b / (2 x^2) + ...) rounds to
  |x| (for b below 2^96 in float32, 2^948 in float64). The square root's operand is
  selected where it is used, so it never overflows.

  No formula here multiplies a scaled x by itself: an earlier one squared x * 2^-70, and
  XLA's simplifier rewrites (x c) (x c) into (x x)(c c) on a 0-d array or in a loop body,
  where c c = 2^-140 is a subnormal constant flushed to 0 and x x is inf (NaN, not x).
  """
  big = jnp.abs(x) > _squareplus_threshold(x)
  xs = jnp.where(big, 0, x)
  return big, jnp.where(big, jnp.abs(x), jnp.sqrt(xs * xs + b))


def _squareplus_forward(x, b):
  # One square root and one division, as cheap as jax.nn's formula: XLA's TPU compiler
  # recomputes the output in the backward pass only while its fusion is cheap (a second
  # division, or the division's operands selected, made it keep a float32 output
  # instead: 1.6x to 2x the temporary memory of a bfloat16 MLP block). x >= 0:
  # (x + s) / 2, which is x itself where big (x + s would overflow, and the b / (4 x) it
  # adds is below x's resolution). x < 0: x + s cancels; (b / 2) / (s - x) does not. Its
  # denominator 2|x| overflows only past |x| = 2^127 (float32), where the value, below
  # b 2^-129, flushes to 0.
  big, s = _squareplus_root(x, b)
  positive = jnp.where(big, x, 0.5 * (x + s))
  return jnp.where(x >= 0, positive, (0.5 * b) / (s - x))


def _squareplus_slope_parts(y, b):
  # q = 4 y^2, with y clamped where q / (q + b) is already 1 (so q is never inf); the
  # floor on q + b matters only for b = 0 (then 0 / 0 would be NaN where y = 0).
  yc = jnp.minimum(y, _squareplus_threshold(y))
  q = 4 * (yc * yc)
  return yc, q, jnp.maximum(q + b, jnp.finfo(y.dtype).tiny)


def _squareplus_slope_forward(y, b):
  _, q, den = _squareplus_slope_parts(y, b)
  return q / den


def _squareplus_slope_derivative(y, slope, b):
  # d/dy q / (q + b) = 8 b y / (q + b)^2 and d/db = -q / (q + b)^2, as products of
  # bounded factors: the automatic derivative of the quotient, 8y / (q + b) - q 8y /
  # (q + b)^2, cancels for y^2 >> b (1e-4 relative at x = 30 in float32).
  yc, _, den = _squareplus_slope_parts(y, b)
  return (b / den) * ((8 * yc) / den), -slope / den


# The slope from the output is itself a custom pair, so second derivatives are exact.
_squareplus_slope = with_derivative(_squareplus_slope_forward, _squareplus_slope_derivative)


def _squareplus_derivative(x, y, b):
  # d/dx = (1 + x / s) / 2 cancels for x << 0; from y alone, y^2 - x y - b/4 = 0 gives
  # dy/dx = y^2 / (y^2 + b/4) = q / (q + b) with q = 4 y^2, exact (q underflowing to 0
  # gives 0, the limit).
  d_x = _squareplus_slope(y, b)
  # d/db = 1 / (4 s), from x: y underflows where 1 / (4 s) does not.
  _, s = _squareplus_root(x, b)
  d_b = 0.25 / s
  return d_x, d_b


_squareplus = define(_squareplus_forward, _squareplus_derivative, name="squareplus", params=("b",),
                     slope_from_output=True)


def squareplus(x: ArrayLike, b: ArrayLike = 4) -> jax.Array:
  r"""Squareplus activation: a softplus-like rectifier from one square root.

  .. math::
    \mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}
      = \frac{b}{2\left(\sqrt{x^2 + b} - x\right)}

  evaluated as the left form for :math:`x \ge 0` and the right form for :math:`x < 0`,
  where :math:`x + \sqrt{x^2 + b}` cancels (``jax.nn.squareplus`` is 0.7% off at
  :math:`x = -1000` in float32, and 0 from :math:`x \approx -8192`). Past
  :math:`|x| = 2^{60}` in float32, :math:`x` and :math:`b` are scaled by a power of two
  so that :math:`x^2` cannot overflow (``jax.nn.squareplus`` is inf at
  :math:`x = -10^{20}`).

  Derivative: :math:`\frac{1}{2}\left(1 + x / \sqrt{x^2 + b}\right) = y^2 / (y^2 + b/4)`,
  computed from the output :math:`y` alone (exact: it follows from
  :math:`y^2 - x y - b/4 = 0`, and unlike the first form it does not cancel for
  :math:`x \ll 0`, where ``jax.nn``'s derivative is negative);
  :math:`\partial/\partial b = 1 / (4\sqrt{x^2 + b})`.

  Smooth everywhere (for :math:`b > 0`).

  Args:
    x: input array.
    b: the smoothness :math:`b > 0`, a scalar or an array broadcasting against ``x``;
      differentiable. Default 4, as in jax.nn. :math:`b = 0` gives relu, exact for
      :math:`|x| > 2^{-60}` (where :math:`x^2` does not underflow) with no NaN.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if a concrete ``b`` is negative.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.squareplus(jnp.array([-1e6, -1.0, 0.0, 1.0])))
    [1.0000e-06 6.1803e-01 1.0000e+00 1.6180e+00]

  References:
    Barron, *Squareplus: A Softplus-Like Algebraic Rectifier*, arXiv:2112.11687, 2021.

  .. note:: Where ``jax.nn.squareplus`` is accurate the two agree; it loses digits for
    :math:`x \ll 0` and returns 0 instead of :math:`b / (4|x|)` from
    :math:`x \approx -8192` in float32, inf at :math:`x = -10^{20}`, a negative
    derivative at :math:`x = -10^{10}` and a NaN one at :math:`x = \infty`.

  See also:
    :func:`softplus`, :func:`relu`.
  """
  errors.check_values("squareplus", "b", b, lambda v: v >= 0, "be non-negative")
  return _squareplus(x, b)
