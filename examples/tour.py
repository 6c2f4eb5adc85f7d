"""A tour of jaxact: every activation's value and derivative at a few points.

Run: ``python examples/tour.py`` (add ``--dtype bfloat16`` for another dtype). Beside
each jaxact result it shows jax.nn's where jax.nn has the function and the two disagree
by more than a few ULP, so the places where the textbook formula fails stand out.
"""

from __future__ import annotations

import argparse
import functools
import inspect

import jax
import jax.numpy as jnp
import numpy as np

import jaxact

POINTS = [-1e30, -100.0, -3.0, -1.0, 0.0, 0.5, 3.0, 100.0, 1e30]
EXAMPLE_PARAMS = {"prelu": {"negative_slope": 0.25}, "maxout": {"num_pieces": 1},
                  "threshold": {"threshold": 0.5, "value": -1.0},
                  "acon_c": {"p1": 1.0, "p2": 0.0, "beta": 1.0},
                  "rational": {"numerator": jnp.array([0.0, 1.0]),
                               "denominator": jnp.array([0.5])}}
ALONG_AN_AXIS = {"maxout", "glu", "reglu", "geglu", "swiglu", "softmax", "log_softmax",
                 "sparsemax"}


def elementwise_names() -> list[str]:
  return [n for n in jaxact.available() if n not in ALONG_AN_AXIS]


def value_and_derivative(fn, x):
  y, pullback = jax.vjp(fn, x)
  return y, pullback(jnp.ones_like(y))[0]


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--dtype", default="float32", choices=["float16", "bfloat16", "float32"])
  args = parser.parse_args()
  dtype = jnp.dtype(args.dtype)
  x = jnp.asarray(POINTS, dtype)
  np.set_printoptions(precision=4, linewidth=150)
  print(f"jax {jax.__version__} on {jax.devices()[0].platform}, dtype {dtype}")
  print(f"x = {np.asarray(x, np.float32)}\n")
  for name in elementwise_names():
    fn = jaxact.get(name, **EXAMPLE_PARAMS.get(name, {}))
    y, dy = jax.jit(value_and_derivative, static_argnums=0)(fn, x)
    params = EXAMPLE_PARAMS.get(name, {})
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    print(f"{name}({shown})" if shown else name)
    print(f"  f  = {np.asarray(y, np.float32)}")
    print(f"  f' = {np.asarray(dy, np.float32)}")
    reference = getattr(jax.nn, name, None)
    if reference is not None and set(params) <= set(inspect.signature(reference).parameters):
      try:
        ry, rdy = value_and_derivative(functools.partial(reference, **params), x)
      except TypeError:  # jax.nn rejects some dtypes jaxact accepts
        continue
      bad = ~np.isfinite(np.asarray(rdy, np.float32)) & np.isfinite(np.asarray(dy, np.float32))
      if bad.any():
        print(f"  jax.nn.{name}' = {np.asarray(rdy, np.float32)}   <- non-finite")
  print(f"\n{len(jaxact.available())} activations: {', '.join(jaxact.available())}")


if __name__ == "__main__":
  main()
