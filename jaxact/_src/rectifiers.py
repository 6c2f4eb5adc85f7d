"""Rectifiers: piecewise-linear units built on ReLU."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxact._src import errors
from jaxact._src.define import define


def _relu_forward(x):
  # `where` keeps NaN (x <= 0 is False for NaN) and, unlike maximum(x, 0), leaves no
  # pattern for XLA to rewrite into `x > 0`: the rule below needs only the output.
  return jnp.where(x <= 0, 0, x)


def _relu_derivative(x, y):
  return jnp.where(y > 0, 1.0, 0.0)


_relu = define(_relu_forward, _relu_derivative, name="relu", slope_from_output=True)


def _general_relu_forward(x, negative_slope, max_value, threshold):
  # NaN fails x > threshold and stays NaN in the product.
  return jnp.where(x > threshold, jnp.minimum(x, max_value), negative_slope * (x - threshold))


def _general_relu_derivative(x, y, negative_slope, max_value, threshold):
  above = x > threshold
  # At x = max_value the slope is 0, as relu6'(6); an infinite cap (None) caps nothing.
  capped = above & (x >= max_value) & jnp.isfinite(max_value)
  d_x = jnp.where(above, jnp.where(capped, 0.0, 1.0), negative_slope)
  d_slope = jnp.where(above, 0.0, x - threshold)
  d_max = jnp.where(capped, 1.0, 0.0)
  d_threshold = jnp.where(above, 0.0, -negative_slope)
  return d_x, d_slope, d_max, d_threshold


_general_relu = define(
    _general_relu_forward, _general_relu_derivative, name="relu",
    checks={"negative_slope": "finite", "threshold": "finite",
            "max_value": ("be a number (or None for no cap)", lambda v: ~np.isnan(v))})


def _is_static(value, default) -> bool:
  return isinstance(value, (int, float)) and not isinstance(value, bool) and value == default


def relu(x: ArrayLike, negative_slope: ArrayLike = 0.0, max_value: ArrayLike | None = None,
         threshold: ArrayLike = 0.0) -> jax.Array:
  r"""Rectified linear unit activation.

  .. math::
    \mathrm{relu}(x) = \max(x, 0)

  and, with Keras's three parameters (slope :math:`a`, cap :math:`m`, threshold
  :math:`t`),

  .. math::
    \mathrm{relu}(x; a, m, t) = \begin{cases} \min(x, m), & x > t \\
      a\,(x - t), & x \le t \end{cases}

  Derivative: 1 for :math:`x > 0`, else 0; with the defaults it is computed from the
  output alone, so a training step keeps only the output alive. With parameters: 1 for
  :math:`t < x < m`, 0 for :math:`x \ge m`, :math:`a` for :math:`x \le t`; the
  parameters' partials are :math:`\min(x - t, 0)`, :math:`[x \ge m]` and
  :math:`-a\,[x \le t]`.

  Kink: :math:`\mathrm{relu}'(0) = 0`, as in jax.nn and PyTorch; with parameters
  :math:`\mathrm{relu}'(t) = a` (the side below, as :func:`leaky_relu`) and
  :math:`\mathrm{relu}'(m) = 0` (as :func:`relu6`). For :math:`t \ne 0` the value jumps
  at :math:`t`, from 0 to :math:`t`, as in Keras.

  Args:
    x: input array.
    negative_slope: the slope :math:`a` below the threshold, as Keras's; a scalar or an
      array broadcasting against ``x``; differentiable. Default 0.
    max_value: the cap :math:`m`, or None for none (Keras's ``max_value``);
      differentiable.
    threshold: the threshold :math:`t`; differentiable. Default 0.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if a concrete ``negative_slope`` or ``threshold`` is not finite, or
      ``max_value`` is NaN.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> jaxact.relu(jnp.array([-2.0, 0.0, 3.0]))
    Array([0., 0., 3.], dtype=float32)
    >>> x = jnp.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    >>> print(jaxact.relu(x, negative_slope=0.5, max_value=5.0, threshold=5.0))
    [-7.5 -5.  -2.5  0.   5. ]

  References:
    Nair & Hinton, *Rectified Linear Units Improve Restricted Boltzmann Machines*,
    ICML 2010.

  .. note:: Unlike ``jax.nn.relu``, integer inputs promote to float, and the
    derivative at NaN is NaN.

  See also:
    :func:`leaky_relu`, :func:`prelu`.
  """
  if (_is_static(negative_slope, 0) and max_value is None and _is_static(threshold, 0)):
    return _relu(x)  # the plain form, whose rule reads the output alone
  cap = np.inf if max_value is None else max_value
  return _general_relu(x, negative_slope, cap, threshold)


def _leaky_forward(x, slope):
  return jnp.where(x >= 0, x, slope * x)


def _leaky_derivative(x, y, slope):
  positive = x > 0
  return jnp.where(positive, 1.0, slope), jnp.where(positive, 0.0, x)


def _leaky_derivative_nonnegative(x, y, slope):
  # For a slope >= 0, x > 0 exactly where y > 0: the output alone decides, so a training
  # step keeps only the output alive. (A negative slope maps both signs to y > 0.)
  positive = y > 0
  return jnp.where(positive, 1.0, slope), jnp.where(positive, 0.0, x)


def _leaky_pairs(name: str):
  """``name``'s two leaky pairs: for any slope, and for a slope known to be >= 0, whose
  rule needs only the output."""
  return (define(_leaky_forward, _leaky_derivative, name=name, params=("negative_slope",)),
          define(_leaky_forward, _leaky_derivative_nonnegative, name=name,
                 params=("negative_slope",), slope_from_output=True))


_LEAKY = {name: _leaky_pairs(name) for name in ("leaky_relu", "prelu", "rrelu")}
_leaky_relu = _LEAKY["leaky_relu"][0]


def _leaky_pair(slope, name: str = "leaky_relu"):
  """The pair whose rule needs only the output when the slope is known and >= 0."""
  known = errors.concrete(slope)
  any_slope, nonnegative = _LEAKY[name]
  if known is not None and known.dtype.kind in "fiub" and bool(np.all(known >= 0)):
    return nonnegative
  return any_slope


def leaky_relu(x: ArrayLike, negative_slope: ArrayLike = 0.01) -> jax.Array:
  r"""Leaky rectified linear unit activation.

  .. math::
    \mathrm{leaky\_relu}(x) = \begin{cases} x, & x \ge 0 \\
      \alpha x, & x < 0 \end{cases}

  where :math:`\alpha` is ``negative_slope``.

  Derivative: 1 for :math:`x > 0`, :math:`\alpha` for :math:`x \le 0`;
  :math:`\partial/\partial\alpha = \min(x, 0)`.

  Kink: :math:`\mathrm{leaky\_relu}'(0) = \alpha`, as in PyTorch.

  Args:
    x: input array.
    negative_slope: the slope :math:`\alpha` for negative inputs, a scalar or an array
      broadcasting against ``x``; differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> jaxact.leaky_relu(jnp.array([-2.0, 0.0, 3.0]), negative_slope=0.1)
    Array([-0.2,  0. ,  3. ], dtype=float32)

  References:
    Maas, Hannun & Ng, *Rectifier Nonlinearities Improve Neural Network Acoustic
    Models*, ICML 2013.

  .. warning:: ``jax.nn.leaky_relu`` has derivative 1 at 0; jaxact follows PyTorch.

  See also:
    :func:`prelu`, :func:`relu`.
  """
  return _leaky_pair(negative_slope)(x, negative_slope)


def prelu(x: ArrayLike, negative_slope: ArrayLike, axis: int = -1) -> jax.Array:
  r"""Parametric ReLU: a leaky ReLU whose slope is learned, per channel or shared.

  .. math::
    \mathrm{prelu}(x)_{\ldots c \ldots} = \begin{cases} x, & x \ge 0 \\
      a_c\, x, & x < 0 \end{cases}

  Derivative: as :func:`leaky_relu`; :math:`\partial/\partial a_c` sums
  :math:`\min(x, 0)` over every entry of channel :math:`c`.

  Kink: :math:`\mathrm{prelu}'(0) = a_c`, as in PyTorch.

  Args:
    x: input array.
    negative_slope: the slopes :math:`a`: a scalar, or a 1-D array of length 1 (one
      shared slope) or ``x.shape[axis]`` (one per channel).
    axis: the channel axis that a per-channel slope runs along. Default -1, the
      channels-last convention of JAX (PyTorch's channels are axis 1).

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if ``negative_slope`` is not a scalar or 1-D, its length is neither
      1 nor ``x.shape[axis]``, or ``axis`` is out of range.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> x = jnp.array([[-1.0, -1.0], [2.0, 2.0]])
    >>> jaxact.prelu(x, jnp.array([0.25, 0.5]))
    Array([[-0.25, -0.5 ],
           [ 2.  ,  2.  ]], dtype=float32)

  References:
    He, Zhang, Ren & Sun, *Delving Deep into Rectifiers: Surpassing Human-Level
    Performance on ImageNet Classification*, ICCV 2015.

  See also:
    :func:`leaky_relu`, :class:`jaxact.linen.PReLU`.
  """
  errors.check_array("prelu", "negative_slope", negative_slope)
  shape = np.shape(x)
  slope = negative_slope
  ndim = np.ndim(slope)
  errors.check(ndim <= 1, "prelu", "negative_slope", "be a scalar or a 1-D array",
               f"shape {np.shape(slope)}")
  if ndim == 1 and np.shape(slope)[0] != 1:
    errors.check(len(shape) > 0, "prelu", "negative_slope",
                 "have length 1 for a scalar x", f"length {np.shape(slope)[0]}")
    errors.check(-len(shape) <= axis < len(shape), "prelu", "axis",
                 f"be in [-{len(shape)}, {len(shape)}) for x of shape {shape}", axis)
    channels = shape[axis]
    errors.check(np.shape(slope)[0] == channels, "prelu", "negative_slope",
                 f"have length 1 or x.shape[{axis}] = {channels}",
                 f"length {np.shape(slope)[0]}")
    broadcast = [1] * len(shape)
    broadcast[axis] = channels
    slope = jnp.reshape(slope, broadcast)
  elif ndim == 1:
    slope = jnp.reshape(slope, ())
  return _leaky_pair(slope, "prelu")(x, slope)


def _rrelu_mean_forward(x, lower, upper):
  return _leaky_forward(x, 0.5 * (lower + upper))


def _rrelu_mean_derivative(x, y, lower, upper):
  d_x, d_slope = _leaky_derivative(x, y, 0.5 * (lower + upper))
  return d_x, 0.5 * d_slope, 0.5 * d_slope


_rrelu_mean = define(_rrelu_mean_forward, _rrelu_mean_derivative, name="rrelu",
                     params=("lower", "upper"))


def rrelu(x: ArrayLike, key: ArrayLike | None = None, lower: ArrayLike = 1.0 / 8,
          upper: ArrayLike = 1.0 / 3) -> jax.Array:
  r"""Randomized leaky ReLU: a leaky ReLU whose negative slope is drawn at random.

  .. math::
    \mathrm{rrelu}(x) = \begin{cases} x, & x \ge 0 \\ a\, x, & x < 0 \end{cases},
    \qquad a \sim U(l, u) \text{ per element (with a key)}, \quad
    a = \frac{l + u}{2} \text{ (without)}

  With a PRNG ``key`` (training), every element gets its own slope, drawn in float32
  as ``jax.random.uniform(key, x.shape, jnp.float32, lower, upper)``; without a key
  (evaluation) the slope is the mean :math:`(l + u)/2`, as PyTorch does.

  Derivative: 1 for :math:`x > 0`, the slope applied for :math:`x \le 0` (the same
  draw as the value); without a key :math:`\partial/\partial l = \partial/\partial u =
  \min(x, 0)/2`.

  Kink: :math:`\mathrm{rrelu}'(0) = a`, the slope applied, as in PyTorch.

  Args:
    x: input array.
    key: a ``jax.random`` key (typed or raw) to draw the slopes from, or None for the
      deterministic mean slope.
    lower: the lower bound :math:`l` of the slopes.
    upper: the upper bound :math:`u \ge l` of the slopes.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if a concrete ``lower`` or ``upper`` is not finite, or ``lower >
      upper``.

  Example:
    >>> import jax, jax.numpy as jnp, jaxact
    >>> x = jnp.array([-2.0, -1.0, 3.0])
    >>> print(jaxact.rrelu(x))
    [-0.4583 -0.2292  3.    ]
    >>> slopes = -jaxact.rrelu(-jnp.ones(1000), jax.random.key(0))  # one per element
    >>> print(bool(jnp.all((slopes >= 1 / 8) & (slopes <= 1 / 3))), f"{slopes.mean():.2f}")
    True 0.23

  References:
    Xu, Wang, Chen & Li, *Empirical Evaluation of Rectified Activations in
    Convolutional Network*, arXiv:1505.00853, 2015.

  .. note:: Randomness is explicit: pass a fresh key each training step (the Flax
    module :class:`jaxact.linen.RReLU` does this), and no key at evaluation.

  See also:
    :func:`leaky_relu`, :func:`prelu`.
  """
  errors.check_values("rrelu", "lower", lower, np.isfinite, "be finite")
  errors.check_values("rrelu", "upper", upper, np.isfinite, "be finite")
  lo = errors.concrete_real(lower)
  if lo is not None:
    errors.check_values("rrelu", "upper", upper, lambda hi: lo <= hi,
                  f"be >= lower = {lo.item() if lo.size == 1 else lo.tolist()}")
  if key is None:
    return _rrelu_mean(x, lower, upper)
  slope = jax.random.uniform(key, np.shape(x), jnp.float32, lower, upper)
  return _LEAKY["rrelu"][0](x, slope)


def _relu6_forward(x):
  # Nested `where`s keep NaN (every comparison is False) and leave y alone carrying
  # the derivative.
  return jnp.where(x <= 0, 0.0, jnp.where(x >= 6, 6.0, x))


def _relu6_derivative(x, y):
  return jnp.where((y > 0) & (y < 6), 1.0, 0.0)


_relu6 = define(_relu6_forward, _relu6_derivative, name="relu6", slope_from_output=True)


def relu6(x: ArrayLike) -> jax.Array:
  r"""Rectified linear unit capped at 6.

  .. math::
    \mathrm{relu6}(x) = \min(\max(x, 0), 6)

  Derivative: 1 for :math:`0 < x < 6`, else 0, computed from the output alone.

  Kinks: :math:`\mathrm{relu6}'(0) = \mathrm{relu6}'(6) = 0`, as in jax.nn and PyTorch.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.relu6(jnp.array([-2.0, 3.0, 8.0])))
    [0. 3. 6.]

  References:
    Krizhevsky, *Convolutional Deep Belief Networks on CIFAR-10*, 2010.

  .. note:: Unlike ``jax.nn.relu6``, integer inputs promote to float, and the
    derivative at NaN is NaN.

  See also:
    :func:`relu`, :func:`hard_tanh`, :func:`hard_sigmoid`.
  """
  return _relu6(x)


def _hard_tanh_forward(x):
  return jnp.where(x <= -1, -1.0, jnp.where(x >= 1, 1.0, x))


def _hard_tanh_derivative(x, y):
  return jnp.where(jnp.abs(y) < 1, 1.0, 0.0)


_hard_tanh = define(_hard_tanh_forward, _hard_tanh_derivative, name="hard_tanh",
                    slope_from_output=True)


def hard_tanh(x: ArrayLike) -> jax.Array:
  r"""Hard hyperbolic tangent: the identity clipped to :math:`[-1, 1]`.

  .. math::
    \mathrm{hard\_tanh}(x) = \max(-1, \min(x, 1))

  Derivative: 1 for :math:`|x| < 1`, else 0, computed from the output alone.

  Kinks: :math:`\mathrm{hard\_tanh}'(\pm 1) = 0`, as in PyTorch.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.hard_tanh(jnp.array([-2.0, 0.5, 1.0, 3.0])))
    [-1.   0.5  1.   1. ]

  References:
    Collobert, *Large Scale Machine Learning*, PhD thesis, Universite Paris VI, 2004.

  .. warning:: ``jax.nn.hard_tanh`` has derivative 1 at :math:`\pm 1`; jaxact follows
    PyTorch (0). ``jax.nn.hard_tanh`` also keeps integer dtypes, which jaxact promotes
    to float, and its derivative at NaN is 0, jaxact's NaN.

  See also:
    :func:`tanh`, :func:`relu6`, :func:`sparse_sigmoid`.
  """
  return _hard_tanh(x)


def _threshold_forward(x, threshold, value):
  # `x <= threshold` is False for NaN, so NaN passes through as x.
  return jnp.where(x <= threshold, value, x)


def _threshold_derivative(x, y, threshold, value):
  above = x > threshold  # from x: y may equal value on either side
  d_x = jnp.where(above, 1.0, 0.0)
  return d_x, jnp.zeros_like(d_x), 1.0 - d_x


_threshold = define(_threshold_forward, _threshold_derivative, name="threshold",
                    params=("threshold", "value"))


def threshold(x: ArrayLike, threshold: ArrayLike, value: ArrayLike) -> jax.Array:
  r"""Thresholding: keeps inputs above a threshold and replaces the rest by a value.

  .. math::
    \mathrm{threshold}(x) = \begin{cases} x, & x > t \\ v, & x \le t \end{cases}

  Derivative: 1 for :math:`x > t`, else 0; :math:`\partial/\partial v = 1` for
  :math:`x \le t`, else 0; :math:`\partial/\partial t = 0` (the jump carries no
  derivative).

  Kink (a jump unless :math:`v = t`): :math:`\mathrm{threshold}'(t) = 0`, as in PyTorch.

  Args:
    x: input array.
    threshold: the threshold :math:`t`, a scalar or an array broadcasting against
      ``x``; compared in the compute dtype (float32 for 16-bit inputs).
    value: the replacement :math:`v`, a scalar or an array broadcasting against ``x``;
      differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.threshold(jnp.array([-1.0, 0.5, 2.0]), threshold=0.5, value=-3.0))
    [-3. -3.  2.]

  References:
    PyTorch, ``torch.nn.Threshold``.

  .. note:: NaN propagates (as in PyTorch); ``jnp.where(x > threshold, x, value)``
    would replace it by ``value``.

  See also:
    :func:`relu`, :func:`hard_shrink`.
  """
  return _threshold(x, threshold, value)


def _positive_part(x):
  return jnp.where(x <= 0, 0.0, x)


def _squared_relu_forward(x):
  r = _positive_part(x)
  return r * r


def _squared_relu_derivative(x, y):
  # From x: 2 sqrt(y) rounds twice, overflows with y, and underflows to 0 with y.
  return 2 * _positive_part(x)


_squared_relu = define(_squared_relu_forward, _squared_relu_derivative, name="squared_relu")


def squared_relu(x: ArrayLike) -> jax.Array:
  r"""Squared ReLU activation.

  .. math::
    \mathrm{squared\_relu}(x) = \max(x, 0)^2

  Derivative: :math:`2\max(x, 0)`, from :math:`x` (:math:`2\sqrt{y}` rounds twice,
  overflows where :math:`x^2` does and underflows where :math:`x^2` does).

  Continuously differentiable; the second derivative jumps from 0 to 2 at 0.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.squared_relu(jnp.array([-2.0, 0.5, 3.0])))
    [0.   0.25 9.  ]

  References:
    So, Manke, Liu, Dai, Shazeer & Le, *Primer: Searching for Efficient Transformers
    for Language Modeling*, NeurIPS 2021.

  See also:
    :func:`star_relu`, :func:`relu`.
  """
  return _squared_relu(x)


def _star_relu_forward(x, scale, bias):
  r = _positive_part(x)
  # (scale r) r: overflows only where scale r^2 does (r r alone overflows from
  # r ~ 1.8e19 in float32 although 0.8944 r^2 is still finite); a zero scale kills
  # an infinite x.
  return jnp.where(scale == 0, 0.0, (scale * r) * r) + bias


def _star_relu_derivative(x, y, scale, bias):
  r = _positive_part(x)
  d_x = jnp.where(scale == 0, 0.0, (2 * scale) * r)
  return d_x, r * r, jnp.ones_like(y)


_star_relu = define(_star_relu_forward, _star_relu_derivative, name="star_relu",
                    params=("scale", "bias"))


def star_relu(x: ArrayLike, scale: ArrayLike = 0.8944, bias: ArrayLike = -0.4472) -> jax.Array:
  r"""StarReLU: a scaled and shifted squared ReLU.

  .. math::
    \mathrm{star\_relu}(x) = s \max(x, 0)^2 + b

  The defaults :math:`s = 0.8944 \approx 1/\sqrt{1.25}`, :math:`b = -0.4472 \approx
  -0.5/\sqrt{1.25}` normalise the output to zero mean and unit variance for a standard
  normal input.

  Derivative: :math:`2 s \max(x, 0)`; :math:`\partial/\partial s = \max(x, 0)^2`,
  :math:`\partial/\partial b = 1`.

  Continuously differentiable; the second derivative jumps from 0 to :math:`2s` at 0.

  Numerics: evaluated as :math:`(s r) r + b` with :math:`r = \max(x, 0)`, so nothing
  overflows where the result is finite (:math:`r^2` alone overflows from
  :math:`x \approx 1.8 \cdot 10^{19}` in float32, :math:`s r^2` only from
  :math:`1.95 \cdot 10^{19}` with the default :math:`s`).

  Args:
    x: input array.
    scale: :math:`s`, a scalar or an array broadcasting against ``x``; differentiable.
    bias: :math:`b`, a scalar or an array broadcasting against ``x``; differentiable.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.star_relu(jnp.array([-1.0, 0.0, 1.0, 2.0])))
    [-0.4472 -0.4472  0.4472  3.1304]

  References:
    Yu, Si, Zhou, Wang & Yan, *MetaFormer Baselines for Vision*, arXiv:2210.13452, 2022.

  See also:
    :func:`squared_relu`, :class:`jaxact.linen.StarReLU`.
  """
  return _star_relu(x, scale, bias)


def _identity_forward(x):
  return x


def _identity_derivative(x, y):
  return jnp.ones_like(y)


_identity = define(_identity_forward, _identity_derivative, name="identity", slope_from_output=True)


def identity(x: ArrayLike) -> jax.Array:
  r"""Identity activation.

  .. math::
    \mathrm{identity}(x) = x

  Derivative: 1 (NaN at a NaN input).

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.identity(jnp.array([-2.0, 0.0, 3.0])))
    [-2.  0.  3.]

  .. note:: Unlike ``jax.nn.identity``, integer inputs promote to float (as every
    jaxact activation does), complex inputs raise TypeError, and the derivative at NaN
    is NaN.

  See also:
    :func:`relu`.
  """
  return _identity(x)
