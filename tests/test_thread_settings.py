"""makemore_fast.threads: one setting for BLAS and OpenMP; kernel results
do not depend on the OpenMP thread count."""
import numpy as np
import pytest
from tolerances import random_block

from makemore_fast import ops, threads


def large_block_results(dtype):
    """A fused block and a Linear big enough (B*N >= 2^18) to run threaded."""
    rng = np.random.default_rng(0)
    x, w, g, b, rm, rv, bias = random_block(rng, 2048, 16, 300, dtype, bias=True)
    out, cache = ops.linear_bn_tanh_forward(x, w, g, b, rm, rv, bias=bias)
    dout = rng.standard_normal(out.shape).astype(dtype)
    results = [out, rm, rv, *ops.linear_bn_tanh_backward(dout, cache)]
    lin, lcache = ops.linear_forward(x, w, bias, "tanh")
    return results + [lin, *ops.linear_backward(dout, lcache)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_identical_for_one_and_two_openmp_threads(dtype):
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1, user_api="openmp"):
        one = large_block_results(dtype)
    with threadpool_limits(2, user_api="openmp"):
        two = large_block_results(dtype)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_num_threads_context_restores():
    before = threads.get_num_threads()
    with threads.num_threads(1):
        assert threads.get_num_threads() == {"blas": 1, "openmp": 1}
    assert threads.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_count(bad):
    with pytest.raises(ValueError, match="threads"):
        threads.set_num_threads(bad)
    with pytest.raises(ValueError, match="threads"):
        threads.num_threads(bad)
