"""Property tests: every ops function against the NumPy reference on drawn inputs
(the fused BatchNorm block: test_properties_block.py).

Shapes 1..300 per dimension, float32 and float64, C / Fortran / strided /
negatively strided / byte-swapped layouts, magnitudes from tiny to huge, inf,
NaN and signed zeros, zero-variance columns (see fuzz_inputs.py). The number of
examples per test comes from the hypothesis profile (conftest.py; 2000 in CI).

The reference runs in float64 on the same values, float32 inputs included: the
kernels accumulate in double, and float32 NumPy would cancel or overflow where
they do not. Results must have NaN exactly where the reference has NaN, the
same infinities, and finite values within rtol (tolerances.py) times their
natural scale: the error bound of each formula, from the magnitudes of its
inputs. Backwards are compared on the kernel's own forward state (its cache),
so that they are tested apart from the forward's rounding.
"""
import numpy as np
import pytest
from fuzz_checks import (TANH_ERR, assert_bit_identical, assert_gradients, assert_matches,
                         assert_output, assert_unchanged, f64, finite, floor, in_dtype,
                         reference, tanh_slope)
from fuzz_inputs import (block_call, block_cases, cross_entropy_cases, embedding_cases,
                         linear_call, linear_cases, sgd_cases)
from hypothesis import given
from hypothesis import strategies as st
from tolerances import rtol

from makemore_fast import ops
from makemore_fast import reference as ref

pytestmark = pytest.mark.usefixtures("one_blas_thread")


# ---------------------------------------------------------------------------
# embedding: a copy and a sum in a fixed order, so bit for bit

@given(embedding_cases())
def test_embedding_forward(case):
    out = ops.embedding_forward(case.laid_out["table"], case.laid_out_idx)
    assert_bit_identical(out, ref.embedding_forward(case.table, case.idx), "out")
    B, T = case.idx.shape
    assert_output(out, case.dtype, (B, T * case.table.shape[1]))


@given(embedding_cases())
def test_embedding_backward(case):
    dtable = ops.embedding_backward(case.laid_out["dout"], case.laid_out_idx, case.V)
    expected = reference(ref.embedding_backward, case.dout, case.idx, case.V)
    assert_bit_identical(dtable, expected, "dtable")
    assert_unchanged(case, ["dout"])


# ---------------------------------------------------------------------------
# Linear (+ tanh)

@given(linear_cases())
def test_linear_forward(case):
    out, _ = linear_call(case)
    expected, _ = reference(ref.linear_forward, f64(case.x), f64(case.weight),
                            f64(case.bias), case.activation)
    # |error| <= K eps (|x| @ |W| + |b|); tanh has slope <= 1 and its own error.
    scale = np.abs(finite(case.x)) @ np.abs(finite(case.weight))
    if case.bias is not None:
        scale += np.abs(finite(case.bias))
    tol = rtol(case.dtype) * scale + floor(case.dtype)
    if case.activation == "tanh":
        tol = np.minimum(tol, 2.0) + TANH_ERR[case.dtype]
    assert_matches(out, in_dtype(expected, case.dtype), tol, "out")
    assert_output(out, case.dtype, expected.shape)
    assert_unchanged(case, ["x", "weight", "bias"])


@given(linear_cases())
def test_linear_backward(case):
    out, cache = linear_call(case)
    grads = ops.linear_backward(case.laid_out["dout"], cache)
    _, state = reference(ref.linear_forward, f64(case.x), f64(case.weight), f64(case.bias),
                         case.activation)
    state.out = f64(out)
    expected = reference(ref.linear_backward, f64(case.dout), state)
    dpre = np.abs(finite(case.dout))
    if case.activation == "tanh":
        dpre *= tanh_slope(out, case.dtype)
    scales = {"dx": dpre @ np.abs(finite(case.weight)).T,
              "dweight": np.abs(finite(case.x)).T @ dpre, "dbias": dpre.sum(0)}
    assert_gradients(grads, expected, scales, case.dtype)
    assert_unchanged(case, ["dout"])


# ---------------------------------------------------------------------------
# diagnostics accumulated by the forwards and backwards (stats=)

@given(st.one_of(linear_cases(), block_cases()), st.sampled_from((0.0, 0.5, 0.97, 2.0)))
def test_stats_accumulate_moments_of_out_and_dout(case, saturation):
    block = hasattr(case, "keywords")
    stats = np.arange(5.0)                       # accumulated into
    call, backward = ((block_call, ops.linear_bn_tanh_backward) if block
                      else (linear_call, ops.linear_backward))
    out, cache = call(case, stats=stats, saturation=saturation)
    o = f64(out)
    # double sums in any order: within n eps of the sum of |terms| (inf where
    # the sum of squares overflows double, as the kernel's does too)
    n_eps = o.size * np.finfo(np.float64).eps
    with np.errstate(all="ignore"):
        want = np.array([o.sum(), (o * o).sum(), np.count_nonzero(np.abs(o) > saturation)])
        sizes = np.abs(finite(o)).sum(), (finite(o) ** 2).sum(), 0.0
    assert_matches(stats[:3], np.arange(3.0) + want, n_eps * np.array(sizes), "out stats")
    backward(case.laid_out["dout"], cache)
    g = f64(case.dout)
    with np.errstate(all="ignore"):
        want = np.array([g.sum(), (g * g).sum()])
        sizes = np.abs(finite(g)).sum(), (finite(g) ** 2).sum()
    assert_matches(stats[3:], 3.0 + np.arange(2.0) + want, n_eps * np.array(sizes),
                   "dout stats")


# ---------------------------------------------------------------------------
# softmax cross-entropy

@given(cross_entropy_cases())
def test_cross_entropy(case):
    loss, dlogits = ops.cross_entropy(case.laid_out["logits"], case.laid_out_targets)
    loss_ref, dlogits_ref = reference(ref.cross_entropy, f64(case.logits), case.targets)
    assert isinstance(loss, float)
    # Per row: |error| of logsumexp - logit[target] is rtol of its size;
    # dlogits is a difference of probabilities divided by B.
    z = finite(case.logits)
    B, V = z.shape
    scale = np.mean(z.max(1) - z[np.arange(B), case.targets]) + np.log(V) + 1.0
    assert_matches(np.array(loss), np.array(loss_ref), rtol(case.dtype) * scale, "loss")
    assert_matches(dlogits, in_dtype(dlogits_ref, case.dtype),
                   rtol(case.dtype) / B + floor(case.dtype), "dlogits")
    assert_output(dlogits, case.dtype, (B, V))
    assert_unchanged(case, ["logits"])


# ---------------------------------------------------------------------------
# SGD

@given(sgd_cases())
def test_sgd_update(case):
    expected = [f64(p.data).copy() for p in case.pairs]
    ratios = np.full(len(case.pairs), 7.0) if case.ratios else None
    ops.sgd_update([p.laid_out["data"] for p in case.pairs],
                   [p.laid_out["grads"] for p in case.pairs], case.lr, update_ratios=ratios)
    # The reference on float64 copies; grads aliasing data alias the copies too.
    reference(ref.sgd_update, expected,
              [e if p.description["alias"] else f64(p.grads)
               for e, p in zip(expected, case.pairs)], case.lr)
    for i, (p, want) in enumerate(zip(case.pairs, expected)):
        got = np.asarray(p.laid_out["data"], p.dtype)
        # data - lr grads: one rounding of each term (float32: lr rounded too)
        scale = np.abs(finite(p.data)) + np.abs(case.lr * finite(p.grads))
        assert_matches(got, in_dtype(want, p.dtype), rtol(p.dtype) * scale + floor(p.dtype),
                       f"data[{i}]")
        if case.ratios:
            # The lecture's ratio of the arrays as updated; the kernel's one pass
            # over values shifted by their first is within n^2 eps of two passes.
            g = got if p.description["alias"] else f64(p.grads)
            with np.errstate(all="ignore"):
                want_ratio = np.log10(abs(case.lr) * np.std(f64(g), ddof=1)
                                      / np.std(f64(got), ddof=1))
            tol = p.data.size**2 * np.finfo(np.float64).eps + 1e-12
            assert_matches(ratios[i:i + 1], np.array([want_ratio]), tol, f"ratio[{i}]")


def test_sgd_update_with_grads_that_are_the_data():
    data = np.array([1.0, 2.0, 4.0])
    ratios = np.zeros(1)
    ops.sgd_update([data], [data], 1e-3, update_ratios=ratios)
    np.testing.assert_allclose(data, [0.999, 1.998, 3.996], rtol=1e-15)
    assert ratios[0] == pytest.approx(-3.0, abs=1e-12)    # std(lr * data) / std(data)
