"""Bad inputs and arguments raise clear errors naming the function and the argument."""

from __future__ import annotations

import inspect
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from tests.cases import ELEMENTWISE, VECTOR, ids


@pytest.mark.parametrize("case", ELEMENTWISE + VECTOR, ids=ids(ELEMENTWISE + VECTOR))
def test_complex_input_is_a_type_error_naming_the_function(case):
  name = getattr(jaxact, case.name).__name__  # an alias names its function
  with pytest.raises(TypeError, match=rf"^jaxact\.{name}: x must be a real"):
    case.fn(jnp.ones((2, 12), jnp.complex64))


@pytest.mark.parametrize("case", [c for c in ELEMENTWISE if c.learnable],
                         ids=ids([c for c in ELEMENTWISE if c.learnable]))
def test_complex_parameter_is_a_type_error_naming_it(case):
  param = case.learnable[0]
  with pytest.raises(TypeError, match=rf"^jaxact\.{case.name}: {param} must be a real"):
    case.with_params(**{param: jnp.ones((), jnp.complex64)})(jnp.ones(3))


@pytest.mark.parametrize(("slope", "axis", "message"), [
  (np.ones((2, 3)), -1, "negative_slope must be a scalar or a 1-D array; got shape (2, 3)."),
  (np.ones(4), -1, "negative_slope must have length 1 or x.shape[-1] = 3; got length 4."),
  (np.ones(4), 1, "negative_slope must have length 1 or x.shape[1] = 3; got length 4."),
  (np.ones(3), 2, "axis must be in [-2, 2) for x of shape (5, 3); got 2."),
])
def test_prelu_slope_shape_errors(slope, axis, message):
  with pytest.raises(ValueError, match="^" + re.escape("jaxact.prelu: " + message) + "$"):
    jaxact.prelu(jnp.ones((5, 3)), slope, axis=axis)


def test_prelu_per_channel_along_axis():
  x = -jnp.ones((2, 3, 4))
  slopes = jnp.array([0.1, 0.2, 0.3])
  y = jaxact.prelu(x, slopes, axis=1)
  np.testing.assert_allclose(y[0, :, 0], -slopes)
  grad = jax.grad(lambda s: jnp.sum(jaxact.prelu(x, s, axis=1)))(slopes)
  np.testing.assert_allclose(grad, [-8.0, -8.0, -8.0])
  assert jaxact.prelu(x, jnp.array([0.5])).shape == x.shape


@pytest.mark.parametrize(("kwargs", "message"), [
  ({"num_pieces": 3}, "num_pieces must divide x.shape[-1] = 10; got 3."),
  ({"num_pieces": 0}, "num_pieces must be a positive int; got 0."),
  ({"num_pieces": -2}, "num_pieces must be a positive int; got -2."),
  ({"num_pieces": 2.0}, "num_pieces must be a positive int; got 2.0."),
  ({"num_pieces": True}, "num_pieces must be a positive int; got True."),
  ({"num_pieces": 2, "axis": 2}, "axis must be in [-2, 2) for an input of rank 2; got 2."),
  ({"num_pieces": 2, "axis": "0"}, "axis must be an int; got '0'."),
])
def test_maxout_argument_errors(kwargs, message):
  with pytest.raises(ValueError, match="^" + re.escape("jaxact.maxout: " + message) + "$"):
    jaxact.maxout(jnp.ones((4, 10)), **kwargs)


def test_maxout_of_a_scalar():
  with pytest.raises(ValueError, match=r"^jaxact\.maxout: x must have at least one axis"):
    jaxact.maxout(jnp.float32(1.0), num_pieces=1)


@pytest.mark.parametrize("approximate", ["yes", 1, None, np.bool_(True)])
def test_gelu_approximate_must_be_a_bool(approximate):
  with pytest.raises(ValueError, match=r"^jaxact\.gelu: approximate must be a Python bool"):
    jaxact.gelu(jnp.ones(3), approximate=approximate)


def test_get_unknown_name_lists_the_closest():
  with pytest.raises(ValueError, match=r"^jaxact\.get: fn must be .*got 'reluu' \(closest: relu"):
    jaxact.get("reluu")
  with pytest.raises(ValueError, match=r"^jaxact\.get: fn must be"):
    jaxact.get("definitely_not_an_activation")


def test_get_unknown_parameter():
  with pytest.raises(TypeError, match=r"^jaxact\.get: params must be parameters of "
                                      r"jaxact\.elu \(alpha\); got beta\.$"):
    jaxact.get("elu", beta=2.0)


def test_get_and_available():
  assert jaxact.get("relu") is jaxact.relu
  assert jaxact.get(jaxact.relu) is jaxact.relu

  def mine(x):
    return x

  assert jaxact.get(mine) is mine
  f = jaxact.get("elu", alpha=0.5)
  np.testing.assert_allclose(f(jnp.array([-1.0])), jaxact.elu(jnp.array([-1.0]), alpha=0.5))
  names = jaxact.available()
  assert names == sorted(names) and "get" not in names and "available" not in names
  for name in names:
    assert jaxact.get(name) is getattr(jaxact, name)


def test_every_activation_has_a_row_in_the_table():
  covered = {c.name for c in ELEMENTWISE + VECTOR}
  missing = sorted(set(jaxact.available()) - covered)
  assert not missing, f"activations without a row in tests/cases.py: {missing}"


def test_import_jaxact_does_not_import_flax_or_the_checker():
  import subprocess
  import sys

  code = ("import sys, jaxact; print(any(m == 'flax' or m.startswith('flax.') or "
          "m.startswith('jaxact.testing') or m.startswith('jaxact._src.testing') "
          "for m in sys.modules))")
  out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
  assert out.stdout.strip() == "False"


# ------------------------------------------------- arguments that are not arrays, or misshapen

ALL = ELEMENTWISE + VECTOR
# Every parameter that takes an array: (row, parameter).
PARAMETERS = ([(c, p) for c in ELEMENTWISE if c.learnable for p in c.learnable]
              + [(c, p) for c in ELEMENTWISE if c.name == "rrelu" for p in ("lower", "upper")])
PARAMETER_IDS = [f"{c.id}-{p}" for c, p in PARAMETERS]


def _public_name(case) -> str:
  return getattr(jaxact, case.name).__name__  # an alias names its function


@pytest.mark.parametrize("case", ALL, ids=ids(ALL))
@pytest.mark.parametrize("sequence", [[1.0, 2.0], (1.0, 2.0)], ids=["list", "tuple"])
def test_a_python_sequence_as_x_is_a_type_error_saying_what_to_do(case, sequence):
  kind = type(sequence).__name__
  message = (rf"^jaxact\.{_public_name(case)}: x must be an array or a scalar, as in jax\.nn "
             rf"\(convert a {kind} with jnp\.asarray\); got a {kind}\.$")
  with pytest.raises(TypeError, match=message):
    case.fn(sequence)


@pytest.mark.parametrize("case", ALL, ids=ids(ALL))
@pytest.mark.parametrize(("value", "shown"), [("a", "'a'"), (None, "None"),
                                              ({"x": 1.0}, "a value of type dict")])
def test_x_of_the_wrong_type_is_a_type_error_naming_the_function(case, value, shown):
  message = (rf"^jaxact\.{_public_name(case)}: x must be an array or a scalar; "
             rf"got {re.escape(shown)}\.$")
  with pytest.raises(TypeError, match=message):
    case.fn(value)


@pytest.mark.parametrize(("case", "param"), PARAMETERS, ids=PARAMETER_IDS)
def test_a_python_sequence_as_a_parameter_is_a_type_error_naming_it(case, param):
  message = (rf"^jaxact\.{case.name}: {param} must be an array or a scalar, as in jax\.nn "
             rf"\(convert a list with jnp\.asarray\); got a list\.$")
  with pytest.raises(TypeError, match=message):
    case.with_params(**{param: [0.5, 0.5, 0.5]})(jnp.ones(3))


@pytest.mark.parametrize(("case", "param"), PARAMETERS, ids=PARAMETER_IDS)
@pytest.mark.parametrize(("value", "shown"), [("a", "'a'"), (None, "None")])
def test_a_parameter_of_the_wrong_type_is_a_type_error_naming_it(case, param, value, shown):
  if value is None and inspect.signature(getattr(jaxact, case.name)).parameters[
      param].default is None:  # None is this parameter's "none" (relu's max_value: no cap)
    np.testing.assert_array_equal(case.with_params(**{param: None})(jnp.ones(3)),
                                  case.with_params(**{param: np.inf})(jnp.ones(3)))
    return
  message = rf"^jaxact\.{case.name}: {param} must be an array or a scalar; got {shown}\.$"
  with pytest.raises(TypeError, match=message):
    case.with_params(**{param: value})(jnp.ones(3))


@pytest.mark.parametrize(("case", "param"), PARAMETERS, ids=PARAMETER_IDS)
@pytest.mark.parametrize("shape", [(2,), (5,), (2, 5), (3, 2, 6)])
def test_a_parameter_that_does_not_broadcast_to_x_is_a_value_error_naming_it(case, param,
                                                                             shape):
  with pytest.raises(ValueError, match=rf"^jaxact\.{case.name}: {param} must "):
    case.with_params(**{param: np.full(shape, 0.25, np.float32)})(jnp.ones((2, 6)))


def test_the_message_for_a_misshapen_parameter():
  message = ("jaxact.elu: alpha must be a scalar or broadcast to x.shape = (2, 6) (one value "
             "per channel, channels last: shape (1, 6) or (6,)); got shape (2,).")
  with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
    jaxact.elu(jnp.ones((2, 6)), jnp.ones(2))
  with pytest.raises(ValueError, match=r"^jaxact\.elu: alpha must be a scalar for a scalar x; "
                                       r"got shape \(3,\)\.$"):
    jaxact.elu(jnp.float32(1.0), jnp.ones(3))


def test_a_non_numeric_array_is_a_type_error_naming_the_argument():
  with pytest.raises(TypeError, match=r"^jaxact\.elu: alpha must be a real floating-point, "
                                      r"integer or bool array; got dtype <U1\.$"):
    jaxact.elu(jnp.ones(3), np.array(["a"]))
  with pytest.raises(TypeError, match=r"^jaxact\.relu: x must be a real"):
    jaxact.relu(np.array(["a", "b"]))


def test_scalars_arrays_and_per_channel_vectors_are_accepted():
  x = jnp.linspace(-2.0, 2.0, 12).reshape(2, 6)
  np.testing.assert_array_equal(jaxact.relu(1.5), 1.5)
  np.testing.assert_array_equal(jaxact.relu(np.array([-1.0, 2.0])), [0.0, 2.0])
  alpha = np.linspace(0.5, 1.5, 6, dtype=np.float32)
  want = jaxact.elu(x, alpha.reshape(1, 6))
  # A per-channel vector broadcasts (channels last) without rank promotion, which the
  # test configuration makes an error.
  np.testing.assert_array_equal(jaxact.elu(x, alpha), want)
  np.testing.assert_array_equal(jaxact.elu(x, jnp.asarray(alpha)), want)
  grad = jax.grad(lambda a: jnp.sum(jaxact.elu(x, a)))(jnp.asarray(alpha))
  assert grad.shape == (6,)


# ------------------------------------------------- no message prints a whole array

BIG = np.arange(1000, dtype=np.float32).reshape(10, 100)
_BIG_CALLS = [
  ("geglu", lambda: jaxact.geglu(jnp.ones((4, 8)), jnp.asarray(BIG))),
  ("swiglu", lambda: jaxact.swiglu(jnp.ones((4, 8)), BIG)),
  ("glu", lambda: jaxact.glu(jnp.ones((4, 8)), axis=jnp.asarray(BIG))),
  ("maxout", lambda: jaxact.maxout(jnp.ones((4, 8)), num_pieces=BIG)),
  ("softmax", lambda: jaxact.softmax(jnp.ones((4, 8)), axis=BIG)),
  ("gelu", lambda: jaxact.gelu(jnp.ones(3), approximate=jnp.asarray(BIG))),
  ("geglu", lambda: jaxact.geglu(jnp.ones(3), up=jnp.ones(3), approximate=BIG)),
  ("gated", lambda: jaxact.gated(BIG, jnp.ones(3), jnp.ones(3))),
]


@pytest.mark.parametrize(("name", "call"), _BIG_CALLS, ids=[f"{n}-{i}" for i, (n, _) in
                                                           enumerate(_BIG_CALLS)])
def test_an_array_in_a_message_is_shown_by_shape_and_dtype(name, call):
  with pytest.raises((ValueError, TypeError)) as info:
    call()
  message = str(info.value)
  assert message.startswith(f"jaxact.{name}: "), message
  assert "an array of shape (10, 100) and dtype float32" in message, message
  assert "999" not in message and "[" not in message.split("; got ")[-1], message


def test_the_error_helper_shows_arrays_by_shape_and_dtype():
  from jaxact._src import errors

  for value in (BIG, jnp.asarray(BIG)):
    with pytest.raises(ValueError, match=re.escape(
        "jaxact.f: x must be small; got an array of shape (10, 100) and dtype float32.")):
      errors.fail("f", "x", "be small", value)
    assert errors.shown(value) == "an array of shape (10, 100) and dtype float32"
  traced = jax.jit(lambda v: jnp.asarray(errors.shown(v) == "an array of shape (3,) and "
                                         "dtype float32"))
  assert bool(traced(jnp.ones(3)))
  assert errors.shown("0") == "'0'" and errors.shown(2.5) == "2.5"
