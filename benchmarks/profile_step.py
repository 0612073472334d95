"""Instruction counts of whole training steps, for callgrind (repeatable on a
loaded machine, unlike wall time):

    MMF_CPU=avx2 valgrind --tool=callgrind --toggle-collect='train_steps*' \\
        --callgrind-out-file=/tmp/step.cg python benchmarks/profile_step.py --steps 200
    callgrind_annotate /tmp/step.cg | head -40

runs `--steps` steps of lecture_mlp at batch 32 through makemore_fast.train
on one kernel thread (no helper thread: the count is the step's whole work),
after a warm-up outside the collected function.  Ir / steps is the
instructions of one step.  valgrind 3.19 has no AVX-512: pick the avx2 (or
baseline) level with MMF_CPU.
"""
import argparse
import sys

from threadpoolctl import threadpool_limits

import makemore_fast as mf


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1,
                        help="kernel threads (1: no helper thread)")
    args = parser.parse_args(argv)
    X, Y = mf.data.load_splits().train
    model = mf.lecture_mlp(seed=42)
    with threadpool_limits(limits={"makemore_fast": args.threads}):
        mf.train(model, X, Y, steps=args.steps, seed=0, progress=False)
    print(f"cpu level {mf.ops.cpu_level()}, {args.steps} steps, "
          f"last loss {mf.split_loss(model, X[:1000], Y[:1000]):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
