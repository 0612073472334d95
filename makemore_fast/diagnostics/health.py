"""The lecture's eyeballing, as findings: plain sentences with the number behind each.

`health_check(model, history)` reads the statistics of the model's last
forward/backward pass (a training batch, as the lecture did) and the training
history, and returns a list of `Finding`s.  An empty list means nothing looked
wrong.  Every threshold is a keyword argument; the defaults are the lecture's
rules of thumb.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..nn import BatchNorm1d, Embedding
from .stats import (DEAD_THRESHOLD, SATURATION_THRESHOLD, activation_stats, dead_units,
                    gradient_stats, has_gradients, weight_grad_stats)

WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One thing `health_check` noticed.

    kind: what was checked ("initial_loss", "non_finite_loss", "saturation",
        "dead_units", "activation_spread", "gradient_spread", "grad_data_ratio",
        "update_data_ratio").
    message: the finding as one plain sentence; `str(finding)` is this.
    value: the number that triggered it.
    subject: what it is about ("model", "layer 2 (Tanh)", "param 4 (100, 100)").
    severity: "warning" (something to fix) or "info" (worth knowing; the
        lecture's example fixes itself as training goes on).
    """
    kind: str
    message: str
    value: float
    subject: str = "model"
    severity: str = WARNING

    def __str__(self):
        return self.message

    @property
    def alarming(self):
        """True for warnings: what a healthy model never shows."""
        return self.severity == WARNING


def health_check(model, history=None, *, vocab_size=None,
                 loss_tolerance=0.05,
                 saturation_threshold=SATURATION_THRESHOLD, max_saturated_pct=5.0,
                 dead_threshold=DEAD_THRESHOLD,
                 activation_spread=1.5, gradient_spread=3.0,
                 ratio_band=(5e-5, 2e-2), stretch=0.2, min_stretch=20,
                 grad_data_outlier=10.0, trained_steps=1000):
    """Findings about `model` (its last forward/backward) and `history` (or None).

    - initial loss more than `loss_tolerance` (relative) above -log(1/vocab_size),
      and any non-finite loss;
    - a Tanh layer with more than `max_saturated_pct` % of |t| > `saturation_threshold`
      (info only, after `trained_steps` steps, when a BatchNorm feeds it: its
      learned gain then decides the saturation, which the lecture's trained
      nets show too);
    - dead units: |t| > `dead_threshold` for every example of the batch;
    - activation std (or output-gradient std) changing by more than a factor
      `activation_spread` (`gradient_spread`) from the first Tanh layer to the last;
    - a 2-D parameter whose update:data ratio (history.update_ratios, smoothed
      over up to 50 steps) stays outside `ratio_band` for `stretch` of the
      recorded steps (and at least `min_stretch` steps) in a row.  The band is
      the lecture's "about 1e-3", give or take a decade: about [1e-4, 1e-2],
      with a factor 2 of slack either side, since the lecture's own healthy
      net at lr 0.1 runs its output layer at about 1.2e-2;
    - (info) a 2-D parameter whose grad:data ratio is `grad_data_outlier` times
      above or below the median of the 2-D parameters: it trains at a very
      different speed from the rest (the lecture's last layer before BatchNorm:
      scaled down by 0.1 for a sane initial loss, it starts 100x faster).

    The grad:data ratio by itself carries no learning rate, so the absolute
    band applies to the update:data ratio (lr times it), recorded over time.
    Gradient checks are skipped when no backward pass has run yet.
    """
    findings = []
    if history is not None:
        findings += _loss_findings(model, history.loss, vocab_size, loss_tolerance,
                                   getattr(history, "diverged_at", None))
    act = activation_stats(model, saturation_threshold)
    trained = history is not None and len(history.loss) >= trained_steps
    findings += _saturation_findings(model, act, saturation_threshold, max_saturated_pct,
                                     trained)
    findings += _dead_findings(model, dead_threshold)
    findings += _spread_findings("activation", act, activation_spread)
    if has_gradients(model):
        findings += _spread_findings("gradient", gradient_stats(model), gradient_spread)
        findings += _outlier_findings(weight_grad_stats(model), grad_data_outlier)
    ratios = getattr(history, "update_ratios", None)
    if ratios is not None:
        shapes = [tuple(p.data.shape) for p in model.parameters()]
        findings += _update_findings(np.asarray(ratios, dtype=np.float64), shapes,
                                     ratio_band, stretch, min_stretch)
    return findings


def infer_vocab_size(model):
    """The vocabulary size: model.vocab_size, else the rows of the Embedding table."""
    size = getattr(model, "vocab_size", None)
    if size is not None:
        return int(size)
    for layer in model.layers:
        if isinstance(layer, Embedding):
            return layer.num_embeddings
    raise ValueError("cannot tell the vocabulary size: pass vocab_size=")


def _loss_findings(model, loss, vocab_size, tolerance, diverged_at=None):
    loss = np.asarray(loss, dtype=np.float64)
    if loss.size == 0:
        return []
    out = []
    expected = math.log(vocab_size or infer_vocab_size(model))
    if loss[0] > expected * (1 + tolerance):
        out.append(Finding(
            "initial_loss",
            f"initial loss {loss[0]:.4f} is far above -log(1/vocab_size) = {expected:.4f}: "
            "the network starts confidently wrong; scale the last layer down "
            "(its weights, or its BatchNorm gain, by about 0.1)",
            float(loss[0])))
    bad = np.flatnonzero(~np.isfinite(loss))
    if bad.size:
        step = int(bad[0])
        stopped = (" and training stopped there" if diverged_at == step and bad.size == 1
                   else f" ({bad.size} non-finite steps in all)")
        out.append(Finding(
            "non_finite_loss",
            f"training diverged: the loss became {loss[step]} at step {step}{stopped}; "
            "lower the learning rate (the statistics of a diverged model are not "
            "meaningful)",
            float(step)))
    return out


def _saturation_findings(model, rows, threshold, max_pct, trained):
    out = []
    for r in rows:
        if r["saturated_pct"] <= max_pct:
            continue
        head = (f"layer {r['layer']} ({r['name']}): {r['saturated_pct']:.2f}% of outputs "
                f"are saturated (|t| > {threshold}), above {max_pct:g}%")
        bn = model.layers[r["layer"] - 1] if r["layer"] > 0 else None
        subject = f"layer {r['layer']} ({r['name']})"
        if trained and isinstance(bn, BatchNorm1d):
            gain = float(np.abs(bn.gamma.data).max())
            out.append(Finding("saturation", f"{head}, after training: the BatchNorm "
                               f"before it learned gains up to {gain:.2f}; gradients "
                               f"through the saturated units are small", r["saturated_pct"],
                               subject, INFO))
        else:
            out.append(Finding("saturation", f"{head}: gradients through them vanish; "
                               "lower the gain or normalise the pre-activations",
                               r["saturated_pct"], subject))
    return out


def _dead_findings(model, threshold):
    return [Finding(
        "dead_units",
        f"layer {r['layer']} ({r['name']}): {r['dead']} of {r['units']} units "
        f"({unit_list(r['indices'])}) are saturated (|t| > {threshold}) for every "
        "example of the batch: they are dead, no gradient reaches their weights",
        float(r["dead"]), f"layer {r['layer']} ({r['name']})")
        for r in dead_units(model, threshold) if r["dead"]]


def unit_list(indices, shown=8):
    """'units 3, 17, 40' — the first `shown` indices, then '...'."""
    head = ", ".join(map(str, indices[:shown]))
    return ("unit " if len(indices) == 1 else "units ") + head + (
        ", ..." if len(indices) > shown else "")


def _spread_findings(what, rows, factor):
    if len(rows) < 2:
        return []
    first, last = rows[0], rows[-1]
    if not first["std"] > 0:
        return []
    change = last["std"] / first["std"]
    if 1 / factor <= change <= factor:
        return []
    if what == "activation":
        why = ("activations fade layer over layer: the gain is too small"
               if change < 1 else "activations grow layer over layer: the gain is too large")
    else:
        why = ("gradients vanish towards the input" if change > 1
               else "gradients explode towards the input")
    return [Finding(
        f"{what}_spread",
        f"{what} std goes from {first['std']:.3g} at layer {first['layer']} to "
        f"{last['std']:.3g} at layer {last['layer']} (x{change:.2f} over {len(rows)} "
        f"Tanh layers): {why}",
        change)]


def _outlier_findings(rows, factor):
    ratios = np.array([r["grad_data_ratio"] for r in rows])
    ok = np.isfinite(ratios) & (ratios > 0)
    if ok.sum() < 3:
        return []
    median = float(np.median(ratios[ok]))
    out = []
    for r in rows:
        ratio = r["grad_data_ratio"]
        if not (np.isfinite(ratio) and ratio > 0):
            continue
        rel = ratio / median
        if rel > factor or rel < 1 / factor:
            speed = "faster" if rel > 1 else "slower"
            out.append(Finding(
                "grad_data_ratio",
                f"param {r['index']} {r['shape']}: grad:data ratio {ratio:.2e} is "
                f"x{rel:.3g} the median of the weights ({median:.2e}): it trains that "
                f"much {speed} than the rest",
                ratio, f"param {r['index']} {r['shape']}", INFO))
    return out


def _update_findings(ratios, shapes, band, stretch, min_stretch):
    if ratios.ndim == 2 and ratios.shape[1] != len(shapes):
        raise ValueError(f"update_ratios has {ratios.shape[1]} columns, "
                         f"the model {len(shapes)} parameters")
    # A nan ratio comes from nan data or gradients (a diverged run): the steps
    # from the first one on say nothing about the learning rate.
    nan_rows = np.flatnonzero(np.isnan(ratios).any(axis=1))
    if nan_rows.size:
        ratios = ratios[:nan_rows[0]]
    steps = ratios.shape[0]
    if steps == 0:
        return []
    lo, hi = math.log10(band[0]), math.log10(band[1])
    need = max(min_stretch, math.ceil(stretch * steps))
    window = max(1, min(50, steps // 10))
    out = []
    for k, shape in enumerate(shapes):
        if len(shape) != 2:
            continue
        raw = ratios[:, k]
        smooth = _trailing_mean(raw.clip(lo - 10, hi + 10), window)
        for side, mask in (("above", smooth > hi), ("below", smooth < lo)):
            length, start = _longest_run(mask)
            if length < need:
                continue
            median = 10 ** float(np.median(raw[start:start + length]))
            limit = band[1] if side == "above" else band[0]
            hint = ("the learning rate is too high for it" if side == "above"
                    else "it barely moves: learning rate too low, or too little gradient")
            out.append(Finding(
                "update_data_ratio",
                f"param {k} {shape}: update:data ratio stayed {side} {limit:.0e} for "
                f"{length} of {steps} steps (steps {start}-{start + length - 1}, "
                f"median {median:.1e}): {hint}",
                median, f"param {k} {shape}"))
    return out


def _trailing_mean(x, window):
    """Mean of the last `window` values at each step (fewer at the start)."""
    c = np.cumsum(x)
    out = c.copy()
    out[window:] -= c[:-window]
    return out / np.minimum(np.arange(1, x.size + 1), window)


def _longest_run(mask):
    """(length, start) of the longest run of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if starts.size == 0:
        return 0, 0
    k = int(np.argmax(ends - starts))
    return int(ends[k] - starts[k]), int(starts[k])
