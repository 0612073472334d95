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
seed 42).

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

import makemore_fast as mf
from makemore_fast import reference as ref
from makemore_fast.bench import SETTLE, optional_torch, versions_line


# ----------------------------------------------------------------------------
# the PyTorch side: the lecture's classes, verbatim in spirit

def lecture_layers(model, torch):
    """The lecture's (C, layers) holding a copy of `model`'s weights."""

    class Linear:
        def __init__(self, weight):
            self.weight = torch.tensor(weight)
            self.bias = None

        def __call__(self, x):
            self.out = x @ self.weight
            return self.out

        def parameters(self):
            return [self.weight]

    class BatchNorm1d:
        def __init__(self, gamma, beta, eps=1e-5, momentum=0.1):
            self.eps, self.momentum, self.training = eps, momentum, True
            self.gamma, self.beta = torch.tensor(gamma), torch.tensor(beta)
            self.running_mean = torch.zeros(len(gamma))
            self.running_var = torch.ones(len(gamma))

        def __call__(self, x):
            if self.training:
                xmean = x.mean(0, keepdim=True)
                xvar = x.var(0, keepdim=True)
            else:
                xmean, xvar = self.running_mean, self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
            self.out = self.gamma * xhat + self.beta
            if self.training:
                with torch.no_grad():
                    self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                    self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    layers = []
    for layer in model.layers[1:]:
        if isinstance(layer, mf.Linear):
            layers.append(Linear(layer.weight.data))
        elif isinstance(layer, mf.BatchNorm1d):
            layers.append(BatchNorm1d(layer.gamma.data, layer.beta.data))
        else:
            layers.append(Tanh())
    return torch.tensor(model.layers[0].weight.data), layers


class LectureLoop:
    """The lecture's training loop, one call = `steps` steps."""

    def __init__(self, model, Xtr, Ytr, torch, modules=False, seed=42):
        import torch.nn.functional as F
        self.torch, self.F = torch, F
        self.Xtr, self.Ytr = torch.from_numpy(Xtr), torch.from_numpy(Ytr)
        self.g = torch.Generator().manual_seed(seed)
        if modules:          # the same loop over torch.nn modules
            self.net = mf.interop.to_torch(model)
            self.parameters = list(self.net.parameters())
        else:
            C, self.layers = lecture_layers(model, torch)
            self.C = C
            self.parameters = [C] + [p for layer in self.layers for p in layer.parameters()]
            self.net = self._forward
        for p in self.parameters:
            p.requires_grad = True
        self.i = 0
        self.lossi = []

    def _forward(self, Xb):
        emb = self.C[Xb]
        x = emb.view(emb.shape[0], -1)
        for layer in self.layers:
            x = layer(x)
        return x

    def run(self, steps, batch_size=32, decay_step=150_000):
        torch, F = self.torch, self.F
        for _ in range(steps):
            ix = torch.randint(0, self.Xtr.shape[0], (batch_size,), generator=self.g)
            Xb, Yb = self.Xtr[ix], self.Ytr[ix]
            logits = self.net(Xb)
            loss = F.cross_entropy(logits, Yb)
            for p in self.parameters:
                p.grad = None
            loss.backward()
            lr = 0.1 if self.i < decay_step else 0.01
            for p in self.parameters:
                p.data += -lr * p.grad
            self.lossi.append(loss.log10().item())
            self.i += 1

    def split_loss(self, X, Y):
        torch = self.torch
        with torch.no_grad():
            if isinstance(self.net, torch.nn.Module):
                self.net.eval()
                logits = self.net(torch.from_numpy(X))
                self.net.train()
            else:
                for layer in self.layers:
                    layer.training = False
                logits = self._forward(torch.from_numpy(X))
                for layer in self.layers:
                    layer.training = True
            return self.F.cross_entropy(logits, torch.from_numpy(Y)).item()


# ----------------------------------------------------------------------------

def fast_runner(Xtr, Ytr, seed=42):
    model = mf.lecture_mlp(seed=seed)
    rng = iter(range(10**9))

    def run(steps):
        mf.train(model, Xtr, Ytr, steps=steps, seed=next(rng), progress=False)
    return model, run


def numpy_runner(model, Xtr, Ytr, seed=42):
    """The same steps as manual backprop in NumPy: makemore_fast.reference's
    functions (the kernels' readable twins) chained by hand, on a copy of
    `model`'s weights."""
    table = model.layers[0].weight.data.copy()
    blocks = []
    layers = model.layers[1:]
    for i, layer in enumerate(layers):
        if isinstance(layer, mf.Linear):
            bn = layers[i + 1]
            tanh = i + 2 < len(layers) and isinstance(layers[i + 2], mf.Tanh)
            blocks.append([layer.weight.data.copy(), bn.gamma.data.copy(),
                           bn.beta.data.copy(), bn.running_mean.copy(),
                           bn.running_var.copy(), "tanh" if tanh else None])
    rng = np.random.default_rng(seed)

    def run(steps):
        for _ in range(steps):
            ix = rng.integers(0, len(Xtr), 32)
            xb, yb = Xtr[ix], Ytr[ix]
            h = ref.embedding_forward(table, xb)
            caches = []
            for w, g, b, rm, rv, act in blocks:
                h, cache = ref.linear_bn_tanh_forward(h, w, g, b, rm, rv, activation=act)
                caches.append(cache)
            _, d = ref.cross_entropy(h, yb)
            params, grads = [], []
            for (w, g, b, _, _, _), cache in zip(blocks[::-1], caches[::-1]):
                d, dw, _, dg, db = ref.linear_bn_tanh_backward(d, cache)
                params += [w, g, b]
                grads += [dw, dg, db]
            ref.sgd_update([table] + params, [ref.embedding_backward(d, xb, len(table))] + grads,
                           0.1)
    return run


# ----------------------------------------------------------------------------
# the JAX side (optional): the same step in jax.numpy, under jax.jit and lax.scan

def optional_jax():
    """jax, or None when it is not installed."""
    try:
        import jax
    except ImportError:
        return None
    return jax


def _jax_params(model, jnp):
    """model's weights as JAX arrays: (table, [W], [gamma], [beta], [rm], [rv])."""
    table = jnp.asarray(model.layers[0].weight.data)
    Ws, gammas, betas, rms, rvs = [], [], [], [], []
    for layer in model.layers[1:]:
        if isinstance(layer, mf.Linear):
            Ws.append(jnp.asarray(layer.weight.data))
        elif isinstance(layer, mf.BatchNorm1d):
            gammas.append(jnp.asarray(layer.gamma.data))
            betas.append(jnp.asarray(layer.beta.data))
            rms.append(jnp.asarray(layer.running_mean))
            rvs.append(jnp.asarray(layer.running_var))
    return (table, Ws, gammas, betas), (rms, rvs)


def jax_step_fn(jax, momentum=0.1, eps=1e-5):
    """step(params, stats, xb, yb, lr) -> (params, stats, loss): the lecture's
    step (torch.nn.BatchNorm1d's rule: biased variance to normalise, the
    unbiased one into running_var), gradients by jax.value_and_grad."""
    jnp = jax.numpy

    def loss_fn(params, xb, yb):
        table, Ws, gammas, betas = params
        h = table[xb].reshape(xb.shape[0], -1)
        batch = []
        for i, (w, g, b) in enumerate(zip(Ws, gammas, betas)):
            pre = h @ w
            mean = pre.mean(0)
            var = pre.var(0)
            h = g * (pre - mean) * jax.lax.rsqrt(var + eps) + b
            if i + 1 < len(Ws):
                h = jnp.tanh(h)
            batch.append((mean, var))
        logp = jax.nn.log_softmax(h)
        loss = -jnp.take_along_axis(logp, yb[:, None], axis=1).mean()
        return loss, batch

    def step(params, stats, xb, yb, lr):
        (loss, batch), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, xb, yb)
        params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        n = xb.shape[0]
        rms, rvs = stats
        rms = [(1 - momentum) * rm + momentum * jax.lax.stop_gradient(m)
               for rm, (m, _) in zip(rms, batch)]
        rvs = [(1 - momentum) * rv + momentum * jax.lax.stop_gradient(v) * n / (n - 1)
               for rv, (_, v) in zip(rvs, batch)]
        return params, (rms, rvs), loss
    return step


def jax_runners(jax, model, Xtr, Ytr, scan_steps, seed=42, batch_size=32):
    """{name: run(steps)} for the step under jax.jit (indices drawn by NumPy,
    one call per step) and `scan_steps` steps per jax.jit(lax.scan) call
    (indices drawn by NumPy beforehand, like makemore_fast.train's)."""
    jnp = jax.numpy
    step = jax_step_fn(jax)
    X, Y = jnp.asarray(Xtr), jnp.asarray(Ytr)
    rng = np.random.default_rng(seed)

    jit_state = list(_jax_params(model, jnp))
    jit_step = jax.jit(step)

    def run_jit(steps):
        params, stats = jit_state
        loss = None
        for _ in range(steps):
            ix = rng.integers(0, len(Xtr), batch_size)
            params, stats, loss = jit_step(params, stats, Xtr[ix], Ytr[ix], 0.1)
        loss.block_until_ready()
        jit_state[:] = params, stats

    def scan_body(carry, ix):
        params, stats = carry
        params, stats, loss = step(params, stats, X[ix], Y[ix], 0.1)
        return (params, stats), loss

    scan_state = [_jax_params(model, jnp)]
    scan = jax.jit(lambda carry, ixs: jax.lax.scan(scan_body, carry, ixs))

    def run_scan(steps):
        done = 0
        while done < steps:            # whole calls of scan_steps steps (one shape)
            ixs = rng.integers(0, len(Xtr), (scan_steps, batch_size))
            carry, losses = scan(scan_state[0], ixs)
            losses.block_until_ready()
            scan_state[0] = carry
            done += scan_steps

    return {"jax, jax.jit per step": run_jit,
            f"jax, lax.scan of {scan_steps} steps/call": run_scan}


def lean_numpy_runner(model, Xtr, Ytr, seed=42):
    """The same steps as lean manual backprop in NumPy: no checks, no caches
    beyond what the backward needs, in-place updates (the fastest plain
    NumPy we could write; numpy_runner chains the readable reference)."""
    table = model.layers[0].weight.data.copy()
    Ws, gs, bs, rms, rvs = [], [], [], [], []
    for layer in model.layers[1:]:
        if isinstance(layer, mf.Linear):
            Ws.append(layer.weight.data.copy())
        elif isinstance(layer, mf.BatchNorm1d):
            gs.append(layer.gamma.data.copy())
            bs.append(layer.beta.data.copy())
            rms.append(layer.running_mean.copy())
            rvs.append(layer.running_var.copy())
    L = len(Ws)
    rng = np.random.default_rng(seed)
    eps, mom, lr = np.float32(1e-5), np.float32(0.1), np.float32(0.1)

    def run(steps):
        for _ in range(steps):
            ix = rng.integers(0, len(Xtr), 32)
            xb, yb = Xtr[ix], Ytr[ix]
            n = len(ix)
            h = table[xb].reshape(n, -1)
            saved = []
            for i in range(L):
                pre = h @ Ws[i]
                mean = pre.mean(0)
                xc = pre - mean
                var = (xc * xc).mean(0)
                invstd = 1 / np.sqrt(var + eps)
                xhat = xc * invstd
                out = gs[i] * xhat + bs[i]
                if i + 1 < L:
                    np.tanh(out, out=out)
                rms[i] *= 1 - mom
                rms[i] += mom * mean
                rvs[i] *= 1 - mom
                rvs[i] += mom * var * (n / (n - 1))
                saved.append((h, xhat, invstd, out))
                h = out
            logits = h - h.max(1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(1, keepdims=True)
            p[np.arange(n), yb] -= 1
            d = p / n
            for i in reversed(range(L)):
                x, xhat, invstd, out = saved[i]
                if i + 1 < L:
                    d = d * (1 - out * out)
                dbeta = d.sum(0)
                dgamma = (d * xhat).sum(0)
                dpre = (gs[i] * invstd / n) * (n * d - dbeta - xhat * dgamma)
                dW = x.T @ dpre
                d = dpre @ Ws[i].T
                Ws[i] -= lr * dW
                gs[i] -= lr * dgamma
                bs[i] -= lr * dbeta
            dtable = np.zeros_like(table)
            np.add.at(dtable, xb.ravel(), d.reshape(-1, table.shape[1]))
            table[...] -= lr * dtable
    return run


def time_steps(runners, steps, repeats):
    """Median seconds per step of each runner, blocks interleaved; each block
    starts after the previous one's thread pools have gone to sleep
    (makemore_fast.bench.SETTLE)."""
    for run in runners.values():
        run(max(steps // 10, 10))                          # warm up
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            time.sleep(SETTLE)
            start = time.perf_counter()
            run(steps)
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(t) for name, t in times.items()}


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
