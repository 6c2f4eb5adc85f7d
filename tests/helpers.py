"""What the family tests share: the dtypes swept, ULP errors, the contract's assertion and
an elementwise derivative. The measuring itself is the public checker's
(``jaxact._src.testing.accuracy``, behind ``jaxact.testing``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxact._src.testing import accuracy

DTYPES = accuracy.SWEPT_DTYPES
F32 = accuracy.FLOAT32
# @each_dtype: a test run for bfloat16, float16 and float32, named by the dtype.
each_dtype = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)


def ulps(got, ref, x, dtype, kinks=()) -> np.ndarray:
  """ULP error of ``got``, computed in ``dtype``, against the float64 function ``ref`` at
  ``x``, with the contract's allowances (:func:`accuracy.measure`)."""
  with np.errstate(all="ignore"):
    return accuracy.measure(np.asarray(got), ref, np.asarray(x), dtype, kinks)


def raw_ulps(got, want, dtype, x=None, q_slope=None) -> np.ndarray:
  """ULP error of ``got`` against the float64 values ``want``: no backward-stable
  allowance, unless the inputs ``x`` and the slope ``q_slope`` of the measured quantity
  are given (then 8 * 2^-23 * |x q'|, as the contract allows)."""
  want = np.asarray(want, np.float64)
  zero = np.zeros_like(want)
  return accuracy.ulp_error(got, want, zero if x is None else x,
                            zero if q_slope is None else q_slope, dtype)


def assert_exact(got, ref, x, dtype, derivative=False, kinks=()):
  """``got`` is ``ref(x)`` within the contract's bound for a value (or a derivative)."""
  bound = accuracy.BOUNDS[np.dtype(dtype)][1 if derivative else 0]
  err = ulps(got, ref, x, dtype, kinks)
  assert np.all(err <= bound), (f"{np.max(err):.3g} ULP at x = {np.asarray(x)[np.argmax(err)]} "
                                f"(bound {bound})")


def grad(fn, argnums=0):
  """The elementwise derivative of an elementwise ``fn``, for inputs of any shape: the
  gradient of ``sum(fn(...))`` with respect to argument ``argnums``."""
  def derivative(*args):
    return jax.grad(lambda *a: jnp.sum(fn(*a)), argnums)(*args)
  return derivative


def pinned(backend, fn, *args):
  """``fn(*args)`` traced afresh under ``backend``'s residual policy (jit caches do not
  key on the policy, so they are cleared around it), as NumPy arrays."""
  from jaxact._src import core

  jax.clear_caches()
  try:
    with core.pinned_policy(backend):
      return jax.tree_util.tree_map(_numpy, fn(*args))
  finally:
    jax.clear_caches()


def _numpy(leaf):
  return leaf if isinstance(leaf, Exception) else np.asarray(leaf)


def each_row(rows, compute, *args) -> dict:
  """``compute(row, *args)`` for every row of a table, traced into one jitted program
  (one compile for the table, not one per row): ``{row.id: result}`` as NumPy arrays. A
  row whose trace raises has the exception as its result; :func:`row_result` re-raises
  it in that row's test."""
  errors = {}

  def program(*args):
    out = {}
    for row in rows:
      try:
        out[row.id] = compute(row, *args)
      except Exception as e:  # noqa: BLE001 - the row's test raises it
        errors[row.id] = e
    return out

  results = jax.tree_util.tree_map(_numpy, jax.jit(program)(*args))
  return {**results, **errors}


def row_result(results: dict, row):
  """A row's result from :func:`each_row` (its trace's exception raised here)."""
  result = results[row.id]
  if isinstance(result, Exception):
    raise result
  return result


def kept(fn, x):
  """The arrays a backward pass of ``fn`` at ``x`` keeps: the residuals of its vjp."""
  return [leaf for leaf in jax.tree_util.tree_leaves(jax.vjp(fn, x)[1])
          if isinstance(leaf, jax.Array)]


def simulated_devices_env(count: int) -> dict[str, str]:
  """This process's environment with ``count`` simulated CPU devices (and no other
  XLA_FLAGS), for :func:`checks_in_subprocess`."""
  import os

  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={count}"
  env["JAX_PLATFORMS"] = "cpu"
  return env


def checks_in_subprocess(module: str, env: dict[str, str], key) -> dict:
  """Runs ``python -m module`` from the repository root with ``env`` (checks that need a
  process of their own: simulated devices, libtpu), and returns the JSON lines it
  prints, each under ``key(line)``, with its ``stderr`` tail and ``returncode``."""
  import json
  import pathlib
  import subprocess
  import sys

  root = pathlib.Path(__file__).resolve().parents[1]
  done = subprocess.run([sys.executable, "-m", module], env=env, cwd=root,
                        capture_output=True, text=True, timeout=900)
  answers = {"stderr": done.stderr[-4000:], "returncode": done.returncode}
  for line in done.stdout.splitlines():
    if line.startswith("{"):
      answer = json.loads(line)
      answers[key(answer)] = answer
  return answers
