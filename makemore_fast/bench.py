"""Side-by-side benchmark of makemore_fast.ops against the NumPy reference (and
PyTorch eager when it is installed): `python -m makemore_fast.bench [--large]`.

Every case times the implementations in the same run, interleaved (reference,
makemore_fast, torch, reference, ...), and reports the median time per call;
the speedup is reference time / makemore_fast time.  Cases with matrix
products also report makemore_fast's GFLOP/s against the sgemm peak measured
in the same run.  The cases are shared with the pytest-benchmark suites in
benchmarks/.
"""
import argparse
import json
import platform
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from threadpoolctl import threadpool_limits

from . import ops
from . import reference as ref


@dataclass
class Case:
    op: str
    shape: str
    dtype: str
    reference: Callable[[], object]
    fast: Callable[[], object]
    torch: Optional[Callable[[], object]] = None
    flops: Optional[float] = None       # floating-point operations of the matrix products


def _block_inputs(rng, B, K, N, dtype):
    x = rng.standard_normal((B, K)).astype(dtype)
    w = (rng.standard_normal((K, N)) * (5 / 3) / np.sqrt(K)).astype(dtype)
    gamma, beta = np.ones(N, dtype), np.zeros(N, dtype)
    dout = rng.standard_normal((B, N)).astype(dtype)
    return x, w, gamma, beta, dout


def block_case(B, K, N, dtype=np.float32, activation="tanh"):
    """Linear -> BatchNorm1d -> tanh, forward + backward, training mode."""
    x, w, gamma, beta, dout = _block_inputs(np.random.default_rng(0), B, K, N, dtype)
    run = _block_step(x, w, gamma, beta, dout, activation)

    return Case("linear_bn_tanh fwd+bwd", f"{B}x{K}x{N}", np.dtype(dtype).name,
                run(ref), run(ops), _torch_block(x, w, dout, activation),
                flops=3 * 2.0 * B * K * N)


def _block_step(x, w, gamma, beta, dout, activation, stats=None):
    """A closure factory: impl -> one forward + backward of the fused block."""
    N = w.shape[1]
    rm, rv = np.zeros(N, x.dtype), np.ones(N, x.dtype)

    def run(impl):
        def step():
            out, cache = impl.linear_bn_tanh_forward(x, w, gamma, beta, rm, rv,
                                                     activation=activation, stats=stats)
            return impl.linear_bn_tanh_backward(dout, cache)
        return step
    return run


def tracking_overhead(shapes=((32, 100, 100), (32, 30, 100), (4096, 512, 512)),
                      repeats=7, stream=sys.stdout):
    """The fused block with stats=... (the diagnostics' per-step tracking) vs without."""
    print(f"{'stats tracking, fused fwd+bwd':<32} {'off µs':>10} {'on µs':>10} "
          f"{'overhead':>9}", file=stream)
    rows = []
    for B, K, N in shapes:
        x, w, gamma, beta, dout = _block_inputs(np.random.default_rng(0), B, K, N,
                                                np.float32)
        off = _block_step(x, w, gamma, beta, dout, "tanh")(ops)
        on = _block_step(x, w, gamma, beta, dout, "tanh", stats=np.zeros(5))(ops)
        t = measure(Case("tracking", "", "float32", off, on), repeats)
        overhead = t["makemore_fast"] / t["reference"] - 1
        rows.append({"shape": f"{B}x{K}x{N}", "off_us": t["reference"] * 1e6,
                     "on_us": t["makemore_fast"] * 1e6, "overhead": overhead})
        print(f"{f'{B}x{K}x{N}':<32} {t['reference'] * 1e6:>10.1f} "
              f"{t['makemore_fast'] * 1e6:>10.1f} {overhead:>8.1%}", file=stream,
              flush=True)
    return rows


def train_step_tracking(steps=500, repeats=5, stream=sys.stdout):
    """One training step of the lecture's deep net (batch 32, through `train`):
    without diagnostics, with the kernels' per-step statistics
    (model.track_stats()), and with those plus the update:data ratios
    (track_updates=True); then the first again on one kernel thread (no
    helper thread beside the backward) and with every step through the
    layers (whole_steps=False: Python between the kernels)."""
    from .data import load_splits
    from .models import lecture_mlp
    from .training import train
    X, Y = load_splits().train
    # name: (track_stats, track_updates, whole_steps, kernel threads or None)
    configs = {"off": (False, False, True, None), "track_stats": (True, False, True, None),
               "track_stats + track_updates": (True, True, True, None),
               "off, one kernel thread (no helper)": (False, False, True, 1),
               "off, layer path (whole_steps=False)": (False, False, False, None)}
    models = {name: lecture_mlp(seed=0).track_stats(config[0])
              for name, config in configs.items()}
    samples = {name: [] for name in configs}
    for r in range(repeats + 1):                     # the first round warms up
        for name, (_, updates, whole, threads) in configs.items():
            limit = (threadpool_limits(limits={"makemore_fast": threads}) if threads
                     else nullcontext())
            with limit:
                h = train(models[name], X, Y, steps=steps, seed=r, progress=False,
                          track_updates=updates, whole_steps=whole)
            if r:
                samples[name].append(h.seconds / steps)
    base = float(np.median(samples["off"]))
    print(f"{'training step, lecture_mlp, batch 32':<40} {'µs/step':>9} {'overhead':>9}",
          file=stream)
    rows = []
    for name in configs:
        t = float(np.median(samples[name]))
        rows.append({"config": name, "us_per_step": t * 1e6, "overhead": t / base - 1})
        print(f"{name:<40} {t * 1e6:>9.1f} {t / base - 1:>8.1%}", file=stream, flush=True)
    return rows


def linear_case(B, K, N, dtype=np.float32, activation="tanh"):
    """Linear (+ bias) -> tanh, forward + backward."""
    rng = np.random.default_rng(1)
    x, w, _, bias, dout = _block_inputs(rng, B, K, N, dtype)

    def run(impl):
        def step():
            out, cache = impl.linear_forward(x, w, bias, activation)
            return impl.linear_backward(dout, cache)
        return step

    return Case("linear_tanh fwd+bwd", f"{B}x{K}x{N}", np.dtype(dtype).name, run(ref),
                run(ops), flops=3 * 2.0 * B * K * N)


def embedding_case(B, T, E, V, backward, dtype=np.float32):
    rng = np.random.default_rng(2)
    table = rng.standard_normal((V, E)).astype(dtype)
    idx = rng.integers(0, V, (B, T))
    dout = rng.standard_normal((B, T * E)).astype(dtype)
    if backward:
        fns = [lambda impl=impl: impl.embedding_backward(dout, idx, V) for impl in (ref, ops)]
        op = "embedding backward"
    else:
        fns = [lambda impl=impl: impl.embedding_forward(table, idx) for impl in (ref, ops)]
        op = "embedding forward"
    return Case(op, f"B={B} T={T} E={E} V={V}", np.dtype(dtype).name, *fns)


def cross_entropy_case(B, V, dtype=np.float32):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((B, V)).astype(dtype)
    targets = rng.integers(0, V, B)
    return Case("cross_entropy", f"{B}x{V}", np.dtype(dtype).name,
                lambda: ref.cross_entropy(logits, targets),
                lambda: ops.cross_entropy(logits, targets))


def _torch_block(x, w, dout, activation):
    """The same block in PyTorch eager, with autograd, or None without torch."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    N = w.shape[1]
    gamma = torch.ones(N, dtype=xt.dtype, requires_grad=True)
    beta = torch.zeros(N, dtype=xt.dtype, requires_grad=True)
    rm, rv = torch.zeros(N, dtype=xt.dtype), torch.ones(N, dtype=xt.dtype)
    g = torch.from_numpy(dout)

    def step():
        for p in (xt, wt, gamma, beta):
            p.grad = None
        y = F.batch_norm(xt @ wt, rm, rv, gamma, beta, training=True, momentum=0.1)
        if activation == "tanh":
            y = torch.tanh(y)
        y.backward(g)
    return step


def cases(large=False):
    """The benchmark cases: the lecture's shapes, and with `large` the big ones."""
    out = [block_case(32, 30, 100), block_case(32, 100, 100), block_case(32, 100, 27,
                                                                         activation=None),
           block_case(257, 129, 63), linear_case(32, 30, 200), linear_case(32, 100, 100),
           embedding_case(32, 3, 10, 27, backward=False),
           embedding_case(32, 3, 10, 27, backward=True),
           cross_entropy_case(32, 27), cross_entropy_case(4096, 27)]
    if large:
        out += [block_case(4096, 512, 512), block_case(4096, 1024, 1024),
                linear_case(4096, 1024, 1024),
                embedding_case(182625, 3, 10, 27, backward=True)]
    return out


def _per_call(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


# NumPy, SciPy and PyTorch each have their own thread pool, whose workers
# spin for up to ~0.1 s after a call before they sleep (OpenBLAS's
# THREAD_TIMEOUT); on a 2-core machine the next library's threads would run
# against them.  Each timed block therefore starts after this pause.
SETTLE = 0.12


def measure(case, repeats=7, target=0.02):
    """Median seconds per call of each implementation, interleaved in one run."""
    impls = {"reference": case.reference, "makemore_fast": case.fast}
    if case.torch is not None:
        impls["torch"] = case.torch
    for fn in impls.values():            # warm up (and compile nothing: eager)
        fn()
    number = {name: max(1, int(target / max(_per_call(fn, 1), 1e-7)))
              for name, fn in impls.items()}
    samples = {name: [] for name in impls}
    for _ in range(repeats):
        for name, fn in impls.items():
            time.sleep(SETTLE)
            fn()                         # wakes this library's own pool
            samples[name].append(_per_call(fn, number[name]))
    return {name: float(np.median(s)) for name, s in samples.items()}


def sgemm_peak(n=2048, repeats=3):
    """GFLOP/s of SciPy's sgemm (the BLAS the kernels call) on an n^3 product."""
    from scipy.linalg.blas import sgemm
    rng = np.random.default_rng(4)
    a = np.asfortranarray(rng.standard_normal((n, n), dtype=np.float32))
    b = np.asfortranarray(rng.standard_normal((n, n), dtype=np.float32))
    sgemm(1.0, a, b)
    best = min(_per_call(lambda: sgemm(1.0, a, b), 1) for _ in range(repeats))
    return 2.0 * n**3 / best / 1e9


def machine():
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "processor": _cpu_name()}
    try:
        import scipy
        info["scipy"] = scipy.__version__
    except ImportError:
        pass
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def optional_torch(threads=None):
    """torch, or None when it is not installed; `threads` (if not None or 0)
    goes to torch.set_num_threads.  For the benchmark scripts."""
    try:
        import torch
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    return torch


def versions_line(torch):
    """The line the benchmark scripts print first: what was measured with."""
    peer = f"{torch.__version__} ({torch.get_num_threads()} threads)" if torch else "-"
    return (f"python {platform.python_version()}, numpy {np.__version__}, torch {peer}, "
            f"{platform.machine()}")


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def run(large=False, repeats=7, peak=None, stream=sys.stdout):
    """Measure every case and print the table; returns the rows.

    peak: sgemm GFLOP/s to compare the cases' matrix-product rate with.
    """
    rows = []
    header = (f"{'op':<24} {'shape':<22} {'dtype':<8} {'reference µs':>13} "
              f"{'makemore_fast µs':>17} {'speedup':>8} {'torch µs':>10} {'vs torch':>9} "
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
        row["gflops"] = case.flops / t["makemore_fast"] / 1e9 if case.flops else None
        rows.append(row)
        torch_cols = (f"{row['torch_us']:>10.1f} {row['vs_torch']:>8.2f}x"
                      if row["torch_us"] is not None else f"{'-':>10} {'-':>9}")
        rate_cols = (f"{row['gflops']:>8.1f} {row['gflops'] / peak if peak else 0:>8.0%}"
                     if row["gflops"] else f"{'-':>8} {'-':>8}")
        print(f"{case.op:<24} {case.shape:<22} {case.dtype:<8} {row['reference_us']:>13.1f} "
              f"{row['fast_us']:>17.1f} {row['speedup']:>7.2f}x {torch_cols} {rate_cols}",
              file=stream, flush=True)
    return rows


def products_share(shapes=((4096, 512, 512), (4096, 1024, 1024)), repeats=5,
                   stream=sys.stdout):
    """The fused block's forward+backward against its three matrix products
    alone (SciPy's sgemm, the BLAS the kernels call: x @ W, x^T @ dpre,
    dpre @ W^T, fresh outputs as the block's): what everything around BLAS
    costs."""
    from scipy.linalg.blas import sgemm
    print(f"{'fused fwd+bwd vs its 3 sgemms':<32} {'sgemms µs':>11} {'fused µs':>11} "
          f"{'ratio':>7}", file=stream)
    rows = []
    for B, K, N in shapes:
        x, w, gamma, beta, dout = _block_inputs(np.random.default_rng(5), B, K, N,
                                                np.float32)

        def products():
            sgemm(1.0, w.T, x.T)                    # (x @ W)^T
            sgemm(1.0, dout.T, x.T, trans_b=1)      # (x^T @ dpre)^T
            sgemm(1.0, w.T, dout.T, trans_a=1)      # (dpre @ W^T)^T

        fused = _block_step(x, w, gamma, beta, dout, "tanh")(ops)
        t = measure(Case("", "", "", products, fused), repeats)
        sgemms, block = t["reference"], t["makemore_fast"]
        rows.append({"shape": f"{B}x{K}x{N}", "sgemms_us": sgemms * 1e6,
                     "fused_us": block * 1e6, "ratio": block / sgemms})
        print(f"{f'{B}x{K}x{N}':<32} {sgemms * 1e6:>11.0f} {block * 1e6:>11.0f} "
              f"{block / sgemms:>6.2f}x", file=stream, flush=True)
    return rows


def thread_scaling(shapes=((1024, 512, 512), (4096, 1024, 1024)), repeats=3,
                   stream=sys.stdout):
    """The fused block's fwd+bwd time with 1 and 2 threads (BLAS's and the
    kernels' own: `num_threads`)."""
    from .threads import num_threads
    print(f"{'threads, fused fwd+bwd':<32} {'1 thread µs':>12} {'2 threads µs':>13} "
          f"{'scaling':>8}", file=stream)
    rows = []
    for B, K, N in shapes:
        fast = block_case(B, K, N).fast
        times = {}
        for n in (1, 2):
            with num_threads(n):
                times[n] = measure(Case("", "", "", fast, fast), repeats)["makemore_fast"]
        rows.append({"shape": f"{B}x{K}x{N}", "one_us": times[1] * 1e6,
                     "two_us": times[2] * 1e6, "scaling": times[1] / times[2]})
        print(f"{f'{B}x{K}x{N}':<32} {times[1] * 1e6:>12.0f} {times[2] * 1e6:>13.0f} "
              f"{times[1] / times[2]:>7.2f}x", file=stream, flush=True)
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
    ax.barh(y - 0.2, [r["speedup"] for r in rows], height=0.4, label="vs NumPy reference")
    ax.barh(y + 0.2, [r["vs_torch"] or 0 for r in rows], height=0.4,
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


if __name__ == "__main__":
    sys.exit(main())
