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

Memory: a rule written from ``y`` alone is recomputed by XLA from the output in the
backward pass (one saved tensor per layer). A rule that needs ``x`` and shares work
with the forward formula (an ``exp(-|x|)``) would otherwise make XLA keep ``x`` and
every shared intermediate; ``save_derivative=True`` makes it keep the output and the
derivative instead (two per layer).

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
  """NaN where ``y`` (the output, or the input) is NaN, else ``partial``.

  The NaN is a constant, not ``y``: selecting ``y`` would route a zero cotangent into
  ``y``'s own derivative, and 0 * inf = NaN in second derivatives where f' overflows.
  """
  return jnp.where(jnp.isnan(y), jnp.nan, partial)


def _tied(y: jax.Array, partials: Sequence[jax.Array]) -> jax.Array:
  """``y``, made to read the partials: NaN where ``y`` and every partial are NaN (where
  ``y`` is NaN already), else ``y``.

  The value does not change, but XLA now computes the partials in the forward pass,
  beside ``y``, and keeps them for the backward pass. Without the tie it fuses each
  partial into the backward multiply by the cotangent and keeps what the rule reads
  instead: ``x`` and every intermediate the rule shares with the forward formula
  (an ``exp(-|x|)``, a ``1 / (1 + e)``), three or four tensors where one suffices.
  """
  both = jnp.isnan(y)
  for partial in partials:
    both = both & jnp.isnan(partial)
  return jnp.where(both, jnp.nan, y)


def custom(forward: Forward, derivative: Derivative, *, save_derivative: bool = False,
           from_output: bool = True) -> Callable[..., jax.Array]:
  """``forward`` with ``derivative`` as its ``custom_jvp`` rule, on prepared arrays.

  ``save_derivative=True`` ties the output to the partials (see :func:`_tied`), so a
  training step keeps the output and the partial derivatives: for a rule that needs
  ``x``, two tensors per layer. Leave it off for a rule written from ``y`` alone, which
  XLA recomputes from the output (one tensor).

  ``from_output``: whether the rule reads only ``y``. The NaN guard then reads ``y``
  too, so nothing but the output is needed; for a rule that reads ``x``
  (``from_output=False``) it reads ``x``, so a backward pass alone need not recompute
  the output.
  """

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
    guard = y if from_output else x
    used = [(tangent, _nan_where_nan(guard, partial))
            for tangent, partial in zip(tangents, partials, strict=True)
            if not isinstance(tangent, SymbolicZero)]
    if not used:
      return y, jnp.zeros_like(y)
    out = None
    for tangent, partial in used:
      term = partial * tangent
      out = term if out is None else out + term
    if save_derivative:
      y = _tied(y, [partial for _, partial in used])
    return y, out

  f.defjvp(jvp, symbolic_zeros=True)
  return f


def elementwise(
    name: str,
    forward: Forward,
    derivative: Derivative,
    params: Sequence[str] = (),
    *,
    save_derivative: bool = False,
    from_output: bool = True,
) -> Callable[..., jax.Array]:
  """Defines the elementwise activation ``name`` from its formula and derivative rule.

  Args:
    name: the public name, used in error messages.
    forward: ``forward(x, *params) -> y``, on arrays of the compute dtype.
    derivative: ``derivative(x, y, *params) -> (df/dx, df/dp1, ...)``.
    params: the parameters' names, in order.
    save_derivative: compute the partial derivatives in the forward pass and keep
      them for the backward pass (see :func:`custom`): for a rule that needs ``x``.
    from_output: False for a rule that reads ``x`` (see :func:`custom`).

  Returns:
    ``fn(x, *params, name=name)``: applies the dtype policy, then the
    custom-derivative pair. Parameters must be scalars or arrays of ``x``'s rank
    (broadcasting along axes of size 1); callers reshape per-channel parameters first.
    ``name`` lets a public function that reuses another's pair (selu uses elu's)
    report errors under its own name.
  """
  f = custom(forward, derivative, save_derivative=save_derivative, from_output=from_output)
  names = tuple(params)
  default_name = name

  def apply(x, *values, name=default_name):
    x, values, out = dtypes.prepare(name, x, values, names)
    return dtypes.finish(f(x, *values), out)

  apply.__name__ = name
  apply.__qualname__ = name
  return apply
