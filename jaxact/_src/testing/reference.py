"""What a function is checked against: a float64 reference, its derivative, its kinks.

A reference is a float64 NumPy function (vectorised, NaN in gives NaN out, the true
limits at +-inf) or an mpmath formula evaluated point by point at high precision. The
derivative is given, or derived: by ``mpmath.diff`` from an mpmath formula, or by
Ridders' extrapolated central differences in float64 from a NumPy function.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

Float64Fn = Callable[[np.ndarray], np.ndarray]

GIVEN = "given"
MPMATH_DIFF = "mpmath.diff"
RIDDERS = "float64 finite differences (Ridders)"


@dataclasses.dataclass(frozen=True)
class Reference:
  """The truth a function is checked against.

  Attributes:
    value: ``x -> f(x)``, float64 in and out, elementwise.
    derivative: ``x -> f'(x)`` likewise, or None to derive it (see :func:`resolve`).
    kinks: inputs where the derivative is a convention (checked exactly, and kept out of
      the backward-stability allowance's perturbations).
    derivative_source: how the derivative was obtained: ``"given"``,
      ``"mpmath.diff"`` or ``"float64 finite differences (Ridders)"``.
    name: what reports call it.
  """

  value: Float64Fn
  derivative: Float64Fn | None = None
  kinks: tuple[float, ...] = ()
  derivative_source: str = GIVEN
  name: str = ""

  @property
  def derived(self) -> bool:
    """Whether the derivative was derived (then the conventions at the kinks and the
    limits at +-inf of the derivative are not checked: a derivation cannot know them)."""
    return self.derivative_source != GIVEN


def resolve(reference: Reference | Float64Fn, derivative: Float64Fn | None = None,
            kinks: tuple[float, ...] = ()) -> Reference:
  """A :class:`Reference` with its derivative, from what :func:`check` was given."""
  if not isinstance(reference, Reference):
    reference = Reference(reference, name=getattr(reference, "__name__", ""))
  if derivative is not None:
    reference = dataclasses.replace(reference, derivative=derivative, derivative_source=GIVEN)
  if kinks:
    reference = dataclasses.replace(reference, kinks=tuple(float(k) for k in kinks))
  if reference.derivative is None:
    reference = dataclasses.replace(reference, derivative=ridders(reference.value,
                                                                  reference.kinks),
                                    derivative_source=RIDDERS)
  return reference


def ridders(fn: Float64Fn, kinks: tuple[float, ...] = (), tableau: int = 12,
            shrink: float = 1.4) -> Float64Fn:
  """``fn'`` by Ridders' method: central differences at steps 2^-7 max(|x|, 1) / 1.4^k
  (at most half the distance to the nearest kink), extrapolated to step 0 (Richardson),
  keeping the estimate with the smallest error estimate. About 1e-12 relative where
  ``fn`` is smooth on the scale of the step and its float64 values resolve the change
  over a step. Not at a kink (it is left out), nor where ``fn`` oscillates faster than
  1e-2 |x|, nor where ``fn`` is a constant plus a part too small for float64 to carry
  (elu at x < -20 is -1 + e^x): give the derivative, or an mpmath formula, there."""

  def derivative(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
      h = 2.0**-7 * np.maximum(np.abs(x), 1.0)
      for k in kinks:
        h = np.minimum(h, 0.5 * np.abs(x - k))
      columns = [(fn(x + h) - fn(x - h)) / (2 * h)]
      best, error = columns[0], np.full(x.shape, np.inf)
      done = np.zeros(x.shape, bool)
      for _ in range(1, tableau):
        h = h / shrink
        new = [(fn(x + h) - fn(x - h)) / (2 * h)]
        factor = shrink**2
        for j in range(1, len(columns) + 1):
          new.append((new[j - 1] * factor - columns[j - 1]) / (factor - 1))
          factor *= shrink**2
          estimate = np.maximum(np.abs(new[j] - new[j - 1]), np.abs(new[j] - columns[j - 1]))
          better = ~done & (estimate <= error)
          best = np.where(better, new[j], best)
          error = np.where(better, estimate, error)
        # Stop where the extrapolation got worse than twice the error reached.
        done |= np.abs(new[-1] - columns[-1]) >= 2 * error
        columns = new
      return np.where(np.isnan(x), np.nan, best)

  return derivative


def from_mpmath(formula: Callable[[Any], Any], derivative: Callable[[Any], Any] | None = None,
                *, kinks: tuple[float, ...] = (), dps: int = 40, name: str = "") -> Reference:
  """A :class:`Reference` from an mpmath formula, evaluated point by point with ``dps``
  decimal digits and rounded once to float64; its derivative ``derivative`` (an mpmath
  formula too) or, where not given, ``mpmath.diff(formula, x)`` at the same precision.
  At +-inf the formula is evaluated at mpmath's +-inf: write it so that it gives the
  limit there (``x * ncdf(x)`` is ``-inf * 0``, NaN, at -inf; ``mpmath.diff`` has no
  value at infinity, so a derived derivative's limits are not checked). Needs mpmath (the
  ``testing`` extra); about 10-100 us a point, so a full check takes a few minutes."""
  import mpmath

  def pointwise(f: Callable[[Any], Any]) -> Float64Fn:
    cache: dict[float, float] = {}

    def one(v: float) -> float:
      if math.isnan(v):
        return math.nan
      if v in cache:
        return cache[v]
      with mpmath.workdps(dps):
        t = mpmath.mpf(v)  # +-inf is mpmath's +-inf
        try:
          r = f(t)
          out = float(r) if mpmath.im(r) == 0 else math.nan
        except (ValueError, ZeroDivisionError, OverflowError):
          out = math.nan
      cache[v] = out
      return out

    def vectorised(x: np.ndarray) -> np.ndarray:
      x = np.asarray(x, np.float64)
      return np.array([one(float(v)) for v in x.ravel()], np.float64).reshape(x.shape)

    return vectorised

  source = GIVEN
  if derivative is None:
    source = MPMATH_DIFF

    def derivative(t):
      return mpmath.diff(formula, t)

  return Reference(pointwise(formula), pointwise(derivative), tuple(float(k) for k in kinks),
                   source, name or getattr(formula, "__name__", ""))
