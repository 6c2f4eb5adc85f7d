"""jaxact.linen: parameters and their partitioning, dtypes, training, RReLU's
randomness, Activation, jax transforms of apply and serialization. What linen and nnx
share (signatures, initial values, gradients, flax transforms, errors) is tested once,
for both, in test_modules_equal.py."""

from __future__ import annotations

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxact
from jaxact import linen as jl
from tests.module_helpers import C, inputs, jitter, rows

# ----------------------------------------------------------------------------- init


def test_parameter_shapes_and_modules_without_parameters():
  x = inputs()
  key = jax.random.key(0)
  maxout = jl.Maxout(3, 2).init(key, x)["params"]
  assert maxout["dense"]["kernel"].shape == (C, 6) and maxout["dense"]["bias"].shape == (6,)
  assert jl.RReLU(deterministic=True).init(key, x) == {}
  assert jl.Activation("relu").init(key, x) == {}


def test_plain_parameters_by_default_and_partitioned_by_name():
  """Plain parameters by default, as flax.linen.Dense; a ``sharding`` tuple boxes them."""
  x = inputs()
  key = jax.random.key(0)
  plain = jl.PReLU(C).init(key, x)["params"]
  assert isinstance(plain["negative_slope"], jax.Array)
  assert isinstance(nn.Dense(3).init(key, x)["params"]["kernel"], jax.Array)  # as flax
  assert all(isinstance(p, jax.Array)
             for p in jax.tree.leaves(jl.Maxout(3, 2).init(key, x)["params"]))
  boxed = jl.PReLU(C, sharding=(None,)).init(key, x)["params"]["negative_slope"]
  assert isinstance(boxed, nn.Partitioned) and boxed.names == (None,)
  sharded = jl.PReLU(C, sharding=("model",)).init(key, x)["params"]
  assert sharded["negative_slope"].names == ("model",)
  assert nn.get_partition_spec(sharded)["negative_slope"] == jax.sharding.PartitionSpec("model")
  for module in (jl.Swish(num_parameters=C, sharding=("model",)), jl.Rational(sharding=("m",)),
                 jl.StarReLU(sharding=(None,))):
    assert all(isinstance(p, nn.Partitioned)
               for p in module.init(key, x)["params"].values()), module
  dense = jl.Maxout(3, 2, sharding=(None, "model")).init(key, x)["params"]
  assert dense["dense"]["kernel"].names == (None, "model")
  assert dense["dense"]["bias"].names == ("model",)


@pytest.mark.parametrize("init, tolerance", [("leaky_relu", 0.05), ("tanh", 1e-4)])
def test_rational_init_fits_the_named_activation(init, tolerance):
  x = jnp.linspace(-3.0, 3.0, 301, dtype=jnp.float32)
  module = jl.Rational(init=init)
  assert module.init_activation == init
  y = module.apply(module.init(jax.random.key(0), x), x)
  error = np.max(np.abs(np.asarray(y) - np.asarray(jaxact.get(init)(x))))
  assert error < tolerance, f"{init}: max error {error}"  # leaky_relu: at the kink
  rms = np.sqrt(np.mean((np.asarray(y) - np.asarray(jaxact.get(init)(x))) ** 2))
  assert rms < tolerance / 5, f"{init}: rms error {rms}"
  params = nn.meta.unbox(jl.Rational(3, 2).init(jax.random.key(0), x)["params"])
  assert params["numerator"].shape == (4,) and params["denominator"].shape == (2,)


def test_dtype_and_param_dtype():
  x = inputs().astype(jnp.bfloat16)
  module = jl.Swish(num_parameters=C)
  variables = module.init(jax.random.key(0), x)
  assert nn.meta.unbox(variables)["params"]["beta"].dtype == jnp.float32
  assert module.apply(variables, x).dtype == jnp.bfloat16  # parameters do not widen
  module = jl.Swish(num_parameters=C, dtype=jnp.float32, param_dtype=jnp.bfloat16)
  variables = module.init(jax.random.key(0), x)
  assert nn.meta.unbox(variables)["params"]["beta"].dtype == jnp.bfloat16
  assert module.apply(variables, x).dtype == jnp.float32
  prelu = jl.PReLU(C, dtype=jnp.bfloat16)
  assert prelu.apply(prelu.init(jax.random.key(0), inputs()), inputs()).dtype == jnp.bfloat16


# ------------------------------------------------------------------------- training


def train(model, x, y, steps=8, learning_rate=0.05, momentum=0.9, rng_collection=None):
  """A jitted optax step on the mean squared error; returns the losses."""
  params = jax.jit(model.init)(jax.random.key(0), x)["params"]
  tx = optax.sgd(learning_rate, momentum=momentum)
  state = tx.init(params)

  @jax.jit
  def step(params, state, i):
    def loss(params):
      rngs = {rng_collection: jax.random.fold_in(jax.random.key(1), i)} if rng_collection else {}
      return jnp.mean((model.apply({"params": params}, x, rngs=rngs) - y) ** 2)

    value, grads = jax.value_and_grad(loss)(params)
    updates, state = tx.update(grads, state, params)
    return optax.apply_updates(params, updates), state, value

  losses = []
  for i in range(steps):
    params, state, value = step(params, state, jnp.asarray(i, jnp.uint32))
    losses.append(float(value))
  return losses, params


@pytest.mark.parametrize("row", rows())
def test_trains_in_a_sequential_with_a_jitted_optax_step(row):
  module = row.linen()
  x = inputs(shape=(32, 3))
  y = jnp.sin(3 * x[:, :1]) + x[:, 1:2] ** 2
  model = nn.Sequential([nn.Dense(C), module, nn.Dense(1)])
  losses, _ = train(model, x, y)
  assert np.all(np.isfinite(losses))
  assert losses[-1] < 0.9 * losses[0], losses


def test_rrelu_trains_with_its_rng_stream():
  x = inputs(shape=(32, 3))
  y = jnp.sin(3 * x[:, :1]) + x[:, 1:2] ** 2
  model = nn.Sequential([nn.Dense(C), jl.RReLU(deterministic=False), nn.Dense(1)])
  losses, _ = train(model, x, y, rng_collection="rrelu")
  assert np.all(np.isfinite(losses))
  assert losses[-1] < 0.9 * losses[0], losses


def test_per_channel_prelu_learns_one_slope_per_channel():
  x = -jnp.abs(inputs(shape=(64, 2))) - 0.1
  y = x * jnp.array([[0.1, 0.9]], jnp.float32)
  _, params = train(jl.PReLU(num_parameters=2), x, y, steps=30, learning_rate=0.3,
                    momentum=None)
  slopes = np.asarray(params["negative_slope"])
  np.testing.assert_allclose(slopes, [0.1, 0.9], atol=0.02)


@pytest.mark.parametrize("axis", [1, -2])
def test_per_channel_parameters_along_another_axis(axis):
  x = inputs(shape=(2, 3, 5))  # channels on axis 1 (NCW, as PyTorch)
  module = jl.PReLU(num_parameters=3, axis=axis)
  params = {"negative_slope": jnp.array([0.1, 0.2, 0.3], jnp.float32)}
  expected = jaxact.prelu(x, params["negative_slope"], axis=1)
  np.testing.assert_array_equal(module.apply({"params": params}, x), expected)


def test_per_channel_swish_along_axis_1():
  x = inputs(shape=(2, 3, 5))
  beta = jnp.array([0.5, 1.0, 2.0], jnp.float32)
  y = jl.Swish(num_parameters=3, axis=1).apply({"params": {"beta": beta}}, x)
  np.testing.assert_array_equal(y, jaxact.swish(x, beta[None, :, None]))


# ---------------------------------------------------------------------------- RReLU


def test_rrelu_training_is_random_within_bounds_and_eval_is_the_mean():
  x = -jnp.abs(inputs(shape=(64, C))) - 0.1
  module = jl.RReLU(lower=0.1, upper=0.3)
  train_1 = module.apply({}, x, deterministic=False, rngs={"rrelu": jax.random.key(1)})
  train_2 = module.apply({}, x, deterministic=False, rngs={"rrelu": jax.random.key(2)})
  slopes = np.asarray(train_1 / x)
  assert np.all(slopes >= 0.1 - 1e-6) and np.all(slopes <= 0.3 + 1e-6)
  assert np.unique(slopes).size > 0.9 * slopes.size  # one draw per element
  assert slopes.std() > 0.04  # uniform on [0.1, 0.3] has std 0.058
  assert not np.array_equal(train_1, train_2)  # a new draw each step
  evaluation = module.apply({}, x, deterministic=True)
  np.testing.assert_array_equal(evaluation, module.apply({}, x, deterministic=True))
  np.testing.assert_array_equal(evaluation, jaxact.rrelu(x, None, 0.1, 0.3))
  np.testing.assert_allclose(evaluation / x, 0.2, rtol=1e-6)
  np.testing.assert_array_equal(jl.RReLU(0.1, 0.3, deterministic=True).apply({}, x),
                                evaluation)
  positive = jnp.abs(x)
  np.testing.assert_array_equal(
      module.apply({}, positive, deterministic=False, rngs={"rrelu": jax.random.key(1)}),
      positive)
  key = jax.random.key(7)
  np.testing.assert_array_equal(module.apply({}, x, deterministic=False, rng=key),
                                jaxact.rrelu(x, key, 0.1, 0.3))


def test_rrelu_needs_its_rng_stream_and_a_mode():
  x = inputs()
  with pytest.raises(flax.errors.InvalidRngError):
    jl.RReLU(deterministic=False).apply({}, x)
  with pytest.raises(ValueError, match="deterministic"):
    jl.RReLU().apply({}, x)
  other = jl.RReLU(deterministic=False, rng_collection="noise")
  y = other.apply({}, x, rngs={"noise": jax.random.key(0)})
  assert y.shape == x.shape


# ----------------------------------------------------------------------- Activation


def test_activation_wraps_any_function_by_name_or_callable():
  x = inputs()
  gelu = jl.Activation("gelu", approximate=False)
  assert gelu.fn == "gelu" and dict(gelu.params) == {"approximate": False}
  np.testing.assert_array_equal(gelu.apply({}, x), jaxact.gelu(x, approximate=False))
  np.testing.assert_array_equal(jl.Activation("elu", {"alpha": 0.5}).apply({}, x),
                                jaxact.elu(x, 0.5))
  np.testing.assert_array_equal(jl.Activation(jaxact.elu, alpha=0.5).apply({}, x),
                                jaxact.elu(x, 0.5))
  assert gelu.clone() == gelu and hash(gelu.clone()) == hash(gelu)
  named = jl.Activation("relu", name="act")
  assert named.name == "act" and dict(named.params) == {}
  model = nn.Sequential([nn.Dense(3), jl.Activation("gelu", approximate=False)])
  variables = model.init(jax.random.key(0), x)
  assert model.apply(variables, x).shape == (6, 3)


# ----------------------------------------------------------- transforms, round trip


@pytest.mark.parametrize("row", rows())
def test_jax_transforms_of_apply_and_serialization_round_trip(row):
  module = row.linen()
  x = inputs()
  variables = jax.jit(module.init)(jax.random.key(0), x)
  variables = {"params": jitter(variables["params"])} if variables else {}
  eager = module.apply(variables, x)

  @jax.jit
  def transformed(variables, x):  # one compile for jit, vmap and grad
    by_row = jax.vmap(lambda r: module.apply(variables, r[None])[0])(x)
    grad_x = jax.grad(lambda x: jnp.sum(module.apply(variables, x)))(x)
    return module.apply(variables, x), by_row, grad_x

  jitted, by_row, grad_x = transformed(variables, x)
  np.testing.assert_allclose(jitted, eager, rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(by_row, eager, rtol=1e-6, atol=1e-7)
  assert grad_x.shape == x.shape and grad_x.dtype == x.dtype
  assert np.all(np.isfinite(grad_x))
  # flax.serialization: bytes restored into a fresh init give identical outputs
  restored = flax.serialization.from_bytes(jax.jit(module.init)(jax.random.key(9), x),
                                           flax.serialization.to_bytes(variables))
  assert jax.tree.structure(restored) == jax.tree.structure(variables)
  np.testing.assert_array_equal(module.apply(restored, x), eager)  # eager, as `eager`
