"""The strictest settings for every test and doctest: strict dtype promotion, rank
promotion raises (warnings are errors through pyproject's filterwarnings)."""

import jax
import numpy as np
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture(autouse=True)
def _four_digit_printing():
  """Docstring examples print 4 decimals, the same on every backend."""
  with np.printoptions(precision=4):
    yield
