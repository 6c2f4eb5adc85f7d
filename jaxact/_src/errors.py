"""The one helper that validates arguments and formats every error message.

Messages follow one format, stating the rule and what was received::

    jaxact.maxout: num_pieces must divide x.shape[-1] = 10; got 3.
"""

from __future__ import annotations

from typing import Any, NoReturn

import jax
import numpy as np


def shown(value: Any) -> str:
  """``value`` as an error message shows it: an array (NumPy, JAX or traced) by its
  shape and dtype, never its entries; anything else by its ``repr``."""
  if isinstance(value, (jax.Array, np.ndarray)) or (
      hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic)):
    return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
  return repr(value)


class Qualified(str):
  """A function's name as errors show it, without the ``jaxact.`` prefix: an
  activation a user defined (:func:`jaxact.define`), ``mypkg.acts.xielu``."""


def where(fn: str) -> str:
  """How errors name ``fn``: ``jaxact.gelu``, or a :class:`Qualified` name as it is."""
  return fn if isinstance(fn, Qualified) else f"jaxact.{fn}"


def fail(fn: str, arg: str, expected: str, got: Any,
         error: type[Exception] = ValueError) -> NoReturn:
  """Raises ``error`` with the house message for ``fn``'s argument ``arg``. ``got`` is
  what was received, as text; an array given here is shown by its shape and dtype
  (:func:`shown`), so that no message prints a whole array."""
  if not isinstance(got, str):
    got = shown(got) if hasattr(got, "shape") and not isinstance(got, np.generic) else got
  raise error(f"{where(fn)}: {arg} must {expected}; got {got}.")


def check(ok: bool, fn: str, arg: str, expected: str, got: Any) -> None:
  """Raises ValueError in the house format unless ``ok``."""
  if not ok:
    fail(fn, arg, expected, got)


def concrete(value: Any) -> np.ndarray | None:
  """The value as a NumPy array when it is a Python or NumPy value, else None.

  Only host values are checked: a traced value is unknown at trace time, and reading a
  device array (``jax.Array``) would copy it to the host on every eager call.
  """
  if isinstance(value, (bool, int, float, np.ndarray, np.generic)):
    return np.asarray(value)
  return None


def concrete_real(value: Any) -> np.ndarray | None:
  """The value if it is concrete and real; None if traced (a learnable parameter) or of
  a dtype that the dtype policy rejects with its own TypeError."""
  v = concrete(value)
  if v is None or not (np.issubdtype(v.dtype, np.floating) or np.issubdtype(v.dtype, np.integer)
                       or np.issubdtype(v.dtype, np.bool_)):
    return None
  return v


def check_values(fn: str, arg: str, value: Any, ok, expected: str) -> None:
  """Raises the house ValueError if a concrete, real ``value`` fails ``ok`` anywhere,
  naming the first offending entry; traced (learnable) values are not checked."""
  v = concrete_real(value)
  if v is None:
    return
  good = np.atleast_1d(ok(v))
  if not np.all(good):
    bad = np.broadcast_to(np.atleast_1d(v), good.shape)[~good][0]
    fail(fn, arg, expected, bad.item())


def check_array(fn: str, arg: str, value: Any) -> None:
  """Raises the house TypeError unless ``value`` is an array or a scalar (what
  ``jax.numpy`` functions accept): a list, a tuple, a string or None is refused, as
  jax.nn refuses them, with the fix in the message."""
  if isinstance(value, (jax.Array, np.ndarray, np.generic, bool, int, float, complex)):
    return
  if hasattr(value, "__jax_array__"):  # e.g. a Flax nnx Variable
    return
  if isinstance(value, (list, tuple)):
    fail(fn, arg, "be an array or a scalar, as in jax.nn (convert a "
         f"{type(value).__name__} with jnp.asarray)", f"a {type(value).__name__}", TypeError)
  what = repr(value) if isinstance(value, (str, bytes)) or value is None else (
      f"a value of type {type(value).__name__}")
  fail(fn, arg, "be an array or a scalar", what, TypeError)
