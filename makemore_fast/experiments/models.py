"""`build_model(config)`: the net a Config describes, from makemore_fast.nn layers.

Weights are drawn from one NumPy Generator seeded with config.seed, in the
notebook's order (C, then each Linear's W and, when drawn, its b), in float64,
then cast: `build_model(Config(seed=s))` is `lecture_mlp(seed=s)`, and the
lecture-init preset's BatchNorm run is `single_layer_bn_mlp(seed=s)`.
"""
import math

import numpy as np

from ..nn import BatchNorm1d, Embedding, Linear, Sequential, Tanh


def build_model(config, vocab_size=27):
    """The Sequential of `config` (see experiments.config for the init fields)
    for a vocabulary of `vocab_size` tokens (the names': 27)."""
    rng = np.random.default_rng(config.seed)
    dtype = np.dtype(config.dtype)
    layers = [Embedding(vocab_size, config.n_embd, rng=rng, dtype=dtype)]
    fan_in = config.n_embd * config.block_size
    for k in range(config.n_layers):
        first = k == 0
        scale = config.w1_scale if first else None
        # Linear's init is N(0, 1) * gain / sqrt(fan_in): a hand-picked
        # factor s is the gain s * sqrt(fan_in).
        gain = config.gain if scale is None else scale * math.sqrt(fan_in)
        linear = Linear(fan_in, config.n_hidden, bias=not config.batchnorm, gain=gain,
                        rng=rng, dtype=dtype)
        if first and config.b1_scale is not None:
            _draw_bias(linear, config.b1_scale, rng)
        layers.append(linear)
        if config.batchnorm:
            layers.append(BatchNorm1d(config.n_hidden, momentum=config.bn_momentum,
                                      unbiased=config.unbiased, dtype=dtype))
        layers.append(Tanh())
        fan_in = config.n_hidden
    layers += _output(config, fan_in, vocab_size, rng, dtype)
    return Sequential(layers)


def _output(config, fan_in, vocab_size, rng, dtype):
    """The output Linear (and BatchNorm), the lecture's way for each net.

    With an output BatchNorm (the deep net): Linear(no bias) with the Kaiming
    gain (the lecture's gain loop over layers[:-1] includes it), gamma *=
    output_scale.  Without (the deep net without BatchNorm): the gain loop
    stops before it, its weight *= output_scale.  w2_scale overrides both.
    """
    bn = config.has_output_batchnorm
    if config.w2_scale is not None:
        gain = config.w2_scale * math.sqrt(fan_in)
    else:
        gain = config.gain if bn else 1.0
    linear = Linear(fan_in, vocab_size, bias=not bn, gain=gain, rng=rng, dtype=dtype)
    if config.b2_scale is not None:
        _draw_bias(linear, config.b2_scale, rng)
    if not bn:
        if config.w2_scale is None:
            linear.weight *= config.output_scale
        return [linear]
    norm = BatchNorm1d(vocab_size, momentum=config.bn_momentum, unbiased=config.unbiased,
                       dtype=dtype)
    norm.gamma *= config.output_scale
    return [linear, norm]


def _draw_bias(linear, scale, rng):
    """bias = N(0, 1) * scale, the notebook's `torch.randn(n) * scale`; 0 is zeros
    (and draws nothing)."""
    if scale == 0:
        linear.bias.data[...] = 0
        return
    b = rng.standard_normal(linear.fan_out) * scale
    linear.bias.data[...] = b.astype(linear.bias.data.dtype)
