"""BatchNorm folded into its Linear for inference: equal to the unfolded eval
path, never stale, and invisible to the model."""
import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast.nn import BatchNorm1d, Embedding, Linear, Sequential, Tanh
from makemore_fast.nn.fused import fold

# Folding rounds W * gamma / sigma once, then sums K products of it, where
# the unfolded path rounds x @ W, then scales: a few units in the last place
# of the outputs' scale apart (observed: 3e-7 in float32, 6e-16 in float64).
SCALE_TOL = {np.float32: 2e-6, np.float64: 2e-14}


def net(dtype, bias):
    """Linear -> BatchNorm1d -> Tanh, then with its own eps and momentum, then
    Linear -> Tanh (nothing to fold), then Linear -> BatchNorm1d (no activation)."""
    rng = np.random.default_rng(0)
    gain = mf.calculate_gain("tanh")
    return Sequential([
        Embedding(27, 10, rng=rng, dtype=dtype),
        Linear(30, 64, bias=bias, gain=gain, rng=rng, dtype=dtype),
        BatchNorm1d(64, dtype=dtype), Tanh(),
        Linear(64, 64, bias=bias, gain=gain, rng=rng, dtype=dtype),
        BatchNorm1d(64, eps=1e-3, momentum=0.05, dtype=dtype), Tanh(),
        Linear(64, 64, bias=bias, gain=gain, rng=rng, dtype=dtype), Tanh(),
        Linear(64, 27, bias=bias, gain=gain, rng=rng, dtype=dtype), BatchNorm1d(27, dtype=dtype),
    ])


@pytest.fixture(scope="module")
def splits():
    return mf.data.load_splits()


def trained_net(splits, dtype, bias):
    """`net` after 300 steps (running statistics far from 0 and 1), with random
    Linear biases: training leaves a bias before a BatchNorm1d at 0 (the batch
    mean absorbs it), and a non-zero one must enter b' as (b - mu)."""
    model = net(dtype, bias)
    mf.train(model, *splits.train, steps=300, seed=0, progress=False)
    model.vocab = splits.vocab
    if bias:
        rng = np.random.default_rng(1)
        for layer in model.layers:
            if isinstance(layer, Linear):
                layer.bias.data[:] = rng.standard_normal(layer.fan_out)
    return model


def layer_by_layer(model, X):
    """The unfolded eval path: every layer's own `infer`, one after another."""
    for layer in model.layers:
        X = layer.infer(X)
    return X


def same_state(model):
    """A new model holding a copy of `model`'s parameters and running statistics."""
    copy = Sequential.from_config(model.config)
    copy.load_state_dict(model.state_dict())
    copy.vocab = model.vocab
    return copy


def assert_outputs_close(actual, expected, dtype):
    assert actual.dtype == expected.dtype == dtype
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(actual, expected, rtol=0, atol=SCALE_TOL[dtype] * scale)


# ----------------------------------------------------------------------------
# the folded forward equals the unfolded one

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [False, True])
def test_folded_equals_layer_by_layer(splits, dtype, bias):
    model = trained_net(splits, dtype, bias)
    bn = model.layers[2]
    assert np.abs(bn.running_mean).max() > 0.1 and np.abs(bn.running_var - 1).max() > 0.1
    X = splits.val[0][:4000]
    expected = layer_by_layer(model, X)
    assert_outputs_close(model.folded()(X), expected, dtype)
    assert_outputs_close(model.infer(X), expected, dtype)


@pytest.mark.parametrize("bias", [False, True])
def test_fold_is_the_formula(bias):
    rng = np.random.default_rng(2)
    lin = Linear(6, 4, bias=bias, rng=rng, dtype=np.float64)
    bn = BatchNorm1d(4, eps=1e-3, dtype=np.float64)
    bn.gamma.data[:] = rng.standard_normal(4)
    bn.beta.data[:] = rng.standard_normal(4)
    bn.running_mean[:] = rng.standard_normal(4)
    bn.running_var[:] = rng.random(4) + 0.1
    b = lin.bias.data if bias else 0.0
    if bias:
        b[:] = rng.standard_normal(4)
    sigma = np.sqrt(bn.running_var + 1e-3)
    weight, folded_bias = fold(lin, bn)
    np.testing.assert_allclose(weight, lin.weight.data * bn.gamma.data / sigma, rtol=1e-15)
    np.testing.assert_allclose(folded_bias, (b - bn.running_mean) * bn.gamma.data / sigma
                               + bn.beta.data, rtol=1e-14)


def test_unfused_model_folds_nothing(splits):
    model = trained_net(splits, np.float32, True)
    unfused = Sequential(model.layers, fuse=False)
    X = splits.val[0][:500]
    np.testing.assert_array_equal(unfused.folded()(X), unfused.infer(X))


def test_sampling_follows_the_unfolded_path(splits):
    """float64: folding moves the probabilities by ~1e-16, no draw changes.
    float32: by ~1e-7, so a draw within that of a boundary may (none here)."""
    for dtype, min_equal in ((np.float64, 1.0), (np.float32, 0.99)):
        model = trained_net(splits, dtype, False)
        unfused = Sequential(model.layers, fuse=False)
        unfused.vocab = model.vocab
        folded_words = mf.sample(model, 300, seed=4)
        unfolded_words = mf.sample(unfused, 300, seed=4)
        same = np.mean([a == b for a, b in zip(folded_words, unfolded_words)])
        assert same >= min_equal


# ----------------------------------------------------------------------------
# never stale: in-place changes between calls are seen

def lecture_update(model, splits):
    """Three steps of the lecture's loop, its update written out in place."""
    X, Y = splits.train
    for i in range(3):
        ix = np.arange(32) + 32 * i
        loss, dlogits = mf.cross_entropy(model(X[ix]), Y[ix])
        model.zero_grad()
        model.backward(dlogits)
        for p in model.parameters():
            p.data += -0.1 * p.grad


def change_in_place(model, splits, what):
    """Change `what` in place, as a user would between two calls."""
    layers = model.layers                  # 1, 4, 7, 9: Linear; 2, 5, 10: BatchNorm1d
    if what == "lecture update":
        lecture_update(model, splits)
    elif what == "weight":
        layers[4].weight.data *= -1.0
    elif what == "linear bias":
        layers[9].bias.data -= 2.0
    elif what == "gamma":
        layers[2].gamma *= 3.0             # the lecture's Parameter *=
    elif what == "beta":
        layers[5].beta.data += 1.0
    elif what == "running_mean":
        layers[2].running_mean += 1.0
    elif what == "running_var":
        layers[10].running_var *= 5.0
    else:
        raise ValueError(what)


@pytest.mark.parametrize("change", ["lecture update", "weight", "linear bias", "gamma", "beta",
                                    "running_mean", "running_var"])
def test_changes_in_place_are_seen(splits, change):
    model = trained_net(splits, np.float32, True)
    X, Y = splits.val[0][:2000], splits.val[1][:2000]
    words, loss = mf.sample(model, 50, seed=7), mf.split_loss(model, X, Y)
    change_in_place(model, splits, change)
    fresh = same_state(model)                          # nothing cached: built now
    assert mf.sample(model, 50, seed=7) == mf.sample(fresh, 50, seed=7) != words
    assert mf.split_loss(model, X, Y) == mf.split_loss(fresh, X, Y) != loss
    np.testing.assert_array_equal(model.folded()(X), fresh.folded()(X))
    np.testing.assert_array_equal(model.infer(X), fresh.infer(X))


# ----------------------------------------------------------------------------
# reproducible, and nothing about the model changes

def test_sampling_is_reproducible_at_any_thread_count(splits):
    model = trained_net(splits, np.float32, False)
    words = mf.sample(model, 200, seed=11)
    for n in (1, 2):
        with mf.num_threads(n):
            assert mf.sample(model, 200, seed=11) == words


def test_folding_changes_nothing_in_the_model(splits):
    model = trained_net(splits, np.float32, True)
    X, Y = splits.train
    model(X[:32])
    model.backward(mf.cross_entropy(model.out, Y[:32])[1])
    state = model.state_dict()
    outs = [layer.out for layer in model.layers]
    grads = [p.grad for p in model.parameters()]
    threads = mf.get_num_threads()
    mf.sample(model, 20, seed=0)
    mf.split_loss(model, *splits.val)
    model.folded()(splits.val[0][:100])
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    assert all(layer.out is out for layer, out in zip(model.layers, outs))
    assert all(p.grad is g for p, g in zip(model.parameters(), grads))
    assert model.training and mf.get_num_threads() == threads
