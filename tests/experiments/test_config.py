"""experiments.config: Config's contract (frozen, hashable, by value, JSON,
validated), grid and the presets."""
import dataclasses
import inspect
import json
import math
import pickle

import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast.experiments import LECTURE_LOSS_LOG, Config, grid, preset, with_steps


def test_defaults_are_lecture_mlp_and_train():
    c = Config()
    model_defaults = inspect.signature(mf.lecture_mlp).parameters
    for field in ("n_layers", "n_hidden", "n_embd", "block_size"):
        assert getattr(c, field) == model_defaults[field].default, field
    train_defaults = inspect.signature(mf.train).parameters
    for field in ("steps", "batch_size", "lr", "lr_decay_step", "decayed_lr"):
        assert getattr(c, field) == train_defaults[field].default, field
    assert c.batchnorm and c.gain == 5 / 3 and c.output_scale == 0.1 and c.dtype == "float32"


def test_frozen_hashable_equal_by_value_picklable_json():
    a, b = Config(gain=1, steps=10), Config(gain=1.0, steps=10)
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert len({a, b, Config()}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.gain = 2.0
    assert pickle.loads(pickle.dumps(a)) == a
    c = Config(name="x", w1_scale=0.2, b1_scale=0.01, batchnorm=False, gain=5 / 3)
    assert Config.from_json(c.to_json()) == c
    assert json.loads(c.to_json())["gain"] == 5 / 3            # exact, not rounded
    assert isinstance(a.gain, float) and type(Config(steps=np.int64(5)).steps) is int


def test_unknown_field_raises_type_error_naming_it():
    with pytest.raises(TypeError, match="hiddn"):
        Config(hiddn=3)
    with pytest.raises(TypeError, match="'hiddn'"):
        Config.from_dict({"hiddn": 3})
    with pytest.raises(TypeError, match="'hiddn'"):
        Config().replace(hiddn=3)


@pytest.mark.parametrize("field, value", [
    ("steps", -1), ("steps", 1.5), ("steps", True), ("n_hidden", 0), ("n_layers", -1),
    ("lr", 0), ("lr", -0.1), ("lr", math.nan), ("lr", math.inf), ("lr", "0.1"),
    ("decayed_lr", math.nan), ("gain", 0), ("seed", -3), ("dtype", "float16"),
    ("batch_size", 0), ("bn_momentum", 1.5), ("w1_scale", -1.0), ("name", ""),
    ("batchnorm", "yes"), ("output_scale", math.inf)])
def test_bad_value_raises_value_error_naming_it(field, value):
    with pytest.raises(ValueError, match=field):
        Config(**{field: value})


@pytest.mark.parametrize("changes, field", [
    (dict(batch_size=1), "batch_size"),
    (dict(b1_scale=0.1), "b1_scale"),                       # no b1 under BatchNorm
    (dict(b2_scale=0.0), "b2_scale"),                       # no b2 under an output BN
    (dict(n_layers=0, batchnorm=False, w1_scale=0.2), "w1_scale")])
def test_inconsistent_fields_raise_value_error(changes, field):
    with pytest.raises(ValueError, match=field):
        Config(**changes)


def test_grid_is_the_cartesian_product_with_names_from_the_axes():
    configs = grid(Config(), gain=[0.5, 1, 5 / 3, 3], batchnorm=[False, True])
    assert len(configs) == 8 and len(set(configs)) == 8
    assert configs[0].name == "gain=0.5 batchnorm=False"
    assert configs[5].name == "gain=1.667 batchnorm=True" and configs[5].gain == 5 / 3
    assert [c.batchnorm for c in configs[:2]] == [False, True]
    assert all(c.n_hidden == 100 for c in configs)
    named = grid(Config(name="deep"), lr=[0.1, 0.2])
    assert [c.name for c in named] == ["deep lr=0.1", "deep lr=0.2"]


@pytest.mark.parametrize("axes, error", [
    (dict(gian=[1]), TypeError), (dict(gain=1.0), TypeError), (dict(gain=[]), ValueError),
    (dict(gain=[1, -1]), ValueError), (dict(name=["a"]), ValueError)])
def test_grid_bad_axes(axes, error):
    with pytest.raises(error, match="gian|gain|name"):
        grid(Config(), **axes)


def test_with_steps_keeps_the_decay_at_the_same_fraction():
    c = with_steps(Config(steps=200_000, lr_decay_step=100_000), 1000)
    assert (c.steps, c.lr_decay_step) == (1000, 500)


def test_lecture_init_preset_is_the_notebooks_loss_log():
    configs = preset("lecture-init")
    assert [c.name for c in configs] == list(LECTURE_LOSS_LOG) == [
        "original", "fix softmax confidently wrong", "fix tanh layer too saturated at init",
        "use semi-principled kaiming init", "add batch norm layer"]
    for c in configs:
        assert (c.n_layers, c.n_hidden, c.steps, c.lr, c.lr_decay_step, c.decayed_lr) == (
            1, 200, 200_000, 0.1, 100_000, 0.01)
    original, softmax, tanh, kaiming, bn = configs
    assert (original.w1_scale, original.b1_scale, original.w2_scale, original.b2_scale) == (
        1, 1, 1, 1)
    assert (softmax.w2_scale, softmax.b2_scale) == (0.01, 0)
    assert (tanh.w1_scale, tanh.b1_scale) == (0.2, 0.01)
    assert kaiming.w1_scale is None and kaiming.gain == 5 / 3 and kaiming.b1_scale == 0.01
    assert bn.batchnorm and not bn.has_output_batchnorm and bn.bn_momentum == 0.001
    assert bn.b1_scale is None


def test_lecture_gains_and_deep_presets():
    gains = preset("lecture-gains")
    assert len(gains) == 8 and all(c.steps == 1000 and c.n_layers == 5 for c in gains)
    assert sorted({c.gain for c in gains}) == [0.5, 1.0, 5 / 3, 3.0]
    assert sorted({c.batchnorm for c in gains}) == [False, True]
    (deep,) = preset("lecture-deep")
    assert deep.replace(name=Config().name) == Config()
    with pytest.raises(ValueError, match="lecture-nope"):
        preset("lecture-nope")
