"""Training memory: temporary bytes of a compiled training step, jaxact against jax.nn.

A 32-layer MLP (batch 1024, width 512, no normalisation), loss = mean square of the
output; the step is ``jax.jit(jax.grad(loss))``, compiled, and its
``memory_analysis().temp_size_in_bytes`` is read — the bytes XLA keeps alive for the
backward pass, after its own rewrites (which can undo a formulation on paper). The
"floor" is one saved activation per layer (the output, which the next layer's weight
gradient needs anyway): ``layers * batch * width * itemsize``. Reported as saved
tensors per layer = temp bytes / (layers * batch * width * itemsize).

Usage::

    python benchmarks/memory.py            # -> docs/_generated/memory.md
    python benchmarks/memory.py --quick    # a smoke run (CI)
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

import jax
import jax.numpy as jnp
from common import first_rows, provenance, write_table


def temp_bytes(act, layers: int, batch: int, width: int, dtype, policy=None) -> int:
  return compile_step(act, layers, batch, width, dtype, policy).memory_analysis(
      ).temp_size_in_bytes


def compile_step(act, layers: int, batch: int, width: int, dtype, policy=None, *,
                 out_width: int | None = None, sharding=None):
  """The compiled step; ``out_width`` is each weight's output width (``2 * width`` for a
  gated unit that halves it), ``sharding`` the inputs' placement (a device of another
  backend compiles the step for that backend)."""

  def loss(params, x):
    for w in params:
      layer = lambda h, w: act(h @ w)  # noqa: E731
      if policy is not None:
        layer = jax.checkpoint(layer, policy=policy)
      x = layer(x, w)
    return jnp.mean(jnp.square(x.astype(jnp.float32)))

  params = [jax.ShapeDtypeStruct((width, out_width or width), dtype, sharding=sharding)
            for _ in range(layers)]
  x = jax.ShapeDtypeStruct((batch, width), dtype, sharding=sharding)
  return jax.jit(jax.grad(loss)).lower(params, x).compile()


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  args = parser.parse_args()
  layers, batch, width = (4, 64, 32) if args.quick else (32, 1024, 512)
  cases = first_rows()[:2] if args.quick else first_rows()
  policies = {"none": None,
              "dots_saveable": jax.checkpoint_policies.dots_saveable,
              "nothing_saveable": jax.checkpoint_policies.nothing_saveable}
  rows = []
  for dtype in (jnp.float32, jnp.bfloat16):
    unit = layers * batch * width * jnp.dtype(dtype).itemsize
    identity = temp_bytes(lambda h: h, layers, batch, width, dtype) / unit
    for case in cases:
      cells = [f"`{case.id}`", jnp.dtype(dtype).name]
      for policy_name, policy in policies.items():
        if policy_name != "none" and (args.quick or dtype != jnp.float32):
          cells += ["", ""]  # the checkpoint policies are measured in float32
          continue
        ours = temp_bytes(case.fn, layers, batch, width, dtype, policy) / unit
        theirs = "—" if case.baseline is None else (
            f"{temp_bytes(case.baseline, layers, batch, width, dtype, policy) / unit:.2f}")
        cells += [f"{ours:.2f}", theirs]
      rows.append(cells)
      print(" | ".join(cells), f"(identity: {identity:.2f})", flush=True)
  header = ["function", "dtype", "jaxact", "jax.nn", "jaxact dots_saveable",
            "jax.nn dots_saveable", "jaxact nothing_saveable", "jax.nn nothing_saveable"]
  command = "python benchmarks/memory.py" + (" --quick" if args.quick else "")
  preamble = [f"Saved tensors per layer in the compiled training step of a {layers}-layer "
              f"MLP (batch {batch}, width {width}): temp bytes / (layers x batch x width x "
              "itemsize). 1.00 is the floor (the layer output only); columns with a "
              "policy wrap each layer in `jax.checkpoint(policy=...)`.", "",
              provenance(command)]
  out = write_table("memory", preamble, header, rows,
                    out=pathlib.Path(tempfile.mkdtemp()) / "memory.md" if args.quick else None)
  print(f"wrote {out}")


if __name__ == "__main__":
  sys.exit(main())
