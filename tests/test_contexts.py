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

import functools

import jax
import numpy as np
import pytest

from tests import accuracy, contexts
from tests.cases import ELEMENTWISE

ROWS = {case.id: case for case in ELEMENTWISE}
KINKS = tuple(sorted({k for case in ELEMENTWISE for k in case.kinks}))
# The programs that trace a function many times (once per layout, policy or transform)
# run on the first row of each function, the rest on every row, to keep the suite's time.
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
  results = program(fns(rows))(x)
  if program is contexts.scaled:
    results = unscalable_left_out(results, vector, dtype)
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


def unscalable_left_out(results, vector, dtype):
  """The scaled context's values where the vector call's exceed max / SCALE_OUT (their
  scaled value overflows in the program) replaced by the vector call's."""
  limit = float(accuracy.finfo(dtype).max) / contexts.SCALE_OUT
  out = {}
  for (key, context), (y, dy) in results.items():
    want = vector[(key, "vector")][0]
    out[(key, context)] = (np.where(np.abs(want.astype(np.float64)) > limit, want, y), dy)
  return out


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
  finite = np.isfinite(y) & (np.abs(y.astype(np.float64)) > 1)
  nudged = y.copy()
  nudged[finite] = (y[finite].astype(np.float64) * (1 + 5 * 2.0**-23)).astype(dtype)
  failures, _ = contexts.audit({key: ROWS[key]}, dtype, x, {(key, "nudged"): (nudged, dy)},
                               vector)
  assert any("within 4 ULP of the vector call" in f for f in failures), failures
  wrong = np.where(finite, 2 * y, y).astype(dtype)
  failures, _ = contexts.audit({key: ROWS[key]}, dtype, x, {(key, "wrong"): (y, wrong)},
                               vector)
  assert any("derivative" in f and "contract" in f for f in failures), failures
