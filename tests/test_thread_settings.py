"""makemore_fast.threads: one setting for the BLAS pools the kernels use."""
import numpy as np
import pytest
from tolerances import random_block

from makemore_fast import ops, threads


def test_num_threads_context_restores():
    before = threads.get_num_threads()
    with threads.num_threads(1):
        assert threads.get_num_threads()["blas"] == 1
    assert threads.get_num_threads() == before


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
