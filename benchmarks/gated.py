"""Gated MLPs from two projections: jaxact's forms against jax.nn's composition.

Llama's ``jax.nn.silu(g) * u`` against ``jaxact.swiglu(g, up=u)``, Gemma's
``jax.nn.gelu(g) * u`` (tanh form) against ``jaxact.geglu(g, up=u, approximate=True)``,
the erf form against ``jaxact.geglu(g, up=u)``, and the swap of the activation alone,
``jaxact.gelu(g) * u``; float32 and bfloat16.

* CPU, the unit alone at (16, 128, 512): forward plus pullback in one jit (what a layer
  costs in a training step), median CPU times interleaved (ABBA) and the compiled temp
  bytes; and a training step of 4 residual Llama MLP blocks
  ``h + (act(h @ Wg) * (h @ Wu)) @ Wd`` (T=1024, d=128, f=512): time and temp, and temp
  with each block under ``jax.checkpoint`` (as ``nnx.remat`` does).
* TPU v5e, compiled ahead of time with libtpu (no TPU attached): the same step at
  T=16384, d=1024, f=4096, the compiler's temp bytes (``memory_analysis()``) and its
  ``cost_analysis()`` bytes accessed and estimated time (``optimal_seconds``).

Usage::

    python benchmarks/gated.py           # -> docs/_generated/gated_{cpu,tpu}.md
    python benchmarks/gated.py --cpu     # the CPU table only (--tpu: the TPU one)
    python benchmarks/gated.py --quick   # a smoke run
"""

from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("TPU_ACCELERATOR_TYPE", "v5litepod-4")
os.environ.setdefault("TPU_WORKER_HOSTNAMES", "localhost")
os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from common import provenance, write_table  # noqa: E402

import jaxact  # noqa: E402

# name -> (jaxact's form, jax.nn's composition), each (gate, up) -> gate-sized result
PAIRS = {
  "swiglu(g, up=u) / silu(g) * u": (lambda g, u: jaxact.swiglu(g, up=u),
                                    lambda g, u: jax.nn.silu(g) * u),
  "geglu(g, up=u, approximate=True) / gelu(g) * u": (
      lambda g, u: jaxact.geglu(g, up=u, approximate=True),
      lambda g, u: jax.nn.gelu(g, approximate=True) * u),
  "geglu(g, up=u) / gelu(g, approximate=False) * u": (
      lambda g, u: jaxact.geglu(g, up=u),
      lambda g, u: jax.nn.gelu(g, approximate=False) * u),
  # The one-line swap of the activation alone, in a Gemma MLP.
  "jaxact.gelu(g) * u / gelu(g) * u": (lambda g, u: jaxact.gelu(g) * u,
                                       lambda g, u: jax.nn.gelu(g) * u),
}
DTYPES = (jnp.float32, jnp.bfloat16)


def dtypes(quick: bool):
  """Every dtype; a smoke run (``--quick``) the last only."""
  return DTYPES[-1:] if quick else DTYPES


def unit_step(fn):
  """Forward and pullback of ``fn`` in one function: (y, d_gate, d_up)."""

  def step(g, u, ct):
    y, pull = jax.vjp(fn, g, u)
    return y, *pull(ct)

  return step


def block_loss(fn, remat: bool = False):
  def block(h, wg, wu, wd):
    return h + fn(h @ wg, h @ wu) @ wd

  block = jax.checkpoint(block) if remat else block

  def loss(weights, h):
    for wg, wu, wd in weights:
      h = block(h, wg, wu, wd)
    return jnp.mean(jnp.square(h.astype(jnp.float32)))

  return jax.value_and_grad(loss)


def block_specs(size, dtype, sharding=None):
  tokens, d, f, blocks = size

  def spec(*shape):
    return jax.ShapeDtypeStruct(shape, dtype, sharding=sharding)

  return [(spec(d, f), spec(d, f), spec(f, d)) for _ in range(blocks)], spec(tokens, d)


def _concrete(specs, key):
  leaves, tree = jax.tree_util.tree_flatten(specs)
  keys = jax.random.split(key, len(leaves))
  return jax.tree_util.tree_unflatten(tree, [
      (jax.random.normal(k, s.shape, jnp.float32) / (s.shape[0] ** 0.5 if len(s.shape) == 2
                                                     else 1.0)).astype(s.dtype)
      for k, s in zip(keys, leaves, strict=True)])


def _interleaved(compiled, args, repeats):
  """Median seconds of each compiled function, run in ABBA order."""
  for c in compiled:
    jax.block_until_ready(c(*args))
  times = [[] for _ in compiled]
  for i in range(repeats):
    order = range(len(compiled)) if i % 2 == 0 else reversed(range(len(compiled)))
    for j in order:
      start = time.process_time()
      jax.block_until_ready(compiled[j](*args))
      times[j].append(time.process_time() - start)
  return [statistics.median(t) for t in times]


def _ratio(a: float, b: float) -> str:
  return f"{a / b:.3f}" if b else ("1.000" if a == b else "inf")


def _estimated(ours: float, theirs: float) -> list[str]:
  """The estimated times and their ratio; "n/a" where the TPU cost model gives a negative
  time (it does for erf, jaxact's and jax.nn's alike)."""
  if ours <= 0 or theirs <= 0:
    return [f"n/a ({ours * 1e3:.0f})", f"n/a ({theirs * 1e3:.0f})", "n/a"]
  return [f"{ours * 1e3:.2f}", f"{theirs * 1e3:.2f}", _ratio(ours, theirs)]


def cpu_rows(quick: bool):
  shape = (2, 8, 64) if quick else (16, 128, 512)
  size = (64, 16, 64, 2) if quick else (1024, 128, 512, 4)
  repeats = 5 if quick else 41
  rows = []
  for dtype in dtypes(quick):
    for name, (ours, theirs) in PAIRS.items():
      key = jax.random.split(jax.random.key(0), 3)
      args = [jax.random.normal(k, shape, jnp.float32).astype(dtype) * 2 for k in key]
      units = [jax.jit(unit_step(f)).lower(*args).compile() for f in (ours, theirs)]
      unit_s = _interleaved(units, args, repeats)
      specs = block_specs(size, dtype)
      step_args = _concrete(specs, jax.random.key(1))
      steps = [jax.jit(block_loss(f)).lower(*specs).compile() for f in (ours, theirs)]
      step_s = _interleaved(steps, step_args, max(5, repeats // 4))
      unit_t = [u.memory_analysis().temp_size_in_bytes for u in units]
      step_t = [s.memory_analysis().temp_size_in_bytes for s in steps]
      remat_t = [jax.jit(block_loss(f, remat=True)).lower(*specs).compile().memory_analysis(
          ).temp_size_in_bytes for f in (ours, theirs)]
      rows.append([f"`{name}`", jnp.dtype(dtype).name,
                   f"{unit_s[0] * 1e3:.3f}", f"{unit_s[1] * 1e3:.3f}",
                   _ratio(unit_s[0], unit_s[1]),
                   f"{unit_t[0] / 2**20:.1f}", f"{unit_t[1] / 2**20:.1f}",
                   f"{step_s[0] * 1e3:.2f}", f"{step_s[1] * 1e3:.2f}",
                   _ratio(step_s[0], step_s[1]),
                   f"{step_t[0] / 2**20:.1f}", f"{step_t[1] / 2**20:.1f}",
                   _ratio(step_t[0], step_t[1]),
                   f"{remat_t[0] / 2**20:.1f}", f"{remat_t[1] / 2**20:.1f}",
                   _ratio(remat_t[0], remat_t[1])])
      print(" | ".join(rows[-1]), flush=True)
  header = ["jaxact / jax.nn", "dtype", "unit jaxact ms", "unit jax.nn ms", "unit time ratio",
            "unit jaxact temp MiB", "unit jax.nn temp MiB", "step jaxact ms", "step jax.nn ms",
            "step time ratio", "step jaxact temp MiB", "step jax.nn temp MiB",
            "step temp ratio", "remat jaxact temp MiB", "remat jax.nn temp MiB",
            "remat temp ratio"]
  preamble = [
      f"CPU. Unit: forward and pullback of the gated unit alone in one jit, gate and up of "
      f"shape {shape}, median CPU time (this process's threads) of {repeats} interleaved "
      "runs. Step: "
      f"`jax.jit(jax.value_and_grad(loss))` over {size[3]} residual Llama MLP blocks "
      f"`h + (act(h @ Wg) * (h @ Wu)) @ Wd` (T={size[0]}, d={size[1]}, f={size[2]}). Temp: "
      "the compiled function's `memory_analysis().temp_size_in_bytes`; remat: the same step "
      "with each block under `jax.checkpoint` (what `nnx.remat` and `nn.remat` apply).", ""]
  return preamble, header, rows


def tpu_rows(quick: bool):
  from jax.experimental import topologies

  topology = topologies.get_topology_desc(platform="tpu", topology_name="v5e:2x2")
  sharding = jax.sharding.SingleDeviceSharding(topology.devices[0])
  size = (256, 64, 256, 2) if quick else (16384, 1024, 4096, 4)
  rows = []
  for dtype in dtypes(quick):
    for name, (ours, theirs) in PAIRS.items():
      specs = block_specs(size, dtype, sharding)
      got = []
      for fn in (ours, theirs):
        compiled = jax.jit(block_loss(fn)).lower(*specs).compile()
        cost = compiled.cost_analysis()
        got.append((compiled.memory_analysis().temp_size_in_bytes, cost["bytes accessed"],
                    cost["optimal_seconds"]))
      (t0, b0, s0), (t1, b1, s1) = got
      rows.append([f"`{name}`", jnp.dtype(dtype).name,
                   f"{t0 / 2**20:.0f}", f"{t1 / 2**20:.0f}", _ratio(t0, t1),
                   f"{b0 / 2**30:.2f}", f"{b1 / 2**30:.2f}", _ratio(b0, b1),
                   *_estimated(s0, s1)])
      print(" | ".join(rows[-1]), flush=True)
  header = ["jaxact / jax.nn", "dtype", "jaxact temp MiB", "jax.nn temp MiB", "temp ratio",
            "jaxact GiB accessed", "jax.nn GiB accessed", "bytes ratio", "jaxact est. ms",
            "jax.nn est. ms", "time ratio"]
  preamble = [
      f"TPU v5e (topology v5e:2x2, one chip), compiled ahead of time with libtpu, no TPU "
      f"attached: `jax.jit(jax.value_and_grad(loss))` over {size[3]} residual Llama MLP "
      f"blocks `h + (act(h @ Wg) * (h @ Wu)) @ Wd` (T={size[0]}, d={size[1]}, f={size[2]}). "
      "Temp: `memory_analysis().temp_size_in_bytes`; bytes accessed and estimated time: "
      "`cost_analysis()`'s `bytes accessed` and `optimal_seconds`.", ""]
  return preamble, header, rows


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  which = parser.add_mutually_exclusive_group()
  which.add_argument("--cpu", action="store_true", help="the CPU table only")
  which.add_argument("--tpu", action="store_true", help="the TPU table only")
  args = parser.parse_args()
  flag = " --quick" if args.quick else ""
  tables = []
  if not args.tpu:
    tables.append(("gated_cpu", cpu_rows, f"python benchmarks/gated.py --cpu{flag}"))
  if not args.cpu:
    if importlib.util.find_spec("libtpu") is None:
      print("no libtpu: the TPU table is skipped "
            f'(pip install "jax[tpu]=={jax.__version__}")')
    else:
      tables.append(("gated_tpu", tpu_rows, f"python benchmarks/gated.py --tpu{flag}"))
  for name, rows_of, command in tables:
    preamble, header, rows = rows_of(args.quick)
    out = pathlib.Path(tempfile.mkdtemp()) / f"{name}.md" if args.quick else None
    path = write_table(name, [*preamble, provenance(command)], header, rows, out=out)
    path.write_text(path.read_text().replace(f"benchmarks/{name}.py", "benchmarks/gated.py", 1))
    print(f"wrote {path}")


if __name__ == "__main__":
  main()
