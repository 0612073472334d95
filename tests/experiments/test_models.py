"""experiments.models.build_model: the nets and inits the Configs describe."""
import math

import numpy as np

import makemore_fast as mf
from makemore_fast.experiments import Config, build_model, preset

X, Y = mf.data.load_splits().train


def same_parameters(a, b):
    pa, pb = a.parameters(), b.parameters()
    return len(pa) == len(pb) and all(np.array_equal(p.data, q.data) for p, q in zip(pa, pb))


def test_default_config_is_lecture_mlp():
    assert same_parameters(build_model(Config(seed=7)), mf.lecture_mlp(seed=7))


def test_unbiased_config_is_lecture_mlp_unbiased():
    model = build_model(Config(seed=7, unbiased=True))
    assert model.config == mf.lecture_mlp(seed=7, unbiased=True).config
    assert all(layer.unbiased for layer in model.layers if isinstance(layer, mf.BatchNorm1d))
    assert Config.from_json(Config(unbiased=True).to_json()).unbiased is True


def test_batch_norm_run_is_single_layer_bn_mlp():
    bn = preset("lecture-init")[-1].replace(seed=3)
    model, ref = build_model(bn), mf.single_layer_bn_mlp(seed=3)
    assert same_parameters(model, ref)
    assert [type(x).__name__ for x in model.layers] == [type(x).__name__ for x in ref.layers]
    assert model.layers[2].momentum == 0.001


def initial_loss(config):
    loss, _ = mf.cross_entropy(build_model(config)(X[:4096]), Y[:4096])
    return loss


def test_the_notebooks_init_steps_change_the_initial_loss_as_in_the_lecture():
    original, softmax, tanh, kaiming, bn = preset("lecture-init")
    assert initial_loss(original) > 15                       # the lecture's 27.88
    for c in (softmax, tanh, kaiming, bn):
        assert abs(initial_loss(c) - math.log(27)) < 0.05    # the lecture's 3.29-3.32


def test_hand_picked_scales_are_the_notebooks():
    original, softmax, tanh, kaiming, _ = preset("lecture-init")
    m = build_model(tanh.replace(dtype="float64"))
    w1, b1, w2, b2 = (p.data for p in m.parameters()[1:])
    assert abs(w1.std() - 0.2) < 0.01 and abs(b1.std() - 0.01) < 0.002
    assert abs(w2.std() - 0.01) < 0.001 and np.all(b2 == 0)
    w1 = build_model(kaiming.replace(dtype="float64")).parameters()[1].data
    assert abs(w1.std() - (5 / 3) / math.sqrt(30)) < 0.01
    assert abs(build_model(original).parameters()[2].data.std() - 1) < 0.15   # b1 ~ N(0, 1)


def test_deep_net_without_batchnorm_is_the_lectures():
    c = Config(batchnorm=False, gain=3.0, dtype="float64")
    m = build_model(c)
    kinds = [type(x).__name__ for x in m.layers]
    assert kinds == ["Embedding"] + ["Linear", "Tanh"] * 5 + ["Linear"]
    hidden = m.layers[3].weight.data
    assert abs(hidden.std() - 3.0 / math.sqrt(100)) < 0.02       # the gain
    out = m.layers[-1]
    assert out.bias is not None and abs(out.weight.data.std() - 0.1 / 10) < 0.001
