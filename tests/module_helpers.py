"""The one table of Flax modules the linen and nnx tests run through, and their inputs.

A row is a module built with the same arguments in both frameworks (nnx adds its
documented ``in_features`` and ``rngs``), so that every test can build either.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxact import linen as jl
from jaxact import nnx as jx

C = 4  # channels


@dataclasses.dataclass(frozen=True)
class Row:
  """``jaxact.linen.<cls>(*args, **kwargs)`` and ``jaxact.nnx.<cls>(*nnx_args, *args,
  **kwargs, rngs=...)``."""

  id: str
  cls: str
  args: tuple = ()
  kwargs: dict = dataclasses.field(default_factory=dict)
  nnx_args: tuple = ()  # nnx's in_features
  rngs: bool = False  # nnx takes rngs
  learnable: bool = True

  def linen(self, **more: Any):
    return getattr(jl, self.cls)(*self.args, **self.kwargs, **more)

  def nnx(self, **more: Any):
    if self.rngs:
      more["rngs"] = nnx.Rngs(0)
    return getattr(jx, self.cls)(*self.nnx_args, *self.args, **self.kwargs, **more)


ROWS = [
    Row("PReLU", "PReLU", (C, 0.3)),
    Row("PReLU-shared", "PReLU"),
    Row("Maxout", "Maxout", (C, 2), nnx_args=(C,), rngs=True),
    Row("Swish", "Swish", (1.5, C)),
    Row("Snake", "Snake", (0.7, C)),
    Row("AconC", "AconC", (C,)),
    Row("Rational", "Rational", kwargs={"init": "tanh"}),  # API.md's call
    Row("Rational-gelu", "Rational", (3, 2, "gelu")),
    Row("StarReLU", "StarReLU"),
    Row("Activation", "Activation", ("leaky_relu",), {"negative_slope": 0.2}, learnable=False),
]
LEARNABLE = [row for row in ROWS if row.learnable]
ONE_PER_CLASS = [row for row in ROWS if row.id == row.cls]  # for the slower checks


def rows(selection=ROWS):
  return [pytest.param(row, id=row.id) for row in selection]


def inputs(shape=(6, C), seed=0, dtype=np.float32):
  x = np.random.default_rng(seed).normal(size=shape)
  x[np.abs(x) < 0.05] += 0.1  # away from the kinks at 0, for finite differences
  return jnp.asarray(x, dtype)


def jitter(params, seed=1, scale=0.1):
  """The parameters moved off their init, so that every partial is exercised."""
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(jax.random.key(seed), max(len(leaves), 1))
  return jax.tree.unflatten(tree, [p + scale * jax.random.normal(k, p.shape, p.dtype)
                                   for p, k in zip(leaves, keys, strict=False)])


def linen_params(module, x):
  """The module's parameters at init, plain (no partitioning boxes)."""
  import flax.linen as nn

  return nn.meta.unbox(module.init(jax.random.key(0), x)).get("params", {})


def nnx_params(model):
  return nnx.to_pure_dict(nnx.state(model, nnx.Param))
