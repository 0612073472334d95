# Included by ops.pyx: the argument checks of every op and of TrainSteps.
# Each raises a TypeError / ValueError / IndexError that names the argument,
# before anything has been modified.

cdef Py_ssize_t _INT_MAX = 2**31 - 1


cdef inline bint _is_float(cnp.ndarray a):
    cdef int t = cnp.PyArray_TYPE(a)
    return t == cnp.NPY_FLOAT32 or t == cnp.NPY_FLOAT64


cdef cnp.ndarray _ndarray(object a, str name):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    return <cnp.ndarray>a


cdef cnp.ndarray _float_array(object a, str name, int ndim, cnp.ndarray like=None,
                              str like_name=None):
    """`a` as a C-contiguous native float array of `ndim` dims (dtype of `like`)."""
    cdef cnp.ndarray arr = _ndarray(a, name)
    if not _is_float(arr):
        raise TypeError(f"{name} must have dtype float32 or float64, got {arr.dtype}")
    if like is not None and cnp.PyArray_TYPE(arr) != cnp.PyArray_TYPE(like):
        raise TypeError(f"{name} has dtype {arr.dtype} but {like_name} has dtype "
                        f"{like.dtype}: mixed float dtypes are not supported")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {(<object>arr).shape}")
    return _contiguous(arr)


cdef cnp.ndarray _inplace_array(object a, str name, int ndim, cnp.ndarray like=None,
                                str like_name=None):
    """An array the kernel updates in place, exactly the caller's (never a copy):
    float, `ndim` dims, C-contiguous, writable and native-endian."""
    cdef cnp.ndarray arr = _ndarray(a, name)
    if like is not None and cnp.PyArray_TYPE(arr) != cnp.PyArray_TYPE(like):
        raise TypeError(f"{name} has dtype {arr.dtype}, {like_name} {like.dtype}")
    if not _is_float(arr):
        raise TypeError(f"{name} must have dtype float32 or float64, got {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {(<object>arr).shape}")
    if not (cnp.PyArray_ISCARRAY(arr) and cnp.PyArray_ISNOTSWAPPED(arr)):
        raise ValueError(f"{name} must be a C-contiguous, writable, native-endian array "
                         f"(it is updated in place)")
    return arr


cdef cnp.ndarray _index_array(object a, str name, int ndim):
    """`a` as a C-contiguous int64 array of `ndim` dims."""
    cdef cnp.ndarray arr = _ndarray(a, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must have an integer dtype, got {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {(<object>arr).shape}")
    if cnp.PyArray_TYPE(arr) == cnp.NPY_INT64:
        return _contiguous(arr)
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise IndexError(f"{name} holds an index too large for int64")
    return np.ascontiguousarray(arr, dtype=np.int64)


cdef inline cnp.ndarray _contiguous(cnp.ndarray arr):
    if cnp.PyArray_ISCARRAY_RO(arr) and cnp.PyArray_ISNOTSWAPPED(arr):
        return arr
    return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))


cdef inline int _dim(Py_ssize_t n, str what) except -1:
    if n == 0:
        raise ValueError(f"{what} is empty (size 0)")
    if n > _INT_MAX:
        raise ValueError(f"{what} is {n}, more than the kernels' limit of {_INT_MAX}")
    return <int>n


cdef inline void _check_vector(cnp.ndarray v, str name, Py_ssize_t n) except *:
    if v.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got {(<object>v).shape}")


cdef cnp.ndarray _vector(object a, str name, cnp.ndarray like, Py_ssize_t n):
    """A float vector of n elements of `like`'s dtype (gamma, beta, bias)."""
    cdef cnp.ndarray v = _float_array(a, name, 1, like, "x")
    _check_vector(v, name, n)
    return v


cdef void _check_indices(cnp.ndarray idx, int64_t limit, str name, str what) except *:
    cdef int64_t bad
    with nogil:
        bad = mmf_find_bad_index(<const int64_t *>cnp.PyArray_DATA(idx),
                                 cnp.PyArray_SIZE(idx), limit)
    if bad >= 0:
        where = np.unravel_index(bad, (<object>idx).shape)
        raise IndexError(f"{name}{list(map(int, where))} = {idx.flat[bad]} is out of "
                         f"range for {what} {limit} (valid: 0..{limit - 1})")


cdef inline double _real(object value, str name) except? -1.0:
    """A real-number scalar argument as a double, or a TypeError naming it.
    A Python float or int (never a bool) skips the numbers.Real check, an
    abstract-class lookup that took most of a small fused forward's time."""
    if type(value) is float or type(value) is int:
        return float(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


cdef inline bint _act_tanh(object activation) except -1:
    if activation is None:
        return False
    if isinstance(activation, str) and activation == "tanh":
        return True
    raise ValueError(f"activation must be 'tanh' or None, got {activation!r}")


cdef int _momentum_eps(object momentum, object eps, double *mom,
                       double *epsilon) except -1:
    """BatchNorm's momentum in [0, 1] and eps finite >= 0, into *mom and *epsilon."""
    mom[0], epsilon[0] = _real(momentum, "momentum"), _real(eps, "eps")
    if not 0.0 <= mom[0] <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    if not (epsilon[0] >= 0.0 and isfinite(epsilon[0])):
        raise ValueError(f"eps must be finite and >= 0, got {eps!r}")
    return 0


cdef void _check_training_batch(Py_ssize_t B, object x) except *:
    if B < 2:
        raise ValueError(f"Expected more than 1 value per channel when training, got "
                         f"x of shape {x.shape}: BatchNorm needs a batch of at least 2 "
                         f"(use training=False for a single example)")


cdef cnp.ndarray _stats_array(object stats, object saturation):
    """The caller's accumulator: float64 (5,) C-contiguous and writable, or None."""
    if stats is None:
        return None
    cdef cnp.ndarray st = _ndarray(stats, "stats")
    if cnp.PyArray_TYPE(st) != cnp.NPY_FLOAT64 or not cnp.PyArray_ISNOTSWAPPED(st):
        raise TypeError(f"stats must have dtype float64, got {st.dtype}")
    if st.ndim != 1 or st.shape[0] != len(STATS_FIELDS):
        raise ValueError(f"stats must have shape ({len(STATS_FIELDS)},), got "
                         f"{(<object>st).shape}")
    if not cnp.PyArray_ISCARRAY(st):
        raise ValueError("stats must be C-contiguous and writable: it is accumulated "
                         "into in place")
    if not _real(saturation, "saturation") >= 0.0:
        raise ValueError(f"saturation must be >= 0, got {saturation!r}")
    return st


cdef inline cnp.ndarray _empty2(Py_ssize_t rows, Py_ssize_t cols, int typenum):
    cdef cnp.npy_intp dims[2]
    dims[0] = rows
    dims[1] = cols
    return cnp.PyArray_EMPTY(2, dims, typenum, 0)


cdef inline cnp.ndarray _empty1(Py_ssize_t n, int typenum):
    cdef cnp.npy_intp dims[1]
    dims[0] = n
    return cnp.PyArray_EMPTY(1, dims, typenum, 0)


cdef inline void *_ptr(cnp.ndarray a):
    return NULL if a is None else cnp.PyArray_DATA(a)
