"""makemore_fast: fast CPU kernels for the MLP of "makemore part 3", with its diagnostics.

The lecture's code shape, on C kernels:

    import makemore_fast as mf
    Xtr, Ytr = ...                                   # mf.data.load_splits().train
    model = mf.models.lecture_mlp(seed=42)           # Embedding, 5 x [Linear, BatchNorm1d, Tanh], ...
    history = mf.train(model, Xtr, Ytr)              # the lecture's SGD loop
    mf.split_loss(model, Xdev, Ydev)
    mf.sample(model, 20, seed=0)
    mf.save(model, "model.npz"); model = mf.load("model.npz")

`ops` holds the kernels, `reference` their NumPy oracle, `diagnostics` the
lecture's four views; see docs/API.md.
"""
import os

# OpenBLAS's worker threads spin for about 0.1 s after each product (by
# default), holding the second core that the kernels' passes between the
# products would use: on 2 cores that costs the large fused blocks 10-20%
# (docs/PERFORMANCE.md).  With a timeout of 2^4 cycles they sleep at once.
# Read by each OpenBLAS when it loads, so it reaches those loaded after this
# line (SciPy's, which the kernels use, unless scipy.linalg came first); a
# value set by the user is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from . import ops, reference  # noqa: E402
from . import data, diagnostics, models  # noqa: E402
from .checkpoint import load, save  # noqa: E402
from .interop import load_torch_state_dict, to_torch_state_dict  # noqa: E402
from .models import lecture_mlp, single_layer_bn_mlp  # noqa: E402
from .nn import (BatchNorm1d, Embedding, Layer, Linear, Parameter, Sequential, Tanh,  # noqa: E402
                 calculate_gain, cross_entropy)
from .sampling import sample  # noqa: E402
from .threads import get_num_threads, num_threads, set_num_threads  # noqa: E402
from .training import TrainHistory, calibrate_batchnorm, split_loss, train  # noqa: E402

__version__ = "0.1.0"

__all__ = ["ops", "reference", "data", "diagnostics", "models",
           "Embedding", "Linear", "BatchNorm1d", "Tanh", "Sequential", "Layer", "Parameter",
           "calculate_gain", "cross_entropy", "lecture_mlp", "single_layer_bn_mlp",
           "train", "TrainHistory", "split_loss", "calibrate_batchnorm", "sample",
           "save", "load", "to_torch_state_dict", "load_torch_state_dict",
           "set_num_threads", "num_threads", "get_num_threads"]
