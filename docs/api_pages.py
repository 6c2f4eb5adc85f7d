"""Writes the API reference pages from ``__all__`` (run by conf.py at build time)."""

from __future__ import annotations

import importlib
import inspect
import pathlib

import jaxact

FAMILIES = {
  "rectifiers": "Rectifiers",
  "shrink": "Shrinkage",
  "exponential": "Exponential linear units",
  "sigmoidal": "Sigmoidal",
  "smooth": "Smooth rectifiers",
  "selfgated": "Self-gated",
  "parametric": "Parametric",
  "grouped": "Along an axis",
  "define": "Defining your own",
  "registry": "Lookup",
}


def _family(name: str) -> str:
  module = getattr(getattr(jaxact, name), "__module__", "") or ""
  return module.rsplit(".", 1)[-1]


def import_module(name: str):
  """``jaxact.linen`` or ``jaxact.nnx``; a site without the module pages is not built."""
  try:
    return importlib.import_module(f"jaxact.{name}")
  except ImportError as e:
    raise RuntimeError(f"the API pages of jaxact.{name} need flax ({e}); install the docs "
                       "extra: pip install -e '.[docs]'") from e


def write(folder: pathlib.Path) -> None:
  folder.mkdir(parents=True, exist_ok=True)
  lines = ["Functions: ``jaxact``", "=====================", "",
           ".. currentmodule:: jaxact", ""]
  by_family: dict[str, list[str]] = {}
  for name in jaxact.__all__:
    by_family.setdefault(_family(name), []).append(name)
  unknown = sorted(set(by_family) - set(FAMILIES))
  if unknown:
    raise RuntimeError(f"docs/api_pages.py: no section for modules {unknown}")
  for key, title in FAMILIES.items():
    if key not in by_family:
      continue
    lines += [title, "-" * len(title), ""]
    for name in by_family[key]:
      if inspect.isclass(getattr(jaxact, name)):  # Learnable
        lines += [f".. autoclass:: {name}", ""]
      else:
        lines += [f".. autofunction:: {name}", ""]
  (folder / "functions.rst").write_text("\n".join(lines))

  modules = ["linen", "nnx"]
  for module_name, framework in (("linen", "flax.linen"), ("nnx", "flax.nnx")):
    module = import_module(module_name)
    title = f"Modules for {framework}: ``jaxact.{module_name}``"
    page = [title, "=" * len(title), "", f".. currentmodule:: jaxact.{module_name}", ""]
    for name in module.__all__:
      if inspect.isclass(getattr(module, name)):
        page += [f".. autoclass:: {name}", "   :members: __call__", "   :undoc-members:", ""]
      else:  # the factory ``module``
        page += [f".. autofunction:: {name}", ""]
    (folder / f"{module_name}.rst").write_text("\n".join(page))

  testing = importlib.import_module("jaxact.testing")
  title = "Checking an activation: ``jaxact.testing``"
  page = [title, "=" * len(title), "", ".. automodule:: jaxact.testing", "   :no-members:", "",
          ".. currentmodule:: jaxact.testing", ""]
  for name in testing.__all__:
    kind = "autoclass" if isinstance(getattr(testing, name), type) else (
        "autodata" if name in ("BOUNDS", "references") else "autofunction")
    if name == "references":
      continue
    page += [f".. {kind}:: {name}"] + (["   :members:"] if kind == "autoclass" else []) + [""]
  (folder / "testing.rst").write_text("\n".join(page))
  modules.append("testing")

  index = ["API reference", "=============", "", ".. toctree::", "   :maxdepth: 2", "",
           "   functions"] + [f"   {m}" for m in modules]
  (folder / "index.rst").write_text("\n".join(index) + "\n")
