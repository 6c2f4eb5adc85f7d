"""Train a byte-level transformer language model with any jaxact activation, on every device.

A decoder-only transformer written the way people write them now, in flax nnx: pre-norm
blocks (RMSNorm), rotary positions, causal attention, and a gated MLP from two
projections, ``act(x @ W_gate) * (x @ W_up) @ W_down`` (``--mlp gated``, the default) or
a plain one, ``act(x @ W_up) @ W_down`` (``--mlp plain``). ``--activation`` takes any
elementwise name of ``jaxact.available()`` (``swiglu``, ``geglu`` and ``reglu`` name the
gated MLP with silu, gelu and relu) or ``jax.nn.NAME``, the same model with jax.nn's
function, for comparison. Compute runs in ``--dtype`` (bfloat16 on accelerators by
default) over float32 master weights; ``--remat`` rematerialises each block
(``nnx.remat``) and the blocks are one scanned layer (``nnx.scan``; ``--no-scan``
unrolls them). AdamW with linear warmup and cosine decay.

The data ship with every Python: byte-level text from the installed standard library's
``.py`` files (tests left out), split into train and validation by file, so nothing is
downloaded. The reported figures therefore depend on the Python version a little.

Many devices, many hosts, one script: the batch is sharded over a mesh of all devices
(``jax.devices()``, axes ``("data", "fsdp")``, both Auto, stated) and the parameters and
optimizer state FSDP-style over ``"fsdp"`` (``--fsdp``, all devices by default; 1 gives
plain data parallelism with replicated parameters). Several processes go through
``jax.distributed``: ``--coordinator HOST:PORT --num-processes N --process-id I`` (or the
environment variables ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES``,
``JAX_PROCESS_ID``), or ``--distributed`` to let jax find them (Cloud TPU pods, SLURM,
Open MPI). Every process builds the same global batch from the step number and loads
only the rows its devices hold, so a run's losses do not depend on how its devices are
spread over processes.

Usage::

    python examples/lm.py                       # swiglu, 4 blocks, d=128: ~2.4 val bits/byte
    python examples/lm.py --activation jax.nn.silu  # the same model with jax.nn's silu
    python examples/lm.py --activation gelu --mlp plain --remat --dtype bfloat16
    python examples/lm.py --quick               # a tiny configuration, for smoke tests
    python examples/lm.py --resume --out runs/lm  # continue from the last checkpoint there

Checkpoints (orbax) go to ``--out``/ckpt every ``--ckpt-every`` steps; ``--resume`` picks
up from the latest, and a resumed run reaches the same losses as an uninterrupted one
(the data are a function of the step). It writes ``metrics.json`` and ``curves.png`` into
``--out`` and prints ``val_bpb: X.XXXX (untrained Y.YYYY)`` last.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import math
import os
import pathlib
import sys
import sysconfig
import time
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxact

ROOT = pathlib.Path(__file__).resolve().parents[1]
VOCAB = 256  # bytes
GATED = {"swiglu": "silu", "geglu": "gelu", "reglu": "relu"}


# --------------------------------------------------------------------------- data


def corpus(quick: bool = False) -> tuple[np.ndarray, np.ndarray]:
  """(train, validation) bytes of the standard library's .py files, split by file.

  A file goes to validation when the CRC-32 of its path (relative to the standard
  library) is 0 mod 10. ``quick`` keeps the first 1 MiB and 128 KiB of them.
  """
  stdlib = pathlib.Path(sysconfig.get_paths()["stdlib"])
  skip = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}
  files = []
  for folder, subfolders, names in os.walk(stdlib):
    subfolders[:] = sorted(d for d in subfolders if d not in skip)
    files += [pathlib.Path(folder, n) for n in sorted(names) if n.endswith(".py")]
  parts: dict[bool, list[bytes]] = {False: [], True: []}
  limits = {False: 1 << 20, True: 1 << 17} if quick else {False: math.inf, True: math.inf}
  sizes = {False: 0, True: 0}
  for path in sorted(files, key=lambda p: p.relative_to(stdlib).as_posix()):
    val = zlib.crc32(path.relative_to(stdlib).as_posix().encode()) % 10 == 0
    if sizes[val] < limits[val]:
      parts[val].append(path.read_bytes())
      sizes[val] += len(parts[val][-1])
  train, val = (np.frombuffer(b"".join(parts[v]), np.uint8) for v in (False, True))
  if len(val) == 0 or len(train) == 0:
    raise SystemExit(f"lm.py: no Python sources found under {stdlib}")
  return train, val


def train_starts(n: int, batch: int, seq: int, seed: int, step: int) -> np.ndarray:
  """The offsets of step ``step``'s windows: a function of (seed, step) alone."""
  return np.random.default_rng([seed, step]).integers(0, n - seq - 1, batch)


def global_batch(data: np.ndarray, starts: np.ndarray, seq: int, sharding) -> jax.Array:
  """The (batch, seq + 1) windows at ``starts`` as one global array: each process reads
  only the rows its devices hold."""
  def rows(index):
    picked = np.arange(len(starts))[index[0]]
    return np.stack([data[s:s + seq + 1] for s in starts[picked]]).astype(np.int32)

  return jax.make_array_from_callback((len(starts), seq + 1), sharding, rows)


# -------------------------------------------------------------------------- model


@dataclasses.dataclass(frozen=True)
class Config:
  activation: str = "swiglu"
  mlp: str = "gated"
  d_model: int = 128
  layers: int = 4
  heads: int = 4
  ff: int = 0  # 0: 4 d_model (plain), 8/3 d_model rounded up to 32 (gated)
  seq: int = 128
  dtype: str = "float32"
  remat: bool = False
  scan: bool = True

  @property
  def hidden(self) -> int:
    if self.ff:
      return self.ff
    return 4 * self.d_model if self.mlp == "plain" else -(-8 * self.d_model // 96) * 32


def resolve(name: str, mlp: str) -> tuple[str, str, str]:
  """(library, elementwise activation name, MLP kind) for ``--activation NAME``.

  ``swiglu``, ``geglu`` and ``reglu`` name the gated MLP with silu, gelu and relu;
  ``jax.nn.NAME`` is jax.nn's function in the same model.
  """
  library, base, mlp = parts(name, mlp)
  if library not in ("", "jax.nn"):
    raise SystemExit(f"lm.py: --activation takes a jaxact name or jax.nn.NAME; got {name!r}")
  if library:
    if not callable(getattr(jax.nn, base, None)):
      raise SystemExit(f"lm.py: jax.nn has no function {base!r}")
  else:
    jaxact.get(base)  # an unknown name raises the house error listing the closest names
  try:
    jax.eval_shape(activation(library, base), jax.ShapeDtypeStruct((2, 8), jnp.float32))
  except (TypeError, ValueError) as e:
    raise SystemExit(f"lm.py: --activation {name} is not an elementwise function of one "
                     f"argument ({e}); see examples/train.py for the learnable ones") from None
  return library, base, mlp


def parts(name: str, mlp: str) -> tuple[str, str, str]:
  """``resolve`` without its checks: what the model reads at trace time."""
  library, _, base = name.rpartition(".")
  if base in GATED:
    base, mlp = GATED[base], "gated"
  return library, base, mlp


def activation(library: str, name: str):
  return getattr(jax.nn, name) if library else jaxact.get(name)


def gated(name: str, gate: jax.Array, up: jax.Array) -> jax.Array:
  """``activation(gate) * up`` for the jaxact activation ``name``: the gated MLP's product,
  through ``jaxact.gated`` (the two-projection form: no concatenation, and on
  accelerators only ``gate`` and ``up`` are kept for the backward pass)."""
  return jaxact.gated(name, gate, up)


def rotary(x: jax.Array) -> jax.Array:
  """Rotary positions on (batch, seq, heads, head_dim), computed in float32."""
  seq, dim = x.shape[1], x.shape[-1]
  inverse = 1.0 / (10000.0 ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
  angle = np.arange(seq, dtype=np.float32)[:, None] * inverse[None, :]
  sin, cos = (jnp.asarray(f(angle))[None, :, None, :] for f in (np.sin, np.cos))
  a, b = jnp.split(x.astype(jnp.float32), 2, axis=-1)
  return jnp.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1).astype(x.dtype)


class Block(nnx.Module):
  """Pre-norm: x + attention(norm(x)), then x + mlp(norm(x))."""

  def __init__(self, cfg: Config, *, rngs: nnx.Rngs):
    d, f, dtype = cfg.d_model, cfg.hidden, jnp.dtype(cfg.dtype)
    dense = functools.partial(nnx.Linear, use_bias=False, dtype=dtype,
                              param_dtype=jnp.float32, rngs=rngs,
                              kernel_init=nnx.initializers.normal(0.02))
    out = functools.partial(dense, kernel_init=nnx.initializers.normal(
        0.02 / math.sqrt(2 * cfg.layers)))
    norm = functools.partial(nnx.RMSNorm, dtype=dtype, param_dtype=jnp.float32, rngs=rngs)
    self.cfg = cfg
    self.attention_norm, self.mlp_norm = norm(d), norm(d)
    self.qkv, self.proj = dense(d, 3 * d), out(d, d)
    self.up, self.down = dense(d, f), out(f, d)
    self.gate = dense(d, f) if cfg.mlp == "gated" else None

  def attention(self, x):
    batch, seq, d = x.shape
    q, k, v = jnp.split(self.qkv(x).reshape(batch, seq, 3 * self.cfg.heads, -1), 3, axis=2)
    out = jax.nn.dot_product_attention(rotary(q), rotary(k), v, is_causal=True)
    return self.proj(out.reshape(batch, seq, d))

  def mlp(self, x):
    library, name, _ = parts(self.cfg.activation, self.cfg.mlp)
    if self.gate is None:
      return self.down(activation(library, name)(self.up(x)))
    if library:  # the jax.nn baseline, composed as everyone writes it
      return self.down(activation(library, name)(self.gate(x)) * self.up(x))
    return self.down(gated(name, self.gate(x), self.up(x)))

  def __call__(self, x):
    x = x + self.attention(self.attention_norm(x))
    return x + self.mlp(self.mlp_norm(x))


class LM(nnx.Module):
  """Byte embedding (tied with the output layer), the blocks, a final RMSNorm."""

  def __init__(self, cfg: Config, *, rngs: nnx.Rngs):
    self.cfg = cfg
    self.embed = nnx.Param(nnx.initializers.normal(0.02)(rngs.params(),
                                                         (VOCAB, cfg.d_model)))
    if cfg.scan:
      @nnx.split_rngs(splits=cfg.layers)
      @nnx.vmap(in_axes=(0,), out_axes=0)
      def blocks(rngs):
        return Block(cfg, rngs=rngs)

      self.blocks = blocks(rngs)
    else:
      self.blocks = nnx.List([Block(cfg, rngs=rngs) for _ in range(cfg.layers)])
    self.norm = nnx.RMSNorm(cfg.d_model, dtype=jnp.dtype(cfg.dtype),
                            param_dtype=jnp.float32, rngs=rngs)

  def __call__(self, tokens):
    dtype = jnp.dtype(self.cfg.dtype)
    embed = self.embed[...].astype(dtype)
    # A one-hot product, not a gather: no integer-indexed gather on a sharded batch.
    x = jax.nn.one_hot(tokens, VOCAB, dtype=dtype) @ embed

    def apply(block, x):
      return block(x)

    if self.cfg.remat:
      apply = nnx.remat(apply)
    if self.cfg.scan:
      x = nnx.scan(lambda x, block: apply(block, x), in_axes=(nnx.Carry, 0),
                   out_axes=nnx.Carry)(x, self.blocks)
    else:
      for block in self.blocks:
        x = apply(block, x)
    return (self.norm(x) @ embed.T).astype(jnp.float32)


def loss_fn(model: LM, batch: jax.Array) -> jax.Array:
  """Mean next-byte cross-entropy in nats (one-hot targets: no label gather)."""
  logits = model(batch[:, :-1])
  targets = jax.nn.one_hot(batch[:, 1:], VOCAB, dtype=jnp.float32)
  return optax.softmax_cross_entropy(logits, targets).mean()


# ----------------------------------------------------------------------- sharding


def fsdp_mesh(devices, fsdp: int | None = None) -> jax.sharding.Mesh:
  """A ("data", "fsdp") mesh over ``devices``, both axes Auto (stated, not defaulted)."""
  fsdp = len(devices) if fsdp is None else fsdp
  if fsdp < 1 or len(devices) % fsdp:
    raise SystemExit(f"lm.py: --fsdp must divide the device count {len(devices)}; got {fsdp}")
  return jax.make_mesh((len(devices) // fsdp, fsdp), ("data", "fsdp"),
                       axis_types=(AxisType.Auto, AxisType.Auto), devices=devices)


def fsdp_spec(path, shape, mesh) -> P:
  """Shard a weight's largest axis that ``"fsdp"`` divides (never the scanned layer axis);
  vectors and scalars stay replicated."""
  size = mesh.shape["fsdp"]
  first = 1 if any(getattr(k, "key", None) == "blocks" for k in path) else 0
  axes = [i for i in range(first, len(shape)) if shape[i] % size == 0]
  if size == 1 or len(shape) - first < 2 or not axes:
    return P()
  best = max(axes, key=lambda i: shape[i])
  return P(*[("fsdp" if i == best else None) for i in range(len(shape))])


@dataclasses.dataclass
class Trainer:
  """The model's graph, its state's shardings and the jitted steps."""
  graphdef: object
  abstract: object  # ShapeDtypeStructs with their shardings
  init: object
  train_step: object
  eval_step: object
  batch_sharding: NamedSharding


def optimizer(lr: float, warmup: int, steps: int) -> optax.GradientTransformation:
  warmup = max(min(warmup, steps // 2), 1)
  schedule = optax.warmup_cosine_decay_schedule(0.0, lr, warmup, max(steps, warmup + 1),
                                                end_value=lr / 10)
  decay = functools.partial(jax.tree.map, lambda p: p.ndim >= 2)
  return optax.chain(optax.clip_by_global_norm(1.0),
                     optax.adamw(schedule, b2=0.95, weight_decay=0.1, mask=decay))


def build(cfg: Config, mesh, tx: optax.GradientTransformation, seed: int = 0) -> Trainer:
  def make():
    model = LM(cfg, rngs=nnx.Rngs(seed))
    return model, nnx.Optimizer(model, tx, wrt=nnx.Param)

  graphdef, shapes = nnx.split(nnx.eval_shape(make))
  shardings = jax.tree_util.tree_map_with_path(
      lambda path, a: NamedSharding(mesh, fsdp_spec(path, a.shape, mesh)), shapes)
  abstract = jax.tree.map(lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s),
                          shapes, shardings)
  replicated = NamedSharding(mesh, P())
  batch_sharding = NamedSharding(mesh, P(("data", "fsdp")))

  def train_step(state, batch):
    model, opt = nnx.merge(graphdef, state)
    loss, grads = nnx.value_and_grad(loss_fn)(model, batch)
    opt.update(model, grads)
    return nnx.state((model, opt)), loss

  def eval_step(state, batch):
    model, _ = nnx.merge(graphdef, state)
    return loss_fn(model, batch)

  return Trainer(
      graphdef, abstract,
      init=jax.jit(lambda: nnx.state(make()), out_shardings=shardings),
      train_step=jax.jit(train_step, in_shardings=(shardings, batch_sharding),
                         out_shardings=(shardings, replicated), donate_argnums=0),
      eval_step=jax.jit(eval_step, in_shardings=(shardings, batch_sharding),
                        out_shardings=replicated),
      batch_sharding=batch_sharding)


def compile_train_step(cfg: Config, devices, batch_size: int, fsdp: int | None = None):
  """The training step lowered and compiled for ``devices`` ahead of time, from shapes
  alone (nothing is allocated or run): what the TPU checks and benchmarks measure."""
  mesh = fsdp_mesh(devices, fsdp)
  trainer = build(cfg, mesh, optimizer(3e-3, 10, 100))
  batch = jax.ShapeDtypeStruct((batch_size, cfg.seq + 1), jnp.int32,
                               sharding=trainer.batch_sharding)
  return trainer.train_step.lower(trainer.abstract, batch).compile()


# ----------------------------------------------------------------------- training


def distributed(args) -> None:
  """jax.distributed.initialize from the flags, the environment, or auto-detection."""
  coordinator = args.coordinator or os.environ.get("JAX_COORDINATOR_ADDRESS")
  processes = args.num_processes or os.environ.get("JAX_NUM_PROCESSES")
  process_id = args.process_id if args.process_id is not None else os.environ.get(
      "JAX_PROCESS_ID")
  if coordinator is None and processes is None and not args.distributed:
    return
  # CPU processes exchange their collectives over gloo (TPUs and GPUs have their own).
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  if coordinator is None and processes is None:
    jax.distributed.initialize()  # Cloud TPU, SLURM, Open MPI: found from the environment
  else:
    jax.distributed.initialize(coordinator, int(processes), int(process_id))


def parse_args(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  add = parser.add_argument
  add("--activation", default="swiglu",
      help="a jaxact name (swiglu, geglu, reglu: the gated MLP with silu, gelu, relu) or "
           "jax.nn.NAME for jax.nn's function in the same model")
  add("--mlp", choices=["gated", "plain"], default="gated")
  add("--d-model", type=int, default=128)
  add("--layers", type=int, default=4)
  add("--heads", type=int, default=4)
  add("--ff", type=int, default=0, help="MLP width (0: 4 d, or 8/3 d when gated)")
  add("--seq-len", type=int, default=128)
  add("--batch-size", type=int, default=16, help="global, over all devices")
  add("--steps", type=int, default=400)
  add("--lr", type=float, default=3e-3)
  add("--warmup", type=int, default=40)
  add("--dtype", choices=["auto", "float32", "bfloat16"], default="auto",
      help="compute dtype (weights stay float32); auto: bfloat16 on TPU/GPU, float32 on CPU")
  add("--remat", action="store_true", help="rematerialise each block (nnx.remat)")
  add("--no-scan", dest="scan", action="store_false", help="unrolled blocks, not nnx.scan")
  add("--fsdp", type=int, default=None, help="devices sharing each weight (default: all)")
  add("--eval-every", type=int, default=100)
  add("--eval-batches", type=int, default=8)
  add("--ckpt-every", type=int, default=100, help="0: no checkpoints")
  add("--resume", action="store_true", help="continue from the latest checkpoint in --out")
  add("--seed", type=int, default=0)
  add("--out", type=pathlib.Path, default=None)
  add("--quick", action="store_true", help="a tiny configuration, for smoke tests")
  add("--no-plot", action="store_true")
  add("--coordinator", help="HOST:PORT of process 0, for multi-process runs")
  add("--num-processes", type=int, default=None)
  add("--process-id", type=int, default=None)
  add("--distributed", action="store_true",
      help="jax.distributed.initialize() with what the cluster provides (TPU pod, SLURM)")
  if parser.parse_args(argv).quick:  # the tiny configuration; flags given still win
    parser.set_defaults(d_model=64, layers=2, heads=4, seq_len=64, batch_size=16, steps=60,
                        warmup=10, eval_every=20, eval_batches=4, ckpt_every=20)
  return parser.parse_args(argv)


def run(args) -> dict:
  start = time.perf_counter()
  distributed(args)
  library, name, mlp = resolve(args.activation, args.mlp)
  devices = jax.devices()
  dtype = args.dtype
  if dtype == "auto":
    dtype = "float32" if devices[0].platform == "cpu" else "bfloat16"
  cfg = Config(activation=args.activation, mlp=mlp, d_model=args.d_model, layers=args.layers,
               heads=args.heads, ff=args.ff, seq=args.seq_len, dtype=dtype,
               remat=args.remat, scan=args.scan)
  if args.batch_size % len(devices):
    raise SystemExit(f"lm.py: --batch-size {args.batch_size} must be a multiple of the "
                     f"{len(devices)} devices")
  lead = jax.process_index() == 0
  out = args.out or ROOT / "runs" / (
      f"{datetime.datetime.now():%Y%m%d-%H%M%S}-lm-{args.activation}")
  if args.resume and args.out is None:
    raise SystemExit("lm.py: --resume needs the --out of the run to continue")
  out = out.absolute()

  train, val = corpus(args.quick)
  mesh = fsdp_mesh(devices, args.fsdp)
  trainer = build(cfg, mesh, optimizer(args.lr, args.warmup, args.steps), args.seed)
  val_starts = np.linspace(0, len(val) - cfg.seq - 2, args.eval_batches * args.batch_size)
  val_batches = [global_batch(val, chunk.astype(np.int64), cfg.seq, trainer.batch_sharding)
                 for chunk in np.split(val_starts, args.eval_batches)]

  def evaluate(state) -> float:
    return float(np.mean([float(trainer.eval_step(state, b)) for b in val_batches]))

  state = None
  history = {"step": [], "train_loss": [], "val_loss": [], "val_bpb": [], "losses": []}
  meta = {"initial_val_loss": None, "history": history, "tokens_per_s": []}
  manager, first = None, 0
  if args.ckpt_every:
    import orbax.checkpoint as ocp

    manager = ocp.CheckpointManager(out / "ckpt", options=ocp.CheckpointManagerOptions(
        max_to_keep=2, enable_async_checkpointing=False))
    if args.resume and manager.latest_step() is not None:
      first = manager.latest_step()
      restored = manager.restore(first, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(trainer.abstract), meta=ocp.args.JsonRestore()))
      state, meta = restored["state"], restored["meta"]
      history = meta["history"]
      if lead:
        print(f"resumed from step {first} ({out / 'ckpt'})", flush=True)
  if state is None:
    state = trainer.init()
  if meta["initial_val_loss"] is None:
    meta["initial_val_loss"] = evaluate(state)

  times, losses = [], []
  bar = progress(range(first, args.steps), f"lm {args.activation}", lead)
  for step in bar:
    batch = global_batch(train, train_starts(len(train), args.batch_size, cfg.seq,
                                             args.seed, step), cfg.seq,
                         trainer.batch_sharding)
    tick = time.perf_counter()
    state, loss = trainer.train_step(state, batch)
    losses.append(float(loss))  # waits for the step
    history["losses"].append(losses[-1])
    if step > first:  # the first step compiles
      times.append(time.perf_counter() - tick)
    done = step + 1
    if done % args.eval_every == 0 or done == args.steps:
      val_loss = evaluate(state)
      history["step"].append(done)
      history["train_loss"].append(float(np.mean(losses)))
      history["val_loss"].append(val_loss)
      history["val_bpb"].append(val_loss / math.log(2))
      losses = []
      if hasattr(bar, "set_postfix"):
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}",
                        val_bpb=f"{history['val_bpb'][-1]:.4f}")
    if manager is not None and (done % args.ckpt_every == 0 or done == args.steps):
      if times:
        meta["tokens_per_s"].append(args.batch_size * cfg.seq * len(times) / sum(times))
      manager.save(done, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                                  meta=ocp.args.JsonSave(meta)))
      manager.wait_until_finished()
      if lead:
        print(f"checkpoint: step {done}", flush=True)
  if manager is not None:
    manager.close()
  seconds = time.perf_counter() - start

  tokens_per_s = args.batch_size * cfg.seq * len(times) / sum(times) if times else None
  local = jax.local_devices()[0]
  stats = local.memory_stats() if hasattr(local, "memory_stats") else None
  initial_bpb = meta["initial_val_loss"] / math.log(2)
  metrics = {
      "activation": args.activation, "mlp": mlp, "dtype": dtype, "remat": cfg.remat,
      "scan": cfg.scan, "config": dataclasses.asdict(cfg), "steps": args.steps,
      "batch_size": args.batch_size, "devices": len(devices),
      "processes": jax.process_count(), "mesh": dict(mesh.shape),
      "platform": devices[0].platform, "python": sys.version.split()[0],
      "train_bytes": len(train), "val_bytes": len(val),
      "initial_val_loss": meta["initial_val_loss"], "initial_val_bpb": initial_bpb,
      "val_loss": history["val_loss"][-1] if history["val_loss"] else None,
      "val_bpb": history["val_bpb"][-1] if history["val_bpb"] else None,
      "tokens_per_s": tokens_per_s,
      "peak_bytes": (stats or {}).get("peak_bytes_in_use"),
      "resumed_from": first or None, "seconds": seconds, "history": history}
  if lead:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if not args.no_plot and history["step"]:
      plot(history, initial_bpb, out / "curves.png", f"{args.activation} ({mlp} MLP)")
    speed = f", {tokens_per_s:,.0f} tokens/s" if tokens_per_s else ""
    print(f"wrote {out}/metrics.json ({seconds:.1f} s, {len(devices)} device(s) in "
          f"{jax.process_count()} process(es): {devices[0].platform}{speed})")
  print(f"val_loss: {metrics['val_loss']!r} (process {jax.process_index()})")
  print(f"val_bpb: {metrics['val_bpb']:.4f} (untrained {initial_bpb:.4f})", flush=True)
  return metrics


def progress(steps, description, show: bool):
  """A tqdm progress bar over ``steps`` when tqdm is installed (process 0 only)."""
  try:
    from tqdm.auto import tqdm
  except ImportError:
    return steps
  return tqdm(steps, desc=description, unit="step", disable=None if show else True,
              file=sys.stderr)


def plot(history, initial_bpb, path, title):
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, ax = plt.subplots(figsize=(5, 3.5))
  ax.plot([0, *history["step"]], [initial_bpb, *history["val_bpb"]], marker="o",
          label="validation")
  ax.plot(history["step"], [v / math.log(2) for v in history["train_loss"]], marker=".",
          label="train (mean since last)")
  ax.set(xlabel="step", ylabel="bits per byte", title=title)
  ax.legend()
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


if __name__ == "__main__":
  run(parse_args())
