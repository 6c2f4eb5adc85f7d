"""Exponential linear units: identity for x > 0, a saturating exponential below."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxact._src import errors
from jaxact._src.define import define

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elu_forward(x, alpha, scale):
  # expm1 of min(x, 0): the branch not taken cannot overflow (the double-where rule).
  return jnp.where(x > 0, scale * x, (scale * alpha) * jnp.expm1(jnp.minimum(x, 0)))


def _elu_derivative(x, y, alpha, scale):
  positive = x > 0
  negative = jnp.minimum(x, 0)
  # alpha * exp(x), not y + alpha, which cancels as y nears -alpha (x < -2 in float32).
  d_x = jnp.where(positive, scale, (scale * alpha) * jnp.exp(negative))
  d_alpha = jnp.where(positive, 0.0, scale * jnp.expm1(negative))
  d_scale = jnp.where(positive, x, alpha * jnp.expm1(negative))
  return d_x, d_alpha, d_scale


_scaled_elu = define(_elu_forward, _elu_derivative, name="elu", params=("alpha", "scale"))
_selu = define(_elu_forward, _elu_derivative, name="selu", params=("alpha", "scale"))


def elu(x: ArrayLike, alpha: ArrayLike = 1.0) -> jax.Array:
  r"""Exponential linear unit activation.

  .. math::
    \mathrm{elu}(x) = \begin{cases} x, & x > 0 \\
      \alpha \left(e^{x} - 1\right), & x \le 0 \end{cases}

  Derivative: 1 for :math:`x > 0`, :math:`\alpha e^{x}` for :math:`x \le 0`, from
  :math:`x` (the output form :math:`y + \alpha` cancels as :math:`y \to -\alpha`);
  :math:`\partial/\partial\alpha = e^{\min(x, 0)} - 1`.

  Kink: :math:`\mathrm{elu}'(0) = \alpha`, as in PyTorch (continuous for
  :math:`\alpha = 1`).

  Args:
    x: input array.
    alpha: the negative saturation value :math:`-\alpha`, a scalar or an array
      broadcasting against ``x``; differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.elu(jnp.array([-1.0, 0.0, 2.0])))
    [-0.6321  0.      2.    ]

  References:
    Clevert, Unterthiner & Hochreiter, *Fast and Accurate Deep Network Learning by
    Exponential Linear Units (ELUs)*, ICLR 2016.

  See also:
    :func:`selu`, :func:`celu`.
  """
  return _scaled_elu(x, alpha, 1.0)


def selu(x: ArrayLike) -> jax.Array:
  r"""Scaled exponential linear unit activation.

  .. math::
    \mathrm{selu}(x) = \lambda \begin{cases} x, & x > 0 \\
      \alpha \left(e^{x} - 1\right), & x \le 0 \end{cases}

  with :math:`\alpha = 1.6732632423543772848170429916717` and
  :math:`\lambda = 1.0507009873554804934193349852946`, the fixed point that makes
  activations self-normalising (mean 0, variance 1) under LeCun-normal initialisation.

  Derivative: :math:`\lambda` for :math:`x > 0`, :math:`\lambda \alpha e^{x}` for
  :math:`x \le 0`, from :math:`x`.

  Kink: :math:`\mathrm{selu}'(0) = \lambda\alpha`, as in PyTorch.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.selu(jnp.array([-1.0, 0.0, 1.0])))
    [-1.1113  0.      1.0507]

  References:
    Klambauer, Unterthiner, Mayr & Hochreiter, *Self-Normalizing Neural Networks*,
    NeurIPS 2017.

  .. note:: The constants are fixed: ``selu`` with :math:`\alpha = \lambda = 1` (as in
    some tutorials) is plain :func:`elu`, and does not self-normalise.

  See also:
    :func:`elu`.
  """
  return _selu(x, SELU_ALPHA, SELU_SCALE)


# d/dalpha celu = g(t) = expm1(t) - t e^t with t = x / alpha <= 0. Near 0 the two terms
# cancel (g ~ -t^2 / 2): there g(t) = -t^2 sum_{n>=2} (n-1) t^(n-2) / n!, truncated after
# n = 11 (below 1e-10 relative in float32 on [-0.5, 0], 1e-13 in float64 on [-0.25, 0]).
_CELU_G = tuple((n - 1) / math.factorial(n) for n in range(2, 12))
_CELU_G_CUT_F32 = 0.5
_CELU_G_CUT_F64 = 0.25


def _celu_alpha_partial(t, e):
  """g(t) = expm1(t) - t e^t for t <= 0, given e = exp(t); exact near 0, -1 at -inf."""
  cut = _CELU_G_CUT_F64 if t.dtype.itemsize >= 8 else _CELU_G_CUT_F32
  s = jnp.maximum(t, -cut)  # the series' argument, clamped (the double-where rule)
  p = _CELU_G[-1]
  for c in _CELU_G[-2::-1]:
    p = p * s + c
  series = -(s * s) * p
  # Past t ~ -745 (float64) e is 0; clamping t there keeps -inf * 0 out of t e^t.
  direct = jnp.expm1(t) - jnp.maximum(t, -1e4) * e
  return jnp.where(t > -cut, series, direct)


def _celu_forward(x, alpha):
  # x < 0, not x <= 0: at x = 0 a zero (traced) alpha would give 0 / 0; NaN stays NaN.
  return jnp.where(x < 0, alpha * jnp.expm1(jnp.minimum(x, 0) / alpha), x)


def _celu_derivative(x, y, alpha):
  negative = x < 0
  t = jnp.minimum(x, 0) / alpha
  e = jnp.exp(t)  # from x: 1 + y / alpha cancels as y nears -alpha
  d_x = jnp.where(negative, e, 1.0)
  d_alpha = jnp.where(negative, _celu_alpha_partial(t, e), 0.0)
  return d_x, d_alpha


_celu = define(_celu_forward, _celu_derivative, name="celu", params=("alpha",))


def celu(x: ArrayLike, alpha: ArrayLike = 1.0) -> jax.Array:
  r"""Continuously differentiable exponential linear unit activation.

  .. math::
    \mathrm{celu}(x) = \max(0, x) + \min\left(0, \alpha \left(e^{x/\alpha} - 1\right)\right)

  Derivative: 1 for :math:`x \ge 0`, :math:`e^{x/\alpha}` for :math:`x < 0`;
  :math:`\partial/\partial\alpha = e^{t} - 1 - t e^{t}` with :math:`t = x/\alpha`
  for :math:`x < 0`, else 0, by its Taylor series near :math:`t = 0`, where the two
  terms cancel (:math:`\approx -t^2/2`).

  Continuously differentiable for every :math:`\alpha` (unlike :func:`elu`):
  :math:`\mathrm{celu}'(0) = 1`; the second derivative jumps from :math:`1/\alpha` to 0
  at 0.

  Numerics: as :math:`\alpha \to 0^+` celu tends to :func:`relu`: :math:`x/\alpha`
  may overflow to :math:`-\infty`, which gives exactly :math:`-\alpha`, derivative 0
  and :math:`\partial/\partial\alpha = -1` (plain autodiff gives
  :math:`0 \cdot \infty` = NaN there).

  Args:
    x: input array.
    alpha: :math:`\alpha > 0`, a scalar or an array broadcasting against ``x``;
      differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if a concrete ``alpha`` is not positive (or NaN), or is infinite.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.celu(jnp.array([-1.0, 0.0, 2.0]), alpha=0.5))
    [-0.4323  0.      2.    ]

  References:
    Barron, *Continuously Differentiable Exponential Linear Units*, arXiv:1704.07483,
    2017.

  .. note:: Plain autodiff of the formula (as ``jax.nn.celu``) gives
    :math:`\partial/\partial\alpha` with no correct digit for small :math:`|x/\alpha|`,
    and NaN where :math:`x/\alpha` overflows.

  See also:
    :func:`elu`, :func:`selu`.
  """
  errors.check_values("celu", "alpha", alpha, lambda a: a > 0, "be positive")
  errors.check_values("celu", "alpha", alpha, np.isfinite, "be finite")
  return _celu(x, alpha)


def _exponential_forward(x):
  return jnp.exp(x)


_exponential = define(_exponential_forward, lambda x, y: y, name="exponential",
                      slope_from_output=True)


def exponential(x: ArrayLike) -> jax.Array:
  r"""Exponential activation, as Keras's ``exponential``.

  .. math::
    \mathrm{exponential}(x) = e^{x}

  Derivative: :math:`e^{x}`, the output itself, so a training step keeps only the
  output alive; exact wherever the value is (both overflow to :math:`+\infty` past
  :math:`x \approx 88.72` in float32, 11.09 in float16).

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.exponential(jnp.array([-1.0, 0.0, 1.0])))
    [0.3679 1.     2.7183]

  .. note:: Unbounded: used as an output activation (a rate, a scale), rarely in hidden
    layers.

  See also:
    :func:`elu`, :func:`softplus`.
  """
  return _exponential(x)
