"""diagnostics.moments: accurate means and stds under the statistics."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from makemore_fast.diagnostics.moments import mean_std, mean_std_many

float_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=40),
    elements=st.floats(-1e3, 1e3, width=32))


@settings(max_examples=60, deadline=None)
@given(st.lists(float_arrays, min_size=1, max_size=6), st.floats(-1e4, 1e4))
def test_mean_std_many_matches_two_pass_float64(arrays, offset):
    # An offset far larger than the spread is where a one-pass formula cancels.
    arrays = [(a + a.dtype.type(offset)) for a in arrays]
    means, stds = mean_std_many(arrays)
    for a, m, s in zip(arrays, means, stds):
        x = a.astype(np.float64)
        assert m == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
        assert s == pytest.approx(x.std(ddof=1), rel=1e-7, abs=1e-12 * (abs(x).max() + 1))
        assert (m, s) == pytest.approx(mean_std(a), rel=1e-7, abs=1e-12 * (abs(x).max() + 1))


def test_mean_std_edge_cases():
    ones = np.ones((10, 10), np.float32)
    means, stds = mean_std_many([ones, np.zeros(0), np.array([2.0]), np.full(7, 1e8 + 1)])
    assert means[0] == 1.0 and stds[0] == 0.0           # BatchNorm's gain at init
    assert math.isnan(means[1]) and math.isnan(stds[1])  # empty
    assert means[2] == 2.0 and math.isnan(stds[2])       # one element: nan, as torch
    assert stds[3] == 0.0
    assert mean_std(np.array([1.0, 3.0])) == (2.0, pytest.approx(math.sqrt(2)))
    # mean 1e8, spread 1e-3: one pass of sums would cancel to noise
    x = 1e8 + 1e-3 * np.random.default_rng(0).standard_normal(1000)
    assert mean_std_many([x])[1][0] == pytest.approx(x.std(ddof=1), rel=1e-9)
