"""The mechanism: an activation is a forward formula plus a derivative rule.

:func:`jaxact.define` (:mod:`jaxact._src.define`, the public face of this module)
turns the pair into a public function that applies the dtype policy
(:mod:`jaxact._src.dtypes`) and wraps the pair in :func:`jax.custom_jvp` (:func:`custom`),
so that ``jax.grad``, forward mode and higher orders all use the stable rule rather than
differentiating a formula that overflows or cancels.

A derivative rule receives the input ``x``, the output ``y = f(x)`` and the
parameters, and returns the partial derivatives ``(df/dx, df/dp1, ...)`` (just
``df/dx`` when there are no parameters). It is written with ordinary differentiable
``jnp`` operations, so second derivatives work; ``y`` inside the rule is itself the
custom-derivative function, so a rule written from ``y`` stays exact to any order.

The mechanism owns three guarantees no rule has to repeat: partials are computed only
for the arguments being differentiated (symbolic zeros); at a NaN input every
derivative is NaN; and what a training step keeps for the backward pass is chosen per
backend, when the step is lowered (:func:`jax.lax.platform_dependent`):

* On accelerators (TPU, GPU) elementwise work is memory-bound, so nothing computed is
  kept: the backward pass recomputes the derivative, in the compute dtype, from ``x``
  in its own dtype (a bfloat16 ``x`` is exact, so a float32 derivative recomputed from
  it is exactly the one the forward pass could have kept). The tangent is computed
  inside :func:`jax.checkpoint`, whose only residuals are its inputs; XLA then also
  recomputes the output for the next layer where that is cheaper than keeping it.
  Compiled for a TPU v5e, a bfloat16 transformer MLP block keeps 1.19 tensors of the
  hidden size per block, as ``jax.nn`` does (2.19 with a kept float32 derivative).
* On CPU, XLA does not recompute across the backward pass by itself: whatever the
  forward and the backward fusions share, it computes once and keeps. So the choice
  depends on what is being differentiated:

  - a float32 or float64 activation keeps what its rule declares: a rule whose
    ``df/dx`` is written from ``y`` alone (``slope_from_output=True``) keeps nothing
    but the output (one tensor per layer); a rule that reads ``x`` keeps ``x`` as well;
    and ``keep_derivative=True`` ties the output to the partials (:func:`_tied`), so
    XLA keeps the output and the derivative instead of ``x`` and every intermediate the
    rule shares with the forward formula (two tensors per layer, not three or four);
  - a half-precision activation, and a gated unit ``act(gate) * up`` in any dtype, keep
    their inputs alone, as on accelerators, with the recomputation behind an
    optimisation barrier (``jax.checkpoint(prevent_cse=True)``) so that XLA cannot
    merge it into the forward pass. Declared residuals would be float32 intermediates
    of a half-precision layer (the compute dtype's), and a unit's shared
    ``exp``/``erfc`` a third gate-sized tensor, where recomputing costs less than
    keeping: a 4-block Llama MLP step keeps 25.5 MiB where ``jax.nn``'s composition
    keeps 30.8 (bfloat16; float32: 28.5 against 44.5) in no more time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from jaxact._src import dtypes

Forward = Callable[..., jax.Array]
Derivative = Callable[..., Any]
Backend = Literal["cpu", "accelerator"]

# Tests pin a backend's policy to check it on this machine: None lets the lowering
# platform decide. Read at trace time.
_pinned: Backend | None = None

# True while a unit that :func:`per_backend` already wraps is being traced (a gated unit
# ``act(gate) * up`` calling a public activation): a :func:`per_backend` function called
# there is its bare differentiable composition, so the outer unit alone decides the
# residuals. Read at trace time.
_inside_unit = False


def _as_unit(f: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
  """``f``, traced with :data:`_inside_unit` set (whenever JAX traces it: the primal, the
  tangent, a lazily traced rule)."""

  def unit(*args):
    global _inside_unit
    previous, _inside_unit = _inside_unit, True
    try:
      return f(*args)
    finally:
      _inside_unit = previous

  return unit


@contextlib.contextmanager
def pinned_policy(backend: Backend) -> Iterator[None]:
  """Traces every activation with ``backend``'s residual policy, whatever the platform
  (for tests: the accelerator policy checked on a CPU). Trace-time only: clear jit
  caches around it."""
  global _pinned
  previous, _pinned = _pinned, backend
  try:
    yield
  finally:
    _pinned = previous


def _nan_where_nan(guard: jax.Array, partial: jax.Array) -> jax.Array:
  """NaN where ``guard`` (the output, or the input) is NaN, else ``partial``.

  The NaN is a constant, not ``guard``: selecting it would route a zero cotangent into
  its own derivative, and 0 * inf = NaN in second derivatives where f' overflows.

  The test is ``guard == guard`` (false at NaN), not ``isnan(guard)``: with the latter,
  XLA's CPU backend (jax 0.10) compiles a selected partial that is then rounded to
  bfloat16 into a loop 6x slower than the same loop with ``==`` (hard_tanh's bfloat16
  gradient: 25 ms against 3.1 ms on 2^22 elements).
  """
  return jnp.where(guard == guard, partial, jnp.nan)


def _tied(y: jax.Array, partials: Sequence[jax.Array]) -> jax.Array:
  """``y``, made to read the partials: NaN where ``y`` and every partial are NaN (where
  ``y`` is NaN already), else ``y``.

  The value does not change, but XLA now computes the partials in the forward pass,
  beside ``y``, and keeps them for the backward pass. Without the tie XLA's CPU backend
  fuses each partial into the backward multiply by the cotangent and keeps what the
  rule reads instead: ``x`` and every intermediate the rule shares with the forward
  formula (an ``exp(-|x|)``, a ``1 / (1 + e)``), three or four tensors where two do.
  """
  both = jnp.isnan(y)
  for partial in partials:
    both = both & jnp.isnan(partial)
  return jnp.where(both, jnp.nan, y)


def custom(forward: Forward, derivative: Derivative, *, slope_from_output: bool = False,
           keep_derivative: bool = False) -> Callable[..., jax.Array]:
  """``forward`` with ``derivative`` as its ``custom_jvp`` rule, on prepared arrays.

  Args:
    forward: ``forward(x, *params) -> y``.
    derivative: ``derivative(x, y, *params) -> (df/dx, df/dp1, ...)``.
    slope_from_output: True when the rule's ``df/dx`` reads ``y`` and the parameters
      only, not ``x`` (the partials in the parameters may read ``x``). The NaN guard
      then reads ``y`` too, so a backward pass that differentiates ``x`` alone needs
      nothing but the output; otherwise it reads ``x``.
    keep_derivative: tie the output to the partials (:func:`_tied`), so that XLA's CPU
      backend keeps the output and the derivative, not ``x`` and every intermediate
      the rule shares with the forward formula. Only for a slope that reads ``x``.
  """
  if keep_derivative and slope_from_output:
    raise ValueError(f"{forward.__name__}: keep_derivative is for slopes that read x.")

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
    guard = y if slope_from_output else x
    used = [(tangent, _nan_where_nan(guard, partial))
            for tangent, partial in zip(tangents, partials, strict=True)
            if not isinstance(tangent, SymbolicZero)]
    if not used:
      return y, jnp.zeros_like(y)
    out = None
    for tangent, partial in used:
      term = partial * tangent
      out = term if out is None else out + term
    if keep_derivative:
      y = _tied(y, [partial for _, partial in used])
    return y, out

  f.defjvp(jvp, symbolic_zeros=True)
  return f


def _on_cpu(f: Callable[..., jax.Array], work) -> Callable[..., jax.Array]:
  """``f`` on its arguments cast to the compute dtype ``work``; the result in the first
  argument's dtype (the parameters are in ``work`` already)."""

  def apply(x, *params):
    return dtypes.finish(f(*(a.astype(work) for a in (x, *params))), x.dtype)

  return apply


def _recomputed(f: Callable[..., jax.Array], work, *, barrier: bool = False
                ) -> Callable[..., jax.Array]:
  """:func:`_on_cpu`, with a derivative that the backward pass recomputes from ``x``
  in its own dtype: the only residuals are the inputs (see the module docstring).
  ``barrier`` puts the recomputation behind an optimisation barrier, for a backend
  whose XLA would otherwise merge it into the forward pass (CPU)."""
  on_cpu = _on_cpu(f, work)

  @jax.custom_jvp
  def g(x, *params):
    return on_cpu(x, *params)

  def jvp(primals, tangents):
    y = g(*primals)
    live = [not isinstance(t, SymbolicZero) for t in tangents]
    if not any(live):
      return y, jnp.zeros_like(y)

    def tangent(primals, live_tangents):
      x = primals[0]
      args = [a.astype(work) for a in primals]

      def of_live(*values):
        it = iter(values)
        return f(*[next(it) if is_live else a for a, is_live in zip(args, live, strict=True)])

      live_args = [a for a, is_live in zip(args, live, strict=True) if is_live]
      live_tangents = [t.astype(a.dtype) for t, a in zip(live_tangents, live_args, strict=True)]
      return jax.jvp(of_live, live_args, live_tangents)[1].astype(x.dtype)

    live_tangents = [t for t, is_live in zip(tangents, live, strict=True) if is_live]
    return y, jax.checkpoint(tangent, prevent_cse=barrier)(primals, live_tangents)

  g.defjvp(jvp, symbolic_zeros=True)
  return g


def per_backend(f: Callable[..., jax.Array], work, *, unit: bool = False
                ) -> Callable[..., jax.Array]:
  """``f`` (differentiable code on the compute dtype ``work``: a :func:`custom` pair, or
  a composition of them) applied to arrays in their own dtype, with each backend's
  residual policy (see the module docstring); ``unit`` for a gated unit, which
  recomputes on CPU in every dtype. The result has the first argument's dtype."""
  bare = _on_cpu(f, work)
  traced = _as_unit(f)
  declared = _on_cpu(traced, work)
  on_accelerator = _recomputed(traced, work)
  behind_barrier = _recomputed(traced, work, barrier=True)

  def apply(x, *params):
    if _inside_unit:
      return bare(x, *params)
    # Half precision: x is narrower than the dtype the rule computes in.
    on_cpu = behind_barrier if unit or x.dtype != work else declared
    if _pinned is not None:
      return (on_cpu if _pinned == "cpu" else on_accelerator)(x, *params)
    return jax.lax.platform_dependent(x, *params, cpu=on_cpu, default=on_accelerator)

  return apply
