"""Sphinx configuration for the jaxact documentation.

The API pages and the gallery are generated from ``jaxact.__all__`` at build time, so a
public name without a docstring, or without a page, fails the ``-W`` build.
"""

from __future__ import annotations

import inspect
import os
import pathlib
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import jaxact  # noqa: E402

project = "jaxact"
author = "the jaxact developers"
copyright = "2026, the jaxact developers"  # noqa: A001
release = jaxact.__version__

extensions = [
  "myst_nb",
  "sphinx.ext.autodoc",
  "sphinx.ext.autosummary",
  "sphinx.ext.napoleon",
  "sphinx.ext.mathjax",
  "sphinx.ext.viewcode",
  # MathJax served from _static, not a CDN: the formulas render offline.
  "sphinx-mathjax-offline",
]
myst_enable_extensions = ["dollarmath", "colon_fence"]
nb_execution_mode = "off"
autosummary_generate = True
autodoc_typehints = "description"
# Parameter types read `ArrayLike`, as in jax's docs, not the union it stands for.
autodoc_type_aliases = {"ArrayLike": "ArrayLike"}
autodoc_member_order = "bysource"
# A module's __call__ without a docstring shows none, not object's "Call self as a function."
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
napoleon_use_rtype = False
html_theme = "sphinx_book_theme"
html_title = "jaxact"
html_theme_options = {"show_toc_level": 2}
html_static_path = ["_static"]
html_css_files = ["jaxact.css"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type"]
nitpicky = False


def _undocumented() -> list[str]:
  import api_pages

  names = [f"jaxact.{n}" for n in jaxact.__all__
           if not inspect.getdoc(getattr(jaxact, n))]
  for module_name in ("linen", "nnx"):
    module = api_pages.import_module(module_name)
    names += [f"jaxact.{module_name}.{n}" for n in getattr(module, "__all__", [])
              if not inspect.getdoc(getattr(module, n))]
  return names


def _nnx_signatures() -> None:
  """Show each nnx module's constructor signature, not ``(*args, **kwargs)``.

  nnx's metaclass defines ``__call__``, which autodoc (and ``inspect.signature``) read
  for the class; ``__signature__`` takes precedence over it.
  """
  import api_pages

  module = api_pages.import_module("nnx")
  for name in module.__all__:
    cls = getattr(module, name)
    if not inspect.isclass(cls):  # the factory ``module``
      continue
    init = inspect.signature(cls.__init__)
    cls.__signature__ = init.replace(parameters=list(init.parameters.values())[1:])


def _generate(app) -> None:
  import api_pages
  import gallery

  _nnx_signatures()

  missing = _undocumented()
  if missing:
    raise RuntimeError(f"public names without a docstring: {', '.join(missing)}")
  api_pages.write(HERE / "api")
  notebooks = HERE / "_notebooks"
  notebooks.mkdir(exist_ok=True)
  shutil.copy(HERE.parent / "examples" / "colab_tpu.ipynb", notebooks / "colab_tpu.ipynb")
  if not os.environ.get("JAXACT_DOCS_NO_GALLERY"):
    gallery.write(HERE / "gallery")


def setup(app):
  app.connect("builder-inited", _generate)
