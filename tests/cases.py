"""THE table: one row per (activation, parameters), run through every shared check.

A row names a public jaxact function and its parameters; the checks find its float64
reference in ``jaxact.testing.references`` by name (``NAME``, ``NAME_grad``,
``NAME_param_grads`` for elementwise functions; ``NAME`` and ``NAME_vjp`` for
functions along an axis). Adding an activation means adding a row here: every check
in ``test_numerics.py``, ``test_transforms.py`` and ``test_errors.py`` then runs on it,
and ``test_registry`` fails until the row exists.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import jaxact
from jaxact import testing
from jaxact.testing import references as reference


@dataclasses.dataclass(frozen=True)
class Row:
  """A public function ``jaxact.<name>`` called with fixed keyword ``params``, and its
  float64 reference ``jaxact.testing.references.<name>``.

  Attributes:
    name: the public function ``jaxact.<name>``.
    params: keyword arguments it is called with.
    jax_nn: the jax.nn (or jnp) counterpart with the same parameters, for comparison.
  """

  name: str
  params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  jax_nn: Callable[..., Any] | None = None

  @property
  def id(self) -> str:
    args = ",".join(f"{k}={v}" for k, v in self.params.items())
    return f"{self.name}({args})" if args else self.name

  @property
  def fn(self) -> Callable[..., jax.Array]:
    return functools.partial(getattr(jaxact, self.name), **self.params)

  def with_params(self, **params) -> Callable[..., jax.Array]:
    return functools.partial(getattr(jaxact, self.name), **{**self.params, **params})

  @property
  def baseline(self) -> Callable[..., jax.Array] | None:
    return None if self.jax_nn is None else functools.partial(self.jax_nn, **self.params)

  def ref(self, x: np.ndarray) -> np.ndarray:
    return getattr(reference, self.name)(np.asarray(x, np.float64), **self.params)


@dataclasses.dataclass(frozen=True)
class Case(Row):
  """An elementwise activation with fixed parameters.

  Attributes (besides :class:`Row`'s):
    kinks: inputs where the derivative follows a convention of API.md.
    smooth: whether second derivatives are meaningful everywhere (hessian checks).
    learnable: parameters whose partial derivatives are checked.
    torch: the name of the ``torch.nn.functional`` counterpart, if any.
    float64_limit: the largest |x| of the float64 check (see below).
  """

  kinks: tuple[float, ...] = ()
  smooth: bool = True
  learnable: tuple[str, ...] = ()
  torch: str | None = None
  # Past this |x| the float64 check is skipped: a periodic function (snake) whose period
  # is below float64's spacing of x there has every value of its range as a
  # backward-stable result, and XLA's float64 sin does not reduce such arguments exactly.
  float64_limit: float = np.inf

  def ref_grad(self, x: np.ndarray) -> np.ndarray:
    return getattr(reference, self.name + "_grad")(np.asarray(x, np.float64), **self.params)

  @property
  def reference(self) -> testing.Reference:
    """The row's reference, value, derivative and kinks, as the checker takes it."""
    return testing.Reference(self.ref, self.ref_grad, self.kinks, name=f"references.{self.id}")

  def ref_param_grad(self, x: np.ndarray, param: str) -> np.ndarray:
    grads = getattr(reference, self.name + "_param_grads")(np.asarray(x, np.float64),
                                                            **self.params)
    return grads[param]


@dataclasses.dataclass(frozen=True)
class VectorCase(Row):
  """An activation along an axis (maxout, glu, softmax, ...), with fixed parameters."""

  input_shape: tuple[int, ...] = (4, 12)

  def ref_vjp(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
    return getattr(reference, self.name + "_vjp")(np.asarray(x, np.float64),
                                                  np.asarray(cotangent, np.float64),
                                                  **self.params)


ELEMENTWISE: list[Case] = [
  # Rectifiers
  Case("relu6", kinks=(0.0, 6.0), smooth=False, jax_nn=jax.nn.relu6, torch="relu6"),
  Case("hard_tanh", kinks=(-1.0, 1.0), smooth=False, jax_nn=jax.nn.hard_tanh,
       torch="hardtanh"),
  Case("threshold", {"threshold": 0.5, "value": -1.0}, kinks=(0.5,), smooth=False,
       learnable=("value", "threshold"), torch="threshold"),
  Case("threshold", {"threshold": -2.0, "value": 3.0}, kinks=(-2.0,), smooth=False,
       learnable=("value", "threshold"), torch="threshold"),
  Case("squared_relu", smooth=False),
  Case("star_relu", smooth=False, learnable=("scale", "bias")),
  Case("star_relu", {"scale": 1.5, "bias": 0.25}, smooth=False, learnable=("scale", "bias")),
  Case("identity", jax_nn=jax.nn.identity),
  Case("rrelu", kinks=(0.0,), smooth=False, torch="rrelu"),
  Case("relu", kinks=(0.0,), smooth=False, jax_nn=jax.nn.relu, torch="relu"),
  # Keras's relu(x, negative_slope, max_value, threshold), all three at once.
  Case("relu", {"negative_slope": 0.1, "max_value": 6.0, "threshold": 1.0},
       kinks=(1.0, 6.0), smooth=False, learnable=("negative_slope", "max_value", "threshold")),
  Case("leaky_relu", kinks=(0.0,), smooth=False, learnable=("negative_slope",),
       jax_nn=jax.nn.leaky_relu, torch="leaky_relu"),
  Case("leaky_relu", {"negative_slope": 0.2}, kinks=(0.0,), smooth=False,
       learnable=("negative_slope",), jax_nn=jax.nn.leaky_relu, torch="leaky_relu"),
  Case("prelu", {"negative_slope": 0.25}, kinks=(0.0,), smooth=False,
       learnable=("negative_slope",)),
  # Shrinkage
  Case("hard_shrink", kinks=(-0.5, 0.5), smooth=False, learnable=("lambd",),
       torch="hardshrink"),
  Case("hard_shrink", {"lambd": 1.5}, kinks=(-1.5, 1.5), smooth=False,
       learnable=("lambd",), torch="hardshrink"),
  Case("soft_shrink", kinks=(-0.5, 0.5), smooth=False, learnable=("lambd",),
       torch="softshrink"),
  Case("soft_shrink", {"lambd": 1.5}, kinks=(-1.5, 1.5), smooth=False,
       learnable=("lambd",), torch="softshrink"),
  Case("tanh_shrink", torch="tanhshrink"),
  # Exponential linear units
  Case("exponential", jax_nn=jnp.exp),
  Case("celu", kinks=(0.0,), smooth=False, learnable=("alpha",), jax_nn=jax.nn.celu,
       torch="celu"),
  Case("celu", {"alpha": 0.5}, kinks=(0.0,), smooth=False, learnable=("alpha",),
       jax_nn=jax.nn.celu, torch="celu"),
  Case("celu", {"alpha": 2.0}, kinks=(0.0,), smooth=False, learnable=("alpha",),
       jax_nn=jax.nn.celu, torch="celu"),
  Case("celu", {"alpha": 3.0}, kinks=(0.0,), smooth=False, learnable=("alpha",),
       jax_nn=jax.nn.celu, torch="celu"),
  Case("elu", kinks=(0.0,), smooth=False, learnable=("alpha",), jax_nn=jax.nn.elu,
       torch="elu"),
  Case("elu", {"alpha": 0.5}, kinks=(0.0,), smooth=False, learnable=("alpha",),
       jax_nn=jax.nn.elu, torch="elu"),
  Case("elu", {"alpha": 3.0}, kinks=(0.0,), smooth=False, learnable=("alpha",),
       jax_nn=jax.nn.elu, torch="elu"),
  Case("selu", kinks=(0.0,), smooth=False, jax_nn=jax.nn.selu, torch="selu"),
  # Sigmoidal
  Case("log_sigmoid", jax_nn=jax.nn.log_sigmoid, torch="logsigmoid"),
  Case("hard_sigmoid", kinks=(-3.0, 3.0), smooth=False, jax_nn=jax.nn.hard_sigmoid,
       torch="hardsigmoid"),
  Case("sparse_sigmoid", kinks=(-1.0, 1.0), smooth=False, jax_nn=jax.nn.sparse_sigmoid),
  Case("soft_sign", jax_nn=jax.nn.soft_sign, torch="softsign"),
  Case("sigmoid", jax_nn=jax.nn.sigmoid, torch="sigmoid"),
  Case("tanh", jax_nn=jnp.tanh, torch="tanh"),
  # Smooth rectifiers
  Case("softplus", learnable=("beta",), jax_nn=jax.nn.softplus, torch="softplus"),
  Case("softplus", {"beta": 10.0}, learnable=("beta",),
       jax_nn=lambda x, beta: jax.nn.softplus(beta * x) / beta, torch="softplus"),
  Case("softplus", {"beta": 0.1}, learnable=("beta",),
       jax_nn=lambda x, beta: jax.nn.softplus(beta * x) / beta, torch="softplus"),
  Case("sparse_plus", kinks=(-1.0, 1.0), smooth=False, jax_nn=jax.nn.sparse_plus),
  Case("squareplus", learnable=("b",), jax_nn=jax.nn.squareplus),
  Case("squareplus", {"b": 1.0}, learnable=("b",), jax_nn=jax.nn.squareplus),
  # Self-gated
  Case("gelu", {"approximate": True}, jax_nn=jax.nn.gelu, torch="gelu"),
  Case("gelu", {"approximate": False}, jax_nn=jax.nn.gelu, torch="gelu"),
  Case("silu", jax_nn=jax.nn.silu, torch="silu"),
  Case("swish", learnable=("beta",), jax_nn=jax.nn.swish, torch="silu"),
  Case("swish", {"beta": 0.5}, learnable=("beta",)),
  Case("swish", {"beta": 4.0}, learnable=("beta",)),
  Case("swish", {"beta": 1e-6}, learnable=("beta",)),
  Case("swish", {"beta": -1.5}, learnable=("beta",)),
  Case("mish", jax_nn=jax.nn.mish, torch="mish"),
  Case("hard_silu", kinks=(-3.0, 3.0), smooth=False, jax_nn=jax.nn.hard_silu,
       torch="hardswish"),
  Case("hard_swish", kinks=(-3.0, 3.0), smooth=False, jax_nn=jax.nn.hard_swish,
       torch="hardswish"),
  # Parametric
  Case("snake", learnable=("alpha",), float64_limit=1e12),
  Case("snake", {"alpha": 0.5}, learnable=("alpha",), float64_limit=1e12),
  Case("snake", {"alpha": 3.0}, learnable=("alpha",), float64_limit=1e12),
  Case("snake", {"alpha": 2.0**-10}, learnable=("alpha",), float64_limit=1e12),
  Case("snake", {"alpha": 0.0}, learnable=("alpha",), float64_limit=1e12),
  Case("acon_c", {"p1": 1.0, "p2": 0.25, "beta": 1.0}, learnable=("p1", "p2", "beta")),
  Case("acon_c", {"p1": 2.0, "p2": -0.5, "beta": 0.5}, learnable=("p1", "p2", "beta")),
  Case("acon_c", {"p1": -0.5, "p2": 1.5, "beta": 1.5}, learnable=("p1", "p2", "beta")),
  Case("acon_c", {"p1": 0.75, "p2": 0.75, "beta": 2.0}, learnable=("p1", "p2", "beta")),
  Case("acon_c", {"p1": 1.5, "p2": 0.5, "beta": 0.0}, learnable=("p1", "p2", "beta")),
  # rational: vector coefficients, whose partials tests/test_parametric.py checks.
  Case("rational", {"numerator": (0.033203125, 0.5048828125, 1.65234375, 2.0078125,
                                  0.9306640625, 0.15234375),
                    "denominator": (0.0, 3.9765625, 0.0, 0.30078125)}, kinks=(0.0,)),
  Case("rational", {"numerator": (0.25, 1.0, -0.5), "denominator": (0.75, -0.5)},
       kinks=(0.0, 1.5), smooth=False),
  Case("rational", {"numerator": (1.0,), "denominator": (0.5, 0.25)}, kinks=(-2.0, 0.0),
       smooth=False),
  Case("rational", {"numerator": (0.0, 1.0, 0.5), "denominator": ()}),
]

VECTOR: list[VectorCase] = [
  VectorCase("maxout", {"num_pieces": 1}),
  VectorCase("maxout", {"num_pieces": 2}),
  VectorCase("maxout", {"num_pieces": 3, "axis": 0}, input_shape=(6, 5)),
  VectorCase("maxout", {"num_pieces": 4}),
  # Gated linear units
  VectorCase("glu", jax_nn=jax.nn.glu),
  VectorCase("glu", {"axis": 0}, input_shape=(6, 5), jax_nn=jax.nn.glu),
  VectorCase("reglu"),
  VectorCase("reglu", {"axis": 0}, input_shape=(6, 5)),
  VectorCase("geglu"),
  VectorCase("geglu", {"axis": 0}, input_shape=(6, 5)),
  VectorCase("swiglu"),
  VectorCase("swiglu", {"axis": 0}, input_shape=(6, 5)),
  # Normalising
  VectorCase("softmax", jax_nn=jax.nn.softmax),
  VectorCase("softmax", {"axis": 0}, input_shape=(6, 5), jax_nn=jax.nn.softmax),
  VectorCase("log_softmax", jax_nn=jax.nn.log_softmax),
  VectorCase("log_softmax", {"axis": 0}, input_shape=(6, 5), jax_nn=jax.nn.log_softmax),
  VectorCase("sparsemax"),
  VectorCase("sparsemax", {"axis": 0}, input_shape=(6, 5)),
]


@dataclasses.dataclass(frozen=True)
class GatedCase:
  """A gated unit from two projections, ``act(gate) * up``: ``jaxact.<name>(gate,
  up=up, **params)`` for a GLU variant, ``jaxact.gated(activation, gate, up, **params)``
  when ``name`` is ``"gated"``. The reference is ``jaxact.testing.references.gated`` with the
  elementwise reference of ``activation`` and ``act_params``.

  Attributes:
    name: ``glu``, ``reglu``, ``geglu``, ``swiglu`` or ``gated``.
    activation: the elementwise gate, by name.
    params: keyword arguments of the call (besides ``up``).
    act_params: the gate's parameters, as its reference takes them.
    jax_nn: ``(gate, up) -> jax.nn`` composition, for comparison.
    kinks: gate inputs where the derivative follows a convention.
    smooth: whether second derivatives are meaningful everywhere.
  """

  name: str
  activation: str
  params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  act_params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  jax_nn: Callable[..., Any] | None = None
  kinks: tuple[float, ...] = ()
  smooth: bool = True

  @property
  def id(self) -> str:
    args = ",".join(f"{k}={v}" for k, v in self.params.items())
    if self.name == "gated":
      return f"gated({self.activation}{',' + args if args else ''})"
    return f"{self.name}(up{',' + args if args else ''})"

  def fn(self, gate, up) -> jax.Array:
    if self.name == "gated":
      return jaxact.gated(self.activation, gate, up, **self.params)
    return getattr(jaxact, self.name)(gate, up=up, **self.params)

  def ref(self, gate, up) -> np.ndarray:
    return reference.gated(self.activation, gate, up, **self.act_params)

  def ref_vjp(self, gate, up, cotangent) -> tuple[np.ndarray, np.ndarray]:
    return reference.gated_vjp(self.activation, gate, up, cotangent, **self.act_params)

  def act(self, gate) -> np.ndarray:
    return getattr(reference, self.activation)(np.asarray(gate, np.float64), **self.act_params)

  def act_grad(self, gate) -> np.ndarray:
    return getattr(reference, self.activation + "_grad")(np.asarray(gate, np.float64),
                                                          **self.act_params)


def _gelu(approximate):
  return lambda g, u: jax.nn.gelu(g, approximate=approximate) * u


# Two projections: every GLU variant with up=, and jaxact.gated on a range of gates.
GATED_PAIRS: list[GatedCase] = [
  GatedCase("glu", "sigmoid", jax_nn=lambda g, u: jax.nn.sigmoid(g) * u),
  GatedCase("reglu", "relu", jax_nn=lambda g, u: jax.nn.relu(g) * u, kinks=(0.0,),
            smooth=False),
  GatedCase("geglu", "gelu", act_params={"approximate": False}, jax_nn=_gelu(False)),
  GatedCase("geglu", "gelu", {"approximate": True}, {"approximate": True},
            jax_nn=_gelu(True)),
  GatedCase("swiglu", "silu", jax_nn=lambda g, u: jax.nn.silu(g) * u),
  GatedCase("gated", "silu", jax_nn=lambda g, u: jax.nn.silu(g) * u),
  GatedCase("gated", "gelu", act_params={"approximate": True}, jax_nn=_gelu(True)),
  GatedCase("gated", "gelu", {"approximate": False}, {"approximate": False},
            jax_nn=_gelu(False)),
  GatedCase("gated", "swish", {"beta": 0.5}, {"beta": 0.5}),
  GatedCase("gated", "elu", {"alpha": 0.5}, {"alpha": 0.5}, kinks=(0.0,), smooth=False),
  GatedCase("gated", "sigmoid", jax_nn=lambda g, u: jax.nn.sigmoid(g) * u),
  GatedCase("gated", "tanh", jax_nn=lambda g, u: jnp.tanh(g) * u),
  GatedCase("gated", "softplus"),
  GatedCase("gated", "mish"),
  GatedCase("gated", "soft_sign"),
  GatedCase("gated", "relu", kinks=(0.0,), smooth=False),
]


def ids(cases) -> list[str]:
  return [c.id for c in cases]
