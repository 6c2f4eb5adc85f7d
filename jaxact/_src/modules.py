"""What :mod:`jaxact.linen` and :mod:`jaxact.nnx` share; imports no flax.

The modules hold no math: they validate their arguments here, reshape a per-channel
parameter to broadcast along the channel axis, and call the functional activation.
The one computation done here is :func:`fit_rational`, the least-squares fit that
initialises :class:`jaxact.linen.Rational` and :class:`jaxact.nnx.Rational`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxact._src import errors


def positive_int(module: str, arg: str, value: Any, minimum: int = 1) -> int:
  """``value`` as an int ``>= minimum``, or the house ValueError naming ``module``
  (``"linen.PReLU"`` reads ``jaxact.linen.PReLU: ...``)."""
  ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
  expected = "be a positive int" if minimum == 1 else f"be an int >= {minimum}"
  errors.check(ok and value >= minimum, module, arg, expected, errors.shown(value))
  return operator.index(value)


def channel_shape(module: str, shape: Sequence[int], axis: int,
                  num_parameters: int) -> tuple[int, ...]:
  """The shape a per-channel parameter takes to broadcast against ``x`` of ``shape``.

  ``()`` for one shared parameter; else ``x``'s rank with ``num_parameters`` on
  ``axis`` and 1 elsewhere. Raises the house ValueError (naming ``module``) where
  ``axis`` is out of range or ``num_parameters`` is neither 1 nor ``shape[axis]``.
  """
  if num_parameters == 1:
    return ()
  ndim = len(shape)
  errors.check(ndim >= 1, module, "num_parameters", "be 1 for a scalar input",
               num_parameters)
  errors.check(-ndim <= axis < ndim, module, "axis",
               f"be in [-{ndim}, {ndim}) for an input of shape {tuple(shape)}", axis)
  channels = shape[axis]
  errors.check(num_parameters == channels, module, "num_parameters",
               f"be 1 or x.shape[{axis}] = {channels}", num_parameters)
  broadcast = [1] * ndim
  broadcast[axis] = channels
  return tuple(broadcast)


def along(values: Sequence[jax.Array], shape: tuple[int, ...]) -> list[jax.Array]:
  """Each 1-D parameter reshaped to ``shape`` (from :func:`channel_shape`)."""
  return [jnp.reshape(v, shape) for v in values]


def cast(dtype: Any, *arrays: Any) -> list[Any]:
  """The arrays in the computation ``dtype``; unchanged when ``dtype`` is None.

  With ``dtype=None`` the functional activation's own policy applies: the output has
  the input's dtype, and parameters are cast to its compute dtype.
  """
  if dtype is None:
    return list(arrays)
  return [jnp.asarray(a, dtype) for a in arrays]


# ---------------------------------------------------------------------- rational fit

#: The interval and the number of equispaced samples :func:`fit_rational` fits on.
FIT_INTERVAL = (-3.0, 3.0)
FIT_POINTS = 1201


def _samples(init: str | Callable[..., Any], where: str) -> tuple[np.ndarray, np.ndarray]:
  """The grid and the target activation on it, as float64 NumPy arrays."""
  from jaxact._src.registry import get  # the registry imports jaxact itself

  fn = get(init)
  x = np.linspace(*FIT_INTERVAL, FIT_POINTS)
  # Sampled eagerly (also inside jit / linen's init) in float32, whatever the x64 flag,
  # so that the coefficients do not depend on it; the fit itself is float64.
  with jax.ensure_compile_time_eval():
    grid = jnp.asarray(x, jnp.float32)
    try:
      y = jax.jit(fn)(grid)  # one compile, not one per op
    except (TypeError, jax.errors.TracerArrayConversionError,
            jax.errors.ConcretizationTypeError):
      y = fn(grid)  # a callable that jit cannot take (a NumPy ufunc, say)
  y = np.asarray(y, np.float64)
  errors.check(y.shape == x.shape and bool(np.all(np.isfinite(y))), where, "init",
               "name an elementwise activation, finite on [-3, 3]", errors.shown(init))
  return x, y


def _levenberg_marquardt(vp, vq, y, c, iterations):
  """Damped Gauss-Newton on the residual ``P / (1 + |B|) - y``; returns (c, cost)."""
  n = vp.shape[1]

  def residual(c):
    return vp @ c[:n] / (1 + np.abs(vq @ c[n:])) - y

  r = residual(c)
  cost = float(r @ r)
  damping = 1e-3
  for _ in range(iterations):
    b = vq @ c[n:]
    den = 1 + np.abs(b)
    p = vp @ c[:n]
    jac = np.concatenate([vp / den[:, None], (-p / den**2 * np.sign(b))[:, None] * vq], 1)
    gram = jac.T @ jac
    gradient = jac.T @ r
    diagonal = np.diag(np.diag(gram)) + 1e-300 * np.eye(len(c))
    improved = False
    while damping < 1e12:
      step = np.linalg.solve(gram + damping * diagonal, -gradient)
      r_new = residual(c + step)
      cost_new = float(r_new @ r_new)
      if cost_new < cost:
        improved = cost - cost_new > 1e-14 * cost
        c, r, cost = c + step, r_new, cost_new
        damping = max(damping / 3, 1e-12)
        break
      damping *= 4
    if not improved:
      break
  return c, cost


@functools.lru_cache(maxsize=64)
def _fit_cached(init, numerator_degree: int, denominator_degree: int, where: str):
  x, y = _samples(init, where)
  vp = x[:, None] ** np.arange(numerator_degree + 1)
  vq = x[:, None] ** np.arange(1, denominator_degree + 1)
  # Start 1: linearised least squares for P(x) - B(x) f(x) ~ f(x), the rational
  # P / (1 + B) (a Pade-type fit, exact for a rational f of these degrees).
  linear = np.linalg.lstsq(np.concatenate([vp, -y[:, None] * vq], 1), y, rcond=None)[0]
  # Start 2: the least-squares polynomial (B = 0).
  poly = np.concatenate([np.linalg.lstsq(vp, y, rcond=None)[0], np.zeros(denominator_degree)])
  best = min((_levenberg_marquardt(vp, vq, y, c, 200) for c in (linear, poly)),
             key=lambda result: result[1])[0]
  best.setflags(write=False)
  return best[:numerator_degree + 1], best[numerator_degree + 1:]


def fit_rational(init: str | Callable[..., Any], numerator_degree: int,
                 denominator_degree: int, where: str = "Rational"
                 ) -> tuple[np.ndarray, np.ndarray]:
  r"""Coefficients of the safe rational unit fitted to the activation ``init``.

  Minimises :math:`\sum_i (P(x_i) / (1 + |B(x_i)|) - f(x_i))^2` over 1201 equispaced
  :math:`x_i \in [-3, 3]` in float64 NumPy: two starting points, the linearised least
  squares fit of :math:`P(x) - B(x) f(x) \approx f(x)` and the least-squares polynomial
  (:math:`B = 0`), each refined by Levenberg-Marquardt (damped Gauss-Newton) steps on the
  true residual until it stops improving; the better result is kept. Deterministic, and
  cached per (name, degrees).

  Args:
    init: an activation's name for :func:`jaxact.get`, or a callable ``f(x)``.
    numerator_degree: :math:`n`, the degree of :math:`P` (coefficients :math:`a_0..a_n`).
    denominator_degree: :math:`m`, the degree of :math:`B` (coefficients
      :math:`b_1..b_m`).
    where: the module errors name, e.g. ``"nnx.Rational"``.

  Returns:
    ``(numerator, denominator)``: float64 arrays of lengths :math:`n + 1` and :math:`m`,
    lowest order first, as :func:`jaxact.rational` takes them.
  """
  try:
    hash(init)
  except TypeError:
    return _fit_cached.__wrapped__(init, numerator_degree, denominator_degree, where)
  return _fit_cached(init, numerator_degree, denominator_degree, where)
