"""Per-step statistics accumulated by the kernels (model.track_stats) equal the
same statistics computed directly from every step's .out / .out_grad."""
import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast import diagnostics as D


def run_steps(model, steps=4, seed=0, record=None):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        X = rng.integers(0, 27, (32, 3))
        Y = rng.integers(0, 27, 32)
        loss, dlogits = mf.cross_entropy(model(X), Y)
        model.zero_grad()
        model.backward(dlogits)
        if record is not None:
            record(model)


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "layer-by-layer"])
def test_tracked_stats_match_every_steps_outputs(fuse):
    model = mf.lecture_mlp(seed=3, n_hidden=40, n_layers=3)
    model.fuse = fuse
    model.track_stats(saturation=0.9)
    tanhs = [layer for layer in model.layers if isinstance(layer, mf.Tanh)]
    outs, grads = [[] for _ in tanhs], [[] for _ in tanhs]

    def record(m):
        for k, layer in enumerate(tanhs):
            outs[k].append(layer.out.astype(np.float64).ravel())
            grads[k].append(layer.out_grad.astype(np.float64).ravel())

    run_steps(model, record=record)
    rows = D.tracked_stats(model)
    assert [r["layer"] for r in rows] == [i for i, layer in enumerate(model.layers)
                                          if isinstance(layer, mf.Tanh)]
    for row, o, g in zip(rows, outs, grads):
        o, g = np.concatenate(o), np.concatenate(g)
        assert row["count"] == o.size and row["grad_count"] == g.size
        assert row["mean"] == pytest.approx(o.mean(), abs=1e-6)
        assert row["std"] == pytest.approx(o.std(ddof=1), rel=1e-5)
        assert row["saturated_pct"] == pytest.approx(100 * np.mean(np.abs(o) > 0.9))
        assert row["grad_mean"] == pytest.approx(g.mean(), abs=1e-9)
        assert row["grad_std"] == pytest.approx(g.std(ddof=1), rel=1e-5)


def test_tracking_changes_nothing_else_and_can_stop():
    tracked, plain = mf.lecture_mlp(seed=4), mf.lecture_mlp(seed=4)
    tracked.track_stats()
    run_steps(tracked)
    run_steps(plain)
    for p, q in zip(tracked.parameters(), plain.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad)
    tracked.track_stats(False)
    with pytest.raises(ValueError, match="track_stats"):
        D.tracked_stats(tracked)
    run_steps(tracked, steps=1)           # no tracking, no error


def test_infer_is_not_tracked():
    model = mf.lecture_mlp(seed=5).track_stats()
    model.infer(np.zeros((8, 3), dtype=np.int64))
    assert all(r["count"] == 0 for r in D.tracked_stats(model))
