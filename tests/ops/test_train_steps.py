"""train's steps in one C call (ops.TrainSteps) against the layer path: bit for bit."""
import numpy as np
import pytest

import makemore_fast as mf
from makemore_fast import ops, training
from makemore_fast.nn import BatchNorm1d


@pytest.fixture(scope="module")
def splits():
    return mf.data.load_splits()


def train_both(make_model, X, Y, track_stats=False, **kwargs):
    """(model, history) trained with whole steps in C, then through the layers only."""
    runs = []
    for whole in (True, False):
        model = make_model()
        if track_stats:
            model.track_stats()
        runs.append((model, mf.train(model, X, Y, progress=False, whole_steps=whole,
                                     **kwargs)))
    return runs


def assert_same_state(a, b):
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=p.name)
        np.testing.assert_array_equal(p.grad, q.grad, err_msg=p.name)
    for la, lb in zip(a.layers, b.layers):
        if isinstance(la, BatchNorm1d):
            np.testing.assert_array_equal(la.running_mean, lb.running_mean)
            np.testing.assert_array_equal(la.running_var, lb.running_var)
            assert la.num_batches_tracked == lb.num_batches_tracked
        np.testing.assert_array_equal(la.out, lb.out)


MODELS = {
    "lecture_mlp": lambda dtype: mf.lecture_mlp(n_hidden=40, n_layers=3, seed=1, dtype=dtype),
    # Linear with bias and no BatchNorm at the end; BatchNorm momentum 0.001
    "single_layer_bn_mlp": lambda dtype: mf.single_layer_bn_mlp(n_hidden=50, seed=2,
                                                                dtype=dtype),
    # the lecture's own BatchNorm variance
    "lecture_mlp unbiased": lambda dtype: mf.lecture_mlp(n_hidden=40, n_layers=3, seed=1,
                                                         dtype=dtype, unbiased=True),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(MODELS))
def test_whole_steps_equal_the_layer_path(splits, name, dtype):
    X, Y = splits.train
    model = MODELS[name](dtype)
    model.train()
    assert model.whole_steps(X, Y, 32) is not None    # the C path is taken
    (a, ha), (b, hb) = train_both(lambda: MODELS[name](dtype), X, Y,
                                  steps=1300, batch_size=32, lr_decay_step=700, seed=5)
    np.testing.assert_array_equal(ha.loss, hb.loss)
    assert_same_state(a, b)


def test_stretches_stop_at_evaluations(splits, monkeypatch):
    """Validation losses land on the same steps and see the same weights."""
    X, Y = splits.train
    monkeypatch.setattr(training, "EVAL_EVERY", 300)
    (a, ha), (b, hb) = train_both(lambda: MODELS["lecture_mlp"](np.float32), X, Y,
                                  steps=1000, batch_size=16, seed=7,
                                  eval_data=splits.val)
    assert [s for s, _ in ha.val] == [300, 600, 900, 1000]
    assert ha.val == hb.val
    assert_same_state(a, b)


@pytest.mark.parametrize("name", list(MODELS))
def test_diagnostics_in_c_equal_the_layer_path(splits, name):
    """track_stats (Tanh statistics) and track_updates=True (update:data ratios)."""
    X, Y = splits.train
    (a, ha), (b, hb) = train_both(lambda: MODELS[name](np.float32), X, Y,
                                  track_stats=True, steps=600, seed=9, track_updates=True)
    np.testing.assert_array_equal(ha.update_ratios, hb.update_ratios)
    assert np.isfinite(ha.update_ratios).all()
    assert_same_state(a, b)
    tanhs = [(la, lb) for la, lb in zip(a.layers, b.layers) if isinstance(la, mf.Tanh)]
    assert tanhs
    for la, lb in tanhs:
        np.testing.assert_array_equal(la.stats, lb.stats)
        np.testing.assert_array_equal(la.stats_count, lb.stats_count)
        assert la.stats_count[0] == 600 * 32 * la.out.shape[1]


def test_layer_path_where_c_cannot(splits):
    X, Y = splits.train
    model = MODELS["lecture_mlp"](np.float32)
    model.train()
    assert model.whole_steps(X, Y, 32) is not None
    model.eval()                                        # BatchNorm not in training mode
    assert model.whole_steps(X, Y, 32) is None
    model.train()
    model.layers[1].weight.data = np.asfortranarray(model.layers[1].weight.data)
    assert model.whole_steps(X, Y, 32) is None               # not updatable in place
    unfused = mf.Sequential(model.layers, fuse=False)
    assert unfused.whole_steps(X, Y, 32) is None


def test_a_recorder_object_gets_the_layer_path(splits):
    """A `record(parameters, lr)` object sees the parameters after every step."""
    X, Y = splits.train
    seen = []

    class Recorder:
        def record(self, params, lr):
            seen.append(params[1].data.copy())

    model = MODELS["lecture_mlp"](np.float32)
    mf.train(model, X, Y, steps=300, seed=1, progress=False, track_updates=Recorder())
    assert len(seen) == 300 and not np.array_equal(seen[0], seen[-1])


def block(rng, K, N, dtype=np.float32, bias=False, bn=True):
    w = rng.standard_normal((K, N)).astype(dtype)
    b = np.zeros(N, dtype) if bias else None
    norm = (np.ones(N, dtype), np.zeros(N, dtype), np.zeros(N, dtype), np.ones(N, dtype),
            0.1, 1e-5, False) if bn else None
    return (w, b, norm, "tanh", None)


@pytest.mark.parametrize("change, error, message", [
    (lambda t, bl, X, Y: (t, [], X, Y), ValueError, "blocks is empty"),
    (lambda t, bl, X, Y: (t.astype(np.float64), bl, X, Y), TypeError, "blocks\\[0\\] weight"),
    (lambda t, bl, X, Y: (t[:, ::2], bl, X, Y), ValueError, "table must be a C-contiguous"),
    (lambda t, bl, X, Y: (t, [bl[0], (np.zeros((6, 7), np.float32), None, None, None, None)],
                          X, Y), ValueError,
     "blocks\\[1\\] weight must have 7 rows"),
    (lambda t, bl, X, Y: (t, [bl[0], bl[0]], X, Y), ValueError, "shares memory"),
    (lambda t, bl, X, Y: (t, bl, X + 5, Y), IndexError, "X"),
    (lambda t, bl, X, Y: (t, bl, X, Y + 7), IndexError, "Y"),
    (lambda t, bl, X, Y: (t, bl, X, Y[:-1]), ValueError, "Y has"),
    (lambda t, bl, X, Y: (t, [(bl[0][0], None, None, "relu", None)], X, Y), ValueError,
     "activation"),
    (lambda t, bl, X, Y: (t, [bl[0][:4] + ((np.zeros(4), 0.97),)], X, Y), ValueError,
     "stats must have shape"),
])
def test_bad_construction_is_named(change, error, message):
    rng = np.random.default_rng(0)
    table = rng.standard_normal((5, 3)).astype(np.float32)
    blocks = [block(rng, 6, 7)]
    X, Y = rng.integers(0, 5, (10, 2)), rng.integers(0, 7, 10)
    with pytest.raises(error, match=message):
        ops.TrainSteps(*change(table, blocks, X, Y), 4)


def test_bad_run_arguments_are_named():
    rng = np.random.default_rng(0)
    table = rng.standard_normal((5, 3)).astype(np.float32)
    X, Y = rng.integers(0, 5, (10, 2)), rng.integers(0, 7, 10)
    steps = ops.TrainSteps(table, [block(rng, 6, 7)], X, Y, 4)
    loss = np.empty(2)
    with pytest.raises(ValueError, match="rows must be"):
        steps.run(np.zeros((2, 3), np.int64), [0.1, 0.1], loss)
    with pytest.raises(IndexError, match="rows"):
        steps.run(np.full((2, 4), 10), [0.1, 0.1], loss)
    with pytest.raises(ValueError, match="lr must be 1-D"):
        steps.run(np.zeros((1, 4), np.int64), 0.1, np.empty(1))
    with pytest.raises(ValueError, match="lr must be finite"):
        steps.run(np.zeros((2, 4), np.int64), [0.1, np.nan], loss)
    with pytest.raises(TypeError, match="loss"):
        steps.run(np.zeros((2, 4), np.int64), [0.1, 0.1], np.empty(2, np.float32))
    with pytest.raises(ValueError, match="ratios must have shape \\(2, 4\\)"):
        steps.run(np.zeros((2, 4), np.int64), [0.1, 0.1], loss, np.empty((2, 3)))
    before = table.copy()
    steps.run(np.zeros((0, 4), np.int64), [], np.empty(0))           # no steps: no change
    np.testing.assert_array_equal(table, before)


def test_ratios_need_two_elements_per_parameter():
    rng = np.random.default_rng(0)
    table = rng.standard_normal((5, 3)).astype(np.float32)
    X, Y = rng.integers(0, 5, (10, 2)), np.zeros(10, np.int64)
    steps = ops.TrainSteps(table, [block(rng, 6, 1)], X, Y, 4)   # gamma, beta: 1 element
    with pytest.raises(ValueError, match="1 element"):
        steps.run(np.zeros((1, 4), np.int64), [0.1], np.empty(1), np.empty((1, 4)))


def test_runs_from_two_threads_take_turns():
    """Each run is whole: the result is one of the two orders, never a mix."""
    import threading

    rng = np.random.default_rng(3)
    X, Y = rng.integers(0, 5, (50, 2)), rng.integers(0, 7, 50)
    rows = [rng.integers(0, 50, (200, 8)) for _ in range(2)]

    def fresh():
        r = np.random.default_rng(0)
        table = r.standard_normal((5, 3)).astype(np.float32)
        return table, ops.TrainSteps(table, [block(r, 6, 7)], X, Y, 8)

    def run(steps, k):
        steps.run(rows[k], np.full(200, 0.05), np.empty(200))

    orders = []
    for order in ((0, 1), (1, 0)):
        table, steps = fresh()
        for k in order:
            run(steps, k)
        orders.append(table)
    table, steps = fresh()
    threads = [threading.Thread(target=run, args=(steps, k)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert any(np.array_equal(table, done) for done in orders)


@pytest.mark.parametrize("n_hidden, n_layers, batch", [
    (100, 5, 32),   # the lecture's net: parts of 56 + 44 columns with AVX2 (64 +
                    # 36 with AVX-512, 52 + 48 with 4 lanes), 16 + 11 logits
    (5, 2, 2),      # narrower than 8 lanes: with AVX2 the helper's parts are empty
    (17, 3, 7),     # one column past a vector, odd batch
    (37, 2, 33),    # odd everything
    (130, 2, 12),
])
@pytest.mark.parametrize("with_ratios", [False, True])
def test_split_steps_equal_one_thread(splits, n_hidden, n_layers, batch, with_ratios):
    """helper=True cuts every phase of every step into two parts, one on a
    helper thread; helper=False runs each phase whole: the same bits, with
    update:data ratios measured or not."""
    from threadpoolctl import threadpool_limits

    X, Y = splits.train
    rows = np.random.default_rng(3).integers(0, len(X), size=(60, batch))
    rates = np.full(60, 0.1)
    runs = []
    for helper in (False, True):
        model = mf.lecture_mlp(n_hidden=n_hidden, n_layers=n_layers, seed=5).track_stats()
        steps, losses = model.whole_steps(X, Y, batch), np.empty(60)
        ratios = np.empty((60, len(model.parameters()))) if with_ratios else None
        with threadpool_limits(limits={"makemore_fast": 2}):
            steps.run(rows, rates, losses, ratios, helper=helper)
        runs.append((model, losses, ratios))
    (a, la, ra), (b, lb, rb) = runs
    np.testing.assert_array_equal(la, lb)
    if with_ratios:
        np.testing.assert_array_equal(ra, rb)
    assert np.isfinite(la).all()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=p.name)
    for x, y in zip(a.layers, b.layers):
        if isinstance(x, mf.Tanh):
            np.testing.assert_array_equal(x.stats, y.stats)
        if isinstance(x, mf.BatchNorm1d):
            np.testing.assert_array_equal(x.running_mean, y.running_mean)
            np.testing.assert_array_equal(x.running_var, y.running_var)


def test_helper_must_be_none_or_a_bool(splits):
    X, Y = splits.train
    steps = mf.lecture_mlp(n_hidden=8, n_layers=2, seed=0).whole_steps(X, Y, 4)
    with pytest.raises(TypeError, match="helper must be None, True or False"):
        steps.run(np.zeros((1, 4), np.int64), np.full(1, 0.1), np.empty(1), helper=1)


@pytest.mark.parametrize("name", list(MODELS))
def test_helper_thread_changes_no_bit(splits, name):
    """With two kernel threads train may split steps over a helper thread
    (chosen round by round); with one, never."""
    from threadpoolctl import threadpool_limits

    X, Y = splits.train
    runs = []
    for n in (1, 2):
        model = MODELS[name](np.float32).track_stats()
        with threadpool_limits(limits={"makemore_fast": n}):
            history = mf.train(model, X, Y, steps=700, seed=4, progress=False,
                               track_updates=True)
        runs.append((model, history))
    (a, ha), (b, hb) = runs
    np.testing.assert_array_equal(ha.loss, hb.loss)
    np.testing.assert_array_equal(ha.update_ratios, hb.update_ratios)
    assert_same_state(a, b)
    for la, lb in zip(a.layers, b.layers):
        if isinstance(la, mf.Tanh):
            np.testing.assert_array_equal(la.stats, lb.stats)
