"""makemore_fast.threads: one setting for the BLAS pools the kernels use."""
import multiprocessing
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_limits
from tolerances import random_block

from makemore_fast import ops, threads


def test_num_threads_context_restores():
    before = threads.get_num_threads()
    with threads.num_threads(1):
        assert threads.get_num_threads()["blas"] == 1
        assert threads.get_num_threads()["makemore_fast"] == 1
    assert threads.get_num_threads() == before


def test_threadpoolctl_sizes_the_kernels_pool():
    """The kernels' own threads are a threadpoolctl pool: any limit reaches them."""
    with threadpool_limits(limits={"makemore_fast": 1}):
        assert threads.get_num_threads()["makemore_fast"] == 1
    with threadpool_limits(limits=3):
        assert threads.get_num_threads()["makemore_fast"] == 3


@pytest.mark.parametrize("activation", ["tanh", None])
@pytest.mark.parametrize("fused", [True, False], ids=["bn", "linear"])
def test_column_threads_change_no_bit(fused, activation):
    """Large arrays split their columns over the kernels' threads; every column
    is computed the same way whatever the split (BLAS held at one thread)."""
    rng = np.random.default_rng(1)
    x, w, g, b, rm, rv, bias = random_block(rng, 1024, 64, 1000, np.float32, bias=True)
    dout = rng.standard_normal((1024, 1000)).astype(np.float32)
    runs = []
    for n in (1, 2, 3):
        with threadpool_limits(limits={"makemore_fast": n, "blas": 1}):
            if fused:
                out, cache = ops.linear_bn_tanh_forward(x, w, g, b, rm.copy(), rv.copy(),
                                                        bias=bias, activation=activation)
                grads = ops.linear_bn_tanh_backward(dout, cache)
            else:
                out, cache = ops.linear_forward(x, w, bias, activation)
                grads = ops.linear_backward(dout, cache)
        runs.append([out, *grads])
    for run in runs[1:]:
        for a, b_ in zip(runs[0], run):
            np.testing.assert_array_equal(a, b_)


def test_one_blas_thread_restores():
    before = threads.get_num_threads()
    with threads.one_blas_thread():
        assert threads.get_num_threads()["blas"] == 1
    assert threads.get_num_threads() == before


def test_kernels_give_the_same_results_on_one_thread():
    """Small products (a training batch) do not depend on the BLAS thread count."""
    rng = np.random.default_rng(0)
    x, w, g, b, rm, rv, _ = random_block(rng, 32, 100, 100, np.float32)
    runs = []
    for n in (1, 2):
        with threads.num_threads(n):
            out, cache = ops.linear_bn_tanh_forward(x, w, g, b, rm.copy(), rv.copy())
            runs.append([out, *ops.linear_bn_tanh_backward(out, cache)[:2]])
    for a, b_ in zip(*runs):
        np.testing.assert_array_equal(a, b_)


def small_block_results(x, w, g, b, rm, rv, dout, fused, activation):
    """A block's forward and backward at a size that takes the unpacked kernel
    (and, with 2 kernel threads, the shared helper thread); rm, rv are updated."""
    if fused:
        out, cache = ops.linear_bn_tanh_forward(x, w, g, b, rm, rv, activation=activation)
        return [out, rm, rv, *ops.linear_bn_tanh_backward(dout, cache)]
    out, cache = ops.linear_forward(x, w, b, activation)
    return [out, *ops.linear_backward(dout, cache)]


SMALL_SHAPES = [(32, 100, 100), (32, 30, 100), (32, 100, 27), (31, 77, 53), (2, 200, 300)]


@pytest.mark.parametrize("B,K,N", SMALL_SHAPES)
@pytest.mark.parametrize("activation", ["tanh", None])
@pytest.mark.parametrize("fused", [True, False], ids=["bn", "linear"])
def test_helper_thread_changes_no_bit(B, K, N, fused, activation):
    """With 2 kernel threads a small block's forward splits its columns and its
    backward makes dW beside dx on the shared helper thread: the same bits as on
    one thread, call after call (the helper asleep or awake), whether the calls
    choose by timing or always take the helper."""
    rng = np.random.default_rng(B * K + N)
    x, w, g, b, rm, rv, _ = random_block(rng, B, K, N, np.float32)
    dout = rng.standard_normal((B, N)).astype(np.float32)
    runs = []
    for n, mode in ((1, None), (2, True), (2, True), (1, None), (2, True), (2, None)):
        with threads.num_threads(n), threads.ops_helper(mode):
            runs.append(small_block_results(x, w, g, b, rm.copy(), rv.copy(), dout, fused,
                                            activation))
    for run in runs[1:]:
        for a, b_ in zip(runs[0], run):
            np.testing.assert_array_equal(a, b_)


def test_helper_thread_shared_by_python_threads():
    """Python threads calling small blocks at once take turns with the helper
    (one holds it, the others run alone): every result is the serial one."""
    rng = np.random.default_rng(5)
    cases = []
    for seed in range(6):
        x, w, g, b, rm, rv, _ = random_block(np.random.default_rng(seed), 32, 100, 100,
                                             np.float32)
        cases.append((x, w, g, b, rm, rv, rng.standard_normal((32, 100)).astype(np.float32)))

    def run(case):
        x, w, g, b, rm, rv, dout = case
        return [small_block_results(x, w, g, b, rm.copy(), rv.copy(), dout, fused, "tanh")
                for fused in (True, False) for _ in range(20)]

    serial = [run(c) for c in cases]
    with ThreadPoolExecutor(max_workers=3) as pool, threads.ops_helper(True):
        for results, expected in zip(pool.map(run, cases), serial):
            for got, want in zip(results, expected):
                for a, b_ in zip(got, want):
                    np.testing.assert_array_equal(a, b_)


def _child_block(conn, case):
    conn.send(small_block_results(*case, True, "tanh"))
    conn.close()


@pytest.mark.skipif(sys.platform == "win32", reason="no fork() on Windows")
def test_helper_thread_after_fork():
    """A child forked after the helper thread started (which it does not
    inherit) gets the parent's bits and returns."""
    rng = np.random.default_rng(6)
    x, w, g, b, rm, rv, _ = random_block(rng, 32, 100, 100, np.float32)
    dout = rng.standard_normal((32, 100)).astype(np.float32)
    case = (x, w, g, b, rm, rv, dout)
    with threads.num_threads(2), threads.ops_helper(True):
        want = small_block_results(*case[:4], rm.copy(), rv.copy(), dout, True, "tanh")
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child_block,
                           args=(child, (*case[:4], rm.copy(), rv.copy(), dout)))
        proc.start()
        assert parent.poll(60), "the forked child did not answer"
        got = parent.recv()
        proc.join(60)
    assert proc.exitcode == 0
    for a, b_ in zip(got, want):
        np.testing.assert_array_equal(a, b_)


def test_ops_helper_restores():
    with threads.ops_helper(False):
        with threads.ops_helper(True):
            assert ops._ops_helper(True) is True
        assert ops._ops_helper(False) is False
    assert ops._ops_helper(None) is None


@pytest.mark.parametrize("bad", [0, 1, "yes", 0.5])
def test_ops_helper_bad_mode(bad):
    with pytest.raises(TypeError, match="mode must be None, True or False"):
        with threads.ops_helper(bad):
            pass
    assert ops._ops_helper(None) is None


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_count(bad):
    with pytest.raises(ValueError, match="threads"):
        threads.set_num_threads(bad)
    with pytest.raises(ValueError, match="threads"):
        threads.num_threads(bad)
