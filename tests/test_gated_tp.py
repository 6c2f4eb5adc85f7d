"""A Llama-style gated MLP block, ``act(x @ Wg) * (x @ Wu) @ Wd``, compiled on 4
simulated CPU devices with a tensor-parallel mesh (data 2 x tensor 2): jaxact's
two-projection forms need exactly the collectives of the jax.nn composition
``jax.nn.silu(g) * u`` / ``jax.nn.gelu(g) * u``, in the forward and backward pass, under
each backend's residual policy, with Auto and with Explicit mesh axes.

The device count is fixed when jax starts, so one subprocess (``python -m
tests.test_gated_tp``) compiles every form and prints one JSON line of collective counts
per (form, policy, mode); the tests here compare them.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import checks_in_subprocess, simulated_devices_env

DEVICES = 4
COLLECTIVES = ("all-reduce", "all-gather", "collective-permute", "reduce-scatter",
               "all-to-all")
POLICIES = ("cpu", "accelerator")
MODES = ("auto", "explicit")
# (jaxact form, the jax.nn composition it replaces)
PAIRS = [("swiglu(up)", "jax.nn.silu"), ("gated(silu)", "jax.nn.silu"),
         ("geglu(up,approximate=True)", "jax.nn.gelu"), ("gated(gelu)", "jax.nn.gelu"),
         ("geglu(up)", "jax.nn.gelu(approximate=False)")]


def _forms():
  import jax
  import jax.numpy as jnp

  import jaxact

  return {
    "jax.nn.silu": lambda g, u: jax.nn.silu(g) * u,
    "jax.nn.gelu": lambda g, u: jax.nn.gelu(g, approximate=True) * u,
    "jax.nn.gelu(approximate=False)": lambda g, u: jax.nn.gelu(g, approximate=False) * u,
    "swiglu(up)": lambda g, u: jaxact.swiglu(g, up=u),
    "gated(silu)": lambda g, u: jaxact.gated("silu", g, u),
    "geglu(up,approximate=True)": lambda g, u: jaxact.geglu(g, up=u, approximate=True),
    "gated(gelu)": lambda g, u: jaxact.gated("gelu", g, u),
    "geglu(up)": lambda g, u: jaxact.geglu(g, up=u),
    # For the record: the one-tensor form needs the projections concatenated.
    "swiglu(concatenated)": lambda g, u: jaxact.swiglu(jnp.concatenate([g, u], -1)),
  }


# ------------------------------------------------------------------ the tests (parent)


@pytest.fixture(scope="module")
def counts() -> dict:
  env = simulated_devices_env(DEVICES)
  return checks_in_subprocess("tests.test_gated_tp", env,
                              lambda a: f"{a['form']}/{a['policy']}/{a['mode']}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0] for p in PAIRS])
def test_same_collectives_as_the_jax_nn_composition(counts, ours, theirs, policy, mode):
  mine, base = counts.get(f"{ours}/{policy}/{mode}"), counts.get(f"{theirs}/{policy}/{mode}")
  assert mine is not None and base is not None, (
      f"no answer (exit {counts['returncode']}):\n{counts['stderr']}")
  assert mine["error"] is None, mine["error"]
  assert base["error"] is None, base["error"]
  assert sum(base["counts"].values()) > 0  # the block does need collectives
  assert mine["counts"] == base["counts"], (mine["counts"], base["counts"])


# --------------------------------------------------------- the checks (subprocess)


def count_collectives(hlo: str) -> dict[str, int]:
  """How many of each collective the optimised HLO text runs (async pairs count once)."""
  return {name: len(re.findall(rf"= [^=]*? {name}(?:-start)?\(", hlo)) for name in COLLECTIVES}


def _block(act, mode):
  import jax
  import jax.numpy as jnp
  from jax.sharding import PartitionSpec as P

  def block(x, wg, wu, wd):
    h = act(x @ wg, x @ wu)
    if mode == "explicit":  # a contraction over the sharded hidden axis: say the result's
      return jnp.einsum("btf,fd->btd", h, wd, out_sharding=P("data", None, None))
    return h @ wd

  def loss(x, wg, wu, wd):
    return jnp.sum(block(x, wg, wu, wd) ** 2)

  return jax.value_and_grad(loss, argnums=(0, 1, 2, 3))


def _compile(act, mode):
  import jax
  import jax.numpy as jnp
  from jax.sharding import AxisType, NamedSharding
  from jax.sharding import PartitionSpec as P

  kind = AxisType.Explicit if mode == "explicit" else AxisType.Auto
  mesh = jax.make_mesh((2, 2), ("data", "tensor"), axis_types=(kind, kind))
  b, t, d, f = 4, 8, 32, 64
  specs = [P("data", None, None), P(None, "tensor"), P(None, "tensor"), P("tensor", None)]
  shapes = [(b, t, d), (d, f), (d, f), (f, d)]
  args = [jax.ShapeDtypeStruct(s, jnp.float32, sharding=NamedSharding(mesh, p))
          for s, p in zip(shapes, specs, strict=True)]
  with jax.set_mesh(mesh):
    if mode == "explicit":  # each operand's sharding is the result's: nothing to move
      g = jax.ShapeDtypeStruct((b, t, f), jnp.float32,
                               sharding=NamedSharding(mesh, P("data", None, "tensor")))
      out = jax.eval_shape(act, g, g)
      assert out.sharding.spec == g.sharding.spec, (out.sharding.spec, g.sharding.spec)
    return jax.jit(_block(act, mode)).lower(*args).compile().as_text()


def _subprocess_main() -> None:
  import traceback
  import warnings

  import jax

  from jaxact._src import core

  warnings.simplefilter("error")
  jax.config.update("jax_numpy_dtype_promotion", "strict")
  jax.config.update("jax_numpy_rank_promotion", "raise")
  assert jax.device_count() == DEVICES, jax.devices()
  for policy in POLICIES:
    for mode in MODES:
      for form, act in _forms().items():
        jax.clear_caches()
        try:
          with core.pinned_policy(policy):
            found, error = count_collectives(_compile(act, mode)), None
        except Exception as e:  # noqa: BLE001 - every failure is an answer
          found, error = None, f"{type(e).__name__}: {e}"[:2000] + traceback.format_exc()[-2000:]
        print(json.dumps({"form": form, "policy": policy, "mode": mode, "counts": found,
                          "error": error}), flush=True)


if __name__ == "__main__":
  _subprocess_main()
