"""The strictest settings for every test and doctest: strict dtype promotion, rank
promotion raises (warnings are errors through pyproject's filterwarnings)."""

import jax
import numpy as np
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


# Tests that read one expensive shared result (a subprocess, one compile for every row of
# the table) run on one pytest-xdist worker, which computes it once, while the other
# worker takes the rest test by test: every test of these modules, every case of these
# functions. (pytest-xdist's own ``xdist_group`` mark names a test's group in its nodeid,
# which pytest 9.2 no longer lets a plugin change.)
SHARED = (
    "tests/test_gated_tp.py::", "tests/test_sharding.py::", "tests/test_policy.py::",
    "tests/test_transforms.py::test_first_derivatives_agree[",
    "tests/test_transforms.py::test_second_derivatives_agree_and_match_reference[",
    "tests/test_transforms.py::test_vector_value_and_vjp_match_reference[",
    "tests/test_grouped.py::test_pairs_under_transforms[",
    "tests/test_grouped.py::test_pairs_accelerator_policy_keeps_gate_and_up_alone[",
)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown without it
def pytest_xdist_make_scheduler(config, log):
  """(pytest-xdist, on the controller) Under ``-n`` (``--dist load``), each of ``SHARED``
  is one unit of work, every other test a unit of its own; the largest units are handed
  out first. Another ``--dist`` is left to pytest-xdist."""
  if config.getvalue("dist") != "load":
    return None
  from xdist.scheduler import LoadScopeScheduling

  class SharedWork(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
      return next((prefix for prefix in SHARED if nodeid.startswith(prefix)), nodeid)

  return SharedWork(config, log)


@pytest.fixture(autouse=True)
def _four_digit_printing():
  """Docstring examples print 4 decimals, the same on every backend."""
  with np.printoptions(precision=4):
    yield
