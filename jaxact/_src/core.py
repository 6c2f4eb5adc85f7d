"""The mechanism: an activation is a forward formula plus a derivative rule.

:func:`elementwise` turns the pair into a function that applies the dtype policy
(:mod:`jaxact._src.dtypes`) and wraps the pair in :func:`jax.custom_jvp`, so that
``jax.grad``, forward mode and higher orders all use the stable rule rather than
differentiating a formula that overflows or cancels.

A derivative rule receives the input ``x``, the output ``y = f(x)`` and the
parameters, and returns the partial derivatives ``(df/dx, df/dp1, ...)`` (just
``df/dx`` when there are no parameters). It is written with ordinary differentiable
``jnp`` operations, so second derivatives work; ``y`` inside the rule is itself the
custom-derivative function, so a rule written from ``y`` stays exact to any order.
Writing a rule from ``y`` alone lets a training step keep only the output alive.

The mechanism also owns two guarantees no rule has to repeat: partials are computed
only for the arguments being differentiated (symbolic zeros), and at a NaN input
every derivative is NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from jaxact._src import dtypes

Forward = Callable[..., jax.Array]
Derivative = Callable[..., Any]


def _nan_where_nan(y: jax.Array, partial: jax.Array) -> jax.Array:
  """NaN where the output is NaN (that is, at a NaN input), else ``partial``.

  The NaN is a constant, not ``y``: selecting ``y`` would route a zero cotangent into
  ``y``'s own derivative, and 0 * inf = NaN in second derivatives where f' overflows.
  """
  return jnp.where(jnp.isnan(y), jnp.nan, partial)


def custom(forward: Forward, derivative: Derivative) -> Callable[..., jax.Array]:
  """``forward`` with ``derivative`` as its ``custom_jvp`` rule, on prepared arrays."""

  @jax.custom_jvp
  def f(x, *params):
    return forward(x, *params)

  def jvp(primals, tangents):
    x, *params = primals
    y = f(x, *params)
    partials = derivative(x, y, *params)
    if not isinstance(partials, tuple):
      partials = (partials,)
    if len(partials) != len(primals):
      raise TypeError(f"{forward.__name__}: its derivative rule returned "
                      f"{len(partials)} partials for {len(primals)} arguments.")
    out = None
    for tangent, partial in zip(tangents, partials, strict=True):
      if isinstance(tangent, SymbolicZero):
        continue
      term = _nan_where_nan(y, partial) * tangent
      out = term if out is None else out + term
    return y, jnp.zeros_like(y) if out is None else out

  f.defjvp(jvp, symbolic_zeros=True)
  return f


def elementwise(
    name: str,
    forward: Forward,
    derivative: Derivative,
    params: Sequence[str] = (),
) -> Callable[..., jax.Array]:
  """Defines the elementwise activation ``name`` from its formula and derivative rule.

  Args:
    name: the public name, used in error messages.
    forward: ``forward(x, *params) -> y``, on arrays of the compute dtype.
    derivative: ``derivative(x, y, *params) -> (df/dx, df/dp1, ...)``.
    params: the parameters' names, in order.

  Returns:
    ``fn(x, *params, name=name)``: applies the dtype policy, then the
    custom-derivative pair. Parameters must be scalars or arrays of ``x``'s rank
    (broadcasting along axes of size 1); callers reshape per-channel parameters first.
    ``name`` lets a public function that reuses another's pair (selu uses elu's)
    report errors under its own name.
  """
  f = custom(forward, derivative)
  names = tuple(params)
  default_name = name

  def apply(x, *values, name=default_name):
    x, values, out = dtypes.prepare(name, x, values, names)
    return dtypes.finish(f(x, *values), out)

  apply.__name__ = name
  apply.__qualname__ = name
  return apply
