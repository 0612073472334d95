"""Sampling names: makemore_fast against PyTorch's eval path.

    PYTHONPATH=. python benchmarks/bench_sampling.py              # 1,000 names
    PYTHONPATH=. python benchmarks/bench_sampling.py --n 1000 --repeats 7

The model is the lecture's deep net (lecture_mlp, seed 42) after a few
thousand training steps, so that its running statistics and its names are
those of a trained net.  makemore_fast runs `makemore_fast.sample(model, n,
seed=...)`: all n names together, one batched forward per character, each
BatchNorm1d folded into its Linear.  The PyTorch side, when torch is
installed, holds the same weights and running statistics
(`makemore_fast.interop.to_torch`, in eval mode, under torch.no_grad()) and
runs:

- the lecture's sampling loop: one name at a time from a context of 3
  '.', the layers one after another, softmax, torch.multinomial;
- a batched sampler: all n names at once, as makemore_fast does;
- the same with each BatchNorm1d folded into its Linear
  (torch.nn.utils.fusion.fuse_linear_bn_eval), as makemore_fast does.

Both sides compute on one thread (`--torch-threads` changes torch's): the
products are small, and on a 2-core machine shared with other work a second
thread waits for a time slice and makes them many times slower.  Times are
the median over `--repeats` runs, the implementations interleaved,
reported per 1,000 names; the machine's load moves them, so compare ratios
measured in one run.  The mean name length of each side checks that they
draw from the same model.
"""
import argparse
import statistics
import sys
import time

import numpy as np

import makemore_fast as mf
from makemore_fast.bench import optional_torch, versions_line

FAST = "makemore_fast.sample"

# ----------------------------------------------------------------------------
# the PyTorch side

def lecture_loop(net, n, block_size, itos, g, torch):
    """The lecture's sampling loop: one name at a time, layer by layer."""
    F = torch.nn.functional
    layers = list(net)
    names = []
    for _ in range(n):
        out = []
        context = [0] * block_size
        while True:
            x = torch.tensor([context])
            for layer in layers:
                x = layer(x)
            probs = F.softmax(x, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append("".join(itos[i] for i in out[:-1]))
    return names


def batched(net, n, block_size, itos, g, torch):
    """All n names at once: one forward per character over the names still
    generating, torch.multinomial, the words decoded as makemore_fast does."""
    F = torch.nn.functional
    codes = torch.zeros((n, mf.sampling.MAX_LENGTH), dtype=torch.long)
    alive = torch.arange(n)
    context = torch.zeros((n, block_size), dtype=torch.long)
    for t in range(mf.sampling.MAX_LENGTH):
        if len(alive) == 0:
            break
        probs = F.softmax(net(context), dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g)[:, 0]
        codes[alive, t] = ix
        going = ix != 0
        alive = alive[going]
        context = torch.cat((context[going, 1:], ix[going, None]), dim=1)
    rows = np.array(itos)[codes[:, :t + 1].numpy()].tolist()
    return ["".join(row).partition(".")[0] for row in rows]


def fold_batchnorms(net, torch):
    """`net` (eval mode) with each Linear -> BatchNorm1d pair folded into one Linear."""
    from torch.nn.utils.fusion import fuse_linear_bn_eval
    modules = []
    for layer in net:
        if (isinstance(layer, torch.nn.BatchNorm1d) and modules
                and isinstance(modules[-1], torch.nn.Linear)):
            modules[-1] = fuse_linear_bn_eval(modules[-1], layer)
        else:
            modules.append(layer)
    return torch.nn.Sequential(*modules).eval()


# ----------------------------------------------------------------------------

def time_runs(runners, n, repeats):
    """Median seconds per call of each runner, runs interleaved, and the
    mean length of the names each drew."""
    for run in runners.values():
        run(max(n // 10, 1), 0)                               # warm up
    times = {name: [] for name in runners}
    lengths = {name: [] for name in runners}
    for r in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            names = run(n, r + 1)
            times[name].append(time.perf_counter() - start)
            lengths[name].extend(len(w) for w in names)
    return ({name: statistics.median(t) for name, t in times.items()},
            {name: float(np.mean(v)) for name, v in lengths.items()})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="names per call")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per side")
    parser.add_argument("--train-steps", type=int, default=3000,
                        help="training steps of the model before sampling")
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="torch.set_num_threads (default 1, as sample's BLAS; "
                             "0: torch's own choice)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeats < 1 or args.train_steps < 0:
        parser.error("--n and --repeats must be >= 1, --train-steps >= 0")

    torch = optional_torch(args.torch_threads)
    print(versions_line(torch))

    splits = mf.data.load_splits()
    model = mf.lecture_mlp(seed=42)
    mf.train(model, *splits.train, steps=args.train_steps, seed=42, progress=False)
    model.vocab = splits.vocab
    T, itos = model.block_size, model.vocab.itos

    runners = {FAST: lambda n, seed: mf.sample(model, n, seed=seed)}
    if torch is not None:
        net = mf.interop.to_torch(model).eval()
        folded = fold_batchnorms(net, torch)

        def torch_runner(sampler, module):
            def run(n, seed):
                with torch.no_grad():
                    return sampler(module, n, T, itos, torch.Generator().manual_seed(seed),
                                   torch)
            return run
        runners["torch, lecture's loop"] = torch_runner(lecture_loop, net)
        runners["torch, batched"] = torch_runner(batched, net)
        runners["torch, batched, BN folded"] = torch_runner(batched, folded)
    per_call, lengths = time_runs(runners, args.n, args.repeats)

    base = per_call[FAST]
    print(f"\nsampling {args.n} names, lecture_mlp (47,024 params) after "
          f"{args.train_steps} training steps, float32: median of {args.repeats} runs")
    for name, t in per_call.items():
        ratio = "" if name == FAST else f"   makemore_fast is {t / base:.1f}x faster"
        print(f"  {name:26s} {t * 1e3 * 1000 / args.n:9.1f} ms per 1000 names   "
              f"mean length {lengths[name]:.2f}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
