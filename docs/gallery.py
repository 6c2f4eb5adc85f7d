"""Writes the gallery: a plot of every activation and its derivative, made at build time
with matplotlib from the library itself (run by conf.py)."""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np

import jaxact

# Parameters for functions that need them to be drawn.
PARAMS = {
  "prelu": {"negative_slope": 0.25},
  "threshold": {"threshold": 0.5, "value": -1.0},
  "acon_c": {"p1": 1.0, "p2": 0.1, "beta": 1.0},
  "rational": {"numerator": jnp.array([0.03, 0.5, 0.6, 0.2]),
               "denominator": jnp.array([0.0, 0.5])},
}
ALONG_AN_AXIS = {"maxout", "glu", "reglu", "geglu", "swiglu", "softmax", "log_softmax",
                 "sparsemax"}


def elementwise() -> list[str]:
  return [n for n in jaxact.available() if n not in ALONG_AN_AXIS]


def plot(name: str, path: pathlib.Path) -> None:
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fn = jaxact.get(name, **PARAMS.get(name, {}))
  x = jnp.linspace(-5.0, 5.0, 2001)
  y = np.asarray(fn(x))
  dy = np.asarray(jax.vmap(jax.grad(fn))(x))
  fig, ax = plt.subplots(figsize=(3.2, 2.4))
  ax.axhline(0, color="0.8", lw=0.8)
  ax.axvline(0, color="0.8", lw=0.8)
  ax.plot(x, y, label="f(x)", lw=1.8)
  ax.plot(x, dy, "--", label="f'(x)", lw=1.4)
  ax.set_title(name, fontsize=10)
  ax.set_ylim(max(-3.0, min(y.min(), dy.min()) - 0.3), min(5.5, max(y.max(), dy.max()) + 0.3))
  ax.legend(fontsize=7, loc="upper left", frameon=False)
  ax.tick_params(labelsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def write(folder: pathlib.Path) -> None:
  images = folder / "images"
  images.mkdir(parents=True, exist_ok=True)
  lines = ["# Gallery", "",
           "Every elementwise activation (solid) and its derivative from `jax.grad` "
           "(dashed) on [-5, 5], drawn by the library at build time. Parameters where "
           "needed: " + "; ".join(f"`{n}` with {p}" for n, p in PARAMS.items()
                                  if n in jaxact.available()) + ".", ""]
  for name in elementwise():
    plot(name, images / f"{name}.png")
    lines += [f"```{{image}} images/{name}.png", f":alt: {name} and its derivative",
              ":width: 32%", "```"]
  lines += ["", "Functions along an axis (" + ", ".join(
      f"{{func}}`~jaxact.{n}`" for n in sorted(ALONG_AN_AXIS & set(jaxact.available())))
            + ") map vectors to vectors; see the API reference."]
  (folder / "index.md").write_text("\n".join(lines) + "\n")
