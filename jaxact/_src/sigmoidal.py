"""Sigmoidal activations: bounded, monotone, S-shaped."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxact._src import numerics
from jaxact._src.define import define, with_derivative


def _sigmoid_forward(x):
  return numerics.logistic_pair(x)[0]


def _sigmoid_slope_forward(x):
  s, s_neg = numerics.logistic_pair(x, apart=True)
  # Both factors round to either side of 1/2 near x = 0; their product may round above
  # the true maximum 1/4, which the clamp restores (NaN passes through minimum).
  return jnp.minimum(s * s_neg, 0.25)


# The slope is itself a custom pair: sigma'' = -sigma' tanh(x / 2) keeps every digit
# near 0, where differentiating e / (1 + e)^2 cancels in (1 - e).
_sigmoid_slope = with_derivative(_sigmoid_slope_forward, lambda x, y: -y * jnp.tanh(0.5 * x))


def _sigmoid_derivative(x, y):
  return _sigmoid_slope(x)


_sigmoid = define(_sigmoid_forward, _sigmoid_derivative, name="sigmoid")


def sigmoid(x: ArrayLike) -> jax.Array:
  r"""Logistic sigmoid activation.

  .. math::
    \mathrm{sigmoid}(x) = \frac{1}{1 + e^{-x}}

  Derivative: :math:`\sigma'(x) = \sigma(x)\,\sigma(-x) = e^{-|x|} / (1 + e^{-|x|})^2`,
  evaluated from :math:`x` so it keeps every digit where :math:`\sigma(x)` rounds to 1
  (the usual :math:`y(1 - y)` is 0 there from :math:`x \approx 17` in float32, and
  loses digits from :math:`x \approx 2`).

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.sigmoid(jnp.array([-1.0, 0.0, 1.0])))
    [0.2689 0.5    0.7311]

  References:
    Verhulst, *Recherches mathematiques sur la loi d'accroissement de la
    population*, 1845.

  See also:
    :func:`log_sigmoid`, :func:`tanh`.
  """
  return _sigmoid(x)


def _tanh_slope_forward(x):
  e = jnp.exp(-2 * jnp.abs(x))
  # Near x = 0, 4e / (1 + e)^2 rounds up to 1 + 2^-23 (x ~ 5.5e-5): the clamp restores
  # the true maximum 1, as sigmoid's does its 1/4 (NaN passes through minimum).
  return jnp.minimum(4 * e / jnp.square(1 + e), 1.0)


# tanh'' = -2 tanh(x) tanh'(x), exact near 0 (see the sigmoid slope).
_tanh_slope = with_derivative(_tanh_slope_forward, lambda x, y: -2 * jnp.tanh(x) * y)


def _tanh_derivative(x, y):
  return _tanh_slope(x)


def _tanh_forward(x):
  return jnp.tanh(x)


_tanh = define(_tanh_forward, _tanh_derivative, name="tanh")


def tanh(x: ArrayLike) -> jax.Array:
  r"""Hyperbolic tangent activation.

  .. math::
    \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}

  Derivative: :math:`\tanh'(x) = 1 / \cosh^2 x = 4 e / (1 + e)^2` with
  :math:`e = e^{-2|x|}`, evaluated from :math:`x`: the usual :math:`1 - y^2` is 0
  once :math:`\tanh x` rounds to :math:`\pm 1` (from :math:`|x| \approx 9` in float32).
  Unlike the textbook quotient of exponentials, no intermediate overflows.

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.tanh(jnp.array([-100.0, 0.0, 0.5])))
    [-1.      0.      0.4621]

  See also:
    :func:`sigmoid`, :func:`hard_tanh`.
  """
  return _tanh(x)


def _log_sigmoid_forward(x):
  # -softplus(-x) = min(x, 0) - log1p(e^-|x|): no overflow, and no cancellation for
  # x >> 0, where the result is -e^-x (1 + e^-x would round to 1 and log give 0).
  return jnp.minimum(x, 0) - jnp.log1p(jnp.exp(-jnp.abs(x)))


def _log_sigmoid_derivative(x, y):
  # sigmoid(-x) = 1 - e^y, exact from the output alone: expm1 keeps every digit as
  # y -> 0- (x >> 0), and e^y -> 0 as y -> -inf gives 1 exactly.
  return -jnp.expm1(y)


_log_sigmoid = define(_log_sigmoid_forward, _log_sigmoid_derivative, name="log_sigmoid",
                      slope_from_output=True)


def log_sigmoid(x: ArrayLike) -> jax.Array:
  r"""Log-sigmoid activation.

  .. math::
    \mathrm{log\_sigmoid}(x) = \log \sigma(x) = -\log\left(1 + e^{-x}\right)
      = \min(x, 0) - \log\left(1 + e^{-|x|}\right)

  Derivative: :math:`\sigma(-x) = 1 - e^{y}`, computed from the output :math:`y`
  alone as ``-expm1(y)`` (exact: no cancellation as :math:`y \to 0^-`), so a
  training step keeps only the output alive.

  Smooth everywhere.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.log_sigmoid(jnp.array([-1.0, 0.0, 1.0])))
    [-1.3133 -0.6931 -0.3133]

  See also:
    :func:`sigmoid`, :func:`softplus`.
  """
  return _log_sigmoid(x)


def _hard_sigmoid_forward(x):
  # (x + 3) / 6, not x / 6 + 1/2, which cancels near x = -3; clip keeps NaN. Just below
  # x = 3, (x + 3) / 6 rounds to 1; it is held at the float below 1 instead (an error
  # under 1 ULP), so that 0 < y < 1 exactly on (-3, 3) and the rule needs only y.
  y = jnp.clip(x + 3, 0, 6) / 6
  below_one = float(np.nextafter(np.ones((), x.dtype), 0))
  return jnp.where(x < 3, jnp.minimum(y, below_one), y)


def _hard_sigmoid_derivative(x, y):
  return jnp.where((y > 0) & (y < 1), 1 / 6, 0.0)


_hard_sigmoid = define(_hard_sigmoid_forward, _hard_sigmoid_derivative, name="hard_sigmoid",
                       slope_from_output=True)


def hard_sigmoid(x: ArrayLike) -> jax.Array:
  r"""Hard sigmoid activation.

  .. math::
    \mathrm{hard\_sigmoid}(x) = \frac{\mathrm{relu6}(x + 3)}{6}
      = \begin{cases} 0, & x \le -3 \\ (x + 3) / 6, & -3 < x < 3 \\
      1, & x \ge 3 \end{cases}

  Derivative: :math:`1/6` on :math:`(-3, 3)`, 0 outside.

  Kinks: :math:`\mathrm{hard\_sigmoid}'(\pm 3) = 0`, as in jax.nn (through
  ``relu6``) and PyTorch.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.hard_sigmoid(jnp.array([-4.0, -1.5, 0.0, 3.0])))
    [0.   0.25 0.5  1.  ]

  References:
    Howard et al., *Searching for MobileNetV3*, ICCV 2019 (this form);
    Courbariaux, Bengio & David, *BinaryConnect*, NeurIPS 2015 (the hard sigmoid).

  .. note:: Unlike ``jax.nn.hard_sigmoid``, the derivative at NaN is NaN (jax.nn: 0).

  See also:
    :func:`sigmoid`, :func:`sparse_sigmoid`, :func:`hard_silu`, :func:`relu6`.
  """
  return _hard_sigmoid(x)


def _sparse_sigmoid_forward(x):
  # One rounding (x + 1), then an exact halving; clip keeps NaN.
  return 0.5 * jnp.clip(x + 1, 0, 2)


def _sparse_sigmoid_derivative(x, y):
  # From x, as for hard_sigmoid: y rounds to 1 just below x = 1.
  return jnp.where(jnp.abs(x) < 1, 0.5, 0.0)


_sparse_sigmoid = define(_sparse_sigmoid_forward, _sparse_sigmoid_derivative, name="sparse_sigmoid")


def sparse_sigmoid(x: ArrayLike) -> jax.Array:
  r"""Sparse sigmoid activation: the derivative of :func:`sparse_plus`.

  .. math::
    \mathrm{sparse\_sigmoid}(x) = \frac{1}{2}\,\mathrm{clip}(x + 1, 0, 2)
      = \begin{cases} 0, & x \le -1 \\ (x + 1) / 2, & -1 < x < 1 \\
      1, & x \ge 1 \end{cases}

  Derivative: :math:`1/2` on :math:`(-1, 1)`, 0 outside.

  Kinks: :math:`\mathrm{sparse\_sigmoid}'(\pm 1) = 0`, PyTorch's convention for its
  clamps (``hardsigmoid``, ``hardtanh``); PyTorch has no sparse sigmoid.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.sparse_sigmoid(jnp.array([-2.0, -0.5, 0.0, 1.0])))
    [0.   0.25 0.5  1.  ]

  References:
    Martins & Astudillo, *From Softmax to Sparsemax: A Sparse Model of Attention and
    Multi-Label Classification*, ICML 2016; Peters, Niculae & Martins, *Sparse
    Sequence-to-Sequence Models*, ACL 2019.

  .. warning:: ``jax.nn.sparse_sigmoid`` has derivative 0.25 at :math:`\pm 1` (the
    mean of the one-sided slopes, from ``jnp.clip``); jaxact's is 0. The derivative
    at NaN is NaN (jax.nn: 0).

  See also:
    :func:`sparse_plus`, :func:`hard_sigmoid`, :func:`sigmoid`.
  """
  return _sparse_sigmoid(x)


def _soft_sign_forward(x):
  # From r = 1 / (1 + |x|): x r for |x| < 1, sign(x) (1 - r) beyond, where 1 - r >= 1/2
  # keeps every digit. Not x / (1 + |x|): where x is a broadcast operand XLA's CPU
  # backend rewrites that into x * (1 / (1 + |x|)), whose reciprocal is a subnormal
  # flushed to 0 past |x| = 2^126 (soft_sign(1.7e38) was 0, not 1). Here a flushed r
  # gives 1, and x = +-inf gives +-1 with no clamp (r = 0).
  r = 1 / (1 + jnp.abs(x))
  return jnp.where(jnp.abs(x) < 1, x * r, jnp.copysign(1 - r, x))


def _soft_sign_derivative(x, y):
  # 1 / (1 + |x|)^2 from x: (1 - |y|)^2 cancels at large |x|, and so does the autodiff
  # derivative of x / (1 + |x|) (jax.nn's is ~700x off at -1e10). Squaring the
  # reciprocal, not the sum, so nothing overflows (the result underflows to 0). |x| as
  # max(x, -x), an expression XLA does not merge with the forward's: shared, its r is
  # kept between the passes beside x and y (3 tensors a layer on CPU, 2 apart).
  r = 1 / (1 + jnp.maximum(x, -x))
  return r * r


_soft_sign = define(_soft_sign_forward, _soft_sign_derivative, name="soft_sign")


def soft_sign(x: ArrayLike) -> jax.Array:
  r"""Soft-sign activation.

  .. math::
    \mathrm{soft\_sign}(x) = \frac{x}{1 + |x|}

  Derivative: :math:`1 / (1 + |x|)^2`, from :math:`x`: the output form
  :math:`(1 - |y|)^2` cancels as :math:`|y| \to 1`, and so does the automatic
  derivative of the quotient (``jax.nn.soft_sign``'s is 700 times too large at
  :math:`x = -10^{10}` in float32). Nothing overflows: the derivative underflows to 0
  at huge :math:`|x|`, and :math:`\mathrm{soft\_sign}(\pm\infty) = \pm 1`.

  Smooth except at 0, where the second derivative jumps from 2 to -2.

  Args:
    x: input array.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.soft_sign(jnp.array([-3.0, 0.0, 1.0])))
    [-0.75  0.    0.5 ]

  References:
    Bergstra, Desjardins, Lamblin & Bengio, *Quadratic polynomials learn better image
    features*, Technical report 1337, Université de Montréal, 2009.

  .. note:: ``jax.nn.soft_sign`` returns NaN at :math:`\pm\infty` (jaxact:
    :math:`\pm 1`, derivative 0).

  See also:
    :func:`tanh`, :func:`sigmoid`.
  """
  return _soft_sign(x)
