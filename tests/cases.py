"""THE table: one row per (activation, parameters), run through every shared check.

A row names a public jaxact function and its parameters; the checks find its float64
reference in ``tests/reference.py`` by name (``NAME``, ``NAME_grad``,
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
from tests import reference


@dataclasses.dataclass(frozen=True)
class Case:
  """An elementwise activation with fixed parameters.

  Attributes:
    name: the public function ``jaxact.<name>``.
    params: keyword arguments it is called with.
    kinks: inputs where the derivative follows a convention of API.md.
    smooth: whether second derivatives are meaningful everywhere (hessian checks).
    learnable: parameters whose partial derivatives are checked.
    jax_nn: the jax.nn (or jnp) counterpart with the same parameters, for comparison.
    torch: the name of the ``torch.nn.functional`` counterpart, if any.
  """

  name: str
  params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  kinks: tuple[float, ...] = ()
  smooth: bool = True
  learnable: tuple[str, ...] = ()
  jax_nn: Callable[..., Any] | None = None
  torch: str | None = None

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

  def ref_grad(self, x: np.ndarray) -> np.ndarray:
    return getattr(reference, self.name + "_grad")(np.asarray(x, np.float64), **self.params)

  def ref_param_grad(self, x: np.ndarray, param: str) -> np.ndarray:
    grads = getattr(reference, self.name + "_param_grads")(np.asarray(x, np.float64),
                                                            **self.params)
    return grads[param]


@dataclasses.dataclass(frozen=True)
class VectorCase:
  """An activation along an axis (maxout, glu, softmax, ...), with fixed parameters."""

  name: str
  params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  input_shape: tuple[int, ...] = (4, 12)
  jax_nn: Callable[..., Any] | None = None

  @property
  def id(self) -> str:
    args = ",".join(f"{k}={v}" for k, v in self.params.items())
    return f"{self.name}({args})" if args else self.name

  @property
  def fn(self) -> Callable[..., jax.Array]:
    return functools.partial(getattr(jaxact, self.name), **self.params)

  def ref(self, x: np.ndarray) -> np.ndarray:
    return getattr(reference, self.name)(np.asarray(x, np.float64), **self.params)

  def ref_vjp(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
    return getattr(reference, self.name + "_vjp")(np.asarray(x, np.float64),
                                                  np.asarray(cotangent, np.float64),
                                                  **self.params)


ELEMENTWISE: list[Case] = [
  # Rectifiers
  Case("relu", kinks=(0.0,), smooth=False, jax_nn=jax.nn.relu, torch="relu"),
  Case("leaky_relu", kinks=(0.0,), smooth=False, learnable=("negative_slope",),
       jax_nn=jax.nn.leaky_relu, torch="leaky_relu"),
  Case("leaky_relu", {"negative_slope": 0.2}, kinks=(0.0,), smooth=False,
       learnable=("negative_slope",), jax_nn=jax.nn.leaky_relu, torch="leaky_relu"),
  Case("prelu", {"negative_slope": 0.25}, kinks=(0.0,), smooth=False,
       learnable=("negative_slope",)),
  # Shrinkage
  # Exponential linear units
  Case("elu", kinks=(0.0,), smooth=False, learnable=("alpha",), jax_nn=jax.nn.elu,
       torch="elu"),
  Case("elu", {"alpha": 0.5}, kinks=(0.0,), smooth=False, learnable=("alpha",),
       jax_nn=jax.nn.elu, torch="elu"),
  Case("elu", {"alpha": 3.0}, kinks=(0.0,), smooth=False, learnable=("alpha",),
       jax_nn=jax.nn.elu, torch="elu"),
  Case("selu", kinks=(0.0,), smooth=False, jax_nn=jax.nn.selu, torch="selu"),
  # Sigmoidal
  Case("sigmoid", jax_nn=jax.nn.sigmoid, torch="sigmoid"),
  Case("tanh", jax_nn=jnp.tanh, torch="tanh"),
  # Smooth rectifiers
  # Self-gated
  Case("gelu", {"approximate": True}, jax_nn=jax.nn.gelu, torch="gelu"),
  Case("gelu", {"approximate": False}, jax_nn=jax.nn.gelu, torch="gelu"),
  # Parametric
]

VECTOR: list[VectorCase] = [
  VectorCase("maxout", {"num_pieces": 1}),
  VectorCase("maxout", {"num_pieces": 2}),
  VectorCase("maxout", {"num_pieces": 3, "axis": 0}, input_shape=(6, 5)),
  VectorCase("maxout", {"num_pieces": 4}),
  # Gated linear units
  # Normalising
]


def ids(cases) -> list[str]:
  return [c.id for c in cases]
