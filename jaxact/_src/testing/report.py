"""The checker's report: one :class:`Cell` per check, dtype and quantity, and the
summaries a reader wants first (ULP maxima, non-finite counts, worst inputs, failures)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

QUANTITIES = ("value", "derivative")


@dataclasses.dataclass(frozen=True)
class Cell:
  """One check of one quantity in one dtype.

  Attributes:
    check: what was checked: ``"accuracy"`` (every finite bfloat16/float16 input, or the
      float32 sweep), ``"limits"`` (+-inf), ``"nan"``, ``"kinks"`` (the conventions,
      exactly), ``"dtype"`` (the result keeps the input's dtype), ``"context:NAME"`` (a
      compile context at the hazard points) or ``"transform:NAME"`` (transforms agree).
    dtype: the input dtype's name.
    quantity: ``"value"`` or ``"derivative"``.
    passed: whether the check holds.
    max_ulp: the largest error in ULPs (accuracy cells), else None.
    bound: the contract's bound in ULPs (accuracy cells), else None.
    points: how many inputs were checked.
    bad: how many of them fail.
    non_finite: inputs where the result is inf or NaN but the truth is finite.
    worst_x: the input of the largest error (or the first failing input), else None.
    got: the result there, else None.
    want: the reference there, else None.
    detail: one line for a reader.
  """

  check: str
  dtype: str
  quantity: str
  passed: bool
  max_ulp: float | None = None
  bound: float | None = None
  points: int = 0
  bad: int = 0
  non_finite: int = 0
  worst_x: float | None = None
  got: float | None = None
  want: float | None = None
  detail: str = ""

  def __str__(self) -> str:
    head = f"{self.check} {self.dtype} {self.quantity}: {'ok' if self.passed else 'FAIL'}"
    parts = []
    if self.max_ulp is not None:
      parts.append(f"max {_ulps(self.max_ulp)} ULP (bound {self.bound:g})")
    if self.bad:
      parts.append(f"{self.bad} of {self.points} inputs fail")
    if self.non_finite:
      parts.append(f"{self.non_finite} non-finite where the truth is finite")
    if self.worst_x is not None and not self.passed:
      at = f"worst x = {self.worst_x!r}"
      if self.got is not None:
        at += f": got {self.got!r}, want {self.want!r}"
      parts.append(at)
    if self.detail:
      parts.append(self.detail)
    return head + ("; " + "; ".join(parts) if parts else "")


def _ulps(u: float | None) -> str:
  if u is None:
    return "-"
  if math.isinf(u) or math.isnan(u):
    return str(u)
  return f"{u:.3g}" if u < 1000 else f"{u:.2e}"


@dataclasses.dataclass
class Report:
  """What :func:`jaxact.testing.check` found.

  Attributes:
    name: the function checked.
    cells: every check made, passing or not.
    reference: the reference's name.
    derivative_source: how the reference derivative was obtained (``"given"``,
      ``"mpmath.diff"``, ``"float64 finite differences (Ridders)"``).
    residual_bytes_per_element: what ``jax.vjp`` keeps for the backward pass per input
      element, in float32 (None if not measured).
    residuals: each kept array, as ``"float32 (x)"``, ``"float32 (y)"``,
      ``"bool"``, ...
    seconds: how long the check took.
  """

  name: str
  cells: list[Cell] = dataclasses.field(default_factory=list)
  reference: str = ""
  derivative_source: str = "given"
  residual_bytes_per_element: float | None = None
  residuals: list[str] = dataclasses.field(default_factory=list)
  seconds: float = 0.0

  @property
  def failures(self) -> list[Cell]:
    """The cells that fail."""
    return [c for c in self.cells if not c.passed]

  @property
  def ok(self) -> bool:
    """Whether every cell passes."""
    return not self.failures

  @property
  def dtypes(self) -> list[str]:
    return list(dict.fromkeys(c.dtype for c in self.cells if c.check == "accuracy"))

  def _accuracy(self, dtype: str, quantity: str) -> Cell | None:
    for c in self.cells:
      if c.check == "accuracy" and c.dtype == dtype and c.quantity == quantity:
        return c
    return None

  def max_ulp(self, dtype: str, quantity: str = "value") -> float | None:
    """The largest error in ULPs of ``quantity`` over the ``dtype`` sweep."""
    cell = self._accuracy(str(dtype), quantity)
    return None if cell is None else cell.max_ulp

  def non_finite(self, dtype: str, quantity: str = "derivative") -> int:
    """Inputs of the ``dtype`` sweep where ``quantity`` is inf or NaN but the truth is
    finite."""
    cell = self._accuracy(str(dtype), quantity)
    return 0 if cell is None else cell.non_finite

  def raise_for_failures(self) -> Report:
    """Raises :class:`CheckFailure` listing the failing cells; returns the report if none."""
    if self.failures:
      raise CheckFailure(self)
    return self

  # ---------------------------------------------------------------------------- output

  def summary_rows(self) -> list[list[str]]:
    """Per dtype: max ULP and bound, non-finite counts and worst input, for the value
    and the derivative."""
    rows = []
    for dtype in self.dtypes:
      for quantity in QUANTITIES:
        c = self._accuracy(dtype, quantity)
        if c is None:
          continue
        rows.append([dtype, quantity, _ulps(c.max_ulp), f"{c.bound:g}" if c.bound else "-",
                     str(c.non_finite), "-" if c.worst_x is None else repr(c.worst_x),
                     "ok" if c.passed else "FAIL"])
    return rows

  def counts(self) -> tuple[int, int]:
    """(failing cells, cells)."""
    return len(self.failures), len(self.cells)

  def __repr__(self) -> str:
    failing, total = self.counts()
    return f"<Report {self.name}: {failing} of {total} cells fail>"

  def __str__(self) -> str:
    header = ["dtype", "quantity", "max ULP", "bound", "non-finite", "worst x", ""]
    rows = self.summary_rows()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{self.name}: checked against {self.reference or 'the reference'} "
             f"(derivative: {self.derivative_source})"]
    for row in [header, *rows]:
      lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    lines.append(self._tail())
    lines += [f"  FAIL {c}" for c in self.failures[:40]]
    if len(self.failures) > 40:
      lines.append(f"  ... and {len(self.failures) - 40} more")
    return "\n".join(lines)

  def _tail(self) -> str:
    failing, total = self.counts()
    residuals = ("" if self.residual_bytes_per_element is None else
                 f"; backward pass keeps {self.residual_bytes_per_element:g} bytes/element "
                 f"({', '.join(self.residuals) or 'nothing'})")
    return (f"{failing} of {total} cells fail ({self.seconds:.1f} s){residuals}")

  def to_dict(self) -> dict[str, Any]:
    """Everything, JSON-ready (inf and NaN as strings)."""

    def clean(v):
      if isinstance(v, float) and not math.isfinite(v):
        return str(v)
      return v

    return {"name": self.name, "reference": self.reference,
            "derivative_source": self.derivative_source, "ok": self.ok,
            "failing_cells": len(self.failures), "cells_checked": len(self.cells),
            "seconds": round(self.seconds, 3),
            "residual_bytes_per_element": self.residual_bytes_per_element,
            "residuals": self.residuals,
            "summary": {f"{d}/{q}": {"max_ulp": clean(c.max_ulp), "bound": c.bound,
                                     "non_finite": c.non_finite, "worst_x": clean(c.worst_x)}
                        for d in self.dtypes for q in QUANTITIES
                        if (c := self._accuracy(d, q)) is not None},
            "cells": [{k: clean(v) for k, v in dataclasses.asdict(c).items()}
                      for c in self.cells]}

  def to_json(self, **kwargs: Any) -> str:
    return json.dumps(self.to_dict(), **kwargs)

  def to_markdown(self) -> str:
    """The summary table and the failing cells, as markdown."""
    header = ["dtype", "quantity", "max ULP", "bound", "non-finite", "worst x", ""]
    lines = [f"**{self.name}** against {self.reference or 'the reference'} (derivative: "
             f"{self.derivative_source})", "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in self.summary_rows()]
    lines += ["", self._tail()]
    if self.failures:
      lines += [""] + [f"- `{c}`" for c in self.failures[:100]]
    return "\n".join(lines) + "\n"


class CheckFailure(AssertionError):
  """A :class:`Report` with failing cells, raised as a test failure; ``.report`` holds it."""

  def __init__(self, report: Report):
    self.report = report
    failing, total = report.counts()
    super().__init__(f"{report.name}: {failing} of {total} cells fail\n{report}")
