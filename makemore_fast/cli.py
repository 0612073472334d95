"""The `makemore-fast` command (also `python -m makemore_fast`).

    makemore-fast train [--steps N] [--batch-size B] [--lr LR] [--n-hidden H]
                        [--n-layers L] [--seed S] [--data FILE]
                        [--dtype float32|float64] [--out DIR] [--diagnose-init]
    makemore-fast sample --checkpoint FILE [-n N] [--seed S]
    makemore-fast bench [--large] [--threads] [--out DIR]
    makemore-fast sweep (--preset NAME | --grid KEY=V1,V2 ...) [--steps N] [--seed S]
                        [--workers N] [--scheduler ADDRESS] --out DIR

Bad arguments or data print one line to stderr and exit with status 2.
"""
import argparse
import os
import sys

import numpy as np

from . import diagnostics
from .checkpoint import load, save
from .data import load_splits
from .models import lecture_mlp
from .sampling import sample
from .training import EVAL_ROWS, split_loss, train

CHECKPOINT_NAME = "model.npz"


class _UsageError(Exception):
    """A bad command line or bad input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(f"{message} (see {self.prog} --help)")


def main(argv=None):
    """Run the command line `argv` (default sys.argv[1:]); returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except _UsageError as e:
        return _fail(e)
    except (OSError, ValueError) as e:
        return _fail(e)
    except MemoryError:
        return _fail("not enough memory for these sizes (--n-hidden, --steps, "
                     "--batch-size)")
    except KeyboardInterrupt:
        print("makemore-fast: interrupted", file=sys.stderr)
        return 130


def _fail(error):
    print(f"makemore-fast: error: {error}", file=sys.stderr)
    return 2


def _build_parser():
    parser = _Parser(prog="makemore-fast",
                     description="Train and sample the MLP of \"makemore part 3\" on CPU.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                     metavar="{train,sample,bench,sweep}")

    t = commands.add_parser(
        "train", help="train the lecture's deep net and save a checkpoint",
        description="Train the lecture's deep net (Embedding, n-layers x [Linear, "
                    "BatchNorm1d, Tanh], Linear, BatchNorm1d) on the lecture's 80% "
                    "split of the words, report train/val loss, print 20 samples and the "
                    "health check's findings, and write DIR/" + CHECKPOINT_NAME + " and the "
                    "diagnostics report (DIR/report.md and its seven pictures).  The "
                    "learning rate drops to lr/10 after 75% of the steps (the lecture: "
                    "0.1, then 0.01 from step 150k).")
    t.add_argument("--steps", type=_integer(0), default=200_000, help="SGD steps (200000)")
    t.add_argument("--batch-size", type=_integer(2, " (BatchNorm needs two examples)"),
                   default=32,
                   help="examples per step, at least 2 for BatchNorm (32)")
    t.add_argument("--lr", type=_positive_float, default=0.1, help="learning rate (0.1)")
    t.add_argument("--n-hidden", type=_integer(1), default=100,
                   help="neurons per hidden layer (100)")
    t.add_argument("--n-layers", type=_integer(0), default=5,
                   help="hidden Linear-BatchNorm-Tanh layers (5)")
    t.add_argument("--seed", type=_integer(0), default=None,
                   help="seed for the initialisation and the batches (default: random, "
                        "printed)")
    t.add_argument("--data", metavar="FILE", default=None,
                   help="UTF-8 text, one word per line (default: the bundled names)")
    t.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="float32 (default) or float64")
    t.add_argument("--out", metavar="DIR", default="makemore_out",
                   help="directory for the checkpoint and the report (./makemore_out)")
    t.add_argument("--diagnose-init", action="store_true",
                   help="also write the report at initialisation, before training, "
                        "into DIR/init (the lecture's 'before training' view)")
    t.set_defaults(run=_train)

    s = commands.add_parser("sample", help="print names sampled from a checkpoint",
                            description="Print names sampled from a saved model.")
    s.add_argument("--checkpoint", metavar="FILE", required=True,
                   help="a checkpoint written by `makemore-fast train`")
    s.add_argument("-n", type=_integer(0), default=20, help="how many names (20)")
    s.add_argument("--seed", type=_integer(0), default=None, help="sampling seed")
    s.set_defaults(run=_sample)

    b = commands.add_parser(
        "bench", help="benchmark the kernels against NumPy (and PyTorch if installed)",
        description="Time every kernel against the NumPy reference (and PyTorch eager "
                    "when installed) side by side; print the table and write "
                    "DIR/bench.json and DIR/bench.png.")
    b.add_argument("--large", action="store_true",
                   help="add the large shapes (4096x1024x1024: minutes)")
    b.add_argument("--threads", action="store_true",
                   help="add the 1 -> 2 thread scaling of the large fused block")
    b.add_argument("--repeats", type=_integer(1), default=7,
                   help="interleaved repeats per case; the median is reported (7)")
    b.add_argument("--out", metavar="DIR", default="makemore_bench",
                   help="directory for bench.json and bench.png (./makemore_bench)")
    b.set_defaults(run=_bench)

    from .experiments import cli as sweep_cli      # the sweep command lives with its module
    sweep_cli.add_parser(commands, _integer)
    return parser


def _train(args):
    out_dir = args.out
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise _UsageError(f"--out {out_dir} exists and is not a directory")
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    splits = load_splits(args.data)
    (Xtr, Ytr), (Xval, Yval) = splits.train, splits.val
    if len(Xtr) == 0 or len(Xval) == 0:
        raise _UsageError("the data has too few words for an 80/10/10 split")
    os.makedirs(out_dir, exist_ok=True)
    model = lecture_mlp(vocab_size=len(splits.vocab), block_size=Xtr.shape[1],
                        n_hidden=args.n_hidden, n_layers=args.n_layers, seed=seed,
                        dtype=args.dtype)
    model.vocab = splits.vocab
    n_params = sum(p.nelement() for p in model.parameters())
    _check_memory(model, args, len(Xtr))
    print(f"data: {len(Xtr)} train / {len(Xval)} val examples, vocabulary of "
          f"{len(splits.vocab)}; model: {n_params} parameters; seed {seed}")
    if args.diagnose_init:
        path = diagnostics.report_at_init(model, Xtr, Ytr, os.path.join(out_dir, "init"),
                                          batch_size=args.batch_size, seed=seed)
        print(f"report at initialisation: {path}")

    history = train(model, Xtr, Ytr, steps=args.steps, batch_size=args.batch_size,
                    lr=args.lr, lr_decay_step=int(0.75 * args.steps), decayed_lr=args.lr / 10,
                    seed=seed, progress=True, eval_data=(Xval, Yval), track_updates=True,
                    on_nonfinite="stop")
    if history.interrupted:
        print(f"interrupted after {history.steps} steps: keeping what was trained")
    if history.diverged_at is not None:
        print(f"stopped: training {history.divergence} (try a lower --lr)")
    per_step = history.seconds / history.steps * 1e6 if history.steps else 0.0
    print(f"trained {history.steps} steps in {history.seconds:.1f} s ({per_step:.0f} us/step)")
    print(f"train loss {split_loss(model, Xtr, Ytr):.4f}")
    print(f"val loss   {split_loss(model, Xval, Yval):.4f}")
    print("samples:")
    for name in sample(model, 20, seed=seed):
        print(f"  {name}")

    checkpoint = os.path.join(out_dir, CHECKPOINT_NAME)
    save(model, checkpoint)
    print(f"checkpoint: {checkpoint}")

    # The lecture's diagnostics, on the last training batch (the evaluation
    # and sampling above run `model.folded()`, which leaves the layers' .out alone).
    findings = diagnostics.health_check(model, history)
    print("health check:" if findings else "health check: nothing to report")
    for finding in findings:
        print(f"  {finding.severity}: {finding}")
    path = diagnostics.report(model, history, out_dir, findings=findings,
                              title=f"makemore-fast train, {history.steps} steps, seed {seed}")
    print(f"diagnostics report: {path}")
    return 0


def _check_memory(model, args, n_train):
    """Fail in one line, before any work, when the sizes cannot fit in memory.

    A rough upper estimate: parameters with their gradients and a temporary,
    the activations every layer keeps for a training batch, a few live ones
    for an evaluation chunk, and the per-step loss and update-ratio histories.
    """
    try:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return                                   # unknown: MemoryError is still caught
    params = model.parameters()
    itemsize = np.dtype(args.dtype).itemsize
    widest = max((p.data.shape[-1] for p in params), default=1)
    row = widest * itemsize
    need = (3 * sum(p.nelement() for p in params) * itemsize
            + 4 * args.batch_size * row * len(model.layers)
            + 4 * min(EVAL_ROWS, n_train) * row
            + 8 * args.steps * (1 + len(params)))
    if need > available:
        raise _UsageError(f"these sizes need about {need / 2**30:.0f} GiB of memory, more "
                          f"than this machine's {available / 2**30:.0f} GiB (see --n-hidden, "
                          f"--batch-size, --steps)")


def _sample(args):
    model = load(args.checkpoint)
    for name in sample(model, args.n, seed=args.seed):
        print(name)
    return 0


def _bench(args):
    from . import bench
    os.makedirs(args.out, exist_ok=True)
    argv = ["--repeats", str(args.repeats), "--json", os.path.join(args.out, "bench.json"),
            "--png", os.path.join(args.out, "bench.png")]
    argv += ["--large"] * args.large + ["--threads"] * args.threads
    status = bench.main(argv)
    print(f"wrote {os.path.join(args.out, 'bench.json')} and "
          f"{os.path.join(args.out, 'bench.png')}")
    return status


def _integer(minimum, why=""):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}{why}, got {value}")
        return value
    parse.__name__ = "integer"
    return parse


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value
