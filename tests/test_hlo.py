"""The optimized HLO of every row, compiled for this CPU, holds no constant the simplifier
folded into a hazard (tests/hlo_audit.py): no subnormal constant (flushed to 0, so a
scaling becomes inf * 0), and no constant folded on a 0-d array that the vector's program
does not have (the two would round differently). The next XLA that rewrites differently
fails here, not in a user's training run. tests/test_tpu_aot.py runs the same audit on
the TPU compiler's HLO."""

from __future__ import annotations

import jax.numpy as jnp
import pytest

from tests import hlo_audit
from tests.cases import ELEMENTWISE


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16], ids=lambda d: d.__name__)
def test_no_folded_hazards_on_cpu(dtype):
  rows = {case.id: case.fn for case in ELEMENTWISE}
  found = hlo_audit.zoo_hazards(rows, dtype)
  assert not found, "\n".join(found)


def test_the_audit_finds_the_hazards_that_bit():
  """Squaring a power-of-two-scaled x (squareplus's old formula) and squaring x / sqrt 2
  (erfc's argument in gelu's old formula) are each found."""
  def scaled_square(x):
    xd = x * 2.0**-70
    return xd * xd

  def erfc_argument_square(x):
    z = x * -0.7071067811865476
    return z * z

  for formula, expected in ((scaled_square, ("subnormal", "out of range")),
                            (erfc_argument_square, ("folded by the simplifier",))):
    found = hlo_audit.zoo_hazards({formula.__name__: formula}, jnp.float32)
    assert any(e in h for h in found for e in expected), (formula.__name__, found)
