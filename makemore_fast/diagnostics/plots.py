"""The lecture's pictures of a network, drawn headless with matplotlib.

Each function returns its `matplotlib.figure.Figure` (Jupyter shows it inline)
and, given `path`, saves it there (PNG unless the path's extension says
otherwise).  Figures are made with `Figure` and `FigureCanvasAgg` directly,
never through pyplot: nothing here touches pyplot's figure registry or the
backend a notebook chose, and it all works without a display.  Pass `ax` to
draw into an axes of your own figure instead.

One curve per layer (per 2-D parameter for the weight views), with the
lecture's legends.
"""
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .stats import (DEAD_THRESHOLD, DEFAULT_BINS, PREACT_LIMIT, activation_histograms,
                    gradient_histograms, preactivation_histograms, saturation_map,
                    weight_grad_histograms)

WIDE = (20, 4)       # the lecture's plt.figure(figsize=(20, 4))
LOSS_SIZE = (10, 4)
GUIDELINE = -3.0     # update:data ratios should be about 1e-3


def plot_activations(model, path=None, *, bins=DEFAULT_BINS, ax=None, figsize=WIDE):
    """Histogram of each Tanh layer's output: 'activation distribution'."""
    fig, ax = _axes(ax, figsize)
    _curves(ax, activation_histograms(model, bins), _layer_label)
    _label(ax, "activation distribution", "tanh output", "density")
    return _save(fig, path)


def plot_gradients(model, path=None, *, bins=DEFAULT_BINS, ax=None, figsize=WIDE):
    """Histogram of the gradient at each Tanh layer's output: 'gradient distribution'."""
    fig, ax = _axes(ax, figsize)
    _curves(ax, gradient_histograms(model, bins), _layer_label)
    _label(ax, "gradient distribution", "gradient of tanh output", "density")
    return _save(fig, path)


def plot_weight_gradients(model, path=None, *, bins=DEFAULT_BINS, ax=None, figsize=WIDE):
    """Histogram of each 2-D parameter's gradient: 'weights gradient distribution'."""
    fig, ax = _axes(ax, figsize)
    _curves(ax, weight_grad_histograms(model, bins),
            lambda r: f"{r['index']} {r['shape']}" + _not_finite(r))
    _label(ax, "weights gradient distribution", "gradient", "density")
    return _save(fig, path)


def plot_preactivations(model, path=None, *, bins=DEFAULT_BINS, ax=None, figsize=WIDE):
    """Histogram of what enters each Tanh (the lecture's hpreact): 'pre-activation
    distribution', each legend saying how much lies beyond +-3."""
    fig, ax = _axes(ax, figsize)
    _curves(ax, preactivation_histograms(model, bins),
            lambda r: f"layer {r['layer']} ({r['name']}): {r['beyond_3_pct']:.2f}% beyond ±3")
    for x in (-PREACT_LIMIT, PREACT_LIMIT):
        ax.axvline(x, color="k", linewidth=0.8, linestyle=":")
    _label(ax, "pre-activation distribution", "tanh input", "density")
    return _save(fig, path)


def plot_saturation_map(model, path=None, *, layer=None, threshold=DEAD_THRESHOLD,
                        figsize=None):
    """The lecture's `plt.imshow(h.abs() > 0.99, cmap='gray', interpolation='nearest')`.

    One panel per Tanh layer (or only `layer`, its index in model.layers):
    batch rows x units, white where |h| > threshold; the title names the dead
    units (white for the whole batch), e.g. "layer 3 (Tanh): 2 dead units: 17, 40".
    """
    rows = saturation_map(model, threshold)
    if layer is not None:
        rows = [r for r in rows if r["layer"] == layer]
        if not rows:
            raise ValueError(f"layer must be the index of a Tanh layer in model.layers "
                             f"({[r['layer'] for r in saturation_map(model, threshold)]}), "
                             f"got {layer!r}")
    if not rows:
        raise ValueError("the model has no Tanh layer: nothing saturates")
    n = len(rows)
    fig = InlineFigure(figsize=figsize or (min(20, 5 * n), 5), layout="constrained")
    FigureCanvasAgg(fig)
    for k, r in enumerate(rows):
        ax = fig.add_subplot(1, n, k + 1)
        ax.imshow(r["map"], cmap="gray", interpolation="nearest", vmin=0, vmax=1,
                  aspect="auto")
        ax.set_title(saturation_title(r), fontsize="medium")
        ax.set_xlabel("unit")
        ax.set_ylabel("example" if k == 0 else "")
    fig.suptitle(f"saturation map: white where |tanh output| > {threshold:g}")
    return _save(fig, path)


def saturation_title(row, shown=8):
    """'layer 3 (Tanh): 2 dead units: 17, 40' (the first `shown` indices, then '...')."""
    head = f"layer {row['layer']} ({row['name']}): "
    if not row["dead"]:
        return head + "no dead unit"
    names = ", ".join(map(str, row["indices"][:shown]))
    more = ", ..." if row["dead"] > shown else ""
    return head + f"{row['dead']} dead unit{'s' if row['dead'] > 1 else ''}: {names}{more}"


def plot_update_ratios(source, model=None, path=None, *, guideline=GUIDELINE,
                       max_points=4000, ax=None, figsize=WIDE):
    """log10 update:data ratio of each 2-D parameter over the steps, with the -3 line.

    `source` is a training history (its `update_ratios`), an `UpdateTracker`, or
    a (steps, n_params) array.  The curves are the 2-D parameters', as in the
    lecture, when the shapes are known (from a tracker, or from `model`);
    otherwise every column is drawn.  A history longer than `max_points` steps
    is drawn every k-th step (k = ceil(steps / max_points)): at the figure's
    resolution the noisy curves look the same, and drawing stays fast.
    """
    ratios, shapes = _ratios(source, model)
    fig, ax = _axes(ax, figsize)
    columns = [k for k, s in enumerate(shapes) if len(s) == 2] if shapes else range(ratios.shape[1])
    stride = max(1, -(-len(ratios) // max_points))
    steps = np.arange(0, len(ratios), stride)
    for k in columns:
        ax.plot(steps, ratios[::stride, k], label=f"param {k}")
    ax.plot([0, len(ratios)], [guideline, guideline], "k",
            label=f"guideline 1e{guideline:+.0f}")
    _label(ax, "update:data ratio", "step", "log10(lr * grad std / data std)")
    return _save(fig, path)


def plot_loss(source, path=None, *, window=1000, ax=None, figsize=LOSS_SIZE):
    """log10 of the training loss averaged over windows of `window` steps (and val).

    `source` is a training history (its `loss`, and `val` if any) or a 1-D
    array of per-step losses.  A history shorter than ten windows is averaged
    over smaller ones (see `loss_window`) so the curve keeps at least ten points.
    """
    loss = np.asarray(getattr(source, "loss", source), dtype=np.float64).reshape(-1)
    if loss.size == 0:
        raise ValueError("no loss to plot: the history is empty")
    w = loss_window(loss.size, window)
    steps, values = windowed_log10(loss, w)
    fig, ax = _axes(ax, figsize)
    ax.plot(steps, values, "o-" if len(values) == 1 else "-",
            label=f"train (mean of {w} steps)" if w > 1 else "train")
    val = getattr(source, "val", None)
    if val:
        val_steps, val_loss = zip(*val)
        with np.errstate(divide="ignore"):
            ax.plot(val_steps, np.log10(val_loss), "o-", label="val")
    _label(ax, "loss", "step", "log10 loss")
    return _save(fig, path)


def _curves(ax, rows, label):
    """One density curve per histogram row, at its bins' left edges."""
    for r in rows:
        ax.plot(r["edges"][:-1], r["density"], label=label(r))


def _layer_label(row):
    return f"layer {row['layer']} ({row['name']})" + _not_finite(row)


def _not_finite(row):
    """The legend's note on a histogram that left out inf/nan values."""
    n = row.get("nonfinite", 0)
    return f" ({n} not finite, left out)" if n else ""


def loss_window(steps, window=1000):
    """The averaging window for `steps` losses: `window`, shrunk to keep ten points."""
    return max(1, min(window, steps // 10))


def windowed_log10(loss, window):
    """(centre step, mean log10 loss) of consecutive windows of `window` steps.

    The lecture's `torch.tensor(lossi).view(-1, 1000).mean(1)`; a last partial
    window is kept when it holds at least half a window.
    """
    loss = np.asarray(loss, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logs = np.log10(loss)
    full = loss.size // window * window
    values = logs[:full].reshape(-1, window).mean(axis=1)
    steps = np.arange(values.size) * window + (window - 1) / 2
    tail = loss.size - full
    if tail and tail * 2 >= window:
        values = np.append(values, logs[full:].mean())
        steps = np.append(steps, full + (tail - 1) / 2)
    return steps, values


def _ratios(source, model):
    shapes = None
    if hasattr(source, "update_ratios"):
        ratios = source.update_ratios
        if ratios is None:
            raise ValueError("the history has no update:data ratios: "
                             "train with track_updates=True")
    elif hasattr(source, "ratios"):
        ratios, shapes = source.ratios, source.shapes
    else:
        ratios = source
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.ndim != 2:
        raise ValueError(f"update:data ratios must be (steps, n_params), got {ratios.shape}")
    if model is not None:
        shapes = [tuple(p.data.shape) for p in model.parameters()]
    if shapes is not None and len(shapes) != ratios.shape[1]:
        raise ValueError(f"{ratios.shape[1]} columns of ratios for {len(shapes)} parameters")
    return ratios, shapes


class InlineFigure(Figure):
    """A Figure that Jupyter shows inline even if pyplot was never imported."""

    def _repr_png_(self):
        buf = io.BytesIO()
        self.savefig(buf, format="png")
        return buf.getvalue()


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig = InlineFigure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _label(ax, title, xlabel, ylabel):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()


def _save(fig, path):
    if path is not None:
        fig.savefig(path)
    return fig
