"""The activation arena: does "SELU > ELU > LeakyReLU > ReLU > tanh > sigmoid" hold?

The article this project started from ranks activations that way. This script trains
the same model with each activation over several seeds and ranks them by mean test
accuracy, in two settings:

* shallow (default): a 2x128 MLP on scikit-learn's digits;
* deep (``--deep``): a 24-layer, 64-wide MLP without normalisation, LeCun-normal
  initialisation (flax's default, the one SELU's self-normalisation assumes,
  Klambauer et al. 2017), where signal propagation decides who trains at all.

It prints a ranked table (mean and spread of test accuracy, median time per step),
says whether the article's ranking held, and writes ``arena.json`` and ``arena.png``
into ``--out``. ``--quick`` is a smoke run for CI.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import train  # noqa: E402

ARTICLE = ["selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid"]
# xielu:xielu: an activation defined outside the zoo (examples/xielu.py), learned.
OTHERS = ["gelu", "silu", "mish", "prelu", "squareplus", "star_relu", "xielu:xielu"]
SETTINGS = {
  "shallow": {"depth": 2, "width": 128, "epochs": 15, "lr": 3e-3},
  "deep": {"depth": 24, "width": 64, "epochs": 15, "lr": 1e-3},
}


def train_once(activation: str, seed: int, setting: dict, out: pathlib.Path) -> dict:
  argv = ["--activation", activation, "--seed", str(seed), "--no-plot",
          "--out", str(out / f"{activation}-{seed}")]
  for key, value in setting.items():
    argv += [f"--{key.replace('_', '-')}", str(value)]
  with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    return train.run(train.parse_args(argv))


def arena(name: str, setting: dict, activations, seeds: int, out: pathlib.Path) -> list[dict]:
  rows = []
  for activation in activations:
    runs = [train_once(activation, seed, setting, out / name) for seed in range(seeds)]
    accs = [r["test_accuracy"] for r in runs]
    rows.append({"activation": activation, "mean": statistics.mean(accs),
                 "std": statistics.pstdev(accs), "min": min(accs), "max": max(accs),
                 "step_ms": statistics.median(r["step_ms"] for r in runs if r["step_ms"]),
                 "accuracies": accs})
    print(f"  {name:8s} {activation:12s} mean {rows[-1]['mean']:.4f}", file=sys.stderr,
          flush=True)
  rows.sort(key=lambda r: -r["mean"])
  return rows


def verdict(rows: list[dict]) -> str:
  """Whether the article's order holds among its six, with ties within the spread."""
  by_name = {r["activation"]: r for r in rows}
  present = [a for a in ARTICLE if a in by_name]
  measured = sorted(present, key=lambda a: -by_name[a]["mean"])
  if measured == present:
    return "held: " + " > ".join(measured)
  broken = [f"{a} < {b}" for a, b in zip(present[:-1], present[1:], strict=True)
            if by_name[a]["mean"] < by_name[b]["mean"]]
  return ("did not hold (measured: " + " > ".join(measured) + "; against the article: "
          + ", ".join(broken) + ")")


def table(name: str, rows: list[dict]) -> str:
  lines = [f"{name}: {len(rows[0]['accuracies'])} seed(s)",
           f"{'rank':>4}  {'activation':12s} {'mean':>7} {'± std':>7} {'min':>7} "
           f"{'max':>7} {'ms/step':>8}"]
  for i, r in enumerate(rows, 1):
    marker = "*" if r["activation"] in ARTICLE else " "
    lines.append(f"{i:>4}{marker} {r['activation']:12s} {r['mean']:7.4f} {r['std']:7.4f} "
                 f"{r['min']:7.4f} {r['max']:7.4f} {r['step_ms']:8.2f}")
  lines.append(f"      (* in the article's ranking) the article's ranking {verdict(rows)}")
  return "\n".join(lines)


def plot(results: dict, path: pathlib.Path) -> None:
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4), squeeze=False)
  for ax, (name, rows) in zip(axes[0], results.items(), strict=True):
    names = [r["activation"] for r in rows]
    ax.barh(names, [r["mean"] for r in rows], xerr=[r["std"] for r in rows],
            color=["tab:orange" if n in ARTICLE else "tab:blue" for n in names])
    ax.invert_yaxis()
    ax.set(xlabel="test accuracy", title=f"{name} (orange: the article's six)",
           xlim=(max(0.0, min(r["min"] for r in rows) - 0.05), 1.0))
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def main(argv=None) -> dict:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--deep", action="store_true", help="add the deep setting")
  parser.add_argument("--seeds", type=int, default=3)
  parser.add_argument("--quick", action="store_true", help="a smoke run: 2 activations")
  parser.add_argument("--out", type=pathlib.Path, default=None)
  args = parser.parse_args(argv)
  out = args.out or train.ROOT / "runs" / f"arena-{datetime.datetime.now():%Y%m%d-%H%M%S}"
  out.mkdir(parents=True, exist_ok=True)
  activations = ARTICLE + OTHERS
  settings = dict(SETTINGS)
  seeds = args.seeds
  if args.quick:
    activations, seeds = ["selu", "sigmoid"], 1
    settings = {k: {**v, "epochs": 2} for k, v in settings.items()}
  chosen = ["shallow"] + (["deep"] if args.deep else [])
  results = {name: arena(name, settings[name], activations, seeds, out) for name in chosen}
  for name, rows in results.items():
    print(table(name, rows), end="\n\n")
  (out / "arena.json").write_text(json.dumps(
      {"settings": {n: settings[n] for n in chosen}, "results": results,
       "verdict": {n: verdict(r) for n, r in results.items()}}, indent=2))
  plot(results, out / "arena.png")
  print(f"wrote {out}/arena.json and arena.png")
  return results


if __name__ == "__main__":
  main()
