"""The numbers the lecture looks at, read from the last forward and backward pass.

Every function only reads what the layers kept (`layer.out` after a forward,
`layer.out_grad` and `parameter.grad` after a backward), with vectorised
NumPy (see `moments`), so each call is cheap enough to make every step.  All
standard deviations are the unbiased ones (ddof=1), as `torch.Tensor.std()`
printed them in the lecture; sums are accumulated in float64 whatever the
model's dtype.

Values are plain Python floats, shapes plain tuples, so the results print,
compare and serialise (JSON) as they are.
"""
import numpy as np

from ..constants import DEAD_THRESHOLD, SATURATION_THRESHOLD  # noqa: F401 (re-exported)
from ..nn import Tanh
from .moments import mean_std_many

DEFAULT_BINS = 100          # torch.histogram's default, what the lecture plotted
PREACT_LIMIT = 3.0          # |pre-activation| > 3: tanh > 0.995, slope < 0.01


def tanh_layers(model):
    """[(index in model.layers, layer)] for every Tanh layer, in order."""
    return [(i, layer) for i, layer in enumerate(model.layers) if isinstance(layer, Tanh)]


def layer_name(layer):
    """The name the lecture printed for a layer: its class name."""
    return type(layer).__name__


def activation_stats(model, threshold=SATURATION_THRESHOLD):
    """One dict per Tanh layer: layer, name, mean, std, saturated_pct.

    `saturated_pct` is the percentage of outputs with |t| > threshold.
    """
    layers = tanh_layers(model)
    outs = [_output(i, layer) for i, layer in layers]
    means, stds = mean_std_many(outs)
    return [{"layer": i, "name": layer_name(layer), "mean": float(mean), "std": float(std),
             "saturated_pct": 100.0 * int(np.count_nonzero(np.abs(t) > threshold)) / t.size}
            for (i, layer), t, mean, std in zip(layers, outs, means, stds)]


def tracked_stats(model):
    """One dict per Tanh layer, over every step since `model.track_stats()`.

    Keys: layer, name, steps-worth of elements `count` (outputs) and
    `grad_count` (gradients), mean, std, saturated_pct of the outputs and
    grad_mean, grad_std of their gradients (NaN before any such pass).
    The sums were accumulated by the kernels at every step, so this costs
    nothing to read; stds are unbiased, from sums in float64.
    """
    rows = []
    for i, layer in tanh_layers(model):
        if layer.stats is None:
            raise ValueError(f"layer {i} (Tanh) is not tracking statistics: call "
                             f"model.track_stats() before training")
        s, (n, n_grad) = layer.stats, layer.stats_count
        mean, std = _mean_std(s[0], s[1], n)
        grad_mean, grad_std = _mean_std(s[3], s[4], n_grad)
        rows.append({"layer": i, "name": layer_name(layer), "count": int(n),
                     "grad_count": int(n_grad), "mean": mean, "std": std,
                     "saturated_pct": float(100.0 * s[2] / n) if n else float("nan"),
                     "grad_mean": grad_mean, "grad_std": grad_std})
    return rows


def _mean_std(total, total_sq, n):
    """Mean and unbiased std from a sum and a sum of squares over n values."""
    if n < 2:
        return (total / n if n else float("nan")), float("nan")
    mean = total / n
    return float(mean), float(np.sqrt(max(total_sq - total * mean, 0.0) / (n - 1)))


def gradient_stats(model):
    """One dict per Tanh layer: layer, name, mean, std of its output's gradient."""
    layers = tanh_layers(model)
    means, stds = mean_std_many([_output_grad(i, layer) for i, layer in layers])
    return [{"layer": i, "name": layer_name(layer), "mean": float(mean), "std": float(std)}
            for (i, layer), mean, std in zip(layers, means, stds)]


def weight_grad_stats(model):
    """One dict per 2-D parameter, in parameters() order.

    Keys: shape, mean, std (of the gradient), grad_data_ratio (grad std / data
    std), plus index (position in parameters(), the lecture's legend) and name.
    """
    weights = [(k, p) for k, p in enumerate(model.parameters()) if p.data.ndim == 2]
    means, stds = mean_std_many([_param_grad(k, p) for k, p in weights]
                                + [p.data for _, p in weights])
    n = len(weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = stds[:n] / stds[n:]
    return [{"index": k, "name": p.name, "shape": tuple(p.data.shape), "mean": float(mean),
             "std": float(std), "grad_data_ratio": float(ratio)}
            for (k, p), mean, std, ratio in zip(weights, means, stds, ratios)]


def dead_units(model, threshold=DEAD_THRESHOLD):
    """One dict per Tanh layer: the units saturated for every example of the batch.

    Keys: layer, name, units (the layer's width), dead (how many), indices
    (their columns), pct.  Such a unit passes no gradient at all: the lecture's
    white column in the |h| > 0.99 picture.
    """
    rows = []
    for i, layer in tanh_layers(model):
        t = _output(i, layer)
        t = t.reshape(t.shape[0], -1)
        dead = np.flatnonzero((np.abs(t) > threshold).all(axis=0))
        rows.append({"layer": i, "name": layer_name(layer), "units": t.shape[1],
                     "dead": int(dead.size), "indices": dead.tolist(),
                     "pct": 100.0 * dead.size / t.shape[1]})
    return rows


def histogram(a, bins=DEFAULT_BINS):
    """(density, bin edges) of all elements, as torch.histogram(a, bins, density=True).

    The bins span [min, max] of the data; the density integrates to one.
    Non-finite values (a diverged run) are left out; with no finite value at
    all the density is nan over [-1, 1], which draws nothing.
    """
    a = np.asarray(a).reshape(-1)
    finite = np.isfinite(a)
    if not finite.all():
        a = a[finite]
        if a.size == 0:
            return np.full(bins, np.nan), np.linspace(-1.0, 1.0, bins + 1)
    return np.histogram(a, bins=bins, density=True)


def nonfinite_count(a):
    """How many elements of `a` are inf or nan."""
    return int(np.asarray(a).size - np.count_nonzero(np.isfinite(a)))


def activation_histograms(model, bins=DEFAULT_BINS):
    """One dict per Tanh layer: layer, name, density, edges of its output."""
    return [_hist_row(i, layer, _output(i, layer), bins) for i, layer in tanh_layers(model)]


def gradient_histograms(model, bins=DEFAULT_BINS):
    """One dict per Tanh layer: layer, name, density, edges of its output's gradient."""
    return [_hist_row(i, layer, _output_grad(i, layer), bins)
            for i, layer in tanh_layers(model)]


def weight_grad_histograms(model, bins=DEFAULT_BINS):
    """One dict per 2-D parameter: index, name, shape, density, edges of its gradient."""
    rows = []
    for index, p in enumerate(model.parameters()):
        if p.data.ndim == 2:
            grad = _param_grad(index, p)
            density, edges = histogram(grad, bins)
            rows.append({"index": index, "name": p.name, "shape": tuple(p.data.shape),
                         "density": density, "edges": edges,
                         "nonfinite": nonfinite_count(grad)})
    return rows


# The first half's views: what enters each tanh, and where it saturates.

def preactivation_histograms(model, bins=DEFAULT_BINS):
    """One dict per Tanh layer: what enters it (the lecture's `hpreact` histogram).

    Keys: layer, name (the Tanh's), source / source_name (the layer just before
    it, whose `.out` is the Tanh's input: a BatchNorm1d's, or a Linear's without
    one), density, edges (as `histogram`) and beyond_3_pct: the percent of
    inputs with |x| > 3, where tanh's slope 1 - tanh^2 is below 0.01 (such an
    input is saturated, its gradient all but gone).

    Inside a fused run the BatchNorm1d's (or Linear's) `.out` is derived from
    the kernel's record and the current parameters: exact at initialisation and
    until an update (after training, the last step's update moves it by lr x
    grad).  A Tanh first in the model has no recorded input: ValueError.
    """
    rows = []
    for i, layer in tanh_layers(model):
        x = _preactivation(model, i)
        density, edges = histogram(x, bins)
        rows.append({"layer": i, "name": layer_name(layer), "source": i - 1,
                     "source_name": layer_name(model.layers[i - 1]), "density": density,
                     "edges": edges, "beyond_3_pct": 100.0 * int(
                         np.count_nonzero(np.abs(x) > PREACT_LIMIT)) / x.size})
    return rows


def saturation_map(model, threshold=DEAD_THRESHOLD):
    """One dict per Tanh layer: the lecture's `h.abs() > 0.99` picture, as data.

    Keys: layer, name, map (bool array, batch rows x units: True where
    |tanh output| > threshold, the picture's white), saturated_pct, and dead /
    indices (the units saturated for the whole batch: white columns, as
    `dead_units`), threshold.
    """
    rows = []
    for row in dead_units(model, threshold):
        t = _output(row["layer"], model.layers[row["layer"]])
        white = np.abs(t.reshape(t.shape[0], -1)) > threshold
        rows.append({"layer": row["layer"], "name": row["name"], "map": white,
                     "saturated_pct": 100.0 * int(np.count_nonzero(white)) / white.size,
                     "dead": row["dead"], "indices": row["indices"],
                     "threshold": float(threshold)})
    return rows


def _preactivation(model, i):
    """The input of model.layers[i] (a Tanh): the previous layer's `.out`."""
    if i == 0:
        raise ValueError("layer 0 (Tanh) is the model's first layer: its input is not "
                         "recorded")
    before = model.layers[i - 1]
    x = getattr(before, "out", None)
    if x is None:
        raise ValueError(f"layer {i - 1} ({layer_name(before)}), the input of layer {i} "
                         f"(Tanh), has no output: run a forward pass first")
    return np.asarray(x)


def has_gradients(model):
    """True when a backward pass has left its gradients: every Tanh layer's output
    gradient and every 2-D parameter's gradient (what the gradient views read)."""
    return (all(getattr(layer, "out_grad", None) is not None for _, layer in tanh_layers(model))
            and all(p.grad is not None for p in model.parameters() if p.data.ndim == 2))


def _hist_row(i, layer, values, bins):
    density, edges = histogram(values, bins)
    return {"layer": i, "name": layer_name(layer), "density": density, "edges": edges,
            "nonfinite": nonfinite_count(values)}


def _output(i, layer):
    t = getattr(layer, "out", None)
    if t is None:
        raise ValueError(f"layer {i} ({layer_name(layer)}) has no output: "
                         "run a forward pass first")
    return t


def _output_grad(i, layer):
    g = getattr(layer, "out_grad", None)
    if g is None:
        raise ValueError(f"layer {i} ({layer_name(layer)}) has no output gradient: "
                         "run a backward pass first")
    return g


def _param_grad(index, p):
    if p.grad is None:
        raise ValueError(f"parameter {index} ({p.name}) has no gradient: "
                         "run a backward pass first")
    return p.grad
