"""Import time: ``import jaxact`` over ``import jax``, in fresh interpreters.

Each measurement is a new ``python -c`` process timing its own import with
``time.perf_counter``; the median of ``--reps`` runs is reported, alternating the two
so drift hits both. Also checks that ``import jaxact`` imports no flax.

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

PROBE = ("import time; t = time.perf_counter(); import jax{extra}; "
         "d = time.perf_counter() - t; import sys; "
         "print(d, any(m.split('.')[0] == 'flax' for m in sys.modules))")


def once(extra: str) -> tuple[float, bool]:
  out = subprocess.run([sys.executable, "-c", PROBE.format(extra=extra)], check=True,
                       capture_output=True, text=True).stdout.split()
  return float(out[0]), out[1] == "True"


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--reps", type=int, default=15)
  args = parser.parse_args()
  reps = 2 if args.quick else args.reps
  jax_only, both, flax_seen = [], [], False
  for _ in range(reps):
    jax_only.append(once("")[0])
    seconds, flax = once("; import jaxact")
    both.append(seconds)
    flax_seen |= flax
  a, b = statistics.median(jax_only), statistics.median(both)
  rows = [["`import jax`", f"{a * 1e3:.0f}"], ["`import jax; import jaxact`", f"{b * 1e3:.0f}"],
          ["jaxact's share", f"{(b - a) * 1e3:.0f}"]]
  command = "python benchmarks/import_time.py" + (" --quick" if args.quick else "")
  preamble = [f"Median of {reps} fresh interpreters each. `import jaxact` imports flax: "
              f"{'yes' if flax_seen else 'no'}.", "", provenance(command)]
  out = write_table("import_time", preamble, ["import", "ms"], rows,
                    out=pathlib.Path(tempfile.mkdtemp()) / "x.md" if args.quick else None)
  print(f"import jax {a * 1e3:.0f} ms; + jaxact {(b - a) * 1e3:.0f} ms; flax imported: "
        f"{flax_seen}\nwrote {out}")
  if flax_seen:
    sys.exit("import jaxact imported flax")


if __name__ == "__main__":
  main()
