"""The transformer LM's training step on a TPU, without one: the TPU compiler's temp
memory, bytes accessed and estimated time, jaxact against the same model with jax.nn.

libtpu holds the XLA TPU compiler; with it, jax compiles ahead of time for a TPU
topology description (a v5e 2x2 slice) on a machine that has no TPU. The step is
``examples/lm.py``'s (AdamW, the blocks scanned), compiled for one chip from shapes
alone. Its ``memory_analysis().temp_size_in_bytes`` and ``cost_analysis()`` ("bytes
accessed", "optimal_seconds") are the TPU compiler's own figures after its rewrites.
gelu and silu use the plain MLP, ``act(x W_up) W_down``; swiglu and geglu the gated one,
``act(x W_gate) * (x W_up) W_down`` (silu and tanh-gelu), jax.nn's baseline composed the
same way from ``jax.nn.silu`` / ``jax.nn.gelu``.

Needs libtpu (about 700 MB, not in the test install):
``pip install "jax[tpu]==<the installed jax version>"``.

Usage::

    python benchmarks/lm_tpu.py           # -> docs/_generated/lm_tpu.md
    python benchmarks/lm_tpu.py --quick   # a smoke run: a tiny model, bfloat16, 2 functions
"""

from __future__ import annotations

import importlib.util
import os
import sys

# libtpu reads these when it starts; jax itself stays on the CPU (nothing runs).
os.environ.setdefault("TPU_ACCELERATOR_TYPE", "v5litepod-4")
os.environ.setdefault("TPU_WORKER_HOSTNAMES", "localhost")
os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")  # other processes may hold it
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import pathlib  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
from common import GENERATED, ROOT, provenance, write_table  # noqa: E402

sys.path.insert(0, str(ROOT / "examples"))
import lm  # noqa: E402

TOPOLOGY = "v5e:2x2"
# name -> the MLP it uses
ACTIVATIONS = {"gelu": "plain", "silu": "plain", "swiglu": "gated", "geglu": "gated"}


def measure(name: str, mlp: str, size: dict, dtype: str, devices) -> dict:
  cfg = lm.Config(activation=name, mlp=mlp, dtype=dtype, **size["model"])
  compiled = lm.compile_train_step(cfg, devices, size["batch"])
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, list) else cost
  return {"temp": compiled.memory_analysis().temp_size_in_bytes,
          "bytes": cost.get("bytes accessed", float("nan")),
          "seconds": cost.get("optimal_seconds", float("nan"))}


def seconds(value: float) -> str:
  """The cost model's estimate; it reports a negative number where it has none."""
  return f"{value * 1e3:.2f}" if value > 0 else "—"


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  args = parser.parse_args()
  if importlib.util.find_spec("libtpu") is None:
    sys.exit("lm_tpu.py needs libtpu, the XLA TPU compiler: "
             f'pip install "jax[tpu]=={jax.__version__}"')
  from jax.experimental import topologies

  devices = [topologies.get_topology_desc(platform="tpu", topology_name=TOPOLOGY).devices[0]]
  if args.quick:
    size = {"model": dict(d_model=128, layers=2, heads=4, seq=128), "batch": 8}
    names, dtypes = ["gelu", "swiglu"], ["bfloat16"]
  else:
    size = {"model": dict(d_model=512, layers=2, heads=8, seq=512), "batch": 8}
    names, dtypes = list(ACTIVATIONS), ["bfloat16", "float32"]
  m = size["model"]
  preamble = [
      f"Compiled for a TPU v5e ({TOPOLOGY} topology, one chip) by libtpu "
      f"{importlib.metadata.version('libtpu')}, with no TPU (deviceless AOT). The training "
      f"step of `examples/lm.py` (d={m['d_model']}, {m['layers']} scanned blocks, "
      f"{m['heads']} heads, sequence {m['seq']}, batch {size['batch']}, MLP width 4d plain "
      "or 8/3 d gated, AdamW, float32 weights, compute in the dtype shown). temp: "
      "`memory_analysis().temp_size_in_bytes`; bytes: `cost_analysis()['bytes accessed']`; "
      "est. time: `cost_analysis()['optimal_seconds']` (— where the deviceless cost model "
      "gives no estimate: it reports a negative number). ratio = jaxact / jax.nn.", "",
      provenance(" ".join(["python benchmarks/lm_tpu.py", *sys.argv[1:]]))]
  header = ["function", "MLP", "dtype", "jaxact temp MiB", "jax.nn temp MiB", "temp ratio",
            "jaxact GB accessed", "jax.nn GB accessed", "bytes ratio",
            "jaxact est. ms", "jax.nn est. ms"]
  out = (pathlib.Path(tempfile.mkdtemp()) if args.quick else GENERATED) / "lm_tpu.md"
  rows = []
  for dtype in dtypes:
    for name in names:
      mlp = ACTIVATIONS[name]
      start = time.perf_counter()
      ours = measure(name, mlp, size, dtype, devices)
      theirs = measure(f"jax.nn.{name}", mlp, size, dtype, devices)
      rows.append([f"`{name}`", mlp, dtype, f"{ours['temp'] / 2**20:.1f}",
                   f"{theirs['temp'] / 2**20:.1f}", f"{ours['temp'] / theirs['temp']:.3f}",
                   f"{ours['bytes'] / 1e9:.3f}", f"{theirs['bytes'] / 1e9:.3f}",
                   f"{ours['bytes'] / theirs['bytes']:.3f}", seconds(ours["seconds"]),
                   seconds(theirs["seconds"])])
      print(" | ".join(rows[-1]), f"({time.perf_counter() - start:.0f} s)", flush=True)
      write_table("lm_tpu", preamble, header, rows, out=out)  # after every row
  print(f"wrote {out}")


if __name__ == "__main__":
  sys.exit(main())
