"""Kernels called from several Python threads at once give the serial answers."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tolerances import random_block

from makemore_fast import ops


def workload(seed):
    """A forward and backward of every op on data of its own; returns all results."""
    rng = np.random.default_rng(seed)
    x, w, g, b, rm, rv, bi = random_block(rng, 64 + seed, 40, 30, np.float32, True)
    out, cache = ops.linear_bn_tanh_forward(x, w, g, b, rm, rv, bias=bi)
    results = [out, rm, rv, *ops.linear_bn_tanh_backward(np.ones_like(out), cache)]
    lin, lcache = ops.linear_forward(x, w, bi, "tanh")
    results += [lin, *ops.linear_backward(lin, lcache)]
    idx = rng.integers(0, 27, (x.shape[0], 3))
    table = rng.standard_normal((27, 10)).astype(np.float32)
    emb = ops.embedding_forward(table, idx)
    results += [emb, ops.embedding_backward(emb, idx, 27)]
    loss, dlogits = ops.cross_entropy(out, idx[:, 0])
    return results + [np.float64(loss), dlogits]


def test_concurrent_calls_match_serial():
    seeds = list(range(16))
    serial = [workload(s) for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            concurrent = list(pool.map(workload, seeds))
            for a, b in zip(serial, concurrent):
                for u, v in zip(a, b):
                    np.testing.assert_array_equal(u, v)
