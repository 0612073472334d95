"""Regenerate the pictures and figures of docs/DIAGNOSTICS.md.

    python docs/diagnostics_figures.py [out_dir]     # default: docs/img

The lecture's deep net (lecture_mlp, seed 42) trained for 1,000 steps of the
lecture's loop (batch 32, lr 0.1, seed 42) on the names training split, then
`report` on its last training batch: five PNGs and report.md in out_dir.
"""
import sys
from pathlib import Path

import makemore_fast as mf
from makemore_fast import diagnostics as D


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


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "img")
