"""The hazards of the functions along an axis (glu family, softmax, log_softmax,
sparsemax): each test shows the naive formula failing where jaxact is right against
jaxact.testing.references."""

from __future__ import annotations

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import jaxact
from jaxact._src.testing import accuracy
from jaxact.testing import references as R
from tests.cases import GATED_PAIRS, ids
from tests.helpers import each_dtype, each_row, pinned, raw_ulps, row_result

GATED = ["glu", "reglu", "geglu", "swiglu"]


def bound(dtype, which=0):
  return accuracy.BOUNDS[np.dtype(dtype)][which]


def f64(x):
  return np.asarray(x, np.float64)


def vjp(fn, x, cotangent):
  """``fn(x)`` and its vjp with ``cotangent`` (in x's dtype, which every function here
  keeps), compiled: one program, not one compile per primitive."""
  @jax.jit
  def run(x, cotangent):
    y, pullback = jax.vjp(fn, x)
    return y, pullback(cotangent)[0]

  return run(x, jnp.asarray(cotangent, jnp.asarray(x).dtype))


# ------------------------------------------------------------------ gated linear units

# The gate of each unit as (act, act') of the first half a; glu gates with sigmoid(b).
_GATES = {
  "reglu": (R.relu, R.relu_grad),
  "geglu": (lambda a: R.gelu(a, approximate=False),
            lambda a: R.gelu_grad(a, approximate=False)),
  "swiglu": (R.silu, R.silu_grad),
}


def _allowances(name, a, b):
  """(x, q') for the contract's backward-stable allowance of the value and of the two
  partials of a gated unit, with respect to the input that conditions each."""
  if name == "glu":
    return ((b, a * accuracy.slope(R.sigmoid, b)),
            (b, accuracy.slope(R.sigmoid, b)),
            (b, a * accuracy.slope(R.sigmoid_grad, b)))
  act, dact = _GATES[name]
  return ((a, b * accuracy.slope(act, a)),
          (a, b * accuracy.slope(dact, a)),
          (a, accuracy.slope(act, a)))


@pytest.mark.parametrize("name", GATED)
@each_dtype
def test_gated_value_and_both_partials_match_reference(name, dtype):
  x = jnp.asarray(np.random.default_rng(0).normal(size=(16, 256)) * 3, dtype)
  x64 = f64(x)
  a, b = np.split(x64, 2, axis=-1)
  y, grad = vjp(getattr(jaxact, name), x, np.ones((16, 128)))
  assert y.dtype == dtype and grad.dtype == dtype
  value, d_a, d_b = _allowances(name, a, b)
  want = getattr(R, name)(x64)
  assert np.max(raw_ulps(y, want, dtype, *value)) <= bound(dtype)
  want_grad = getattr(R, name + "_vjp")(x64, np.ones((16, 128)))
  grad_a, grad_b = np.split(f64(grad), 2, axis=-1)
  want_a, want_b = np.split(want_grad, 2, axis=-1)
  assert np.max(raw_ulps(grad_a, want_a, dtype, *d_a)) <= bound(dtype, 1), "d/da"
  assert np.max(raw_ulps(grad_b, want_b, dtype, *d_b)) <= bound(dtype, 1), "d/db"


def test_glu_half_precision_is_rounded_once():
  rng = np.random.default_rng(1)
  a = jnp.asarray(rng.normal(size=50_000) * 3, jnp.bfloat16)
  b = jnp.asarray(rng.normal(size=50_000) * 3, jnp.bfloat16)
  x = jnp.concatenate([a, b])
  want = R.glu(f64(x))
  naive = a * jax.nn.sigmoid(b)  # the sigmoid rounded to bfloat16, then the product
  assert np.max(raw_ulps(naive, want, jnp.bfloat16)) > 1
  assert np.max(raw_ulps(jaxact.glu(x), want, jnp.bfloat16)) <= 0.5 + 2.0**-8


def test_glu_gates_the_first_half_with_the_second_as_jax_nn():
  x = jnp.array([[1.0, -2.0, 0.5, 3.0]])
  # jaxact within 5 ULP, jax.nn's a * sigmoid(b) within a few: 1e-6 = 8.4 * 2^-23
  np.testing.assert_allclose(jaxact.glu(x), jax.nn.glu(x), rtol=1e-6)
  np.testing.assert_allclose(jaxact.glu(x.T, axis=0), jax.nn.glu(x.T, axis=0), rtol=1e-6)


def test_geglu_gates_with_the_exact_gelu():
  a = jnp.linspace(-4, 4, 33)
  x = jnp.concatenate([a, jnp.ones_like(a)])
  exact = jaxact.gelu(a, approximate=False)
  np.testing.assert_array_equal(jaxact.geglu(x), exact)
  assert np.max(np.abs(jaxact.geglu(x) - jaxact.gelu(a, approximate=True))) > 1e-4
  # the value's bound, 5 ULP <= 5 * 2^-23 = 6e-7 relative (gelu's zero at a = 0 is exact)
  np.testing.assert_allclose(jaxact.geglu(x), R.geglu(f64(x)), rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("name", ["swiglu", "geglu"])
def test_gated_limits_at_minus_infinity_are_zero_with_zero_gradient(name):
  x = jnp.array([-jnp.inf, jnp.inf, 2.0, 3.0])
  y, grad = vjp(getattr(jaxact, name), x, np.ones(2))
  np.testing.assert_array_equal(y, [0.0, jnp.inf])
  np.testing.assert_array_equal(grad[0], 0.0)
  np.testing.assert_array_equal(grad[2], 0.0)
  assert not np.isnan(f64(grad)).any()
  naive = {"swiglu": lambda a: a * jax.nn.sigmoid(a),
           "geglu": lambda a: a * jax.scipy.stats.norm.cdf(a)}[name]
  assert np.isnan(naive(x[:1])).all()  # -inf * 0


@pytest.mark.parametrize("name", GATED)
def test_gated_second_derivatives_match_the_reference(name):
  rng = np.random.default_rng(2)
  x = rng.normal(size=8) * 2
  ct = rng.normal(size=4)
  fn = getattr(jaxact, name)
  def loss(x):
    return jnp.sum(fn(x) * ct)

  with jax.enable_x64(True):
    hessian, forward = jax.jit(lambda x: (jax.hessian(loss)(x), jax.jacfwd(jax.jacrev(loss))(x)))(
        jnp.asarray(x))
  # float64, the same rules in another order: 1e-12 (4500 * 2^-52)
  np.testing.assert_allclose(hessian, forward, rtol=1e-12, atol=1e-14)
  # central differences of the reference's float64 vjp, h = 1e-6: rounding ~ 2^-53 |g| / h
  # = 1e-10 |g| (atol 1e-8), truncation ~ h^2 |g'''| / 6 ~ 1e-13
  h = 1e-6
  vjp_ref = getattr(R, name + "_vjp")
  fd = np.stack([(vjp_ref(x + h * e, ct) - vjp_ref(x - h * e, ct)) / (2 * h)
                 for e in np.eye(8)], axis=-1)
  np.testing.assert_allclose(hessian, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", GATED)
@pytest.mark.parametrize(("shape", "axis", "message"), [
  ((4, 7), -1, "x.shape[-1] must be even; got 7."),
  ((3, 4), 0, "x.shape[0] must be even; got 3."),
  ((4, 6), 2, "axis must be in [-2, 2) for an input of rank 2; got 2."),
  ((), -1, "x must have at least one axis; got a scalar."),
])
def test_gated_argument_errors(name, shape, axis, message):
  with pytest.raises(ValueError, match="^" + re.escape(f"jaxact.{name}: {message}") + "$"):
    getattr(jaxact, name)(jnp.ones(shape), axis=axis)


# ------------------------------------------------------------------ softmax, log_softmax

NORMALISING = ["softmax", "log_softmax"]


def _ref(name, x, **kw):
  return getattr(R, name)(f64(x), **kw)


def _ref_vjp(name, x, ct, **kw):
  return getattr(R, name + "_vjp")(f64(x), f64(ct), **kw)


_MASK_ROWS = np.array([
  [1.0, -np.inf, 2.0, 0.5, -3.0],             # some -inf entries
  [-np.inf, -np.inf, -np.inf, -np.inf, -np.inf],  # all -inf: 0 / -inf, zero gradient
  [0.3, 1.0, -1.0, 2.0, 4.0],                 # all masked below
  [5.0, 1.0, -np.inf, 2.0, 4.0],              # partly masked below
])
_MASK = np.array([[True] * 5, [True] * 5, [False] * 5, [True, False, True, False, True]])


@pytest.mark.parametrize("name", NORMALISING)
@each_dtype
def test_masked_and_minus_inf_entries(name, dtype):
  x = jnp.asarray(_MASK_ROWS, dtype)
  ct = np.random.default_rng(3).normal(size=x.shape)
  fn = getattr(jaxact, name)
  y, grad = vjp(lambda x: fn(x, where=jnp.asarray(_MASK)), x, ct)
  want = _ref(name, x, where=_MASK)
  assert np.max(raw_ulps(y, want, dtype)) <= bound(dtype)
  assert not np.isnan(f64(y)).any() and not np.isnan(f64(grad)).any()
  want_grad = _ref_vjp(name, x, f64(jnp.asarray(ct, dtype)), where=_MASK)
  eps = 2.0 ** (1 - accuracy.FORMATS[np.dtype(dtype)][0])
  np.testing.assert_allclose(f64(grad), want_grad, rtol=bound(dtype, 1) * eps, atol=1e-30)
  assert np.all(f64(grad)[~_MASK] == 0) and np.all(f64(grad)[1] == 0)
  # Documented limits: masked and empty rows give 0 (softmax) or -inf (log_softmax).
  empty = 0.0 if name == "softmax" else -np.inf
  assert np.all(f64(y)[~_MASK] == empty) and np.all(f64(y)[1] == empty)
  # The naive formula (jax.nn) gives NaN on the rows with nothing left.
  naive = getattr(jax.nn, name)(x, where=jnp.asarray(_MASK))
  assert np.isnan(f64(naive)[1]).all()


@pytest.mark.parametrize("name", NORMALISING)
def test_plus_inf_entries_share_the_mass(name):
  x = jnp.array([[np.inf, 1.0, np.inf, -np.inf], [np.inf, 0.0, 1e30, 3.0]])
  ct = np.array([[1.0, 2.0, -3.0, 4.0], [0.5, -1.0, 2.0, 1.0]])
  y, grad = vjp(getattr(jaxact, name), x, ct)
  want = [[0.5, 0, 0.5, 0], [1, 0, 0, 0]] if name == "softmax" else \
      [[-np.log(2), -np.inf, -np.log(2), -np.inf], [0, -np.inf, -np.inf, -np.inf]]
  # 1/2, 0, 1 exactly and -log 2 within the value's 1 ULP in float32 (< 1e-7 = 0.84 ULP)
  np.testing.assert_allclose(y, want, rtol=1e-7)
  np.testing.assert_allclose(y, _ref(name, x), rtol=1e-7)
  assert np.isfinite(f64(grad)).all()
  # the derivative's 8 ULP (< 1e-6 relative), sums of two or three exact terms
  np.testing.assert_allclose(grad, _ref_vjp(name, x, ct), rtol=1e-6, atol=1e-30)
  assert np.isnan(f64(getattr(jax.nn, name)(x))).all()  # inf - inf in the naive formula


@pytest.mark.parametrize("name", NORMALISING)
def test_large_float16_rows(name):
  rng = np.random.default_rng(4)
  x = jnp.asarray(rng.uniform(-60000, 60000, size=(2, 4096)), jnp.float16)
  ct = jnp.asarray(rng.normal(size=x.shape), jnp.float16)
  y, grad = vjp(getattr(jaxact, name), x, ct)
  assert y.dtype == grad.dtype == jnp.float16
  want = _ref(name, x)
  # finite wherever the truth is (log_softmax can fall below -65504: -inf is right there)
  with np.errstate(over="ignore"):
    representable = np.isfinite(want.astype(np.float16))
  assert np.array_equal(np.isfinite(f64(y)), representable)
  assert np.isfinite(f64(grad)).all()
  assert np.max(raw_ulps(y, want, jnp.float16)) <= 1
  assert np.max(raw_ulps(grad, _ref_vjp(name, x, ct), jnp.float16)) <= 2
  naive = {"softmax": lambda x: jnp.exp(x) / jnp.sum(jnp.exp(x), -1, keepdims=True),
           "log_softmax": lambda x: x - jnp.log(jnp.sum(jnp.exp(x), -1, keepdims=True))}
  assert not np.isfinite(f64(naive[name](x))).all()


def test_log_softmax_exact_where_softmax_underflows():
  x = jnp.array([0.0, -20.0, -200.0, -1e30], jnp.float32)
  y = jaxact.log_softmax(x)
  want = R.log_softmax(f64(x))
  assert np.max(raw_ulps(y, want, jnp.float32)) <= 1
  assert f64(y)[0] < 0  # -log1p(e^-20) = -2.06e-9, not 0
  np.testing.assert_array_equal(f64(y)[2:], [-200.0, -1e30 * np.float32(1)])
  naive = jnp.log(jax.nn.softmax(x))
  assert np.isneginf(f64(naive)[2])  # log(0)
  assert f64(jax.nn.log_softmax(x))[0] == 0  # log of the sum 1 + 2e-9 rounds to 0
  for dtype in (jnp.bfloat16, jnp.float16):
    xs = jnp.asarray([0.0, -12.0, -30.0], dtype)
    assert np.max(raw_ulps(jaxact.log_softmax(xs), R.log_softmax(f64(xs)), dtype)) <= 1


@pytest.mark.parametrize("name", NORMALISING)
def test_float32_carries_the_rounding_of_x_minus_max(name):
  x = jnp.asarray(np.random.default_rng(5).normal(size=(16, 100)) * 30, jnp.float32)
  want = _ref(name, x)
  assert np.max(raw_ulps(getattr(jaxact, name)(x), want, jnp.float32)) <= bound(jnp.float32)
  assert np.max(raw_ulps(getattr(jax.nn, name)(x), want, jnp.float32)) > bound(jnp.float32)


@pytest.mark.parametrize("name", NORMALISING)
@each_dtype
def test_random_rows_value_and_vjp(name, dtype):
  rng = np.random.default_rng(6)
  x = jnp.asarray(rng.normal(size=(32, 64)) * 4, dtype)
  ct = jnp.asarray(rng.normal(size=x.shape), dtype)
  y, grad = vjp(getattr(jaxact, name), x, ct)
  assert np.max(raw_ulps(y, _ref(name, x), dtype)) <= bound(dtype)
  want = _ref_vjp(name, x, ct)
  # A vjp is a difference (g_i - <s, g>): allow the error of its float32 evaluation.
  scale = np.abs(f64(ct)) + np.sum(np.abs(f64(ct)) * _ref("softmax", x), -1, keepdims=True)
  if name == "softmax":
    scale = scale * _ref("softmax", x)
  err = np.abs(f64(grad) - want) - 8 * 2.0**-23 * scale
  assert np.all(err <= bound(dtype, 1) * accuracy.ulp(want, dtype))


@pytest.mark.parametrize("name", NORMALISING)
def test_nan_spreads_along_its_row_only(name):
  x = jnp.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]])
  y, grad = vjp(getattr(jaxact, name), x, np.ones(x.shape))
  assert np.isnan(f64(y)[0]).all() and np.isnan(f64(grad)[0]).all()
  assert np.isfinite(f64(y)[1]).all() and np.isfinite(f64(grad)[1]).all()
  masked = getattr(jaxact, name)(x, where=jnp.array([True, False, True]))
  assert not np.isnan(f64(masked)).any()  # a masked NaN is left out


@pytest.mark.parametrize("name", NORMALISING)
def test_second_derivatives(name):
  rng = np.random.default_rng(7)
  x = rng.normal(size=(2, 5))
  ct = rng.normal(size=(2, 5))
  mask = np.array([True, True, False, True, True])
  fn = getattr(jaxact, name)

  def loss(x):
    return jnp.sum(jnp.where(mask, fn(x, where=jnp.asarray(mask)), 0) * ct)

  with jax.enable_x64(True):
    hessian, forward = jax.jit(lambda x: (jax.hessian(loss)(x), jax.jacfwd(jax.jacrev(loss))(x)))(
        jnp.asarray(x))
    assert np.isfinite(hessian).all()
  # float64, the same rules in another order: 1e-12 (4500 * 2^-52)
  np.testing.assert_allclose(hessian, forward, rtol=1e-12, atol=1e-14)
  # central differences of the reference's float64 vjp, h = 1e-6: rounding ~ 2^-53 |g| / h
  # = 1e-10 |g| (atol 1e-8), truncation ~ h^2 |g'''| / 6 ~ 1e-13
  h = 1e-6
  fd = np.stack([(_ref_vjp(name, x + h * e, ct, where=mask)
                  - _ref_vjp(name, x - h * e, ct, where=mask)) / (2 * h)
                 for e in np.eye(10).reshape(10, 2, 5)], axis=-1).reshape(2, 5, 2, 5)
  np.testing.assert_allclose(hessian, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NORMALISING)
@pytest.mark.parametrize("axis", [0, 1, -1, (0, 2), (2, 0), None])
def test_axis_forms_as_jax_nn(name, axis):
  x = jnp.asarray(np.random.default_rng(8).normal(size=(3, 4, 5)), jnp.float32)
  ours, theirs = getattr(jaxact, name), getattr(jax.nn, name)
  # Two float32 results each within 8 ULP: 16 * 2^-23 = 1.9e-6 (atol: results near 0,
  # whose error is that of the row's largest terms); the gradient, through sin, sums
  # a row of such terms: 1e-5, 1e-6.
  mask = jnp.asarray(np.arange(5) % 3 != 1)  # broadcasts along the last axis

  @jax.jit
  def both(x, mask):
    grads = [jax.grad(lambda x, fn=fn: jnp.sum(jnp.sin(fn(x, axis, mask))))(x)
             for fn in (ours, theirs)]
    return ours(x, axis), theirs(x, axis), ours(x, axis, mask), theirs(x, axis, mask), *grads

  y, y_nn, masked, masked_nn, g, g_nn = both(x, mask)
  np.testing.assert_allclose(y, y_nn, rtol=2e-6, atol=1e-7)
  np.testing.assert_allclose(masked, masked_nn, rtol=2e-6, atol=1e-7)
  np.testing.assert_allclose(g, g_nn, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NORMALISING)
def test_normalising_argument_errors(name):
  fn = getattr(jaxact, name)
  with pytest.raises(TypeError, match=rf"^jaxact\.{name}: where must be None or a boolean"):
    fn(jnp.ones((2, 3)), where=jnp.ones(3))
  with pytest.raises(ValueError, match=rf"^jaxact\.{name}: where must broadcast to "
                                       r"x\.shape = \(2, 3\); got shape \(2,\)\.$"):
    fn(jnp.ones((2, 3)), where=jnp.ones(2, bool))
  with pytest.raises(ValueError, match=rf"^jaxact\.{name}: axis must not repeat an axis"):
    fn(jnp.ones((2, 3)), axis=(1, -1))
  with pytest.raises(ValueError, match=rf"^jaxact\.{name}: axis must be in \[-2, 2\)"):
    fn(jnp.ones((2, 3)), axis=2)


# ------------------------------------------------------------------ sparsemax


def _naive_sparsemax(x):
  """Martins & Astudillo's Algorithm 1 with a float32 running sum."""
  z = -jnp.sort(-x, axis=-1)
  k = jnp.arange(1, x.shape[-1] + 1, dtype=x.dtype)[None, :]
  cs = jnp.cumsum(z, axis=-1)
  size = jnp.sum(1 + k * z > cs, axis=-1, keepdims=True)
  tau = (jnp.take_along_axis(cs, size - 1, axis=-1) - 1) / size.astype(x.dtype)
  return jnp.maximum(x - tau, 0)


def test_sparsemax_ties_and_equal_rows():
  x = jnp.array([[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 0.0, -1.0], [3.0, 1.0, 3.0, 3.0],
                 [0.5, 0.5, 0.25, 0.25]])
  want = [[0.25] * 4, [0.5, 0.5, 0, 0], [1 / 3, 0, 1 / 3, 1 / 3], [0.375, 0.375, 0.125, 0.125]]
  # 1/4, 1/2, 1/3, 3/8, 1/8: each the rounding of its exact value (< 1e-7 = 0.84 ULP)
  np.testing.assert_allclose(jaxact.sparsemax(x), want, rtol=1e-7)
  ct = np.array([[1.0, -2.0, 3.0, 0.5]] * 4)
  _, grad = vjp(jaxact.sparsemax, x, ct)
  # the derivative's 8 ULP (< 1e-6); atol for entries that are differences near 0
  np.testing.assert_allclose(grad, R.sparsemax_vjp(f64(x), ct), rtol=1e-6, atol=1e-7)


def test_sparsemax_infinities():
  x = jnp.array([[1.0, -np.inf, 0.5, -np.inf], [-np.inf] * 4, [np.inf, 3.0, np.inf, -np.inf]])
  ct = np.array([[1.0, 2.0, 3.0, 4.0]] * 3)
  y, grad = vjp(jaxact.sparsemax, x, ct)
  np.testing.assert_array_equal(y, [[0.75, 0, 0.25, 0], [0, 0, 0, 0], [0.5, 0, 0.5, 0]])
  np.testing.assert_allclose(grad, R.sparsemax_vjp(f64(x), ct), rtol=1e-7, atol=0)
  assert np.isfinite(f64(grad)).all() and np.all(f64(grad)[1] == 0)
  assert np.isnan(_naive_sparsemax(x)[1:]).any()  # -inf - -inf, inf - inf


@each_dtype
@pytest.mark.parametrize(("scale", "n"), [(1.0, 12), (0.01, 1000), (0.001, 4096), (10.0, 50)])
def test_sparsemax_is_on_the_simplex_and_exact(dtype, scale, n):
  x = jnp.asarray(np.random.default_rng(9).normal(size=(6, n)) * scale, dtype)
  y = jax.jit(jaxact.sparsemax)(x)
  p = f64(y)
  assert y.dtype == dtype and np.all(p >= 0)
  # probabilities each within the value's bound (1 ULP, or 5 in float32): the sum is
  # off by at most 2.5 eps; 4 eps
  np.testing.assert_allclose(p.sum(-1), 1, rtol=0, atol=4 * float(jnp.finfo(dtype).eps))
  want = R.sparsemax(f64(x))
  assert np.max(raw_ulps(y, want, dtype)) <= bound(dtype)


def test_sparsemax_naive_running_sum_loses_small_probabilities():
  x = jnp.asarray(np.random.default_rng(9).normal(size=(6, 1000)) * 0.01, jnp.float32)
  want = R.sparsemax(f64(x))
  assert np.max(raw_ulps(_naive_sparsemax(x), want, jnp.float32)) > 100
  assert np.max(raw_ulps(jaxact.sparsemax(x), want, jnp.float32)) <= 1


def test_sparsemax_jacobian_vs_reference_and_finite_differences():
  rng = np.random.default_rng(10)
  x = rng.normal(size=(3, 7))
  with jax.enable_x64(True):
    jac_f, jac_r, hessian = (np.asarray(a) for a in jax.jit(lambda x: (
        jax.jacfwd(jaxact.sparsemax)(x), jax.jacrev(jaxact.sparsemax)(x),
        jax.hessian(lambda x: jnp.sum(jaxact.sparsemax(x) * x))(x)))(jnp.asarray(x)))
    # jaxact's derivatives (first and second, both modes) against its own float64 finite
    # differences: a step of 1e-4 stays on one side of every kink (the inputs are at
    # least 0.04 from one), where sparsemax is piecewise linear: the differences are
    # exact up to float64 rounding, far below 1e-6. (Compiled: each derivative program
    # once, not one primitive at a time for every difference.)
    check_grads(jax.jit(jaxact.sparsemax), (jnp.asarray(x),), order=2, modes=("fwd", "rev"),
                atol=1e-8, rtol=1e-6)
  np.testing.assert_array_equal(jac_f, jac_r)
  # float64 rounding of a few terms: 1e-12 relative
  for i in range(x.size):
    ct = np.eye(x.size)[i].reshape(x.shape)
    np.testing.assert_allclose(jac_r.reshape(x.size, x.size)[i], R.sparsemax_vjp(x, ct).ravel(),
                               rtol=1e-12, atol=1e-15)
  # sum(p x) has derivative p + J^T x and second derivative J + J^T (J is constant).
  jac = jac_f.reshape(x.size, x.size)
  np.testing.assert_allclose(np.asarray(hessian).reshape(x.size, x.size), jac + jac.T,
                             rtol=1e-12, atol=1e-14)


def test_sparsemax_nan_row_and_errors():
  x = jnp.array([[1.0, np.nan, 0.0], [1.0, 0.5, -1.0]])
  y, grad = vjp(jaxact.sparsemax, x, np.ones(x.shape))
  assert np.isnan(f64(y)[0]).all() and np.isnan(f64(grad)[0]).all()
  np.testing.assert_allclose(y[1], [0.75, 0.25, 0.0])
  with pytest.raises(ValueError, match=r"^jaxact\.sparsemax: x must have at least one axis"):
    jaxact.sparsemax(jnp.float32(1.0))
  with pytest.raises(ValueError, match=r"^jaxact\.sparsemax: axis must be in \[-2, 2\)"):
    jaxact.sparsemax(jnp.ones((2, 3)), axis=-3)


# ------------------------------------------------------------------ two projections
# The shared checks of tests/cases.py's GATED_PAIRS table: act(gate) * up from two arrays.


def _pair(shape=(16, 128), seed=11, dtype=jnp.float32, scale=3.0):
  rng = np.random.default_rng(seed)
  return (jnp.asarray(rng.normal(size=shape) * scale, dtype),
          jnp.asarray(rng.normal(size=shape) * scale, dtype))


def _pullback(fn, gate, up, cotangent):
  y, pull = jax.vjp(fn, gate, up)
  return y, *pull(jnp.asarray(cotangent, y.dtype))


def _assert_pair_exact(case, gate, up, ct, outputs, dtype):
  """The value and both partials within the contract's bounds of the float64 reference,
  with its allowance for the input that conditions each (the gate)."""
  y, d_gate, d_up = outputs
  g, u, c = f64(gate), f64(up), f64(ct)
  assert np.max(raw_ulps(y, case.ref(g, u), dtype, g,
                         u * accuracy.slope(case.act, g))) <= bound(dtype), "value"
  want_gate, want_up = case.ref_vjp(g, u, c)
  assert np.max(raw_ulps(d_gate, want_gate, dtype, g,
                         c * u * accuracy.slope(case.act_grad, g))) <= bound(dtype, 1), "d/dgate"
  assert np.max(raw_ulps(d_up, want_up, dtype, g,
                         c * accuracy.slope(case.act, g))) <= bound(dtype, 1), "d/dup"


@pytest.mark.parametrize("case", GATED_PAIRS, ids=ids(GATED_PAIRS))
@each_dtype
def test_pairs_value_and_both_partials_match_reference(case, dtype):
  gate, up = _pair(dtype=dtype)
  ct = jnp.ones(gate.shape, dtype)
  outputs = _pullback(case.fn, gate, up, ct)
  assert all(out.dtype == dtype for out in outputs)
  _assert_pair_exact(case, gate, up, ct, outputs, dtype)


@pytest.mark.parametrize("case", [c for c in GATED_PAIRS if c.name != "gated"],
                         ids=ids([c for c in GATED_PAIRS if c.name != "gated"]))
@each_dtype
def test_pairs_equal_the_split_form_and_gated(case, dtype):
  gate, up = _pair(dtype=dtype, seed=12)
  ct = _pair(dtype=dtype, seed=13)[0]
  # glu takes its value first and its gate second; the others their gate first.
  halves = (up, gate) if case.name == "glu" else (gate, up)
  split = getattr(jaxact, case.name)

  def from_halves(gate, up):
    return split(jnp.concatenate((up, gate) if case.name == "glu" else (gate, up), -1),
                 **case.params)

  ours, theirs = _pullback(case.fn, gate, up, ct), _pullback(from_halves, gate, up, ct)
  assert halves[0].shape == gate.shape
  for a, b in zip(ours, theirs, strict=True):
    np.testing.assert_array_equal(f64(a), f64(b))
  general = _pullback(lambda g, u: jaxact.gated(case.activation, g, u, **case.act_params),
                      gate, up, ct)
  for a, b in zip(ours, general, strict=True):
    np.testing.assert_array_equal(f64(a), f64(b))


_TRANSFORMED = ("jit", "checkpoint", "vmap", "jit(vmap(vmap))")


def _pair_transforms(case, gate, up, ct):
  """The pullback of act(gate) * up under each transform (all inside one jit), and forward
  mode: the tangent in the gate, the value, and the value with up = 1 (the tangent in
  up)."""
  wrapped = {"jit": case.fn, "checkpoint": jax.checkpoint(case.fn), "vmap": jax.vmap(case.fn),
             "jit(vmap(vmap))": jax.vmap(jax.vmap(case.fn))}
  out = {name: _pullback(fn, gate, up, ct) for name, fn in wrapped.items()}
  ones = jnp.ones_like(gate)
  out["forward"] = (case.fn(gate, up),
                    jax.jvp(case.fn, (gate, up), (ones, jnp.zeros_like(up)))[1],
                    case.fn(gate, ones))
  return out


def _pair_second_derivatives(case, both, c):
  def loss(both):
    return jnp.sum(case.fn(both[:6], both[6:]) * c)

  return jax.hessian(loss)(both), jax.jacfwd(jax.jacrev(loss))(both)


@functools.cache
def pairs_under_transforms() -> tuple[dict, dict]:
  """Every pair's pullbacks under the transforms (float32), one program for the table; and
  every smooth pair's Hessian both ways (float64), one program."""
  gate, up = _pair((4, 6), seed=14, scale=2.0)
  ct = _pair((4, 6), seed=15)[0]
  first = each_row(GATED_PAIRS, _pair_transforms, gate, up, ct)
  rng = np.random.default_rng(16)
  g, u, c = rng.normal(size=6) * 2, rng.normal(size=6) * 2, rng.normal(size=6)
  with jax.enable_x64(True):
    second = each_row([p for p in GATED_PAIRS if p.smooth], _pair_second_derivatives,
                      jnp.asarray(np.concatenate([g, u])), jnp.asarray(c))
  return first, second


@pytest.mark.parametrize("case", GATED_PAIRS, ids=ids(GATED_PAIRS))
def test_pairs_under_transforms(case):
  gate, up = _pair((4, 6), seed=14, scale=2.0)
  ct = _pair((4, 6), seed=15)[0]
  first, second = pairs_under_transforms()
  got = row_result(first, case)
  # eagerly, and compiled under each transform (one program for the table)
  _assert_pair_exact(case, gate, up, ct, _pullback(case.fn, gate, up, ct), jnp.float32)
  for name in _TRANSFORMED:
    _assert_pair_exact(case, gate, up, ct, got[name], jnp.float32)
  # Forward mode: the tangent in the gate is up * act'(gate), exact as the pullback.
  ones = jnp.ones_like(gate)
  _assert_pair_exact(case, gate, up, ones, got["forward"], jnp.float32)
  if not case.smooth:
    return
  rng = np.random.default_rng(16)
  g, u, c = rng.normal(size=6) * 2, rng.normal(size=6) * 2, rng.normal(size=6)
  hessian, forward = row_result(second, case)
  # float64, the same rules in another order: 1e-12 (4500 * 2^-52)
  np.testing.assert_allclose(hessian, forward, rtol=1e-12, atol=1e-14)
  # central differences of the reference's float64 pullback (h = 1e-6, as above)
  h = 1e-6

  def ref(v):
    return np.concatenate(case.ref_vjp(v[:6], v[6:], c))

  v = np.concatenate([g, u])
  fd = np.stack([(ref(v + h * e) - ref(v - h * e)) / (2 * h) for e in np.eye(12)], -1)
  np.testing.assert_allclose(hessian, fd, rtol=1e-6, atol=1e-8)


@functools.cache
def _pairs_under_each_policy(dtype) -> tuple[dict, dict]:
  """Every pair's pullback with the accelerator's policy pinned (and what it keeps), and
  with the CPU's: one pinning each for the table."""
  gate, up = _pair((8, 16), seed=17, dtype=dtype)
  ct = _pair((8, 16), seed=18, dtype=dtype)[0]

  def every_pair(compute):
    out = {}
    for case in GATED_PAIRS:
      try:
        out[case.id] = compute(case)
      except Exception as e:  # noqa: BLE001 - the row's test raises it
        out[case.id] = e
    return out

  def accelerator(case):
    y, pull = jax.vjp(case.fn, gate, up)
    return ([leaf for leaf in jax.tree_util.tree_leaves(pull)
             if isinstance(leaf, jax.Array) and leaf.size >= gate.size], (y, *pull(ct)))

  return (pinned("accelerator", every_pair, accelerator),
          pinned("cpu", every_pair, lambda case: _pullback(case.fn, gate, up, ct)))


@pytest.mark.parametrize("case", GATED_PAIRS, ids=ids(GATED_PAIRS))
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float32], ids=["bfloat16", "float32"])
def test_pairs_accelerator_policy_keeps_gate_and_up_alone(case, dtype):
  on_accelerator, on_cpu = _pairs_under_each_policy(dtype)
  kept, accelerator = row_result(on_accelerator, case)
  cpu = row_result(on_cpu, case)
  assert len(kept) == 2 and all(leaf.dtype == dtype for leaf in kept), (
      [(leaf.dtype, leaf.shape) for leaf in kept])
  # The same rules, recomputed: within the derivative's bound of each other.
  eps = 2.0 ** (1 - accuracy.FORMATS[np.dtype(dtype)][0])
  for a, b in zip(accelerator, cpu, strict=True):
    np.testing.assert_allclose(f64(a), f64(b), rtol=2 * bound(dtype, 1) * eps, atol=1e-30)


@pytest.mark.parametrize("case", GATED_PAIRS, ids=ids(GATED_PAIRS))
def test_pairs_python_scalars_are_weak_as_in_jax_numpy(case):
  y = case.fn(1.5, -0.5)
  assert y.weak_type and y.dtype == jnp.float32
  assert jax.jit(case.fn)(1.5, -0.5).weak_type
  half = jnp.ones(4, jnp.bfloat16)
  assert (half * case.fn(1.5, -0.5)).dtype == jnp.bfloat16
  assert jax.jit(lambda g, u: half * case.fn(g, u))(1.5, -0.5).dtype == jnp.bfloat16
  # A Python scalar takes the other operand's dtype; the result is then strong.
  z = case.fn(jnp.ones(3, jnp.bfloat16), 2.0)
  assert z.dtype == jnp.bfloat16 and not z.weak_type
  np.testing.assert_allclose(f64(y), case.ref(1.5, -0.5), rtol=2.0**-20)


def test_pairs_nan_and_infinite_gates():
  gate = jnp.array([np.nan, -np.inf, np.inf, 1.0])
  up = jnp.array([1.0, 2.0, 3.0, np.nan])
  for fn in (lambda g, u: jaxact.swiglu(g, up=u), lambda g, u: jaxact.geglu(g, up=u),
             lambda g, u: jaxact.geglu(g, up=u, approximate=True)):
    y, d_gate, d_up = _pullback(fn, gate, up, np.ones(4))
    np.testing.assert_array_equal(f64(y), [np.nan, 0.0, np.inf, np.nan])
    assert np.isnan(f64(d_gate)[0]) and f64(d_gate)[1] == 0 and f64(d_up)[1] == 0
    assert np.isnan(f64(d_up)[0]) and np.isfinite(f64(d_up)[3]) and np.isnan(f64(d_gate)[3])
  naive = jax.nn.silu(gate[1:2]) * up[1:2]
  assert np.isnan(f64(naive)).all()  # -inf * sigmoid(-inf) = -inf * 0


@pytest.mark.parametrize("name", GATED)
def test_two_positional_arrays_say_how_to_call(name):
  a = jnp.ones((4, 8))
  hint = {"glu": '"sigmoid", gate, up', "reglu": '"relu", gate, up',
          "geglu": '"gelu", gate, up, approximate=False', "swiglu": '"silu", gate, up'}[name]
  message = (f"jaxact.{name}: axis must be an int (to gate one array by another, pass the "
             f"second as up=: jaxact.{name}(gate, up=up), or use jaxact.gated({hint})); got "
             "an array of shape (4, 8) and dtype float32.")
  with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
    getattr(jaxact, name)(a, a)
  with pytest.raises(ValueError, match=re.escape(f"jaxact.{name}: axis must be left out when "
                                                 "up is given")):
    getattr(jaxact, name)(a, 0, up=a)


def test_pairs_argument_errors():
  a = jnp.ones((4, 8))
  with pytest.raises(ValueError, match=re.escape(
      "jaxact.gated: up must have the shape of the gate x, (4, 8) (or broadcast to it); "
      "got shape (3, 8).")):
    jaxact.gated("silu", a, jnp.ones((3, 8)))
  with pytest.raises(ValueError, match=re.escape(
      "jaxact.gated: activation must name an elementwise activation of jaxact.available() "
      "or be one; got 'sillu' (closest: silu")):
    jaxact.gated("sillu", a, a)
  for grouped in ("softmax", jaxact.softmax, "swiglu"):
    with pytest.raises((ValueError, TypeError), match=r"^jaxact\.gated: activation must"):
      jaxact.gated(grouped, a, a)
  with pytest.raises(ValueError, match=r"^jaxact\.geglu: approximate must be a Python bool"):
    jaxact.geglu(a, up=a, approximate=1)
  with pytest.raises(TypeError, match=r"^jaxact\.gated: up must be a real"):
    jaxact.gated("silu", a, a.astype(jnp.complex64))


def test_pairs_learnable_parameters_get_their_derivative():
  gate, up = _pair((4, 6), seed=19)
  beta = jnp.float32(0.75)
  got = jax.grad(lambda b: jnp.sum(jaxact.gated("swish", gate, up, beta=b)))(beta)
  want = np.sum(f64(up) * R.swish_param_grads(f64(gate), beta=0.75)["beta"])
  np.testing.assert_allclose(got, want, rtol=1e-5)
  slopes = jnp.full((6,), 0.25)
  got = jax.grad(lambda s: jnp.sum(jaxact.gated("prelu", gate, up, negative_slope=s)))(slopes)
  want = np.sum(f64(up) * np.minimum(f64(gate), 0), axis=0)
  np.testing.assert_allclose(got, want, rtol=1e-5)
