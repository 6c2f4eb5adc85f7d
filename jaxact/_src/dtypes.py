"""The dtype policy, in one place.

* float16, bfloat16 (and any float narrower than 32 bits) are computed in float32 and
  rounded once, at the end, back to the input dtype;
* float32 and float64 are computed in their own dtype;
* integers and bools are promoted to the default float dtype (float32, or float64
  under ``jax_enable_x64``), as ``jax.nn.gelu`` does;
* complex inputs are a TypeError naming the function.

Parameters (slopes, alphas, coefficients) are cast to the compute dtype, so that a
float32 slope on a bfloat16 input neither widens the result nor is rounded to
bfloat16 first.

Weak types behave as in jax.numpy: a Python scalar (or a weakly typed array, which is
what a Python scalar becomes under ``jit``) gives a weakly typed result, so that
``bfloat16_array * f(0.5)`` stays bfloat16 (:func:`is_weak`, :func:`finish`).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxact._src import errors


def _dtype_of(fn: str, arg: str, value: Any) -> np.dtype:
  errors.check_array(fn, arg, value)
  try:
    dtype = jnp.result_type(value)
  except TypeError:  # a NumPy array of strings or objects
    errors.fail(fn, arg, "be a real floating-point, integer or bool array",
                f"dtype {getattr(value, 'dtype', type(value).__name__)}", TypeError)
  if not (jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.integer)
          or jnp.issubdtype(dtype, jnp.bool_)):
    errors.fail(fn, arg, "be a real floating-point, integer or bool array",
                f"dtype {dtype}", TypeError)
  return np.dtype(dtype)


def output_dtype(fn: str, x: Any) -> np.dtype:
  """The dtype ``fn(x)`` returns: x's float dtype, or the default float dtype."""
  return _float_dtype(fn, "x", x)


def compute_dtype(dtype: np.dtype) -> np.dtype:
  """The dtype an output of ``dtype`` is computed in."""
  if dtype.itemsize < 4:
    return np.dtype(jnp.float32)
  return dtype


def prepare(fn: str, x: Any, params: Sequence[Any] = (), names: Sequence[str] = (), *,
            x_in_output_dtype: bool = False):
  """Applies the policy: returns ``(x, params, out_dtype)`` ready to compute on.

  ``x`` and every parameter come back as arrays of the compute dtype; with
  ``x_in_output_dtype``, ``x`` comes back in the output dtype instead (a bfloat16 ``x``
  stays bfloat16, an integer one becomes float), for the mechanism, which casts it to
  the compute dtype itself. A parameter must broadcast to ``x.shape``; one of lower
  rank (a per-channel vector, channels last) is reshaped to ``x``'s rank here, so no
  operation needs rank promotion. Anything else is the house TypeError (not an array)
  or ValueError (shape), naming the argument.
  """
  out = output_dtype(fn, x)
  work = compute_dtype(out)
  x = jnp.asarray(x)
  target = out if x_in_output_dtype else work
  if x.dtype != target:
    x = x.astype(target)
  cast = []
  for name, p in zip(names, params, strict=True):
    _dtype_of(fn, name, p)
    p = _to_rank_of(fn, name, jnp.asarray(p), x.shape)
    cast.append(p if p.dtype == work else p.astype(work))
  return _shard_like_params(x, cast), tuple(cast), out


def prepare_pair(fn: str, gate: Any, up: Any):
  """The policy for a gated unit of two operands: ``(gate, up, out_dtype, weak)``.

  ``gate`` and ``up`` come back as arrays of the output dtype (bfloat16 stays bfloat16,
  integers become float), broadcast to one shape, each with its own sharding. The
  output dtype is theirs when they agree; a weakly typed operand (a Python scalar) takes
  the other's, as in jax.numpy; two strong dtypes give the wider
  (:func:`jax.numpy.promote_types`, whatever the user's promotion setting). The result
  is weakly typed when both operands are."""
  kinds = [(output_dtype(fn, gate), is_weak(gate)),
           (_float_dtype(fn, "up", up), is_weak(up))]
  strong = [d for d, weak in kinds if not weak] or [d for d, _ in kinds]
  out = np.dtype(functools.reduce(jnp.promote_types, strong))
  gate, up = jnp.asarray(gate), jnp.asarray(up)
  try:
    shape = jnp.broadcast_shapes(gate.shape, up.shape)
  except ValueError:
    errors.fail(fn, "up", f"have the shape of the gate x, {gate.shape} (or broadcast to it)",
                f"shape {up.shape}")
  gate, up = (a if a.dtype == out else a.astype(out) for a in (gate, up))
  gate, up = (a if a.shape == shape else jnp.broadcast_to(a, shape) for a in (gate, up))
  return gate, up, out, kinds[0][1] and kinds[1][1]


def _float_dtype(fn: str, arg: str, value: Any) -> np.dtype:
  dtype = _dtype_of(fn, arg, value)
  if jnp.issubdtype(dtype, jnp.floating):
    return dtype
  return np.dtype(jax.dtypes.canonicalize_dtype(jnp.float64))


def _shard_like_params(x: jax.Array, params: Sequence[jax.Array]) -> jax.Array:
  """``x``, resharded under a mesh with Explicit axes to the sharding that ``x`` times
  the parameters has (a per-channel parameter sharded over another mesh axis than the
  batch): the formulas select between ``x`` and products with the parameters, and a
  select needs its operands sharded alike. Unchanged otherwise (Auto axes, no mesh,
  scalar parameters)."""
  if not any(p.ndim for p in params):
    return x
  if not any(jax.typeof(a).sharding.mesh.explicit_axes for a in (x, *params)):
    return x
  product = jax.eval_shape(lambda v, *ps: functools.reduce(operator.mul, ps, v), x, *params)
  if product.shape != x.shape or product.sharding.spec == jax.typeof(x).sharding.spec:
    return x
  return jax.sharding.reshard(x, product.sharding.spec)


def _to_rank_of(fn: str, name: str, p: jax.Array, shape: tuple[int, ...]) -> jax.Array:
  """``p`` at the rank of ``shape``, or the house ValueError unless it broadcasts to it."""
  fits = p.ndim <= len(shape) and all(
      d in (1, n) for d, n in zip(p.shape[::-1], shape[::-1], strict=False))
  if not fits:
    example = (1,) * (len(shape) - 1) + shape[-1:]
    errors.fail(fn, name, f"be a scalar or broadcast to x.shape = {shape} (one value per "
                f"channel, channels last: shape {example} or {shape[-1:]})"
                if shape else "be a scalar for a scalar x", f"shape {p.shape}")
  if 0 < p.ndim < len(shape):
    p = p.reshape((1,) * (len(shape) - p.ndim) + p.shape)
  return p


def is_weak(x: Any) -> bool:
  """Whether ``x`` is weakly typed, as jax.numpy decides it: a Python int or float, or
  an array whose type is weak (a Python scalar passed through ``jit``)."""
  if isinstance(x, (int, float)) and not isinstance(x, bool):
    return True
  if isinstance(x, jax.Array):
    return bool(getattr(jax.typeof(x), "weak_type", False))
  return False


try:  # jax.numpy's own way to mark a result weakly typed (no public spelling of it)
  from jax._src.lax.lax import _convert_element_type as _convert
except ImportError:  # pragma: no cover - a jax that moved it: results stay strong
  _convert = None


def finish(y: jax.Array, out: np.dtype, weak: bool = False) -> jax.Array:
  """Rounds a result computed by :func:`prepare`'s policy to the output dtype, once;
  with ``weak`` (the input was weakly typed, :func:`is_weak`) the result is weakly
  typed too, as jax.numpy's would be."""
  y = y if y.dtype == out else y.astype(out)
  if weak and _convert is not None and not getattr(jax.typeof(y), "weak_type", False):
    y = _convert(y, out, weak_type=True)
  return y
