"""`makemore-fast sweep`: the command line of makemore_fast.experiments.

    makemore-fast sweep (--preset NAME | --grid KEY=V1,V2 ...) [--steps N] [--seed S]
                        [--workers N] [--scheduler ADDRESS] --out DIR

A bad key or value raises argparse.ArgumentTypeError or ValueError, which
the main command reports in one line with exit status 2.
"""
import argparse
import dataclasses
import math
import os

import typing
from fractions import Fraction

from .config import FIELDS, PRESETS, Config, grid, preset, with_steps

_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
SCHEDULER_TIMEOUT = "10s"     # how long --scheduler waits for the cluster to answer


def add_parser(commands, integer):
    """Add the `sweep` subcommand to the main parser's `commands`."""
    w = commands.add_parser(
        "sweep", help="run the lecture's comparisons side by side (all cores or a Dask cluster)",
        description="Run a set of configs side by side, one per core (or on a Dask "
                    "cluster with --scheduler), and write each result, summary.md, "
                    "summary.csv and the comparison pictures into DIR.  Rerun with the "
                    "same DIR to resume: finished configs are loaded, not run again.  "
                    f"Presets: {', '.join(sorted(PRESETS))}.  --grid KEY=V1,V2 ... sweeps "
                    "the cartesian product over the lecture's deep net (fields: "
                    f"{', '.join(f for f in FIELDS if f != 'name')}); a value may be a "
                    "fraction such as 5/3, or none.")
    source = w.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", choices=sorted(PRESETS), help="a named comparison")
    source.add_argument("--grid", nargs="+", metavar="KEY=V1,V2", type=_axis,
                        help="axes of a grid over the default config")
    w.add_argument("--steps", type=integer(0), default=None,
                   help="steps of every config (the learning-rate decay moves with it)")
    w.add_argument("--seed", type=integer(0), default=None, help="seed of every config")
    w.add_argument("--workers", type=integer(1), default=None,
                   help="local worker processes (default: one per usable core)")
    w.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run on this Dask cluster (tcp://host:8786); needs dask[distributed]")
    w.add_argument("--out", metavar="DIR", required=True,
                   help="directory for the results, the summary and the pictures")
    w.set_defaults(run=run_command)


def configs_of(args):
    """The configs the arguments name (ValueError for a bad value)."""
    if args.preset is not None:
        configs = preset(args.preset)
    else:
        keys = [key for key, _ in args.grid]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"--grid names {dupes[0]} twice")
        configs = grid(Config(), **dict(args.grid))
    if args.steps is not None:
        configs = [with_steps(c, args.steps) for c in configs]
    if args.seed is not None:
        configs = [c.replace(seed=args.seed) for c in configs]
    return configs


def run_command(args):
    from .summary import format_table
    from .sweep import sweep
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out {args.out} exists and is not a directory")
    configs = configs_of(args)
    executor = None if args.scheduler is None else _client(args.scheduler)
    try:
        print(f"sweep: {len(configs)} configs -> {args.out}", flush=True)
        results = sweep(configs, executor=executor, out=args.out, progress=True,
                        workers=args.workers)
    finally:
        if executor is not None:
            executor.close()
    print(format_table(results))
    failed = sum(r.error is not None for r in results)
    print(f"{len(results) - failed} of {len(results)} configs finished without error; "
          f"summary: {os.path.join(args.out, 'summary.md')}")
    return 0


def _client(address):
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs Dask: pip install \"makemore_fast[dask]\"") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        raise ValueError(f"cannot reach the Dask scheduler at {address} ({e})") from None


def _axis(text):
    """KEY=V1,V2 -> (key, [values]) with each value parsed as the field's type."""
    key, sep, values = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not values.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=V1,V2,...")
    if key not in FIELDS or key == "name":
        raise argparse.ArgumentTypeError(f"unknown config field {key!r}")
    kind = _TYPES[key]
    return key, [_value(key, kind, v.strip()) for v in values.split(",")]


def _value(key, kind, text):
    optional = typing.get_origin(kind) is typing.Union
    if text.lower() == "none":
        if optional or key in _OPTIONAL:
            return None
        raise argparse.ArgumentTypeError(f"{key} cannot be none")
    base = kind if kind in (int, float, bool, str) else float
    try:
        if base is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        if base is int:
            return int(text)
        if base is float:
            value = float(Fraction(text)) if "/" in text else float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        return text
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{key}={text!r}: not a valid "
                                         f"{base.__name__}") from None


# Field types from the dataclass annotations; the Optional ones default to None.
_TYPES = {f.name: f.type if isinstance(f.type, type) else float
          for f in dataclasses.fields(Config)}
_OPTIONAL = {f.name for f in dataclasses.fields(Config) if f.default is None}
_TYPES.update({"output_batchnorm": bool, "data": str})

