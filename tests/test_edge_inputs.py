"""Inputs at the edges: limits that hold by construction, empty arrays, sharded parameters.

* Limits at +-inf must not rely on a subnormal intermediate being flushed to zero: CPU
  XLA flushes subnormals, GPUs keep them, so a limit that holds here only by flushing
  is wrong there. Since nothing here can keep a subnormal, the checks make the tails of
  the transcendentals visibly nonzero instead and ask that the limit not move.
* Every function takes empty and zero-size-axis inputs (value and gradient), as jax.nn
  does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src import selfgated

# Small but normal in float32, so that CPU's flushing cannot hide it.
_TAIL = 2.0**-100


@pytest.fixture
def nonzero_tails(monkeypatch):
  """erfc and exp return at least _TAIL: a backend on which every underflowed tail is
  nonzero (a GPU's subnormals, exaggerated to a normal number)."""
  erfc, exp = jax.lax.erfc, jnp.exp
  monkeypatch.setattr(jax.lax, "erfc", lambda a: erfc(a) + _TAIL)
  monkeypatch.setattr(jnp, "exp", lambda a: exp(a) + _TAIL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_gelu_is_zero_below_its_cutoff_whatever_the_tails(nonzero_tails, dtype):
  with jax.enable_x64(dtype == np.float64):
    below = [-np.inf, -1e30, -100.0, -45.0] + ([-14.5] if dtype == np.float32 else [])
    x = jnp.array(below, dtype)
    # The private pieces, called eagerly, so the patched erfc and exp are the ones used.
    np.testing.assert_array_equal(selfgated._gelu_erf_forward(x), np.zeros(len(below)))
    np.testing.assert_array_equal(selfgated._gelu_erf_derivative(x, None),
                                  np.zeros(len(below)))


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32, jnp.float64])
def test_exact_gelu_and_geglu_limits(dtype):
  with jax.enable_x64(dtype == jnp.float64):
    _check_exact_gelu_and_geglu_limits(dtype)


def _check_exact_gelu_and_geglu_limits(dtype):
  x = jnp.array([-np.inf, -1e4, -40.0, -14.0, 14.0, 40.0, np.inf], dtype)
  if dtype == jnp.float16:
    x = x.at[1].set(-6e4)

  def gelu(v):
    return jaxact.gelu(v, approximate=False)

  y = gelu(x)
  dy = jax.vmap(jax.grad(gelu))(x)
  assert y[0] == 0 and y[-1] == np.inf
  assert dy[0] == 0 and dy[-1] == 1
  # Below every cutoff the true values are far below 2^-110 in magnitude.
  assert np.all(np.abs(np.asarray(y[:3], np.float64)) < 2.0**-110)
  assert np.all(np.asarray(dy[:3], np.float64) == 0)
  np.testing.assert_array_equal(dy[-2:], [1, 1])
  # geglu gates b with gelu(a): at a = -inf both partials are 0 (b = 2).
  pair = jnp.array([-np.inf, 2.0], dtype)
  assert jaxact.geglu(pair)[0] == 0
  np.testing.assert_array_equal(jax.grad(lambda v: jaxact.geglu(v)[0])(pair), [0, 0])
