r"""One specification per Flax module, from which :mod:`jaxact.linen` and
:mod:`jaxact.nnx` make their classes; imports no flax.

A :class:`Spec` holds what the two frameworks share: the constructor arguments and
their defaults, the learnable parameters (names, shapes, initial values), the
functional activation the module calls and how, and the docstring. The framework
files keep only what differs: how a parameter is created (``self.param`` in linen,
:class:`flax.nnx.Param` in nnx), rngs, and train/eval.

A docstring is a :class:`string.Template`: ``$framework`` is ``linen`` or ``nnx``,
``$other`` the other one, ``$example`` the framework's example, and ``words`` fills in
the phrases that differ between the two.

:func:`from_activation` makes the Spec of a parametric activation from the
:class:`jaxact.Learnable` declarations of its parameters (given to
:func:`jaxact.define`): the modules that :func:`jaxact.linen.module` and
:func:`jaxact.nnx.module` make for a user's activation, and jaxact's own Swish and Snake.
"""

from __future__ import annotations

import dataclasses
import inspect
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np

import jaxact
from jaxact._src import define, errors, modules
from jaxact._src.define import Learnable

FRAMEWORKS = ("linen", "nnx")

# The types of the modules' arguments.
Dtype = Any
Initializer = Callable[..., Any]
Sharding = Sequence[str | None] | None

#: The keyword-only arguments of every module with parameters, with their defaults.
DTYPE_ARGUMENTS = {"dtype": None, "param_dtype": np.float32, "sharding": None}
#: A required argument; :data:`FRAMEWORK_DEFAULT`: a default each framework gives its
#: own (the initializers of its Dense / Linear layer).
REQUIRED = inspect.Parameter.empty
FRAMEWORK_DEFAULT = ...
#: The arguments linen keeps in a field of another name: a linen module's ``init`` is
#: its method.
LINEN_FIELDS = {"init": "init_activation"}


@dataclasses.dataclass(frozen=True)
class Spec:
  """What the linen and nnx versions of one module share.

  Attributes:
    name: the class name.
    arguments: the constructor arguments both frameworks take, in order, with their
      defaults (nnx adds ``in_features`` and ``rngs`` where it documents them).
    doc: the docstring, a :class:`string.Template`.
    example: the lines ``(constructor, input, printed output)`` of the usual example,
      or a mapping framework -> example for a module whose example differs.
    words: framework -> the phrases ``doc`` takes besides ``$framework``, ``$other``
      and ``$example``.
    function: the functional activation a module with parameters calls.
    params: parameter name -> the argument holding its initial value (for Rational,
      the activation its value is fitted to), or the value itself.
    layout: ``"channels"``: ``(num_parameters,)`` parameters along ``axis``;
      ``"shared"``: shape ``(1,)``, one value for every entry; ``"vector"``: Rational's
      coefficient vectors, passed to ``function`` as they are.
    takes_axis: ``function`` takes the 1-D parameters and ``axis`` itself (prelu),
      instead of parameters shaped to broadcast along ``axis``.
    learnable: for a Spec from :func:`from_activation`: parameter name -> its
      :class:`jaxact.Learnable` (``init`` resolved); each parameter's shape and
      constraint come from it, and ``function`` is called with the parameters by
      keyword. Empty for the hand-written Specs.
    fixed: for a Spec from :func:`from_activation`: the activation's parameters that
      are not learnable, each a constructor argument passed on to ``function``.
    qualified: errors name the module without ``jaxact.`` (a user's module).
  """

  name: str
  arguments: Mapping[str, Any]
  doc: str
  example: tuple[str, str, str] | Mapping[str, str] | None
  words: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
  function: Callable[..., jax.Array] | None = None
  params: Mapping[str, str | float] = dataclasses.field(default_factory=dict)
  layout: str = "channels"
  takes_axis: bool = False
  learnable: Mapping[str, Learnable] = dataclasses.field(default_factory=dict)
  fixed: tuple[str, ...] = ()
  qualified: bool = False

  def where(self, framework: str) -> str:
    """The name errors give: ``linen.PReLU`` (shown as ``jaxact.linen.PReLU``), or for a
    user's module ``linen.XIELU`` as it is."""
    where = f"{framework}.{self.name}"
    return errors.Qualified(where) if self.qualified else where

  def docstring(self, framework: str) -> str:
    other = FRAMEWORKS[1 - FRAMEWORKS.index(framework)]
    return string.Template(self.doc).substitute(
        framework=framework, other=other, example=self._example(framework),
        **self.words.get(framework, {}))

  def _example(self, framework: str) -> str:
    if self.example is None:
      return ""
    if isinstance(self.example, Mapping):
      return self.example[framework]
    make, x, output = self.example
    head = f"import jax{', jax' if framework == 'linen' else ''}.numpy as jnp"
    lines = [head, f"from jaxact.{framework} import {self.name}", f"layer = {make}"]
    if framework == "linen":
      lines += [f"x = {x}", "variables = layer.init(jax.random.key(0), x)",
                "print(layer.apply(variables, x))"]
    else:
      lines += [f"print(layer({x}))"]
    prompt = "\n".join(f"    >>> {line}" for line in lines)
    return prompt + "".join(f"\n    {line}" for line in output.splitlines())

  # --------------------------------------------------------------- the parameters

  def argument(self, module: Any, name: str, framework: str) -> Any:
    """The module's value of the constructor argument ``name``."""
    return getattr(module, LINEN_FIELDS.get(name, name) if framework == "linen" else name)

  def shapes(self, module: Any, framework: str) -> dict[str, tuple[int, ...]]:
    """Each parameter's shape, from the module's arguments (validated here)."""
    where = self.where(framework)
    if self.layout == "vector":  # Rational
      n = modules.positive_int(where, "numerator_degree", module.numerator_degree, 0)
      m = modules.positive_int(where, "denominator_degree", module.denominator_degree, 0)
      return {"numerator": (n + 1,), "denominator": (m,)}
    if self.learnable:
      size = 1
      if any(learn.per_channel for learn in self.learnable.values()):
        size = modules.positive_int(where, "num_parameters", module.num_parameters)
      return {name: (size,) if learn.per_channel else (1,)
              for name, learn in self.learnable.items()}
    size = 1
    if self.layout == "channels":
      size = modules.positive_int(where, "num_parameters", module.num_parameters)
    return {name: (size,) for name in self.params}

  def fixed_values(self, module: Any, framework: str) -> dict[str, Any]:
    """The module's values of the activation's parameters that are not learnable."""
    return {name: self.argument(module, name, framework) for name in self.fixed}

  def initial(self, module: Any, framework: str) -> dict[str, np.ndarray]:
    """Each parameter's initial value (float64), from the module's arguments."""
    shapes = self.shapes(module, framework)
    if self.layout == "vector":  # Rational: the fit of the activation ``init``
      numerator, denominator = modules.fit_rational(
          self.argument(module, "init", framework), shapes["numerator"][0] - 1,
          shapes["denominator"][0], self.where(framework))
      return {"numerator": numerator, "denominator": denominator}
    if self.learnable:  # stored raw: the constraint inverted at the initial value
      fixed = self.fixed_values(module, framework)
      raws = {}
      for name, learn in self.learnable.items():
        init = self.argument(module, self.params[name], framework)
        raw = define.constraint_raw(learn, init, fixed)
        expected = "be positive" if learn.constraint == "positive" else (
            "be a value the constraint can take")
        errors.check(np.all(np.isfinite(raw)), self.where(framework), self.params[name],
                     f"{expected} (constraint {learn.constraint!r})", errors.shown(init))
        raws[name] = np.broadcast_to(raw, shapes[name]).copy()
      return raws
    return {name: np.full(shapes[name], self.argument(module, init, framework)
                          if isinstance(init, str) else init, np.float64)
            for name, init in self.params.items()}

  def apply(self, module: Any, x: Any, params: list[Any], framework: str) -> jax.Array:
    """Calls :attr:`function` on ``x`` and the parameters (in :attr:`params` order),
    all in the module's ``dtype``, the parameters shaped to broadcast along ``axis``."""
    if self.learnable:
      return self._apply_declared(module, x, params, framework)
    shape: tuple[int, ...] | None = None
    if self.layout == "channels":
      shape = modules.channel_shape(self.where(framework), np.shape(x), module.axis,
                                    np.shape(params[0])[0])
    elif self.layout == "shared":
      shape = ()
    x, *params = modules.cast(module.dtype, x, *params)
    function: Callable[..., jax.Array] = self.function  # type: ignore[assignment]
    if self.takes_axis:
      return function(x, *params, axis=module.axis)
    if shape is not None:
      params = modules.along(params, shape)
    return function(x, *params)

  def _apply_declared(self, module: Any, x: Any, params: list[Any],
                      framework: str) -> jax.Array:
    """:meth:`apply` for a Spec from :func:`from_activation`: each raw parameter
    through its constraint (in ``param_dtype``), shaped to broadcast along ``axis``
    (or to a scalar), cast to ``dtype``; ``function`` gets them and the fixed
    parameters by keyword."""
    fixed = self.fixed_values(module, framework)
    channels = [np.shape(p)[0] for p, learn in zip(params, self.learnable.values(),
                                                   strict=True) if learn.per_channel]
    shape = () if not channels else modules.channel_shape(
        self.where(framework), np.shape(x), module.axis, channels[0])
    values = [jax.numpy.reshape(define.constraint_value(learn, p, fixed),
                                shape if learn.per_channel else ())
              for p, learn in zip(params, self.learnable.values(), strict=True)]
    x, *values = modules.cast(module.dtype, x, *values)
    function: Callable[..., jax.Array] = self.function  # type: ignore[assignment]
    return function(x, **dict(zip(self.learnable, values, strict=True)), **fixed)


# Module arguments a parameter's name may not take: the modules' own.
_RESERVED = {"num_parameters", "axis", *DTYPE_ARGUMENTS, "name", "parent", "init", "apply",
             "params", "variables", "scope", "rngs", "train", "eval", "setup", "spec"}


def _camel(name: str) -> str:
  """``beta_swish`` -> ``BetaSwish``: the class name of an activation's module."""
  return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def from_activation(function: Callable[..., jax.Array],
                    learnable: Mapping[str, Learnable | None] | Sequence[str] | None = None,
                    *, name: str | None = None, where: str = "module",
                    doc: str | None = None,
                    example: tuple[str, str, str] | Mapping[str, str] | None = None,
                    words: Mapping[str, Mapping[str, str]] | None = None,
                    qualified: bool = True) -> Spec:
  """The Spec of the module that learns ``function``'s parameters.

  Args:
    function: the activation, ``function(x, *params)``.
    learnable: its learnable parameters, as :func:`jaxact.define` takes them; None:
      ``function.learnable`` (declared by :func:`jaxact.define`).
    name: the class name; default the activation's name in CamelCase.
    where: the factory errors name (``linen.module``).
    doc, example, words: as :class:`Spec`'s; default a docstring made from the
      declaration and no example.
    qualified: errors name the module without ``jaxact.`` (a user's).

  The constructor arguments are, in order: ``<p>_init`` for each learnable parameter
  ``p``; ``num_parameters`` and ``axis`` if one is per channel; each parameter that is
  not learnable, with the activation's default (keyword-only ``dtype``,
  ``param_dtype`` and ``sharding`` follow, see :func:`signature`).
  """
  activation_name = getattr(function, "__name__", None) or repr(function)
  if not callable(function):
    errors.fail(where, "activation", "be an activation made by jaxact.define",
                repr(function), TypeError)
  try:
    signature = inspect.signature(function)
  except (TypeError, ValueError):
    errors.fail(where, "activation", "have a signature (x, *params)", repr(function),
                TypeError)
  parameters = list(signature.parameters.values())[1:]
  if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
    errors.fail(where, "activation", "take each parameter by name (not *params)",
                f"{activation_name}{signature}", TypeError)
  if learnable is None:
    declared = getattr(function, "learnable", None)
    if not declared:
      errors.fail(where, "activation", "declare learnable parameters "
                  "(jaxact.define(..., learnable=...)), or pass learnable=", activation_name)
    learnable = declared
  learnable = define._learnables(where, learnable, parameters)
  if not learnable:
    errors.fail(where, "learnable", "name at least one parameter", "none")
  fixed = [p for p in parameters if p.name not in learnable]
  for p in fixed:
    if p.default is inspect.Parameter.empty:
      errors.fail(where, "activation", f"give its parameter {p.name} a default, or make it "
                  "learnable (a module needs a value for each)", f"{activation_name}{signature}")
  arguments: dict[str, Any] = {f"{p}_init": learn.init for p, learn in learnable.items()}
  if any(learn.per_channel for learn in learnable.values()):
    arguments.update(num_parameters=1, axis=-1)
  arguments.update({p.name: p.default for p in fixed})
  clash = sorted((set(learnable) | {p.name for p in fixed}) & _RESERVED
                 | set(learnable) & set(arguments))
  if clash:
    errors.fail(where, "activation", "have no parameter named as an argument of the "
                f"module ({', '.join(sorted(_RESERVED))}, or <learnable>_init)",
                ", ".join(clash))
  name = name or _camel(activation_name)
  if not name.isidentifier():
    errors.fail(where, "name", "be an identifier", repr(name))
  return Spec(name=name, arguments=arguments, function=function,
              params={p: f"{p}_init" for p in learnable}, learnable=learnable,
              fixed=tuple(p.name for p in fixed), qualified=qualified,
              doc=doc if doc is not None else _declared_doc(name, function, learnable,
                                                            arguments, fixed),
              example=example, words=words or {})


def _declared_doc(name: str, function: Callable[..., Any], learnable: Mapping[str, Learnable],
                  arguments: Mapping[str, Any], fixed: Sequence[inspect.Parameter]) -> str:
  """The docstring of a module from :func:`from_activation` (a :class:`string.Template`)."""
  target = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"
  target = target.lstrip(".").replace("$", "$$")
  summary = (inspect.getdoc(function) or "").strip().split("\n")[0].replace("$", "$$")
  learned = ", ".join(f"``{p}``" for p in learnable)
  args = [f"    {p}_init: the initial ``{p}`` (default {learn.init!r})."
          for p, learn in learnable.items()]
  if "num_parameters" in arguments:
    args += [_CHANNEL_ARGS]
  args += [f"    {p.name}: fixed, passed to the activation (default {p.default!r})."
           for p in fixed]
  args += [_dtype_doc("parameters", "the parameters' axis")]
  shown = []
  for p, learn in learnable.items():
    shape = "``(num_parameters,)``" if learn.per_channel else "``(1,)``"
    if learn.constraint is None:
      how = f"initialised to ``{p}_init``"
    elif learn.constraint == "positive":
      how = (f"stored raw: the activation gets ``softplus(raw) > 0``, initialised to "
             f"``{p}_init``")
    else:
      how = f"stored raw through a constraint, initialised to ``{p}_init``"
    shown.append(f"    ``{p}``: shape {shape}, {how}.")
  return (f"""{name}: :func:`{target}` with learned {learned}, as a Flax $framework module.

  {summary}

  Args:
""" + "\n".join(args) + """

  Parameters:
""" + "\n".join(shown) + f"""

  See also:
    :func:`{target}`, :func:`jaxact.$framework.module`.
  """)


def signature(spec: Spec) -> dict[str, Any]:
  """Every constructor argument of ``spec``'s module with its default, in order."""
  if spec.params:
    return {**spec.arguments, **DTYPE_ARGUMENTS}
  return dict(spec.arguments)


_CHANNEL_ARGS = """\
    num_parameters: 1 (shared) or the number of channels, ``x.shape[axis]``.
    axis: the channel axis (default -1)."""

_CHANNEL_RAISES = """\
  Raises:
    ValueError: if ``num_parameters`` is neither 1 nor ``x.shape[axis]``."""


def _dtype_doc(stored: str, axis: str) -> str:
  """The Args lines of ``dtype``, ``param_dtype`` and ``sharding``."""
  return f"""\
    dtype: keyword-only, the computation dtype (default: the input's).
    param_dtype: keyword-only, the dtype of the stored {stored} (default float32).
    sharding: keyword-only, mesh axis names for {axis}, such as
      ``("model",)``; default None (plain parameters, as flax's own layers)."""


PRELU = Spec(
    name="PReLU",
    arguments={"num_parameters": 1, "negative_slope_init": 0.25, "axis": -1},
    function=jaxact.prelu,
    params={"negative_slope": "negative_slope_init"},
    takes_axis=True,
    example=("PReLU(num_parameters=2)", "jnp.array([[-1.0, -2.0], [3.0, 4.0]])",
             "[[-0.25 -0.5 ]\n [ 3.    4.  ]]"),
    words={"linen": {"flax_prelu": "``flax.linen.PReLU`` (and ``flax.nnx.PReLU``)"},
           "nnx": {"flax_prelu": "``flax.nnx.PReLU`` (and ``flax.linen.PReLU``)"}},
    doc=r"""Parametric ReLU with a learned negative slope per channel (or one shared).

  Calls :func:`jaxact.prelu`: :math:`x` for :math:`x \ge 0`, :math:`a_c x` otherwise.

  Args:
    num_parameters: the number of slopes: 1 (shared) or the number of channels,
      ``x.shape[axis]``.
    negative_slope_init: the initial slope, 0.25 as in He et al. (2015).
    axis: the channel axis the slopes run along (default -1, channels last).
""" + _dtype_doc("slopes", "the slopes' one axis") + r"""

  Parameters:
    ``negative_slope``: shape ``(num_parameters,)``, initialised to
    ``negative_slope_init``.

""" + _CHANNEL_RAISES + r"""

  Example:
$example

  References:
    He, Zhang, Ren & Sun, *Delving Deep into Rectifiers: Surpassing Human-Level
    Performance on ImageNet Classification*, ICCV 2015.

  .. note:: $flax_prelu has a single scalar slope
    initialised to 0.01; this one has one slope per channel (or one shared, with
    ``num_parameters=1``) initialised to He et al.'s 0.25, as PyTorch's ``nn.PReLU``.

  See also:
    :func:`jaxact.prelu`, :class:`jaxact.$other.PReLU`, :class:`RReLU`.
  """)

MAXOUT = Spec(
    name="Maxout",
    arguments={"features": REQUIRED, "num_pieces": REQUIRED, "use_bias": True,
               "dtype": None, "param_dtype": np.float32, "precision": None,
               "kernel_init": FRAMEWORK_DEFAULT, "bias_init": FRAMEWORK_DEFAULT,
               "sharding": None},
    function=jaxact.maxout,
    example={
        "linen": """\
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import Maxout
    >>> layer = Maxout(features=3, num_pieces=2)
    >>> variables = layer.init(jax.random.key(0), jnp.ones((5, 4)))
    >>> layer.apply(variables, jnp.ones((5, 4))).shape
    (5, 3)""",
        "nnx": """\
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> from jaxact.nnx import Maxout
    >>> layer = Maxout(4, features=3, num_pieces=2, rngs=nnx.Rngs(0))
    >>> layer(jnp.ones((5, 4))).shape
    (5, 3)"""},
    words={"linen": {"Dense": "Dense", "in_features": "", "dense_class": "flax.linen.Dense",
                     "precision": "the Dense layer's matmul precision",
                     "annotation": "annotation,\n      e.g. when ``kernel_init`` is "
                                   "already partitioned",
                     "rngs": "", "path": "/"},
           "nnx": {"Dense": "Linear",
                   "in_features": "\n    in_features: the number of input features.",
                   "dense_class": "flax.nnx.Linear", "precision": "the matmul precision",
                   "annotation": "annotation",
                   "rngs": "\n    rngs: the :class:`flax.nnx.Rngs` the kernel is initialised "
                           "from.",
                   "path": "."}},
    doc=r"""Maxout unit: a $Dense layer to ``features * num_pieces`` outputs, then maxout.

  Each output feature is the maximum of ``num_pieces`` affine functions of the input
  (:func:`jaxact.maxout` over groups of consecutive $Dense outputs), acting on the last
  axis.

  Args:$in_features
    features: the number of output features.
    num_pieces: the number of affine pieces each output takes the maximum of.
    use_bias: keyword-only, whether the $Dense layer has a bias (default True).
    dtype: keyword-only, the computation dtype (default: inferred as by
      :class:`$dense_class`).
    param_dtype: keyword-only, the dtype of the stored kernel and bias.
    precision: keyword-only, $precision.
    kernel_init: keyword-only, the kernel initializer (default LeCun normal, as $Dense).
    bias_init: keyword-only, the bias initializer (default zeros).
    sharding: keyword-only, mesh axis names for the kernel's ``(in, out)`` axes, e.g.
      ``(None, "model")``; the bias takes the last; default None (no $annotation).$rngs

  Parameters:
    ``dense${path}kernel``: shape ``(in_features, features * num_pieces)``;
    ``dense${path}bias``: shape ``(features * num_pieces,)``.

  Example:
$example

  References:
    Goodfellow, Warde-Farley, Mirza, Courville & Bengio, *Maxout Networks*, ICML 2013.

  See also:
    :func:`jaxact.maxout`, :class:`jaxact.$other.Maxout`.
  """)

# Swish and Snake are made as a user's module is, from the declaration of their
# learnable parameter (their docs are their own).
SWISH = from_activation(
    jaxact.swish, {"beta": Learnable()}, name="Swish", qualified=False,
    example=("Swish()", "jnp.array([-2.0, 0.0, 1.0, 3.0])",
             "[-0.2384  0.      0.7311  2.8577]"),
    doc=r"""Swish with a learned slope :math:`\beta` per channel (or one shared).

  Calls :func:`jaxact.swish`: :math:`x\,\sigma(\beta x)`.

  Args:
    beta_init: the initial :math:`\beta`, 1 (SiLU) as in Ramachandran et al. (2017).
""" + _CHANNEL_ARGS + "\n" + _dtype_doc(r":math:`\beta`", r":math:`\beta`'s axis") + r"""

  Parameters:
    ``beta``: shape ``(num_parameters,)``, initialised to ``beta_init``.

""" + _CHANNEL_RAISES + r"""

  Example:
$example

  References:
    Ramachandran, Zoph & Le, *Searching for Activation Functions*, arXiv:1710.05941,
    2017.

  See also:
    :func:`jaxact.swish`, :class:`jaxact.$other.Swish`, :class:`AconC`.
  """)

SNAKE = from_activation(
    jaxact.snake, {"alpha": Learnable()}, name="Snake", qualified=False,
    example=("Snake()", "jnp.array([-1.0, 0.0, 1.0])", "[-0.2919  0.      1.7081]"),
    doc=r"""Snake with a learned frequency :math:`\alpha` per channel (or one shared).

  Calls :func:`jaxact.snake`: :math:`x + \sin^2(\alpha x)/\alpha`.

  Args:
    alpha_init: the initial :math:`\alpha`, 1 as in Ziyin, Hartwig & Ueda (2020).
""" + _CHANNEL_ARGS + "\n" + _dtype_doc(r":math:`\alpha`", r":math:`\alpha`'s axis") + r"""

  Parameters:
    ``alpha``: shape ``(num_parameters,)``, initialised to ``alpha_init``.

""" + _CHANNEL_RAISES + r"""

  Example:
$example

  References:
    Liu Ziyin, Tilman Hartwig & Masahito Ueda, *Neural Networks Fail to Learn
    Periodic Functions and How to Fix It*, NeurIPS 2020.

  See also:
    :func:`jaxact.snake`, :class:`jaxact.$other.Snake`.
  """)

RRELU = Spec(
    name="RReLU",
    arguments={"lower": 1.0 / 8, "upper": 1.0 / 3, "deterministic": None,
               "rng_collection": "rrelu"},
    function=jaxact.rrelu,
    example={
        "linen": """\
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import RReLU
    >>> x = jnp.array([-2.0, -1.0, 3.0])
    >>> print(RReLU().apply({}, x, deterministic=True))
    [-0.4583 -0.2292  3.    ]
    >>> y = RReLU().apply({}, x, deterministic=False, rngs={"rrelu": jax.random.key(0)})
    >>> bool(jnp.all((y[:2] <= x[:2] / 8) & (y[:2] >= x[:2] / 3)))
    True""",
        "nnx": """\
    >>> import jax.numpy as jnp
    >>> from flax import nnx
    >>> from jaxact.nnx import RReLU
    >>> layer = RReLU(rngs=nnx.Rngs(0))
    >>> x = jnp.array([-2.0, -1.0, 3.0])
    >>> y = layer(x)
    >>> bool(jnp.all((y[:2] <= x[:2] / 8) & (y[:2] >= x[:2] / 3)))
    True
    >>> layer.eval()
    >>> print(layer(x))
    [-0.4583 -0.2292  3.    ]"""},
    words={
        "linen": {
            "modes": """\
While training (``deterministic=False``) every element
  gets its own slope drawn uniformly from ``[lower, upper]`` with a fresh key from the
  ``rng_collection`` stream (``"rrelu"`` by default, so pass
  ``rngs={"rrelu": key}`` to ``apply``); at evaluation (``deterministic=True``) the
  slope is the mean ``(lower + upper) / 2``. This is the ``deterministic`` /
  ``rng_collection`` pattern of :class:`flax.linen.Dropout`.""",
            "mode_args": """\
    deterministic: if True, use the mean slope; if False, draw random slopes; may
      instead be given to ``__call__``.
    rng_collection: the RNG stream the slopes are drawn from (default ``"rrelu"``)."""},
        "nnx": {
            "modes": """\
While training (``deterministic=False``, the default, or
  after ``model.train()``) every element gets its own slope drawn uniformly from
  ``[lower, upper]`` with a fresh key from the ``rng_collection`` stream (``"rrelu"``;
  :class:`flax.nnx.Rngs` falls back to its ``default`` stream if it has none); at
  evaluation (``deterministic=True``, or after ``model.eval()``) the slope is the mean
  ``(lower + upper) / 2``. This is :class:`flax.nnx.Dropout`'s pattern.""",
            "mode_args": """\
    deterministic: keyword-only; True for the mean slope, False (default) for random
      slopes; ``model.train()`` / ``model.eval()`` set it.
    rng_collection: keyword-only, the RNG stream the slopes are drawn from.
    rngs: keyword-only, the :class:`flax.nnx.Rngs` (or stream) to fork the slopes'
      stream from; may instead be given to ``__call__``."""}},
    doc=r"""Randomized leaky ReLU: a random negative slope while training, the mean at eval.

  Calls :func:`jaxact.rrelu`. $modes No parameters.

  Args:
    lower: the lower bound of the slopes (default 1/8, as Xu et al. and PyTorch).
    upper: the upper bound of the slopes (default 1/3).
$mode_args

  Example:
$example

  References:
    Xu, Wang, Chen & Li, *Empirical Evaluation of Rectified Activations in
    Convolutional Network*, arXiv:1505.00853, 2015.

  See also:
    :func:`jaxact.rrelu`, :class:`jaxact.$other.RReLU`, :class:`PReLU`.
  """)

ACONC = Spec(
    name="AconC",
    arguments={"num_parameters": 1, "axis": -1},
    function=jaxact.acon_c,
    params={"p1": 1.0, "p2": 0.0, "beta": 1.0},
    example=("AconC()", "jnp.array([-2.0, 0.0, 1.0, 3.0])",
             "[-0.2384  0.      0.7311  2.8577]"),
    doc=r"""ACON-C: a learned switch between linear and non-linear, per channel.

  Calls :func:`jaxact.acon_c`:
  :math:`(p_1 - p_2)\,x\,\sigma(\beta (p_1 - p_2) x) + p_2 x`.

  Args:
""" + _CHANNEL_ARGS + "\n" + _dtype_doc("parameters", "the parameters' axis") + r"""

  Parameters:
    ``p1``: shape ``(num_parameters,)``, initialised to 1.
    ``p2``: shape ``(num_parameters,)``, initialised to 0.
    ``beta``: shape ``(num_parameters,)``, initialised to 1 (the unit starts as SiLU).

""" + _CHANNEL_RAISES + r"""

  Example:
$example

  References:
    Ma, Zhang, Liu, Zhang & Sun, *Activate or Not: Learning Customized Activation*,
    CVPR 2021.

  .. note:: The authors' code draws :math:`p_1, p_2` from a standard normal; here they
    start at 1 and 0 so that an untrained unit is exactly Swish.

  See also:
    :func:`jaxact.acon_c`, :class:`jaxact.$other.AconC`, :class:`Swish`.
  """)

RATIONAL = Spec(
    name="Rational",
    arguments={"numerator_degree": 5, "denominator_degree": 4, "init": "leaky_relu"},
    function=jaxact.rational,
    params={"numerator": "init", "denominator": "init"},
    layout="vector",
    example={
        "linen": """\
    >>> import jax, jax.numpy as jnp
    >>> from jaxact.linen import Rational
    >>> layer = Rational(init="tanh")
    >>> x = jnp.linspace(-3.0, 3.0, 13)
    >>> variables = layer.init(jax.random.key(0), x)
    >>> bool(jnp.max(jnp.abs(layer.apply(variables, x) - jnp.tanh(x))) < 1e-5)
    True""",
        "nnx": """\
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import Rational
    >>> layer = Rational(init="tanh")
    >>> x = jnp.linspace(-3.0, 3.0, 13)
    >>> bool(jnp.max(jnp.abs(layer(x) - jnp.tanh(x))) < 1e-5)
    True"""},
    words={"linen": {"when": "init", "init_note": " (``init`` is a method of linen\n"
                     "      modules, so the constructor stores it in the field "
                     "``init_activation``.)"},
           "nnx": {"when": "construction", "init_note": ""}},
    doc=r"""Rational activation (safe Padé unit) with learned coefficients.

  Calls :func:`jaxact.rational`:
  :math:`P(x) / (1 + |b_1 x + \dots + b_m x^m|)`, :math:`P(x) = a_0 + \dots + a_n x^n`.

  At $when the coefficients are the least-squares fit of the activation ``init`` on
  :math:`[-3, 3]`, as Molina et al. initialise their units from leaky ReLU. The fit
  (float64 NumPy, 1201 equispaced points): the linearised least squares fit of
  :math:`P(x) - B(x) f(x) \approx f(x)` and the least-squares polynomial are each
  refined by Levenberg-Marquardt steps on the true residual :math:`P/(1 + |B|) - f`,
  and the better is kept. It is deterministic and cached per name and degrees.

  Args:
    numerator_degree: :math:`n` (default 5).
    denominator_degree: :math:`m` (default 4; 0 gives a polynomial).
    init: the activation fitted at $when: a name for :func:`jaxact.get` (default
      ``"leaky_relu"``, slope 0.01) or a callable.$init_note
""" + _dtype_doc("coefficients", "the coefficient vectors' axis") + r"""

  Parameters:
    ``numerator``: shape ``(n + 1,)``, :math:`a_0, \dots, a_n`;
    ``denominator``: shape ``(m,)``, :math:`b_1, \dots, b_m`.

  Example:
$example

  References:
    Molina, Schramowski & Kersting, *Padé Activation Units: End-to-end Learning of
    Flexible Activation Functions in Deep Networks*, ICLR 2020.

  See also:
    :func:`jaxact.rational`, :class:`jaxact.$other.Rational`.
  """)

STAR_RELU = Spec(
    name="StarReLU",
    arguments={"scale_init": 0.8944, "bias_init": -0.4472},
    function=jaxact.star_relu,
    params={"scale": "scale_init", "bias": "bias_init"},
    layout="shared",
    example=("StarReLU()", "jnp.array([-1.0, 0.0, 1.0, 2.0])",
             "[-0.4472 -0.4472  0.4472  3.1304]"),
    doc=r"""StarReLU with a learned scale and bias: :math:`s \max(x, 0)^2 + b`.

  Calls :func:`jaxact.star_relu`.

  Args:
    scale_init: keyword-only, the initial scale :math:`s` (default 0.8944, as Yu et
      al.: :math:`1/\sqrt{1.25}`).
    bias_init: keyword-only, the initial bias :math:`b` (default -0.4472,
      :math:`-0.5/\sqrt{1.25}`).
""" + _dtype_doc("scale and bias", "the parameters' axis") + r"""

  Parameters:
    ``scale``, ``bias``: shape ``(1,)``, shared by every entry (as in the paper).

  Example:
$example

  References:
    Yu, Si, Zhou, Wang & Yan, *MetaFormer Baselines for Vision*, arXiv:2210.13452, 2022.

  See also:
    :func:`jaxact.star_relu`, :class:`jaxact.$other.StarReLU`.
  """)

ACTIVATION = Spec(
    name="Activation",
    arguments={"fn": REQUIRED, "params": {}},
    example={
        "linen": """\
    >>> import jax.numpy as jnp
    >>> from jaxact.linen import Activation
    >>> layer = Activation("leaky_relu", negative_slope=0.2)
    >>> print(layer.apply({}, jnp.array([-1.0, 2.0])))
    [-0.2  2. ]""",
        "nnx": """\
    >>> import jax.numpy as jnp
    >>> from jaxact.nnx import Activation
    >>> layer = Activation("leaky_relu", negative_slope=0.2)
    >>> print(layer(jnp.array([-1.0, 2.0])))
    [-0.2  2. ]"""},
    words={"linen": {"params": """\
    params: a mapping of keyword arguments for ``fn`` (the field they are stored in);
      more may be given as keywords: ``Activation("gelu", approximate=False)``."""},
           "nnx": {"params": "    **params: keyword arguments for ``fn``."}},
    doc=r"""Any jaxact activation as a module: ``Activation(fn, **params)``.

  Calls ``jaxact.get(fn, **params)(x)``. No parameters (``params`` are fixed
  keyword arguments, such as ``approximate=False`` for gelu); for learnable ones use
  the dedicated modules.

  Args:
    fn: an activation's name (see :func:`jaxact.available`) or a callable.
$params

  Raises:
    ValueError: for an unknown name, when the module is constructed.
    TypeError: for a keyword ``fn`` does not take.

  Example:
$example

  See also:
    :func:`jaxact.get`, :class:`jaxact.$other.Activation`.
  """)

#: Every module, by class name, in the order of ``__all__``.
SPECS = {spec.name: spec for spec in (ACTIVATION, ACONC, MAXOUT, PRELU, RRELU, RATIONAL,
                                      SNAKE, STAR_RELU, SWISH)}
