"""Weak types as in jax.numpy: a Python scalar in gives a weakly typed result, eagerly
and under ``jit`` (where a Python scalar argument becomes a weakly typed array), so that
a bfloat16 model times ``f(0.5)`` stays bfloat16. Driven by tests/cases.py's tables."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.cases import ELEMENTWISE, VECTOR, ids

HALF = jnp.ones(4, jnp.bfloat16)


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_python_scalar_gives_a_weak_result(case):
  for x in (0.75, -1.5, 2):
    y = case.fn(x)
    assert y.weak_type and y.dtype == jnp.float32, (x, y.dtype, y.weak_type)
    assert jax.jit(case.fn)(x).weak_type, x
    assert (HALF * case.fn(x)).dtype == jnp.bfloat16
    assert jax.jit(lambda x: HALF * case.fn(x))(x).dtype == jnp.bfloat16
  # a derivative at a Python scalar is weak too, as jax.numpy's
  assert jax.grad(case.fn)(0.75).weak_type
  # the value is the strong result's
  np.testing.assert_array_equal(case.fn(0.75), case.fn(jnp.float32(0.75)))


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_strong_inputs_stay_strong(case):
  for dtype in (jnp.bfloat16, jnp.float32):
    y = case.fn(jnp.asarray(0.75, dtype))
    assert y.dtype == dtype and not y.weak_type
  assert not case.fn(np.float32(0.75)).weak_type


@pytest.mark.parametrize("case", VECTOR, ids=ids(VECTOR))
def test_weak_arrays_along_an_axis_stay_weak(case):
  # A weakly typed array of rank >= 1: a Python scalar broadcast (under jit, too).
  x = jax.lax.broadcast(jnp.asarray(0.5), case.input_shape)
  assert x.weak_type
  assert case.fn(x).weak_type
  assert jax.jit(lambda s: case.fn(jax.lax.broadcast(s, case.input_shape)))(0.5).weak_type
  assert not case.fn(jnp.ones(case.input_shape, jnp.float32)).weak_type
