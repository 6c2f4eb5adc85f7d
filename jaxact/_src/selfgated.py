"""Self-gated activations: x times a gate in [0, 1] computed from x itself."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxact._src import core, errors
from jaxact._src.sigmoidal import logistic_pair

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# tanh-GELU as x * sigmoid(z), z = 2u = x (c1 + c3 x^2) with u = sqrt(2/pi)(x + 0.044715 x^3).
_C1 = 2 * math.sqrt(2 / math.pi)
_C3 = _C1 * 0.044715


def _gelu_cutoff(x):
  """Past -cutoff the exact GELU underflows to 0 in x's dtype, past +cutoff it is x.

  Clamping x there keeps exp(-x^2 / 2), erfc and x^3 from overflowing into inf * 0.
  """
  return 40.0 if x.dtype.itemsize >= 8 else 14.0


def _gelu_erf_forward(x):
  xl = jnp.maximum(x, -_gelu_cutoff(x))
  return 0.5 * xl * jax.lax.erfc(-_SQRT_HALF * xl)


def _gelu_erf_derivative(x, y):
  c = _gelu_cutoff(x)
  xc = jnp.clip(x, -c, c)
  return 0.5 * jax.lax.erfc(-_SQRT_HALF * xc) + xc * (_INV_SQRT_2PI * jnp.exp(-0.5 * xc * xc))


def _gelu_tanh_cutoff(x):
  """Past +-cutoff sigmoid(z) is exactly 1 or 0 (underflowed) in x's dtype."""
  return 30.0 if x.dtype.itemsize >= 8 else 12.0


def _gelu_tanh_z(xc):
  return xc * (_C1 + _C3 * (xc * xc))


def _gelu_tanh_forward(x):
  c = _gelu_tanh_cutoff(x)
  s, _ = logistic_pair(_gelu_tanh_z(jnp.clip(x, -c, c)))
  return jnp.maximum(x, -c) * s


def _gelu_tanh_derivative(x, y):
  c = _gelu_tanh_cutoff(x)
  xc = jnp.clip(x, -c, c)
  s, s_neg = logistic_pair(_gelu_tanh_z(xc))
  dz = _C1 + (3 * _C3) * (xc * xc)
  return s + xc * dz * (s * s_neg)


_gelu_erf = core.elementwise("gelu", _gelu_erf_forward, _gelu_erf_derivative)
_gelu_tanh = core.elementwise("gelu", _gelu_tanh_forward, _gelu_tanh_derivative)


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
  :math:`1 + \tanh u` cancels to 0 for :math:`x < -1`; ``erfc`` rather than
  :math:`1 + \mathrm{erf}` for the same reason; and :math:`x` is clamped where the
  result has saturated, so :math:`x^3` and :math:`x^2` never overflow into
  :math:`0 \cdot \infty` = NaN (``jax.nn.gelu`` returns NaN derivatives from
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
               repr(approximate))
  return _gelu_tanh(x) if approximate else _gelu_erf(x)
