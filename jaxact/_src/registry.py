"""Lookup by name: :func:`get` and :func:`available`."""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from typing import Any

from jaxact._src import errors

# Public names that are not activations: the lookup itself and the definition API (with
# its Learnable declaration), and gated, which takes an activation.
_NOT_ACTIVATIONS = frozenset({"get", "available", "gated", "define", "with_derivative",
                              "Learnable"})

# Activations users defined with jaxact.define(..., register=True), by name.
_registered: dict[str, Callable[..., Any]] = {}


def _own() -> dict[str, Callable[..., Any]]:
  import jaxact  # the public names are the registry: nothing to keep in sync

  return {name: getattr(jaxact, name) for name in jaxact.__all__
          if name not in _NOT_ACTIVATIONS}


def _functions() -> dict[str, Callable[..., Any]]:
  return {**_own(), **_registered}


def register(name: str, fn: Callable[..., Any]) -> None:
  """Makes ``fn`` known to :func:`get` and :func:`available` as ``name`` (for
  :func:`jaxact.define`'s ``register``): a name of jaxact's own is refused, the same
  name again replaces the earlier definition."""
  if name in _own():
    errors.fail("define", "name", "not be one of jaxact's own activations when register=True "
                "(pick another name)", repr(name))
  _registered[name] = fn


def available() -> list[str]:
  """The names of every activation in jaxact, and of those defined with
  ``jaxact.define(..., register=True)``, sorted.

  Example:
    >>> import jaxact
    >>> "gelu" in jaxact.available()
    True
  """
  return sorted(_functions())


def get(fn: str | Callable[..., Any], **params: Any) -> Callable[..., Any]:
  """The activation called ``fn``, with ``params`` bound as keyword arguments.

  Args:
    fn: an activation's name (see :func:`available`), or a callable, which is
      returned unchanged (with ``params`` bound, if any).
    **params: keyword arguments to bind, such as ``alpha=0.5`` for ``elu``.

  Returns:
    A callable ``f(x)``.

  Raises:
    ValueError: for an unknown name (the message lists the closest names).
    TypeError: for a parameter the activation does not take.

  Example:
    >>> import jax.numpy as jnp, jaxact
    >>> f = jaxact.get("leaky_relu", negative_slope=0.2)
    >>> f(jnp.array([-1.0, 1.0]))
    Array([-0.2,  1. ], dtype=float32)
  """
  if callable(fn):
    return functools.partial(fn, **params) if params else fn
  functions = _functions()
  if not isinstance(fn, str) or fn not in functions:
    close = difflib.get_close_matches(str(fn), functions, n=5, cutoff=0.5)
    hint = f" (closest: {', '.join(close)})" if close else ""
    errors.fail("get", "fn", "be a callable or one of jaxact.available()",
                f"{fn!r}{hint}")
  function = functions[fn]
  if not params:
    return function
  accepted = list(inspect.signature(function).parameters)[1:]
  unknown = sorted(set(params) - set(accepted))
  if unknown:
    errors.fail("get", "params", f"be parameters of jaxact.{fn} ({', '.join(accepted)})",
                ", ".join(unknown), TypeError)
  return _bound(function, params)


@functools.lru_cache(maxsize=1024)
def _bound_hashable(function: Callable[..., Any], items: tuple) -> Callable[..., Any]:
  return functools.partial(function, **dict(items))


def _bound(function: Callable[..., Any], params: dict[str, Any]) -> Callable[..., Any]:
  """``partial(function, **params)``, the same object for the same hashable params (of
  the last 1024 kept), so that passing ``get("elu", alpha=0.5)`` as a static argument
  to ``jax.jit`` twice does not retrace."""
  items = tuple(sorted(params.items()))
  try:
    hash(items)
  except TypeError:  # array parameters: a fresh partial each time
    return functools.partial(function, **params)
  return _bound_hashable(function, items)
