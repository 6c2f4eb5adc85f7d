"""Rectifiers: piecewise-linear units built on ReLU."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxact._src import core, errors


def _relu_forward(x):
  # `where` keeps NaN (x <= 0 is False for NaN) and, unlike maximum(x, 0), leaves no
  # pattern for XLA to rewrite into `x > 0`: the rule below needs only the output.
  return jnp.where(x <= 0, 0, x)


def _relu_derivative(x, y):
  return jnp.where(y > 0, 1.0, 0.0)


_relu = core.elementwise("relu", _relu_forward, _relu_derivative)


def relu(x: ArrayLike) -> jax.Array:
  r"""Rectified linear unit activation.

  .. math::
    \mathrm{relu}(x) = \max(x, 0)

  Derivative: 1 for :math:`x > 0`, else 0; it is computed from the output alone, so a
  training step keeps only the output alive.

  Kink: :math:`\mathrm{relu}'(0) = 0`, as in jax.nn and PyTorch.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> jaxact.relu(jnp.array([-2.0, 0.0, 3.0]))
    Array([0., 0., 3.], dtype=float32)

  References:
    Nair & Hinton, *Rectified Linear Units Improve Restricted Boltzmann Machines*,
    ICML 2010.

  .. note:: Unlike ``jax.nn.relu``, integer inputs promote to float, and the
    derivative at NaN is NaN.

  See also:
    :func:`leaky_relu`, :func:`prelu`.
  """
  return _relu(x)


def _leaky_forward(x, slope):
  return jnp.where(x >= 0, x, slope * x)


def _leaky_derivative(x, y, slope):
  positive = x > 0
  return jnp.where(positive, 1.0, slope), jnp.where(positive, 0.0, x)


_leaky_relu = core.elementwise("leaky_relu", _leaky_forward, _leaky_derivative,
                               ("negative_slope",))


def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 0.01) -> jax.Array:
  r"""Leaky rectified linear unit activation.

  .. math::
    \mathrm{leaky\_relu}(x) = \begin{cases} x, & x \ge 0 \\
      \alpha x, & x < 0 \end{cases}

  where :math:`\alpha` is ``negative_slope``.

  Derivative: 1 for :math:`x > 0`, :math:`\alpha` for :math:`x \le 0`;
  :math:`\partial/\partial\alpha = \min(x, 0)`.

  Kink: :math:`\mathrm{leaky\_relu}'(0) = \alpha`, as in PyTorch.

  Args:
    x: input array.
    negative_slope: the slope :math:`\alpha` for negative inputs, a scalar or an array
      broadcasting against ``x``; differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> jaxact.leaky_relu(jnp.array([-2.0, 0.0, 3.0]), negative_slope=0.1)
    Array([-0.2,  0. ,  3. ], dtype=float32)

  References:
    Maas, Hannun & Ng, *Rectifier Nonlinearities Improve Neural Network Acoustic
    Models*, ICML 2013.

  .. warning:: ``jax.nn.leaky_relu`` has derivative 1 at 0; jaxact follows PyTorch.

  See also:
    :func:`prelu`, :func:`relu`.
  """
  return _leaky_relu(x, negative_slope)


def prelu(x: ArrayLike, negative_slope: ArrayLike, axis: int = -1) -> jax.Array:
  r"""Parametric ReLU: a leaky ReLU whose slope is learned, per channel or shared.

  .. math::
    \mathrm{prelu}(x)_{\ldots c \ldots} = \begin{cases} x, & x \ge 0 \\
      a_c\, x, & x < 0 \end{cases}

  Derivative: as :func:`leaky_relu`; :math:`\partial/\partial a_c` sums
  :math:`\min(x, 0)` over every entry of channel :math:`c`.

  Kink: :math:`\mathrm{prelu}'(0) = a_c`, as in PyTorch.

  Args:
    x: input array.
    negative_slope: the slopes :math:`a`: a scalar, or a 1-D array of length 1 (one
      shared slope) or ``x.shape[axis]`` (one per channel).
    axis: the channel axis that a per-channel slope runs along. Default -1, the
      channels-last convention of JAX (PyTorch's channels are axis 1).

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if ``negative_slope`` is not a scalar or 1-D, its length is neither
      1 nor ``x.shape[axis]``, or ``axis`` is out of range.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> x = jnp.array([[-1.0, -1.0], [2.0, 2.0]])
    >>> jaxact.prelu(x, jnp.array([0.25, 0.5]))
    Array([[-0.25, -0.5 ],
           [ 2.  ,  2.  ]], dtype=float32)

  References:
    He, Zhang, Ren & Sun, *Delving Deep into Rectifiers: Surpassing Human-Level
    Performance on ImageNet Classification*, ICCV 2015.

  See also:
    :func:`leaky_relu`, :class:`jaxact.linen.PReLU`.
  """
  shape = np.shape(x)
  slope = negative_slope
  ndim = np.ndim(slope)
  errors.check(ndim <= 1, "prelu", "negative_slope", "be a scalar or a 1-D array",
               f"shape {np.shape(slope)}")
  if ndim == 1 and np.shape(slope)[0] != 1:
    errors.check(len(shape) > 0, "prelu", "negative_slope",
                 "have length 1 for a scalar x", f"length {np.shape(slope)[0]}")
    errors.check(-len(shape) <= axis < len(shape), "prelu", "axis",
                 f"be in [-{len(shape)}, {len(shape)}) for x of shape {shape}", axis)
    channels = shape[axis]
    errors.check(np.shape(slope)[0] == channels, "prelu", "negative_slope",
                 f"have length 1 or x.shape[{axis}] = {channels}",
                 f"length {np.shape(slope)[0]}")
    broadcast = [1] * len(shape)
    broadcast[axis] = channels
    slope = jnp.reshape(slope, broadcast)
  elif ndim == 1:
    slope = jnp.reshape(slope, ())
  return _leaky_relu(x, slope, name="prelu")
