"""Whole SGD steps of a Sequential in one C call, with the layers' bookkeeping.

`Sequential.whole_steps(X, Y, batch_size)` builds one: it runs steps through
`ops.TrainSteps` (Embedding -> fused runs -> cross-entropy -> backward ->
update, no Python in between) on the model's own arrays, then counts what
the layer path counts per step (BatchNorm's num_batches_tracked, Tanh's
tracked elements).
"""
from .. import ops
from .fused import FusedRun
from .layers import Embedding


class WholeSteps:
    """`run(rows, rates, losses, ratios, helper)`: len(rows) steps of the model, in C."""

    def __init__(self, steps, runs, batch_size):
        self._steps, self._runs, self._batch_size = steps, runs, batch_size

    @classmethod
    def build(cls, plan, X, Y, batch_size):
        """The steps of a fused plan, or None where the layer path is needed.

        The plan must be an Embedding then FusedRuns in training mode, on
        parameters the kernel can update in place; anything else (or a
        kernel that refuses the arrays) gives None, and the layer path then
        gives the usual behaviour or error.
        """
        if len(plan) < 2 or type(plan[0]) is not Embedding:
            return None
        runs, blocks = plan[1:], []
        for run in runs:
            if not isinstance(run, FusedRun):
                return None
            lin, bn, tanh = run.linear, run.bn, run.tanh
            if bn is not None and not bn.training:
                return None
            norm = None if bn is None else (bn.gamma.data, bn.beta.data, bn.running_mean,
                                            bn.running_var, bn.momentum, bn.eps,
                                            bn.unbiased)
            stats = None if tanh is None or tanh.stats is None else (tanh.stats,
                                                                      tanh.saturation)
            blocks.append((lin.weight.data, None if lin.bias is None else lin.bias.data,
                           norm, run.activation, stats))
        try:
            steps = ops.TrainSteps(plan[0].weight.data, blocks, X, Y, batch_size)
        except (TypeError, ValueError, IndexError):
            return None
        return cls(steps, runs, batch_size)

    def run(self, rows, rates, losses, ratios=None, helper=None):
        """len(rows) steps (see ops.TrainSteps.run: `helper` None, True or
        False); then the layers' counters."""
        self._steps.run(rows, rates, losses, ratios, helper)
        n = len(rows)
        for run in self._runs:
            if run.bn is not None:
                run.bn.num_batches_tracked += n
            if run.tanh is not None and run.tanh.stats is not None:
                run.tanh.stats_count += n * self._batch_size * run.linear.fan_out

    def uncount(self, n):
        """Take back what `run` counted for its last n steps (steps a call ran
        past a divergence: the history ends before them)."""
        for run in self._runs:
            if run.bn is not None:
                run.bn.num_batches_tracked -= n
            if run.tanh is not None and run.tanh.stats is not None:
                run.tanh.stats_count -= n * self._batch_size * run.linear.fan_out
