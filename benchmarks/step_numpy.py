"""The NumPy side of bench_train_step.py: the step as manual backprop, once
as the reference's functions chained by hand and once as the leanest NumPy
we could write, both from a makemore_fast model's weights."""
import numpy as np

import makemore_fast as mf
from makemore_fast import reference as ref


def numpy_runner(model, Xtr, Ytr, seed=42):
    """The same steps as manual backprop in NumPy: makemore_fast.reference's
    functions (the kernels' readable twins) chained by hand, on a copy of
    `model`'s weights."""
    table = model.layers[0].weight.data.copy()
    blocks = []
    layers = model.layers[1:]
    for i, layer in enumerate(layers):
        if isinstance(layer, mf.Linear):
            bn = layers[i + 1]
            tanh = i + 2 < len(layers) and isinstance(layers[i + 2], mf.Tanh)
            blocks.append([layer.weight.data.copy(), bn.gamma.data.copy(),
                           bn.beta.data.copy(), bn.running_mean.copy(),
                           bn.running_var.copy(), "tanh" if tanh else None])
    rng = np.random.default_rng(seed)

    def run(steps):
        for _ in range(steps):
            ix = rng.integers(0, len(Xtr), 32)
            xb, yb = Xtr[ix], Ytr[ix]
            h = ref.embedding_forward(table, xb)
            caches = []
            for w, g, b, rm, rv, act in blocks:
                h, cache = ref.linear_bn_tanh_forward(h, w, g, b, rm, rv, activation=act)
                caches.append(cache)
            _, d = ref.cross_entropy(h, yb)
            params, grads = [], []
            for (w, g, b, _, _, _), cache in zip(blocks[::-1], caches[::-1]):
                d, dw, _, dg, db = ref.linear_bn_tanh_backward(d, cache)
                params += [w, g, b]
                grads += [dw, dg, db]
            ref.sgd_update([table] + params, [ref.embedding_backward(d, xb, len(table))] + grads,
                           0.1)
    return run


def lean_numpy_runner(model, Xtr, Ytr, seed=42):
    """The same steps as lean manual backprop in NumPy: no checks, no caches
    beyond what the backward needs, in-place updates (the fastest plain
    NumPy we could write; numpy_runner chains the readable reference)."""
    table = model.layers[0].weight.data.copy()
    Ws, gs, bs, rms, rvs = [], [], [], [], []
    for layer in model.layers[1:]:
        if isinstance(layer, mf.Linear):
            Ws.append(layer.weight.data.copy())
        elif isinstance(layer, mf.BatchNorm1d):
            gs.append(layer.gamma.data.copy())
            bs.append(layer.beta.data.copy())
            rms.append(layer.running_mean.copy())
            rvs.append(layer.running_var.copy())
    L = len(Ws)
    rng = np.random.default_rng(seed)
    eps, mom, lr = np.float32(1e-5), np.float32(0.1), np.float32(0.1)

    def run(steps):
        for _ in range(steps):
            ix = rng.integers(0, len(Xtr), 32)
            xb, yb = Xtr[ix], Ytr[ix]
            n = len(ix)
            h = table[xb].reshape(n, -1)
            saved = []
            for i in range(L):
                pre = h @ Ws[i]
                mean = pre.mean(0)
                xc = pre - mean
                var = (xc * xc).mean(0)
                invstd = 1 / np.sqrt(var + eps)
                xhat = xc * invstd
                out = gs[i] * xhat + bs[i]
                if i + 1 < L:
                    np.tanh(out, out=out)
                rms[i] *= 1 - mom
                rms[i] += mom * mean
                rvs[i] *= 1 - mom
                rvs[i] += mom * var * (n / (n - 1))
                saved.append((h, xhat, invstd, out))
                h = out
            logits = h - h.max(1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(1, keepdims=True)
            p[np.arange(n), yb] -= 1
            d = p / n
            for i in reversed(range(L)):
                x, xhat, invstd, out = saved[i]
                if i + 1 < L:
                    d = d * (1 - out * out)
                dbeta = d.sum(0)
                dgamma = (d * xhat).sum(0)
                dpre = (gs[i] * invstd / n) * (n * d - dbeta - xhat * dgamma)
                dW = x.T @ dpre
                d = dpre @ Ws[i].T
                Ws[i] -= lr * dW
                gs[i] -= lr * dgamma
                bs[i] -= lr * dbeta
            dtable = np.zeros_like(table)
            np.add.at(dtable, xb.ravel(), d.reshape(-1, table.shape[1]))
            table[...] -= lr * dtable
    return run
