"""The documentation builds with warnings as errors (every public name documented,
every docstring valid reStructuredText, the gallery drawn)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

pytest.importorskip("sphinx", reason="the docs need the [docs] extra")
pytest.importorskip("myst_nb", reason="the docs need the [docs] extra")


def test_sphinx_build_with_warnings_as_errors(tmp_path):
  done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                         "html", str(ROOT / "docs"), str(tmp_path / "html")],
                        capture_output=True, text=True, timeout=900, cwd=ROOT)
  assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
  html = tmp_path / "html"
  functions = (html / "api" / "functions.html").read_text()
  import jaxact

  for name in jaxact.__all__:
    assert f'id="jaxact.{name}"' in functions, f"jaxact.{name} has no API entry"
  gallery = sorted((html / "_images").glob("*.png"))
  assert len(gallery) >= 30
