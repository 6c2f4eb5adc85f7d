"""The hazards of the parametric activations (snake, acon_c, rational), one test each:
every test shows the naive formula failing where jaxact is exact. Also the rational
unit's coefficient derivatives, which the shared table cannot pass (they are vectors).
"""

from __future__ import annotations

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src.testing import accuracy
from jaxact._src.testing.evaluate import param_derivative, value_and_derivative
from jaxact.testing import references as reference
from tests.helpers import F32, each_dtype, ulps


def sweep(dtype, kinks=()):
  if dtype in accuracy.HALF_DTYPES:
    return accuracy.every_finite(dtype)
  return accuracy.float32_sweep(kinks)


# ----------------------------------------------------------------------------- snake


def test_snake_alpha_zero_is_the_identity():
  x = np.array([-3e38, -2.0, -1e-30, 0.0, 0.5, 1e20, np.inf, -np.inf], np.float32)
  naive = np.asarray(jax.jit(lambda x: x + jnp.sin(0.0 * x) ** 2 / 0.0)(x))
  assert np.isnan(naive).all(), "sin^2(0) / 0 is 0 / 0"
  y, dy = value_and_derivative(lambda x: jaxact.snake(x, 0.0), x)
  np.testing.assert_array_equal(y, x)
  np.testing.assert_array_equal(dy[:6], np.ones(6, np.float32))
  d_alpha = param_derivative(lambda x, alpha: jaxact.snake(x, alpha), x[1:6], "alpha", 0.0, F32)
  with np.errstate(over="ignore"):
    want = x[1:6] ** 2  # inf where it overflows
  np.testing.assert_allclose(d_alpha, want, rtol=1e-7)  # x^2 rounded once: 0.5 ULP


@pytest.mark.parametrize("alpha", [1e-30, 2.0**-70, -(2.0**-66)])
def test_snake_alpha_derivative_for_tiny_alpha(alpha):
  # x sin(2ax)/a - sin^2(ax)/a^2: a^2 underflows, giving NaN or inf, where the series
  # x^2 (1 - u^2 + ...) is exact.
  x = np.concatenate([np.linspace(-20, 20, 401), np.geomspace(1e-3, 1e10, 200)]).astype(np.float32)

  a = np.float32(alpha)

  def naive(x):
    return x * jnp.sin(2 * a * x) / a - jnp.sin(a * x) ** 2 / a**2

  def ref(z):
    return reference.snake_param_grads(z, alpha)["alpha"]

  naive_err = ulps(np.asarray(jax.jit(naive)(x)), ref, x, F32)
  assert np.max(naive_err) > 8
  got = param_derivative(lambda x, alpha: jaxact.snake(x, alpha), x, "alpha", alpha, F32)
  assert np.max(ulps(got, ref, x, F32)) <= 8


def test_snake_derivative_keeps_its_double_zeros():
  # 1 + sin(2x) has double zeros at x = -pi/4 + k pi: the sum keeps only the absolute
  # error of sin (~1e-7), far from the 8 ULPs of a derivative near 0.
  k = np.arange(-6, 7)
  x = np.concatenate([z + np.linspace(-1e-2, 1e-2, 2001) for z in -np.pi / 4 + k * np.pi])
  x = x.astype(np.float32)
  naive = np.asarray(jax.jit(lambda x: 1 + jnp.sin(2 * x))(x))
  assert np.max(ulps(naive, reference.snake_grad, x, F32)) > 8
  _, dy = value_and_derivative(jaxact.snake, x)
  assert np.max(ulps(dy, reference.snake_grad, x, F32)) <= 8


def test_snake_where_alpha_x_or_two_alpha_x_overflows():
  x = np.array([-3.4e38, -1.8e38, 1.8e38, 3.4e38], np.float32)
  naive = np.asarray(jax.jit(lambda x: x + jnp.sin(4.0 * x) ** 2 / 4.0)(x))
  assert np.isnan(naive).all(), "sin(4x) of an overflowed 4x"
  y, dy = value_and_derivative(lambda x: jaxact.snake(x, 4.0), x)
  np.testing.assert_array_equal(y, x)  # sin^2 / 4 is far below an ULP of x
  assert np.all(np.isfinite(dy)) and np.all((dy >= 0) & (dy <= 2))
  # alpha = 1: u = x is exact, 2u overflows; (sin u + cos u)^2 does not need it.
  naive = np.asarray(jax.jit(lambda x: 1 + jnp.sin(2 * x))(x))
  assert np.isnan(naive).all()
  _, dy = value_and_derivative(jaxact.snake, x)
  assert np.max(ulps(dy, reference.snake_grad, x, F32)) <= 8


@each_dtype
def test_snake_at_infinity(dtype):
  x = np.array([-np.inf, np.inf]).astype(dtype)
  naive, _ = value_and_derivative(lambda x: x + jnp.sin(x) ** 2, x)
  assert np.isnan(naive.astype(np.float64)).all()
  y, dy = value_and_derivative(jaxact.snake, x)
  np.testing.assert_array_equal(y.astype(np.float64), [-np.inf, np.inf])
  # 1 + sin(2x) has no limit: NaN, as the reference (bfloat16 NaNs compare unequal in
  # numpy's assert_array_equal, so the shared limits check cannot express this).
  assert np.isnan(dy.astype(np.float64)).all()
  assert np.isnan(reference.snake_grad(x.astype(np.float64))).all()


# ----------------------------------------------------------------------------- acon_c


def _naive_acon(x, p1, p2, beta):
  d = p1 - p2
  return d * x * jax.nn.sigmoid(beta * d * x) + p2 * x


@pytest.mark.parametrize(("p1", "p2", "beta"), [(1.0, 0.0, 1.0), (2.0, -0.5, 0.0),
                                                (0.75, 0.75, 2.0), (-1.0, 0.5, 3.0)])
def test_acon_c_limits_where_products_are_inf_times_zero(p1, p2, beta):
  x = np.array([-np.inf, np.inf, -3e38, 3e38], np.float32)
  naive = np.asarray(jax.jit(lambda x: _naive_acon(x, p1, p2, beta))(x))
  assert np.isnan(naive).any(), "-inf * sigmoid(-inf) or (0 * inf) in beta (p1 - p2) x"
  y, dy = value_and_derivative(lambda x: jaxact.acon_c(x, p1, p2, beta), x)
  with np.errstate(over="ignore"):
    want = reference.acon_c(x, p1, p2, beta).astype(np.float32)
    want_dy = reference.acon_c_grad(x, p1, p2, beta).astype(np.float32)
  np.testing.assert_array_equal(y, want)
  np.testing.assert_array_equal(dy, want_dy)


def test_acon_c_degenerate_parameters_are_linear_exactly():
  x = accuracy.float32_sweep()
  x = x[np.abs(x) > 1e-37]  # products that are subnormal flush to 0 on CPUs and GPUs
  y, dy = value_and_derivative(lambda x: jaxact.acon_c(x, 0.75, 0.75, 2.0), x)
  np.testing.assert_array_equal(y, np.float32(0.75) * x)  # p1 = p2: p2 x
  np.testing.assert_array_equal(dy, np.full_like(x, 0.75))
  y, dy = value_and_derivative(lambda x: jaxact.acon_c(x, 1.5, 0.25, 0.0), x)
  np.testing.assert_array_equal(y, np.float32(0.875) * x)  # beta = 0: (p1 + p2) x / 2
  np.testing.assert_array_equal(dy, np.full_like(x, 0.875))


def test_acon_c_value_near_the_zero_of_its_gate():
  # p1, p2 of opposite signs: the gate p1 s(z) + p2 s(-z) (or (p1 - p2) s(z) + p2) is 0
  # at z0 = log(-p2/p1) = 0.16, and both forms cancel around it (where the value also
  # has its minimum, so the backward-stable allowance is no help).
  p1, p2, beta = 0.453125, -0.53125, 0.578125
  x = np.linspace(-2.0, 2.0, 40001).astype(np.float32)

  def ref(z):
    return reference.acon_c(z, p1, p2, beta)

  naive = np.asarray(jax.jit(lambda x: _naive_acon(x, p1, p2, beta))(x))
  assert np.max(ulps(naive, ref, x, F32)) > 5
  symmetric = np.asarray(jax.jit(lambda x: x * (p1 * jax.nn.sigmoid(beta * (p1 - p2) * x)
                                                + p2 * jax.nn.sigmoid(-beta * (p1 - p2) * x)))(x))
  assert np.max(ulps(symmetric, ref, x, F32)) > 5
  y, dy = value_and_derivative(lambda x: jaxact.acon_c(x, p1, p2, beta), x)
  assert np.max(ulps(y, ref, x, F32)) <= 5
  assert np.max(ulps(dy, lambda z: reference.acon_c_grad(z, p1, p2, beta), x, F32)) <= 8


def test_acon_c_derivative_without_one_minus_sigmoid():
  # d s (1 + z (1 - s)) + p2 loses the digits of 1 - s once s nears 1.
  p1, p2, beta = 2.0, -0.5, 1.0
  x = np.linspace(2.0, 20.0, 18001).astype(np.float32)

  def naive_slope(x):
    d = p1 - p2
    s = jax.nn.sigmoid(beta * d * x)
    return d * s * (1 + beta * d * x * (1 - s)) + p2

  def ref(z):
    return reference.acon_c_grad(z, p1, p2, beta)

  assert np.max(ulps(np.asarray(jax.jit(naive_slope)(x)), ref, x, F32)) > 8
  _, dy = value_and_derivative(lambda x: jaxact.acon_c(x, p1, p2, beta), x)
  assert np.max(ulps(dy, ref, x, F32)) <= 8


@pytest.mark.parametrize(("p1", "p2", "beta"), [(1.0, 0.25, 1.0), (-0.5, 1.5, 1.5)])
def test_acon_c_second_derivatives_and_mixed_partials(p1, p2, beta):
  # The slope's own rule: d^2/dx^2 and d^2/dx dp against central differences in x of the
  # reference's d/dx and d/dp.
  x = np.array([-30.0, -7.5, -2.0, -1.0, -0.3, 0.3, 1.0, 2.0, 7.5, 30.0])
  h = 2.0**-12 * np.maximum(np.abs(x), 1.0)
  params = {"p1": p1, "p2": p2, "beta": beta}

  def slope(x, **p):
    return jax.grad(lambda x: jaxact.acon_c(x, **{**params, **p}))(x)

  @jax.jit
  def second_and_mixed(x, values):
    """d^2/dx^2, and d^2/dx dp for each parameter p (values: the parameters' values)."""
    mixed = {name: jax.vmap(jax.grad(lambda x, v, name=name: slope(x, **{name: v}),
                                     argnums=1), (0, None))(x, values[name])
             for name in params}
    return jax.vmap(jax.grad(slope))(x), mixed

  second, mixed_partials = second_and_mixed(
      jnp.asarray(x, jnp.float32), {name: jnp.float32(v) for name, v in params.items()})
  second = np.asarray(second)
  fd = (reference.acon_c_grad(x + h, **params) - reference.acon_c_grad(x - h, **params)) / (2 * h)
  # Central differences with h = 2^-12 max(|x|, 1): truncation h^2 |f''''| / 6, up to
  # ~1e-5 relative at |x| = 30; 1e-4 (and 1e-6 where f'' ~ 0, the backward-stable
  # allowance 8 * 2^-23 |x f'''| for |x f'''| < 1) covers it and the float32 rounding.
  np.testing.assert_allclose(second, fd, rtol=1e-4, atol=1e-6)
  for name in params:
    mixed = np.asarray(mixed_partials[name])
    g = functools.partial(reference.acon_c_param_grads, **params)
    fd = (g(x + h)[name] - g(x - h)[name]) / (2 * h)
    np.testing.assert_allclose(mixed, fd, rtol=1e-4, atol=1e-6, err_msg=name)


# ----------------------------------------------------------------------------- rational

LEAKY = ((0.033203125, 0.5048828125, 1.65234375, 2.0078125, 0.9306640625, 0.15234375),
         (0.0, 3.9765625, 0.0, 0.30078125))
SMALL = ((0.25, 1.0, -0.5), (0.75, -0.5))
ODD = ((0.5, -2.0, 0.0, 0.25), (1.5, -0.125, 0.0625))  # odd m, n - m = 0
COEFFS = [LEAKY, SMALL, ODD, ((1.0,), (0.5, 0.25)), ((0.0, 1.0, 0.5), ())]


def _naive_rational(x, numerator, denominator):
  p = jnp.polyval(jnp.asarray(numerator[::-1], x.dtype), x)
  q = x * jnp.polyval(jnp.asarray(denominator[::-1], x.dtype), x) if denominator else 0.0
  return p / (1 + jnp.abs(q))


def test_rational_large_x_without_inf_over_inf():
  x = np.concatenate([np.geomspace(1e8, 3e38, 300), -np.geomspace(1e8, 3e38, 300),
                      [np.inf, -np.inf]]).astype(np.float32)
  numerator, denominator = LEAKY
  naive = np.asarray(jax.jit(lambda x: _naive_rational(x, numerator, denominator))(x))
  assert np.isnan(naive).any(), "x^5 / x^4 = inf / inf"
  f = functools.partial(jaxact.rational, numerator=numerator, denominator=denominator)
  y, dy = value_and_derivative(f, x)
  with np.errstate(over="ignore"):
    assert np.max(ulps(y, lambda z: reference.rational(z, *LEAKY), x, F32)) <= 5
    assert np.max(ulps(dy, lambda z: reference.rational_grad(z, *LEAKY), x, F32)) <= 8
  # the limit a_n / |b_m| x and its slope
  assert y[-2] == np.inf and y[-1] == -np.inf
  np.testing.assert_array_equal(dy[-2:], np.float32(0.15234375 / 0.30078125))


def test_rational_near_a_root_of_p():
  # The leaky_relu fit is ~0.01 x on its negative side, from terms of size ~1: plain
  # Horner loses ~7 bits there (hundreds of float32 ULPs); compensated Horner does not.
  x = np.linspace(-1.0, -0.3, 7001).astype(np.float32)

  def ref(z):
    return reference.rational(z, *LEAKY)

  naive = np.asarray(jax.jit(lambda x: _naive_rational(x, *LEAKY))(x))
  assert np.max(ulps(naive, ref, x, F32)) > 5
  y, dy = value_and_derivative(functools.partial(jaxact.rational, numerator=LEAKY[0],
                                                 denominator=LEAKY[1]), x)
  assert np.max(ulps(y, ref, x, F32)) <= 5
  assert np.max(ulps(dy, lambda z: reference.rational_grad(z, *LEAKY), x, F32)) <= 8


def test_rational_derivative_does_not_cancel_for_large_x():
  # P'/D - P sgn(Q) Q'/D^2: both terms ~ 1/x, the result ~ 1/x^2 for n = m (and D^2
  # overflows from |x| ~ 1e10 in float32).
  x = np.concatenate([np.geomspace(1e2, 1e12, 400), -np.geomspace(1e2, 1e12, 400)])
  x = x.astype(np.float32)

  def ref(z):
    return reference.rational_grad(z, *SMALL)

  naive = np.asarray(jax.jit(jax.vmap(jax.grad(lambda x: _naive_rational(x, *SMALL))))(x))
  assert np.max(ulps(naive, ref, x, F32)) > 8
  _, dy = value_and_derivative(functools.partial(jaxact.rational, numerator=SMALL[0],
                                                 denominator=SMALL[1]), x)
  assert np.max(ulps(dy, ref, x, F32)) <= 8


@each_dtype
def test_rational_kinks_where_q_is_zero(dtype):
  # |.|' = 0 where Q = 0: rational'(0) = a_1 and d/db_j = 0; also at Q's root x = 1.5,
  # and at the smallest normal x, where Q = 0.75 x is subnormal but its sign is not 0.
  numerator, denominator = SMALL
  tiny = float(accuracy.finfo(dtype).smallest_normal)
  x = np.array([0.0, 1.5, tiny, -tiny]).astype(dtype)
  f = functools.partial(jaxact.rational, numerator=numerator, denominator=denominator)
  _, dy = value_and_derivative(f, x)
  np.testing.assert_array_equal(dy.astype(np.float64)[:2], [1.0, -0.5])  # P'/1
  want = reference.rational_grad(x.astype(np.float64), *SMALL).astype(dtype)
  np.testing.assert_array_equal(dy, want)
  grads = jax.jit(jax.vmap(jax.grad(lambda c, x: f(x, denominator=c)), (None, 0)))(
      jnp.asarray(denominator, jnp.float32), jnp.asarray(x[:2]))
  np.testing.assert_array_equal(np.asarray(grads, np.float64), np.zeros((2, 2)))


@each_dtype
@pytest.mark.parametrize("coeffs", COEFFS, ids=lambda c: f"{len(c[0]) - 1}-{len(c[1])}")
def test_rational_coefficient_derivatives(coeffs, dtype):
  """Every coefficient's partial derivative, within the derivative ULP bounds."""
  numerator, denominator = coeffs
  x = sweep(dtype, (0.0,))
  grads = reference.rational_param_grads(np.asarray(x, np.float64), *coeffs)
  bound = accuracy.BOUNDS[dtype][1]

  @jax.jit
  def partials(x, num, den):
    # Per element, reverse mode: a forward-mode one-hot tangent would multiply the other
    # coefficients' partials by 0, and an overflowed x^5 / D (inf) by 0 is NaN.
    g_num, g_den = jax.vmap(jax.grad(lambda x, a, b: jaxact.rational(x, a, b), (1, 2)),
                            (0, None, None))(x, num, den)
    return [g_num[:, i] for i in range(len(numerator))] + [
        g_den[:, j] for j in range(len(denominator))]

  got = partials(jnp.asarray(x), jnp.asarray(numerator, jnp.float32),
                 jnp.asarray(denominator, jnp.float32))
  names = ([("numerator", i) for i in range(len(numerator))]
           + [("denominator", j) for j in range(len(denominator))])
  for (name, i), g in zip(names, got, strict=True):
    with np.errstate(over="ignore"):
      g = np.asarray(g).astype(dtype)  # the coefficients' dtype (float32): at least as exact

    def want(z, name=name, i=i):
      return reference.rational_param_grads(z, *coeffs)[name][..., i]

    err = ulps(g, want, x, dtype)
    assert np.max(err) <= bound, (name, i, float(np.max(err)), float(x[np.argmax(err)]))
  assert grads["numerator"].shape[-1] == len(numerator)


def test_rational_gradient_with_respect_to_the_coefficient_vectors():
  x = jnp.linspace(-3, 3, 13)
  numerator, denominator = (jnp.asarray(c, jnp.float32) for c in LEAKY)
  g_num, g_den = jax.jit(jax.grad(lambda a, b: jnp.sum(jaxact.rational(x, a, b)),
                                  argnums=(0, 1)))(numerator, denominator)
  want = reference.rational_param_grads(np.asarray(x, np.float64), *LEAKY)
  for got, name in ((g_num, "numerator"), (g_den, "denominator")):
    scale = np.abs(want[name]).sum(0)  # sums that cancel: allow their terms' rounding
    np.testing.assert_allclose(got, want[name].sum(0), rtol=0, atol=1e-6 * scale.max())
  # lists, tuples, NumPy and jax arrays are all coefficient vectors
  for num in (list(LEAKY[0]), np.asarray(LEAKY[0]), numerator):
    assert np.max(ulps(jaxact.rational(x, num, LEAKY[1]),
                       lambda z: reference.rational(z, *LEAKY), x, F32)) <= 5  # a value's bound


def _mp_rational_second(x, numerator, denominator):
  """rational''(x) in mpmath: (N'D - 2ND') / D^3 with sgn(Q) fixed (|.|' = 0 at Q = 0)."""
  mp = pytest.importorskip("mpmath")

  with mp.workdps(int(40 + 12 * max(0.0, np.log10(abs(x) + 1)))):
    x = mp.mpf(float(x))
    a = [mp.mpf(c) for c in numerator]
    b = [mp.mpf(0)] + [mp.mpf(c) for c in denominator]

    def poly(c, k):
      return mp.fsum(c[i] * mp.ff(i, k) * x ** (i - k) for i in range(k, len(c)))

    sq = mp.sign(poly(b, 0))
    d, d1, d2 = 1 + sq * poly(b, 0), sq * poly(b, 1), sq * poly(b, 2)
    p, p1, p2 = poly(a, 0), poly(a, 1), poly(a, 2)
    n, n1 = p1 * d - p * d1, p2 * d - p * d2
    return float((n1 * d - 2 * n * d1) / d**3)


def _rational_second_conditioning(x, numerator, denominator):
  """|x q'(x)| + sum_i |c_i dq/dc_i| for q = rational'' at x: the change of q, to first
  order, when x and every coefficient c_i move by a relative 1 (one-sided differences in
  mpmath, the smaller of the two, so that a jump of q across a root of Q counts as 0).
  8 * 2^-23 times it is the error of a backward-stable float32 evaluation of q, which
  rounds the coefficients as well as x."""
  h = 2.0**-20
  args = [float(x), *numerator, *denominator]
  n = len(numerator)

  def q(values):
    return _mp_rational_second(values[0], values[1:n + 1], values[n + 1:])

  at = q(args)
  total = 0.0
  for i, v in enumerate(args):
    up, down = list(args), list(args)
    up[i], down[i] = v * (1 + h), v * (1 - h)
    total += min(abs(q(up) - at), abs(at - q(down))) / h
  return total


@pytest.mark.parametrize("coeffs", COEFFS[:3], ids=lambda c: f"{len(c[0]) - 1}-{len(c[1])}")
def test_rational_second_derivative(coeffs):
  # y'' by the slope's own rule: no cancellation for large |x|, where y'' ~ 1/x^3 comes
  # from terms ~ 1/x, and where D^2 or D^3 overflow.
  x = np.concatenate([np.linspace(-3, 3, 25), np.geomspace(3, 1e30, 30),
                      -np.geomspace(3, 1e30, 30)]).astype(np.float32)

  extremes = np.array([-3e38, -1e20, 1e20, 3e38, np.inf, -np.inf], np.float32)

  @jax.jit
  def second(x):
    return jax.vmap(jax.grad(jax.grad(lambda x: jaxact.rational(x, *coeffs))))(x)

  # float32 at x and at the extremes (one program), float64 at x
  got, at_extremes = np.split(np.asarray(second(np.concatenate([x, extremes])), np.float64),
                              [x.size])
  with jax.enable_x64(True):
    got64 = np.asarray(second(jnp.asarray(x, jnp.float64)))
  want = np.array([_mp_rational_second(v, *coeffs) for v in x])
  # The contract's bound for a derivative (8 ULP in float32), with the backward-stable
  # allowance for every input of the evaluation: x and the coefficients (y'' is plain
  # Horner, and for the leaky fit its terms cancel ~300-fold whatever x is).
  conditioning = np.array([_rational_second_conditioning(v, *coeffs) for v in x])
  err = accuracy.ulp_error(got, want, conditioning, np.ones_like(want), F32)
  assert np.max(err) <= accuracy.BOUNDS[F32][1], accuracy.worst(err, x)
  # float64: the same bound in float64's ULPs and precision.
  eps64 = 2.0**-52
  assert np.all(np.abs(got64 - want) <= 8 * (accuracy.ulp(want, np.float64)
                                              + eps64 * conditioning) + 1e-300)
  assert np.isfinite(at_extremes).all()


@pytest.mark.parametrize("coeffs", COEFFS, ids=lambda c: f"{len(c[0]) - 1}-{len(c[1])}")
def test_rational_mixed_second_partials(coeffs):
  # d/dcoefficient of rational', by the slope's rule, against central differences in x of
  # the reference's coefficient derivatives (away from Q's roots, where they jump).
  x = np.concatenate([np.linspace(-3, 3, 24), [-500.0, -40.0, 40.0, 700.0]])
  numerator, denominator = coeffs

  def slope(x, a, b):
    return jax.grad(lambda x: jaxact.rational(x, a, b))(x)

  with jax.enable_x64(True):
    got_a, got_b = jax.jit(jax.vmap(jax.jacrev(slope, (1, 2)), (0, None, None)))(
        jnp.asarray(x), jnp.asarray(numerator, jnp.float64), jnp.asarray(denominator, jnp.float64))
  h = 2.0**-16 * np.maximum(np.abs(x), 1.0)
  up, down = (reference.rational_param_grads(x + s, *coeffs) for s in (h, -h))
  for got, name in ((got_a, "numerator"), (got_b, "denominator")):
    fd = (up[name] - down[name]) / (2 * h)[:, None]
    rounding = 1e-12 * np.abs(up[name]) / h[:, None]  # of the difference quotient
    np.testing.assert_array_less(np.abs(np.asarray(got) - fd),
                                 1e-6 * np.abs(fd) + rounding + 1e-300, err_msg=name)


@pytest.mark.parametrize(("numerator", "denominator", "message"), [
  ([], [1.0], "numerator must be a 1-D array of coefficients (at least one), lowest order "
              "first; got shape (0,)."),
  (1.0, [1.0], "numerator must be a 1-D array of coefficients (at least one), lowest order "
               "first; got shape ()."),
  (np.ones((2, 3)), [1.0], "numerator must be a 1-D array of coefficients (at least one), "
                           "lowest order first; got shape (2, 3)."),
  ([1.0], 0.5, "denominator must be a 1-D array of coefficients, lowest order first; got "
               "shape ()."),
])
def test_rational_coefficient_errors(numerator, denominator, message):
  with pytest.raises(ValueError, match="^" + re.escape("jaxact.rational: " + message) + "$"):
    jaxact.rational(jnp.ones(3), numerator, denominator)


def test_rational_complex_coefficients_are_a_type_error():
  with pytest.raises(TypeError, match=r"^jaxact\.rational: numerator must be a real"):
    jaxact.rational(jnp.ones(3), jnp.ones(2, jnp.complex64), [1.0])
  with pytest.raises(TypeError, match=r"^jaxact\.rational: denominator must be a real"):
    jaxact.rational(jnp.ones(3), [1.0], jnp.ones(2, jnp.complex64))
