"""examples/xielu.py, the tutorial's activation defined through the public API: its
float64 reference against mpmath, the exact version within the library's accuracy
contract (every bfloat16, a float32 sweep), where the naive version fails, its checks,
and its Flax modules with the paper's constraints."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

import jaxact
from examples import xielu as ex

pytest.importorskip("flax", reason="examples/xielu.py makes its Flax modules")


def _mp(x, alpha_p=0.8, alpha_n=0.8, beta=0.5, eps=-1e-6):
  """Value and d/dx, d/dalpha_n, d/deps at 50 digits, from the paper's formula."""
  mpmath.mp.dps = 50
  x, alpha_p, alpha_n, beta, eps = (mpmath.mpf(v) for v in (x, alpha_p, alpha_n, beta, eps))
  if x > 0:
    return alpha_p * x * x + beta * x, 2 * alpha_p * x + beta, 0, 0
  m = min(x, eps)
  value = alpha_n * (mpmath.expm1(m) - x) + beta * x
  if x <= eps:
    return value, alpha_n * mpmath.expm1(x) + beta, mpmath.expm1(x) - x, 0
  return value, beta - alpha_n, mpmath.expm1(eps) - x, alpha_n * mpmath.exp(eps)


@pytest.mark.parametrize("x", [-300.0, -30.0, -2.5, -1.0, -0.999, -0.3, -1e-3, -2e-6,
                               -5e-7, 0.0, 1e-4, 0.7, 1e10])
@pytest.mark.parametrize("params", [{}, {"alpha_p": 2.0, "alpha_n": 1.5, "beta": 0.25}])
def test_the_reference_agrees_with_mpmath(x, params):
  """To far better than float32 needs (its ulp is 6e-8): within 1e-14 relative, and
  near a zero of the value (x ~ -2.4) an absolute 1e-15 |x|."""
  value, d_x, _, d_alpha_n, _, d_eps = ex.reference(np.float64(x), **params)
  for got, want in zip((value, d_x, d_alpha_n, d_eps), _mp(x, **params), strict=True):
    assert abs(float(got) - float(want)) <= 1e-14 * abs(float(want)) + 1e-15 * abs(x), (
        got, want)


@pytest.mark.parametrize("params", [{}, {"alpha_n": 1.5}, {"alpha_p": 3.0, "alpha_n": 0.55}],
                         ids=["initial", "alpha_n=1.5", "alpha_n_near_beta"])
def test_the_exact_version_passes_the_checker(params):
  """Every cell of jaxact.testing.check: value, d/dx, d/dalpha_p and d/dalpha_n on every
  bfloat16 and float16 input and a float32 sweep, kinks, limits, NaN, dtypes; the
  compile contexts and transforms at the initial parameters."""
  report = ex.audit(**params, contexts=not params)
  assert report.ok, report


def test_where_the_naive_version_fails():
  """The "before": NaN at -inf, overflow where the value is finite, and a derivative in
  alpha_n that cancels near 0; the checker names each."""
  report = ex.audit(ex.xielu_naive, alpha_n=1.5, contexts=False)
  failing = {(c.check, c.dtype, c.quantity) for c in report.failures}
  assert {("limits", "float32", "value"), ("accuracy", "float32", "value"),
          ("accuracy", "float32", "d/dalpha_n"), ("accuracy", "bfloat16", "d/dalpha_n")
          } <= failing, report
  assert report.non_finite("float32", "value") > 5
  assert np.isnan(ex.xielu_naive(-jnp.inf))
  assert float(ex.xielu(-jnp.inf)) == np.inf


def test_float64_matches_mpmath():
  with jax.enable_x64(True):
    for x in (-40.0, -0.75, -1e-3, -3e-6, -2e-7, 0.3, 12.0):
      value = ex.xielu(jnp.float64(x))
      d_x, _, d_alpha_n, _, d_eps = jax.grad(ex.xielu, argnums=(0, 1, 2, 3, 4))(
          jnp.float64(x), 0.8, 0.8, 0.5, -1e-6)
      for got, want in zip((value, d_x, d_alpha_n, d_eps), _mp(x), strict=True):
        assert abs(float(got) - float(want)) <= 1e-14 * abs(float(want)) + 1e-15 * abs(x), (
            x, got, want)


def test_limits_nan_and_dtypes():
  x = jnp.array([-jnp.inf, jnp.inf, jnp.nan])
  np.testing.assert_array_equal(ex.xielu(x), [np.inf, np.inf, np.nan])
  grads = jax.vmap(jax.grad(ex.xielu))(x)
  np.testing.assert_allclose(grads, [-0.3, np.inf, np.nan])
  for dtype in (jnp.bfloat16, jnp.float16, jnp.float32):
    assert ex.xielu(jnp.ones(3, dtype)).dtype == dtype


def test_checks_refuse_non_positive_alphas():
  with pytest.raises(ValueError, match=r"^xielu: alpha_p must be positive; got -1\.0\.$"):
    ex.xielu(1.0, alpha_p=-1.0)
  with pytest.raises(ValueError, match=r"^xielu: alpha_n must be positive; got 0\.0\.$"):
    ex.xielu(1.0, alpha_n=0.0)
  assert float(jax.jit(ex.xielu)(1.0, -1.0)) == -0.5  # traced (learnable): not checked


def _inverse_softplus(v):
  return v + np.log(-np.expm1(-v))


def test_modules_store_the_papers_raw_parameters():
  from flax import nnx

  from tests.module_helpers import inputs, linen_params, nnx_params

  x = inputs()
  model, linen = ex.XIELU(), ex.LinenXIELU()
  for params in (nnx_params(model), linen_params(linen, x)):
    np.testing.assert_allclose(params["alpha_p"], [_inverse_softplus(0.8)], rtol=1e-6)
    np.testing.assert_allclose(params["alpha_n"], [_inverse_softplus(0.3)], rtol=1e-6)
  np.testing.assert_allclose(model(x), ex.xielu(x), rtol=1e-6, atol=1e-7)
  params = linen_params(linen, x)
  np.testing.assert_array_equal(linen.apply({"params": params}, x), model(x))
  # the constraint reads the module's beta: alpha_n = beta + softplus(raw)
  other = ex.XIELU(beta=0.25, alpha_n_init=0.3)
  np.testing.assert_allclose(nnx_params(other)["alpha_n"], [_inverse_softplus(0.05)],
                             rtol=1e-6)
  np.testing.assert_allclose(other(x), ex.xielu(x, 0.8, 0.3, 0.25), rtol=1e-6, atol=1e-7)
  with pytest.raises(ValueError, match="XIELU: alpha_n_init must be a value the constraint"):
    ex.XIELU(alpha_n_init=0.4)  # not above beta = 0.5
  assert isinstance(model, nnx.Module) and jaxact.get(ex.xielu) is ex.xielu
