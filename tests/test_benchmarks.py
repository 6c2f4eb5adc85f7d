"""Every benchmark script runs in its --quick mode (the numbers are checked by running
the full scripts, not by timed tests)."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


# contexts.py is not here: its smallest run takes over a minute, and tests/test_contexts.py
# runs the same audit.
@pytest.mark.parametrize("script", ["numerics.py", "speed.py", "memory.py", "import_time.py",
                                    "train_step.py", "gated.py"])
def test_benchmark_runs_quick(script, tmp_path):
  args = [sys.executable, str(BENCHMARKS / script), "--quick"]
  if script == "numerics.py":
    args += ["--out", str(tmp_path / "numerics.md")]
  done = subprocess.run(args, capture_output=True, text=True, timeout=300,
                        cwd=BENCHMARKS)
  assert done.returncode == 0, done.stderr[-3000:]
  assert "wrote" in done.stdout


@pytest.mark.skipif(importlib.util.find_spec("libtpu") is None,
                    reason="these compile for a TPU with libtpu, which is not installed "
                    '(pip install "jax[tpu]==<the installed jax version>")')
@pytest.mark.parametrize("script", ["memory_tpu.py", "cost_tpu.py"])
def test_tpu_benchmark_runs_quick(script):
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # host-platform flags
  done = subprocess.run([sys.executable, str(BENCHMARKS / script), "--quick"],
                        capture_output=True, text=True, timeout=300, cwd=BENCHMARKS, env=env)
  assert done.returncode == 0, done.stderr[-3000:]
  assert "wrote" in done.stdout
