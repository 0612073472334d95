"""diagnostics.stats: the lecture's statistics against a direct NumPy computation."""

import numpy as np
import pytest
from diagnostics_nets import forward_backward, plain_mlp, std1

import makemore_fast as mf
from makemore_fast import diagnostics as D
from makemore_fast.nn import Tanh


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


def test_preactivation_histograms_are_what_enters_each_tanh(data):
    # Fused, with BatchNorm: the input is the BatchNorm's output; without, the Linear's.
    for model, source in ((mf.lecture_mlp(seed=2), "BatchNorm1d"), (plain_mlp(gain=5), "Linear")):
        forward_backward(model, data)
        rows = D.preactivation_histograms(model, bins=40)
        assert [r["layer"] for r in rows] == [i for i, layer in enumerate(model.layers)
                                              if isinstance(layer, Tanh)]
        for r in rows:
            raw = model.layers[r["layer"] - 1].out
            x = np.asarray(raw, np.float64)
            assert r["source"] == r["layer"] - 1 and r["source_name"] == source
            # the Tanh's own output (the fused kernel's vectorised tanh: ~1e-6 apart)
            np.testing.assert_allclose(np.tanh(x), model.layers[r["layer"]].out, atol=1e-5)
            density, edges = np.histogram(raw.ravel(), bins=40, density=True)
            np.testing.assert_array_equal(r["edges"], edges)
            np.testing.assert_array_equal(r["density"], density)
            assert r["beyond_3_pct"] == pytest.approx(100 * np.mean(np.abs(x) > 3), abs=1e-12)
    assert max(r["beyond_3_pct"] for r in rows) > 10          # gain 5 saturates the plain net


def test_saturation_map_is_the_lectures_picture(data):
    model = plain_mlp()
    model.layers[1].bias.data[[3, 50, 70]] = 30.0       # three units always saturated
    forward_backward(model, data, batch=48)
    rows = D.saturation_map(model)
    assert [r["layer"] for r in rows] == [2, 4, 6, 8, 10]
    for r, dead in zip(rows, D.dead_units(model)):
        white = np.abs(model.layers[r["layer"]].out) > 0.99
        assert r["map"].dtype == bool and r["map"].shape == (48, 100)
        np.testing.assert_array_equal(r["map"], white)
        assert r["indices"] == dead["indices"] == np.flatnonzero(white.all(0)).tolist()
        assert r["saturated_pct"] == pytest.approx(100 * white.mean())
    assert rows[0]["indices"] == [3, 50, 70] and rows[0]["dead"] == 3
    assert D.saturation_map(model, threshold=0.5)[1]["saturated_pct"] > rows[1]["saturated_pct"]


def test_first_half_views_explain_what_is_missing(data):
    with pytest.raises(ValueError, match="run a forward pass first"):
        D.preactivation_histograms(mf.lecture_mlp(seed=0))
    with pytest.raises(ValueError, match="run a forward pass first"):
        D.saturation_map(mf.lecture_mlp(seed=0))
    first = mf.Sequential([Tanh()])
    first(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="layer 0 \\(Tanh\\) is the model's first layer"):
        D.preactivation_histograms(first)
