"""A diverged run is a finding, not a crash: train(on_nonfinite=...), the health
check, the report and `makemore-fast train` at a learning rate that blows up."""
import io
import math
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast import cli, diagnostics

SPLITS = mf.data.load_splits()


def small(seed=0):
    return mf.lecture_mlp(n_hidden=16, n_layers=2, seed=seed)


@pytest.mark.parametrize("whole_steps", [True, False])
def test_stop_ends_at_the_first_non_finite_step(whole_steps):
    model = small()
    history = mf.train(model, *SPLITS.train, steps=300, lr=1e30, seed=0, progress=False,
                       track_updates=True, whole_steps=whole_steps)
    step = history.diverged_at
    assert step is not None and step >= 1
    assert history.steps == step + 1                       # truncated to include it
    assert not math.isfinite(history.loss[-1]) and np.isfinite(history.loss[:-1]).all()
    assert history.update_ratios.shape == (step + 1, len(model.parameters()))
    assert history.divergence.startswith(f"diverged at step {step}: the loss is ")
    # the layers show the model as it stopped (the views read them)
    assert all(layer.out is not None for layer in model.layers[1:] if hasattr(layer, "out"))


def test_both_paths_stop_at_the_same_step_with_the_same_losses():
    runs = [mf.train(small(), *SPLITS.train, steps=300, lr=1e30, seed=0, progress=False,
                     whole_steps=w) for w in (True, False)]
    assert runs[0].diverged_at == runs[1].diverged_at
    np.testing.assert_array_equal(runs[0].loss, runs[1].loss)


def test_continue_keeps_training_every_step():
    history = mf.train(small(), *SPLITS.train, steps=300, lr=1e30, seed=0, progress=False,
                       on_nonfinite="continue")
    assert history.steps == 300 and history.diverged_at is None
    assert np.isnan(history.loss[-1])


def test_a_healthy_run_is_not_stopped():
    history = mf.train(small(), *SPLITS.train, steps=300, seed=0, progress=False)
    assert history.steps == 300 and history.diverged_at is None and history.divergence is None


@pytest.mark.parametrize("bad", ["halt", None, 1, "Stop"])
def test_on_nonfinite_is_checked(bad):
    with pytest.raises(ValueError, match="on_nonfinite"):
        mf.train(small(), *SPLITS.train, steps=1, progress=False, on_nonfinite=bad)


def test_health_check_names_the_divergence_and_nothing_from_nan_ratios():
    model = small()
    history = mf.train(model, *SPLITS.train, steps=300, lr=1e30, seed=0, progress=False,
                       track_updates=True, on_nonfinite="continue")
    findings = diagnostics.health_check(model, history)
    kinds = [f.kind for f in findings]
    assert "non_finite_loss" in kinds
    assert "update_data_ratio" not in kinds, [str(f) for f in findings]
    assert not any("barely moves" in str(f) for f in findings)
    diverged = next(f for f in findings if f.kind == "non_finite_loss")
    assert "diverged" in str(diverged) and f"step {int(diverged.value)}" in str(diverged)


def test_report_of_a_diverged_run_draws_what_is_finite(tmp_path):
    model = small()
    history = mf.train(model, *SPLITS.train, steps=300, lr=1e30, seed=0, progress=False,
                       track_updates=True)
    path = diagnostics.report(model, history, tmp_path)
    text = path.read_text()
    assert f"diverged at step {history.diverged_at}" in text
    for name in ("activations", "gradients", "weight_gradients", "update_ratios", "loss"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_histogram_leaves_out_non_finite_values():
    density, edges = diagnostics.histogram(np.array([0.0, 1.0, np.nan, np.inf]), bins=2)
    assert edges[0] == 0.0 and edges[-1] == 1.0 and np.all(density == 1.0)
    density, edges = diagnostics.histogram(np.array([np.nan, np.nan]), bins=4)
    assert np.isnan(density).all() and len(edges) == 5


def test_cli_train_at_a_huge_learning_rate_stops_and_writes_its_report(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = cli.main(["train", "--steps", "300", "--lr", "1e30", "--n-hidden", "8",
                           "--n-layers", "1", "--seed", "0", "--out", str(tmp_path)])
    assert status == 0, err.getvalue()
    assert "stopped: training diverged at step" in out.getvalue()
    assert "barely moves" not in out.getvalue()
    assert "diverged at step" in (tmp_path / "report.md").read_text()


def test_train_help_prints_single_percent_signs(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "80% split" in text and "75% of the steps" in text and "%%" not in text


def test_tracked_stats_count_only_the_steps_trained():
    model = small()
    model.track_stats()
    history = mf.train(model, *SPLITS.train, steps=300, lr=1e30, seed=0, progress=False)
    rows = diagnostics.tracked_stats(model)
    assert all(r["count"] == history.steps * 32 * 16 for r in rows)
