"""Every ops function against the NumPy reference, float32 and float64, many shapes."""
import numpy as np
import pytest
from tolerances import assert_close, random_block

from makemore_fast import ops
from makemore_fast import reference as ref

DTYPES = [np.float32, np.float64]
SHAPES = [(2, 1, 1), (2, 7, 5), (32, 30, 100), (32, 100, 27), (257, 129, 63),
          (33, 300, 257), (4096, 512, 512)]


# The lecture's unbiased variance on every shape but the largest.
SHAPES_BN = ([pytest.param(s, False, id="x".join(map(str, s))) for s in SHAPES]
             + [pytest.param(s, True, id="x".join(map(str, s)) + "-unbiased")
                for s in SHAPES[:-1]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, unbiased", SHAPES_BN)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("activation", ["tanh", None], ids=["tanh", "noact"])
def test_linear_bn_tanh(dtype, shape, unbiased, training, bias, activation):
    B, K, N = shape
    rng = np.random.default_rng(hash((B, K, N)) % 2**32)
    x, w, g, b, rm, rv, bi = random_block(rng, B, K, N, dtype, bias)
    rm_ref, rv_ref = rm.copy(), rv.copy()
    options = dict(bias=bi, training=training, activation=activation, momentum=0.1,
                   unbiased=unbiased)
    out, cache = ops.linear_bn_tanh_forward(x, w, g, b, rm, rv, **options)
    out_ref, cache_ref = ref.linear_bn_tanh_forward(x, w, g, b, rm_ref, rv_ref, **options)
    assert_close(out, out_ref, dtype, scale=1.0, name="out")
    assert_close(rm, rm_ref, dtype, scale=1.0, name="running_mean")
    assert_close(rv, rv_ref, dtype, scale=1.0, name="running_var")

    dout = rng.standard_normal((B, N)).astype(dtype)
    grads = ops.linear_bn_tanh_backward(dout, cache)
    grads_ref = ref.linear_bn_tanh_backward(dout, cache_ref)
    # Natural scales: d loss / d (x @ W) is at most ~|dout| * gamma * invstd per
    # term (training's terms cancel: dbias sums to ~0 there).
    dpre = float(np.abs(dout).max() * np.abs(g * cache_ref.bn.invstd).max()) * 3
    scales = {"dx": dpre * np.abs(w).sum(1).max(), "dweight": dpre * np.abs(x).sum(0).max(),
              "dbias": dpre * B, "dgamma": float(np.abs(dout).sum(0).max()) * 3,
              "dbeta": float(np.abs(dout).sum(0).max())}
    for name, got, want in zip(scales, grads, grads_ref):
        if want is None:
            assert got is None, name
        else:
            assert_close(got, want, dtype, scale=scales[name], name=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("activation", ["tanh", None], ids=["tanh", "noact"])
def test_linear(dtype, shape, bias, activation):
    B, K, N = shape
    rng = np.random.default_rng(K * 7 + N)
    x, w, _, _, _, _, bi = random_block(rng, B, K, N, dtype, bias)
    out, cache = ops.linear_forward(x, w, bi, activation)
    out_ref, cache_ref = ref.linear_forward(x, w, bi, activation)
    scale = float(np.abs(x).max() * np.abs(w).sum(0).max())
    assert_close(out, out_ref, dtype, scale=scale, name="out")
    dout = rng.standard_normal((B, N)).astype(dtype)
    dx, dw, db = ops.linear_backward(dout, cache)
    dx_ref, dw_ref, db_ref = ref.linear_backward(dout, cache_ref)
    g = float(np.abs(dout).max())
    assert_close(dx, dx_ref, dtype, scale=g * np.abs(w).sum(1).max(), name="dx")
    assert_close(dw, dw_ref, dtype, scale=g * np.abs(x).sum(0).max(), name="dweight")
    if bias:
        assert_close(db, db_ref, dtype, scale=g * B, name="dbias")
    else:
        assert db is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("B,T,E,V", [(2, 1, 1, 1), (32, 3, 10, 27), (5, 8, 3, 11),
                                     (1000, 3, 24, 27), (64, 16, 64, 4000)])
def test_embedding(dtype, idx_dtype, B, T, E, V):
    rng = np.random.default_rng(B * T + E)
    table = rng.standard_normal((V, E)).astype(dtype)
    idx = rng.integers(0, V, (B, T)).astype(idx_dtype)
    out = ops.embedding_forward(table, idx)
    np.testing.assert_array_equal(out, ref.embedding_forward(table, idx))
    assert out.dtype == np.dtype(dtype) and out.shape == (B, T * E)
    dout = rng.standard_normal((B, T * E)).astype(dtype)
    dtable = ops.embedding_backward(dout, idx, V)
    assert_close(dtable, ref.embedding_backward(dout, idx, V), dtype,
                 scale=float(np.abs(dout).max()), name="dtable")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("B,V", [(2, 1), (2, 2), (32, 27), (257, 63), (4096, 27),
                                 (16, 5000)])
@pytest.mark.parametrize("spread", [0.1, 3.0, 50.0])
def test_cross_entropy(dtype, B, V, spread):
    rng = np.random.default_rng(B + V)
    logits = (spread * rng.standard_normal((B, V))).astype(dtype)
    targets = rng.integers(0, V, B)
    loss, dlogits = ops.cross_entropy(logits, targets)
    loss_ref, dlogits_ref = ref.cross_entropy(logits.astype(np.float64), targets)
    assert isinstance(loss, float)
    # The kernel sums in double whatever the dtype: compare with float64 maths.
    rel = 1e-6 if dtype == np.float32 else 1e-12
    assert loss == pytest.approx(loss_ref, rel=rel, abs=rel)
    assert_close(dlogits, dlogits_ref.astype(dtype), dtype, scale=1.0 / B, name="dlogits")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fused", [True, False], ids=["bn", "linear"])
@pytest.mark.parametrize("activation", ["tanh", None], ids=["tanh", "noact"])
def test_stats_accumulate_like_the_reference(dtype, fused, activation):
    """stats=... adds the block's output and gradient moments, call after call."""
    rng = np.random.default_rng(11)
    stats, stats_ref = np.zeros(5), np.zeros(5)
    for step in range(3):
        x, w, g, b, rm, rv, _ = random_block(rng, 33, 20, 17, dtype)
        dout = rng.standard_normal((33, 17)).astype(dtype)
        for impl, st in ((ops, stats), (ref, stats_ref)):
            if fused:
                out, cache = impl.linear_bn_tanh_forward(x, w, g, b, rm.copy(), rv.copy(),
                                                         activation=activation, stats=st,
                                                         saturation=0.9)
                impl.linear_bn_tanh_backward(dout, cache)
            else:
                out, cache = impl.linear_forward(x, w, None, activation, stats=st,
                                                 saturation=0.9)
                impl.linear_backward(dout, cache)
        np.testing.assert_allclose(stats, stats_ref, rtol=1e-4 if dtype == np.float32
                                   else 1e-10, atol=1e-3)
    assert stats[2] > 0      # some |out| > 0.9 in 3 x 33 x 17 normalised values


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_update(dtype):
    rng = np.random.default_rng(12)
    shapes = [(27, 10), (30, 100), (100,), (1, 1), (257, 63)]
    data = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
    expected = [d.copy() for d in data]
    ref.sgd_update(expected, grads, 0.1)
    ops.sgd_update(data, grads, 0.1)
    for got, want in zip(data, expected):
        assert_close(got, want, dtype, scale=1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lr", [0.1, 0.01])
def test_sgd_update_ratios(dtype, lr):
    """The update:data ratios measured during the update equal the lecture's."""
    rng = np.random.default_rng(13)
    shapes = [(27, 10), (30, 100), (100,), (2,), (257, 63)]
    data = [rng.standard_normal(s).astype(dtype) for s in shapes]
    data[2] = (1.0 + 0.01 * rng.standard_normal(100)).astype(dtype)   # a gain near 1
    data[3] += 1e3                                                     # far from 0
    grads = [(1e-3 * rng.standard_normal(s)).astype(dtype) for s in shapes]
    expected_data = [d.copy() for d in data]
    ratios, expected = np.zeros(len(shapes)), np.zeros(len(shapes))
    ops.sgd_update(data, grads, lr, update_ratios=ratios)
    ref.sgd_update(expected_data, grads, lr, update_ratios=expected)
    np.testing.assert_allclose(ratios, expected, atol=1e-4 if dtype == np.float32 else 1e-9)


# float32 products up to 2^23 multiply-adds go through csrc/gemm_small.inc:
# rows in blocks of 8, 4 or 6 (AVX-512, AVX2, 4 lanes) and their remainders,
# columns in vectors of 16, 8 or 4, a partial last one read with masked
# loads (AVX-512, AVX2) or from a zero-padded copy (4 lanes); dx's product
# either transposes W or runs as dx^T = W dout^T, transposing dout and the
# result (sgemm_transposes_c: the second for batch 13 and up here), both in
# 8 x 8 blocks and their edges.  Every combination of those edges, in all
# three products (forward, dW, dx).
@pytest.mark.parametrize("B", [1, 2, 5, 6, 7, 13, 32, 33])
@pytest.mark.parametrize("K", [1, 7, 8, 9, 17, 40])
@pytest.mark.parametrize("N", [1, 3, 8, 9, 15, 16, 17, 24, 31, 41])
def test_small_products_every_edge(B, K, N):
    rng = np.random.default_rng(B * 10_000 + K * 100 + N)
    x = rng.standard_normal((B, K)).astype(np.float32)
    w = rng.standard_normal((K, N)).astype(np.float32)
    out, cache = ops.linear_forward(x, w)
    out_ref, cache_ref = ref.linear_forward(x, w)
    assert_close(out, out_ref, np.float32, scale=float(np.abs(x).max() * np.abs(w).sum(0).max()),
                 name="out")
    dout = rng.standard_normal((B, N)).astype(np.float32)
    dx, dw, _ = ops.linear_backward(dout, cache)
    dx_ref, dw_ref, _ = ref.linear_backward(dout, cache_ref)
    assert_close(dx, dx_ref, np.float32, scale=float(np.abs(dout).max() * np.abs(w).sum(1).max()),
                 name="dx")
    assert_close(dw, dw_ref, np.float32, scale=float(np.abs(x).max() * np.abs(dout).sum(0).max()),
                 name="dweight")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 1), (2, 5), (32, 100), (33, 27), (257, 63),
                                   (4096, 513)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("unbiased", [False, True], ids=["biased", "unbiased"])
def test_batchnorm(dtype, shape, training, unbiased):
    B, N = shape
    rng = np.random.default_rng(B * 1000 + N)
    x = (5.0 + 2.0 * rng.standard_normal((B, N))).astype(dtype)
    _, _, g, b, rm, rv, _ = random_block(rng, B, 1, N, dtype)
    rm_ref, rv_ref = rm.copy(), rv.copy()
    options = dict(training=training, momentum=0.1, eps=1e-5, unbiased=unbiased)
    out, cache = ops.batchnorm_forward(x, g, b, rm, rv, **options)
    out_ref, cache_ref = ref.batchnorm_forward(x, g, b, rm_ref, rv_ref, **options)
    assert_close(out, out_ref, dtype, scale=1.0, name="out")
    assert_close(rm, rm_ref, dtype, scale=5.0, name="running_mean")
    assert_close(rv, rv_ref, dtype, scale=1.0, name="running_var")
    dout = rng.standard_normal((B, N)).astype(dtype)
    dx, dg, dbeta = ops.batchnorm_backward(dout, cache)
    dx_ref, dg_ref, dbeta_ref = ref.batchnorm_backward(dout, cache_ref)
    # Natural scales: dx's terms are ~|dout| gamma invstd each; the sums ~sum |dout|.
    sums = float(np.abs(dout).sum(0).max()) * 3
    terms = float(np.abs(dout).max() * np.abs(g * cache_ref.invstd).max()) * 3
    assert_close(dx, dx_ref, dtype, scale=terms, name="dx")
    assert_close(dg, dg_ref, dtype, scale=sums, name="dgamma")
    assert_close(dbeta, dbeta_ref, dtype, scale=sums, name="dbeta")


def test_batchnorm_is_the_fused_block_after_an_identity_product():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((16, 8))
    _, _, g, b, rm, rv, _ = random_block(rng, 16, 1, 8, np.float64)
    out, _ = ops.batchnorm_forward(x, g, b, rm.copy(), rv.copy(), unbiased=True)
    fused, _ = ops.linear_bn_tanh_forward(x, np.eye(8), g, b, rm.copy(), rv.copy(),
                                          activation=None, unbiased=True)
    np.testing.assert_allclose(out, fused, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3,), (2, 5), (32, 100)], ids=str)
def test_track_stats(dtype, shape):
    rng = np.random.default_rng(len(shape))
    out = rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    got, want = np.zeros(5), np.zeros(5)
    ops.track_stats(got, out, dout, saturation=0.5)
    ops.track_stats(got, out=out)
    ref.track_stats(want, out, dout, saturation=0.5)
    ref.track_stats(want, out=out)
    np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == np.float64 else 1e-6)
