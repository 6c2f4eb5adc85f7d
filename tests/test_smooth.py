"""Hazards of the smooth rectifiers (softplus, sparse_plus, squareplus): each test shows
the naive formula failing where jaxact is exact (against the float64 reference, in
API.md's ULP bounds)."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src import core
from jaxact._src.testing import accuracy
from jaxact._src.testing.evaluate import param_derivative, value_and_derivative
from jaxact.testing import references as reference
from tests.helpers import F32, assert_exact, each_dtype, grad, ulps

# ----------------------------------------------------------------------------- softplus


@pytest.mark.parametrize("beta", [1.0, 10.0])
def test_softplus_does_not_overflow(beta):
  # log1p(exp(beta x)) / beta is inf once beta x > 88 in float32.
  x = (np.array([89.0, 100.0, 1e4, 1e30]) / beta).astype(np.float32)
  naive = jnp.log1p(jnp.exp(beta * jnp.asarray(x))) / beta
  assert np.all(np.isinf(np.asarray(naive)))
  y, dy = value_and_derivative(lambda x: jaxact.softplus(x, beta), x)
  assert_exact(y, lambda z: reference.softplus(z, beta), x, F32)
  assert_exact(dy, lambda z: reference.softplus_grad(z, beta), x, F32, derivative=True)


def test_softplus_where_beta_x_overflows():
  # beta x = inf for finite x: the stable (max(z, 0) + log1p(e^-|z|)) / beta is still
  # inf / beta = inf; the value is x, the derivative 1, d/dbeta 0.
  beta = 10.0
  x = np.array([1e38, 3e38, float(np.finfo(np.float32).max)], np.float32)
  z = beta * jnp.asarray(x)
  stable_but_divided = (jnp.maximum(z, 0) + jnp.log1p(jnp.exp(-jnp.abs(z)))) / beta
  assert np.all(np.isinf(np.asarray(stable_but_divided)))
  y, dy = value_and_derivative(lambda x: jaxact.softplus(x, beta), x)
  np.testing.assert_array_equal(y, x)
  np.testing.assert_array_equal(dy, [1.0, 1.0, 1.0])
  d_beta = param_derivative(lambda x, beta: jaxact.softplus(x, beta), x, "beta", beta, F32)
  np.testing.assert_array_equal(d_beta, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", [accuracy.BFLOAT16, accuracy.FLOAT16],
                         ids=["bfloat16", "float16"])
def test_softplus_beta_keeps_its_float32_precision_on_half_inputs(dtype):
  # A float32 beta rounded to the input's precision first is off by up to 2^-9
  # (bfloat16) relative, amplified |beta x| times where softplus ~ e^(beta x) / beta.
  beta = np.float32(1 + 3 * 2.0**-12)
  x = np.linspace(-15, 5, 81).astype(dtype)
  beta64 = float(beta)
  rounded = jnp.asarray(beta).astype(dtype)
  naive = jaxact.softplus(jnp.asarray(x), rounded)
  assert np.any(ulps(naive, lambda z: reference.softplus(z, beta64), x, dtype) > 1)
  y, dy = value_and_derivative(lambda x: jaxact.softplus(x, jnp.asarray(beta)), x)
  assert_exact(y, lambda z: reference.softplus(z, beta64), x, dtype)
  assert_exact(dy, lambda z: reference.softplus_grad(z, beta64), x, dtype, derivative=True)


@pytest.mark.parametrize("beta", [1.0, 10.0, 0.1])
def test_softplus_derivative_from_output_uses_expm1(beta):
  # sigmoid(beta x) = 1 - e^(-beta y): as 1 - exp(-beta y) it cancels to 0 for beta x << 0.
  x = (np.array([-8.0, -17.0, -20.0, -40.0, -60.0]) / beta).astype(np.float32)
  y = jaxact.softplus(jnp.asarray(x), beta)
  naive = 1 - jnp.exp(-beta * y)
  assert np.all(ulps(naive, lambda z: reference.softplus_grad(z, beta), x, F32) > 8)
  got = grad(lambda x: jaxact.softplus(x, beta))(jnp.asarray(x))
  assert_exact(got, lambda z: reference.softplus_grad(z, beta), x, F32, derivative=True)


@pytest.mark.parametrize("beta", [1.0, 10.0, 0.1])
def test_softplus_beta_derivative_does_not_cancel(beta):
  # (x sigmoid(beta x) - softplus(x)) / beta is a difference of nearly equal terms once
  # |beta x| is large: the result, O(e^-|beta x|), is lost.
  x = (np.array([15.0, 20.0, 30.0, 60.0]) / beta).astype(np.float32)
  xj = jnp.asarray(x)
  naive = (xj * jax.nn.sigmoid(beta * xj) - jaxact.softplus(xj, beta)) / beta

  def want(z):
    return reference.softplus_param_grads(z, beta)["beta"]

  assert np.all(ulps(naive, want, x, F32) > 8)
  got = param_derivative(lambda x, beta: jaxact.softplus(x, beta), x, "beta", beta, F32)
  assert_exact(got, want, x, F32, derivative=True)


@each_dtype
@pytest.mark.parametrize("beta", [1.0, 10.0, 0.1])
def test_softplus_limits(beta, dtype):
  x = np.array([np.inf, -np.inf, np.nan]).astype(dtype)
  y, dy = value_and_derivative(lambda x: jaxact.softplus(x, beta), x)
  np.testing.assert_array_equal(y.astype(np.float64)[:2], [np.inf, 0.0])
  np.testing.assert_array_equal(dy.astype(np.float64)[:2], [1.0, 0.0])
  assert np.isnan(y.astype(np.float64)[2]) and np.isnan(dy.astype(np.float64)[2])


def test_softplus_beta_zero_is_an_error():
  with pytest.raises(ValueError, match=re.escape("jaxact.softplus: beta must be nonzero; "
                                                 "got 0.0.")):
    jaxact.softplus(jnp.ones(3), 0.0)
  # Traced (learnable) values are not checked.
  jax.jit(jaxact.softplus)(jnp.ones(3), 0.5)


# ----------------------------------------------------------------------------- sparse_plus


@each_dtype
def test_sparse_plus_pieces_and_continuous_derivative(dtype):
  x = np.array([-np.inf, -5.0, -1.0, -0.5, 0.0, 0.5, 1.0, 5.0, np.inf]).astype(dtype)
  y, dy = value_and_derivative(jaxact.sparse_plus, x)
  np.testing.assert_array_equal(y.astype(np.float64),
                                [0.0, 0.0, 0.0, 0.0625, 0.25, 0.5625, 1.0, 5.0, np.inf])
  np.testing.assert_array_equal(dy.astype(np.float64),
                                [0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0])


@pytest.mark.parametrize("dtype", [accuracy.FLOAT16, F32], ids=["float16", "float32"])
def test_sparse_plus_unselected_branch_does_not_overflow(dtype):
  # The derivative (x + 1) / 2 of the square overflows past 32752 in float16 and 1.7e38
  # in float32: in a `where` the unselected branch's inf * 0 is NaN (so is jax.nn's).
  big = 40000.0 if dtype == accuracy.FLOAT16 else 3e38
  x = np.array([big, -big, np.inf, -np.inf]).astype(dtype)
  assert np.all(np.isnan(np.asarray(grad(jax.nn.sparse_plus)(jnp.asarray(x)), np.float64)))
  y, dy = value_and_derivative(jaxact.sparse_plus, x)
  np.testing.assert_array_equal(y.astype(np.float64), [float(x[0]), 0.0, np.inf, 0.0])
  np.testing.assert_array_equal(dy.astype(np.float64), [1.0, 0.0, 1.0, 0.0])
  y, dy = value_and_derivative(jaxact.sparse_plus, np.array([np.nan], np.float32))
  assert np.isnan(y[0]) and np.isnan(dy[0])


# ----------------------------------------------------------------------------- squareplus


@pytest.mark.parametrize("b", [4.0, 1.0])
def test_squareplus_no_cancellation_for_negative_x(b):
  # x + sqrt(x^2 + b) cancels for x << 0 (0 from x ~ -8192 in float32).
  x = np.array([-1e2, -1e3, -1e4, -1e6, -1e15], np.float32)
  assert np.all(ulps(jax.nn.squareplus(jnp.asarray(x), b),
                     lambda z: reference.squareplus(z, b), x, F32) > 5)
  y, dy = value_and_derivative(lambda x: jaxact.squareplus(x, b), x)
  assert_exact(y, lambda z: reference.squareplus(z, b), x, F32)
  assert_exact(dy, lambda z: reference.squareplus_grad(z, b), x, F32, derivative=True)


@pytest.mark.parametrize("b", [4.0, 1.0])
def test_squareplus_square_does_not_overflow(b):
  # x^2 overflows past ~1.8e19 in float32: inf for x >> 0 and for x << 0.
  top = float(np.finfo(np.float32).max)
  x = np.array([-top, -1e30, -1e20, 1e20, 1e30, top], np.float32)
  assert np.all(np.isinf(np.asarray(jax.nn.squareplus(jnp.asarray(x), b))[1:-1]))
  y, dy = value_and_derivative(lambda x: jaxact.squareplus(x, b), x)
  assert_exact(y, lambda z: reference.squareplus(z, b), x, F32)
  assert_exact(dy, lambda z: reference.squareplus_grad(z, b), x, F32, derivative=True)
  second = grad(grad(lambda x: jaxact.squareplus(x, b)))(jnp.asarray(x))
  assert np.all(np.isfinite(np.asarray(second)))


@pytest.mark.parametrize("b", [4.0, 1.0])
def test_squareplus_derivative_does_not_cancel(b):
  # (1 + x / s) / 2, s = sqrt(x^2 + b), cancels for x << 0: in float32 (NumPy, IEEE
  # rounding: the same on every machine) it is off by > 8 ULP at -1e3 and 0 from -1e5
  # (at -1e18 the truth, b / 4e36, is below what the contract counts).
  x = np.array([-1e3, -1e5, -1e10, -1e15, -1e18], np.float32)
  fb = np.float32(b)
  naive = (np.float32(1) + x / np.sqrt(x * x + fb)) / np.float32(2)
  assert naive.dtype == np.float32 and np.all(naive[1:] == 0)
  assert np.all(ulps(naive[:-1], lambda z: reference.squareplus_grad(z, b), x[:-1], F32) > 8)
  got = grad(lambda x: jaxact.squareplus(x, b))(jnp.asarray(x))
  assert_exact(got, lambda z: reference.squareplus_grad(z, b), x, F32, derivative=True)


def test_squareplus_value_costs_what_jax_nns_does():
  # XLA's TPU compiler recomputes an activation's output in the backward pass only while
  # the fusion computing it is cheap. The overflow-safe formula with a second division
  # (r = sqrt(b) / |x|) was not: a bfloat16 MLP block compiled for a TPU v5e kept a
  # float32 output, 2x jax.nn's temporary memory (benchmarks/cost_tpu.py). The value
  # has the square roots and divisions of jax.nn's formula, and no more.
  def counts(fn):
    text = str(jax.make_jaxpr(fn)(jnp.ones(8, jnp.bfloat16)))
    return {op: len(re.findall(rf"\b{op}\b", text)) for op in ("sqrt", "rsqrt", "div")}

  with core.pinned_policy("accelerator"):
    ours = counts(jaxact.squareplus)
  assert ours == counts(jax.nn.squareplus) == {"sqrt": 1, "rsqrt": 0, "div": 1}


@pytest.mark.parametrize("b", [4.0, 1.0])
def test_squareplus_past_the_overflow_threshold(b):
  # Past |x| = 2^60 the square root is |x| (b / x^2 is below float32's resolution): the
  # value is x for x > 0 and b / (4|x|) for x < 0, until 2|x| overflows past 2^127,
  # where the value (below b 2^-129, under the contract's 2^-110) flushes to 0.
  x = np.array([2.0**61, 2.0**100, -(2.0**61), -(2.0**100), -(2.0**120)], np.float32)
  y = np.asarray(jaxact.squareplus(jnp.asarray(x), b), np.float64)
  want = np.where(x > 0, x.astype(np.float64), b / (4 * np.abs(x.astype(np.float64))))
  np.testing.assert_allclose(y, want, rtol=2**-22)
  assert float(jaxact.squareplus(jnp.float32(-3e38), b)) == 0


def test_squareplus_derivative_from_output_over_and_underflow():
  # q / (q + b) with q = 4 y^2: y^2 overflows for y > 1.8e19 (inf / inf would be NaN,
  # hence the clamp) and underflows for y < 1e-19 (0, the right limit).
  x = np.array([-np.inf, -3e38, -1e25, -1e19, 1e19, 1e25, 3e38, np.inf], np.float32)
  y, dy = value_and_derivative(jaxact.squareplus, x)
  with np.errstate(all="ignore"):
    want = reference.squareplus_grad(x.astype(np.float64))
  err = accuracy.ulp_error(dy, want, np.zeros_like(want), np.zeros_like(want), F32)
  assert np.all(err <= 8)
  assert dy[0] == 0 and dy[-1] == 1


def test_squareplus_second_derivative_does_not_cancel():
  # The automatic derivative of q / (q + b) is 8y / (q + b) - q 8y / (q + b)^2, which
  # cancels for y^2 >> b; the rule gives b 8y / (q + b)^2 as a product.
  b = 1.0
  x = np.array([7.5, 10.0, 20.0, 30.0, 100.0], np.float32)

  def second(z):
    return b / (2 * np.sqrt(z**2 + b) ** 3)

  want = second(x.astype(np.float64))

  def naive_slope(x):
    y = jaxact.squareplus(x, b)
    q = 4 * y * y
    return q / (q + b)

  naive = grad(naive_slope)(jnp.asarray(x))
  assert np.max(np.abs(np.asarray(naive, np.float64) / want - 1)) > 1e-5
  got = grad(grad(lambda x: jaxact.squareplus(x, b)))(jnp.asarray(x))
  assert_exact(got, second, x, F32, derivative=True)  # the bound of a derivative, 8 ULP


@pytest.mark.parametrize(("b", "x"), [(4.0, [-1e20, 1e20, -3e38, 3e38, -1.0, 2.0]),
                                      (1e-30, [-1e10, -1e15, 1e10])])
def test_squareplus_b_derivative(b, x):
  # d/db = 1 / (4 sqrt(x^2 + b)): its automatic form is 0 once x^2 overflows; taken
  # from y (y / (q + b)) it is 0 once y underflows, which for a small b is early.
  x = np.array(x, np.float32)
  xj = jnp.asarray(x)

  def want(z):
    return reference.squareplus_param_grads(z, b)["b"]

  if b == 4.0:
    naive = jax.grad(lambda b: jax.nn.squareplus(xj, b).sum())(jnp.full(x.shape, b))
  else:
    y = jaxact.squareplus(xj, b)
    naive = y / (4 * y * y + b)
  assert np.any(ulps(naive, want, x, F32) > 8)
  got = param_derivative(lambda x, b: jaxact.squareplus(x, b), x, "b", b, F32)
  assert_exact(got, want, x, F32, derivative=True)


@each_dtype
def test_squareplus_limits(dtype):
  x = np.array([np.inf, -np.inf, np.nan]).astype(dtype)
  # The textbook derivative (1 + x / sqrt(x^2 + b)) / 2 is inf / inf = NaN at +inf.
  inf = np.float32(np.inf)
  with np.errstate(invalid="ignore"):
    assert np.isnan((1 + inf / np.sqrt(inf * inf + np.float32(4))) / 2)
  y, dy = value_and_derivative(jaxact.squareplus, x)
  np.testing.assert_array_equal(y.astype(np.float64)[:2], [np.inf, 0.0])
  np.testing.assert_array_equal(dy.astype(np.float64)[:2], [1.0, 0.0])
  assert np.isnan(y.astype(np.float64)[2]) and np.isnan(dy.astype(np.float64)[2])


def test_squareplus_negative_b_is_an_error_and_zero_b_is_relu():
  with pytest.raises(ValueError, match=re.escape("jaxact.squareplus: b must be "
                                                 "non-negative; got -1.0.")):
    jaxact.squareplus(jnp.ones(3), -1.0)
  x = jnp.array([-3e38, -2.0, -1e-10, 0.0, 1e-10, 2.0, 3e38])
  y, dy = value_and_derivative(lambda x: jaxact.squareplus(x, 0.0), np.asarray(x))
  np.testing.assert_array_equal(y, np.maximum(np.asarray(x), 0))
  assert np.all(np.isfinite(dy))
  np.testing.assert_array_equal(dy[[0, 1, 5, 6]], [0.0, 0.0, 1.0, 1.0])
