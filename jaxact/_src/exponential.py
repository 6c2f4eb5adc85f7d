"""Exponential linear units: identity for x > 0, a saturating exponential below."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxact._src import core

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


_scaled_elu = core.elementwise("elu", _elu_forward, _elu_derivative, ("alpha", "scale"))


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
  return _scaled_elu(x, SELU_ALPHA, SELU_SCALE, name="selu")
