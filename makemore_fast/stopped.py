"""What `train(on_nonfinite="stop")` does to the model when it stops inside a
chunk of whole steps: one look at the batch of the diverged step, so the
diagnostics have layers to read (the C path keeps no per-layer state)."""
import numpy as np

from .nn import BatchNorm1d, cross_entropy


def look_at(model, Xb, Yb):
    """A forward and backward of one batch through the layers, no update, and the
    BatchNorm running statistics and any tracked Tanh statistics put back:
    after a run stopped inside a chunk of whole steps, the layers' .out,
    .out_grad and .grad then show the model as it stopped (the diagnostics
    read them)."""
    norms = [(bn, bn.running_mean.copy(), bn.running_var.copy(), bn.num_batches_tracked)
             for bn in model.layers if isinstance(bn, BatchNorm1d)]
    tracked = [(t, t.stats.copy(), t.stats_count.copy()) for t in model.layers
               if getattr(t, "stats", None) is not None]
    with np.errstate(all="ignore"):
        _, dlogits = cross_entropy(model(Xb), Yb)
        model.zero_grad()
        model.backward(dlogits)
    for bn, mean, var, count in norms:
        bn.running_mean[...], bn.running_var[...], bn.num_batches_tracked = mean, var, count
    for t, stats, count in tracked:
        t.stats[...], t.stats_count[...] = stats, count
