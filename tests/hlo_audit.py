"""The optimized HLO as evidence: the constants XLA's simplifier folded into a function.

XLA reassociates products of constants where they are scalars (a 0-d array, a loop
body) and not where they are broadcast (a vector): ``(x c) (x c)`` becomes
``(x x)(c c)`` with ``c c`` folded into one constant. Two hazards follow, and both broke
jaxact once: a power-of-two scaling folded into a subnormal constant that the backend
flushes to 0 (``x * 2^-70`` squared: ``2^-140``; then ``inf * 0`` is NaN), and a constant
folded and rounded on a 0-d array but not on a vector (``0.5 * 0.5`` is exact, but
``(1/sqrt 2)^2`` rounds to 0.49999997), so the two compile to different results.

:func:`hazards` compiles a function's value and derivative on a 0-d array and on a
vector for a backend and lists, from the optimized HLO: every subnormal floating-point
constant, every constant the simplifier folded to 0 or inf, and every constant it made
(not in the program before optimization, up to sign, reciprocal and a power of two) on
the 0-d array that the vector's program does not have. Used by tests/test_hlo.py (CPU)
and tests/test_tpu_aot.py (a TPU, compiled without one).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import ml_dtypes
import numpy as np

_CONSTANT = re.compile(r"\b(bf16|f16|f32|f64)\[\](?:\{[^}]*\})? constant\(([^)]+)\)")
_STABLEHLO_CONSTANT = re.compile(r"dense<([^>]+)> : tensor<(bf16|f16|f32|f64)>")
_DTYPES = {"bf16": ml_dtypes.bfloat16, "f16": np.float16, "f32": np.float32,
           "f64": np.float64}


def _value(text: str, kind: str) -> float | None:
  """The constant's value, rounded to its type (the text has 9 significant digits)."""
  text = text.strip()
  try:
    if text.startswith("0x"):
      return None  # a bit pattern (XLA prints NaN payloads so); not a scaling constant
    value = float(np.array(float(text)).astype(_DTYPES[kind]))
    return None if np.isnan(value) else value
  except ValueError:
    return None


_NAMED_CONSTANT = re.compile(
    r"(%[\w.\-]+) = (bf16|f16|f32|f64)\[\](?:\{[^}]*\})? constant\(([^)]+)\)")


def scalings(hlo: str) -> set[tuple[str, float]]:
  """The scalar constants that a multiply or a divide reads, as (type, value)."""
  named = {}
  for name, kind, text in _NAMED_CONSTANT.findall(hlo):
    value = _value(text, kind)
    if value is not None:
      named[name] = (kind, value)
  out = set()
  for line in hlo.splitlines():
    match = re.search(r"\b(?:multiply|divide)\(([^)]*)\)", line)
    if match:
      for operand in re.findall(r"%[\w.\-]+", match.group(1)):
        if operand in named:
          out.add(named[operand])
  return out


def _constants(pairs) -> set[tuple[str, float]]:
  """(type, value) of each (type, text) pair whose text is a plain number."""
  out = set()
  for kind, text in pairs:
    value = _value(text, kind)
    if value is not None:
      out.add((kind, value))
  return out


def scalar_constants(hlo: str) -> set[tuple[str, float]]:
  """The scalar floating-point constants of an HLO module's text, as (type, value)."""
  return _constants(_CONSTANT.findall(hlo))


def source_constants(stablehlo: str) -> set[tuple[str, float]]:
  """The scalar floating-point constants of a lowered (not yet optimized) module."""
  return _constants((kind, text) for text, kind in _STABLEHLO_CONSTANT.findall(stablehlo))


def _subnormal(kind: str, value: float) -> bool:
  tiny = float(ml_dtypes.finfo(_DTYPES[kind]).smallest_normal)
  return value != 0 and abs(value) < tiny


def _derived(kind: str, value: float, source: set[tuple[str, float]]) -> bool:
  """Whether a constant the simplifier made is a source constant (of any float type,
  rounded to this one), or its reciprocal, up to sign and a power of two (``A - c``
  becomes ``A + (-c)``, ``A / c`` becomes ``A * (1 / c)`` everywhere; a product with a
  power of two is exact). A folded 0 or inf is not: it is a scaling that left the
  dtype's range."""
  if value == 0 or not np.isfinite(value):
    return False
  dtype = _DTYPES[kind]
  mantissa = abs(np.frexp(value)[0])
  if mantissa == 0.5:
    return True  # a power of two
  for _, v in source:  # of any float type: a backend may narrow an operation to bf16
    with np.errstate(all="ignore"):
      v = float(np.array(v).astype(dtype))
      if v == 0 or not np.isfinite(v):
        continue
      reciprocal = float(np.array(1, dtype) / np.array(v, dtype))
    if mantissa in (abs(np.frexp(v)[0]), abs(np.frexp(reciprocal)[0])):
      return True
  return False


def hazards(program_0d: Callable, program_vector: Callable, x_0d, x_vector) -> list[str]:
  """Compiles both programs (jax.jit-able, on the abstract or concrete inputs given) and
  lists the hazards of their optimized HLO (see the module docstring); a constant the
  simplifier folded to 0 or inf counts as a subnormal does."""
  import jax

  found = []
  optimized, made = {}, {}
  for what, program, x in (("0-d", program_0d, x_0d), ("vector", program_vector, x_vector)):
    lowered = jax.jit(program).lower(x)
    source = source_constants(lowered.as_text())
    text = lowered.compile().as_text()
    constants = scalar_constants(text)
    optimized[what] = constants
    made[what] = {c for c in constants if c not in source and not _derived(*c, source)}
    found += [f"{what}: subnormal constant {kind} {value!r} (flushed to 0 by the backend)"
              for kind, value in sorted(constants) if _subnormal(kind, value)]
    found += [f"{what}: a scaling folded to the constant {kind} {value!r} (out of range)"
              for kind, value in sorted(scalings(text) & made[what])
              if value == 0 or not np.isfinite(value)]
  found += [f"0-d: constant {kind} {value!r} folded by the simplifier, not in the vector's "
            f"program (the two round differently)"
            for kind, value in sorted(made["0-d"] - optimized["vector"])
            if value != 0 and np.isfinite(value)]
  return found


def zoo_programs(rows, dtype):
  """Every row's value and derivative in one program on a 0-d array and one on a vector
  (``rows``: ``{key: elementwise fn}``): ``(program_0d, program_vector, x_0d, x_vector)``
  with abstract inputs, for :func:`hazards`."""
  import jax
  import jax.numpy as jnp

  def program_0d(s):
    return {key: jax.value_and_grad(fn)(s) for key, fn in rows.items()}

  def program_vector(x):
    def one(fn):
      y, pullback = jax.vjp(fn, x)
      return y, pullback(jnp.ones_like(y))[0]
    return {key: one(fn) for key, fn in rows.items()}

  return (program_0d, program_vector, jax.ShapeDtypeStruct((), dtype),
          jax.ShapeDtypeStruct((64,), dtype))


def zoo_hazards(rows, dtype, sharding=None) -> list[str]:
  """:func:`hazards` of every row compiled together; where there are any, each row's
  own, named (compiling the rows one by one costs more). ``sharding`` places the inputs
  (a TPU's, to compile for it without one)."""
  import jax

  def place(spec):
    return spec if sharding is None else jax.ShapeDtypeStruct(spec.shape, spec.dtype,
                                                              sharding=sharding)

  program_0d, program_vector, x_0d, x_vector = zoo_programs(rows, dtype)
  if not hazards(program_0d, program_vector, place(x_0d), place(x_vector)):
    return []
  found = []
  for key, fn in rows.items():
    program_0d, program_vector, x_0d, x_vector = zoo_programs({key: fn}, dtype)
    found += [f"{key}: {h}" for h in hazards(program_0d, program_vector, place(x_0d),
                                             place(x_vector))]
  return found or ["the rows compiled together have hazards that none has alone"]
