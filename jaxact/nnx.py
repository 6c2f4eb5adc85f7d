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

:func:`module` makes such a module for any activation whose learnable parameters are
declared with :func:`jaxact.define` (``learnable=``), with the same conventions.

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

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from jax.typing import ArrayLike

import jaxact
from jaxact._src import errors, modules
from jaxact._src import module_specs as specs
from jaxact._src.module_specs import Dtype, Initializer, Sharding

# Activation, AconC, Maxout, PReLU, RReLU, Rational, ..., and the factory ``module``.
__all__ = [*specs.SPECS, "module"]

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


def _declared(spec: specs.Spec, module_name: str) -> type[_Learnable]:
  """The class for ``spec`` (from :func:`specs.from_activation`): a constructor of the
  spec's arguments, then the keyword-only ``dtype``, ``param_dtype``, ``sharding``."""
  keyword = inspect.Parameter.KEYWORD_ONLY
  signature = inspect.Signature(
      [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
      + [inspect.Parameter(arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
         for arg, default in spec.arguments.items()]
      + [inspect.Parameter("dtype", keyword, default=None, annotation=Dtype | None),
         inspect.Parameter("param_dtype", keyword, default=jnp.float32, annotation=Dtype),
         inspect.Parameter("sharding", keyword, default=None, annotation=Sharding)])

  def __init__(self, *args: Any, **kwargs: Any) -> None:
    try:
      bound = signature.bind(self, *args, **kwargs)
    except TypeError as e:
      raise TypeError(f"{errors.where(spec.where('nnx'))}: {e}") from None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments["self"]
    dtype, param_dtype, sharding = (arguments.pop(k) for k in specs.DTYPE_ARGUMENTS)
    self._declare(arguments, dtype, param_dtype, sharding)

  __init__.__signature__ = signature  # type: ignore[attr-defined]
  __init__.__qualname__ = f"{spec.name}.__init__"
  return type(spec.name, (_Learnable,), {
      "__init__": __init__, "__doc__": spec.docstring("nnx"), "__module__": module_name,
      "__qualname__": spec.name, "spec": spec})


def module(activation: Callable[..., jax.Array],
           learnable: Mapping[str, jaxact.Learnable | None] | None = None, *,
           name: str | None = None) -> type[nnx.Module]:
  r"""A flax.nnx Module class that learns ``activation``'s parameters.

  The twin of :func:`jaxact.linen.module` (the same arguments, parameters and outputs),
  in nnx's eager convention: the parameters are :class:`flax.nnx.Param` made at
  construction. The parameters, their shapes, initial values and constraints are those
  declared with :func:`jaxact.define` (``learnable=``, see :class:`jaxact.Learnable`);
  the module calls ``activation`` with each parameter (through its constraint). Its
  constructor takes, in order: ``<p>_init`` for each learnable parameter ``p``;
  ``num_parameters`` (1 shared, or ``x.shape[axis]``) and ``axis`` (default -1) if a
  parameter is per channel; each parameter that is not learnable, fixed (the
  activation's default); and keyword-only ``dtype``, ``param_dtype`` and ``sharding``
  (see :mod:`jaxact.nnx`).

  Args:
    activation: an activation made by :func:`jaxact.define` (or any
      ``fn(x, *params)`` whose parameters have names, with ``learnable``).
    learnable: the learnable parameters, as :func:`jaxact.define` takes them;
      default the activation's own declaration.
    name: the class name (default the activation's name in CamelCase); errors name
      the module ``nnx.<name>``.

  Returns:
    A subclass of :class:`flax.nnx.Module`.

  Raises:
    ValueError: for an activation without learnable parameters, or whose parameters
      clash with the module's arguments or have no value.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> from jaxact import nnx as jx
    >>> @jaxact.define(learnable={"alpha": jaxact.Learnable(constraint="positive")})
    ... def scaled_tanh(x, alpha=2.0):
    ...   "tanh(alpha x) / alpha."
    ...   return jnp.tanh(alpha * x) / alpha
    >>> ScaledTanh = jx.module(scaled_tanh)
    >>> layer = ScaledTanh(num_parameters=3)
    >>> print(layer.alpha[...])  # raw: softplus(raw) = 2
    [1.8546 1.8546 1.8546]
    >>> print(layer(jnp.array([[-1.0, 0.5, 2.0]])))
    [[-0.482   0.3808  0.4997]]
  """
  spec = specs.from_activation(activation, learnable, name=name, where="nnx.module")
  return _declared(spec, getattr(activation, "__module__", None) or __name__)


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


Swish = _declared(specs.SWISH, __name__)
Snake = _declared(specs.SNAKE, __name__)


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
