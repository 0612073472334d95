"""Diagnostics of "makemore part 3": the lecture's views of a network, one call each.

Statistics of the last forward/backward pass (cheap enough for every step):
    activation_stats, gradient_stats, weight_grad_stats, dead_units,
    histogram, activation_histograms, gradient_histograms, weight_grad_histograms
The first half's views: what enters each tanh, where it saturates:
    preactivation_histograms, saturation_map
Statistics over every step, accumulated by the kernels (model.track_stats()):
    tracked_stats
The lecture's printed lines:            format_stats, print_stats
The update:data ratio over training:    UpdateTracker, update_ratios
Findings instead of eyeballing:         health_check, Finding
Pictures and the written report (matplotlib, imported on first use):
    plot_activations, plot_gradients, plot_weight_gradients,
    plot_update_ratios, plot_loss, plot_preactivations, plot_saturation_map,
    report, report_at_init

See docs/DIAGNOSTICS.md for what each view shows and what healthy looks like.
"""
import importlib

from .health import Finding, health_check
from .printing import format_stats, print_stats
from .stats import (activation_histograms, activation_stats, dead_units, gradient_histograms,
                    gradient_stats, histogram, preactivation_histograms, saturation_map,
                    tracked_stats, weight_grad_histograms, weight_grad_stats)
from .updates import UpdateTracker, update_ratios

# Loaded on first access so that importing the statistics (say, from a
# training loop) does not import matplotlib.
_LAZY = {
    "report": ".reports",
    "report_at_init": ".reports",
    "plot_activations": ".plots",
    "plot_gradients": ".plots",
    "plot_weight_gradients": ".plots",
    "plot_update_ratios": ".plots",
    "plot_loss": ".plots",
    "plot_preactivations": ".plots",
    "plot_saturation_map": ".plots",
}

__all__ = [
    "activation_stats", "gradient_stats", "weight_grad_stats", "dead_units", "tracked_stats",
    "histogram", "activation_histograms", "gradient_histograms", "weight_grad_histograms",
    "preactivation_histograms", "saturation_map",
    "format_stats", "print_stats", "UpdateTracker", "update_ratios",
    "health_check", "Finding", *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
