"""Every function, every Flax module and the example's train step on a sharded batch,
under a mesh with Explicit axes and one with Auto axes, on 8 simulated CPU devices.

A check passes when the sharded computation gives the values and gradients of the
same computation on one device (within the rounding of reductions reordered across
devices) and the result keeps the batch's sharding. The device count is fixed when
jax starts, so one subprocess (``python -m tests.test_sharding``) runs every check and
prints one JSON line per check; the tests here read its answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import sys
import time
import traceback

import pytest

pytest.importorskip("flax", reason="the module checks need flax")

import jaxact  # noqa: E402
import jaxact.linen  # noqa: E402
import jaxact.nnx  # noqa: E402
from tests.cases import ELEMENTWISE, VECTOR  # noqa: E402
from tests.helpers import checks_in_subprocess, simulated_devices_env  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEVICES = 8
MODES = ("explicit", "auto")
CHANNELS = 16
MODULES = sorted((set(jaxact.nnx.__all__) | set(jaxact.linen.__all__)) - {"module"})
# Modules with per-channel parameters, checked with the channels sharded over "model".
CHANNEL_MODULES = ["AconC", "PReLU", "Snake", "Swish"]


def rows() -> dict:
  """The first row of tests/cases.py for every name of jaxact.available()."""
  first = {}
  for case in [*ELEMENTWISE, *VECTOR]:
    first.setdefault(case.name, case)
  return {name: first.get(name) for name in jaxact.available()}


def learnable_rows() -> dict:
  return {name: case for name, case in rows().items() if getattr(case, "learnable", ())}


def checks() -> list[str]:
  return ([f"function:{name}" for name in rows()] + ["function:rrelu(key)"]
          + [f"sharded_parameter:{name}" for name in learnable_rows()]
          + [f"{api}:{cls}" for api in ("nnx", "linen") for cls in MODULES]
          + [f"{api}_sharded_parameter:{cls}" for api in ("nnx", "linen")
             for cls in CHANNEL_MODULES]
          + ["train_step:gelu", "train_step:prelu"])


# ------------------------------------------------------------------ the tests (parent)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
  """The subprocess's answers, run once even when pytest-xdist spreads the tests."""
  run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
  if run is None:
    return _run_checks()
  # The workers of one xdist run share the parent of their temporary folders.
  shared = tmp_path_factory.getbasetemp().parent / f"jaxact_sharding_{run}.json"
  with _locked(shared.with_suffix(".lock")):
    if not shared.exists():
      shared.write_text(json.dumps(_run_checks()))
  return json.loads(shared.read_text())


@contextlib.contextmanager
def _locked(path: pathlib.Path):
  try:
    import fcntl
  except ImportError:  # not POSIX: each xdist worker runs its own subprocess
    yield
    return
  with open(path, "w") as handle:
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(handle, fcntl.LOCK_UN)


def _run_checks() -> dict:
  env = simulated_devices_env(DEVICES)
  return checks_in_subprocess("tests.test_sharding", env,
                              lambda answer: f"{answer['check']}/{answer['mode']}")


@pytest.mark.parametrize(("check", "mode"), [
    pytest.param(check, mode, id=f"{check}-{mode}") for check in checks() for mode in MODES])
def test_sharded_matches_one_device(results, check, mode):
  answer = results.get(f"{check}/{mode}")
  assert answer is not None, (f"the subprocess gave no answer (exit {results['returncode']})"
                              f":\n{results['stderr']}")
  assert answer["error"] is None, answer["error"]


def test_every_function_has_a_row():
  assert all(case is not None for case in rows().values()), [
      name for name, case in rows().items() if case is None]


# --------------------------------------------------------- the checks (subprocess)


def _subprocess_main() -> None:
  import warnings

  import jax

  warnings.simplefilter("error")
  jax.config.update("jax_numpy_dtype_promotion", "strict")
  jax.config.update("jax_numpy_rank_promotion", "raise")
  assert jax.device_count() == DEVICES, jax.devices()
  for check in checks():
    kind, name = check.split(":")
    for mode in MODES:
      start = time.perf_counter()
      try:
        CHECKS[kind](name, mode)
        error = None
      except Exception as e:  # noqa: BLE001 - every failure is an answer
        error = f"{type(e).__name__}: {e}"[:3000] + "\n" + traceback.format_exc()[-3000:]
      print(json.dumps({"check": check, "mode": mode, "error": error,
                        "seconds": round(time.perf_counter() - start, 3)}), flush=True)


_REFERENCES = {}


def _once(key, compute):
  """The one-device result of a check, computed once for both mesh modes."""
  if key not in _REFERENCES:
    import jax

    _REFERENCES[key] = jax.device_get(compute())
  return _REFERENCES[key]


def _meshes(mode: str):
  """(an 8-device mesh "data", a 2x4 mesh ("data", "model")) with axes of type ``mode``."""
  import jax
  from jax.sharding import AxisType

  axis_type = {"explicit": AxisType.Explicit, "auto": AxisType.Auto}[mode]
  return (jax.make_mesh((DEVICES,), ("data",), axis_types=(axis_type,)),
          jax.make_mesh((2, DEVICES // 2), ("data", "model"), axis_types=(axis_type,) * 2))


def _put(tree, mesh, spec):
  import jax
  from jax.sharding import NamedSharding

  return jax.device_put(tree, NamedSharding(mesh, spec))


def _close(sharded, single, what: str, rtol: float = 1e-5) -> None:
  """Leaf by leaf, within rtol of the largest entry of each one-device leaf."""
  import jax
  import numpy as np

  got, want = jax.tree.leaves(sharded), jax.tree.leaves(single)
  assert len(got) == len(want), f"{what}: {len(got)} leaves, expected {len(want)}"
  for i, (a, b) in enumerate(zip(got, want, strict=True)):
    b = np.asarray(b)
    scale = float(np.max(np.abs(b), initial=0.0))
    np.testing.assert_allclose(np.asarray(a), b, rtol=rtol, atol=rtol * scale,
                               err_msg=f"{what}, leaf {i}")


def _keeps(out, x, what: str) -> None:
  """``out`` is sharded like ``x`` (its batch sharding kept, nothing gathered)."""
  assert out.sharding.is_equivalent_to(x.sharding, x.ndim), (
      f"{what}: sharded {out.sharding}, the input {x.sharding}")


def _input(shape, seed=0):
  import numpy as np

  return np.random.default_rng(seed).normal(scale=2.0, size=shape).astype(np.float32)


def _function_input(case):
  """A float32 batch for ``case`` and the spec sharding its batch axis."""
  from jax.sharding import PartitionSpec as P

  axis = case.params.get("axis", -1)
  if axis == 0:
    return _input((case.input_shape[0], 2 * DEVICES)), P(None, "data")
  width = case.input_shape[-1] if hasattr(case, "input_shape") else 6
  return _input((2 * DEVICES, width)), P("data")


def check_function(name: str, mode: str) -> None:
  """Value and gradients (input and learnable parameters) on a batch-sharded input."""
  import jax
  import jax.numpy as jnp
  import numpy as np

  with_key = name == "rrelu(key)"
  case = rows()["rrelu" if with_key else name]
  learnable = tuple(getattr(case, "learnable", ()))
  fixed = {k: v for k, v in case.params.items() if k not in learnable}
  params = {k: np.float32(case.params.get(k, _default(case.name, k))) for k in learnable}
  fn = getattr(jaxact, case.name)
  x, spec = _function_input(case)
  key = jax.random.key(1) if with_key else None

  def apply(x, params):
    return fn(x, key, **fixed) if with_key else fn(x, **fixed, **params)

  weights = _input(jax.eval_shape(apply, x, params).shape, seed=1)

  def loss(x, params):
    return jnp.sum(apply(x, params) * weights)

  step = jax.jit(lambda x, params: (apply(x, params), jax.grad(loss, (0, 1))(x, params)))
  single = _once(("function", name), lambda: step(x, params))
  mesh, _ = _meshes(mode)
  with jax.set_mesh(mesh):
    xs = _put(x, mesh, spec)
    sharded = step(xs, params)
  _close(sharded, single, f"{name} under {mode} axes")
  y, (dx, _) = sharded
  _keeps(y, xs, f"{name}(x)")
  _keeps(dx, xs, f"d{name}/dx")


def _default(name: str, param: str):
  import inspect

  return inspect.signature(getattr(jaxact, name)).parameters[param].default


def check_sharded_parameter(name: str, mode: str) -> None:
  """Per-channel parameters sharded over "model", the batch over "data"."""
  import jax
  import jax.numpy as jnp
  import numpy as np
  from jax.sharding import PartitionSpec as P

  case = learnable_rows()[name]
  fixed = {k: v for k, v in case.params.items() if k not in case.learnable}
  # prelu takes a 1-D slope along its axis; the others broadcast, without rank promotion.
  shape = (CHANNELS,) if name == "prelu" else (1, CHANNELS)
  spread = np.linspace(0.75, 1.25, CHANNELS, dtype=np.float32).reshape(shape)
  params = {k: spread * np.float32(case.params.get(k, _default(name, k)))
            for k in case.learnable}
  fn = getattr(jaxact, name)
  x = _input((2 * DEVICES, CHANNELS))

  def loss(x, params):
    return jnp.sum(fn(x, **fixed, **params) * x)

  step = jax.jit(lambda x, params: (fn(x, **fixed, **params),
                                    jax.grad(loss, (0, 1))(x, params)))
  single = _once(("sharded_parameter", name), lambda: step(x, params))
  _, mesh = _meshes(mode)
  with jax.set_mesh(mesh):
    xs = _put(x, mesh, P("data"))
    ps = _put(params, mesh, P("model") if name == "prelu" else P(None, "model"))
    sharded = step(xs, ps)
  _close(sharded, single, f"{name} with sharded parameters under {mode} axes")


def _nnx_module(cls: str, sharding=(None,)):
  from flax import nnx

  from jaxact import nnx as jx

  rngs = nnx.Rngs(0)
  per_channel = {"num_parameters": CHANNELS, "sharding": sharding}
  return {"Activation": lambda: jx.Activation("gelu", approximate=False),
          "AconC": lambda: jx.AconC(**per_channel),
          "Maxout": lambda: jx.Maxout(CHANNELS, 8, 2, rngs=rngs),
          "PReLU": lambda: jx.PReLU(**per_channel),
          "RReLU": lambda: jx.RReLU(rngs=rngs),
          "Rational": lambda: jx.Rational(),
          "Snake": lambda: jx.Snake(**per_channel),
          "StarReLU": lambda: jx.StarReLU(),
          "Swish": lambda: jx.Swish(**per_channel)}[cls]()


def _nnx_step(model, x):
  """(y, gradients wrt the parameters and x) of a weighted sum of ``model(x)``."""
  import jax.numpy as jnp
  from flax import nnx

  @nnx.jit
  def step(model, x):
    def loss(model, x):
      y = model(x)
      return jnp.sum(y * jnp.cos(jnp.arange(y.size, dtype=y.dtype).reshape(y.shape))), y

    (_, y), (dparams, dx) = nnx.value_and_grad(loss, argnums=(0, 1), has_aux=True)(model, x)
    return y, nnx.to_pure_dict(dparams), dx

  return step(model, x)


def check_nnx(cls: str, mode: str) -> None:
  """A module built under the mesh (parameters placed by their annotation), x sharded."""
  import jax
  from jax.sharding import PartitionSpec as P

  x = _input((2 * DEVICES, CHANNELS))
  single = _once(("nnx", cls), lambda: _nnx_step(_nnx_module(cls), x))
  mesh, _ = _meshes(mode)
  with jax.set_mesh(mesh):
    xs = _put(x, mesh, P("data"))
    y, dparams, dx = sharded = _nnx_step(_nnx_module(cls), xs)
  _close(sharded, single, f"nnx.{cls} under {mode} axes")
  _keeps(y, xs, f"nnx.{cls}(x)")
  _keeps(dx, xs, f"d nnx.{cls}/dx")


def check_nnx_sharded_parameter(cls: str, mode: str) -> None:
  import jax
  from flax import nnx
  from jax.sharding import PartitionSpec as P

  x = _input((2 * DEVICES, CHANNELS))
  single = _once(("nnx", cls), lambda: _nnx_step(_nnx_module(cls), x))
  _, mesh = _meshes(mode)
  with jax.set_mesh(mesh):
    model = _nnx_module(cls, sharding=("model",))
    specs = [leaf.sharding.spec for leaf in jax.tree.leaves(nnx.state(model, nnx.Param))]
    assert specs and all(spec == P("model") for spec in specs), specs
    sharded = _nnx_step(model, _put(x, mesh, P("data")))
  _close(sharded, single, f"nnx.{cls} with sharded parameters under {mode} axes")


def _linen_module(cls: str, sharding=(None,)):
  from jaxact import linen as jl

  per_channel = {"num_parameters": CHANNELS, "sharding": sharding}
  return {"Activation": lambda: jl.Activation("gelu", approximate=False),
          "AconC": lambda: jl.AconC(**per_channel),
          "Maxout": lambda: jl.Maxout(8, 2),
          "PReLU": lambda: jl.PReLU(**per_channel),
          "RReLU": lambda: jl.RReLU(deterministic=False),
          "Rational": lambda: jl.Rational(),
          "Snake": lambda: jl.Snake(**per_channel),
          "StarReLU": lambda: jl.StarReLU(),
          "Swish": lambda: jl.Swish(**per_channel)}[cls]()


def _linen_step(model, params, x):
  import jax
  import jax.numpy as jnp

  rngs = {"rrelu": jax.random.key(2)}

  @jax.jit
  def step(params, x):
    def loss(params, x):
      y = model.apply({"params": params}, x, rngs=rngs)
      return jnp.sum(y * jnp.cos(jnp.arange(y.size, dtype=y.dtype).reshape(y.shape))), y

    (_, y), grads = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(params, x)
    return y, *grads

  return step(params, x)


def _linen_params(model, x):
  import flax.linen as nn
  import jax

  variables = model.init({"params": jax.random.key(0), "rrelu": jax.random.key(1)}, x)
  return variables.get("params", {}), nn.get_partition_spec(variables).get("params", {})


def check_linen(cls: str, mode: str) -> None:
  import flax.linen as nn
  import jax
  from jax.sharding import PartitionSpec as P

  model = _linen_module(cls)
  x = _input((2 * DEVICES, CHANNELS))
  params, _ = _linen_params(model, x)
  params = nn.unbox(params)
  single = _once(("linen", cls), lambda: _linen_step(model, params, x))
  mesh, _ = _meshes(mode)
  with jax.set_mesh(mesh):
    xs = _put(x, mesh, P("data"))
    y, _, dx = sharded = _linen_step(model, _put(params, mesh, P()), xs)
  _close(sharded, single, f"linen.{cls} under {mode} axes")
  _keeps(y, xs, f"linen.{cls}(x)")
  _keeps(dx, xs, f"d linen.{cls}/dx")


def check_linen_sharded_parameter(cls: str, mode: str) -> None:
  import flax.linen as nn
  import jax
  from jax.sharding import NamedSharding
  from jax.sharding import PartitionSpec as P

  model = _linen_module(cls, sharding=("model",))
  x = _input((2 * DEVICES, CHANNELS))
  boxed, specs = _linen_params(model, x)
  assert jax.tree.leaves(specs) and all(
      s == P("model") for s in jax.tree.leaves(specs, is_leaf=lambda s: isinstance(s, P))
  ), specs
  params = nn.unbox(boxed)
  single = _once(("linen", cls), lambda: _linen_step(model, params, x))
  _, mesh = _meshes(mode)
  with jax.set_mesh(mesh):
    shardings = jax.tree.map(lambda s: NamedSharding(mesh, s), specs,
                             is_leaf=lambda s: isinstance(s, P))
    sharded = _linen_step(model, jax.device_put(params, shardings), _put(x, mesh, P("data")))
  _close(sharded, single, f"linen.{cls} with sharded parameters under {mode} axes")


def _train_module():
  sys.path.insert(0, str(ROOT / "examples"))
  import train

  return train


def _train(activation: str, mesh=None):
  """Three steps of the example's train_step on fixed data: (losses, parameters)."""
  import jax
  import numpy as np
  import optax
  from flax import nnx
  from jax.sharding import PartitionSpec as P

  train = _train_module()
  model = train.MLP(64, 32, 2, 10, activation, rngs=nnx.Rngs(0))
  optimizer = nnx.Optimizer(model, optax.adamw(1e-2), wrt=nnx.Param)
  rng = np.random.default_rng(0)
  batches = [(rng.uniform(size=(4 * DEVICES, 8, 8)).astype(np.float32),
              rng.integers(0, 10, 4 * DEVICES).astype(np.int32)) for _ in range(3)]
  if mesh is not None:
    state = nnx.state((model, optimizer))
    nnx.update((model, optimizer), _put(state, mesh, P()))
    batches = [(_put(x, mesh, P("data")), _put(y, mesh, P("data"))) for x, y in batches]
    graphdef, params = nnx.split(model, nnx.Param)
    x, y = batches[0]

    def loss(params, x, y):
      return train.loss_fn(nnx.merge(graphdef, params), x, y)

    jaxpr = str(jax.make_jaxpr(jax.grad(loss))(params, x, y))
    for primitive in ("gather", "scatter"):
      assert primitive not in jaxpr, (
          f"the example's gradient has a {primitive} on the sharded batch, which jax "
          "0.11 refuses under Explicit axes")
  losses = [train.train_step(model, optimizer, x, y) for x, y in batches]
  return losses, nnx.to_pure_dict(nnx.state(model, nnx.Param))


def check_train_step(activation: str, mode: str) -> None:
  """The example's own mesh, loss and step: the same losses and parameters."""
  import jax

  train = _train_module()
  # The example runs with jax's default promotion (optax's bias correction raises a
  # float to an int32 power).
  with jax.numpy_dtype_promotion("standard"):
    single = _once(("train_step", activation), lambda: _train(activation))
    mesh = train.data_mesh(jax.devices(), mode)
    losses, params = sharded = _train(activation, mesh)
  _close(sharded, single, f"train step ({activation}) under {mode} axes", rtol=1e-4)
  for leaf in jax.tree.leaves(params):
    assert leaf.sharding.is_fully_replicated, leaf.sharding


CHECKS = {"function": check_function, "sharded_parameter": check_sharded_parameter,
          "nnx": check_nnx, "nnx_sharded_parameter": check_nnx_sharded_parameter,
          "linen": check_linen, "linen_sharded_parameter": check_linen_sharded_parameter,
          "train_step": check_train_step}


if __name__ == "__main__":
  _subprocess_main()
