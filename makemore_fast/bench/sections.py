"""The runner's sections beyond the per-op table: the diagnostics' overhead,
a training step, the large block against its products, thread scaling."""
import sys
from contextlib import nullcontext

import numpy as np
from threadpoolctl import threadpool_limits

from .. import ops
from .cases import Case, block_case, block_inputs, block_step
from .timing import measure


def tracking_overhead(shapes=((32, 100, 100), (32, 30, 100), (4096, 512, 512)),
                      repeats=7, stream=sys.stdout):
    """The fused block with stats=... (the diagnostics' per-step tracking) vs without."""
    print(f"{'stats tracking, fused fwd+bwd':<32} {'off µs':>10} {'on µs':>10} "
          f"{'overhead':>9}", file=stream)
    rows = []
    for B, K, N in shapes:
        x, w, gamma, beta, dout = block_inputs(np.random.default_rng(0), B, K, N,
                                                np.float32)
        off = block_step(x, w, gamma, beta, dout, "tanh")(ops)
        on = block_step(x, w, gamma, beta, dout, "tanh", stats=np.zeros(5))(ops)
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
    from ..data import load_splits
    from ..models import lecture_mlp
    from ..training import train
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
        x, w, gamma, beta, dout = block_inputs(np.random.default_rng(5), B, K, N,
                                                np.float32)

        def products():
            sgemm(1.0, w.T, x.T)                    # (x @ W)^T
            sgemm(1.0, dout.T, x.T, trans_b=1)      # (x^T @ dpre)^T
            sgemm(1.0, w.T, dout.T, trans_a=1)      # (dpre @ W^T)^T

        fused = block_step(x, w, gamma, beta, dout, "tanh")(ops)
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
    from ..threads import num_threads
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
