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
  dtype = _dtype_of(fn, "x", x)
  if jnp.issubdtype(dtype, jnp.floating):
    return dtype
  return np.dtype(jax.dtypes.canonicalize_dtype(jnp.float64))


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


def finish(y: jax.Array, out: np.dtype) -> jax.Array:
  """Rounds a result computed by :func:`prepare`'s policy to the output dtype, once."""
  return y if y.dtype == out else y.astype(out)
