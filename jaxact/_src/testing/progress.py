"""A progress bar on stderr for the checker's long steps: tqdm's where it is installed,
else a one-line bar of its own; or nothing at all."""

from __future__ import annotations

import sys
import time
from typing import Protocol


class Bar(Protocol):
  def update(self, n: int = 1) -> None: ...

  def set_description(self, text: str) -> None: ...

  def close(self) -> None: ...


class _Silent:
  def update(self, n: int = 1) -> None:
    pass

  def set_description(self, text: str) -> None:
    pass

  def close(self) -> None:
    pass


class _Simple:
  """``[#####.....] 12/40 bfloat16 accuracy (3.1 s)`` redrawn in place on stderr."""

  def __init__(self, total: int, desc: str):
    self.total, self.done, self.desc = max(total, 1), 0, desc
    self.start = time.perf_counter()
    self._draw()

  def _draw(self) -> None:
    filled = int(30 * self.done / self.total)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
                     f"{self.desc} ({time.perf_counter() - self.start:.1f} s)\033[K")
    sys.stderr.flush()

  def update(self, n: int = 1) -> None:
    self.done += n
    self._draw()

  def set_description(self, text: str) -> None:
    self.desc = text
    self._draw()

  def close(self) -> None:
    sys.stderr.write("\n")
    sys.stderr.flush()


def bar(total: int, desc: str, enabled: bool) -> Bar:
  """A bar of ``total`` steps (silent unless ``enabled``)."""
  if not enabled:
    return _Silent()
  try:
    from tqdm import tqdm
  except ImportError:
    return _Simple(total, desc)
  return tqdm(total=total, desc=desc, file=sys.stderr, leave=False)
