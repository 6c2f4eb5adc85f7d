"""Training step: time and memory of a transformer MLP step, jaxact against jax.nn.

B residual MLP blocks ``h = h + act(h @ W1) @ W2`` (h of shape (T, d), W1 (d, f),
W2 (f, d)), loss = mean of h**2 in float32; the step is
``jax.jit(jax.value_and_grad(loss))`` over the weights, compiled once. For swiglu W1 is
(d, 2f) and jax.nn's baseline is the composition ``silu(a) * b`` of its two halves.

Reported per function and dtype: the median step time of jaxact and jax.nn, timed
interleaved in one process (ABBA order), and the compiled step's
``memory_analysis().temp_size_in_bytes`` — also as saved (T, f) tensors per block,
temp / (B x T x f x itemsize). Sizes follow the backend the script runs on.

Usage::

    python benchmarks/train_step.py           # -> docs/_generated/train_step_<platform>.md
    python benchmarks/train_step.py --quick   # a smoke run (CI)
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from common import provenance, write_table

import jaxact


class Activation(NamedTuple):
  ours: Callable[[jax.Array], jax.Array]
  theirs: Callable[[jax.Array], jax.Array]
  gated: bool = False  # takes (T, 2f) and returns (T, f)


def _silu_gated(z):
  a, b = jnp.split(z, 2, axis=-1)
  return jax.nn.silu(a) * b


ACTIVATIONS = {
    "gelu(tanh)": Activation(lambda x: jaxact.gelu(x, approximate=True),
                             lambda x: jax.nn.gelu(x, approximate=True)),
    "gelu(erf)": Activation(lambda x: jaxact.gelu(x, approximate=False),
                            lambda x: jax.nn.gelu(x, approximate=False)),
    "silu": Activation(jaxact.silu, jax.nn.silu),
    "relu": Activation(jaxact.relu, jax.nn.relu),
    "sigmoid": Activation(jaxact.sigmoid, jax.nn.sigmoid),
    "tanh": Activation(jaxact.tanh, jnp.tanh),
    "softplus": Activation(jaxact.softplus, jax.nn.softplus),
    "elu": Activation(jaxact.elu, jax.nn.elu),
    "mish": Activation(jaxact.mish, jax.nn.mish),
    "swiglu": Activation(jaxact.swiglu, _silu_gated, gated=True),
}

# (T, d, f, blocks) by platform; f = 4d.
SIZES = {
    "cpu": [(1024, 128, 512, 4)],
    "gpu": [(16384, 1024, 4096, 4), (16384, 4096, 16384, 4)],
    "tpu": [(16384, 1024, 4096, 4), (16384, 4096, 16384, 4)],
}
QUICK_SIZE = (64, 16, 64, 2)


def block_loss(act: Callable[[jax.Array], jax.Array]):
  """``loss(weights, h)`` over residual MLP blocks; weights = [(W1, W2), ...]."""

  def loss(weights, h):
    for w1, w2 in weights:
      h = h + act(h @ w1) @ w2
    return jnp.mean(jnp.square(h.astype(jnp.float32)))

  return loss


def block_specs(size, dtype, gated: bool, sharding=None):
  """Abstract (weights, h) for ``block_loss``."""
  tokens, d, f, blocks = size

  def spec(*shape):
    return jax.ShapeDtypeStruct(shape, dtype, sharding=sharding)

  weights = [(spec(d, 2 * f if gated else f), spec(f, d)) for _ in range(blocks)]
  return weights, spec(tokens, d)


def compile_step(act, specs):
  """The jitted value-and-grad step over the weights, compiled for ``specs``."""
  return jax.jit(jax.value_and_grad(block_loss(act))).lower(*specs).compile()


def saved_tensors(temp_bytes: int, size, dtype) -> float:
  """Temp bytes in (T, f)-sized tensors per block."""
  tokens, _, f, blocks = size
  return temp_bytes / (blocks * tokens * f * jnp.dtype(dtype).itemsize)


def _arrays(specs, key):
  """Concrete inputs for ``specs``: unit-variance h, weights scaled by 1/sqrt(fan-in)."""
  weights, h = specs

  def normal(key, spec, scale):
    return (scale * jax.random.normal(key, spec.shape, jnp.float32)).astype(spec.dtype)

  keys = iter(jax.random.split(key, 2 * len(weights) + 1))
  return ([tuple(normal(next(keys), w, w.shape[0] ** -0.5) for w in pair) for pair in weights],
          normal(next(keys), h, 1.0))


def _seconds(compiled, args) -> float:
  start = time.perf_counter()
  jax.block_until_ready(compiled(*args))
  return time.perf_counter() - start


def measure(activation: Activation, size, dtype, repeats: int) -> dict:
  """Compile both steps, then time them interleaved (ABBA), medians."""
  specs = block_specs(size, dtype, activation.gated)
  args = _arrays(specs, jax.random.key(0))
  compiled = {"ours": compile_step(activation.ours, specs),
              "theirs": compile_step(activation.theirs, specs)}
  for step in compiled.values():
    jax.block_until_ready(step(*args))  # warm-up
  times = {"ours": [], "theirs": []}
  for i in range(repeats):
    order = ("ours", "theirs") if i % 2 == 0 else ("theirs", "ours")
    for who in order:
      times[who].append(_seconds(compiled[who], args))
  result = {}
  for who, step in compiled.items():
    temp = step.memory_analysis().temp_size_in_bytes
    result[who] = {"seconds": statistics.median(times[who]), "temp": temp,
                   "tensors": saved_tensors(temp, size, dtype)}
  return result


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  args = parser.parse_args()
  platform = jax.devices()[0].platform
  sizes = [QUICK_SIZE] if args.quick else SIZES.get(platform, SIZES["cpu"])
  names = ["gelu(tanh)", "swiglu"] if args.quick else list(ACTIVATIONS)
  repeats = 4 if args.quick else 15
  rows, ratios = [], {}
  for dtype in (jnp.bfloat16, jnp.float32):
    for size in sizes:
      for name in names:
        r = measure(ACTIVATIONS[name], size, dtype, repeats)
        ours, theirs = r["ours"], r["theirs"]
        time_ratio = ours["seconds"] / theirs["seconds"]
        memory_ratio = ours["temp"] / theirs["temp"] if theirs["temp"] else float("nan")
        ratios.setdefault((jnp.dtype(dtype).name, size[1]), []).append(time_ratio)
        rows.append([f"`{name}`", jnp.dtype(dtype).name, str(size[1]),
                     f"{ours['seconds'] * 1e3:.2f}", f"{theirs['seconds'] * 1e3:.2f}",
                     f"{time_ratio:.3f}",
                     f"{ours['temp'] / 2**20:.0f}", f"{theirs['temp'] / 2**20:.0f}",
                     f"{ours['tensors']:.2f}", f"{theirs['tensors']:.2f}",
                     f"{memory_ratio:.2f}"])
        print(" | ".join(rows[-1]), flush=True)
  header = ["function", "dtype", "d", "jaxact ms", "jax.nn ms", "time ratio",
            "jaxact temp MiB", "jax.nn temp MiB", "jaxact tensors/block",
            "jax.nn tensors/block", "memory ratio"]
  summary = [f"{dtype}, d={d}: time ratio median {statistics.median(v):.3f}, "
             f"worst {max(v):.3f}." for (dtype, d), v in ratios.items()]
  tokens, _, _, blocks = sizes[0]
  command = "python benchmarks/train_step.py" + (" --quick" if args.quick else "")
  preamble = [
      f"Training step of {blocks} residual MLP blocks `h = h + act(h @ W1) @ W2` "
      f"(T={tokens} tokens, width d, hidden f=4d; swiglu: W1 is d x 2f, jax.nn's baseline "
      "`silu(a) * b`), `jax.jit(jax.value_and_grad(loss))` over the weights, loss = "
      "mean(h**2) in float32. Times: medians of interleaved steps (ABBA); ratio = "
      "jaxact / jax.nn. Temp: the compiled step's `memory_analysis().temp_size_in_bytes`; "
      "tensors/block = temp / (blocks x T x f x itemsize).", "",
      *summary, "", provenance(command)]
  name = f"train_step_{platform}"
  out = write_table(name, preamble, header, rows,
                    out=pathlib.Path(tempfile.mkdtemp()) / f"{name}.md" if args.quick else None)
  # write_table names the script after the table; this table's script is train_step.py
  out.write_text(out.read_text().replace(f"benchmarks/{name}.py", "benchmarks/train_step.py", 1))
  print(f"wrote {out}")


if __name__ == "__main__":
  sys.exit(main())
