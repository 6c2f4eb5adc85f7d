"""The numerical building blocks the families share, each written once.

* :data:`Z_CLAMP`: where a logistic product ``sigmoid(z) sigmoid(-z)`` (and ``e^-|z|``)
  has underflowed in every dtype, so clamping ``z`` there keeps ``z * product`` from
  being ``inf * 0`` when ``z`` overflows.
* Error-free transformations (Knuth's two-sum, Dekker's split and two-product) and
  double-word addition: a result and its exact rounding error, for sums that would
  otherwise cancel (snake near its zeros, softmax's normaliser, sparsemax's threshold).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Z_CLAMP = 2.0**14


def split(a: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Dekker's split ``a = hi + lo``, each half with at most half the significand."""
  factor = 4097.0 if a.dtype.itemsize <= 4 else 134217729.0  # 2^ceil(p / 2) + 1
  c = factor * a
  hi = c - (c - a)
  return hi, a - hi


def two_sum(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
  """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth); ``e`` is 0
  where ``s`` is not finite, so an overflowed or NaN sum carries no NaN error term."""
  s = a + b
  bb = s - a
  e = (a - (s - bb)) + (b - bb)
  return s, jnp.where(jnp.isfinite(s), e, 0)


def two_prod(a: jax.Array, b: jax.Array, b_split=None) -> tuple[jax.Array, jax.Array]:
  """``(p, e)`` with ``p = fl(a b)`` and ``p + e = a b`` exactly (Dekker), where nothing
  overflows; ``b_split`` is ``split(b)`` when the caller has it already."""
  p = a * b
  ah, al = split(a)
  bh, bl = split(b) if b_split is None else b_split
  return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def dd_add(x, y):
  """Double-word addition of ``(hi, lo)`` pairs, to about ``eps**2`` relative."""
  (x_hi, x_lo), (y_hi, y_lo) = x, y
  s, e = two_sum(x_hi, y_hi)
  e = e + (x_lo + y_lo)
  hi = s + e
  return hi, e - (hi - s)


def clamp_z(z: jax.Array) -> jax.Array:
  """``z`` clamped to ``[-Z_CLAMP, Z_CLAMP]``: the same logistic products, no ``inf * 0``."""
  return jnp.clip(z, -Z_CLAMP, Z_CLAMP)
