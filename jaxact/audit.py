"""``python -m jaxact.audit``: the checker of :mod:`jaxact.testing` from the command line.

Checks one elementwise function, value and derivative, over every finite bfloat16 and
float16 input, a dense float32 sweep, +-inf, NaN, the kinks, the compile contexts and
the transforms, and prints the report (a table; ``--json`` or ``--markdown`` for CI
and docs). Exits 1 when a cell fails, 2 on a usage error.

The function is named as

* a zoo name or a jaxact path: ``gelu``, ``jaxact.gelu`` (checked against
  ``jaxact.testing.references.gelu``);
* a jax.nn path: ``jax.nn.gelu`` (the zoo's reference of the same math with jax.nn's
  defaults: its gelu is the tanh form, its swish is silu);
* any importable callable: ``mypkg.acts:xielu`` or ``mypkg.acts.xielu``, with
  ``--reference mypkg.acts:xielu_ref`` (a float64 NumPy function or a
  ``jaxact.testing.Reference``) and optionally ``--derivative mypkg.acts:xielu_grad``
  (derived when missing: the report says how).

A function along an axis (``log_softmax``, ``softmax``) is checked through its
elementwise slice, ``f(stack([x, 0], -1))[..., 0]``: log_sigmoid and sigmoid.

Examples::

  python -m jaxact.audit jax.nn.gelu --quick
  python -m jaxact.audit gelu --param approximate=False --markdown
  python -m jaxact.audit mypkg.acts:xielu --reference mypkg.acts:xielu_ref --kinks 0
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["main", "resolve"]


def _import(path: str) -> Any:
  """``pkg.mod:attr`` or ``pkg.mod.attr`` (the longest importable module prefix)."""
  if ":" in path:
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
      obj = getattr(obj, part)
    return obj
  parts = path.split(".")
  for i in range(len(parts) - 1, 0, -1):
    try:
      obj = importlib.import_module(".".join(parts[:i]))
    except ImportError:
      continue
    for part in parts[i:]:
      obj = getattr(obj, part)
    return obj
  raise ImportError(f"cannot import {path!r}: expected module:name or module.name")


def _value(text: str) -> Any:
  lowered = text.lower()
  if lowered in ("true", "false"):
    return lowered == "true"
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text


def resolve(target: str, reference: str | None = None, derivative: str | None = None,
            params: dict[str, Any] | None = None) -> tuple[Callable, Any, str]:
  """``(function, reference, name)`` for a target as the command line names it."""
  from jaxact._src.testing import zoo
  from jaxact.testing import Reference

  params = params or {}
  name = target
  if "." not in target and ":" not in target:
    target = f"jaxact.{target}"
  module_path, _, short = target.replace(":", ".").rpartition(".")
  if reference is None and module_path in ("jaxact", "jax.nn"):
    module = importlib.import_module(module_path)
    ref_name, ref_params = short, dict(params)
    if module_path == "jax.nn" and short in zoo.JAX_NN_ALIASES:
      ref_name, extra = zoo.JAX_NN_ALIASES[short]
      ref_params.update(extra)
    fn = zoo.function(short, module, **params)
    ref = zoo.reference(ref_name, **ref_params)
    if short in zoo.SLICES:
      name = f"{name}(stack([x, 0], -1))[..., 0]"
    return fn, ref, name + _args(params)
  if reference is None:
    raise SystemExit(f"jaxact.audit: {name} is not a jaxact or jax.nn function; give its "
                     "float64 reference with --reference module:function.")
  fn = _import(target)
  if params:
    import functools

    fn = functools.partial(fn, **params)
  ref = _import(reference)
  if not isinstance(ref, Reference):
    ref = Reference(ref, None if derivative is None else _import(derivative),
                    name=reference)
  elif derivative is not None:
    import dataclasses

    ref = dataclasses.replace(ref, derivative=_import(derivative), derivative_source="given")
  return fn, ref, name + _args(params)


def _args(params: dict[str, Any]) -> str:
  return f"({', '.join(f'{k}={v!r}' for k, v in params.items())})" if params else ""


def main(argv: Sequence[str] | None = None) -> int:
  parser = argparse.ArgumentParser(
      prog="python -m jaxact.audit", description=__doc__.split("\n\n")[1],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("target", help="gelu, jaxact.gelu, jax.nn.gelu or module:function")
  parser.add_argument("--reference", help="module:function, a float64 NumPy reference")
  parser.add_argument("--derivative", help="module:function, its derivative")
  parser.add_argument("--kinks", default="", help="comma-separated inputs where the "
                      "derivative is a convention, e.g. 0,6")
  parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                      help="a keyword argument of the function (and its zoo reference)")
  parser.add_argument("--dtypes", default="bfloat16,float16,float32",
                      help="comma-separated: bfloat16, float16, float32, float64")
  parser.add_argument("--quick", action="store_true",
                      help="every 37th input of each sweep, contexts in float32 only")
  parser.add_argument("--no-contexts", action="store_true", help="skip the compile contexts")
  parser.add_argument("--no-transforms", action="store_true", help="skip the transforms")
  parser.add_argument("--no-progress", action="store_true", help="no progress bar")
  output = parser.add_mutually_exclusive_group()
  output.add_argument("--json", action="store_true", help="the full report as JSON")
  output.add_argument("--markdown", action="store_true", help="the report as markdown")
  args = parser.parse_args(argv)

  params = {}
  for item in args.param:
    key, sep, value = item.partition("=")
    if not sep:
      parser.error(f"--param takes NAME=VALUE; got {item!r}")
    params[key] = _value(value)
  try:
    fn, ref, name = resolve(args.target, args.reference, args.derivative, params)
  except (ImportError, AttributeError, ValueError) as e:
    print(f"jaxact.audit: {e}", file=sys.stderr)
    return 2

  from jaxact import testing

  kinks = tuple(float(k) for k in args.kinks.split(",") if k.strip())
  report = testing.check(fn, ref, kinks=kinks, name=name, dtypes=args.dtypes.split(","),
                         contexts=not args.no_contexts, transforms=not args.no_transforms,
                         quick=args.quick,
                         progress=not args.no_progress)
  if args.json:
    print(report.to_json(indent=2))
  elif args.markdown:
    print(report.to_markdown(), end="")
  else:
    print(report)
  return 0 if report.ok else 1


if __name__ == "__main__":
  sys.exit(main())
