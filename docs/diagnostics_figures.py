"""Regenerate the pictures and figures of docs/DIAGNOSTICS.md.

    python docs/diagnostics_figures.py [out_dir]     # default: docs/img

The lecture's deep net (lecture_mlp, seed 42) trained for 1,000 steps of the
lecture's loop (batch 32, lr 0.1, seed 42) on the names training split, then
`report` on its last training batch: the report's seven PNGs and report.md in
out_dir.  Then the first half's two views of the lecture's first network at
its first, too large initialisation (W1 ~ N(0, 1), b1 ~ N(0, 1): the tanh
saturated, the lecture's mostly white picture): preactivations_bad_init.png
and saturation_bad_init.png.
"""
import math
import sys
from pathlib import Path

import numpy as np

import makemore_fast as mf
from makemore_fast import diagnostics as D


def bad_init_net(seed=42):
    """The lecture's first MLP before its fixes: C, W1 and b1 standard normal,
    a tanh layer of 200, W2 (200 -> 27)."""
    rng = np.random.default_rng(seed)
    hidden = mf.Linear(30, 200, gain=math.sqrt(30), rng=rng)    # N(0, 1) entries
    hidden.bias.data[:] = rng.standard_normal(200)
    return mf.Sequential([mf.Embedding(27, 10, rng=rng), hidden, mf.Tanh(),
                          mf.Linear(200, 27, rng=rng)])


def main(out_dir):
    splits = mf.data.load_splits()
    model = mf.lecture_mlp(seed=42)
    history = mf.train(model, *splits.train, steps=1000, seed=42, progress=False,
                       eval_data=splits.val, track_updates=D.UpdateTracker())
    D.print_stats(model)
    for finding in D.health_check(model, history):
        print(finding)
    print("wrote", D.report(model, history, out_dir,
                            title="lecture_mlp(seed=42) after 1,000 steps"))

    bad = bad_init_net()
    X, _ = splits.train
    bad(X[np.random.default_rng(0).integers(0, len(X), 32)])
    D.plot_preactivations(bad, Path(out_dir) / "preactivations_bad_init.png", figsize=(10, 4))
    D.plot_saturation_map(bad, Path(out_dir) / "saturation_bad_init.png", figsize=(10, 3))
    print("bad init:", [round(r["beyond_3_pct"], 1) for r in D.preactivation_histograms(bad)],
          "% beyond ±3;", [r["dead"] for r in D.saturation_map(bad)], "dead units")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "img")
