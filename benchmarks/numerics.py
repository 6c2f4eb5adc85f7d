"""The numerics table: worst ULP error of value and derivative, per activation and dtype,
for jaxact beside jax.nn (and PyTorch, where installed), on the inputs the tests use.

Every finite bfloat16 and float16 input, and the float32 sweep of the tests (log-spaced
magnitudes 1e-38..3e38 of both signs, dense [-20, 20], kinks and neighbours), measured
against the independent float64 references of ``jaxact.testing.references`` with the
contract's allowances: jaxact and jax.nn through the public checker
(``jaxact.testing.check``), PyTorch through its ULP measurement (``ulp_errors``).
"non-finite" counts inputs where the result is inf or NaN but the truth is finite.

At a kink the derivative is a convention, not a measurement: the error columns leave the
kink inputs out, and a list under the table names each library's derivative there where
it differs from jaxact's convention (jax.nn's leaky_relu'(0) = 1, say).

Usage::

    python benchmarks/numerics.py                 # full table -> docs/_generated/numerics.md
    python benchmarks/numerics.py --quick         # a smoke run (CI)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import pathlib
import platform
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from jaxact import testing  # noqa: E402
from jaxact._src.testing import accuracy  # noqa: E402
from tests.cases import ELEMENTWISE  # noqa: E402

DTYPES = [accuracy.BFLOAT16, accuracy.FLOAT16, accuracy.FLOAT32]


def inputs(case, dtype, quick: bool) -> np.ndarray:
  if dtype in accuracy.HALF_DTYPES:
    x = testing.every_finite(dtype)
  else:
    x = testing.float32_sweep(case.kinks)
  if not quick:
    return x
  kinks = np.array(case.kinks, np.float64).astype(x.dtype)  # kept, to show conventions
  return np.concatenate([x[::37], kinks])


def torch_function(case):
  """(torch function of x, or None) for the case's PyTorch counterpart."""
  if case.torch is None:
    return None
  try:
    import torch
    import torch.nn.functional as F  # noqa: N812
  except ImportError:
    return None
  params = dict(case.params)
  if case.name == "gelu":
    params = {"approximate": "tanh" if params.get("approximate", True) else "none"}
  fn = getattr(torch, case.torch, None) or getattr(F, case.torch)

  def apply(x: np.ndarray):
    dtype = {accuracy.BFLOAT16: torch.bfloat16, accuracy.FLOAT16: torch.float16,
             accuracy.FLOAT32: torch.float32}[x.dtype]
    t = torch.tensor(x.astype(np.float32), dtype=dtype, requires_grad=True)
    y = fn(t, **params)
    y.backward(torch.ones_like(y))
    return (y.detach().float().numpy().astype(x.dtype),
            t.grad.detach().float().numpy().astype(x.dtype))

  return apply


@dataclasses.dataclass
class Result:
  """Worst value and derivative errors in ULPs (the derivative away from the kinks), the
  count of non-finite results where the truth is finite, and the derivative at each
  kink where it differs from jaxact's convention: {kink: derivative there}."""

  value: float
  derivative: float
  non_finite: int
  conventions: dict[float, float]


def check(fn, case, dtype, quick: bool):
  """A :class:`Result` from the public checker's sweep of a JAX function, or a string
  if the library rejects the input."""
  report = testing.check(fn, case.reference, dtypes=[dtype], quick=quick, contexts=False,
                         transforms=False, residuals=False)
  cells = {(c.check, c.quantity): c for c in report.cells}
  if ("call", "value") in cells:
    return f"error: {cells[('call', 'value')].detail.split(':')[0]}"
  value, derivative = cells[("accuracy", "value")], cells[("accuracy", "derivative")]
  conventions = {}
  if case.kinks:
    kinks = np.array(case.kinks, np.float64).astype(dtype)
    _, dy = testing.value_and_derivative(fn, kinks)
    want = case.ref_grad(kinks.astype(np.float64)).astype(dtype).astype(np.float64)
    for k, got, ref in zip(kinks.astype(np.float64), dy.astype(np.float64), want, strict=True):
      if got != ref:
        conventions[float(k) + 0.0] = float(got)
  return Result(value.max_ulp, derivative.max_ulp, value.non_finite + derivative.non_finite,
                conventions)


def measure(evaluate, case, x, dtype):
  """A :class:`Result` for a non-JAX library (its ULP errors measured by the checker's
  ``ulp_errors``), or a string if the library rejects the input."""
  try:
    y, dy = evaluate(x)
  except Exception as e:  # noqa: BLE001 - a library that rejects an input is a result too
    return f"error: {type(e).__name__}"
  value = testing.ulp_errors(y, case.ref, x, dtype, case.kinks)
  derivative = testing.ulp_errors(dy, case.ref_grad, x, dtype, case.kinks)
  # A kink, or a subnormal input that the backend reads as a kink at 0 (denormals are
  # zero in float32 and bfloat16: jax.nn's leaky_relu'(-1e-40) is its leaky_relu'(0) = 1).
  x64 = np.asarray(x).astype(np.float64)
  flushed = accuracy.flushed_inputs(x, dtype)
  read = x64 if flushed is None else np.where(np.isin(flushed, case.kinks), flushed, x64)
  at_kink = np.isin(read, case.kinks)
  conventions = {}
  for i in np.flatnonzero(at_kink & (derivative > accuracy.BOUNDS[dtype][1])):
    conventions[float(read[i]) + 0.0] = float(np.asarray(dy).astype(np.float64)[i])
  derivative = np.where(at_kink, 0.0, derivative)
  bad = int(np.sum(np.isinf(value) | np.isinf(derivative)))
  return Result(float(np.max(value)), float(np.max(derivative)), bad, conventions)


def fmt(result) -> str:
  if result is None:
    return "—"
  if isinstance(result, str):
    return result

  def ulps(u):
    return "inf" if not np.isfinite(u) else (f"{u:.2g}" if u < 100 else f"{u:.1e}")

  return (f"{ulps(result.value)} / {ulps(result.derivative)}"
          + (f" ({result.non_finite} non-finite)" if result.non_finite else "")
          + (" †" if result.conventions else ""))


def convention_notes(case, library: str, results) -> list[str]:
  """One line per kink where ``library``'s derivative (in any dtype) is not jaxact's."""
  seen: dict[float, set[float]] = {}
  for result in results:
    if isinstance(result, Result):
      for kink, d in result.conventions.items():
        seen.setdefault(kink, set()).add(d)
  if not seen:
    return []
  theirs, ours = [], []
  for kink, values in sorted(seen.items()):
    theirs.append(f"f'({kink:g}) = " + " or ".join(f"{v:.4g}" for v in sorted(values)))
    ours.append(f"{float(case.ref_grad(np.array([kink]))[0]):.4g}")
  return [f"- `{case.id}` in {library}: {' and '.join(theirs)}, where jaxact's convention "
          f"is {' and '.join(ours)}."]


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true", help="a few rows, subsampled inputs")
  parser.add_argument("--out", type=pathlib.Path,
                      default=ROOT / "docs" / "_generated" / "numerics.md")
  args = parser.parse_args()
  cases = ELEMENTWISE[:3] if args.quick else ELEMENTWISE
  have_torch = any(torch_function(c) for c in cases)

  lines = []
  header = ["activation"] + [f"{d.name} jaxact" for d in DTYPES] + [
      f"{d.name} jax.nn" for d in DTYPES]
  if have_torch:
    header += [f"{d.name} torch" for d in DTYPES]
  lines.append("| " + " | ".join(header) + " |")
  lines.append("|" + "---|" * len(header))
  worst_jaxact = {d: (0.0, 0.0) for d in DTYPES}
  notes = []
  for case in cases:
    row = [f"`{case.id}`"]
    results = {"jaxact": [], "jax.nn": [], "PyTorch": []}
    for dtype in DTYPES:
      x = inputs(case, dtype, args.quick)
      ours = check(case.fn, case, dtype, args.quick)
      results["jaxact"].append(ours)
      if isinstance(ours, Result):
        v, d = worst_jaxact[dtype]
        worst_jaxact[dtype] = (max(v, ours.value / accuracy.BOUNDS[dtype][0]),
                               max(d, ours.derivative / accuracy.BOUNDS[dtype][1]))
      base = case.baseline
      results["jax.nn"].append(None if base is None else check(base, case, dtype, args.quick))
      if have_torch:
        fn = torch_function(case)
        results["PyTorch"].append(None if fn is None else measure(fn, case, x, dtype))
    cells = [fmt(r) for lib in results.values() for r in lib]
    lines.append("| " + " | ".join(row + cells) + " |")
    print(lines[-1], flush=True)
    for library, found in results.items():
      notes += convention_notes(case, library, found)

  import jaxlib

  versions = f"jax {jax.__version__}, jaxlib {jaxlib.__version__}"
  if have_torch:
    import torch
    versions += f", torch {torch.__version__}"
  preamble = [
    "<!-- generated by benchmarks/numerics.py; do not edit -->",
    "Worst error in ULPs, value / derivative (bounds: 1 / 2 in bfloat16 and float16, "
    "5 / 8 in float32), over every finite bfloat16 and float16 input and the float32 "
    "sweep; \"non-finite\" counts inputs where the result is inf or NaN but the truth "
    "is finite; — where the library has no such function. The derivative columns leave "
    "out the inputs at a kink, where the derivative is a convention; † marks a library "
    "whose convention there differs from jaxact's, listed under the table.",
    "",
    f"Command: `python benchmarks/numerics.py{' --quick' if args.quick else ''}`; "
    f"{versions}; {jax.devices()[0].platform} ({platform.machine()}); "
    f"{datetime.date.today().isoformat()}.",
    "",
  ]
  args.out.parent.mkdir(parents=True, exist_ok=True)
  conventions = ["", "† Where a library's derivative at a kink differs from jaxact's "
                 "convention (a choice, not an error; not counted above):", "",
                 *notes] if notes else []
  args.out.write_text("\n".join(preamble + lines + conventions) + "\n")
  print(f"\nwrote {args.out}")
  for dtype, (v, d) in worst_jaxact.items():
    print(f"jaxact worst in {dtype.name}: value {v:.2f} x bound, derivative {d:.2f} x bound")


if __name__ == "__main__":
  main()
