"""jaxact: activation functions for JAX, exact in every float dtype.

Every public name is re-exported here, one line each, by family; ``__all__`` (and so
:func:`available`, the docs and the test table's completeness check) follows from them.
"""

# Rectifiers
from jaxact._src.rectifiers import hard_tanh as hard_tanh
from jaxact._src.rectifiers import identity as identity
from jaxact._src.rectifiers import relu6 as relu6
from jaxact._src.rectifiers import rrelu as rrelu
from jaxact._src.rectifiers import squared_relu as squared_relu
from jaxact._src.rectifiers import star_relu as star_relu
from jaxact._src.rectifiers import threshold as threshold
from jaxact._src.rectifiers import leaky_relu as leaky_relu
from jaxact._src.rectifiers import prelu as prelu
from jaxact._src.rectifiers import relu as relu

# Shrinkage
from jaxact._src.shrink import hard_shrink as hard_shrink
from jaxact._src.shrink import soft_shrink as soft_shrink
from jaxact._src.shrink import tanh_shrink as tanh_shrink

# Exponential linear units
from jaxact._src.exponential import celu as celu
from jaxact._src.exponential import elu as elu
from jaxact._src.exponential import exponential as exponential
from jaxact._src.exponential import selu as selu

# Sigmoidal
from jaxact._src.sigmoidal import hard_sigmoid as hard_sigmoid
from jaxact._src.sigmoidal import log_sigmoid as log_sigmoid
from jaxact._src.sigmoidal import soft_sign as soft_sign
from jaxact._src.sigmoidal import sparse_sigmoid as sparse_sigmoid
from jaxact._src.sigmoidal import sigmoid as sigmoid
from jaxact._src.sigmoidal import tanh as tanh

# Smooth rectifiers
from jaxact._src.smooth import softplus as softplus
from jaxact._src.smooth import sparse_plus as sparse_plus
from jaxact._src.smooth import squareplus as squareplus

# Self-gated
from jaxact._src.selfgated import gelu as gelu
from jaxact._src.selfgated import silu as silu
from jaxact._src.selfgated import swish as swish
from jaxact._src.selfgated import mish as mish
from jaxact._src.selfgated import hard_silu as hard_silu
from jaxact._src.selfgated import hard_swish as hard_swish

# Parametric
from jaxact._src.parametric import snake as snake
from jaxact._src.parametric import acon_c as acon_c
from jaxact._src.parametric import rational as rational

# Along an axis
from jaxact._src.grouped import maxout as maxout
from jaxact._src.grouped import glu as glu
from jaxact._src.grouped import reglu as reglu
from jaxact._src.grouped import geglu as geglu
from jaxact._src.grouped import swiglu as swiglu
from jaxact._src.grouped import gated as gated
from jaxact._src.grouped import softmax as softmax
from jaxact._src.grouped import log_softmax as log_softmax
from jaxact._src.grouped import sparsemax as sparsemax

# Defining your own
from jaxact._src.define import Learnable as Learnable
from jaxact._src.define import define as define
from jaxact._src.define import with_derivative as with_derivative

# Lookup
from jaxact._src.registry import available as available
from jaxact._src.registry import get as get

__version__ = "0.1.0"

__all__ = sorted(name for name in dir() if not name.startswith("_"))
