"""Property tests of the fused Linear -> BatchNorm1d (-> tanh) block against the
reference, and minimal cases of the bugs they found. Inputs, oracle and
tolerances: see test_properties.py."""
from types import SimpleNamespace

import numpy as np
import pytest
from fuzz_checks import (TANH_ERR, assert_bit_identical, assert_gradients, assert_matches,
                         assert_output, assert_unchanged, f64, finite, floor, in_dtype,
                         reference, tanh_slope)
from fuzz_inputs import block_call, block_cases
from hypothesis import given
from tolerances import rtol

from makemore_fast import ops
from makemore_fast import reference as ref

pytestmark = pytest.mark.usefixtures("one_blas_thread")


def block_tolerances(case, xhat):
    """Natural error bounds of out, running_mean, running_var.

    With S = |x| @ |W| (+ |b|) the rounding scale of x @ W (+ b), an error
    delta = rtol S there moves xhat by delta * invstd and, in training, the
    variance by 2 sd delta + delta^2; invstd is bounded by the smallest sd
    consistent with that (a zero-variance column's noise is normalised too).
    """
    r, eps, m = rtol(case.dtype), case.keywords["eps"], case.keywords["momentum"]
    x, w = finite(case.x), finite(case.weight)
    b = 0.0 if case.bias is None else np.abs(finite(case.bias))
    S = np.abs(x) @ np.abs(w)
    rm, rv = finite(case.running_mean), finite(case.running_var)
    xhat = np.abs(finite(xhat))
    stats = (None, None)
    if case.keywords["training"]:
        delta = r * (S.max(0) + b)
        sd = (x @ w).std(0)
        q = delta / np.sqrt(np.maximum(sd - 2 * delta, 0.0) ** 2 + eps)
        xhat_tol = 2 * q + xhat * (2 * q + q * q + r)
        B = x.shape[0]
        stats = (r * ((1 - m) * np.abs(rm) + m * (S.max(0) + b)),
                 r * (1 - m) * rv + m * B / (B - 1) * (2 * sd * delta + delta**2 + r * sd**2))
    else:
        xhat_tol = r * (S + b + np.abs(rm)) / np.sqrt(rv + eps) + r * xhat
    g, beta = np.abs(finite(case.gamma)), np.abs(finite(case.beta))
    out = g * xhat_tol + r * (g * xhat + beta) + floor(case.dtype)
    if case.keywords["activation"] == "tanh":
        out = np.minimum(out, 2.0) + TANH_ERR[case.dtype]
    return out, stats


@given(block_cases())
def test_block_forward(case):
    running = f64(case.running_mean).copy(), f64(case.running_var).copy()
    out, _ = block_call(case)
    expected, state = reference(ref.linear_bn_tanh_forward, f64(case.x), f64(case.weight),
                                f64(case.gamma), f64(case.beta), *running,
                                bias=f64(case.bias), **case.keywords)
    tol, stats_tol = block_tolerances(case, state.bn.xhat)
    assert_matches(out, in_dtype(expected, case.dtype), tol, "out")
    assert_output(out, case.dtype, expected.shape)
    for name, want, t in zip(("running_mean", "running_var"), running, stats_tol):
        got = np.asarray(case.laid_out[name], case.dtype)
        if case.keywords["training"]:
            assert_matches(got, in_dtype(want, case.dtype), t + floor(case.dtype), name)
        else:
            assert_bit_identical(got, getattr(case, name), name)
    assert_unchanged(case, ["x", "weight", "gamma", "beta", "bias"])


@given(block_cases())
def test_block_backward(case):
    out, cache = block_call(case)
    grads = ops.linear_bn_tanh_backward(case.laid_out["dout"], cache)
    _, state = reference(ref.linear_bn_tanh_forward, f64(case.x), f64(case.weight),
                         f64(case.gamma), f64(case.beta), f64(case.running_mean),
                         f64(case.running_var), bias=f64(case.bias), **case.keywords)
    state.bn.invstd, state.out = f64(cache.invstd), f64(out)
    with np.errstate(all="ignore"):
        state.bn.xhat = xhat = (f64(cache.pre) - f64(cache.shift)) * state.bn.invstd
    expected = reference(ref.linear_bn_tanh_backward, f64(case.dout), state)
    training = case.keywords["training"]
    # Natural scales: each term of dpre = gamma invstd (dy - sum(dy) / B
    # - xhat sum(dy xhat) / dof) in absolute value, then through the products.
    dy = np.abs(finite(case.dout))
    if case.keywords["activation"] == "tanh":
        dy *= tanh_slope(out, case.dtype)
    xh = np.abs(finite(xhat))
    sum_dy, sum_dy_xhat = dy.sum(0), (dy * xh).sum(0)
    B = dy.shape[0]
    dof = B - 1 if case.keywords["unbiased"] else B      # the variance's divisor
    dpre = dy + sum_dy / B + xh * sum_dy_xhat / dof if training else dy
    dpre *= np.abs(finite(case.gamma)) * finite(state.bn.invstd)
    scales = {"dx": dpre @ np.abs(finite(case.weight)).T,
              "dweight": np.abs(finite(case.x)).T @ dpre, "dbias": dpre.sum(0),
              "dgamma": sum_dy_xhat, "dbeta": sum_dy}
    assert_gradients(grads, expected, scales, case.dtype)
    assert_unchanged(case, ["dout"])


@given(block_cases())
def test_standalone_batchnorm(case):
    """ops.batchnorm_* (the layer-by-layer BatchNorm1d) on the block's
    pre-activation, against the reference, biased and unbiased: the block's
    bounds with an identity product (S = |pre|)."""
    with np.errstate(all="ignore"):
        pre = (f64(case.x) @ f64(case.weight)).astype(case.dtype)
    keywords = {k: case.keywords[k] for k in ("training", "momentum", "eps", "unbiased")}
    as_block = SimpleNamespace(x=pre, weight=np.eye(pre.shape[1]), bias=None,
                               gamma=case.gamma, beta=case.beta, dtype=case.dtype,
                               running_mean=case.running_mean, running_var=case.running_var,
                               keywords={**case.keywords, "activation": None})
    running = case.running_mean.copy(), case.running_var.copy()
    running_ref = f64(case.running_mean).copy(), f64(case.running_var).copy()
    out, cache = ops.batchnorm_forward(pre, case.gamma, case.beta, *running, **keywords)
    expected, state = reference(ref.batchnorm_forward, f64(pre), f64(case.gamma),
                                f64(case.beta), *running_ref, **keywords)
    tol, stats_tol = block_tolerances(as_block, state.xhat)
    assert_matches(out, in_dtype(expected, case.dtype), tol, "out")
    for name, got, want, t in zip(("running_mean", "running_var"), running, running_ref,
                                  stats_tol):
        if keywords["training"]:
            assert_matches(got, in_dtype(want, case.dtype), t + floor(case.dtype), name)
        else:
            assert_bit_identical(got, getattr(case, name), name)
    # The backward from the kernel's own invstd and shift, as the block's test.
    state.invstd = f64(cache.invstd)
    with np.errstate(all="ignore"):
        state.xhat = xhat = (f64(pre) - f64(cache.shift)) * state.invstd
    grads = ops.batchnorm_backward(case.dout, cache)
    expected = reference(ref.batchnorm_backward, f64(case.dout), state)
    dy, xh = np.abs(finite(case.dout)), np.abs(finite(xhat))
    sum_dy, sum_dy_xhat = dy.sum(0), (dy * xh).sum(0)
    B = dy.shape[0]
    dof = B - 1 if keywords["unbiased"] else B
    dx = dy + sum_dy / B + xh * sum_dy_xhat / dof if keywords["training"] else dy
    dx = dx * np.abs(finite(case.gamma)) * finite(state.invstd)
    assert_gradients(grads, expected, {"dx": dx, "dgamma": sum_dy_xhat, "dbeta": sum_dy},
                     case.dtype)


# Bugs the property tests found, fixed: their minimal cases stay as regression tests.


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_block_nonfinite_bias_in_training_gives_nan(value):
    """Was: the kernel never added the bias in training, so ignored inf/NaN."""
    x, w = np.float32([[1.0], [2.0]]), np.float32([[1.0]])
    one, zero, bias = np.float32([1.0]), np.float32([0.0]), np.float32([value])
    out, cache = ops.linear_bn_tanh_forward(x, w, one, zero, zero.copy(), one.copy(),
                                            bias=bias)
    assert np.isnan(out).all()
    dx, dw, dbias, _, _ = ops.linear_bn_tanh_backward(np.ones_like(out), cache)
    assert np.isnan(dx).all() and np.isnan(dw).all() and np.isnan(dbias).all()


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_block_infinite_bias_in_training_running_mean(value):
    x, w = np.float32([[1.0], [2.0]]), np.float32([[1.0]])
    one, running_mean, running_var = np.float32([1.0]), np.float32([0.0]), np.float32([1.0])
    ops.linear_bn_tanh_forward(x, w, one, np.float32([0.0]), running_mean, running_var,
                               bias=np.float32([value]), momentum=0.1)
    assert running_mean[0] == value and np.isnan(running_var[0])


@pytest.mark.parametrize("running_mean", [np.inf, np.nan])
def test_block_eval_backward_with_nonfinite_running_mean(running_mean):
    """Was: NaN from k_pre * (pre - shift) = 0 * inf, though eval's dpre does not
    depend on pre."""
    one = np.float32([1.0])
    out, cache = ops.linear_bn_tanh_forward(np.float32([[1.0]]), np.float32([[1.0]]), one,
                                            np.float32([0.0]), np.float32([running_mean]),
                                            one, training=False, activation=None)
    assert not np.isfinite(out).any()
    dx, dw, _, _, _ = ops.linear_bn_tanh_backward(np.ones_like(out), cache)
    expected = 1 / np.sqrt(1 + 1e-5)          # gamma * invstd * dout * weight
    np.testing.assert_allclose([dx[0, 0], dw[0, 0]], [expected, expected], rtol=1e-6)


def test_block_backward_small_gamma_dout_over_variance():
    x, w = np.array([[1e100], [-2e100], [5e99]]), np.ones((1, 1))
    gamma, zero, one = np.array([1e-50]), np.zeros(1), np.ones(1)
    dout = np.array([[1e-90], [2e-90], [4e-90]])
    out, cache = ops.linear_bn_tanh_forward(x, w, gamma, zero, zero.copy(), one.copy(),
                                            activation=None)
    dx = ops.linear_bn_tanh_backward(dout, cache)[0]
    _, state = ref.linear_bn_tanh_forward(x, w, gamma, zero, zero.copy(), one.copy(),
                                          activation=None)
    np.testing.assert_allclose(dx, ref.linear_bn_tanh_backward(dout, state)[0], rtol=1e-10)
