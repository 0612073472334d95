"""Plots: one curve per layer with the lecture's legends, valid PNGs, no pyplot."""
import os
import struct
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure

import makemore_fast as mf
from makemore_fast import diagnostics as D
from makemore_fast.diagnostics import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run():
    X, Y = mf.data.load_splits().train
    model, tracker = mf.lecture_mlp(seed=5), D.UpdateTracker()
    history = mf.train(model, X, Y, steps=120, seed=5, progress=False, track_updates=tracker)
    return model, history, tracker


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    assert len(data) > 5_000                       # a drawn picture, not an empty canvas
    return struct.unpack(">II", data[16:24])


def legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_activation_plot_has_one_curve_per_tanh_layer(run, tmp_path):
    model = run[0]
    fig = plots.plot_activations(model, tmp_path / "a.png")
    assert isinstance(fig, Figure)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 5
    assert legend(fig) == [f"layer {i} (Tanh)" for i in (3, 6, 9, 12, 15)]
    assert fig.axes[0].get_title() == "activation distribution"
    hist = D.activation_histograms(model)
    np.testing.assert_array_equal(lines[0].get_xdata(), hist[0]["edges"][:-1])
    np.testing.assert_array_equal(lines[0].get_ydata(), hist[0]["density"])
    assert png_size(tmp_path / "a.png") == (2000, 400)   # the lecture's figsize=(20, 4)


def test_gradient_plot_has_one_curve_per_tanh_layer(run, tmp_path):
    model = run[0]
    fig = plots.plot_gradients(model, tmp_path / "g.png", bins=50)
    assert len(fig.axes[0].get_lines()) == 5
    assert all(len(line.get_xdata()) == 50 for line in fig.axes[0].get_lines())
    assert legend(fig) == [f"layer {i} (Tanh)" for i in (3, 6, 9, 12, 15)]
    assert fig.axes[0].get_title() == "gradient distribution"
    png_size(tmp_path / "g.png")


def test_weight_gradient_plot_has_one_curve_per_matrix(run, tmp_path):
    model = run[0]
    fig = plots.plot_weight_gradients(model, tmp_path / "w.png")
    assert len(fig.axes[0].get_lines()) == 7
    assert legend(fig) == ["0 (27, 10)", "1 (30, 100)", "4 (100, 100)", "7 (100, 100)",
                           "10 (100, 100)", "13 (100, 100)", "16 (100, 27)"]
    assert fig.axes[0].get_title() == "weights gradient distribution"
    png_size(tmp_path / "w.png")


@pytest.mark.parametrize("source", ["history", "tracker", "array+model"])
def test_update_ratio_plot_has_matrices_and_the_guideline(run, tmp_path, source):
    model, history, tracker = run
    args = {"history": (history, model), "tracker": (tracker,),
            "array+model": (np.asarray(history.update_ratios), model)}[source]
    fig = plots.plot_update_ratios(*args, path=tmp_path / "u.png")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 7 + 1
    assert legend(fig) == [f"param {k}" for k in (0, 1, 4, 7, 10, 13, 16)] + ["guideline 1e-3"]
    np.testing.assert_array_equal(lines[1].get_ydata(), history.update_ratios[:, 1])
    np.testing.assert_array_equal(lines[-1].get_ydata(), [-3, -3])
    np.testing.assert_array_equal(lines[-1].get_xdata(), [0, 120])
    png_size(tmp_path / "u.png")


def test_update_ratio_plot_without_shapes_draws_every_column(run):
    assert len(plots.plot_update_ratios(np.zeros((10, 4))).axes[0].get_lines()) == 4 + 1
    history = run[1]                      # a history alone does not know the shapes
    assert len(plots.plot_update_ratios(history).axes[0].get_lines()) == 19 + 1


def test_long_update_histories_are_drawn_every_kth_step():
    ratios = np.random.default_rng(0).normal(-3, 0.1, (10_001, 3))
    fig = plots.plot_update_ratios(ratios, max_points=1000)
    first = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(first.get_xdata(), np.arange(0, 10_001, 11))
    np.testing.assert_array_equal(first.get_ydata(), ratios[::11, 0])
    np.testing.assert_array_equal(fig.axes[0].get_lines()[-1].get_xdata(), [0, 10_001])


def test_update_ratio_plot_errors():
    with pytest.raises(ValueError, match="track_updates"):
        plots.plot_update_ratios(SimpleNamespace(update_ratios=None))
    with pytest.raises(ValueError, match="steps, n_params"):
        plots.plot_update_ratios(np.zeros(5))
    with pytest.raises(ValueError, match="parameters"):
        plots.plot_update_ratios(np.zeros((5, 3)), mf.lecture_mlp(seed=0))


def test_loss_plot_averages_log10_loss_over_windows(tmp_path):
    loss = np.exp(np.linspace(1.2, 0.7, 25_000))
    history = SimpleNamespace(loss=loss, val=[(10_000, 2.3), (25_000, 2.1)])
    fig = plots.plot_loss(history, tmp_path / "l.png")
    train, val = fig.axes[0].get_lines()
    assert legend(fig) == ["train (mean of 1000 steps)", "val"]
    assert len(train.get_ydata()) == 25
    np.testing.assert_allclose(train.get_ydata(),
                               np.log10(loss).reshape(25, 1000).mean(1))
    np.testing.assert_allclose(train.get_xdata(), np.arange(25) * 1000 + 499.5)
    np.testing.assert_allclose(val.get_ydata(), np.log10([2.3, 2.1]))
    assert png_size(tmp_path / "l.png") == (1000, 400)


@pytest.mark.parametrize("steps, window", [(1, 1), (9, 1), (25, 2), (1000, 100), (1049, 104),
                                           (10_000, 1000), (200_000, 1000)])
def test_short_histories_get_smaller_windows(steps, window):
    assert plots.loss_window(steps) == window
    fig = plots.plot_loss(np.full(steps, 10.0))
    (line,) = fig.axes[0].get_lines()
    assert len(line.get_xdata()) >= min(steps, 10) and np.all(line.get_ydata() == 1.0)


@pytest.mark.parametrize("steps, window, points", [(1, 1, 1), (25, 2, 13), (1049, 100, 10),
                                                   (1050, 100, 11), (3000, 1000, 3)])
def test_a_last_partial_window_is_kept_from_half_a_window(steps, window, points):
    loss = np.exp(np.arange(steps) / steps)
    x, y = plots.windowed_log10(loss, window)
    assert len(x) == len(y) == points
    full = steps // window
    np.testing.assert_allclose(y[:full], np.log10(loss[:full * window]).reshape(full, -1).mean(1))
    if points > full:
        np.testing.assert_allclose(y[-1], np.log10(loss[full * window:]).mean())
        assert x[-1] == pytest.approx((full * window + steps - 1) / 2)


def test_loss_plot_rejects_an_empty_history():
    with pytest.raises(ValueError, match="empty"):
        plots.plot_loss(SimpleNamespace(loss=np.zeros(0), val=[]))


def test_figures_show_inline_in_a_notebook(run):
    fig = plots.plot_activations(run[0])
    assert fig._repr_png_().startswith(PNG_SIGNATURE)


def test_plots_draw_into_a_given_axes(run):
    model, history, _ = run
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert plots.plot_activations(model, ax=axes[0]) is fig
    assert plots.plot_loss(history, ax=axes[1]) is fig
    assert len(axes[0].get_lines()) == 5 and len(axes[1].get_lines()) == 1


def run_python(code, cwd):
    """`code` in a fresh interpreter that imports the package under test.

    cwd: not the source tree, whose package has no compiled extension."""
    env = dict(os.environ, PYTHONPATH=str(Path(mf.__file__).resolve().parents[1]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def test_plotting_leaves_pyplot_and_the_backend_alone(tmp_path):
    # In a fresh interpreter (a notebook's situation): the backend chosen before
    # stays chosen, and pyplot is never imported.
    code = f"""
import sys, matplotlib
matplotlib.use("svg")
import numpy as np
import makemore_fast.diagnostics as D
fig = D.plot_loss(np.linspace(3, 2, 100), {str(tmp_path / 'x.png')!r})
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert "matplotlib.pyplot" not in sys.modules
print("ok")
"""
    out = run_python(code, tmp_path)
    assert out.stdout.strip() == "ok", out.stderr
    png_size(tmp_path / "x.png")


def test_importing_the_statistics_does_not_import_matplotlib(tmp_path):
    code = ("import sys, makemore_fast.diagnostics as D; "
            "print('matplotlib' in sys.modules); D.report; print('matplotlib' in sys.modules)")
    out = run_python(code, tmp_path)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_preactivation_plot_has_one_curve_per_tanh_layer_and_the_3_lines(run, tmp_path):
    model = run[0]
    fig = plots.plot_preactivations(model, tmp_path / "p.png")
    hist = D.preactivation_histograms(model)
    curves = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) > 2]
    assert len(curves) == 5
    np.testing.assert_array_equal(curves[2].get_ydata(), hist[2]["density"])
    assert legend(fig) == [f"layer {r['layer']} (Tanh): {r['beyond_3_pct']:.2f}% beyond ±3"
                           for r in hist]
    assert fig.axes[0].get_title() == "pre-activation distribution"
    assert png_size(tmp_path / "p.png") == (2000, 400)


def test_saturation_map_is_white_where_saturated_and_names_dead_units(tmp_path):
    from diagnostics_nets import forward_backward, plain_mlp

    model = plain_mlp()
    model.layers[1].bias.data[[17, 40, 88]] = 30.0
    forward_backward(model, mf.data.load_splits().train)
    fig = plots.plot_saturation_map(model, tmp_path / "s.png")
    assert len(fig.axes) == 5
    image = fig.axes[0].get_images()[0]
    np.testing.assert_array_equal(image.get_array(), np.abs(model.layers[2].out) > 0.99)
    assert image.get_cmap().name == "gray" and image.get_interpolation() == "nearest"
    assert fig.axes[0].get_title() == "layer 2 (Tanh): 3 dead units: 17, 40, 88"
    assert fig.axes[1].get_title() == "layer 4 (Tanh): no dead unit"
    png_size(tmp_path / "s.png")
    one = plots.plot_saturation_map(model, layer=4)
    assert len(one.axes) == 1 and one.axes[0].get_title().startswith("layer 4 (Tanh)")
    with pytest.raises(ValueError, match=r"layer must be the index of a Tanh layer.*got 3"):
        plots.plot_saturation_map(model, layer=3)
    many = {"layer": 6, "name": "Tanh", "dead": 12, "indices": list(range(0, 24, 2))}
    assert plots.saturation_title(many) == ("layer 6 (Tanh): 12 dead units: "
                                            "0, 2, 4, 6, 8, 10, 12, 14, ...")
    assert D.plot_saturation_map is plots.plot_saturation_map
    assert D.plot_preactivations is plots.plot_preactivations
