"""Checking an activation: the audit that proves jaxact exact, for any function.

:func:`check` runs an elementwise function (a jaxact function, your own, or jax.nn's)
against a float64 reference through every check of jaxact's contract and returns a
:class:`Report`; :func:`assert_exact` (or :meth:`Report.raise_for_failures`) turns its
failing cells into a readable test failure.

What is checked, for the value and the derivative (the VJP with a cotangent of ones,
what ``jax.grad`` gives in training):

* **accuracy** on every finite bfloat16 and float16 input and a dense float32 sweep
  (log-spaced magnitudes 1e-38..3e38 of both signs, dense [-20, 20], the kinks and
  their neighbours): value within 1 ULP and derivative within 2 in bfloat16 and
  float16, 5 and 8 in float32, plus the error of a backward-stable float32 evaluation
  near a zero of the measured quantity (``8 * 2**-23 * |x q'(x)|``); in bfloat16 and
  float32 absolute errors below 2**-110 and subnormals flushed to zero are not counted;
  a result that is inf or NaN where the truth is finite is counted as non-finite;
* **limits** at +-inf (the true limits), **nan** (NaN gives NaN), **kinks** (the
  declared conventions, exactly), **dtype** (the result keeps the input's dtype);
* **contexts**: the value and derivative compiled on a 0-d array, in loop bodies
  (``lax.map``, ``scan``, ``fori_loop``, ``while_loop``), per example under vmap, fused
  with a matmul, under a power-of-two scale, in other layouts, under ``jax.checkpoint``
  with every policy and flax's remat, under jvp/linearize/jacfwd/jacrev/forward-over-
  reverse, in a ``shard_map`` body and with a donated buffer, at the hazard points
  (0, the kinks, each dtype's overflow and underflow thresholds, +-inf, NaN): within
  4 ULP of the plain jitted call and within the contract;
* **transforms** on a dozen float32 points: jit, vmap, grad, jvp, vjp, jacfwd,
  jacrev, checkpoint and a scan body agree; the Jacobian is diagonal; hessian, grad of
  grad and jacfwd(jacrev) agree;
* **residuals**: what ``jax.vjp`` keeps for the backward pass, in bytes per element
  (information, not a pass or a fail).

The reference is a float64 NumPy function (vectorised; NaN in gives NaN out; the true
limits at +-inf), with its derivative ``derivative=``, or a :class:`Reference`: one of
the zoo's (:func:`zoo_reference`, from :mod:`jaxact.testing.references`) or an mpmath
formula (:func:`from_mpmath`). Where the derivative is not given it is derived (by
``mpmath.diff`` for an mpmath formula, by Ridders' extrapolated central differences in
float64 for a NumPy one; the report says which); then the derivative's limits at +-inf
and its conventions at the kinks are not checked, and the derivative accuracy leaves
the kinks out.

A function along an axis (log_softmax, softmax) is checked through an elementwise slice:
``lambda x: f(jnp.stack([x, jnp.zeros_like(x)], -1))[..., 0]`` is log_sigmoid for
log_softmax, sigmoid for softmax (:func:`elementwise_slice`).

Example:

  >>> import jaxact
  >>> from jaxact import testing
  >>> report = testing.check(jaxact.softplus, testing.references.softplus,
  ...                        derivative=testing.references.softplus_grad,
  ...                        dtypes=["bfloat16"], quick=True, contexts=False,
  ...                        transforms=False, residuals=False)
  >>> report.ok, report.max_ulp("bfloat16", "value") <= 1
  (True, True)
  >>> testing.assert_exact(report)
  <Report softplus: 0 of 8 cells fail>

From the command line: ``python -m jaxact.audit jax.nn.gelu`` (see :mod:`jaxact.audit`).
Needs NumPy, SciPy and ml_dtypes (jax's own dependencies); mpmath for
:func:`from_mpmath`, tqdm for a nicer progress bar (the ``testing`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax

from jaxact._src.testing import checker as _checker
from jaxact._src.testing import zoo as _zoo
from jaxact._src.testing.accuracy import BOUNDS as _BOUNDS
from jaxact._src.testing.accuracy import every_finite as every_finite
from jaxact._src.testing.accuracy import float32_sweep as float32_sweep
from jaxact._src.testing.accuracy import measure as ulp_errors
from jaxact._src.testing.contexts import hazard_points as hazard_points
from jaxact._src.testing.contexts import ulps_apart as ulps_apart
from jaxact._src.testing.evaluate import value_and_derivative as value_and_derivative
from jaxact._src.testing.reference import Reference as Reference
from jaxact._src.testing.reference import from_mpmath as from_mpmath
from jaxact._src.testing.report import Cell as Cell
from jaxact._src.testing.report import CheckFailure as CheckFailure
from jaxact._src.testing.report import Report as Report
from jaxact.testing import references as references

#: The contract's bounds in ULPs, ``{dtype: (value, derivative)}``: 1 and 2 for
#: bfloat16 and float16, 5 and 8 for float32.
BOUNDS = _BOUNDS

for _public in (Cell, CheckFailure, Reference, Report):
  _public.__module__ = __name__

__all__ = ["BOUNDS", "Cell", "CheckFailure", "Reference", "Report", "assert_exact", "check",
           "check_contexts", "elementwise_slice", "every_finite", "float32_sweep",
           "from_mpmath", "hazard_points", "references", "ulp_errors", "ulps_apart",
           "value_and_derivative", "zoo_reference"]

Float64Fn = Callable[[Any], Any]


def check(fn: Callable[[jax.Array], jax.Array], reference: Reference | Float64Fn, *,
          derivative: Float64Fn | None = None, kinks: Sequence[float] = (),
          params: Mapping[str, Any] | None = None,
          partials: Mapping[str, Float64Fn] | None = None,
          name: str | None = None, dtypes: Sequence[Any] = ("bfloat16", "float16", "float32"),
          contexts: bool = True, transforms: bool = True, residuals: bool = True,
          quick: bool = False, max_abs: float = math.inf, progress: bool = False) -> Report:
  """Checks an elementwise function against a reference, value and derivative.

  Args:
    fn: the function, ``x -> y`` elementwise, or ``fn(x, **params)``.
    reference: a float64 NumPy function of x, or a :class:`Reference`.
    derivative: the reference derivative, a float64 NumPy function; derived if None and
      ``reference`` has none.
    kinks: inputs where the derivative is a convention (added to the reference's).
    params: keyword parameters ``fn`` is called with (``fn(x, **params)``).
    partials: parameter name -> the float64 reference of the partial derivative in that
      parameter, as a function of x (at ``params``, or ``fn``'s default for one not in
      ``params``): checked over each dtype's sweep like the derivative (its bound, the
      kinks included), with the parameter an array of x's shape, as a per-element
      learnable parameter; cells ``d/dNAME``.
    name: what the report calls ``fn`` (default: its ``__name__``).
    dtypes: the dtypes swept: any of ``"bfloat16"``, ``"float16"``, ``"float32"`` and
      ``"float64"`` (there: 1e-12 relative plus a backward-stable allowance).
    contexts: whether to run the compile contexts (every one in float32; the 0-d,
      loop and fused ones in bfloat16 and float16).
    transforms: whether to check the transforms agree.
    residuals: whether to measure what the backward pass keeps.
    quick: every 37th input of each sweep, contexts in float32 only (a smoke run).
    max_abs: inputs of larger magnitude are left out of the sweeps.
    progress: a progress bar on stderr (tqdm's where installed).

  Returns:
    A :class:`Report`: ``report.ok``, ``report.failures``, ``report.max_ulp(dtype,
    quantity)``, ``report.non_finite(dtype, quantity)``, ``print(report)``.

  Example:

    >>> import numpy as np
    >>> from jaxact import testing
    >>> def square(x):
    ...   return x * x
    >>> report = testing.check(square, np.square, derivative=lambda x: 2 * x,
    ...                        dtypes=["float16"], quick=True, contexts=False,
    ...                        transforms=False, residuals=False)
    >>> report.ok
    True
  """
  return _checker.check(fn, reference, derivative=derivative, kinks=kinks, params=params,
                        partials=partials, name=name,
                        dtypes=dtypes, contexts=contexts, transforms=transforms,
                        residuals=residuals, quick=quick, max_abs=max_abs, progress=progress)


def check_contexts(fns: dict[str, Callable[[jax.Array], jax.Array]],
                   references: dict[str, Reference | Float64Fn], dtype: Any = "float32", *,
                   programs: Sequence[Any] | None = None,
                   policy: Callable[[Any], Any] | None = None,
                   points: Any = None) -> dict[str, Report]:
  """The compile contexts of :func:`check` for many functions at once.

  Every function is compiled into one program per context (one compile each, not one
  per function), at the hazard points of ``dtype`` with every function's kinks.

  Args:
    fns: ``{key: elementwise function}``.
    references: ``{key: reference}``, as :func:`check` takes them.
    dtype: the input dtype.
    programs: the context programs (default: all this installation can run).
    policy: ``program -> context manager`` each program is compiled under.
    points: the inputs (default: :func:`hazard_points` of ``dtype`` and the kinks).

  Returns:
    ``{key: Report}``, one context cell per (context, value or derivative).
  """
  return _checker.check_contexts(fns, references, dtype, programs=programs, policy=policy,
                                 points=points)


def assert_exact(report_or_fn: Report | Callable[[jax.Array], jax.Array],
                 reference: Reference | Float64Fn | None = None, **kwargs: Any) -> Report:
  """Raises :class:`CheckFailure` (an ``AssertionError``) listing the failing cells.

  Given a :class:`Report`, checks it; given a function, runs :func:`check` on it with
  ``reference`` and ``kwargs`` first. Returns the report when every cell passes.

  Example:

    >>> import jax.numpy as jnp
    >>> import numpy as np
    >>> from jaxact import testing
    >>> def off(x):
    ...   return jnp.tanh(x) * (1 + 2**-6)  # wrong by a few bfloat16 ULP
    >>> testing.assert_exact(off, np.tanh, derivative=lambda x: 1 - np.tanh(x)**2,
    ...                      dtypes=["bfloat16"], quick=True, contexts=False,
    ...                      transforms=False, residuals=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jaxact.testing.CheckFailure: off: 3 of 8 cells fail
    ...
  """
  if isinstance(report_or_fn, Report):
    return report_or_fn.raise_for_failures()
  if reference is None:
    raise TypeError("jaxact.testing.assert_exact: a function needs a reference; got "
                    "reference=None. Pass one, or pass a Report from check().")
  return check(report_or_fn, reference, **kwargs).raise_for_failures()


def zoo_reference(name: str, **params: Any) -> Reference:
  """The float64 reference of the zoo's ``name`` with ``params``: value, derivative
  and the kinks (:mod:`jaxact.testing.references`).

  Example:

    >>> from jaxact import testing
    >>> ref = testing.zoo_reference("leaky_relu", negative_slope=0.2)
    >>> ref.kinks, float(ref.derivative(-1.0))
    ((0.0,), 0.2)
  """
  return _zoo.reference(name, **params)


def elementwise_slice(fn: Callable[[jax.Array], jax.Array]) -> Callable[[jax.Array], jax.Array]:
  """``x -> fn(stack([x, 0], -1))[..., 0]``: a function along the last axis as an
  elementwise one (log_softmax's slice is log_sigmoid, softmax's sigmoid).

  Example:

    >>> import jax
    >>> from jaxact import testing
    >>> f = testing.elementwise_slice(jax.nn.log_softmax)
    >>> f(jax.numpy.array([0.0, 2.0]))
    Array([-0.6931, -0.1269], dtype=float32)
  """
  return _zoo.slice_of(fn)
