"""Flax modules from a definition: ``jaxact.define(..., learnable=...)`` declares the
learnable parameters once, and ``jaxact.linen.module`` / ``jaxact.nnx.module`` make
modules that agree with each other and with the functional call, in values, gradients,
shapes, initial values, constraints, dtypes, errors and a jitted training step."""

from __future__ import annotations

import inspect
import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxact
from jaxact import linen as jl
from jaxact import nnx as jx
from tests.module_helpers import C, inputs, jitter, linen_params, nnx_params


@jaxact.define(checks={"a": "positive"}, learnable={
    "a": jaxact.Learnable(constraint="positive"),
    "b": jaxact.Learnable(init=0.1, per_channel=False)})
def bent(x, a=1.5, b=0.0, c=2.0):
  """a tanh(c x / a) / c + b x, a user's activation with two learnable parameters."""
  return a * jnp.tanh(c * x / a) / c + b * x


LinenBent, NnxBent = jl.module(bent), jx.module(bent)


def _pair(**kwargs):
  return LinenBent(**kwargs), NnxBent(**kwargs)


def _functional(x, params, c=2.0):
  """The activation called as a function, with the modules' effective parameters."""
  a = jaxact.softplus(params["a"])
  return bent(x, a[0] if a.shape == (1,) else a, params["b"][0], c)  # shaped as a module does


def test_the_declaration_is_kept_with_each_init_resolved():
  assert bent.learnable == {"a": jaxact.Learnable(1.5, "positive", True),
                            "b": jaxact.Learnable(0.1, None, False)}
  assert LinenBent.__name__ == NnxBent.__name__ == "Bent"
  assert "a user's activation" in LinenBent.__doc__ and "softplus" in NnxBent.__doc__


def test_linen_and_nnx_take_the_same_arguments():
  linen = inspect.signature(LinenBent).parameters
  nnx_ = inspect.signature(NnxBent.__init__).parameters
  names = ["a_init", "b_init", "num_parameters", "axis", "c", "dtype", "param_dtype",
           "sharding"]
  assert [n for n in linen if n not in ("parent", "name")] == names
  assert list(nnx_)[1:] == names
  for name in names:
    assert linen[name].kind == nnx_[name].kind, name
    assert linen[name].default == nnx_[name].default, name
  assert nnx_["dtype"].kind is inspect.Parameter.KEYWORD_ONLY
  assert linen["a_init"].default == 1.5 and linen["b_init"].default == 0.1


@pytest.mark.parametrize("num_parameters", [1, C])
def test_shapes_scalar_and_per_channel(num_parameters):
  x = inputs()
  linen, nnx_ = _pair(num_parameters=num_parameters)
  for params in (linen_params(linen, x), nnx_params(nnx_)):
    assert params["a"].shape == (num_parameters,) and params["b"].shape == (1,)
    assert params["a"].dtype == params["b"].dtype == jnp.float32


@pytest.mark.parametrize("num_parameters", [1, C])
def test_same_outputs_and_gradients_as_each_other_and_the_function(num_parameters):
  x = inputs()
  linen, nnx_ = _pair(num_parameters=num_parameters)
  params = jitter(linen_params(linen, x))
  nnx.update(nnx_, params)
  want = _functional(x, params)
  np.testing.assert_array_equal(linen.apply({"params": params}, x), want)
  np.testing.assert_array_equal(nnx_(x), want)

  def loss_of(apply):
    return lambda p, x: jnp.sum(jnp.sin(apply(p, x)))

  grads = {
      "function": jax.grad(loss_of(lambda p, x: _functional(x, p)), argnums=(0, 1))(params, x),
      "linen": jax.grad(loss_of(lambda p, x: linen.apply({"params": p}, x)),
                        argnums=(0, 1))(params, x)}
  graphdef, state = nnx.split(nnx_, nnx.Param)
  g = jax.grad(loss_of(lambda p, x: nnx.merge(graphdef, p)(x)), argnums=(0, 1))(state, x)
  grads["nnx"] = (nnx.to_pure_dict(g[0]), g[1])
  for name in ("linen", "nnx"):
    for a, b in zip(jax.tree.leaves(grads[name]), jax.tree.leaves(grads["function"]),
                    strict=True):
      np.testing.assert_array_equal(a, b, err_msg=name)


def test_initial_values_and_fixed_parameters():
  x = inputs()
  linen, nnx_ = _pair(a_init=0.7, b_init=-0.25, num_parameters=C, c=3.0)
  for params in (linen_params(linen, x), nnx_params(nnx_)):
    # stored raw; the effective a is the requested 0.7, to the last bit
    np.testing.assert_array_equal(jaxact.softplus(params["a"]), np.full(C, 0.7, np.float32))
    np.testing.assert_array_equal(params["b"], [-0.25])
  want = bent(x, jnp.float32(0.7), -0.25, 3.0)
  np.testing.assert_allclose(nnx_(x), want, rtol=2e-7, atol=1e-7)
  np.testing.assert_allclose(linen.apply(linen.init(jax.random.key(0), x), x), want,
                             rtol=2e-7, atol=1e-7)


@pytest.mark.parametrize("init", [1e-6, 0.01, 1.5, 30.0, 1e4])
@pytest.mark.parametrize("param_dtype", [np.float32, np.float64])
def test_the_positive_constraint_inverts_the_initial_value_exactly(init, param_dtype):
  """raw = softplus^-1(init), computed in float64 and rounded to param_dtype: the value
  the module starts from is init up to an ulp of raw (times softplus' slope
  sigmoid(raw)) and an ulp of the value."""
  with jax.enable_x64(True):
    raw = nnx_params(NnxBent(a_init=init, param_dtype=param_dtype))["a"]
    assert raw.dtype == param_dtype
    got = np.float64(jaxact.softplus(raw)[0])
  raw = np.float64(raw[0])
  bound = (np.spacing(param_dtype(abs(raw))) / (1 + np.exp(-raw))
           + np.spacing(param_dtype(init)))
  assert abs(got - init) <= bound, (got, init, bound)


def test_the_stored_parameter_goes_negative_the_effective_one_stays_positive():
  """Training drives a towards 0: its raw value crosses zero and keeps going, the value
  the activation sees is softplus(raw) > 0, and its gradient reaches raw."""
  x = inputs(shape=(32, C))
  model = NnxBent(a_init=0.3, num_parameters=C)
  optimizer = nnx.Optimizer(model, _sgd(1.0), wrt=nnx.Param)

  @nnx.jit
  def step(model, optimizer):
    loss, grads = nnx.value_and_grad(lambda m: jnp.mean(m(x) ** 2))(model)
    optimizer.update(model, grads)
    return loss

  for _ in range(40):
    step(model, optimizer)
  raw = model.a[...]
  assert np.all(raw < -1.0), raw
  a = jaxact.softplus(raw)
  assert np.all(a > 0) and np.all(np.isfinite(a))
  np.testing.assert_array_equal(model(x), bent(x, a, model.b[...][0]))


def _sgd(lr):
  import optax

  return optax.sgd(lr)


@pytest.mark.parametrize("framework", ["linen", "nnx"])
def test_dtype_and_param_dtype(framework):
  x = inputs()
  cls = LinenBent if framework == "linen" else NnxBent

  def run(module, x):
    if framework == "linen":
      variables = module.init(jax.random.key(0), x)
      return variables["params"], module.apply(variables, x)
    return nnx_params(module), module(x)

  params, y = run(cls(param_dtype=jnp.bfloat16), x)
  assert params["a"].dtype == params["b"].dtype == jnp.bfloat16 and y.dtype == jnp.float32
  params, y = run(cls(dtype=jnp.bfloat16), x)
  assert params["a"].dtype == jnp.float32 and y.dtype == jnp.bfloat16
  _, y = run(cls(), x.astype(jnp.bfloat16))  # the function's policy: the input's dtype
  assert y.dtype == jnp.bfloat16
  np.testing.assert_array_equal(y, bent(x.astype(jnp.bfloat16), jnp.float32(1.5), 0.1))


def test_sharding_annotations():
  x = inputs()
  variables = LinenBent(num_parameters=C, sharding=("model",)).init(jax.random.key(0), x)
  assert nn.get_partition_spec(variables)["params"]["a"] == jax.sharding.PartitionSpec("model")
  model = NnxBent(num_parameters=C, sharding=("model",))
  assert model.a.get_metadata()["out_sharding"] == ("model",)


def test_a_jitted_linen_training_step_matches_nnx():
  import optax

  x, target = inputs(shape=(16, C)), inputs(shape=(16, C), seed=2)
  linen, nnx_ = _pair(num_parameters=C)
  params = linen_params(linen, x)
  tx = optax.sgd(0.2, momentum=0.9)  # (adam's bias correction fails strict promotion)
  opt_state = tx.init(params)

  @jax.jit
  def linen_step(params, opt_state):
    loss, grads = jax.value_and_grad(
        lambda p: jnp.mean((linen.apply({"params": p}, x) - target) ** 2))(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  optimizer = nnx.Optimizer(nnx_, tx, wrt=nnx.Param)

  @nnx.jit
  def nnx_step(model, optimizer):
    loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - target) ** 2))(model)
    optimizer.update(model, grads)
    return loss

  losses = []
  for _ in range(20):
    params, opt_state, loss = linen_step(params, opt_state)
    losses.append((float(loss), float(nnx_step(nnx_, optimizer))))
  assert losses[-1][0] < 0.8 * losses[0][0]
  np.testing.assert_allclose(*np.transpose(losses), rtol=1e-5)
  for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(nnx_params(nnx_)), strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_constraint_pair_may_read_a_fixed_parameter():
  """xIELU's alpha_n = beta + softplus(raw): the pair gets the module's beta."""
  def above(raw, floor):
    return floor + jaxact.softplus(raw)

  def below(value, floor):
    return np.log(np.expm1(value - floor))

  @jaxact.define(learnable={"alpha": jaxact.Learnable(init=0.8, constraint=(above, below))})
  def floored(x, alpha=0.8, floor=0.5):
    "alpha x, alpha > floor."
    return alpha * x

  for floor in (0.5, 0.25):
    model = jx.module(floored)(floor=floor)
    np.testing.assert_allclose(model(jnp.ones(3)), 0.8, rtol=1e-6)
    np.testing.assert_allclose(model.alpha[...], np.log(np.expm1(0.8 - floor)), rtol=1e-6)


def _raises(message, error=ValueError):
  return pytest.raises(error, match=re.escape(message))


@pytest.mark.parametrize("framework", ["linen", "nnx"])
def test_errors_name_the_module(framework):
  x = jnp.ones((2, C), jnp.float32)
  cls = LinenBent if framework == "linen" else NnxBent

  def run(**kwargs):
    module = cls(**kwargs)
    return module.init(jax.random.key(0), x) if framework == "linen" else module(x)

  with _raises(f"{framework}.Bent: num_parameters must be 1 or x.shape[-1] = {C}; got 3."):
    run(num_parameters=3)
  with _raises(f"{framework}.Bent: num_parameters must be a positive int; got 0."):
    run(num_parameters=0)
  with _raises(f"{framework}.Bent: a_init must be positive (constraint 'positive'); "
               "got -1.0."):
    run(a_init=-1.0)
  if framework == "nnx":
    with _raises("nnx.Bent: got an unexpected keyword argument 'd'", TypeError):
      NnxBent(d=1.0)
  else:
    with pytest.raises(TypeError, match="unexpected keyword argument 'd'"):
      LinenBent(d=1.0)


@pytest.mark.parametrize("api", [jl, jx], ids=["linen", "nnx"])
def test_factories_refuse_what_cannot_make_a_module(api):
  where = f"{api.__name__.split('.')[-1]}.module"
  with _raises(f"{where}: activation must declare learnable parameters", ValueError):
    api.module(jaxact.define(lambda x, a=1.0: a * x, name="plain"))
  with _raises(f"{where}: learnable must name parameters of the activation (a)"):
    api.module(jaxact.define(lambda x, a=1.0: a * x, name="plain"), {"b": None})
  with _raises(f"{where}: activation must give its parameter b a default"):
    api.module(jaxact.define(lambda x, a, b: a * x + b, name="nodefault"),
               {"a": jaxact.Learnable(init=1.0)})
  with _raises(f"{where}: activation must have no parameter named as an argument"):
    api.module(jaxact.define(lambda x, axis=1.0: axis * x, name="clash"), ["axis"])
  # jaxact's own swish, given a declaration here
  Swish = api.module(jaxact.swish, {"beta": jaxact.Learnable(init=2.0)}, name="MySwish")
  assert inspect.signature(Swish.__init__ if api is jx else Swish).parameters[
      "beta_init"].default == 2.0


def test_define_refuses_bad_declarations():
  with _raises("learnable must name parameters of the activation (a)"):
    jaxact.define(lambda x, a=1.0: a * x, name="f", learnable=["b"])
  with _raises("learnable['a'].constraint must be None, \"positive\" or a pair"):
    jaxact.define(lambda x, a=1.0: a * x, name="f",
                  learnable={"a": jaxact.Learnable(constraint="negative")})
  with _raises("learnable['a'].init must be positive (constraint 'positive'); got -1.0."):
    jaxact.define(lambda x, a=-1.0: a * x, name="f",
                  learnable={"a": jaxact.Learnable(constraint="positive")})
  with _raises("learnable['a'] must give an init where the parameter has no default"):
    jaxact.define(lambda x, *p: p[0] * x, name="f", params=("a",), learnable=["a"])
  with _raises("learnable must be a mapping", TypeError):
    jaxact.define(lambda x, a=1.0: a * x, name="f", learnable="a")
  assert jaxact.define(lambda x, a=1.0: a * x, name="f").learnable == {}
