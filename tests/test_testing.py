"""The public checker can fail, and says where: jax.nn's non-finite derivatives at large
|x|, a function a few ULP off, a wrong convention at a kink; derived derivatives and the
command line. (That it passes on the whole zoo is test_numerics' and test_contexts'.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact import testing
from jaxact._src.testing import zoo

QUICK = {"quick": True, "contexts": False, "transforms": False, "residuals": False}


@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "sigmoid"])
def test_jax_nn_derivative_failures_are_reported(name):
  """jax.nn's derivatives fail the contract in bfloat16 (the tanh-form gelu's with NaN at
  large |x|, the others a few to 256 ULP off); jaxact's pass the same check."""
  report = testing.check(getattr(jax.nn, name), testing.zoo_reference(name),
                         dtypes=["bfloat16"], **QUICK)
  bad = [c for c in report.failures if c.check == "accuracy" and c.quantity == "derivative"]
  assert bad and bad[0].max_ulp > 2 and bad[0].worst_x is not None, report
  if name == "gelu":
    assert report.non_finite("bfloat16", "derivative") > 0
    assert not np.isfinite(bad[0].got) and abs(bad[0].worst_x) > 100, bad
    with pytest.raises(testing.CheckFailure, match="non-finite where the truth is finite"):
      testing.assert_exact(report)
  ours = testing.check(getattr(jaxact, name), testing.zoo_reference(name),
                       dtypes=["bfloat16"], **QUICK)
  assert ours.ok and ours.non_finite("bfloat16", "derivative") == 0, ours


def test_jax_nn_log_softmax_through_its_slice_is_reported():
  fn = testing.elementwise_slice(jax.nn.log_softmax)
  report = testing.check(fn, testing.zoo_reference("log_sigmoid"), dtypes=["float32"], **QUICK)
  failing = {(c.check, c.quantity) for c in report.failures}
  assert ("limits", "derivative") in failing and ("accuracy", "value") in failing
  # jaxact's keeps the limits, the values and the Jacobian entry 1 - softmax(x)[0],
  # computed as the sum of the others (a difference would cancel past x ~ 17).
  for ours, reference in ((jaxact.log_softmax, "log_sigmoid"), (jaxact.softmax, "sigmoid")):
    report = testing.check(testing.elementwise_slice(ours), testing.zoo_reference(reference),
                           dtypes=["bfloat16", "float32"], **QUICK)
    assert report.ok, report


def test_a_few_ulp_off_fails_with_the_worst_input():
  def off(x):  # 3 ULP high at one input, the derivative left alone
    y = jaxact.silu(x)
    held = jax.lax.stop_gradient(y)
    up = jnp.nextafter(jnp.nextafter(jnp.nextafter(held, jnp.inf), jnp.inf), jnp.inf)
    return y + jnp.where(x == 1.5, up - held, jnp.zeros_like(y))

  report = testing.check(off, testing.zoo_reference("silu"), dtypes=["bfloat16"],
                         contexts=False, transforms=False, residuals=False)
  (cell,) = report.failures
  assert (cell.check, cell.quantity, cell.worst_x, cell.bad) == ("accuracy", "value", 1.5, 1)
  assert cell.max_ulp > 2 and cell.bound == 1
  with pytest.raises(AssertionError, match=r"worst x = 1\.5"):
    report.raise_for_failures()


def test_a_convention_at_a_kink_is_checked_exactly():
  report = testing.check(jax.nn.leaky_relu, testing.zoo_reference("leaky_relu"),
                         dtypes=["float32"], **QUICK)
  kinks = [c for c in report.failures if c.check == "kinks"]
  assert [(c.quantity, c.worst_x, c.got, c.want) for c in kinks] == [
      ("derivative", 0.0, 1.0, np.float32(0.01))]


def test_derived_derivatives():
  """Ridders' differences from a NumPy reference (the kinks and the derivative's limits
  left unchecked), and mpmath.diff from an mpmath formula."""
  for name, kinks in (("softplus", ()), ("relu6", (0.0, 6.0))):
    report = testing.check(getattr(jaxact, name), getattr(testing.references, name),
                           kinks=kinks, dtypes=["float32", "bfloat16"], **QUICK)
    assert report.derivative_source.startswith("float64 finite differences"), report
    report.raise_for_failures()
    assert not any(c.check in ("kinks", "limits") and c.quantity == "derivative"
                   for c in report.cells)
  mpmath = pytest.importorskip("mpmath")
  exact = testing.from_mpmath(lambda t: t * mpmath.ncdf(t))
  x = np.array([-7.5, -1.0, 0.0, 0.5, 3.0, np.inf, -np.inf, np.nan])
  np.testing.assert_allclose(exact.value(x[:5]), testing.zoo_reference(
      "gelu", approximate=False).value(x[:5]), rtol=1e-14)
  np.testing.assert_allclose(exact.derivative(x[:5]), testing.zoo_reference(
      "gelu", approximate=False).derivative(x[:5]), rtol=1e-13)
  assert exact.value(x[5:6])[0] == np.inf and np.isnan(exact.value(x[7:]))[0]
  assert exact.derivative_source == "mpmath.diff"


def test_report_outputs_and_residuals():
  report = testing.check(jaxact.softplus, testing.zoo_reference("softplus"),
                         dtypes=["float16"], quick=True, contexts=False)  # the rest
  assert report.ok and report.residual_bytes_per_element == 4.0, report
  assert any(c.check.startswith("transform:") for c in report.cells)
  data = json.loads(report.to_json())
  assert data["ok"] and data["summary"]["float16/value"]["max_ulp"] <= 1
  assert "| float16 | derivative |" in report.to_markdown()
  assert "float16" in str(report)


def test_check_contexts_of_many_functions_at_once():
  fns = {"gelu": jaxact.gelu, "jax.nn.gelu": jax.nn.gelu}
  refs = {key: testing.zoo_reference("gelu") for key in fns}
  from jaxact._src.testing import contexts

  reports = testing.check_contexts(fns, refs, "float32", programs=[contexts.jit_0d])
  assert reports["gelu"].ok, reports["gelu"]
  assert not reports["jax.nn.gelu"].ok


def test_zoo_names_resolve():
  assert set(zoo.KINKS) <= set(testing.references.ELEMENTWISE)
  assert testing.zoo_reference("hard_shrink", lambd=1.5).kinks == (-1.5, 1.5)
  with pytest.raises(ValueError, match="no reference named 'gleu'"):
    testing.zoo_reference("gleu")


def _audit(*args):
  flags = ["--quick", "--no-progress", "--no-contexts", "--no-transforms"]
  return subprocess.run([sys.executable, "-m", "jaxact.audit", *args, *flags],
                        capture_output=True, text=True, timeout=300,
                        env={**os.environ, "JAX_PLATFORMS": "cpu"})


def test_command_line_finds_jax_nn_failures_and_passes_jaxact():
  done = _audit("jax.nn.gelu", "--json", "--dtypes", "float32")
  assert done.returncode == 1, done.stderr[-2000:]
  report = json.loads(done.stdout)
  assert report["summary"]["float32/derivative"]["non_finite"] > 0
  done = _audit("jaxact.gelu", "--markdown", "--dtypes", "float32")
  assert done.returncode == 0, done.stdout + done.stderr[-2000:]
  assert "| float32 | value |" in done.stdout
  done = _audit("tests.test_testing:square", "--reference", "tests.test_testing:square_ref",
                "--dtypes", "float16")
  assert done.returncode == 0 and "finite differences" in done.stdout, done.stdout + done.stderr


def square(x):
  return x * x


def square_ref(x):
  return np.asarray(x, np.float64) ** 2
