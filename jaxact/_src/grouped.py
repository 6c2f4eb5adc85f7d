"""Activations that act on groups of entries along an axis."""

from __future__ import annotations

import operator

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxact._src import dtypes, errors


def normalize_axis(fn: str, axis, ndim: int) -> int:
  """``axis`` as a non-negative int, or the house ValueError."""
  try:
    axis = operator.index(axis)
  except TypeError:
    errors.fail(fn, "axis", "be an int", repr(axis))
  errors.check(-ndim <= axis < ndim, fn, "axis", f"be in [-{ndim}, {ndim}) for an "
               f"input of rank {ndim}", axis)
  return axis % ndim


def maxout(x: ArrayLike, num_pieces: int, axis: int = -1) -> jax.Array:
  r"""Maxout: the maximum over groups of ``num_pieces`` consecutive entries.

  .. math::
    \mathrm{maxout}(x)_i = \max_{0 \le j < k} x_{ik + j}, \qquad k = \texttt{num\_pieces}

  ``axis`` (of size :math:`n k`) becomes size :math:`n`. Usually applied to the output
  of a Dense layer of :math:`n k` features (see :class:`jaxact.linen.Maxout`).

  Derivative: 1 at the entry that attains its group's maximum, 0 elsewhere.

  Kinks: ties share the gradient equally, as :func:`jax.numpy.max` does.

  Args:
    x: input array.
    num_pieces: group size :math:`k`, a positive int dividing ``x.shape[axis]``.
    axis: the axis to group along.

  Returns:
    An array of ``x``'s dtype with ``x.shape[axis] // num_pieces`` entries on ``axis``.

  Raises:
    ValueError: if ``num_pieces`` is not a positive int dividing ``x.shape[axis]``,
      or ``axis`` is out of range.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> jaxact.maxout(jnp.array([1.0, 5.0, -2.0, -3.0]), num_pieces=2)
    Array([ 5., -2.], dtype=float32)

  References:
    Goodfellow, Warde-Farley, Mirza, Courville & Bengio, *Maxout Networks*,
    ICML 2013.

  See also:
    :func:`relu` (a maxout of :math:`x` and 0).
  """
  errors.check(isinstance(num_pieces, (int, np.integer)) and not isinstance(num_pieces, bool)
               and num_pieces >= 1, "maxout", "num_pieces", "be a positive int",
               repr(num_pieces))
  x, _, out = dtypes.prepare("maxout", x)
  errors.check(x.ndim >= 1, "maxout", "x", "have at least one axis", "a scalar")
  given = axis
  axis = normalize_axis("maxout", axis, x.ndim)
  size = x.shape[axis]
  errors.check(size % num_pieces == 0, "maxout", "num_pieces",
               f"divide x.shape[{given}] = {size}", num_pieces)
  grouped = x.reshape(x.shape[:axis] + (size // num_pieces, num_pieces) + x.shape[axis + 1:])
  return dtypes.finish(jnp.max(grouped, axis=axis + 1), out)
