"""The contract in every compile context (the public checker's,
``jaxact.testing.check_contexts``): every elementwise function of the table (its first
row: its default parameters), value and derivative, at the hazard points (0, every kink
and its neighbours, each dtype's overflow and underflow thresholds, the largest finite
values, +-inf, NaN), compiled on a 0-d array, in loop bodies, per example under vmap,
fused with a matmul, under a constant scale, in other layouts, under checkpoint with
every policy and flax's remat, under the other transforms, in a shard_map body and with
a donated buffer: every context in float32, the 0-d, loop and fused ones in bfloat16
too, a 0-d loop body in float64, the accelerator's residual policy in loop bodies, and
every learnable parameter's partial derivative in a 0-d loop body.

In each, the result meets the accuracy contract against the float64 reference, and it is
within 4 ULP of the plain jitted vector call (subnormal flush-to-zero aside): the same
program gives the same answer wherever XLA compiles it. ``benchmarks/contexts.py`` (a
script, not run by CI) audits every row of the table in every context and dtype the
same way, and sweeps every finite bfloat16 and float16 and 80,000 float32 values in a
0-d loop body and fused.
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

import jaxact
from jaxact import testing
from jaxact._src import core
from jaxact._src.testing import accuracy, contexts
from jaxact.testing import references as reference
from tests.cases import ELEMENTWISE

ROWS = {case.id: case for case in ELEMENTWISE}
KINKS = tuple(sorted({k for case in ELEMENTWISE for k in case.kinks}))
# The suite audits the first row of each function (its default parameters) in every
# context; benchmarks/contexts.py, a script (not run by CI), audits every
# row the same way (the checker's context audit, the same programs). The programs that
# trace a function many times (once per layout, policy or transform) trace with the
# CPU's residual policy pinned (core.pinned_policy), which is what XLA keeps of the
# per-backend choice on this machine anyway, without tracing the accelerator branch it
# drops. The accelerator policy has a test of its own below.
HEAVY = (contexts.layouts, contexts.checkpointed, contexts.flax_remat, contexts.transforms)
FIRST_ROWS = {key: case for key, case in ROWS.items()
              if key == next(c.id for c in ELEMENTWISE if c.name == case.name)}


@functools.cache
def points(dtype) -> np.ndarray:
  return contexts.hazard_points(dtype, KINKS)


def fns(rows=None) -> contexts.Fns:
  rows = FIRST_ROWS if rows is None else rows
  return {key: case.fn for key, case in rows.items()}


def test_rows_have_distinct_ids():
  assert len(ROWS) == len(ELEMENTWISE)


# Every context in float32; the 0-d, loop and fused contexts in bfloat16 too (float16
# compiles to the same float32 code). benchmarks/contexts.py runs every dtype.
PROGRAMS = {accuracy.FLOAT32: contexts.PROGRAMS,
            accuracy.BFLOAT16: (contexts.jit_0d, contexts.loops, contexts.fused)}


def pinned(program):
  return core.pinned_policy("cpu") if program in HEAVY else contextlib.nullcontext()


@pytest.mark.parametrize("dtype", list(PROGRAMS), ids=lambda d: d.name)
def test_contract_holds_in_every_context(dtype):
  """The public checker's context audit of every program of the dtype in one call (the
  vector call they are compared with computed once), every function compiled into each
  program."""
  programs = PROGRAMS[dtype]
  reports = testing.check_contexts(fns(), {key: case.reference for key, case in
                                           FIRST_ROWS.items()}, dtype, programs=programs,
                                   policy=pinned, points=points(dtype))
  cells = [c for r in reports.values() for c in r.cells]
  failures = [f"{key}: {c}" for key, r in reports.items() for c in r.failures]
  # each program gives each function at least a value and a derivative cell
  assert len(cells) >= 2 * len(FIRST_ROWS) * len(programs)
  assert len({c.check for c in cells}) >= len(programs)
  assert not failures, (f"{len(failures)} of {len(cells)} cells fail:\n"
                        + "\n".join(failures[:40]))


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


@pytest.mark.parametrize("dtype", [accuracy.FLOAT32, accuracy.BFLOAT16], ids=lambda d: d.name)
def test_parameter_derivatives_in_a_0d_loop_body(dtype):
  """Every learnable parameter's partial derivative, the parameter a float32 scalar, in
  a lax.map body on 0-d entries, against the vector call (the parameter broadcast to x's
  shape, as the checker's evaluate.param_derivative has it) and the reference."""
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


def test_float64_in_a_0d_loop_body():
  with jax.enable_x64(True):
    x = contexts.hazard_points(np.float64, KINKS)
    vector = contexts.vector(fns())(x)
    for program in (contexts.map_0d,):
      results = program(fns())(x)
      failures, cells = contexts.audit(FIRST_ROWS, np.float64, x, results, vector)
      assert cells >= 2 * len(FIRST_ROWS)
      assert not failures, f"{len(failures)} of {cells} cells fail:\n" + "\n".join(failures[:40])


def test_the_audit_can_fail():
  """A result 5 ULP from the vector call's, and one far from the reference, fail."""
  dtype = accuracy.FLOAT32
  x = points(dtype)
  key = "gelu(approximate=True)"
  vector = contexts.vector({key: ROWS[key].fn})(x)
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


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16], ids=lambda d: d.__name__)
def test_squareplus_at_1e20_on_a_0d_array_and_in_loops(dtype):
  """The reported inputs: NaN, value and gradient, where a vector call gave 1e20 and 1."""
  x = jnp.asarray(1e20, dtype)
  value_and_grad = jax.value_and_grad(jaxact.squareplus)
  loops = {"jit": jax.jit(value_and_grad)(x),
           "lax.map": jax.jit(lambda v: jax.lax.map(value_and_grad, v))(x[None]),
           "scan": jax.jit(lambda v: jax.lax.scan(lambda c, s: (c, value_and_grad(s)), 0, v)[1])(
               x[None]),
           "fori_loop": jax.jit(lambda s: jax.lax.fori_loop(
               0, 1, lambda i, c: value_and_grad(s), (s, s)))(x)}
  for where, (y, dy) in loops.items():
    assert float(np.ravel(y)[0]) == float(x), (where, y)
    assert float(np.ravel(dy)[0]) == 1.0, (where, dy)


def test_squareplus_at_float16_inf_on_a_0d_array():
  y, dy = jax.jit(jax.value_and_grad(jaxact.squareplus))(jnp.float16(np.inf))
  assert float(y) == np.inf and float(dy) == 1.0, (y, dy)


def test_exact_gelu_at_minus_7_5_on_a_0d_array():
  """-2.39316875e-13 (mpmath); a 0-d call gave -2.39317301e-13, 15.7 ULP off, where the
  vector call is 0.3 ULP off (both within the contract's backward-stable allowance, so
  the plain ULP distance is what is checked)."""
  def gelu(x):
    return jaxact.gelu(x, approximate=False)

  want = np.float64(reference.gelu(np.float64(-7.5), approximate=False))
  vector = jax.jit(gelu)(jnp.float32([-7.5, -7.5]))[0]
  for where, got in (("jit", jax.jit(gelu)(jnp.float32(-7.5))),
                     ("lax.map", jax.jit(lambda v: jax.lax.map(gelu, v))(jnp.float32([-7.5])))):
    got = np.ravel(np.asarray(got))
    apart = contexts.ulps_apart(got, np.ravel(np.asarray(vector)), accuracy.FLOAT32)
    off = np.abs(got.astype(np.float64) - want) / accuracy.ulp(np.array([want]),
                                                                   accuracy.FLOAT32)
    assert apart.max() <= 4 and off.max() <= 2, (where, float(got[0]), want, apart, off)
