"""examples/lm.py, the transformer language model: its tiny configuration (``--quick``)
learns on 1 device, on 4 simulated devices and on 2 processes x 2 devices (the losses of
the last two agree), a killed run resumes from its checkpoint to the same loss, and the
model gives jax.nn's results with jaxact's functions."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pathlib
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LM = ROOT / "examples" / "lm.py"
TIMEOUT = 240  # seconds, for any one process

pytest.importorskip("flax", reason="the examples need the [examples] extra")
pytest.importorskip("optax", reason="the examples need the [examples] extra")
pytest.importorskip("orbax.checkpoint", reason="lm.py checkpoints with orbax")


def env(devices: int, cache: pathlib.Path | None = None) -> dict[str, str]:
  env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
  if cache is not None:  # runs of the same programs compile them once
    env["JAX_COMPILATION_CACHE_DIR"] = str(cache)
  if devices > 1:
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
  env["JAX_PLATFORMS"] = "cpu"
  env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
  return env


def start(out: pathlib.Path, *args: str, devices: int = 1,
          cache: pathlib.Path | None = None) -> subprocess.Popen:
  return subprocess.Popen([sys.executable, str(LM), "--quick", "--out", str(out), *args],
                          env=env(devices, cache), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen, timeout: float = TIMEOUT) -> str:
  try:
    stdout, _ = process.communicate(timeout=timeout)
  except subprocess.TimeoutExpired:
    process.kill()
    stdout, _ = process.communicate()
  assert process.returncode == 0, f"lm.py failed:\n{stdout[-5000:]}"
  return stdout


def metrics(out: pathlib.Path) -> dict:
  return json.loads((out / "metrics.json").read_text())


def assert_learns(m: dict) -> None:
  """The target: validation bits per byte fall by >= 30% from the untrained model's."""
  assert m["val_bpb"] <= 0.7 * m["initial_val_bpb"], (m["initial_val_bpb"], m["val_bpb"])


def free_port() -> int:
  with contextlib.closing(socket.socket()) as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def test_quick_learns_and_a_killed_run_resumes_to_the_same_loss(tmp_path):
  cache = tmp_path / "jax_cache"
  killed = start(tmp_path / "killed", "--no-plot", cache=cache)
  lines = queue.Queue()
  reader = threading.Thread(target=lambda: [lines.put(line) for line in killed.stdout],
                            daemon=True)
  reader.start()
  deadline = time.monotonic() + TIMEOUT
  with contextlib.suppress(queue.Empty):  # the first checkpoint written (step 20 of 60)
    while not lines.get(timeout=max(deadline - time.monotonic(), 0)).startswith(
        "checkpoint: step"):
      pass
  whole = start(tmp_path / "whole", cache=cache)  # the uninterrupted run, from the cache
  killed.send_signal(signal.SIGKILL)
  killed.wait(timeout=TIMEOUT)
  reader.join(timeout=TIMEOUT)  # the pipe's end
  killed.stdout.close()
  assert killed.returncode == -signal.SIGKILL
  assert not (tmp_path / "killed" / "metrics.json").exists(), "killed after it finished"
  resumed = finish(start(tmp_path / "killed", "--no-plot", "--resume", cache=cache))
  finish(whole)

  assert "resumed from step" in resumed, resumed
  first, last = metrics(tmp_path / "whole"), metrics(tmp_path / "killed")
  assert_learns(first)
  assert last["resumed_from"] in (20, 40)
  # The same program on the same data from the same state: the same numbers.
  assert last["val_loss"] == pytest.approx(first["val_loss"], rel=1e-6)
  assert last["history"]["val_loss"] == pytest.approx(first["history"]["val_loss"], rel=1e-6)
  assert first["devices"] == 1 and first["processes"] == 1
  assert (tmp_path / "whole" / "curves.png").stat().st_size > 1000
  assert (tmp_path / "whole" / "ckpt").is_dir()


def test_quick_on_2_processes_matches_1_process_on_4_devices(tmp_path):
  """2 local processes x 2 CPU devices (jax.distributed, gloo) against 1 x 4: the same
  mesh, the same global batches, the same losses."""
  flags = ("--no-plot", "--ckpt-every", "0")
  port = free_port()
  one = start(tmp_path / "one", *flags, devices=4)
  two = [start(tmp_path / "two", *flags, "--coordinator", f"127.0.0.1:{port}",
               "--num-processes", "2", "--process-id", str(i), devices=2) for i in range(2)]
  outputs = [finish(p) for p in two]
  finish(one)

  single, multi = metrics(tmp_path / "one"), metrics(tmp_path / "two")
  assert (single["devices"], single["processes"]) == (4, 1)
  assert (multi["devices"], multi["processes"]) == (4, 2)
  assert single["mesh"] == multi["mesh"] == {"data": 1, "fsdp": 4}
  assert_learns(single)
  assert_learns(multi)
  assert multi["history"]["losses"] == pytest.approx(single["history"]["losses"], rel=1e-5)
  assert multi["history"]["val_loss"] == pytest.approx(single["history"]["val_loss"], rel=1e-5)
  # Both processes report the one global loss.
  finals = [next(line for line in out.splitlines() if line.startswith("val_loss:")).split()[1]
            for out in outputs]
  assert finals[0] == finals[1], finals


# ---------------------------------------------------------- the model, in process


@pytest.fixture(scope="module")
def lm():
  spec = importlib.util.spec_from_file_location("lm_example", LM)
  module = importlib.util.module_from_spec(spec)
  sys.modules[spec.name] = module  # dataclasses look their module up
  spec.loader.exec_module(module)
  return module


def _loss_and_grads(lm, cfg, batch):
  import jax
  from flax import nnx

  model = lm.LM(cfg, rngs=nnx.Rngs(0))
  loss, grads = nnx.jit(nnx.value_and_grad(lm.loss_fn))(model, batch)
  return loss, jax.tree.leaves(nnx.state(grads))


def test_jaxact_and_jax_nn_give_the_same_model(lm):
  """Same weights, same batch: jaxact's swiglu (under remat) and jax.nn's silu-gated MLP
  give the same loss and gradients. Unscanned blocks, here: the runs above scan them."""
  import numpy as np

  batch = np.random.default_rng(0).integers(0, 256, (2, 17)).astype(np.int32)
  base = dict(mlp="gated", d_model=32, layers=2, heads=2, seq=16, scan=False)
  want, want_grads = _loss_and_grads(lm, lm.Config(activation="jax.nn.swiglu", **base), batch)
  got, got_grads = _loss_and_grads(lm, lm.Config(activation="swiglu", remat=True, **base),
                                   batch)
  assert abs(float(want) - np.log(256)) < 0.1  # untrained: about uniform over the bytes
  np.testing.assert_allclose(got, want, rtol=1e-6)
  for g, w in zip(got_grads, want_grads, strict=True):
    np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)


def test_activation_names(lm):
  assert lm.resolve("swiglu", "plain") == ("", "silu", "gated")
  assert lm.resolve("jax.nn.gelu", "plain") == ("jax.nn", "gelu", "plain")
  with pytest.raises(SystemExit, match="elementwise"):
    lm.resolve("maxout", "plain")
  with pytest.raises(ValueError, match="jaxact.get"):
    lm.resolve("swiglo", "gated")


def test_batches_are_a_function_of_the_step(lm):
  import numpy as np

  a = lm.train_starts(10_000, 8, 64, seed=0, step=5)
  np.testing.assert_array_equal(a, lm.train_starts(10_000, 8, 64, seed=0, step=5))
  assert not np.array_equal(a, lm.train_starts(10_000, 8, 64, seed=0, step=6))
