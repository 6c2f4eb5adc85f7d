"""jaxact.linen and jaxact.nnx agree: the same names and arguments, the same parameters
at init, and bit-equal outputs and gradients for identical parameters."""

from __future__ import annotations

import inspect

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxact import linen as jl
from jaxact import nnx as jx

C = 4  # channels

# name -> (linen module, nnx module)
PAIRS = {
    "PReLU": (lambda: jl.PReLU(C, 0.3), lambda: jx.PReLU(C, 0.3)),
    "PReLU-shared": (lambda: jl.PReLU(), lambda: jx.PReLU()),
    "Maxout": (lambda: jl.Maxout(3, 2), lambda: jx.Maxout(C, 3, 2, rngs=nnx.Rngs(0))),
    "Swish": (lambda: jl.Swish(1.5, C), lambda: jx.Swish(1.5, C)),
    "Snake": (lambda: jl.Snake(0.7, C), lambda: jx.Snake(0.7, C)),
    "AconC": (lambda: jl.AconC(C), lambda: jx.AconC(C)),
    "Rational": (lambda: jl.Rational(), lambda: jx.Rational()),
    "Rational-gelu": (lambda: jl.Rational(3, 2, init="gelu"),
                      lambda: jx.Rational(3, 2, init="gelu")),
    "StarReLU": (lambda: jl.StarReLU(), lambda: jx.StarReLU()),
    "Activation": (lambda: jl.Activation("elu", alpha=0.5),
                   lambda: jx.Activation("elu", alpha=0.5)),
}


def pair(name):
  make_linen, make_nnx = PAIRS[name]
  return pytest.param(make_linen, make_nnx, id=name)


def test_same_classes_and_arguments():
  for name in jl.__all__:
    linen_cls, nnx_cls = getattr(jl, name), getattr(jx, name)
    nnx_args = [p for p in inspect.signature(nnx_cls.__init__).parameters if p != "self"]
    linen_args = [p for p in inspect.signature(linen_cls.__init__).parameters
                  if p not in ("self", "parent", "name", "kwargs")]
    if name == "Maxout":
      assert nnx_args[0] == "in_features" and nnx_args[-1] == "rngs"
      nnx_args = nnx_args[1:-1]
    if name == "RReLU":
      assert nnx_args[-1] == "rngs"
      nnx_args = nnx_args[:-1]
    if name == "Activation":  # linen: fn, params (a mapping), **params
      assert nnx_args == ["fn", "params"] and linen_args == ["fn", "params"]
      continue
    assert linen_args == nnx_args, name
  assert jx.__all__ == jl.__all__


@pytest.mark.parametrize("make_linen, make_nnx", [pair(k) for k in PAIRS])
def test_same_outputs_and_gradients_for_the_same_parameters(make_linen, make_nnx):
  x = jnp.asarray(np.random.default_rng(0).normal(size=(6, C)), jnp.float32)
  linen_module, nnx_module = make_linen(), make_nnx()
  params = nn.meta.unbox(linen_module.init(jax.random.key(0), x)).get("params", {})
  nnx_params = nnx.to_pure_dict(nnx.state(nnx_module, nnx.Param))
  # the same parameter tree (names, shapes, dtypes) and the same init where it is fixed
  assert jax.tree.structure(params) == jax.tree.structure(nnx_params)
  for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(nnx_params), strict=True):
    assert a.shape == b.shape and a.dtype == b.dtype
    if not isinstance(linen_module, jl.Maxout):  # a random kernel
      np.testing.assert_array_equal(a, b)
  # identical parameters, moved off their init: bit-equal outputs and gradients
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(jax.random.key(1), max(len(leaves), 1))
  params = jax.tree.unflatten(tree, [p + 0.1 * jax.random.normal(k, p.shape, p.dtype)
                                     for p, k in zip(leaves, keys, strict=False)])
  nnx.update(nnx_module, params)
  np.testing.assert_array_equal(linen_module.apply({"params": params}, x), nnx_module(x))
  linen_grads = jax.grad(lambda p, x: jnp.sum(linen_module.apply({"params": p}, x) ** 2),
                         argnums=(0, 1))(params, x)
  graphdef, state = nnx.split(nnx_module, nnx.Param)
  nnx_grads = jax.grad(lambda p, x: jnp.sum(nnx.merge(graphdef, p)(x) ** 2),
                       argnums=(0, 1))(state, x)
  nnx_grads = (nnx.to_pure_dict(nnx_grads[0]), nnx_grads[1])
  for a, b in zip(jax.tree.leaves(linen_grads), jax.tree.leaves(nnx_grads), strict=True):
    np.testing.assert_array_equal(a, b)


def test_rrelu_same_draws_for_the_same_key():
  x = jnp.asarray(np.random.default_rng(0).normal(size=(6, C)), jnp.float32)
  key = jax.random.key(3)
  linen_module, nnx_module = jl.RReLU(0.2, 0.4), jx.RReLU(0.2, 0.4)
  np.testing.assert_array_equal(
      linen_module.apply({}, x, deterministic=False, rng=key),
      nnx_module(x, deterministic=False, rngs=key))
  np.testing.assert_array_equal(linen_module.apply({}, x, deterministic=True),
                                nnx_module(x, deterministic=True))
