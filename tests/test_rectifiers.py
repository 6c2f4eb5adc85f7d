"""Hazards specific to the rectifier family: each test shows the naive formula failing."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src.testing import accuracy
from jaxact._src.testing.evaluate import value_and_derivative
from jaxact.testing import references as reference
from tests.helpers import grad, raw_ulps

# ----------------------------------------------------------------------------- rrelu


@pytest.mark.parametrize("make_key", [jax.random.key, jax.random.PRNGKey], ids=["typed", "raw"])
def test_rrelu_with_a_key_draws_one_slope_per_element(make_key):
  key = make_key(3)
  x = jnp.asarray(np.linspace(-4, 4, 401), jnp.float32).reshape(1, 401)
  slopes = np.asarray(jax.random.uniform(key, x.shape, jnp.float32, 1 / 8, 1 / 3))
  assert np.all((slopes >= 1 / 8) & (slopes <= 1 / 3))
  assert np.unique(slopes).size > 390
  y = np.asarray(jaxact.rrelu(x, key))
  x64 = np.asarray(x, np.float64)
  np.testing.assert_array_equal(y, np.where(x64 >= 0, x64, slopes * x64).astype(np.float32))
  # The derivative uses the slope actually applied, rrelu'(0) included.
  np.testing.assert_array_equal(grad(lambda x: jaxact.rrelu(x, key))(x),
                                np.where(x64 > 0, 1.0, slopes).astype(np.float32))
  # Reproducible for one key, different for another; typed and raw keys draw alike.
  np.testing.assert_array_equal(jaxact.rrelu(x, make_key(3)), y)
  assert not np.array_equal(np.asarray(jaxact.rrelu(x, make_key(4))), y)
  np.testing.assert_array_equal(jaxact.rrelu(x, jax.random.key(3)),
                                jaxact.rrelu(x, jax.random.PRNGKey(3)))


def test_rrelu_slopes_are_float32_whatever_the_input_dtype():
  key = jax.random.key(0)
  x = -jnp.linspace(0.5, 3, 64, dtype=jnp.bfloat16)
  slopes = np.asarray(jax.random.uniform(key, x.shape, jnp.float32, 0.1, 0.3), np.float64)
  y = jaxact.rrelu(x, key, 0.1, 0.3)
  assert y.dtype == jnp.bfloat16
  # One rounding, of the float32 product: the slope is not rounded to bfloat16 first.
  want = (slopes * np.asarray(x, np.float64)).astype(accuracy.BFLOAT16)
  np.testing.assert_array_equal(np.asarray(y), want)


def test_rrelu_without_a_key_is_leaky_relu_with_the_mean_slope():
  x = jnp.asarray(np.linspace(-5, 5, 101), jnp.float32)
  np.testing.assert_array_equal(jaxact.rrelu(x), jaxact.leaky_relu(x, (1 / 8 + 1 / 3) / 2))
  np.testing.assert_array_equal(grad(jaxact.rrelu)(x),
                                grad(jaxact.leaky_relu)(x, (1 / 8 + 1 / 3) / 2))
  # the mean slope (0.1 + 0.5) / 2 and 0.3 round to the same float32; the products'
  # rounding: 0.5 ULP, at most 6e-8
  np.testing.assert_allclose(jaxact.rrelu(x, None, 0.1, 0.5), jaxact.leaky_relu(x, 0.3),
                             rtol=1e-7)
  assert jax.grad(jaxact.rrelu)(0.0) == jax.grad(jaxact.leaky_relu)(0.0, (1 / 8 + 1 / 3) / 2)
  # d/dlower = d/dupper = min(x, 0) / 2.
  lower, upper = jnp.float32(0.1), jnp.float32(0.5)
  want = reference.rrelu_param_grads(np.asarray(x), None, 0.1, 0.5)
  np.testing.assert_array_equal(jax.vmap(jax.grad(jaxact.rrelu, argnums=2), (0, None, None, None))(
      x, None, lower, upper), want["lower"])
  np.testing.assert_array_equal(jax.vmap(jax.grad(jaxact.rrelu, argnums=3), (0, None, None, None))(
      x, None, lower, upper), want["upper"])


@pytest.mark.parametrize(("kwargs", "message"), [
  ({"lower": 0.5, "upper": 0.25}, "upper must be >= lower = 0.5; got 0.25."),
  ({"lower": float("inf"), "upper": float("inf")}, "lower must be finite; got inf."),
  ({"upper": float("nan")}, "upper must be finite; got nan."),
  ({"lower": np.array([0.1, 0.4]), "upper": 0.3}, "upper must be >= lower = [0.1, 0.4]; got 0.3."),
])
@pytest.mark.parametrize("with_key", [False, True])
def test_rrelu_bounds_are_checked(kwargs, message, with_key):
  key = jax.random.key(0) if with_key else None
  with pytest.raises(ValueError, match="^" + re.escape("jaxact.rrelu: " + message) + "$"):
    jaxact.rrelu(jnp.ones(2), key, **kwargs)


def test_rrelu_complex_input_names_rrelu():
  for key in (None, jax.random.key(0)):
    with pytest.raises(TypeError, match=r"^jaxact\.rrelu: x must be a real"):
      jaxact.rrelu(jnp.ones(3, jnp.complex64), key)


# ----------------------------------------------------------------------------- star_relu


def test_star_relu_does_not_overflow_where_the_result_is_finite():
  x = jnp.array([1.9e19, -1.9e19, 2.0e19, 3e38], jnp.float32)
  want = reference.star_relu(np.asarray(x, np.float64))
  big = float(np.finfo(np.float32).max)
  assert want[0] < big and want[2] > big  # finite in float32, and overflowing
  naive = 0.8944 * jnp.maximum(x, 0) ** 2 - 0.4472
  assert not np.isfinite(np.asarray(naive)[0])  # x^2 overflows before the scale
  y, dy = value_and_derivative(jaxact.star_relu, np.asarray(x))
  assert np.all(raw_ulps(y, want, accuracy.FLOAT32) <= 1.0)
  np.testing.assert_array_equal(y[2:], [np.inf, np.inf])
  # 0.8944 rounded to float32 (6e-10 relative) and the product's rounding (0.5 ULP,
  # at most 6e-8): below 1e-7
  np.testing.assert_allclose(dy[:3], 2 * 0.8944 * np.maximum(np.asarray(x[:3], np.float64), 0),
                             rtol=1e-7)
  assert dy[3] == np.inf


def test_star_relu_parameter_partials():
  x = jnp.array([-2.0, 0.0, 0.5, 3.0, 1e19])
  scale, bias = jnp.float32(1.5), jnp.float32(0.25)
  want = reference.star_relu_param_grads(np.asarray(x), 1.5, 0.25)
  d_scale = jax.vmap(jax.grad(jaxact.star_relu, argnums=1), (0, None, None))(x, scale, bias)
  d_bias = jax.vmap(jax.grad(jaxact.star_relu, argnums=2), (0, None, None))(x, scale, bias)
  np.testing.assert_allclose(d_scale, want["scale"], rtol=1e-7)  # x^2: 0.5 ULP < 1e-7
  np.testing.assert_array_equal(d_bias, want["bias"])


def test_star_relu_with_zero_scale_is_the_bias_even_at_infinity():
  x = jnp.array([-jnp.inf, -1.0, 2.0, jnp.inf])
  np.testing.assert_array_equal(jaxact.star_relu(x, 0.0, 0.5), np.full(4, 0.5))
  np.testing.assert_array_equal(jax.vmap(jax.grad(jaxact.star_relu), (0, None, None))(
      x, 0.0, 0.5), np.zeros(4))


# ----------------------------------------------------------------------------- squared_relu


def test_squared_relu_derivative_is_not_read_off_the_output():
  # 2 sqrt(y) would be 0 where x^2 underflows and inf where it overflows.
  x = jnp.array([1e-20, 3e-30, 2e19, 1e30, 1.5], jnp.float32)
  y = jnp.square(jnp.maximum(x, 0))
  naive = np.asarray(2 * jnp.sqrt(y))
  assert naive[1] == 0 and naive[3] == np.inf
  want = reference.squared_relu_grad(np.asarray(x, np.float64))
  _, dy = value_and_derivative(jaxact.squared_relu, np.asarray(x))
  assert np.all(raw_ulps(dy, want, accuracy.FLOAT32) == 0)


@pytest.mark.parametrize("fn", [jaxact.squared_relu, jaxact.star_relu],
                         ids=["squared_relu", "star_relu"])
def test_second_derivative_of_squared_relus_away_from_zero(fn):
  # C^1 functions (the second derivative jumps at 0): smooth=False in the table, so the
  # shared hessian checks skip them; they are checked here away from 0.
  scale = 2.0 if fn is jaxact.squared_relu else 2 * 0.8944
  x = jnp.array([-1e20, -3.0, -1e-3, 1e-3, 3.0, 1e20], jnp.float32)
  want = np.where(np.asarray(x) > 0, scale, 0.0)
  for second in (jax.vmap(jax.grad(jax.grad(fn))), jax.vmap(jax.jacfwd(jax.grad(fn))),
                 jax.vmap(jax.hessian(fn))):
    # 2 or 2 * 0.8944: 0.8944 rounded to float32 (0.5 ULP < 1e-7)
    np.testing.assert_allclose(second(x), want, rtol=1e-7)


def test_second_derivative_where_the_first_overflows():
  x = jnp.array([3e38], jnp.float32)
  assert np.isfinite(np.asarray(jax.vmap(jax.grad(jax.grad(jaxact.squared_relu)))(x))).all()


# ----------------------------------------------------------------------------- threshold


def test_threshold_nan_propagates():
  x = jnp.array([jnp.nan, 0.0, 1.0])
  naive = jnp.where(x > 0.5, x, -1.0)
  assert not np.isnan(np.asarray(naive)[0])
  y, dy = value_and_derivative(lambda x: jaxact.threshold(x, 0.5, -1.0), np.asarray(x))
  assert np.isnan(y[0]) and np.isnan(dy[0])
  np.testing.assert_array_equal(y[1:], [-1.0, 1.0])


def test_threshold_derivative_comes_from_x():
  # With value > threshold the output does not tell which side x was on.
  x = jnp.array([-5.0, -2.0, 3.0, 5.0])
  y = jaxact.threshold(x, -2.0, 3.0)
  np.testing.assert_array_equal(y, [3.0, 3.0, 3.0, 5.0])
  assert np.any(np.where(np.asarray(y) > -2.0, 1.0, 0.0) != [0, 0, 1, 1])  # a rule from y
  np.testing.assert_array_equal(grad(jaxact.threshold)(x, -2.0, 3.0), [0, 0, 1, 1])
  d_value = jax.vmap(jax.grad(jaxact.threshold, argnums=2), (0, None, None))(
      x, -2.0, jnp.float32(3.0))
  np.testing.assert_array_equal(d_value, [1, 1, 0, 0])
  d_threshold = jax.vmap(jax.grad(jaxact.threshold, argnums=1), (0, None, None))(
      x, jnp.float32(-2.0), 3.0)
  np.testing.assert_array_equal(d_threshold, [0, 0, 0, 0])


def test_threshold_array_parameters():
  x = jnp.linspace(-3, 3, 12, dtype=jnp.float16).reshape(3, 4)
  th = jnp.array([[-1.0], [0.0], [1.0]], jnp.float32)
  value = jnp.array([[0.5, 1.0, 1.5, 2.0]], jnp.float32)
  y = jaxact.threshold(x, th, value)
  assert y.dtype == jnp.float16
  want = reference.threshold(np.asarray(x, np.float64), np.asarray(th), np.asarray(value))
  np.testing.assert_array_equal(np.asarray(y, np.float64), want.astype(np.float16))


# ----------------------------------------------------------------------------- relu6, hard_tanh


def test_relu6_and_hard_tanh_kinks_differ_from_jax_nn_where_documented():
  x = jnp.array([-1.0, 0.0, 1.0, 6.0])
  np.testing.assert_array_equal(grad(jaxact.relu6)(x), [0, 0, 1, 0])
  np.testing.assert_array_equal(grad(jax.nn.relu6)(x), [0, 0, 1, 0])
  np.testing.assert_array_equal(grad(jaxact.hard_tanh)(x), [0, 1, 0, 0])
  np.testing.assert_array_equal(grad(jax.nn.hard_tanh)(x), [1, 1, 1, 0])  # jax.nn: 1 at +-1


@pytest.mark.parametrize("fn", [jaxact.relu6, jaxact.hard_tanh, jaxact.identity],
                         ids=["relu6", "hard_tanh", "identity"])
def test_dtype_policy(fn):
  # jax.nn keeps integer dtypes for these; jaxact promotes (API.md).
  assert fn(jnp.arange(-3, 8)).dtype == jnp.float32
  assert fn(jnp.array([True, False])).dtype == jnp.float32
  for dtype in (jnp.bfloat16, jnp.float16, jnp.float32):
    assert fn(jnp.ones(3, dtype)).dtype == dtype
  with pytest.raises(TypeError, match=rf"^jaxact\.{fn.__name__}: x must be a real"):
    fn(jnp.ones(3, jnp.complex64))
  _, dy = value_and_derivative(fn, np.array([np.nan, 2.0], np.float32))
  assert np.isnan(dy[0]) and not np.isnan(dy[1])
  naive = {"relu6": jax.nn.relu6, "hard_tanh": jax.nn.hard_tanh,
           "identity": jax.nn.identity}[fn.__name__]
  assert not np.isnan(grad(naive)(jnp.array([np.nan], jnp.float32))[0])


# ------------------------------------------------------ relu with Keras's parameters


@pytest.mark.parametrize("params,want,slopes", [
    # Keras's documented cases on x = [-10, -5, 0, 5, 10], and each parameter alone.
    ({}, [0, 0, 0, 5, 10], [0, 0, 0, 1, 1]),
    ({"negative_slope": 0.5}, [-5, -2.5, 0, 5, 10], [0.5, 0.5, 0.5, 1, 1]),
    ({"max_value": 5.0}, [0, 0, 0, 5, 5], [0, 0, 0, 0, 0]),
    ({"threshold": 5.0}, [0, 0, 0, 0, 10], [0, 0, 0, 0, 1]),
    ({"threshold": 5.0, "max_value": 5.0}, [0, 0, 0, 0, 5], [0, 0, 0, 0, 0]),
    ({"negative_slope": 0.5, "max_value": 5.0, "threshold": 5.0},
     [-7.5, -5, -2.5, 0, 5], [0.5, 0.5, 0.5, 0.5, 0]),
], ids=["plain", "slope", "cap", "threshold", "threshold+cap", "all"])
def test_relu_takes_keras_parameters(params, want, slopes):
  x = jnp.array([-10.0, -5.0, 0.0, 5.0, 10.0])
  np.testing.assert_array_equal(jaxact.relu(x, **params), np.array(want, np.float32))
  np.testing.assert_array_equal(grad(lambda v: jaxact.relu(v, **params))(x),
                                np.array(slopes, np.float32))
  np.testing.assert_array_equal(jaxact.get("relu", **params)(x), jaxact.relu(x, **params))


def test_relu_parameters_are_differentiable_and_checked():
  x = jnp.array([-2.0, 0.5, 3.0, 9.0])
  def total(a, m, t):
    return jnp.sum(jaxact.relu(x, a, m, t))
  d_a, d_m, d_t = jax.grad(total, argnums=(0, 1, 2))(0.1, 6.0, 1.0)
  assert (d_a, d_m, d_t) == (np.float32(-3.5), np.float32(1.0), -2 * np.float32(0.1))
  # an infinite x with no cap: slope 1, not the cap's 0
  assert float(jax.grad(lambda v: jaxact.relu(v, 0.1))(jnp.inf)) == 1.0
  with pytest.raises(ValueError, match=r"^jaxact\.relu: threshold must be finite; got inf"):
    jaxact.relu(x, threshold=np.inf)
  with pytest.raises(ValueError, match=r"^jaxact\.relu: max_value must be a number"):
    jaxact.relu(x, max_value=np.nan)
