"""jaxact: activation functions for JAX, exact in every float dtype.

Every public name is re-exported here, one line each, by family; ``__all__`` (and so
:func:`available`, the docs and the test table's completeness check) follows from them.
"""

# Rectifiers
from jaxact._src.rectifiers import leaky_relu as leaky_relu
from jaxact._src.rectifiers import prelu as prelu
from jaxact._src.rectifiers import relu as relu

# Shrinkage

# Exponential linear units
from jaxact._src.exponential import elu as elu
from jaxact._src.exponential import selu as selu

# Sigmoidal
from jaxact._src.sigmoidal import sigmoid as sigmoid
from jaxact._src.sigmoidal import tanh as tanh

# Smooth rectifiers

# Self-gated
from jaxact._src.selfgated import gelu as gelu

# Parametric

# Along an axis
from jaxact._src.grouped import maxout as maxout

# Lookup
from jaxact._src.registry import available as available
from jaxact._src.registry import get as get

__version__ = "0.1.0"

__all__ = sorted(name for name in dir() if not name.startswith("_"))
