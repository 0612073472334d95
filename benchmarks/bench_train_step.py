"""Training step of the lecture's deep net: makemore_fast against PyTorch eager and JAX.

    python benchmarks/bench_train_step.py                # step time, batch 32
    python benchmarks/bench_train_step.py --full         # + 200k-step runs with losses
    python benchmarks/bench_train_step.py --under-load   # + a process spinning beside

makemore_fast runs `makemore_fast.train` (the whole step: minibatch, forward,
cross-entropy, backward, SGD update).  The PyTorch side, when torch is
installed, runs the lecture's own loop: its hand-written Linear / BatchNorm1d
/ Tanh classes on torch tensors, `F.cross_entropy`, `loss.backward()` and
`p.data += -lr * p.grad`, and the same loop over torch.nn modules.  The
NumPy side is manual backprop: makemore_fast.reference's functions (the
kernels' twins) chained by hand.  JAX, when it is installed (`pip install
jax`; skipped otherwise), runs the same step written in jax.numpy with
jax.grad: one `jax.jit` call per step, and `--scan-steps` steps per call
in one `jax.jit(lax.scan(...))` (the compiled peer at its best: no Python
between steps).  All start from the same initial weights (lecture_mlp,
seed 42).  The peers live in step_torch.py, step_numpy.py and step_jax.py.

Then makemore_fast's whole steps alone (`TrainSteps.run`) with the helper
thread as `train` chooses it, forced on every step and off: what splitting
a step over the second core gains, without the Python around it.

`--under-load` adds makemore_fast's step with another process spinning on
a core (the situation of a laptop), on the default threads and on one
kernel thread (no helper thread): the helper must step aside when it
cannot run, so the first should be no slower than the second.

Step times are the median over `--repeats` timed blocks of `--steps` steps,
the implementations interleaved; the machine's load moves them, so compare
ratios measured in one run.
"""
import argparse
import statistics
import sys
import time

import numpy as np
from step_jax import jax_runners, optional_jax
from step_numpy import lean_numpy_runner, numpy_runner
from step_torch import LectureLoop

import makemore_fast as mf
from makemore_fast.bench import SETTLE, optional_torch, versions_line

# ----------------------------------------------------------------------------

def fast_runner(Xtr, Ytr, seed=42):
    model = mf.lecture_mlp(seed=seed)
    rng = iter(range(10**9))

    def run(steps):
        mf.train(model, Xtr, Ytr, steps=steps, seed=next(rng), progress=False)
    return model, run


def time_steps(runners, steps, repeats, summary=statistics.median):
    """Median (or `summary`) seconds per step of each runner, blocks
    interleaved; each block starts after the previous one's thread pools
    have gone to sleep (makemore_fast.bench.SETTLE)."""
    for run in runners.values():
        run(max(steps // 10, 10))                          # warm up
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            time.sleep(SETTLE)
            start = time.perf_counter()
            run(steps)
            times[name].append((time.perf_counter() - start) / steps)
    return {name: summary(t) for name, t in times.items()}


def helper_modes(Xtr, Ytr, steps, repeats, batch_size=32):
    """makemore_fast's whole steps (`TrainSteps.run` under `train`) with the
    helper thread as train chooses it (helper=None), forced on every step
    (True) and off (False), interleaved: minimum and median per step."""
    whole = mf.lecture_mlp(seed=42).whole_steps(Xtr, Ytr, batch_size)
    rng = np.random.default_rng(0)

    def runner(helper):
        def run(n):
            rows = rng.integers(0, len(Xtr), size=(n, batch_size))
            whole.run(rows, np.full(n, 0.01), np.empty(n), helper=helper)
        return run
    runners = {f"helper={h}": runner(h) for h in (None, True, False)}
    return time_steps(runners, steps, repeats,
                      lambda t: (min(t), statistics.median(t)))


def _spin(stop):
    """A busy loop until `stop` is set: another process wanting a core."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def one_thread(run):
    """run(steps) on one kernel thread (no helper thread beside the backward)."""
    from threadpoolctl import threadpool_limits

    def run1(steps):
        with threadpool_limits(limits={"makemore_fast": 1}):
            run(steps)
    return run1


def under_load(Xtr, Ytr, steps, repeats):
    """makemore_fast's step with a process spinning beside it, on the default
    threads and on one kernel thread, interleaved; then the same quiet."""
    import multiprocessing as mp
    _, fast = fast_runner(Xtr, Ytr)
    runners = {"default threads": fast, "one kernel thread": one_thread(fast)}
    quiet = time_steps(runners, steps, repeats)
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    spinner = ctx.Process(target=_spin, args=(stop,), daemon=True)
    spinner.start()
    try:
        time.sleep(0.5)
        loaded = time_steps(runners, steps, repeats)
    finally:
        stop.set()
        spinner.join(5)
        if spinner.is_alive():
            spinner.terminate()
    return quiet, loaded


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks per side")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads (default: torch's own choice)")
    parser.add_argument("--scan-steps", type=int, default=None,
                        help="steps per jax.lax.scan call (default: --steps; must divide it)")
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out even if installed")
    parser.add_argument("--full", action="store_true",
                        help="also train 200k steps on each side and report losses")
    parser.add_argument("--under-load", action="store_true",
                        help="also time makemore_fast's step beside a spinning process")
    args = parser.parse_args(argv)
    scan_steps = args.scan_steps or args.steps
    if args.steps % scan_steps:
        parser.error("--scan-steps must divide --steps")

    splits = mf.data.load_splits()
    (Xtr, Ytr), (Xval, Yval) = splits.train, splits.val
    torch = optional_torch(args.torch_threads)
    jax = None if args.no_jax else optional_jax()

    print(versions_line(torch) + (f", jax {jax.__version__}" if jax else ", jax -"))
    model, fast = fast_runner(Xtr, Ytr)
    runners = {"makemore_fast": fast,
               "numpy, manual backprop (lean)": lean_numpy_runner(model, Xtr, Ytr),
               "numpy, manual backprop (reference)": numpy_runner(model, Xtr, Ytr)}
    if torch is not None:
        runners["torch, lecture's classes"] = LectureLoop(model, Xtr, Ytr, torch).run
        runners["torch, torch.nn modules"] = LectureLoop(model, Xtr, Ytr, torch,
                                                         modules=True).run
    if jax is not None:
        runners.update(jax_runners(jax, model, Xtr, Ytr, scan_steps))
    per_step = time_steps(runners, args.steps, args.repeats)
    base = per_step["makemore_fast"]
    print(f"\ntraining step, lecture_mlp (47,024 params), batch 32, float32: "
          f"median of {args.repeats} x {args.steps} steps")
    for name, t in per_step.items():
        ratio = "" if name == "makemore_fast" else f"   makemore_fast is {t / base:.1f}x faster"
        print(f"  {name:36s} {t * 1e6:8.1f} us/step{ratio}")

    modes = helper_modes(Xtr, Ytr, args.steps, args.repeats)
    print("\nmakemore_fast's whole steps (TrainSteps.run) by helper thread mode:")
    for name, (fastest, median) in modes.items():
        print(f"  {name:36s} min {fastest * 1e6:8.1f} us/step   "
              f"median {median * 1e6:8.1f} us/step")
    print(f"  split every step / one thread (min): "
          f"{modes['helper=True'][0] / modes['helper=False'][0]:.2f}")

    if args.under_load:
        quiet, loaded = under_load(Xtr, Ytr, args.steps, args.repeats)
        print("\nmakemore_fast under load (a process spinning beside it) and quiet:")
        for name in quiet:
            print(f"  {name:36s} quiet {quiet[name] * 1e6:8.1f} us/step   "
                  f"under load {loaded[name] * 1e6:8.1f} us/step")
        d, o = loaded["default threads"], loaded["one kernel thread"]
        print(f"  under load, default / one thread: {d / o:.2f}")
    if args.full:
        full_runs(torch, Xtr, Ytr, Xval, Yval)
    return 0


def full_runs(torch, Xtr, Ytr, Xval, Yval, steps=200_000):
    """The acceptance runs: 200k steps each side, wall time and losses."""
    print(f"\nfull runs: {steps} steps, lr 0.1 then 0.01 from step 150k, seed 42")
    model = mf.lecture_mlp(seed=42)
    start = time.perf_counter()
    mf.train(model, Xtr, Ytr, steps=steps, seed=42, progress=False)
    wall = time.perf_counter() - start
    print(f"  makemore_fast              {wall:7.1f} s   train "
          f"{mf.split_loss(model, Xtr, Ytr):.4f}  val {mf.split_loss(model, Xval, Yval):.4f}")
    if torch is None:
        return
    loop = LectureLoop(mf.lecture_mlp(seed=42), Xtr, Ytr, torch)
    start = time.perf_counter()
    loop.run(steps)
    wall = time.perf_counter() - start
    print(f"  torch, lecture's classes   {wall:7.1f} s   train "
          f"{loop.split_loss(Xtr, Ytr):.4f}  val {loop.split_loss(Xval, Yval):.4f}")


if __name__ == "__main__":
    sys.exit(main())
