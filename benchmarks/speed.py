"""Speed of jaxact against jax.nn: forward, value and gradient, pullback, in one process.

For every function jaxact shares with jax.nn, on 2^22 float32 and bfloat16 elements,
each jitted:

* forward: ``f(x)``;
* value_and_grad: ``jax.value_and_grad(lambda x: jnp.sum(f(x)))``, the usual smoke
  test of a training step (its reduction can dominate a cheap function's time);
* pullback: ``vjp(f, x)[1](ct)`` with a fixed random cotangent, where XLA may drop the
  forward output;
* forward+pullback: ``x, ct -> (f(x), vjp(f, x)[1](ct))``, what a layer in a training
  step needs (the output for the next layer, the pullback for this one), where it never
  can.

jaxact and jax.nn are interleaved A B B A so that drift in the machine's speed hits
both; the median of the repetitions is reported as the ratio jaxact / jax.nn, beside
an A/A ratio (jax.nn against itself) that shows the noise, and the ratio of jax.nn's
time to a pure memory-bound op of the same size (x * 2), the roofline: near 1
memory-bound, far above it compute-bound.

Usage::

    python benchmarks/speed.py                # -> docs/_generated/speed.md
    python benchmarks/speed.py --quick        # a smoke run (CI)
    python benchmarks/speed.py --only gelu    # those rows, printed only
    python benchmarks/speed.py --clock cpu    # CPU time, on a machine others load
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
from common import provenance, shared_cases, write_table


def forward(fn):
  return jax.jit(fn)


def value_and_grad(fn):
  return jax.jit(jax.value_and_grad(lambda x: jnp.sum(fn(x))))


def backward(fn):
  def pullback(x, ct):
    return jax.vjp(fn, x)[1](ct)[0]

  return jax.jit(pullback)


def forward_and_backward(fn):
  def layer(x, ct):
    y, pullback = jax.vjp(fn, x)
    return y, pullback(ct)[0]

  return jax.jit(layer)


KINDS = (("forward", "fwd", forward), ("value_and_grad", "vag", value_and_grad),
         ("pullback", "pull", backward), ("forward+pullback", "fwd+pull", forward_and_backward))


# wall: elapsed time. cpu: the CPU time of this process's threads, which other
# processes' load on a shared machine disturbs far less (it counts each thread's work).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def timed(fn, *args, clock=time.perf_counter) -> float:
  start = clock()
  jax.block_until_ready(fn(*args))
  return clock() - start


def abba(a, b, args, reps: int, clock=time.perf_counter) -> tuple[float, float]:
  """Median times of a and b, interleaved a b b a after a warm-up of each."""
  for f in (a, b, a, b):
    timed(f, *args)
  ta, tb = [], []
  for _ in range(reps):
    ta.append(timed(a, *args, clock=clock))
    tb.append(timed(b, *args, clock=clock))
    tb.append(timed(b, *args, clock=clock))
    ta.append(timed(a, *args, clock=clock))
  return statistics.median(ta), statistics.median(tb)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--reps", type=int, default=15)
  parser.add_argument("--log2n", type=int, default=22)
  parser.add_argument("--only", default="", help="rows whose id contains this (no table)")
  parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
  args = parser.parse_args()
  clock = CLOCKS[args.clock]
  n = 2**(12 if args.quick else args.log2n)
  reps = 2 if args.quick else args.reps
  cases = shared_cases()[:2] if args.quick else shared_cases()
  cases = [case for case in cases if args.only in case.id]
  rng = np.random.default_rng(0)
  rows, ratios = [], {}
  for dtype in (jnp.float32, jnp.bfloat16):
    x = jnp.asarray(rng.normal(scale=3.0, size=n), dtype)
    ct = jnp.asarray(rng.normal(size=n), dtype)
    memory_bound = jax.jit(lambda x: x * 2)
    t_mem = abba(memory_bound, memory_bound, (x,), reps, clock)[0]
    for case in cases:
      ours, theirs = case.fn, case.baseline
      cells = [f"`{case.id}`", jnp.dtype(dtype).name]
      for kind, _, make in KINDS:
        fargs = (x, ct) if kind in ("pullback", "forward+pullback") else (x,)
        t_ours, t_theirs = abba(make(ours), make(theirs), fargs, reps, clock)
        t_a, t_a2 = abba(make(theirs), make(theirs), fargs, reps, clock)
        ratios.setdefault((jnp.dtype(dtype).name, kind), []).append(t_ours / t_theirs)
        cells += [f"{t_ours / t_theirs:.2f}", f"{t_a / t_a2:.2f}"]
        if kind == "forward":
          cells.append(f"{t_theirs / t_mem:.1f}")
        if kind == "forward+pullback":
          cells.append(f"{t_ours * 1e3:.2f}")
      rows.append(cells)
      print(" | ".join(cells), flush=True)
  header = ["function", "dtype"]
  for _, short, _ in KINDS:
    header += [f"{short} ratio", f"{short} A/A"]
    header += ["jax.nn fwd roofline"] if short == "fwd" else []
    header += [f"{short} ms"] if short == "fwd+pull" else []
  summary = "; ".join(f"{dtype} {kind}: median ratio {statistics.median(r):.2f} "
                      f"(max {max(r):.2f})" for (dtype, kind), r in ratios.items())
  if args.only:
    print(summary)
    return
  command = " ".join(["python benchmarks/speed.py", *sys.argv[1:]])
  preamble = [f"Ratio = jaxact time / jax.nn time ({args.clock} clock, median of "
              f"ABBA-interleaved runs, {n} elements); A/A = jax.nn against itself (the "
              "noise); roofline = jax.nn's forward time / time of `x * 2` on the same array; "
              "ms = jaxact's forward+pullback time.", "",
              provenance(command), "", summary]
  out = write_table("speed", preamble, header, rows,
                    out=pathlib.Path(tempfile.mkdtemp()) / "speed.md" if args.quick else None)
  print(summary, f"\nwrote {out}")


if __name__ == "__main__":
  sys.exit(main())
