"""jaxact: activation functions for JAX, exact in every float dtype."""

from jaxact._src.exponential import elu as elu
from jaxact._src.exponential import selu as selu
from jaxact._src.grouped import maxout as maxout
from jaxact._src.rectifiers import leaky_relu as leaky_relu
from jaxact._src.rectifiers import prelu as prelu
from jaxact._src.rectifiers import relu as relu
from jaxact._src.registry import available as available
from jaxact._src.registry import get as get
from jaxact._src.sigmoidal import sigmoid as sigmoid
from jaxact._src.sigmoidal import tanh as tanh
from jaxact._src.smooth import gelu as gelu

__version__ = "0.1.0"

__all__ = [
  "available",
  "elu",
  "gelu",
  "get",
  "leaky_relu",
  "maxout",
  "prelu",
  "relu",
  "selu",
  "sigmoid",
  "tanh",
]
