"""The numerical building blocks the families share, each written once.

* :data:`Z_CLAMP`: where a logistic product ``sigmoid(z) sigmoid(-z)`` (and ``e^-|z|``)
  has underflowed in every dtype, so clamping ``z`` there keeps ``z * product`` from
  being ``inf * 0`` when ``z`` overflows.
* :func:`logistic` and :func:`half_logistic`: sigmoid(z) and sigmoid(-z) from one exp,
  both tails to full relative precision (sigmoid, silu, swish, the tanh form of gelu,
  glu, ACON).
* Error-free transformations (Knuth's two-sum, Dekker's split and two-product) and
  double-word addition: a result and its exact rounding error, for sums that would
  otherwise cancel (snake near its zeros, softmax's normaliser, sparsemax's threshold).
"""

from __future__ import annotations

from typing import NamedTuple

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


def square(u: jax.Array) -> jax.Array:
  """``u * u``, where ``u`` may be a product with a constant.

  On a 0-d array or in a loop body XLA's simplifier rewrites ``(c v) (c v)`` into
  ``(v v)(c c)`` for a constant ``c``: with ``c = 0`` (ACON-C's ``p1 - p2`` at
  ``p1 = p2``) and a large ``v`` that is ``inf * 0 = NaN`` where ``u`` is 0. ``u`` is
  clamped to the finite range first, which changes no value (``max^2`` is inf, as
  ``inf^2``) and which no rewrite sees through.
  """
  big = jnp.finfo(u.dtype).max
  u = jnp.clip(u, -big, big)
  return u * u


def clamp_z(z: jax.Array) -> jax.Array:
  """``z`` clamped to ``[-Z_CLAMP, Z_CLAMP]``: the same logistic products, no ``inf * 0``."""
  return jnp.clip(z, -Z_CLAMP, Z_CLAMP)


class Logistic(NamedTuple):
  """The logistic function of ``z`` from one exp, both tails to full relative precision.

  With ``e = exp(-|z|)`` in (0, 1], ``big = 1 / (1 + e) = sigmoid(|z|)`` and
  ``small = e / (1 + e) = sigmoid(-|z|)``: no cancellation, no overflow, exact limits
  at +-inf. ``positive`` is ``z >= 0``.
  """

  e: jax.Array
  big: jax.Array
  small: jax.Array
  positive: jax.Array

  def pair(self) -> tuple[jax.Array, jax.Array]:
    """``(sigmoid(z), sigmoid(-z))``."""
    return (jnp.where(self.positive, self.big, self.small),
            jnp.where(self.positive, self.small, self.big))


def logistic(z: jax.Array, *, apart: bool = False) -> Logistic:
  """:class:`Logistic` of ``z``.

  ``apart=True`` gives the same values from ``exp(min(z, -z))``, an expression XLA does
  not merge with the forward formula's ``exp(-|z|)``: for derivative rules. Shared, the
  exp and the division are computed once and kept as two tensors between the forward
  and the backward fusions (XLA does not duplicate them); apart, each fusion computes
  its own and reads x only, which on CPU is 2-3x faster for a layer's output and
  pullback in one jit (the memory traffic costs more than an exp), and leaves x and the
  output as the only residuals of a training step.
  """
  e = jnp.exp(jnp.minimum(z, -z) if apart else -jnp.abs(z))
  big = 1 / (1 + e)
  return Logistic(e, big, e * big, z >= 0)


def logistic_pair(z: jax.Array, *, apart: bool = False) -> tuple[jax.Array, jax.Array]:
  """``(sigmoid(z), sigmoid(-z))`` (:func:`logistic`)."""
  return logistic(z, apart=apart).pair()


class HalfLogistic(NamedTuple):
  """The logistic function of ``z`` from ``h = exp(-|z| / 2)``, the square root of
  :class:`Logistic`'s ``e``: ``big = 1 / (1 + h^2) = sigmoid(|z|)`` and ``hb = h * big``,
  so that ``sigmoid(-|z|) = h * hb`` and ``sigmoid(z) sigmoid(-z) = hb^2``. For gates
  multiplied by a large ``x``: ``x * sigmoid(-|z|) = (x h) hb`` does not underflow where
  ``e^-|z|`` alone would (swish with a small beta, ACON)."""

  h: jax.Array
  big: jax.Array
  hb: jax.Array


def half_logistic(z: jax.Array) -> HalfLogistic:
  """:class:`HalfLogistic` of ``z``."""
  h = jnp.exp(-0.5 * jnp.abs(z))
  big = 1 / (1 + h * h)
  return HalfLogistic(h, big, h * big)
