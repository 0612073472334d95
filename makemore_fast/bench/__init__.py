"""Side-by-side benchmark of makemore_fast.ops against the NumPy reference, a
lean NumPy version (the fused block) and PyTorch eager when it is installed:
`python -m makemore_fast.bench [--large]`.

Every case times the implementations in the same run, interleaved (reference,
makemore_fast, torch, lean NumPy, reference, ...), and reports the median
time per call; the speedup is reference time / makemore_fast time, "vs
numpy" lean NumPy time / makemore_fast time (the fastest plain NumPy: the
headline ratio; the readable reference is the oracle, not the peer).  Cases with matrix
products also report makemore_fast's GFLOP/s against the sgemm peak measured
in the same run.  The cases are shared with the pytest-benchmark suites in
benchmarks/.
"""
import argparse
import json
import sys

import numpy as np

from .cases import cases
from .sections import products_share, thread_scaling, tracking_overhead, train_step_tracking
from .timing import (SETTLE, machine, measure, optional_torch, sgemm_peak,  # noqa: F401
                     versions_line)


def run(large=False, repeats=7, peak=None, stream=sys.stdout):
    """Measure every case and print the table; returns the rows.

    peak: sgemm GFLOP/s to compare the cases' matrix-product rate with.
    """
    rows = []
    header = (f"{'op':<24} {'shape':<22} {'dtype':<8} {'reference µs':>13} "
              f"{'makemore_fast µs':>17} {'speedup':>8} {'numpy µs':>10} {'vs numpy':>9} "
              f"{'torch µs':>10} {'vs torch':>9} "
              f"{'GFLOP/s':>8} {'of peak':>8}")
    print(header, file=stream)
    print("-" * len(header), file=stream)
    for case in cases(large):
        t = measure(case, repeats)
        row = {"op": case.op, "shape": case.shape, "dtype": case.dtype,
               "reference_us": t["reference"] * 1e6, "fast_us": t["makemore_fast"] * 1e6,
               "speedup": t["reference"] / t["makemore_fast"],
               "torch_us": t["torch"] * 1e6 if "torch" in t else None}
        row["vs_torch"] = (t["torch"] / t["makemore_fast"]) if "torch" in t else None
        row["numpy_us"] = t["numpy"] * 1e6 if "numpy" in t else None
        row["vs_numpy"] = (t["numpy"] / t["makemore_fast"]) if "numpy" in t else None
        row["gflops"] = case.flops / t["makemore_fast"] / 1e9 if case.flops else None
        rows.append(row)
        torch_cols = (f"{row['torch_us']:>10.1f} {row['vs_torch']:>8.2f}x"
                      if row["torch_us"] is not None else f"{'-':>10} {'-':>9}")
        numpy_cols = (f"{row['numpy_us']:>10.1f} {row['vs_numpy']:>8.2f}x"
                      if row["numpy_us"] is not None else f"{'-':>10} {'-':>9}")
        rate_cols = (f"{row['gflops']:>8.1f} {row['gflops'] / peak if peak else 0:>8.0%}"
                     if row["gflops"] else f"{'-':>8} {'-':>8}")
        print(f"{case.op:<24} {case.shape:<22} {case.dtype:<8} {row['reference_us']:>13.1f} "
              f"{row['fast_us']:>17.1f} {row['speedup']:>7.2f}x {numpy_cols} {torch_cols} "
              f"{rate_cols}",
              file=stream, flush=True)
    return rows


def plot(rows, path):
    """A PNG bar chart of the speedups over the reference (and PyTorch)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    labels = [f"{r['op']}\n{r['shape']}" for r in rows]
    fig = Figure(figsize=(10, 0.45 * len(rows) + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    ax.barh(y - 0.27, [r["speedup"] for r in rows], height=0.27, label="vs NumPy reference")
    ax.barh(y, [r.get("vs_numpy") or 0 for r in rows], height=0.27,
            label="vs lean NumPy")
    ax.barh(y + 0.27, [r["vs_torch"] or 0 for r in rows], height=0.27,
            label="vs PyTorch eager")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("speedup of makemore_fast (x, log scale)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m makemore_fast.bench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true",
                        help="add the large shapes (4096x1024x1024: minutes)")
    parser.add_argument("--repeats", type=int, default=7,
                        help="interleaved repeats per case (median is reported)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--png", metavar="FILE", help="also draw the speedups as a PNG chart")
    parser.add_argument("--threads", action="store_true",
                        help="add the 1 -> 2 thread scaling of the large fused block")
    args = parser.parse_args(argv)
    info = machine()
    info["sgemm_peak_gflops"] = sgemm_peak()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items() if k != "sgemm_peak_gflops"))
    print(f"sgemm peak (SciPy's BLAS, 2048^3, this run): {info['sgemm_peak_gflops']:.0f} GFLOP/s\n")
    results = {"machine": info,
               "rows": run(args.large, args.repeats, info["sgemm_peak_gflops"])}
    print()
    results["tracking"] = tracking_overhead(repeats=args.repeats)
    print()
    results["train_step_tracking"] = train_step_tracking()
    if args.large:
        print()
        results["products_share"] = products_share()
    if args.threads:
        print()
        results["threads"] = thread_scaling()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.png:
        plot(results["rows"], args.png)
    return 0
