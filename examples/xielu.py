r"""xIELU through jaxact's public API: an activation the zoo does not have, defined,
made exact, and learned.

xIELU (Huang & Schlag, *Deriving Activation Functions Using Integration*,
arXiv:2411.13010, 2024; the activation of the Apertus LLMs) integrates a trainable
affine map of the ELU:

.. math::
  \mathrm{xielu}(x) = \begin{cases}
    \alpha_p x^2 + \beta x & x > 0 \\
    \alpha_n (\mathrm{expm1}(\min(x, \epsilon)) - x) + \beta x & x \le 0
  \end{cases}

with :math:`\beta = 0.5` and :math:`\epsilon = -10^{-6}` fixed, and learned
:math:`\alpha_p > 0`, :math:`\alpha_n > \beta`: the paper stores them raw and takes
:math:`\alpha_p = \mathrm{softplus}(r_p)`, :math:`\alpha_n = \beta + \mathrm{softplus}(r_n)`,
both starting at 0.8.

This file is the tutorial's code, in three steps:

1. :data:`xielu_naive`: the formula as written, ``derivative=None`` (autodiff of the
   formula under jaxact's dtype policy). It is NaN at :math:`x = -\infty`, overflows for
   large negative :math:`x` once :math:`\alpha_n > 1`, and its derivative in
   :math:`\alpha_n`, :math:`\mathrm{expm1}(x) - x`, cancels near 0.
2. :data:`xielu`: the same function with formulas that are exact in each regime and a
   derivative rule, with ``checks`` that refuse a concrete :math:`\alpha \le 0`, and a
   ``learnable`` declaration: :math:`\alpha_p` and :math:`\alpha_n` learned, through the
   paper's softplus constraints.
3. Modules: ``jaxact.linen.module(xielu)`` and ``jaxact.nnx.module(xielu)``
   (:data:`XIELU`, the nnx one); ``python examples/train.py --activation xielu:xielu``
   trains it on the digits next to the built-ins.

:func:`reference` is a float64 NumPy reference of the value and the partial
derivatives, written apart from both (tests check it against mpmath).

Run ``python examples/xielu.py`` to print :func:`jaxact.testing.check`'s reports of
both, at the initial parameters and at alpha_n = 1.5 (:func:`audit`).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import jaxact
import jaxact.linen
import jaxact.nnx

BETA = 0.5  # fixed in the paper and in Apertus
EPS = -1e-6
ALPHA_INIT = 0.8  # both alphas start here (Apertus)


# ------------------------------------------------------------------ 1. the formula


@jaxact.define
def xielu_naive(x, alpha_p=ALPHA_INIT, alpha_n=ALPHA_INIT, beta=BETA, eps=EPS):
  """xIELU as written in the paper (autodiff derivative): the "before" of the tutorial."""
  return jnp.where(x > 0, alpha_p * x * x + beta * x,
                   alpha_n * (jnp.expm1(jnp.minimum(x, eps)) - x) + beta * x)


# -------------------------------------------------------- 2. exact, with its rule

# expm1(m) - m, the derivative in alpha_n, is m^2 / 2 + m^3 / 6 + ...: below |m| = 1 it
# is summed as that series (the difference cancels there: by 8 times at m = -0.5, by
# 10^6 at m = -10^-6); past it, the difference loses at most ~2 bits.
_SERIES_BELOW = 1.0


def _terms(dtype) -> int:
  """The series' last power: the next term is below half an ulp for |m| <= 1."""
  return 19 if jnp.finfo(dtype).bits > 32 else 12


def _expm1_minus(m):
  """expm1(m) - m for m <= 0, without cancellation (m = -inf gives inf)."""
  small = m >= -_SERIES_BELOW
  s = jnp.where(small, m, 0.0)
  factorial = [1.0]
  for k in range(1, _terms(m.dtype) + 1):
    factorial.append(factorial[-1] * k)
  poly = 1.0 / factorial[-1]
  for k in range(_terms(m.dtype) - 1, 1, -1):  # Horner: 1/2! + s/3! + s^2/4! + ...
    poly = 1.0 / factorial[k] + s * poly
  series = (s * s) * poly
  big = jnp.where(small, -2.0, m)
  return jnp.where(small, series, jnp.expm1(big) - big)


def _gap(x, eps):
  """min(x, eps) - x: 0 where x <= eps (at x = -inf too, not inf - inf)."""
  return jnp.where(x <= eps, 0.0, eps - x)


def _above_beta(raw, beta):
  """alpha_n = beta + softplus(raw), the paper's constraint alpha_n > beta."""
  return beta + jaxact.softplus(raw)


def _above_beta_inverse(alpha_n, beta):
  v = alpha_n - beta
  return np.where(v > 0, v + np.log(-np.expm1(-np.where(v > 0, v, 1.0))), np.nan)


def _derivative(x, y, alpha_p, alpha_n, beta, eps):
  """The partials in (x, alpha_p, alpha_n, beta, eps). Kinks: at x = 0 the x <= 0 side
  (d/dx = beta - alpha_n; the value jumps by alpha_n expm1(eps) ~ -8e-7 there), at
  x = eps the side of the exponential (d/dx = alpha_n expm1(eps) + beta)."""
  positive = x > 0
  on_exp = x <= eps  # min(x, eps) = x
  xp = jnp.where(positive, x, 0.0)
  xn = jnp.where(positive, 0.0, x)
  # x <= eps: beta + alpha_n expm1(x) = (beta - alpha_n) + alpha_n e^x, whichever adds
  # the smaller terms: the first near 0, the second towards -inf, where the first
  # cancels for alpha_n near beta (by 22 times at x = -5 for alpha_n = 0.55).
  e = jnp.where(on_exp, xn, 0.0)
  em1, ex = jnp.expm1(e), jnp.exp(e)
  near_zero = beta + alpha_n * jnp.abs(em1) <= jnp.abs(beta - alpha_n) + alpha_n * ex
  d_exp = jnp.where(near_zero, beta + alpha_n * em1, (beta - alpha_n) + alpha_n * ex)
  d_x = jnp.where(positive, 2 * (alpha_p * xp) + beta, jnp.where(on_exp, d_exp, beta - alpha_n))
  d_alpha_p = jnp.where(positive, xp * xp, 0.0)
  d_alpha_n = jnp.where(positive, 0.0, _expm1_minus(jnp.minimum(xn, eps)) + _gap(xn, eps))
  d_beta = x
  d_eps = jnp.where(positive | on_exp, 0.0, alpha_n * jnp.exp(eps))
  return d_x, d_alpha_p, d_alpha_n, d_beta, d_eps


@jaxact.define(
    derivative=_derivative,
    checks={"alpha_p": "positive", "alpha_n": "positive", "eps": "finite"},
    learnable={"alpha_p": jaxact.Learnable(constraint="positive", per_channel=False),
               "alpha_n": jaxact.Learnable(constraint=(_above_beta, _above_beta_inverse),
                                           per_channel=False)})
def xielu(x, alpha_p=ALPHA_INIT, alpha_n=ALPHA_INIT, beta=BETA, eps=EPS):
  r"""xIELU, exact: the "after" of the tutorial.

  .. math::
    \mathrm{xielu}(x) = \alpha_p x^2 + \beta x \ (x > 0), \quad
    \alpha_n (\mathrm{expm1}(\min(x, \epsilon)) - x) + \beta x \ (x \le 0)

  computed as :math:`x (\alpha_p x + \beta)` for :math:`x > 0`, as
  :math:`\alpha_n ((\mathrm{expm1}(m) - m) + (m - x)) + \beta x` with the series of
  :math:`\mathrm{expm1}(m) - m` for :math:`-1 \le x \le 0`, and as
  :math:`\alpha_n \mathrm{expm1}(x) + (\beta - \alpha_n) x` below. At :math:`-\infty`
  the value is :math:`+\infty` (for :math:`\alpha_n > \beta`), at :math:`+\infty`
  :math:`+\infty`. Kinks at :math:`x = \epsilon` (the exponential side) and
  :math:`x = 0` (the :math:`x \le 0` side).

  Learnable (``jaxact.linen.module`` / ``jaxact.nnx.module``): ``alpha_p``, the
  softplus of a raw parameter, and ``alpha_n``, ``beta`` + the softplus of one; one of
  each, 0.8 at init, as in the paper.

  Example:
    >>> import jax.numpy as jnp
    >>> print(xielu(jnp.array([-jnp.inf, -5.0, 0.5, 1.0])))
    [   inf 0.7054 0.45   1.3   ]

  References:
    Huang & Schlag, *Deriving Activation Functions Using Integration*,
    arXiv:2411.13010, 2024.
  """
  positive = x > 0
  # x > 0: x (alpha_p x + beta): no x * x, which overflows from x ~ 1.8e19 in float32
  # where alpha_p x^2 + beta x is finite for alpha_p < 1 (the naive alpha_p * x * x is
  # (alpha_p x) x as written, but nothing keeps a compiler from reassociating it).
  xp = jnp.where(positive, x, 1.0)
  ax = jnp.where(alpha_p == 0, 0.0, alpha_p * xp)  # alpha_p = 0 at x = inf: 0, not NaN
  y_pos = xp * (ax + beta)
  # x <= 0, with m = min(x, eps):
  #   near 0 (x >= -1): alpha_n D + beta x, with D = expm1(m) - x = (expm1(m) - m) + (m - x)
  #     free of cancellation (the naive D loses every digit as x -> 0);
  #   below: alpha_n expm1(m) + (beta - alpha_n) x, as x -> -inf the sum of a bounded
  #     term and the asymptote, which overflows only where the value does (alpha_n x
  #     overflows first once alpha_n > 1) and is +inf, not inf - inf, at x = -inf.
  xn = jnp.where(positive, -1.0, x)
  m = jnp.minimum(xn, eps)
  near = xn >= -1
  d = _expm1_minus(jnp.where(near, m, -1.0)) + _gap(xn, eps)
  y_near = alpha_n * d + beta * xn
  slope = beta - alpha_n
  far = jnp.where(near, -2.0, xn)
  y_far = alpha_n * jnp.expm1(jnp.minimum(far, eps)) + jnp.where(slope == 0, 0.0, slope * far)
  return jnp.where(positive, y_pos, jnp.where(near, y_near, y_far))


# ------------------------------------------------------------------- 3. modules

#: ``XIELU()``: the nnx module, raw ``alpha_p`` and ``alpha_n`` of shape (1,), 0.8 each
#: through their constraints; ``LinenXIELU`` is its linen twin.
XIELU = jaxact.nnx.module(xielu, name="XIELU")
LinenXIELU = jaxact.linen.module(xielu, name="XIELU")


# ---------------------------------------------------------------- the reference


def reference(x, alpha_p=ALPHA_INIT, alpha_n=ALPHA_INIT, beta=BETA, eps=EPS):
  """The value and the partials ``(d/dx, d/dalpha_p, d/dalpha_n, d/dbeta, d/deps)`` in
  float64 NumPy, written apart from the definitions above: the negative side from
  ``expm1(m) - m`` summed term by term for ``|m| < 1``, limits at +-inf by hand."""
  x = np.asarray(x, np.float64)
  out = np.broadcast_arrays(*(np.zeros_like(x) for _ in range(6)))
  y, dx, dap, dan, db, de = (np.array(a) for a in out)
  with np.errstate(all="ignore"):
    m = np.minimum(x, eps)
    # expm1(m) - m
    e = np.expm1(m) - m
    small = np.abs(m) < 1
    term = m * m / 2
    total = np.zeros_like(m)
    for k in range(3, 40):
      total = total + term
      term = term * m / k
    e = np.where(small, total, e)
    neg_d = e + (m - x)
    pos = x > 0
    y = np.where(pos, alpha_p * x * x + beta * x, alpha_n * neg_d + beta * x)
    big_neg = x < -1
    y = np.where(big_neg, alpha_n * (np.expm1(m) - x) + beta * x, y)  # float64 suffices
    limit = np.inf if alpha_n > beta else (-np.inf if alpha_n < beta else -alpha_n)
    y = np.where(x == -np.inf, limit, y)
    y = np.where(x == np.inf, np.inf, y)
    dx = np.where(pos, 2 * alpha_p * x + beta,
                  np.where(x <= eps, alpha_n * np.expm1(x) + beta, beta - alpha_n))
    dap = np.where(pos, x * x, 0.0)
    dan = np.where(pos, 0.0, neg_d)
    dan = np.where(x == -np.inf, np.inf, dan)
    db = x.copy()
    de = np.where(pos | (x <= eps), 0.0, alpha_n * np.exp(eps))
  nan = np.isnan(x)
  return tuple(np.where(nan, np.nan, a) for a in (y, dx, dap, dan, db, de))


# ------------------------------------------------------------- 4. the checker

#: The parameters as the function sees them for bfloat16, float16 and float32 inputs:
#: rounded to float32, the compute dtype (eps = -1e-6 is not a float32 number, and the
#: kink of the float32 function is where x equals the rounded eps).
EPS32 = float(np.float32(EPS))


def audit(fn=None, *, quick: bool = False, contexts: bool = True, **params):
  """:func:`jaxact.testing.check` of ``fn`` (:func:`xielu` by default) at ``params``
  against :func:`reference`: the value and d/dx on every bfloat16 and float16 input and
  a float32 sweep, the kinks, +-inf and NaN, the partials in alpha_p and alpha_n, the
  compile contexts and the transforms."""
  from jaxact import testing  # the checker: NumPy and SciPy, jax's own dependencies

  fn = xielu if fn is None else fn
  at = {n: float(np.float32(v)) for n, v in {"eps": EPS, **params}.items()}

  def part(i):
    def ref(x):
      return reference(x, **at)[i]
    ref.__name__ = f"xielu.reference[{i}]"
    return ref

  return testing.check(fn, part(0), derivative=part(1), kinks=(0.0, at["eps"]),
                       params=params, partials={"alpha_p": part(2), "alpha_n": part(3)},
                       quick=quick, contexts=contexts, transforms=contexts)


def main() -> None:
  for params in ({}, {"alpha_n": 1.5}):
    for fn in (xielu_naive, xielu):
      print(f"--- {fn.__name__}({', '.join(f'{k}={v}' for k, v in params.items())})")
      print(audit(fn, **params), flush=True)


if __name__ == "__main__":
  main()
