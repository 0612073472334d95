"""diagnostics.updates: the update:data ratios and their tracker."""

import numpy as np
import pytest
from diagnostics_nets import forward_backward, std1

import makemore_fast as mf
from makemore_fast import diagnostics as D


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
