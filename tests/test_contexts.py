"""The contract in every compile context (tests/contexts.py): every elementwise row of the
table, value and derivative, in bfloat16, float16, float32 and float64, at the hazard
points (0, every kink and its neighbours, each dtype's overflow and underflow thresholds,
the largest finite values, +-inf, NaN), compiled on a 0-d array, in loop bodies, per
example under vmap, fused with a matmul, under a constant scale, in other layouts, under
checkpoint with every policy and flax's remat, under the other transforms, in a shard_map
body and with a donated buffer.

In each, the result meets the accuracy contract against the float64 reference, and it is
within 4 ULP of the plain jitted vector call (subnormal flush-to-zero aside): the same
program gives the same answer wherever XLA compiles it. ``benchmarks/contexts.py`` runs
the exhaustive version (every finite bfloat16 and float16, a dense float32 sweep).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxact._src import core
from tests import accuracy, contexts
from tests.cases import ELEMENTWISE

ROWS = {case.id: case for case in ELEMENTWISE}
KINKS = tuple(sorted({k for case in ELEMENTWISE for k in case.kinks}))
# The programs that trace a function many times (once per layout, policy or transform)
# run on the first row of each function, the rest on every row; and they trace with the
# CPU's residual policy pinned (core.pinned_policy), which is what XLA keeps of the
# per-backend choice on this machine anyway, without tracing the accelerator branch it
# drops: the suite's time. The accelerator policy has a test of its own below.
HEAVY = (contexts.layouts, contexts.checkpointed, contexts.flax_remat, contexts.transforms)
FIRST_ROWS = {key: case for key, case in ROWS.items()
              if key == next(c.id for c in ELEMENTWISE if c.name == case.name)}


@functools.cache
def points(dtype) -> np.ndarray:
  return contexts.hazard_points(dtype, KINKS)


@functools.cache
def vector_results(dtype) -> contexts.Results:
  return contexts.vector(fns())(points(dtype))


def fns(rows=ROWS) -> contexts.Fns:
  return {key: case.fn for key, case in rows.items()}


def test_rows_have_distinct_ids():
  assert len(ROWS) == len(ELEMENTWISE)


@pytest.mark.parametrize("dtype", accuracy.SWEPT_DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("program", contexts.PROGRAMS, ids=lambda p: p.__name__)
def test_contract_holds_in_every_context(program, dtype):
  x = x_seen = points(dtype)
  vector = vector_results(dtype)
  if program is contexts.scaled:
    x, x_seen, vector = scaled_inputs(x, dtype)
  rows = FIRST_ROWS if program in HEAVY else ROWS
  with core.pinned_policy("cpu") if program in HEAVY else contextlib.nullcontext():
    results = program(fns(rows))(x)
  results = beyond_half_max_left_out(results, vector, dtype)
  failures, cells = contexts.audit(rows, dtype, x_seen, results, vector)
  assert cells >= 2 * len(rows)
  assert not failures, f"{len(failures)} of {cells} cells fail:\n" + "\n".join(failures[:40])


def scaled_inputs(x, dtype):
  """The inputs of the scaled context, the inputs its function sees (x * SCALE_IN, exact
  but for subnormals, which are left out), and the vector call at those."""
  tiny = float(accuracy.finfo(dtype).smallest_normal)
  with np.errstate(invalid="ignore"):
    seen = (x.astype(np.float64) * contexts.SCALE_IN).astype(dtype)
    keep = ~((seen != 0) & (np.abs(seen.astype(np.float64)) < tiny))
  return x[keep], seen[keep], contexts.vector(fns())(seen[keep])


def beyond_half_max_left_out(results, vector, dtype, contexts_scaling=("scaled",),
                             contexts_doubling=("scaled", "broadcast")):
  """Where the program itself scales a result by 2 (the scaled context's value, and the
  derivatives the scaled and broadcast contexts compute as 2 f' before halving it on the
  host), a result past max / 2 overflows in the test's program, not in the function:
  those entries are replaced by the vector call's."""
  limit = float(accuracy.finfo(dtype).max) / 2
  out = {}
  for (key, context), (y, dy) in results.items():
    want_y, want_dy = vector[(key, "vector")]
    if context in contexts_scaling:
      y = np.where(np.abs(want_y.astype(np.float64)) > limit, want_y, y)
    if context in contexts_doubling:
      dy = np.where(np.abs(want_dy.astype(np.float64)) > limit, want_dy, dy)
    out[(key, context)] = (y, dy)
  return out


@pytest.mark.parametrize("program", (contexts.jit_0d, contexts.loops, contexts.fused),
                         ids=lambda p: p.__name__)
def test_accelerator_policy_in_loop_and_fused_contexts(program):
  """The policy TPUs and GPUs trace (the derivative recomputed from x in its own dtype,
  inside jax.checkpoint), pinned on this CPU: bfloat16, the dtype they train in."""
  dtype = accuracy.BFLOAT16
  x = points(dtype)
  with core.pinned_policy("accelerator"):
    vector = contexts.vector(fns())(x)
    results = program(fns())(x)
  failures, cells = contexts.audit(ROWS, dtype, x, results, vector)
  assert cells >= 2 * len(ROWS)
  assert not failures, f"{len(failures)} of {cells} cells fail:\n" + "\n".join(failures[:40])


LEARNABLE = [(case, param) for case in ELEMENTWISE for param in case.learnable]


@dataclasses.dataclass(frozen=True)
class ParameterRow:
  """A learnable parameter's partial derivative, audited as a row's derivative is."""

  case: Any
  param: str

  @property
  def id(self) -> str:
    return f"{self.case.id} d/d{self.param}"

  @property
  def kinks(self):
    return self.case.kinks

  def ref(self, x):
    return self.case.ref(x)

  def ref_grad(self, x):
    return self.case.ref_param_grad(x, self.param)

  @property
  def value(self) -> float:
    if self.param in self.case.params:
      return self.case.params[self.param]
    import jaxact
    return inspect.signature(getattr(jaxact, self.case.name)).parameters[self.param].default

  def fn(self, x, p):
    return self.case.with_params(**{self.param: p})(x)


@pytest.mark.parametrize("dtype", accuracy.SWEPT_DTYPES, ids=lambda d: d.name)
def test_parameter_derivatives_in_a_0d_loop_body(dtype):
  """Every learnable parameter's partial derivative, the parameter a float32 scalar, in
  a lax.map body on 0-d entries, against the vector call (the parameter broadcast to x's
  shape, as tests/evaluate.py has it) and the reference."""
  rows = {row.id: row for row in (ParameterRow(c, p) for c, p in LEARNABLE)}
  x = points(dtype)

  def vector(x):
    out = {}
    for key, row in rows.items():
      p = jnp.full(x.shape, row.value, jnp.float32)
      out[(key, "vector")] = jax.jvp(lambda p, row=row: row.fn(x, p), (p,), (jnp.ones_like(p),))
    return out

  def in_a_loop(x):
    def body(s):
      return {key: jax.value_and_grad(row.fn, argnums=1)(s, jnp.float32(row.value))
              for key, row in rows.items()}
    return {(key, "lax_map"): pair for key, pair in jax.lax.map(body, x).items()}

  want = {k: (np.asarray(y), np.asarray(d)) for k, (y, d) in jax.jit(vector)(x).items()}
  with np.errstate(over="ignore"):  # a float32 partial past a float16's range is inf
    got = {k: (np.asarray(y), np.asarray(d).astype(dtype))
           for k, (y, d) in jax.jit(in_a_loop)(x).items()}
  failures, cells = contexts.audit(rows, dtype, x, got, want)
  assert cells == 2 * len(rows)
  assert not failures, f"{len(failures)} of {cells} cells fail:\n" + "\n".join(failures[:40])


def test_float64_in_every_loop_and_fused_context():
  with jax.enable_x64(True):
    x = contexts.hazard_points(np.float64, KINKS)
    vector = contexts.vector(fns())(x)
    for program in (contexts.jit_0d, contexts.loops, contexts.fused):
      results = program(fns())(x)
      failures, cells = contexts.audit(ROWS, np.float64, x, results, vector)
      assert cells >= 2 * len(ROWS)
      assert not failures, f"{len(failures)} of {cells} cells fail:\n" + "\n".join(failures[:40])


def test_the_audit_can_fail():
  """A result 5 ULP from the vector call's, and one far from the reference, fail."""
  dtype = accuracy.FLOAT32
  x = points(dtype)
  vector = vector_results(dtype)
  key = "gelu(approximate=False)"
  y, dy = vector[(key, "vector")]
  finite = np.isfinite(y) & (np.abs(y.astype(np.float64)) > 1) & (np.abs(y) < 1e30)
  nudged = y.copy()
  nudged[finite] = (y[finite].astype(np.float64) * (1 + 5 * 2.0**-23)).astype(dtype)
  failures, _ = contexts.audit({key: ROWS[key]}, dtype, x, {(key, "nudged"): (nudged, dy)},
                               vector)
  assert any("within 4 ULP of the vector call" in f for f in failures), failures
  wrong = np.where(finite, 2 * dy, dy).astype(dtype)
  failures, _ = contexts.audit({key: ROWS[key]}, dtype, x, {(key, "wrong"): (y, wrong)},
                               vector)
  assert any("derivative" in f and "contract" in f for f in failures), failures
