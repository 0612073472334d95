"""The training loop, split_loss and calibrate_batchnorm.

Steady-state training does not grow memory (tracemalloc sees NumPy's buffers).

Determinism: a seeded training run gives a bit-identical loss history for a
given thread count. What the BLAS thread count changes (last bits of products
large enough to be shared out, not the lecture's batch-32 steps):
docs/RELIABILITY.md."""
import signal
import tracemalloc

import numpy as np
import pytest
from tolerances import all_bit_identical

import makemore_fast as mf
from makemore_fast.nn import BatchNorm1d


@pytest.fixture(scope="module")
def splits():
    return mf.data.load_splits()


def small_model(seed=0, dtype=np.float32):
    return mf.lecture_mlp(n_hidden=32, n_layers=2, seed=seed, dtype=dtype)


def test_loss_goes_down_and_history_is_complete(splits):
    model = small_model()
    history = mf.train(model, *splits.train, steps=600, seed=1, progress=False,
                       eval_data=splits.val)
    assert history.loss.shape == (600,) and history.loss.dtype == np.float64
    assert history.steps == 600 and not history.interrupted and history.seconds > 0
    assert history.loss[:20].mean() > history.loss[-100:].mean() + 0.4
    assert history.update_ratios is None
    assert [step for step, _ in history.val] == [600]
    assert history.val[0][1] == pytest.approx(mf.split_loss(model, *splits.val))
    assert model.training


def test_seeded_training_is_reproducible(splits):
    a, b = small_model(), small_model()
    ha = mf.train(a, *splits.train, steps=50, seed=3, progress=False)
    hb = mf.train(b, *splits.train, steps=50, seed=3, progress=False)
    np.testing.assert_array_equal(ha.loss, hb.loss)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_one_step_is_the_lectures_step(splits):
    """train(steps=1) == forward, cross_entropy, backward, p.data += -lr * p.grad."""
    X, Y = splits.train
    a, b = small_model(dtype=np.float64), small_model(dtype=np.float64)
    mf.train(a, X, Y, steps=1, batch_size=8, lr=0.05, seed=4, progress=False)
    ix = np.random.default_rng(4).integers(0, len(X), size=(1, 8))[0]
    _, dlogits = mf.cross_entropy(b(X[ix]), Y[ix])
    b.zero_grad()
    b.backward(dlogits)
    for p in b.parameters():
        p.data += -0.05 * p.grad
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa.data, pb.data, rtol=1e-12, atol=1e-15)


class LrRecorder:
    def __init__(self):
        self.lrs = []

    def record(self, parameters, lr):
        assert all(p.grad is not None for p in parameters)
        self.lrs.append(lr)


def test_learning_rate_decay_and_tracker_protocol(splits):
    tracker = LrRecorder()
    history = mf.train(small_model(), *splits.train, steps=10, lr=0.2, lr_decay_step=6,
                       decayed_lr=0.02, progress=False, track_updates=tracker)
    assert tracker.lrs == [0.2] * 6 + [0.02] * 4
    assert history.update_ratios is None


def test_track_updates_true_gives_the_lectures_ratios(splits):
    """history.update_ratios is the lecture's `ud`: after each update,
    ((lr * p.grad).std() / p.data.std()).log10() for every parameter."""
    model, manual = small_model(), small_model()
    X, Y = splits.train
    history = mf.train(model, X, Y, steps=5, seed=2, progress=False, track_updates=True)
    # the lecture's loop by hand, on the same minibatches (train draws them in one call)
    batches = np.random.default_rng(2).integers(0, len(X), size=(5, 32))
    params, expected = manual.parameters(), []
    for ix in batches:
        loss, dlogits = mf.cross_entropy(manual(X[ix]), Y[ix])
        manual.zero_grad()
        manual.backward(dlogits)
        for p in params:
            p.data += -0.1 * p.grad
        expected.append([np.log10((0.1 * p.grad).std(ddof=1) / p.data.std(ddof=1))
                         for p in params])
    assert history.update_ratios.shape == (5, len(params))
    np.testing.assert_allclose(history.update_ratios, np.array(expected), atol=1e-4)


def test_ctrl_c_stops_cleanly_after_the_current_step(splits):
    class Interrupter:
        calls = 0

        def record(self, parameters, lr):
            Interrupter.calls += 1
            if Interrupter.calls == 4:
                signal.raise_signal(signal.SIGINT)

    previous = signal.getsignal(signal.SIGINT)
    model = small_model()
    history = mf.train(model, *splits.train, steps=100, progress=False, eval_data=splits.val,
                       track_updates=Interrupter())
    assert history.interrupted and history.steps == 4 and len(history.loss) == 4
    assert history.val and history.val[-1][0] == 4
    assert signal.getsignal(signal.SIGINT) is previous
    assert np.isfinite(mf.split_loss(model, *splits.val))


def test_split_loss_is_eval_mode_and_changes_nothing(splits):
    model = small_model()
    mf.train(model, *splits.train, steps=20, progress=False)
    X, Y = splits.val
    state = model.state_dict()
    loss = mf.split_loss(model, X, Y)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    assert model.training
    model.eval()
    expected, _ = mf.cross_entropy(model(X), Y)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_calibrate_batchnorm_uses_whole_set_statistics(splits):
    """After calibration, eval mode == one training-mode batch of all of X."""
    model = small_model(dtype=np.float64)
    mf.train(model, *splits.train, steps=30, progress=False)
    X = splits.val[0][:4000]
    mf.calibrate_batchnorm(model, X)
    eval_logits = model.infer(X)
    for layer in model.layers:
        if isinstance(layer, BatchNorm1d):
            layer.momentum = 0.0                  # keep the calibrated buffers
    # Training mode uses the biased variance, calibration the unbiased one:
    # a difference of a factor N/(N-1) inside the square root, ~1e-4 here.
    np.testing.assert_allclose(model(X), eval_logits, rtol=2e-4, atol=2e-4)
    first_bn = model.layers[2]
    pre = model.layers[1].infer(model.layers[0].infer(X))
    np.testing.assert_allclose(first_bn.running_mean, pre.mean(0), rtol=1e-10)
    np.testing.assert_allclose(first_bn.running_var, pre.var(0, ddof=1), rtol=1e-10)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"steps": -1}, ValueError, "steps"),
    ({"steps": 1.5}, TypeError, "steps"),
    ({"batch_size": 1}, ValueError, "batch_size"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"lr": 0}, ValueError, "lr"),
    ({"decayed_lr": float("nan")}, ValueError, "decayed_lr"),
    ({"track_updates": "yes"}, TypeError, "track_updates"),
    ({"eval_data": np.zeros(3)}, TypeError, "eval_data"),
])
def test_bad_arguments_are_named(splits, kwargs, error, message):
    with pytest.raises(error, match=message):
        mf.train(small_model(), *splits.train, progress=False, **kwargs)


def test_bad_examples_are_named(splits):
    X, Y = splits.train
    with pytest.raises(ValueError, match="rows"):
        mf.train(small_model(), X, Y[:10], steps=1, progress=False)
    with pytest.raises(TypeError, match="integer"):
        mf.train(small_model(), X.astype(float), Y, steps=1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        mf.split_loss(small_model(), X[:0], Y[:0])


def test_zero_steps(splits):
    history = mf.train(small_model(), *splits.train, steps=0, progress=False,
                       eval_data=splits.val)
    assert history.steps == 0 and history.val == []


def test_progress_bar_goes_to_stderr(splits, capsys):
    mf.train(small_model(), *splits.train, steps=300, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "300/300" in captured.err and "loss=" in captured.err


def test_update_of_non_contiguous_parameters(splits):
    """A Fortran-ordered parameter gets the lecture's update, in place."""
    X, Y = splits.train
    a, b = small_model(dtype=np.float64), small_model(dtype=np.float64)
    for m in (a, b):
        m.layers[1].weight.data = np.asfortranarray(m.layers[1].weight.data)
    mf.train(a, X, Y, steps=1, batch_size=8, lr=0.05, seed=4, progress=False)
    ix = np.random.default_rng(4).integers(0, len(X), size=(1, 8))[0]
    _, dlogits = mf.cross_entropy(b(X[ix]), Y[ix])
    b.backward(dlogits)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa.data, pb.data - 0.05 * pb.grad, rtol=1e-12, atol=1e-15)
    assert a.layers[1].weight.data.flags.f_contiguous


def test_training_steps_do_not_grow_memory():
    X = np.random.default_rng(0).integers(0, 27, (4096, 3))
    Y = np.random.default_rng(1).integers(0, 27, 4096)
    model = mf.lecture_mlp(seed=0).track_stats()
    mf.train(model, X, Y, steps=200, progress=False, seed=0)           # warm up
    tracemalloc.start()
    try:
        mf.train(model, X, Y, steps=10, progress=False, seed=1)
        before = tracemalloc.get_traced_memory()[0]
        history = mf.train(model, X, Y, steps=1000, progress=False, seed=2,
                           track_updates=True)
        del history           # its per-step arrays are the run's output, not a leak
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024, f"grew by {after - before} bytes over 1,000 steps"



@pytest.fixture(scope="module")
def examples():
    return mf.data.load_splits().train


def seeded_run(examples, threads, batch_size, steps=40):
    model = mf.lecture_mlp(seed=1)
    with mf.num_threads(threads):
        history = mf.train(model, *examples, steps=steps, batch_size=batch_size, seed=7,
                           progress=False)
    return history.loss, [p.data for p in model.parameters()]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("batch_size", [32, 512])
def test_seeded_training_is_bit_identical_for_a_thread_count(examples, threads, batch_size):
    loss, params = seeded_run(examples, threads, batch_size)
    again, params_again = seeded_run(examples, threads, batch_size)
    all_bit_identical([loss, *params], [again, *params_again])


def test_lecture_batch_training_does_not_depend_on_the_thread_count(examples):
    """Batches up to training.SMALL_BATCH run BLAS on one thread whatever the
    setting."""
    all_bit_identical(seeded_run(examples, 1, 32)[0], seeded_run(examples, 2, 32)[0])


def test_larger_batch_thread_count_changes_only_rounding(examples):
    """BLAS shares larger products between threads, and its sums then round
    differently: the loss histories differ in the last bits only."""
    one, two = seeded_run(examples, 1, 512)[0], seeded_run(examples, 2, 512)[0]
    np.testing.assert_allclose(one, two, rtol=1e-6)
