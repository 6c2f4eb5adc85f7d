r"""The public definition API: :func:`define` makes an activation from its formula and
derivative rule, :func:`with_derivative` gives a formula inside one its own rule, and
:class:`Learnable` declares how a parameter is learned by the activation's Flax modules.

Every elementwise activation of jaxact is made by :func:`define`; nothing in the zoo
uses a path this module does not offer.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

import jax
import numpy as np

from jaxact._src import core, dtypes, errors, registry

Forward = Callable[..., jax.Array]
Derivative = Callable[..., Any]
#: A check on a parameter's concrete value: one of :data:`CHECKS`' names, or a pair
#: ``(rule, predicate)``: ``("be odd", lambda v: v % 2 == 1)``.
Check = str | tuple[str, Callable[[np.ndarray], Any]]

#: The named checks :func:`define` understands, as ``(rule, predicate)``.
CHECKS: dict[str, tuple[str, Callable[[np.ndarray], Any]]] = {
    "positive": ("be positive", lambda v: v > 0),
    "nonnegative": ("be non-negative", lambda v: v >= 0),
    "nonzero": ("be nonzero", lambda v: v != 0),
    "finite": ("be finite", np.isfinite),
}


#: A constraint on a learnable parameter: ``"positive"`` or a pair ``(to_value, to_raw)``.
Constraint = str | tuple[Callable[..., Any], Callable[..., Any]]


@dataclasses.dataclass(frozen=True)
class Learnable:
  r"""How the Flax modules of an activation learn one of its parameters.

  Given to :func:`define` as ``learnable={"alpha": jaxact.Learnable(...)}``, and read by
  :func:`jaxact.linen.module` and :func:`jaxact.nnx.module`, which make the modules:
  each learnable parameter is a module parameter, initialised from the constructor
  argument ``<name>_init`` (default :attr:`init`).

  A constraint keeps the value the activation sees in its domain while the optimiser
  moves a free *raw* parameter: with ``"positive"`` the module stores ``raw`` and calls
  the activation with :math:`\mathrm{softplus}(\mathrm{raw}) > 0` (:func:`jaxact.softplus`,
  exact, so the gradient reaches ``raw`` however small the value gets). The initial
  value is inverted in float64, ``raw = init + log(-expm1(-init))``: the module starts
  from ``init`` up to the rounding of ``raw`` to ``param_dtype``.

  Attributes:
    init: the initial value the activation sees (after the constraint); None: the
      activation's default for the parameter.
    constraint: None: stored as it is; ``"positive"``: stored raw, the value is
      ``softplus(raw)``; or a pair ``(to_value, to_raw)``: ``to_value(raw)`` in
      ``jax.numpy`` and its inverse ``to_raw(value)`` in NumPy float64 (for the initial
      value). Either function may take, after its first argument, parameters of the
      activation that are not learnable (``to_value(raw, beta)``): it gets the module's
      value of each.
    per_channel: True: shape ``(num_parameters,)``, one per channel along the module's
      ``axis``, or one shared with ``num_parameters=1`` (the default); False: shape
      ``(1,)``, one value for every entry.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> @jaxact.define(learnable={"alpha": jaxact.Learnable(constraint="positive")})
    ... def scaled_tanh(x, alpha=2.0):
    ...   "tanh(alpha x) / alpha."
    ...   return jnp.tanh(alpha * x) / alpha
    >>> scaled_tanh.learnable["alpha"]
    Learnable(init=2.0, constraint='positive', per_channel=True)
  """

  init: float | None = None
  constraint: Constraint | None = None
  per_channel: bool = True


def _needs(function: Callable[..., Any]) -> tuple[str, ...]:
  """The parameter names a constraint function takes after its first argument."""
  return tuple(inspect.signature(function).parameters)[1:]


def constraint_value(learnable: Learnable, raw: Any, fixed: Mapping[str, Any]) -> Any:
  """The value the activation sees for the stored ``raw`` (jax.numpy)."""
  if learnable.constraint is None:
    return raw
  if learnable.constraint == "positive":
    from jaxact._src.smooth import softplus  # smooth imports this module

    return softplus(raw)
  to_value = learnable.constraint[0]
  return to_value(raw, *(fixed[n] for n in _needs(to_value)))


def constraint_raw(learnable: Learnable, value: Any, fixed: Mapping[str, Any]) -> np.ndarray:
  """The stored raw value for ``value`` (NumPy float64; NaN where none is)."""
  value = np.asarray(value, np.float64)
  if learnable.constraint is None:
    return value
  if learnable.constraint == "positive":
    with np.errstate(all="ignore"):
      return np.where(value > 0, value + np.log(-np.expm1(-value)), np.nan)
  to_raw = learnable.constraint[1]
  with np.errstate(all="ignore"):
    return np.asarray(to_raw(value, *(fixed[n] for n in _needs(to_raw))), np.float64)


def _learnables(where: str, learnable: Mapping[str, Learnable | None] | Sequence[str] | None,
                parameters: Sequence[inspect.Parameter]) -> Mapping[str, Learnable]:
  """``learnable`` as parameter name -> :class:`Learnable` with its ``init`` resolved."""
  if learnable is None:
    return types.MappingProxyType({})
  if isinstance(learnable, str) or not isinstance(learnable, (Mapping, Sequence)):
    errors.fail(where, "learnable", "be a mapping of parameter names to jaxact.Learnable, "
                "or a sequence of parameter names", repr(learnable), TypeError)
  if not isinstance(learnable, Mapping):
    learnable = dict.fromkeys(learnable)
  by_name = {p.name: p for p in parameters}
  out: dict[str, Learnable] = {}
  for name, declared in learnable.items():
    if name not in by_name:
      errors.fail(where, "learnable", f"name parameters of the activation "
                  f"({', '.join(by_name) or 'it has none'})", repr(name))
    declared = Learnable() if declared is None else declared
    if not isinstance(declared, Learnable):
      errors.fail(where, f"learnable[{name!r}]", "be a jaxact.Learnable or None",
                  repr(declared), TypeError)
    init = declared.init
    if init is None:
      init = by_name[name].default
      if init is inspect.Parameter.empty:
        errors.fail(where, f"learnable[{name!r}]", "give an init where the parameter has "
                    "no default", repr(declared))
    constraint = declared.constraint
    if isinstance(constraint, str):
      if constraint != "positive":
        errors.fail(where, f"learnable[{name!r}].constraint", "be None, \"positive\" or a "
                    "pair (to_value, to_raw)", repr(constraint))
    elif constraint is not None:
      if not (isinstance(constraint, tuple) and len(constraint) == 2
              and all(callable(f) for f in constraint)):
        errors.fail(where, f"learnable[{name!r}].constraint", "be None, \"positive\" or a "
                    "pair (to_value, to_raw)", repr(constraint), TypeError)
      for function in constraint:
        for needed in _needs(function):
          if needed not in by_name or needed in learnable:
            errors.fail(where, f"learnable[{name!r}].constraint", "take, after its first "
                        "argument, only parameters of the activation that are not learnable",
                        f"{getattr(function, '__name__', function)}({', '.join(_needs(function))})",
                        TypeError)
    out[name] = dataclasses.replace(declared, init=init)
    defaults = {p.name: p.default for p in parameters}
    try:
      raw = constraint_raw(out[name], init, defaults)
    except (TypeError, KeyError, ValueError):
      raw = np.nan
    if not np.all(np.isfinite(raw)):
      rule = "be positive" if constraint == "positive" else "have a finite raw value"
      errors.fail(where, f"learnable[{name!r}].init", f"{rule} (constraint {constraint!r})",
                  repr(init))
  return types.MappingProxyType(out)


def with_derivative(forward: Forward, derivative: Derivative, *,
                    slope_from_output: bool = False,
                    keep_derivative: bool = False) -> Callable[..., jax.Array]:
  r"""``forward`` with ``derivative`` as its derivative rule, on arrays as they are.

  The building block beneath :func:`define`, without the dtype policy, the parameter
  handling or the per-backend residual policy: use it for a formula *inside* a
  definition that needs a rule of its own, typically the slope ``f'(x)`` returned by
  a derivative rule, so that second derivatives (``jax.hessian``, the curvature a
  Newton step or a physics loss needs) are exact too instead of autodiff of a formula
  that cancels.

  The rule gets the guarantees :func:`define` documents: partials only for the
  arguments being differentiated, and NaN wherever the input is NaN.

  Args:
    forward: ``forward(x, *params) -> y``.
    derivative: ``derivative(x, y, *params) -> (df/dx, df/dp1, ...)``, or just
      ``df/dx`` when there are no parameters; ``y`` is ``forward``'s output.
    slope_from_output: ``df/dx`` reads ``y`` and the parameters, not ``x``
      (see :func:`define`).
    keep_derivative: on CPU, keep the derivative beside the output for the backward
      pass (see :func:`define`).

  Returns:
    A function of the same arguments as ``forward``.

  Example:
    >>> import jax, jax.numpy as jnp, jaxact
    >>> # The slope of softplus is the logistic function; with its own rule
    >>> # s' = s (1 - s), the second derivative is exact where s rounds to 1.
    >>> slope = jaxact.with_derivative(jax.nn.sigmoid, lambda x, s: s * jax.nn.sigmoid(-x))
    >>> print(f"{jax.grad(slope)(jnp.float32(20.0)):.4e}")
    2.0612e-09
  """
  return core.custom(forward, derivative, slope_from_output=slope_from_output,
                     keep_derivative=keep_derivative)


def _autodiff(forward: Forward) -> Derivative:
  """The rule autodiff of ``forward`` gives: each partial as the JVP with a tangent of
  ones in that argument alone (elementwise, that is the partial at every entry)."""

  def derivative(x, y, *params):
    args = (x, *params)

    def partial(i):
      def along(v):
        return forward(*args[:i], v, *args[i + 1:])
      return jax.jvp(along, (args[i],), (jax.numpy.ones_like(args[i]),))[1]

    partials = tuple(partial(i) for i in range(len(args)))
    return partials if params else partials[0]

  return derivative


def _parameters(where: str, forward: Forward,
                params: Sequence[str] | None) -> list[inspect.Parameter]:
  """The parameters after ``x``: ``forward``'s own, or ``params`` (without defaults)."""
  if params is not None:
    return [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params]
  try:
    signature = inspect.signature(forward)
  except (TypeError, ValueError):
    errors.fail(where, "forward", "have a signature inspect can read, or pass params=",
                repr(forward), TypeError)
  found = list(signature.parameters.values())
  kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
  if not found or any(p.kind not in kinds for p in found):
    errors.fail(where, "forward", "take x and then each parameter by position "
                "(no *args, **kwargs or keyword-only arguments), or pass params=",
                f"forward{signature}", TypeError)
  return [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="ArrayLike")
          for p in found[1:]]


def _checks(where: str, checks: Mapping[str, Check | Sequence[Check]] | None,
            names: Sequence[str]) -> list[tuple[int, str, str, Callable]]:
  """``checks`` as ``(index, parameter, rule, predicate)``, validated."""
  out = []
  for param, wanted in (checks or {}).items():
    if param not in names:
      errors.fail(where, "checks", f"name parameters of the activation ({', '.join(names)})",
                  repr(param))
    if isinstance(wanted, str) or (isinstance(wanted, tuple) and len(wanted) == 2
                                   and callable(wanted[1])):
      wanted = [wanted]
    for check in wanted:
      if isinstance(check, str):
        if check not in CHECKS:
          errors.fail(where, "checks", f"be one of {sorted(CHECKS)} or a pair (rule, "
                      "predicate)", repr(check))
        check = CHECKS[check]
      rule, predicate = check
      out.append((names.index(param), param, rule, predicate))
  return out


#: What :func:`define` returns: ``fn(x, *params)``, an array of x's shape and dtype.
Activation = Callable[..., jax.Array]


@overload
def define(
    forward: Forward,
    derivative: Derivative | None = None,
    *,
    name: str | None = None,
    params: Sequence[str] | None = None,
    checks: Mapping[str, Check | Sequence[Check]] | None = None,
    slope_from_output: bool = False,
    keep_derivative: bool = False,
    register: bool = False,
    learnable: Mapping[str, Learnable | None] | Sequence[str] | None = None,
) -> Activation: ...


@overload
def define(
    forward: None = None,
    derivative: Derivative | None = None,
    *,
    name: str | None = None,
    params: Sequence[str] | None = None,
    checks: Mapping[str, Check | Sequence[Check]] | None = None,
    slope_from_output: bool = False,
    keep_derivative: bool = False,
    register: bool = False,
    learnable: Mapping[str, Learnable | None] | Sequence[str] | None = None,
) -> Callable[[Forward], Activation]: ...


def define(
    forward: Forward | None = None,
    derivative: Derivative | None = None,
    *,
    name: str | None = None,
    params: Sequence[str] | None = None,
    checks: Mapping[str, Check | Sequence[Check]] | None = None,
    slope_from_output: bool = False,
    keep_derivative: bool = False,
    register: bool = False,
    learnable: Mapping[str, Learnable | None] | Sequence[str] | None = None,
) -> Activation | Callable[[Forward], Activation]:
  r"""Defines an elementwise activation from its formula and its derivative rule.

  The result is an activation like jaxact's own (every one of them is made by this
  function), with:

  * the **dtype policy**: bfloat16 and float16 are computed in float32 and rounded
    once to the input dtype; float32 and float64 in their own dtype; integers promote
    to float; a Python scalar gives a weakly typed result, as jax.numpy; parameters are
    cast to the compute dtype and may be per channel (a vector along the last axis);
  * the **derivative rule** through :func:`jax.custom_jvp`, so ``jax.grad``, forward
    mode and higher orders all use it; partials only for the arguments being
    differentiated (symbolic zeros); NaN wherever ``x`` is NaN;
  * the **residual policy**, chosen per backend when the step is lowered: on TPU and
    GPU nothing computed is kept for the backward pass (the derivative is recomputed
    from ``x``, as memory-bound elementwise work should be); on CPU the output, or the
    output and the derivative (``keep_derivative``);
  * **errors** that name the function and the argument, for a wrong ``x`` (complex, a
    list, a string) and for parameters that fail ``checks``;
  * ``forward``'s **signature and docstring**, and, with ``register``, a name that
    :func:`jaxact.get` and :func:`jaxact.available` know;
  * with ``learnable``, **Flax modules** from the same definition:
    ``jaxact.linen.module(fn)`` and ``jaxact.nnx.module(fn)`` make them, with the
    parameters' shapes, initial values and constraints declared here once.

  Write ``forward`` and ``derivative`` with ``jax.numpy`` on arrays of the compute dtype
  (float32 for a bfloat16 input). Leave ``derivative`` out to start: the derivative is
  then autodiff of ``forward``, still under the dtype and residual policies; write a
  rule where :mod:`jaxact.testing` shows autodiff loses digits or overflows.

  Args:
    forward: ``forward(x, *params) -> y``, elementwise. Every argument after ``x`` is a
      parameter: a number or an array broadcasting against ``x``, differentiable (for a
      static option such as a bool, define one activation per option and choose
      between them in Python). Its defaults are the activation's.
    derivative: ``derivative(x, y, *params)`` returning the partial derivatives
      ``(df/dx, df/dp1, ...)`` elementwise (just ``df/dx`` without parameters); ``y``
      is ``forward(x, *params)``, itself differentiable with the rule, so a rule
      written from ``y`` stays exact to any order. None: autodiff of ``forward``.
    name: the public name, in ``__name__``, errors and the registry; default
      ``forward.__name__``.
    params: the parameters' names, for a ``forward`` whose signature does not give
      them (``forward(x, *coefficients)``); they then have no defaults.
    checks: parameter name -> a check or a list of them, each ``"positive"``,
      ``"nonnegative"``, ``"nonzero"``, ``"finite"`` or a pair ``(rule, predicate)``
      such as ``("be < 1", lambda v: v < 1)``. Applied to concrete values (Python and
      NumPy numbers and arrays) on every call; traced ones (a learnable parameter under
      ``jit``) are not known until run time and pass.
    slope_from_output: True when the rule's ``df/dx`` reads ``y`` and the parameters,
      not ``x`` (relu: ``y > 0``): on CPU a training step then keeps the output alone.
    keep_derivative: for a rule that reads ``x`` and shares work with ``forward`` (an
      ``exp(-|x|)``): on CPU keep the output and the derivative (two tensors) rather
      than ``x`` and every shared intermediate.
    register: make ``name`` known to :func:`jaxact.get` and :func:`jaxact.available`
      (a name of jaxact's own is refused; defining the same name again replaces it).
    learnable: the parameters its Flax modules learn: a mapping name ->
      :class:`Learnable` (or None, for the defaults: initialised to the activation's
      default, unconstrained, per channel), or a sequence of names. Kept, with each
      ``init`` resolved, in the result's ``learnable``.

  Returns:
    ``fn(x, *params)``, with ``forward``'s signature and docstring. Used as a
    decorator (``@jaxact.define`` or ``@jaxact.define(derivative=...)``), the
    decorated formula becomes the activation.

  Raises:
    TypeError: for a ``forward`` whose parameters cannot be read.
    ValueError: for ``checks`` or ``learnable`` that name no parameter, an initial
      value outside its constraint, or a name of jaxact's own with ``register``.

  Example:
    >>> import jax, jax.numpy as jnp, jaxact
    >>> def rule(x, y, beta):  # the partials d/dx and d/dbeta
    ...   s = jax.nn.sigmoid(beta * x)
    ...   return s + beta * x * s * (1 - s), x * x * s * (1 - s)
    >>> @jaxact.define(derivative=rule, checks={"beta": "finite"})
    ... def my_swish(x, beta=1.0):
    ...   "x sigmoid(beta x)."
    ...   return x * jax.nn.sigmoid(beta * x)
    >>> my_swish(jnp.array([-1.0, 2.0], jnp.bfloat16))
    Array([-0.269531, 1.75781], dtype=bfloat16)
    >>> print(f"{jax.grad(my_swish)(2.0):.4f}")
    1.0908
    >>> my_swish(1.0, beta=float("inf"))
    Traceback (most recent call last):
      ...
    ValueError: my_swish: beta must be finite; got inf.
  """
  settings = dict(name=name, params=params, checks=checks, register=register,
                  slope_from_output=slope_from_output, keep_derivative=keep_derivative,
                  learnable=learnable)
  if forward is None:  # @define(derivative=...)
    return lambda f: define(f, derivative, **settings)
  if not callable(forward):
    errors.fail("define", "forward", "be a callable forward(x, *params)", forward, TypeError)
  if derivative is not None and not callable(derivative):
    errors.fail("define", "derivative", "be a callable derivative(x, y, *params) or None",
                derivative, TypeError)
  name = name or getattr(forward, "__name__", None)
  if not name or not name.isidentifier():
    errors.fail("define", "name", "be an identifier (pass name= for a lambda)", repr(name))
  module = getattr(forward, "__module__", None) or "__main__"
  # jaxact's own are "jaxact.NAME" in errors; a user's are NAME.
  module = getattr(forward, "__module__", None) or ""
  own = module.startswith("jaxact.") and module != __name__  # (not this docstring's)
  label = name if own else errors.Qualified(name)

  parameters = _parameters(label, forward, params)
  names = tuple(p.name for p in parameters)
  checked = _checks(label, checks, names)
  learnables = _learnables(label, learnable, parameters)
  rule = _autodiff(forward) if derivative is None else derivative
  pair = core.custom(forward, rule, slope_from_output=slope_from_output,
                     keep_derivative=keep_derivative)
  by_dtype: dict[Any, Callable[..., jax.Array]] = {}
  x_parameter = inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                  annotation="ArrayLike")
  if len(set(names)) == len(names):
    signature = inspect.Signature([x_parameter, *parameters], return_annotation="jax.Array")
  else:  # repeated names (rational's coefficients, each called "numerator"): by position
    signature = inspect.Signature(
        [x_parameter, inspect.Parameter("params", inspect.Parameter.VAR_POSITIONAL)],
        return_annotation="jax.Array")

  def values_of(args, kwargs):
    if not kwargs and len(args) == len(names):
      return args
    try:
      bound = signature.bind(None, *args, **kwargs)
    except TypeError as e:
      raise TypeError(f"{errors.where(label)}: {e}") from None
    bound.apply_defaults()
    if "params" in bound.arguments and "params" not in names:
      return bound.arguments["params"]
    return tuple(bound.arguments[n] for n in names)

  @functools.wraps(forward, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
  def activation(x, *args, **kwargs):
    values = values_of(args, kwargs)
    for i, param, rule_text, predicate in checked:
      errors.check_values(label, param, values[i], predicate, rule_text)
    weak = dtypes.is_weak(x)
    x, values, out = dtypes.prepare(label, x, values, names, x_in_output_dtype=True)
    work = dtypes.compute_dtype(out)
    if work not in by_dtype:
      by_dtype[work] = core.per_backend(pair, work)
    return dtypes.finish(by_dtype[work](x, *values), out, weak)

  activation.__name__ = activation.__qualname__ = name
  activation.__signature__ = signature
  del activation.__wrapped__  # the signature is the activation's, not the formula's
  activation.pair = pair  # the custom pair on the compute dtype, to compose
  activation.params = names
  activation.learnable = learnables  # for jaxact.linen.module / jaxact.nnx.module
  if register:
    registry.register(name, activation)
  return activation
