"""diagnostics.health: each finding on a network broken for it, none on a healthy one."""
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
from diagnostics_nets import VOCAB, forward_backward, plain_mlp

import makemore_fast as mf
from makemore_fast import diagnostics as D


def kinds(findings, alarming_only=True):
    return {f.kind for f in findings if f.alarming or not alarming_only}


@pytest.mark.parametrize("seed", [0, 1])
def test_healthy_lecture_net_raises_no_alarm(data, seed):
    model = mf.lecture_mlp(seed=seed)
    history = mf.train(model, *data, steps=400, seed=seed, progress=False,
                       track_updates=D.UpdateTracker())
    findings = D.health_check(model, history)
    assert [f for f in findings if f.alarming] == []
    stats = D.activation_stats(model)
    assert all(0.55 < r["std"] < 0.75 and r["saturated_pct"] < 5 for r in stats)


def test_unscaled_last_layer_gives_high_initial_loss(data):
    model = mf.lecture_mlp(seed=0)
    model.layers[-1].gamma.data[:] = 1.0                      # undo the lecture's * 0.1
    history = mf.train(model, *data, steps=20, seed=0, progress=False)
    (finding,) = [f for f in D.health_check(model, history) if f.kind == "initial_loss"]
    assert finding.value == history.loss[0] > 1.05 * math.log(VOCAB)
    assert f"{history.loss[0]:.4f}" in str(finding) and "3.2958" in str(finding)


def test_too_large_gain_saturates(data):
    model = plain_mlp(gain=3.0)
    forward_backward(model, data)
    findings = D.health_check(model)
    saturated = [f for f in findings if f.kind == "saturation"]
    stats = {r["layer"]: r["saturated_pct"] for r in D.activation_stats(model)}
    assert len(saturated) == 5
    for f in saturated:
        layer = int(f.subject.split()[1])
        assert f.value == stats[layer] > 5 and f"{stats[layer]:.2f}%" in f.message
    assert "gradient_spread" in kinds(findings)             # and gradients grow to the input


def test_too_small_gain_fades_activations_and_gradients(data):
    model = plain_mlp(gain=0.5)
    forward_backward(model, data)
    findings = {f.kind: f for f in D.health_check(model)}
    act, grad = D.activation_stats(model), D.gradient_stats(model)
    assert findings["activation_spread"].value == pytest.approx(act[-1]["std"] / act[0]["std"])
    assert findings["activation_spread"].value < 1 / 1.5
    assert findings["gradient_spread"].value == pytest.approx(grad[-1]["std"] / grad[0]["std"])
    assert findings["gradient_spread"].value > 3
    assert "saturation" not in findings


def test_dead_units_are_reported(data):
    model = plain_mlp()
    model.layers[1].bias.data[:7] = 30.0
    forward_backward(model, data)
    (finding,) = [f for f in D.health_check(model) if f.kind == "dead_units"]
    assert finding.value == 7 and finding.subject == "layer 2 (Tanh)"
    assert str(finding).startswith("layer 2 (Tanh): 7 of 100 units (units 0, 1, 2, 3, 4, 5, "
                                   "6) are saturated")


def test_dead_units_are_named_briefly_when_many(data):
    model = plain_mlp()
    model.layers[3].bias.data[[5, 9, 11, 20, 21, 22, 23, 30, 31, 40, 99]] = 30.0
    model.layers[5].bias.data[42] = -30.0
    forward_backward(model, data)
    found = {f.subject: f for f in D.health_check(model) if f.kind == "dead_units"}
    assert "(units 5, 9, 11, 20, 21, 22, 23, 30, ...) are" in str(found["layer 4 (Tanh)"])
    assert "(unit 42) are" in str(found["layer 6 (Tanh)"])


def test_learning_rate_too_high_or_too_low_shows_in_update_ratios(data):
    for lr, side in ((5.0, "above"), (0.0005, "below")):
        model = mf.lecture_mlp(seed=0)
        history = mf.train(model, *data, steps=200, lr=lr, seed=0, progress=False,
                           track_updates=True)
        found = [f for f in D.health_check(model, history) if f.kind == "update_data_ratio"]
        assert found and all(side in f.message for f in found)
        assert all((f.value > 2e-2) if side == "above" else (f.value < 5e-5) for f in found)


def test_update_ratio_needs_a_long_stretch(data):
    model = mf.lecture_mlp(seed=0)
    forward_backward(model, data)
    ratios = np.full((1000, len(model.parameters())), -3.0)
    ratios[100:130, 1] = -1.0                                 # a blip: no finding
    ratios[400:800, 4] = -5.0                                 # a long stretch below
    history = SimpleNamespace(loss=np.full(1000, 3.3), update_ratios=ratios)
    (finding,) = [f for f in D.health_check(model, history) if f.kind == "update_data_ratio"]
    assert finding.subject == "param 4 (100, 100)" and finding.value == pytest.approx(1e-5)
    length = int(re.search(r"for (\d+) of 1000 steps", finding.message).group(1))
    assert 350 <= length <= 400           # the smoothed curve crosses a little late


def test_diverged_loss_is_reported(data):
    model = mf.lecture_mlp(seed=0)
    forward_backward(model, data)
    loss = np.r_[np.full(10, 3.3), np.nan, np.inf]
    (finding,) = [f for f in D.health_check(model, SimpleNamespace(loss=loss))
                  if f.kind == "non_finite_loss"]
    assert finding.value == 10 and "step 10" in str(finding)


def test_scaled_down_last_layer_is_an_info_outlier(data):
    # The lecture's net before BatchNorm: its last layer, scaled by 0.1 so the
    # initial loss is right, has a grad:data ratio far above the others'.
    model = plain_mlp(last_gain=0.1)
    forward_backward(model, data)
    outliers = [f for f in D.health_check(model) if f.kind == "grad_data_ratio"]
    assert [f.subject for f in outliers] == ["param 11 (100, 27)"]
    assert outliers[0].severity == "info" and not outliers[0].alarming


def test_findings_are_printable_sentences_with_their_number(data):
    model = plain_mlp(gain=3.0)
    forward_backward(model, data)
    for f in D.health_check(model):
        assert str(f) == f.message and "\n" not in f.message
        assert isinstance(f.value, float) and f.severity in ("warning", "info")


def test_saturation_after_training_with_batchnorm_is_information_not_a_warning(data):
    """A BatchNorm's learned gain saturates its tanh after training (as in the
    lecture's trained nets); at initialisation the same saturation is a warning."""
    model = mf.lecture_mlp(seed=6)
    for layer in model.layers[:-1]:
        if isinstance(layer, mf.BatchNorm1d):
            layer.gamma.data *= 3.0                       # as if learned
    X, Y = data
    _, dlogits = mf.cross_entropy(model(X[:64]), Y[:64])
    model.backward(dlogits)
    at_init = [f for f in D.health_check(model) if f.kind == "saturation"]
    trained = SimpleNamespace(loss=np.full(1000, 2.1), update_ratios=None)
    after = [f for f in D.health_check(model, trained) if f.kind == "saturation"]
    assert len(at_init) == len(after) == 5
    assert all(f.alarming for f in at_init)
    assert not any(f.alarming for f in after)
    assert all("learned gains up to 3" in f.message for f in after)
