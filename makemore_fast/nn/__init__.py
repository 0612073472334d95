"""The lecture's layers: Embedding, Linear, BatchNorm1d, Tanh, Sequential.

    from makemore_fast.nn import Embedding, Linear, BatchNorm1d, Tanh, Sequential

`layers.py` holds the layer classes, `fused.py` the fused execution of
Linear -> BatchNorm1d -> Tanh runs, `sequential.py` the container,
`parameter.py` Parameter and calculate_gain.
"""
from ..ops import cross_entropy
from .layers import BatchNorm1d, Embedding, Layer, Linear, Tanh
from .parameter import Parameter, calculate_gain
from .sequential import Sequential

__all__ = ["Parameter", "Layer", "Embedding", "Linear", "BatchNorm1d", "Tanh",
           "Sequential", "calculate_gain", "cross_entropy"]
