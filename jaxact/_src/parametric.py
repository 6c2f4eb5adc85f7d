"""Parametric activations: shapes learned with the network (snake, ACON-C, rational)."""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxact._src import errors, numerics
from jaxact._src.define import define, with_derivative


def _finite(x):
  """x clamped to its dtype's finite range (so that 0 * x and x * 0 are never NaN)."""
  big = float(jnp.finfo(x.dtype).max)
  return jnp.clip(x, -big, big)


# ----------------------------------------------------------------------------- snake

# Below |alpha x| = 0.01, d/dalpha uses its Taylor series (the closed form is 0 / 0 at
# alpha = 0); the first omitted term is u^6 / 45 < 3e-14 relative.
_SNAKE_SERIES = 0.01


def _snake_u(x, alpha):
  """u = alpha x, finite: x is clamped so that alpha x is never 0 * inf, and u where
  alpha x overflows (|x| near the dtype's maximum and |alpha| > 1)."""
  return _finite(alpha * _finite(x))


# Where |alpha x| <= _SNAKE_REDUCED, sin^2(alpha x) is computed here in double-word
# arithmetic (see _snake_sin2); past it, with the backend's sine.
_SNAKE_REDUCED = 1024.0


def _pio2_parts(dtype) -> tuple[float, float, float]:
  """pi / 2 = p1 + p2 + p3 (to 3p bits), p1 and p2 with 10 bits to spare, so that
  k p1 and k p2 are exact for |k| < 2^10 (Cody and Waite's reduction)."""
  bits = (24 if np.dtype(dtype).itemsize <= 4 else 53) - 10
  rest = math.pi / 2
  parts = []
  for _ in range(2):
    exponent = math.floor(math.log2(abs(rest)))
    step = 2.0 ** (exponent - bits + 1)
    part = math.floor(rest / step) * step
    parts.append(part)
    rest -= part
  return parts[0], parts[1], rest


def _snake_sin2(x, alpha, shift: bool = False):
  """``(hi, lo)``: sin^2(alpha x) = hi + lo to about 2^-40 relative, for
  |alpha x| <= _SNAKE_REDUCED (other entries are finite but meaningless).

  alpha x is formed exactly (Dekker's product) and reduced by pi / 2 in three parts,
  so that sin^2(alpha x) = sin^2(r) for an even quotient and 1 - sin^2(r) for an odd
  one, |r| <= pi / 4; sin(r) is a Taylor polynomial, its leading r and every rounding
  carried in double-word arithmetic. Nothing reads the backend's sine, whose error
  (a couple of ulps on GPUs) the cancellation in x + sin^2(alpha x) / alpha amplifies.
  The products that meet a sum are exact (of half-width factors), so a compiler that
  fuses a multiply and an add (XLA does, on CPU and GPU) cannot change a result.
  """
  p1, p2, p3 = _pio2_parts(x.dtype)
  uh, ul = numerics.two_prod(alpha, x)
  if shift:  # sin^2(alpha x + pi / 4), pi / 4 = (p1 + p2 + p3) / 2 added exactly
    uh, e = numerics.two_sum(uh, 0.5 * p1)
    ul = ul + (e + (0.5 * p2 + 0.5 * p3))
  k = jnp.round(uh * (2 / math.pi))
  t, e = numerics.two_sum(uh - k * p1, -(k * p2))  # uh - k p1 and k p2 are exact
  r, r_lo = numerics.two_sum(t, (e - k * p3) + ul)
  r2 = r * r
  poly = r2 * (-1 / 6 + r2 * (1 / 120 + r2 * (-1 / 5040 + r2 * (1 / 362880 + r2 * (
      -1 / 39916800 + r2 * (1 / 6227020800))))))
  # sin r = s + s_lo: r + r poly with |r poly| < |r| / 9 (Dekker's fast sum).
  correction = r * poly
  s = r + correction
  s_lo = (correction - (s - r)) + r_lo * (1 - 0.5 * r2)  # + cos(r) r_lo
  # s^2 = sh^2 + rest, sh^2 exact; rest = 2 sh sl + sl^2 + 2 s s_lo, below 2^-11 s^2.
  sh, sl = numerics.split(s)
  head = sh * sh
  rest = ((2 * sh) * sl + sl * sl) + 2 * (s * s_lo)
  odd = jnp.abs(k - 2 * jnp.round(0.5 * k)) == 1
  # sin^2 = head + rest (even k); cos^2 = (1 - head) - rest (odd k), 1 - head exact
  # to two words.
  one_minus, one_minus_lo = numerics.two_sum(1.0, -head)
  hi = jnp.where(odd, one_minus, head)
  lo = jnp.where(odd, one_minus_lo - rest, rest)
  total = hi + lo
  return total, lo - (total - hi)


def _snake_forward(x, alpha):
  # x + sin^2(alpha x) / alpha, with alpha = 0 read as 1: then sin(0) = 0 and y = x
  # exactly, the limit alpha -> 0 (and nothing is 0 / 0); y = x + finite keeps +-inf.
  # Near y's zeros the sum cancels, amplifying the error of sin^2 / alpha (by up to
  # ~3 for alpha x ~ -1): the quotient and the sum are carried in double-word
  # arithmetic, sin^2 from _snake_sin2 where alpha x is small enough to reduce exactly.
  xc = _finite(x)
  u = _snake_u(x, alpha)
  safe_alpha = jnp.where(alpha == 0, 1.0, alpha)
  # (Dekker's split of alpha and x overflows past 2^100 in float32.)
  reduced = ((jnp.abs(u) <= _SNAKE_REDUCED) & (jnp.abs(alpha) <= 2.0**100)
             & (jnp.abs(xc) <= 2.0**100))
  sq, sq_lo = _snake_sin2(jnp.where(reduced, xc, 0), jnp.where(reduced, alpha, 0))
  s = jnp.sin(u)
  sq, sq_lo = jnp.where(reduced, sq, s * s), jnp.where(reduced, sq_lo, 0)
  q = sq / safe_alpha
  # The remainder sq - q alpha, exact (Dekker): products of half-width factors only.
  a = jnp.where(reduced, safe_alpha, 1)
  qh, ql = numerics.split(jnp.where(reduced, q, 0))
  ah, al = numerics.split(a)
  rem = (((sq - qh * ah) - qh * al) - ql * ah) - ql * al
  q_lo = jnp.where(reduced, (rem + sq_lo) / a, 0)
  y, y_lo = numerics.two_sum(xc, q)
  return jnp.where(jnp.isinf(x), x, y + (y_lo + q_lo))


def _snake_derivative(x, y, alpha):
  xc = _finite(x)
  u = _snake_u(x, alpha)
  sn, cs = jnp.sin(u), jnp.cos(u)
  # 1 + sin(2u) = (sin u + cos u)^2 = 2 sin^2(u + pi / 4): its double zeros keep their
  # digits, and 2u cannot overflow; in double-word arithmetic (as the forward's ripple)
  # where u is small enough, so that no backend's sine moves it.
  reduced = ((jnp.abs(u) <= _SNAKE_REDUCED) & (jnp.abs(alpha) <= 2.0**100)
             & (jnp.abs(xc) <= 2.0**100))
  hi, lo = _snake_sin2(jnp.where(reduced, xc, 0), jnp.where(reduced, alpha, 0), shift=True)
  d_x = jnp.where(reduced, 2 * (hi + lo), jnp.square(sn + cs))
  # d/dalpha = x sin(2u) / alpha - sin^2(u) / alpha^2 = (2 x sin u cos u - sin u
  # (sin u / alpha)) / alpha, in an order that overflows only where the result does, or
  # x^2 (1 - u^2 + 2u^4 / 9) near u = 0 (including alpha = 0).
  safe_alpha = jnp.where(alpha == 0, 1.0, alpha)
  closed = (2 * ((xc * sn) * cs) - sn * (sn / safe_alpha)) / safe_alpha
  uu = u * u
  series = (xc * xc) * (1 - uu * (1 - uu * (2.0 / 9.0)))
  d_alpha = jnp.where(jnp.abs(u) < _SNAKE_SERIES, series, closed)
  # At x = +-inf the derivatives oscillate without a limit: NaN, not an arbitrary value.
  infinite = jnp.isinf(x)
  return jnp.where(infinite, jnp.nan, d_x), jnp.where(infinite, jnp.nan, d_alpha)


_snake = define(_snake_forward, _snake_derivative, name="snake", params=("alpha",))


def snake(x: ArrayLike, alpha: ArrayLike = 1.0) -> jax.Array:
  r"""Snake activation: the identity plus a periodic ripple of frequency :math:`\alpha`.

  .. math::
    \mathrm{snake}(x) = x + \frac{\sin^2(\alpha x)}{\alpha}

  which tends to :math:`x` as :math:`\alpha \to 0` (and is exactly :math:`x` at
  :math:`\alpha = 0`).

  Derivative: :math:`1 + \sin(2u) = (\sin u + \cos u)^2` with :math:`u = \alpha x`,
  evaluated in the squared form, so that its double zeros keep their digits (the sum
  :math:`1 + \sin 2u` keeps only the absolute error of the sine) and :math:`2u` cannot
  overflow; :math:`\partial/\partial\alpha = x \sin(2u)/\alpha - \sin^2(u)/\alpha^2`,
  and its series :math:`x^2 (1 - u^2 + 2u^4/9)` for small :math:`|u|` (the closed form
  is :math:`0/0` at :math:`\alpha = 0`, and :math:`\alpha^2` underflows before).

  Numerics: the value at :math:`\pm\infty` is :math:`\pm\infty`; the derivatives
  oscillate there without a limit and are NaN. For :math:`|\alpha x| \le 1024` the
  value and the derivative are computed in double-word arithmetic from the exact
  product :math:`\alpha x` and its own reduction by :math:`\pi/2`, not from the
  backend's sine, so they stay within 1.5 ulp where :math:`x + \sin^2(\alpha x)/\alpha`
  cancels, on every backend. Past that, and in :math:`\partial/\partial\alpha`,
  :math:`\alpha x` is rounded to the compute dtype:
  for :math:`|\alpha x| \gtrsim 10^5` in float32 the phase of the ripple is then only
  as good as that rounding (a backward-stable result, not the exact one).
  Where :math:`\alpha x` overflows, the derivatives are finite but arbitrary.

  Smooth everywhere.

  Args:
    x: input array.
    alpha: the frequency :math:`\alpha`, a scalar or an array broadcasting against
      ``x`` (one per channel, reshaped to ``x``'s rank); differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> x = jnp.array([-2.0, 0.0, 1.0, 3.0])
    >>> print(jaxact.snake(x))
    [-1.1732  0.      1.7081  3.0199]
    >>> print(jaxact.snake(x, alpha=0.0))
    [-2.  0.  1.  3.]

  References:
    Liu Ziyin, Tilman Hartwig & Masahito Ueda, *Neural Networks Fail to Learn Periodic
    Functions and How to Fix It*, NeurIPS 2020.

  .. note:: The usual ``x + sin(alpha * x) ** 2 / alpha`` is NaN at
    :math:`\alpha = 0`, its derivative with respect to :math:`\alpha` is NaN or inf
    once :math:`\alpha^2` underflows, and ``1 + sin(2 * alpha * x)`` loses the digits
    of the derivative near its zeros; neither jax.nn nor PyTorch has snake.

  See also:
    :func:`silu`, :func:`rational`.
  """
  return _snake(x, alpha)


# ----------------------------------------------------------------------------- acon_c


class _AconParts(NamedTuple):
  """What every ACON-C formula reads: ``x`` clamped to the finite range, ``d = p1 - p2``,
  ``z = beta d x``, the half logistic of ``z`` (:class:`numerics.HalfLogistic`: ``h``,
  ``big``, ``hb``) and ``z >= 0``."""

  xc: jax.Array
  d: jax.Array
  z: jax.Array
  h: jax.Array
  big: jax.Array
  hb: jax.Array
  positive: jax.Array


def _acon_parts(x, p1, p2, beta) -> _AconParts:
  """z = beta (p1 - p2) x and sigmoid(+-z) from one e^-|z|/2 (see swish's gate)."""
  xc = _finite(x)
  d = p1 - p2
  z = (beta * d) * xc
  return _AconParts(xc, d, z, *numerics.half_logistic(z), z >= 0)


# sinh(t) / t = sum_k t^(2k) / (2k + 1)!, k = 0..9: within 2^-60 relative for |t| <= 1.
_SINH_OVER_T = tuple(1 / math.factorial(2 * k + 1) for k in range(10))


def _acon_gate(p1, p2, d, z, h, big, hb, positive):
  """The gate p1 sigmoid(z) + p2 sigmoid(-z) = (p1 - p2) sigmoid(z) + p2.

  Written without rounding p1 - p2: exact where sigmoid saturates (p1 or p2), at
  p1 = p2 and at z = 0 ((p1 + p2) / 2). Where p1 and p2 have opposite signs it has a
  zero, at z0 = log(-p2 / p1), near which the two terms cancel; there it is
  (p1 - p2)(sigmoid(z) - sigmoid(z0)) = 2 sgn(p1 - p2) sqrt(-p1 p2) sinh((z - z0)/2) hb
  with hb = 1 / (2 cosh(z / 2)), and sinh by its series (no cancellation, no second
  exponential): the rounding of z0 only moves the zero, as a rounding of x would.
  """
  p_big = jnp.where(positive, p1, p2)
  p_small = jnp.where(positive, p2, p1)
  gate = p_big * big + (p_small * hb) * h
  opposite = p1 * p2 < 0
  # z0 = log(-p2 / p1) = log1p(-(p1 + p2) / p1): p1 + p2 is exact for opposite signs of
  # similar size, so z0 is good to its own ULPs (log of the rounded ratio is not).
  t = 0.5 * (z - jnp.log1p(jnp.where(opposite, -(p1 + p2) / p1, 0.0)))
  tt = t * t
  sinh_over_t = _SINH_OVER_T[-1]
  for c in _SINH_OVER_T[-2::-1]:
    sinh_over_t = sinh_over_t * tt + c
  root = jnp.sqrt(jnp.where(opposite, -(p1 * p2), 0.0))
  near_zero = (2 * jnp.sign(d) * root) * ((t * sinh_over_t) * hb)
  return jnp.where(opposite & (jnp.abs(t) < 1), near_zero, gate), p_big, p_small


def _acon_forward(x, p1, p2, beta):
  # y = x gate. Where the large sigmoid's parameter is 0, y = x p sigmoid(-|z|) is
  # (xc h) (p hb): it neither underflows early (small beta, large x, as in swish) nor is
  # 0 * inf.
  xc, d, z, h, big, hb, positive = _acon_parts(x, p1, p2, beta)
  gate, p_big, p_small = _acon_gate(p1, p2, d, z, h, big, hb, positive)
  return jnp.where(p_big == 0, (xc * h) * (p_small * hb), x * gate)


def _acon_slope_forward(x, p1, p2, beta):
  # gate + (p1 - p2) z sigmoid(z) sigmoid(-z); z is clamped
  # where sigmoid(z) sigmoid(-z) has underflowed, so the product is never inf * 0.
  xc, d, z, h, big, hb, positive = _acon_parts(x, p1, p2, beta)
  gate, _, _ = _acon_gate(p1, p2, d, z, h, big, hb, positive)
  return gate + d * (numerics.clamp_z(z) * (hb * hb))


def _acon_slope_derivative(x, slope, p1, p2, beta):
  # With K = s s_neg (2 + z (s_neg - s)) = d slope / dz / (p1 - p2) and z = beta (p1 - p2) x:
  # d/dx = beta (p1 - p2)^2 K, d/dp1 = s + z s s_neg + z K, d/dp2 = s_neg - z s s_neg - z K,
  # d/dbeta = (p1 - p2)^2 x K. Autodiff of the slope would cancel in 2 + z (s_neg - s)
  # differently in each mode (forward and reverse must agree).
  xc, d, z, h, big, hb, positive = _acon_parts(x, p1, p2, beta)
  small = h * hb
  s = jnp.where(positive, big, small)
  s_neg = jnp.where(positive, small, big)
  zc = numerics.clamp_z(z)
  ss = hb * hb
  k = ss * (2 + zc * (s_neg - s))
  zss_zk = zc * ss + zc * k
  d_x = (beta * d) * (d * k)
  d_p1 = s + zss_zk
  d_p2 = s_neg - zss_zk
  d_beta = d * ((d * (xc * hb)) * (hb * (2 + zc * (s_neg - s))))
  return d_x, d_p1, d_p2, d_beta


_acon_slope = with_derivative(_acon_slope_forward, _acon_slope_derivative)


def _acon_derivative(x, y, p1, p2, beta):
  xc, d, z, h, big, hb, positive = _acon_parts(x, p1, p2, beta)
  zc = numerics.clamp_z(z)
  small = h * hb
  x_big = x * big
  x_small = (xc * h) * hb
  xs = jnp.where(positive, x_big, x_small)  # x sigmoid(z)
  xs_neg = jnp.where(positive, x_small, x_big)  # x sigmoid(-z)
  d_p1 = xs * (1 + zc * jnp.where(positive, small, big))
  d_p2 = xs_neg * (1 - zc * jnp.where(positive, big, small))
  d_beta = numerics.square(d * (xc * hb))
  return _acon_slope(x, p1, p2, beta), d_p1, d_p2, d_beta


_acon_c = define(_acon_forward, _acon_derivative, name="acon_c", params=("p1", "p2", "beta"),
                 keep_derivative=True)


def acon_c(x: ArrayLike, p1: ArrayLike, p2: ArrayLike, beta: ArrayLike) -> jax.Array:
  r"""ACON-C activation: a learnable blend between a linear unit and a swish.

  .. math::
    \mathrm{acon\_c}(x) = (p_1 - p_2)\,x\,\sigma\bigl(\beta (p_1 - p_2) x\bigr) + p_2 x
      = x\,\bigl(p_1\,\sigma(z) + p_2\,\sigma(-z)\bigr), \qquad z = \beta (p_1 - p_2) x

  :math:`p_1 = 1, p_2 = 0` is :func:`swish`; :math:`\beta \to \infty` gives
  :math:`\max(p_1 x, p_2 x)`; :math:`\beta = 0` the linear :math:`(p_1 + p_2) x / 2`;
  :math:`p_1 = p_2` the linear :math:`p_2 x`.

  Derivative: :math:`p_1 \sigma(z) + p_2 \sigma(-z) + (p_1 - p_2)\,z\,\sigma(z)\sigma(-z)`;
  :math:`\partial/\partial p_1 = x\,\sigma(z)\,(1 + z\,\sigma(-z))`,
  :math:`\partial/\partial p_2 = x\,\sigma(-z)\,(1 - z\,\sigma(z))`,
  :math:`\partial/\partial\beta = (p_1 - p_2)^2 x^2 \sigma(z)\sigma(-z)`; both
  sigmoids come from one exponential, so nothing cancels.

  Numerics: no product overflows into :math:`0 \cdot \infty`; the limits at
  :math:`\pm\infty` are :math:`p_1 x` or :math:`p_2 x` (by the sign of
  :math:`\beta (p_1 - p_2) x`), with derivative :math:`p_1` or :math:`p_2`. Where
  :math:`p_1` and :math:`p_2` have opposite signs, the gate has a zero at
  :math:`z_0 = \log(-p_2/p_1)`, near which both textbook forms cancel; there it is
  evaluated as :math:`2\,\mathrm{sgn}(p_1 - p_2)\sqrt{-p_1 p_2}\,
  \sinh\bigl((z - z_0)/2\bigr) / (2\cosh(z/2))`, with the sinh by its series.

  Smooth everywhere.

  Args:
    x: input array.
    p1: the slope :math:`p_1`, a scalar or an array broadcasting against ``x``
      (one per channel, reshaped to ``x``'s rank); differentiable.
    p2: the slope :math:`p_2`, likewise.
    beta: the switching factor :math:`\beta`, likewise.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> x = jnp.array([-2.0, 0.0, 1.0, 3.0])
    >>> print(jaxact.acon_c(x, p1=1.0, p2=0.25, beta=1.0))
    [-0.7736  0.      0.7594  2.7855]

  References:
    Ma, Zhang, Zhang, Sun & Sun, *Activate or Not: Learning Customized Activation*,
    CVPR 2021.

  .. note:: The parameters have no defaults (the paper learns them per channel; the
    Flax module :class:`jaxact.linen.AconC` starts at :math:`p_1 = 1, p_2 = 0,
    \beta = 1`, a swish). Neither jax.nn nor PyTorch has ACON-C.

  See also:
    :func:`swish`, :func:`silu`.
  """
  return _acon_c(x, p1, p2, beta)


# ----------------------------------------------------------------------------- rational
#
# P and Q are evaluated by compensated Horner (Graillat, Langlois & Louvet, 2005): each
# step's rounding errors are recovered exactly (Dekker's product, Knuth's sum) and
# summed alongside, so the result is as accurate as Horner in twice the working
# precision. Plain Horner loses log2(sum |a_i x^i| / |P(x)|) bits near a root of P,
# where a rational fit of leaky_relu sits on its whole negative side (y ~ 0.01 x from
# terms of size ~1: hundreds of float32 ULPs).


def _coeff(v):
  """A coefficient as a (hi, lo) pair, exact."""
  return v, jnp.zeros_like(v)


def _scaled_coeff(k: int, v):
  """k * v as an exact (hi, lo) pair, for a static int k."""
  return numerics.two_prod(jnp.asarray(k, v.dtype), v)


def _comp_horner(coeffs, t, far):
  """sum_k c_k t^k (reversed, sum_k c_k t^(K - k), where ``far``) as (s, e), s + e
  accurate to about twice the working precision.

  ``coeffs`` are (hi, lo) pairs, lowest order first.
  """
  last = len(coeffs) - 1

  def pick(j):
    (far_hi, far_lo), (near_hi, near_lo) = coeffs[j], coeffs[last - j]
    return jnp.where(far, far_hi, near_hi), jnp.where(far, far_lo, near_lo)

  s, err = pick(0)
  t_split = numerics.split(t)
  for j in range(1, last + 1):
    p, p_err = numerics.two_prod(s, t, t_split)
    hi, lo = pick(j)
    s, s_err = numerics.two_sum(p, hi)
    err = err * t + (p_err + s_err + lo)
  return s, err


def _times_pow(c, xs, r, k: int):
  """c x^k for a static int k of either sign, one factor at a time (from x where
  k > 0, from r = 1/x where k < 0), so that it overflows only where the result does."""
  for _ in range(abs(k)):
    c = c * (xs if k > 0 else r)
  return c


def _rational_threshold(dtype, degree: int) -> float:
  """|x| beyond which the polynomials are evaluated in 1/x. Up to it, x^(degree + 1)
  stays below 2^-29 of the dtype's maximum: room for Dekker's split (2^13), for
  coefficients and sums up to 2^16, and for D^2 (degree counts 2m)."""
  max_exp = math.log2(float(jnp.finfo(dtype).max))
  return 2.0 ** math.floor((max_exp - 29) / (degree + 1))


class _RationalForm:
  """The pieces of P(x) / (1 + |Q(x)|) at given coefficient scalars (static degrees).

  For |x| <= T, P and Q in x and D = 1 + |Q|. For |x| > T, in r = 1/x:
  P = x^n P~(r), Q = x^m Q~(r), D = |x|^m E with E = |r|^m + |Q~(r)|, so that
  y = sgn(x)^m x^(n - m) P~ / E and nothing overflows before the result does
  (x = +-inf gives r = 0 and the exact limit a_n / |b_m| sgn(x)^m x^(n - m)).
  """

  def __init__(self, x, a, b):
    self.n, self.m = len(a) - 1, len(b)
    n, m = self.n, self.m
    zero = jnp.zeros_like(a[0])
    self.a = [_coeff(v) for v in a]
    self.c = [_coeff(v) for v in b]  # Q(x) = x Q1(x), Q1's coefficients
    # N = P'(1 + |Q|) - P sgn(Q) Q' = P' + sgn(Q) R with R = P'Q - PQ' of degree
    # n + m - 1; R_k = sum_{i + j = k + 1} (i - j) a_i b_j, exact in (hi, lo).
    self.dp = [_scaled_coeff(i, a[i]) for i in range(1, n + 1)] or [_coeff(zero)]
    r_coeffs = []
    for k in range(n + m):
      hi, lo = zero, zero
      for i in range(n + 1):
        j = k + 1 - i
        if 1 <= j <= m and i != j:
          p, p_err = numerics.two_prod(a[i], b[j - 1])
          w, w_err = _scaled_coeff(i - j, p)
          hi, s_err = numerics.two_sum(hi, w)
          lo = lo + (s_err + w_err + (i - j) * p_err)
      r_coeffs.append((hi, lo))
    self.r = r_coeffs
    self.k = max(len(self.dp), len(self.r)) - 1  # the degree of N
    self.dp += [_coeff(zero)] * (self.k + 1 - len(self.dp))  # same length: same scaling
    degree = max(n, m, self.k, 2 * m)
    self.far = jnp.abs(x) > _rational_threshold(x.dtype, degree)
    self.xs = jnp.where(self.far, x, 1.0)  # x where far, else 1 (so x^k, 1/x are 1)
    self.r_inv = 1 / self.xs
    self.t = jnp.where(self.far, self.r_inv, x)
    self.sign_m = jnp.sign(self.xs) if m % 2 else 1.0  # sgn(x)^m where far
    p_hi, p_lo = _comp_horner(self.a, self.t, self.far)
    self.p = p_hi + p_lo
    if m:
      # Q = x Q1(x) where near: the sign of Q comes from x and Q1, so it is right even
      # where Q itself underflows (x near the smallest normal). Where far, reversed Q1
      # is Q~(r) itself.
      q1_hi, q1_lo = _comp_horner(self.c, self.t, self.far)
      q1 = q1_hi + q1_lo
      x_near = jnp.where(self.far, 0.0, x)
      q_abs = jnp.abs(jnp.where(self.far, q1, x_near * q1))
      self.sign_q = jnp.sign(q1) * jnp.where(self.far, self.sign_m, jnp.sign(x_near))
    else:
      q_abs = self.sign_q = jnp.zeros_like(x)
    # D where near (|r|^m = 1 there), E where far.
    self.den = _times_pow(jnp.ones_like(x), self.xs, jnp.abs(self.r_inv), -m) + q_abs

  def value(self):
    return _times_pow(self.sign_m * (self.p / self.den), self.xs, self.r_inv, self.n - self.m)

  def slope(self):
    """N / D^2, N accurate (P' and R in (hi, lo), summed exactly), and N = P' where
    Q = 0 (|.|' = 0 there, so rational'(0) = a_1); where far, x^(K - 2m) N~ / E^2."""
    dp_hi, dp_lo = _comp_horner(self.dp, self.t, self.far)
    if self.r:
      r_hi, r_lo = _comp_horner(self.r, self.t, self.far)
      hi, err = numerics.two_sum(dp_hi, self.sign_q * r_hi)
      nv = hi + (err + (dp_lo + self.sign_q * r_lo))
    else:
      nv = dp_hi + dp_lo
    return _times_pow(nv / (self.den * self.den), self.xs, self.r_inv, self.k - 2 * self.m)


def _horner_derivs(coeffs, t):
  """(p, p', p'') of sum_k coeffs[k] t^k by Horner (plain: for the second derivative)."""
  p, d1, d2 = coeffs[-1], jnp.zeros_like(t), jnp.zeros_like(t)
  for c in coeffs[-2::-1]:
    d2 = d2 * t + d1
    d1 = d1 * t + p
    p = p * t + c
  return p, d1, 2 * d2


def _rational_second_partials(x, a, b, sign_q):
  """The slope's partials: rational''(x) and d rational' / d(a_i, b_j).

  From x for |x| <= 1 and from r = 1/x beyond, where the textbook (N'D - 2ND') / D^3
  cancels (y'' ~ 1/x^3 from terms ~ 1/x) and D^3 overflows: with y = sgn(x)^m x^k g(r),
  k = n - m, g = P~ / E, y'' = sgn(x)^m x^(k - 2) (k (k - 1) g - 2 (k - 1) r g' + r^2 g'').
  Plain Horner (second derivatives need no more). Where Q = 0, |.|' = |.|'' = 0 (so
  rational''(0) = 2 a_2); ``sign_q`` is the slope's sgn(Q), so that both agree there.
  """
  n, m = len(a) - 1, len(b)
  k = n - m
  c = [jnp.zeros_like(a[0]), *b]  # Q's coefficients
  outer = jnp.abs(x) > 1
  # |x| <= 1: y'' = (N' D - 2 N D') / D^3, N = P' D - P D', N' = P'' D - P D''.
  xn = jnp.where(outer, 0.0, x)
  pv, p1, p2 = _horner_derivs(list(a), xn)
  qv, q1, q2 = _horner_derivs(c, xn)
  den, den1, den2 = 1 + sign_q * qv, sign_q * q1, sign_q * q2
  nv = p1 * den - pv * den1
  inner = ((p2 * den - pv * den2) * den - 2 * nv * den1) / (den * den * den)
  # |x| > 1: P~, Q~ and E = |r|^m + |Q~| with their r-derivatives.
  xs = jnp.where(outer, x, 2.0)
  r = 1 / xs
  pt, pt1, pt2 = _horner_derivs(list(a[::-1]), r)
  qt, qt1, qt2 = _horner_derivs(list(b[::-1]) or [jnp.zeros_like(a[0])], r)
  sr = jnp.sign(xs) if m % 2 else 1.0  # sgn(r)^m, from x: r may flush to 0
  sqt = sign_q * sr  # sgn(Q~) = sgn(Q) sgn(x)^m
  one = jnp.ones_like(r)
  e = sr * _times_pow(one, None, r, -m) + sqt * qt
  e1 = (m * sr) * _times_pow(one, None, r, 1 - m) + sqt * qt1 if m else 0.0
  e2 = (m * (m - 1) * sr) * _times_pow(one, None, r, 2 - m) if m > 1 else 0.0
  e2 = e2 + sqt * qt2
  g = pt / e
  g1 = (pt1 * e - pt * e1) / (e * e)
  g2 = (pt2 * e - pt * e2) / (e * e) - 2 * e1 * g1 / e
  bracket = (k * (k - 1)) * g - (2 * (k - 1)) * (r * g1) + (r * r) * g2
  curvature = jnp.where(outer, _times_pow(sr * bracket, xs, r, k - 2), inner)
  # d/dx (x^i / D): near, i x^(i-1) / D - x^i D' / D^2; far (x^i / D = sgn^m x^(i-m) / E),
  # sgn^m x^(i-m-1) ((i - m) / E + r E' / E^2).
  mixed_a, power, lower = [], jnp.ones_like(x), jnp.zeros_like(x)  # x^i, i x^(i-1)
  for i in range(n + 1):
    near = lower / den - power * den1 / (den * den)
    far = _times_pow(sr * ((i - m) / e + r * e1 / (e * e)), xs, r, i - m - 1)
    mixed_a.append(jnp.where(outer, far, near))
    lower = lower * xn + power
    power = power * xn
  # d/dx (-sgn(Q) P x^j / D^2): near, -sgn(Q) ((P' x^j + j P x^(j-1)) / D^2 - 2 P x^j D'
  # / D^3); far (-sgn(Q) x^(n+j-2m) psi, psi = P~ / E^2), -sgn(Q) x^(n+j-2m-1)
  # ((n + j - 2m) psi - r psi').
  psi = pt / (e * e)
  psi1 = pt1 / (e * e) - 2 * pt * e1 / (e * e * e)
  mixed_b, power, lower = [], xn, jnp.ones_like(x)  # x^j, j x^(j-1)
  for j in range(1, m + 1):
    near = (p1 * power + pv * lower) / (den * den) - 2 * pv * power * den1 / (den * den * den)
    far = _times_pow((n + j - 2 * m) * psi - r * psi1, xs, r, n + j - 2 * m - 1)
    mixed_b.append(-sign_q * jnp.where(outer, far, near))
    lower = lower * xn + power
    power = power * xn
  return curvature, mixed_a, mixed_b


def _rational_pair(n_num: int, n_den: int):
  def split(coeffs):
    return coeffs[:n_num], coeffs[n_num:]

  def slope(x, *coeffs):
    return _RationalForm(x, *split(coeffs)).slope()

  def slope_derivative(x, s, *coeffs):
    a, b = split(coeffs)
    curvature, mixed_a, mixed_b = _rational_second_partials(
        x, a, b, _RationalForm(x, a, b).sign_q)
    return (curvature, *mixed_a, *mixed_b)

  # The slope is itself a custom pair: autodiff of N / D^2 would cancel for large |x|.
  slope_pair = with_derivative(slope, slope_derivative)

  def forward(x, *coeffs):
    return _RationalForm(x, *split(coeffs)).value()

  def derivative(x, y, *coeffs):
    form = _RationalForm(x, *split(coeffs))
    n, m = form.n, form.m
    x_near = jnp.where(form.far, 0.0, x)
    p_over_d = form.p / form.den  # P / D where near, P~ / E where far
    d_num, d_den = [], []
    power = jnp.ones_like(x)
    for i in range(n + 1):  # d/da_i = x^i / D
      far = _times_pow(form.sign_m / form.den, form.xs, form.r_inv, i - m)
      d_num.append(jnp.where(form.far, far, power / form.den))
      power = power * x_near
    power = x_near
    for j in range(1, m + 1):  # d/db_j = -sgn(Q) P x^j / D^2
      far = _times_pow(p_over_d / form.den, form.xs, form.r_inv, n + j - 2 * m)
      near = p_over_d * (power / form.den)
      d_den.append(-form.sign_q * jnp.where(form.far, far, near))
      power = power * x_near
    return (slope_pair(x, *coeffs), *d_num, *d_den)

  return forward, derivative


@functools.cache
def _rational(n_num: int, n_den: int):
  forward, derivative = _rational_pair(n_num, n_den)
  names = ("numerator",) * n_num + ("denominator",) * n_den
  return define(forward, derivative, name="rational", params=names, keep_derivative=True)


def _coefficients(arg: str, value, minimum: int) -> list:
  shape = np.shape(value)
  errors.check(len(shape) == 1 and shape[0] >= minimum, "rational", arg,
               f"be a 1-D array of coefficients{' (at least one)' if minimum else ''}, "
               "lowest order first", f"shape {shape}")
  if isinstance(value, (list, tuple)):
    return list(value)
  return [value[i] for i in range(shape[0])]


def rational(x: ArrayLike, numerator: ArrayLike, denominator: ArrayLike) -> jax.Array:
  r"""Rational activation: the safe Padé activation unit.

  .. math::
    \mathrm{rational}(x) = \frac{P(x)}{1 + |Q(x)|}
      = \frac{a_0 + a_1 x + \dots + a_n x^n}{1 + |b_1 x + b_2 x^2 + \dots + b_m x^m|}

  The denominator is at least 1, so the unit has no poles.

  Derivative: :math:`\bigl(P'(1 + |Q|) - P\,\mathrm{sgn}(Q)\,Q'\bigr) / (1 + |Q|)^2
  = \bigl(P' + \mathrm{sgn}(Q)\,(P'Q - PQ')\bigr) / (1 + |Q|)^2`, with the
  coefficients of :math:`P'Q - PQ'` formed exactly, so the two terms do not cancel for
  large :math:`|x|`;
  :math:`\partial/\partial a_i = x^i/(1 + |Q|)`,
  :math:`\partial/\partial b_j = -\mathrm{sgn}(Q)\,P\,x^j/(1 + |Q|)^2`.

  Numerics: the polynomials are evaluated by compensated Horner (as if in twice the
  working precision), so the result keeps its digits near the roots of :math:`P`, where
  plain Horner loses them to cancellation (a rational fit of ``leaky_relu`` is
  :math:`\approx 0.01 x` on its negative side, from terms of size 1); for large
  :math:`|x|` they are evaluated in :math:`1/x`, so neither :math:`x^n` nor
  :math:`Q^2` overflows into :math:`\infty/\infty`: the value tends to
  :math:`a_n/|b_m|\,\mathrm{sgn}(x)^m x^{n-m}`, the exact limit at :math:`\pm\infty`
  (for nonzero leading coefficients). Second derivatives have their own rule too.

  Kinks: where :math:`Q(x) = 0` (at :math:`x = 0` always), :math:`|\cdot|` has
  derivative 0, so :math:`\mathrm{rational}'(0) = a_1` and
  :math:`\partial/\partial b_j = 0` there.

  Args:
    x: input array.
    numerator: :math:`a_0, \dots, a_n`, lowest order first: a non-empty 1-D array
      (or sequence); differentiable.
    denominator: :math:`b_1, \dots, b_m`, lowest order first (there is no
      :math:`b_0`): a 1-D array, possibly empty (then the unit is the polynomial
      :math:`P`); differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if ``numerator`` is not a non-empty 1-D array, or ``denominator`` is
      not 1-D.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> x = jnp.array([-2.0, 0.0, 1.0, 3.0])
    >>> print(jaxact.rational(x, jnp.array([0.0, 1.0, 1.0]), jnp.array([0.0, 1.0])))
    [0.4 0.  1.  1.2]

  References:
    Molina, Schramowski & Kersting, *Padé Activation Units: End-to-end Learning of
    Flexible Activation Functions in Deep Networks*, ICLR 2020.

  .. note:: Coefficients are cast to the compute dtype (float32 for bfloat16 and
    float16 inputs). The degrees are static (they fix the shape of the computation);
    neither jax.nn nor PyTorch has a rational unit.

  See also:
    :func:`leaky_relu`, :func:`snake`.
  """
  a = _coefficients("numerator", numerator, 1)
  b = _coefficients("denominator", denominator, 0)
  return _rational(len(a), len(b))(x, *a, *b)
