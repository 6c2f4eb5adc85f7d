"""Evaluating a case on a batch of inputs: value and derivative, one jitted call each.

The derivative is the vector-Jacobian product with a cotangent of ones, which for an
elementwise function is f'(x) at every entry: what ``jax.grad`` gives in training.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np


@functools.cache
def _compiled(fn):
  def value_and_derivative(x):
    y, pullback = jax.vjp(fn, x)
    (dx,) = pullback(jnp.ones_like(y))
    return y, dx

  return jax.jit(value_and_derivative)


def value_and_derivative(fn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """``fn(x)`` and ``fn'(x)`` elementwise, as NumPy arrays of x's dtype."""
  y, dx = _compiled(fn)(jnp.asarray(x))
  return np.asarray(y), np.asarray(dx)


def param_derivative(fn, x: np.ndarray, param: str, value: float, dtype,
                     others=None) -> np.ndarray:
  """d fn(x, param=value, **others) / d param elementwise, with the parameter an array of
  x's shape in the compute dtype (float32, or float64 for float64 inputs), as a
  per-element learnable parameter would be."""
  work = jnp.float64 if np.dtype(dtype) == np.float64 else jnp.float32
  others = dict(others or {})

  @jax.jit
  def run(x):
    p = jnp.full(x.shape, value, work)
    _, tangent = jax.jvp(lambda p: fn(x, **{**others, param: p}), (p,), (jnp.ones_like(p),))
    return tangent

  return np.asarray(run(jnp.asarray(x, dtype)))
