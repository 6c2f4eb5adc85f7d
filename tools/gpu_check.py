"""Check jaxact on this machine's GPU in one command: the test suite, examples/train.py and
the benchmarks, each under a time limit, with logs and a summary in one folder.

For whoever has a GPU machine (jax with CUDA, flax, optax, pytest, pytest-xdist,
hypothesis, scikit-learn and matplotlib installed; no package registry needed). From
the repository root::

    python tools/gpu_check.py [OUT]     # OUT: $OUT if set, else gpu-check-<time>
    python tools/gpu_check.py OUT --steps train,suite --budget 300
    python tools/gpu_check.py OUT2 --steps speed,memory,numerics,train_step  # a 2nd slot
    python tools/gpu_check.py OUT --steps suite --pytest-args "tests/test_numerics.py -x"

jaxact is imported from the repository (the script puts it on PYTHONPATH). Steps, in
order: ``env`` (versions, devices, missing optional packages), ``train`` (the README's
main job, ``examples/train.py``, on Auto mesh axes), ``train-explicit`` (the same under
Explicit axes, 10 epochs), ``suite`` (pytest with ``-p no:benchmark``, in parallel with
pytest-xdist where installed; test files that cannot be collected, say for want of
mpmath, are left out and listed), ``speed``, ``memory``, ``numerics``, ``train_step``
(``benchmarks/*.py``, where present; the tables they write go to OUT, and the
checkout's own ``docs/_generated`` tables are put back). Each step has its own limit and all of them
share ``--budget`` seconds (default 540, to fit a 10-minute slot; give more where
the machine is yours for longer); a step cut short keeps its log, and pytest is interrupted
(SIGINT) so that it still reports what failed. ``OUT/summary.md`` (and
``summary.json``) is rewritten after every step, so a run stopped from outside still
says what it did. Exit status: 0 when every step that ran passed.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
GENERATED = ROOT / "docs" / "_generated"  # where the benchmarks write their tables
OPTIONAL = ["flax", "optax", "sklearn", "matplotlib", "tqdm", "hypothesis", "xdist", "scipy",
            "mpmath", "ml_dtypes", "nbclient", "nbformat", "ipykernel", "sphinx", "myst_nb",
            "libtpu"]
# (name, command, limit in seconds); {out} is the output folder.
STEPS = {
  "env": ([sys.executable, "-c",
           "import jax, jaxlib; print('jax', jax.__version__, 'jaxlib', jaxlib.__version__); "
           "print('backend', jax.default_backend()); print('devices', jax.devices())"], 120),
  "train": ([sys.executable, "examples/train.py", "--axis-type", "auto", "--out",
             "{out}/train"], 240),
  "train-explicit": ([sys.executable, "examples/train.py", "--axis-type", "explicit",
                      "--epochs", "10", "--out", "{out}/train-explicit"], 180),
  "suite": (None, 420),  # built in suite_command
  "speed": ([sys.executable, "benchmarks/speed.py"], 300),
  "memory": ([sys.executable, "benchmarks/memory.py"], 240),
  "numerics": ([sys.executable, "benchmarks/numerics.py", "--out", "{out}/numerics.md"], 300),
  "train_step": ([sys.executable, "benchmarks/train_step.py"], 300),
}


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("out", nargs="?", type=pathlib.Path, default=None)
  parser.add_argument("--steps", default=",".join(STEPS),
                      help=f"comma-separated, from: {', '.join(STEPS)}")
  parser.add_argument("--budget", type=float, default=540.0,
                      help="seconds for all steps together (default 540)")
  parser.add_argument("--workers", default="8", help="pytest-xdist workers (default 8)")
  parser.add_argument("--pytest-args", default="",
                      help="more pytest arguments for the suite step (say, a test file)")
  args = parser.parse_args(argv)
  out = args.out or pathlib.Path(os.environ.get("OUT") or
                                 f"gpu-check-{datetime.datetime.now():%Y%m%d-%H%M%S}")
  out = out.resolve()
  out.mkdir(parents=True, exist_ok=True)
  env = dict(os.environ)
  env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
  env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"  # several processes share the GPU
  deadline = time.monotonic() + args.budget
  results = []
  for name in args.steps.split(","):
    if name not in STEPS:
      parser.error(f"unknown step {name!r}; choose from {', '.join(STEPS)}")
    command, limit = STEPS[name]
    note = ""
    if name == "suite":
      command, note = suite_command(out, env, args.workers, shlex.split(args.pytest_args))
    if command and name == "train_step" and not (ROOT / "benchmarks/train_step.py").exists():
      command, note = None, "benchmarks/train_step.py is not in this checkout"
    left = deadline - time.monotonic()
    if command is None or left < 30:
      results.append({"step": name, "status": "not run", "seconds": 0.0,
                      "note": note or f"out of time ({left:.0f} s of the budget left)"})
    else:
      command = [part.format(out=out) for part in command]
      results.append(run_step(name, command, min(limit, left), out, env, note))
    write_summary(out, results)
  return 0 if all(r["status"] in ("ok", "not run") for r in results) else 1


def run_step(name, command, limit, out, env, note) -> dict:
  """Runs ``command`` in the repository root with its output in OUT/<name>.log."""
  log = out / f"{name}.log"
  tables = {path: path.read_bytes() for path in GENERATED.glob("*.md")}
  start = time.monotonic()
  with open(log, "w") as handle:
    handle.write(f"$ {' '.join(command)}\n(limit {limit:.0f} s)\n\n")
    handle.flush()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle,
                               stderr=subprocess.STDOUT)
    timed_out = False
    try:
      process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
      timed_out = True
      process.send_signal(signal.SIGINT)  # pytest reports what it has on an interrupt
      try:
        process.wait(timeout=30)
      except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
  seconds = time.monotonic() - start
  text = log.read_text(errors="replace")
  status = "timed out" if timed_out else ("ok" if process.returncode == 0 else
                                          f"failed (exit {process.returncode})")
  result = {"step": name, "status": status, "seconds": round(seconds, 1), "log": log.name,
            "note": note}
  details = {"env": env_details, "suite": suite_details}.get(name, tail_details)
  result.update(details(text, out))
  written = restore(tables, out)
  if written:
    result["tables"] = written
  return result


def restore(tables, out) -> list[str]:
  """Copies the tables a step wrote into OUT and puts back the checkout's own."""
  written = []
  for path in GENERATED.glob("*.md"):
    if tables.get(path) != path.read_bytes():
      shutil.copy(path, out / path.name)
      written.append(path.name)
      if path in tables:
        path.write_bytes(tables[path])
      else:
        path.unlink()
  return sorted(written)


def env_details(text, out) -> dict:
  missing = [m for m in OPTIONAL if importlib.util.find_spec(m) is None]
  smi = shutil.which("nvidia-smi")
  gpu = ""
  if smi:
    done = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total",
                           "--format=csv,noheader"], capture_output=True, text=True)
    gpu = done.stdout.strip()
  backend = re.search(r"^backend (\w+)", text, re.M)
  found = {"missing_packages": missing, "gpu": gpu, "python": sys.version.split()[0],
           "backend": backend.group(1) if backend else "?"}
  if found["backend"] != "gpu":
    found["note"] = f"jax's default backend is {found['backend']}, not gpu"
  return found


def tail_details(text, out) -> dict:
  """The last lines of the log and the accuracy train.py printed."""
  lines = [line for line in text.splitlines() if line.strip()]
  found = {"tail": lines[-6:]}
  accuracy = re.findall(r"^test_accuracy: ([0-9.]+)", text, re.M)
  if accuracy:
    found["test_accuracy"] = float(accuracy[-1])
  return found


def suite_command(out, env, workers, extra):
  """pytest over the files that can be collected here; the others are named."""
  base = [sys.executable, "-m", "pytest", "-p", "no:benchmark"]
  done = subprocess.run([*base, "--collect-only", "-q", *extra], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)
  (out / "suite-collect.log").write_text(done.stdout + done.stderr)
  broken = sorted(set(re.findall(r"ERROR collecting (\S+)", done.stdout)))
  reasons = []
  for path in broken:
    block = done.stdout.split(f"ERROR collecting {path}", 1)[1]
    error = re.search(r"^E\s+(\w*Error: .*)$", block, re.M)
    reasons.append(f"{path} ({error.group(1) if error else 'see suite-collect.log'})")
  (out / "junit.xml").unlink(missing_ok=True)
  command = [*base, "-v", "-rfE", "--durations=25", f"--junitxml={out}/junit.xml",
             *(f"--ignore={path}" for path in broken), *extra]
  if importlib.util.find_spec("xdist") is not None:
    command += ["-n", workers]
  note = ("not collected, left out: " + "; ".join(reasons)) if reasons else ""
  return command, note


def suite_details(text, out) -> dict:
  """Outcomes from junit.xml (pytest writes it on an interrupt too), else from the log."""
  junit = out / "junit.xml"
  if junit.exists():
    import xml.etree.ElementTree as ET

    outcomes = dict.fromkeys(["passed", "failed", "error", "skipped", "xfailed"], 0)
    failed = []
    for case in ET.parse(junit).iter("testcase"):
      test = f"{case.get('classname')}::{case.get('name')}"
      kinds = {child.tag: child for child in case if child.tag in
               ("failure", "error", "skipped")}
      if "failure" in kinds or "error" in kinds:
        child = kinds.get("failure", kinds.get("error"))
        outcomes["failed" if child.tag == "failure" else "error"] += 1
        failed.append((test, child.get("message") or ""))
      elif "skipped" in kinds:
        xfail = kinds["skipped"].get("type") == "pytest.xfail"
        outcomes["xfailed" if xfail else "skipped"] += 1
      else:
        outcomes["passed"] += 1
  else:
    outcomes = {outcome.lower(): len(re.findall(rf"\] {outcome} ", text))
                for outcome in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL")}
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)(?: - (.*))?$", text, re.M)
  missing = [f"{test}: {why[:200]}" for test, why in failed if "ModuleNotFoundError" in why]
  return {"outcomes": outcomes,
          "failed": [f"{test} - {why[:200]}" for test, why in failed
                     if "ModuleNotFoundError" not in why],
          "failed_for_a_missing_package": missing}


def write_summary(out, results) -> None:
  (out / "summary.json").write_text(json.dumps(results, indent=2))
  lines = [f"# jaxact GPU check ({datetime.datetime.now():%Y-%m-%d %H:%M})", "",
           "| step | status | seconds | note |", "|---|---|---|---|"]
  for r in results:
    note = r.get("note", "")
    if "test_accuracy" in r:
      note = f"test_accuracy {r['test_accuracy']:.4f} {note}".strip()
    if "outcomes" in r:
      note = (", ".join(f"{v} {k}" for k, v in r["outcomes"].items() if v) + " " + note).strip()
    lines.append(f"| {r['step']} | {r['status']} | {r['seconds']} | {note} |")
  for r in results:
    for key in ("gpu", "backend", "missing_packages", "failed", "failed_for_a_missing_package",
                "tables", "tail"):
      if r.get(key):
        value = r[key]
        body = "\n".join(f"    {v}" for v in value) if isinstance(value, list) else f"    {value}"
        lines += ["", f"{r['step']} {key.replace('_', ' ')}:", body]
  (out / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
  sys.exit(main())
