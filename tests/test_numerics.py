"""Accuracy of every row of the table, against its float64 reference, as API.md defines it.

* every finite bfloat16 and every finite float16 input (exhaustive), and a float32
  sweep: value within 1 / 1 / 5 ULP and derivative within 2 / 2 / 8 ULP;
* nothing non-finite where the truth is finite; true limits at +-inf; NaN propagates;
* the kink conventions, exactly;
* learnable parameters' partial derivatives;
* float64, against the reference to a relative 1e-12.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests import accuracy
from tests.cases import ELEMENTWISE, ids
from tests.evaluate import param_derivative, value_and_derivative
from tests.helpers import each_dtype


def inputs(case, dtype) -> np.ndarray:
  if dtype in accuracy.HALF_DTYPES:
    return accuracy.every_finite(dtype)
  return accuracy.float32_sweep(case.kinks)


def describe(errors, x, what, case, dtype, bound):
  worst, at = accuracy.worst(errors, x)
  n_bad = int(np.sum(errors > bound))
  return (f"{case.id} {what} in {np.dtype(dtype).name}: worst {worst:.3g} ULP at x = "
          f"{at!r} (bound {bound}); {n_bad} of {errors.size} inputs over the bound")


@each_dtype
@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_value_and_derivative_within_ulp_bounds(case, dtype):
  x = inputs(case, dtype)
  y, dy = value_and_derivative(case.fn, x)
  assert y.dtype == dtype and dy.dtype == dtype
  value_bound, derivative_bound = accuracy.BOUNDS[dtype]
  value_err = accuracy.measure(y, case.ref, x, dtype, case.kinks)
  assert np.all(value_err <= value_bound), describe(value_err, x, "value", case, dtype,
                                                    value_bound)
  derivative_err = accuracy.measure(dy, case.ref_grad, x, dtype, case.kinks)
  assert np.all(derivative_err <= derivative_bound), describe(
      derivative_err, x, "derivative", case, dtype, derivative_bound)


@each_dtype
@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_limits_and_nan(case, dtype):
  x = np.array([np.inf, -np.inf, np.nan]).astype(dtype)
  y, dy = value_and_derivative(case.fn, x)
  x64 = x.astype(np.float64)
  with np.errstate(invalid="ignore"):
    want_y = case.ref(x64[:2]).astype(dtype)
    want_dy = case.ref_grad(x64[:2]).astype(dtype)
  # compared as float64: NumPy's equality treats two bfloat16 NaNs as unequal
  np.testing.assert_array_equal(y[:2].astype(np.float64), want_y.astype(np.float64),
                                err_msg=f"{case.id}: value at +-inf")
  np.testing.assert_array_equal(dy[:2].astype(np.float64), want_dy.astype(np.float64),
                                err_msg=f"{case.id}: derivative at +-inf")
  assert np.isnan(y[2].astype(np.float64)), f"{case.id}: value at NaN is {y[2]}"
  assert np.isnan(dy[2].astype(np.float64)), f"{case.id}: derivative at NaN is {dy[2]}"


KINKED = [c for c in ELEMENTWISE if c.kinks]


@each_dtype
@pytest.mark.parametrize("case", KINKED, ids=ids(KINKED))
def test_kink_conventions(case, dtype):
  x = np.array(case.kinks).astype(dtype)
  y, dy = value_and_derivative(case.fn, x)
  x64 = x.astype(np.float64)
  np.testing.assert_array_equal(y, case.ref(x64).astype(dtype), err_msg=f"{case.id} value")
  np.testing.assert_array_equal(dy, case.ref_grad(x64).astype(dtype),
                                err_msg=f"{case.id}: derivative at the kinks {case.kinks}")


LEARNABLE = [(c, p) for c in ELEMENTWISE for p in c.learnable]


@each_dtype
@pytest.mark.parametrize(("case", "param"), LEARNABLE,
                         ids=[f"{c.id}-{p}" for c, p in LEARNABLE])
def test_parameter_derivatives(case, param, dtype):
  x = inputs(case, dtype)
  value = case.params.get(param, _default(case, param))
  def fn(x, **param_value):
    return case.with_params(**param_value)(x)

  got = param_derivative(fn, x, param, value, dtype)
  assert got.dtype == dtype

  def want(z):
    return case.ref_param_grad(z, param)

  err = accuracy.measure(got, want, x, dtype, case.kinks)
  bound = accuracy.BOUNDS[dtype][1]
  assert np.all(err <= bound), describe(err, x, f"d/d{param}", case, dtype, bound)


def _default(case, param):
  import inspect

  import jaxact
  return inspect.signature(getattr(jaxact, case.name)).parameters[param].default


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_float64_matches_reference(case):
  x = accuracy.float32_sweep(case.kinks).astype(np.float64)
  x = np.concatenate([x, np.geomspace(1e-300, 1e300, 600), -np.geomspace(1e-300, 1e300, 600)])
  x = x[np.abs(x) <= case.float64_limit]
  with jax.enable_x64(True):
    y, dy = value_and_derivative(case.fn, x)
    assert y.dtype == np.float64 and dy.dtype == np.float64
  for got, ref in ((y, case.ref), (dy, case.ref_grad)):
    ok = accuracy.float64_close(got, ref, x, case.kinks)
    assert np.all(ok), (f"{case.id} float64: worst at x = {x[~ok][:5]}: got {got[~ok][:5]}, "
                        f"want {ref(x[~ok][:5])}")


def test_integer_and_bool_inputs_promote_to_float():
  for case in ELEMENTWISE:
    for x in (jnp.arange(-3, 4), jnp.array([True, False])):
      y = case.fn(x)
      assert y.dtype == jnp.float32, f"{case.id}({x.dtype}) gave {y.dtype}"
      err = accuracy.measure(y, case.ref, np.asarray(x, np.float32), accuracy.FLOAT32,
                             case.kinks)
      assert np.max(err) <= accuracy.BOUNDS[accuracy.FLOAT32][0], f"{case.id}({x.dtype})"
