"""A test file as a user writes one for an activation of their own: defined with
``jaxact.define``, checked with ``jaxact.testing`` against a float64 reference, from
pytest. The activation is the bent identity, (sqrt(x^2 + 1) - 1) / 2 + x, whose naive
formula overflows to inf at |x| ~ 1.8e19 in float32 (x^2) and cancels towards 0, and
whose autodiff derivative is then 1, not 1.5 or 0.5."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import jaxact
from jaxact import testing


def _root(x):
  """sqrt(x^2 + 1) as |x| sqrt(1 + (1/x)^2) past |x| = 1: no overflow."""
  ax = jnp.abs(x)
  big = ax > 1
  r = 1 / jnp.where(big, ax, 1.0)
  return jnp.where(big, ax * jnp.sqrt(1 + r * r), jnp.sqrt(x * x + 1))


@jaxact.define
def bent_identity_naive(x):
  return (jnp.sqrt(x * x + 1) - 1) / 2 + x


def _slope(x):
  # 1 + x / (2 sqrt(x^2 + 1)), with x / root read as sign(x) at +-inf (not inf / inf).
  root = _root(x)
  return 1 + 0.5 * jnp.where(jnp.isinf(x), jnp.sign(x), x / root)


def _curvature(x, slope):
  # 1 / (2 root^3): autodiff of x / root gives 1 / root - x^2 / root^3, which cancels
  # (the checker's hessian cell found it: 4e-5 relative at x = -30).
  root = _root(x)
  return (0.5 / root) / (root * root)


_exact_slope = jaxact.with_derivative(_slope, _curvature)


def _rule(x, y):
  return _exact_slope(x)


@jaxact.define(derivative=_rule)
def bent_identity(x):
  """(sqrt(x^2 + 1) - 1) / 2 + x, exact: (x^2 / (root + 1)) / 2 + x, no cancellation."""
  root = _root(x)
  return jnp.where(jnp.isinf(x), x, 0.5 * (x / (root + 1)) * x + x)


def reference(x):
  x = np.asarray(x, np.float64)
  with np.errstate(all="ignore"):
    root = np.hypot(x, 1.0)
    return np.where(np.isinf(x), x, 0.5 * x * x / (root + 1) + x)


def reference_derivative(x):
  x = np.asarray(x, np.float64)
  with np.errstate(all="ignore"):
    root = np.hypot(x, 1.0)
    return np.where(np.isinf(x), np.where(x > 0, 1.5, 0.5), 1 + 0.5 * x / root)


def test_my_activation_is_exact():
  testing.assert_exact(bent_identity, reference, derivative=reference_derivative,
                       quick=True)


def test_the_naive_formula_is_not():
  report = testing.check(bent_identity_naive, reference, derivative=reference_derivative,
                         quick=True, contexts=False, transforms=False)
  failing = {(c.check, c.dtype, c.quantity) for c in report.failures}
  assert ("accuracy", "float32", "value") in failing  # overflow past ~1.8e19
  assert report.non_finite("float32", "value") > 0
  with pytest.raises(AssertionError, match="bent_identity_naive"):
    testing.assert_exact(report)
