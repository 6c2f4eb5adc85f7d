"""Hazards specific to the shrinkage family: each test shows the naive formula failing."""

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
from tests.helpers import F32, assert_exact, each_dtype, raw_ulps

# ----------------------------------------------------------------------------- tanh_shrink


def _near_zero(dtype) -> np.ndarray:
  if dtype in accuracy.HALF_DTYPES:
    x = accuracy.every_finite(dtype)
  else:
    x = np.concatenate([np.geomspace(1e-30, 0.6, 20000), np.linspace(1e-3, 0.6, 20000)])
    x = np.concatenate([x, -x]).astype(np.float32)
  x64 = x.astype(np.float64)
  return x[(np.abs(x64) < 0.6) & (np.abs(x64) > 1e-30)]


@each_dtype
def test_tanh_shrink_near_zero_without_cancellation(dtype):
  # x - tanh(x) cancels: its true value is x^3/3, and XLA's tanh(x) returns x itself for
  # |x| < 4e-4 in float32, so the naive difference is 0 there.
  x = _near_zero(dtype)
  want = reference.tanh_shrink(x.astype(np.float64))
  bound = 1.0 if dtype in accuracy.HALF_DTYPES else 5.0
  naive = np.asarray(jax.jit(lambda x: x - jnp.tanh(x))(x))
  assert np.max(raw_ulps(naive, want, dtype)) > 100 * bound
  got = np.asarray(jaxact.tanh_shrink(x))
  err = raw_ulps(got, want, dtype)
  assert np.max(err) <= bound, accuracy.worst(err, x)


def test_tanh_shrink_tiny_inputs_are_not_zero():
  x = jnp.array([1e-4, -3e-4, 1e-12], jnp.float32)
  assert np.all(np.asarray(x - jnp.tanh(x)) == 0)  # the naive formula
  # 3e-7 ~ 5 * 2^-24: at most the value's bound of 5 ULP
  np.testing.assert_allclose(jaxact.tanh_shrink(x), np.asarray(x, np.float64) ** 3 / 3,
                             rtol=3e-7)


def test_tanh_shrink_derivative_is_tanh_squared():
  x = np.concatenate([np.geomspace(1e-20, 20, 4000), -np.geomspace(1e-20, 20, 4000)])
  x = x.astype(np.float32)
  _, dy = value_and_derivative(jaxact.tanh_shrink, x)
  want = reference.tanh_shrink_grad(x.astype(np.float64))
  err = raw_ulps(dy, want, accuracy.FLOAT32)
  assert np.max(err) <= 8.0, accuracy.worst(err, x)
  # Autodiff of the naive formula, 1 - (1 - tanh^2), has no correct digit near 0.
  naive = np.asarray(jax.vmap(jax.grad(lambda x: x - jnp.tanh(x)))(jnp.asarray(x)))
  assert np.max(raw_ulps(naive, want, accuracy.FLOAT32)) > 1e6


def test_tanh_shrink_second_derivative():
  x = np.array([-12.0, -8.0, -3.0, -0.5, -1e-3, 1e-3, 0.5, 3.0, 8.0, 12.0], np.float32)
  got = np.asarray(jax.vmap(jax.grad(jax.grad(jaxact.tanh_shrink)))(jnp.asarray(x)))

  def second(z):
    return 2 * np.tanh(z) / np.cosh(z) ** 2

  want = second(x.astype(np.float64))
  assert_exact(got, second, x, F32, derivative=True)  # the bound of a derivative, 8 ULP
  # Differentiating tanh^2 by autodiff goes through 1 - tanh^2, 0 once tanh rounds to 1.
  naive = np.asarray(jax.vmap(jax.grad(jax.grad(lambda x: x - jnp.tanh(x))))(jnp.asarray(x)))
  assert not np.allclose(naive, want, rtol=1e-3)


def test_tanh_shrink_limits_nan_and_oddness():
  x = jnp.array([jnp.inf, -jnp.inf, jnp.nan, 0.0, -0.0])
  y, dy = value_and_derivative(jaxact.tanh_shrink, np.asarray(x))
  np.testing.assert_array_equal(y[:2], [np.inf, -np.inf])
  np.testing.assert_array_equal(dy[:2], [1.0, 1.0])
  assert np.isnan(y[2]) and np.isnan(dy[2])
  np.testing.assert_array_equal(y[3:], [0.0, 0.0])
  z = jnp.linspace(-5, 5, 1001)
  np.testing.assert_array_equal(jaxact.tanh_shrink(-z), -jaxact.tanh_shrink(z))


def test_tanh_shrink_float64():
  with jax.enable_x64(True):
    x = np.concatenate([np.geomspace(1e-300, 30, 3000), -np.geomspace(1e-300, 30, 3000)])
    y, dy = value_and_derivative(jaxact.tanh_shrink, x)
    assert y.dtype == np.float64
  want = reference.tanh_shrink(x)
  # float64: the series below |x| = 0.15; above, |x| - tanh|x|, whose cancellation
  # costs at most x / (x^3 / 3) = 133: 133 * a few 2^-53 < 1e-13. The derivative,
  # tanh^2, a few roundings: 8 * 4e-16.
  np.testing.assert_allclose(y, want, rtol=1e-13, atol=1e-300)
  np.testing.assert_allclose(dy, reference.tanh_shrink_grad(x), rtol=4e-16 * 8, atol=1e-300)


# ----------------------------------------------------------------------------- hard/soft shrink


def _naive_hard_shrink(x, lambd=0.5):
  return jnp.where(jnp.abs(x) > lambd, x, 0.0)


def _naive_soft_shrink(x, lambd=0.5):
  return jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, 0.0))


@pytest.mark.parametrize(("fn", "naive"), [(jaxact.hard_shrink, _naive_hard_shrink),
                                           (jaxact.soft_shrink, _naive_soft_shrink)],
                         ids=["hard_shrink", "soft_shrink"])
@each_dtype
def test_shrink_nan_propagates(fn, naive, dtype):
  x = jnp.array([jnp.nan, 0.25, -2.0], dtype)
  assert not np.isnan(np.asarray(naive(x), np.float32)[0])  # where turns NaN into 0
  y, dy = value_and_derivative(fn, np.asarray(x))
  assert np.isnan(np.asarray(y, np.float32)[0]) and np.isnan(np.asarray(dy, np.float32)[0])
  assert not np.isnan(np.asarray(y, np.float32)[1:]).any()


@pytest.mark.parametrize("lambd", [0.5, 1.5])
def test_shrink_kinks_and_lambd_partials(lambd):
  x = jnp.array([-2 * lambd, -lambd, -lambd / 2, 0.0, lambd / 2, lambd, 2 * lambd])
  for fn in (jaxact.hard_shrink, jaxact.soft_shrink):
    dx = jax.vmap(jax.grad(lambda x, fn=fn: fn(x, lambd)))(x)
    np.testing.assert_array_equal(dx, [1, 0, 0, 0, 0, 0, 1])
  d_lambd = jax.vmap(jax.grad(jaxact.soft_shrink, argnums=1), (0, None))(x, jnp.float32(lambd))
  np.testing.assert_array_equal(d_lambd, [1, 0, 0, 0, 0, 0, -1])
  np.testing.assert_array_equal(
      d_lambd, reference.soft_shrink_param_grads(np.asarray(x), lambd)["lambd"])
  d_lambd = jax.vmap(jax.grad(jaxact.hard_shrink, argnums=1), (0, None))(x, jnp.float32(lambd))
  np.testing.assert_array_equal(d_lambd, np.zeros(7))


def test_hard_shrink_with_a_negative_lambd_is_the_identity():
  x = jnp.array([-1.0, -0.0, 0.0, 0.5])
  np.testing.assert_array_equal(jaxact.hard_shrink(x, -0.25), x)
  # At x = 0 the output is 0 but the derivative is 1: the rule does not read it off y.
  np.testing.assert_array_equal(jax.vmap(jax.grad(jaxact.hard_shrink), (0, None))(x, -0.25),
                                np.ones(4))


def test_soft_shrink_rejects_a_negative_lambd():
  for bad, shown in ((-0.5, "-0.5"), (float("nan"), "nan"), (np.array([0.1, -1.0]), "-1.0")):
    message = f"jaxact.soft_shrink: lambd must be non-negative; got {shown}."
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
      jaxact.soft_shrink(jnp.ones(2), bad)
  # A traced (learnable) lambd is not checked.
  jax.jit(jaxact.soft_shrink)(jnp.ones(2), -0.5)


def test_shrink_array_lambd_broadcasts_and_keeps_dtype():
  x = jnp.linspace(-2, 2, 12, dtype=jnp.bfloat16).reshape(3, 4)
  lambd = jnp.array([[0.5], [1.0], [1.5]], jnp.float32)
  for fn, ref in ((jaxact.hard_shrink, reference.hard_shrink),
                  (jaxact.soft_shrink, reference.soft_shrink)):
    y = fn(x, lambd)
    assert y.dtype == jnp.bfloat16 and y.shape == (3, 4)
    want = ref(np.asarray(x, np.float64), np.asarray(lambd, np.float64))
    np.testing.assert_array_equal(np.asarray(y, np.float64), want.astype(x.dtype))
