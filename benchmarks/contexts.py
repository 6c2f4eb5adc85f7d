"""The context audit in full, for the numerics page (the public checker's contexts,
``jaxact.testing.check_contexts``):

* every elementwise row of the test table (every parameter set, not only each function's
  first row as in the suite), in every compile context, at the hazard points, in
  bfloat16, float16 and float32;
* the exhaustive sweep: every row, value and derivative, on every finite bfloat16 and
  float16 input and 80,000 float32 values, in the two contexts where XLA's rewrites
  differ most from a vector call: fused with a matmul producer and an affine consumer,
  and a 0-d loop body (``lax.map`` of the per-example function), the latter on every
  8th of those inputs by default (``--loop-stride 1`` for all: XLA's CPU backend spends
  about 200 us on a loop iteration, 13 s per row and dtype for every bfloat16 value).

Each result is compared with the plain jitted vector call (at most 4 ULP apart,
subnormal flush aside) and, at the hazard points, wherever it differs from it, with the
float64 reference under the accuracy contract (on the sweep's inputs the vector call's
own accuracy is what tests/test_numerics.py checks). Exits 1 if any cell fails.

Usage::

    python benchmarks/contexts.py            # both -> docs/_generated/contexts.md
    python benchmarks/contexts.py --quick    # a smoke run (a few rows and contexts, every
                                             # 97th input of the sweep)
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.common import provenance, write_table  # noqa: E402
from jaxact import testing  # noqa: E402
from jaxact._src import core  # noqa: E402
from jaxact._src.testing import accuracy, contexts  # noqa: E402
from tests.cases import ELEMENTWISE  # noqa: E402


def sweep_inputs(dtype, kinks) -> np.ndarray:
  if dtype in accuracy.HALF_DTYPES:
    x = testing.every_finite(dtype)
  else:  # log-spaced magnitudes 1e-38..3e38 and a dense [-20, 20]: 80,000 float32 values
    x = testing.float32_sweep(kinks, n_log=20000, n_dense=40001)
  specials = np.array([np.inf, -np.inf, np.nan]).astype(dtype)
  return np.concatenate([x, specials])


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--quick", action="store_true", help="a smoke run")
  parser.add_argument("--out", type=pathlib.Path, default=None)
  parser.add_argument("--only", choices=["hazards", "sweep"], default=None,
                      help="one of the two audits (default: both)")
  parser.add_argument("--loop-stride", type=int, default=8,
                      help="the 0-d loop body sweeps every k-th input (1: all; XLA's CPU "
                      "backend takes about 200 us a loop iteration, 13 s per row and dtype "
                      "for all 65,536 bfloat16 values)")
  args = parser.parse_args(argv)

  rows = ELEMENTWISE[::9] if args.quick else ELEMENTWISE
  by_key = {case.id: case for case in rows}
  fns = {key: case.fn for key, case in by_key.items()}
  kinks = tuple(sorted({k for case in rows for k in case.kinks}))
  table, all_failures = [], []
  heavy = (contexts.layouts, contexts.checkpointed, contexts.flax_remat, contexts.transforms)
  for dtype in accuracy.SWEPT_DTYPES if args.only != "sweep" else ():
    start = time.perf_counter()
    x = testing.hazard_points(dtype, kinks)
    programs = (contexts.jit_0d, contexts.fused) if args.quick else contexts.PROGRAMS
    reports = testing.check_contexts(
        fns, {key: case.reference for key, case in by_key.items()}, dtype, programs=programs,
        points=x, policy=lambda p: (core.pinned_policy("cpu") if p in heavy
                                    else contextlib.nullcontext()))
    failures = [f"{key}: {c}" for key, r in reports.items() for c in r.failures]
    cells = sum(len(r.cells) for r in reports.values())
    table.append([dtype.name, "every context, at the hazard points", f"{x.size:,}",
                  str(cells), "—", "—", str(len(failures))])
    all_failures += failures
    print(f"{dtype.name} every context at the hazard points: {cells} cells, "
          f"{len(failures)} failing ({time.perf_counter() - start:.1f} s)", flush=True)
  for dtype in accuracy.SWEPT_DTYPES if args.only != "hazards" else ():
    x = sweep_inputs(dtype, kinks)
    if args.quick:
      x = x[::97]
    vector = contexts.vector(fns)(x)
    for program in contexts.SWEEP_PROGRAMS:
      start = time.perf_counter()
      if program is contexts.map_0d and args.loop_stride > 1:
        x = x[::args.loop_stride]
        vector = contexts.vector(fns)(x)
      results = program(fns)(x)
      failures, cells = contexts.audit(by_key, dtype, x, results, vector, reference=False)
      worst = 0.0
      beyond = 0
      for (key, _), (y, dy) in results.items():
        vy, vdy = vector[(key, "vector")]
        for got, want in ((y, vy), (dy, vdy)):
          apart = testing.ulps_apart(got, want, dtype)
          worst = max(worst, float(np.max(apart, initial=0.0)))
          beyond += int(np.sum(apart > 4))
      context = sorted({c for _, c in results})[0]
      table.append([dtype.name, context, f"{x.size:,}", str(cells), f"{worst:.3g}",
                    str(beyond), str(len(failures))])
      all_failures += failures
      print(f"{dtype.name} {context}: {cells} cells, worst {worst:.3g} ULP apart, {beyond} "
            f"points beyond 4 ULP, {len(failures)} failing cells "
            f"({time.perf_counter() - start:.1f} s)", flush=True)
  command = " ".join(["python benchmarks/contexts.py", *(argv if argv is not None
                                                           else sys.argv[1:])])
  preamble = [provenance(command), "",
              "Each line: every elementwise row of the test table, value and derivative, in "
              "the compile contexts named, on the inputs counted (the hazard points, or the "
              "exhaustive sweep); the worst distance from the plain jitted vector call in "
              "ULPs, the points beyond 4 ULP, and the (row, context, value or derivative) "
              "cells that fail either check (4 ULP from the vector call, or the accuracy "
              "contract)."]
  out = write_table("contexts", preamble,
                    ["dtype", "context", "inputs", "cells", "worst ULP apart",
                     "points beyond 4 ULP", "failing cells"], table, args.out)
  for line in all_failures[:50]:
    print("FAIL", line)
  print(f"wrote {out}")
  return 1 if all_failures else 0


if __name__ == "__main__":
  sys.exit(main())
