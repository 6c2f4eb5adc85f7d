"""The hazards of the self-gated activations (silu, swish, mish, hard_silu), one test
each: every test shows the naive formula failing where jaxact is exact.

The shared checks (tests/test_numerics.py) sweep every row of the table; these pin down
the specific regimes, and that they are not passed by accident.
"""

from __future__ import annotations

import importlib.util
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src import selfgated
from jaxact._src.testing import accuracy
from jaxact._src.testing.evaluate import param_derivative, value_and_derivative
from jaxact.testing import references as reference
from tests.helpers import F32, assert_exact, each_dtype, ulps


def _naive_silu_slope(x):
  s = jax.nn.sigmoid(x)
  return s * (1 + x * (1 - s))


def _naive_mish_slope(x):
  t = jnp.tanh(jax.nn.softplus(x))
  return t + x * (1 - t * t) * jax.nn.sigmoid(x)


# ----------------------------------------------------------------------------- silu / swish


@each_dtype
def test_silu_limits_where_x_times_sigmoid_is_nan(dtype):
  x = np.array([-np.inf, np.inf, -1e4, 1e4, np.nan]).astype(dtype)
  naive, _ = value_and_derivative(jax.nn.silu, x)
  assert np.isnan(naive[0].astype(np.float64)), "x * sigmoid(x) at -inf is -inf * 0"
  y, dy = value_and_derivative(jaxact.silu, x)
  np.testing.assert_array_equal(y[:4].astype(np.float64), [0, np.inf, 0, x[3].astype(np.float64)])
  np.testing.assert_array_equal(dy[:4].astype(np.float64), [0, 1, 0, 1])
  assert np.isnan(y[4].astype(np.float64)) and np.isnan(dy[4].astype(np.float64))


def test_silu_derivative_without_one_minus_sigmoid():
  # s (1 + x (1 - s)) loses the digits of 1 - s once s nears 1 (x > ~5 in float32).
  x = np.linspace(3.0, 17.0, 14001).astype(np.float32)
  naive = np.asarray(jax.jit(_naive_silu_slope)(x))
  assert np.max(ulps(naive, reference.silu_grad, x, F32)) > 8
  _, dy = value_and_derivative(jaxact.silu, x)
  assert np.max(ulps(dy, reference.silu_grad, x, F32)) <= 8


def test_swish_small_beta_does_not_underflow_early():
  # x sigmoid(beta x) with beta = 2^-20: e^(beta x) underflows float32 at x ~ -9e7,
  # where x e^(beta x) ~ -1e-31 is still a normal (and counted) number.
  beta = 2.0**-20
  x = -np.geomspace(8.8e7, 1.1e8, 400).astype(np.float32)

  def ref(z):
    return reference.swish(z, beta)

  naive = np.asarray(jax.jit(lambda x: x * jax.nn.sigmoid(beta * x))(x))
  assert np.max(ulps(naive, ref, x, F32)) > 5, "the naive value flushes to 0"
  y, _ = value_and_derivative(lambda x: jaxact.swish(x, beta), x)
  assert np.max(ulps(y, ref, x, F32)) <= 5
  # d/dbeta = x^2 sigmoid(z) sigmoid(-z), ~1e-20 here: x^2 s (1 - s) flushes to 0 too.
  xp = -x

  def ref_beta(z):
    return reference.swish_param_grads(z, beta)["beta"]

  naive_beta = np.asarray(jax.jit(
      lambda x: x * x * (jax.nn.sigmoid(beta * x) * jax.nn.sigmoid(-beta * x)))(xp))
  assert np.max(ulps(naive_beta, ref_beta, xp, F32)) > 8
  got = param_derivative(lambda x, beta: jaxact.swish(x, beta), xp, "beta", beta, F32)
  assert np.max(ulps(got, ref_beta, xp, F32)) <= 8


def test_swish_beta_zero_is_exactly_half_x():
  x = np.array([-3e38, -5.0, -1e-3, 0.0, 2.0, 7e37, np.inf, -np.inf], np.float32)
  naive = np.asarray(jax.jit(lambda x: x * jax.nn.sigmoid(0.0 * x))(x))
  assert np.isnan(naive[-2]), "beta x = 0 * inf is NaN"
  y, dy = value_and_derivative(lambda x: jaxact.swish(x, 0.0), x)
  np.testing.assert_array_equal(y, x / 2)
  np.testing.assert_array_equal(dy, np.full_like(x, 0.5))
  d_beta = param_derivative(lambda x, beta: jaxact.swish(x, beta), x[:6], "beta", 0.0, F32)
  with np.errstate(over="ignore"):
    want = (x[:6].astype(np.float64) ** 2 / 4).astype(np.float32)  # inf where it overflows
  np.testing.assert_allclose(d_beta, want, rtol=1e-7)  # x^2 / 4 rounded once: 0.5 ULP
  # and continuously so: a tiny beta is within the ULP bounds of the reference
  for beta in (1e-30, 2.0**-60, -(2.0**-40)):
    z = accuracy.float32_sweep()
    y, dy = value_and_derivative(lambda x, beta=beta: jaxact.swish(x, beta), z)
    assert np.max(ulps(y, lambda v, b=beta: reference.swish(v, b), z, F32)) <= 5
    assert np.max(ulps(dy, lambda v, b=beta: reference.swish_grad(v, b), z, F32)) <= 8


@pytest.mark.parametrize("beta", [4.0, -4.0, 1e30])
def test_swish_where_beta_x_overflows(beta):
  x = np.array([-3.4e38, -1e38, 1e38, 3.4e38, -np.inf, np.inf], np.float32)
  naive = np.asarray(jax.jit(
      lambda x: jax.nn.sigmoid(beta * x) * (1 + beta * x * jax.nn.sigmoid(-beta * x)))(x))
  assert not np.all(np.isfinite(naive[:4])), "beta x = inf makes inf * 0"
  y, dy = value_and_derivative(lambda x: jaxact.swish(x, beta), x)
  np.testing.assert_array_equal(y, reference.swish(x, beta).astype(np.float32))
  np.testing.assert_array_equal(dy, reference.swish_grad(x, beta).astype(np.float32))


# ----------------------------------------------------------------------------- mish


@each_dtype
def test_mish_limits_where_the_textbook_form_is_nan(dtype):
  x = np.array([-np.inf, np.inf]).astype(dtype)
  naive, naive_dy = value_and_derivative(jax.nn.mish, x)
  assert np.isnan(naive[0].astype(np.float64)) and np.isnan(naive_dy.astype(np.float64)).all()
  y, dy = value_and_derivative(jaxact.mish, x)
  np.testing.assert_array_equal(y.astype(np.float64), [0, np.inf])
  np.testing.assert_array_equal(dy.astype(np.float64), [0, 1])


def test_mish_derivative_without_one_minus_tanh_squared():
  # 1 - tanh^2(sp) cancels as tanh nears 1 (x > ~2 in float32).
  x = np.linspace(1.0, 17.0, 16001).astype(np.float32)
  naive = np.asarray(jax.jit(_naive_mish_slope)(x))
  assert np.max(ulps(naive, reference.mish_grad, x, F32)) > 8
  _, dy = value_and_derivative(jaxact.mish, x)
  assert np.max(ulps(dy, reference.mish_grad, x, F32)) <= 8


def test_mish_second_derivative_is_exact_for_large_x():
  # Autodiff of tanh(softplus) cancels for x >> 0 (t' = w is below the rounding of 1);
  # the slope's own rule keeps mish'' = 2w + x w' to a few ULPs.
  x = np.array([5.0, 10.0, 20.0, 30.0, 40.0, -30.0], np.float32)
  got = np.asarray(jax.vmap(jax.grad(jax.grad(jaxact.mish)))(jnp.asarray(x)), np.float64)

  def second(z):
    e = np.exp(-np.abs(z))
    den = np.where(z > 0, 1 + 2 * e + 2 * e * e, e * e + 2 * e + 2)
    c = np.where(z > 0, e * e, e)
    p = np.where(z > 0, -(2 + 3 * e - 2 * e * e - 2 * e**3), 2 + 2 * e - 3 * e * e - 2 * e**3)
    return 4 * c * (2 * (1 + e) * den + z * p) / den**3

  want = second(x.astype(np.float64))
  assert_exact(got, second, x, F32, derivative=True)  # the bound of a derivative, 8 ULP
  naive = np.asarray(jax.vmap(jax.grad(jax.grad(jax.nn.mish)))(jnp.asarray(x)), np.float64)
  assert np.max(np.abs(naive / want - 1)) > 1e-3


# ----------------------------------------------------------------------------- hard_silu


def test_hard_swish_is_hard_silu():
  assert jaxact.hard_swish is jaxact.hard_silu
  assert "hard_swish" in jaxact.available() and "hard_silu" in jaxact.available()


@each_dtype
def test_hard_silu_limits_nan_and_kinks(dtype):
  x = np.array([-np.inf, np.inf, np.nan, -3.0, 3.0, -1.5]).astype(dtype)
  naive, naive_dy = value_and_derivative(jax.nn.hard_silu, x)
  assert np.isnan(naive[0].astype(np.float64)), "x * relu6(x + 3) / 6 at -inf is -inf * 0"
  y, dy = value_and_derivative(jaxact.hard_silu, x)
  y, dy = y.astype(np.float64), dy.astype(np.float64)
  np.testing.assert_array_equal(y[[0, 1, 3, 4, 5]], [0, np.inf, 0, 3, -0.375])
  np.testing.assert_array_equal(dy[[0, 1, 3, 4, 5]], [0, 1, 0, 1, 0])  # -3: 0, 3: 1
  assert np.isnan(y[2]) and np.isnan(dy[2])


@pytest.mark.parametrize("beta", [1.0, 1.2, -0.8])
def test_swish_second_derivatives_agree_in_every_mode(beta):
  # Near the zeros of swish'' (beta x ~ +-2.4) autodiff of the slope would cancel
  # differently in forward and reverse mode; the slope's own rule makes them agree, and
  # match the reference (and d^2/dx dbeta = x K(beta x)).
  x = np.concatenate([np.linspace(-6, 6, 121), [2.4 / beta, -2.4 / beta]]).astype(np.float32)

  def f(x):
    return jaxact.swish(x, beta)

  rev = np.asarray(jax.vmap(jax.grad(jax.grad(f)))(jnp.asarray(x)))
  fwd = np.asarray(jax.vmap(jax.jacfwd(jax.jacrev(f)))(jnp.asarray(x)))
  np.testing.assert_array_equal(rev, fwd)

  def k(x):
    z = beta * x
    s, s_neg = 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(z))
    return s * s_neg * (2 + z * (s_neg - s))

  # The bound of a derivative, 8 ULP, with the allowance near the zeros of swish''.
  assert_exact(rev, lambda z: beta * k(z), x, F32, derivative=True)
  mixed = np.asarray(jax.vmap(jax.grad(jax.grad(lambda x, b: jaxact.swish(x, b)), 1),
                              (0, None))(jnp.asarray(x), jnp.float32(beta)))
  assert_exact(mixed, lambda z: z * k(z), x, F32, derivative=True)


# ----------------------------------------------------------------------------- gelu (erf)


def test_exact_gelu_polynomials_are_the_fitting_tools():
  """The float32 erf-GELU's polynomials are what tools/fit_gelu_erf.py fits (rounded to
  float32; a least-squares solver's last bits may differ by machine: 1e-6 relative)."""
  path = pathlib.Path(__file__).resolve().parents[1] / "tools" / "fit_gelu_erf.py"
  spec = importlib.util.spec_from_file_location("fit_gelu_erf", path)
  tool = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(tool)
  assert tool.SPLIT == selfgated._ERF_SPLIT
  for (centre, inverse_half, coeffs), (lib_centre, lib_inverse_half, lib_coeffs) in zip(
      tool.fit(), (selfgated._ERF_NEAR, selfgated._ERF_TAIL), strict=True):
    lib_coeffs = np.trim_zeros(np.asarray(lib_coeffs), "f")  # padded to a common length
    np.testing.assert_allclose([centre, inverse_half], [lib_centre, lib_inverse_half],
                               rtol=1e-6)
    np.testing.assert_allclose(np.float32(coeffs), lib_coeffs, rtol=1e-6, atol=1e-12)


def test_exact_gelu_tail_error_is_that_of_exp():
  """Far into the left tail, where gelu(x) = x Phi(x) is tiny, the float32 value's error
  before any backward-stable allowance is that of exp(-x^2 / 2) alone, whose argument
  rounds to x^2 / 2 ULP: within 8 + x^2 / 2 ULP of the float64 reference on [-10, 4]
  (the erfc form was up to 70 ULP off on [-8, -5], where this allows 40)."""
  x = np.linspace(-10, 4, 100001).astype(np.float32)
  y = np.asarray(jax.jit(lambda v: jaxact.gelu(v, approximate=False))(jnp.asarray(x)))
  want = reference.gelu(x.astype(np.float64), approximate=False)
  raw = np.abs(y.astype(np.float64) - want) / accuracy.ulp(want, accuracy.FLOAT32)
  bound = 8 + x.astype(np.float64) ** 2 / 2
  assert np.all(raw <= bound), (raw.max(), x[np.argmax(raw - bound)])
