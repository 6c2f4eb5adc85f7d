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
* ``sharding`` (keyword-only) names the mesh axes of a parameter's axes: the parameter
  initialiser is wrapped in :func:`flax.linen.with_partitioning`, so the parameters are
  :class:`flax.linen.Partitioned` boxes carrying ``names=sharding``. The default
  ``(None,)`` replicates; ``("model",)`` shards the channels over mesh axis ``"model"``;
  ``None`` gives plain, unannotated parameters.

Example:
  >>> import jax, jax.numpy as jnp, flax.linen as nn
  >>> from jaxact import linen as jl
  >>> model = nn.Sequential([nn.Dense(4), jl.PReLU(num_parameters=4), nn.Dense(1)])
  >>> variables = model.init(jax.random.key(0), jnp.ones((2, 3)))
  >>> print(variables["params"]["layers_1"]["negative_slope"].value)
  [0.25 0.25 0.25 0.25]
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax.core import FrozenDict
from jax.typing import ArrayLike

import jaxact
from jaxact._src import modules

__all__ = ["Activation", "AconC", "Maxout", "PReLU", "RReLU", "Rational", "Snake",
           "StarReLU", "Swish"]

Dtype = Any
Initializer = Callable[..., Any]
Sharding = Sequence[str | None] | None

default_kernel_init = nn.initializers.lecun_normal()
default_bias_init = nn.initializers.zeros


def _constant(value: Any, sharding: Sharding) -> Initializer:
  """An initializer filling with ``value``, annotated with ``sharding`` (if any)."""

  def init(key, shape, dtype):
    del key
    return jnp.broadcast_to(jnp.asarray(value, dtype), shape)

  return init if sharding is None else nn.with_partitioning(init, tuple(sharding))


def _channel_params(module: nn.Module, fn: str, x: ArrayLike, inits: Mapping[str, float],
                    num_parameters: int, axis: int) -> tuple[Any, list[jax.Array]]:
  """Declares one ``(num_parameters,)`` parameter per entry of ``inits``; returns ``x``
  and the parameters, cast to the module's ``dtype`` and shaped to broadcast along
  ``axis``."""
  n = modules.positive_int(fn, "num_parameters", num_parameters)
  shape = modules.channel_shape(fn, np.shape(x), axis, n)
  params = [module.param(name, _constant(value, module.sharding), (n,), module.param_dtype)
            for name, value in inits.items()]
  x, *params = modules.cast(module.dtype, x, *params)
  return x, modules.along(params, shape)


class PReLU(nn.Module):
  r"""Parametric ReLU with a learned negative slope per channel (or one shared).

  Calls :func:`jaxact.prelu`: :math:`x` for :math:`x \ge 0`, :math:`a_c x` otherwise.

  Args:
    num_parameters: the number of slopes: 1 (shared) or the number of channels,
      ``x.shape[axis]``.
    negative_slope_init: the initial slope, 0.25 as in He et al. (2015).
    axis: the channel axis the slopes run along (default -1, channels last).
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored slopes (default float32).
    sharding: keyword-only, mesh axis names for the slopes' one axis (default
      ``(None,)``, replicated; None for no annotation).

  Parameters:
    ``negative_slope``: shape ``(num_parameters,)``, initialised to
    ``negative_slope_init``.

  Raises:
    ValueError: if ``num_parameters`` is neither 1 nor ``x.shape[axis]``.

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import PReLU
    >>> layer = PReLU(num_parameters=2)
    >>> x = jnp.array([[-1.0, -2.0], [3.0, 4.0]])
    >>> variables = layer.init(jax.random.key(0), x)
    >>> print(layer.apply(variables, x))
    [[-0.25 -0.5 ]
     [ 3.    4.  ]]

  References:
    He, Zhang, Ren & Sun, *Delving Deep into Rectifiers: Surpassing Human-Level
    Performance on ImageNet Classification*, ICCV 2015.

  .. note:: ``flax.linen.PReLU`` (and ``flax.nnx.PReLU``) has a single scalar slope
    initialised to 0.01; this one has one slope per channel (or one shared, with
    ``num_parameters=1``) initialised to He et al.'s 0.25, as PyTorch's ``nn.PReLU``.

  See also:
    :func:`jaxact.prelu`, :class:`jaxact.nnx.PReLU`, :class:`RReLU`.
  """

  num_parameters: int = 1
  negative_slope_init: float = 0.25
  axis: int = -1
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = (None,)

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    n = modules.positive_int("PReLU", "num_parameters", self.num_parameters)
    modules.channel_shape("PReLU", np.shape(x), self.axis, n)
    slope = self.param("negative_slope", _constant(self.negative_slope_init, self.sharding),
                       (n,), self.param_dtype)
    x, slope = modules.cast(self.dtype, x, slope)
    return jaxact.prelu(x, slope, axis=self.axis)


class Maxout(nn.Module):
  r"""Maxout unit: a Dense layer to ``features * num_pieces`` outputs, then maxout.

  Each output feature is the maximum of ``num_pieces`` affine functions of the input
  (:func:`jaxact.maxout` over groups of consecutive Dense outputs), acting on the last
  axis.

  Args:
    features: the number of output features.
    num_pieces: the number of affine pieces each output takes the maximum of.
    use_bias: keyword-only, whether the Dense layer has a bias (default True).
    dtype: keyword-only, the computation dtype (default: inferred as by
      :class:`flax.linen.Dense`).
    param_dtype: keyword-only, the dtype of the stored kernel and bias.
    precision: keyword-only, the Dense layer's matmul precision.
    kernel_init: keyword-only, the kernel initializer (default LeCun normal, as Dense).
    bias_init: keyword-only, the bias initializer (default zeros).
    sharding: keyword-only, mesh axis names for the kernel's ``(in, out)`` axes; the
      bias takes the last (default ``(None, None)``, replicated; None for no
      annotation, e.g. when ``kernel_init`` is already partitioned).

  Parameters:
    ``dense/kernel``: shape ``(in_features, features * num_pieces)``;
    ``dense/bias``: shape ``(features * num_pieces,)``.

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import Maxout
    >>> layer = Maxout(features=3, num_pieces=2)
    >>> variables = layer.init(jax.random.key(0), jnp.ones((5, 4)))
    >>> layer.apply(variables, jnp.ones((5, 4))).shape
    (5, 3)

  References:
    Goodfellow, Warde-Farley, Mirza, Courville & Bengio, *Maxout Networks*, ICML 2013.

  See also:
    :func:`jaxact.maxout`, :class:`jaxact.nnx.Maxout`.
  """

  features: int
  num_pieces: int
  _: dataclasses.KW_ONLY
  use_bias: bool = True
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  precision: Any = None
  kernel_init: Initializer = default_kernel_init
  bias_init: Initializer = default_bias_init
  sharding: Sharding = (None, None)

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    features = modules.positive_int("Maxout", "features", self.features)
    num_pieces = modules.positive_int("Maxout", "num_pieces", self.num_pieces)
    kernel_init, bias_init = self.kernel_init, self.bias_init
    if self.sharding is not None:
      kernel_init = nn.with_partitioning(kernel_init, tuple(self.sharding))
      bias_init = nn.with_partitioning(bias_init, tuple(self.sharding)[-1:])
    y = nn.Dense(features * num_pieces, use_bias=self.use_bias, dtype=self.dtype,
                 param_dtype=self.param_dtype, precision=self.precision,
                 kernel_init=kernel_init, bias_init=bias_init, name="dense")(x)
    return jaxact.maxout(y, num_pieces)


class Swish(nn.Module):
  r"""Swish with a learned slope :math:`\beta` per channel (or one shared).

  Calls :func:`jaxact.swish`: :math:`x\,\sigma(\beta x)`.

  Args:
    beta_init: the initial :math:`\beta`, 1 (SiLU) as in Ramachandran et al. (2017).
    num_parameters: 1 (shared) or the number of channels, ``x.shape[axis]``.
    axis: the channel axis (default -1).
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored :math:`\beta`.
    sharding: keyword-only, mesh axis names for :math:`\beta`'s axis (default
      ``(None,)``).

  Parameters:
    ``beta``: shape ``(num_parameters,)``, initialised to ``beta_init``.

  Raises:
    ValueError: if ``num_parameters`` is neither 1 nor ``x.shape[axis]``.

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import Swish
    >>> x = jnp.array([-2.0, 0.0, 1.0, 3.0])
    >>> variables = Swish().init(jax.random.key(0), x)
    >>> print(Swish().apply(variables, x))
    [-0.2384  0.      0.7311  2.8577]

  References:
    Ramachandran, Zoph & Le, *Searching for Activation Functions*, arXiv:1710.05941,
    2017.

  See also:
    :func:`jaxact.swish`, :class:`jaxact.nnx.Swish`, :class:`AconC`.
  """

  beta_init: float = 1.0
  num_parameters: int = 1
  axis: int = -1
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = (None,)

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (beta,) = _channel_params(self, "Swish", x, {"beta": self.beta_init},
                                 self.num_parameters, self.axis)
    return jaxact.swish(x, beta)


class Snake(nn.Module):
  r"""Snake with a learned frequency :math:`\alpha` per channel (or one shared).

  Calls :func:`jaxact.snake`: :math:`x + \sin^2(\alpha x)/\alpha`.

  Args:
    alpha_init: the initial :math:`\alpha`, 1 as in Ziyin, Hartwig & Ueda (2020).
    num_parameters: 1 (shared) or the number of channels, ``x.shape[axis]``.
    axis: the channel axis (default -1).
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored :math:`\alpha`.
    sharding: keyword-only, mesh axis names for :math:`\alpha`'s axis (default
      ``(None,)``).

  Parameters:
    ``alpha``: shape ``(num_parameters,)``, initialised to ``alpha_init``.

  Raises:
    ValueError: if ``num_parameters`` is neither 1 nor ``x.shape[axis]``.

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import Snake
    >>> x = jnp.array([-1.0, 0.0, 1.0])
    >>> variables = Snake().init(jax.random.key(0), x)
    >>> print(Snake().apply(variables, x))
    [-0.2919  0.      1.7081]

  References:
    Liu Ziyin, Tilman Hartwig & Masahito Ueda, *Neural Networks Fail to Learn
    Periodic Functions and How to Fix It*, NeurIPS 2020.

  See also:
    :func:`jaxact.snake`, :class:`jaxact.nnx.Snake`.
  """

  alpha_init: float = 1.0
  num_parameters: int = 1
  axis: int = -1
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = (None,)

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (alpha,) = _channel_params(self, "Snake", x, {"alpha": self.alpha_init},
                                  self.num_parameters, self.axis)
    return jaxact.snake(x, alpha)


class RReLU(nn.Module):
  r"""Randomized leaky ReLU: a random negative slope while training, the mean at eval.

  Calls :func:`jaxact.rrelu`. While training (``deterministic=False``) every element
  gets its own slope drawn uniformly from ``[lower, upper]`` with a fresh key from the
  ``rng_collection`` stream (``"rrelu"`` by default, so pass
  ``rngs={"rrelu": key}`` to ``apply``); at evaluation (``deterministic=True``) the
  slope is the mean ``(lower + upper) / 2``. This is the ``deterministic`` /
  ``rng_collection`` pattern of :class:`flax.linen.Dropout`. No parameters.

  Args:
    lower: the lower bound of the slopes (default 1/8, as Xu et al. and PyTorch).
    upper: the upper bound of the slopes (default 1/3).
    deterministic: if True, use the mean slope; if False, draw random slopes; may
      instead be given to ``__call__``.
    rng_collection: the RNG stream the slopes are drawn from (default ``"rrelu"``).

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import RReLU
    >>> x = jnp.array([-2.0, -1.0, 3.0])
    >>> print(RReLU().apply({}, x, deterministic=True))
    [-0.4583 -0.2292  3.    ]
    >>> y = RReLU().apply({}, x, deterministic=False, rngs={"rrelu": jax.random.key(0)})
    >>> bool(jnp.all((y[:2] <= x[:2] / 8) & (y[:2] >= x[:2] / 3)))
    True

  References:
    Xu, Wang, Chen & Li, *Empirical Evaluation of Rectified Activations in
    Convolutional Network*, arXiv:1505.00853, 2015.

  See also:
    :func:`jaxact.rrelu`, :class:`jaxact.nnx.RReLU`, :class:`PReLU`.
  """

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


class AconC(nn.Module):
  r"""ACON-C: a learned switch between linear and non-linear, per channel.

  Calls :func:`jaxact.acon_c`:
  :math:`(p_1 - p_2)\,x\,\sigma(\beta (p_1 - p_2) x) + p_2 x`.

  Args:
    num_parameters: 1 (shared) or the number of channels, ``x.shape[axis]``.
    axis: the channel axis (default -1).
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored parameters.
    sharding: keyword-only, mesh axis names for the parameters' axis (default
      ``(None,)``).

  Parameters:
    ``p1``: shape ``(num_parameters,)``, initialised to 1.
    ``p2``: shape ``(num_parameters,)``, initialised to 0.
    ``beta``: shape ``(num_parameters,)``, initialised to 1 (the unit starts as SiLU).

  Raises:
    ValueError: if ``num_parameters`` is neither 1 nor ``x.shape[axis]``.

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import AconC
    >>> x = jnp.array([-2.0, 0.0, 1.0, 3.0])
    >>> variables = AconC().init(jax.random.key(0), x)
    >>> print(AconC().apply(variables, x))
    [-0.2384  0.      0.7311  2.8577]

  References:
    Ma, Zhang, Liu, Zhang & Sun, *Activate or Not: Learning Customized Activation*,
    CVPR 2021.

  .. note:: The authors' code draws :math:`p_1, p_2` from a standard normal; here they
    start at 1 and 0 so that an untrained unit is exactly Swish.

  See also:
    :func:`jaxact.acon_c`, :class:`jaxact.nnx.AconC`, :class:`Swish`.
  """

  num_parameters: int = 1
  axis: int = -1
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = (None,)

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (p1, p2, beta) = _channel_params(self, "AconC", x, {"p1": 1.0, "p2": 0.0, "beta": 1.0},
                                        self.num_parameters, self.axis)
    return jaxact.acon_c(x, p1, p2, beta)


class Rational(nn.Module):
  r"""Rational activation (safe Padé unit) with learned coefficients.

  Calls :func:`jaxact.rational`:
  :math:`P(x) / (1 + |b_1 x + \dots + b_m x^m|)`, :math:`P(x) = a_0 + \dots + a_n x^n`.

  At init the coefficients are the least-squares fit of the activation ``init`` on
  :math:`[-3, 3]`, as Molina et al. initialise their units from leaky ReLU. The fit
  (float64 NumPy, 1201 equispaced points): the linearised least squares fit of
  :math:`P(x) - B(x) f(x) \approx f(x)` and the least-squares polynomial are each
  refined by Levenberg-Marquardt steps on the true residual :math:`P/(1 + |B|) - f`,
  and the better is kept. It is deterministic and cached per name and degrees.

  Args:
    numerator_degree: :math:`n` (default 5).
    denominator_degree: :math:`m` (default 4; 0 gives a polynomial).
    init: the activation fitted at init: a name for :func:`jaxact.get` (default
      ``"leaky_relu"``, slope 0.01) or a callable. (``init`` is a method of linen
      modules, so the constructor stores it in the field ``init_activation``.)
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored coefficients.
    sharding: keyword-only, mesh axis names for the coefficient vectors' axis
      (default ``(None,)``).

  Parameters:
    ``numerator``: shape ``(n + 1,)``, :math:`a_0, \dots, a_n`;
    ``denominator``: shape ``(m,)``, :math:`b_1, \dots, b_m`.

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import Rational
    >>> layer = Rational(init="tanh")
    >>> x = jnp.linspace(-3.0, 3.0, 13)
    >>> variables = layer.init(jax.random.key(0), x)
    >>> bool(jnp.max(jnp.abs(layer.apply(variables, x) - jnp.tanh(x))) < 1e-5)
    True

  References:
    Molina, Schramowski & Kersting, *Padé Activation Units: End-to-end Learning of
    Flexible Activation Functions in Deep Networks*, ICLR 2020.

  See also:
    :func:`jaxact.rational`, :class:`jaxact.nnx.Rational`.
  """

  numerator_degree: int = 5
  denominator_degree: int = 4
  init_activation: str | Callable[..., Any] = "leaky_relu"
  _: dataclasses.KW_ONLY
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = (None,)

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    n = modules.positive_int("Rational", "numerator_degree", self.numerator_degree, 0)
    m = modules.positive_int("Rational", "denominator_degree", self.denominator_degree, 0)
    numerator, denominator = modules.fit_rational(self.init_activation, n, m)
    numerator = self.param("numerator", _constant(numerator, self.sharding), (n + 1,),
                           self.param_dtype)
    denominator = self.param("denominator", _constant(denominator, self.sharding), (m,),
                             self.param_dtype)
    x, numerator, denominator = modules.cast(self.dtype, x, numerator, denominator)
    return jaxact.rational(x, numerator, denominator)


class StarReLU(nn.Module):
  r"""StarReLU with a learned scale and bias: :math:`s \max(x, 0)^2 + b`.

  Calls :func:`jaxact.star_relu`.

  Args:
    scale_init: keyword-only, the initial scale :math:`s` (default 0.8944, as Yu et
      al.: :math:`1/\sqrt{1.25}`).
    bias_init: keyword-only, the initial bias :math:`b` (default -0.4472,
      :math:`-0.5/\sqrt{1.25}`).
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored scale and bias.
    sharding: keyword-only, mesh axis names for the parameters' axis (default
      ``(None,)``).

  Parameters:
    ``scale``, ``bias``: shape ``(1,)``, shared by every entry (as in the paper).

  Example:
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import StarReLU
    >>> x = jnp.array([-1.0, 0.0, 1.0, 2.0])
    >>> variables = StarReLU().init(jax.random.key(0), x)
    >>> print(StarReLU().apply(variables, x))
    [-0.4472 -0.4472  0.4472  3.1304]

  References:
    Yu, Si, Zhou, Wang & Yan, *MetaFormer Baselines for Vision*, arXiv:2210.13452, 2022.

  See also:
    :func:`jaxact.star_relu`, :class:`jaxact.nnx.StarReLU`.
  """

  _: dataclasses.KW_ONLY
  scale_init: float = 0.8944
  bias_init: float = -0.4472
  dtype: Dtype | None = None
  param_dtype: Dtype = jnp.float32
  sharding: Sharding = (None,)

  @nn.compact
  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (scale, bias) = _channel_params(self, "StarReLU", x,
                                       {"scale": self.scale_init, "bias": self.bias_init},
                                       1, -1)
    return jaxact.star_relu(x, scale, bias)


class Activation(nn.Module):
  r"""Any jaxact activation as a module: ``Activation(fn, **params)``.

  Calls ``jaxact.get(fn, **params)(x)``. No parameters (``params`` are fixed
  keyword arguments, such as ``approximate=False`` for gelu); for learnable ones use
  the dedicated modules.

  Args:
    fn: an activation's name (see :func:`jaxact.available`) or a callable.
    params: a mapping of keyword arguments for ``fn`` (the field they are stored in);
      more may be given as keywords: ``Activation("gelu", approximate=False)``.

  Raises:
    ValueError: for an unknown name, when the module is constructed.
    TypeError: for a keyword ``fn`` does not take.

  Example:
    >>> import jax.numpy as jnp
    >>> from jaxact.linen import Activation
    >>> layer = Activation("leaky_relu", negative_slope=0.2)
    >>> print(layer.apply({}, jnp.array([-1.0, 2.0])))
    [-0.2  2. ]

  See also:
    :func:`jaxact.get`, :class:`jaxact.nnx.Activation`.
  """

  fn: str | Callable[..., Any]
  params: Mapping[str, Any] = FrozenDict()

  def __call__(self, x: ArrayLike) -> jax.Array:
    return jaxact.get(self.fn, **self.params)(x)


_activation_fields = Activation.__init__
_rational_fields = Rational.__init__


def _activation_init(self, fn: str | Callable[..., Any],
                     params: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
  # `parent` and `name` belong to linen (clone passes them); the rest are fn's.
  module = {key: kwargs.pop(key) for key in ("parent", "name") if key in kwargs}
  params = FrozenDict({**(params or {}), **kwargs})
  jaxact.get(fn, **params)  # an unknown name or keyword fails here, not at apply
  _activation_fields(self, fn, params, **module)


def _rational_init(self, numerator_degree: int = 5, denominator_degree: int = 4,
                   init: str | Callable[..., Any] = "leaky_relu", **kwargs: Any) -> None:
  # Module.init is a method, so the activation lives in `init_activation` (which clone
  # passes back by that name).
  init = kwargs.pop("init_activation", init)
  _rational_fields(self, numerator_degree, denominator_degree, init, **kwargs)


def _signature(init: Callable[..., None], rename: Mapping[str, str],
               extra: Sequence[inspect.Parameter] = ()) -> inspect.Signature:
  """The dataclass ``__init__``'s signature, with fields renamed and ``extra`` added."""
  signature = inspect.signature(init)
  parameters = [p.replace(name=rename.get(p.name, p.name))
                for p in signature.parameters.values()]
  return signature.replace(parameters=[*parameters, *extra])


_activation_init.__doc__ = "``Activation(fn, params=None, **more_params)``; see the class."
_activation_init.__signature__ = _signature(  # type: ignore[attr-defined]
    _activation_fields, {}, [inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
_rational_init.__doc__ = "``Rational(numerator_degree=5, denominator_degree=4, init=...)``."
_rational_init.__signature__ = _signature(  # type: ignore[attr-defined]
    _rational_fields, {"init_activation": "init"})
Activation.__init__ = _activation_init  # type: ignore[method-assign]
Rational.__init__ = _rational_init  # type: ignore[method-assign]
