"""Kernels called from several Python threads at once give the serial answers,
and they release the GIL while they run."""
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
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


def other_thread_ran_during(call, attempts=20):
    """Whether another Python thread ran while `call()` was running, in one of
    `attempts` calls. The switch interval is made huge, so this thread gives
    the GIL up only where it blocks, or where `call` releases it: the other
    thread can see `inside` set only then. No clock involved."""
    state = {"inside": False, "seen": False, "stop": False}

    def other():
        while not state["stop"]:
            state["seen"] = state["seen"] or state["inside"]
            time.sleep(0)                 # hands the GIL back to a waiting thread

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e3)
    thread = threading.Thread(target=other)
    thread.start()
    try:
        for _ in range(attempts):
            state["inside"] = True
            call()
            state["inside"] = False
            if state["seen"]:
                return True
        return False
    finally:
        state["stop"] = True
        thread.join()
        sys.setswitchinterval(interval)


def python_busy_loop():
    total = 0
    for i in range(100_000):
        total += i
    return total


def long_calls(rng):
    """ops calls of milliseconds or more each, by name."""
    f32 = np.float32
    x, w, g, b, rm, rv, _ = random_block(rng, 2048, 1024, 1024, f32)
    _, block = ops.linear_bn_tanh_forward(x, w, g, b, rm, rv)
    _, linear = ops.linear_forward(x, w, None, "tanh")
    dout = np.ones((2048, 1024), f32)
    logits = rng.standard_normal((2048, 4096)).astype(f32)
    targets = rng.integers(0, 4096, 2048)
    idx = rng.integers(0, 1000, (4096, 16))
    table = rng.standard_normal((1000, 64)).astype(f32)
    demb = np.ones((4096, 16 * 64), f32)
    data, grads = [np.ones(4 << 20, f32)], [np.ones(4 << 20, f32)]
    return {
        "fused forward": lambda: ops.linear_bn_tanh_forward(x, w, g, b, rm, rv),
        "fused backward": lambda: ops.linear_bn_tanh_backward(dout, block),
        "linear forward": lambda: ops.linear_forward(x, w, None, "tanh"),
        "linear backward": lambda: ops.linear_backward(dout, linear),
        "cross-entropy": lambda: ops.cross_entropy(logits, targets),
        "embedding forward": lambda: ops.embedding_forward(table, idx),
        "embedding backward": lambda: ops.embedding_backward(demb, idx, 1000),
        "sgd update": lambda: ops.sgd_update(data, grads, 1e-9),
    }


@pytest.fixture(scope="module")
def calls():
    return long_calls(np.random.default_rng(0))


def test_the_detector_sees_a_call_that_keeps_the_gil():
    assert not other_thread_ran_during(python_busy_loop)


@pytest.mark.parametrize("name", ["fused forward", "fused backward", "linear forward",
                                  "linear backward", "cross-entropy", "embedding forward",
                                  "embedding backward", "sgd update"])
def test_kernels_release_the_gil(calls, name):
    assert other_thread_ran_during(calls[name])
