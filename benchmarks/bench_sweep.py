"""A sweep on the local worker pool against the same configs one after another.

    PYTHONPATH=. python benchmarks/bench_sweep.py                 # 8 configs, 2 workers
    PYTHONPATH=. python benchmarks/bench_sweep.py --steps 5000 --workers 2

The configs are the lecture-gains comparison (the deep net at gains 0.5, 1,
5/3, 3, with and without BatchNorm) at `--steps` steps each.  "One after
another" runs `experiments.run` on each in this process (one BLAS and
kernel thread, as every run does); the sweep runs them with
`experiments.sweep(workers=N)` (spawned worker processes, start-up
included).  The two must give bit-identical loss arrays (checked), so the
ratio of the wall times is the speedup of the sweep alone.  The two are
timed `--repeats` times, interleaved, and the best time of each is compared
(other jobs only ever slow a run down); every time is printed.  The
machine's load moves the times: run it on a quiet machine.
"""
import argparse
import os
import time

import numpy as np

from makemore_fast.bench import versions_line
from makemore_fast.experiments import preset, run, sweep, with_steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="steps per config (5000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved timings of each side; the best is compared (3)")
    args = parser.parse_args(argv)
    configs = [with_steps(c, args.steps) for c in preset("lecture-gains")]
    print(versions_line(None))
    print(f"{len(configs)} configs of {args.steps} steps; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    times = {"one after another": [], "sweep": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        alone = [run(c) for c in configs]
        times["one after another"].append(time.perf_counter() - start)
        start = time.perf_counter()
        swept = sweep(configs, workers=args.workers, progress=False)
        times["sweep"].append(time.perf_counter() - start)
        for a, b in zip(alone, swept):
            if not np.array_equal(a.loss, b.loss):
                raise SystemExit(f"{a.config.name}: the sweep's loss differs from run's")
    sequential, parallel = min(times["one after another"]), min(times["sweep"])
    for label, values in times.items():
        print(f"{label:>18}: best {min(values):6.2f} s  (all: "
              f"{', '.join(f'{v:.2f}' for v in values)})")
    print(f"speedup on {args.workers} workers: {sequential / parallel:.2f}x  (loss arrays "
          f"bit-identical; load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
