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
  dtype = jnp.result_type(value)
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


def prepare(fn: str, x: Any, params: Sequence[Any] = (), names: Sequence[str] = ()):
  """Applies the policy: returns ``(x, params, out_dtype)`` ready to compute on.

  ``x`` and every parameter come back as arrays of the compute dtype; a parameter
  must already broadcast against ``x`` without rank promotion (scalar or same rank).
  """
  out = output_dtype(fn, x)
  work = compute_dtype(out)
  x = jnp.asarray(x)
  if x.dtype != work:
    x = x.astype(work)
  cast = []
  for name, p in zip(names, params, strict=True):
    _dtype_of(fn, name, p)
    p = jnp.asarray(p)
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


def finish(y: jax.Array, out: np.dtype) -> jax.Array:
  """Rounds a result computed by :func:`prepare`'s policy to the output dtype, once."""
  return y if y.dtype == out else y.astype(out)
