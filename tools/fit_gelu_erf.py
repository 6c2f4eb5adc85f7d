"""Fit the polynomials of jaxact's float32 exact (erf) GELU and print them.

The float32 value is written without ``erfc``, as ``gelu(x) = x - t`` for x >= 0 and
``-t`` for x < 0, with ``t = a Phi(-a)``, ``a = min(|x|, 14)``, from one ``exp`` and one
polynomial evaluation whose variable and coefficients are selected by ``a``::

    a < 3:   t = exp(P(s) - a^2 / 2) * a / 2,   P(s) ~ log(2 Phi(-a)) + a^2 / 2,
             s = (a - 1.5) / 1.5                (degree 8)
    a >= 3:  t = exp(-a^2 / 2) * Q(s),          Q(s) ~ a Phi(-a) e^(a^2 / 2),
             s = (1 / a^2 - m) / h              (degree 6, on 1/a^2 in [1/196, 1/9])

Near 0 the exponent form keeps the relative error of ``Phi(-a)`` small where gelu's slope
is 0 (x = -0.75), the one place no rounding of x hides an error; in the tail, ``Q`` is
``a`` times the Mills ratio, smooth in ``1 / a^2``, and the error is that of
``exp(-a^2 / 2)`` alone, as for an ``erfc``. Each polynomial is fitted by weighted least
squares (relative error; the weights updated toward the minimax error), the reference
from ``scipy.special.log_ndtr`` in float64. The float32 value is within 2 ULP of the
exact GELU (with and without fused multiply-adds), checked by ``tests/test_numerics.py``
on every bfloat16/float16 and a float32 sweep.

Why this shape: XLA TPU recomputes the value in the backward pass (as it does jax.nn's
``x (1 + erf(x / sqrt 2)) / 2``) only while the value's fusion is cheap enough. Built on
``erfc``, or on one polynomial of degree 16 over all of [0, 14], it kept a gate-sized
tensor more in a bfloat16 GEGLU block (2274 MiB against 1281; jax.nn 1921). One
polynomial of degree 13 is cheap enough but 3 to 7 times less accurate than ``erfc`` in
the tail; the two selected ones here are cheap enough and more accurate than ``erfc``.

Run: ``python tools/fit_gelu_erf.py``; paste its output into ``jaxact/_src/selfgated.py``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr

SPLIT, CUTOFF, NEAR_DEGREE, TAIL_DEGREE = 3.0, 14.0, 8, 6


def _fit(v, target, degree, tolerance, iterations=40):
  """Centre, 1 / half-width and coefficients (highest first) of a polynomial in
  (v - centre) / half-width close to target, its error relative to tolerance."""
  centre, half = (v.min() + v.max()) / 2, (v.max() - v.min()) / 2
  vander = np.vander((v - centre) / half, degree + 1)
  weights = 1 / tolerance
  for _ in range(iterations):
    coeffs, *_ = np.linalg.lstsq(vander * weights[:, None], target * weights, rcond=None)
    residual = np.abs(vander @ coeffs - target) / tolerance
    weights *= np.sqrt(residual / residual.max() + 1e-3)
  return centre, 1 / half, coeffs


def fit():
  """(near, tail): each (centre, 1 / half-width, coefficients) in float64."""
  a = np.linspace(0.0, SPLIT, 20001)
  # the error of the exponent is the relative error of Phi
  near = _fit(a, log_ndtr(-a) + a * a / 2 + np.log(2.0), NEAR_DEGREE, np.ones_like(a))
  a = np.linspace(SPLIT, CUTOFF, 20001)
  mills = a * np.exp(log_ndtr(-a) + a * a / 2)
  tail = _fit(1 / (a * a), mills, TAIL_DEGREE, mills)
  return near, tail


def _f32(v) -> str:
  return repr(float(np.float32(v)))


if __name__ == "__main__":
  for name, (centre, inverse_half, coeffs) in zip(("_ERF_NEAR", "_ERF_TAIL"), fit(), strict=True):
    print(f"{name} = ({_f32(centre)}, {_f32(inverse_half)}, (")
    print("    " + ", ".join(_f32(c) for c in coeffs) + "))")
