"""What the linen and nnx module tests share: inputs and the finite-difference check."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

C = 4  # channels


def inputs(shape=(6, C), seed=0, dtype=np.float32):
  x = np.random.default_rng(seed).normal(size=shape)
  x[np.abs(x) < 0.05] += 0.1  # away from the kinks at 0, for finite differences
  return jnp.asarray(x, dtype)


def finite_difference_check(loss, params, h=1e-6, rtol=1e-6, atol=1e-9):
  """jax.grad(loss) against central differences, for every entry of every leaf."""
  value_and_grad = jax.jit(jax.value_and_grad(loss))  # one compile for both

  def loss(params):
    return value_and_grad(params)[0]

  grads = value_and_grad(params)[1]
  leaves, tree = jax.tree.flatten(params)
  for i, (leaf, grad) in enumerate(zip(leaves, jax.tree.leaves(grads), strict=True)):
    flat = np.asarray(leaf).ravel()
    numeric = np.empty_like(flat)
    for j in range(flat.size):
      moved = []
      for step in (h, -h):
        new = flat.copy()
        new[j] += step
        moved.append(jax.tree.unflatten(tree, [jnp.asarray(new.reshape(leaf.shape))
                                               if k == i else other
                                               for k, other in enumerate(leaves)]))
      numeric[j] = (float(loss(moved[0])) - float(loss(moved[1]))) / (2 * h)
    np.testing.assert_allclose(np.asarray(grad).ravel(), numeric, rtol=rtol, atol=atol,
                               err_msg=f"leaf #{i} of {tree}")
