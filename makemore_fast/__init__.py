"""makemore_fast: fast CPU kernels for the MLP of "makemore part 3", with its diagnostics.

The lecture's code shape, on C kernels:

    import makemore_fast as mf
    Xtr, Ytr = ...                                   # mf.data.load_splits().train
    model = mf.models.lecture_mlp(seed=42)           # Embedding, 5 x [Linear, BatchNorm1d, Tanh], ...
    history = mf.train(model, Xtr, Ytr)              # the lecture's SGD loop
    mf.split_loss(model, Xdev, Ydev)
    mf.sample(model, 20, seed=0)
    mf.save(model, "model.npz"); model = mf.load("model.npz")

`ops` holds the kernels, `diagnostics` the lecture's four views; their NumPy
oracle is `makemore_fast.reference` (imported by the tests and benchmarks,
never by the library).  See docs/API.md.
"""
import os

# OpenBLAS's workers otherwise spin after each product, holding the core that
# the kernels' passes between products use (docs/ARCHITECTURE.md, Threads).
# Read by each OpenBLAS when it loads; a value the user set is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from . import ops  # noqa: E402
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

__all__ = ["ops", "data", "diagnostics", "models",
           "Embedding", "Linear", "BatchNorm1d", "Tanh", "Sequential", "Layer", "Parameter",
           "calculate_gain", "cross_entropy", "lecture_mlp", "single_layer_bn_mlp",
           "train", "TrainHistory", "split_loss", "calibrate_batchnorm", "sample",
           "save", "load", "to_torch_state_dict", "load_torch_state_dict",
           "set_num_threads", "num_threads", "get_num_threads"]
