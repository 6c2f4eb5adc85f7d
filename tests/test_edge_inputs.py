"""Inputs at the edges: limits that hold by construction, empty arrays, sharded parameters.

* Limits at +-inf must not rely on a subnormal intermediate being flushed to zero: CPU
  XLA flushes subnormals, GPUs keep them, so a limit that holds here only by flushing
  is wrong there. Since nothing here can keep a subnormal, the checks make the tails of
  the transcendentals visibly nonzero instead and ask that the limit not move.
* Every function takes empty and zero-size-axis inputs (value and gradient), as jax.nn
  does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src import parametric, selfgated
from jaxact._src.testing import accuracy
from jaxact.testing import references as reference
from tests.cases import ELEMENTWISE, VECTOR, ids

# Small but normal in float32, so that CPU's flushing cannot hide it.
_TAIL = 2.0**-100


@pytest.fixture
def nonzero_tails(monkeypatch):
  """erfc and exp return at least _TAIL: a backend on which every underflowed tail is
  nonzero (a GPU's subnormals, exaggerated to a normal number)."""
  erfc, exp = jax.lax.erfc, jnp.exp
  monkeypatch.setattr(jax.lax, "erfc", lambda a: erfc(a) + _TAIL)
  monkeypatch.setattr(jnp, "exp", lambda a: exp(a) + _TAIL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_gelu_is_zero_below_its_cutoff_whatever_the_tails(nonzero_tails, dtype):
  with jax.enable_x64(dtype == np.float64):
    below = [-np.inf, -1e30, -100.0, -45.0] + ([-14.5] if dtype == np.float32 else [])
    x = jnp.array(below, dtype)
    # The private pieces, called eagerly, so the patched erfc and exp are the ones used.
    np.testing.assert_array_equal(selfgated._gelu_erf_forward(x), np.zeros(len(below)))
    np.testing.assert_array_equal(selfgated._gelu_erf_derivative(x, None),
                                  np.zeros(len(below)))


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32, jnp.float64])
def test_exact_gelu_and_geglu_limits(dtype):
  with jax.enable_x64(dtype == jnp.float64):
    _check_exact_gelu_and_geglu_limits(dtype)


def _check_exact_gelu_and_geglu_limits(dtype):
  x = jnp.array([-np.inf, -1e4, -40.0, -14.0, 14.0, 40.0, np.inf], dtype)
  if dtype == jnp.float16:
    x = x.at[1].set(-6e4)

  def gelu(v):
    return jaxact.gelu(v, approximate=False)

  y = gelu(x)
  dy = jax.vmap(jax.grad(gelu))(x)
  assert y[0] == 0 and y[-1] == np.inf
  assert dy[0] == 0 and dy[-1] == 1
  # Below every cutoff the true values are far below 2^-110 in magnitude.
  assert np.all(np.abs(np.asarray(y[:3], np.float64)) < 2.0**-110)
  assert np.all(np.asarray(dy[:3], np.float64) == 0)
  np.testing.assert_array_equal(dy[-2:], [1, 1])
  # geglu gates b with gelu(a): at a = -inf both partials are 0 (b = 2).
  pair = jnp.array([-np.inf, 2.0], dtype)
  assert jaxact.geglu(pair)[0] == 0
  np.testing.assert_array_equal(jax.grad(lambda v: jaxact.geglu(v)[0])(pair), [0, 0])


# ------------------------------------------------------------------------ empty arrays


def _empty_shapes(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
  """``shape`` with each axis in turn made empty, and the empty vector."""
  return [shape[:i] + (0,) + shape[i + 1:] for i in range(len(shape))] + [(0,)]


def _output_shape(case, shape):
  """What a function along an axis makes of ``shape`` (as jax.nn would)."""
  axis = case.params.get("axis", -1) % len(shape)
  if case.name == "maxout":
    size = shape[axis] // case.params["num_pieces"]
  elif case.name in ("glu", "reglu", "geglu", "swiglu"):
    size = shape[axis] // 2
  else:
    size = shape[axis]
  return shape[:axis] + (size,) + shape[axis + 1:]


def _value_and_grad_of_empty(fn, shape, dtype):
  x = jnp.zeros(shape, dtype)
  y = fn(x)
  g = jax.grad(lambda v: jnp.sum(fn(v).astype(jnp.float32)))(x)
  y_jit = jax.jit(fn)(x)
  assert y.dtype == dtype and y_jit.dtype == dtype and g.dtype == dtype
  assert y_jit.shape == y.shape and g.shape == shape
  return y


@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_elementwise_of_empty_arrays(case):
  for shape, dtype in [((0,), jnp.float32), ((3, 0), jnp.float32), ((2, 0), jnp.bfloat16)]:
    assert _value_and_grad_of_empty(case.fn, shape, dtype).shape == shape


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float32])
@pytest.mark.parametrize("case", VECTOR, ids=ids(VECTOR))
def test_functions_along_an_axis_of_empty_arrays(case, dtype):
  for shape in _empty_shapes(case.input_shape):
    y = _value_and_grad_of_empty(case.fn, shape, dtype)
    assert y.shape == _output_shape(case, shape), shape
    if case.jax_nn is not None:
      assert y.shape == case.jax_nn(jnp.zeros(shape, dtype), **case.params).shape


def test_softmax_of_an_empty_array_as_jax_nn():
  # jax's own tests/nn_test.py, testSoftmaxEmptyArray, run on jaxact.
  x = jnp.array([], dtype=float)
  np.testing.assert_array_equal(jaxact.softmax(x), jax.nn.softmax(x))
  np.testing.assert_array_equal(jaxact.log_softmax(x), jax.nn.log_softmax(x))
  mask = jnp.zeros((0,), bool)
  assert jaxact.softmax(x, where=mask).shape == (0,)
  assert jaxact.log_softmax(jnp.zeros((3, 0)), axis=None).shape == (3, 0)


# ------------------------------------------------------------- device-array parameters

_DEVICE_PARAMS = [
  ("leaky_relu", {"negative_slope": 0.2}),
  ("prelu", {"negative_slope": 0.25}),
  ("celu", {"alpha": 0.5}),
  ("softplus", {"beta": 2.0}),
  ("squareplus", {"b": 1.0}),
  ("soft_shrink", {"lambd": 0.5}),
  ("rrelu", {"lower": 0.1, "upper": 0.3}),
]


@pytest.fixture
def device_arrays_cannot_be_read(monkeypatch):
  """Reading a jax.Array into NumPy raises. On CPU a device array is host memory that
  NumPy reads without a copy, which the transfer guard does not see; so np.asarray and
  np.array refuse jax.Arrays as well."""
  for name in ("asarray", "array"):
    original = getattr(np, name)

    def guarded(value, *args, _original=original, **kwargs):
      if isinstance(value, jax.Array):
        raise AssertionError("a device array was copied to the host")
      return _original(value, *args, **kwargs)

    monkeypatch.setattr(np, name, guarded)
  with jax.transfer_guard_device_to_host("disallow"):
    yield


@pytest.mark.parametrize(("name", "params"), _DEVICE_PARAMS, ids=[n for n, _ in _DEVICE_PARAMS])
def test_device_array_parameters_are_not_copied_to_the_host(name, params,
                                                             device_arrays_cannot_be_read):
  x = jnp.linspace(-3.0, 3.0, 8)
  on_device = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
  fn = getattr(jaxact, name)
  y = fn(x, **on_device)
  g = jax.grad(lambda s: jnp.sum(fn(x, **{**on_device, next(iter(params)): s})))(
      next(iter(on_device.values())))
  assert y.shape == x.shape and g.shape == ()


def test_host_parameters_are_still_checked():
  with pytest.raises(ValueError, match=r"^jaxact\.celu: alpha must be positive; got -1\.0\.$"):
    jaxact.celu(jnp.ones(3), np.float32(-1.0))
  with pytest.raises(ValueError, match=r"^jaxact\.softplus: beta must be nonzero; got 0\.0\.$"):
    jaxact.softplus(jnp.ones(3), np.array([1.0, 0.0]))


# ------------------------------------------------------------- sharded parameters

_SHARDED_SCRIPT = r"""
import json, sys
import jax, jax.numpy as jnp, numpy as np
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P
import jaxact
from tests.cases import ELEMENTWISE

first = {}
for case in ELEMENTWISE:
  if case.learnable:
    first.setdefault(case.name, case)
x = np.random.default_rng(0).normal(scale=2.0, size=(8, 16)).astype(np.float32)
failures = []
for mode in (AxisType.Explicit, AxisType.Auto):
  mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(mode, mode))
  for name, case in first.items():
    fn = getattr(jaxact, name)
    param = case.learnable[0]
    fixed = {k: v for k, v in case.params.items() if k != param}
    shape = (16,) if name == "prelu" else (1, 16)
    value = np.float32(case.params.get(param, 0.5)) * np.linspace(0.75, 1.25, 16,
                                                                   dtype=np.float32)
    value = value.reshape(shape)

    def step(x, p):
      f = lambda x, p: fn(x, **fixed, **{param: p})
      return f(x, p), jax.grad(lambda x, p: jnp.sum(f(x, p) * x), (0, 1))(x, p)

    want = step(x, value)
    with jax.set_mesh(mesh):
      xs = jax.device_put(x, NamedSharding(mesh, P("data")))
      ps = jax.device_put(value, NamedSharding(mesh, P(*[None] * (len(shape) - 1), "model")))
      runs = [("jit", jax.jit(step))] + ([("eager", step)] if mode == AxisType.Explicit else [])
      for how, run in runs:
        try:
          got = run(xs, ps)
          for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
        except Exception as e:
          failures.append(f"{name} ({param}, {mode.name}, {how}): {type(e).__name__}: "
                          + str(e)[:200])
print(json.dumps(failures))
"""


def test_sharded_parameters_under_explicit_and_auto_meshes():
  """Every learnable parameter sharded per channel over a second mesh axis, the batch
  over the first: the values and gradients of the unsharded call, under jit with Explicit
  and with Auto axes, and eagerly with Explicit axes (8 simulated CPU devices, in a fresh
  interpreter)."""
  import json
  import os
  import pathlib
  import subprocess
  import sys

  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
  env["JAX_PLATFORMS"] = "cpu"
  done = subprocess.run([sys.executable, "-c", _SHARDED_SCRIPT], env=env, text=True,
                        capture_output=True, timeout=600,
                        cwd=pathlib.Path(__file__).resolve().parents[1])
  assert done.returncode == 0, done.stderr[-3000:]
  failures = json.loads(done.stdout.strip().splitlines()[-1])
  assert not failures, "\n".join(failures)


# ------------------------------------------- results that do not hang on the backend's sine


def _off_by(fn, ulps: int):
  """``fn`` whose float32 results are ``ulps`` ulps off (toward +inf if positive)."""
  def perturbed(a):
    r = fn(a)
    if r.dtype != jnp.float32:
      return r
    step = jnp.nextafter(r, np.inf if ulps > 0 else -np.inf) - r
    return r + abs(ulps) * step
  return perturbed


@pytest.mark.parametrize("ulps", [2, -2])
@pytest.mark.parametrize("alpha", [1.0, 3.0, 0.5, 2.0**-10])
def test_snake_holds_its_bounds_with_a_sine_two_ulps_off(monkeypatch, alpha, ulps):
  """GPUs' sin and cos differ from CPU's by a couple of ulps, and x + sin^2(alpha x) /
  alpha cancels by up to ~3x for alpha x ~ -1 (an H200 gave 5.4 ulps at x = -0.275 for
  alpha = 3, 7.6 in an audit): the float32 value and derivative must keep their 5- and
  8-ulp bounds whatever a faithful sine returns."""
  monkeypatch.setattr(jnp, "sin", _off_by(jnp.sin, ulps))
  monkeypatch.setattr(jnp, "cos", _off_by(jnp.cos, ulps))
  rng = np.random.default_rng(0)
  x = np.concatenate([np.float32([-0.275]), rng.uniform(-1.5, 0, 20000) / alpha,
                      rng.uniform(-6, 6, 20000) / alpha]).astype(np.float32)
  # The private formula and rule, traced afresh: jaxact.snake's traces are cached, and
  # would neither see the patched sine nor should they keep it.
  a = jnp.float32(alpha)
  y = jax.jit(lambda v: parametric._snake_forward(v, a))(x)
  dy = jax.jit(lambda v: parametric._snake_derivative(v, None, a)[0])(x)
  bounds = accuracy.BOUNDS[np.dtype(np.float32)]
  for got, ref, bound, what in [(y, reference.snake, bounds[0], "value"),
                                (dy, reference.snake_grad, bounds[1], "derivative")]:
    err = accuracy.measure(np.asarray(got), lambda v, ref=ref: ref(v, alpha), x, np.float32)
    assert np.max(err) <= bound, f"{what}: {np.max(err):.2f} ulp at x = {x[np.argmax(err)]!r}"
