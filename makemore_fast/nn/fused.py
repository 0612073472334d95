"""Fused execution: one kernel call for a run Linear [-> BatchNorm1d] [-> Tanh].

`plan(layers)` cuts a layer list into steps: each maximal run starting at a
Linear becomes a `FusedRun` (ops.linear_bn_tanh_* when a BatchNorm1d follows,
ops.linear_* otherwise); any other layer is its own step.  A step has the
layer interface: `step(x)`, `step.backward(dout)`, `step.infer(x)`.

`step.folded()` gives the run's eval-mode forward with the BatchNorm1d folded
into the Linear (`fold`): one matrix product, a bias and the activation.

A run keeps the layers' observable state as the layer-by-layer path would:
the last layer's `.out`, Tanh's `.out_grad`, the parameters' `.grad`,
BatchNorm's running statistics and num_batches_tracked.  The intermediate
`.out` of the Linear and BatchNorm1d inside a run are derived on first access
(`linear_out`, `bn_out`) from the kernel's cache.
"""
import numpy as np

from .. import ops
from ..constants import SATURATION_THRESHOLD
from .layers import BatchNorm1d, Linear, Tanh
from .parameter import accumulate_grad


def plan(layers):
    """The steps that run `layers` in order, fusing Linear [-> BatchNorm1d] [-> Tanh].

    Only the exact classes are fused: a subclass keeps its own forward.
    """
    steps, i, n = [], 0, len(layers)
    while i < n:
        if type(layers[i]) is not Linear:
            steps.append(layers[i])
            i += 1
            continue
        linear, bn, tanh = layers[i], None, None
        i += 1
        if i < n and type(layers[i]) is BatchNorm1d:
            bn = layers[i]
            i += 1
        if i < n and type(layers[i]) is Tanh:
            tanh = layers[i]
            i += 1
        steps.append(FusedRun(linear, bn, tanh))
    return steps


def fold(linear, bn):
    """(W', b'): Linear -> BatchNorm1d in eval mode as one affine map x @ W' + b'.

    W' = W * gamma / sigma and b' = beta + (b - mu) * gamma / sigma, with
    sigma = sqrt(running_var + eps), mu = running_mean and b the Linear's
    bias (0 without one); from the current arrays, computed in float64 and
    rounded once to the weights' dtype.
    """
    scale = bn.gamma.data / np.sqrt(bn.running_var.astype(np.float64) + bn.eps)
    shift = -bn.running_mean.astype(np.float64)
    if linear.bias is not None:
        shift += linear.bias.data
    dtype = linear.weight.data.dtype
    return ((linear.weight.data * scale).astype(dtype),
            (bn.beta.data + shift * scale).astype(dtype))


class FusedRun:
    """Linear, then optionally BatchNorm1d, then optionally Tanh, in one kernel call."""
    __slots__ = ("linear", "bn", "tanh", "activation", "cache")

    def __init__(self, linear, bn=None, tanh=None):
        self.linear, self.bn, self.tanh = linear, bn, tanh
        self.activation = "tanh" if tanh is not None else None
        self.cache = None

    def _forward(self, x, training, stats=None):
        lin, bn = self.linear, self.bn
        bias = None if lin.bias is None else lin.bias.data
        saturation = self.tanh.saturation if self.tanh is not None else SATURATION_THRESHOLD
        if bn is None:
            return ops.linear_forward(x, lin.weight.data, bias, self.activation,
                                      stats=stats, saturation=saturation)
        return ops.linear_bn_tanh_forward(
            x, lin.weight.data, bn.gamma.data, bn.beta.data, bn.running_mean,
            bn.running_var, bias=bias, training=training, momentum=bn.momentum,
            eps=bn.eps, activation=self.activation, stats=stats, saturation=saturation,
            unbiased=bn.unbiased)

    def __call__(self, x):
        lin, bn, tanh = self.linear, self.bn, self.tanh
        training = bn is not None and bn.training
        stats = tanh.stats if tanh is not None else None     # per-step tracking, in C
        out, self.cache = self._forward(x, training, stats)
        if stats is not None:
            tanh.track(out, None, in_kernel=True)
        if training:
            bn.num_batches_tracked += 1
        # Record .out as the layer-by-layer path would; inner outputs are lazy.
        lin._out, lin._source = None, self
        if bn is not None:
            bn._out, bn._source = None, self
        if tanh is not None:
            tanh.out = out
        elif bn is not None:
            bn._out = out
        else:
            lin._out = out
        return out

    def backward(self, dout):
        lin, bn = self.linear, self.bn
        if self.tanh is not None:
            self.tanh.out_grad = dout
            self.tanh.track(None, dout, in_kernel=self.cache.stats is not None)
        if bn is None:
            dx, dweight, dbias = ops.linear_backward(dout, self.cache)
        else:
            dx, dweight, dbias, dgamma, dbeta = ops.linear_bn_tanh_backward(dout, self.cache)
            accumulate_grad(bn.gamma, dgamma)
            accumulate_grad(bn.beta, dbeta)
        accumulate_grad(lin.weight, dweight)
        if dbias is not None:
            accumulate_grad(lin.bias, dbias)
        return dx

    def infer(self, x):
        return self._forward(x, False)[0]

    def folded(self):
        """This run's eval-mode forward, x -> out, as one `ops.linear_forward`.

        The BatchNorm1d is folded into the Linear now (`fold`), from the
        current parameters and running statistics: later changes to them are
        not seen.  A run without BatchNorm1d has nothing to fold: `infer`.
        """
        if self.bn is None:
            return self.infer
        weight, bias = fold(self.linear, self.bn)
        activation = self.activation

        def forward(x):
            return ops.linear_forward(x, weight, bias, activation)[0]
        return forward

    # -- the inner outputs, derived on demand ---------------------------------

    def linear_out(self):
        """The Linear's output (pre-activation) of the last forward."""
        c, lin = self.cache, self.linear
        if self.bn is not None:
            pre = c.pre                                  # x @ weight, without bias
        else:
            pre = c.x @ lin.weight.data                  # the kernel kept tanh's output only
        return pre if lin.bias is None else pre + lin.bias.data

    def bn_out(self):
        """The BatchNorm1d's output (before tanh) of the last forward."""
        c, bn = self.cache, self.bn
        xhat = (c.pre - c.shift) * c.invstd              # the kernel's normalised pre-activation
        return bn.gamma.data * xhat + bn.beta.data
