"""The Colab notebook's training step and every jaxact function compile for a TPU.

libtpu holds the XLA TPU compiler; with it, jax compiles ahead of time for a TPU
topology description on a machine that has no TPU (the result cannot run, but the TPU
compiler has accepted it). One subprocess (``python -m tests.test_tpu_aot``) compiles:

* examples/train.py's ``train_step`` (the notebook's), for a v5e 2x2 slice (4 chips),
  the batch sharded over a 1-D mesh of the 4 chips, parameters replicated, under the
  example's Auto axes and under Explicit ones;
* examples/lm.py's training step (the transformer LM, bfloat16, scanned blocks under
  remat, AdamW) for the same 4 chips, the batch sharded over them and the parameters and
  optimizer state FSDP-style, with jaxact's swiglu (gated MLP) and gelu (plain MLP);
* every function of ``jaxact.available()``, value and gradient, in bfloat16 (the TPU's
  compute dtype), with the batch sharded the same way;
* every elementwise row of the test table, value and derivative on a 0-d array and on a
  vector, in float32 and bfloat16, audited for the constants the TPU compiler's
  simplifier folds into hazards (tests/hlo_audit.py: subnormal or out-of-range
  scalings, constants folded on a 0-d array only).

It prints one JSON line per check; the tests read them. Skipped where libtpu is not
installed (``pip install "jax[tpu]==<your jax version>"``; it is not in the test extra).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import sys
import time
import traceback

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOPOLOGY = "v5e:2x2"
MODES = ("auto", "explicit")
LM = {"swiglu": "gated", "gelu": "plain"}  # activation -> its MLP in examples/lm.py

if importlib.util.find_spec("libtpu") is None:
  pytest.skip("libtpu is not installed: TPU compilation is checked only where it is "
              '(pip install "jax[tpu]==<the installed jax version>")', allow_module_level=True)
pytest.importorskip("flax", reason="the notebook's training step needs flax")
pytest.importorskip("optax", reason="the notebook's training step needs optax")
pytest.importorskip("sklearn", reason="examples/train.py imports scikit-learn")

from tests.helpers import checks_in_subprocess  # noqa: E402
from tests.test_sharding import rows  # noqa: E402


def checks() -> list[str]:
  return ([f"train_step:{mode}" for mode in MODES] + [f"lm_step:{name}" for name in LM]
          + [f"function:{name}" for name in rows()]
          + [f"hlo:{dtype}" for dtype in ("float32", "bfloat16")])


@pytest.fixture(scope="module")
def results() -> dict:
  env = dict(os.environ)
  env.pop("XLA_FLAGS", None)
  env.update({"TPU_ACCELERATOR_TYPE": "v5litepod-4", "TPU_WORKER_HOSTNAMES": "localhost",
              # other processes (pytest-xdist workers) may hold libtpu's lock file
              "ALLOW_MULTIPLE_LIBTPU_LOAD": "1",
              # the checks run nothing: jax itself stays on the CPU
              "JAX_PLATFORMS": "cpu"})
  return checks_in_subprocess("tests.test_tpu_aot", env, lambda answer: answer["check"])


@pytest.mark.parametrize("check", checks())
def test_compiles_for_tpu(results, check):
  answer = results.get(check)
  assert answer is not None, (f"the subprocess gave no answer (exit {results['returncode']})"
                              f":\n{results['stderr']}")
  assert answer["error"] is None, answer["error"]


# --------------------------------------------------------- the checks (subprocess)


def _main() -> None:
  import warnings

  from jax.experimental import topologies

  warnings.simplefilter("error")
  topology = topologies.get_topology_desc(platform="tpu", topology_name=TOPOLOGY)
  devices = topology.devices
  assert len(devices) == 4 and devices[0].platform == "tpu", devices
  for check in checks():
    kind, name = check.split(":")
    start = time.perf_counter()
    try:
      detail = {"train_step": compile_train_step, "lm_step": compile_lm_step,
                "function": compile_function, "hlo": audit_hlo}[kind](name, devices)
      error = None
    except Exception as e:  # noqa: BLE001 - every failure is an answer
      detail = None
      error = f"{type(e).__name__}: {e}"[:3000] + "\n" + traceback.format_exc()[-3000:]
    print(json.dumps({"check": check, "error": error, "detail": detail,
                      "seconds": round(time.perf_counter() - start, 3)}), flush=True)


def _spec(shape, dtype, mesh, spec):
  import jax
  from jax.sharding import NamedSharding

  return jax.ShapeDtypeStruct(shape, dtype, sharding=NamedSharding(mesh, spec))


def compile_train_step(mode: str, devices) -> dict:
  """The notebook's step (train.py's MLP, gelu, AdamW) for 4 TPU chips."""
  import jax
  import jax.numpy as jnp
  import optax
  from flax import nnx
  from jax.sharding import PartitionSpec as P

  sys.path.insert(0, str(ROOT / "examples"))
  import train

  mesh = train.data_mesh(devices, mode)
  model = train.MLP(64, 256, 2, 10, "gelu", rngs=nnx.Rngs(0))
  optimizer = nnx.Optimizer(model, optax.adamw(3e-3, weight_decay=1e-4), wrt=nnx.Param)
  graphdef, state = nnx.split((model, optimizer))
  abstract = jax.tree.map(lambda a: _spec(a.shape, a.dtype, mesh, P()), state)
  batch = 64
  x = _spec((batch, 8, 8), jnp.float32, mesh, P("data"))
  y = _spec((batch,), jnp.int32, mesh, P("data"))

  def step(state, x, y):
    model, optimizer = nnx.merge(graphdef, state)
    loss = train.train_step(model, optimizer, x, y)
    return loss, nnx.state((model, optimizer))

  with jax.numpy_dtype_promotion("standard"):
    compiled = jax.jit(step).lower(abstract, x, y).compile()
  loss_sharding, state_shardings = compiled.output_shardings
  assert all(s.is_fully_replicated for s in jax.tree.leaves(state_shardings)), (
      "the updated parameters should stay replicated")
  memory = compiled.memory_analysis()
  return {"temp_bytes": memory.temp_size_in_bytes,
          "argument_bytes": memory.argument_size_in_bytes}


def compile_lm_step(name: str, devices) -> dict:
  """examples/lm.py's step, tiny (d=128, 2 blocks, sequence 128), for 4 TPU chips."""
  import jax

  sys.path.insert(0, str(ROOT / "examples"))
  import lm

  cfg = lm.Config(activation=name, mlp=LM[name], d_model=128, layers=2, heads=4, seq=128,
                  dtype="bfloat16", remat=True, scan=True)
  compiled = lm.compile_train_step(cfg, devices, batch_size=16)
  state_shardings, loss_sharding = compiled.output_shardings
  assert loss_sharding.is_fully_replicated, loss_sharding
  assert not all(s.is_fully_replicated for s in jax.tree.leaves(state_shardings)), (
      "the weights and their optimizer state should stay sharded over the chips")
  memory = compiled.memory_analysis()
  return {"temp_bytes": memory.temp_size_in_bytes,
          "argument_bytes": memory.argument_size_in_bytes}


def compile_function(name: str, devices) -> dict:
  """Value and gradient in bfloat16, the batch sharded over the 4 chips."""
  import jax
  import jax.numpy as jnp
  from jax.sharding import PartitionSpec as P

  import jaxact

  case = rows()[name]
  fn = getattr(jaxact, name)
  params = dict(case.params)
  axis = params.get("axis", -1)
  width = case.input_shape[-1 if axis != 0 else 0] if hasattr(case, "input_shape") else 128
  shape, spec = ((width, 256), P(None, "data")) if axis == 0 else ((256, width), P("data"))
  mesh = jax.make_mesh((4,), ("data",), axis_types=(jax.sharding.AxisType.Auto,),
                       devices=devices)
  x = _spec(shape, jnp.bfloat16, mesh, spec)
  key = jax.random.key(0) if name == "rrelu" else None

  def apply(x):
    return fn(x, key, **params) if key is not None else fn(x, **params)

  def value_and_grad(x):
    return apply(x), jax.grad(lambda x: jnp.sum(apply(x).astype(jnp.float32)))(x)

  compiled = jax.jit(value_and_grad).lower(x).compile()
  y = compiled.out_info[0]
  assert y.dtype == jnp.bfloat16, y.dtype
  return {"temp_bytes": compiled.memory_analysis().temp_size_in_bytes}


def audit_hlo(dtype: str, devices) -> dict:
  """tests/hlo_audit.py's audit of every elementwise row, on the TPU compiler's HLO."""
  import jax

  from tests import hlo_audit
  from tests.cases import ELEMENTWISE

  rows = {case.id: case.fn for case in ELEMENTWISE}
  sharding = jax.sharding.SingleDeviceSharding(devices[0])
  dtype = getattr(jax.numpy, dtype)

  def scaled_square(x):  # squareplus's old formula: the audit must find it on a TPU too
    xd = x * 2.0**-70
    return xd * xd

  if not hlo_audit.zoo_hazards({"scaled_square": scaled_square}, dtype, sharding):
    raise AssertionError("the audit found no hazard in (x 2^-70)(x 2^-70) on the TPU")
  found = hlo_audit.zoo_hazards(rows, dtype, sharding)
  if found:
    raise AssertionError("\n".join(found))
  return {"rows": len(rows)}


if __name__ == "__main__":
  _main()
