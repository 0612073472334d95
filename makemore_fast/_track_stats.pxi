# Included by ops.pyx: the per-step statistics of `stats=` (csrc/track_stats.inc).
# A float64 accumulator of 5 (STATS_FIELDS) gets [sum out, sum out^2, count
# |out| > saturation] from each forward and [sum dout, sum dout^2] from each
# backward: the lecture's activation and gradient views at every step.


cdef void _add_stats(cnp.ndarray a, double threshold, double *acc, bint with_count):
    """acc += [sum a, sum a^2] (and count |a| > threshold if with_count): one pass in C."""
    cdef double m[3]
    cdef const mmf_kernels *k = _kernels(a)
    cdef void *pa = cnp.PyArray_DATA(a)
    cdef int64_t n = cnp.PyArray_SIZE(a)
    m[0] = m[1] = m[2] = 0.0
    with nogil:
        k.track_stats(pa, n, threshold, m)
    acc[0] += m[0]
    acc[1] += m[1]
    if with_count:
        acc[2] += m[2]


cdef inline void _add_out_stats(cnp.ndarray stats, cnp.ndarray out, double saturation):
    if stats is not None:
        _add_stats(out, saturation, <double *>cnp.PyArray_DATA(stats), True)


cdef inline void _add_grad_stats(cnp.ndarray stats, cnp.ndarray dout):
    if stats is not None:
        _add_stats(dout, 0.0, <double *>cnp.PyArray_DATA(stats) + 3, False)


def track_stats(stats, out=None, dout=None, saturation=SATURATION_THRESHOLD):
    """Add an output's and/or its gradient's statistics into `stats`, in place.

    stats: float64 (5,) (see STATS_FIELDS); out, dout: float arrays of any
    shape, or None.  What the forwards and backwards do with `stats=`, for
    values computed elsewhere (a standalone Tanh layer).
    """
    cdef cnp.ndarray st = _stats_array(stats, saturation)
    if st is None:
        raise TypeError("stats must be a numpy.ndarray, got None")
    cdef cnp.ndarray o = None if out is None else _float_array(out, "out", np.ndim(out))
    cdef cnp.ndarray g = None if dout is None else _float_array(dout, "dout", np.ndim(dout))
    if o is not None:
        _add_out_stats(st, o, _real(saturation, "saturation"))
    if g is not None:
        _add_grad_stats(st, g)
