"""The oracle itself: the reference's backward against central finite differences (float64)."""
import numpy as np
import pytest
from tolerances import random_block

from makemore_fast import reference as ref

H = 1e-6


def numerical_grad(f, a):
    """d f / d a by central differences, one element at a time (a is perturbed in place)."""
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        orig = a[i]
        a[i] = orig + H
        up = f()
        a[i] = orig - H
        down = f()
        a[i] = orig
        grad[i] = (up - down) / (2 * H)
    return grad


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("activation", ["tanh", None], ids=["tanh", "noact"])
@pytest.mark.parametrize("unbiased", [False, True], ids=["biased", "unbiased"])
@pytest.mark.parametrize("B,K,N", [(2, 3, 2), (5, 4, 3)])
def test_linear_bn_tanh_backward(training, bias, activation, unbiased, B, K, N):
    rng = np.random.default_rng(B * 10 + K)
    x, w, g, b, rm, rv, bi = random_block(rng, B, K, N, np.float64, bias)
    r = rng.standard_normal((B, N))          # loss = sum(out * r)
    options = dict(bias=bi, training=training, activation=activation, unbiased=unbiased)

    def loss():
        out, _ = ref.linear_bn_tanh_forward(x, w, g, b, rm.copy(), rv.copy(), **options)
        return float((out * r).sum())

    _, cache = ref.linear_bn_tanh_forward(x, w, g, b, rm.copy(), rv.copy(), **options)
    dx, dw, db, dg, dbeta = ref.linear_bn_tanh_backward(r, cache)
    wrt = {"x": (x, dx), "weight": (w, dw), "gamma": (g, dg), "beta": (b, dbeta)}
    if bias:
        wrt["bias"] = (bi, db)
    for name, (param, analytic) in wrt.items():
        np.testing.assert_allclose(analytic, numerical_grad(loss, param), rtol=1e-6,
                                   atol=1e-7, err_msg=name)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("unbiased", [False, True], ids=["biased", "unbiased"])
@pytest.mark.parametrize("B,N", [(2, 3), (7, 4)])
def test_batchnorm_backward(training, unbiased, B, N):
    rng = np.random.default_rng(B + N)
    x = 3.0 + 2.0 * rng.standard_normal((B, N))
    g, b = 1.0 + 0.2 * rng.standard_normal(N), 0.2 * rng.standard_normal(N)
    rm, rv = 0.3 * rng.standard_normal(N), 0.5 + rng.random(N)
    r = rng.standard_normal((B, N))
    options = dict(training=training, unbiased=unbiased)

    def loss():
        out, _ = ref.batchnorm_forward(x, g, b, rm.copy(), rv.copy(), **options)
        return float((out * r).sum())

    _, cache = ref.batchnorm_forward(x, g, b, rm.copy(), rv.copy(), **options)
    dx, dg, dbeta = ref.batchnorm_backward(r, cache)
    for name, param, analytic in (("x", x, dx), ("gamma", g, dg), ("beta", b, dbeta)):
        np.testing.assert_allclose(analytic, numerical_grad(loss, param), rtol=1e-6,
                                   atol=1e-7, err_msg=name)


def test_unbiased_normalises_with_the_lectures_variance():
    """unbiased=True is the lecture's `x.var(0)` (1/(B-1)); the default torch's 1/B."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3))
    ones, zeros = np.ones(3), np.zeros(3)
    for unbiased, ddof in ((False, 0), (True, 1)):
        out, _ = ref.batchnorm_forward(x, ones, zeros, zeros.copy(), ones.copy(), eps=0.0,
                                       unbiased=unbiased)
        np.testing.assert_allclose(out, (x - x.mean(0)) / x.std(0, ddof=ddof), rtol=1e-12)
        rm, rv = zeros.copy(), ones.copy()
        ref.batchnorm_forward(x, ones, zeros, rm, rv, momentum=1.0, unbiased=unbiased)
        np.testing.assert_allclose(rv, x.var(0, ddof=1), rtol=1e-12)   # either way


@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("activation", ["tanh", None], ids=["tanh", "noact"])
def test_linear_backward(bias, activation):
    rng = np.random.default_rng(3)
    x, w, _, _, _, _, bi = random_block(rng, 4, 3, 5, np.float64, bias)
    r = rng.standard_normal((4, 5))

    def loss():
        return float((ref.linear_forward(x, w, bi, activation)[0] * r).sum())

    dx, dw, db = ref.linear_backward(r, ref.linear_forward(x, w, bi, activation)[1])
    np.testing.assert_allclose(dx, numerical_grad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, numerical_grad(loss, w), rtol=1e-6, atol=1e-8)
    if bias:
        np.testing.assert_allclose(db, numerical_grad(loss, bi), rtol=1e-6, atol=1e-8)


def test_cross_entropy_gradient():
    rng = np.random.default_rng(4)
    logits = 2 * rng.standard_normal((6, 7))
    targets = rng.integers(0, 7, 6)
    _, dlogits = ref.cross_entropy(logits, targets)
    numeric = numerical_grad(lambda: ref.cross_entropy(logits, targets)[0], logits)
    np.testing.assert_allclose(dlogits, numeric, rtol=1e-6, atol=1e-9)


def test_embedding_gradient_with_repeats():
    rng = np.random.default_rng(5)
    table = rng.standard_normal((4, 3))
    idx = np.array([[0, 0, 2], [2, 3, 0]])
    r = rng.standard_normal((2, 9))
    numeric = numerical_grad(lambda: float((ref.embedding_forward(table, idx) * r).sum()),
                             table)
    np.testing.assert_allclose(ref.embedding_backward(r, idx, 4), numeric, rtol=1e-6,
                               atol=1e-9)
