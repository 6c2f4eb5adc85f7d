"""The examples run in their quick modes, on 1 and on 8 simulated CPU devices, and show
what they must: an accuracy above a bound, their files written."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytest.importorskip("flax", reason="the examples need the [examples] extra")
pytest.importorskip("sklearn", reason="the examples need the [examples] extra")


def run(script: str, *args: str, devices: int = 1, timeout: int = 240) -> str:
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  if devices > 1:
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
  env["JAX_PLATFORMS"] = "cpu"
  done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env,
                        capture_output=True, text=True, timeout=timeout, cwd=ROOT)
  assert done.returncode == 0, f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
  return done.stdout


@pytest.mark.parametrize(("devices", "axis_type"), [(1, "auto"), (8, "explicit")])
def test_train_quick(tmp_path, devices, axis_type):
  out = run("train.py", "--quick", "--axis-type", axis_type, "--out", str(tmp_path),
            devices=devices)
  last = out.strip().splitlines()[-1]
  assert last.startswith("test_accuracy: ")
  accuracy = float(last.split(": ")[1])
  assert accuracy > 0.85, out
  metrics = json.loads((tmp_path / "metrics.json").read_text())
  assert metrics["test_accuracy"] == pytest.approx(accuracy, abs=1e-4)
  assert len(metrics["devices"]) == devices
  assert metrics["axis_type"] == axis_type
  assert (tmp_path / "curves.png").stat().st_size > 1000


@pytest.mark.parametrize(("activation", "model"), [("prelu", "mlp"), ("selu", "cnn"),
                                                   ("rrelu", "mlp")])
def test_train_quick_with_modules_and_cnn(tmp_path, activation, model):
  out = run("train.py", "--quick", "--no-plot", "--activation", activation, "--model", model,
            "--out", str(tmp_path), devices=2)
  accuracy = float(out.strip().splitlines()[-1].split(": ")[1])
  assert accuracy > 0.7, out


def test_train_a_users_learnable_activation(tmp_path):
  """--activation MODULE:NAME: xIELU from examples/xielu.py, defined through the public
  API, trains as its jaxact.nnx.module (alpha_p and alpha_n learned)."""
  out = run("train.py", "--quick", "--no-plot", "--activation", "xielu:xielu", "--width",
            "64", "--out", str(tmp_path))
  accuracy = float(out.strip().splitlines()[-1].split(": ")[1])
  assert accuracy > 0.7, out
  assert json.loads((tmp_path / "metrics.json").read_text())["activation"] == "xielu:xielu"


def mesh_calls(text: str) -> list[str]:
  """The argument lists of the jax.make_mesh(...) calls in ``text``."""
  calls = []
  for match in re.finditer(r"make_mesh\(", text):
    depth, end = 1, match.end()
    while depth:
      depth += {"(": 1, ")": -1}.get(text[end], 0)
      end += 1
    calls.append(text[match.end():end - 1])
  return calls


def test_every_mesh_states_its_axis_types():
  """jax.make_mesh's default axis type differs between jax releases; no example or doc
  snippet may depend on it."""
  sources = [*EXAMPLES.glob("*.py"), EXAMPLES / "colab_tpu.ipynb",
             *(ROOT / "docs").glob("*.md"), ROOT / "README.md"]
  calls = {path.name: mesh_calls(path.read_text()) for path in sources}
  assert calls["train.py"] and calls["scaling.md"]
  for name, found in calls.items():
    for call in found:
      assert "axis_types=" in call, f"{name}: make_mesh({call}) leaves the axis types out"


def test_train_rejects_unknown_activation(tmp_path):
  done = subprocess.run([sys.executable, str(EXAMPLES / "train.py"), "--activation", "reluu",
                         "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
  assert done.returncode != 0 and "jaxact.get: fn must be" in done.stderr


def test_arena_quick(tmp_path):
  out = run("compare_activations.py", "--quick", "--out", str(tmp_path), devices=1)
  assert "the article's ranking" in out
  report = json.loads((tmp_path / "arena.json").read_text())
  rows = report["results"]["shallow"]
  assert {r["activation"] for r in rows} == {"selu", "sigmoid"}
  assert all(0.0 <= r["mean"] <= 1.0 for r in rows)
  assert (tmp_path / "arena.png").stat().st_size > 1000


def test_tour():
  out = run("tour.py")
  assert "relu" in out and "f' =" in out


def test_colab_notebook_runs_on_8_simulated_devices(tmp_path, monkeypatch):
  nbformat = pytest.importorskip("nbformat", reason="needs nbformat")
  nbclient = pytest.importorskip("nbclient", reason="needs nbclient")
  monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
  monkeypatch.setenv("JAX_PLATFORMS", "cpu")
  notebook = nbformat.read(EXAMPLES / "colab_tpu.ipynb", as_version=4)
  run_dir = tmp_path / "nb"
  run_dir.mkdir()
  for script in ("train.py", "lm.py"):
    (run_dir / script).write_text((EXAMPLES / script).read_text())
  client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                   resources={"metadata": {"path": str(run_dir)}})
  client.execute()
  outputs = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                    for o in c.get("outputs", []))
  assert "devices used: 8" in outputs, outputs[-2000:]
  accuracy = float(outputs.split("test accuracy:")[1].split()[0])
  assert accuracy > 0.9
  # The LM section: its --quick configuration on the 8 devices, learning.
  assert "devices used: 8 | mesh: {'data': 1, 'fsdp': 8}" in outputs, outputs[-2000:]
  bpb, untrained = outputs.split("validation bits per byte:")[1].split()[:3:2]
  assert float(bpb) < 0.7 * float(untrained)
