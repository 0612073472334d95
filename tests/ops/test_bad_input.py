"""Bad input: a clear exception naming the argument, inputs untouched, never a crash.
Odd but valid layouts (Fortran, strided, byte-swapped) give the right answer."""
import numpy as np
import pytest
from tolerances import assert_close, random_block

from makemore_fast import ops
from makemore_fast import reference as ref

F32, F64 = np.float32, np.float64


def block(dtype=F32, B=8, K=4, N=3, bias=False):
    return random_block(np.random.default_rng(0), B, K, N, dtype, bias)


def call_block(x, w, g, b, rm, rv, **kw):
    return ops.linear_bn_tanh_forward(x, w, g, b, rm, rv, **kw)


@pytest.mark.parametrize("position,name", [(0, "x"), (1, "weight"), (2, "gamma"),
                                           (3, "beta"), (4, "running_mean"),
                                           (5, "running_var")])
def test_block_wrong_shape_names_argument_and_changes_nothing(position, name):
    args = list(block())
    args[position] = np.zeros(args[position].shape + (1,), F32)   # one dim too many
    rm, rv = args[4].copy(), args[5].copy()
    with pytest.raises(ValueError, match=name):
        call_block(*args[:6])
    if position not in (4, 5):
        np.testing.assert_array_equal(args[4], rm)
        np.testing.assert_array_equal(args[5], rv)


@pytest.mark.parametrize("position,name,bad_shape", [
    (1, "weight", (5, 3)), (2, "gamma", (4,)), (3, "beta", (2,)),
    (4, "running_mean", (1,)), (5, "running_var", (30,))])
def test_block_mismatched_sizes(position, name, bad_shape):
    args = list(block())
    rm, rv = args[4].copy(), args[5].copy()
    args[position] = np.ones(bad_shape, F32)
    with pytest.raises(ValueError, match=name):
        call_block(*args[:6])
    if position not in (4, 5):
        np.testing.assert_array_equal(args[4], rm)
        np.testing.assert_array_equal(args[5], rv)


@pytest.mark.parametrize("position,name", [(1, "weight"), (2, "gamma"), (3, "beta"),
                                           (4, "running_mean"), (5, "running_var")])
def test_block_mixed_dtypes(position, name):
    args = list(block())
    rm, rv = args[4].copy(), args[5].copy()
    args[position] = args[position].astype(F64)
    with pytest.raises(TypeError, match=name):
        call_block(*args[:6])
    if position not in (4, 5):
        np.testing.assert_array_equal(args[4], rm)
        np.testing.assert_array_equal(args[5], rv)


@pytest.mark.parametrize("bad", [np.int64, np.float16, np.complex64, bool])
def test_non_float_dtypes(bad):
    x, w, g, b, rm, rv, _ = block()
    with pytest.raises(TypeError, match="x"):
        call_block(x.astype(bad), w, g, b, rm, rv)
    with pytest.raises(TypeError, match="table"):
        ops.embedding_forward(np.ones((3, 2), bad), np.zeros((2, 1), np.int64))
    with pytest.raises(TypeError, match="logits"):
        ops.cross_entropy(np.ones((3, 2), bad), np.zeros(3, np.int64))


def test_not_an_array():
    x, w, g, b, rm, rv, _ = block()
    with pytest.raises(TypeError, match="x must be a numpy.ndarray"):
        call_block(x.tolist(), w, g, b, rm, rv)
    with pytest.raises(TypeError, match="idx"):
        ops.embedding_forward(np.ones((3, 2), F32), [[0]])


def test_bias_checked():
    x, w, g, b, rm, rv, _ = block()
    with pytest.raises(ValueError, match="bias"):
        call_block(x, w, g, b, rm, rv, bias=np.zeros(7, F32))
    with pytest.raises(TypeError, match="bias"):
        call_block(x, w, g, b, rm, rv, bias=np.zeros(3, F64))
    with pytest.raises(ValueError, match="bias"):
        ops.linear_forward(x, w, np.zeros((3, 1), F32))


def test_batch_of_one_in_training_but_not_in_eval():
    x, w, g, b, rm, rv, _ = block(B=1)
    rm0, rv0 = rm.copy(), rv.copy()
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        call_block(x, w, g, b, rm, rv, training=True)
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)
    out, _ = call_block(x, w, g, b, rm, rv, training=False)
    assert out.shape == (1, 3)


def test_empty_batch():
    x, w, g, b, rm, rv, _ = block()
    with pytest.raises(ValueError, match="empty"):
        call_block(x[:0], w, g, b, rm, rv, training=False)
    with pytest.raises(ValueError, match="empty"):
        ops.linear_forward(x[:0], w)
    with pytest.raises(ValueError, match="empty"):
        ops.embedding_forward(np.ones((3, 2), F32), np.zeros((0, 3), np.int64))
    with pytest.raises(ValueError, match="empty"):
        ops.cross_entropy(np.ones((0, 2), F32), np.zeros(0, np.int64))


def test_unknown_activation():
    x, w, g, b, rm, rv, _ = block()
    rm0 = rm.copy()
    for bad in ("relu", "Tanh", 1, True):
        with pytest.raises(ValueError, match="activation"):
            call_block(x, w, g, b, rm, rv, activation=bad)
        with pytest.raises(ValueError, match="activation"):
            ops.linear_forward(x, w, activation=bad)
    np.testing.assert_array_equal(rm, rm0)


@pytest.mark.parametrize("momentum,eps", [(-0.1, 1e-5), (1.5, 1e-5), (0.1, -1.0),
                                          (0.1, float("nan")), (float("nan"), 1e-5),
                                          (0.1, float("inf"))])
def test_bad_momentum_or_eps(momentum, eps):
    x, w, g, b, rm, rv, _ = block()
    with pytest.raises(ValueError, match="momentum" if eps == 1e-5 else "eps"):
        call_block(x, w, g, b, rm, rv, momentum=momentum, eps=eps)


class Real(float):
    """A float subclass: a real number that is not exactly a Python float."""


@pytest.mark.parametrize("momentum,eps", [(1, 0), (np.float64(1.0), np.float64(0.0)),
                                          (Real(1.0), Real(0.0))])
def test_real_scalars_of_every_kind(momentum, eps):
    """Python ints, NumPy floats and float subclasses mean their values."""
    x, w, g, b, rm, rv, _ = block()
    rm1, rv1, rm2, rv2 = rm.copy(), rv.copy(), rm.copy(), rv.copy()
    out1, _ = call_block(x, w, g, b, rm1, rv1, momentum=momentum, eps=eps)
    out2, _ = call_block(x, w, g, b, rm2, rv2, momentum=1.0, eps=0.0)
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(rm1, rm2)
    data1, data2 = np.ones(3, F32), np.ones(3, F32)
    ops.sgd_update([data1], [np.ones(3, F32)], momentum)
    ops.sgd_update([data2], [np.ones(3, F32)], 1.0)
    np.testing.assert_array_equal(data1, data2)


@pytest.mark.parametrize("bad", [True, np.bool_(False), "0.1", None, 1j])
def test_scalars_that_are_not_real_numbers(bad):
    x, w, g, b, rm, rv, _ = block()
    with pytest.raises(TypeError, match="momentum"):
        call_block(x, w, g, b, rm, rv, momentum=bad)
    with pytest.raises(TypeError, match="eps"):
        call_block(x, w, g, b, rm, rv, eps=bad)
    with pytest.raises(TypeError, match="lr"):
        ops.sgd_update([np.ones(3, F32)], [np.ones(3, F32)], bad)


def test_read_only_running_statistics_in_training():
    x, w, g, b, rm, rv, _ = block()
    rm.flags.writeable = False
    with pytest.raises(ValueError, match="running_mean"):
        call_block(x, w, g, b, rm, rv)
    call_block(x, w, g, b, rm, rv, training=False)     # eval only reads them


@pytest.mark.parametrize("bad", [-1, 27, 10**6, -2**40])
def test_index_out_of_range(bad):
    table = np.ones((27, 10), F32)
    idx = np.zeros((4, 3), np.int64)
    idx[2, 1] = bad
    with pytest.raises(IndexError, match=r"idx\[2, 1\]"):
        ops.embedding_forward(table, idx)
    with pytest.raises(IndexError, match="idx"):
        ops.embedding_backward(np.ones((4, 30), F32), idx, 27)
    targets = np.zeros(4, np.int64)
    targets[3] = bad
    with pytest.raises(IndexError, match=r"targets\[3\]"):
        ops.cross_entropy(np.ones((4, 27), F32), targets)


def test_embedding_backward_arguments():
    idx = np.zeros((4, 3), np.int64)
    with pytest.raises(ValueError, match="dout"):
        ops.embedding_backward(np.ones((4, 31), F32), idx, 27)
    with pytest.raises(ValueError, match="dout"):
        ops.embedding_backward(np.ones((5, 30), F32), idx, 27)
    with pytest.raises(ValueError, match="num_embeddings"):
        ops.embedding_backward(np.ones((4, 30), F32), idx, 0)
    with pytest.raises(TypeError, match="num_embeddings"):
        ops.embedding_backward(np.ones((4, 30), F32), idx, 2.5)


def test_cross_entropy_shapes():
    with pytest.raises(ValueError, match="targets"):
        ops.cross_entropy(np.ones((4, 27), F32), np.zeros(5, np.int64))
    with pytest.raises(ValueError, match="targets"):
        ops.cross_entropy(np.ones((4, 27), F32), np.zeros((4, 1), np.int64))
    with pytest.raises(TypeError, match="targets"):
        ops.cross_entropy(np.ones((4, 27), F32), np.zeros(4, F32))


def test_backward_checks_dout_and_cache():
    x, w, g, b, rm, rv, _ = block()
    _, cache = call_block(x, w, g, b, rm, rv)
    with pytest.raises(ValueError, match="dout"):
        ops.linear_bn_tanh_backward(np.ones((8, 4), F32), cache)
    with pytest.raises(TypeError, match="dout"):
        ops.linear_bn_tanh_backward(np.ones((8, 3), F64), cache)
    with pytest.raises(TypeError, match="cache"):
        ops.linear_bn_tanh_backward(np.ones((8, 3), F32), object())
    _, lcache = ops.linear_forward(x, w)
    with pytest.raises(TypeError, match="cache"):
        ops.linear_bn_tanh_backward(np.ones((8, 3), F32), lcache)
    with pytest.raises(TypeError, match="cache"):
        ops.linear_backward(np.ones((8, 3), F32), cache)


def test_inputs_are_not_modified():
    x, w, g, b, rm, rv, bi = block(bias=True)
    saved = [a.copy() for a in (x, w, g, b, bi)]
    out, cache = call_block(x, w, g, b, rm, rv, bias=bi)
    dout = np.ones_like(out)
    ops.linear_bn_tanh_backward(dout, cache)
    for a, s in zip((x, w, g, b, bi), saved):
        np.testing.assert_array_equal(a, s)
    np.testing.assert_array_equal(dout, 1)


def odd_layouts(a):
    """The same values as Fortran-ordered, strided and byte-swapped arrays."""
    fortran = np.asfortranarray(a)
    strided = np.zeros(tuple(2 * n for n in a.shape), a.dtype)[(slice(None, None, 2),) * a.ndim]
    strided[...] = a
    swapped = a.astype(a.dtype.newbyteorder(">" if a.dtype.byteorder != ">" else "<"))
    return {"fortran": fortran, "strided": strided, "byteswapped": swapped}


@pytest.mark.parametrize("layout", ["fortran", "strided", "byteswapped"])
@pytest.mark.parametrize("dtype", [F32, F64])
def test_odd_layouts_give_the_right_answer(layout, dtype):
    x, w, g, b, rm, rv, bi = block(dtype, B=9, K=5, N=4, bias=True)
    rm_ref, rv_ref = rm.copy(), rv.copy()
    out_ref, cache_ref = ref.linear_bn_tanh_forward(x, w, g, b, rm_ref, rv_ref, bias=bi)
    odd = [odd_layouts(a)[layout] for a in (x, w, g, b, rm, rv, bi)]
    out, cache = ops.linear_bn_tanh_forward(*odd[:6], bias=odd[6])
    assert_close(out, out_ref, dtype, scale=1.0)
    assert_close(odd[4].astype(dtype), rm_ref, dtype, scale=1.0, name="running_mean")
    assert_close(odd[5].astype(dtype), rv_ref, dtype, scale=1.0, name="running_var")
    dout = odd_layouts(np.ones_like(out_ref))[layout]
    grads = ops.linear_bn_tanh_backward(dout, cache)
    grads_ref = ref.linear_bn_tanh_backward(np.ones_like(out_ref), cache_ref)
    for got, want in zip(grads, grads_ref):
        assert_close(got, want, dtype, scale=10.0)

    idx = np.random.default_rng(1).integers(0, 9, (6, 3))
    for i in odd_layouts(idx).values():
        np.testing.assert_array_equal(ops.embedding_forward(odd[0], i),
                                      ref.embedding_forward(x, idx))
    targets = np.random.default_rng(2).integers(0, 5, 9)
    loss, d = ops.cross_entropy(odd[0], odd_layouts(targets)[layout])
    loss_ref, d_ref = ref.cross_entropy(x, targets)
    assert loss == pytest.approx(loss_ref, rel=1e-5)
    assert_close(d, d_ref, dtype, scale=1.0)


@pytest.mark.parametrize("stats,exc", [(np.zeros(5, F32), TypeError), (np.zeros(4), ValueError),
                                       (np.zeros((5, 1)), ValueError), ([0.0] * 5, TypeError),
                                       (np.zeros(10)[::2], ValueError)])
def test_bad_stats_accumulator(stats, exc):
    x, w, g, b, rm, rv, _ = block()
    rm0 = rm.copy()
    with pytest.raises(exc, match="stats"):
        call_block(x, w, g, b, rm, rv, stats=stats)
    with pytest.raises(exc, match="stats"):
        ops.linear_forward(x, w, stats=stats)
    np.testing.assert_array_equal(rm, rm0)


def test_sgd_update_checks_every_pair_before_updating():
    data = [np.ones(3, F32), np.ones((2, 2), F32)]
    for grads, exc, name in [([np.ones(3, F32)], ValueError, "length"),
                             ([np.ones(3, F32), np.ones(4, F32)], ValueError, r"grads\[1\]"),
                             ([np.ones(3, F32), np.ones((2, 2), F64)], TypeError, r"grads\[1\]"),
                             ([np.ones(3, F32), [[1, 1], [1, 1]]], TypeError, r"grads\[1\]")]:
        with pytest.raises(exc, match=name):
            ops.sgd_update(data, grads, 0.1)
        for d in data:
            np.testing.assert_array_equal(d, 1)
    frozen = np.ones(3, F32)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"data\[0\]"):
        ops.sgd_update([frozen], [np.ones(3, F32)], 0.1)
    for lr in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="lr"):
            ops.sgd_update(data, [np.ones(3, F32), np.ones((2, 2), F32)], lr)
    with pytest.raises(ValueError, match=r"grads\[0\]"):      # same size, other shape
        ops.sgd_update([np.ones((2, 3), F32)], [np.ones((3, 2), F32)], 0.1)
    with pytest.raises(ValueError, match=r"grads\[0\]"):      # same size, other ndim
        ops.sgd_update([np.ones((2, 3), F32)], [np.ones(6, F32)], 0.1)


@pytest.mark.parametrize("layout", ["fortran", "strided", "byteswapped"])
def test_sgd_update_of_odd_layouts_in_place(layout):
    rng = np.random.default_rng(6)
    d = rng.standard_normal((5, 4))
    g = rng.standard_normal((5, 4))
    target = odd_layouts(d)[layout]
    ratios = np.zeros(1)
    ops.sgd_update([target], [odd_layouts(g)[layout]], 0.5, update_ratios=ratios)
    np.testing.assert_allclose(target, d - 0.5 * g, rtol=1e-15)
    expected = np.zeros(1)
    ref.sgd_update([d.copy()], [g], 0.5, update_ratios=expected)
    np.testing.assert_allclose(ratios, expected, rtol=1e-12)


def test_sgd_update_ratios_checked():
    data, grads = [np.ones(3, F32)], [np.ones(3, F32)]
    with pytest.raises(TypeError, match="update_ratios"):
        ops.sgd_update(data, grads, 0.1, update_ratios=np.zeros(1, F32))
    with pytest.raises(ValueError, match="update_ratios"):
        ops.sgd_update(data, grads, 0.1, update_ratios=np.zeros(2))
    with pytest.raises(ValueError, match=r"data\[0\]"):
        ops.sgd_update([np.ones(1, F32)], [np.ones(1, F32)], 0.1, update_ratios=np.zeros(1))
    np.testing.assert_array_equal(data[0], 1)


def bn_args(dtype=F32, B=8, N=3):
    _, _, g, b, rm, rv, _ = random_block(np.random.default_rng(1), B, 1, N, dtype)
    return [np.random.default_rng(2).standard_normal((B, N)).astype(dtype), g, b, rm, rv]


@pytest.mark.parametrize("position,name,bad", [
    (0, "x", np.zeros(3, F32)), (1, "gamma", np.ones(4, F32)), (2, "beta", np.ones(2, F32)),
    (3, "running_mean", np.zeros((3, 1), F32)), (4, "running_var", np.ones(3, F64)),
    (0, "x", [[1.0, 2.0, 3.0]] * 8)])
def test_batchnorm_bad_argument_is_named_and_changes_nothing(position, name, bad):
    args = bn_args()
    rm, rv = args[3].copy(), args[4].copy()
    args[position] = bad
    with pytest.raises((TypeError, ValueError), match=name):
        ops.batchnorm_forward(*args)
    if position not in (3, 4):
        np.testing.assert_array_equal(args[3], rm)
        np.testing.assert_array_equal(args[4], rv)


def test_batchnorm_training_needs_two_examples_and_a_cache_of_its_own():
    x, g, b, rm, rv = bn_args(B=1)
    with pytest.raises(ValueError, match="at least 2"):
        ops.batchnorm_forward(x, g, b, rm, rv)
    out, _ = ops.batchnorm_forward(x, g, b, rm, rv, training=False)
    assert out.shape == (1, 3)
    _, cache = ops.linear_forward(x, np.ones((3, 3), F32))
    with pytest.raises(TypeError, match="cache must come from ops.batchnorm_forward"):
        ops.batchnorm_backward(x, cache)


@pytest.mark.parametrize("kwargs,error,name", [
    (dict(stats=None, out=np.zeros(3)), TypeError, "stats"),
    (dict(stats=np.zeros(4), out=np.zeros(3)), ValueError, "stats"),
    (dict(stats=np.zeros(5), out=np.zeros(3, np.int64)), TypeError, "out"),
    (dict(stats=np.zeros(5), dout="no"), TypeError, "dout"),
    (dict(stats=np.zeros(5), out=np.zeros(3), saturation=-1.0), ValueError, "saturation")])
def test_track_stats_bad_argument_is_named(kwargs, error, name):
    stats = kwargs.get("stats")
    before = None if not isinstance(stats, np.ndarray) else stats.copy()
    with pytest.raises(error, match=name):
        ops.track_stats(**kwargs)
    if before is not None:
        np.testing.assert_array_equal(stats, before)
