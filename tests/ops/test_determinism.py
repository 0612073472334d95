"""Determinism of the kernels: the same inputs give bit-identical results call
after call and from several Python threads at once."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from tolerances import all_bit_identical, random_block

from makemore_fast import ops


def every_op(dtype, seed=0):
    """Every kernel once, at a size that BLAS shares between threads and that
    spans two column tiles; returns all the results."""
    rng = np.random.default_rng(seed)
    x, w, g, b, rm, rv, bias = random_block(rng, 1024, 300, 300, dtype, bias=True)
    dout = rng.standard_normal((1024, 300)).astype(dtype)
    out, cache = ops.linear_bn_tanh_forward(x, w, g, b, rm, rv, bias=bias)
    results = [out, rm, rv, *ops.linear_bn_tanh_backward(dout, cache)]
    lin, lcache = ops.linear_forward(x, w, bias, "tanh")
    results += [lin, *ops.linear_backward(dout, lcache)]
    idx = rng.integers(0, 27, (1024, 8))
    emb = ops.embedding_forward(x[:27], idx)
    results += [emb, ops.embedding_backward(emb, idx, 27)]
    loss, dlogits = ops.cross_entropy(lin, idx[:, 0])
    data = [w.copy(), bias.copy()]
    ops.sgd_update(data, [dout[:300], dout[0]], 0.1)
    return results + [np.float64(loss), dlogits, *data]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_repeated_calls_are_bit_identical(dtype):
    first = every_op(dtype)
    for _ in range(2):
        all_bit_identical(every_op(dtype), first)


def test_concurrent_large_calls_match_serial():
    """Four Python threads sharing BLAS's thread pool get the serial bits."""
    seeds = [0, 1, 2, 3]
    serial = [every_op(np.float32, s) for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for results, expected in zip(pool.map(lambda s: every_op(np.float32, s), seeds),
                                     serial):
            all_bit_identical(results, expected)
