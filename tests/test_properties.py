"""Identities that must hold exactly or to a few ULP, on inputs hypothesis chooses."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jaxact

N = 64
EPS32 = 2.0**-23
BIG = float(np.float32(1e30))
finite32 = hnp.arrays(np.float32, N, elements=st.floats(-BIG, BIG, width=32, allow_subnormal=False))
moderate32 = hnp.arrays(np.float32, N, elements=st.floats(-60, 60, width=32, allow_subnormal=False))
slopes = st.floats(0.0, 5.0, width=32, allow_subnormal=False)
fast = settings(max_examples=60, deadline=None)


@functools.cache
def jitted(fn):
  return jax.jit(fn)


def run(fn, *args):
  return np.asarray(jitted(fn)(*args), np.float64)


def _sigmoid_pair(x):
  return jaxact.sigmoid(x), jaxact.sigmoid(-x)


@fast
@given(finite32)
def test_sigmoid_symmetry(x):
  s, s_neg = (np.asarray(a, np.float64) for a in jitted(_sigmoid_pair)(x))
  # Stricter than two values within 5 ULP (10 * 2^-24): both come from one e^-|x|.
  np.testing.assert_allclose(s + s_neg, 1.0, rtol=0, atol=2 * EPS32)


def _tanh_odd(x):
  return jaxact.tanh(-x) + jaxact.tanh(x)


@fast
@given(finite32)
def test_tanh_is_odd(x):
  assert np.all(run(_tanh_odd, x) == 0)


def _gelu_difference(x, approximate):
  return jaxact.gelu(x, approximate) - jaxact.gelu(-x, approximate)


@fast
@given(moderate32, st.booleans())
def test_gelu_minus_reflection_is_identity(x, approximate):
  diff = run(functools.partial(_gelu_difference, approximate=approximate), x)
  # gelu(x) and gelu(-x) to 5 ULP each, |gelu(+-x)| <= |x|, and one rounding of their
  # difference: 4 eps of x where the larger term dominates (atol: the flushed range).
  np.testing.assert_allclose(diff, x.astype(np.float64), rtol=4 * EPS32, atol=1e-37)


def _selu_vs_elu(x):
  from jaxact._src.exponential import SELU_ALPHA, SELU_SCALE

  return jaxact.selu(x), SELU_SCALE * jaxact.elu(x, SELU_ALPHA)


@fast
@given(finite32)
def test_selu_is_scaled_elu(x):
  a, b = (np.asarray(v, np.float64) for v in jitted(_selu_vs_elu)(x))
  # the same formula up to the rounding of two constants and one product: 4 eps
  np.testing.assert_allclose(a, b, rtol=4 * EPS32, atol=1e-37)


@fast
@given(finite32, slopes)
def test_leaky_relu_is_prelu_with_a_scalar_slope(x, slope):
  slope = np.float32(slope)
  a = jaxact.leaky_relu(x, slope)
  assert np.array_equal(np.asarray(a), np.asarray(jaxact.prelu(x, slope)))
  assert np.array_equal(np.asarray(a), np.asarray(jaxact.prelu(x, np.full(N, slope))))
  assert np.array_equal(np.asarray(jaxact.leaky_relu(x, 0.0)), np.asarray(jaxact.relu(x)))


@fast
@given(hnp.arrays(np.float32, (3, 12),
                  elements=st.floats(-BIG, BIG, width=32, allow_subnormal=False)))
def test_maxout_identities(x):
  assert np.array_equal(np.asarray(jaxact.maxout(x, 1)), x)
  assert np.array_equal(np.asarray(jaxact.maxout(x, 12)), x.max(axis=-1, keepdims=True))
  pairs = np.maximum(x[:, 0::2], x[:, 1::2])
  assert np.array_equal(np.asarray(jaxact.maxout(x, 2)), pairs)
  assert np.array_equal(np.asarray(jaxact.maxout(x.T, 3, axis=0)).T,
                        np.asarray(jaxact.maxout(x, 3)))


@fast
@given(finite32)
def test_saturating_bounds(x):
  assert np.all(run(jaxact.sigmoid, x) >= 0) and np.all(run(jaxact.sigmoid, x) <= 1)
  assert np.all(np.abs(run(jaxact.tanh, x)) <= 1)
  assert np.all(run(jaxact.elu, x) >= -1)
  assert np.all(run(jaxact.relu, x) >= 0)


@fast
@given(finite32)
def test_derivatives_of_bounded_functions_are_in_range(x):
  g = np.asarray(jitted(jax.vmap(jax.grad(jaxact.sigmoid)))(x), np.float64)
  assert np.all((g >= 0) & (g <= 0.25))
  g = np.asarray(jitted(jax.vmap(jax.grad(jaxact.tanh)))(x), np.float64)
  assert np.all((g >= 0) & (g <= 1))
  g = np.asarray(jitted(jax.vmap(jax.grad(jaxact.gelu)))(jnp.asarray(x)), np.float64)
  assert np.all((g >= -0.17) & (g <= 1.13))
