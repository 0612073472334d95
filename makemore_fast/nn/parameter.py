"""Parameter, the init gains (calculate_gain) and the helpers the layers share."""
import math

import numpy as np

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0,
          "relu": math.sqrt(2.0), "selu": 3.0 / 4.0}


def calculate_gain(nonlinearity, param=None):
    """The recommended init gain for a nonlinearity, as torch.nn.init.calculate_gain.

    calculate_gain("tanh") == 5/3: the lecture's Kaiming init for tanh layers
    is N(0, 1) * gain / sqrt(fan_in).  "leaky_relu" takes its negative slope
    as `param` (default 0.01).
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; expected one of "
                         f"{sorted([*_GAINS, 'leaky_relu'])}")
    return _GAINS[nonlinearity]


class Parameter:
    """A trainable array: `.data` (updated in place), `.grad` (None or same shape).

    `.name` is the parameter's attribute name in its layer ("weight", "gamma"),
    qualified by its position once in a Sequential ("layers.2.gamma").
    """
    __slots__ = ("data", "grad", "name")

    def __init__(self, data, name=""):
        self.data = data
        self.grad = None
        self.name = name

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    def nelement(self):
        """Number of elements, as torch's Tensor.nelement() (the lecture's parameter count)."""
        return self.data.size

    def __imul__(self, factor):
        # The lecture's init edits: `layer.weight *= 5/3`, `layers[-1].gamma *= 0.1`.
        self.data *= factor
        return self

    def __array__(self, dtype=None, copy=None):
        if dtype is None and not copy:
            return self.data
        return np.array(self.data, dtype=dtype, copy=True)

    def __repr__(self):
        return f"Parameter({self.name or '?'}, shape={self.data.shape}, dtype={self.data.dtype})"


def accumulate_grad(p, g):
    """p.grad += g, where a missing gradient (None) counts as zero."""
    if p.grad is None:
        p.grad = g
    else:
        p.grad += g


def as_generator(rng):
    """A numpy Generator from a Generator, a seed (int) or None (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
