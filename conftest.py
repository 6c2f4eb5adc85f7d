"""The strictest settings for every test and doctest: strict dtype promotion, rank
promotion raises (warnings are errors through pyproject's filterwarnings)."""

import jax
import numpy as np
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


def pytest_configure(config):
  """Under pytest-xdist (``-n 2``), tests marked ``@pytest.mark.xdist_group(name)`` run on
  one worker: tests that read one expensive shared result (a subprocess, one compile for
  every row of the table) compute it once, and no worker waits on another's. The others
  are spread one by one, as ``--dist load`` spreads them."""
  if getattr(config.option, "dist", "no") == "load":
    config.option.dist = "loadgroup"


@pytest.fixture(autouse=True)
def _four_digit_printing():
  """Docstring examples print 4 decimals, the same on every backend."""
  with np.printoptions(precision=4):
    yield
