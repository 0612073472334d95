"""Fixtures of the diagnostics tests: the training data, a briefly trained net."""
import numpy as np
import pytest

import makemore_fast as mf


@pytest.fixture(scope="module")
def data():
    return mf.data.load_splits().train


@pytest.fixture(scope="module", params=[np.float32, np.float64])
def trained(request, data):
    model = mf.lecture_mlp(seed=3, dtype=request.param)
    mf.train(model, *data, steps=60, seed=3, progress=False)
    return model
