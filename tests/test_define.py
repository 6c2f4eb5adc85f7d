"""The public definition API, ``jaxact.define`` and ``jaxact.with_derivative``: what a
user's activation gets from it (the dtype policy, the rule, symbolic zeros, the NaN
contract, each backend's residual policy, checks, errors, signature, registration), and
that jaxact's own functions are made by it."""

from __future__ import annotations

import ast
import inspect
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact._src import core, registry
from tests.helpers import kept, pinned


def _swish_rule(x, y, beta):
  s = jax.nn.sigmoid(beta * x)
  return s + beta * x * s * (1 - s), x * x * s * (1 - s)


@jaxact.define(derivative=_swish_rule, checks={"beta": "finite"})
def beta_swish(x, beta=1.0):
  """x sigmoid(beta x), a user's activation."""
  return x * jax.nn.sigmoid(beta * x)


def _swish64(x, beta=1.0):
  x = np.asarray(x, np.float64)
  return x / (1 + np.exp(-beta * x))


def test_the_decorated_formula_gives_its_name_signature_and_docstring():
  assert beta_swish.__name__ == "beta_swish"
  assert beta_swish.__doc__ == "x sigmoid(beta x), a user's activation."
  params = inspect.signature(beta_swish).parameters
  assert list(params) == ["x", "beta"] and params["beta"].default == 1.0
  assert beta_swish.params == ("beta",)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_dtype_policy_computes_narrow_floats_in_float32_and_rounds_once(dtype):
  x = np.linspace(-6, 6, 97).astype(dtype)
  y = beta_swish(jnp.asarray(x), 0.7)
  assert y.dtype == dtype
  want = _swish64(np.asarray(x, np.float64), 0.7)
  # One rounding of a float32 computation: within 1 ULP of the truth in the narrow type.
  spacing = np.spacing(np.abs(want).astype(dtype)).astype(np.float64)
  assert np.all(np.abs(np.asarray(y, np.float64) - want) <= spacing)


def test_integers_promote_and_python_scalars_stay_weak():
  assert beta_swish(jnp.arange(3)).dtype == jnp.float32
  weak = beta_swish(0.5)
  assert weak.weak_type and (jnp.ones(2, jnp.bfloat16) * weak).dtype == jnp.bfloat16
  # under jit a Python float is a weakly typed argument: the product stays bfloat16
  assert jax.jit(lambda v: jnp.ones(2, jnp.bfloat16) * beta_swish(v))(0.5).dtype == jnp.bfloat16


def test_keyword_positional_and_per_channel_parameters():
  x = jnp.linspace(-2, 2, 6).reshape(2, 3)
  beta = jnp.array([0.5, 1.0, 2.0])
  by_keyword, by_position = beta_swish(x, beta=beta), beta_swish(x, beta)
  np.testing.assert_array_equal(by_keyword, by_position)
  np.testing.assert_allclose(by_keyword, _swish64(x, np.asarray(beta)), rtol=1e-6)
  np.testing.assert_array_equal(beta_swish(x), beta_swish(x, 1.0))


def test_the_rule_is_what_grad_uses():
  """A rule that differs from the formula's true derivative wins, in every mode."""
  doubled = jaxact.define(lambda x: x * x, lambda x, y: 4 * x, name="doubled")
  assert float(jax.grad(doubled)(3.0)) == 12.0
  assert float(jax.jvp(doubled, (3.0,), (1.0,))[1]) == 12.0
  assert float(jax.grad(jax.grad(doubled))(3.0)) == 4.0  # the rule's own derivative


def test_without_a_rule_the_derivative_is_autodiff_of_the_formula():
  plain = jaxact.define(lambda x, beta=1.0: x * jax.nn.sigmoid(beta * x), name="plain")
  x = jnp.linspace(-4, 4, 9)
  for wrt in (0, 1):
    got = jax.vmap(jax.grad(plain, argnums=wrt), (0, None))(x, 0.7)
    want = jax.vmap(jax.grad(lambda v, b: v * jax.nn.sigmoid(b * v), argnums=wrt),
                    (0, None))(x, 0.7)
    np.testing.assert_allclose(got, want, rtol=1e-6)
  # still under the dtype policy
  assert plain(jnp.ones(3, jnp.bfloat16)).dtype == jnp.bfloat16


def test_partials_not_asked_for_are_not_used():
  """A rule's partial in a parameter that is not differentiated never reaches the
  result: NaN there would make grad in x NaN (NaN * 0) without symbolic zeros."""
  scaled = jaxact.define(lambda x, c: c * x, lambda x, y, c: (c, jnp.nan * x), name="scaled")
  assert float(jax.grad(scaled)(2.0, 3.0)) == 3.0
  assert np.isnan(jax.grad(scaled, argnums=1)(2.0, 3.0))


def test_the_derivative_at_nan_is_nan_whatever_the_rule_says():
  constant_rule = jaxact.define(lambda x: jnp.minimum(x, 1.0),
                                lambda x, y: jnp.where(x < 1, 1.0, 0.0), name="clipped")
  assert np.isnan(jax.grad(constant_rule)(jnp.float32(np.nan)))
  assert float(jax.grad(constant_rule)(0.5)) == 1.0


def test_checks_name_the_function_and_the_argument():
  with pytest.raises(ValueError, match=r"^beta_swish: beta must be finite; got inf\.$"):
    beta_swish(1.0, beta=np.inf)
  below_one = jaxact.define(lambda x, a: a * x, name="scaled_below_one",
                            checks={"a": ["positive", ("be < 1", lambda v: v < 1)]})
  with pytest.raises(ValueError, match=r"^scaled_below_one: a must be positive; got -2"):
    below_one(1.0, -2.0)
  with pytest.raises(ValueError, match=r"^scaled_below_one: a must be < 1; got 3"):
    below_one(1.0, np.array([0.5, 3.0]))
  # traced values are not known until run time: a learnable parameter passes
  assert float(jax.jit(below_one)(1.0, 0.5)) == 0.5


def test_bad_inputs_are_errors_naming_the_users_function():
  with pytest.raises(TypeError, match=r"^beta_swish: x must be a real"):
    beta_swish(jnp.ones(2, jnp.complex64))
  with pytest.raises(TypeError, match=r"^beta_swish: .*unexpected keyword"):
    beta_swish(1.0, gamma=2.0)
  with pytest.raises(ValueError, match=r"^beta_swish: beta must be a scalar or broadcast"):
    beta_swish(jnp.ones((2, 3)), jnp.ones(4))


def test_definitions_that_cannot_work_are_refused_at_definition():
  with pytest.raises(TypeError, match=r"^jaxact\.define: forward must be a callable"):
    jaxact.define(3.0)
  with pytest.raises(TypeError, match=r"forward must take x and then each parameter"):
    jaxact.define(lambda x, *coefficients: x, name="poly")
  with pytest.raises(ValueError, match=r"checks must name parameters of the activation"):
    jaxact.define(lambda x, a: a * x, name="f", checks={"b": "positive"})
  with pytest.raises(ValueError, match=r"checks must be one of"):
    jaxact.define(lambda x, a: a * x, name="f", checks={"a": "even"})
  with pytest.raises(ValueError, match=r"name must be an identifier"):
    jaxact.define(lambda x: x)


def test_params_names_a_formula_of_any_arity():
  poly = jaxact.define(lambda x, *c: c[0] + c[1] * x, name="poly", params=("c0", "c1"))
  assert list(inspect.signature(poly).parameters) == ["x", "c0", "c1"]
  assert float(poly(2.0, 1.0, 3.0)) == 7.0
  assert float(jax.grad(poly, argnums=2)(2.0, 1.0, 3.0)) == 2.0


def test_register_makes_it_a_name_get_and_available_know():
  try:
    act = jaxact.define(lambda x: 2 * x, name="doubling_for_test", register=True)
    assert "doubling_for_test" in jaxact.available()
    assert jaxact.get("doubling_for_test") is act
    again = jaxact.define(lambda x: 3 * x, name="doubling_for_test", register=True)
    assert jaxact.get("doubling_for_test") is again  # a notebook cell run twice
  finally:
    registry._registered.pop("doubling_for_test", None)
  with pytest.raises(ValueError, match=r"name must not be one of jaxact's own"):
    jaxact.define(lambda x: x, name="gelu", register=True)


@pytest.mark.parametrize("backend,dtype,kept_dtype", [
    ("accelerator", jnp.bfloat16, jnp.bfloat16), ("cpu", jnp.float32, jnp.float32)])
def test_each_backends_residual_policy_applies(backend, dtype, kept_dtype):
  """On accelerators the backward pass keeps x alone, in its own dtype; on CPU with
  slope_from_output the output alone."""
  relu_like = jaxact.define(lambda x: jnp.where(x <= 0, 0.0, x),
                            lambda x, y: jnp.where(y > 0, 1.0, 0.0), name="relu_like",
                            slope_from_output=True)
  x = jnp.linspace(-3, 3, 64, dtype=dtype).reshape(8, 8)
  leaves = [leaf for leaf in pinned(backend, kept, relu_like, x) if leaf.size == x.size]
  assert leaves and all(leaf.dtype == kept_dtype for leaf in leaves)
  assert sum(leaf.nbytes for leaf in leaves) <= x.nbytes


def test_with_derivative_makes_second_derivatives_use_the_slopes_rule():
  # The slope of softplus, sigmoid; its rule s (1 - s) stays exact where autodiff of
  # 1 / (1 + e^-x) would too, but a rule that differs shows it is the one used.
  marked = jaxact.with_derivative(jax.nn.sigmoid, lambda x, s: 5.0 + 0 * x)
  softplus_like = jaxact.define(jax.nn.softplus, lambda x, y: marked(x), name="sp")
  assert float(jax.grad(jax.grad(softplus_like))(0.3)) == 5.0


def test_jaxacts_own_functions_are_made_by_the_public_api():
  """No family module reaches past jaxact.define / jaxact.with_derivative to the
  mechanism beneath (along-axis units compose through jaxact.gated's path)."""
  assert not hasattr(core, "elementwise")
  src = pathlib.Path(jaxact.__file__).parent / "_src"
  for family in ("rectifiers", "shrink", "exponential", "sigmoidal", "smooth", "selfgated",
                 "parametric"):
    tree = ast.parse((src / f"{family}.py").read_text())
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "core"}
    assert not used, f"{family}.py uses core.{sorted(used)}"
