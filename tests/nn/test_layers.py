"""Layers: against the NumPy reference, fused against layer by layer, the layer API."""
import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast import reference as ref
from makemore_fast.nn import BatchNorm1d, Embedding, Linear, Sequential, Tanh

RTOL = {np.float32: 2e-5, np.float64: 1e-12}
ATOL = {np.float32: 2e-6, np.float64: 1e-13}


def close(a, b, dtype):
    np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=ATOL[dtype])


def batch(rng, B=16, T=3, V=27):
    return rng.integers(0, V, (B, T)), rng.integers(0, V, B)


# ----------------------------------------------------------------------------
# each layer on its own against the reference

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_matches_reference(dtype):
    rng = np.random.default_rng(0)
    emb = Embedding(27, 10, rng=1, dtype=dtype)
    idx = rng.integers(0, 27, (8, 3))
    out = emb(idx)
    assert out.shape == (8, 30) and out.dtype == dtype and emb.out is out
    close(out, ref.embedding_forward(emb.weight.data, idx), dtype)
    dout = rng.standard_normal(out.shape).astype(dtype)
    assert emb.backward(dout) is None
    close(emb.weight.grad, ref.embedding_backward(dout, idx, 27), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_reference(dtype, bias):
    rng = np.random.default_rng(1)
    lin = Linear(12, 7, bias=bias, rng=2, dtype=dtype)
    if bias:
        lin.bias.data[:] = rng.standard_normal(7)
    x = rng.standard_normal((5, 12)).astype(dtype)
    out = lin(x)
    b = lin.bias.data if bias else None
    expected, cache = ref.linear_forward(x, lin.weight.data, b)
    close(out, expected, dtype)
    close(lin.out, expected, dtype)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = lin.backward(dout)
    rdx, rdw, rdb = ref.linear_backward(dout, cache)
    close(dx, rdx, dtype)
    close(lin.weight.grad, rdw, dtype)
    if bias:
        close(lin.bias.grad, rdb, dtype)
    else:
        assert lin.bias is None and len(lin.parameters()) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_matches_reference(dtype, training):
    """Standalone BatchNorm1d == the reference's Linear -> BatchNorm1d with identity weight."""
    rng = np.random.default_rng(2)
    bn = BatchNorm1d(6, momentum=0.3, dtype=dtype)
    bn.gamma.data[:] = rng.uniform(0.5, 2, 6)
    bn.beta.data[:] = rng.standard_normal(6)
    bn.running_mean[:] = rng.standard_normal(6)
    bn.running_var[:] = rng.uniform(0.5, 2, 6)
    bn.training = training
    rm, rv = bn.running_mean.copy(), bn.running_var.copy()
    x = (3 * rng.standard_normal((9, 6)) + 1).astype(dtype)
    out = bn(x)
    eye = np.eye(6, dtype=dtype)
    expected, cache = ref.linear_bn_tanh_forward(
        x, eye, bn.gamma.data, bn.beta.data, rm, rv, training=training, momentum=0.3,
        activation=None)
    close(out, expected, dtype)
    close(bn.running_mean, rm, dtype)
    close(bn.running_var, rv, dtype)
    assert bn.num_batches_tracked == int(training)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = bn.backward(dout)
    rdx, _, _, rdgamma, rdbeta = ref.linear_bn_tanh_backward(dout, cache)
    close(dx, rdx, dtype)
    close(bn.gamma.grad, rdgamma, dtype)
    close(bn.beta.grad, rdbeta, dtype)


def test_tanh_keeps_out_and_out_grad():
    rng = np.random.default_rng(3)
    t = Tanh()
    x = rng.standard_normal((4, 5))
    out = t(x)
    np.testing.assert_array_equal(out, np.tanh(x))
    assert t.out is out and t.parameters() == []
    dout = rng.standard_normal((4, 5))
    np.testing.assert_allclose(t.backward(dout), dout * (1 - np.tanh(x) ** 2))
    assert t.out_grad is dout


# ----------------------------------------------------------------------------
# fused (Sequential default) against layer by layer

def mixed_net(fuse, dtype=np.float64, seed=0):
    """Every kind of run: Linear->BN->Tanh, Linear->Tanh (bias), Linear->BN (bias), Linear."""
    rng = np.random.default_rng(seed)
    layers = [Embedding(27, 4, rng=rng, dtype=dtype),
              Linear(12, 16, bias=False, rng=rng, dtype=dtype), BatchNorm1d(16, dtype=dtype),
              Tanh(),
              Linear(16, 16, rng=rng, dtype=dtype), Tanh(),
              Linear(16, 16, rng=rng, dtype=dtype), BatchNorm1d(16, dtype=dtype),
              Linear(16, 27, rng=rng, dtype=dtype)]
    for layer in layers:
        if isinstance(layer, Linear) and layer.bias is not None:
            layer.bias.data[:] = rng.standard_normal(layer.fan_out)
    return Sequential(layers, fuse=fuse)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda fuse, dtype: mixed_net(fuse, dtype),
    lambda fuse, dtype: _fused_flag(mf.models.lecture_mlp(seed=5, dtype=dtype), fuse),
])
def test_fused_equals_layer_by_layer(make, dtype):
    fused, plain = make(True, dtype), make(False, dtype)
    rng = np.random.default_rng(4)
    for step in range(3):                          # running stats evolve identically too
        X, Y = batch(rng)
        if step == 2:
            fused.eval()
            plain.eval()
        lf, lp = fused(X), plain(X)
        close(lf, lp, dtype)
        loss_f, dlogits = mf.cross_entropy(lf, Y)
        loss_p, _ = mf.cross_entropy(lp, Y)
        assert loss_f == pytest.approx(loss_p, rel=RTOL[dtype])
        fused.zero_grad()
        plain.zero_grad()
        fused.backward(dlogits)
        plain.backward(dlogits)
        for pf, pp in zip(fused.parameters(), plain.parameters()):
            assert pf.name == pp.name
            close(pf.grad, pp.grad, dtype)
        for a, b in zip(fused.layers, plain.layers):
            close(a.out, b.out, dtype)                   # lazy inner outputs included
            if isinstance(a, Tanh):
                close(a.out_grad, b.out_grad, dtype)
            if isinstance(a, BatchNorm1d):
                close(a.running_mean, b.running_mean, dtype)
                close(a.running_var, b.running_var, dtype)
                assert a.num_batches_tracked == b.num_batches_tracked
        for pf, pp in zip(fused.parameters(), plain.parameters()):
            pf.data += -0.1 * pf.grad
            pp.data += -0.1 * pp.grad


def _fused_flag(model, fuse):
    model.fuse = fuse
    return model


def test_fused_plan_uses_the_fused_kernels(monkeypatch):
    """Sequential calls one fused kernel per run, not one op per layer."""
    calls = []
    from makemore_fast.nn import fused
    for name in ("linear_forward", "linear_bn_tanh_forward"):
        original = getattr(fused.ops, name)
        monkeypatch.setattr(fused.ops, name,
                            lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    model = mixed_net(True)
    model(batch(np.random.default_rng(0))[0])
    assert calls == ["linear_bn_tanh_forward", "linear_forward", "linear_bn_tanh_forward",
                     "linear_forward"]


def test_gradients_match_finite_differences():
    """The whole network's backward against central differences, float64."""
    model = mixed_net(True)
    rng = np.random.default_rng(6)
    X, Y = batch(rng, B=8)

    def loss_at():
        snapshot = [layer.running_mean.copy() for layer in model.layers
                    if isinstance(layer, BatchNorm1d)]
        loss, dlogits = mf.cross_entropy(model(X), Y)
        for layer, rm in zip([m for m in model.layers if isinstance(m, BatchNorm1d)], snapshot):
            layer.running_mean[:] = rm            # keep the buffers fixed between probes
        return loss, dlogits

    _, dlogits = loss_at()
    model.zero_grad()
    model.backward(dlogits)
    h = 1e-6
    for p in model.parameters():
        flat, grad = p.data.reshape(-1), p.grad.reshape(-1)
        for j in rng.choice(flat.size, size=min(5, flat.size), replace=False):
            old = flat[j]
            flat[j] = old + h
            up = loss_at()[0]
            flat[j] = old - h
            down = loss_at()[0]
            flat[j] = old
            assert (up - down) / (2 * h) == pytest.approx(grad[j], rel=1e-5, abs=1e-8), p.name


# ----------------------------------------------------------------------------
# the layer API

def test_lecture_update_loop_runs_unchanged():
    model = mf.models.lecture_mlp(seed=0)
    parameters = model.parameters()
    before = [p.data.copy() for p in parameters]
    X, Y = batch(np.random.default_rng(0), B=32)
    loss, dlogits = mf.cross_entropy(model(X), Y)
    model.zero_grad()
    model.backward(dlogits)
    lr = 0.1
    for p in parameters:
        p.data += -lr * p.grad
    for p, old in zip(parameters, before):
        assert p.grad.shape == p.data.shape and p.grad.dtype == p.data.dtype
        np.testing.assert_allclose(p.data, old - lr * p.grad, rtol=1e-6, atol=1e-7)
    assert mf.cross_entropy(model(X), Y)[0] < loss


def test_gradients_accumulate_until_zero_grad():
    model = mixed_net(True)
    X, Y = batch(np.random.default_rng(1))
    model.eval()                                   # same forward twice
    _, d = mf.cross_entropy(model(X), Y)
    model.backward(d)
    first = [p.grad.copy() for p in model.parameters()]
    model(X)
    model.backward(d)
    for p, g in zip(model.parameters(), first):
        np.testing.assert_allclose(p.grad, 2 * g)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_parameters_order_and_names():
    model = mf.models.lecture_mlp(seed=0)
    names = [p.name for p in model.parameters()]
    assert names[:4] == ["layers.0.weight", "layers.1.weight", "layers.2.gamma",
                         "layers.2.beta"]
    assert names[-3:] == ["layers.16.weight", "layers.17.gamma", "layers.17.beta"]
    assert model.parameters()[0] is model.layers[0].weight          # C first


def test_parameter_behaves_like_the_lectures_tensor():
    lin = Linear(4, 3, rng=0, dtype=np.float64)
    w = lin.weight.data.copy()
    lin.weight *= 5 / 3                           # the lecture's init edit
    np.testing.assert_allclose(lin.weight.data, w * 5 / 3)
    assert lin.weight.nelement() == 12 and lin.weight.shape == (4, 3)
    assert np.asarray(lin.weight) is lin.weight.data


def test_calculate_gain():
    assert mf.calculate_gain("tanh") == 5 / 3
    assert mf.calculate_gain("linear") == 1.0
    assert mf.calculate_gain("relu") == pytest.approx(2 ** 0.5)
    with pytest.raises(ValueError, match="nonlinearity"):
        mf.calculate_gain("softsign")


def test_linear_init_is_kaiming():
    lin = Linear(400, 300, rng=0, gain=5 / 3, dtype=np.float64)
    assert lin.weight.data.std() == pytest.approx((5 / 3) / 400 ** 0.5, rel=0.01)
    assert lin.weight.data.mean() == pytest.approx(0, abs=0.002)


def test_infer_records_nothing():
    model = mf.models.lecture_mlp(seed=0)
    X, _ = batch(np.random.default_rng(0))
    model(X)
    outs = [layer.out for layer in model.layers]
    state = model.state_dict()
    logits = model.infer(X)
    assert all(layer.out is o for layer, o in zip(model.layers, outs))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    model.eval()
    np.testing.assert_allclose(model(X), logits, rtol=1e-6)


def test_train_eval_modes():
    model = mf.models.lecture_mlp(seed=0)
    assert model.training
    model.eval()
    assert not model.training and not any(layer.training for layer in model.layers)
    model.train()
    assert all(layer.training for layer in model.layers)


def test_editing_layers_replans():
    model = mixed_net(True)
    X, _ = batch(np.random.default_rng(0))
    model(X)
    model.layers.append(Tanh())
    out = model(X)
    assert out.shape == (16, 27)
    np.testing.assert_allclose(out, np.tanh(model.layers[-2].out), rtol=1e-12)


def test_single_example_forward_in_eval_mode():
    model = mf.models.lecture_mlp(seed=0).eval()
    assert model(np.zeros((1, 3), np.int64)).shape == (1, 27)


def test_bad_inputs_are_named():
    with pytest.raises(TypeError, match="dtype"):
        Linear(3, 4, dtype=np.int32)
    with pytest.raises(ValueError, match="fan_in"):
        Linear(0, 4)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(4, momentum=2)
    with pytest.raises(TypeError, match="mix dtypes"):
        Sequential([Linear(3, 4, dtype=np.float32), Linear(4, 2, dtype=np.float64)])
    with pytest.raises(TypeError, match="layers\\[1\\]"):
        Sequential([Tanh(), "relu"])
    bn = BatchNorm1d(4)
    with pytest.raises(ValueError, match="at least 2"):
        bn(np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError, match="shape"):
        bn(np.zeros((3, 5), np.float32))
    with pytest.raises(TypeError, match="float64"):
        bn(np.zeros((3, 4), np.float64))
    model = mf.models.lecture_mlp(seed=0)
    with pytest.raises(IndexError, match="idx"):
        model(np.full((2, 3), 27))


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "layers"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unbiased_batchnorm_is_the_lectures_and_travels_in_config(fuse, dtype):
    """BatchNorm1d(unbiased=True) normalises with x.var(0) (1/(B-1)) in training,
    fused or not; eval, folding and the running statistics are torch's either way."""
    rng = np.random.default_rng(4)
    model = mf.lecture_mlp(n_hidden=16, n_layers=2, seed=4, dtype=dtype, unbiased=True)
    seq = mf.Sequential(model.layers, fuse=fuse)
    X = rng.integers(0, 27, (8, 3))
    seq.train()
    out = seq(X)
    h = ref.embedding_forward(model.layers[0].weight.data, X)
    for i, layer in enumerate(model.layers[1:], 1):
        if isinstance(layer, mf.BatchNorm1d):
            h, _ = ref.batchnorm_forward(h, layer.gamma.data, layer.beta.data,
                                         np.zeros(layer.dim), np.ones(layer.dim),
                                         unbiased=True)
        elif isinstance(layer, mf.Linear):
            h = h @ layer.weight.data
        else:
            h = np.tanh(h)
    np.testing.assert_allclose(out, h, rtol=1e-4 if dtype == np.float32 else 1e-10,
                               atol=1e-5 if dtype == np.float32 else 1e-12)
    rebuilt = mf.Sequential.from_config(seq.config)
    assert all(layer.unbiased for layer in rebuilt.layers if isinstance(layer, mf.BatchNorm1d))
    seq.eval()
    np.testing.assert_allclose(seq.folded()(X), seq.infer(X),
                               rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-6)
