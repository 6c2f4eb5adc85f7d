"""Hazards of the sigmoidal family: each test shows the naive formula failing where
jaxact is exact (against the float64 reference, in API.md's ULP bounds)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src.testing import accuracy
from jaxact._src.testing.evaluate import value_and_derivative
from jaxact.testing import references as reference
from tests.helpers import F32, assert_exact, each_dtype, grad, ulps

# ----------------------------------------------------------------------------- log_sigmoid


@each_dtype
def test_log_sigmoid_exact_for_large_abs_x(dtype):
  # log(sigmoid(x)): e^-x overflows for x << 0 (-inf instead of x), and 1 + e^-x rounds
  # to 1 for x >> 0 (0 instead of -e^-x).
  big = 60000.0 if dtype == accuracy.FLOAT16 else 1e30
  x = np.array([-big, -200.0, -100.0, -20.0, -12.0, 5.0, 10.0, 20.0, 30.0, 80.0]).astype(dtype)
  xj = jnp.asarray(x)
  with np.errstate(all="ignore"):
    naive = jnp.log(1 / (1 + jnp.exp(-xj)))
  assert np.any(ulps(naive, reference.log_sigmoid, x, dtype) > 1e3)
  y, dy = value_and_derivative(jaxact.log_sigmoid, x)
  assert_exact(y, reference.log_sigmoid, x, dtype)
  assert_exact(dy, reference.log_sigmoid_grad, x, dtype, derivative=True)


def test_log_sigmoid_derivative_from_output_uses_expm1():
  # sigmoid(-x) = 1 - e^y: as 1 - exp(y) it cancels to 0 once y rounds near 0- (x >> 0).
  x = np.array([8.0, 10.0, 17.0, 20.0, 50.0, 70.0], np.float32)
  y = jaxact.log_sigmoid(jnp.asarray(x))
  naive = 1 - jnp.exp(y)
  assert np.all(ulps(naive, reference.log_sigmoid_grad, x, F32) > 8)
  assert_exact(grad(jaxact.log_sigmoid)(jnp.asarray(x)), reference.log_sigmoid_grad, x, F32,
               derivative=True)


@each_dtype
def test_log_sigmoid_limits(dtype):
  x = np.array([-np.inf, np.inf, np.nan]).astype(dtype)
  y, dy = value_and_derivative(jaxact.log_sigmoid, x)
  np.testing.assert_array_equal(y.astype(np.float64)[:2], [-np.inf, 0.0])
  np.testing.assert_array_equal(dy.astype(np.float64)[:2], [1.0, 0.0])
  assert np.isnan(y.astype(np.float64)[2]) and np.isnan(dy.astype(np.float64)[2])


# ----------------------------------------------------------------------------- hard_sigmoid


def test_hard_sigmoid_no_cancellation_near_minus_three():
  # x / 6 + 1/2 cancels as x -> -3 (relative error up to 2^-3 there: within API.md's
  # backward-stable allowance, but needless); in (x + 3) / 6, x + 3 is exact (Sterbenz)
  # and only the division (which XLA may turn into a product by 1/6) rounds.
  x = (np.float32(-3) + np.arange(1, 65, dtype=np.float32) * np.float32(2**-21))
  want = reference.hard_sigmoid(x.astype(np.float64)).astype(np.float32)
  naive = np.asarray(jnp.asarray(x) / 6 + 0.5)
  assert np.max(np.abs(naive / want - 1)) > 2**-6
  got = np.asarray(jaxact.hard_sigmoid(jnp.asarray(x)))
  assert np.max(np.abs(got / want - 1)) <= 2**-23


def test_hard_sigmoid_just_below_three():
  # In float32, x + 3 rounds to 6 just below x = 3, so the plain formula gives y = 1 and
  # an output-based rule (0 < y < 1) would give 0 where the slope is 1/6. jaxact holds y
  # at the float below 1 there (within 1 ULP), so its output-based rule stays right.
  x = np.nextafter(np.float32(3), np.float32(0))
  naive = jnp.clip(jnp.asarray(x) + 3, 0, 6) / 6
  assert float(naive) == 1.0
  y = jaxact.hard_sigmoid(jnp.asarray(x))
  assert float(y) == np.nextafter(np.float32(1), np.float32(0))
  assert float(jax.grad(jaxact.hard_sigmoid)(jnp.asarray(x))) == np.float32(1 / 6)
  assert float(jax.grad(jaxact.hard_sigmoid)(jnp.float32(3))) == 0.0
  assert float(jaxact.hard_sigmoid(jnp.asarray(x, jnp.bfloat16))) == 1.0


@pytest.mark.parametrize("fn", [jaxact.hard_sigmoid, jaxact.sparse_sigmoid],
                         ids=["hard_sigmoid", "sparse_sigmoid"])
@each_dtype
def test_clamps_propagate_nan(fn, dtype):
  x = jnp.asarray(np.array([np.nan, -5.0, 0.0, 5.0]).astype(dtype))
  # A `where`-based clamp drops NaN; jax.nn's derivative at NaN is 0.
  naive = jnp.where(x > -3, jnp.where(x < 3, (x + 3) / 6, 1), 0)
  assert float(naive[0]) == 0.0
  assert float(grad(getattr(jax.nn, fn.__name__))(x.astype(jnp.float32))[0]) == 0.0
  y, dy = value_and_derivative(fn, np.asarray(x))
  assert np.isnan(y.astype(np.float64)[0]) and np.isnan(dy.astype(np.float64)[0])
  assert not np.any(np.isnan(y.astype(np.float64)[1:]))


def test_kink_conventions_differ_from_jax_nn_only_for_sparse_sigmoid():
  three = jnp.array([-3.0, 3.0])
  one = jnp.array([-1.0, 1.0])
  np.testing.assert_array_equal(grad(jaxact.hard_sigmoid)(three), [0.0, 0.0])
  np.testing.assert_array_equal(grad(jax.nn.hard_sigmoid)(three), [0.0, 0.0])
  np.testing.assert_array_equal(grad(jaxact.sparse_sigmoid)(one), [0.0, 0.0])
  np.testing.assert_array_equal(grad(jax.nn.sparse_sigmoid)(one), [0.25, 0.25])
  inside = jnp.array([-0.999, 0.0, 0.999])
  np.testing.assert_array_equal(grad(jaxact.sparse_sigmoid)(inside), [0.5, 0.5, 0.5])


# ----------------------------------------------------------------------------- soft_sign


def test_soft_sign_derivative_exact_at_large_abs_x():
  # The automatic derivative of x / (1 + |x|) is 1/(1+|x|) - |x|/(1+|x|)^2: it cancels
  # (jax.nn's is ~700x too large at -1e10 in float32).
  x = np.array([-1e10, -3e7, 1e5, 1e8, 1e10, 1e15], np.float32)
  naive = grad(jax.nn.soft_sign)(jnp.asarray(x))
  err = ulps(naive, reference.soft_sign_grad, x, F32)
  assert np.all(err > 8)
  assert float(naive[0]) > 100 * reference.soft_sign_grad(-1e10)
  assert_exact(grad(jaxact.soft_sign)(jnp.asarray(x)), reference.soft_sign_grad, x, F32,
               derivative=True)


@each_dtype
def test_soft_sign_no_overflow_and_limits(dtype):
  # (1 + |x|)^2 overflows past 1.8e19 in float32 (the derivative underflows to 0, which
  # is right); x / (1 + |x|) is inf / inf = NaN at +-inf.
  top = float(accuracy.finfo(dtype).max)
  x = np.array([-top, -1e19, -2e19, 1e20, top])
  x = np.concatenate([x[np.abs(x) <= top], [-np.inf, np.inf]]).astype(dtype)
  xj = jnp.asarray(x)
  assert np.all(np.isnan(np.asarray(xj / (1 + jnp.abs(xj)), np.float64)[-2:]))
  y, dy = value_and_derivative(jaxact.soft_sign, x)
  finite = np.isfinite(x.astype(np.float64))
  assert_exact(y[finite], reference.soft_sign, x[finite], dtype)
  assert_exact(dy[finite], reference.soft_sign_grad, x[finite], dtype, derivative=True)
  np.testing.assert_array_equal(y.astype(np.float64)[-2:], [-1.0, 1.0])
  np.testing.assert_array_equal(dy.astype(np.float64)[-2:], [0.0, 0.0])
  second = grad(grad(jaxact.soft_sign))(jnp.asarray(x.astype(np.float32)))
  assert np.all(np.isfinite(np.asarray(second)))
