"""The lecture's two networks: architecture, sizes, initialisation, rebuilding from config."""
import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast.models import lecture_mlp, single_layer_bn_mlp
from makemore_fast.nn import BatchNorm1d, Embedding, Linear, Sequential, Tanh


def n_params(model):
    return sum(p.nelement() for p in model.parameters())


def test_lecture_mlp_architecture():
    model = lecture_mlp(seed=0)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Embedding] + [Linear, BatchNorm1d, Tanh] * 5 + [Linear, BatchNorm1d]
    assert n_params(model) == 47_024
    assert all(layer.bias is None for layer in model.layers if isinstance(layer, Linear))
    assert model.block_size == 3
    np.testing.assert_allclose(model.layers[-1].gamma.data, 0.1)
    assert model.dtype == np.float32


def test_lecture_mlp_init_gains():
    model = lecture_mlp(n_hidden=400, seed=0, dtype=np.float64)
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    for lin in linears:           # the lecture's gain loop over layers[:-1]: every Linear
        assert lin.weight.data.std() == pytest.approx((5 / 3) / lin.fan_in ** 0.5, rel=0.03)
    assert model.layers[0].weight.data.std() == pytest.approx(1, rel=0.1)


def test_lecture_mlp_initial_loss_is_near_uniform():
    """The last gamma x 0.1 makes the first predictions nearly uniform: loss ~ ln(27)."""
    splits = mf.data.load_splits()
    model = lecture_mlp(seed=0)
    X, Y = splits.train
    loss, _ = mf.cross_entropy(model(X[:512]), Y[:512])
    assert loss == pytest.approx(np.log(27), abs=0.05)


def test_lecture_mlp_sizes():
    model = lecture_mlp(vocab_size=30, block_size=4, n_embd=6, n_hidden=20, n_layers=2, seed=0)
    assert [type(layer) for layer in model.layers].count(Tanh) == 2
    assert model.layers[1].fan_in == 24 and model.layers[-2].fan_out == 30
    assert model.block_size == 4
    assert n_params(lecture_mlp(n_layers=0, seed=0)) == 270 + 30 * 27 + 54


def test_single_layer_bn_mlp():
    model = single_layer_bn_mlp(seed=0, dtype=np.float64)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Embedding, Linear, BatchNorm1d, Tanh, Linear]
    assert n_params(model) == 12_097
    w1, w2 = model.layers[1], model.layers[4]
    assert w1.bias is None and w1.weight.shape == (30, 200)
    assert w1.weight.data.std() == pytest.approx((5 / 3) / 30 ** 0.5, rel=0.05)
    assert w2.weight.shape == (200, 27)
    assert w2.weight.data.std() == pytest.approx(0.01, rel=0.05)
    np.testing.assert_array_equal(w2.bias.data, 0)
    assert model.layers[2].momentum == 0.001


@pytest.mark.parametrize("build", [lecture_mlp, single_layer_bn_mlp])
def test_seeded_and_dtype_consistent(build):
    a, b, c = build(seed=7), build(seed=7), build(seed=8)
    d = build(seed=7, dtype=np.float64)
    for pa, pb, pc, pd in zip(a.parameters(), b.parameters(), c.parameters(), d.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert pd.data.dtype == np.float64
        np.testing.assert_array_equal(pa.data, pd.data.astype(np.float32))
        if pa.ndim == 2:
            assert not np.array_equal(pa.data, pc.data)


@pytest.mark.parametrize("build", [lecture_mlp, single_layer_bn_mlp])
def test_config_rebuilds_the_architecture(build):
    model = build(seed=0, dtype=np.float64)
    rebuilt = Sequential.from_config(model.config)
    assert rebuilt.config == model.config
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in model.parameters()]
    assert rebuilt.dtype == np.float64


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="block_size"):
        lecture_mlp(block_size=0)
    with pytest.raises(ValueError, match="n_layers"):
        lecture_mlp(n_layers=-1)
    with pytest.raises(TypeError, match="n_hidden"):
        single_layer_bn_mlp(n_hidden=2.5)
