"""report(): the valid PNGs of IMAGES and a report.md with the tables, the findings and the
pictures (the lecture's five views, then the first half's pre-activations and saturation map)."""
import re

import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast import diagnostics as D
from makemore_fast.diagnostics.reports import IMAGES, MARKDOWN, report
from makemore_fast.nn import cross_entropy

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data():
    splits = mf.data.load_splits()
    return splits.train, splits.val


def assert_pngs(out_dir):
    assert len(IMAGES) == 7
    for name in IMAGES.values():
        data = (out_dir / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 5_000, name


def section(md, heading):
    """The text of one '## heading' section."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", md, re.S | re.M)
    assert match, heading
    return match.group(1)


def table_rows(text):
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_report_after_training(data, tmp_path):
    (X, Y), (Xv, Yv) = data
    model = mf.lecture_mlp(seed=7)
    history = mf.train(model, X, Y, steps=300, seed=7, progress=False, eval_data=(Xv, Yv),
                       track_updates=True)
    path = report(model, history, tmp_path / "out", title="after training")
    assert path == tmp_path / "out" / MARKDOWN
    assert_pngs(tmp_path / "out")
    md = path.read_text()
    assert md.startswith("# after training\n")
    for name in IMAGES.values():
        assert f"]({name})" in md
    assert "- steps: 300" in md and f"- initial loss: {history.loss[0]:.4f}" in md
    assert f"validation loss at step 300: {history.val[-1][1]:.4f}" in md
    assert "Nothing to report" in section(md, "Health check")

    act = table_rows(section(md, "Activations"))
    stats = D.activation_stats(model)
    assert len(act) == 5
    for row, r in zip(act, stats):
        assert row.startswith(f"| {r['layer']} | Tanh | ") and f"| {r['std']:.4f} |" in row
    assert len(table_rows(section(md, "Gradients"))) == 5
    weights = table_rows(section(md, "Weight gradients"))
    assert len(weights) == 7 and "(100, 27)" in weights[-1]
    updates = table_rows(section(md, "Update:data ratio"))
    last = np.mean(history.update_ratios[-30:, 16])           # window: 300 steps // 10
    assert len(updates) == 7 and f"| {last:+.2f} |" in updates[-1]
    printed = section(md, "As the lecture printed them")
    assert "\n".join(D.format_stats(model)) in printed
    pre = table_rows(section(md, "Pre-activations"))
    assert len(pre) == 5 and pre[0].startswith("| 3 | Tanh | 2 (BatchNorm1d) | ")
    hist = D.preactivation_histograms(model)
    assert pre[-1].endswith(f"| {hist[-1]['beyond_3_pct']:.2f} |")
    assert "](preactivations.png)" in md and "](saturation.png)" in md
    saturation = table_rows(section(md, "Saturation map"))
    assert len(saturation) == 5 and saturation[0].endswith("| no dead unit |")


def test_report_lists_the_findings(data, tmp_path):
    (X, Y), _ = data
    model = mf.lecture_mlp(seed=7)
    model.layers[-1].gamma.data[:] = 1.0
    history = mf.train(model, X, Y, steps=30, seed=7, progress=False)
    md = report(model, history, tmp_path).read_text()
    findings = section(md, "Health check")
    (finding,) = [f for f in D.health_check(model, history) if f.kind == "initial_loss"]
    assert f"- **warning** (initial_loss): {finding.message}" in findings


def test_report_at_initialisation(data, tmp_path):
    # --diagnose-init: one training-mode forward and backward, no history yet.
    (X, Y), _ = data
    model = mf.lecture_mlp(seed=7)
    _, dlogits = cross_entropy(model(X[:32]), Y[:32])
    model.backward(dlogits)
    md = report(model, None, tmp_path).read_text()
    assert_pngs(tmp_path)
    assert "At initialisation" in md
    assert "Not available: no training history" in section(md, "Update:data ratio")
    assert "Not available: no training history" in section(md, "Loss")
    assert len(table_rows(section(md, "Gradients"))) == 5


def test_report_without_tracked_updates_or_backward(data, tmp_path):
    (X, Y), _ = data
    model = mf.lecture_mlp(seed=7)
    history = mf.train(model, X, Y, steps=20, seed=7, progress=False)
    md = report(model, history, tmp_path / "a").read_text()
    assert "track_updates=True" in section(md, "Update:data ratio")
    assert_pngs(tmp_path / "a")
    fresh = mf.lecture_mlp(seed=7)
    fresh(X[:32])                                             # forward only
    md = report(fresh, None, tmp_path / "b").read_text()
    assert "no backward pass" in section(md, "Gradients")
    assert "no backward pass" in section(md, "Weight gradients")
    assert_pngs(tmp_path / "b")


def test_report_names_the_dead_units_of_the_saturation_map(data, tmp_path):
    from diagnostics_nets import forward_backward, plain_mlp

    model = plain_mlp()
    model.layers[1].bias.data[[17, 40, 88]] = 30.0
    forward_backward(model, data[0])
    md = report(model, None, tmp_path).read_text()
    rows = table_rows(section(md, "Saturation map"))
    assert rows[0].endswith("| 3 dead units: 17, 40, 88 |")
    assert "(units 17, 40, 88) are saturated" in section(md, "Health check")
    assert table_rows(section(md, "Pre-activations"))[0].startswith("| 2 | Tanh | 1 (Linear) | ")
    assert_pngs(tmp_path)


def test_first_half_views_that_cannot_be_drawn_say_why(tmp_path):
    model = mf.Sequential([mf.Embedding(27, 4), mf.Linear(12, 27)])     # no Tanh
    ix = np.zeros((4, 3), np.int64)
    _, dlogits = cross_entropy(model(ix), np.zeros(4, np.int64))
    model.backward(dlogits)
    md = report(model, None, tmp_path).read_text()
    assert "Not available: the model has no Tanh layer" in section(md, "Saturation map")
    assert "Not available: the model has no Tanh layer" in section(md, "Pre-activations")
    for name in ("preactivations.png", "saturation.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE


def test_report_is_one_import_away():
    assert D.report is report
    from makemore_fast.diagnostics import plot_loss, report as again
    assert again is report and plot_loss is D.plots.plot_loss
    assert "report" in dir(D) and "report" in D.__all__


def test_report_at_initialisation_leaves_the_model_as_it_was(data, tmp_path):
    (X, Y), _ = data
    model = mf.lecture_mlp(seed=7)
    before = model.state_dict()
    path = D.report_at_init(model, X, Y, tmp_path, seed=0)
    assert_pngs(tmp_path)
    md = path.read_text()
    assert md.startswith("# makemore_fast diagnostics at initialisation\n")
    loss = float(re.search(r"At initialisation: loss (\d\.\d{4}) on one batch of 32", md).group(1))
    assert abs(loss - np.log(27)) < 0.1 and "= 3.2958" in md
    assert "Nothing to report" in section(md, "Health check")
    assert len(table_rows(section(md, "Gradients"))) == 5
    assert len(table_rows(section(md, "Pre-activations"))) == 5       # the first half's views
    assert len(table_rows(section(md, "Saturation map"))) == 5
    after = model.state_dict()
    assert before.keys() == after.keys()
    for key in before:                              # BatchNorm running stats included
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)
    assert all(p.grad is None for p in model.parameters()) and model.training


def test_report_at_initialisation_finds_the_unscaled_last_layer(data, tmp_path):
    (X, Y), _ = data
    model = mf.lecture_mlp(seed=7)
    model.layers[-1].gamma.data[:] = 1.0
    model.eval()
    md = D.report_at_init(model, X, Y, tmp_path, seed=0).read_text()
    assert "(initial_loss): initial loss" in section(md, "Health check")
    assert not model.training                       # the mode is restored too
