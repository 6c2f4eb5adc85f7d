"""The checker's names for the zoo and for jax.nn: a function and its reference by name.

``jaxact.NAME`` and ``jax.nn.NAME`` are checked against ``jaxact.testing.references.NAME``
with the same parameters (jax.nn's defaults: its gelu is the tanh form); a function along
an axis through the elementwise slice that makes it an elementwise one (log_softmax of
``[x, 0]`` is log_sigmoid(x), softmax's is sigmoid(x)).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from jaxact._src.testing.reference import Reference
from jaxact.testing import references

# name -> the kinks (inputs where the derivative is a convention) at given parameters.
KINKS: dict[str, Callable[..., tuple[float, ...]]] = {
  "relu": lambda: (0.0,),
  "relu6": lambda: (0.0, 6.0),
  "leaky_relu": lambda negative_slope=0.01: (0.0,),
  "rrelu": lambda **_: (0.0,),
  "hard_tanh": lambda: (-1.0, 1.0),
  "threshold": lambda threshold, value: (float(threshold),),
  "elu": lambda alpha=1.0: (0.0,),
  "selu": lambda: (0.0,),
  "celu": lambda alpha=1.0: (0.0,),
  "hard_sigmoid": lambda: (-3.0, 3.0),
  "sparse_sigmoid": lambda: (-1.0, 1.0),
  "sparse_plus": lambda: (-1.0, 1.0),
  "hard_silu": lambda: (-3.0, 3.0),
  "hard_swish": lambda: (-3.0, 3.0),
  "hard_shrink": lambda lambd=0.5: (-float(lambd), float(lambd)),
  "soft_shrink": lambda lambd=0.5: (-float(lambd), float(lambd)),
}


def slice_of(fn: Callable) -> Callable:
  """The elementwise slice of a function along the last axis: ``fn([x, 0])[0]``."""

  def elementwise(x):
    return fn(jnp.stack([x, jnp.zeros_like(x)], -1))[..., 0]

  elementwise.__name__ = f"{getattr(fn, '__name__', 'fn')}([x, 0])[0]"
  return elementwise


# Along an axis: name -> the elementwise reference of its slice.
SLICES = {"log_softmax": "log_sigmoid", "softmax": "sigmoid"}
# jax.nn names whose math is another name's (or another name's with parameters).
JAX_NN_ALIASES: dict[str, tuple[str, dict[str, Any]]] = {"swish": ("silu", {})}


def reference(name: str, **params: Any) -> Reference:
  """The zoo's reference of ``name`` with ``params``: value, derivative and kinks."""
  if name in SLICES:
    return reference(SLICES[name])
  if not hasattr(references, name + "_grad"):
    known = sorted(references.ELEMENTWISE)
    raise ValueError(f"jaxact.testing: no reference named {name!r}; the zoo's elementwise "
                     f"references are {', '.join(known)} (and log_softmax, softmax through "
                     "their elementwise slice).")
  value = functools.partial(getattr(references, name), **params)
  derivative = functools.partial(getattr(references, name + "_grad"), **params)
  kinks = KINKS[name](**params) if name in KINKS else ()
  args = ", ".join(f"{k}={v!r}" for k, v in params.items())
  return Reference(value, derivative, kinks, name=f"jaxact.testing.references.{name}"
                   + (f"({args})" if args else ""))


def function(name: str, module: Any, **params: Any) -> Callable:
  """``module.NAME`` with ``params`` bound, through its elementwise slice if along an axis."""
  fn = getattr(module, name)
  if params:
    fn = functools.partial(fn, **params)
    fn.__name__ = name  # type: ignore[attr-defined]
  return slice_of(fn) if name in SLICES else fn
