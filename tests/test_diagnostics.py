"""Diagnostics: statistics against direct NumPy, the lecture's lines, the update
tracker, and health_check on healthy and deliberately broken networks."""
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import makemore_fast as mf
from makemore_fast import diagnostics as D
from makemore_fast.diagnostics.moments import mean_std, mean_std_many
from makemore_fast.nn import Embedding, Linear, Sequential, Tanh, cross_entropy

VOCAB = 27


@pytest.fixture(scope="module")
def data():
    return mf.data.load_splits().train


def forward_backward(model, data, seed=0, batch=32):
    """One training-mode forward and backward on a random batch (the lecture's view)."""
    X, Y = data
    ix = np.random.default_rng(seed).integers(0, len(X), batch)
    loss, dlogits = cross_entropy(model(X[ix]), Y[ix])
    model.zero_grad()
    model.backward(dlogits)
    return loss


def plain_mlp(gain=5 / 3, last_gain=0.1, n_layers=5, seed=0, dtype=np.float32):
    """The lecture's deep net before BatchNorm: [Linear -> Tanh] x n_layers -> Linear."""
    rng = np.random.default_rng(seed)
    layers, fan_in = [Embedding(VOCAB, 10, rng=rng, dtype=dtype)], 30
    for _ in range(n_layers):
        layers += [Linear(fan_in, 100, gain=gain, rng=rng, dtype=dtype), Tanh()]
        fan_in = 100
    layers.append(Linear(fan_in, VOCAB, gain=last_gain, rng=rng, dtype=dtype))
    return Sequential(layers)


@pytest.fixture(scope="module", params=[np.float32, np.float64])
def trained(request, data):
    model = mf.lecture_mlp(seed=3, dtype=request.param)
    mf.train(model, *data, steps=60, seed=3, progress=False)
    return model


def std1(a):
    return np.asarray(a, np.float64).std(ddof=1)


# ----------------------------------------------------------------------------
# statistics equal a direct NumPy computation

def test_activation_stats_match_numpy(trained):
    rows = D.activation_stats(trained)
    tanhs = [i for i, layer in enumerate(trained.layers) if isinstance(layer, Tanh)]
    assert [r["layer"] for r in rows] == tanhs == [3, 6, 9, 12, 15]
    for r in rows:
        assert set(r) == {"layer", "name", "mean", "std", "saturated_pct"}
        t = trained.layers[r["layer"]].out.astype(np.float64)
        assert r["name"] == "Tanh"
        assert r["mean"] == pytest.approx(t.mean(), abs=1e-12)
        assert r["std"] == pytest.approx(t.std(ddof=1), rel=1e-12)
        assert r["saturated_pct"] == pytest.approx(100 * np.mean(np.abs(t) > 0.97), abs=1e-12)
        assert all(isinstance(r[k], float) for k in ("mean", "std", "saturated_pct"))


def test_activation_threshold_is_used(trained):
    t = trained.layers[3].out
    for threshold in (0.5, 0.9, 0.999):
        row = D.activation_stats(trained, threshold=threshold)[0]
        assert row["saturated_pct"] == pytest.approx(100 * np.mean(np.abs(t) > threshold))


def test_gradient_stats_match_numpy(trained):
    rows = D.gradient_stats(trained)
    assert [r["layer"] for r in rows] == [3, 6, 9, 12, 15]
    for r in rows:
        assert set(r) == {"layer", "name", "mean", "std"}
        g = trained.layers[r["layer"]].out_grad.astype(np.float64)
        assert r["mean"] == pytest.approx(g.mean(), abs=1e-15)
        assert r["std"] == pytest.approx(g.std(ddof=1), rel=1e-12)


def test_weight_grad_stats_match_numpy(trained):
    params = trained.parameters()
    rows = D.weight_grad_stats(trained)
    two_d = [k for k, p in enumerate(params) if p.data.ndim == 2]
    assert [r["index"] for r in rows] == two_d == [0, 1, 4, 7, 10, 13, 16]
    assert [r["shape"] for r in rows] == [(27, 10), (30, 100)] + [(100, 100)] * 4 + [(100, 27)]
    for r in rows:
        p = params[r["index"]]
        assert r["name"] == p.name
        assert r["mean"] == pytest.approx(p.grad.astype(np.float64).mean(), abs=1e-14)
        assert r["std"] == pytest.approx(std1(p.grad), rel=1e-12)
        assert r["grad_data_ratio"] == pytest.approx(std1(p.grad) / std1(p.data), rel=1e-12)


def test_dead_units_are_the_columns_saturated_for_every_example(data):
    model = plain_mlp()
    model.layers[1].bias.data[[3, 50, 77]] = 25.0       # pinned at tanh = +1
    model.layers[3].bias.data[9] = -25.0                 # pinned at tanh = -1
    forward_backward(model, data)
    rows = D.dead_units(model)
    assert [r["layer"] for r in rows] == [2, 4, 6, 8, 10]
    assert rows[0]["indices"] == [3, 50, 77] and rows[0]["dead"] == 3
    assert rows[0]["units"] == 100 and rows[0]["pct"] == pytest.approx(3.0)
    assert rows[1]["indices"] == [9]
    for r in rows:
        t = model.layers[r["layer"]].out
        assert r["indices"] == np.flatnonzero((np.abs(t) > 0.99).all(0)).tolist()


def test_histograms_are_torch_histogram_density(trained):
    def out(row):
        return trained.layers[row["layer"]].out

    def out_grad(row):
        return trained.layers[row["layer"]].out_grad

    for rows, source in ((D.activation_histograms(trained), out),
                         (D.gradient_histograms(trained), out_grad)):
        assert len(rows) == 5
        for r in rows:
            x = source(r)
            assert r["edges"].shape == (101,) and r["density"].shape == (100,)
            assert r["edges"][0] == x.min() and r["edges"][-1] == x.max()
            assert np.sum(r["density"] * np.diff(r["edges"])) == pytest.approx(1.0)
            density, edges = np.histogram(x, bins=100, density=True)
            np.testing.assert_array_equal(r["density"], density)
            np.testing.assert_array_equal(r["edges"], edges)
    weights = D.weight_grad_histograms(trained, bins=20)
    assert [r["index"] for r in weights] == [0, 1, 4, 7, 10, 13, 16]
    assert all(r["density"].shape == (20,) for r in weights)


def test_stats_before_forward_or_backward_explain_what_is_missing(data):
    model = mf.lecture_mlp(seed=0)
    with pytest.raises(ValueError, match="forward"):
        D.activation_stats(model)
    X, _ = data
    model(X[:32])
    assert len(D.activation_stats(model)) == 5
    with pytest.raises(ValueError, match="backward"):
        D.gradient_stats(model)
    with pytest.raises(ValueError, match="backward"):
        D.weight_grad_stats(model)


# ----------------------------------------------------------------------------
# the numerics under the statistics

float_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=40),
    elements=st.floats(-1e3, 1e3, width=32))


@settings(max_examples=60, deadline=None)
@given(st.lists(float_arrays, min_size=1, max_size=6), st.floats(-1e4, 1e4))
def test_mean_std_many_matches_two_pass_float64(arrays, offset):
    # An offset far larger than the spread is where a one-pass formula cancels.
    arrays = [(a + a.dtype.type(offset)) for a in arrays]
    means, stds = mean_std_many(arrays)
    for a, m, s in zip(arrays, means, stds):
        x = a.astype(np.float64)
        assert m == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
        assert s == pytest.approx(x.std(ddof=1), rel=1e-7, abs=1e-12 * (abs(x).max() + 1))
        assert (m, s) == pytest.approx(mean_std(a), rel=1e-7, abs=1e-12 * (abs(x).max() + 1))


def test_mean_std_edge_cases():
    ones = np.ones((10, 10), np.float32)
    means, stds = mean_std_many([ones, np.zeros(0), np.array([2.0]), np.full(7, 1e8 + 1)])
    assert means[0] == 1.0 and stds[0] == 0.0           # BatchNorm's gain at init
    assert math.isnan(means[1]) and math.isnan(stds[1])  # empty
    assert means[2] == 2.0 and math.isnan(stds[2])       # one element: nan, as torch
    assert stds[3] == 0.0
    assert mean_std(np.array([1.0, 3.0])) == (2.0, pytest.approx(math.sqrt(2)))
    # mean 1e8, spread 1e-3: one pass of sums would cancel to noise
    x = 1e8 + 1e-3 * np.random.default_rng(0).standard_normal(1000)
    assert mean_std_many([x])[1][0] == pytest.approx(x.std(ddof=1), rel=1e-9)


# ----------------------------------------------------------------------------
# the lecture's printed lines

def test_line_formats_are_the_lecture_f_strings():
    assert D.printing.format_activation(
        {"layer": 2, "name": "Tanh", "mean": -0.001, "std": 0.6312, "saturated_pct": 2.78}
    ) == "layer 2 (Tanh): mean -0.00, std 0.63, saturated: 2.78%"
    assert D.printing.format_gradient(
        {"layer": 2, "name": "Tanh", "mean": 1e-9, "std": 2.640702e-03}
    ) == "layer 2 (Tanh): mean +0.000000, std 2.640702e-03"
    assert D.printing.format_weight(
        {"shape": (27, 10), "mean": 1e-8, "std": 1.019890, "grad_data_ratio": 1.018850}
    ) == "weight   (27, 10) | mean +0.000000 | std 1.019890e+00 | grad:data ratio 1.018850e+00"


def test_print_stats_prints_three_blocks(trained, capsys):
    D.print_stats(trained)
    blocks = capsys.readouterr().out.rstrip("\n").split("\n\n")
    assert len(blocks) == 3
    act, grad, weight = (b.splitlines() for b in blocks)
    expected = D.activation_stats(trained)
    assert act == ["layer %d (Tanh): mean %+.2f, std %.2f, saturated: %.2f%%"
                   % (r["layer"], r["mean"], r["std"], r["saturated_pct"]) for r in expected]
    assert all(re.fullmatch(r"layer \d+ \(Tanh\): mean [+-]\d\.\d{6}, std \d\.\d{6}e[+-]\d\d", s)
               for s in grad) and len(grad) == 5
    assert [s.split("|")[0] for s in weight] == [
        "weight   (27, 10) ", "weight  (30, 100) "] + ["weight (100, 100) "] * 4 + [
        "weight  (100, 27) "]


def test_print_stats_before_backward_prints_activations_only(data, capsys):
    model = mf.lecture_mlp(seed=0)
    model(data[0][:32])
    D.print_stats(model)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(s.startswith("layer ") and "saturated" in s for s in lines)


# ----------------------------------------------------------------------------
# update:data ratios

def test_update_ratios_are_log10_lr_grad_std_over_data_std(trained):
    params = trained.parameters()
    got = D.update_ratios(params, 0.1)
    with np.errstate(divide="ignore"):
        want = np.log10(0.1 * np.array([std1(p.grad) / std1(p.data) for p in params]))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_tracker_records_each_step_of_train(data):
    tracker = D.UpdateTracker()
    model = mf.lecture_mlp(seed=1)
    history = mf.train(model, *data, steps=150, lr=0.1, lr_decay_step=100, decayed_lr=0.01,
                       seed=1, progress=False, track_updates=tracker)
    n_params = len(model.parameters())
    assert len(tracker) == 150 and tracker.ratios.shape == (150, n_params)
    assert history.update_ratios.shape == (150, n_params)
    np.testing.assert_array_equal(tracker.lrs, [0.1] * 100 + [0.01] * 50)
    assert tracker.names == [p.name for p in model.parameters()]
    assert tracker.shapes[0] == (27, 10) and tracker.matrix_columns() == [0, 1, 4, 7, 10, 13, 16]
    assert np.isfinite(tracker.ratios).all()
    # the same run measured by the update kernel (track_updates=True) agrees
    model = mf.lecture_mlp(seed=1)
    own = mf.train(model, *data, steps=150, lr=0.1, lr_decay_step=100, decayed_lr=0.01,
                   seed=1, progress=False, track_updates=True)
    np.testing.assert_allclose(tracker.ratios, own.update_ratios, atol=1e-3)


def test_tracker_matches_numpy_in_a_hand_written_loop(data):
    model, tracker = mf.lecture_mlp(seed=2, dtype=np.float64), D.UpdateTracker()
    expected = []
    for step in range(70):                                   # past the first growth (64)
        forward_backward(model, data, seed=step)
        lr = 0.1 / (1 + step)
        params = model.parameters()
        with np.errstate(divide="ignore"):
            expected.append(np.log10(lr * np.array([std1(p.grad) / std1(p.data)
                                                    for p in params])))
        tracker.record(params, lr)
        for p in params:
            p.data -= lr * p.grad
    np.testing.assert_allclose(tracker.ratios, np.array(expected), atol=1e-9)
    with pytest.raises(ValueError):
        tracker.ratios[0, 0] = 1.0                          # a read-only view
    with pytest.raises(ValueError, match="parameters"):
        tracker.record(model.parameters()[:3], 0.1)


# ----------------------------------------------------------------------------
# health_check: each finding on a network broken for it, none on a healthy one

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
    assert str(finding).startswith("layer 2 (Tanh): 7 of 100 units")


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
