"""Networks and passes the diagnostics tests share."""
import numpy as np

from makemore_fast.nn import Embedding, Linear, Sequential, Tanh, cross_entropy

VOCAB = 27


def forward_backward(model, data, seed=0, batch=32):
    """One training-mode forward and backward on a random batch (the lecture's view)."""
    X, Y = data
    ix = np.random.default_rng(seed).integers(0, len(X), batch)
    loss, dlogits = cross_entropy(model(X[ix]), Y[ix])
    model.zero_grad()
    model.backward(dlogits)
    return loss


def plain_mlp(gain=5 / 3, last_gain=0.1, n_layers=5, seed=0, dtype=np.float32):
    """The lecture's deep net before BatchNorm: [Linear -> Tanh] x n_layers -> Linear."""
    rng = np.random.default_rng(seed)
    layers, fan_in = [Embedding(VOCAB, 10, rng=rng, dtype=dtype)], 30
    for _ in range(n_layers):
        layers += [Linear(fan_in, 100, gain=gain, rng=rng, dtype=dtype), Tanh()]
        fan_in = 100
    layers.append(Linear(fan_in, VOCAB, gain=last_gain, rng=rng, dtype=dtype))
    return Sequential(layers)


def std1(a):
    return np.asarray(a, np.float64).std(ddof=1)
