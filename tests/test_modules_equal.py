"""jaxact.linen and jaxact.nnx are one specification: the same signatures and initial
values as the spec, bit-equal outputs and gradients, gradients that match finite
differences, every flax transform, and errors that name their namespace."""

from __future__ import annotations

import inspect
import pathlib
import re
import subprocess
import sys

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from jax.test_util import check_grads

from jaxact import linen as jl
from jaxact import nnx as jx
from jaxact._src import module_specs as specs
from tests.module_helpers import (
  LEARNABLE,
  ONE_PER_CLASS,
  C,
  Row,
  inputs,
  jitter,
  linen_params,
  nnx_params,
  rows,
)

# What nnx documents beyond the shared arguments (API.md): in_features for a module
# that owns a Dense layer, rngs for one that is random or draws a kernel.
NNX_ONLY = {"in_features", "rngs"}


def _arguments(callable_, drop):
  return {name: p for name, p in inspect.signature(callable_).parameters.items()
          if name not in drop}


@pytest.mark.parametrize("name", specs.SPECS)
def test_same_signatures_as_the_spec(name):
  spec = specs.SPECS[name]
  linen = _arguments(getattr(jl, name), {"parent", "name"})
  nnx_ = _arguments(getattr(jx, name).__init__, {"self", *NNX_ONLY})
  expected = specs.signature(spec)
  if name == "Activation":  # linen: fn, params (a mapping), **kwargs; nnx: fn, **params
    assert list(linen) == ["fn", "params", "kwargs"] and list(nnx_) == ["fn", "params"]
    assert nnx_["params"].kind is inspect.Parameter.VAR_KEYWORD
    assert linen["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    return
  assert list(linen) == list(nnx_) == list(expected)
  for argument, default in expected.items():
    kinds = {linen[argument].kind, nnx_[argument].kind}
    if name == "RReLU" and argument in ("deterministic", "rng_collection"):
      # nnx's convention, as nnx.Dropout: keyword-only, training by default
      assert nnx_[argument].kind is inspect.Parameter.KEYWORD_ONLY
      if argument == "deterministic":
        assert nnx_[argument].default is False and linen[argument].default is None
        continue
      kinds = {linen[argument].kind}
    assert len(kinds) == 1, (name, argument, kinds)
    if default is specs.FRAMEWORK_DEFAULT:
      continue
    for framework, parameter in (("linen", linen[argument]), ("nnx", nnx_[argument])):
      assert parameter.default == default, (framework, name, argument)
  assert jx.__all__ == jl.__all__ == [*specs.SPECS, "module"]  # the classes, the factory


@pytest.mark.parametrize("row", rows(LEARNABLE))
def test_same_initial_values_as_the_spec(row):
  x = inputs()
  linen_module, nnx_model = row.linen(), row.nnx()
  linen, nnx_ = linen_params(linen_module, x), nnx_params(nnx_model)
  assert jax.tree.structure(linen) == jax.tree.structure(nnx_)
  for a, b in zip(jax.tree.leaves(linen), jax.tree.leaves(nnx_), strict=True):
    assert a.dtype == b.dtype == jnp.float32 and a.shape == b.shape
  if row.cls == "Maxout":  # a random kernel, the same for the same key in both
    return
  spec = specs.SPECS[row.cls]
  for framework, params, module in (("linen", linen, linen_module), ("nnx", nnx_, nnx_model)):
    expected = spec.initial(module, framework)
    assert sorted(params) == sorted(expected) == sorted(spec.params)
    for name, value in expected.items():
      np.testing.assert_array_equal(params[name], np.float32(value), err_msg=framework)


def test_the_spec_initial_values_are_the_documented_ones():
  """Literal values from API.md and the papers, not read back from the spec."""
  x = inputs()
  expected = {
      "PReLU": {"negative_slope": [0.3] * C}, "PReLU-shared": {"negative_slope": [0.25]},
      "Swish": {"beta": [1.5] * C}, "Snake": {"alpha": [0.7] * C},
      "AconC": {"p1": [1.0] * C, "p2": [0.0] * C, "beta": [1.0] * C},
      "StarReLU": {"scale": [0.8944], "bias": [-0.4472]}}
  for row in LEARNABLE:
    if row.id in expected:
      for params in (nnx_params(row.nnx()), linen_params(row.linen(), x)):
        for name, value in expected[row.id].items():
          np.testing.assert_array_equal(params[name], np.float32(value), err_msg=row.id)


@pytest.mark.parametrize("row", rows())
def test_same_outputs_and_gradients_for_the_same_parameters(row):
  x = inputs()
  linen_module, nnx_model = row.linen(), row.nnx()
  params = jitter(linen_params(linen_module, x))
  nnx.update(nnx_model, params)
  np.testing.assert_array_equal(linen_module.apply({"params": params}, x), nnx_model(x))
  linen_grads = jax.grad(lambda p, x: jnp.sum(linen_module.apply({"params": p}, x) ** 2),
                         argnums=(0, 1))(params, x)
  graphdef, state = nnx.split(nnx_model, nnx.Param)
  nnx_grads = jax.grad(lambda p, x: jnp.sum(nnx.merge(graphdef, p)(x) ** 2),
                       argnums=(0, 1))(state, x)
  nnx_grads = (nnx.to_pure_dict(nnx_grads[0]), nnx_grads[1])
  assert jax.tree.structure(linen_grads) == jax.tree.structure(nnx_grads)
  for a, b in zip(jax.tree.leaves(linen_grads), jax.tree.leaves(nnx_grads), strict=True):
    np.testing.assert_array_equal(a, b)


def test_rrelu_same_draws_for_the_same_key():
  x = inputs()
  key = jax.random.key(3)
  linen_module, nnx_model = jl.RReLU(0.2, 0.4), jx.RReLU(0.2, 0.4)
  np.testing.assert_array_equal(linen_module.apply({}, x, deterministic=False, rng=key),
                                nnx_model(x, deterministic=False, rngs=key))
  np.testing.assert_array_equal(linen_module.apply({}, x, deterministic=True),
                                nnx_model(x, deterministic=True))


@pytest.mark.parametrize("row", rows(LEARNABLE))
def test_parameter_and_input_gradients_match_finite_differences(row):
  """jax.test_util.check_grads (forward and reverse) in float64, off the init."""
  with jax.enable_x64(True):
    x = inputs(dtype=np.float64)
    weights = inputs(seed=3, dtype=np.float64)
    module = row.linen(param_dtype=jnp.float64)
    params = jitter(linen_params(module, x))

    def loss(params, x):
      return jnp.sum(module.apply({"params": params}, x) * weights)

    check_grads(loss, (params, x), order=1, modes=("fwd", "rev"), eps=1e-6, atol=1e-6,
                rtol=1e-6)


# ------------------------------------------------------------------ flax transforms


def _linen_class_and_arguments(row: Row):
  return getattr(jl, row.cls), row.args, row.kwargs


@pytest.mark.parametrize("row", rows(ONE_PER_CLASS))
@pytest.mark.parametrize("transform", ["remat", "jit"])
def test_linen_remat_and_jit_of_the_class(row, transform):
  """``nn.remat(Module)(...)`` / ``nn.jit(Module)(...)`` with the documented call."""
  cls, args, kwargs = _linen_class_and_arguments(row)
  x = inputs()
  plain = cls(*args, **kwargs)
  transformed = getattr(nn, transform)(cls)(*args, **kwargs)
  params = jitter(linen_params(plain, x))
  assert jax.tree.structure(linen_params(transformed, x)) == jax.tree.structure(params)
  np.testing.assert_allclose(transformed.apply({"params": params}, x),
                             plain.apply({"params": params}, x), rtol=1e-6, atol=1e-7)

  def grads(module):
    return jax.grad(lambda p, x: jnp.sum(module.apply({"params": p}, x) ** 2),
                    argnums=(0, 1))(params, x)

  for a, b in zip(jax.tree.leaves(grads(transformed)), jax.tree.leaves(grads(plain)),
                  strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("row", rows(ONE_PER_CLASS))
def test_linen_vmap_of_the_class(row):
  """nn.vmap with parameters per slice: slice i is the module with parameters i."""
  cls, args, kwargs = _linen_class_and_arguments(row)
  xs = inputs(shape=(3, 6, C))
  mapped = nn.vmap(cls, variable_axes={"params": 0}, split_rngs={"params": True},
                   in_axes=0, out_axes=0)(*args, **kwargs)
  params = jitter(linen_params(mapped, xs))
  ys = mapped.apply({"params": params}, xs)
  plain = cls(*args, **kwargs)
  for i in range(3):
    params_i = jax.tree.map(lambda p, i=i: p[i], params)
    np.testing.assert_allclose(ys[i], plain.apply({"params": params_i}, xs[i]),
                               rtol=1e-6, atol=1e-7)


def _step_subclass(cls):
  """A user's subclass with the ``(carry, x) -> (carry, y)`` call nn.scan wants."""

  class Step(cls):
    def __call__(self, carry, _):
      return super().__call__(carry), None

  return Step


@pytest.mark.parametrize("row", rows(ONE_PER_CLASS))
def test_linen_scan_of_a_subclass(row):
  """A subclass (fields inherited, documented call kept) scanned over three layers."""
  cls, args, kwargs = _linen_class_and_arguments(row)
  x = inputs()
  step = _step_subclass(cls)
  scanned = nn.scan(step, variable_axes={"params": 0}, split_rngs={"params": True},
                    length=3)(*args, **kwargs)
  variables = scanned.init(jax.random.key(0), x, None)
  params = jitter(nn.meta.unbox(variables).get("params", {}))
  y, _ = scanned.apply({"params": params}, x, None)
  plain, expected = cls(*args, **kwargs), x
  for i in range(3):
    expected = plain.apply({"params": jax.tree.map(lambda p, i=i: p[i], params)}, expected)
  np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


def test_linen_rrelu_under_transforms():
  x = inputs()
  rngs = {"rrelu": jax.random.key(1)}
  plain = jl.RReLU(0.1, 0.3, deterministic=False).apply({}, x, rngs=rngs)
  for transform in (nn.remat, nn.jit):
    module = transform(jl.RReLU)(0.1, 0.3, deterministic=False)
    y = module.apply({}, x, rngs=rngs)
    slopes = np.asarray(y / x)[np.asarray(x) < 0]
    assert np.all((slopes >= 0.1 - 1e-6) & (slopes <= 0.3 + 1e-6)), transform
    assert y.shape == plain.shape
  mean = nn.remat(jl.RReLU)(0.1, 0.3, deterministic=True).apply({}, x)
  np.testing.assert_array_equal(mean, jl.RReLU(0.1, 0.3).apply({}, x, deterministic=True))


# nnx: the transforms take functions of modules


def _nnx_stack(row: Row, n=3):
  """``n`` modules made by nnx.vmap, with parameters that differ per slice."""
  stack = nnx.vmap(lambda _: row.nnx(), in_axes=0, out_axes=0)(jnp.arange(n))
  params = nnx.state(stack, nnx.Param)
  nnx.update(stack, jitter(params))
  return stack


def _nnx_slice(stack, i):
  graphdef, state = nnx.split(stack)
  return nnx.merge(graphdef, jax.tree.map(lambda a: a[i], state))


@pytest.mark.parametrize("row", rows(ONE_PER_CLASS))
def test_nnx_remat(row):
  x = inputs()
  model = row.nnx()
  nnx.update(model, jitter(nnx.state(model, nnx.Param)))
  remat = nnx.remat(lambda m, x: m(x))
  np.testing.assert_allclose(remat(model, x), model(x), rtol=1e-6, atol=1e-7)  # compiled

  def loss(apply):
    return nnx.grad(lambda m, x: jnp.sum(apply(m, x) ** 2), argnums=(0, 1))(model, x)

  rematted, plain = loss(remat), loss(lambda m, x: m(x))
  for a, b in zip(jax.tree.leaves(rematted), jax.tree.leaves(plain), strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("row", rows(ONE_PER_CLASS))
def test_nnx_vmap_and_scan(row):
  stack = _nnx_stack(row)
  xs = inputs(shape=(3, 6, C))
  ys = nnx.vmap(lambda m, x: m(x), in_axes=(0, 0))(stack, xs)
  for i in range(3):
    np.testing.assert_allclose(ys[i], _nnx_slice(stack, i)(xs[i]), rtol=1e-6, atol=1e-7)
  x = xs[0]
  y = nnx.scan(lambda x, m: (m(x), None), in_axes=(nnx.Carry, 0), out_axes=(nnx.Carry, 0),
               length=3)(x, stack)[0]
  expected = x
  for i in range(3):
    expected = _nnx_slice(stack, i)(expected)
  np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


def test_nnx_rrelu_under_transforms():
  x = inputs()
  model = jx.RReLU(0.1, 0.3, rngs=nnx.Rngs(rrelu=1))
  y = nnx.remat(lambda m, x: m(x))(model, x)
  slopes = np.asarray(y / x)[np.asarray(x) < 0]
  assert np.all((slopes >= 0.1 - 1e-6) & (slopes <= 0.3 + 1e-6))
  model.eval()
  np.testing.assert_array_equal(nnx.vmap(lambda m, x: m(x), in_axes=(None, 0))(model, x),
                                model(x))


# --------------------------------------------------------------------------- errors


def _raises(message, error=ValueError):
  return pytest.raises(error, match=re.escape(message))


@pytest.mark.parametrize("framework", ["linen", "nnx"])
@pytest.mark.parametrize("name", ["PReLU", "Swish", "Snake", "AconC"])
def test_channel_errors_name_their_namespace(framework, name):
  x = jnp.ones((2, 16), jnp.float32)
  cls = getattr(jl if framework == "linen" else jx, name)

  def run(module):
    return module.init(jax.random.key(0), x) if framework == "linen" else module(x)

  with _raises(f"jaxact.{framework}.{name}: num_parameters must be 1 or "
               "x.shape[-1] = 16; got 8."):
    run(cls(num_parameters=8))
  with _raises(f"jaxact.{framework}.{name}: num_parameters must be a positive int; got 0."):
    run(cls(num_parameters=0))
  with _raises(f"jaxact.{framework}.{name}: axis must be in [-2, 2) for an input of "
               "shape (2, 16); got 2."):
    run(cls(num_parameters=16, axis=2))
  with _raises(f"jaxact.{framework}.{name}: num_parameters must be 1 or x.shape[0] = 2; "
               "got 16."):
    run(cls(num_parameters=16, axis=0))


@pytest.mark.parametrize("framework", ["linen", "nnx"])
def test_other_errors_name_their_namespace(framework):
  x = jnp.ones((2, 16), jnp.float32)
  key = jax.random.key(0)
  if framework == "linen":
    def maxout(features, pieces):
      return jl.Maxout(features, pieces).init(key, x)

    def rational(*args, **kwargs):
      return jl.Rational(*args, **kwargs).init(key, x)
  else:
    def maxout(features, pieces):
      return jx.Maxout(16, features, pieces, rngs=nnx.Rngs(0))

    def rational(*args, **kwargs):
      return jx.Rational(*args, **kwargs)

  with _raises(f"jaxact.{framework}.Maxout: num_pieces must be a positive int; got 0."):
    maxout(3, 0)
  with _raises(f"jaxact.{framework}.Maxout: features must be a positive int; got 0."):
    maxout(0, 2)
  with _raises(f"jaxact.{framework}.Rational: denominator_degree must be an int >= 0; "
               "got -1."):
    rational(5, -1)
  with _raises(f"jaxact.{framework}.Rational: numerator_degree must be an int >= 0; got -1."):
    rational(-1, 4)
  with _raises(f"jaxact.{framework}.Rational: init must name an elementwise activation, "
               "finite on [-3, 3]"):
    rational(init=lambda x: x[:3])
  with _raises("jaxact.get: fn must be"):  # the lookup's own error
    rational(init="no_such_activation")


@pytest.mark.parametrize("api", [jl, jx], ids=["linen", "nnx"])
def test_activation_fails_when_constructed(api):
  with pytest.raises(ValueError, match="closest: gelu"):
    api.Activation("gelux")
  with pytest.raises(TypeError, match="alpha"):
    api.Activation("gelu", alpha=1.0)
  with pytest.raises(TypeError, match="alpha"):
    nn.remat(jl.Activation)("gelu", alpha=1.0)


def test_nnx_rrelu_errors_name_their_namespace():
  with _raises("jaxact.nnx.RReLU: rngs must be given", TypeError):
    jx.RReLU()(inputs())
  with _raises("jaxact.nnx.RReLU: rngs must be an nnx.Rngs", TypeError):
    jx.RReLU(rngs=0)


@pytest.mark.parametrize("framework", ["linen", "nnx"])
def test_a_shared_parameter_fits_a_scalar_input(framework):
  if framework == "linen":
    variables = {"params": {"negative_slope": jnp.array([0.5], jnp.float32)}}
    assert jl.PReLU().apply(variables, jnp.float32(-2.0)) == -1.0
  else:
    layer = jx.PReLU()
    layer.negative_slope[...] = jnp.array([0.5], jnp.float32)
    assert layer(jnp.float32(-2.0)) == -1.0


def test_the_specifications_import_no_flax():
  code = ("import sys, jaxact._src.module_specs as s; "
          "assert not [m for m in sys.modules if m.split('.')[0] == 'flax'], 'flax'; "
          "print(len(s.SPECS))")
  done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                        check=False, cwd=pathlib.Path(__file__).resolve().parents[1])
  assert done.returncode == 0 and done.stdout.strip() == "9", done.stderr


def test_linen_constructor_keeps_the_documented_calls():
  """Rational(init=...) and Activation(fn, **params), here and in every subclass, with
  one value per argument."""
  assert jl.Rational(3, 2, init="gelu") == jl.Rational(3, 2, "gelu")
  assert jl.Rational(init="gelu").init_activation == "gelu"
  assert nn.remat(jl.Rational)(init="gelu").init_activation == "gelu"
  with pytest.raises(TypeError, match="multiple values"):
    jl.Rational(init="tanh", init_activation="gelu")
  layer = nn.jit(jl.Activation)("elu", {"alpha": 0.5}, name="act")
  assert dict(layer.params) == {"alpha": 0.5} and layer.name == "act"
  assert jl.Activation("elu", alpha=0.5) == jl.Activation("elu", {"alpha": 0.5})
  assert str(inspect.signature(jl.Rational)).startswith(
      "(numerator_degree: 'int' = 5, denominator_degree: 'int' = 4, init: ")
