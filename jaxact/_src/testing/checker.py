"""The checker: one elementwise function against its reference, every check of the
contract, one :class:`~jaxact._src.testing.report.Report`.

Each dtype's sweep is one jitted call for the value and the derivative together (the
VJP with a cotangent of ones: ``f'(x)`` at every entry, what ``jax.grad`` gives in
training); the compile contexts run at the hazard points only; the transforms on a
dozen points.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import time
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxact._src.testing import accuracy, contexts, progress
from jaxact._src.testing.evaluate import param_derivative, value_and_derivative
from jaxact._src.testing.reference import Float64Fn, Reference, resolve
from jaxact._src.testing.report import Cell, Report

DEFAULT_DTYPES = ("bfloat16", "float16", "float32")
# Every context in float32; in the 16-bit dtypes the 0-d, loop and fused ones (they
# compile to the float32 code of the rest).
HALF_PROGRAMS = (contexts.jit_0d, contexts.loops, contexts.fused)
QUICK_PROGRAMS = (contexts.jit_0d, contexts.loops, contexts.fused, contexts.transforms)
# The transform check's inputs (float32): both signs, small to large.
SAMPLE = np.array([-30.0, -7.5, -2.0, -1.0, -0.3, -1e-3, 1e-3, 0.3, 1.0, 2.0, 7.5, 30.0],
                  np.float32)


def _dtype(d) -> np.dtype:
  return np.dtype(accuracy.BFLOAT16 if str(d) == "bfloat16" else d)


def _x64(dtype: np.dtype):
  return jax.enable_x64(True) if dtype == accuracy.FLOAT64 else contextlib.nullcontext()


def programs() -> tuple:
  """The compile contexts' programs this installation can run (flax's remat needs flax)."""
  try:
    import flax  # noqa: F401
  except ImportError:
    return tuple(p for p in contexts.PROGRAMS if p is not contexts.flax_remat)
  return contexts.PROGRAMS


def sweep_inputs(dtype, kinks: Sequence[float] = (), quick: bool = False,
                 max_abs: float = math.inf) -> np.ndarray:
  """The finite inputs of a dtype's sweep: every finite bfloat16 or float16; the float32
  sweep (:func:`float32_sweep`); in float64 that sweep and log-spaced magnitudes
  1e-300..1e300. ``quick`` keeps every 37th; the kinks are always in."""
  dtype = _dtype(dtype)
  if dtype in accuracy.HALF_DTYPES:
    x = accuracy.every_finite(dtype)
  elif dtype == accuracy.FLOAT32:
    x = accuracy.float32_sweep(kinks)
  elif dtype == accuracy.FLOAT64:
    mags = np.geomspace(1e-300, 1e300, 600)
    x = np.concatenate([accuracy.float32_sweep(kinks).astype(np.float64), mags, -mags])
  else:
    raise ValueError(f"jaxact.testing: no sweep for dtype {dtype.name}; expected bfloat16, "
                     "float16, float32 or float64.")
  if quick:
    x = x[::37]
  x = np.concatenate([x, np.array(kinks, np.float64).astype(dtype)])
  return x[np.abs(x.astype(np.float64)) <= max_abs]


def _row(name: str, ref: Reference, fn: Callable) -> types.SimpleNamespace:
  """The row :mod:`contexts`' audit expects."""
  return types.SimpleNamespace(id=name, kinks=ref.kinks, ref=ref.value,
                               ref_grad=ref.derivative, fn=fn)


def _f64(v) -> float:
  return float(np.asarray(v).astype(np.float64))


def _same(a, b) -> np.ndarray:
  a, b = np.asarray(a).astype(np.float64), np.asarray(b).astype(np.float64)
  return (a == b) | (np.isnan(a) & np.isnan(b))


# ----------------------------------------------------------------------------- sweeps


def sweep_cells(fn: Callable, ref: Reference, dtype, quick: bool = False,
                max_abs: float = math.inf) -> list[Cell]:
  """Accuracy over the sweep, limits at +-inf, NaN, the kinks and the dtype, for the value
  and the derivative in one dtype: one jitted call."""
  dtype = _dtype(dtype)
  name = dtype.name
  x = sweep_inputs(dtype, ref.kinks, quick, max_abs)
  specials = np.array([np.inf, -np.inf, np.nan]).astype(dtype)
  try:
    with _x64(dtype):
      y, dy = value_and_derivative(fn, np.concatenate([x, specials]))
  except Exception as e:  # noqa: BLE001 - a function that rejects an input is a result
    return [Cell("call", name, q, False, detail=f"{type(e).__name__}: {e}"[:300])
            for q in ("value", "derivative")]
  cells = [Cell("dtype", name, q, got.dtype == dtype, points=got.size,
                detail="" if got.dtype == dtype else f"returned {got.dtype}")
           for q, got in (("value", y), ("derivative", dy))]
  y, dy = y.astype(dtype), dy.astype(dtype)
  n = x.size
  for quantity, got, want in (("value", y, ref.value), ("derivative", dy, ref.derivative)):
    cells.append(_accuracy_cell(quantity, got[:n], want, x, dtype, ref, fn_at_kinks=got[:n]))
    cells += _special_cells(quantity, got[n:], want, specials, dtype, ref)
    cells += _kink_cells(quantity, got[:n], want, x, dtype, ref)
  return cells


def _accuracy_cell(quantity, got, want, x, dtype, ref: Reference, fn_at_kinks) -> Cell:
  x64 = x.astype(np.float64)
  keep = np.ones(x.shape, bool)
  if quantity == "derivative" and ref.kinks:
    keep = ~np.isin(x64, ref.kinks)  # a convention there: the kinks cell's
  got, xs = got[keep], x[keep]
  if dtype == accuracy.FLOAT64:
    ok = accuracy.float64_close(got, want, xs, ref.kinks)
    with np.errstate(all="ignore"):
      truth = want(xs.astype(np.float64))
    bad = ~ok
    err = np.where(ok, 0.0, np.inf)
    bound = None
  else:
    with np.errstate(all="ignore"):
      err = accuracy.measure(got, want, xs, dtype, ref.kinks)
      truth = np.asarray(want(xs.astype(np.float64)), np.float64).astype(dtype)
    if quantity == "derivative" and ref.kinks:
      err = _flushed_onto_a_kink(err, got, xs, dtype, ref.kinks, x, fn_at_kinks)
    bound = accuracy.BOUNDS[dtype][0 if quantity == "value" else 1]
    bad = err > bound
  got64 = got.astype(np.float64)
  non_finite = int(np.sum(~np.isfinite(got64) & np.isfinite(truth.astype(np.float64))))
  worst, at = accuracy.worst(err, xs)
  i = int(np.argmax(np.where(np.isnan(err), np.inf, err))) if err.size else None
  return Cell("accuracy", dtype.name, quantity, not bad.any(),
              max_ulp=None if bound is None else worst, bound=bound, points=int(xs.size),
              bad=int(bad.sum()), non_finite=non_finite,
              worst_x=None if i is None else at,
              got=None if i is None else _f64(got[i]),
              want=None if i is None else float(np.asarray(want(np.float64(at)))))


def _flushed_onto_a_kink(err, got, xs, dtype, kinks, x_all, got_all) -> np.ndarray:
  """A subnormal input that the backend reads as a kink at 0 (denormals are zero in
  bfloat16 and float32) may have the function's own derivative at that kink."""
  flushed = accuracy.flushed_inputs(xs, dtype)
  if flushed is None:
    return err
  x_all64 = x_all.astype(np.float64)
  for k in kinks:
    at_k = np.flatnonzero(x_all64 == k)
    if not at_k.size:
      continue
    there = got_all[at_k[0]].astype(np.float64)
    reads_k = (flushed == k) & (xs.astype(np.float64) != k)
    err = np.where(reads_k & _same(got, there), 0.0, err)
  return err


def _special_cells(quantity, got, want, specials, dtype, ref: Reference) -> list[Cell]:
  """+-inf gives the true limits (the derivative's only where it is given), NaN gives NaN."""
  cells = []
  if not (quantity == "derivative" and ref.derived):
    with np.errstate(all="ignore"):
      limits = np.asarray(want(specials[:2].astype(np.float64)), np.float64).astype(dtype)
    same = _same(got[:2], limits)
    i = int(np.argmin(same))
    cells.append(Cell("limits", dtype.name, quantity, bool(same.all()), points=2,
                      bad=int((~same).sum()), worst_x=_f64(specials[i]), got=_f64(got[i]),
                      want=_f64(limits[i])))
  is_nan = bool(np.isnan(got[2].astype(np.float64)))
  cells.append(Cell("nan", dtype.name, quantity, is_nan, points=1, bad=int(not is_nan),
                    worst_x=math.nan, got=_f64(got[2]), want=math.nan))
  return cells


def _kink_cells(quantity, got, want, x, dtype, ref: Reference) -> list[Cell]:
  """At each kink, the reference's result: the derivative exactly, rounded (the
  conventions), where it is given; the value within its accuracy bound (or exactly):
  at a jump, the side taken is a convention too, and the bound tells the sides apart."""
  at = np.isin(x.astype(np.float64), ref.kinks)
  if not at.any() or (quantity == "derivative" and ref.derived):
    return []
  got, x = got[at], x[at]
  with np.errstate(all="ignore"):
    rounded = np.asarray(want(x.astype(np.float64)), np.float64).astype(dtype)
  same = _same(got, rounded)
  if quantity == "value" and dtype in accuracy.BOUNDS:
    with np.errstate(all="ignore"):
      err = accuracy.measure(got, want, x, dtype, ref.kinks)
    same = same | (err <= accuracy.BOUNDS[dtype][0])
  i = int(np.argmin(same))
  return [Cell("kinks", dtype.name, quantity, bool(same.all()), points=int(x.size),
               bad=int((~same).sum()), worst_x=_f64(x[i]), got=_f64(got[i]),
               want=_f64(rounded[i]),
               detail="" if same.all() else "the convention at the kink differs")]


# ----------------------------------------------------------------------------- contexts


def context_cells(fns: Mapping[str, Callable], refs: Mapping[str, Reference], dtype,
                  programs_: Iterable,
                  policy: Callable[[object], contextlib.AbstractContextManager] | None = None,
                  bar: progress.Bar | None = None,
                  points: np.ndarray | None = None) -> dict[str, list[Cell]]:
  """Every function of ``fns`` compiled together in each program (one compile a program),
  at the hazard points of ``dtype`` (with every function's kinks), audited against the
  vector call and the reference: ``{key: cells}``. ``policy(program)`` is a context
  manager each program runs in (the suite pins jaxact's residual policy so)."""
  dtype = _dtype(dtype)
  kinks = tuple(sorted({k for r in refs.values() for k in r.kinks}))
  x = contexts.hazard_points(dtype, kinks) if points is None else points
  rows = {key: _row(key, refs[key], fns[key]) for key in fns}
  out: dict[str, list[Cell]] = {key: [] for key in fns}
  with _x64(dtype):
    vector = contexts.vector(dict(fns))(x)
    for program in programs_:
      with policy(program) if policy else contextlib.nullcontext():
        records, seen = contexts.audit_program(program, rows, dtype, x,
                                               None if program is contexts.scaled else vector,
                                               records=True)
      for r in records:
        i = r["worst"]
        out[r["key"]].append(Cell(
            f"context:{r['context']}", dtype.name, r["quantity"], not r["failures"],
            points=int(seen.size), bad=r["bad"],
            worst_x=None if i is None else _f64(seen[i]), detail="; ".join(r["failures"])))
      if bar is not None:
        bar.update()
  return out


# ----------------------------------------------------------------------------- transforms


def transform_cells(fn: Callable, ref: Reference) -> list[Cell]:
  """On a dozen float32 points (kinks left out): jit, vmap and eager values agree;
  grad, jvp, vjp, the diagonals of jacfwd and jacrev, checkpoint and a scan body give
  the same derivative; the Jacobian is diagonal; hessian, grad of grad and
  jacfwd(jacrev) agree. Agreement is to 16 ULP (two results within the contract's 8)
  plus twice the backward-stable allowance."""
  x_np = SAMPLE[~np.isin(SAMPLE, np.array(ref.kinks, np.float32))]
  x = jnp.asarray(x_np)
  x64 = x_np.astype(np.float64)
  cells = []

  def agree(what: str, quantity: str, a, b, conditioning=None) -> None:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    allowed = 16 * 2.0**-23 * np.abs(b) + 1e-30
    if conditioning is not None:
      allowed = allowed + 16 * 2.0**-23 * np.abs(conditioning)
    with np.errstate(invalid="ignore"):
      ok = (np.abs(a - b) <= allowed) | _same(a, b)
    i = int(np.argmin(ok))
    cells.append(Cell(f"transform:{what}", "float32", quantity, bool(ok.all()),
                      points=int(ok.size), bad=int((~ok).sum()), worst_x=float(x64[i]),
                      got=float(a.reshape(-1)[i]), want=float(b.reshape(-1)[i])))

  try:
    with np.errstate(all="ignore"):
      value_conditioning = x64 * accuracy.slope(ref.value, x64)
      slope_conditioning = x64 * accuracy.slope(ref.derivative, x64)
    eager = fn(x)
    agree("jit", "value", jax.jit(fn)(x), eager, value_conditioning)
    agree("vmap", "value", jax.vmap(fn)(x), eager, value_conditioning)
    grads = jax.vmap(jax.grad(fn))(x)
    ones = jnp.ones_like(x)
    for what, derivative in [
        ("jit(vmap(grad))", jax.jit(jax.vmap(jax.grad(fn)))(x)),
        ("jvp", jax.jvp(fn, (x,), (ones,))[1]),
        ("vjp", jax.vjp(fn, x)[1](ones)[0]),
        ("jacfwd", jnp.diag(jax.jacfwd(fn)(x))),
        ("jacrev", jnp.diag(jax.jacrev(fn)(x))),
        ("checkpoint", jax.vmap(jax.grad(jax.checkpoint(fn)))(x)),
        ("scan", jax.lax.scan(lambda c, s: (c, jax.grad(fn)(s)), 0, x)[1])]:
      agree(what, "derivative", derivative, grads, slope_conditioning)
    off = np.asarray(jax.jacfwd(fn)(x) * (1 - jnp.eye(x.size, dtype=x.dtype)))
    cells.append(Cell("transform:jacobian_diagonal", "float32", "derivative",
                      not np.any(off), points=int(off.size), bad=int(np.sum(off != 0))))
    second = jax.vmap(jax.grad(jax.grad(fn)))(x)
    agree("hessian", "second derivative", jax.vmap(jax.hessian(fn))(x), second)
    agree("jacfwd(jacrev)", "second derivative", jax.vmap(jax.jacfwd(jax.jacrev(fn)))(x),
          second)
  except Exception as e:  # noqa: BLE001 - a transform that raises is a failing cell
    cells.append(Cell("transform:error", "float32", "derivative", False,
                      detail=f"{type(e).__name__}: {e}"[:300]))
  return cells


# ----------------------------------------------------------------------------- residuals


def residuals(fn: Callable, n: int = 64) -> tuple[float, list[str]]:
  """What ``jax.vjp`` keeps for the backward pass of ``fn`` on a float32 vector: bytes per
  input element (arrays of the input's size; scalars are free), and each kept array's
  dtype, marked ``(x)`` where it is the input and ``(y)`` where it is the output. This
  is the program before XLA's rewrites; a compiled step's ``memory_analysis()`` has the
  last word."""
  x = jnp.linspace(-3.0, 3.0, n, dtype=jnp.float32) + 0.0123
  y, pullback = jax.vjp(fn, x)
  kept, names = 0, []
  for leaf in jax.tree.leaves(pullback):
    if not hasattr(leaf, "dtype") or np.size(leaf) != n:
      continue
    kept += np.asarray(leaf).nbytes
    value = np.asarray(leaf)
    mark = (" (x)" if _same_array(value, x) else " (y)" if _same_array(value, y) else "")
    names.append(f"{np.dtype(leaf.dtype).name}{mark}")
  return kept / n, names


def _same_array(a, b) -> bool:
  a, b = np.asarray(a), np.asarray(b)
  return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(_same(a, b)))


# ----------------------------------------------------------------------------- check


def partial_cells(fn: Callable, params: Mapping[str, Any], partials: Mapping[str, Float64Fn],
                  ref: Reference, dtype, quick: bool = False,
                  max_abs: float = math.inf) -> list[Cell]:
  """Accuracy of each partial derivative ``d fn(x, **params) / d p`` over the sweep of
  ``dtype``, against the float64 ``partials[p]`` (a function of x), with the parameter an
  array of x's shape (a per-element learnable parameter); the kinks included."""
  dtype = _dtype(dtype)
  x = sweep_inputs(dtype, ref.kinks, quick, max_abs)
  cells = []
  for p, want in partials.items():
    value = params[p] if p in params else inspect.signature(fn).parameters[p].default
    with _x64(dtype):
      got = param_derivative(fn, x, p, value, dtype, params)
    cells.append(_accuracy_cell(f"d/d{p}", got.astype(dtype), want, x, dtype, ref,
                                fn_at_kinks=None))
  return cells


def check(fn: Callable[[jax.Array], jax.Array], reference: Reference | Float64Fn, *,
          derivative: Float64Fn | None = None, kinks: Sequence[float] = (),
          params: Mapping[str, Any] | None = None,
          partials: Mapping[str, Float64Fn] | None = None,
          name: str | None = None, dtypes: Sequence = DEFAULT_DTYPES, contexts: bool = True,
          transforms: bool = True, residuals: bool = True, quick: bool = False,
          max_abs: float = math.inf, progress: bool = False) -> Report:
  """Checks an elementwise ``fn`` against ``reference``; see :mod:`jaxact.testing`."""
  start = time.perf_counter()
  ref = resolve(reference, derivative, tuple(kinks))
  name = name or getattr(fn, "__name__", None) or repr(fn)
  params, partials = dict(params or {}), dict(partials or {})
  with_params, fn = fn, (functools.partial(fn, **params) if params else fn)
  dtypes = [_dtype(d) for d in dtypes]
  plan = _context_plan(dtypes, quick) if contexts else []
  steps = len(dtypes) + sum(len(p) for _, p in plan) + int(transforms) + int(residuals)
  bar = _progress_bar(steps, name, progress)
  report = Report(name, reference=ref.name, derivative_source=ref.derivative_source)
  try:
    for dtype in dtypes:
      bar.set_description(f"{name}: {dtype.name} sweep")
      report.cells += sweep_cells(fn, ref, dtype, quick, max_abs)
      if partials:
        report.cells += partial_cells(with_params, params, partials, ref, dtype, quick,
                                      max_abs)
      bar.update()
    for dtype, programs_ in plan:
      bar.set_description(f"{name}: {dtype.name} contexts")
      try:
        report.cells += context_cells({name: fn}, {name: ref}, dtype, programs_, bar=bar)[name]
      except Exception as e:  # noqa: BLE001 - a context that fails to compile fails
        report.cells.append(Cell("context:error", dtype.name, "value", False,
                                 detail=f"{type(e).__name__}: {e}"[:300]))
    if transforms:
      bar.set_description(f"{name}: transforms")
      report.cells += transform_cells(fn, ref)
      bar.update()
    if residuals:
      bar.set_description(f"{name}: residuals")
      with contextlib.suppress(Exception):
        report.residual_bytes_per_element, report.residuals = _residuals(fn)
      bar.update()
  finally:
    bar.close()
  report.seconds = time.perf_counter() - start
  return report


_residuals = residuals


def _context_plan(dtypes: list[np.dtype], quick: bool) -> list[tuple[np.dtype, tuple]]:
  plan = []
  for dtype in dtypes:
    if dtype == accuracy.FLOAT32:
      plan.append((dtype, QUICK_PROGRAMS if quick else programs()))
    elif dtype in accuracy.HALF_DTYPES and not quick:
      plan.append((dtype, HALF_PROGRAMS))
  return plan


def _progress_bar(steps: int, name: str, enabled: bool) -> progress.Bar:
  return progress.bar(steps, name, enabled)


def check_contexts(fns: Mapping[str, Callable], references: Mapping[str, Reference | Float64Fn],
                   dtype="float32", *, programs: Iterable | None = None,
                   policy: Callable[[object], contextlib.AbstractContextManager] | None = None,
                   points: np.ndarray | None = None) -> dict[str, Report]:
  """The compile contexts alone for many functions at once (one compile a context for all
  of them): ``{key: Report}``; see :mod:`jaxact.testing`."""
  start = time.perf_counter()
  refs = {key: resolve(references[key]) for key in fns}
  found = context_cells(fns, refs, dtype, programs or programs_available(), policy,
                        points=points)
  seconds = time.perf_counter() - start
  return {key: Report(key, cells, refs[key].name, refs[key].derivative_source,
                      seconds=seconds) for key, cells in found.items()}


programs_available = programs
