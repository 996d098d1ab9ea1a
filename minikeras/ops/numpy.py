"""Numpy-like ops (`keras.ops.numpy`), gathered from the modules they live in.

- `elementwise.py`: arithmetic and math with a gradient (`add`, `multiply`, `exp`, `log`,
  `tanh`, `maximum`, `clip`, `where`, ...);
- `elementwise_generic.py`: more elementwise math, each from one primitive given its
  derivative (`arcsin`, `cosh`, `hypot`, `logaddexp`, `mod`, ...);
- `elementwise_no_gradient.py`: rounding, comparisons, logic and bits (`floor`, `equal`,
  `logical_and`, `isnan`, `bitwise_and`, ...);
- `reductions.py`: `sum`, `mean`, `max`, `prod`, `var`, `std`, `cumsum`, `argmax`, `all`, ...;
- `statistics.py`: `average`, `quantile`, `median`, `corrcoef`, and the NaN-aware reductions
  (`nansum`, `nanmean`, ...);
- `products.py`: `matmul`, `tensordot`, `dot`, `einsum`, `outer`, `kron`, `cross`, `slogdet`;
- `manipulation.py`: shapes and joining (`reshape`, `transpose`, `concatenate`, `stack`,
  `split`, `tile`, `pad`, ...) and `vectorize`;
- `indexing.py`: `take`, `take_along_axis`, `x[key]`, `sort`, `roll`, `tril`, `diagonal`,
  and searching and counting (`nonzero`, `unique`, `bincount`, ...);
- `creation.py`: `zeros`, `ones`, `full`, `arange`, `linspace`, `eye`, `array`, `copy`,
  `size`, `ndim`, ...

Each differentiable op is one small `Function` subclass (forward and backward on numpy
arrays) plus the lowercase function users call, or is written with such ops. Ops without a
gradient (comparisons, `sign`, `argmax`, `floor`, ...) return tensors with no creator, so
nothing flows back through them. The argument handling they share is in `_arguments.py`.

Dtypes follow Keras: float inputs keep their dtype, integer inputs to float-valued math
(`exp`, `mean`, `sqrt`, ...) become `floatx()`, and Python numbers take the dtype of the
tensor beside them. Constants inside the primitives are Python floats (never np.float64,
which would silently promote float32 arrays).
"""

# Each module's ops (its `__all__`), and the primitives behind them for code that builds
# on them (`from minikeras.ops.numpy import Square`).
from minikeras.ops import (
    creation,
    elementwise,
    elementwise_generic,
    elementwise_no_gradient,
    indexing,
    manipulation,
    products,
    reductions,
    statistics,
)
from minikeras.ops._arguments import expand_reduced, normalize_axis  # noqa: F401
from minikeras.ops.creation import *  # noqa: F403
from minikeras.ops.creation import Copy  # noqa: F401
from minikeras.ops.elementwise import *  # noqa: F403
from minikeras.ops.elementwise import (  # noqa: F401
    Clip,
    Cos,
    DivideNoNan,
    Exp,
    Expm1,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Reciprocal,
    Sin,
    Sqrt,
    Square,
    Tan,
    Tanh,
    Where,
)
from minikeras.ops.elementwise_generic import *  # noqa: F403
from minikeras.ops.elementwise_generic import Elementwise, Elementwise2  # noqa: F401
from minikeras.ops.elementwise_no_gradient import *  # noqa: F403
from minikeras.ops.indexing import *  # noqa: F403
from minikeras.ops.indexing import (  # noqa: F401
    Rearrange,
    ScatterAdd,
    Take,
    TakeAlongAxis,
    rearrange_with,
)
from minikeras.ops.manipulation import *  # noqa: F403
from minikeras.ops.manipulation import (  # noqa: F401
    BroadcastTo,
    Concatenate,
    Flip,
    Pad,
    Repeat,
    Split,
    Stack,
    Tile,
)
from minikeras.ops.products import *  # noqa: F403
from minikeras.ops.products import Einsum, SlogDet, TensorDot, parse_einsum  # noqa: F401
from minikeras.ops.reductions import *  # noqa: F403
from minikeras.ops.reductions import (  # noqa: F401
    Cumprod,
    Cumsum,
    Max,
    Mean,
    Min,
    Prod,
    Sum,
    Var,
    spread,
)
from minikeras.ops.statistics import *  # noqa: F403

__all__ = [
    *elementwise.__all__,
    *elementwise_generic.__all__,
    *elementwise_no_gradient.__all__,
    *reductions.__all__,
    *statistics.__all__,
    *products.__all__,
    *manipulation.__all__,
    *indexing.__all__,
    *creation.__all__,
]

# Each op names this module as its own, the one users find it in, whichever part defines
# it: a config that names a function (a `Lambda` layer's) reads "minikeras.ops.numpy".
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
