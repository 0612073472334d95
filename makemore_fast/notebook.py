"""The lecture notebook's deep net, from the notebook's own random draws.

"makemore part 3" (karpathy/nn-zero-to-hero, lectures/makemore/
makemore_part3_bn.ipynb) trains its "PyTorch-ified" deep net (cell 13:
Linear gain 1.0, the last BatchNorm's gamma x 0.1) for 1,001 steps and prints
its diagnostics (cells 13-17 and 19).  This module rebuilds that net as a
makemore_fast Sequential holding the notebook's initial weights, and runs the
notebook's loop on the notebook's minibatches, all drawn from the notebook's
torch.Generator in the notebook's order, so that a learner can put
makemore_fast's numbers beside the printed ones (docs/NOTEBOOK.md).

Needs torch (for the Generator only); nothing in the package imports this
module.  The notebook's BatchNorm normalises with the unbiased batch variance
(`x.var(0)`): pass `unbiased=True` to match it digit for digit.
"""
import numpy as np

from . import ops
from .diagnostics import activation_stats, gradient_stats, weight_grad_stats
from .nn import BatchNorm1d, Embedding, Linear, Sequential, Tanh, cross_entropy

SEED = 2147483647       # the notebook's torch.Generator().manual_seed(2147483647)
STEPS = 1001            # its loop breaks after the update of step i == 1000
BATCH_SIZE = 32
LR = 0.1                # 0.1 while i < 150000: every one of the 1,001 steps


def notebook_generator():
    """torch.Generator().manual_seed(2147483647), as the notebook's cell 13."""
    import torch
    return torch.Generator().manual_seed(SEED)


def notebook_model(generator, *, unbiased=True, vocab_size=27, block_size=3, n_embd=10,
                   n_hidden=100, n_layers=5, fuse=True):
    """The notebook's cell-13 net, its weights drawn from `generator` as there.

    The draws, in the notebook's order: C = randn(vocab_size, n_embd), then each
    Linear's randn(fan_in, fan_out) / fan_in**0.5 (no bias; gain 1.0).  Layers:
    Embedding, n_layers x [Linear, BatchNorm1d, Tanh], Linear, BatchNorm1d; the
    last BatchNorm's gamma is scaled by 0.1.  float32, as the notebook.
    """
    import torch

    C = torch.randn((vocab_size, n_embd), generator=generator)
    emb = Embedding(vocab_size, n_embd)
    emb.weight.data[...] = C.numpy()
    layers = [emb]
    fan_in = n_embd * block_size
    for k in range(n_layers + 1):
        fan_out = n_hidden if k < n_layers else vocab_size
        linear = Linear(fan_in, fan_out, bias=False)
        linear.weight.data[...] = (torch.randn((fan_in, fan_out), generator=generator)
                                   / fan_in ** 0.5).numpy()
        layers += [linear, BatchNorm1d(fan_out, unbiased=unbiased)]
        if k < n_layers:
            layers.append(Tanh())
        fan_in = fan_out
    layers[-1].gamma.data *= np.float32(0.1)
    return Sequential(layers, fuse=fuse)


def notebook_train(model, X, Y, generator, *, steps=STEPS, batch_size=BATCH_SIZE, lr=LR):
    """The notebook's cell-14 loop, written as a learner would; returns the losses.

    Each step draws `ix = torch.randint(0, len(X), (batch_size,), generator=g)`,
    runs the forward pass, cross-entropy, backward and `p.data += -lr * p.grad`.
    Afterwards the layers hold the last step's `.out`, Tanh's `.out_grad` and
    each parameter's `.grad` (the notebook's `retain_grad()` views); the
    parameters are the updated ones.
    """
    import torch

    params = model.parameters()
    losses = []
    for _ in range(steps):
        ix = torch.randint(0, len(X), (batch_size,), generator=generator).numpy()
        logits = model(X[ix])
        loss, dlogits = cross_entropy(logits, Y[ix])
        for p in params:
            p.grad = None
        model.backward(dlogits)
        ops.sgd_update([p.data for p in params], [p.grad for p in params], lr)
        losses.append(loss)
    return losses


def notebook_lines(model):
    """The lines the notebook's cells 15-17 print, for `model` after its steps.

    The notebook's layer indices count from its first Linear (C is not in its
    `layers` list): one less than makemore_fast's, whose layer 0 is the
    Embedding.  Names are padded as its '%10s'.
    """
    lines = [("layer %d (%10s): mean %+.2f, std %.2f, saturated: %.2f%%"
              % (r["layer"] - 1, r["name"], r["mean"], r["std"], r["saturated_pct"]))
             for r in activation_stats(model)]
    lines += [("layer %d (%10s): mean %+f, std %e"
               % (r["layer"] - 1, r["name"], r["mean"], r["std"]))
              for r in gradient_stats(model)]
    lines += [("weight %10s | mean %+f | std %e | grad:data ratio %e"
               % (r["shape"], r["mean"], r["std"], r["grad_data_ratio"]))
              for r in weight_grad_stats(model)]
    return lines
