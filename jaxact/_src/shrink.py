"""Shrinkage: activations that pull small inputs to (or towards) zero."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxact._src import errors
from jaxact._src.define import define, with_derivative

# ----------------------------------------------------------------------------- hard_shrink


def _hard_shrink_forward(x, lambd):
  # `abs(x) <= lambd` is False for NaN, so NaN passes through as x.
  return jnp.where(jnp.abs(x) <= lambd, 0.0, x)


def _hard_shrink_derivative(x, y, lambd):
  # From the output: for lambd >= 0, |x| > lambd exactly where y = x != 0; a negative
  # lambd keeps every input, 0 included.
  kept = (y != 0) | (lambd < 0)
  return jnp.where(kept, 1.0, 0.0), jnp.zeros_like(y)


_hard_shrink = define(_hard_shrink_forward, _hard_shrink_derivative, name="hard_shrink",
                      params=("lambd",), slope_from_output=True)


def hard_shrink(x: ArrayLike, lambd: ArrayLike = 0.5) -> jax.Array:
  r"""Hard shrinkage: zero on :math:`[-\lambda, \lambda]`, the identity outside.

  .. math::
    \mathrm{hard\_shrink}(x) = \begin{cases} x, & |x| > \lambda \\
      0, & |x| \le \lambda \end{cases}

  Derivative: 1 for :math:`|x| > \lambda`, else 0, computed from the output alone;
  :math:`\partial/\partial\lambda = 0` (the jumps at :math:`\pm\lambda` carry no
  derivative).

  Kinks (jumps): :math:`\mathrm{hard\_shrink}'(\pm\lambda) = 0`, as in PyTorch.

  Args:
    x: input array.
    lambd: the threshold :math:`\lambda`, a scalar or an array broadcasting against
      ``x``.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.hard_shrink(jnp.array([-1.0, -0.5, 0.25, 0.75])))
    [-1.    0.    0.    0.75]

  References:
    Donoho & Johnstone, *Ideal Spatial Adaptation by Wavelet Shrinkage*,
    Biometrika 81(3), 1994.

  .. note:: NaN propagates (PyTorch's ``hardshrink`` too); ``jnp.where(abs(x) > lambd,
    x, 0)`` would turn NaN into 0.

  See also:
    :func:`soft_shrink`, :func:`tanh_shrink`, :func:`threshold`.
  """
  return _hard_shrink(x, lambd)


# ----------------------------------------------------------------------------- soft_shrink


def _soft_shrink_forward(x, lambd):
  # x - sign(x) lambd outside [-lambd, lambd]: one rounding, and NaN stays NaN.
  return jnp.where(jnp.abs(x) <= lambd, 0.0, x - jnp.where(x < 0, -lambd, lambd))


def _soft_shrink_derivative(x, y, lambd):
  # From the output: y = 0 exactly on [-lambd, lambd], and has the sign of x outside.
  return jnp.where(y == 0, 0.0, 1.0), -jnp.sign(y)


_soft_shrink = define(_soft_shrink_forward, _soft_shrink_derivative, name="soft_shrink",
                      params=("lambd",), slope_from_output=True)


def soft_shrink(x: ArrayLike, lambd: ArrayLike = 0.5) -> jax.Array:
  r"""Soft shrinkage (soft thresholding): moves every input :math:`\lambda` towards 0.

  .. math::
    \mathrm{soft\_shrink}(x) = \begin{cases} x - \lambda, & x > \lambda \\
      0, & |x| \le \lambda \\ x + \lambda, & x < -\lambda \end{cases}
      = \mathrm{sign}(x) \max(|x| - \lambda, 0)

  Derivative: 1 for :math:`|x| > \lambda`, else 0;
  :math:`\partial/\partial\lambda = -\mathrm{sign}(\mathrm{soft\_shrink}(x))`. Both are
  computed from the output alone.

  Kinks: :math:`\mathrm{soft\_shrink}'(\pm\lambda) = 0`, as in PyTorch.

  Args:
    x: input array.
    lambd: the threshold :math:`\lambda \ge 0`, a scalar or an array broadcasting
      against ``x``; differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if a concrete ``lambd`` is negative or NaN.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.soft_shrink(jnp.array([-1.0, -0.5, 0.25, 0.75])))
    [-0.5   0.    0.    0.25]

  References:
    Donoho, *De-noising by soft-thresholding*, IEEE Transactions on Information
    Theory 41(3), 1995.

  .. note:: NaN propagates (PyTorch's ``softshrink`` too); a nested
    ``jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, 0))`` would
    turn NaN into 0.

  See also:
    :func:`hard_shrink`, :func:`tanh_shrink`.
  """
  errors.check_values("soft_shrink", "lambd", lambd, lambda v: v >= 0, "be non-negative")
  return _soft_shrink(x, lambd)


# ----------------------------------------------------------------------------- tanh_shrink

# x - tanh x = x^3 P(x^2) near 0, where the difference cancels (by x / (x - tanh x) ~
# 3 / x^2; on XLA's CPU tanh(x) is x below |x| = 4e-4, so the plain difference is 0).
# float32: a minimax fit of P on [0, 0.6^2], relative error 0.6 ULP with these float32
# coefficients (2.7 ULP for the whole evaluation in float32 arithmetic).
_SMALL_F32 = 0.6
_P_F32 = (0.3333333432674408, -0.13333313167095184, 0.053961556404829025,
          -0.0217883437871933, 0.008410139940679073, -0.0023708415683358908)
# float64: the Taylor series (coefficients 2^2n (2^2n - 1) |B_2n| / (2n)!) to x^17,
# truncation below 1e-16 relative on [0, 0.15].
_SMALL_F64 = 0.15
_P_F64 = (1 / 3, -2 / 15, 17 / 315, -62 / 2835, 1382 / 155925, -21844 / 6081075,
          929569 / 638512875, -6404582 / 10854718875)


def _tanh_shrink_parts(x):
  """``(s, s^3 P(s^2), (1 - e) / (1 + e), e, near)`` for ``s = min(|x|, cut)``,
  ``e = exp(-2|x|)`` and ``near = |x| < cut``.

  Near 0, ``s^3 P(s^2)`` is ``tanh_shrink(|x|)`` and ``s`` is ``|x|``; away from 0,
  ``(1 - e) / (1 + e)`` is ``tanh|x|`` without cancellation (1 - e > 0.25 there), more
  accurate than XLA's ``tanh`` (4 ULP on CPU). One transcendental: ``e``.
  """
  if x.dtype.itemsize >= 8:
    cut, coeffs = _SMALL_F64, _P_F64
  else:
    cut, coeffs = _SMALL_F32, _P_F32
  a = jnp.abs(x)
  e = jnp.exp(-2 * a)
  s = jnp.minimum(a, cut)  # the polynomial's argument, clamped (the double-where rule)
  u = s * s
  p = coeffs[-1]
  for c in coeffs[-2::-1]:
    p = p * u + c
  return s, s * u * p, (1 - e) / (1 + e), e, a < cut


def _tanh_shrink_forward(x):
  _, shrink_near, tanh_far, _, near = _tanh_shrink_parts(x)
  return jnp.copysign(jnp.where(near, shrink_near, jnp.abs(x) - tanh_far), x)


def _tanh_abs(x):
  """``(tanh|x|, exp(-2|x|))``, both to a few ULP."""
  s, shrink_near, tanh_far, e, near = _tanh_shrink_parts(x)
  # Near 0, |x| - tanh_shrink(|x|) subtracts a small correction: no cancellation.
  return jnp.where(near, s - shrink_near, tanh_far), e


def _tanh_squared_forward(x):
  t, _ = _tanh_abs(x)
  return t * t


def _tanh_squared_derivative(x, y):
  # d tanh^2 / dx = 2 tanh(x) sech^2(x), sech^2 = 4 e / (1 + e)^2: no cancellation
  # anywhere (1 - tanh^2 would be 0 once tanh rounds to 1).
  t, e = _tanh_abs(x)
  return jnp.copysign(2 * t, x) * (4 * e / jnp.square(1 + e))


# The derivative tanh^2 is its own pair so that second derivatives are exact too.
_tanh_squared = with_derivative(_tanh_squared_forward, _tanh_squared_derivative)


def _tanh_shrink_derivative(x, y):
  return _tanh_squared(x)


_tanh_shrink = define(_tanh_shrink_forward, _tanh_shrink_derivative, name="tanh_shrink",
                      keep_derivative=True)


def tanh_shrink(x: ArrayLike) -> jax.Array:
  r"""Tanh shrinkage: the input minus its hyperbolic tangent.

  .. math::
    \mathrm{tanh\_shrink}(x) = x - \tanh x

  Derivative: :math:`1 - \mathrm{sech}^2 x = \tanh^2 x`, with no cancellation.

  Numerics: near 0 the difference cancels (its true value is :math:`x^3/3`; XLA's CPU
  ``tanh`` returns ``x`` itself below :math:`|x| = 4 \cdot 10^{-4}`, so ``x - tanh(x)``
  is 0 there), so jaxact evaluates an odd polynomial (minimax in float32, the Taylor
  series in float64) for :math:`|x| < 0.6` (0.15 in float64), and elsewhere
  :math:`|x| - (1 - e)/(1 + e)` with :math:`e = e^{-2|x|}`: one ``exp`` forward, one
  backward.

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.tanh_shrink(jnp.array([-2.0, 1e-3, 1.0])))
    [-1.0360e+00  3.3333e-10  2.3841e-01]

  References:
    PyTorch, ``torch.nn.Tanhshrink``.

  .. note:: PyTorch's ``tanhshrink`` computes ``x - tanh(x)`` directly, which loses every
    digit near 0 (relative error ~ :math:`3 \epsilon / x^2`).

  See also:
    :func:`soft_shrink`, :func:`hard_shrink`, :func:`tanh`.
  """
  return _tanh_shrink(x)
