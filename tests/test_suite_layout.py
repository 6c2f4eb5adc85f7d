"""The suite's own plumbing: conftest.py's shared units of work name tests that exist."""

from __future__ import annotations

import importlib
import pathlib

import pytest

import conftest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("prefix", conftest.SHARED)
def test_each_shared_unit_names_a_test_module_and_function(prefix):
  # A renamed test would leave its prefix matching nothing: its cases would then be
  # spread over both workers, each computing the shared result again, with no error.
  path, _, function = prefix.partition("::")
  assert (ROOT / path).is_file(), f"conftest.SHARED: no file {path}"
  function = function.rstrip("[")
  if function:
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, function, None)), (
        f"conftest.SHARED: {path} has no test {function}")
