"""Compile contexts: one elementwise function compiled the ways users' programs compile it.

XLA's algebraic simplifier rewrites the same code differently on a 0-d array, in a loop
body, fused with the op that produces or consumes ``x``, under remat or a transform (a
product of constants it folds in one place and not in another). A formula is exact only
if it is exact in all of them. Each context here runs an elementwise ``fn`` on a 1-D
array ``x`` and returns ``{context: (y, dy)}``, the value and the derivative ``f'(x)``
at every entry as NumPy arrays of ``x``'s dtype, computed in that context.

Contexts are grouped into programs (one compile each): a group's contexts cannot share
code that would make them one context (loop bodies are computations of their own; the
layouts have different shapes).

Nothing here imports the library: ``fn`` is any elementwise callable.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.ad_checkpoint import checkpoint_name

from jaxact._src.testing import accuracy

Fn = Callable[[jax.Array], jax.Array]
Fns = dict[str, Fn]
Results = dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]

# The power-of-two scales of the "scaled" context: fn(x * SCALE_IN) * SCALE_OUT.
SCALE_IN, SCALE_OUT = 0.5, 2.0


def _pullback_of_ones(fn: Fn, x: jax.Array) -> tuple[jax.Array, jax.Array]:
  """``(fn(x), f'(x))`` for an elementwise ``fn`` of any shape: the VJP with ones."""
  y, pullback = jax.vjp(fn, x)
  return y, pullback(jnp.ones_like(y))[0]


def _scalar(fn: Fn) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
  """``(fn(s), f'(s))`` for a 0-d ``s``: a per-example function."""
  return jax.value_and_grad(fn)


def _numpy(results) -> Results:
  return {key: (np.asarray(y), np.asarray(dy)) for key, (y, dy) in results.items()}


# ------------------------------------------------------------------------- the programs
#
# Each program maker takes ``fns`` (``{key: elementwise fn}``) and returns ``run(x)`` ->
# ``{(key, context): (y, dy)}``. Every function of ``fns`` is compiled into the same
# program (one compile, not one per function): each keeps its own operations, so a loop
# body holding them all is still a 0-d loop body for each.


def _per_fn(fns: Fns, compute) -> dict:
  return {(key, context): pair for key, fn in fns.items()
          for context, pair in compute(fn).items()}


def _jitted(compute_all, *extra_shapes):
  """``run(x)``: ``compute_all(x, *extras)`` jitted, where the extras are zeros of
  ``extra_shapes(n)`` given at run time (so nothing folds them away)."""
  program = jax.jit(compute_all)

  def run(x):
    extras = [jnp.zeros(shape(x.shape[0]), x.dtype) for shape in extra_shapes]
    return _numpy(program(x, *extras))

  return run


def vector(fns: Fns):
  """The plain call the rest are compared with: a jitted vector and its VJP."""
  return _jitted(lambda x: _per_fn(fns, lambda fn: {"vector": _pullback_of_ones(fn, x)}))


def jit_0d(fns: Fns):
  """A 0-d array under jit, one call per entry (the compiled program is scalar)."""
  program = jax.jit(lambda s: {key: _scalar(fn)(s) for key, fn in fns.items()})

  def run(x):
    calls = [program(x[i]) for i in range(x.shape[0])]
    return {(key, "jit_0d"): (np.array([np.asarray(c[key][0]) for c in calls], x.dtype),
                              np.array([np.asarray(c[key][1]) for c in calls], x.dtype))
            for key in fns}

  return run


def _body(fns: Fns):
  return lambda s: {key: _scalar(fn)(s) for key, fn in fns.items()}


def _keyed(context: str, per_key: dict) -> dict:
  return {(key, context): pair for key, pair in per_key.items()}


def map_0d(fns: Fns):
  """lax.map of the per-example function: a loop whose body is 0-d."""
  body = _body(fns)
  return _jitted(lambda x: _keyed("lax_map", lax.map(body, x)))


def loops(fns: Fns):
  """Loop bodies on 0-d entries: lax.map, lax.scan, fori_loop, while_loop."""
  body = _body(fns)

  def compute(x):
    n = x.shape[0]
    out = {**_keyed("lax_map", lax.map(body, x)),
           **_keyed("scan", lax.scan(lambda c, xi: (c, body(xi)), 0, x)[1])}

    def at(i, acc):
      pairs = body(lax.dynamic_index_in_dim(x, i, keepdims=False))
      return {key: (acc[key][0].at[i].set(y), acc[key][1].at[i].set(dy))
              for key, (y, dy) in pairs.items()}

    empty = {key: (jnp.zeros_like(x), jnp.zeros_like(x)) for key in fns}
    out.update(_keyed("fori_loop", lax.fori_loop(0, n, at, empty)))
    out.update(_keyed("while_loop", lax.while_loop(
        lambda c: c[0] < n, lambda c: (c[0] + 1, at(c[0], c[1])), (0, empty))[1]))
    return out

  return _jitted(compute)


def per_example(fns: Fns):
  """vmap of a per-example (0-d) function."""
  body = _body(fns)
  return _jitted(lambda x: _keyed("vmap_0d", jax.vmap(body)(x)))


def fused(fns: Fns):
  """Fused with a producer and a consumer: ``x + a @ b`` in (a matmul; a and b zeros
  given at run time), ``y * s + t`` out (s ones, t zeros, from x at run time), and the
  cotangent through the matmul too."""

  def compute(x, a, b):
    h = x + a @ b
    s, t = jnp.ones_like(x) + a @ b, a @ b

    def one(fn):
      y, pullback = jax.vjp(lambda h: fn(h) * s + t, h)
      return {"matmul_fused": (y, pullback(s)[0])}

    return _per_fn(fns, one)

  return _jitted(compute, lambda n: (n, 8), lambda n: (8,))


def scaled(fns: Fns):
  """A constant power-of-two scale either side: ``fn(x * SCALE_IN) * SCALE_OUT``,
  returned as ``(fn(x SCALE_IN), f'(x SCALE_IN))``: the caller evaluates the reference at
  ``x * SCALE_IN`` and skips the points where ``y * SCALE_OUT`` left the dtype's normal
  range (dividing by a power of two is exact in float64)."""
  run_scaled = _jitted(lambda x: _per_fn(fns, lambda fn: {"scaled": _pullback_of_ones(
      lambda x: fn(x * SCALE_IN) * SCALE_OUT, x)}))

  def run(x):
    return {key: ((y.astype(np.float64) / SCALE_OUT).astype(y.dtype), dy)
            for key, (y, dy) in run_scaled(x).items()}

  return run


def layouts(fns: Fns):
  """Other shapes and layouts: a column, a transposed operand, a broadcast operand read
  twice (its derivative sums both, halved exactly on the host), size-1 dimensions."""

  def one(fn, x):
    n = x.shape[0]
    out = {}
    y, dy = _pullback_of_ones(fn, x[:, None])
    out["column"] = (y[:, 0], dy[:, 0])
    m = (n + 1) // 2  # (2, m) filled row by row, then transposed
    padded = jnp.concatenate([x, x[:1]])[: 2 * m]
    y, dy = _pullback_of_ones(lambda v: fn(v.reshape(2, m).T).T.reshape(-1), padded)
    out["transposed"] = (y[:n], dy[:n])
    y, dy = _pullback_of_ones(lambda v: fn(jnp.broadcast_to(v[:, None], (n, 2))), x)
    out["broadcast"] = (y[:, 1], dy)
    y, dy = _pullback_of_ones(fn, x.reshape(1, n, 1))
    out["unit_dims"] = (y.reshape(n), dy.reshape(n))
    return out

  run_all = _jitted(lambda x: _per_fn(fns, lambda fn: one(fn, x)))

  def run(x):
    out = run_all(x)
    for key in fns:
      y, dy = out[(key, "broadcast")]
      out[(key, "broadcast")] = (y, (dy.astype(np.float64) / 2).astype(dy.dtype))
    return out

  return run


def _policies() -> dict[str, object]:
  cp = jax.checkpoint_policies
  return {"nothing_saveable": cp.nothing_saveable,
          "everything_saveable": cp.everything_saveable,
          "dots_saveable": cp.dots_saveable,
          "dots_with_no_batch_dims_saveable": cp.dots_with_no_batch_dims_saveable,
          "save_only_these_names": cp.save_only_these_names("activation_input")}


def checkpointed(fns: Fns):
  """jax.checkpoint with every policy that keeps its residuals on the device, around a
  matmul producer and the function; and a bare checkpoint of the function."""

  def compute(x, a, b):
    def one(fn):
      def block(x):
        return fn(checkpoint_name(x + a @ b, "activation_input"))

      out = {f"checkpoint[{name}]": _pullback_of_ones(jax.checkpoint(block, policy=policy), x)
             for name, policy in _policies().items()}
      out["checkpoint"] = _pullback_of_ones(jax.checkpoint(fn), x)
      return out

    return _per_fn(fns, one)

  return _jitted(compute, lambda n: (n, 8), lambda n: (8,))


def flax_remat(fns: Fns):
  """``flax.linen.remat`` of a module calling the function, and ``flax.nnx.remat``."""
  from flax import linen, nnx

  def one(fn, x):
    class Apply(linen.Module):
      @linen.compact
      def __call__(self, x):
        return fn(x)

    module = linen.remat(Apply)()
    return {"linen_remat": _pullback_of_ones(lambda x: module.apply({}, x), x),
            "nnx_remat": _pullback_of_ones(nnx.remat(lambda x: fn(x)), x)}

  return _jitted(lambda x: _per_fn(fns, lambda fn: one(fn, x)))


def transforms(fns: Fns):
  """The value and the derivative as other transforms compute them: jvp, linearize,
  jacfwd and jacrev of the per-example function, and the primal of forward-over-reverse
  (the first derivative inside a Hessian-vector product)."""

  def one(fn, x):
    ones = jnp.ones_like(x)
    out = {"jvp": jax.jvp(fn, (x,), (ones,))}
    y, linear = jax.linearize(fn, x)
    out["linearize"] = (y, linear(ones))
    out["jacfwd"] = (fn(x), jax.vmap(jax.jacfwd(fn))(x))
    out["jacrev"] = (fn(x), jax.vmap(jax.jacrev(fn))(x))
    slope, _ = jax.jvp(jax.vmap(jax.grad(fn)), (x,), (ones,))
    out["hessian_primal"] = (fn(x), slope)
    return out

  return _jitted(lambda x: _per_fn(fns, lambda fn: one(fn, x)))


def sharded(fns: Fns):
  """A shard_map body over a one-device mesh (its axis type stated)."""
  mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("batch",),
                           axis_types=(jax.sharding.AxisType.Auto,))
  spec = jax.sharding.PartitionSpec("batch")

  def body(x):
    return {key: _pullback_of_ones(fn, x) for key, fn in fns.items()}

  mapped = jax.shard_map(body, mesh=mesh, in_specs=spec, out_specs=spec)
  return _jitted(lambda x: _keyed("shard_map", mapped(x)))


def donated(fns: Fns):
  """jit with the input buffer donated."""
  program = jax.jit(lambda x: _per_fn(fns, lambda fn: {"donated": _pullback_of_ones(fn, x)}),
                    donate_argnums=0)
  return lambda x: _numpy(program(jnp.array(x, copy=True)))


PROGRAMS = (jit_0d, loops, per_example, fused, scaled, layouts, checkpointed, flax_remat,
            transforms, sharded, donated)
# The contexts of the exhaustive sweep (benchmarks/contexts.py): a 0-d loop body and a
# fused producer and consumer.
SWEEP_PROGRAMS = (fused, map_0d)


# ------------------------------------------------------------------------- comparisons


def hazard_points(dtype, kinks=()) -> np.ndarray:
  """0, the kinks and their neighbours, each dtype's overflow and underflow thresholds
  (the largest finite value and its square, cube and fourth roots, log of it, the
  smallest normal and subnormal), the constants where formulas switch branches, +-inf
  and NaN, as ``dtype``."""
  import ml_dtypes

  dtype = np.dtype(dtype)
  info = ml_dtypes.finfo(dtype)
  big = float(info.max)
  magnitudes = [float(info.smallest_normal), float(info.smallest_subnormal), float(info.eps),
                2.0**-70, 1e-3, 0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 7.5, 11.7, 12.0, 14.0, 20.0,
                30.0, 40.0, 100.0, 1e4, 65504.0, 2.0**60, 2.0**64, 1e20, 1e30,
                np.log(big), np.log(big) / 2, big**0.5, big**(1 / 3), big**0.25, big / 2, big]
  values = np.array(magnitudes + [-m for m in magnitudes] + [0.0, -0.0], np.float64)
  with np.errstate(over="ignore"):
    values = values.astype(dtype)
  values = values[np.isfinite(values.astype(np.float64))]
  near = []
  for k in kinks:
    point = np.array(k, dtype)
    near.append(point)
    up = down = point
    for _ in range(2):
      up = np.nextafter(up, np.array(np.inf, dtype)) if dtype.itemsize >= 4 else _next(up, 1)
      down = (np.nextafter(down, np.array(-np.inf, dtype)) if dtype.itemsize >= 4
              else _next(down, -1))
      near += [up, down]
  specials = np.array([np.inf, -np.inf, np.nan]).astype(dtype)
  points = np.concatenate([values, np.array(near, dtype).reshape(-1), specials])
  return points


def _next(value, direction):
  """The neighbour of a 16-bit float toward +-inf (NumPy's nextafter lacks bfloat16)."""
  bits = np.asarray(value).view(np.uint16).astype(np.int64)
  negative = bits >= 0x8000
  magnitude = bits & 0x7FFF
  if magnitude == 0:
    out = 1 if direction > 0 else 0x8001
  elif negative == (direction > 0):
    out = bits - 1
  else:
    out = bits + 1
  return np.array(out, np.uint16).view(np.asarray(value).dtype)


def ulps_apart(a: np.ndarray, b: np.ndarray, dtype) -> np.ndarray:
  """How many ULPs of ``dtype`` (at ``b``) separate two results; 0 where both are
  subnormal or zero (flush-to-zero aside), and for identical non-finite values; inf where
  one is finite and the other not."""
  dtype = np.dtype(dtype)
  a64, b64 = np.asarray(a).astype(np.float64), np.asarray(b).astype(np.float64)
  tiny = float(accuracy.finfo(dtype).smallest_normal)
  with np.errstate(all="ignore"):
    err = np.abs(a64 - b64) / accuracy.ulp(b64, dtype)
  both_tiny = (np.abs(a64) < tiny) & (np.abs(b64) < tiny)
  same = (a64 == b64) | (np.isnan(a64) & np.isnan(b64))
  err = np.where(both_tiny | same, 0.0, err)
  return np.where(np.isfinite(a64) & np.isfinite(b64), err, np.where(same, 0.0, np.inf))


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  a64, b64 = np.asarray(a).astype(np.float64), np.asarray(b).astype(np.float64)
  return (a64 == b64) | (np.isnan(a64) & np.isnan(b64))


def audit(rows, dtype, x: np.ndarray, results: Results, vector: Results,
          apart_bound: float = 4.0, reference: bool = True) -> tuple[list[str], int]:
  """Checks each ``(key, context)`` result of ``results`` for the row ``rows[key]`` (with
  ``ref``, ``ref_grad``, ``kinks`` and ``id``): at most ``apart_bound`` ULPs from the
  vector call ``vector[(key, "vector")]`` at the same ``x``, and, wherever it differs
  from that call at all, the accuracy contract against the float64 reference (where it
  does not, the vector call's own accuracy is the sweep's to check). Returns the
  failures, one line each, and the number of (row, context, value or derivative) cells
  checked.

  float64 has no ULP bound in the contract: there the reference check is 1e-12 relative
  plus a backward-stable allowance, as the float64 sweep has it. With
  ``reference=False`` only the distance from the vector call is checked (the exhaustive
  sweep: the vector call's own accuracy on those inputs is checked elsewhere)."""
  found = audit_cells(rows, dtype, x, results, vector, apart_bound, reference)
  return [line for cell in found for line in cell["failures"]], len(found)


def audit_cells(rows, dtype, x: np.ndarray, results: Results, vector: Results,
                apart_bound: float = 4.0, reference: bool = True) -> list[dict]:
  """:func:`audit`, one record per (row, context, value or derivative): ``key``,
  ``context``, ``quantity``, ``bad`` (failing inputs), ``worst`` (index of the first
  failing input, or None), ``failures`` (one line per failed check)."""
  dtype = np.dtype(dtype)
  out = []
  for (key, context), (y, dy) in sorted(results.items()):
    row = rows[key]
    vy, vdy = vector[(key, "vector")]
    for what, got, want, ref, bound_index in (("value", y, vy, row.ref, 0),
                                              ("derivative", dy, vdy, row.ref_grad, 1)):
      apart = ulps_apart(got, want, dtype)
      differs = np.flatnonzero(~_same(got, want))
      bad_ref = np.zeros(x.shape, bool)
      if differs.size and reference:
        if dtype == accuracy.FLOAT64:
          bad_ref[differs] = ~accuracy.float64_close(got[differs], ref, x[differs], row.kinks)
        else:
          err = accuracy.measure(got[differs], ref, x[differs], dtype, row.kinks)
          bad_ref[differs] = err > accuracy.BOUNDS[dtype][bound_index]
      bad_apart = apart > apart_bound
      failures, worst = [], None
      if bad_ref.any():
        i = worst = int(np.flatnonzero(bad_ref)[0])
        failures.append(f"{row.id} [{context}] {dtype.name} {what}: outside the contract at "
                        f"{bad_ref.sum()} points, first x = {x[i]!r}: got {got[i]!r}, "
                        f"reference {float(ref(np.float64(x[i]))):.9g}")
      if bad_apart.any():
        i = int(np.argmax(np.where(np.isnan(apart), np.inf, apart)))
        worst = i if worst is None else worst
        failures.append(f"{row.id} [{context}] {dtype.name} {what}: not within "
                        f"{apart_bound:g} ULP of the vector call at {bad_apart.sum()} points, "
                        f"worst x = {x[i]!r}: got {got[i]!r}, vector {want[i]!r}")
      out.append({"key": key, "context": context, "quantity": what,
                  "bad": int(np.sum(bad_ref | bad_apart)), "worst": worst,
                  "failures": failures})
  return out


def scaled_inputs(fns: Fns, x: np.ndarray, dtype):
  """The inputs of the scaled context, the inputs its function sees (x * SCALE_IN, exact
  but for subnormals, which are left out), and the vector call at those."""
  tiny = float(accuracy.finfo(dtype).smallest_normal)
  with np.errstate(invalid="ignore"):
    seen = (x.astype(np.float64) * SCALE_IN).astype(dtype)
    keep = ~((seen != 0) & (np.abs(seen.astype(np.float64)) < tiny))
  return x[keep], seen[keep], vector(fns)(seen[keep])


def beyond_half_max_left_out(results: Results, vector_results: Results, dtype,
                             scaling=("scaled",), doubling=("scaled", "broadcast")) -> Results:
  """Where the program itself scales a result by 2 (the scaled context's value, and the
  derivatives the scaled and broadcast contexts compute as 2 f' before halving it on the
  host), a result past max / 2 overflows in the test's program, not in the function:
  those entries are replaced by the vector call's."""
  limit = float(accuracy.finfo(dtype).max) / 2
  out = {}
  for (key, context), (y, dy) in results.items():
    want_y, want_dy = vector_results[(key, "vector")]
    if context in scaling:
      y = np.where(np.abs(want_y.astype(np.float64)) > limit, want_y, y)
    if context in doubling:
      dy = np.where(np.abs(want_dy.astype(np.float64)) > limit, want_dy, dy)
    out[(key, context)] = (y, dy)
  return out


def audit_program(program, rows, dtype, x: np.ndarray, vector_results: Results | None = None,
                  records: bool = False):
  """:func:`audit` of one program's contexts for ``rows`` (``{key: row}``, each with
  ``fn``) at ``x``, against the vector call (``vector_results``, computed here if not
  given; the scaled context always computes its own, at the inputs it sees): the
  failures and the cell count, or with ``records`` :func:`audit_cells`' records and the
  inputs they index."""
  fns = {key: row.fn for key, row in rows.items()}
  seen = x
  if program is scaled:
    x, seen, vector_results = scaled_inputs(fns, x, dtype)
  elif vector_results is None:
    vector_results = vector(fns)(x)
  results = beyond_half_max_left_out(program(fns)(x), vector_results, dtype)
  if records:
    return audit_cells(rows, dtype, seen, results, vector_results), seen
  return audit(rows, dtype, seen, results, vector_results)
