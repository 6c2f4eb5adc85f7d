"""Activations that act on groups of entries along an axis."""

from __future__ import annotations

import difflib
import functools
import operator
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxact._src import core, dtypes, errors, numerics, rectifiers, selfgated, sigmoidal


def normalize_axis(fn: str, axis, ndim: int) -> int:
  """``axis`` as a non-negative int, or the house ValueError."""
  try:
    axis = operator.index(axis)
  except TypeError:
    errors.fail(fn, "axis", "be an int", errors.shown(axis))
  errors.check(-ndim <= axis < ndim, fn, "axis", f"be in [-{ndim}, {ndim}) for an "
               f"input of rank {ndim}", axis)
  return axis % ndim


def maxout(x: ArrayLike, num_pieces: int, axis: int = -1) -> jax.Array:
  r"""Maxout: the maximum over groups of ``num_pieces`` consecutive entries.

  .. math::
    \mathrm{maxout}(x)_i = \max_{0 \le j < k} x_{ik + j}, \qquad k = \texttt{num\_pieces}

  ``axis`` (of size :math:`n k`) becomes size :math:`n`. Usually applied to the output
  of a Dense layer of :math:`n k` features (see :class:`jaxact.linen.Maxout`).

  Derivative: 1 at the entry that attains its group's maximum, 0 elsewhere.

  Kinks: ties share the gradient equally, as :func:`jax.numpy.max` does.

  Args:
    x: input array.
    num_pieces: group size :math:`k`, a positive int dividing ``x.shape[axis]``.
    axis: the axis to group along.

  Returns:
    An array of ``x``'s dtype with ``x.shape[axis] // num_pieces`` entries on ``axis``.

  Raises:
    ValueError: if ``num_pieces`` is not a positive int dividing ``x.shape[axis]``,
      or ``axis`` is out of range.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> jaxact.maxout(jnp.array([1.0, 5.0, -2.0, -3.0]), num_pieces=2)
    Array([ 5., -2.], dtype=float32)

  References:
    Goodfellow, Warde-Farley, Mirza, Courville & Bengio, *Maxout Networks*,
    ICML 2013.

  See also:
    :func:`relu` (a maxout of :math:`x` and 0).
  """
  errors.check(isinstance(num_pieces, (int, np.integer)) and not isinstance(num_pieces, bool)
               and num_pieces >= 1, "maxout", "num_pieces", "be a positive int",
               errors.shown(num_pieces))
  weak = dtypes.is_weak(x)
  x, _, out = dtypes.prepare("maxout", x)
  errors.check(x.ndim >= 1, "maxout", "x", "have at least one axis", "a scalar")
  given = axis
  axis = normalize_axis("maxout", axis, x.ndim)
  size = x.shape[axis]
  errors.check(size % num_pieces == 0, "maxout", "num_pieces",
               f"divide x.shape[{given}] = {size}", num_pieces)
  grouped = x.reshape(x.shape[:axis] + (size // num_pieces, num_pieces) + x.shape[axis + 1:])
  return dtypes.finish(jnp.max(grouped, axis=axis + 1), out, weak)


# ------------------------------------------------------------------ gated linear units


def _halves(fn: str, x: ArrayLike, axis) -> tuple[jax.Array, jax.Array, np.dtype]:
  """``x`` in its output dtype, split in two along ``axis``; and the output dtype."""
  x, _, out = dtypes.prepare(fn, x, x_in_output_dtype=True)
  errors.check(x.ndim >= 1, fn, "x", "have at least one axis", "a scalar")
  given = axis
  axis = normalize_axis(fn, axis, x.ndim)
  size = x.shape[axis]
  errors.check(size % 2 == 0, fn, f"x.shape[{given}]", "be even", size)
  a, b = jnp.split(x, 2, axis=axis)
  return a, b, out


# Each unit as jaxact.gated spells it, for the hint of a two-array call.
_AS_GATED = {"glu": 'jaxact.gated("sigmoid", gate, up)', "reglu": 'jaxact.gated("relu", gate, up)',
             "geglu": 'jaxact.gated("gelu", gate, up, approximate=False)',
             "swiglu": 'jaxact.gated("silu", gate, up)'}


@functools.cache
def _gated(gate: str, work: np.dtype):
  """The gated unit ``gate(a) * b`` (``a * sigmoid(b)`` for glu) on halves in their own
  dtype, computed in ``work``, with the mechanism's residual policy: on accelerators a
  training step keeps the two halves alone and recomputes the gate in the backward
  pass; on CPU it keeps what the gate's own rule keeps. ``geglu_tanh`` is geglu with
  the tanh form of gelu."""
  pairs = {"glu": sigmoidal._sigmoid.pair, "reglu": rectifiers._relu.pair,
           "geglu": selfgated._gelu_erf.pair, "geglu_tanh": selfgated._gelu_tanh.pair,
           "swiglu": selfgated._silu.pair}
  pair = pairs[gate]
  unit = (lambda a, b: a * pair(b)) if gate == "glu" else (lambda a, b: pair(a) * b)
  return core.per_backend(unit, work, unit=True)


def _glu_family(fn: str, x, axis, up, unit: str) -> jax.Array:
  """A GLU on the halves of ``x``, or, with ``up``, on the gate ``x`` and ``up``."""
  if up is None:
    if hasattr(axis, "shape") and (np.ndim(axis) > 0
                                   or not jnp.issubdtype(axis.dtype, jnp.integer)):
      errors.fail(fn, "axis", f"be an int (to gate one array by another, pass the second as "
                  f"up=: jaxact.{fn}(gate, up=up), or use {_AS_GATED[fn]})",
                  errors.shown(axis))
    weak = dtypes.is_weak(x)
    a, b, out = _halves(fn, x, axis)
    return dtypes.finish(_gated(unit, dtypes.compute_dtype(out))(a, b), out, weak)
  if not (isinstance(axis, (int, np.integer)) and axis == -1):
    errors.fail(fn, "axis", "be left out when up is given (the gate x and up are not "
                "split)", errors.shown(axis))
  gate, up, out, weak = dtypes.prepare_pair(fn, x, up)
  work = dtypes.compute_dtype(out)
  # glu's unit is value * sigmoid(gate): its first operand is the value.
  y = _gated(unit, work)(up, gate) if fn == "glu" else _gated(unit, work)(gate, up)
  return dtypes.finish(y, out, weak)


def glu(x: ArrayLike, axis: int = -1, *, up: ArrayLike | None = None) -> jax.Array:
  r"""Gated linear unit: the first half of ``x`` gated by the sigmoid of the second.

  .. math::
    \mathrm{glu}(x) = a \odot \sigma(b), \qquad x = [a, b]

  where :math:`a` and :math:`b` are the two halves of ``x`` along ``axis``.

  Derivative: :math:`\partial/\partial a = \sigma(b)`,
  :math:`\partial/\partial b = a\,\sigma'(b)` with :math:`\sigma'(b)` evaluated
  from :math:`b` (see :func:`sigmoid`), so it keeps every digit where
  :math:`\sigma(b)` rounds to 1.

  Smooth everywhere.

  Args:
    x: input array; with ``up``, the gate :math:`b` itself (nothing is split).
    axis: the axis to split; ``x.shape[axis]`` must be even.
    up: keyword-only: the value :math:`a` from a projection of its own:
      ``glu(gate, up=up)`` is :math:`\sigma(\mathrm{gate}) \odot \mathrm{up}`, as
      ``jax.nn.sigmoid(gate) * up`` (see :func:`gated`).

  Returns:
    An array of ``x``'s dtype with ``x.shape[axis] // 2`` entries on ``axis``
    (integers promote to float); with ``up``, of the gate's shape. Half-precision
    inputs are computed in float32 and rounded once.

  Raises:
    ValueError: if ``x.shape[axis]`` is odd or ``axis`` is out of range, or an array
      is passed as ``axis`` (a second projection goes in ``up=``).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.glu(jnp.array([1.0, -2.0, 0.0, 3.0])))
    [ 0.5    -1.9051]

  References:
    Dauphin, Fan, Auli & Grangier, *Language Modeling with Gated Convolutional
    Networks*, ICML 2017.

  .. note:: As ``jax.nn.glu`` and ``torch.nn.functional.glu``, the *first* half is
    the value and the *second* half the gate: glu gates the second half, while
    :func:`reglu`, :func:`geglu` and :func:`swiglu` gate the first. Unlike
    ``jax.nn.glu``, an odd size raises ``ValueError`` (not ``AssertionError``) and
    integer inputs promote to float.

  See also:
    :func:`reglu`, :func:`geglu`, :func:`swiglu`, :func:`sigmoid`.
  """
  return _glu_family("glu", x, axis, up, "glu")


def reglu(x: ArrayLike, axis: int = -1, *, up: ArrayLike | None = None) -> jax.Array:
  r"""ReGLU: the ReLU of the first half of ``x`` times the second half.

  .. math::
    \mathrm{reglu}(x) = \mathrm{relu}(a) \odot b, \qquad x = [a, b]

  where :math:`a` and :math:`b` are the two halves of ``x`` along ``axis``.

  Derivative: :math:`\partial/\partial a = b\,\mathrm{relu}'(a)`,
  :math:`\partial/\partial b = \mathrm{relu}(a)`.

  Kink: at :math:`a = 0`, where :math:`\partial/\partial a = 0`
  (:math:`\mathrm{relu}'(0) = 0`, as :func:`relu`).

  Args:
    x: input array; with ``up``, the gate :math:`a` itself (nothing is split).
    axis: the axis to split; ``x.shape[axis]`` must be even.
    up: keyword-only: the value :math:`b` from a projection of its own:
      ``reglu(gate, up=up)`` is ``relu(gate) * up`` (see :func:`gated`).

  Returns:
    An array of ``x``'s dtype with ``x.shape[axis] // 2`` entries on ``axis``
    (integers promote to float); with ``up``, of the gate's shape.

  Raises:
    ValueError: if ``x.shape[axis]`` is odd or ``axis`` is out of range, or an array
      is passed as ``axis`` (a second projection goes in ``up=``).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.reglu(jnp.array([1.0, -2.0, 0.5, 3.0])))
    [0.5 0. ]

  References:
    Shazeer, *GLU Variants Improve Transformer*, arXiv:2002.05202, 2020.

  See also:
    :func:`glu`, :func:`geglu`, :func:`swiglu`, :func:`relu`.
  """
  return _glu_family("reglu", x, axis, up, "reglu")


def geglu(x: ArrayLike, axis: int = -1, *, up: ArrayLike | None = None,
          approximate: bool = False) -> jax.Array:
  r"""GEGLU: the GELU (exact by default) of the first half of ``x`` times the second half.

  .. math::
    \mathrm{geglu}(x) = \mathrm{gelu}(a) \odot b
      = \frac{a}{2}\,\mathrm{erfc}\!\left(-\frac{a}{\sqrt 2}\right) \odot b,
    \qquad x = [a, b]

  where :math:`a` and :math:`b` are the two halves of ``x`` along ``axis``.

  Derivative: :math:`\partial/\partial a = b\,(\Phi(a) + a\,\varphi(a))`,
  :math:`\partial/\partial b = \mathrm{gelu}(a)`, both from the clamped forms of
  :func:`gelu`, so nothing overflows into :math:`0 \cdot \infty`.

  Smooth everywhere.

  Args:
    x: input array; with ``up``, the gate :math:`a` itself (nothing is split).
    axis: the axis to split; ``x.shape[axis]`` must be even.
    up: keyword-only: the value :math:`b` from a projection of its own:
      ``geglu(gate, up=up)`` is ``gelu(gate) * up``, a Gemma MLP's
      ``jax.nn.gelu(x @ W_gate) * (x @ W_up)`` with ``approximate=True``
      (see :func:`gated`).
    approximate: keyword-only: False (the default) gates with the exact (erf) GELU,
      True with its tanh form (:func:`gelu`'s default, Gemma's). A Python bool.

  Returns:
    An array of ``x``'s dtype with ``x.shape[axis] // 2`` entries on ``axis``
    (integers promote to float); with ``up``, of the gate's shape.

  Raises:
    ValueError: if ``x.shape[axis]`` is odd or ``axis`` is out of range, or an array
      is passed as ``axis`` (a second projection goes in ``up=``).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.geglu(jnp.array([1.0, -1.0, 2.0, 2.0])))
    [ 1.6827 -0.3173]
    >>> gate, up = jnp.array([1.0, -1.0]), jnp.array([2.0, 2.0])
    >>> print(jaxact.geglu(gate, up=up, approximate=True))
    [ 1.6824 -0.3176]

  References:
    Shazeer, *GLU Variants Improve Transformer*, arXiv:2002.05202, 2020.

  .. note:: The gate is the exact (erf) GELU by default, as in the paper and PyTorch's
    default, not the tanh approximation that :func:`gelu` uses by default; pass
    ``approximate=True`` for the tanh form.

  See also:
    :func:`gelu`, :func:`glu`, :func:`reglu`, :func:`swiglu`.
  """
  errors.check(isinstance(approximate, bool), "geglu", "approximate",
               "be a Python bool (it selects the formula at trace time)",
               errors.shown(approximate))
  return _glu_family("geglu", x, axis, up, "geglu_tanh" if approximate else "geglu")


def swiglu(x: ArrayLike, axis: int = -1, *, up: ArrayLike | None = None) -> jax.Array:
  r"""SwiGLU: the SiLU (swish) of the first half of ``x`` times the second half.

  .. math::
    \mathrm{swiglu}(x) = \mathrm{silu}(a) \odot b = a\,\sigma(a) \odot b,
    \qquad x = [a, b]

  where :math:`a` and :math:`b` are the two halves of ``x`` along ``axis``.

  Derivative: :math:`\partial/\partial a = b\,\mathrm{silu}'(a)`,
  :math:`\partial/\partial b = \mathrm{silu}(a)`, with the stable rule of
  :func:`silu` (no :math:`-\infty \cdot 0` at :math:`a = -\infty`).

  Smooth everywhere.

  Args:
    x: input array; with ``up``, the gate :math:`a` itself (nothing is split).
    axis: the axis to split; ``x.shape[axis]`` must be even.
    up: keyword-only: the value :math:`b` from a projection of its own:
      ``swiglu(gate, up=up)`` is ``silu(gate) * up``, a Llama MLP's
      ``jax.nn.silu(x @ W_gate) * (x @ W_up)`` (see :func:`gated`).

  Returns:
    An array of ``x``'s dtype with ``x.shape[axis] // 2`` entries on ``axis``
    (integers promote to float); with ``up``, of the gate's shape.

  Raises:
    ValueError: if ``x.shape[axis]`` is odd or ``axis`` is out of range, or an array
      is passed as ``axis`` (a second projection goes in ``up=``).

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.swiglu(jnp.array([1.0, -1.0, 2.0, 2.0])))
    [ 1.4621 -0.5379]
    >>> gate, up = jnp.array([1.0, -1.0]), jnp.array([2.0, 2.0])
    >>> print(jaxact.swiglu(gate, up=up))
    [ 1.4621 -0.5379]

  References:
    Shazeer, *GLU Variants Improve Transformer*, arXiv:2002.05202, 2020.

  See also:
    :func:`silu`, :func:`glu`, :func:`reglu`, :func:`geglu`.
  """
  return _glu_family("swiglu", x, axis, up, "swiglu")


# ------------------------------------------------------------------ two projections

# Functions along an axis: not gates (gated refuses them).
_NOT_ELEMENTWISE = frozenset({"maxout", "glu", "reglu", "geglu", "swiglu", "softmax",
                              "log_softmax", "sparsemax"})


def _activation(activation) -> Callable[..., jax.Array]:
  """The elementwise activation ``activation`` names (or is), or the house error."""
  from jaxact._src import registry

  functions = registry._functions()
  if isinstance(activation, str):
    if activation not in functions or activation in _NOT_ELEMENTWISE:
      elementwise = sorted(set(functions) - _NOT_ELEMENTWISE)
      close = difflib.get_close_matches(activation, elementwise, n=5, cutoff=0.5)
      hint = f" (closest: {', '.join(close)})" if close else ""
      errors.fail("gated", "activation", "name an elementwise activation of "
                  "jaxact.available() or be one", f"{activation!r}{hint}")
    return functions[activation]
  if not callable(activation) or any(activation is functions[n] for n in _NOT_ELEMENTWISE):
    errors.fail("gated", "activation", "name an elementwise activation of "
                "jaxact.available() or be one", errors.shown(activation), TypeError)
  return activation


def _is_traced_parameter(value) -> bool:
  """A parameter passed to the unit as an argument (so that it may be learnable): a
  floating-point JAX array. Everything else (Python numbers, bools, ints such as an
  axis, NumPy constants) is a constant of the unit."""
  return isinstance(value, jax.Array) and jnp.issubdtype(value.dtype, jnp.floating)


def _unit_of(act, static: tuple, learnable: tuple[str, ...], work: np.dtype):
  """``act(gate, **params) * up`` with the mechanism's residual policy."""

  def unit(gate, up, *values):
    return act(gate, **dict(static), **dict(zip(learnable, values, strict=True))) * up

  return core.per_backend(unit, work, unit=True)


_cached_unit_of = functools.lru_cache(maxsize=256)(_unit_of)


def gated(activation: str | Callable[..., jax.Array], gate: ArrayLike, up: ArrayLike,
          **params) -> jax.Array:
  r"""A gated unit from two projections: ``activation(gate, **params) * up``.

  .. math::
    \mathrm{gated}(g, u) = \mathrm{act}(g) \odot u

  The form of a Llama or Gemma MLP, ``act(x @ W_gate) * (x @ W_up)``, without
  concatenating the projections: ``jaxact.gated("silu", g, u)`` is SwiGLU,
  ``jaxact.gated("gelu", g, u)`` Gemma's tanh-GELU gate (``gelu``'s default). The two
  operands keep their own shardings.

  Derivative: :math:`\partial/\partial g = u\,\mathrm{act}'(g)` (the activation's
  own exact rule), :math:`\partial/\partial u = \mathrm{act}(g)`; parameters given as
  JAX float arrays get their partial derivatives too. On accelerators a training step
  keeps only ``gate`` and ``up`` (and such parameters) for the backward pass and
  recomputes the activation there.

  Kinks: the activation's.

  Args:
    activation: the name of an elementwise activation (one of
      :func:`available`, not a function along an axis), or such a function.
    gate: the gate's input :math:`g`.
    up: the value :math:`u`, of ``gate``'s shape (or broadcasting to it).
    **params: the activation's parameters (``approximate=False``, ``beta=...``).

  Returns:
    An array of the operands' dtype (integers promote to float; a Python scalar
    takes the other operand's dtype). Half-precision operands are computed in
    float32 and rounded once.

  Raises:
    ValueError: for an unknown name or a function along an axis, or shapes that do
      not broadcast; the activation's own errors for its parameters.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> g, u = jnp.array([1.0, -1.0]), jnp.array([2.0, 2.0])
    >>> print(jaxact.gated("silu", g, u))
    [ 1.4621 -0.5379]
    >>> print(jaxact.gated("gelu", g, u, approximate=False))
    [ 1.6827 -0.3173]

  .. note:: The same as ``jax.nn.silu(g) * u``; jaxact's unit is exact (the product
    of a half-precision gate is rounded once, not twice) and keeps less for the
    backward pass on accelerators.

  See also:
    :func:`swiglu`, :func:`geglu`, :func:`reglu`, :func:`glu` (the named forms, with
    ``up=``).
  """
  act = _activation(activation)
  gate, up, out, weak = dtypes.prepare_pair("gated", gate, up)
  work = dtypes.compute_dtype(out)
  learnable = tuple(k for k, v in params.items() if _is_traced_parameter(v))
  static = tuple((k, v) for k, v in params.items() if k not in learnable)
  try:
    unit = _cached_unit_of(act, static, learnable, work)
  except TypeError:  # an unhashable constant (a NumPy array): not cached
    unit = _unit_of(act, static, learnable, work)
  y = unit(gate, up, *(params[k] for k in learnable))
  return dtypes.finish(y, out, weak)


# ------------------------------------------------------------------ error-free arithmetic


def _dd_sum(hi: jax.Array, lo: jax.Array, axis: int) -> tuple[jax.Array, jax.Array]:
  """The sum of ``hi + lo`` along ``axis`` as a double-double pair (keepdims)."""
  zero = np.zeros((), hi.dtype)
  s_hi, s_lo = jax.lax.reduce((hi, lo), (zero, zero), numerics.dd_add, (axis,))
  return jnp.expand_dims(s_hi, axis), jnp.expand_dims(s_lo, axis)


# ------------------------------------------------------------------ normalising


def _normalize_axes(fn: str, axis, ndim: int) -> tuple[int, ...]:
  """``axis`` (an int, a tuple of ints or None for all) as a sorted tuple of axes."""
  if axis is None:
    return tuple(range(ndim))
  if isinstance(axis, (tuple, list)):
    axes = tuple(normalize_axis(fn, a, ndim) for a in axis)
    errors.check(len(set(axes)) == len(axes), fn, "axis", "not repeat an axis",
                 errors.shown(axis))
    return tuple(sorted(axes))
  errors.check(ndim >= 1, fn, "x", "have at least one axis", "a scalar")
  return (normalize_axis(fn, axis, ndim),)


def _mask(fn: str, where, shape: tuple[int, ...]) -> jax.Array | None:
  """``where`` as a boolean array of ``shape``, or None."""
  if where is None:
    return None
  where = jnp.asarray(where)
  if where.dtype != jnp.bool_:
    errors.fail(fn, "where", "be None or a boolean array", f"dtype {where.dtype}", TypeError)
  try:
    return jnp.broadcast_to(where, shape)
  except ValueError:
    errors.fail(fn, "where", f"broadcast to x.shape = {shape}", f"shape {where.shape}")


def _masked(x, where):
  return x if where is None else jnp.where(where, x, -jnp.inf)


def _shifted(x, where, axes, exact):
  """``x - m`` along ``axes`` (m the row maximum) as ``(d, dl)`` with ``x - m = d + dl``
  exactly where ``exact`` (else ``dl`` is None), and ``m``.

  Masked entries become -inf; on rows with +inf entries d is 0 at those entries and -inf
  elsewhere (the limit); a NaN anywhere in a row makes the whole row NaN.
  """
  xm = _masked(x, where)
  m = jnp.max(xm, axes, keepdims=True, initial=-jnp.inf)  # initial: empty rows
  m_safe = jnp.where(jnp.isinf(m), 0, m)  # 0 on empty and +inf rows; NaN stays NaN
  d, dl = numerics.two_sum(xm, -m_safe) if exact else (xm - m_safe, None)
  d = jnp.where(m == jnp.inf, jnp.where(xm == jnp.inf, 0, -jnp.inf), d)
  return d, dl, m


def _exp_shifted(d, dl):
  e = jnp.exp(d)
  return e if dl is None else e + e * dl  # exp(d + dl), dl being below half an ulp of d


def _rest(d, e, axes):
  """``(T, r)`` for a row's shifted exponentials ``e = exp(d)``: T the row sum without one
  maximum's exact 1 (the sum is 1 + T), and ``r = 1 - softmax``, each without
  cancellation: at a maximum ``r = T / (1 + T)`` (``1 - e / (1 + T)`` would round to 0
  where T is below an ulp of 1); elsewhere ``e <= 1 <= 1 + T - e``, so ``r >= 1/2``."""
  top = d == 0
  count = jnp.maximum(jnp.sum(top, axes, keepdims=True, dtype=jnp.int32), 1)
  t = jnp.sum(jnp.where(top, 0, e), axes, keepdims=True) + (count - 1).astype(e.dtype)
  return t, jnp.where(top, t, 1 + t - e) / (1 + t)


def _centred(t, s, r, axes):
  """``t - <s, t>`` (the tangent of log_softmax), as ``r t - (sum(u) - u)`` with
  ``u = s t``: the same value (r + s = 1), but its transpose, the pullback of a
  cotangent ``c``, is ``r c + s (c - sum(c))``, in which a maximum's ``1 - s``, tiny
  where the others are far below it, is ``r``, not a difference that rounds to 0."""
  u = s * t
  return r * t - (jnp.sum(u, axes, keepdims=True) - u)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _softmax(x, where, axes, exact):
  d, dl, _ = _shifted(x, where, axes, exact)
  e = _exp_shifted(d, dl)
  # The row sum is >= 1 (each maximum contributes exactly 1) except on rows with
  # nothing unmasked above -inf, where every e is 0 and so is the result.
  return e / jnp.maximum(jnp.sum(e, axes, keepdims=True), 1)


@_softmax.defjvp
def _softmax_jvp(axes, exact, primals, tangents):
  x, where = primals
  t, _ = tangents
  s = _softmax(x, where, axes, exact)
  d, dl, _ = _shifted(x, where, axes, exact)  # the forward's, merged by XLA
  _, r = _rest(d, _exp_shifted(d, dl), axes)
  return s, s * _centred(t, s, r, axes)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def _log_softmax(x, where, axes, exact):
  """``(log_softmax(x), softmax(x), 1 - softmax(x))`` along ``axes``, from one pass."""
  d, dl, _ = _shifted(x, where, axes, exact)
  e = _exp_shifted(d, dl)
  # The log of the row sum as log1p(T), T the sum without one maximum's exact 1, so
  # that the maximum's entry -log1p(T) keeps its digits when T is tiny.
  t, r = _rest(d, e, axes)
  # dl is not added back: d's own rounding is under half an ulp of y = d - log1p(T).
  return d - jnp.log1p(t), e / (1 + t), r


@_log_softmax.defjvp
def _log_softmax_jvp(axes, exact, primals, tangents):
  x, where = primals
  t, _ = tangents
  y, s, r = _log_softmax(x, where, axes, exact)
  # log_softmax is constant (-inf) at masked entries and on rows with nothing above
  # -inf: its derivative is 0 there (not the 1 of x_i - logsumexp(x)); NaN rows stay
  # NaN. The maximum is the forward's own (the same expression, merged by XLA).
  m = jnp.max(_masked(x, where), axes, keepdims=True, initial=-jnp.inf)
  live = m > -jnp.inf
  keep = live if where is None else live & where
  keep = keep | jnp.isnan(m)
  centred = _centred(t, s, r, axes)
  return (y, s, r), (jnp.where(keep, centred, 0), s * centred, -(s * centred))


def _normalise_apply(fn, kernel, x, axis, where):
  """``kernel`` on ``x`` prepared by the dtype policy; the output dtype and whether
  the result is weakly typed."""
  weak = dtypes.is_weak(x)
  x, _, out = dtypes.prepare(fn, x)
  axes = _normalize_axes(fn, axis, x.ndim)
  where = _mask(fn, where, x.shape)
  # Half-precision inputs are computed in float32, where x - m is exact enough; in
  # float32 and float64 its rounding error, which exp amplifies by |x - m|, is carried.
  exact = out.itemsize >= 4
  return kernel(x, where, axes, exact), out, weak


def softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = -1,
            where: ArrayLike | None = None) -> jax.Array:
  r"""Softmax: exponentials normalised to sum to 1 along ``axis``.

  .. math::
    \mathrm{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j

  Derivative (a ``custom_jvp`` rule): :math:`J t = y \odot (t - \langle y, t\rangle)`
  with :math:`y = \mathrm{softmax}(x)`; it never forms :math:`\infty - \infty`, and
  :math:`1 - y_k` at a maximum is the sum of the others, not a difference that rounds to
  0.

  Numerics: computed with the maximum subtracted, in float32 for half-precision
  inputs and rounded once, so no exponential overflows (a 4096-entry float16 row
  with entries up to 60000 is fine); in float32 and float64 the rounding error of
  :math:`x - m` is carried along (an error-free sum), since :math:`e^{x - m}`
  would amplify it by :math:`|x - m|`.

  Limits: entries that are -inf or masked out (``where`` False) give exactly 0, with
  zero derivative. A row whose entries are all -inf or all masked gives 0 everywhere
  (not NaN), with zero derivative. A row with :math:`k > 0` entries at +inf gives
  :math:`1/k` at each of them and 0 elsewhere (the limit). A NaN anywhere in a row
  (not masked) makes the whole row, and its derivative, NaN.

  Smooth everywhere.

  Args:
    x: input array.
    axis: the axis, or tuple of axes, to normalise over (None: all axes).
    where: optional boolean mask broadcasting to ``x``; False entries are left out
      of the sum and give 0.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if ``axis`` is out of range or repeats an axis, or ``where`` does
      not broadcast to ``x``'s shape.
    TypeError: if ``where`` is not boolean.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.softmax(jnp.array([1.0, 2.0, 3.0])))
    [0.09   0.2447 0.6652]
    >>> print(jaxact.softmax(jnp.array([1.0, 2.0, 3.0]), where=jnp.array([True, True, False])))
    [0.2689 0.7311 0.    ]

  References:
    Bridle, *Probabilistic Interpretation of Feedforward Classification Network
    Outputs, with Relationships to Statistical Pattern Recognition*,
    Neurocomputing, 1990.

  .. note:: ``jax.nn.softmax`` returns NaN for rows with +inf entries and for rows
    that are entirely -inf, and computes float16 inputs in float16; jaxact returns
    the limits above and computes in float32.

  See also:
    :func:`log_softmax`, :func:`sparsemax`.
  """
  s, out, weak = _normalise_apply("softmax", _softmax, x, axis, where)
  return dtypes.finish(s, out, weak)


def log_softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = -1,
                where: ArrayLike | None = None) -> jax.Array:
  r"""Log-softmax: the logarithm of :func:`softmax`, computed without it.

  .. math::
    \mathrm{log\_softmax}(x)_i = (x_i - m) - \log\!\Big(1 + \sum_{j \ne k} e^{x_j - m}\Big),
    \qquad m = \max_j x_j = x_k

  Derivative (a ``custom_jvp`` rule): :math:`J t = t - \langle \mathrm{softmax}(x), t
  \rangle`; it never forms :math:`\infty - \infty`, and :math:`1 - \mathrm{softmax}(x)_k`
  at a maximum is the sum of the others, not a difference that rounds to 0 (the slope
  of :math:`\mathrm{log\_softmax}([x, 0])_0 = \mathrm{log\_sigmoid}(x)` stays exact for
  large :math:`x`).

  Numerics: exact where :func:`softmax` underflows (:math:`x_i - m \ll -100` gives
  :math:`x_i - m - \log(\ldots)`, not :math:`\log 0`); the log of the sum is taken
  as ``log1p`` of the sum without the maximum's exact 1, so the maximum's entry
  :math:`-\log(1 + T)` keeps its digits when :math:`T` is tiny. Half-precision
  inputs are computed in float32 and rounded once; in float32 and float64 the
  rounding error of :math:`x - m` is carried along.

  Limits: masked-out entries (``where`` False) give -inf with zero derivative; -inf
  entries give -inf (with derivative :math:`t_i - \langle \mathrm{softmax}, t\rangle`,
  as :math:`x_i - \mathrm{logsumexp}(x)` has). A row whose entries are all -inf or all
  masked gives -inf everywhere, with zero derivative. A row with :math:`k > 0`
  entries at +inf gives :math:`-\log k` at each of them and -inf elsewhere (the
  limit). A NaN anywhere in a row (not masked) makes the whole row, and its
  derivative, NaN.

  Smooth everywhere.

  Args:
    x: input array.
    axis: the axis, or tuple of axes, to normalise over (None: all axes).
    where: optional boolean mask broadcasting to ``x``; False entries are left out
      of the sum and give -inf.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float).

  Raises:
    ValueError: if ``axis`` is out of range or repeats an axis, or ``where`` does
      not broadcast to ``x``'s shape.
    TypeError: if ``where`` is not boolean.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.log_softmax(jnp.array([1.0, 2.0, 3.0])))
    [-2.4076 -1.4076 -0.4076]
    >>> print(jaxact.log_softmax(jnp.array([0.0, -200.0])))
    [   0. -200.]

  References:
    Bridle, *Probabilistic Interpretation of Feedforward Classification Network
    Outputs, with Relationships to Statistical Pattern Recognition*,
    Neurocomputing, 1990.

  .. note:: ``jax.nn.log_softmax`` returns NaN for rows with +inf entries and for
    rows that are entirely -inf, and computes float16 inputs in float16; jaxact
    returns the limits above and computes in float32.

  See also:
    :func:`softmax`, :func:`log_sigmoid`.
  """
  (y, _, _), out, weak = _normalise_apply("log_softmax", _log_softmax, x, axis, where)
  return dtypes.finish(y, out, weak)


# ------------------------------------------------------------------ sparsemax


def _sparsemax_refine(d, e, tau_hi, tau_lo, axis):
  """One exact step of Michelot's iteration: tau = (sum_S (x - m) - 1) / |S| over
  S = {x - m > tau}, summed as double-doubles. Returns the new (tau_hi, tau_lo)."""
  u, v = numerics.two_sum(d, -tau_hi)
  r = v + (e - tau_lo)  # x - m - tau = u + r
  support = u + r > 0
  size = jnp.maximum(jnp.sum(support, axis, keepdims=True, dtype=d.dtype), 1)
  s_hi, s_lo = _dd_sum(jnp.where(support, u, 0), jnp.where(support, r, 0), axis)
  delta = ((s_hi - 1) + s_lo) / size  # sum_S (x - m - tau) - 1 = |S| (tau_new - tau)
  hi = tau_hi + (tau_lo + delta)
  return hi, (tau_lo + delta) - (hi - tau_hi)


def _sparsemax_forward(x, axis):
  m = jnp.max(x, axis, keepdims=True, initial=-jnp.inf)  # initial: empty rows
  m_safe = jnp.where(jnp.isinf(m), 0, m)
  d, e = numerics.two_sum(x, -m_safe)  # x - m = d + e exactly
  d = jnp.where(m == jnp.inf, jnp.where(x == jnp.inf, 0, -jnp.inf), d)
  # A first threshold from the sorted entries (Martins & Astudillo, Algorithm 1):
  # tau = max_k (sum of the k largest - 1) / k. Accurate to a few ulps of the partial
  # sums only, so it is refined below.
  z = -jnp.sort(-d, axis=axis)
  k = jnp.arange(1, x.shape[axis] + 1, dtype=x.dtype)
  k = k.reshape([-1 if i == axis else 1 for i in range(x.ndim)])
  tau = jnp.max((jnp.cumsum(z, axis) - 1) / k, axis, keepdims=True, initial=-jnp.inf)
  tau = jnp.where(jnp.isfinite(tau), tau, -1)  # rows of -inf (and NaN, fixed below)
  tau_hi, tau_lo = _sparsemax_refine(d, e, tau, jnp.zeros_like(tau), axis)
  tau_hi, tau_lo = _sparsemax_refine(d, e, tau_hi, tau_lo, axis)
  u, v = numerics.two_sum(d, -tau_hi)
  p = u + (v + (e - tau_lo))
  p = jnp.where(p > 0, p, 0)
  return jnp.where(jnp.isnan(m), m, p)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _sparsemax(x, axis):
  return _sparsemax_forward(x, axis)


@_sparsemax.defjvp
def _sparsemax_jvp(axis, primals, tangents):
  (x,), (t,) = primals, tangents
  p = _sparsemax(x, axis)
  support = p > 0
  size = jnp.maximum(jnp.sum(support, axis, keepdims=True, dtype=p.dtype), 1)
  mean = jnp.sum(jnp.where(support, t, 0), axis, keepdims=True) / size
  # A NaN row has no support; its derivative is NaN (the factor keeps it linear in t).
  nan = jnp.isnan(p)
  scale = jnp.where(nan, jnp.nan, 1).astype(p.dtype)
  return p, jnp.where(support | nan, (t - mean) * scale, 0)


def sparsemax(x: ArrayLike, axis: int = -1) -> jax.Array:
  r"""Sparsemax: the Euclidean projection of ``x`` onto the probability simplex.

  .. math::
    \mathrm{sparsemax}(x) = \operatorname*{argmin}_{p \ge 0,\ \sum p = 1}
      \lVert p - x \rVert^2 = \max(x - \tau, 0)

  with the threshold :math:`\tau` such that the result sums to 1:
  :math:`\tau = (\sum_{i \in S} x_i - 1) / |S|` over the support
  :math:`S = \{i : x_i > \tau\}`. Unlike :func:`softmax` the result has exact zeros.

  Derivative (a ``custom_jvp`` rule): on the support,
  :math:`(J t)_i = t_i - \frac{1}{|S|}\sum_{j \in S} t_j`; 0 off the support.

  Numerics: :math:`\tau` is first found from the sorted entries, then refined by two
  steps of Michelot's iteration summed in double-word arithmetic, so small
  probabilities :math:`x_i - \tau` keep their digits (a plain running sum leaves an
  error of a few ulps of the partial sums in :math:`\tau`, which is the whole of a
  small :math:`x_i - \tau`).

  Limits: -inf entries give 0; a row of all -inf gives 0 everywhere with zero
  derivative; a row with :math:`k > 0` entries at +inf gives :math:`1/k` at each of
  them and 0 elsewhere; a NaN anywhere in a row makes the whole row, and its
  derivative, NaN. Ties share the mass equally (the projection is unique).

  Kinks: where an entry enters or leaves the support (:math:`x_i = \tau`); there
  the entry counts as outside the support (its value is 0).

  Args:
    x: input array.
    axis: the axis to project along.

  Returns:
    An array of the same shape and dtype as ``x`` (integers promote to float), with
    nonnegative entries summing to 1 along ``axis``.

  Raises:
    ValueError: if ``axis`` is out of range or ``x`` is a scalar.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> print(jaxact.sparsemax(jnp.array([1.0, 0.5, -1.0])))
    [0.75 0.25 0.  ]

  References:
    Martins & Astudillo, *From Softmax to Sparsemax: A Sparse Model of Attention
    and Multi-Label Classification*, ICML 2016.

  .. note:: Not in ``jax.nn`` or ``torch.nn.functional``. Common implementations
    (TensorFlow Addons' ``sparsemax``, the PyTorch ``sparsemax`` package) find
    :math:`\tau` from a running sum in the input precision, which can lose every
    digit of the small probabilities; jaxact's values agree with theirs up to that
    error.

  See also:
    :func:`softmax`.
  """
  weak = dtypes.is_weak(x)
  x, _, out = dtypes.prepare("sparsemax", x)
  errors.check(x.ndim >= 1, "sparsemax", "x", "have at least one axis", "a scalar")
  axis = normalize_axis("sparsemax", axis, x.ndim)
  return dtypes.finish(_sparsemax(x, axis), out, weak)
