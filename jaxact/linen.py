"""Flax linen modules for jaxact's learnable activations.

Each module declares its parameters and calls the functional activation of the same
name; no math lives here (see :mod:`jaxact` for the definitions and their numerics).
The classes and their arguments are the same in :mod:`jaxact.nnx`.

Conventions shared by every module with parameters:

* ``param_dtype`` (keyword-only, default float32) is the dtype parameters are stored
  in; ``dtype`` (keyword-only, default None) is the dtype of the computation: the input
  and the parameters are cast to it. With ``dtype=None`` the functional activation's
  own policy applies: the output has the input's dtype, and a float32 parameter on a
  bfloat16 input neither widens the result nor is rounded to bfloat16 first.
* Per-channel parameters have shape ``(num_parameters,)`` and run along ``axis``
  (default -1, JAX's channels-last convention); ``num_parameters`` is 1 (one shared
  parameter) or ``x.shape[axis]``, else a ValueError is raised.
* ``sharding`` (keyword-only) names the mesh axes of the parameters' axes. The
  default None makes plain parameters, as flax's own layers do (:class:`flax.linen.Dense`
  unless its initializer is wrapped in :func:`flax.linen.with_partitioning`). A tuple,
  ``("model",)`` to shard the channels over mesh axis ``"model"`` or ``(None,)`` to
  replicate, wraps the initializer in :func:`flax.linen.with_partitioning`: the
  parameters are then :class:`flax.linen.Partitioned` boxes carrying
  ``names=sharding``, read by :func:`flax.linen.get_partition_spec` (and removed by
  :func:`flax.linen.unbox`).
* Errors name the module with its namespace: ``jaxact.linen.PReLU: ...``.

:func:`module` makes such a module for any activation whose learnable parameters are
declared with :func:`jaxact.define` (``learnable=``), with the same conventions.

Example:
  >>> import jax, jax.numpy as jnp, flax.linen as nn
  >>> from jaxact import linen as jl
  >>> model = nn.Sequential([nn.Dense(4), jl.PReLU(num_parameters=4), nn.Dense(1)])
  >>> variables = model.init(jax.random.key(0), jnp.ones((2, 3)))
  >>> print(variables["params"]["layers_1"]["negative_slope"])
  [0.25 0.25 0.25 0.25]
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.core import FrozenDict
from jax.typing import ArrayLike

import jaxact
from jaxact._src import module_specs as specs
from jaxact._src import modules
from jaxact._src.module_specs import Dtype, Initializer, Sharding

# Activation, AconC, Maxout, PReLU, RReLU, Rational, ..., and the factory ``module``.
__all__ = [*specs.SPECS, "module"]

default_kernel_init = nn.initializers.lecun_normal()
default_bias_init = nn.initializers.zeros


def _partitioned(init: Initializer, sharding: Sharding) -> Initializer:
  """``init`` annotated with ``sharding``, or as it is for None."""
  return init if sharding is None else nn.with_partitioning(init, tuple(sharding))


class _Learnable(nn.Module):
  """A module made from its specification ``spec``: the parameters it declares (their
  shapes and initial values) and the function it calls. Each module sets the class
  attribute ``spec`` (no annotation: it is not a dataclass field)."""

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    initial = functools.cache(lambda: self.spec.initial(self, "linen"))

    def init(name):
      return _partitioned(lambda key, shape, dtype: jnp.asarray(initial()[name], dtype),
                          self.sharding)

    params = [self.param(name, init(name), shape, self.param_dtype)
              for name, shape in self.spec.shapes(self, "linen").items()]
    return self.spec.apply(self, x, params, "linen")


def _declared(spec: specs.Spec, module_name: str) -> type[_Learnable]:
  """The class for ``spec`` (from :func:`specs.from_activation`): a field per
  constructor argument, then the keyword-only ``dtype``, ``param_dtype``, ``sharding``."""
  kinds = {"num_parameters": int, "axis": int}
  annotations: dict[str, Any] = {arg: kinds.get(arg, Any) for arg in spec.arguments}
  namespace: dict[str, Any] = dict(spec.arguments)
  annotations.update({"_": dataclasses.KW_ONLY, "dtype": Dtype | None,
                      "param_dtype": Dtype, "sharding": Sharding})
  namespace.update(specs.DTYPE_ARGUMENTS, param_dtype=jnp.float32,
                   __annotations__=annotations, __doc__=spec.docstring("linen"),
                   __module__=module_name, __qualname__=spec.name, spec=spec)
  return type(spec.name, (_Learnable,), namespace)


def module(activation: Callable[..., jax.Array],
           learnable: Mapping[str, jaxact.Learnable | None] | None = None, *,
           name: str | None = None) -> type[nn.Module]:
  r"""A flax.linen Module class that learns ``activation``'s parameters.

  The parameters, their shapes, initial values and constraints are those declared with
  :func:`jaxact.define` (``learnable=``, see :class:`jaxact.Learnable`); the module
  holds no math: it calls ``activation`` with each parameter (through its constraint).
  Its constructor takes, in order: ``<p>_init`` for each learnable parameter ``p``;
  ``num_parameters`` (1 shared, or ``x.shape[axis]``) and ``axis`` (default -1) if a
  parameter is per channel; each parameter that is not learnable, fixed (the
  activation's default); and keyword-only ``dtype``, ``param_dtype`` and ``sharding``,
  as jaxact's own modules (see :mod:`jaxact.linen`). The same call in
  :func:`jaxact.nnx.module` makes its nnx twin: the same arguments and outputs.

  Args:
    activation: an activation made by :func:`jaxact.define` (or any
      ``fn(x, *params)`` whose parameters have names, with ``learnable``).
    learnable: the learnable parameters, as :func:`jaxact.define` takes them;
      default the activation's own declaration.
    name: the class name (default the activation's name in CamelCase); errors name
      the module ``linen.<name>``.

  Returns:
    A subclass of :class:`flax.linen.Module`.

  Raises:
    ValueError: for an activation without learnable parameters, or whose parameters
      clash with the module's arguments or have no value.

  Example:
    >>> import jax, jax.numpy as jnp, jaxact
    >>> from jaxact import linen as jl
    >>> @jaxact.define(learnable={"alpha": jaxact.Learnable(constraint="positive")})
    ... def scaled_tanh(x, alpha=2.0):
    ...   "tanh(alpha x) / alpha."
    ...   return jnp.tanh(alpha * x) / alpha
    >>> ScaledTanh = jl.module(scaled_tanh)
    >>> layer = ScaledTanh(num_parameters=3)
    >>> x = jnp.array([[-1.0, 0.5, 2.0]])
    >>> variables = layer.init(jax.random.key(0), x)
    >>> print(variables["params"]["alpha"])  # raw: softplus(raw) = 2
    [1.8546 1.8546 1.8546]
    >>> print(layer.apply(variables, x))
    [[-0.482   0.3808  0.4997]]
  """
  spec = specs.from_activation(activation, learnable, name=name, where="linen.module")
  return _declared(spec, getattr(activation, "__module__", None) or __name__)


class _Constructor(type):
  """The metaclass of the modules whose documented constructor takes an argument that
  no dataclass field can hold: ``Rational(init=...)`` (``init`` is every linen module's
  method, so the field is ``init_activation``) and ``Activation(fn, **params)`` (the
  keywords that are no field are gathered into the field ``params``).

  The constructor flax generates from the fields stays as it is; this only renames and
  gathers the arguments given to it. Being the metaclass, it carries over to every
  subclass: flax's transformed ones (``nn.remat(Rational)``, ``nn.scan``, ``nn.vmap``,
  ``nn.jit``) and the user's.
  """

  def __call__(cls, *args: Any, **kwargs: Any) -> Any:
    fields = [f.name for f in dataclasses.fields(cls) if f.init]
    given: dict[str, Any] = {}
    for key, value in kwargs.items():
      field = specs.LINEN_FIELDS.get(key, key)
      field = field if key not in fields and field in fields else key
      if field in given:
        raise TypeError(f"{cls.__name__}() got multiple values for argument {key!r}")
      given[field] = value
    gather = cls._gathers_keywords_into
    if gather is not None:
      more = {key: given.pop(key) for key in list(given) if key not in fields}
      at = fields.index(gather)
      if len(args) > at:  # given by position
        args = (*args[:at], FrozenDict({**args[at], **more}), *args[at + 1:])
      else:  # frozen, so that the module stays hashable
        given[gather] = FrozenDict({**given.get(gather, {}), **more})
    return super().__call__(*args, **given)

  @property
  def __signature__(cls) -> inspect.Signature:
    """The documented signature: the fields' (``init`` for ``init_activation``), and
    ``**kwargs`` where the constructor gathers keywords."""
    signature = inspect.signature(cls.__init__)
    names = {field: argument for argument, field in specs.LINEN_FIELDS.items()}
    parameters = [p.replace(name=names.get(p.name, p.name))
                  for p in list(signature.parameters.values())[1:]]
    if cls._gathers_keywords_into is not None:
      parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    return signature.replace(parameters=parameters)


class PReLU(_Learnable):
  __doc__ = specs.PRELU.docstring("linen")
  spec = specs.PRELU

  num_parameters: int = 1
  negative_slope_init: float = 0.25
  axis: int = -1
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = None


class Maxout(nn.Module):
  __doc__ = specs.MAXOUT.docstring("linen")

  features: int
  num_pieces: int
  _: dataclasses.KW_ONLY
  use_bias: bool = True
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  precision: Any = None
  kernel_init: Initializer = default_kernel_init
  bias_init: Initializer = default_bias_init
  sharding: Sharding = None

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    where = specs.MAXOUT.where("linen")
    features = modules.positive_int(where, "features", self.features)
    num_pieces = modules.positive_int(where, "num_pieces", self.num_pieces)
    bias_sharding = None if self.sharding is None else tuple(self.sharding)[-1:]
    y = nn.Dense(features * num_pieces, use_bias=self.use_bias, dtype=self.dtype,
                 param_dtype=self.param_dtype, precision=self.precision,
                 kernel_init=_partitioned(self.kernel_init, self.sharding),
                 bias_init=_partitioned(self.bias_init, bias_sharding), name="dense")(x)
    return jaxact.maxout(y, num_pieces)


Swish = _declared(specs.SWISH, __name__)
Snake = _declared(specs.SNAKE, __name__)


class RReLU(nn.Module):
  __doc__ = specs.RRELU.docstring("linen")

  lower: float = 1.0 / 8
  upper: float = 1.0 / 3
  deterministic: bool | None = None
  rng_collection: str = "rrelu"

  @nn.compact
  def __call__(self, x: ArrayLike, deterministic: bool | None = None,
               rng: jax.Array | None = None) -> jax.Array:
    """Applies RReLU; ``deterministic`` here overrides the attribute, and ``rng``, if
    given, is used instead of a key from ``rng_collection``."""
    deterministic = nn.merge_param("deterministic", self.deterministic, deterministic)
    if deterministic:
      return jaxact.rrelu(x, None, self.lower, self.upper)
    if rng is None:
      rng = self.make_rng(self.rng_collection)
    return jaxact.rrelu(x, rng, self.lower, self.upper)


class AconC(_Learnable):
  __doc__ = specs.ACONC.docstring("linen")
  spec = specs.ACONC

  num_parameters: int = 1
  axis: int = -1
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = None


class Rational(_Learnable, metaclass=_Constructor):
  __doc__ = specs.RATIONAL.docstring("linen")
  spec = specs.RATIONAL
  _gathers_keywords_into = None

  numerator_degree: int = 5
  denominator_degree: int = 4
  init_activation: str | Callable[..., Any] = "leaky_relu"  # the argument ``init``
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = None


class StarReLU(_Learnable):
  __doc__ = specs.STAR_RELU.docstring("linen")
  spec = specs.STAR_RELU

  _: dataclasses.KW_ONLY
  scale_init: float = 0.8944
  bias_init: float = -0.4472
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = None


class Activation(nn.Module, metaclass=_Constructor):
  __doc__ = specs.ACTIVATION.docstring("linen")
  _gathers_keywords_into = "params"

  fn: str | Callable[..., Any]
  params: Mapping[str, Any] = FrozenDict()

  def __post_init__(self) -> None:
    jaxact.get(self.fn, **self.params)  # an unknown name or keyword fails here, not at apply
    super().__post_init__()

  def __call__(self, x: ArrayLike) -> jax.Array:
    return jaxact.get(self.fn, **self.params)(x)
