"""Steady-state training does not grow memory (tracemalloc sees NumPy's buffers)."""
import tracemalloc

import numpy as np

import makemore_fast as mf


def test_training_steps_do_not_grow_memory():
    X = np.random.default_rng(0).integers(0, 27, (4096, 3))
    Y = np.random.default_rng(1).integers(0, 27, 4096)
    model = mf.lecture_mlp(seed=0).track_stats()
    mf.train(model, X, Y, steps=200, progress=False, seed=0)           # warm up
    tracemalloc.start()
    try:
        mf.train(model, X, Y, steps=10, progress=False, seed=1)
        before = tracemalloc.get_traced_memory()[0]
        history = mf.train(model, X, Y, steps=1000, progress=False, seed=2,
                           track_updates=True)
        del history           # its per-step arrays are the run's output, not a leak
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024, f"grew by {after - before} bytes over 1,000 steps"
