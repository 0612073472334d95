"""makemore_fast.threads: one setting for the BLAS pools the kernels use."""
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


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_count(bad):
    with pytest.raises(ValueError, match="threads"):
        threads.set_num_threads(bad)
    with pytest.raises(ValueError, match="threads"):
        threads.num_threads(bad)
