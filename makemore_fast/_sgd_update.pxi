# Included by ops.pyx: the lecture's SGD update, csrc/sgd_update.inc.

def sgd_update(data, grads, lr, *, update_ratios=None):
    """data[i] -= lr * grads[i] for every pair, in place: the lecture's
    `for p in parameters: p.data += -lr * p.grad` in one call.

    data, grads: sequences of float arrays, pairwise of one shape and dtype;
    each data array must be writable (it is updated in place; a strided or
    Fortran-ordered one through a contiguous copy written back).  Every pair
    is checked before any is updated.

    update_ratios: None, or a float64 array of shape (len(data),) that
    receives the lecture's update:data ratio of each parameter,
    log10(lr * grad.std() / data.std()) with unbiased stds and data after the
    update, measured in the same pass as the update (nearly free).
    """
    data, grads = list(data), list(grads)
    if len(data) != len(grads):
        raise ValueError(f"data and grads must have the same length, got {len(data)} "
                         f"and {len(grads)}")
    cdef double rate = _real(lr, "lr")
    if not isfinite(rate):
        raise ValueError(f"lr must be finite, got {lr!r}")
    cdef cnp.ndarray ratios = None
    if update_ratios is not None:
        if not isinstance(update_ratios, np.ndarray) or update_ratios.dtype != np.float64:
            raise TypeError("update_ratios must be a float64 numpy.ndarray")
        if update_ratios.shape != (len(data),):
            raise ValueError(f"update_ratios must have shape ({len(data)},), got "
                             f"{update_ratios.shape}")
        ratios = <cnp.ndarray>update_ratios
    cdef list pairs = []
    cdef bint with_ratios = ratios is not None
    for i in range(len(data)):
        if _plain_pair(data[i], grads[i], with_ratios):
            pairs.append((data[i], grads[i]))
        else:
            pairs.append(_checked_pair(data[i], grads[i], i, with_ratios))
    cdef cnp.ndarray target, d, g
    cdef const mmf_kernels *k
    cdef void *pd
    cdef void *pg
    cdef int64_t n
    cdef double ratio
    cdef double *pr = &ratio if ratios is not None else NULL
    for i, (target, g) in enumerate(pairs):
        d = _contiguous(target)
        k = _kernels(d)
        pd, pg, n = cnp.PyArray_DATA(d), cnp.PyArray_DATA(g), cnp.PyArray_SIZE(d)
        if n == 0:
            continue
        if _overlap(target, grads[i]):
            # A gradient sharing memory with its data (the kernel's pointers are
            # `restrict`): NumPy's update, which the reference defines.
            target += -rate * grads[i]
            if ratios is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratios[i] = np.log10(abs(rate) * np.std(grads[i], ddof=1, dtype=np.float64)
                                         / np.std(target, ddof=1, dtype=np.float64))
            continue
        with nogil:
            k.sgd_update(pd, pg, n, rate, pr)
        if d is not target:                 # updated in a contiguous copy
            target[...] = d
        if ratios is not None:
            ratios[i] = ratio


cdef inline bint _plain_pair(object data, object grad, bint with_ratio):
    """Whether a pair passes every check of _checked_pair as it is, and needs
    no copy: the common case, checked without formatting the names that only
    an error message needs (they were most of a 19-parameter update's time)."""
    if not (isinstance(data, cnp.ndarray) and isinstance(grad, cnp.ndarray)):
        return False
    cdef cnp.ndarray d = <cnp.ndarray>data
    cdef cnp.ndarray g = <cnp.ndarray>grad
    return (_is_float(d) and cnp.PyArray_TYPE(g) == cnp.PyArray_TYPE(d)
            and cnp.PyArray_ISCARRAY(d) and cnp.PyArray_ISNOTSWAPPED(d)
            and cnp.PyArray_ISCARRAY_RO(g) and cnp.PyArray_ISNOTSWAPPED(g)
            and cnp.PyArray_SAMESHAPE(d, g) and (not with_ratio or cnp.PyArray_SIZE(d) >= 2))


cdef tuple _checked_pair(object data, object grad, Py_ssize_t i, bint with_ratio):
    """(data[i], grads[i]) checked, the gradient as a C-contiguous native array
    (a copy if it is not one), or the error that names the argument."""
    cdef cnp.ndarray d = _ndarray(data, f"data[{i}]")
    if not _is_float(d):
        raise TypeError(f"data[{i}] must have dtype float32 or float64, got {d.dtype}")
    if not cnp.PyArray_ISWRITEABLE(d):
        raise ValueError(f"data[{i}] is read-only, but it is updated in place")
    cdef cnp.ndarray g = _float_array(grad, f"grads[{i}]", d.ndim, d, f"data[{i}]")
    if (<object>g).shape != (<object>d).shape:
        raise ValueError(f"grads[{i}] must have the shape of data[{i}] "
                         f"{(<object>d).shape}, got {(<object>g).shape}")
    if with_ratio and d.size < 2:
        raise ValueError(f"data[{i}] has {d.size} element(s): an update:data ratio "
                         f"needs a std over at least 2")
    return d, g


cdef inline bint _overlap(cnp.ndarray a, cnp.ndarray b):
    """Whether the memory spans of two arrays (any strides) overlap."""
    cdef char *lo_a
    cdef char *hi_a
    cdef char *lo_b
    cdef char *hi_b
    _span(a, &lo_a, &hi_a)
    _span(b, &lo_b, &hi_b)
    return lo_a < hi_b and lo_b < hi_a


cdef inline void _span(cnp.ndarray a, char **lo, char **hi):
    """[lo, hi): the bytes an array's elements can occupy."""
    cdef char *start = <char *>cnp.PyArray_DATA(a)
    cdef Py_ssize_t low = 0, high = cnp.PyArray_ITEMSIZE(a), step
    cdef int k
    for k in range(a.ndim):
        if a.shape[k] == 0:
            lo[0] = hi[0] = start
            return
        step = (a.shape[k] - 1) * a.strides[k]
        if step < 0:
            low += step
        else:
            high += step
    lo[0] = start + low
    hi[0] = start + high
