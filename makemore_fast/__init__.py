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
from . import ops, reference
from . import data, diagnostics, models
from .checkpoint import load, save
from .interop import load_torch_state_dict, to_torch_state_dict
from .models import lecture_mlp, single_layer_bn_mlp
from .nn import (BatchNorm1d, Embedding, Layer, Linear, Parameter, Sequential, Tanh,
                 calculate_gain, cross_entropy)
from .sampling import sample
from .threads import get_num_threads, num_threads, set_num_threads
from .training import TrainHistory, calibrate_batchnorm, split_loss, train

__version__ = "0.1.0"

__all__ = ["ops", "reference", "data", "diagnostics", "models",
           "Embedding", "Linear", "BatchNorm1d", "Tanh", "Sequential", "Layer", "Parameter",
           "calculate_gain", "cross_entropy", "lecture_mlp", "single_layer_bn_mlp",
           "train", "TrainHistory", "split_loss", "calibrate_batchnorm", "sample",
           "save", "load", "to_torch_state_dict", "load_torch_state_dict",
           "set_num_threads", "num_threads", "get_num_threads"]
