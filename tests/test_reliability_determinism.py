"""Determinism: the same inputs give bit-identical kernel results call after
call and from several Python threads at once, and a seeded training run gives
a bit-identical loss history for a given thread count. What the BLAS thread
count changes (last bits of products large enough to be shared out, not the
lecture's batch-32 steps): docs/RELIABILITY.md."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from tolerances import random_block

import makemore_fast as mf
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


def assert_bit_identical(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_repeated_calls_are_bit_identical(dtype):
    first = every_op(dtype)
    for _ in range(2):
        assert_bit_identical(every_op(dtype), first)


def test_concurrent_large_calls_match_serial():
    """Four Python threads sharing BLAS's thread pool get the serial bits."""
    seeds = [0, 1, 2, 3]
    serial = [every_op(np.float32, s) for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for results, expected in zip(pool.map(lambda s: every_op(np.float32, s), seeds),
                                     serial):
            assert_bit_identical(results, expected)


@pytest.fixture(scope="module")
def examples():
    return mf.data.load_splits().train


def train(examples, threads, batch_size, steps=40):
    model = mf.lecture_mlp(seed=1)
    with mf.num_threads(threads):
        history = mf.train(model, *examples, steps=steps, batch_size=batch_size, seed=7,
                           progress=False)
    return history.loss, [p.data for p in model.parameters()]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch_size", [32, 512])
def test_seeded_training_is_bit_identical_for_a_thread_count(examples, threads, batch_size):
    loss, params = train(examples, threads, batch_size)
    again, params_again = train(examples, threads, batch_size)
    assert_bit_identical([loss, *params], [again, *params_again])


def test_lecture_batch_training_does_not_depend_on_the_thread_count(examples):
    """Batches up to training.SMALL_BATCH run BLAS on one thread whatever the
    setting."""
    assert_bit_identical(train(examples, 1, 32)[0], train(examples, 2, 32)[0])


def test_larger_batch_thread_count_changes_only_rounding(examples):
    """BLAS shares larger products between threads, and its sums then round
    differently: the loss histories differ in the last bits only."""
    one, two = train(examples, 1, 512)[0], train(examples, 2, 512)[0]
    np.testing.assert_allclose(one, two, rtol=1e-6)
