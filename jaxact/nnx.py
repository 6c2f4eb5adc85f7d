"""Flax nnx modules for jaxact's learnable activations.

Each module declares its parameters (as :class:`flax.nnx.Param`) and calls the
functional activation of the same name; no math lives here (see :mod:`jaxact`). The
classes and their arguments are those of :mod:`jaxact.linen`, in nnx's eager
convention: a module that owns a Dense layer takes ``in_features`` first
(``Maxout(in_features, features, num_pieces, *, rngs)``, like :class:`flax.nnx.Linear`),
a module with random behaviour takes ``rngs`` (``RReLU(..., rngs=...)``), and
``model.train()`` / ``model.eval()`` switch training and evaluation.

Conventions shared by every module with parameters:

* ``param_dtype`` (keyword-only, default float32) is the dtype parameters are stored
  in; ``dtype`` (keyword-only, default None) is the dtype of the computation: the input
  and the parameters are cast to it. With ``dtype=None`` the functional activation's
  own policy applies: the output has the input's dtype, and a float32 parameter on a
  bfloat16 input neither widens the result nor is rounded to bfloat16 first.
* Per-channel parameters have shape ``(num_parameters,)`` and run along ``axis``
  (default -1, JAX's channels-last convention); ``num_parameters`` is 1 (one shared
  parameter) or ``x.shape[axis]``, else a ValueError is raised.
* ``sharding`` (keyword-only) names the mesh axes of a parameter's axes; it is stored
  as the parameter's ``out_sharding`` metadata (so :func:`flax.nnx.get_partition_spec`
  sees it). The default ``(None,)`` replicates; ``("model",)`` shards the channels
  over mesh axis ``"model"``; ``None`` gives unannotated parameters. Under a mesh
  (``jax.set_mesh``) the parameters are placed on it at construction, as flax's eager
  sharding does; without one the annotation is metadata only.

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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.typing import ArrayLike

import jaxact
from jaxact._src import errors, modules

__all__ = ["Activation", "AconC", "Maxout", "PReLU", "RReLU", "Rational", "Snake",
           "StarReLU", "Swish"]

Dtype = Any
Initializer = Callable[..., Any]
Sharding = Sequence[str | None] | None

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


def _param(value: Any, shape: tuple[int, ...], param_dtype: Dtype,
           sharding: Sharding) -> nnx.Param:
  """A parameter of ``shape`` filled with ``value``, stored in ``param_dtype``."""
  return nnx.Param(jnp.broadcast_to(jnp.asarray(value, param_dtype), shape),
                   **_metadata(sharding))


class _PerChannel(nnx.Module):
  """Shared by the modules whose parameters run along a channel axis."""

  def _declare(self, fn: str, inits: Mapping[str, float], num_parameters: int, axis: int,
               dtype: Dtype | None, param_dtype: Dtype, sharding: Sharding) -> None:
    self.num_parameters = modules.positive_int(fn, "num_parameters", num_parameters)
    self.axis = axis
    self.dtype = dtype
    self.param_dtype = param_dtype
    for name, value in inits.items():
      setattr(self, name, _param(value, (self.num_parameters,), param_dtype, sharding))

  def _prepare(self, fn: str, x: ArrayLike, names: Sequence[str]):
    """``x`` and the named parameters, cast to ``dtype`` and shaped along ``axis``."""
    shape = modules.channel_shape(fn, np.shape(x), self.axis, self.num_parameters)
    x, *params = modules.cast(self.dtype, x, *(getattr(self, n)[...] for n in names))
    return x, modules.along(params, shape)


class PReLU(_PerChannel):
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
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import PReLU
    >>> layer = PReLU(num_parameters=2)
    >>> print(layer(jnp.array([[-1.0, -2.0], [3.0, 4.0]])))
    [[-0.25 -0.5 ]
     [ 3.    4.  ]]

  References:
    He, Zhang, Ren & Sun, *Delving Deep into Rectifiers: Surpassing Human-Level
    Performance on ImageNet Classification*, ICCV 2015.

  .. note:: ``flax.nnx.PReLU`` (and ``flax.linen.PReLU``) has a single scalar slope
    initialised to 0.01; this one has one slope per channel (or one shared, with
    ``num_parameters=1``) initialised to He et al.'s 0.25, as PyTorch's ``nn.PReLU``.

  See also:
    :func:`jaxact.prelu`, :class:`jaxact.linen.PReLU`, :class:`RReLU`.
  """

  def __init__(self, num_parameters: int = 1, negative_slope_init: float = 0.25,
               axis: int = -1, *, dtype: Dtype | None = None,
               param_dtype: Dtype = jnp.float32, sharding: Sharding = (None,)):
    self._declare("PReLU", {"negative_slope": negative_slope_init}, num_parameters, axis,
                  dtype, param_dtype, sharding)

  def __call__(self, x: ArrayLike) -> jax.Array:
    modules.channel_shape("PReLU", np.shape(x), self.axis, self.num_parameters)
    x, slope = modules.cast(self.dtype, x, self.negative_slope[...])
    return jaxact.prelu(x, slope, axis=self.axis)


class Maxout(nnx.Module):
  r"""Maxout unit: a Linear layer to ``features * num_pieces`` outputs, then maxout.

  Each output feature is the maximum of ``num_pieces`` affine functions of the input
  (:func:`jaxact.maxout` over groups of consecutive Linear outputs), acting on the last
  axis.

  Args:
    in_features: the number of input features.
    features: the number of output features.
    num_pieces: the number of affine pieces each output takes the maximum of.
    use_bias: keyword-only, whether the Linear layer has a bias (default True).
    dtype: keyword-only, the computation dtype (default: inferred as by
      :class:`flax.nnx.Linear`).
    param_dtype: keyword-only, the dtype of the stored kernel and bias.
    precision: keyword-only, the matmul precision.
    kernel_init: keyword-only, the kernel initializer (default LeCun normal, as Linear).
    bias_init: keyword-only, the bias initializer (default zeros).
    sharding: keyword-only, mesh axis names for the kernel's ``(in, out)`` axes; the
      bias takes the last (default ``(None, None)``, replicated; None for no
      annotation).
    rngs: the :class:`flax.nnx.Rngs` the kernel is initialised from.

  Parameters:
    ``dense.kernel``: shape ``(in_features, features * num_pieces)``;
    ``dense.bias``: shape ``(features * num_pieces,)``.

  Example:
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> from jaxact.nnx import Maxout
    >>> layer = Maxout(4, features=3, num_pieces=2, rngs=nnx.Rngs(0))
    >>> layer(jnp.ones((5, 4))).shape
    (5, 3)

  References:
    Goodfellow, Warde-Farley, Mirza, Courville & Bengio, *Maxout Networks*, ICML 2013.

  See also:
    :func:`jaxact.maxout`, :class:`jaxact.linen.Maxout`.
  """

  def __init__(self, in_features: int, features: int, num_pieces: int, *,
               use_bias: bool = True, dtype: Dtype | None = None,
               param_dtype: Dtype = jnp.float32, precision: Any = None,
               kernel_init: Initializer = default_kernel_init,
               bias_init: Initializer = default_bias_init,
               sharding: Sharding = (None, None), rngs: nnx.Rngs):
    self.features = modules.positive_int("Maxout", "features", features)
    self.num_pieces = modules.positive_int("Maxout", "num_pieces", num_pieces)
    self.dense = nnx.Linear(
        in_features, self.features * self.num_pieces, use_bias=use_bias, dtype=dtype,
        param_dtype=param_dtype, precision=precision, kernel_init=kernel_init,
        bias_init=bias_init, rngs=rngs, kernel_metadata=_metadata(sharding),
        bias_metadata=_metadata(None if sharding is None else tuple(sharding)[-1:]))

  def __call__(self, x: ArrayLike) -> jax.Array:
    return jaxact.maxout(self.dense(x), self.num_pieces)


class Swish(_PerChannel):
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
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import Swish
    >>> print(Swish()(jnp.array([-2.0, 0.0, 1.0, 3.0])))
    [-0.2384  0.      0.7311  2.8577]

  References:
    Ramachandran, Zoph & Le, *Searching for Activation Functions*, arXiv:1710.05941,
    2017.

  See also:
    :func:`jaxact.swish`, :class:`jaxact.linen.Swish`, :class:`AconC`.
  """

  def __init__(self, beta_init: float = 1.0, num_parameters: int = 1, axis: int = -1, *,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = (None,)):
    self._declare("Swish", {"beta": beta_init}, num_parameters, axis, dtype, param_dtype,
                  sharding)

  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (beta,) = self._prepare("Swish", x, ("beta",))
    return jaxact.swish(x, beta)


class Snake(_PerChannel):
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
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import Snake
    >>> print(Snake()(jnp.array([-1.0, 0.0, 1.0])))
    [-0.2919  0.      1.7081]

  References:
    Liu Ziyin, Tilman Hartwig & Masahito Ueda, *Neural Networks Fail to Learn
    Periodic Functions and How to Fix It*, NeurIPS 2020.

  See also:
    :func:`jaxact.snake`, :class:`jaxact.linen.Snake`.
  """

  def __init__(self, alpha_init: float = 1.0, num_parameters: int = 1, axis: int = -1, *,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = (None,)):
    self._declare("Snake", {"alpha": alpha_init}, num_parameters, axis, dtype, param_dtype,
                  sharding)

  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (alpha,) = self._prepare("Snake", x, ("alpha",))
    return jaxact.snake(x, alpha)


class RReLU(nnx.Module):
  r"""Randomized leaky ReLU: a random negative slope while training, the mean at eval.

  Calls :func:`jaxact.rrelu`. While training (``deterministic=False``, the default, or
  after ``model.train()``) every element gets its own slope drawn uniformly from
  ``[lower, upper]`` with a fresh key from the ``rng_collection`` stream (``"rrelu"``;
  :class:`flax.nnx.Rngs` falls back to its ``default`` stream if it has none); at
  evaluation (``deterministic=True``, or after ``model.eval()``) the slope is the mean
  ``(lower + upper) / 2``. This is :class:`flax.nnx.Dropout`'s pattern. No parameters.

  Args:
    lower: the lower bound of the slopes (default 1/8, as Xu et al. and PyTorch).
    upper: the upper bound of the slopes (default 1/3).
    deterministic: keyword-only; True for the mean slope, False (default) for random
      slopes; ``model.train()`` / ``model.eval()`` set it.
    rng_collection: keyword-only, the RNG stream the slopes are drawn from.
    rngs: keyword-only, the :class:`flax.nnx.Rngs` (or stream) to fork the slopes'
      stream from; may instead be given to ``__call__``.

  Example:
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> from jaxact.nnx import RReLU
    >>> layer = RReLU(rngs=nnx.Rngs(0))
    >>> x = jnp.array([-2.0, -1.0, 3.0])
    >>> y = layer(x)
    >>> bool(jnp.all((y[:2] <= x[:2] / 8) & (y[:2] >= x[:2] / 3)))
    True
    >>> layer.eval()
    >>> print(layer(x))
    [-0.4583 -0.2292  3.    ]

  References:
    Xu, Wang, Chen & Li, *Empirical Evaluation of Rectified Activations in
    Convolutional Network*, arXiv:1505.00853, 2015.

  See also:
    :func:`jaxact.rrelu`, :class:`jaxact.linen.RReLU`, :class:`PReLU`.
  """

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
      errors.fail("RReLU", "rngs", "be an nnx.Rngs, an nnx.RngStream or None",
                  type(rngs).__name__, TypeError)

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
      errors.fail("RReLU", "rngs", "be given (to the constructor or the call) while "
                  "training, as an nnx.Rngs, an nnx.RngStream or a key",
                  type(rngs).__name__, TypeError)
    return jaxact.rrelu(x, key, self.lower, self.upper)

  def set_view(self, deterministic: bool | None = None) -> None:
    """Used by ``nnx.view``: ``deterministic=True`` selects the mean slope."""
    if deterministic is not None:
      self.deterministic = deterministic


class AconC(_PerChannel):
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
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import AconC
    >>> print(AconC()(jnp.array([-2.0, 0.0, 1.0, 3.0])))
    [-0.2384  0.      0.7311  2.8577]

  References:
    Ma, Zhang, Liu, Zhang & Sun, *Activate or Not: Learning Customized Activation*,
    CVPR 2021.

  .. note:: The authors' code draws :math:`p_1, p_2` from a standard normal; here they
    start at 1 and 0 so that an untrained unit is exactly Swish.

  See also:
    :func:`jaxact.acon_c`, :class:`jaxact.linen.AconC`, :class:`Swish`.
  """

  def __init__(self, num_parameters: int = 1, axis: int = -1, *, dtype: Dtype | None = None,
               param_dtype: Dtype = jnp.float32, sharding: Sharding = (None,)):
    self._declare("AconC", {"p1": 1.0, "p2": 0.0, "beta": 1.0}, num_parameters, axis, dtype,
                  param_dtype, sharding)

  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (p1, p2, beta) = self._prepare("AconC", x, ("p1", "p2", "beta"))
    return jaxact.acon_c(x, p1, p2, beta)


class Rational(nnx.Module):
  r"""Rational activation (safe Padé unit) with learned coefficients.

  Calls :func:`jaxact.rational`:
  :math:`P(x) / (1 + |b_1 x + \dots + b_m x^m|)`, :math:`P(x) = a_0 + \dots + a_n x^n`.

  At construction the coefficients are the least-squares fit of the activation
  ``init`` on :math:`[-3, 3]`, as Molina et al. initialise their units from leaky ReLU.
  The fit (float64 NumPy, 1201 equispaced points): the linearised least squares fit of
  :math:`P(x) - B(x) f(x) \approx f(x)` and the least-squares polynomial are each
  refined by Levenberg-Marquardt steps on the true residual :math:`P/(1 + |B|) - f`,
  and the better is kept. It is deterministic and cached per name and degrees.

  Args:
    numerator_degree: :math:`n` (default 5).
    denominator_degree: :math:`m` (default 4; 0 gives a polynomial).
    init: the activation fitted at construction: a name for :func:`jaxact.get`
      (default ``"leaky_relu"``, slope 0.01) or a callable.
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored coefficients.
    sharding: keyword-only, mesh axis names for the coefficient vectors' axis
      (default ``(None,)``).

  Parameters:
    ``numerator``: shape ``(n + 1,)``, :math:`a_0, \dots, a_n`;
    ``denominator``: shape ``(m,)``, :math:`b_1, \dots, b_m`.

  Example:
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import Rational
    >>> layer = Rational(init="tanh")
    >>> x = jnp.linspace(-3.0, 3.0, 13)
    >>> bool(jnp.max(jnp.abs(layer(x) - jnp.tanh(x))) < 1e-5)
    True

  References:
    Molina, Schramowski & Kersting, *Padé Activation Units: End-to-end Learning of
    Flexible Activation Functions in Deep Networks*, ICLR 2020.

  See also:
    :func:`jaxact.rational`, :class:`jaxact.linen.Rational`.
  """

  def __init__(self, numerator_degree: int = 5, denominator_degree: int = 4,
               init: str | Callable[..., Any] = "leaky_relu", *,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = (None,)):
    n = modules.positive_int("Rational", "numerator_degree", numerator_degree, 0)
    m = modules.positive_int("Rational", "denominator_degree", denominator_degree, 0)
    numerator, denominator = modules.fit_rational(init, n, m)
    self.numerator = _param(numerator, (n + 1,), param_dtype, sharding)
    self.denominator = _param(denominator, (m,), param_dtype, sharding)
    self.numerator_degree = n
    self.denominator_degree = m
    self.init = init
    self.dtype = dtype
    self.param_dtype = param_dtype

  def __call__(self, x: ArrayLike) -> jax.Array:
    x, numerator, denominator = modules.cast(self.dtype, x, self.numerator[...],
                                             self.denominator[...])
    return jaxact.rational(x, numerator, denominator)


class StarReLU(_PerChannel):
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
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import StarReLU
    >>> print(StarReLU()(jnp.array([-1.0, 0.0, 1.0, 2.0])))
    [-0.4472 -0.4472  0.4472  3.1304]

  References:
    Yu, Si, Zhou, Wang & Yan, *MetaFormer Baselines for Vision*, arXiv:2210.13452, 2022.

  See also:
    :func:`jaxact.star_relu`, :class:`jaxact.linen.StarReLU`.
  """

  def __init__(self, *, scale_init: float = 0.8944, bias_init: float = -0.4472,
               dtype: Dtype | None = None, param_dtype: Dtype = jnp.float32,
               sharding: Sharding = (None,)):
    self._declare("StarReLU", {"scale": scale_init, "bias": bias_init}, 1, -1, dtype,
                  param_dtype, sharding)

  def __call__(self, x: ArrayLike) -> jax.Array:
    x, (scale, bias) = self._prepare("StarReLU", x, ("scale", "bias"))
    return jaxact.star_relu(x, scale, bias)


class Activation(nnx.Module):
  r"""Any jaxact activation as a module: ``Activation(fn, **params)``.

  Calls ``jaxact.get(fn, **params)(x)``. No parameters (``params`` are fixed
  keyword arguments, such as ``approximate=False`` for gelu); for learnable ones use
  the dedicated modules.

  Args:
    fn: an activation's name (see :func:`jaxact.available`) or a callable.
    **params: keyword arguments for ``fn``.

  Raises:
    ValueError: for an unknown name, when the module is constructed.
    TypeError: for a keyword ``fn`` does not take.

  Example:
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import Activation
    >>> layer = Activation("leaky_relu", negative_slope=0.2)
    >>> print(layer(jnp.array([-1.0, 2.0])))
    [-0.2  2. ]

  See also:
    :func:`jaxact.get`, :class:`jaxact.linen.Activation`.
  """

  def __init__(self, fn: str | Callable[..., Any], **params: Any):
    jaxact.get(fn, **params)  # an unknown name or keyword fails here, not at the call
    self.fn = fn
    self.params = dict(params)

  def __call__(self, x: ArrayLike) -> jax.Array:
    return jaxact.get(self.fn, **self.params)(x)
