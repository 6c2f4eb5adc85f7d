"""Every function jaxact shares with jax.nn, in a training step compiled for a TPU v5e.

The MLP block step of ``train_step.py`` (4 residual blocks ``h = h + act(h @ W1) @ W2``,
T=16384, d=1024, f=4096, ``jax.value_and_grad`` over the weights), with each function of
the shared table (``common.shared_cases``: jaxact's function against the jax.nn function
it replaces), in bfloat16 and float32, compiled ahead of time for one chip of a v5e 2x2
slice by libtpu with no TPU attached. From the TPU compiler: temp bytes
(``memory_analysis()``), bytes accessed and estimated time (``cost_analysis()``'s
``bytes accessed`` and ``optimal_seconds``). The two-projection gated forms are in
``gated.py --tpu``.

Needs libtpu: ``pip install "jax[tpu]==<the installed jax version>"``.

Usage::

    python benchmarks/cost_tpu.py            # -> docs/_generated/cost_tpu.md
    python benchmarks/cost_tpu.py --quick    # a smoke run (small step, two functions)
"""

from __future__ import annotations

import os

os.environ.setdefault("TPU_ACCELERATOR_TYPE", "v5litepod-4")
os.environ.setdefault("TPU_WORKER_HOSTNAMES", "localhost")
os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import jax.numpy as jnp  # noqa: E402
from common import provenance, shared_cases, write_table  # noqa: E402
from gated import _estimated, _ratio  # noqa: E402
from memory_tpu import TOPOLOGY, tpu_sharding  # noqa: E402
from train_step import block_specs, compile_step  # noqa: E402


def costs(act, size, dtype, sharding) -> tuple[int, float, float]:
  compiled = compile_step(act, block_specs(size, dtype, False, sharding))
  cost = compiled.cost_analysis()
  return (compiled.memory_analysis().temp_size_in_bytes, cost["bytes accessed"],
          cost["optimal_seconds"])


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--only", default="", help="rows whose id contains this (no table)")
  args = parser.parse_args()
  if importlib.util.find_spec("libtpu") is None:
    sys.exit(f'cost_tpu.py needs libtpu: pip install "jax[tpu]=={jax_version()}"')
  sharding = tpu_sharding()
  size = (256, 64, 256, 2) if args.quick else (16384, 1024, 4096, 4)
  cases = [c for c in (shared_cases()[:2] if args.quick else shared_cases())
           if args.only in c.id]
  rows, worst = [], {"temp": [], "bytes": [], "time": []}
  for dtype in (jnp.bfloat16, jnp.float32):
    for case in cases:
      (t0, b0, s0), (t1, b1, s1) = (costs(fn, size, dtype, sharding)
                                    for fn in (case.fn, case.baseline))
      worst["temp"].append(t0 / t1 if t1 else 1.0)
      worst["bytes"].append(b0 / b1)
      if s0 > 0 and s1 > 0:
        worst["time"].append(s0 / s1)
      rows.append([f"`{case.id}`", jnp.dtype(dtype).name, f"{t0 / 2**20:.0f}",
                   f"{t1 / 2**20:.0f}", _ratio(t0, t1), f"{b0 / 2**30:.2f}",
                   f"{b1 / 2**30:.2f}", _ratio(b0, b1), *_estimated(s0, s1)])
      print(" | ".join(rows[-1]), flush=True)
  summary = "; ".join(f"{what} ratio: max {max(r):.3f}, median {statistics.median(r):.3f}"
                      for what, r in worst.items() if r)
  print(summary)
  if args.only:
    return
  tokens, d, f, blocks = size
  command = "python benchmarks/cost_tpu.py" + (" --quick" if args.quick else "")
  preamble = [
      f"TPU v5e ({TOPOLOGY} topology, one chip), compiled ahead of time with libtpu, no TPU "
      f"attached: {blocks} residual MLP blocks `h = h + act(h @ W1) @ W2` (T={tokens}, "
      f"d={d}, f={f}), `jax.jit(jax.value_and_grad(loss))` over the weights. Temp: "
      "`memory_analysis().temp_size_in_bytes`; bytes accessed and estimated time: "
      "`cost_analysis()`'s `bytes accessed` and `optimal_seconds` (n/a where the cost "
      "model's time is negative, as it is for programs with `erf`). Ratios: jaxact / "
      "jax.nn.", "", provenance(command), "", summary]
  header = ["function", "dtype", "jaxact temp MiB", "jax.nn temp MiB", "temp ratio",
            "jaxact GiB accessed", "jax.nn GiB accessed", "bytes ratio", "jaxact est. ms",
            "jax.nn est. ms", "time ratio"]
  out = write_table("cost_tpu", preamble, header, rows,
                    out=pathlib.Path(tempfile.mkdtemp()) / "cost_tpu.md" if args.quick
                    else None)
  print(f"wrote {out}")


def jax_version() -> str:
  import jax

  return jax.__version__


if __name__ == "__main__":
  sys.exit(main())
