"""The benchmark cases: each op at the lecture's shapes (and the large ones),
as closures for the NumPy reference, makemore_fast, PyTorch eager and, for
the fused block, a lean NumPy version of the same maths (no checks, no
caches beyond what the backward reads, in-place where NumPy allows: the
fastest plain NumPy, which the headline ratio is taken against)."""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .. import ops
from .. import reference as ref


@dataclass
class Case:
    op: str
    shape: str
    dtype: str
    reference: Callable[[], object]
    fast: Callable[[], object]
    torch: Optional[Callable[[], object]] = None
    numpy: Optional[Callable[[], object]] = None   # lean NumPy (the fastest plain NumPy)
    flops: Optional[float] = None       # floating-point operations of the matrix products


def block_inputs(rng, B, K, N, dtype):
    x = rng.standard_normal((B, K)).astype(dtype)
    w = (rng.standard_normal((K, N)) * (5 / 3) / np.sqrt(K)).astype(dtype)
    gamma, beta = np.ones(N, dtype), np.zeros(N, dtype)
    dout = rng.standard_normal((B, N)).astype(dtype)
    return x, w, gamma, beta, dout


def block_case(B, K, N, dtype=np.float32, activation="tanh"):
    """Linear -> BatchNorm1d -> tanh, forward + backward, training mode."""
    x, w, gamma, beta, dout = block_inputs(np.random.default_rng(0), B, K, N, dtype)
    run = block_step(x, w, gamma, beta, dout, activation)

    return Case("linear_bn_tanh fwd+bwd", f"{B}x{K}x{N}", np.dtype(dtype).name,
                run(ref), run(ops), torch_block(x, w, dout, activation),
                lean_block(x, w, gamma, beta, dout, activation),
                flops=3 * 2.0 * B * K * N)


def block_step(x, w, gamma, beta, dout, activation, stats=None):
    """A closure factory: impl -> one forward + backward of the fused block."""
    N = w.shape[1]
    rm, rv = np.zeros(N, x.dtype), np.ones(N, x.dtype)

    def run(impl):
        def step():
            out, cache = impl.linear_bn_tanh_forward(x, w, gamma, beta, rm, rv,
                                                     activation=activation, stats=stats)
            return impl.linear_bn_tanh_backward(dout, cache)
        return step
    return run


def lean_block(x, w, gamma, beta, dout, activation, momentum=0.1, eps=1e-5):
    """The fused block's forward + backward in lean NumPy (the same maths as
    the kernels, training mode, running statistics updated in place); returns
    what reference.linear_bn_tanh_backward does."""
    B, N = x.shape[0], w.shape[1]
    dt = x.dtype.type
    rm, rv = np.zeros(N, x.dtype), np.ones(N, x.dtype)
    eps, mom, unb = dt(eps), dt(momentum), dt(B / (B - 1))

    def step():
        pre = x @ w
        mean = pre.mean(0)
        xc = pre - mean
        var = np.einsum("ij,ij->j", xc, xc) / dt(B)
        invstd = 1 / np.sqrt(var + eps)
        xhat = xc * invstd
        out = xhat * gamma + beta
        rm[:] = (1 - mom) * rm + mom * mean
        rv[:] = (1 - mom) * rv + (mom * unb) * var
        if activation == "tanh":
            np.tanh(out, out=out)
            dy = dout * (1 - out * out)
        else:
            dy = dout
        dbeta = dy.sum(0)
        dgamma = np.einsum("ij,ij->j", dy, xhat)
        dpre = (dy - dbeta / dt(B) - xhat * (dgamma / dt(B))) * (gamma * invstd)
        return dpre @ w.T, x.T @ dpre, None, dgamma, dbeta
    return step


def linear_case(B, K, N, dtype=np.float32, activation="tanh"):
    """Linear (+ bias) -> tanh, forward + backward."""
    rng = np.random.default_rng(1)
    x, w, _, bias, dout = block_inputs(rng, B, K, N, dtype)

    def run(impl):
        def step():
            out, cache = impl.linear_forward(x, w, bias, activation)
            return impl.linear_backward(dout, cache)
        return step

    return Case("linear_tanh fwd+bwd", f"{B}x{K}x{N}", np.dtype(dtype).name, run(ref),
                run(ops), flops=3 * 2.0 * B * K * N)


def linear_backward_case(B, K, N, dtype=np.float32):
    """A plain Linear's backward: its two products dx = dout @ W^T and dW =
    x^T @ dout (the shapes of the training step's dx and dW)."""
    rng = np.random.default_rng(4)
    x, w, _, _, dout = block_inputs(rng, B, K, N, dtype)
    caches = {impl: impl.linear_forward(x, w, None, None)[1] for impl in (ref, ops)}
    return Case("linear backward (dx, dW)", f"{B}x{K}x{N}", np.dtype(dtype).name,
                lambda: ref.linear_backward(dout, caches[ref]),
                lambda: ops.linear_backward(dout, caches[ops]),
                numpy=lambda: (dout @ w.T, x.T @ dout, None), flops=2 * 2.0 * B * K * N)


def embedding_case(B, T, E, V, backward, dtype=np.float32):
    rng = np.random.default_rng(2)
    table = rng.standard_normal((V, E)).astype(dtype)
    idx = rng.integers(0, V, (B, T))
    dout = rng.standard_normal((B, T * E)).astype(dtype)
    if backward:
        fns = [lambda impl=impl: impl.embedding_backward(dout, idx, V) for impl in (ref, ops)]
        op = "embedding backward"
    else:
        fns = [lambda impl=impl: impl.embedding_forward(table, idx) for impl in (ref, ops)]
        op = "embedding forward"
    return Case(op, f"B={B} T={T} E={E} V={V}", np.dtype(dtype).name, *fns)


def cross_entropy_case(B, V, dtype=np.float32):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((B, V)).astype(dtype)
    targets = rng.integers(0, V, B)
    return Case("cross_entropy", f"{B}x{V}", np.dtype(dtype).name,
                lambda: ref.cross_entropy(logits, targets),
                lambda: ops.cross_entropy(logits, targets))


def sgd_case(dtype=np.float32):
    """The lecture's update of every parameter of lecture_mlp (19 arrays, 47,024
    values) in one call.  lr = 0 leaves the arrays as they are, so every call
    does the same work on the same values."""
    from ..models import lecture_mlp
    shapes = [p.data.shape for p in lecture_mlp(seed=0).parameters()]
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]

    def run(update):
        data = [d.copy() for d in start]

        def step():
            update(data, grads, 0.0)
            return tuple(data)
        return step

    def lean(data, grads, lr):
        for d, g in zip(data, grads):
            d -= lr * g
    return Case("sgd_update", f"{len(shapes)} params ({sum(map(np.prod, shapes))})",
                np.dtype(dtype).name, run(ref.sgd_update), run(ops.sgd_update),
                numpy=run(lean))


def torch_block(x, w, dout, activation):
    """The same block in PyTorch eager, with autograd, or None without torch."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    N = w.shape[1]
    gamma = torch.ones(N, dtype=xt.dtype, requires_grad=True)
    beta = torch.zeros(N, dtype=xt.dtype, requires_grad=True)
    rm, rv = torch.zeros(N, dtype=xt.dtype), torch.ones(N, dtype=xt.dtype)
    g = torch.from_numpy(dout)

    def step():
        for p in (xt, wt, gamma, beta):
            p.grad = None
        y = F.batch_norm(xt @ wt, rm, rv, gamma, beta, training=True, momentum=0.1)
        if activation == "tanh":
            y = torch.tanh(y)
        y.backward(g)
    return step


def cases(large=False):
    """The benchmark cases: the lecture's shapes, and with `large` the big ones."""
    out = [block_case(32, 30, 100), block_case(32, 100, 100), block_case(32, 100, 27,
                                                                         activation=None),
           block_case(257, 129, 63),
           block_case(2, 1, 1),                   # where the call is all there is
           linear_case(32, 30, 200), linear_case(32, 100, 100),
           linear_backward_case(32, 30, 100), linear_backward_case(32, 100, 100),
           linear_backward_case(32, 100, 27),
           embedding_case(32, 3, 10, 27, backward=False),
           embedding_case(32, 3, 10, 27, backward=True),
           cross_entropy_case(32, 27), cross_entropy_case(4096, 27), sgd_case()]
    if large:
        out += [block_case(4096, 512, 512), block_case(4096, 1024, 1024),
                linear_case(4096, 1024, 1024),
                embedding_case(182625, 3, 10, 27, backward=True)]
    return out
