"""`report(model, history, out_dir)`: the lecture's pictures and a report.md that shows them.

The report reads the model's last forward/backward pass (make it a training
batch, as the lecture did) and the training history.  It always writes the
PNGs named in `IMAGES` (the five views of the lecture's second half, then the
first half's pre-activation histogram and saturation map); a view whose data
is missing (no backward pass yet, no history, update ratios not tracked, no
Tanh) gets a picture that says so, and the markdown says why.  `report_at_init` is the lecture's look before
training: one batch through the untrained model, then the report.
"""
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..nn import cross_entropy
from . import plots
from .health import health_check, infer_vocab_size
from .printing import format_stats
from .stats import (SATURATION_THRESHOLD, activation_stats, gradient_stats,
                    has_gradients, preactivation_histograms, saturation_map,
                    weight_grad_stats)

IMAGES = {
    "activations": "activations.png",
    "gradients": "gradients.png",
    "weight_gradients": "weight_gradients.png",
    "update_ratios": "update_ratios.png",
    "loss": "loss.png",
    "preactivations": "preactivations.png",
    "saturation": "saturation.png",
}
MARKDOWN = "report.md"
_HEADINGS = {"activations": "Activations", "gradients": "Gradients",
             "weight_gradients": "Weight gradients", "update_ratios": "Update:data ratio",
             "loss": "Loss", "preactivations": "Pre-activations",
             "saturation": "Saturation map"}

_NO_BACKWARD = "no backward pass has run yet"
_NO_HISTORY = "no training history (the model has not been trained)"
_NO_UPDATES = "update:data ratios were not recorded: train with track_updates=True"


def report(model, history, out_dir, *, title="makemore_fast diagnostics",
           threshold=SATURATION_THRESHOLD, loss_window=1000, findings=None, summary=None):
    """Write IMAGES and report.md into `out_dir` (created if needed); return report.md's path.

    `history` may be None (a report at initialisation).  `findings` defaults
    to `health_check(model, history)`; pass a list to reuse one already made.
    `summary` replaces the paragraph under the title (steps and losses).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if findings is None:
        findings = health_check(model, history, saturation_threshold=threshold)
    ratios = getattr(history, "update_ratios", None)
    no_grads = None if has_gradients(model) else _NO_BACKWARD
    missing = {
        "activations": None,
        "gradients": no_grads,
        "weight_gradients": no_grads,
        "update_ratios": (None if ratios is not None
                          else _NO_HISTORY if history is None else _NO_UPDATES),
        "loss": None if history is not None and len(history.loss) else _NO_HISTORY,
        "preactivations": _unavailable(lambda: preactivation_histograms(model)),
        "saturation": _unavailable(lambda: saturation_map(model)),
    }
    draw = {
        "activations": lambda p: plots.plot_activations(model, p),
        "gradients": lambda p: plots.plot_gradients(model, p),
        "weight_gradients": lambda p: plots.plot_weight_gradients(model, p),
        "update_ratios": lambda p: plots.plot_update_ratios(ratios, model, p),
        "loss": lambda p: plots.plot_loss(history, p, window=loss_window),
        "preactivations": lambda p: plots.plot_preactivations(model, p),
        "saturation": lambda p: plots.plot_saturation_map(model, p),
    }
    for view in IMAGES:
        _draw(out / IMAGES[view], view, draw[view], missing[view])

    body = {
        "activations": lambda: _activations(model, threshold),
        "gradients": lambda: _gradients(model),
        "weight_gradients": lambda: _weights(model),
        "update_ratios": lambda: _updates(model, ratios, loss_window),
        "loss": lambda: "",
        "preactivations": lambda: _preactivations(model),
        "saturation": lambda: _saturation(model),
    }
    summary = _summary(history, loss_window) if summary is None else summary
    sections = [f"# {title}", summary, _findings(findings)]
    for view in IMAGES:
        text = (f"Not available: {missing[view]}." if missing[view] else body[view]())
        sections.append(f"## {_HEADINGS[view]}\n\n" + (text + "\n\n" if text else "")
                        + _picture(view))
    sections.append(_printed(model, threshold))
    path = out / MARKDOWN
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path


def report_at_init(model, X, Y, out_dir, *, batch_size=32, seed=None,
                   title="makemore_fast diagnostics at initialisation"):
    """The lecture's look before training: one batch through the model, then `report`.

    Runs a training-mode forward and backward on `batch_size` examples of
    (X, Y) drawn with `seed`, checks the batch's loss against
    -log(1/vocab_size) with the other findings, and writes the report (no
    history: the update:data and loss views say so).  The model is left as it
    was: parameters, BatchNorm running statistics, gradients and mode.
    Returns report.md's path.
    """
    ix = np.random.default_rng(seed).integers(0, len(X), batch_size)
    state, was_training = model.state_dict(), model.training
    try:
        model.train()
        loss, dlogits = cross_entropy(model(X[ix]), Y[ix])
        model.zero_grad()
        model.backward(dlogits)
        findings = health_check(model, SimpleNamespace(loss=np.array([loss])))
        vocab_size = infer_vocab_size(model)
        summary = (f"At initialisation: loss {loss:.4f} on one batch of {batch_size}; "
                   f"a uniform prediction gives -log(1/{vocab_size}) = "
                   f"{math.log(vocab_size):.4f}.")
        return report(model, None, out_dir, title=title, findings=findings, summary=summary)
    finally:
        model.load_state_dict(state)
        model.zero_grad()
        model.train(was_training)


def _draw(path, view, draw, missing):
    if missing is None:
        draw(path)
        return
    fig = Figure(figsize=(8, 2.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(view.replace("_", " "))
    ax.text(0.5, 0.5, missing, ha="center", va="center", wrap=True)
    fig.savefig(path)


def _summary(history, window):
    if history is None or len(history.loss) == 0:
        return "At initialisation: no training history."
    loss = np.asarray(history.loss, dtype=np.float64)
    w = plots.loss_window(loss.size, window)
    interrupted = " (interrupted)" if getattr(history, "interrupted", False) else ""
    lines = [f"- steps: {loss.size}{interrupted}",
             f"- initial loss: {loss[0]:.4f}",
             f"- final training loss (mean of the last {w} steps): {loss[-w:].mean():.4f}"]
    bad = np.flatnonzero(~np.isfinite(loss))
    if bad.size:
        # A diverged run: the pictures draw the finite values; say what is not.
        lines.append(f"- **diverged at step {bad[0]}: the loss is {loss[bad[0]]}** "
                     f"({bad.size} of {loss.size} losses are not finite; the curves and "
                     "histograms leave the non-finite values out)")
    val = getattr(history, "val", None)
    if val:
        step, value = val[-1]
        lines.append(f"- validation loss at step {step}: {value:.4f}")
    return "\n".join(lines)


def _findings(findings):
    if not findings:
        return "## Health check\n\nNothing to report: every check passed."
    return "## Health check\n\n" + "\n".join(f"- **{f.severity}** ({f.kind}): {f.message}"
                                            for f in findings)


def _activations(model, threshold):
    rows = [(r["layer"], r["name"], f"{r['mean']:+.4f}", f"{r['std']:.4f}",
             f"{r['saturated_pct']:.2f}") for r in activation_stats(model, threshold)]
    return (f"Tanh outputs; saturated means |t| > {threshold}.\n\n"
            + _table(("layer", "name", "mean", "std", "saturated %"), rows))


def _gradients(model):
    rows = [(r["layer"], r["name"], f"{r['mean']:+.3e}", f"{r['std']:.3e}")
            for r in gradient_stats(model)]
    return ("Gradient of the loss at each Tanh output.\n\n"
            + _table(("layer", "name", "mean", "std"), rows))


def _weights(model):
    rows = [(r["index"], r["name"], r["shape"], f"{r['mean']:+.3e}", f"{r['std']:.3e}",
             f"{r['grad_data_ratio']:.3e}") for r in weight_grad_stats(model)]
    return ("2-D parameters, in parameters() order.\n\n"
            + _table(("param", "name", "shape", "grad mean", "grad std", "grad:data"), rows))


def _updates(model, ratios, window):
    ratios = np.asarray(ratios, dtype=np.float64)
    nan_rows = np.flatnonzero(np.isnan(ratios).any(axis=1)) if ratios.ndim == 2 else []
    note = ""
    if len(nan_rows):
        note = f" (steps from {nan_rows[0]} on are nan: the {nan_rows[0]} steps before)"
        ratios = ratios[:nan_rows[0]]
    w = plots.loss_window(len(ratios), window)
    rows = []
    for k, p in enumerate(model.parameters()):
        if p.data.ndim == 2 and len(ratios):
            last = float(np.mean(ratios[-w:, k]))
            rows.append((k, p.name, tuple(p.data.shape), f"{last:+.2f}", f"{10 ** last:.1e}"))
    return (f"log10(lr * grad std / data std) per step; about -3 (1e-3) is healthy. "
            f"Mean of the last {w} steps{note}:\n\n"
            + _table(("param", "name", "shape", "log10 ratio", "ratio"), rows))


def _unavailable(view):
    """Why a first-half view cannot be drawn (its ValueError, or no Tanh), else None."""
    try:
        return None if view() else "the model has no Tanh layer"
    except ValueError as e:
        return str(e)


def _preactivations(model):
    rows = [(r["layer"], r["name"], f"{r['source']} ({r['source_name']})",
             f"{r['beyond_3_pct']:.2f}") for r in preactivation_histograms(model)]
    return ("What enters each tanh (the lecture's hpreact); beyond ±3 the slope of "
            "tanh is below 0.01.\n\n"
            + _table(("layer", "name", "input from", "beyond ±3 %"), rows))


def _saturation(model):
    rows = [(r["layer"], r["name"], f"{r['saturated_pct']:.2f}",
             plots.saturation_title(r).split(": ", 1)[1]) for r in saturation_map(model)]
    return ("White where |tanh output| > 0.99, batch rows × units; a unit white for the "
            "whole batch is dead (it passes no gradient).\n\n"
            + _table(("layer", "name", "saturated % (> 0.99)", "dead units"), rows))


def _printed(model, threshold):
    return ("## As the lecture printed them\n\n```\n"
            + "\n".join(format_stats(model, threshold)) + "\n```")


def _picture(view):
    return f"![{view.replace('_', ' ')}]({IMAGES[view]})"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
