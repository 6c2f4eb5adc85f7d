"""Hazards specific to celu: each test shows the naive formula failing."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src.testing import accuracy
from jaxact.testing import references as reference
from tests.helpers import F32, assert_exact, raw_ulps


def partials(fn, x, alpha):
  """(value, d/dx, d/dalpha) elementwise, alpha a traced scalar."""
  def one(x):
    return jax.value_and_grad(fn, argnums=(0, 1))(x, alpha)
  y, (dx, da) = jax.jit(jax.vmap(one))(x)
  return np.asarray(y), np.asarray(dx), np.asarray(da)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 3.0])
def test_celu_alpha_partial_does_not_cancel_near_zero(alpha):
  # d/dalpha = expm1(t) - t e^t, t = x / alpha: the two terms cancel as t -> 0.
  x = -np.geomspace(1e-7, 2.0, 3000).astype(np.float32)
  want = reference.celu_param_grads(x.astype(np.float64), alpha)["alpha"]
  _, _, got = partials(jaxact.celu, jnp.asarray(x), jnp.float32(alpha))
  err = raw_ulps(got, want, accuracy.FLOAT32)
  assert np.max(err) <= 8, accuracy.worst(err, x)
  _, _, naive = partials(jax.nn.celu, jnp.asarray(x), jnp.float32(alpha))
  assert np.max(raw_ulps(naive, want, accuracy.FLOAT32)) > 1000


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_celu_alpha_partial_in_half_precision(dtype):
  x = -jnp.asarray(np.geomspace(1e-4, 4.0, 400), dtype)
  want = reference.celu_param_grads(np.asarray(x, np.float64), 1.0)["alpha"]
  _, _, got = partials(jaxact.celu, x, jnp.asarray(1.0, dtype))
  assert got.dtype == dtype
  assert np.max(raw_ulps(got, want, dtype)) <= 1.0


def test_celu_where_x_over_alpha_overflows():
  # x / alpha = -inf: the value is -alpha, the derivative 0, d/dalpha -1 (plain autodiff
  # multiplies e^t = 0 by x / alpha^2 = -inf: NaN).
  x = jnp.array([-1e30, -3e38, -jnp.inf], jnp.float32)
  alpha = jnp.float32(1e-10)
  y, dx, da = partials(jaxact.celu, x, alpha)
  np.testing.assert_array_equal(y, np.full(3, -np.float32(1e-10)))
  np.testing.assert_array_equal(dx, np.zeros(3))
  np.testing.assert_array_equal(da, -np.ones(3))
  _, _, naive = partials(jax.nn.celu, x, alpha)
  assert np.isnan(naive).any()


def test_celu_tends_to_relu_as_alpha_vanishes():
  x = jnp.array([-2.0, -1e-10, -0.0, 0.0, 1e-20, 3.0], jnp.float32)
  relu = np.maximum(np.asarray(x), 0)
  for alpha in (1e-20, 1e-38, 0.0):  # a traced zero alpha: the limit, not 0 / 0
    y, dx, da = partials(jaxact.celu, x, jnp.float32(alpha))
    np.testing.assert_allclose(y, relu, atol=1e-20)  # |celu - relu| <= alpha <= 1e-20
    np.testing.assert_array_equal(dx, [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(da, [-1, -1, 0, 0, 0, 0])
  assert np.isnan(np.asarray(jax.jit(jax.nn.celu)(jnp.float32(0.0), jnp.float32(0.0))))


@pytest.mark.parametrize(("alpha", "message"), [
  (0.0, "alpha must be positive; got 0.0."),
  (-1.0, "alpha must be positive; got -1.0."),
  (float("nan"), "alpha must be positive; got nan."),
  (np.array([1.0, -2.0]), "alpha must be positive; got -2.0."),
  (float("inf"), "alpha must be finite; got inf."),
  (np.float32(0.0), "alpha must be positive; got 0.0."),
])
def test_celu_concrete_alpha_is_checked(alpha, message):
  with pytest.raises(ValueError, match="^" + re.escape("jaxact.celu: " + message) + "$"):
    jaxact.celu(jnp.ones(2), alpha)


def test_celu_traced_alpha_is_not_checked():
  assert np.isfinite(np.asarray(jax.jit(jaxact.celu)(jnp.ones(2), -1.0))).all()


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0, 3.0])
def test_celu_derivative_is_one_at_zero(alpha):
  x = jnp.array([-0.0, 0.0])
  np.testing.assert_array_equal(jax.vmap(jax.grad(jaxact.celu), (0, None))(x, alpha), [1, 1])


@pytest.mark.parametrize("alpha", [0.5, 1.0, 3.0])
def test_celu_second_derivative_away_from_zero(alpha):
  # C^1 (the second derivative jumps from 1/alpha to 0 at 0): smooth=False in the table,
  # so the shared hessian checks skip it; checked here away from 0.
  x = jnp.array([-3e38, -100.0, -7.5, -1.0, -1e-3, 1e-3, 2.0, 3e38], jnp.float32)

  def want(z):
    with np.errstate(over="ignore", under="ignore"):
      return np.where(z < 0, np.exp(z / alpha) / alpha, 0.0)

  # The contract's bound for a derivative, 8 ULP, with its backward-stable allowance
  # 8 eps |x q'(x)| = 8 eps |x / alpha| q(x): e^(x / alpha) amplifies the rounding of
  # x / alpha (relative 3e-6 of q at x = -100, alpha = 3).
  for second in (jax.vmap(jax.grad(jax.grad(jaxact.celu)), (0, None)),
                 jax.vmap(jax.jacfwd(jax.grad(jaxact.celu)), (0, None)),
                 jax.vmap(jax.hessian(jaxact.celu), (0, None))):
    assert_exact(second(x, alpha), want, x, F32, derivative=True, kinks=(0.0,))


def test_celu_float64_alpha_partial():
  with jax.enable_x64(True):
    x = -np.geomspace(1e-300, 1e5, 4000)
    _, dx, da = partials(jaxact.celu, jnp.asarray(x), jnp.float64(0.7))
  want = reference.celu_param_grads(x, 0.7)["alpha"]
  # Where e^t (t = x / alpha) is nonzero, |t| < 745: the rounding of t moves e^t by
  # |t| * 2^-53 < 1e-13 relative (4e-14 and a few roundings); beyond, e^t = 0 exactly.
  np.testing.assert_allclose(da, want, rtol=1e-13, atol=1e-300)
  np.testing.assert_allclose(dx, reference.celu_grad(x, 0.7), rtol=1e-13, atol=1e-300)
