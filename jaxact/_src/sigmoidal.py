"""Sigmoidal activations: bounded, monotone, S-shaped."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxact._src import core


def logistic_pair(z: jax.Array) -> tuple[jax.Array, jax.Array]:
  """``(sigmoid(z), sigmoid(-z))``, both to full relative precision, from one exp.

  With ``e = exp(-|z|)`` in (0, 1], the larger of the two is ``1 / (1 + e)`` and the
  smaller ``e / (1 + e)``: no cancellation, no overflow, exact limits at +-inf.
  """
  e = jnp.exp(-jnp.abs(z))
  big = 1 / (1 + e)
  small = e * big
  positive = z >= 0
  return jnp.where(positive, big, small), jnp.where(positive, small, big)


def _sigmoid_forward(x):
  return jax.lax.logistic(x)


def _sigmoid_slope_forward(x):
  e = jnp.exp(-jnp.abs(x))
  return e / jnp.square(1 + e)


# The slope is itself a custom pair: sigma'' = -sigma' tanh(x / 2) keeps every digit
# near 0, where differentiating e / (1 + e)^2 cancels in (1 - e).
_sigmoid_slope = core.custom(_sigmoid_slope_forward, lambda x, y: -y * jnp.tanh(0.5 * x))


def _sigmoid_derivative(x, y):
  return _sigmoid_slope(x)


_sigmoid = core.elementwise("sigmoid", _sigmoid_forward, _sigmoid_derivative)


def sigmoid(x: ArrayLike) -> jax.Array:
  r"""Logistic sigmoid activation.

  .. math::
    \mathrm{sigmoid}(x) = \frac{1}{1 + e^{-x}}

  Derivative: :math:`\sigma'(x) = \sigma(x)\,\sigma(-x) = e^{-|x|} / (1 + e^{-|x|})^2`,
  evaluated from :math:`x` so it keeps every digit where :math:`\sigma(x)` rounds to 1
  (the usual :math:`y(1 - y)` is 0 there from :math:`x \approx 17` in float32, and
  loses digits from :math:`x \approx 2`).

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.sigmoid(jnp.array([-1.0, 0.0, 1.0])))
    [0.2689 0.5    0.7311]

  References:
    Verhulst, *Recherches mathematiques sur la loi d'accroissement de la
    population*, 1845.

  See also:
    :func:`log_sigmoid`, :func:`tanh`.
  """
  return _sigmoid(x)


def _tanh_slope_forward(x):
  e = jnp.exp(-2 * jnp.abs(x))
  return 4 * e / jnp.square(1 + e)


# tanh'' = -2 tanh(x) tanh'(x), exact near 0 (see the sigmoid slope).
_tanh_slope = core.custom(_tanh_slope_forward, lambda x, y: -2 * jnp.tanh(x) * y)


def _tanh_derivative(x, y):
  return _tanh_slope(x)


_tanh = core.elementwise("tanh", jnp.tanh, _tanh_derivative)


def tanh(x: ArrayLike) -> jax.Array:
  r"""Hyperbolic tangent activation.

  .. math::
    \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}

  Derivative: :math:`\tanh'(x) = 1 / \cosh^2 x = 4 e / (1 + e)^2` with
  :math:`e = e^{-2|x|}`, evaluated from :math:`x`: the usual :math:`1 - y^2` is 0
  once :math:`\tanh x` rounds to :math:`\pm 1` (from :math:`|x| \approx 9` in float32).
  Unlike the textbook quotient of exponentials, no intermediate overflows.

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.tanh(jnp.array([-100.0, 0.0, 0.5])))
    [-1.      0.      0.4621]

  See also:
    :func:`sigmoid`, :func:`hard_tanh`.
  """
  return _tanh(x)
