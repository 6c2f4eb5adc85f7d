"""jaxact.nnx: parameters and their sharding, dtypes, training, RReLU's train/eval,
Activation, jax transforms and state round trips. What linen and nnx share
(signatures, initial values, gradients, flax transforms, errors) is tested once, for
both, in test_modules_equal.py."""

from __future__ import annotations

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import jaxact
from jaxact import nnx as jx
from tests.module_helpers import C, inputs, jitter, rows

# ----------------------------------------------------------------------------- init


def test_parameters_and_modules_without_parameters():
  assert isinstance(jx.PReLU(C).negative_slope, nnx.Param)
  maxout = jx.Maxout(C, 3, 2, rngs=nnx.Rngs(0))
  assert maxout.dense.kernel[...].shape == (C, 6) and maxout.dense.bias[...].shape == (6,)
  rational = jx.Rational(3, 2)
  assert rational.numerator[...].shape == (4,) and rational.denominator[...].shape == (2,)
  assert nnx.state(jx.RReLU(rngs=nnx.Rngs(0)), nnx.Param) == nnx.State({})
  assert nnx.state(jx.Activation("relu"), nnx.Param) == nnx.State({})


def test_sharding_metadata_and_eager_sharding_under_a_mesh():
  """No annotation by default, as flax.nnx.Linear; a ``sharding`` tuple is metadata."""
  assert "out_sharding" not in jx.PReLU(C).negative_slope.get_metadata()
  assert "out_sharding" not in nnx.Linear(C, 3, rngs=nnx.Rngs(0)).kernel.get_metadata()
  maxout = jx.Maxout(C, 3, 2, rngs=nnx.Rngs(0))
  assert "out_sharding" not in maxout.dense.kernel.get_metadata()
  assert jx.PReLU(C, sharding=(None,)).negative_slope.get_metadata("out_sharding") == (None,)
  spec = nnx.get_partition_spec(nnx.state(jx.PReLU(C, sharding=("model",)), nnx.Param))
  assert spec["negative_slope"].get_value() == jax.sharding.PartitionSpec("model")
  maxout = jx.Maxout(C, 3, 2, sharding=(None, "model"), rngs=nnx.Rngs(0))
  assert maxout.dense.kernel.get_metadata("out_sharding") == (None, "model")
  assert maxout.dense.bias.get_metadata("out_sharding") == ("model",)
  mesh = jax.make_mesh((1,), ("model",), (jax.sharding.AxisType.Explicit,))
  with jax.set_mesh(mesh):
    layer = jx.PReLU(C, sharding=("model",))
    sharding = layer.negative_slope[...].sharding
    assert isinstance(sharding, jax.sharding.NamedSharding)
    assert sharding.spec == jax.sharding.PartitionSpec("model")


@pytest.mark.parametrize("init, tolerance", [("leaky_relu", 0.05), ("tanh", 1e-4)])
def test_rational_init_fits_the_named_activation(init, tolerance):
  x = jnp.linspace(-3.0, 3.0, 301, dtype=jnp.float32)
  y = jx.Rational(init=init)(x)
  error = np.max(np.abs(np.asarray(y) - np.asarray(jaxact.get(init)(x))))
  assert error < tolerance, f"{init}: max error {error}"  # leaky_relu: at the kink
  rms = np.sqrt(np.mean((np.asarray(y) - np.asarray(jaxact.get(init)(x))) ** 2))
  assert rms < tolerance / 5, f"{init}: rms error {rms}"


def test_dtype_and_param_dtype():
  x = inputs().astype(jnp.bfloat16)
  layer = jx.Swish(num_parameters=C)
  assert layer.beta[...].dtype == jnp.float32
  assert layer(x).dtype == jnp.bfloat16  # parameters do not widen
  layer = jx.Swish(num_parameters=C, dtype=jnp.float32, param_dtype=jnp.bfloat16)
  assert layer.beta[...].dtype == jnp.bfloat16
  assert layer(x).dtype == jnp.float32
  assert jx.PReLU(C, dtype=jnp.bfloat16)(inputs()).dtype == jnp.bfloat16


# ------------------------------------------------------------------------- training


def train(model, x, y, steps=8, learning_rate=0.05, momentum=0.9):
  """An nnx.jit step with nnx.Optimizer on the mean squared error; returns the losses."""
  optimizer = nnx.Optimizer(model, optax.sgd(learning_rate, momentum=momentum), wrt=nnx.Param)

  @nnx.jit
  def step(model, optimizer):
    def loss(model):
      return jnp.mean((model(x) - y) ** 2)

    value, grads = nnx.value_and_grad(loss)(model)
    optimizer.update(model, grads)
    return value

  return [float(step(model, optimizer)) for _ in range(steps)]


@pytest.mark.parametrize("make", [*rows(), pytest.param(
    lambda: jx.RReLU(rngs=nnx.Rngs(rrelu=1)), id="RReLU")])
def test_trains_in_a_sequential_with_a_jitted_optax_step(make):
  x = inputs(shape=(32, 3))
  y = jnp.sin(3 * x[:, :1]) + x[:, 1:2] ** 2
  rngs = nnx.Rngs(0)
  module = make() if callable(make) else make.nnx()
  model = nnx.Sequential(nnx.Linear(3, C, rngs=rngs), module, nnx.Linear(C, 1, rngs=rngs))
  before = jax.tree.map(np.asarray, nnx.state(model.layers[1], nnx.Param))
  losses = train(model, x, y)
  assert np.all(np.isfinite(losses))
  assert losses[-1] < 0.9 * losses[0], losses
  after = nnx.state(model.layers[1], nnx.Param)
  for a, b in zip(jax.tree.leaves(before), jax.tree.leaves(after), strict=True):
    assert not np.array_equal(a, b), "a parameter of the module was not trained"


def test_per_channel_prelu_learns_one_slope_per_channel():
  x = -jnp.abs(inputs(shape=(64, 2))) - 0.1
  y = x * jnp.array([[0.1, 0.9]], jnp.float32)
  model = jx.PReLU(num_parameters=2)
  train(model, x, y, steps=30, learning_rate=0.3, momentum=None)
  np.testing.assert_allclose(model.negative_slope[...], [0.1, 0.9], atol=0.02)


def test_per_channel_parameters_along_another_axis():
  x = inputs(shape=(2, 3, 5))  # channels on axis 1 (NCW, as PyTorch)
  layer = jx.PReLU(num_parameters=3, axis=1)
  layer.negative_slope[...] = jnp.array([0.1, 0.2, 0.3], jnp.float32)
  np.testing.assert_array_equal(layer(x), jaxact.prelu(x, layer.negative_slope[...], axis=1))


# ---------------------------------------------------------------------------- RReLU


def test_rrelu_train_is_random_within_bounds_and_eval_is_the_mean():
  x = -jnp.abs(inputs(shape=(64, C))) - 0.1
  model = nnx.Sequential(jx.RReLU(0.1, 0.3, rngs=nnx.Rngs(0)))
  model.train()
  assert model.layers[0].deterministic is False
  first, second = model(x), model(x)
  slopes = np.asarray(first / x)
  assert np.all(slopes >= 0.1 - 1e-6) and np.all(slopes <= 0.3 + 1e-6)
  assert np.unique(slopes).size > 0.9 * slopes.size  # one draw per element
  assert slopes.std() > 0.04  # uniform on [0.1, 0.3] has std 0.058
  assert not np.array_equal(first, second)  # the stream moves on at every call
  step = nnx.jit(lambda m, x: m(x))
  assert not np.array_equal(step(model, x), step(model, x))  # also under nnx.jit
  model.eval()
  assert model.layers[0].deterministic is True
  evaluation = model(x)
  np.testing.assert_array_equal(evaluation, model(x))
  np.testing.assert_array_equal(evaluation, jaxact.rrelu(x, None, 0.1, 0.3))
  np.testing.assert_allclose(evaluation / x, 0.2, rtol=1e-6)
  view = nnx.view(model, deterministic=False)
  assert not np.array_equal(view(x), evaluation)
  key = jax.random.key(7)
  np.testing.assert_array_equal(model.layers[0](x, deterministic=False, rngs=key),
                                jaxact.rrelu(x, key, 0.1, 0.3))
  positive = jnp.abs(x)
  np.testing.assert_array_equal(model.layers[0](positive, deterministic=False), positive)


def test_rrelu_rng_streams():
  x = inputs()
  with pytest.raises(TypeError, match="jaxact.nnx.RReLU: rngs must be given"):
    jx.RReLU()(x)
  assert np.array_equal(jx.RReLU(deterministic=True)(x), jaxact.rrelu(x))
  # its own stream when the Rngs has one, else the default stream
  a = jx.RReLU(rngs=nnx.Rngs(0, rrelu=5))(x)
  b = jx.RReLU(rngs=nnx.Rngs(rrelu=5))(x)
  c = jx.RReLU(rngs=nnx.Rngs(0))(x)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)
  with pytest.raises(TypeError, match="jaxact.nnx.RReLU: rngs must be"):
    jx.RReLU(rngs=0)


# ----------------------------------------------------------------------- Activation


def test_activation_wraps_any_function_by_name_or_callable():
  x = inputs()
  gelu = jx.Activation("gelu", approximate=False)
  assert gelu.fn == "gelu" and gelu.params == {"approximate": False}
  np.testing.assert_array_equal(gelu(x), jaxact.gelu(x, approximate=False))
  np.testing.assert_array_equal(jx.Activation(jaxact.elu, alpha=0.5)(x), jaxact.elu(x, 0.5))
  model = nnx.Sequential(nnx.Linear(C, 3, rngs=nnx.Rngs(0)), gelu)
  # compiled with the matmul, XLA may fuse the value's polynomial steps differently from
  # an eager call (an FMA here, not there): equal to the value's bound, 5 * 2^-23
  np.testing.assert_allclose(nnx.jit(lambda m, x: m(x))(model, x), model(x), rtol=6e-7,
                             atol=1e-30)


# ----------------------------------------------------------- transforms, round trip


@pytest.mark.parametrize("row", rows())
def test_jax_transforms_and_state_round_trips(row):
  factory = row.nnx
  model = factory()
  nnx.update(model, jitter(nnx.state(model, nnx.Param)))
  x = inputs()
  eager = model(x)

  @nnx.jit
  def transformed(model, x):  # one compile for jit, both vmaps and grad
    by_row = jax.vmap(lambda r: model(r[None])[0])(x)
    mapped = nnx.vmap(lambda m, x: m(x), in_axes=(None, 0))(model, x[:, None])[:, 0]
    grad_x = jax.grad(lambda x: jnp.sum(model(x)))(x)
    return model(x), by_row, mapped, grad_x

  jitted, by_row, mapped, grad_x = transformed(model, x)
  for result in (jitted, by_row, mapped):
    np.testing.assert_allclose(result, eager, rtol=1e-6, atol=1e-7)
  assert grad_x.shape == x.shape and grad_x.dtype == x.dtype
  assert np.all(np.isfinite(grad_x))
  # split / merge
  graphdef, state = nnx.split(model)
  np.testing.assert_array_equal(nnx.merge(graphdef, state)(x), eager)
  # state / update into a fresh module
  fresh = factory()
  nnx.update(fresh, nnx.state(model))
  np.testing.assert_array_equal(fresh(x), eager)
  # bytes, through a pure dict
  pure = nnx.to_pure_dict(nnx.state(model))
  restored = flax.serialization.from_bytes(pure, flax.serialization.to_bytes(pure))
  fresh = factory()
  state = nnx.state(fresh)
  nnx.replace_by_pure_dict(state, restored)
  nnx.update(fresh, state)
  np.testing.assert_array_equal(fresh(x), eager)
