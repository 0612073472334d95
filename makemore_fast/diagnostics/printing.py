"""The lecture's printed lines, from the statistics in `stats`."""
import sys

from .stats import (SATURATION_THRESHOLD, activation_stats, gradient_stats,
                    has_gradients, weight_grad_stats)


def format_activation(row):
    """`layer 2 (Tanh): mean -0.00, std 0.63, saturated: 2.78%`"""
    return ("layer %d (%s): mean %+.2f, std %.2f, saturated: %.2f%%"
            % (row["layer"], row["name"], row["mean"], row["std"], row["saturated_pct"]))


def format_gradient(row):
    """`layer 2 (Tanh): mean +0.000000, std 2.640702e-03`"""
    return "layer %d (%s): mean %+f, std %e" % (row["layer"], row["name"], row["mean"], row["std"])


def format_weight(row):
    """`weight   (27, 10) | mean +0.000000 | std 1.019890e+00 | grad:data ratio 1.018850e+00`"""
    return ("weight %10s | mean %+f | std %e | grad:data ratio %e"
            % (row["shape"], row["mean"], row["std"], row["grad_data_ratio"]))


def format_stats(model, threshold=SATURATION_THRESHOLD):
    """The lecture's three blocks of lines: activations, gradients, weight gradients.

    Gradient and weight lines need a backward pass; before one, only the
    activation block is returned.  Blocks are separated by an empty line.
    """
    lines = [format_activation(r) for r in activation_stats(model, threshold)]
    if has_gradients(model):
        lines.append("")
        lines += [format_gradient(r) for r in gradient_stats(model)]
        lines.append("")
        lines += [format_weight(r) for r in weight_grad_stats(model)]
    return lines


def print_stats(model, threshold=SATURATION_THRESHOLD, file=None):
    """Print the lecture's lines for `model` (see `format_stats`) to `file` (stdout)."""
    print("\n".join(format_stats(model, threshold)), file=file or sys.stdout)
