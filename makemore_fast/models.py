"""The two networks of "makemore part 3", built from makemore_fast.nn layers.

Both draw their initial weights from one NumPy Generator seeded with `seed`,
in parameter order, in float64, then cast to `dtype`: a float32 and a float64
model built with the same seed hold the same numbers up to rounding.
"""
import math

import numpy as np

from .nn import BatchNorm1d, Embedding, Linear, Sequential, Tanh, calculate_gain
from .validation import checked_int, positive_int


def lecture_mlp(vocab_size=27, block_size=3, n_embd=10, n_hidden=100, n_layers=5,
                seed=None, dtype=np.float32, unbiased=False):
    """The lecture's deep net: 47,024 parameters with the defaults.

    Embedding(vocab_size, n_embd), then n_layers x [Linear(no bias) ->
    BatchNorm1d -> Tanh], then Linear(no bias) -> BatchNorm1d to the
    vocabulary.  Every Linear gets Kaiming init with calculate_gain("tanh") =
    5/3 (the lecture's gain loop runs over layers[:-1], which holds the output
    Linear too); the last BatchNorm's gamma is scaled by 0.1 so the initial
    predictions are close to uniform (the lecture's "make the last layer less
    confident").  `unbiased=True` gives every BatchNorm1d the lecture's own
    variance (`x.var(0)`, 1/(B-1)) instead of torch's (1/B).
    """
    _check_sizes(vocab_size=vocab_size, block_size=block_size, n_embd=n_embd,
                 n_hidden=n_hidden)
    rng = np.random.default_rng(seed)
    gain = calculate_gain("tanh")
    layers = [Embedding(vocab_size, n_embd, rng=rng, dtype=dtype)]
    fan_in = n_embd * block_size
    for _ in range(checked_int(n_layers, "n_layers", 0)):
        layers += [Linear(fan_in, n_hidden, bias=False, gain=gain, rng=rng, dtype=dtype),
                   BatchNorm1d(n_hidden, unbiased=unbiased, dtype=dtype), Tanh()]
        fan_in = n_hidden
    layers += [Linear(fan_in, vocab_size, bias=False, gain=gain, rng=rng, dtype=dtype),
               BatchNorm1d(vocab_size, unbiased=unbiased, dtype=dtype)]
    layers[-1].gamma *= 0.1
    return Sequential(layers)


def single_layer_bn_mlp(vocab_size=27, block_size=3, n_embd=10, n_hidden=200, seed=None,
                        dtype=np.float32, unbiased=False):
    """The first half's net: 12,097 parameters with the defaults.

    C (vocab_size x n_embd) ~ N(0, 1); W1 (n_embd*block_size x n_hidden) ~
    N(0, 1) * (5/3) / sqrt(fan_in), no b1; BatchNorm1d(n_hidden); tanh;
    W2 (n_hidden x vocab_size) ~ N(0, 1) * 0.01; b2 = 0.  Its BatchNorm keeps
    the lecture's slow running estimates (momentum 0.001, the notebook's
    `0.999 * bnmean_running + 0.001 * bnmeani`); `unbiased` as in lecture_mlp.
    """
    _check_sizes(vocab_size=vocab_size, block_size=block_size, n_embd=n_embd,
                 n_hidden=n_hidden)
    rng = np.random.default_rng(seed)
    fan_in = n_embd * block_size
    return Sequential([
        Embedding(vocab_size, n_embd, rng=rng, dtype=dtype),
        Linear(fan_in, n_hidden, bias=False, gain=calculate_gain("tanh"), rng=rng,
               dtype=dtype),
        BatchNorm1d(n_hidden, momentum=0.001, unbiased=unbiased, dtype=dtype),
        Tanh(),
        # gain * 1/sqrt(fan_in) = 0.01: the lecture's randn * 0.01
        Linear(n_hidden, vocab_size, gain=0.01 * math.sqrt(n_hidden), rng=rng, dtype=dtype),
    ])


def _check_sizes(**sizes):
    for name, value in sizes.items():
        positive_int(value, name)

