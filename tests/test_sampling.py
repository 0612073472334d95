"""Sampling: reproducible, decoded with the model's vocabulary, state untouched."""
import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast.data import Vocab


@pytest.fixture(scope="module")
def trained():
    splits = mf.data.load_splits()
    model = mf.lecture_mlp(n_hidden=32, n_layers=2, seed=0)
    mf.train(model, *splits.train, steps=1500, seed=0, progress=False)
    model.vocab = splits.vocab
    return model


def test_reproducible_for_a_seed(trained):
    a = mf.sample(trained, 20, seed=5)
    assert a == mf.sample(trained, 20, seed=5)
    assert a != mf.sample(trained, 20, seed=6)
    assert len(a) == 20 and all(isinstance(w, str) for w in a)
    assert all(set(w) <= set("abcdefghijklmnopqrstuvwxyz") for w in a)


def test_samples_look_like_names(trained):
    words = mf.sample(trained, 200, seed=0)
    lengths = np.array([len(w) for w in words])
    assert 3 < lengths.mean() < 10                 # names are 6.1 letters on average


def test_sampling_leaves_the_model_alone(trained):
    state = trained.state_dict()
    trained.train()
    mf.sample(trained, 5, seed=0)
    assert trained.training
    for key, value in trained.state_dict().items():
        np.testing.assert_array_equal(value, state[key])


def test_follows_the_distribution():
    """A model that always predicts '.' then 'b' w.p. 1/2: check the draw's statistics."""
    model = mf.Sequential([mf.Embedding(3, 1, rng=0), mf.Linear(2, 3, rng=0)])
    model.layers[1].weight.data[:] = 0
    model.layers[1].bias.data[:] = np.log([2.0, 1.0, 1.0])   # P = 1/2, 1/4, 1/4
    model.vocab = Vocab(".ab")
    words = mf.sample(model, 4000, seed=1)
    first = np.array([w[:1] for w in words])
    assert np.mean(first == "") == pytest.approx(0.5, abs=0.03)
    assert np.mean(first == "a") == pytest.approx(0.25, abs=0.03)


def test_never_ending_model_is_bounded():
    model = mf.Sequential([mf.Embedding(2, 1, rng=0), mf.Linear(3, 2, rng=0)])
    model.layers[1].weight.data[:] = 0
    model.layers[1].bias.data[:] = [-1e4, 0]               # never '.'
    model.vocab = Vocab(".x")
    assert mf.sample(model, 2, seed=0) == ["x" * mf.sampling.MAX_LENGTH] * 2


def test_errors():
    model = mf.lecture_mlp(vocab_size=5, seed=0)
    with pytest.raises(ValueError, match="vocab"):
        mf.sample(model, 2)
    with pytest.raises(ValueError, match="n must be"):
        mf.sample(mf.lecture_mlp(seed=0), -1)
    assert mf.sample(mf.lecture_mlp(seed=0), 0) == []
