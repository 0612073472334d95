"""The lecture notebook's printed numbers, reproduced (skipped without torch).

makemore_part3_bn.ipynb (karpathy/nn-zero-to-hero) trains its deep net
(cell 13) for 1,001 steps from its torch.Generator(2147483647) draws and
prints the diagnostics below (cells 13-17 and 19; copied from the notebook's
outputs).  makemore_fast, float32, through a fused Sequential with
BatchNorm1d(unbiased=True), from the same draws, must print the same.

What is compared, and how (docs/NOTEBOOK.md):
- exactly, at the printed precision: the parameter count, the initial loss,
  the five activation lines (mean, std, saturation), the weight-gradient
  means;
- the means printed as "+0.000000" / "-0.000000" are rounding noise (about
  1e-12; a batch-normalised layer's output gradient sums to zero): their
  magnitude is compared, not their sign;
- the gradient and weight-gradient stds and grad:data ratios, printed with 7
  significant digits ("%e"), are at float32's resolution: the fused kernels
  round in another order than torch's autograd (their own products and
  vectorised tanh), so they agree to rtol 3e-6 (measured: at most 1.6e-6, a
  few units in the 7th digit); layer by layer (fuse=False) the five gradient
  stds agree to every printed digit (where the products use fused
  multiply-adds, as torch's do: not at the x86-64 baseline level);
- train / val loss in eval mode: the notebook prints a float32's 17-digit
  repr; they agree to within one float32 unit in the last place.
"""
import platform

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import makemore_fast as mf  # noqa: E402
from makemore_fast import ops  # noqa: E402
from makemore_fast.diagnostics import (activation_stats, gradient_stats,  # noqa: E402
                                       weight_grad_stats)
from makemore_fast.notebook import notebook_generator, notebook_model, notebook_train  # noqa: E402

PARAMETERS = 47024                                   # cell 13
FIRST_LOSS = "3.2870"                                # cell 14: "      0/ 200000: 3.2870"
ACTIVATIONS = [                                      # cell 15: mean, std, saturated %
    ("-0.00", "0.63", "2.78"), ("+0.00", "0.64", "2.56"), ("-0.00", "0.65", "2.25"),
    ("+0.00", "0.65", "1.69"), ("+0.00", "0.65", "1.88")]
GRADIENTS = [                                        # cell 16: mean, std
    ("-0.000000", "2.640702e-03"), ("+0.000000", "2.245584e-03"),
    ("-0.000000", "2.045742e-03"), ("+0.000000", "1.983134e-03"),
    ("-0.000000", "1.952382e-03")]
WEIGHTS = [                                          # cell 17: shape, mean, std, ratio
    ((27, 10), "+0.000000", "8.020534e-03", "8.012630e-03"),
    ((30, 100), "+0.000246", "9.241077e-03", "4.881091e-02"),
    ((100, 100), "+0.000113", "7.132879e-03", "6.964619e-02"),
    ((100, 100), "-0.000086", "6.234305e-03", "6.073741e-02"),
    ((100, 100), "+0.000052", "5.742187e-03", "5.631483e-02"),
    ((100, 100), "+0.000032", "5.672205e-03", "5.570125e-02"),
    ((100, 27), "-0.000082", "1.209416e-02", "1.160106e-01")]
TRAIN_LOSS, VAL_LOSS = 2.4002976417541504, 2.3982467651367188      # cell 19
NOTEBOOK_TANH_LAYERS = [2, 5, 8, 11, 14]
STD_RTOL = 3e-6


def run(unbiased=True, fuse=True):
    splits = mf.data.load_splits()
    g = notebook_generator()
    model = notebook_model(g, unbiased=unbiased, fuse=fuse)
    losses = notebook_train(model, *splits.train, g)
    return model, losses, splits


@pytest.fixture(scope="module")
def trained():
    return run()


def zero_or_exact(value, printed):
    """A mean at the printed precision; a printed ±0 compares by magnitude."""
    if float(printed) == 0.0:
        return f"{abs(value):.6f}" == "0.000000"
    return f"{value:+f}" == printed


def test_parameters_and_initial_loss(trained):
    model, losses, _ = trained
    assert sum(p.nelement() for p in model.parameters()) == PARAMETERS
    assert f"{losses[0]:.4f}" == FIRST_LOSS


def test_activation_lines(trained):
    rows = activation_stats(trained[0])
    assert [r["layer"] - 1 for r in rows] == NOTEBOOK_TANH_LAYERS
    got = [(f"{r['mean']:+.2f}", f"{r['std']:.2f}", f"{r['saturated_pct']:.2f}") for r in rows]
    assert got == ACTIVATIONS


def test_gradient_lines(trained):
    rows = gradient_stats(trained[0])
    for row, (mean, std) in zip(rows, GRADIENTS, strict=True):
        assert zero_or_exact(row["mean"], mean)
        assert row["std"] == pytest.approx(float(std), rel=STD_RTOL)


# The x86-64 baseline level has no fused multiply-add (torch's products and
# the other levels' have): its sums differ in the 7th digit.
X86_WITHOUT_FMA = (platform.machine().lower() in ("x86_64", "amd64")
                   and ops.cpu_level() == "baseline")


@pytest.mark.skipif(not ops.unpacked_products() or X86_WITHOUT_FMA,
                    reason="every printed digit needs the unpacked product's sums, "
                           "with fused multiply-adds (the portable build's BLAS and "
                           "the x86-64 baseline level differ in the 7th digit)")
def test_gradient_lines_layer_by_layer_to_every_digit():
    rows = gradient_stats(run(fuse=False)[0])
    assert [f"{r['std']:e}" for r in rows] == [std for _, std in GRADIENTS]
    assert all(f"{abs(r['mean']):.6f}" == "0.000000" for r in rows)


def test_weight_lines(trained):
    rows = weight_grad_stats(trained[0])
    for row, (shape, mean, std, ratio) in zip(rows, WEIGHTS, strict=True):
        assert row["shape"] == shape
        assert zero_or_exact(row["mean"], mean), (shape, row["mean"], mean)
        assert row["std"] == pytest.approx(float(std), rel=STD_RTOL)
        assert row["grad_data_ratio"] == pytest.approx(float(ratio), rel=STD_RTOL)


def test_train_and_val_loss_in_eval_mode(trained):
    model, _, splits = trained
    for X, Y, printed in ((*splits.train, TRAIN_LOSS), (*splits.val, VAL_LOSS)):
        ulp = float(np.spacing(np.float32(printed)))
        assert abs(mf.split_loss(model, X, Y) - printed) <= ulp


def test_the_default_convention_gives_other_numbers():
    # torch.nn's biased variance: the gap the notebook's numbers expose.
    rows = activation_stats(run(unbiased=False)[0])
    assert [f"{r['saturated_pct']:.2f}" for r in rows] != [s for _, _, s in ACTIVATIONS]
