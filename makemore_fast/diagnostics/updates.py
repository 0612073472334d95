"""The update:data ratio over time: the lecture's `ud` list, recorded every step.

Pass an `UpdateTracker` as `train(..., track_updates=tracker)` to record into
it (any object with the same `record(parameters, lr)` method will do), or
call `record` from a training loop of your own.
"""
import numpy as np

from .moments import Moments


def update_ratios(parameters, lr, moments=None):
    """log10(lr * grad.std() / data.std()) for each parameter, as a float64 array.

    The lecture's `[((lr*p.grad).std() / p.data.std()).log10().item() for p in
    parameters]`, with unbiased stds.  A parameter whose data has zero spread
    (BatchNorm's gain at initialisation) gives inf, as in torch; one without a
    gradient (grad None, which the layers count as zero) gives -inf.
    `moments`, a `Moments` for [data..., grad...] of these parameters, saves
    setting one up (the tracker keeps one).
    """
    parameters = list(parameters)
    data = [p.data for p in parameters]
    grads = [np.zeros_like(p.data) if p.grad is None else p.grad for p in parameters]
    if moments is None:
        moments = Moments([a.size for a in data] * 2)
    stds = moments(data + grads)[1]
    n = len(parameters)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(abs(lr) * stds[n:] / stds[:n])


class UpdateTracker:
    """Records `update_ratios(parameters, lr)` once per call to `record`.

    Call `record` each step right after the update, while the gradients are
    still there, as the lecture tracked its `ud` (the training loop does).  `ratios` is the (steps, n_params) array, columns in
    parameters() order; `lrs` the learning rate of each step; `names` and
    `shapes` describe the columns (taken at the first record).
    """

    def __init__(self):
        self._rows = np.empty((0, 0))
        self._lrs = np.empty(0)
        self._steps = 0
        self._moments = None
        self.names = None
        self.shapes = None

    def record(self, parameters, lr):
        """Append one row: the update:data ratio of every parameter for this step."""
        parameters = list(parameters)
        if self.names is None:
            self.names = [p.name for p in parameters]
            self.shapes = [tuple(p.data.shape) for p in parameters]
            self._rows = np.empty((64, len(parameters)))
            self._lrs = np.empty(64)
            self._moments = Moments([p.data.size for p in parameters] * 2)
        elif len(parameters) != len(self.names):
            raise ValueError(f"record got {len(parameters)} parameters, "
                             f"the tracker has {len(self.names)} columns")
        if self._steps == len(self._lrs):
            self._grow()
        self._rows[self._steps] = update_ratios(parameters, lr, self._moments)
        self._lrs[self._steps] = lr
        self._steps += 1

    @property
    def ratios(self):
        """(steps, n_params) float64 array of log10 update:data ratios (read-only view)."""
        return _readonly(self._rows[:self._steps])

    @property
    def lrs(self):
        """(steps,) float64 array: the learning rate passed at each step (read-only view)."""
        return _readonly(self._lrs[:self._steps])

    def matrix_columns(self):
        """Column indices of the 2-D parameters: the curves the lecture plotted."""
        return [k for k, shape in enumerate(self.shapes or []) if len(shape) == 2]

    def __len__(self):
        return self._steps

    def _grow(self):
        capacity = max(64, 2 * self._steps)
        self._rows = np.concatenate([self._rows, np.empty((capacity, self._rows.shape[1]))])
        self._lrs = np.concatenate([self._lrs, np.empty(capacity)])

    def __repr__(self):
        return f"UpdateTracker(steps={self._steps}, params={len(self.names or [])})"


def _readonly(a):
    view = a.view()
    view.flags.writeable = False
    return view
