"""Each backend's residual policy (``jaxact/_src/core.py``), checked on this CPU.

On accelerators the backward pass recomputes the derivative from ``x`` in its own dtype;
on CPU it keeps what each rule declares. ``jax.lax.platform_dependent`` chooses when a
step is lowered, so on a CPU only ``core.pinned_policy`` reaches the accelerator branch:
here it is held to the same contract (every finite bfloat16 input, value and derivative;
float32 transforms and second derivatives), and what it keeps is read off the residuals
of ``jax.vjp``. What XLA then keeps on a TPU is measured by ``benchmarks/memory_tpu.py``
and compiled in ``tests/test_tpu_aot.py``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxact._src.testing import accuracy
from tests.cases import ELEMENTWISE, VECTOR, ids
from tests.helpers import each_row, kept, pinned, row_result

GATED = [c for c in VECTOR if c.name in ("glu", "reglu", "geglu", "swiglu")]
SMOOTH = [c for c in ELEMENTWISE if c.smooth]
POINTS = np.array([-30.0, -7.5, -2.0, -1.0, -0.3, -1e-3, 1e-3, 0.3, 1.0, 2.0, 7.5, 30.0],
                  np.float32)


def _pullback_of_ones(fn, x):
  """(fn(x), f'(x)): the vjp with a cotangent of ones, as the checker's sweep has it."""
  y, pullback = jax.vjp(fn, x)
  return y, pullback(jnp.ones_like(y))[0]


@functools.cache
def _every_bfloat16() -> dict:
  """Every row's value and derivative on every finite bfloat16, traced with the
  accelerator's policy pinned: one program for the table."""
  x = accuracy.every_finite(np.dtype(jnp.bfloat16))
  return pinned("accelerator", each_row, ELEMENTWISE,
                lambda case, x: _pullback_of_ones(case.fn, x), x)


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_accelerator_policy_exact_on_every_bfloat16(case):
  dtype = np.dtype(jnp.bfloat16)
  x = accuracy.every_finite(dtype)
  y, dy = row_result(_every_bfloat16(), case)
  assert y.dtype == dy.dtype == dtype
  value_bound, derivative_bound = accuracy.BOUNDS[dtype]
  value_err = accuracy.measure(y, case.ref, x, dtype, case.kinks)
  assert np.max(value_err) <= value_bound, f"{case.id}: value {np.max(value_err)} ULP"
  derivative_err = accuracy.measure(dy, case.ref_grad, x, dtype, case.kinks)
  assert np.max(derivative_err) <= derivative_bound, (
      f"{case.id}: derivative {np.max(derivative_err)} ULP")


@functools.cache
def _forward_and_second() -> dict:
  """Every smooth row's jvp and per-point Hessian at POINTS, the accelerator's policy
  pinned: one program for the table."""
  def compute(case, x):
    f = case.fn
    return jax.jvp(f, (x,), (jnp.ones_like(x),))[1], jax.vmap(jax.hessian(f))(x)

  return pinned("accelerator", each_row, SMOOTH, compute, jnp.asarray(POINTS))


@pytest.mark.parametrize("case", SMOOTH, ids=ids(SMOOTH))
def test_accelerator_policy_forward_mode_and_second_derivatives(case):
  tangent, second = row_result(_forward_and_second(), case)
  err = accuracy.measure(tangent, case.ref_grad, POINTS, accuracy.FLOAT32, case.kinks)
  assert np.max(err) <= accuracy.BOUNDS[accuracy.FLOAT32][1], f"{case.id}: jvp {np.max(err)} ULP"
  # The second derivative against a central difference of the float64 derivative, to the
  # tolerance test_transforms derives for it (1e-4 relative, 1e-6 absolute, plus the
  # backward-stable allowance 16 eps |x f3(x)|, f3 the third derivative).
  x64 = POINTS.astype(np.float64)
  h = 2.0**-12 * np.maximum(np.abs(x64), 1.0)
  up, at, down = case.ref_grad(x64 + h), case.ref_grad(x64), case.ref_grad(x64 - h)
  fd, third = (up - down) / (2 * h), (up - 2 * at + down) / h**2
  allowed = 1e-4 * np.abs(fd) + 1e-6 + 16 * 2.0**-23 * np.abs(x64 * third)
  assert np.all(np.abs(second - fd) <= allowed), f"{case.id}: hessian {second} vs {fd}"


def _input(case, dtype):
  shape = getattr(case, "input_shape", (4, 6))
  return jnp.asarray(np.linspace(-3, 3, int(np.prod(shape))).reshape(shape), dtype)


@functools.cache
def _kept(dtype) -> dict:
  """What the backward pass of every row keeps, traced with the accelerator's policy
  pinned (one pinning for the table): ``{id: residuals}``, or the exception raised."""
  def every_row():
    out = {}
    for case in ELEMENTWISE + GATED:
      try:
        out[case.id] = kept(case.fn, _input(case, dtype))
      except Exception as e:  # noqa: BLE001 - the row's test raises it
        out[case.id] = e
    return out

  return pinned("accelerator", every_row)


@pytest.mark.parametrize("case", ELEMENTWISE + GATED, ids=ids(ELEMENTWISE + GATED))
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bfloat16", "float16"])
def test_accelerator_policy_keeps_the_input_in_its_own_dtype(case, dtype):
  x = _input(case, dtype)
  big = [leaf for leaf in row_result(_kept(dtype), case) if leaf.size >= x.size // 2]
  assert all(leaf.dtype == dtype for leaf in big), (
      f"{case.id}: keeps {[(leaf.dtype, leaf.shape) for leaf in big]} for a {x.dtype} x")
  assert sum(leaf.nbytes for leaf in big) <= x.nbytes, (
      f"{case.id}: keeps {[(leaf.dtype, leaf.shape) for leaf in big]}, more than x")


def test_cpu_policy_keeps_a_half_precision_input_alone_too():
  """On CPU, a half-precision layer and a gated unit recompute behind a barrier: what
  they keep is their inputs, in their own dtype (as on accelerators)."""
  from jaxact._src import core

  wrong = []
  jax.clear_caches()
  try:
    with core.pinned_policy("cpu"):
      for case in ELEMENTWISE + GATED:  # float16 takes the same path (x narrower than work)
        shape = getattr(case, "input_shape", (4, 6))
        x = jnp.asarray(np.linspace(-3, 3, int(np.prod(shape))).reshape(shape), jnp.bfloat16)
        big = [leaf for leaf in kept(case.fn, x) if leaf.size >= x.size // 2]
        if (any(leaf.dtype != x.dtype for leaf in big)
            or sum(leaf.nbytes for leaf in big) > x.nbytes):
          wrong.append((case.id, [(leaf.dtype, leaf.shape) for leaf in big]))
  finally:
    jax.clear_caches()
  assert not wrong, wrong


@pytest.mark.parametrize("case", GATED, ids=ids(GATED))
def test_cpu_policy_keeps_a_float32_units_inputs_alone(case):
  x = jnp.asarray(np.linspace(-3, 3, 24).reshape(4, 6), jnp.float32)
  big = [leaf for leaf in pinned("cpu", kept, case.fn, x) if leaf.size >= x.size // 2]
  assert sum(leaf.nbytes for leaf in big) <= x.nbytes, [(leaf.dtype, leaf.shape) for leaf in big]


def test_cpu_policy_keeps_a_float32_derivative_here():
  """The checks above can fail: in float32 on CPU a tied rule keeps its derivative,
  not x."""
  swish = next(c for c in ELEMENTWISE if c.name == "swish")
  x = jnp.linspace(-3, 3, 24, dtype=jnp.float32).reshape(4, 6)
  big = [leaf for leaf in pinned("cpu", kept, swish.fn, x) if leaf.size == x.size]
  assert big and not any(np.array_equal(leaf, x) for leaf in big)
