"""Accuracy of every row of the table, against its float64 reference, as the contract
defines it, through the public checker (``jaxact.testing.check``, the one users run):

* every finite bfloat16 and every finite float16 input (exhaustive), and a float32
  sweep: value within 1 / 1 / 5 ULP and derivative within 2 / 2 / 8 ULP;
* nothing non-finite where the truth is finite; true limits at +-inf; NaN propagates;
* the kink conventions, exactly; the dtype kept;
* float64, against the reference to a relative 1e-12;
* learnable parameters' partial derivatives (measured with the checker's ULP errors).
"""

from __future__ import annotations

import inspect

import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact import testing
from jaxact._src.testing.evaluate import param_derivative
from tests.cases import ELEMENTWISE, ids
from tests.helpers import each_dtype

F32 = np.dtype(np.float32)


def sweep_only(case, dtypes, **kwargs) -> testing.Report:
  """The checker's sweeps alone (its contexts are tests/test_contexts.py's, with every
  function compiled together; its transforms tests/test_transforms.py's)."""
  return testing.check(case.fn, case.reference, name=case.id, dtypes=dtypes, contexts=False,
                       transforms=False, residuals=False, **kwargs)


@each_dtype
@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_contract_on_every_input(case, dtype):
  """Accuracy over the sweep, limits, NaN, the kinks and the dtype: one jitted call."""
  report = sweep_only(case, [dtype]).raise_for_failures()
  checks = {c.check for c in report.cells}
  assert {"accuracy", "limits", "nan", "dtype"} <= checks
  assert ("kinks" in checks) == bool(case.kinks)


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_float64_matches_reference(case):
  sweep_only(case, ["float64"], max_abs=case.float64_limit).raise_for_failures()


def inputs(case, dtype) -> np.ndarray:
  if np.dtype(dtype).itemsize == 2:
    return testing.every_finite(dtype)
  return testing.float32_sweep(case.kinks)


def describe(errors, x, what, case, dtype, bound):
  i = int(np.argmax(np.where(np.isnan(errors), np.inf, errors)))
  n_bad = int(np.sum(errors > bound))
  return (f"{case.id} {what} in {np.dtype(dtype).name}: worst {errors[i]:.3g} ULP at x = "
          f"{x[i]!r} (bound {bound}); {n_bad} of {errors.size} inputs over the bound")


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

  err = testing.ulp_errors(got, want, x, dtype, case.kinks)
  bound = testing.BOUNDS[dtype][1]
  assert np.all(err <= bound), describe(err, x, f"d/d{param}", case, dtype, bound)


def _default(case, param):
  return inspect.signature(getattr(jaxact, case.name)).parameters[param].default


def test_integer_and_bool_inputs_promote_to_float():
  for case in ELEMENTWISE:
    for x in (jnp.arange(-3, 4), jnp.array([True, False])):
      y = case.fn(x)
      assert y.dtype == jnp.float32, f"{case.id}({x.dtype}) gave {y.dtype}"
      err = testing.ulp_errors(y, case.ref, np.asarray(x, np.float32), F32, case.kinks)
      assert np.max(err) <= testing.BOUNDS[F32][0], f"{case.id}({x.dtype})"
