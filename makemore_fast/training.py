"""The lecture's training loop, evaluation and BatchNorm calibration.

    history = train(model, Xtr, Ytr, eval_data=(Xdev, Ydev))
    split_loss(model, Xdev, Ydev)

One step is the lecture's: a random minibatch, forward, cross-entropy,
zero_grad, backward, `p.data += -lr * p.grad`, with lr dropping to
decayed_lr at lr_decay_step.
"""
import math
import signal
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from . import ops
from .nn import BatchNorm1d, Sequential, cross_entropy
from .stopped import look_at
from .validation import checked_int, examples, index_array, positive_rate

EVAL_EVERY = 10_000      # steps between validation losses when eval_data is given
EVAL_ROWS = 16_384       # rows per forward pass in split_loss (bounds memory)
_INDEX_CHUNK = 1024      # minibatches of indices drawn per call to the generator
# steps between progress-bar refreshes: the whole-step path's C calls end at
# them and at each chunk, so with the chunks they run 1,023 steps each
_PROGRESS_EVERY = _INDEX_CHUNK
SMALL_BATCH = 256        # up to this batch size BLAS runs on one thread (docs/ARCHITECTURE.md)


@dataclass
class TrainHistory:
    """What `train` did.

    loss: training loss of each step done, 1-D float64 (len = steps done).
    val: [(steps done, validation loss)], every EVAL_EVERY steps and at the end.
    update_ratios: None, or (steps, n_params) float64 of log10(lr * grad.std()
        / data.std()) (unbiased stds, parameters() order) per step.
    interrupted: True when Ctrl-C stopped the run early.
    seconds: wall time of the loop.
    diverged_at: None, or the first step whose loss was not finite (with
        on_nonfinite="stop" the run stopped there: it is the last step in `loss`).
    """
    loss: np.ndarray
    val: list = field(default_factory=list)
    update_ratios: np.ndarray = None
    interrupted: bool = False
    seconds: float = 0.0
    diverged_at: int = None

    @property
    def divergence(self):
        """None, or one line: "diverged at step 12: the loss is nan"."""
        if self.diverged_at is None:
            return None
        return f"diverged at step {self.diverged_at}: the loss is {self.loss[self.diverged_at]}"

    @property
    def steps(self):
        """Number of steps done."""
        return len(self.loss)


def train(model, X, Y, *, steps=200_000, batch_size=32, lr=0.1, lr_decay_step=150_000,
          decayed_lr=0.01, seed=None, progress=True, eval_data=None, track_updates=False,
          whole_steps=True, on_nonfinite="stop"):
    """Train `model` in place with the lecture's SGD loop; returns a TrainHistory.

    X (N, block_size) int, Y (N,) int: the training examples; each step draws
    batch_size of them uniformly with replacement from a Generator seeded
    with `seed`, runs forward, cross-entropy, backward and
    `p.data += -lr * p.grad` for every parameter.  The learning rate is `lr`
    for steps < lr_decay_step, then `decayed_lr`.

    progress: a tqdm bar (stderr) with the running loss.
    eval_data: (Xval, Yval), whose loss is recorded every EVAL_EVERY steps and
        at the end.
    track_updates: True records the lecture's update:data ratios (data after
        the update) into history.update_ratios; an object with a
        `record(parameters, lr)` method is called instead, each step right
        after the update (its `.ratios`, if any, becomes history.update_ratios).
    whole_steps: True (the default) runs the steps of a fused Sequential in C
        (`Sequential.whole_steps`), bit-identical to the layer path; False runs
        every step through the layers.  Either way the layers hold their
        `.out`, `.out_grad` and `.grad` of the last step at the end.

    `on_nonfinite="stop"` (the default) ends the run at the first step whose
    loss is not finite (inf or nan): history.loss ends with that step and
    history.diverged_at / history.divergence say which.  The parameters are
    then nan as a rule (a non-finite loss has non-finite gradients); on the
    whole-step path the rest of that C call (fewer than 1,024 steps) ran too,
    and its counts (BatchNorm's num_batches_tracked, tracked statistics'
    counts) are taken back.  "continue" trains every step regardless.

    Ctrl-C stops after the current step and returns what was trained
    (history.interrupted); a second Ctrl-C interrupts at once.  The model is
    left in training mode.  docs/ARCHITECTURE.md describes how the loop
    shares the steps between C and the layers.
    """
    X, Y = examples(X, Y, "X", "Y")
    steps = checked_int(steps, "steps", 0)
    batch_size = checked_int(batch_size, "batch_size", 0)
    lr_decay_step = checked_int(lr_decay_step, "lr_decay_step", 0)
    lr, decayed_lr = positive_rate(lr, "lr"), positive_rate(decayed_lr, "decayed_lr")
    if on_nonfinite not in ("stop", "continue"):
        raise ValueError(f'on_nonfinite must be "stop" or "continue", got {on_nonfinite!r}')
    stop_on_nonfinite = on_nonfinite == "stop"
    if batch_size == 0:
        raise ValueError("batch_size must be >= 1, got 0")
    if batch_size < 2 and any(isinstance(layer, BatchNorm1d) for layer in model.layers):
        raise ValueError(f"batch_size must be >= 2 for a model with BatchNorm1d "
                         f"(batch statistics need two examples), got {batch_size}")
    if eval_data is not None:
        try:
            Xval, Yval = eval_data
        except (TypeError, ValueError):
            raise TypeError("eval_data must be a pair (X, Y)") from None
        eval_data = examples(Xval, Yval, "eval_data[0]", "eval_data[1]")
    params = model.parameters()
    recorder = _recorder(track_updates)
    ratios = np.empty((steps, len(params))) if track_updates is True else None

    rng = np.random.default_rng(seed)
    losses = np.empty(steps)
    history = TrainHistory(losses)
    bar = tqdm(total=steps, desc="train", unit="step", disable=not progress,
               dynamic_ncols=True)
    model.train()
    done, shown = 0, 0
    start = time.perf_counter()
    blas_threads = (threadpool_limits(1, user_api="blas") if batch_size <= SMALL_BATCH
                    else nullcontext())
    in_c = (model.whole_steps(X, Y, batch_size)
            if whole_steps and recorder is None and isinstance(model, Sequential) else None)
    with bar, _StopOnInterrupt() as stop, blas_threads:
        i = 0
        while i < steps:
            if i % _INDEX_CHUNK == 0:
                batches = rng.integers(0, len(X), size=(min(_INDEX_CHUNK, steps - i),
                                                        batch_size))
            if in_c is not None:
                # In C up to the step before the next chunk, refresh or eval
                # boundary; that step then goes through the layers below.
                end = min(steps, _next_multiple(i, _INDEX_CHUNK),
                          _next_multiple(i, _PROGRESS_EVERY),
                          _next_multiple(i, EVAL_EVERY) if eval_data is not None else steps)
                n = end - 1 - i
                if n > 0:
                    rows = batches[i % _INDEX_CHUNK:i % _INDEX_CHUNK + n]
                    rates = np.where(np.arange(i, i + n) < lr_decay_step, lr, decayed_lr)
                    in_c.run(rows, rates, losses[i:i + n],
                             None if ratios is None else ratios[i:i + n])
                    i += n
                    if stop_on_nonfinite and not np.isfinite(losses[i - n:i]).all():
                        # The chunk ran past the first bad step: keep up to it.
                        bad = i - n + int(np.argmin(np.isfinite(losses[i - n:i])))
                        history.diverged_at, done = bad, bad + 1
                        in_c.uncount(i - done)
                        look_at(model, X[batches[bad % _INDEX_CHUNK]],
                                Y[batches[bad % _INDEX_CHUNK]])
                        break
            ix = batches[i % _INDEX_CHUNK]
            logits = model(X[ix])
            loss, dlogits = cross_entropy(logits, Y[ix])
            for p in params:
                p.grad = None
            model.backward(dlogits)
            rate = lr if i < lr_decay_step else decayed_lr
            _sgd(params, rate, None if ratios is None else ratios[i])
            if recorder is not None:
                recorder.record(params, rate)
            losses[i] = loss
            i += 1
            done = i
            if stop_on_nonfinite and not math.isfinite(loss):
                history.diverged_at = i - 1
                break
            if not bar.disable and (done - shown >= _PROGRESS_EVERY or done == steps):
                bar.set_postfix(loss=f"{losses[shown:done].mean():.4f}", lr=rate,
                                refresh=False)
                bar.update(done - shown)
                shown = done
            if eval_data is not None and done % EVAL_EVERY == 0:
                history.val.append((done, split_loss(model, *eval_data)))
                if not bar.disable:
                    bar.write(f"step {done:7d}: val loss {history.val[-1][1]:.4f}",
                              file=sys.stderr)
            if stop.requested:
                history.interrupted = True
                break
    history.seconds = time.perf_counter() - start
    history.loss = losses[:done]
    if eval_data is not None and done and (not history.val or history.val[-1][0] != done):
        history.val.append((done, split_loss(model, *eval_data)))
    if ratios is not None:
        history.update_ratios = ratios[:done]
    elif recorder is not None and hasattr(recorder, "ratios"):
        history.update_ratios = np.asarray(recorder.ratios)
    return history


def split_loss(model, X, Y):
    """Mean cross-entropy of the model on (X, Y) in eval mode (running statistics).

    Runs `model.folded()` (each BatchNorm1d folded into its Linear, once per
    call) in chunks of EVAL_ROWS rows: nothing about the model changes, not
    even the layers' `.out`.
    """
    X, Y = examples(X, Y, "X", "Y")
    forward = model.folded()
    total = 0.0
    for s in range(0, len(X), EVAL_ROWS):
        loss, _ = cross_entropy(forward(X[s:s + EVAL_ROWS]), Y[s:s + EVAL_ROWS])
        total += loss * len(Y[s:s + EVAL_ROWS])
    return total / len(X)


def calibrate_batchnorm(model, X):
    """Set every BatchNorm1d's running statistics from the whole of X, in place.

    The lecture's pass after training: the mean and (unbiased) variance of
    each BatchNorm's input over all of X, the earlier BatchNorms already
    using their calibrated statistics, so that eval mode then normalises
    exactly as one batch of all of X would.
    """
    X = index_array(X, "X", 2)
    if len(X) < 2:
        raise ValueError("calibrate_batchnorm needs at least 2 examples")
    h = X
    for layer in model.layers:
        if isinstance(layer, BatchNorm1d):
            layer.running_mean[...] = h.mean(0, dtype=np.float64)
            layer.running_var[...] = h.var(0, ddof=1, dtype=np.float64)
        h = layer.infer(h)


def _next_multiple(i, k):
    """The smallest multiple of k greater than i."""
    return (i // k + 1) * k


def _sgd(params, lr, ratios=None):
    """p.data += -lr * p.grad for every parameter with a gradient, in one C call.

    ratios: None, or a row that receives each parameter's update:data ratio
    (-inf for a parameter without a gradient: it is not updated).
    """
    have = [k for k, p in enumerate(params) if p.grad is not None]
    got = None if ratios is None else np.empty(len(have))
    if have:
        ops.sgd_update([params[k].data for k in have], [params[k].grad for k in have], lr,
                       update_ratios=got)
    if ratios is not None:
        ratios[:] = -np.inf
        ratios[have] = got


def _recorder(track_updates):
    """The object whose record(parameters, lr) the loop calls each step, or None
    (track_updates=True is measured by the update kernel itself)."""
    if track_updates is True or track_updates is False or track_updates is None:
        return None
    if callable(getattr(track_updates, "record", None)):
        return track_updates
    raise TypeError("track_updates must be True, False or an object with a "
                    "record(parameters, lr) method")


class _StopOnInterrupt:
    """Turn the first Ctrl-C into a request (`.requested`) the loop checks between
    steps, so a step is never cut in half; a second Ctrl-C raises at once.
    Only the main thread receives signals: elsewhere this does nothing."""

    def __enter__(self):
        self.requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False
