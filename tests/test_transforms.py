"""Every row under jit, vmap, grad, jvp, jacfwd, jacrev, hessian and checkpoint: the
transforms agree with each other, keep dtype and shape, and do not retrace."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxact._src.testing import accuracy
from tests.cases import ELEMENTWISE, VECTOR, ids
from tests.helpers import each_dtype, each_row, raw_ulps, row_result

POINTS = np.array([-30.0, -7.5, -2.0, -1.0, -0.3, -1e-3, 1e-3, 0.3, 1.0, 2.0, 7.5, 30.0],
                  np.float32)


# Two float32 results that are each within the contract's 8 ULP (a derivative's bound;
# a value's is 5) of the truth differ by at most 16 ULP, 16 * 2^-23 relative, plus twice
# the backward-stable allowance, 2 * 8 * 2^-23 |x q'(x)|, where a conditioning is given.
AGREE = 16 * 2.0**-23


def close(a, b, what, rtol=AGREE, conditioning=None):
  """a == b to rtol, plus a backward-stable allowance 16 eps |x q'(x)| where given."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  allowed = rtol * np.abs(b) + 1e-30
  if conditioning is not None:
    allowed = allowed + 16 * 2.0**-23 * np.abs(conditioning)
  assert np.all(np.abs(a - b) <= allowed), f"{what}: {a} != {b}"


def _first_derivatives(case, x):
  f = case.fn
  return {"jit": f(x), "vmap": jax.vmap(f)(x),
          "jit(vmap(grad))": jax.vmap(jax.grad(f))(x),
          "jvp": jax.jvp(f, (x,), (jnp.ones_like(x),))[1],
          "vjp": jax.vjp(f, x)[1](jnp.ones_like(x))[0],
          "jacfwd": jax.jacfwd(f)(x), "jacrev": jax.jacrev(f)(x),
          "checkpoint": jax.vmap(jax.grad(jax.checkpoint(f)))(x)}


@functools.cache
def first_derivatives() -> dict:
  """Every row's value and first derivative at POINTS under each transform, compiled as
  one program for the table (the eager calls they are compared with are each test's)."""
  return each_row(ELEMENTWISE, _first_derivatives, jnp.asarray(POINTS))


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_first_derivatives_agree(case):
  f = case.fn
  x = jnp.asarray(POINTS)
  x64 = POINTS.astype(np.float64)
  value_conditioning = x64 * accuracy.slope(case.ref, x64)
  got = row_result(first_derivatives(), case)
  eager = f(x)
  close(got["jit"], eager, f"{case.id}: jit vs eager", conditioning=value_conditioning)
  close(got["vmap"], eager, f"{case.id}: vmap vs eager", conditioning=value_conditioning)
  grads = jax.vmap(jax.grad(f))(x)
  # Each transform compiles the rule anew, and XLA may fuse it differently (an FMA here,
  # not there): derivatives agree to the contract's bound plus its backward-stable
  # allowance, as values do (gelu' at -7.5: 63 ULP apart under checkpoint, 2% of it).
  slope_conditioning = x64 * accuracy.slope(case.ref_grad, x64)
  for what, derivative in [
      ("jit(vmap(grad))", got["jit(vmap(grad))"]),
      ("jvp vs grad", got["jvp"]),
      ("vjp vs grad", got["vjp"]),
      ("jacfwd vs grad", np.diag(got["jacfwd"])),
      ("jacrev vs grad", np.diag(got["jacrev"])),
      ("checkpoint", got["checkpoint"])]:
    close(derivative, grads, f"{case.id}: {what}", conditioning=slope_conditioning)
  err = accuracy.measure(grads, case.ref_grad, POINTS, accuracy.FLOAT32, case.kinks)
  assert np.max(err) <= accuracy.BOUNDS[accuracy.FLOAT32][1], (
      f"{case.id}: grad vs reference {np.max(err)} ULP")
  off_diagonal = got["jacfwd"] * (1 - np.eye(x.size, dtype=np.float32))
  assert not np.any(off_diagonal), f"{case.id}: elementwise Jacobian not diagonal"


SMOOTH = [c for c in ELEMENTWISE if c.smooth]
EXTREMES = np.array([-3e38, -1e20, -100.0, 100.0, 1e20, 3e38], np.float32)


def fd_at(case, x64):
  """A float64 estimate of f'' from the reference derivative (its overflow included)."""
  h = 2.0**-20 * np.maximum(np.abs(x64), 1.0)
  with np.errstate(all="ignore"):
    return (case.ref_grad(x64 + h) - case.ref_grad(x64 - h)) / (2 * h)


def _second_derivatives(case, x):
  """At POINTS (the first 12 of x) and at the extremes (the rest, grad of grad alone)."""
  f, points = case.fn, x[:POINTS.size]
  return {"grad(grad)": jax.vmap(jax.grad(jax.grad(f)))(x),
          "hessian": jax.vmap(jax.hessian(f))(points),
          "jacfwd(jacrev)": jax.vmap(jax.jacfwd(jax.jacrev(f)))(points),
          "forward-over-reverse": jax.jvp(jax.grad(f), (points[0],),
                                          (jnp.ones_like(points[0]),))[1]}


@functools.cache
def second_derivatives() -> dict:
  """Every smooth row's second derivative under each transform, one program for the table."""
  return each_row(SMOOTH, _second_derivatives, jnp.asarray(np.concatenate([POINTS, EXTREMES])))


@pytest.mark.parametrize("case", SMOOTH, ids=ids(SMOOTH))
def test_second_derivatives_agree_and_match_reference(case):
  got = row_result(second_derivatives(), case)
  second = got["grad(grad)"][:POINTS.size]
  close(got["hessian"], second, f"{case.id}: hessian vs grad(grad)")
  close(got["jacfwd(jacrev)"], second, f"{case.id}: jacfwd(jacrev)")
  close(got["forward-over-reverse"], second[0], f"{case.id}: forward-over-reverse")
  h = 2.0**-12 * np.maximum(np.abs(POINTS.astype(np.float64)), 1.0)
  x64 = POINTS.astype(np.float64)
  g_plus, g_at, g_minus = (case.ref_grad(x64 + h), case.ref_grad(x64),
                           case.ref_grad(x64 - h))
  fd = (g_plus - g_minus) / (2 * h)
  third = (g_plus - 2 * g_at + g_minus) / h**2
  # Second derivatives are outside the contract's bounds (values and first derivatives):
  # 1e-4 relative covers the central difference's truncation, h^2 |f''''| / 6 with
  # h = 2^-12 max(|x|, 1) (~1e-5 of f'' at |x| = 30), and the float32 evaluation of the
  # slope rules' own derivatives; 1e-6 where f'' ~ 0; plus the error of a
  # backward-stable float32 evaluation, 16 eps |x f'''(x)|.
  allowed = 1e-4 * np.abs(fd) + 1e-6 + 16 * 2.0**-23 * np.abs(x64 * third)
  assert np.all(np.abs(np.asarray(second) - fd) <= allowed), (
      f"{case.id}: second derivative {np.asarray(second)} vs reference {fd}")
  got = got["grad(grad)"][POINTS.size:]
  big = EXTREMES.astype(np.float64)
  with np.errstate(all="ignore"):  # inf only where the true f'' overflows (exponential's)
    overflows = (np.isinf(np.asarray(fd_at(case, big), np.float32))
                 | np.isinf(case.ref_grad(big)))  # f' past float64 itself: so is f''
  assert np.array_equal(~np.isfinite(got), overflows) and not np.isnan(got).any(), (
      f"{case.id}: second derivative {got} at large |x|")


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
@each_dtype
def test_dtype_and_shape_preserved(case, dtype):
  x = jnp.asarray(np.linspace(-3, 3, 24).reshape(2, 3, 4), dtype)
  y = case.fn(x)
  assert y.dtype == dtype and y.shape == x.shape
  g = jax.grad(lambda x: jnp.sum(case.fn(x).astype(jnp.float32)))(x)
  assert g.dtype == dtype and g.shape == x.shape
  scalar = case.fn(jnp.asarray(1.5, dtype))
  assert scalar.shape == () and scalar.dtype == dtype
  assert case.fn(1.5).dtype == jnp.float32


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_float64_stays_float64(case):
  with jax.enable_x64(True):
    x = jnp.linspace(-3, 3, 7, dtype=jnp.float64)
    assert case.fn(x).dtype == jnp.float64
    assert jax.grad(lambda x: jnp.sum(case.fn(x)))(x).dtype == jnp.float64
    assert case.fn(jnp.arange(3)).dtype == jnp.float64


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_no_retracing(case):
  traces = []

  def counted(x):
    traces.append(x.shape)
    return case.fn(x)

  jitted = jax.jit(counted)
  grad = jax.jit(jax.grad(lambda x: jnp.sum(counted(x))))
  for seed in range(3):
    x = jnp.asarray(np.random.default_rng(seed).normal(size=16), jnp.float32)
    jitted(x)
    grad(x)
  assert len(traces) == 2, f"{case.id} traced {len(traces)} times for 6 calls"


def _vector_input(case) -> np.ndarray:
  return np.random.default_rng(0).normal(size=case.input_shape).astype(np.float32)


@functools.cache
def vector_transforms() -> dict:
  """Every function along an axis under jit, jacfwd, jacrev and vmap, one program for the
  table (the eager vjp they are compared with is each test's)."""
  def compute(case, inputs):
    x = inputs[case.id]
    return {"jit": case.fn(x), "jacfwd": jax.jacfwd(case.fn)(x),
            "jacrev": jax.jacrev(case.fn)(x), "vmap": jax.vmap(case.fn)(jnp.stack([x] * 2))}

  return each_row(VECTOR, compute, {case.id: _vector_input(case) for case in VECTOR})


@pytest.mark.parametrize("case", VECTOR, ids=ids(VECTOR))
def test_vector_value_and_vjp_match_reference(case):
  rng = np.random.default_rng(0)
  x = rng.normal(size=case.input_shape).astype(np.float32)
  y, pullback = jax.vjp(case.fn, jnp.asarray(x))
  ct = rng.normal(size=y.shape).astype(np.float32)
  x64, ct64 = x.astype(np.float64), ct.astype(np.float64)
  # The contract: 5 ULP for the value and 8 for the derivative (here the vjp) in float32,
  # plus the error of a backward-stable evaluation near a zero of what is measured.
  want = case.ref(x64)
  err = raw_ulps(y, want, accuracy.FLOAT32, np.ones_like(want),
                 conditioning(case, x64, want.shape))
  assert np.max(err) <= accuracy.BOUNDS[accuracy.FLOAT32][0], f"{case.id}: value {np.max(err)} ULP"
  want = case.ref_vjp(x64, ct64)
  err = raw_ulps(pullback(jnp.asarray(ct))[0], want, accuracy.FLOAT32, np.ones_like(want),
                 vjp_conditioning(case, x64, ct64))
  assert np.max(err) <= accuracy.BOUNDS[accuracy.FLOAT32][1], f"{case.id}: vjp {np.max(err)} ULP"
  got = row_result(vector_transforms(), case)
  close(got["jit"], y, f"{case.id}: jit")
  close(got["jacfwd"], got["jacrev"], f"{case.id}: jacfwd vs jacrev")
  close(got["vmap"][1], y, f"{case.id}: vmap")


def conditioning(case, x64, out_shape) -> np.ndarray:
  """sum_j |x_j dF_i/dx_j| per output i, from the reference's vjp with one-hot
  cotangents: the error a backward-stable evaluation may add is 8 eps times this."""
  out = np.zeros(out_shape)
  with np.errstate(all="ignore"):
    for i in range(out.size):
      onehot = np.zeros(out_shape)
      onehot.flat[i] = 1.0
      row = case.ref_vjp(x64, onehot)
      out.flat[i] = np.sum(np.nan_to_num(np.abs(x64 * row), nan=0.0, posinf=0.0))
  return out


def vjp_conditioning(case, x64, ct64) -> np.ndarray:
  """sum_j |x_j dg/dx_j| + sum_k |ct_k dg/dct_k| for the vjp g(x, ct): how far g moves
  when every input moves by a relative 1 (in x, the smaller one-sided difference of the
  reference's vjp, so that a kink counts as 0; g is linear in ct)."""
  h = 2.0**-20
  at = case.ref_vjp(x64, ct64)
  out = np.zeros_like(at)
  with np.errstate(all="ignore"):
    for j in range(x64.size):
      up, down = x64.copy(), x64.copy()
      up.flat[j] *= 1 + h
      down.flat[j] *= 1 - h
      change = np.minimum(np.abs(case.ref_vjp(up, ct64) - at),
                          np.abs(at - case.ref_vjp(down, ct64))) / h
      out += np.nan_to_num(change, nan=0.0, posinf=0.0)
    for k in range(ct64.size):
      onehot = np.zeros_like(ct64)
      onehot.flat[k] = ct64.flat[k]
      out += np.nan_to_num(np.abs(case.ref_vjp(x64, onehot)), nan=0.0, posinf=0.0)
  return out


@pytest.mark.parametrize("case", VECTOR, ids=ids(VECTOR))
@each_dtype
def test_vector_dtypes_and_limits(case, dtype):
  x = np.random.default_rng(1).normal(size=case.input_shape)
  x.flat[0], x.flat[1] = np.inf, -np.inf
  y = case.fn(jnp.asarray(x, dtype))
  assert y.dtype == dtype
  x64 = x.astype(dtype).astype(np.float64)
  with np.errstate(invalid="ignore"):
    want = case.ref(x64)
  err = accuracy.ulp_error(y, want, np.ones_like(want), conditioning(case, x64, want.shape),
                           dtype)
  assert np.all(err <= accuracy.BOUNDS[np.dtype(dtype)][0]), f"{case.id}: {np.max(err)} ULP"
  nan = np.array(x)
  nan.flat[2] = np.nan
  y, pullback = jax.vjp(case.fn, jnp.asarray(nan, dtype))
  assert np.isnan(np.asarray(y, np.float64)).any(), f"{case.id}: NaN input lost"
  grad = np.asarray(pullback(jnp.ones_like(y))[0], np.float64)
  assert np.isnan(grad).any(), f"{case.id}: NaN input gave no NaN derivative"


def test_get_with_params_is_a_stable_static_argument():
  import jaxact

  traces = []

  def apply(act, x):
    traces.append(act)
    return act(x)

  jitted = jax.jit(apply, static_argnums=0)
  x = jnp.ones(4)
  for _ in range(3):
    jitted(jaxact.get("elu", alpha=0.5), x)
  jitted(jaxact.get("relu"), x)
  assert len(traces) == 2
  assert jaxact.get("elu", alpha=0.5) is jaxact.get("elu", alpha=0.5)
  assert jaxact.get("elu", alpha=0.5) is not jaxact.get("elu", alpha=0.25)
