"""Spot checks of jaxact.testing.references against mpmath at 50 significant digits.

Every elementwise reference is compared, value and derivative, with an independent mpmath
implementation on a deterministic grid (log-spaced magnitudes 1e-30..1e30 of both signs,
float32 extremes, a dense grid on [-20, 20], the kinks and their neighbours) to a relative
1e-13 (absolute floor 1e-300 for results that underflow float64).  Where the measured
quantity is a sum of terms that cancel near one of its zeros (the derivative of GELU near
x = -0.75, say), the tolerance also admits 4e-16 times the sum of the terms' magnitudes:
the error of any correctly rounded evaluation of that sum.  The hand-written mpmath
derivatives are themselves checked against mpmath.diff, parameter gradients are checked
against mpmath.diff with respect to the parameter, and vector functions against mpmath
finite-difference Jacobians.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from jaxact.testing import references as R
from tests.cases import ELEMENTWISE

# The high-precision spot checks need mpmath (in the test extra); a machine without it
# (a GPU box that reaches no registry) skips them rather than failing to collect.
mp = pytest.importorskip("mpmath")

mp.mp.dps = 50
MPF = mp.mpf

RTOL = 1e-14
ATOL = 1e-300
FMAX = np.finfo(np.float64).max

SELU_A = MPF("1.6732632423543772848170429916717")
SELU_S = MPF("1.0507009873554804934193349852946")
GELU_K = MPF("0.044715")


# ----------------------------------------------------------------------------- mpmath models


def sig(x):
  return 1 / (1 + mp.exp(-x))


def sigp(x):
  """sigmoid'(x) = sigmoid(x) sigmoid(-x)."""
  return sig(x) * sig(-x)


def _pw(cond, a, b):
  return a if cond else b


def mp_gelu(x, approximate=True):
  if approximate:
    u = mp.sqrt(2 / mp.pi) * (x + GELU_K * x**3)
    return x * sig(2 * u)
  return x / 2 * mp.erfc(-x / mp.sqrt(2))


def mp_gelu_d(x, approximate=True):
  if approximate:
    u = mp.sqrt(2 / mp.pi) * (x + GELU_K * x**3)
    du = mp.sqrt(2 / mp.pi) * (1 + 3 * GELU_K * x**2)
    return sig(2 * u) + x * sigp(2 * u) * 2 * du
  return mp.erfc(-x / mp.sqrt(2)) / 2 + x * mp.npdf(x)


def mp_gelu_d_scale(x, approximate=True):
  if approximate:
    u = mp.sqrt(2 / mp.pi) * (x + GELU_K * x**3)
    du = mp.sqrt(2 / mp.pi) * (1 + 3 * GELU_K * x**2)
    return sig(2 * u) + abs(x * sigp(2 * u) * 2 * du)
  return mp.erfc(-x / mp.sqrt(2)) / 2 + abs(x * mp.npdf(x))


def mp_swish(x, beta=1):
  return x * sig(beta * x)


def mp_swish_d(x, beta=1):
  return sig(beta * x) + beta * x * sigp(beta * x)


def mp_swish_d_scale(x, beta=1):
  return sig(beta * x) + abs(beta * x * sigp(beta * x))


def mp_mish_sp(x):
  return mp.log1p(mp.exp(x))


def mp_mish(x):
  return x * mp.tanh(mp_mish_sp(x))


def mp_mish_d(x):
  sp_ = mp_mish_sp(x)
  return mp.tanh(sp_) + x * mp.sech(sp_) ** 2 * sig(x)


def mp_mish_d_scale(x):
  sp_ = mp_mish_sp(x)
  return mp.tanh(sp_) + abs(x * mp.sech(sp_) ** 2 * sig(x))


def mp_squareplus(x, b=4):
  with mp.extradps(120):
    return +((x + mp.sqrt(x * x + b)) / 2)


def mp_squareplus_d(x, b=4):
  with mp.extradps(120):
    return +((1 + x / mp.sqrt(x * x + b)) / 2)


def mp_tanh_shrink(x):
  extra = max(0, -2 * int(mp.floor(mp.log10(abs(x))))) if x != 0 else 0
  with mp.extradps(10 + extra):
    return +(x - mp.tanh(x))


def mp_celu(x, alpha=1):
  return x if x > 0 else alpha * mp.expm1(x / alpha)


def mp_celu_d(x, alpha=1):
  return MPF(1) if x > 0 else mp.exp(x / alpha)


def mp_snake(x, alpha=1):
  if alpha == 0:
    return x
  return x + mp.sin(alpha * x) ** 2 / alpha


def mp_snake_d(x, alpha=1):
  return 1 + mp.sin(2 * alpha * x)


def mp_acon(x, p1, p2, beta):
  d = p1 - p2
  return d * x * sig(beta * d * x) + p2 * x


def mp_acon_scale(x, p1, p2, beta):
  d = p1 - p2
  return abs(d * x * sig(beta * d * x)) + abs(p2 * x)


def mp_acon_d(x, p1, p2, beta):
  d = p1 - p2
  y = beta * d * x
  return d * sig(y) + d * y * sigp(y) + p2


def mp_acon_d_scale(x, p1, p2, beta):
  d = p1 - p2
  y = beta * d * x
  return abs(d * sig(y)) + abs(d * y * sigp(y)) + abs(p2)


def _poly(c, x):
  return sum(ci * x**i for i, ci in enumerate(c))


def _polyd(c, x):
  return sum(i * ci * x ** (i - 1) for i, ci in enumerate(c) if i > 0)


def _rat_parts(x, numerator, denominator):
  b = [MPF(0)] + list(denominator)
  return _poly(numerator, x), _polyd(numerator, x), _poly(b, x), _polyd(b, x)


def mp_rational(x, numerator, denominator):
  P, _, Q, _ = _rat_parts(x, numerator, denominator)
  return P / (1 + abs(Q))


def mp_rational_d(x, numerator, denominator):
  # The two terms are ~ 1/x and their difference may be ~ 1/x^2: carry twice x's digits.
  with mp.workdps(mp.mp.dps + 2 * int(mp.log10(abs(x) + 1))):
    P, dP, Q, dQ = _rat_parts(x, numerator, denominator)
    D = 1 + abs(Q)
    return +(dP / D - P * mp.sign(Q) * dQ / D**2)


def mp_star(x, scale=0.8944, bias=-0.4472):
  r = max(x, 0)
  return scale * r * r + bias


def mp_star_scale(x, scale=0.8944, bias=-0.4472):
  r = max(x, 0)
  return abs(scale * r * r) + abs(bias)


def _rrelu_slope(lower, upper, slope):
  return slope if slope is not None else (lower + upper) / 2


def mp_rrelu(x, lower=0.125, upper=1 / 3, slope=None):
  return x if x >= 0 else _rrelu_slope(lower, upper, slope) * x


def mp_rrelu_d(x, lower=0.125, upper=1 / 3, slope=None):
  return MPF(1) if x > 0 else _rrelu_slope(lower, upper, slope)


def mp_relu(x, negative_slope=0, max_value=None, threshold=0):
  """Keras's relu: min(x, max_value) above the threshold, negative_slope (x - t) below."""
  cap = mp.inf if max_value is None else max_value
  return _pw(x > threshold, min(x, cap), negative_slope * (x - threshold))


def mp_relu_d(x, negative_slope=0, max_value=None, threshold=0):
  capped = max_value is not None and x >= max_value
  return _pw(x > threshold, 0 if capped else 1, negative_slope)


# name -> (value, derivative, {"value": scale, "grad": scale} for cancelling sums)
MP = {
  "sigmoid": (sig, sigp),
  "tanh": (mp.tanh, lambda x: mp.sech(x) ** 2),
  "log_sigmoid": (lambda x: -mp.log1p(mp.exp(-x)), lambda x: sig(-x)),
  "relu": (mp_relu, mp_relu_d),
  "exponential": (mp.exp, mp.exp),
  "leaky_relu": (
    lambda x, negative_slope=0.01: _pw(x >= 0, x, negative_slope * x),
    lambda x, negative_slope=0.01: _pw(x > 0, 1, negative_slope),
  ),
  "prelu": (
    lambda x, negative_slope: _pw(x >= 0, x, negative_slope * x),
    lambda x, negative_slope: _pw(x > 0, 1, negative_slope),
  ),
  "rrelu": (mp_rrelu, mp_rrelu_d),
  "elu": (
    lambda x, alpha=1: _pw(x > 0, x, alpha * mp.expm1(x)),
    lambda x, alpha=1: _pw(x > 0, 1, alpha * mp.exp(x)),
  ),
  "selu": (
    lambda x: SELU_S * _pw(x > 0, x, SELU_A * mp.expm1(x)),
    lambda x: SELU_S * _pw(x > 0, 1, SELU_A * mp.exp(x)),
  ),
  "gelu": (mp_gelu, mp_gelu_d),
  "relu6": (lambda x: min(max(x, 0), 6), lambda x: _pw(0 < x < 6, 1, 0)),
  "softplus": (
    lambda x, beta=1: mp.log1p(mp.exp(beta * x)) / beta,
    lambda x, beta=1: sig(beta * x),
  ),
  "sparse_plus": (
    lambda x: _pw(x <= -1, 0, _pw(x >= 1, x, (x + 1) ** 2 / 4)),
    lambda x: _pw(x <= -1, 0, _pw(x >= 1, 1, (x + 1) / 2)),
  ),
  "soft_sign": (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
  "silu": (mp_swish, mp_swish_d),
  "swish": (mp_swish, mp_swish_d),
  "hard_tanh": (lambda x: min(max(x, -1), 1), lambda x: _pw(-1 < x < 1, 1, 0)),
  "celu": (mp_celu, mp_celu_d),
  "hard_sigmoid": (lambda x: min(max(x + 3, 0), 6) / 6, lambda x: _pw(-3 < x < 3, MPF(1) / 6, 0)),
  "hard_silu": (
    lambda x: x * min(max(x + 3, 0), 6) / 6,
    lambda x: _pw(x <= -3, 0, _pw(x >= 3, 1, (2 * x + 3) / 6)),
  ),
  "mish": (mp_mish, mp_mish_d),
  "squareplus": (mp_squareplus, mp_squareplus_d),
  "sparse_sigmoid": (lambda x: min(max(x + 1, 0), 2) / 2, lambda x: _pw(-1 < x < 1, MPF(1) / 2, 0)),
  "identity": (lambda x: x, lambda x: MPF(1)),
  "hard_shrink": (
    lambda x, lambd=0.5: _pw(abs(x) > lambd, x, 0),
    lambda x, lambd=0.5: _pw(abs(x) > lambd, 1, 0),
  ),
  "soft_shrink": (
    lambda x, lambd=0.5: _pw(x > lambd, x - lambd, _pw(x < -lambd, x + lambd, 0)),
    lambda x, lambd=0.5: _pw(abs(x) > lambd, 1, 0),
  ),
  "tanh_shrink": (mp_tanh_shrink, lambda x: mp.tanh(x) ** 2),
  "threshold": (
    lambda x, threshold, value: _pw(x > threshold, x, value),
    lambda x, threshold, value: _pw(x > threshold, 1, 0),
  ),
  "snake": (mp_snake, mp_snake_d),
  "squared_relu": (lambda x: max(x, 0) ** 2, lambda x: 2 * max(x, 0)),
  "star_relu": (mp_star, lambda x, scale=0.8944, bias=-0.4472: 2 * scale * max(x, 0)),
  "acon_c": (mp_acon, mp_acon_d),
  "rational": (mp_rational, mp_rational_d),
}
MP["hard_swish"] = MP["hard_silu"]

SCALES = {
  "gelu": {"grad": mp_gelu_d_scale},
  "silu": {"grad": mp_swish_d_scale},
  "swish": {"grad": mp_swish_d_scale},
  "mish": {"grad": mp_mish_d_scale},
  "acon_c": {"value": mp_acon_scale, "grad": mp_acon_d_scale},
  "star_relu": {"value": mp_star_scale},
}

RAT_NUM = (0.02, 0.5, 1.6, -0.75, 0.25, -0.03)
RAT_DEN = (-1.5, 0.3, 0.2, 0.05)

# (name, params): every row of the table in tests/cases.py, and parameters only the
# reference is checked at here (a negative prelu slope, rrelu's fixed slope, a tiny
# swish beta and snake alpha, and further acon_c and rational coefficients).
REFERENCE_ONLY = [
  ("prelu", {"negative_slope": -0.7}),
  ("rrelu", {"slope": 0.3}),
  ("rrelu", {"lower": 0.1, "upper": 0.5}),
  ("swish", {"beta": 1e-8}),
  ("snake", {"alpha": 1e-9}),
  ("acon_c", {"p1": 1.0, "p2": 0.0, "beta": 1.0}),
  ("acon_c", {"p1": 1.5, "p2": -0.25, "beta": 2.0}),
  ("acon_c", {"p1": 0.3, "p2": 0.7, "beta": -1.5}),
  ("rational", {"numerator": RAT_NUM, "denominator": RAT_DEN}),
  ("rational", {"numerator": (0.1, 1.0, 0.5, -0.3), "denominator": (-1.0, 0.5)}),
]
CASES = [(c.name, dict(c.params)) for c in ELEMENTWISE] + REFERENCE_ONLY


def case_id(case):
  name, p = case
  if not p:
    return name
  parts = []
  for k, v in p.items():
    parts.append(f"{k}={len(v)}c" if isinstance(v, tuple) else f"{k}={v}")
  return name + "[" + ",".join(parts) + "]"


def mp_params(p):
  out = {}
  for k, v in p.items():
    if isinstance(v, tuple):
      out[k] = [MPF(c) for c in v]
    elif isinstance(v, bool):
      out[k] = v
    else:
      out[k] = MPF(v)
  return out


def kinks(name, p):
  lam = p.get("lambd", 0.5)
  table = {
    "relu": [0.0],
    "leaky_relu": [0.0],
    "prelu": [0.0],
    "rrelu": [0.0],
    "elu": [0.0],
    "selu": [0.0],
    "celu": [0.0],
    "relu6": [0.0, 6.0],
    "hard_tanh": [-1.0, 1.0],
    "sparse_sigmoid": [-1.0, 1.0],
    "sparse_plus": [-1.0, 1.0],
    "hard_sigmoid": [-3.0, 3.0],
    "hard_silu": [-3.0, 3.0],
    "hard_swish": [-3.0, 3.0],
    "hard_shrink": [-lam, lam],
    "soft_shrink": [-lam, lam],
    "threshold": [p.get("threshold", 0.0)],
    "squared_relu": [0.0],
    "star_relu": [0.0],
    "soft_sign": [0.0],
  }
  if name == "rational":
    den = np.asarray(p["denominator"], dtype=np.float64)
    roots = np.roots(den[::-1]) if den.size > 1 else np.array([])
    real = [float(r.real) for r in roots if abs(r.imag) < 1e-12]
    return [0.0] + real
  return table.get(name, [])


def kink_neighbours(ks):
  pts = []
  for k in ks:
    pts.append(k)
    for d in (1e-12, 1e-9, 1e-6, 1e-3, 0.1):
      pts += [k - d * max(1.0, abs(k)), k + d * max(1.0, abs(k))]
    pts += [np.nextafter(k, np.inf), np.nextafter(k, -np.inf)]
  return pts


MAGS = 10.0 ** np.arange(-30, 31)
F32_EXTREMES = [1.401298464324817e-45, 1e-40, 1.1754943508222875e-38, 1e35, 3.4028234663852886e38]
DENSE = np.concatenate([np.linspace(-20.0, 20.0, 161), np.linspace(-19.9, 19.9, 40) + 0.0173])


def scaled_points(name, p):
  """Inputs where a rounded product (beta x, x / alpha, the GELU cubic) would be amplified by
  an exponential: |beta x| near 100, 300, 700 and the far tail of the tanh-GELU."""
  scale = None
  if name == "acon_c":
    scale = p["beta"] * (p["p1"] - p["p2"])
  elif name in ("softplus", "swish", "snake"):
    scale = p.get("beta", p.get("alpha", 1.0))
  elif name in ("celu", "elu"):
    scale = 1.0 / p.get("alpha", 1.0)
  elif name in ("sigmoid", "silu", "log_sigmoid", "tanh", "mish"):
    scale = 1.0
  pts = []
  if scale:
    for k in (101.37, 333.71, 701.13, 744.9):
      pts += [k / scale, -k / scale]
  if name == "gelu":
    pts += list(np.linspace(-26.0, -19.0, 15) + 0.0371) + [-38.1, 5.7, 9.3]
  return pts


def grid(name, p):
  pts = np.concatenate(
    [
      MAGS,
      -MAGS,
      F32_EXTREMES,
      -np.asarray(F32_EXTREMES),
      DENSE,
      scaled_points(name, p),
      kink_neighbours(kinks(name, p)),
      [0.0],
    ]
  )
  return np.unique(pts)


# ----------------------------------------------------------------------------- comparison


def compare(ref, xs, exact, scales=None, rtol=RTOL, atol=ATOL, what=""):
  """Assert every float64 ref[i] is within rtol |exact[i]| (+4e-16 scale[i]) + atol."""
  bad = []
  for i, (r, v) in enumerate(zip(ref, exact, strict=True)):
    if v is None:
      continue
    v = MPF(v)
    if abs(v) > FMAX:
      ok = np.isinf(r) and (r > 0) == (v > 0)
    elif not np.isfinite(r):
      ok = False
    else:
      tol = rtol * abs(v) + atol
      if scales is not None:
        tol += 4e-16 * scales[i]
      ok = abs(MPF(r) - v) <= tol
    if not ok:
      bad.append((float(xs[i]), float(r), mp.nstr(v, 20)))
  assert not bad, f"{what}: {len(bad)} mismatches, first: {bad[:5]}"


def ref_fns(name):
  return R.ELEMENTWISE[name]


def mp_eval(fn, xs, p):
  return [fn(MPF(x), **p) for x in xs]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_value_and_grad_vs_mpmath(case):
  name, p = case
  f_ref, g_ref = ref_fns(name)
  f_mp, g_mp = MP[name]
  mpp = mp_params(p)
  xs = grid(name, p)
  ks = set(kinks(name, p))
  sc = SCALES.get(name, {})

  v_ref = f_ref(xs, **p)
  assert v_ref.shape == xs.shape and v_ref.dtype == np.float64
  vs = mp_eval(f_mp, xs, mpp)
  vscale = mp_eval(sc["value"], xs, mpp) if "value" in sc else None
  compare(v_ref, xs, vs, vscale, what=f"{case_id(case)} value")

  g_ref_v = g_ref(xs, **p)
  assert g_ref_v.shape == xs.shape and g_ref_v.dtype == np.float64
  gs = [None if float(x) in ks else g_mp(MPF(x), **mpp) for x in xs]
  gscale = mp_eval(sc["grad"], xs, mpp) if "grad" in sc else None
  compare(g_ref_v, xs, gs, gscale, what=f"{case_id(case)} grad")


MID = np.concatenate([np.linspace(-20.0, 20.0, 41) + 0.0173, [-1e-7, 3e-5, 0.0031, 0.77]])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_mp_derivative_matches_mp_diff(case):
  """The hand-written mpmath derivatives agree with mpmath.diff of the mpmath values."""
  name, p = case
  f_mp, g_mp = MP[name]
  mpp = mp_params(p)
  ks = kinks(name, p)
  bad = []
  for x in MID:
    if any(abs(x - k) < 1e-6 for k in ks):
      continue
    xm = MPF(x)
    d = mp.diff(lambda t, f=f_mp: f(t, **mpp), xm)
    g = g_mp(xm, **mpp)
    if abs(d - g) > MPF(10) ** -35 * (1 + abs(g)):
      bad.append((x, mp.nstr(d, 15), mp.nstr(g, 15)))
  assert not bad, f"{case_id(case)}: {bad[:5]}"


# ----------------------------------------------------------------------------- parameters

PARAM_CASES = [c for c in CASES if c[0] in R.PARAM_GRADS]
PARAM_X = np.concatenate(
  [np.linspace(-20.0, 20.0, 21) + 0.0173, [-1e-30, 1e-30, -1e-12, 2e-8, -3e-3, 0.05, -0.6]]
)


def _param_variants(p):
  """Yield (key, index, setter) for every scalar parameter slot in p."""
  for k, v in p.items():
    if isinstance(v, bool):
      continue
    if isinstance(v, tuple):
      for i in range(len(v)):
        yield k, i
    else:
      yield k, None


@pytest.mark.parametrize("case", PARAM_CASES, ids=case_id)
def test_param_grads_vs_mp_diff(case):
  name, p = case
  f_mp = MP[name][0]
  pg = R.PARAM_GRADS[name](PARAM_X, **p)
  keys = {k for k, _ in _param_variants(p)}
  if name == "rrelu" and "slope" not in p:
    keys = {"lower", "upper"}
  assert keys <= set(pg), (keys, set(pg))
  for k, idx in _param_variants(p):
    if k not in keys:
      continue
    got = pg[k] if idx is None else pg[k][..., idx]
    assert got.shape == PARAM_X.shape
    exact = []
    for x in PARAM_X:

      def f_of(t, k=k, idx=idx, x=x):
        q = mp_params(p)
        if idx is None:
          q[k] = t
        else:
          q[k] = list(q[k])
          q[k][idx] = t
        return f_mp(MPF(x), **q)

      with mp.workdps(150):
        t0 = MPF(p[k]) if idx is None else MPF(p[k][idx])
        exact.append(+mp.diff(f_of, t0))
    compare(got, PARAM_X, exact, rtol=1e-12, atol=1e-290, what=f"{case_id(case)} d/d{k}{idx}")


def test_param_grads_shapes_and_broadcast():
  x = np.linspace(-3, 3, 12).reshape(3, 4)
  out = R.prelu_param_grads(x, np.array([0.1, 0.2, 0.3, 0.4]))
  assert out["negative_slope"].shape == x.shape
  np.testing.assert_array_equal(out["negative_slope"], np.where(x < 0, x, 0.0))
  out = R.rational_param_grads(x, RAT_NUM, RAT_DEN)
  assert out["numerator"].shape == x.shape + (len(RAT_NUM),)
  assert out["denominator"].shape == x.shape + (len(RAT_DEN),)
  out = R.acon_c_param_grads(x, np.array([1.0, 2.0, 3.0, 4.0]), 0.5, 1.0)
  assert {k: v.shape for k, v in out.items()} == {"p1": x.shape, "p2": x.shape, "beta": x.shape}


def test_prelu_axis():
  x = np.linspace(-2, 2, 24).reshape(2, 3, 4)
  a = np.array([0.1, 0.2, 0.3])
  want = np.where(x >= 0, x, a[None, :, None] * x)
  np.testing.assert_array_equal(R.prelu(x, a, axis=1), want)
  np.testing.assert_array_equal(
    R.prelu_grad(x, a, axis=1), np.where(x > 0, 1.0, np.broadcast_to(a[None, :, None], x.shape))
  )
  np.testing.assert_array_equal(R.prelu(x, np.array([0.3])), np.where(x >= 0, x, 0.3 * x))


def test_rrelu_rejects_key():
  with pytest.raises(ValueError, match="deterministic"):
    R.rrelu(np.ones(3), key=0)


# ----------------------------------------------------------------------------- kinks, nan, inf

SLOPE_RR = (1.0 / 8 + 1.0 / 3) / 2
# (name, params, x, expected value, expected derivative): API.md "Conventions at kinks"
KINK_CONVENTIONS = [
  ("relu", {}, 0.0, 0.0, 0.0),
  ("leaky_relu", {}, 0.0, 0.0, 0.01),
  ("leaky_relu", {"negative_slope": 0.2}, 0.0, 0.0, 0.2),
  ("prelu", {"negative_slope": 0.25}, 0.0, 0.0, 0.25),
  ("rrelu", {}, 0.0, 0.0, SLOPE_RR),
  ("rrelu", {"slope": 0.3}, 0.0, 0.0, 0.3),
  ("relu6", {}, 0.0, 0.0, 0.0),
  ("relu6", {}, 6.0, 6.0, 0.0),
  ("hard_tanh", {}, 1.0, 1.0, 0.0),
  ("hard_tanh", {}, -1.0, -1.0, 0.0),
  ("elu", {}, 0.0, 0.0, 1.0),
  ("elu", {"alpha": 0.5}, 0.0, 0.0, 0.5),
  ("elu", {"alpha": 3.0}, 0.0, 0.0, 3.0),
  ("selu", {}, 0.0, 0.0, R.SELU_SCALE * R.SELU_ALPHA),
  ("celu", {}, 0.0, 0.0, 1.0),
  ("hard_sigmoid", {}, 3.0, 1.0, 0.0),
  ("hard_sigmoid", {}, -3.0, 0.0, 0.0),
  ("hard_silu", {}, -3.0, 0.0, 0.0),
  ("hard_silu", {}, 3.0, 3.0, 1.0),
  ("hard_swish", {}, -3.0, 0.0, 0.0),
  ("hard_swish", {}, 3.0, 3.0, 1.0),
  ("threshold", {"threshold": 0.5, "value": -1.0}, 0.5, -1.0, 0.0),
  ("hard_shrink", {}, 0.5, 0.0, 0.0),
  ("hard_shrink", {}, -0.5, 0.0, 0.0),
  ("hard_shrink", {"lambd": 1.5}, 1.5, 0.0, 0.0),
  ("soft_shrink", {}, 0.5, 0.0, 0.0),
  ("soft_shrink", {}, -0.5, 0.0, 0.0),
  ("soft_shrink", {"lambd": 1.5}, -1.5, 0.0, 0.0),
  ("sparse_sigmoid", {}, 1.0, 1.0, 0.0),
  ("sparse_sigmoid", {}, -1.0, 0.0, 0.0),
  ("sparse_plus", {}, -1.0, 0.0, 0.0),
  ("sparse_plus", {}, 1.0, 1.0, 1.0),
  ("squared_relu", {}, 0.0, 0.0, 0.0),
  ("star_relu", {}, 0.0, -0.4472, 0.0),
  # rational: |Q|' = 0 where Q = 0: at x = 0 (always) and at Q's root x = 2 here
  ("rational", {"numerator": (0.1, 1.0, 0.5, -0.3), "denominator": (-1.0, 0.5)}, 0.0, 0.1, 1.0),
  (
    "rational",
    {"numerator": (0.1, 1.0, 0.5, -0.3), "denominator": (-1.0, 0.5)},
    2.0,
    0.1 + 2.0 + 2.0 - 2.4,
    1.0 + 2.0 - 3.6,
  ),
]


@pytest.mark.parametrize("name,p,x,val,der", KINK_CONVENTIONS)
def test_kink_conventions(name, p, x, val, der):
  f, g = R.ELEMENTWISE[name]
  assert f(np.array([x]), **p)[0] == pytest.approx(val, rel=1e-15, abs=0)
  assert g(np.array([x]), **p)[0] == pytest.approx(der, rel=1e-15, abs=0)


def test_kink_values_are_exact():
  assert R.leaky_relu(np.array([0.0, -0.0]))[0] == 0.0
  assert R.threshold(np.array([0.5]), 0.5, 7.0)[0] == 7.0
  assert R.threshold(np.array([np.nextafter(0.5, 1)]), 0.5, 7.0)[0] == np.nextafter(0.5, 1)
  assert R.elu(np.array([0.0]), alpha=2.0)[0] == 0.0
  pg = R.soft_shrink_param_grads(np.array([-0.5, 0.5, -0.6, 0.6]))["lambd"]
  np.testing.assert_array_equal(pg, [0.0, 0.0, 1.0, -1.0])


def _default_params(name):
  for n, p in CASES:
    if n == name:
      return p
  raise KeyError(name)


@pytest.mark.parametrize("name", sorted(R.ELEMENTWISE))
def test_nan_propagates(name):
  p = _default_params(name)
  f, g = R.ELEMENTWISE[name]
  x = np.array([np.nan, 1.0, np.nan])
  assert np.isnan(f(x, **p)[[0, 2]]).all() and not np.isnan(f(x, **p)[1])
  assert np.isnan(g(x, **p)[[0, 2]]).all() and not np.isnan(g(x, **p)[1])
  if name in R.PARAM_GRADS:
    for k, v in R.PARAM_GRADS[name](x, **p).items():
      assert np.isnan(v[0]).all() and np.isnan(v[2]).all(), k
      assert not np.isnan(v[1]).any(), k


INF = np.inf
ACON2 = {"p1": 1.5, "p2": -0.25, "beta": 2.0}
RAT2 = {"numerator": (0.1, 1.0, 0.5, -0.3), "denominator": (-1.0, 0.5)}
# (name, params, f(+inf), f'(+inf), f(-inf), f'(-inf)); NaN = no limit (snake')
INF_LIMITS = [
  ("sigmoid", {}, 1, 0, 0, 0),
  ("tanh", {}, 1, 0, -1, 0),
  ("log_sigmoid", {}, 0, 0, -INF, 1),
  ("relu", {}, INF, 1, 0, 0),
  ("leaky_relu", {}, INF, 1, -INF, 0.01),
  ("prelu", {"negative_slope": 0.25}, INF, 1, -INF, 0.25),
  ("rrelu", {}, INF, 1, -INF, SLOPE_RR),
  ("elu", {}, INF, 1, -1, 0),
  ("elu", {"alpha": 3.0}, INF, 1, -3, 0),
  ("selu", {}, INF, R.SELU_SCALE, -R.SELU_SCALE * R.SELU_ALPHA, 0),
  ("gelu", {}, INF, 1, 0, 0),
  ("gelu", {"approximate": False}, INF, 1, 0, 0),
  ("relu6", {}, 6, 0, 0, 0),
  ("softplus", {}, INF, 1, 0, 0),
  ("softplus", {"beta": 0.1}, INF, 1, 0, 0),
  ("sparse_plus", {}, INF, 1, 0, 0),
  ("soft_sign", {}, 1, 0, -1, 0),
  ("silu", {}, INF, 1, 0, 0),
  ("swish", {"beta": 4.0}, INF, 1, 0, 0),
  ("swish", {"beta": -1.5}, 0, 0, -INF, 1),
  ("swish", {"beta": 0.0}, INF, 0.5, -INF, 0.5),
  ("hard_tanh", {}, 1, 0, -1, 0),
  ("celu", {"alpha": 3.0}, INF, 1, -3, 0),
  ("hard_sigmoid", {}, 1, 0, 0, 0),
  ("hard_silu", {}, INF, 1, 0, 0),
  ("hard_swish", {}, INF, 1, 0, 0),
  ("mish", {}, INF, 1, 0, 0),
  ("squareplus", {}, INF, 1, 0, 0),
  ("sparse_sigmoid", {}, 1, 0, 0, 0),
  ("identity", {}, INF, 1, -INF, 1),
  ("hard_shrink", {}, INF, 1, -INF, 1),
  ("soft_shrink", {}, INF, 1, -INF, 1),
  ("tanh_shrink", {}, INF, 1, -INF, 1),
  ("threshold", {"threshold": 0.5, "value": -1.0}, INF, 1, -1, 0),
  ("snake", {}, INF, np.nan, -INF, np.nan),
  ("squared_relu", {}, INF, INF, 0, 0),
  ("star_relu", {}, INF, INF, -0.4472, 0),
  ("acon_c", {"p1": 1.0, "p2": 0.0, "beta": 1.0}, INF, 1, 0, 0),
  ("acon_c", ACON2, INF, 1.5, INF, -0.25),
  ("rational", RAT2, -INF, -0.6, INF, -0.6),
  ("rational", {"numerator": RAT_NUM, "denominator": RAT_DEN}, -INF, -0.6, INF, -0.6),
]


@pytest.mark.parametrize("name,p,fp,gp,fn,gn", INF_LIMITS)
def test_inf_limits(name, p, fp, gp, fn, gn):
  f, g = R.ELEMENTWISE[name]
  x = np.array([INF, -INF])
  np.testing.assert_allclose(f(x, **p), [fp, fn], rtol=1e-15, atol=0)
  np.testing.assert_allclose(g(x, **p), [gp, gn], rtol=1e-15, atol=0)


@pytest.mark.parametrize(
  "name,p",
  [
    ("rational", RAT2),
    ("rational", {"numerator": RAT_NUM, "denominator": RAT_DEN}),
    ("acon_c", ACON2),
    ("swish", {"beta": -1.5}),
  ],
)
def test_inf_limits_continue_large_finite(name, p):
  """Limits at +-inf agree with the trend at +-1e50 (finite limits to 1e-12)."""
  f, g = R.ELEMENTWISE[name]
  for fn in (f, g):
    at_inf = fn(np.array([INF, -INF]), **p)
    big = fn(np.array([1e50, -1e50]), **p)
    for a, b in zip(at_inf, big, strict=True):
      if np.isinf(a):
        assert np.sign(a) == np.sign(b) and abs(b) > 1e40
      else:
        assert abs(a - b) <= 1e-12 * max(1.0, abs(a))


def test_param_grads_at_inf():
  x = np.array([INF, -INF])
  np.testing.assert_array_equal(R.softplus_param_grads(x, beta=0.1)["beta"], [0, 0])
  np.testing.assert_array_equal(R.swish_param_grads(x, beta=2.0)["beta"], [0, 0])
  np.testing.assert_array_equal(R.elu_param_grads(x, alpha=2.0)["alpha"], [0, -1])
  np.testing.assert_array_equal(R.celu_param_grads(x, alpha=2.0)["alpha"], [0, -1])
  np.testing.assert_array_equal(R.squareplus_param_grads(x)["b"], [0, 0])
  np.testing.assert_array_equal(R.leaky_relu_param_grads(x)["negative_slope"], [0, -INF])
  np.testing.assert_array_equal(R.star_relu_param_grads(x)["scale"], [INF, 0])
  np.testing.assert_array_equal(R.soft_shrink_param_grads(x)["lambd"], [-1, 1])
  pg = R.acon_c_param_grads(x, **ACON2)
  np.testing.assert_array_equal(pg["p1"], [INF, 0])
  np.testing.assert_array_equal(pg["p2"], [0, -INF])
  np.testing.assert_array_equal(pg["beta"], [0, 0])


EXTREME = np.array(
  [
    np.nan,
    INF,
    -INF,
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    1e-310,
    1.4e-45,
    -1.4e-45,
    3.4028234663852886e38,
    -3.4028234663852886e38,
    1e300,
    -1e300,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    709.9,
    -745.5,
    40.0,
    -40.0,
  ]
)
F32_FINITE = np.array(
  [
    0.0,
    -0.0,
    1.4e-45,
    -1.4e-45,
    1e-38,
    -1e-38,
    1.0,
    -1.0,
    88.7,
    -103.9,
    1e10,
    -1e10,
    3.4028234663852886e38,
    -3.4028234663852886e38,
  ]
)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_warnings_and_finite(case):
  """No floating-point warnings anywhere; finite float32-range input -> finite output."""
  name, p = case
  f, g = R.ELEMENTWISE[name]
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(all="raise"):
      f(EXTREME, **p)
      g(EXTREME, **p)
      if name in R.PARAM_GRADS:
        R.PARAM_GRADS[name](EXTREME, **p)
      vf, vg = f(F32_FINITE, **p), g(F32_FINITE, **p)
  # finite where the true value is finite (squared relu family at 3.4e38 is 1.2e77: finite)
  if name == "exponential":  # e^x overflows float64 itself past 709.78
    overflow = F32_FINITE > np.log(np.finfo(np.float64).max)
    assert np.array_equal(np.isinf(vf), overflow) and np.array_equal(np.isinf(vg), overflow)
    return
  assert np.isfinite(vf).all(), vf
  assert np.isfinite(vg).all(), vg


def test_scalar_and_shapes():
  for name, (f, g) in R.ELEMENTWISE.items():
    p = _default_params(name)
    out = f(0.5, **p)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64, name
    x = np.linspace(-2, 2, 6).reshape(2, 3)
    assert f(x, **p).shape == (2, 3) and g(x, **p).shape == (2, 3), name
    assert g([0.25], **p).dtype == np.float64
  assert R.hard_swish is R.hard_silu


def test_tiny_inputs_exact_scaling():
  """Near 0 the odd functions equal their leading Taylor term to 1e-15."""
  x = np.array([1e-20, -3e-25, 1.4e-45])
  np.testing.assert_allclose(R.tanh_shrink(x), x**3 / 3, rtol=1e-15)
  np.testing.assert_allclose(R.sigmoid_grad(x), 0.25, rtol=1e-15)
  np.testing.assert_allclose(R.gelu(x, approximate=False), x / 2, rtol=1e-15)
  np.testing.assert_allclose(R.snake(x, alpha=1e-9), x, rtol=1e-15)
  np.testing.assert_allclose(R.squareplus(-x, b=4.0), 1.0 + x * 0 - x / 2, rtol=1e-15)


# ----------------------------------------------------------------------------- vector functions


def mp_softmax_row(v):
  m = max(v)
  e = [mp.exp(t - m) for t in v]
  s = sum(e)
  return [t / s for t in e]


def mp_log_softmax_row(v):
  m = max(v)
  lse = m + mp.log(sum(mp.exp(t - m) for t in v))
  return [t - lse for t in v]


def mp_sparsemax_row(v):
  z = sorted(v, reverse=True)
  cs, k = MPF(0), 0
  for i, t in enumerate(z, 1):
    if 1 + i * t > cs + t:
      k, csk = i, cs + t
    cs += t
  tau = (csk - 1) / k
  return [max(t - tau, 0) for t in v]


def _half(v):
  n = len(v) // 2
  return v[:n], v[n:]


def mp_glu_row(v):
  a, b = _half(v)
  return [x * sig(y) for x, y in zip(a, b, strict=True)]


def mp_gated(act):
  def row(v):
    a, b = _half(v)
    return [act(x) * y for x, y in zip(a, b, strict=True)]

  return row


MP_ROW = {
  "softmax": mp_softmax_row,
  "log_softmax": mp_log_softmax_row,
  "sparsemax": mp_sparsemax_row,
  "glu": mp_glu_row,
  "reglu": mp_gated(lambda t: max(t, 0)),
  "geglu": mp_gated(lambda t: mp_gelu(t, approximate=False)),
  "swiglu": mp_gated(mp_swish),
}


def mp_vjp_row(row, v, g):
  """sum_i g_i dF_i/dv_j by a central difference in mpmath; also sum_i |g_i dF_i/dv_j|."""
  h = MPF(10) ** -20
  v = [MPF(t) for t in v]
  n = len(v)
  out, mag = [], []
  for j in range(n):
    vp, vm = list(v), list(v)
    vp[j] += h
    vm[j] -= h
    fp, fm = row(vp), row(vm)
    terms = [MPF(gi) * (a - b) / (2 * h) for gi, a, b in zip(g, fp, fm, strict=True)]
    out.append(sum(terms))
    mag.append(sum(abs(t) for t in terms))
  return out, mag


def rng(seed=20240611):
  """A fresh generator per use, so results do not depend on test order (xdist)."""
  return np.random.default_rng(seed)


ROWS = np.concatenate(
  [
    rng(1).uniform(-10, 10, size=(4, 6)),
    [
      [1000.0, 999.0, -1000.0, 0.0, 998.5, 1e-30],
      [-1e30, 1e30, 3.0, -2.0, 1e-20, 0.5],
      [-745.0, -700.0, -0.5, -740.0, -1.0, -3.0],
    ],
  ]
)


@pytest.mark.parametrize("name", sorted(MP_ROW))
def test_vector_value_and_vjp_vs_mpmath(name):
  f, vjp = R.VECTOR[name]
  row = MP_ROW[name]
  scale = 0.4 if name == "sparsemax" else 1.0
  x = ROWS * scale
  if name in ("glu", "reglu", "geglu", "swiglu"):
    x = np.clip(x, -30, 30)
  val = f(x, axis=-1)
  g = rng(2).uniform(-1, 1, size=val.shape)
  vj = vjp(x, g, axis=-1)
  assert vj.shape == x.shape
  for i in range(x.shape[0]):
    exact = row([MPF(t) for t in x[i]])
    compare(val[i], x[i], exact, what=f"{name} value row {i}")
    if name in ("softmax", "log_softmax", "sparsemax") and np.abs(x[i]).max() > 1e3:
      continue  # mpmath FD with h = 1e-20 is not precise enough next to 1e30
    ex, mag = mp_vjp_row(row, x[i], g[i])
    compare(vj[i], x[i], ex, scales=[1e3 * m for m in mag], rtol=1e-12, what=f"{name} vjp row {i}")


def test_softmax_and_sparsemax_rows_sum_to_one():
  x = np.concatenate([ROWS, rng(3).normal(size=(20, 6)) * 3])
  for fn in (R.softmax, R.sparsemax):
    s = fn(x, axis=-1)
    assert (s >= 0).all()
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=2e-15)
    s0 = fn(x.T, axis=0)
    np.testing.assert_allclose(s0, s.T, rtol=0, atol=0)
  np.testing.assert_allclose(np.exp(R.log_softmax(x)).sum(axis=-1), 1.0, rtol=0, atol=4e-15)
  # sparsemax is sparse: a clear winner gets everything
  np.testing.assert_array_equal(R.sparsemax(np.array([3.0, 1.0, 0.5])), [1.0, 0.0, 0.0])
  np.testing.assert_allclose(R.sparsemax(np.array([0.5, 0.25, -3.0])), [0.625, 0.375, 0.0])


def test_softmax_where_and_degenerate_rows():
  x = np.array(
    [
      [1.0, 2.0, 3.0, 4.0],
      [1.0, 2.0, 3.0, 4.0],
      [-INF, -INF, -INF, -INF],
      [5.0, np.nan, 1.0, 2.0],
      [0.0, INF, 1.0, INF],
      [-INF, 0.0, -INF, 1.0],
    ]
  )
  w = np.array(
    [
      [True, False, True, True],
      [False, False, False, False],
      [True, True, True, True],
      [True, False, True, True],
      [True, True, True, True],
      [True, True, True, True],
    ]
  )
  g = np.array([[0.3, -1.0, 2.0, 0.5]] * 6)
  s = R.softmax(x, where=w)
  ls = R.log_softmax(x, where=w)
  sv = R.softmax_vjp(x, g, where=w)
  lv = R.log_softmax_vjp(x, g, where=w)
  e = np.exp([1.0, 3.0, 4.0] - np.float64(4.0))
  np.testing.assert_allclose(s[0], np.insert(e / e.sum(), 1, 0.0), rtol=1e-15)
  np.testing.assert_allclose(ls[0][[0, 2, 3]], np.log(e / e.sum()), rtol=1e-15)
  assert ls[0][1] == -INF and sv[0][1] == 0 and lv[0][1] == 0
  # all masked / all -inf: softmax 0, log_softmax -inf, zero gradients (never NaN)
  for r in (1, 2):
    np.testing.assert_array_equal(s[r], 0.0)
    np.testing.assert_array_equal(ls[r], -INF)
    np.testing.assert_array_equal(sv[r], 0.0)
    np.testing.assert_array_equal(lv[r], 0.0)
  # a masked NaN is ignored
  assert np.isfinite(s[3]).all() and s[3][1] == 0 and np.isfinite(sv[3]).all()
  # +inf entries share the mass
  np.testing.assert_array_equal(s[4], [0, 0.5, 0, 0.5])
  np.testing.assert_allclose(ls[4], [-INF, -np.log(2), -INF, -np.log(2)])
  # -inf entries get 0 / -inf and softmax gradient 0; log_softmax gradient g_j - s_j sum g
  e = np.exp([-1.0, 0.0])
  np.testing.assert_allclose(s[5], [0, e[0] / e.sum(), 0, e[1] / e.sum()], rtol=1e-15)
  assert sv[5][0] == 0 and sv[5][2] == 0
  np.testing.assert_allclose(lv[5][[0, 2]], g[5][[0, 2]] - 0.0)
  # unmasked NaN -> NaN row
  xn = np.array([[1.0, np.nan, 0.0]])
  for fn in (R.softmax, R.log_softmax, R.sparsemax):
    assert np.isnan(fn(xn)).all()
  for fn in (R.softmax_vjp, R.log_softmax_vjp, R.sparsemax_vjp):
    assert np.isnan(fn(xn, np.ones_like(xn))).all()
  # where broadcasts, axis=0 works
  x2 = rng(4).normal(size=(5, 3))
  w2 = np.array([True, True, False, True, True])[:, None]
  np.testing.assert_allclose(
    R.softmax(x2, axis=0, where=w2), R.softmax(x2.T, where=w2.T).T, rtol=0, atol=0
  )


def test_softmax_shift_accuracy():
  """x - max is carried exactly: a large common shift changes nothing."""
  x = np.array([0.1, -3.7, 2.2, -700.25])
  for shift in (0.0, 1e5, -3.3e7):
    xs = x + shift
    exact = mp_softmax_row([MPF(t) for t in xs])
    compare(R.softmax(xs), xs, exact, what=f"shift {shift}")
    compare(
      R.log_softmax(xs), xs, mp_log_softmax_row([MPF(t) for t in xs]), what=f"log shift {shift}"
    )


def test_sparsemax_degenerate_and_vjp():
  assert (R.sparsemax(np.array([[-INF, -INF, -INF]])) == 0).all()
  assert (R.sparsemax_vjp(np.array([[-INF, -INF]]), np.ones((1, 2))) == 0).all()
  np.testing.assert_array_equal(R.sparsemax(np.array([INF, 0.0, INF])), [0.5, 0.0, 0.5])
  np.testing.assert_allclose(
    R.sparsemax(np.array([-INF, 0.0, 0.2])), [0.0, 0.4, 0.6], rtol=2e-16, atol=0
  )
  # Jacobian on the support: diag(s) - s s^T / |s|
  x = np.array([0.3, 0.1, -2.0, 0.25])
  p = R.sparsemax(x)
  supp = (p > 0).astype(float)
  J = np.diag(supp) - np.outer(supp, supp) / supp.sum()
  for k in range(4):
    e = np.zeros(4)
    e[k] = 1.0
    np.testing.assert_allclose(R.sparsemax_vjp(x, e), J[k], rtol=1e-15, atol=1e-16)


def test_maxout():
  r = rng(5)
  x = r.normal(size=(3, 12))
  for k in (1, 2, 3, 4, 6, 12):
    want = np.array([[x[i, j * k : (j + 1) * k].max() for j in range(12 // k)] for i in range(3)])
    np.testing.assert_array_equal(R.maxout(x, k), want)
    np.testing.assert_array_equal(R.maxout(x.T, k, axis=0), want.T)
    g = r.normal(size=want.shape)
    vj = R.maxout_vjp(x, g, k)
    h = 1e-7
    fd = np.zeros_like(x)
    for i in range(3):
      for j in range(12):
        xp, xm = x.copy(), x.copy()
        xp[i, j] += h
        xm[i, j] -= h
        fd[i, j] = ((R.maxout(xp, k) - R.maxout(xm, k)) * g).sum() / (2 * h)
    np.testing.assert_allclose(vj, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(R.maxout_vjp(x.T, g.T, k, axis=0), vj.T, rtol=0, atol=0)
  # ties share equally, NaN group gives NaN
  xt = np.array([[1.0, 1.0, 0.0, 2.0, 2.0, 2.0, np.nan, 1.0, 0.0]])
  np.testing.assert_array_equal(R.maxout(xt, 3)[0, :2], [1.0, 2.0])
  assert np.isnan(R.maxout(xt, 3)[0, 2])
  vj = R.maxout_vjp(xt, np.array([[6.0, 3.0, 1.0]]), 3)[0]
  np.testing.assert_array_equal(vj[:6], [3.0, 3.0, 0.0, 1.0, 1.0, 1.0])
  assert np.isnan(vj[6:]).all()
  with pytest.raises(ValueError, match="num_pieces"):
    R.maxout(x, 5)
  with pytest.raises(ValueError, match="num_pieces"):
    R.maxout(x, 0)


def test_gated_axis_and_errors():
  r = rng(6)
  x = r.normal(size=(4, 6))
  for name in ("glu", "reglu", "geglu", "swiglu"):
    f, vjp = R.VECTOR[name]
    np.testing.assert_array_equal(f(x.T, axis=0), f(x).T)
    g = r.normal(size=(4, 3))
    np.testing.assert_array_equal(vjp(x.T, g.T, axis=0), vjp(x, g).T)
    with pytest.raises(ValueError, match="even"):
      f(np.ones((2, 5)))
  a, b = x[:, :3], x[:, 3:]
  np.testing.assert_allclose(R.glu(x), a * R.sigmoid(b), rtol=1e-15)
  np.testing.assert_allclose(R.reglu(x), R.relu(a) * b, rtol=0)
  np.testing.assert_allclose(R.geglu(x), R.gelu(a, approximate=False) * b, rtol=0)
  np.testing.assert_allclose(R.swiglu(x), R.silu(a) * b, rtol=0)


def test_vector_no_warnings():
  x = np.array(
    [[np.nan, INF, -INF, 0.0, 1e308, -1e308], [INF, INF, -INF, -INF, 3.4e38, -3.4e38], [-INF] * 6]
  )
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    with np.errstate(all="raise"):
      for name, (f, vjp) in R.VECTOR.items():
        kw = {"num_pieces": 2} if name == "maxout" else {}
        out = f(x, **kw)
        vjp(x, np.ones_like(out), **kw)
  assert np.isnan(R.softmax(x)[0]).all() and not np.isnan(R.softmax(x)[1:]).any()


def test_registries_cover_api():
  api = {
    "sigmoid",
    "tanh",
    "relu",
    "exponential",
    "leaky_relu",
    "prelu",
    "elu",
    "selu",
    "gelu",
    "relu6",
    "softplus",
    "sparse_plus",
    "soft_sign",
    "silu",
    "swish",
    "log_sigmoid",
    "hard_tanh",
    "celu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "mish",
    "squareplus",
    "sparse_sigmoid",
    "identity",
    "rrelu",
    "hard_shrink",
    "soft_shrink",
    "tanh_shrink",
    "threshold",
    "snake",
    "squared_relu",
    "star_relu",
    "acon_c",
    "rational",
  }
  vec = {"maxout", "glu", "reglu", "geglu", "swiglu", "softmax", "log_softmax", "sparsemax"}
  assert set(R.ELEMENTWISE) == api
  assert set(R.VECTOR) == vec
  assert {c[0] for c in CASES} == api
  for fns in list(R.ELEMENTWISE.values()) + list(R.VECTOR.values()):
    for fn in fns:
      assert fn.__doc__ and fn.__doc__.strip(), fn
