"""The lecture's "PyTorch-ified" layers, running on makemore_fast's C kernels.

Each class reads like its counterpart in "makemore part 3": calling a layer runs
its forward pass and keeps the result in `.out`; `backward(dout)` returns the
gradient for the layer's input and adds the gradients of its parameters into
their `.grad` (torch's rule: gradients accumulate until `zero_grad()`).

These classes are the layer-by-layer path, what a layer used on its own runs;
`Sequential` sends runs of Linear -> BatchNorm1d -> Tanh through the fused
kernels instead (see `fused.py`).

Shapes: B batch, T context length, E embedding size, V vocabulary.
"""
import math

import numpy as np

from .. import ops
from ..constants import SATURATION_THRESHOLD
from ..validation import float_dtype, float_input, positive_int
from .parameter import Parameter, accumulate_grad, as_generator


class Layer:
    """Base class: a `.training` flag, `parameters()`, `zero_grad()`, `config`.

    Subclasses implement `__call__(x)` (forward, keeps `.out`), `backward(dout)`
    and `infer(x)`: an eval-mode forward that records nothing (no `.out`, no
    running-statistics update), used for evaluation and sampling.
    """
    training = True

    def parameters(self):
        """The layer's Parameters, in the lecture's order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self):
        """(attribute name, Parameter) pairs."""
        return []

    def buffers(self):
        """Non-trained state as {name: ndarray} (BatchNorm's running statistics)."""
        return {}

    def zero_grad(self):
        """Forget the accumulated gradients (each `.grad` becomes None)."""
        for p in self.parameters():
            p.grad = None

    @property
    def config(self):
        """The constructor arguments, as a JSON-able dict with the class name as "type"."""
        return {"type": type(self).__name__}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items() if k != "type")
        return f"{type(self).__name__}({args})"


class Embedding(Layer):
    """The lecture's table C with its flatten: idx (B, T) -> (B, T * embedding_dim).

    The output is the concatenation of the T context characters' embeddings,
    in order (the lecture's `C[Xb].view(B, -1)`, i.e. torch's Embedding then
    Flatten).  `weight` is C, (num_embeddings, embedding_dim), initialised N(0, 1).
    Its input is integer, so `backward` returns None.
    """

    def __init__(self, num_embeddings, embedding_dim, *, rng=None, dtype=np.float32):
        self.num_embeddings = positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        self.dtype = float_dtype(dtype)
        table = as_generator(rng).standard_normal((self.num_embeddings, self.embedding_dim))
        self.weight = Parameter(table.astype(self.dtype), "weight")
        self.out = None
        self._idx = None

    def __call__(self, idx):
        self.out = ops.embedding_forward(self.weight.data, idx)
        self._idx = idx
        return self.out

    def backward(self, dout):
        accumulate_grad(self.weight,
                        ops.embedding_backward(dout, self._idx, self.num_embeddings))
        return None

    def infer(self, idx):
        return ops.embedding_forward(self.weight.data, idx)

    def named_parameters(self):
        return [("weight", self.weight)]

    @property
    def config(self):
        return {"type": "Embedding", "num_embeddings": self.num_embeddings,
                "embedding_dim": self.embedding_dim}


class Linear(Layer):
    """x (B, fan_in) @ weight (fan_in, fan_out) + bias: the lecture's layout.

    weight ~ N(0, 1) * gain / sqrt(fan_in) (gain=calculate_gain("tanh") is the
    lecture's Kaiming init for a tanh net); bias starts at zero.

    Inside a fused run of a Sequential, `.out` (the pre-activation) is derived
    on first access from what the kernel kept and the current parameters:
    exact until the parameters are updated.
    """

    def __init__(self, fan_in, fan_out, bias=True, *, gain=1.0, rng=None,
                 dtype=np.float32):
        self.fan_in = positive_int(fan_in, "fan_in")
        self.fan_out = positive_int(fan_out, "fan_out")
        self.dtype = float_dtype(dtype)
        w = as_generator(rng).standard_normal((self.fan_in, self.fan_out))
        w *= float(gain) / math.sqrt(self.fan_in)
        self.weight = Parameter(w.astype(self.dtype), "weight")
        self.bias = Parameter(np.zeros(self.fan_out, self.dtype), "bias") if bias else None
        self._out = None
        self._source = None   # the fused run that computed this layer, if any
        self._cache = None

    @property
    def out(self):
        if self._out is None and self._source is not None:
            self._out = self._source.linear_out()
        return self._out

    def __call__(self, x):
        self._out, self._cache = ops.linear_forward(x, self.weight.data, self._bias())
        self._source = None
        return self._out

    def backward(self, dout):
        dx, dweight, dbias = ops.linear_backward(dout, self._cache)
        accumulate_grad(self.weight, dweight)
        if dbias is not None:
            accumulate_grad(self.bias, dbias)
        return dx

    def infer(self, x):
        return ops.linear_forward(x, self.weight.data, self._bias())[0]

    def _bias(self):
        return None if self.bias is None else self.bias.data

    def named_parameters(self):
        return [("weight", self.weight)] + ([("bias", self.bias)] if self.bias else [])

    @property
    def config(self):
        return {"type": "Linear", "fan_in": self.fan_in, "fan_out": self.fan_out,
                "bias": self.bias is not None}


class BatchNorm1d(Layer):
    """torch.nn.BatchNorm1d over (B, dim): gamma * xhat + beta.

    Training normalises with the batch mean and biased variance (with
    `unbiased=True` the unbiased one, as the lecture's own class:
    `x.var(0)`) and moves running_mean / running_var (unbiased variance,
    either way) by `momentum`, counting the batches in num_batches_tracked;
    eval normalises with the running statistics.  gamma starts at 1, beta at
    0, running_var at 1.

    Inside a fused run of a Sequential, `.out` is derived on first access from
    what the kernel kept and the current gamma/beta: exact until the
    parameters are updated.
    """

    def __init__(self, dim, eps=1e-5, momentum=0.1, *, unbiased=False, dtype=np.float32):
        self.dim = positive_int(dim, "dim")
        self.eps = float(eps)
        self.momentum = float(momentum)
        if not 0.0 <= self.eps < math.inf:
            raise ValueError(f"eps must be finite and >= 0, got {eps!r}")
        if not 0.0 <= self.momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"unbiased must be True or False, got {unbiased!r}")
        self.unbiased = bool(unbiased)
        self.dtype = float_dtype(dtype)
        self.gamma = Parameter(np.ones(self.dim, self.dtype), "gamma")
        self.beta = Parameter(np.zeros(self.dim, self.dtype), "beta")
        self.running_mean = np.zeros(self.dim, self.dtype)
        self.running_var = np.ones(self.dim, self.dtype)
        self.num_batches_tracked = 0
        self._out = None
        self._source = None
        self._cache = None

    @property
    def out(self):
        if self._out is None and self._source is not None:
            self._out = self._source.bn_out()
        return self._out

    def __call__(self, x):
        float_input(x, "x", self.dim, self.dtype)
        if self.training and x.shape[0] < 2:
            raise ValueError(f"BatchNorm1d needs a batch of at least 2 when training, "
                             f"got x of shape {x.shape}")
        self._out, self._cache = self._forward(x, self.training)
        self._source = None
        if self.training:
            self.num_batches_tracked += 1
        return self._out

    def backward(self, dout):
        dx, dgamma, dbeta = ops.batchnorm_backward(dout, self._cache)
        accumulate_grad(self.gamma, dgamma)
        accumulate_grad(self.beta, dbeta)
        return dx

    def infer(self, x):
        float_input(x, "x", self.dim, self.dtype)
        return self._forward(x, False)[0]

    def _forward(self, x, training):
        return ops.batchnorm_forward(x, self.gamma.data, self.beta.data, self.running_mean,
                                     self.running_var, training=training,
                                     momentum=self.momentum, eps=self.eps,
                                     unbiased=self.unbiased)

    def named_parameters(self):
        return [("gamma", self.gamma), ("beta", self.beta)]

    def buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var,
                "num_batches_tracked": np.array(self.num_batches_tracked, np.int64)}

    @property
    def config(self):
        return {"type": "BatchNorm1d", "dim": self.dim, "eps": self.eps,
                "momentum": self.momentum, "unbiased": self.unbiased}


class Tanh(Layer):
    """tanh, elementwise.  After backward, `.out_grad` is the gradient of `.out`
    (the lecture's `layer.out.grad`).

    Per-step statistics (Sequential.track_stats): while `.stats` is a float64
    array of 5, every forward adds [sum t, sum t^2, count |t| > saturation]
    and every backward [sum g, sum g^2] of its output gradient g (ops'
    `stats=`; the fused kernels add them in C); `.stats_count` counts the
    elements [outputs, gradients] seen.  makemore_fast.diagnostics.tracked_stats
    reads them.
    """

    def __init__(self):
        self.out = None
        self.out_grad = None
        self.stats = None
        self.stats_count = None
        self.saturation = SATURATION_THRESHOLD

    def __call__(self, x):
        self.out = np.tanh(x)
        self.track(self.out, None)
        return self.out

    def backward(self, dout):
        self.out_grad = dout
        self.track(None, dout)
        return dout * (1.0 - self.out * self.out)

    def track_stats(self, enabled=True, saturation=SATURATION_THRESHOLD):
        """Start (from zero) or stop accumulating per-step statistics."""
        self.stats = np.zeros(5) if enabled else None
        self.stats_count = np.zeros(2, dtype=np.int64) if enabled else None
        self.saturation = float(saturation)

    def track(self, out, dout, in_kernel=False):
        """Account for a forward output and/or a backward gradient in `.stats`
        (when tracking); with `in_kernel` a fused kernel already added their
        sums, and only the counts move."""
        if self.stats is None:
            return
        if not in_kernel:
            ops.track_stats(self.stats, out, dout, self.saturation)
        if out is not None:
            self.stats_count[0] += out.size
        if dout is not None:
            self.stats_count[1] += dout.size

    def infer(self, x):
        return np.tanh(x)


LAYER_TYPES = {cls.__name__: cls for cls in (Embedding, Linear, BatchNorm1d, Tanh)}


def layer_from_config(spec, dtype):
    """Build a layer (freshly initialised) from its `config` dict."""
    spec = dict(spec)
    cls = LAYER_TYPES.get(spec.pop("type", None))
    if cls is None:
        raise ValueError(f"unknown layer type in config: {spec!r}")
    return cls(**spec) if cls is Tanh else cls(**spec, dtype=dtype)
