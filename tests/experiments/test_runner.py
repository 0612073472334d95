"""experiments.run: one config built, trained, evaluated; its Result."""
import math

import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast.experiments import Config, Result, run

SMALL = Config(name="small", n_layers=2, n_hidden=24, steps=300, lr_decay_step=200)


def test_result_of_a_healthy_run():
    r = run(SMALL)
    assert isinstance(r, Result) and r.config == SMALL and r.error is None and r.ok
    assert r.loss.dtype == np.float64 and r.loss.shape == (300,)
    assert r.loss[0] == pytest.approx(math.log(27), abs=0.1) and r.loss[-50:].mean() < 3.0
    assert 2.0 < r.val_loss < 3.2 and 2.0 < r.train_loss < 3.2 and r.seconds > 0
    assert len(r.samples) == 5 and all(isinstance(s, str) for s in r.samples)
    s = r.stats
    assert [row["layer"] for row in s["activations"]] == [3, 6]
    assert [row["layer"] for row in s["gradients"]] == [3, 6]
    assert [tuple(row["shape"]) for row in s["weight_gradients"]] == [(27, 10), (30, 24),
                                                                       (24, 24), (24, 27)]
    assert [row["index"] for row in s["update_data"]] == [0, 1, 4, 7]
    assert all(-5 < row["log10_ratio"] < -1 for row in s["update_data"])
    assert len(s["histograms"]["activations"][0]["density"]) == 100
    assert s["update_curves"]["steps"][0] == 0 and len(s["update_curves"]["values"]) == 4


def test_the_result_matches_train_by_hand():
    r = run(SMALL)
    splits = mf.data.load_splits()
    from makemore_fast.experiments import build_model
    model = build_model(SMALL)
    with mf.num_threads(1):
        history = mf.train(model, *splits.train, steps=300, lr_decay_step=200, seed=42,
                           progress=False)
        val = mf.split_loss(model, *splits.val)
    np.testing.assert_array_equal(r.loss, history.loss)
    assert r.val_loss == val


def test_same_config_same_loss_whatever_the_callers_threads():
    a = run(SMALL)
    with mf.num_threads(2):
        b = run(SMALL)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert a.val_loss == b.val_loss and a.samples == b.samples


def test_a_diverged_run_is_a_result_with_its_error():
    r = run(SMALL.replace(lr=1e30))
    assert r.error.startswith("diverged at step ") and r.error.endswith("the loss is nan")
    step = int(r.error.split()[3].rstrip(":"))
    assert r.steps == step + 1 and r.samples == []
    # the update:data summary covers the steps before the nan ones
    assert all(math.isfinite(row["log10_ratio"]) for row in r.stats["update_data"])


def test_zero_steps_and_no_batchnorm_nets_run():
    r = run(SMALL.replace(steps=0))
    assert r.steps == 0 and r.stats["activations"] is None and r.error is None
    assert r.val_loss == pytest.approx(math.log(27), abs=0.1)
    r = run(SMALL.replace(batchnorm=False, gain=1.0))
    assert r.error is None and r.val_loss < 3.2


def test_run_needs_a_config():
    with pytest.raises(TypeError, match="Config"):
        run({"steps": 10})


def test_the_lecture_init_runs_start_where_the_notebook_starts():
    from makemore_fast.experiments import preset, with_steps
    results = [run(with_steps(c, 50)) for c in preset("lecture-init")]
    assert all(r.error is None and r.steps == 50 for r in results)
    first = [r.loss[0] for r in results]
    assert first[0] > 15                                   # the notebook's 27.88
    assert all(abs(x - math.log(27)) < 0.1 for x in first[1:])   # its 3.3
