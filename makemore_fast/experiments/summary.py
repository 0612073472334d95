"""`write_summary(results, out_dir)`: a sweep's table and its comparison pictures.

summary.csv / summary.md: a row per config (name, the fields that vary
across the configs, train and val loss, seconds, error).  The pictures, one
per lecture view with a panel per config (same axes, so that the panels
compare at a glance), drawn from each Result's `stats`:

    activations.png       histogram of each Tanh layer's output
    gradients.png         histogram of the gradient at each Tanh output
    weight_gradients.png  histogram of each 2-D parameter's gradient
    update_ratios.png     log10 update:data ratio of each 2-D parameter over the steps
    loss.png              every config's training loss, overlaid

Drawn headless with Figure/FigureCanvasAgg (no pyplot); matplotlib is
imported here only.
"""
import csv
import math
from pathlib import Path

import numpy as np

from .config import FIELDS, format_value

PICTURES = {"activations": "activations.png", "gradients": "gradients.png",
            "weight_gradients": "weight_gradients.png",
            "update_ratios": "update_ratios.png", "loss": "loss.png"}
_TITLES = {"activations": "activation distribution (tanh outputs)",
           "gradients": "gradient distribution (at the tanh outputs)",
           "weight_gradients": "weights gradient distribution",
           "update_ratios": "log10 update:data ratio (2-D parameters)"}
PANEL = (4.2, 2.8)      # inches per panel
DPI = 72                # small PNGs: the docs commit them


def varying_fields(configs):
    """The fields (not the name) whose values differ between the configs."""
    return [f for f in FIELDS if f != "name"
            and len({getattr(c, f) for c in configs}) > 1]


def rows(results):
    """(header, rows) of the summary table."""
    configs = [r.config for r in results]
    fields = varying_fields(configs)
    header = ["name", *fields, "steps", "train_loss", "val_loss", "seconds", "error"]
    table = [[r.config.name, *[format_value(getattr(r.config, f)) for f in fields],
              str(r.steps), _loss(r.train_loss), _loss(r.val_loss), f"{r.seconds:.1f}",
              r.error or ""] for r in results]
    return header, table


def write_summary(results, out_dir):
    """Write summary.csv, summary.md and PICTURES into out_dir; return summary.md's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    header, table = rows(results)
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(table)
    for view in ("activations", "gradients", "weight_gradients"):
        _histograms(results, view, out / PICTURES[view])
    _update_ratios(results, out / PICTURES["update_ratios"])
    _losses(results, out / PICTURES["loss"])
    lines = ["# Sweep summary", "", markdown_table(header, table), ""]
    lines += [f"## {name.replace('_', ' ')}\n\n![{name}]({file})\n"
              for name, file in PICTURES.items()]
    path = out / "summary.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def markdown_table(header, table):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in table]
    return "\n".join(lines)


def format_table(results):
    """The summary table as aligned plain text (what the CLI prints)."""
    header, table = rows(results)
    widths = [max(len(h), *(len(r[k]) for r in table)) if table else len(h)
              for k, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa
    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, table)])


def _loss(value):
    return f"{value:.4f}" if math.isfinite(value) else str(value)


def _figure(n):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    cols = min(4, max(1, n))
    nrows = max(1, math.ceil(n / cols))
    fig = Figure(figsize=(PANEL[0] * cols, PANEL[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes


def _histograms(results, view, path):
    fig, axes = _figure(len(results))
    for ax, r in zip(axes, results):
        rows_ = (r.stats.get("histograms") or {}).get(view) if r.stats else None
        ax.set_title(_panel_title(r, view), fontsize=8)
        if not rows_:
            _empty(ax, r.error or "no pass to look at")
            continue
        for row in rows_:
            label = (f"layer {row['layer']}" if "layer" in row
                     else f"{row['index']} {tuple(row['shape'])}")
            ax.plot(np.asarray(row["edges"][:-1], float),
                    np.asarray(row["density"], float), label=label, lw=1)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.suptitle(_TITLES[view])
    fig.savefig(path, dpi=DPI)


def _panel_title(r, view):
    """The config's name and the view's numbers the lecture read off it."""
    name = r.config.name
    stats = r.stats or {}
    if view == "activations" and stats.get("activations"):
        s = stats["activations"]
        return (f"{name}\nstd {s[0]['std']:.2f}->{s[-1]['std']:.2f}, saturated "
                f"{s[0]['saturated_pct']:.0f}%->{s[-1]['saturated_pct']:.0f}%")
    if view == "gradients" and stats.get("gradients"):
        s = stats["gradients"]
        return f"{name}\ngrad std {s[0]['std']:.1e}->{s[-1]['std']:.1e}"
    if view == "weight_gradients" and stats.get("weight_gradients"):
        ratios = [w["grad_data_ratio"] for w in stats["weight_gradients"]]
        return f"{name}\ngrad:data {min(ratios):.1e}..{max(ratios):.1e}"
    return name


def _update_ratios(results, path):
    fig, axes = _figure(len(results))
    for ax, r in zip(axes, results):
        curves = (r.stats or {}).get("update_curves")
        ax.set_title(r.config.name, fontsize=8)
        if not curves:
            _empty(ax, r.error or "no update recorded")
            continue
        steps = np.asarray(curves["steps"])
        for k, values in zip(curves["columns"], curves["values"]):
            ax.plot(steps, np.asarray(values, float), label=f"param {k}", lw=1)
        ax.axhline(-3, color="k", lw=1)
        ax.set_ylim(-6, 0)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.suptitle(_TITLES["update_ratios"] + "; the black line is 1e-3")
    fig.savefig(path, dpi=DPI)


def _losses(results, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for r in results:
        loss = np.asarray(r.loss, dtype=np.float64)
        if loss.size == 0:
            continue
        w = max(1, min(1000, loss.size // 50))
        full = loss.size // w * w
        with np.errstate(divide="ignore", invalid="ignore"):
            curve = np.log10(loss[:full]).reshape(-1, w).mean(axis=1)
        label = r.config.name + (f" ({r.error})" if r.error else "")
        ax.plot(np.arange(curve.size) * w + (w - 1) / 2, curve, label=label, lw=1)
    ax.set_title("training loss (log10, mean over windows of steps)")
    ax.set_xlabel("step")
    ax.set_ylabel("log10 loss")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.savefig(path, dpi=DPI)


def _empty(ax, text):
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=8)
