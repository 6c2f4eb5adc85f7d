"""Independent float64 references for every jaxact activation (the checker's oracle).

Written from the public contract alone, with NumPy and SciPy (no jax, nothing from the
library): a reference that shared code with what it checks would share its mistakes.
Every function takes array-likes, computes in float64 and returns float64 ndarrays.

Conventions:

* Elementwise ``NAME(x, **params)`` is the value, ``NAME_grad(x, **params)`` is df/dx and,
  for functions with continuous parameters, ``NAME_param_grads(x, **params)`` is a dict
  ``{param: df/dparam}`` (elementwise, the broadcast shape of x and the parameters).
* Vector functions ``NAME(x, ...)`` and ``NAME_vjp(x, cotangent, ...)``.
* Derivatives at kinks follow the conventions of the docs' numerics page ("Conventions
  at kinks"); NaN in gives NaN out; at +-inf the value and derivative are the true
  limits (NaN only where no limit exists: snake's derivative at +-inf).
* Accuracy target: ~1e-14 relative wherever the result is a normal float64, for every input
  in the float32 range.  Products that feed exponentials (beta * x, x / alpha, the tanh-GELU
  cubic, x^2 in the Gaussian, x - max in softmax) are carried as double-double (hi, lo)
  pairs so that their rounding is not amplified by the exponential's condition number.
* No function emits NumPy floating-point warnings: every public function runs inside
  ``np.errstate(all="ignore")`` and fixes up the non-finite branches with ``np.where``.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from math import comb, factorial

import numpy as np
from scipy import special as _sp

__all__ = ["ELEMENTWISE", "VECTOR", "PARAM_GRADS"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# double-double constants (hi, lo), hi + lo correct to ~1e-32 relative
_C2_HI, _C2_LO = 1.5957691216057308, -9.96930880911092e-17  # 2 * sqrt(2 / pi)
_K_HI, _K_LO = 0.044715, 2.1960211427085595e-18  # the decimal 0.044715
_INV_SQRT2PI = 0.3989422804014327  # 1 / sqrt(2 pi)
_INV_SQRT2 = 0.7071067811865476  # 1 / sqrt(2)
_P4_HI, _P4_LO = 0.7853981633974483, 3.061616997868383e-17  # pi / 4
_SPLITTER = 134217729.0  # 2^27 + 1 (Dekker)


# ----------------------------------------------------------------------------- helpers


def _f64(x):
  return np.asarray(x, dtype=np.float64)


def _as_f64(out):
  if isinstance(out, dict):
    return {k: _as_f64(v) for k, v in out.items()}
  return np.asarray(out, dtype=np.float64)


def _quiet(fn):
  """Run fn with all floating-point warnings off and return float64 ndarrays."""

  @functools.wraps(fn)
  def wrapper(*args, **kwargs):
    with np.errstate(all="ignore"):
      return _as_f64(fn(*args, **kwargs))

  return wrapper


def _fix(x, out, pos=None, neg=None):
  """Put the limits at x = +inf / -inf (when given) and NaN where x is NaN."""
  out = np.asarray(out, dtype=np.float64)
  if pos is not None:
    out = np.where(x == np.inf, pos, out)
  if neg is not None:
    out = np.where(x == -np.inf, neg, out)
  return np.where(np.isnan(x), np.nan, out)


def _shape(*arrays):
  return np.broadcast_shapes(*(np.shape(a) for a in arrays))


def _bc(v, *arrays):
  return np.broadcast_to(np.asarray(v, dtype=np.float64), _shape(v, *arrays)).copy()


def _mul0(c, x):
  """c * x with 0 * inf = 0 (a zero coefficient kills an infinite x)."""
  return np.where(c == 0, 0.0, c * x)


def _finite_or_zero(v):
  return np.where(np.isfinite(v), v, 0.0)


def _split(a):
  c = _SPLITTER * a
  hi = c - (c - a)
  return hi, a - hi


def _two_prod(a, b):
  """Exact product a * b = p + e (Dekker); e = 0 where the product is not finite."""
  p = a * b
  ah, al = _split(a)
  bh, bl = _split(b)
  e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
  return p, _finite_or_zero(e)


def _two_sum(a, b):
  """Exact sum a + b = s + e (Knuth); e = 0 where the sum is not finite."""
  s = a + b
  bb = s - a
  e = (a - (s - bb)) + (b - bb)
  return s, _finite_or_zero(e)


def _div_dd(x, a):
  """x / a as a double-double (q, r) with q + r = x / a to ~1e-32 relative."""
  q = x / a
  p, pe = _two_prod(q, a)
  r = ((x - p) - pe) / a
  return q, _finite_or_zero(r)


def _expit_pair(z):
  """(sigmoid(z), sigmoid(-z)) without overflow: both from e = exp(-|z|)."""
  e = np.exp(-np.abs(z))
  big = 1.0 / (1.0 + e)
  small = e / (1.0 + e)
  pos = z >= 0
  return np.where(pos, big, small), np.where(pos, small, big)


def _expit_pair_dd(hi, lo):
  """(sigmoid(hi + lo), sigmoid(-(hi + lo))) for a double-double argument."""
  s, c = _expit_pair(hi)
  d = lo * s * c
  return s + d, c - d


def _softplus_dd(hi, lo):
  """log(1 + e^(hi + lo)) via logaddexp plus the first-order lo correction."""
  s, _ = _expit_pair(hi)
  return np.logaddexp(0.0, hi) + lo * s


# ----------------------------------------------------------------------------- sigmoid family


@_quiet
def sigmoid(x):
  """1 / (1 + e^-x), from e^-|x| so nothing overflows (branch by sign)."""
  x = _f64(x)
  return _expit_pair(x)[0]


@_quiet
def sigmoid_grad(x):
  """sigmoid(x) sigmoid(-x), both factors from e^-|x| (no 1 - s cancellation)."""
  x = _f64(x)
  s, c = _expit_pair(x)
  return s * c


@_quiet
def tanh(x):
  """tanh(x) from libm."""
  return np.tanh(_f64(x))


@_quiet
def tanh_grad(x):
  """sech^2 x = 4e / (1 + e)^2 with e = e^(-2|x|) (no 1 - tanh^2 cancellation)."""
  x = _f64(x)
  e = np.exp(-2.0 * np.abs(x))
  return 4.0 * e / ((1.0 + e) * (1.0 + e))


@_quiet
def log_sigmoid(x):
  """-log(1 + e^-x) = -logaddexp(0, -x) (stable for both signs)."""
  x = _f64(x)
  return -np.logaddexp(0.0, -x)


@_quiet
def log_sigmoid_grad(x):
  """sigmoid(-x), from e^-|x|."""
  x = _f64(x)
  return _expit_pair(x)[1]


# ----------------------------------------------------------------------------- relu family


@_quiet
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
  """max(x, 0); with Keras's parameters min(x, max_value) above the threshold t and
  negative_slope * (x - t) at or below it. NaN propagates."""
  x = _f64(x)
  if negative_slope == 0 and max_value is None and threshold == 0:
    return np.maximum(x, 0.0)
  a, t = _f64(negative_slope), _f64(threshold)
  m = np.inf if max_value is None else _f64(max_value)
  return _fix(x, np.where(x > t, np.minimum(x, m), _mul0(a, x - t)))


def _relu_capped(x, m):
  """Where x is at or past a finite cap m (relu's slope there is 0, as relu6'(6))."""
  return (x >= m) & np.isfinite(m)


@_quiet
def relu_grad(x, negative_slope=0.0, max_value=None, threshold=0.0):
  """1 for t < x < max_value, 0 at or past the cap, negative_slope at or below t
  (relu'(0) = 0)."""
  x, a, t = _f64(x), _f64(negative_slope), _f64(threshold)
  m = np.inf if max_value is None else _f64(max_value)
  above = x > t
  return _fix(x, np.where(above, np.where(_relu_capped(x, m), 0.0, 1.0), a))


@_quiet
def relu_param_grads(x, negative_slope=0.0, max_value=None, threshold=0.0):
  """d/d negative_slope = x - t at or below t; d/d max_value = 1 at or past the cap;
  d/d threshold = -negative_slope at or below t (the jump at t aside)."""
  x, a, t = _f64(x), _f64(negative_slope), _f64(threshold)
  m = np.inf if max_value is None else _f64(max_value)
  above = x > t
  return {"negative_slope": _fix(x, np.where(above, 0.0, x - t)),
          "max_value": _fix(x, np.where(above & _relu_capped(x, m), 1.0, 0.0)),
          "threshold": _fix(x, np.where(above, 0.0, -a))}


@_quiet
def leaky_relu(x, negative_slope=0.01):
  """x if x >= 0 else negative_slope * x (exact up to one rounding)."""
  x, a = _f64(x), _f64(negative_slope)
  return _fix(x, np.where(x >= 0, x, _mul0(a, x)))


@_quiet
def leaky_relu_grad(x, negative_slope=0.01):
  """1 if x > 0 else negative_slope (leaky_relu'(0) = negative_slope)."""
  x, a = _f64(x), _f64(negative_slope)
  return _fix(x, np.where(x > 0, 1.0, a))


@_quiet
def leaky_relu_param_grads(x, negative_slope=0.01):
  """d/d negative_slope = x if x < 0 else 0."""
  x, a = _f64(x), _f64(negative_slope)
  return {"negative_slope": _fix(x, _bc(np.where(x < 0, x, 0.0), a))}


def _prelu_slope(x, negative_slope, axis):
  a = _f64(negative_slope)
  if a.ndim == 1 and a.size > 1 and x.ndim > 1:
    shape = [1] * x.ndim
    shape[axis % x.ndim] = a.size
    a = a.reshape(shape)
  return a


@_quiet
def prelu(x, negative_slope, axis=-1):
  """leaky_relu with a broadcastable slope (a 1-D slope is laid along `axis`)."""
  x = _f64(x)
  return leaky_relu(x, _prelu_slope(x, negative_slope, axis))


@_quiet
def prelu_grad(x, negative_slope, axis=-1):
  """1 if x > 0 else slope (prelu'(0) = slope)."""
  x = _f64(x)
  return leaky_relu_grad(x, _prelu_slope(x, negative_slope, axis))


@_quiet
def prelu_param_grads(x, negative_slope, axis=-1):
  """d/d negative_slope = x if x < 0 else 0, elementwise (not reduced over the slope)."""
  x = _f64(x)
  return leaky_relu_param_grads(x, _prelu_slope(x, negative_slope, axis))


@_quiet
def rrelu(x, key=None, lower=1.0 / 8, upper=1.0 / 3, *, slope=None):
  """Deterministic RReLU: leaky_relu with slope (lower + upper) / 2, or `slope` if given."""
  if key is not None:
    raise ValueError("reference rrelu is deterministic: pass slope= instead of key")
  a = (_f64(lower) + _f64(upper)) / 2 if slope is None else _f64(slope)
  return leaky_relu(x, a)


@_quiet
def rrelu_grad(x, key=None, lower=1.0 / 8, upper=1.0 / 3, *, slope=None):
  """1 if x > 0 else the slope applied (rrelu'(0) = slope)."""
  if key is not None:
    raise ValueError("reference rrelu is deterministic: pass slope= instead of key")
  a = (_f64(lower) + _f64(upper)) / 2 if slope is None else _f64(slope)
  return leaky_relu_grad(x, a)


@_quiet
def rrelu_param_grads(x, key=None, lower=1.0 / 8, upper=1.0 / 3, *, slope=None):
  """d/d slope = x if x < 0 else 0; without `slope`, d/d lower = d/d upper = half of it."""
  if key is not None:
    raise ValueError("reference rrelu is deterministic: pass slope= instead of key")
  x = _f64(x)
  a = (_f64(lower) + _f64(upper)) / 2 if slope is None else _f64(slope)
  g = leaky_relu_param_grads(x, a)["negative_slope"]
  out = {"slope": g}
  if slope is None:
    out["lower"] = g / 2
    out["upper"] = g / 2
  return out


@_quiet
def relu6(x):
  """min(max(x, 0), 6)."""
  return np.minimum(np.maximum(_f64(x), 0.0), 6.0)


@_quiet
def relu6_grad(x):
  """1 on the open interval (0, 6), else 0 (relu6'(0) = relu6'(6) = 0)."""
  x = _f64(x)
  return _fix(x, np.where((x > 0) & (x < 6), 1.0, 0.0))


@_quiet
def squared_relu(x):
  """relu(x)^2."""
  r = np.maximum(_f64(x), 0.0)
  return r * r


@_quiet
def squared_relu_grad(x):
  """2 relu(x)."""
  return 2.0 * np.maximum(_f64(x), 0.0)


@_quiet
def star_relu(x, scale=0.8944, bias=-0.4472):
  """scale * relu(x)^2 + bias."""
  x, s, b = _f64(x), _f64(scale), _f64(bias)
  r = np.maximum(x, 0.0)
  return _fix(x, _mul0(s, r * r) + b)


@_quiet
def star_relu_grad(x, scale=0.8944, bias=-0.4472):
  """2 * scale * relu(x)."""
  x, s, b = _f64(x), _f64(scale), _f64(bias)
  return _fix(x, _bc(_mul0(s, 2.0 * np.maximum(x, 0.0)), b))


@_quiet
def star_relu_param_grads(x, scale=0.8944, bias=-0.4472):
  """d/d scale = relu(x)^2, d/d bias = 1."""
  x, s, b = _f64(x), _f64(scale), _f64(bias)
  r = np.maximum(x, 0.0)
  return {"scale": _fix(x, _bc(r * r, s, b)), "bias": _fix(x, _bc(np.ones_like(x), s, b))}


# ----------------------------------------------------------------------------- exponential units


@_quiet
def exponential(x):
  """e^x (overflows to inf past log(max) in each dtype, as the truth rounds)."""
  return np.exp(_f64(x))


@_quiet
def exponential_grad(x):
  """e^x."""
  return np.exp(_f64(x))


@_quiet
def elu(x, alpha=1.0):
  """x if x > 0 else alpha * expm1(x) (expm1: no cancellation near 0)."""
  x, a = _f64(x), _f64(alpha)
  return _fix(x, np.where(x > 0, x, a * np.expm1(x)))


@_quiet
def elu_grad(x, alpha=1.0):
  """1 if x > 0 else alpha * e^x (elu'(0) = alpha)."""
  x, a = _f64(x), _f64(alpha)
  return _fix(x, np.where(x > 0, 1.0, a * np.exp(x)))


@_quiet
def elu_param_grads(x, alpha=1.0):
  """d/d alpha = expm1(x) if x <= 0 else 0."""
  x, a = _f64(x), _f64(alpha)
  return {"alpha": _fix(x, _bc(np.where(x > 0, 0.0, np.expm1(x)), a))}


@_quiet
def selu(x):
  """scale * elu(x, alpha) with the SELU constants."""
  x = _f64(x)
  return _fix(x, np.where(x > 0, SELU_SCALE * x, (SELU_SCALE * SELU_ALPHA) * np.expm1(x)))


@_quiet
def selu_grad(x):
  """scale if x > 0 else scale * alpha * e^x (selu'(0) = scale * alpha)."""
  x = _f64(x)
  return _fix(x, np.where(x > 0, SELU_SCALE, (SELU_SCALE * SELU_ALPHA) * np.exp(x)))


def _celu_g(t):
  """expm1(t) - t e^t = -sum_{n>=2} (n-1) t^n / n!, by series for |t| < 1 (no cancellation)."""
  acc = np.zeros_like(t)
  for n in range(30, 1, -1):
    acc = acc * t - (n - 1) / float(factorial(n))
  series = acc * t * t
  direct = np.expm1(t) - t * np.exp(t)
  return np.where(np.abs(t) < 1, series, direct)


@_quiet
def celu(x, alpha=1.0):
  """x if x > 0 else alpha * expm1(x / alpha); x / alpha as double-double."""
  x, a = _f64(x), _f64(alpha)
  t, tl = _div_dd(x, a)
  neg = a * (np.expm1(t) + tl * np.exp(t))
  return _fix(x, np.where(x > 0, x, neg), neg=-a)


@_quiet
def celu_grad(x, alpha=1.0):
  """1 if x > 0 else e^(x / alpha) (x / alpha as double-double)."""
  x, a = _f64(x), _f64(alpha)
  t, tl = _div_dd(x, a)
  return _fix(x, np.where(x > 0, 1.0, np.exp(t) * (1.0 + tl)))


@_quiet
def celu_param_grads(x, alpha=1.0):
  """d/d alpha = expm1(t) - t e^t, t = x / alpha <= 0 (series near 0), else 0."""
  x, a = _f64(x), _f64(alpha)
  t, tl = _div_dd(x, a)
  g = _celu_g(t) - tl * t * np.exp(t)
  return {"alpha": _fix(x, _bc(np.where(x > 0, 0.0, g), a), neg=-1.0)}


# ----------------------------------------------------------------------------- GELU


def _two_square(x):
  return _two_prod(x, x)


def _gauss(x):
  """e^(-x^2/2) with x^2 exact as double-double (|x| clipped to 40)."""
  h, lo = _two_square(x)
  return np.exp(-0.5 * h) * (1.0 - 0.5 * lo)


def _Phi(x):
  """Standard normal CDF, relative-accurate: 0.5 erfcx(-x/sqrt2) e^(-x^2/2) for x < -1."""
  xc = np.clip(x, -40.0, 40.0)
  z = -xc * _INV_SQRT2
  low = 0.5 * _sp.erfcx(z) * _gauss(xc)
  mid = 0.5 * _sp.erfc(z)
  return np.where(x < -1, np.where(x < -40, 0.0, low), mid)


def _phi(x):
  """Standard normal density with x^2 exact (zero beyond |x| = 40)."""
  xc = np.clip(x, -40.0, 40.0)
  return np.where(np.abs(x) > 40, 0.0, _INV_SQRT2PI * _gauss(xc))


def _gelu_exact(x):
  return _fix(x, x * _Phi(x), pos=np.inf, neg=0.0)


def _gelu_exact_grad(x):
  return _fix(x, _Phi(x) + x * _phi(x), pos=1.0, neg=0.0)


def _gelu_tanh_z(x):
  """z = 2 sqrt(2/pi) (x + 0.044715 x^3) as a double-double (hi, lo); x clipped to 30."""
  xc = np.clip(x, -30.0, 30.0)
  s, se = _two_square(xc)
  c, ce = _two_prod(xc, s)  # x^3
  ce = ce + xc * se
  k, ke = _two_prod(c, _K_HI)  # 0.044715 x^3
  ke = ke + c * _K_LO + ce * _K_HI
  t, te = _two_sum(xc, k)  # x + 0.044715 x^3
  te = te + ke
  z, ze = _two_prod(t, _C2_HI)
  ze = ze + t * _C2_LO + te * _C2_HI
  return xc, z, ze


def _gelu_tanh(x):
  _, z, ze = _gelu_tanh_z(x)
  s, _ = _expit_pair_dd(z, ze)
  return _fix(x, x * s, pos=np.inf, neg=0.0)


def _gelu_tanh_grad(x):
  xc, z, ze = _gelu_tanh_z(x)
  s, c = _expit_pair_dd(z, ze)
  dz = _C2_HI * (1.0 + 3.0 * _K_HI * xc * xc)
  g = s * (1.0 + xc * c * dz)
  return _fix(x, np.where(np.abs(x) > 30, np.where(x > 0, 1.0, 0.0), g), pos=1.0, neg=0.0)


@_quiet
def gelu(x, approximate=True):
  """exact: x Phi(x) (erfcx tail, exact x^2); tanh form: x sigmoid(2u), u in double-double."""
  x = _f64(x)
  if approximate:
    return np.where(np.abs(x) > 30, np.where(x > 0, x, 0.0), _gelu_tanh(x))
  return _gelu_exact(x)


@_quiet
def gelu_grad(x, approximate=True):
  """exact: Phi(x) + x phi(x); tanh form: s (1 + x sigmoid(-2u) 2u'), s = sigmoid(2u)."""
  x = _f64(x)
  if approximate:
    return _gelu_tanh_grad(x)
  return _gelu_exact_grad(x)


# ----------------------------------------------------------------------------- softplus family


@_quiet
def softplus(x, beta=1.0):
  """log(1 + e^(beta x)) / beta = logaddexp(0, beta x) / beta, beta x as double-double."""
  x, b = _f64(x), _f64(beta)
  y, yl = _two_prod(b, x)
  return _softplus_dd(y, yl) / b


@_quiet
def softplus_grad(x, beta=1.0):
  """sigmoid(beta x) (beta x as double-double)."""
  x, b = _f64(x), _f64(beta)
  y, yl = _two_prod(b, x)
  return _expit_pair_dd(y, yl)[0]


@_quiet
def softplus_param_grads(x, beta=1.0):
  """d/d beta = (y sigmoid(y) - softplus(y)) / beta^2, y = beta x, as a same-sign sum."""
  x, b = _f64(x), _f64(beta)
  y, yl = _two_prod(b, x)
  s, c = _expit_pair(y)
  ay = np.abs(y)
  # y >= 0: -(y s(-y) + L(-y)); y < 0: y s(y) - L(y); both are -(|y| s(-|y|) + L(-|y|))
  small = np.where(y >= 0, c, s)
  h = -(ay * small + np.logaddexp(0.0, -ay))
  h = h + yl * y * s * c  # first-order correction for the lo part of beta x
  h = np.where(np.isinf(y), 0.0, h)
  return {"beta": _fix(x, _bc(h / (b * b), b))}


@_quiet
def sparse_plus(x):
  """0 for x <= -1, (x + 1)^2 / 4 on (-1, 1), x for x >= 1."""
  x = _f64(x)
  return _fix(x, np.where(x <= -1, 0.0, np.where(x >= 1, x, 0.25 * (x + 1) * (x + 1))))


@_quiet
def sparse_plus_grad(x):
  """0, (x + 1) / 2, 1 on the three pieces (continuous)."""
  x = _f64(x)
  return _fix(x, np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1))))


@_quiet
def squareplus(x, b=4.0):
  """(x + sqrt(x^2 + b)) / 2, for x < 0 as b / (2 (sqrt(x^2 + b) - x)); sqrt via hypot."""
  x, b = _f64(x), _f64(b)
  r = np.hypot(x, np.sqrt(b))
  return _fix(x, np.where(x >= 0, 0.5 * (x + r), b / (2.0 * (r - x))), pos=np.inf, neg=0.0)


@_quiet
def squareplus_grad(x, b=4.0):
  """(1 + x / r) / 2 with r = sqrt(x^2 + b); for x < 0 as b / (2 r (r - x))."""
  x, b = _f64(x), _f64(b)
  r = np.hypot(x, np.sqrt(b))
  g = np.where(x >= 0, 0.5 * (1.0 + x / r), b / (2.0 * r * (r - x)))
  return _fix(x, g, pos=1.0, neg=0.0)


@_quiet
def squareplus_param_grads(x, b=4.0):
  """d/d b = 1 / (4 sqrt(x^2 + b))."""
  x, b = _f64(x), _f64(b)
  r = np.hypot(x, np.sqrt(b))
  return {"b": _fix(x, _bc(0.25 / r, b), pos=0.0, neg=0.0)}


@_quiet
def soft_sign(x):
  """x / (1 + |x|)."""
  x = _f64(x)
  return _fix(x, x / (1.0 + np.abs(x)), pos=1.0, neg=-1.0)


@_quiet
def soft_sign_grad(x):
  """1 / (1 + |x|)^2."""
  x = _f64(x)
  d = 1.0 + np.abs(x)
  return _fix(x, 1.0 / (d * d), pos=0.0, neg=0.0)


# ----------------------------------------------------------------------------- swish family


def _swish_parts(x, beta):
  y, yl = _two_prod(beta, x)
  s, c = _expit_pair_dd(y, yl)
  # regime at x = +-inf: +1 when beta x -> +inf, -1 when -> -inf, 0 when beta == 0
  reg = np.sign(beta) * np.sign(x)
  return y, yl, s, c, reg


@_quiet
def swish(x, beta=1.0):
  """x sigmoid(beta x); beta x as double-double, sigmoid from e^-|beta x|."""
  x, b = _f64(x), _f64(beta)
  y, _, s, _, reg = _swish_parts(x, b)
  v = x * s
  inf_v = np.where(reg > 0, x, np.where(reg < 0, 0.0, 0.5 * x))
  return _fix(x, np.where(np.isinf(x), inf_v, v))


@_quiet
def swish_grad(x, beta=1.0):
  """sigmoid(y) (1 + y sigmoid(-y)), y = beta x."""
  x, b = _f64(x), _f64(beta)
  y, yl, s, c, reg = _swish_parts(x, b)
  g = s * (1.0 + (y + yl) * c)
  inf_g = np.where(reg > 0, 1.0, np.where(reg < 0, 0.0, 0.5))
  return _fix(x, np.where(np.isinf(x), inf_g, g))


@_quiet
def swish_param_grads(x, beta=1.0):
  """d/d beta = x^2 sigmoid(beta x) sigmoid(-beta x)."""
  x, b = _f64(x), _f64(beta)
  y, yl, s, c, reg = _swish_parts(x, b)
  g = x * (x * (s * c))
  inf_g = np.where(reg == 0, np.inf, 0.0)
  return {"beta": _fix(x, _bc(np.where(np.isinf(x), inf_g, g), b))}


@_quiet
def silu(x):
  """x sigmoid(x) (swish with beta = 1)."""
  return swish(x, 1.0)


@_quiet
def silu_grad(x):
  """sigmoid(x) (1 + x sigmoid(-x))."""
  return swish_grad(x, 1.0)


@_quiet
def hard_sigmoid(x):
  """relu6(x + 3) / 6."""
  x = _f64(x)
  return np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0


@_quiet
def hard_sigmoid_grad(x):
  """1/6 on the open interval (-3, 3), else 0 (hard_sigmoid'(+-3) = 0)."""
  x = _f64(x)
  return _fix(x, np.where((x > -3) & (x < 3), 1.0 / 6.0, 0.0))


@_quiet
def hard_silu(x):
  """x relu6(x + 3) / 6."""
  x = _f64(x)
  return _fix(x, x * hard_sigmoid(x), neg=0.0)


@_quiet
def hard_silu_grad(x):
  """0 for x <= -3, (2x + 3) / 6 on (-3, 3), 1 for x >= 3 (hard_silu'(-3)=0, '(3)=1)."""
  x = _f64(x)
  return _fix(x, np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, (2.0 * x + 3.0) / 6.0)))


hard_swish = hard_silu
hard_swish_grad = hard_silu_grad


@_quiet
def mish(x):
  """x tanh(softplus(x)) = x n / (n + 2), n = e^x (e^x + 2), in e^-x form for x > 0."""
  x = _f64(x)
  return _fix(x, x * _mish_t(x), pos=np.inf, neg=0.0)


def _mish_t(x):
  e = np.exp(np.minimum(x, 0.0))
  q = np.exp(-np.maximum(x, 0.0))
  n = e * (e + 2.0)
  t_neg = n / (n + 2.0)
  t_pos = (1.0 + 2.0 * q) / (1.0 + 2.0 * q + 2.0 * q * q)
  return np.where(x > 0, t_pos, t_neg)


@_quiet
def mish_grad(x):
  """tanh(sp) + x sech^2(sp) sigmoid(x), sech^2(sp) sigmoid(x) as a cancellation-free ratio."""
  x = _f64(x)
  e = np.exp(np.minimum(x, 0.0))
  q = np.exp(-np.maximum(x, 0.0))
  n2 = e * (e + 2.0) + 2.0
  w_neg = 4.0 * e * (1.0 + e) / (n2 * n2)
  d = 1.0 + 2.0 * q + 2.0 * q * q
  w_pos = 4.0 * q * q * (1.0 + q) / (d * d)
  w = np.where(x > 0, w_pos, w_neg)
  return _fix(x, _mish_t(x) + x * w, pos=1.0, neg=0.0)


@_quiet
def acon_c(x, p1, p2, beta):
  """(p1 - p2) x sigmoid(beta (p1 - p2) x) + p2 x; beta (p1 - p2) x as double-double."""
  x, p1, p2, beta = _f64(x), _f64(p1), _f64(p2), _f64(beta)
  d, y, yl, s, c, reg = _acon_parts(x, p1, p2, beta)
  v = x * (d * s + p2)
  inf_v = np.where(reg > 0, _mul0(p1, x), np.where(reg < 0, _mul0(p2, x), _mul0(d / 2 + p2, x)))
  return _fix(x, np.where(np.isinf(x), inf_v, v))


def _acon_parts(x, p1, p2, beta):
  d, dl = _two_sum(p1, -p2)
  t, tl = _two_prod(beta, x)
  y, yl = _two_prod(t, d)
  yl = yl + t * dl + tl * d
  s, c = _expit_pair_dd(y, yl)
  reg = np.sign(beta) * np.sign(d) * np.sign(x)
  return d, y, yl, s, c, reg


@_quiet
def acon_c_grad(x, p1, p2, beta):
  """(p1 - p2) sigmoid(y) (1 + y sigmoid(-y)) + p2, y = beta (p1 - p2) x."""
  x, p1, p2, beta = _f64(x), _f64(p1), _f64(p2), _f64(beta)
  d, y, yl, s, c, reg = _acon_parts(x, p1, p2, beta)
  g = d * s * (1.0 + (y + yl) * c) + p2
  inf_g = np.where(reg > 0, p1, np.where(reg < 0, p2, d / 2 + p2))
  return _fix(x, np.where(np.isinf(x), inf_g, g))


@_quiet
def acon_c_param_grads(x, p1, p2, beta):
  """d/dp1 = x s(y)(1 + y s(-y)), d/dp2 = x s(-y)(1 - y s(y)), d/dbeta = d^2 x^2 s(y) s(-y)."""
  x, p1, p2, beta = _f64(x), _f64(p1), _f64(p2), _f64(beta)
  d, y, yl, s, c, reg = _acon_parts(x, p1, p2, beta)
  yy = y + yl
  g1 = x * s * (1.0 + yy * c)
  g2 = x * c * (1.0 - yy * s)
  gb = (d * x) * ((d * x) * (s * c))
  inf = np.isinf(x)
  g1 = np.where(inf, np.where(reg > 0, x, np.where(reg < 0, 0.0, 0.5 * x)), g1)
  g2 = np.where(inf, np.where(reg > 0, 0.0, np.where(reg < 0, x, 0.5 * x)), g2)
  gb = np.where(inf, np.where((reg == 0) & (d != 0), np.inf, 0.0), gb)
  shp = (p1, p2, beta)
  return {
    "p1": _fix(x, _bc(g1, *shp)),
    "p2": _fix(x, _bc(g2, *shp)),
    "beta": _fix(x, _bc(gb, *shp)),
  }


# ----------------------------------------------------------------------------- piecewise linear


@_quiet
def hard_tanh(x):
  """clip(x, -1, 1)."""
  return np.minimum(np.maximum(_f64(x), -1.0), 1.0)


@_quiet
def hard_tanh_grad(x):
  """1 on the open interval (-1, 1), else 0 (hard_tanh'(+-1) = 0)."""
  x = _f64(x)
  return _fix(x, np.where(np.abs(x) < 1, 1.0, 0.0))


@_quiet
def sparse_sigmoid(x):
  """clip(x + 1, 0, 2) / 2."""
  x = _f64(x)
  return np.minimum(np.maximum(x + 1.0, 0.0), 2.0) / 2.0


@_quiet
def sparse_sigmoid_grad(x):
  """1/2 on the open interval (-1, 1), else 0 (sparse_sigmoid'(+-1) = 0)."""
  x = _f64(x)
  return _fix(x, np.where(np.abs(x) < 1, 0.5, 0.0))


@_quiet
def identity(x):
  """x."""
  return _f64(x).copy()


@_quiet
def identity_grad(x):
  """1."""
  x = _f64(x)
  return _fix(x, np.ones_like(x))


@_quiet
def hard_shrink(x, lambd=0.5):
  """x if |x| > lambd else 0."""
  x, lam = _f64(x), _f64(lambd)
  return _fix(x, np.where(np.abs(x) > lam, x, 0.0))


@_quiet
def hard_shrink_grad(x, lambd=0.5):
  """1 if |x| > lambd else 0 (hard_shrink'(+-lambd) = 0)."""
  x, lam = _f64(x), _f64(lambd)
  return _fix(x, np.where(np.abs(x) > lam, 1.0, 0.0))


@_quiet
def hard_shrink_param_grads(x, lambd=0.5):
  """d/d lambd = 0 almost everywhere (the jumps at +-lambd carry no derivative)."""
  x, lam = _f64(x), _f64(lambd)
  return {"lambd": _fix(x, _bc(np.zeros_like(x), lam))}


@_quiet
def soft_shrink(x, lambd=0.5):
  """x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""
  x, lam = _f64(x), _f64(lambd)
  return _fix(x, np.where(x > lam, x - lam, np.where(x < -lam, x + lam, 0.0)))


@_quiet
def soft_shrink_grad(x, lambd=0.5):
  """1 if |x| > lambd else 0 (soft_shrink'(+-lambd) = 0)."""
  x, lam = _f64(x), _f64(lambd)
  return _fix(x, np.where(np.abs(x) > lam, 1.0, 0.0))


@_quiet
def soft_shrink_param_grads(x, lambd=0.5):
  """d/d lambd = -1 if x > lambd, +1 if x < -lambd, else 0 (0 at +-lambd)."""
  x, lam = _f64(x), _f64(lambd)
  g = np.where(x > lam, -1.0, np.where(x < -lam, 1.0, 0.0))
  return {"lambd": _fix(x, _bc(g, lam))}


@_quiet
def threshold(x, threshold, value):
  """x if x > threshold else value."""
  x, th, v = _f64(x), _f64(threshold), _f64(value)
  return _fix(x, np.where(x > th, x, v))


@_quiet
def threshold_grad(x, threshold, value):
  """1 if x > threshold else 0 (threshold'(threshold) = 0)."""
  x, th, v = _f64(x), _f64(threshold), _f64(value)
  return _fix(x, _bc(np.where(x > th, 1.0, 0.0), v))


@_quiet
def threshold_param_grads(x, threshold, value):
  """d/d value = 1 if x <= threshold else 0; d/d threshold = 0 a.e. (jump ignored)."""
  x, th, v = _f64(x), _f64(threshold), _f64(value)
  gv = _bc(np.where(x > th, 0.0, 1.0), th, v)
  return {"value": _fix(x, gv), "threshold": _fix(x, np.zeros_like(gv))}


# ----------------------------------------------------------------------------- tanh_shrink


def _tanh_shrink_coeffs(nterms=30):
  """Coefficients c_n of x - tanh x = sum_{n>=2} c_n x^(2n-1), exact via Bernoulli numbers."""
  bern = [Fraction(1)]
  for m in range(1, 2 * nterms + 3):
    bern.append(-sum(comb(m + 1, k) * bern[k] for k in range(m)) / (m + 1))
  coeffs = []
  for n in range(2, nterms + 2):
    t = Fraction(2 ** (2 * n) * (2 ** (2 * n) - 1)) * bern[2 * n] / factorial(2 * n)
    coeffs.append(float(-t))
  return coeffs


_TANH_SHRINK_C = _tanh_shrink_coeffs()


@_quiet
def tanh_shrink(x):
  """x - tanh x; odd Taylor series (exact Bernoulli coefficients) for |x| < 0.75."""
  x = _f64(x)
  xs = np.where(np.abs(x) < 0.75, x, 0.0)
  u = xs * xs
  acc = np.zeros_like(xs)
  for c in reversed(_TANH_SHRINK_C):
    acc = acc * u + c
  series = acc * u * xs
  return np.where(np.abs(x) < 0.75, series, x - np.tanh(x))


@_quiet
def tanh_shrink_grad(x):
  """1 - sech^2 x = tanh^2 x (no cancellation)."""
  t = np.tanh(_f64(x))
  return t * t


# ----------------------------------------------------------------------------- snake


def _snake_sin(x, a, k=1.0):
  """sin(k a x) with a x = u + ul exact: sin(u) cos(ul) + cos(u) sin(ul) (ul may be >> 1)."""
  u, ul = _two_prod(a, x)
  u, ul = k * u, k * ul
  return np.sin(u) * np.cos(ul) + np.cos(u) * np.sin(ul), u


@_quiet
def snake(x, alpha=1.0):
  """x + sin^2(alpha x) / alpha (-> x as alpha -> 0); alpha x exact as double-double."""
  x, a = _f64(x), _f64(alpha)
  s, _ = _snake_sin(x, a)
  v = np.where(a == 0, x, x + s * (s / a))
  return _fix(x, np.where(np.isinf(x), x, v))


@_quiet
def snake_grad(x, alpha=1.0):
  """1 + sin(2ax) = 2 sin^2(ax + pi/4), argument in double-double (accurate double zeros)."""
  x, a = _f64(x), _f64(alpha)
  u, ul = _two_prod(a, x)
  # |a x| < 2^26: v = a x + pi/4 as a double-double, sin(v) = sin(vh) + vl cos(vh)
  vh, vl = _two_sum(u, _P4_HI)
  vl = vl + (ul + _P4_LO)
  sv = np.sin(vh) + vl * np.cos(vh)
  near = 2.0 * sv * sv
  # larger |a x|: (sin u + cos u)^2 from the exact addition formulas
  cu, su = np.cos(ul), np.sin(ul)
  sh, ch = np.sin(u), np.cos(u)
  t = (sh + ch) * cu + (ch - sh) * su
  far = t * t
  g = np.where(np.abs(u) < 2.0**26, near, far)
  return _fix(x, np.where(np.isinf(x), np.nan, g))


@_quiet
def snake_param_grads(x, alpha=1.0):
  """d/d alpha = x sin(2ax)/a - sin^2(ax)/a^2; x^2 (1 - u^2 + 2u^4/9) for |u = a x| < 1e-4."""
  x, a = _f64(x), _f64(alpha)
  s, u = _snake_sin(x, a)
  s2, _ = _snake_sin(x, a, 2.0)
  direct = x * (s2 / a) - (s / a) * (s / a)
  uu = u * u
  series = x * x * (1.0 - uu + uu * uu * (2.0 / 9.0))
  g = np.where(np.abs(u) < 1e-4, series, direct)
  return {"alpha": _fix(x, _bc(np.where(np.isinf(x), np.nan, g), a))}


# ----------------------------------------------------------------------------- rational


def _comp_horner(coeffs, x, coeffs_lo=None):
  """Compensated Horner (Graillat et al.) for sum_i coeffs[i] x^i, lowest order first."""
  n = len(coeffs)
  if n == 0:
    return np.zeros_like(x)
  xh, xl = _split(x)
  s = np.full_like(x, coeffs[-1])
  c = np.full_like(x, 0.0 if coeffs_lo is None else coeffs_lo[-1])
  for i in range(n - 2, -1, -1):
    p = s * x
    sh, sl = _split(s)
    pe = _finite_or_zero(((sh * xh - p) + sh * xl + sl * xh) + sl * xl)
    s, se = _two_sum(p, coeffs[i])
    extra = 0.0 if coeffs_lo is None else coeffs_lo[i]
    c = c * x + (pe + se + extra)
  return s + c


def _deriv_coeffs(coeffs):
  """Coefficients of the derivative as double-double (i * c_i exact)."""
  hi, lo = [], []
  for i in range(1, len(coeffs)):
    p, e = _two_prod(np.float64(i), np.float64(coeffs[i]))
    hi.append(float(p))
    lo.append(float(e))
  return hi, lo


def _poly_mul(p, q):
  out = [Fraction(0)] * max(len(p) + len(q) - 1, 0)
  for i, pi in enumerate(p):
    for j, qj in enumerate(q):
      out[i + j] += pi * qj
  return out


def _poly_add(p, q, sign=1):
  n = max(len(p), len(q))
  p = list(p) + [Fraction(0)] * (n - len(p))
  q = list(q) + [Fraction(0)] * (n - len(q))
  return [a + sign * b for a, b in zip(p, q, strict=True)]


def _dd_list(fracs):
  hi = [float(f) for f in fracs]
  lo = [float(f - Fraction(h)) for f, h in zip(fracs, hi, strict=True)]
  return hi, lo


def _last_nonzero(c):
  nz = np.flatnonzero(np.asarray(c) != 0)
  return int(nz[-1]) if nz.size else -1


def _mono_lim(coef, power, sgn):
  """Limit of coef * x^power as x -> sgn * inf (sgn = +-1 array)."""
  coef = np.asarray(coef, dtype=np.float64)
  if power < 0:
    return np.zeros_like(sgn)
  if power == 0:
    return coef * np.ones_like(sgn)
  return np.where(coef == 0, 0.0, np.sign(coef) * sgn**power * np.inf)


class _RatParts:
  """Shared pieces of the rational unit P(x) / (1 + |Q(x)|)."""

  def __init__(self, x, numerator, denominator):
    self.a = [float(v) for v in np.ravel(_f64(numerator))]
    self.b = [0.0] + [float(v) for v in np.ravel(_f64(denominator))]  # b[0] = 0
    self.x = x
    xf = np.where(np.isfinite(x), x, 0.0)
    self.xf = xf
    self.P = _comp_horner(self.a, xf)
    self.Q = _comp_horner(self.b, xf)
    self.D = 1.0 + np.abs(self.Q)
    # sgn(Q) = sgn(x) sgn(Q / x): right where Q itself underflows (x subnormal)
    self.sgnQ = np.sign(xf) * np.sign(_comp_horner(self.b[1:], xf))
    # asymptotics at x = +-inf
    self.N = _last_nonzero(self.a)
    self.M = max(_last_nonzero(self.b), 0)
    self.sgn = np.where(x > 0, 1.0, -1.0)
    if self.M > 0:
      bm = self.b[self.M]
      self.Dcoef = abs(bm) * self.sgn**self.M
      self.sQinf = np.sign(bm) * self.sgn**self.M
    else:
      self.Dcoef = np.ones_like(x)
      self.sQinf = np.zeros_like(x)
    self.aN = self.a[self.N] if self.N >= 0 else 0.0

  @functools.cached_property
  def dP(self):
    hi, lo = _deriv_coeffs(self.a)
    return _comp_horner(hi, self.xf, lo)

  @functools.cached_property
  def dQ(self):
    hi, lo = _deriv_coeffs(self.b)
    return _comp_horner(hi, self.xf, lo)

  @functools.cached_property
  def grad_numerators(self):
    """P'(1 + Q) - P Q' and P'(1 - Q) + P Q' (= P' +- (P'Q - PQ')), exact coefficients."""
    af = [Fraction(v) for v in self.a]
    bf = [Fraction(v) for v in self.b]
    dpf = [i * c for i, c in enumerate(af)][1:]
    dqf = [j * c for j, c in enumerate(bf)][1:]
    cross = _poly_add(_poly_mul(dpf, bf), _poly_mul(af, dqf), -1)
    nph, npl = _dd_list(_poly_add(dpf, cross))
    nnh, nnl = _dd_list(_poly_add(dpf, cross, -1))
    return _comp_horner(nph, self.xf, npl), _comp_horner(nnh, self.xf, nnl)

  @functools.cached_property
  def far(self):
    """For |x| > 1e8, the pieces in r = 1/x, where P(x) and Q(x) overflow or cancel:
    P = x^n P~(r), Q = x^m Q~(r) (reversed coefficients), D = |x|^m E with
    E = |r|^m + |Q~(r)|. Returns (mask, r, sgn(x)^m, sgn(Q), P~ / E, E)."""
    m = len(self.b) - 1
    mask = np.abs(self.xf) > 1e8
    r = 1.0 / np.where(mask, self.xf, 1.0)
    pt = _comp_horner(self.a[::-1], r)
    qt = _comp_horner(self.b[::-1], r)
    e = np.abs(r) ** m + np.abs(qt)
    sx = np.sign(r) ** m
    return mask, r, sx, sx * np.sign(qt), pt / e, e

  @functools.cached_property
  def grad_far(self):
    """rational' for |x| > 1e8: x^(K - 2m) N~(r) / E^2 with N = P' +- (P'Q - PQ') (or P'
    where Q = 0) of degree K, exact coefficients reversed: no cancellation, no overflow."""
    mask, r, _, sq, _, e = self.far
    m = len(self.b) - 1
    af = [Fraction(v) for v in self.a]
    bf = [Fraction(v) for v in self.b]
    dpf = [i * c for i, c in enumerate(af)][1:]
    dqf = [j * c for j, c in enumerate(bf)][1:]
    cross = _poly_add(_poly_mul(dpf, bf), _poly_mul(af, dqf), -1)
    lists = [_poly_add(dpf, cross), _poly_add(dpf, cross, -1), list(dpf)]
    size = max(max(len(c) for c in lists), 1)
    vals = []
    for c in lists:
      hi, lo = _dd_list(c + [Fraction(0)] * (size - len(c)))
      vals.append(_comp_horner(hi[::-1], r, lo[::-1]))
    npos, nneg, ndp = vals
    n_t = np.where(sq > 0, npos, np.where(sq < 0, nneg, ndp))
    return mask, _rat_scale(n_t / (e * e), self.xf, r, size - 1 - 2 * m)


def _rat_scale(c, x, r, k):
  """c x^k for an int k of either sign, one factor at a time (x for k > 0, r = 1/x for
  k < 0), so that it overflows or underflows only where the result does."""
  for _ in range(abs(k)):
    c = c * (x if k > 0 else r)
  return c


@_quiet
def rational(x, numerator, denominator):
  """P(x) / (1 + |Q(x)|), P and Q by compensated Horner (error ~ eps + cond * eps^2)."""
  x = _f64(x)
  r = _RatParts(x, numerator, denominator)
  mask, rr, sx, _, pe, _ = r.far
  v = np.where(mask, _rat_scale(sx * pe, r.xf, rr, len(r.a) - len(r.b)), r.P / r.D)
  if r.N >= 0:
    lim = _mono_lim(r.aN / r.Dcoef, r.N - r.M, r.sgn)
  else:
    lim = np.zeros_like(x)
  return _fix(x, np.where(np.isinf(x), lim, v))


@_quiet
def rational_grad(x, numerator, denominator):
  """P'/D - (P/D) sgn(Q) Q'/D with D = 1 + |Q| and sgn(0) = 0 (so rational'(0) = a_1)."""
  x = _f64(x)
  r = _RatParts(x, numerator, denominator)
  npos, nneg = r.grad_numerators
  N = np.where(r.sgnQ > 0, npos, np.where(r.sgnQ < 0, nneg, r.dP))
  g_near = N / (r.D * r.D)  # one division of an accurately evaluated numerator
  mask, g_far = r.grad_far  # |x| > 1e8: in 1/x (P'/D - (P/D) sgn(Q) Q'/D cancels there)
  g = np.where(mask, g_far, g_near)
  if r.N >= 0:
    k = r.N - r.M
    lim = _mono_lim(r.aN / r.Dcoef * k, k - 1, r.sgn)
  else:
    lim = np.zeros_like(x)
  return _fix(x, np.where(np.isinf(x), lim, g))


@_quiet
def rational_param_grads(x, numerator, denominator):
  """d/d a_i = x^i / D, d/d b_j = -(P/D) sgn(Q) x^j / D; shapes x.shape + (n,)."""
  x = _f64(x)
  r = _RatParts(x, numerator, denominator)
  inf = np.isinf(x)
  ga, gb = [], []
  xp = np.ones_like(x)
  pow_over_d = []
  for _ in range(max(len(r.a), len(r.b))):
    pow_over_d.append(xp / r.D)
    xp = xp * r.xf
  mask, rr, sx, sq, pe, e = r.far  # |x| > 1e8: x^k / D in 1/x (x^k overflows there)
  n, m = len(r.a) - 1, len(r.b) - 1
  for i in range(len(r.a)):
    lim = _mono_lim(1.0 / r.Dcoef, i - r.M, r.sgn)
    g = np.where(mask, _rat_scale(sx / e, r.xf, rr, i - m), pow_over_d[i])
    ga.append(_fix(x, np.where(inf, lim, g)))
  for j in range(1, len(r.b)):
    g = -(r.P / r.D) * r.sgnQ * pow_over_d[j]
    g = np.where(mask, -sq * _rat_scale(pe / e, r.xf, rr, n + j - 2 * m), g)
    if r.N >= 0:
      coef = -r.aN * r.sQinf / (r.Dcoef * r.Dcoef)
      lim = _mono_lim(coef, r.N + j - 2 * r.M, r.sgn)
    else:
      lim = np.zeros_like(x)
    gb.append(_fix(x, np.where(inf, lim, g)))
  shp = x.shape
  return {
    "numerator": np.stack(ga, axis=-1) if ga else np.zeros(shp + (0,)),
    "denominator": np.stack(gb, axis=-1) if gb else np.zeros(shp + (0,)),
  }


# ----------------------------------------------------------------------------- vector functions


def _check_axis(name, x, axis):
  if x.ndim == 0:
    raise ValueError(f"{name}: x must have at least one dimension")
  if not -x.ndim <= axis < x.ndim:
    raise ValueError(f"{name}: axis={axis} out of range for x.ndim={x.ndim}")


@_quiet
def maxout(x, num_pieces, axis=-1):
  """Max over groups of num_pieces consecutive entries along axis (NaN propagates)."""
  x = _f64(x)
  _check_axis("maxout", x, axis)
  k = int(num_pieces)
  xm = np.moveaxis(x, axis, -1)
  if k < 1 or xm.shape[-1] % k:
    raise ValueError(
      f"maxout: num_pieces={num_pieces} must be >= 1 and divide x.shape[axis]={xm.shape[-1]}"
    )
  g = xm.reshape(xm.shape[:-1] + (xm.shape[-1] // k, k))
  return np.moveaxis(np.max(g, axis=-1), -1, axis)


@_quiet
def maxout_vjp(x, cotangent, num_pieces, axis=-1):
  """Cotangent routed to each group's max; ties share it equally; NaN group -> NaN."""
  x, ct = _f64(x), _f64(cotangent)
  _check_axis("maxout", x, axis)
  k = int(num_pieces)
  xm = np.moveaxis(x, axis, -1)
  if k < 1 or xm.shape[-1] % k:
    raise ValueError(
      f"maxout: num_pieces={num_pieces} must be >= 1 and divide x.shape[axis]={xm.shape[-1]}"
    )
  g = xm.reshape(xm.shape[:-1] + (xm.shape[-1] // k, k))
  m = np.max(g, axis=-1, keepdims=True)
  ind = (g == m).astype(np.float64)
  cnt = ind.sum(axis=-1, keepdims=True)
  ctm = np.moveaxis(ct, axis, -1)[..., None]
  out = np.where(np.isnan(m), np.nan, ind / np.maximum(cnt, 1.0) * ctm)
  return np.moveaxis(out.reshape(xm.shape), -1, axis)


def _halves(name, x, axis):
  x = _f64(x)
  _check_axis(name, x, axis)
  n = x.shape[axis]
  if n % 2:
    raise ValueError(f"{name}: x.shape[axis]={n} must be even")
  a, b = np.split(x, 2, axis=axis)
  return a, b


def _gated(act, dact, name):
  @_quiet
  def value(x, axis=-1):
    a, b = _halves(name, x, axis)
    return act(a) * b

  @_quiet
  def vjp(x, cotangent, axis=-1):
    a, b = _halves(name, x, axis)
    ct = _f64(cotangent)
    return np.concatenate([ct * b * dact(a), ct * act(a)], axis=axis)

  return value, vjp


@_quiet
def glu(x, axis=-1):
  """a * sigmoid(b) for the halves (a, b) of x along axis (as jax.nn.glu)."""
  a, b = _halves("glu", x, axis)
  return a * _expit_pair(b)[0]


@_quiet
def glu_vjp(x, cotangent, axis=-1):
  """(ct sigmoid(b), ct a sigmoid(b) sigmoid(-b)) concatenated along axis."""
  a, b = _halves("glu", x, axis)
  ct = _f64(cotangent)
  s, c = _expit_pair(b)
  return np.concatenate([ct * s, ct * a * (s * c)], axis=axis)


reglu, reglu_vjp = _gated(relu, relu_grad, "reglu")
reglu.__doc__ = "relu(a) * b for the halves (a, b) of x along axis."
reglu_vjp.__doc__ = "(ct b relu'(a), ct relu(a)) concatenated along axis (relu'(0) = 0)."
geglu, geglu_vjp = _gated(_gelu_exact, _gelu_exact_grad, "geglu")
geglu.__doc__ = "gelu_exact(a) * b for the halves (a, b) of x along axis (erfcx-based Phi)."
geglu_vjp.__doc__ = "(ct b gelu_exact'(a), ct gelu_exact(a)) concatenated along axis."
swiglu, swiglu_vjp = _gated(silu, silu_grad, "swiglu")
swiglu.__doc__ = "silu(a) * b for the halves (a, b) of x along axis."
swiglu_vjp.__doc__ = "(ct b silu'(a), ct silu(a)) concatenated along axis."


def _softmax_core(x, axis, where):
  """Shared pieces of softmax / log_softmax on the last axis (after moveaxis)."""
  x = _f64(x)
  _check_axis("softmax", x, axis)
  if where is None:
    w = np.ones(x.shape, dtype=bool)
  else:
    w = np.broadcast_to(np.asarray(where, dtype=bool), x.shape)
  x = np.moveaxis(x, axis, -1)
  w = np.moveaxis(w, axis, -1)
  xm = np.where(w, x, -np.inf)
  nanrow = np.any(np.isnan(xm), axis=-1, keepdims=True)
  xm = np.where(np.isnan(xm), -np.inf, xm)
  m = np.max(xm, axis=-1, keepdims=True)
  posinf = np.isposinf(m)
  empty = np.isneginf(m)  # every entry masked out or -inf
  mm = np.where(np.isfinite(m), m, 0.0)
  d, dl = _two_sum(xm, -mm)  # x - max exactly as d + dl
  dl = np.where(np.isfinite(d), dl, 0.0)
  e = np.exp(d) * (1.0 + dl)
  # one argmax entry per row has d == 0 and e == 1 exactly; T = sum of the others
  am = np.argmax(xm, axis=-1)[..., None]
  idx = np.arange(x.shape[-1])
  is_am = idx == am
  T = np.sum(np.where(is_am, 0.0, e), axis=-1, keepdims=True)
  S = 1.0 + T
  s = e / S
  # +inf rows: the +inf entries share the mass equally
  ind = np.isposinf(xm).astype(np.float64)
  cnt = np.maximum(ind.sum(axis=-1, keepdims=True), 1.0)
  s = np.where(posinf, ind / cnt, s)
  s = np.where(empty, 0.0, s)
  return dict(
    x=x, w=w, d=d, dl=dl, T=T, s=s, nanrow=nanrow, posinf=posinf, empty=empty, ind=ind, cnt=cnt
  )


@_quiet
def softmax(x, axis=-1, where=None):
  """e^(x - max) / sum, x - max as double-double; masked -> 0; empty/all -inf row -> 0.

  Rows whose (unmasked) entries are all -inf or all masked give 0 everywhere and zero
  gradient; a row with +inf entries gives them equal shares of 1; a NaN (unmasked) anywhere
  in a row makes the whole row NaN.
  """
  c = _softmax_core(x, axis, where)
  out = np.where(c["w"], c["s"], 0.0)
  out = np.where(c["nanrow"], np.nan, out)
  return np.moveaxis(out, -1, axis)


@_quiet
def softmax_vjp(x, cotangent, axis=-1, where=None):
  """s * (g - sum(s g)) over unmasked entries; masked entries and empty rows get 0."""
  c = _softmax_core(x, axis, where)
  g = np.moveaxis(np.broadcast_to(_f64(cotangent), np.shape(x)), axis, -1)
  g = np.where(c["w"], g, 0.0)
  s = c["s"]
  out = s * (g - np.sum(s * g, axis=-1, keepdims=True))
  out = np.where(c["w"] & ~c["empty"], out, 0.0)
  out = np.where(c["nanrow"], np.nan, out)
  return np.moveaxis(out, -1, axis)


@_quiet
def log_softmax(x, axis=-1, where=None):
  """(x - max) - log1p(sum of the other e^(x - max)); masked -> -inf; empty row -> -inf.

  Rows whose (unmasked) entries are all -inf or all masked give -inf everywhere and zero
  gradient; a row with k > 0 entries at +inf gives -log k there and -inf elsewhere; a NaN
  (unmasked) anywhere in a row makes the whole row NaN.
  """
  c = _softmax_core(x, axis, where)
  out = (c["d"] - np.log1p(c["T"])) + c["dl"]
  inf_row = np.where(c["ind"] > 0, -np.log(c["cnt"]), -np.inf)
  out = np.where(c["posinf"], inf_row, out)
  out = np.where(c["empty"] | ~c["w"], -np.inf, out)
  out = np.where(c["nanrow"], np.nan, out)
  return np.moveaxis(out, -1, axis)


@_quiet
def log_softmax_vjp(x, cotangent, axis=-1, where=None):
  """g - s * sum(g) over unmasked entries; masked entries and empty rows get 0."""
  c = _softmax_core(x, axis, where)
  g = np.moveaxis(np.broadcast_to(_f64(cotangent), np.shape(x)), axis, -1)
  g = np.where(c["w"], g, 0.0)
  out = g - c["s"] * np.sum(g, axis=-1, keepdims=True)
  out = np.where(c["w"] & ~c["empty"], out, 0.0)
  out = np.where(c["nanrow"], np.nan, out)
  return np.moveaxis(out, -1, axis)


def _sparsemax_core(x, axis):
  x = _f64(x)
  _check_axis("sparsemax", x, axis)
  x = np.moveaxis(x, axis, -1)
  n = x.shape[-1]
  nanrow = np.any(np.isnan(x), axis=-1, keepdims=True)
  xz = np.where(np.isnan(x), -np.inf, x)
  m = np.max(xz, axis=-1, keepdims=True)
  posinf = np.isposinf(m)
  empty = np.isneginf(m)
  y = xz - np.where(np.isfinite(m), m, 0.0)  # exact for the entries that can be in support
  z = -np.sort(-y, axis=-1)
  k = np.arange(1, n + 1, dtype=np.float64)
  cs = np.cumsum(z, axis=-1)
  supp = (1.0 + k * z > cs) & np.isfinite(z)
  K = np.maximum(np.sum(supp, axis=-1, keepdims=True), 1)
  csK = np.take_along_axis(cs, K - 1, axis=-1)
  tau = (csK - 1.0) / K
  p = np.maximum(y - tau, 0.0)
  ind = np.isposinf(xz).astype(np.float64)
  cnt = np.maximum(ind.sum(axis=-1, keepdims=True), 1.0)
  p = np.where(posinf, ind / cnt, p)
  p = np.where(empty, 0.0, p)
  return x, p, nanrow, empty


@_quiet
def sparsemax(x, axis=-1):
  """Euclidean projection onto the simplex (Martins & Astudillo 2016), on x - max.

  A row of all -inf gives 0 everywhere (zero gradient); +inf entries share 1 equally;
  a NaN anywhere in a row makes the whole row NaN.
  """
  _, p, nanrow, _ = _sparsemax_core(x, axis)
  return np.moveaxis(np.where(nanrow, np.nan, p), -1, axis)


@_quiet
def sparsemax_vjp(x, cotangent, axis=-1):
  """On the support S = {p > 0}: g - mean_S(g); 0 off the support (J = diag(s) - ss^T/|s|)."""
  _, p, nanrow, empty = _sparsemax_core(x, axis)
  g = np.moveaxis(np.broadcast_to(_f64(cotangent), np.shape(x)), axis, -1)
  supp = p > 0
  ns = np.maximum(np.sum(supp, axis=-1, keepdims=True), 1)
  mean = np.sum(np.where(supp, g, 0.0), axis=-1, keepdims=True) / ns
  out = np.where(supp & ~empty, g - mean, 0.0)
  out = np.where(nanrow, np.nan, out)
  return np.moveaxis(out, -1, axis)


# ----------------------------------------------------------------------------- registries

def gated(activation, gate, up, **params):
  """act(gate) * up for two projections, act the float64 reference of the elementwise
  activation named ``activation`` (with its parameters)."""
  act, _ = ELEMENTWISE[activation]
  return act(_f64(gate), **params) * _f64(up)


def gated_vjp(activation, gate, up, cotangent, **params):
  """(ct up act'(gate), ct act(gate)): the pullback of :func:`gated` to gate and up."""
  act, dact = ELEMENTWISE[activation]
  gate, up, ct = _f64(gate), _f64(up), _f64(cotangent)
  with np.errstate(all="ignore"):
    return ct * up * dact(gate, **params), ct * act(gate, **params)


ELEMENTWISE = {
  "sigmoid": (sigmoid, sigmoid_grad),
  "tanh": (tanh, tanh_grad),
  "relu": (relu, relu_grad),
  "exponential": (exponential, exponential_grad),
  "leaky_relu": (leaky_relu, leaky_relu_grad),
  "prelu": (prelu, prelu_grad),
  "elu": (elu, elu_grad),
  "selu": (selu, selu_grad),
  "gelu": (gelu, gelu_grad),
  "relu6": (relu6, relu6_grad),
  "softplus": (softplus, softplus_grad),
  "sparse_plus": (sparse_plus, sparse_plus_grad),
  "soft_sign": (soft_sign, soft_sign_grad),
  "silu": (silu, silu_grad),
  "swish": (swish, swish_grad),
  "log_sigmoid": (log_sigmoid, log_sigmoid_grad),
  "hard_tanh": (hard_tanh, hard_tanh_grad),
  "celu": (celu, celu_grad),
  "hard_sigmoid": (hard_sigmoid, hard_sigmoid_grad),
  "hard_silu": (hard_silu, hard_silu_grad),
  "hard_swish": (hard_swish, hard_swish_grad),
  "mish": (mish, mish_grad),
  "squareplus": (squareplus, squareplus_grad),
  "sparse_sigmoid": (sparse_sigmoid, sparse_sigmoid_grad),
  "identity": (identity, identity_grad),
  "rrelu": (rrelu, rrelu_grad),
  "hard_shrink": (hard_shrink, hard_shrink_grad),
  "soft_shrink": (soft_shrink, soft_shrink_grad),
  "tanh_shrink": (tanh_shrink, tanh_shrink_grad),
  "threshold": (threshold, threshold_grad),
  "snake": (snake, snake_grad),
  "squared_relu": (squared_relu, squared_relu_grad),
  "star_relu": (star_relu, star_relu_grad),
  "acon_c": (acon_c, acon_c_grad),
  "rational": (rational, rational_grad),
}

PARAM_GRADS = {
  "relu": relu_param_grads,
  "leaky_relu": leaky_relu_param_grads,
  "prelu": prelu_param_grads,
  "elu": elu_param_grads,
  "celu": celu_param_grads,
  "softplus": softplus_param_grads,
  "swish": swish_param_grads,
  "squareplus": squareplus_param_grads,
  "snake": snake_param_grads,
  "star_relu": star_relu_param_grads,
  "acon_c": acon_c_param_grads,
  "rrelu": rrelu_param_grads,
  "rational": rational_param_grads,
  "soft_shrink": soft_shrink_param_grads,
  "hard_shrink": hard_shrink_param_grads,
  "threshold": threshold_param_grads,
}

VECTOR = {
  "maxout": (maxout, maxout_vjp),
  "glu": (glu, glu_vjp),
  "reglu": (reglu, reglu_vjp),
  "geglu": (geglu, geglu_vjp),
  "swiglu": (swiglu, swiglu_vjp),
  "softmax": (softmax, softmax_vjp),
  "log_softmax": (log_softmax, log_softmax_vjp),
  "sparsemax": (sparsemax, sparsemax_vjp),
}
