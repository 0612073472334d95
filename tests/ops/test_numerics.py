"""Numerical behaviour of the kernels: BatchNorm statistics, tanh, extreme logits, NaN."""
import numpy as np
import pytest
from tolerances import random_block

from makemore_fast import ops
from makemore_fast import reference as ref


def batch_stats(x):
    """Batch mean and unbiased variance as the kernel sees them (momentum=1).

    With weight = identity (K = N), the block's x @ W is x exactly, and
    momentum 1 makes the running statistics the batch statistics.
    """
    N = x.shape[1]
    eye = np.eye(N, dtype=x.dtype)
    mean = np.zeros(N, x.dtype)
    var = np.ones(N, x.dtype)
    ops.linear_bn_tanh_forward(x, eye, np.ones(N, x.dtype), np.zeros(N, x.dtype), mean,
                               var, momentum=1.0, activation=None)
    return mean, var


@pytest.mark.parametrize("B", [1000, 10**6])
def test_batchnorm_statistics_large_batch_and_mean(B):
    """B up to 10^6, column means 1e4, unit spread: var within 1e-3 in float32."""
    rng = np.random.default_rng(0)
    offsets = np.array([1e4, -1e4, 3e3, 0.5])
    x = (offsets + rng.standard_normal((B, 4))).astype(np.float32)
    mean, var = batch_stats(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(0), rtol=1e-6)
    np.testing.assert_allclose(var, x64.var(0, ddof=1), rtol=1e-3)


def test_batchnorm_output_large_mean_is_normalised():
    rng = np.random.default_rng(1)
    x = (1e4 + rng.standard_normal((4096, 3))).astype(np.float32)
    eye = np.eye(3, dtype=np.float32)
    out, _ = ops.linear_bn_tanh_forward(x, eye, np.ones(3, np.float32),
                                        np.zeros(3, np.float32), np.zeros(3, np.float32),
                                        np.ones(3, np.float32), activation=None)
    np.testing.assert_allclose(out.mean(0), 0, atol=2e-3)
    np.testing.assert_allclose(out.std(0), 1, rtol=2e-3)


def test_running_statistics_follow_torch_rule_over_several_calls():
    rng = np.random.default_rng(2)
    B, K, N = 16, 5, 4
    x0, w, g, b, _, _, _ = random_block(rng, B, K, N, np.float64)
    mean, var = np.zeros(N), np.ones(N)
    expect_mean, expect_var = mean.copy(), var.copy()
    for step in range(5):
        x = x0 + step
        ops.linear_bn_tanh_forward(x, w, g, b, mean, var, momentum=0.25)
        h = x @ w
        expect_mean = 0.75 * expect_mean + 0.25 * h.mean(0)
        expect_var = 0.75 * expect_var + 0.25 * h.var(0, ddof=1)
    np.testing.assert_allclose(mean, expect_mean, rtol=1e-12)
    np.testing.assert_allclose(var, expect_var, rtol=1e-12)


def test_eval_leaves_running_statistics_alone():
    rng = np.random.default_rng(3)
    x, w, g, b, rm, rv, _ = random_block(rng, 8, 4, 3, np.float32)
    rm0, rv0 = rm.copy(), rv.copy()
    ops.linear_bn_tanh_forward(x, w, g, b, rm, rv, training=False)
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)


def tanh_kernel(y):
    """The C tanh, through linear_forward with a 1x1 identity weight (exact product)."""
    return ops.linear_forward(y.reshape(-1, 1), np.ones((1, 1), y.dtype),
                              activation="tanh")[0].ravel()


def test_tanh_float32_within_1e6_of_numpy():
    y = np.concatenate([np.linspace(-20, 20, 2_000_001, dtype=np.float32),
                        np.float32([0.0, -0.0, 1e-30, -1e-30, 1e-7, 8.9, 9.1, 88, 89,
                                    -89, 1e30, -1e30, np.inf, -np.inf])])
    err = np.abs(tanh_kernel(y).astype(np.float64) - np.tanh(y.astype(np.float64)))
    assert err.max() <= 1e-6
    assert tanh_kernel(np.float32([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(tanh_kernel(np.float32([np.nan]))).all()


def test_tanh_float64_is_libm():
    y = np.linspace(-30, 30, 10001)
    np.testing.assert_allclose(tanh_kernel(y), np.tanh(y), rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_extreme_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype)
    targets = np.array([1, 2, 0])
    loss, dlogits = ops.cross_entropy(logits, targets)
    expected_loss, expected_d = ref.cross_entropy(logits.astype(np.float64), targets)
    assert np.isfinite(loss) and np.isfinite(dlogits).all()
    assert loss == pytest.approx(expected_loss, rel=1e-6)
    np.testing.assert_allclose(dlogits, expected_d, atol=1e-7)
    assert loss == pytest.approx((2e4 + np.log(1 + np.exp(-1e4) + 0) + np.log(3)
                                  + np.log(2)) / 3, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_propagates_like_the_reference(dtype):
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((4, 5)).astype(dtype)
    logits[1, 2] = np.nan
    loss, d = ops.cross_entropy(logits, np.array([0, 1, 2, 3]))
    _, d_ref = ref.cross_entropy(logits, np.array([0, 1, 2, 3]))
    assert np.isnan(loss)
    np.testing.assert_array_equal(np.isnan(d), np.isnan(d_ref))

    for training in (True, False):
        x, w, g, b, rm, rv, _ = random_block(rng, 6, 3, 4, dtype)
        x[2, 1] = np.nan
        out, _ = ops.linear_bn_tanh_forward(x, w, g, b, rm.copy(), rv.copy(),
                                            training=training)
        out_ref, _ = ref.linear_bn_tanh_forward(x, w, g, b, rm.copy(), rv.copy(),
                                                training=training)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(out_ref))
        assert np.isnan(out).any()


def test_embedding_backward_repeated_indices_accumulate_deterministically():
    dout = np.arange(1, 13, dtype=np.float32).reshape(2, 6)    # T=3, E=2
    idx = np.array([[4, 4, 4], [4, 0, 4]])
    dtable = ops.embedding_backward(dout, idx, 5)
    expected = np.zeros((5, 2), np.float32)
    expected[4] = [1 + 3 + 5 + 7 + 11, 2 + 4 + 6 + 8 + 12]
    expected[0] = [9, 10]
    np.testing.assert_array_equal(dtable, expected)
    rng = np.random.default_rng(5)
    dout = rng.standard_normal((512, 30)).astype(np.float32)
    idx = rng.integers(0, 3, (512, 3))
    first = ops.embedding_backward(dout, idx, 27)
    for _ in range(3):
        np.testing.assert_array_equal(ops.embedding_backward(dout, idx, 27), first)
