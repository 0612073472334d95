"""Argument checks shared by the Python layer: each returns the value in the
form the caller needs or raises a TypeError / ValueError that names the argument.

The kernels' own arguments are checked in the binding (makemore_fast/_checks.pxi).
"""
import math

import numpy as np


def checked_int(value, name, minimum):
    """`value` as an int >= minimum, or a TypeError/ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def positive_int(value, name):
    """`value` as an int >= 1, or a TypeError/ValueError naming `name`."""
    return checked_int(value, name, 1)


def positive_rate(value, name):
    """`value` as a finite float > 0 (a learning rate), or an error naming `name`."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    if not (rate > 0 and math.isfinite(rate)):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return rate


def float_dtype(dtype):
    """np.dtype float32 or float64, or a TypeError naming what was given."""
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def float_input(x, name, dim, dtype):
    """Check a layer input: a 2-D float array (B, dim) of the layer's dtype."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape (B, {dim}), got {x.shape}")
    if x.dtype != dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but the layer is {dtype}")


def index_array(a, name, ndim):
    """A non-empty integer array of `ndim` dimensions, as C-contiguous int64."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must have an integer dtype, got {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if len(a) == 0:
        raise ValueError(f"{name} is empty")
    return np.ascontiguousarray(a, dtype=np.int64)


def examples(X, Y, xname, yname):
    """Check (X, Y): X 2-D integer (N, T), Y 1-D integer (N,); as int64."""
    X, Y = index_array(X, xname, 2), index_array(Y, yname, 1)
    if len(X) != len(Y):
        raise ValueError(f"{xname} has {len(X)} rows but {yname} has {len(Y)}")
    return X, Y
