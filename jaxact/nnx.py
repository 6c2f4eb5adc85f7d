"""Flax nnx modules for jaxact's learnable activations.

Each module declares its parameters (as :class:`flax.nnx.Param`) and calls the
functional activation of the same name; no math lives here (see :mod:`jaxact`). The
classes, their arguments and their conventions (``dtype`` and ``param_dtype``,
per-channel parameters along ``axis``) are those of :mod:`jaxact.linen`, in nnx's eager
convention: a module that owns a Dense layer takes ``in_features`` first
(``Maxout(in_features, features, num_pieces, *, rngs)``, like :class:`flax.nnx.Linear`),
a module with random behaviour takes ``rngs`` (``RReLU(..., rngs=...)``), and
``model.train()`` / ``model.eval()`` switch training and evaluation. Besides:

* ``sharding`` (keyword-only) names the mesh axes of the parameters' axes. The
  default None makes parameters without annotation, as flax's own layers do
  (:class:`flax.nnx.Linear` unless given ``kernel_metadata``). A tuple, ``("model",)``
  to shard the channels over mesh axis ``"model"`` or ``(None,)`` to replicate, is
  stored as the parameters' ``out_sharding`` metadata (so
  :func:`flax.nnx.get_partition_spec` sees it); under a mesh (``jax.set_mesh``) the
  parameters are placed on it at construction, as flax's eager sharding does; without
  one the annotation is metadata only.
* Errors name the module with its namespace: ``jaxact.nnx.PReLU: ...``.

Example:
  >>> import jax.numpy as jnp
  >>> from flax import nnx
  >>> from jaxact import nnx as jx
  >>> rngs = nnx.Rngs(0)
  >>> model = nnx.Sequential(nnx.Linear(3, 4, rngs=rngs), jx.PReLU(num_parameters=4),
  ...                        nnx.Linear(4, 1, rngs=rngs))
  >>> print(model.layers[1].negative_slope[...])
  [0.25 0.25 0.25 0.25]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from jax.typing import ArrayLike

import jaxact
from jaxact._src import errors, modules
from jaxact._src import module_specs as specs
from jaxact._src.module_specs import Dtype, Initializer, Sharding

__all__ = list(specs.SPECS)  # Activation, AconC, Maxout, PReLU, RReLU, Rational, ...

default_kernel_init = nnx.initializers.lecun_normal()
default_bias_init = nnx.initializers.zeros_init()


def _metadata(sharding: Sharding) -> dict[str, Any]:
  """``nnx.Param`` metadata for ``sharding``: eager placement only under a mesh."""
  if sharding is None:
    return {}
  metadata: dict[str, Any] = {"out_sharding": tuple(sharding)}
  if jax.sharding.get_abstract_mesh().empty:
    metadata["eager_sharding"] = False
  return metadata


class _Learnable(nnx.Module):
  """A module made from its specification ``spec`` (a class attribute each module
  sets): the parameters it declares (their shapes and initial values) and the function
  it calls."""

  def _declare(self, arguments: dict[str, Any], dtype: Dtype | None, param_dtype: Dtype,
               sharding: Sharding) -> None:
    """Keeps the constructor's ``arguments`` as attributes and creates the parameters."""
    for name, value in arguments.items():
      setattr(self, name, value)
    self.dtype = dtype
    self.param_dtype = param_dtype
    for name, value in self.spec.initial(self, "nnx").items():
      setattr(self, name, nnx.Param(jnp.asarray(value, param_dtype), **_metadata(sharding)))

  def __call__(self, x: ArrayLike) -> jax.Array:
    params = [getattr(self, name)[...] for name in self.spec.params]
    return self.spec.apply(self, x, params, "nnx")


class PReLU(_Learnable):
  __doc__ = specs.PRELU.docstring("nnx")
  spec = specs.PRELU

  def __init__(self, num_parameters: int = 1, negative_slope_init: float = 0.25,
               axis: int = -1, *, dtype: Dtype | None = None,
               param_dtype: Dtype = jnp.float32, sharding: Sharding = None):
    self._declare({"num_parameters": num_parameters,
                   "negative_slope_init": negative_slope_init, "axis": axis},
                  dtype, param_dtype, sharding)


class Maxout(nnx.Module):
  __doc__ = specs.MAXOUT.docstring("nnx")

  def __init__(self, in_features: int, features: int, num_pieces: int, *,
               use_bias: bool = True, dtype: Dtype | None = None,
               param_dtype: Dtype = jnp.float32, precision: Any = None,
               kernel_init: Initializer = default_kernel_init,
               bias_init: Initializer = default_bias_init,
               sharding: Sharding = None, rngs: nnx.Rngs):
    where = specs.MAXOUT.where("nnx")
    self.features = modules.positive_int(where, "features", features)
    self.num_pieces = modules.positive_int(where, "num_pieces", num_pieces)
    self.dense = nnx.Linear(
        in_features, self.features * self.num_pieces, use_bias=use_bias, dtype=dtype,
        param_dtype=param_dtype, precision=precision, kernel_init=kernel_init,
        bias_init=bias_init, rngs=rngs, kernel_metadata=_metadata(sharding),
        bias_metadata=_metadata(None if sharding is None else tuple(sharding)[-1:]))

  def __call__(self, x: ArrayLike) -> jax.Array:
    return jaxact.maxout(self.dense(x), self.num_pieces)


class Swish(_Learnable):
  __doc__ = specs.SWISH.docstring("nnx")
  spec = specs.SWISH

  def __init__(self, beta_init: float = 1.0, num_parameters: int = 1, axis: int = -1, *,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = None):
    self._declare({"beta_init": beta_init, "num_parameters": num_parameters, "axis": axis},
                  dtype, param_dtype, sharding)


class Snake(_Learnable):
  __doc__ = specs.SNAKE.docstring("nnx")
  spec = specs.SNAKE

  def __init__(self, alpha_init: float = 1.0, num_parameters: int = 1, axis: int = -1, *,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = None):
    self._declare({"alpha_init": alpha_init, "num_parameters": num_parameters,
                   "axis": axis}, dtype, param_dtype, sharding)


class RReLU(nnx.Module):
  __doc__ = specs.RRELU.docstring("nnx")

  def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, *,
               deterministic: bool = False, rng_collection: str = "rrelu",
               rngs: nnx.Rngs | nnx.RngStream | None = None):
    self.lower = lower
    self.upper = upper
    self.deterministic = deterministic
    self.rng_collection = rng_collection
    if isinstance(rngs, nnx.Rngs):
      self.rngs = rngs[rng_collection].fork()
    elif isinstance(rngs, nnx.RngStream):
      self.rngs = rngs.fork()
    elif rngs is None:
      self.rngs = nnx.data(None)
    else:
      errors.fail(specs.RRELU.where("nnx"), "rngs",
                  "be an nnx.Rngs, an nnx.RngStream or None", type(rngs).__name__, TypeError)

  def __call__(self, x: ArrayLike, *, deterministic: bool | None = None,
               rngs: nnx.Rngs | nnx.RngStream | jax.Array | None = None) -> jax.Array:
    """Applies RReLU; ``deterministic`` and ``rngs`` here override the module's."""
    if deterministic is None:
      deterministic = self.deterministic
    if deterministic:
      return jaxact.rrelu(x, None, self.lower, self.upper)
    if rngs is None:
      rngs = self.rngs
    if isinstance(rngs, nnx.Rngs):
      key = rngs[self.rng_collection]()
    elif isinstance(rngs, nnx.RngStream):
      key = rngs()
    elif isinstance(rngs, jax.Array):
      key = rngs
    else:
      errors.fail(specs.RRELU.where("nnx"), "rngs", "be given (to the constructor or the "
                  "call) while training, as an nnx.Rngs, an nnx.RngStream or a key",
                  type(rngs).__name__, TypeError)
    return jaxact.rrelu(x, key, self.lower, self.upper)

  def set_view(self, deterministic: bool | None = None) -> None:
    """Used by ``nnx.view``: ``deterministic=True`` selects the mean slope."""
    if deterministic is not None:
      self.deterministic = deterministic


class AconC(_Learnable):
  __doc__ = specs.ACONC.docstring("nnx")
  spec = specs.ACONC

  def __init__(self, num_parameters: int = 1, axis: int = -1, *, dtype: Dtype | None = None,
               param_dtype: Dtype = jnp.float32, sharding: Sharding = None):
    self._declare({"num_parameters": num_parameters, "axis": axis}, dtype, param_dtype,
                  sharding)


class Rational(_Learnable):
  __doc__ = specs.RATIONAL.docstring("nnx")
  spec = specs.RATIONAL

  def __init__(self, numerator_degree: int = 5, denominator_degree: int = 4,
               init: str | Callable[..., Any] = "leaky_relu", *,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = None):
    self._declare({"numerator_degree": numerator_degree,
                   "denominator_degree": denominator_degree, "init": init},
                  dtype, param_dtype, sharding)


class StarReLU(_Learnable):
  __doc__ = specs.STAR_RELU.docstring("nnx")
  spec = specs.STAR_RELU

  def __init__(self, *, scale_init: float = 0.8944, bias_init: float = -0.4472,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = None):
    self._declare({"scale_init": scale_init, "bias_init": bias_init}, dtype, param_dtype,
                  sharding)


class Activation(nnx.Module):
  __doc__ = specs.ACTIVATION.docstring("nnx")

  def __init__(self, fn: str | Callable[..., Any], **params: Any):
    jaxact.get(fn, **params)  # an unknown name or keyword fails here, not at the call
    self.fn = fn
    self.params = dict(params)

  def __call__(self, x: ArrayLike) -> jax.Array:
    return jaxact.get(self.fn, **self.params)(x)
