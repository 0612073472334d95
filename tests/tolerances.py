"""Shared helpers for comparing makemore_fast.ops against makemore_fast.reference.

Comparisons are relative to the natural scale of a result, not only to its
own size: a gradient that cancels to ~0 (BatchNorm's dbias in training, say)
is compared to the size of the terms that cancelled.
"""
import numpy as np

RTOL = {np.float32: 1e-4, np.float64: 1e-10}


def rtol(dtype):
    return RTOL[np.dtype(dtype).type]


def assert_close(actual, expected, dtype, scale=0.0, name=""):
    """|actual - expected| <= rtol * max(|expected|, scale), NaN where expected is NaN."""
    assert actual.shape == expected.shape, (name, actual.shape, expected.shape)
    assert actual.dtype == np.dtype(dtype), (name, actual.dtype)
    tol = rtol(dtype)
    size = max(float(np.nanmax(np.abs(expected), initial=0.0)), scale)
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * size,
                               err_msg=name, equal_nan=True)


def random_block(rng, B, K, N, dtype, bias=False):
    """Inputs of a Linear -> BatchNorm1d block at the lecture's initialisation scale."""
    d = np.dtype(dtype)
    x = rng.standard_normal((B, K)).astype(d)
    w = (rng.standard_normal((K, N)) * (5 / 3) / np.sqrt(K)).astype(d)
    gamma = (1.0 + 0.2 * rng.standard_normal(N)).astype(d)
    beta = (0.2 * rng.standard_normal(N)).astype(d)
    running_mean = (0.3 * rng.standard_normal(N)).astype(d)
    running_var = (0.5 + rng.random(N)).astype(d)
    b = (0.5 * rng.standard_normal(N)).astype(d) if bias else None
    return x, w, gamma, beta, running_mean, running_var, b


def all_bit_identical(first, second):
    """Two sequences of arrays (or None) equal bit for bit, dtype included."""
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
