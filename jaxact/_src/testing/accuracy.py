"""Measuring a result against a float64 reference in ULPs, as jaxact's contract defines
"exact".

The contract ("Accuracy"): value within 1 ULP and derivative within 2 ULP of the true result
for every finite bfloat16 and float16 input; within 5 and 8 ULP in float32. Near a
zero of the measured quantity q the error of a backward-stable float32 evaluation,
``8 * 2**-23 * |x * q'(x)|``, is allowed in addition; in bfloat16 and float32,
absolute errors below 2**-110 are not counted, and a subnormal result flushed to zero
is fine.

The measuring behind :mod:`jaxact.testing`; nothing here imports the library.
"""

from __future__ import annotations

from collections.abc import Callable

import ml_dtypes
import numpy as np

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
FLOAT16 = np.dtype(np.float16)
FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)
HALF_DTYPES = (BFLOAT16, FLOAT16)
SWEPT_DTYPES = (BFLOAT16, FLOAT16, FLOAT32)

# dtype -> (precision p in bits, minimum normal exponent)
FORMATS = {BFLOAT16: (8, -126), FLOAT16: (11, -14), FLOAT32: (24, -126), FLOAT64: (53, -1022)}
# The contract's bounds: (value, derivative) in ULPs.
BOUNDS = {BFLOAT16: (1.0, 2.0), FLOAT16: (1.0, 2.0), FLOAT32: (5.0, 8.0)}
BACKWARD_STABLE = 8 * 2.0**-23
FLUSHED = 2.0**-110


def finfo(dtype) -> ml_dtypes.finfo:
  return ml_dtypes.finfo(dtype)


def every_finite(dtype) -> np.ndarray:
  """Every finite value of a 16-bit float dtype, as that dtype."""
  dtype = np.dtype(dtype)
  bits = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
  values = bits.view(dtype)
  with np.errstate(invalid="ignore"):
    finite = np.isfinite(values.astype(np.float64))
  return values[finite]


def float32_sweep(kinks=(), n_log=4000, n_dense=8001) -> np.ndarray:
  """Log-spaced magnitudes 1e-38..3e38 of both signs, dense [-20, 20], the kinks and
  their neighbours (a few float32 steps either side), 0 and -0."""
  mags = np.geomspace(1e-38, 3e38, n_log)
  dense = np.linspace(-20.0, 20.0, n_dense)
  points = [mags, -mags, dense, np.array([0.0, -0.0, 1e-45, -1e-45, 3.4028235e38])]
  for k in kinks:
    near = np.float32(k)
    steps = [near]
    up = down = near
    for _ in range(4):
      up = np.nextafter(up, np.float32(np.inf))
      down = np.nextafter(down, np.float32(-np.inf))
      steps += [up, down]
    points.append(np.array(steps, np.float64))
  return np.concatenate(points).astype(np.float32)


def ulp(reference: np.ndarray, dtype) -> np.ndarray:
  """The spacing of ``dtype`` at each (float64) reference value."""
  p, emin = FORMATS[np.dtype(dtype)]
  magnitude = np.abs(reference)
  with np.errstate(divide="ignore"):
    exponent = np.floor(np.log2(np.where(magnitude > 0, magnitude, 1.0)))
  exponent = np.where(magnitude > 0, np.maximum(exponent, emin), emin)
  return np.ldexp(1.0, (exponent - (p - 1)).astype(np.int64))


def slope(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
  """A float64 estimate of fn' for the backward-stability allowance: the smaller in
  magnitude of the two one-sided differences, so a jump (a kink of fn) counts as 0."""
  x = np.asarray(x, np.float64)
  # A step of 2^-36 relative: small enough to follow oscillations (snake's ripple has
  # period pi / alpha, shorter than 2^-20 |x| past |x| ~ 1e5), large enough that the
  # float64 reference's own rounding (~1e-14 relative) adds nothing visible.
  h = np.maximum(np.abs(x) * 2.0**-36, 2.0**-60)
  with np.errstate(all="ignore"):
    at = fn(x)
    forward = (fn(x + h) - at) / h
    backward = (at - fn(x - h)) / h
    out = np.where(np.abs(forward) < np.abs(backward), forward, backward)
  return np.where(np.isfinite(out), out, 0.0)


def spread(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, kinks=(),
           scale: float = BACKWARD_STABLE, samples: int = 8) -> np.ndarray:
  """max |fn(x (1 + d)) - fn(x)| over relative perturbations |d| <= scale (8 * 2^-23:
  a backward-stable float32 evaluation) that stay on x's side of every kink, sampled at
  ``samples`` points each side. It is the allowance where the first-order term
  scale * |x fn'(x)| does not describe that error: at a double zero of fn, or where fn
  oscillates faster than the dtype resolves x (snake's ripple at |x| ~ 1e7)."""
  x = np.asarray(x, np.float64)
  # Perturbations of k / samples of the scale, but at least k float64 steps apart, so
  # that a scale near float64's own resolution still gives distinct points.
  step = np.maximum(np.abs(x) * scale / samples, np.spacing(x))
  with np.errstate(all="ignore"):
    at = fn(x)
    out = np.zeros_like(at)
    for k in range(1, samples + 1):
      for sign in (1, -1):
        moved = x + sign * k * step
        same_side = np.abs(moved - x) <= 2 * scale * np.abs(x) + np.spacing(x)
        for kink in kinks:
          same_side &= np.sign(moved - kink) == np.sign(x - kink)
        change = np.abs(fn(moved) - at)
        out = np.where(same_side & np.isfinite(change), np.maximum(out, change), out)
  return out


def ulp_error(result, reference: np.ndarray, x: np.ndarray, q_slope: np.ndarray,
              dtype, extra: np.ndarray | None = None) -> np.ndarray:
  """Error of ``result`` (in ``dtype``) in ULPs of the true ``reference``, with the
  contract's allowances (``extra``: a larger backward-stable allowance from
  :func:`spread`). Non-finite results where the rounded truth is finite count as
  ``inf``; NaN references must be matched by NaN results."""
  dtype = np.dtype(dtype)
  out = np.asarray(result).astype(np.float64)
  ref = np.asarray(reference, np.float64)
  x = np.asarray(x).astype(np.float64)
  with np.errstate(over="ignore", invalid="ignore"):
    rounded = ref.astype(dtype).astype(np.float64)
  with np.errstate(all="ignore"):
    err = np.abs(out - ref)
    allowance = BACKWARD_STABLE * np.abs(x * q_slope)
    if extra is not None:
      allowance = np.maximum(allowance, extra)
    err = np.maximum(err - np.where(np.isfinite(allowance), allowance, 0.0), 0.0)
    if dtype in (BFLOAT16, FLOAT32):
      err = np.where(err < FLUSHED, 0.0, err)
      tiny = float(finfo(dtype).smallest_normal)
      err = np.where((out == 0) & (np.abs(ref) < tiny), 0.0, err)
    err = err / ulp(ref, dtype)
  same_nonfinite = (out == rounded) | (np.isnan(out) & np.isnan(ref))
  err = np.where(~np.isfinite(rounded) | ~np.isfinite(out),
                 np.where(same_nonfinite, 0.0, np.inf), err)
  return err


def flushed_inputs(x: np.ndarray, dtype) -> np.ndarray | None:
  """Subnormal inputs read as signed zeros, for dtypes computed in float32, whose
  subnormals every backend flushes (denormals-are-zero); None if x has none."""
  dtype = np.dtype(dtype)
  if dtype not in (BFLOAT16, FLOAT32):
    return None
  x = np.asarray(x).astype(np.float64)
  subnormal = (x != 0) & (np.abs(x) < float(finfo(np.float32).smallest_normal))
  if not subnormal.any():
    return None
  return np.where(subnormal, np.copysign(0.0, x), x)


# Below this many ULPs a raw error (no allowance) is reported as it is: the contract's
# allowances are computed only where the raw error exceeds it. They can only lower an
# error, so a pass or a fail is the same as with the allowances everywhere, and a
# reported maximum above LAZY is exact.
LAZY = 0.5


def measure(result, fn: Callable[[np.ndarray], np.ndarray], x, dtype, kinks=()) -> np.ndarray:
  """ULP error of ``result = fn(x)`` computed in ``dtype``, against the float64 ``fn``.

  A subnormal bfloat16/float32 input may be read as zero, as CPUs and GPUs do: the
  result then counts as right if it is right for that zero. The allowances (and that
  reading) are applied where the raw error exceeds :data:`LAZY` ULP.
  """
  result = np.asarray(result)
  x64 = np.asarray(x).astype(np.float64)
  with np.errstate(all="ignore"):
    ref = np.asarray(fn(x64), np.float64)
    zero = np.zeros_like(x64)
    err = ulp_error(result, ref, x64, zero, dtype)
    again = np.flatnonzero(err > LAZY)
    if again.size:
      err.flat[again] = _with_allowances(result.flat[again], ref.flat[again], fn,
                                         x64.flat[again], dtype, kinks)
    flushed = flushed_inputs(x, dtype)
    if flushed is not None:
      again = np.flatnonzero((err > LAZY) & (flushed != x64) & ~np.isnan(x64))
      if again.size:
        at = flushed.flat[again]
        err.flat[again] = np.minimum(err.flat[again], ulp_error(
            result.flat[again], fn(at), at, slope(fn, at), dtype, spread(fn, at, kinks)))
  return err


def _with_allowances(result, ref, fn, x64, dtype, kinks) -> np.ndarray:
  """:func:`ulp_error` with the backward-stable allowances: the first-order term, the
  sampled :func:`spread`, and where that still fails, the spread sampled densely (128
  points a side: when many periods of an oscillation fit within the perturbations, 8
  samples can miss the extremes)."""
  err = ulp_error(result, ref, x64, slope(fn, x64), dtype, spread(fn, x64, kinks))
  again = np.flatnonzero(err > 1)
  if again.size:
    dense = spread(fn, x64[again], kinks, samples=128)
    err[again] = np.minimum(err[again], ulp_error(
        result[again], ref[again], x64[again], slope(fn, x64[again]), dtype, dense))
  return err


def worst(errors: np.ndarray, x: np.ndarray) -> tuple[float, float]:
  """(largest error, an input where it occurs)."""
  errors = np.asarray(errors)
  if errors.size == 0:
    return 0.0, float("nan")
  i = int(np.argmax(np.where(np.isnan(errors), np.inf, errors)))
  return float(errors[i]), float(np.asarray(x).astype(np.float64)[i])


def float64_close(got, fn: Callable[[np.ndarray], np.ndarray], x, kinks=()) -> np.ndarray:
  """Where a float64 result ``got`` matches the float64 ``fn`` at ``x``: within 1e-12
  relative, plus the error of a backward-stable float64 evaluation (16 * 2^-52
  relative in x), or equal (the same infinity, both NaN)."""
  got = np.asarray(got, np.float64)
  x = np.asarray(x, np.float64)
  want = fn(x)
  scale = 16 * 2.0**-52
  with np.errstate(all="ignore"):  # x f'(x) may overflow (exponential): no allowance there
    allowance = np.maximum(scale * np.abs(x * slope(fn, x)), spread(fn, x, kinks, scale=scale))

  def within(allowance):
    with np.errstate(invalid="ignore"):
      err = np.abs(got - want) - np.where(np.isfinite(allowance), allowance, 0)
    return (err <= 1e-12 * np.abs(want) + 1e-300) | (got == want) | (
        np.isnan(got) & np.isnan(want))

  ok = within(allowance)
  if not ok.all():  # sample the perturbations densely where 8 samples were not enough
    allowance[~ok] = spread(fn, x[~ok], kinks, scale=scale, samples=128)
    ok = within(allowance)
  return ok
