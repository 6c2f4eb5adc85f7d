"""The documentation builds with warnings as errors (every public name documented,
every docstring valid reStructuredText, the gallery drawn)."""

from __future__ import annotations

import pathlib
import re
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
  assert (html / "migration.html").exists()
  _check_module_pages(html)
  _check_offline_math(html)
  _check_parameter_types(functions)


def _check_module_pages(html: pathlib.Path) -> None:
  """Every class of jaxact.linen and jaxact.nnx has an entry on its page."""
  import importlib

  for module_name in ("linen", "nnx"):
    module = importlib.import_module(f"jaxact.{module_name}")
    page = html / "api" / f"{module_name}.html"
    assert page.exists(), f"the docs have no page for jaxact.{module_name}"
    text = page.read_text()
    for name in module.__all__:
      assert f'id="jaxact.{module_name}.{name}"' in text, f"jaxact.{module_name}.{name}"


def _check_offline_math(html: pathlib.Path) -> None:
  """The formulas render with a MathJax the site ships: no script comes from the network."""
  pages = sorted(html.rglob("*.html"))
  scripts = [s for page in pages for s in re.findall(r'<script[^>]*src="([^"]+)"',
                                                     page.read_text())]
  remote = sorted({s for s in scripts if "//" in s})
  assert not remote, f"scripts loaded from the network: {remote}"
  mathjax = [s for s in scripts if "mathjax" in s.lower()]
  assert mathjax, "no page loads MathJax"
  assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()


def _check_parameter_types(functions: str) -> None:
  """Parameter types read ArrayLike (as in jax's docs), not the union it expands to."""
  assert "<em>ArrayLike</em>" in functions
  text = re.sub(r"<[^>]+>", "", functions)
  assert "ndarray | bool" not in text and "| complex" not in text


def test_api_pages_fail_without_flax(tmp_path):
  """Without flax the build stops (it does not publish a site without the module pages)."""
  script = ("import sys; sys.modules['flax'] = None; sys.path.insert(0, 'docs'); "
            "import api_pages; api_pages.write(__import__('pathlib').Path(sys.argv[1]))")
  done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                        text=True, timeout=300, cwd=ROOT)
  assert done.returncode != 0
  assert "need flax" in done.stderr and "pip install -e '.[docs]'" in done.stderr


def python_blocks(path: pathlib.Path) -> list[str]:
  return re.findall(r"^```python\n(.*?)^```", path.read_text(), flags=re.S | re.M)


def test_migration_guide_runs():
  """Every claim the migration guide makes in code (dtypes, kinks, NaN, Flax's PReLU, the
  model before and after) runs as written, in order, in one namespace."""
  pytest.importorskip("flax", reason="the guide's Flax examples need flax")
  blocks = python_blocks(ROOT / "docs" / "migration.md")
  assert len(blocks) >= 4
  namespace: dict = {}
  for block in blocks:
    exec(compile(block, "docs/migration.md", "exec"), namespace)  # noqa: S102


def test_user_facing_files_point_only_at_what_users_have():
  """README, CONTRIBUTING and the docs never send a reader to files outside the project."""
  pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")]
  for page in pages:
    text = page.read_text()
    assert "../shared" not in text and "API.md" not in text, page.name


def test_readme_install_and_setup_blocks():
  """An Install section; exactly two bash blocks (the main job and the tests, which
  .ci/run extracts from under its heading)."""
  readme = (ROOT / "README.md").read_text()
  assert "\n## Install\n" in readme and '"jax[cuda12]"' in readme
  assert readme.count("```bash\n") == 2
  tests = readme.split("\n## Run the tests\n", 1)[1]
  assert tests.lstrip().startswith("```bash\n") and "pytest" in tests.split("```")[1]


def test_migration_guide_pytorch_claims():
  """The guide's PyTorch differences, checked where torch is installed (it is not a test
  dependency: the measured numerics table also reads it when present)."""
  torch = pytest.importorskip("torch", reason="checks the guide against PyTorch")
  import jax
  import jax.numpy as jnp
  import numpy as np
  import torch.nn.functional as F  # noqa: N812

  import jaxact

  def torch_grad(fn, x, **kw):
    t = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    fn(t, **kw).backward()
    return float(t.grad)

  # Kinks agree with PyTorch's everywhere.
  for ours, theirs, kink in [("relu", "relu", 0.0), ("leaky_relu", "leaky_relu", 0.0),
                             ("hard_tanh", "hardtanh", 1.0), ("relu6", "relu6", 6.0),
                             ("hard_sigmoid", "hardsigmoid", 3.0),
                             ("hard_swish", "hardswish", -3.0), ("elu", "elu", 0.0),
                             ("soft_shrink", "softshrink", 0.5)]:
    assert float(jax.grad(getattr(jaxact, ours))(kink)) == pytest.approx(
        torch_grad(getattr(F, theirs), kink)), ours
  # The derivative at NaN: 1 in PyTorch's relu, NaN in jaxact's.
  assert torch_grad(F.relu, float("nan")) == 1.0
  assert np.isnan(jax.grad(jaxact.relu)(jnp.nan))
  # GELU's default form: erf in PyTorch, tanh in jaxact.
  assert float(F.gelu(torch.tensor(1.0))) == pytest.approx(
      float(jaxact.gelu(1.0, approximate=False)), rel=1e-6)
  assert abs(float(F.gelu(torch.tensor(1.0))) - float(jaxact.gelu(1.0))) > 1e-4
  # PReLU's channel axis: 1 in PyTorch, given as axis=1 to jaxact.
  x = np.array([[[-1.0, 2.0], [-3.0, 4.0]]], np.float32)
  w = np.array([0.1, 0.5], np.float32)
  expected = F.prelu(torch.tensor(x), torch.tensor(w)).numpy()
  np.testing.assert_allclose(jaxact.prelu(jnp.asarray(x), jnp.asarray(w), axis=1), expected)
  assert not np.allclose(jaxact.prelu(jnp.asarray(x), jnp.asarray(w)), expected)
  # Integers: PyTorch's relu keeps them, jaxact promotes.
  assert F.relu(torch.tensor([-1, 2])).dtype == torch.int64
  assert jaxact.relu(jnp.array([-1, 2])).dtype == jnp.float32


def test_contributing_example_is_the_real_elu():
  """CONTRIBUTING.md's worked example is the code of jaxact/_src/exponential.py, line for
  line (its trailing annotations aside), so it cannot drift from the mechanism."""
  import inspect

  from jaxact._src import exponential

  blocks = re.findall(r"^ *```python\n(.*?)^ *```", (ROOT / "CONTRIBUTING.md").read_text(),
                      flags=re.S | re.M)
  (example,) = [b for b in blocks if "_elu_forward" in b]
  shown = {re.sub(r"\s{2,}#.*$", "", line.strip()) for line in example.splitlines()}
  source = (inspect.getsource(exponential._elu_forward)
            + inspect.getsource(exponential._elu_derivative)).splitlines()
  source.append(next(line for line in inspect.getsource(exponential).splitlines()
                     if line.startswith("_scaled_elu = ")))
  missing = [line.strip() for line in source if line.strip() and line.strip() not in shown]
  assert not missing, f"CONTRIBUTING.md's elu example lacks: {missing}"
