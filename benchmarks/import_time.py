"""Import time: what ``import jaxact`` adds to ``import jax``, in fresh interpreters.

Each measurement is a new ``python -c`` process that times ``import jax`` and then
``import jaxact`` with ``time.perf_counter``; the medians of ``--reps`` runs are
reported. Also checks that ``import jaxact`` imports no flax.

Usage::

    python benchmarks/import_time.py          # -> docs/_generated/import_time.md
    python benchmarks/import_time.py --quick  # a smoke run (CI)
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile

from common import provenance, write_table

PROBE = ("import time, sys; t0 = time.perf_counter(); import jax; "
         "t1 = time.perf_counter(); import jaxact; t2 = time.perf_counter(); "
         "print(t1 - t0, t2 - t1, any(m.split('.')[0] == 'flax' for m in sys.modules))")


def once() -> tuple[float, float, bool]:
  """(seconds for import jax, seconds for import jaxact after it, flax imported)."""
  out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True,
                       text=True).stdout.split()
  return float(out[0]), float(out[1]), out[2] == "True"


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--reps", type=int, default=15)
  args = parser.parse_args()
  reps = 2 if args.quick else args.reps
  jax_times, jaxact_times, flax_seen = [], [], False
  for _ in range(reps):
    a, b, flax = once()
    jax_times.append(a)
    jaxact_times.append(b)
    flax_seen |= flax
  a, b = statistics.median(jax_times), statistics.median(jaxact_times)
  rows = [["`import jax`", f"{a * 1e3:.0f}"], ["`import jaxact`, after jax", f"{b * 1e3:.0f}"]]
  command = "python benchmarks/import_time.py" + (" --quick" if args.quick else "")
  preamble = [f"Median of {reps} fresh interpreters each. `import jaxact` imports flax: "
              f"{'yes' if flax_seen else 'no'}.", "", provenance(command)]
  out = write_table("import_time", preamble, ["import", "ms"], rows,
                    out=pathlib.Path(tempfile.mkdtemp()) / "x.md" if args.quick else None)
  print(f"import jax {a * 1e3:.0f} ms; + jaxact {b * 1e3:.0f} ms; flax imported: "
        f"{flax_seen}\nwrote {out}")
  if flax_seen:
    sys.exit("import jaxact imported flax")


if __name__ == "__main__":
  main()
