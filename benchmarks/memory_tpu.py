"""Training memory on a TPU, without one: the TPU compiler's temp bytes, jaxact against
jax.nn.

libtpu holds the XLA TPU compiler; with it, jax compiles ahead of time for a TPU
topology description (a v5e 2x2 slice) on a machine that has no TPU. The compiled
steps cannot run, but their ``memory_analysis().temp_size_in_bytes`` is the TPU
compiler's own answer, after its rewrites (XLA TPU recomputes cheap elementwise work
in the backward pass). Two steps, each compiled for one chip:

* the transformer MLP block step of ``train_step.py`` (T=16384, d=1024, f=4096,
  4 blocks), in saved (T, f) tensors per block;
* the 32-layer MLP of ``memory.py`` (batch 1024, width 512), in saved tensors per layer.

Needs libtpu (about 700 MB, not in the test install):
``pip install "jax[tpu]==<the installed jax version>"``.

Usage::

    python benchmarks/memory_tpu.py           # -> docs/_generated/memory_tpu_{block,mlp}.md
    python benchmarks/memory_tpu.py --model mlp   # one of them
    python benchmarks/memory_tpu.py --quick   # a smoke run (CI, where libtpu is installed)
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
import jax.numpy as jnp  # noqa: E402
from common import GENERATED, provenance, write_table  # noqa: E402
from memory import compile_step as compile_mlp_step  # noqa: E402
from train_step import ACTIVATIONS, block_specs, compile_step, saved_tensors  # noqa: E402

TOPOLOGY = "v5e:2x2"


def tpu_sharding():
  from jax.experimental import topologies

  topology = topologies.get_topology_desc(platform="tpu", topology_name=TOPOLOGY)
  return jax.sharding.SingleDeviceSharding(topology.devices[0])


def block_temp(act, gated: bool, size, dtype, sharding) -> tuple[int, float]:
  temp = compile_step(act, block_specs(size, dtype, gated, sharding)).memory_analysis()
  return temp.temp_size_in_bytes, saved_tensors(temp.temp_size_in_bytes, size, dtype)


def mlp_temp(act, gated: bool, size, dtype, sharding) -> tuple[int, float]:
  layers, batch, width = size
  temp = compile_mlp_step(act, layers, batch, width, dtype,
                          out_width=2 * width if gated else None,
                          sharding=sharding).memory_analysis().temp_size_in_bytes
  return temp, temp / (layers * batch * width * jnp.dtype(dtype).itemsize)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--model", choices=["block", "mlp"], help="one table only")
  args = parser.parse_args()
  if importlib.util.find_spec("libtpu") is None:
    sys.exit("memory_tpu.py needs libtpu, the XLA TPU compiler: "
             f'pip install "jax[tpu]=={jax.__version__}"')
  sharding = tpu_sharding()
  block_size = (256, 64, 256, 2) if args.quick else (16384, 1024, 4096, 4)
  mlp_size = (2, 64, 32) if args.quick else (32, 1024, 512)
  models = {"block": (block_temp, block_size), "mlp": (mlp_temp, mlp_size)}
  names = ["gelu(tanh)", "swiglu"] if args.quick else list(ACTIVATIONS)
  dtypes = [jnp.bfloat16] if args.quick else [jnp.bfloat16, jnp.float32]
  tokens, d, f, blocks = block_size
  layers, batch, width = mlp_size
  compiler = (f"Compiled for a TPU v5e ({TOPOLOGY} topology, one chip) by libtpu "
              f"{importlib.metadata.version('libtpu')}, with no TPU (deviceless AOT). ")
  described = {
      "block": f"{blocks} residual MLP blocks `h = h + act(h @ W1) @ W2` (T={tokens}, d={d}, "
               f"f={f}; swiglu: W1 is d x 2f, jax.nn's baseline `silu(a) * b`), "
               "`jax.value_and_grad` over the weights; saved tensors per block = temp bytes "
               "/ (blocks x T x f x itemsize).",
      "mlp": f"The {layers}-layer MLP of `memory.py` (batch {batch}, width {width}; swiglu: "
             "each weight is width x 2 width), `jax.grad`; saved tensors per layer = temp "
             "bytes / (layers x batch x width x itemsize). At this size XLA TPU reports "
             "no temp bytes for most functions (0.00): the saved activations (1 MiB a "
             "layer in bfloat16) are not among its temp allocations.",
  }
  chosen = list(models) if args.model is None else [args.model]
  command = " ".join(["python benchmarks/memory_tpu.py", *sys.argv[1:]])
  header = ["function", "dtype", "jaxact tensors", "jax.nn tensors", "ratio",
            "jaxact MiB", "jax.nn MiB"]
  folder = pathlib.Path(tempfile.mkdtemp()) if args.quick else GENERATED
  for model in chosen:
    measure, size = models[model]
    preamble = [compiler + described[model] + " ratio = jaxact / jax.nn bytes.", "",
                provenance(command)]
    out, rows = folder / f"memory_tpu_{model}.md", []
    for dtype in dtypes:
      for name in names:
        activation = ACTIVATIONS[name]
        start = time.perf_counter()
        ours, our_tensors = measure(activation.ours, activation.gated, size, dtype, sharding)
        theirs, their_tensors = measure(activation.theirs, activation.gated, size, dtype,
                                        sharding)
        rows.append([f"`{name}`", jnp.dtype(dtype).name, f"{our_tensors:.2f}",
                     f"{their_tensors:.2f}", f"{ours / theirs:.2f}" if theirs else "—",
                     f"{ours / 2**20:.0f}", f"{theirs / 2**20:.0f}"])
        print(model, "|", " | ".join(rows[-1]), f"({time.perf_counter() - start:.0f} s)",
              flush=True)
        write_table("memory_tpu", preamble, header, rows, out=out)  # after every row
    print(f"wrote {out}")

if __name__ == "__main__":
  sys.exit(main())
