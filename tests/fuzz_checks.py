"""Checks for the property tests: results against the reference within natural
scales, with NaN and infinities exactly where the reference has them."""
import numpy as np
from tolerances import rtol

# Absolute error of the kernels' tanh (vmath.h: float32 within 1e-6 of np.tanh).
TANH_ERR = {np.float32: 1e-6, np.float64: 1e-15}


def finite(a):
    """a in float64 with inf and NaN replaced by 0: for natural scales."""
    return None if a is None else np.nan_to_num(np.asarray(a, np.float64), nan=0.0,
                                                 posinf=0.0, neginf=0.0)


def floor(dtype):
    """Absolute error allowed anywhere: underflow noise near the smallest normal."""
    return 1e3 * np.finfo(dtype).tiny


def assert_matches(actual, expected, tol, name):
    """NaN exactly where `expected` is NaN, its infinities with their signs, and
    finite values within `tol` (elementwise, broadcast)."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (name, actual.shape, expected.shape)
    nan = np.isnan(expected)
    wrong_nan = np.isnan(actual) != nan
    assert not wrong_nan.any(), (
        f"{name}: NaN at {_where(wrong_nan)}: got {actual[wrong_nan][:5]}, "
        f"expected {expected[wrong_nan][:5]}")
    inf = np.isinf(expected)
    wrong_inf = inf & (actual != expected)
    assert not wrong_inf.any(), (
        f"{name}: infinity at {_where(wrong_inf)}: got {actual[wrong_inf][:5]}")
    fin = ~nan & ~inf
    with np.errstate(invalid="ignore"):
        err = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    tol = np.broadcast_to(tol, expected.shape)
    bad = fin & ~(err <= tol)
    assert not bad.any(), (
        f"{name}: {bad.sum()} values off at {_where(bad)}: got {actual[bad][:5]}, "
        f"expected {expected[bad][:5]}, tolerance {tol[bad][:5]}")


def assert_bit_identical(actual, expected, name):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, name
    bits = np.dtype(f"u{actual.itemsize}")
    differ = actual.view(bits) != expected.view(bits)
    assert not differ.any(), (f"{name}: bits differ at {_where(differ)}: got "
                              f"{actual[differ][:5]}, expected {expected[differ][:5]}")


def _where(mask):
    return [tuple(map(int, i)) for i in np.argwhere(mask)[:5]]


def f64(a):
    return None if a is None else np.asarray(a, np.float64)


def reference(function, *args, **kwargs):
    """The reference on float64 copies, quietly (inf and NaN are expected here)."""
    with np.errstate(all="ignore"):
        return function(*args, **kwargs)


def in_dtype(expected, dtype):
    with np.errstate(all="ignore"):
        return None if expected is None else expected.astype(dtype)


def assert_unchanged(case, names):
    for name in names:
        if case.laid_out[name] is not None:
            assert np.array_equal(np.asarray(case.laid_out[name], case.dtype),
                                  getattr(case, name), equal_nan=True), name


def tanh_slope(out, dtype):
    """Scale of 1 - out^2: it cancels as out nears +-1, where 1 - out**2 (the
    reference's way) is only known to eps."""
    return np.abs(1.0 - finite(out) ** 2) + np.finfo(dtype).eps / rtol(dtype)


def assert_output(a, dtype, shape):
    assert a.dtype == np.dtype(dtype) and a.shape == shape and a.flags.c_contiguous


def assert_gradients(grads, expected, scales, dtype):
    """Each gradient (None where the reference's is None) against the
    reference's, within rtol times its natural `scales[name]` (in order)."""
    for (name, scale), got, want in zip(scales.items(), grads, expected):
        if want is None:
            assert got is None, name
            continue
        assert_matches(got, in_dtype(want, dtype), rtol(dtype) * scale + floor(dtype), name)
        assert_output(got, dtype, want.shape)
