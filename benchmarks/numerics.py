"""The numerics table: worst ULP error of value and derivative, per activation and dtype,
for jaxact beside jax.nn (and PyTorch, where installed), on the inputs the tests use.

Every finite bfloat16 and float16 input, and the float32 sweep of the tests (log-spaced
magnitudes 1e-38..3e38 of both signs, dense [-20, 20], kinks and neighbours), measured
against the independent float64 references of ``tests/reference.py`` with the
allowances of API.md (see ``tests/accuracy.py``). "non-finite" counts inputs where the
result is inf or NaN but the truth is finite.

Usage::

    python benchmarks/numerics.py                 # full table -> docs/_generated/numerics.md
    python benchmarks/numerics.py --quick         # a smoke run (CI)
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import platform
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from tests import accuracy  # noqa: E402
from tests.cases import ELEMENTWISE  # noqa: E402
from tests.evaluate import value_and_derivative  # noqa: E402

DTYPES = [accuracy.BFLOAT16, accuracy.FLOAT16, accuracy.FLOAT32]


def inputs(case, dtype, quick: bool) -> np.ndarray:
  if dtype in accuracy.HALF_DTYPES:
    x = accuracy.every_finite(dtype)
  else:
    x = accuracy.float32_sweep(case.kinks)
  return x[::37] if quick else x


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


def measure(evaluate, case, x, dtype):
  """(worst value ULP, worst derivative ULP, non-finite count) or None if it fails."""
  try:
    y, dy = evaluate(x)
  except Exception as e:  # noqa: BLE001 - a library that rejects an input is a result too
    return f"error: {type(e).__name__}"
  value = accuracy.measure(y, case.ref, x, dtype, case.kinks)
  derivative = accuracy.measure(dy, case.ref_grad, x, dtype, case.kinks)
  bad = int(np.sum(np.isinf(value) | np.isinf(derivative)))
  return float(np.max(value)), float(np.max(derivative)), bad


def fmt(result) -> str:
  if result is None:
    return "—"
  if isinstance(result, str):
    return result
  value, derivative, bad = result

  def ulps(u):
    return "inf" if not np.isfinite(u) else (f"{u:.2g}" if u < 100 else f"{u:.1e}")

  return f"{ulps(value)} / {ulps(derivative)}" + (f" ({bad} non-finite)" if bad else "")


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
  for case in cases:
    row = [f"`{case.id}`"]
    jaxact_cells, jax_cells, torch_cells = [], [], []
    for dtype in DTYPES:
      x = inputs(case, dtype, args.quick)
      ours = measure(lambda x, f=case.fn: value_and_derivative(f, x), case, x, dtype)
      jaxact_cells.append(fmt(ours))
      if isinstance(ours, tuple):
        v, d = worst_jaxact[dtype]
        worst_jaxact[dtype] = (max(v, ours[0] / accuracy.BOUNDS[dtype][0]),
                               max(d, ours[1] / accuracy.BOUNDS[dtype][1]))
      base = case.baseline
      jax_cells.append(fmt(None if base is None else measure(
          lambda x, base=base: value_and_derivative(base, x), case, x, dtype)))
      if have_torch:
        fn = torch_function(case)
        torch_cells.append(fmt(None if fn is None else measure(fn, case, x, dtype)))
    lines.append("| " + " | ".join(row + jaxact_cells + jax_cells + torch_cells) + " |")
    print(lines[-1], flush=True)

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
    "is finite; — where the library has no such function.",
    "",
    f"Command: `python benchmarks/numerics.py{' --quick' if args.quick else ''}`; "
    f"{versions}; {jax.devices()[0].platform} ({platform.machine()}); "
    f"{datetime.date.today().isoformat()}.",
    "",
  ]
  args.out.parent.mkdir(parents=True, exist_ok=True)
  args.out.write_text("\n".join(preamble + lines) + "\n")
  print(f"\nwrote {args.out}")
  for dtype, (v, d) in worst_jaxact.items():
    print(f"jaxact worst in {dtype.name}: value {v:.2f} x bound, derivative {d:.2f} x bound")


if __name__ == "__main__":
  main()
