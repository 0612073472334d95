"""`run(config) -> Result`: build the net of a Config, train it, evaluate it, look at it.

`run` works on one BLAS thread and one kernel thread whatever the caller's
settings, so that its `loss` array is bit-identical wherever it runs: in
this process, a local worker process or a Dask worker (the matrix products'
last bits depend on BLAS's thread count, docs/RELIABILITY.md).
"""
import functools
import json
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import diagnostics
from ..data import load_splits
from ..sampling import sample
from ..threads import num_threads
from ..training import split_loss, train
from .config import Config
from .models import build_model

N_SAMPLES = 5          # names sampled per run
UPDATE_WINDOW = 1000   # steps the update:data summary averages (the lecture's last view)
CURVE_POINTS = 500     # points kept of each update:data curve (for the pictures)
HIST_BINS = 100


@dataclass
class Result:
    """What `run` (or a sweep) got for one Config.

    loss: the training loss of each step done (float64); train_loss and
    val_loss: the final losses in eval mode (running statistics), nan when
    the run failed; seconds: wall time of the whole run; stats: the
    lecture's views at the end (see `views`); samples: a few names; error:
    None, or one line ("diverged at step 12: the loss is nan"); loaded: True
    when a sweep read it from its `out` directory instead of running it.
    """
    config: Config
    loss: np.ndarray
    train_loss: float = math.nan
    val_loss: float = math.nan
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)
    error: str = None
    loaded: bool = False

    @property
    def ok(self):
        return self.error is None

    @property
    def steps(self):
        return len(self.loss)


def run(config):
    """Build, train (on_nonfinite="stop") and evaluate `config`; a Result.

    A diverged run is a Result whose `error` says at which step; anything
    else that goes wrong raises (`sweep` turns it into the config's error).
    """
    if not isinstance(config, Config):
        raise TypeError(f"run needs a Config, got {type(config).__name__}")
    start = time.perf_counter()
    with num_threads(1):
        splits = _splits(config.data, config.block_size)
        model = build_model(config, vocab_size=len(splits.vocab))
        model.vocab = splits.vocab
        history = train(model, *splits.train, steps=config.steps,
                        batch_size=config.batch_size, lr=config.lr,
                        lr_decay_step=config.lr_decay_step, decayed_lr=config.decayed_lr,
                        seed=config.seed, progress=False, track_updates=True,
                        on_nonfinite="stop")
        stats = views(model, history)
        with np.errstate(all="ignore"):
            train_loss = split_loss(model, *splits.train)
            val_loss = split_loss(model, *splits.val)
        names = (sample(model, N_SAMPLES, seed=config.seed)
                 if history.divergence is None else [])
    return Result(config=config, loss=np.asarray(history.loss, dtype=np.float64),
                  train_loss=float(train_loss), val_loss=float(val_loss),
                  seconds=time.perf_counter() - start, stats=stats, samples=names,
                  error=history.divergence)


def failed(config, error, seconds=0.0):
    """The Result of a config that could not run: `error` is one line."""
    return Result(config=config, loss=np.empty(0), seconds=seconds, error=error)


@functools.lru_cache(maxsize=4)
def _splits(path, block_size):
    # Kept per process: a worker running several configs reads the data once.
    return load_splits(path, block_size=block_size)


def views(model, history):
    """The lecture's views of `model` after `history`, as plain JSON values.

    activations / gradients / weight_gradients: the rows of
    diagnostics.activation_stats / gradient_stats / weight_grad_stats (None
    when there was no forward or backward pass); histograms: the same views'
    histograms (density, edges), for the comparison pictures; update_data:
    per 2-D parameter, the mean log10 update:data ratio over the last
    UPDATE_WINDOW steps before any nan; update_curves: those ratios over the
    run, at most CURVE_POINTS steps of them.
    """
    out = {"activations": _try(diagnostics.activation_stats, model),
           "gradients": _try(diagnostics.gradient_stats, model),
           "weight_gradients": _try(diagnostics.weight_grad_stats, model),
           "histograms": {
               "activations": _try(diagnostics.activation_histograms, model, HIST_BINS),
               "gradients": _try(diagnostics.gradient_histograms, model, HIST_BINS),
               "weight_gradients": _try(diagnostics.weight_grad_histograms, model,
                                        HIST_BINS)}}
    out.update(_updates(model, history.update_ratios))
    return json.loads(json.dumps(out, default=_plain))


def _updates(model, ratios):
    params = model.parameters()
    columns = [k for k, p in enumerate(params) if p.data.ndim == 2]
    if ratios is None or len(ratios) == 0:
        return {"update_data": [], "update_curves": None}
    ratios = np.asarray(ratios, dtype=np.float64)
    nan_rows = np.flatnonzero(np.isnan(ratios).any(axis=1))
    usable = ratios[:nan_rows[0]] if nan_rows.size else ratios
    tail = usable[-UPDATE_WINDOW:]
    summary = [{"index": k, "name": params[k].name, "shape": list(params[k].data.shape),
                "log10_ratio": float(tail[:, k].mean()) if len(tail) else math.nan}
               for k in columns]
    stride = max(1, -(-len(ratios) // CURVE_POINTS))
    curves = {"steps": list(range(0, len(ratios), stride)), "columns": columns,
              "values": ratios[::stride][:, columns].T.tolist()}
    return {"update_data": summary, "update_curves": curves}


def _try(view, *args):
    """The view, or None where the model has not run the pass it reads."""
    try:
        return view(*args)
    except ValueError:
        return None


def _plain(value):
    """JSON for what the views return besides plain values: arrays, tuples."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} in a Result")
