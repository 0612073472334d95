"""Plain NumPy reference for every kernel in `makemore_fast.ops`.

Same functions, signatures and semantics as `ops`, written to read like the
lecture's maths (and its manual backprop from "becoming a backprop ninja").
This module is the oracle the tests compare the C kernels against, and the
baseline the benchmarks measure them against; it favours clarity over speed.

Shapes: B batch, T context length, E embedding size, V vocabulary,
K fan_in, N fan_out.  Linear weights use the lecture's layout (K, N): x @ W.

Argument checking is the business of `ops`; the reference assumes valid input.
"""
from types import SimpleNamespace

import numpy as np

from .constants import SATURATION_THRESHOLD

ACTIVATIONS = ("tanh", None)


# ----------------------------------------------------------------------------
# embedding: the lecture's C[Xb].view(B, -1)

def embedding_forward(table, idx):
    """table (V, E), idx (B, T) integer -> (B, T*E): the context's rows in order."""
    B, T = idx.shape
    return table[idx].reshape(B, T * table.shape[1])


def embedding_backward(dout, idx, num_embeddings):
    """dout (B, T*E), idx (B, T) -> dtable (V, E); repeated indices accumulate."""
    B, T = idx.shape
    E = dout.shape[1] // T
    dtable = np.zeros((num_embeddings, E), dtype=dout.dtype)
    np.add.at(dtable, idx.reshape(-1), dout.reshape(B * T, E))
    return dtable


# ----------------------------------------------------------------------------
# Linear (+ optional tanh)

def linear_forward(x, weight, bias=None, activation=None, *, stats=None,
                   saturation=SATURATION_THRESHOLD):
    """x (B, K), weight (K, N), bias (N,) or None -> out (B, N), cache.

    stats: None or a float64 (5,) array accumulating the diagnostics (see
    track_stats).
    """
    _check_activation(activation)
    hpreact = x @ weight
    if bias is not None:
        hpreact = hpreact + bias
    out = np.tanh(hpreact) if activation == "tanh" else hpreact
    track_stats(stats, out=out, saturation=saturation)
    return out, SimpleNamespace(x=x, weight=weight, has_bias=bias is not None,
                                activation=activation, out=out, stats=stats)


def linear_backward(dout, cache):
    """dout (B, N) -> dx (B, K), dweight (K, N), dbias (N,) or None."""
    dpre = dout * (1.0 - cache.out**2) if cache.activation == "tanh" else dout
    dx = dpre @ cache.weight.T
    dweight = cache.x.T @ dpre
    dbias = dpre.sum(0) if cache.has_bias else None
    track_stats(cache.stats, dout=dout)
    return dx, dweight, dbias


# ----------------------------------------------------------------------------
# BatchNorm1d: the lecture's bnmeani, bnvari, bnraw = (x - bnmeani) * bnvar_inv

def batchnorm_forward(x, gamma, beta, running_mean, running_var, *, training=True,
                      momentum=0.1, eps=1e-5, unbiased=False):
    """x (B, N), gamma/beta/running_* (N,) -> out (B, N), cache.

    Training normalises with the batch mean and the biased batch variance
    (the unbiased one with unbiased=True, the lecture's x.var(0)) and updates
    running_mean / running_var in place as torch.nn.BatchNorm1d does
    (running_var takes the unbiased batch variance).  Eval uses the running
    statistics and leaves them alone.
    """
    B = x.shape[0]
    if training:
        mean = x.mean(0)
        var = x.var(0, ddof=1 if unbiased else 0)
        unbiased_var = var if unbiased else var * (B / (B - 1))
        running_mean *= 1.0 - momentum
        running_mean += momentum * mean
        running_var *= 1.0 - momentum
        running_var += momentum * unbiased_var
    else:
        mean, var = running_mean.copy(), running_var.copy()
    invstd = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * invstd
    out = gamma * xhat + beta
    return out, SimpleNamespace(gamma=gamma, xhat=xhat, invstd=invstd, training=training,
                                unbiased=unbiased)


def batchnorm_backward(dout, cache):
    """dout (B, N) -> dx (B, N), dgamma (N,), dbeta (N,)."""
    return _batchnorm_backward(dout, cache)


def _batchnorm_backward(dy, c):
    """dx, dgamma, dbeta of gamma * xhat + beta, from dy and the forward's cache."""
    dgamma = (dy * c.xhat).sum(0)
    dbeta = dy.sum(0)
    dxhat = dy * c.gamma
    if not c.training:
        return dxhat * c.invstd, dgamma, dbeta          # eval: an affine map
    # The batch mean and variance depend on every row: the lecture's one-line
    # BatchNorm backward, with the variance's divisor D (B, or B - 1).
    B = dy.shape[0]
    D = B - 1 if c.unbiased else B
    dx = c.invstd * (dxhat - dxhat.sum(0) / B - c.xhat * (dxhat * c.xhat).sum(0) / D)
    return dx, dgamma, dbeta


# ----------------------------------------------------------------------------
# Linear -> BatchNorm1d -> tanh (activation="tanh") or Linear -> BatchNorm1d

def linear_bn_tanh_forward(x, weight, gamma, beta, running_mean, running_var, *,
                           bias=None, training=True, momentum=0.1, eps=1e-5,
                           activation="tanh", stats=None, saturation=SATURATION_THRESHOLD,
                           unbiased=False):
    """x (B, K), weight (K, N), gamma/beta/running_* (N,) -> out (B, N), cache.

    hpreact = x @ weight (+ bias), then batchnorm_forward, then tanh.
    """
    _check_activation(activation)
    hpreact = x @ weight
    if bias is not None:
        hpreact = hpreact + bias
    y, bn = batchnorm_forward(hpreact, gamma, beta, running_mean, running_var,
                              training=training, momentum=momentum, eps=eps,
                              unbiased=unbiased)
    out = np.tanh(y) if activation == "tanh" else y
    track_stats(stats, out=out, saturation=saturation)
    cache = SimpleNamespace(x=x, weight=weight, bn=bn, out=out, has_bias=bias is not None,
                            activation=activation, stats=stats)
    return out, cache


def linear_bn_tanh_backward(dout, cache):
    """dout (B, N) -> dx (B, K), dweight (K, N), dbias (N,) or None, dgamma, dbeta."""
    c = cache
    dy = dout * (1.0 - c.out**2) if c.activation == "tanh" else dout
    dhpreact, dgamma, dbeta = _batchnorm_backward(dy, c.bn)
    dx = dhpreact @ c.weight.T
    dweight = c.x.T @ dhpreact
    dbias = dhpreact.sum(0) if c.has_bias else None
    track_stats(c.stats, dout=dout)
    return dx, dweight, dbias, dgamma, dbeta


# ----------------------------------------------------------------------------
# softmax cross-entropy

def cross_entropy(logits, targets):
    """logits (B, V), targets (B,) integer -> mean loss (float), dlogits (B, V)."""
    B = logits.shape[0]
    shifted = logits - logits.max(1, keepdims=True)   # stable: exp never overflows
    logsumexp = np.log(np.exp(shifted).sum(1, keepdims=True))
    logprobs = shifted - logsumexp
    loss = -logprobs[np.arange(B), targets].mean()
    dlogits = np.exp(logprobs)
    dlogits[np.arange(B), targets] -= 1.0
    dlogits /= B
    return float(loss), dlogits


# ----------------------------------------------------------------------------
# SGD: the lecture's update

def sgd_update(data, grads, lr, *, update_ratios=None):
    """for p in parameters: p.data += -lr * p.grad (here: data[i], grads[i]).

    update_ratios (n_params,) float64, if given, gets the lecture's
    ((lr * p.grad).std() / p.data.std()).log10(), after the update.
    """
    for i, (d, g) in enumerate(zip(data, grads)):
        d += -lr * g
        if update_ratios is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                update_ratios[i] = np.log10((lr * g).std(ddof=1) / d.std(ddof=1))


# ----------------------------------------------------------------------------
# the per-step statistics of stats=: [sum out, sum out^2, count |out| >
# saturation, sum dout, sum dout^2]

def track_stats(stats, out=None, dout=None, saturation=SATURATION_THRESHOLD):
    """Add an output's and/or its gradient's statistics into `stats` (or do
    nothing when stats is None)."""
    if stats is None:
        return
    if out is not None:
        stats[0] += out.sum(dtype=np.float64)
        stats[1] += np.square(out, dtype=np.float64).sum()
        stats[2] += np.count_nonzero(np.abs(out) > saturation)
    if dout is not None:
        stats[3] += dout.sum(dtype=np.float64)
        stats[4] += np.square(dout, dtype=np.float64).sum()


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be 'tanh' or None, got {activation!r}")
