# Included by ops.pyx: Linear (+ tanh), csrc/linear.inc.

cdef class LinearCache:
    """What linear_backward needs from linear_forward (opaque)."""
    cdef readonly cnp.ndarray x, weight, out, stats
    cdef readonly bint has_bias, act_tanh


cdef tuple _linear_operands(object x, object weight, object bias):
    """Checked C-contiguous x (B, K), weight (K, N), bias (N,) or None."""
    cdef cnp.ndarray xa = _float_array(x, "x", 2)
    cdef cnp.ndarray w = _float_array(weight, "weight", 2, xa, "x")
    _dim(xa.shape[0], "the batch (x's first dimension)")
    _dim(xa.shape[1], "x's second dimension")
    if w.shape[0] != xa.shape[1]:
        raise ValueError(f"weight must have shape (K, N) with K = x.shape[1] = "
                         f"{xa.shape[1]}, got {(<object>w).shape}")
    _dim(w.shape[1], "weight's second dimension")
    cdef cnp.ndarray b = None if bias is None else _vector(bias, "bias", xa, w.shape[1])
    return xa, w, b


cdef cnp.ndarray _dout(object dout, cnp.ndarray out):
    """dout checked against the forward's output (same dtype and shape)."""
    cdef cnp.ndarray g = _float_array(dout, "dout", 2, out, "the forward's output")
    if g.shape[0] != out.shape[0] or g.shape[1] != out.shape[1]:
        raise ValueError(f"dout must have the forward output's shape "
                         f"{(<object>out).shape}, got {(<object>g).shape}")
    return g


def linear_forward(x, weight, bias=None, activation=None, *, stats=None,
                   saturation=SATURATION_THRESHOLD):
    """x (B, K) @ weight (K, N) (+ bias (N,)) (then tanh) -> out (B, N), cache.

    stats: None, or a float64 array of shape (5,) that the forward adds
    [sum out, sum out^2, count |out| > saturation] to, and the backward
    [sum dout, sum dout^2] (see STATS_FIELDS and track_stats).
    """
    cdef bint act = _act_tanh(activation)
    cdef cnp.ndarray st = _stats_array(stats, saturation)
    cdef cnp.ndarray xa, w, b
    xa, w, b = _linear_operands(x, weight, bias)
    cdef int B = <int>xa.shape[0], K = <int>xa.shape[1], N = <int>w.shape[1]
    cdef cnp.ndarray out = _empty2(B, N, cnp.PyArray_TYPE(xa))
    cdef const mmf_kernels *k = _kernels(xa)
    cdef void *px = _ptr(xa)
    cdef void *pw = _ptr(w)
    cdef void *pb = _ptr(b)
    cdef void *po = _ptr(out)
    with nogil:
        k.linear_forward(px, pw, pb, po, B, K, N, act)
    _add_out_stats(st, out, saturation)
    cdef LinearCache cache = LinearCache.__new__(LinearCache)
    cache.x, cache.weight, cache.out, cache.stats = xa, w, out, st
    cache.has_bias, cache.act_tanh = b is not None, act
    return out, cache


def linear_backward(dout, cache):
    """dout (B, N) -> dx (B, K), dweight (K, N), dbias (N,) or None."""
    if not isinstance(cache, LinearCache):
        raise TypeError(f"cache must come from ops.linear_forward, got "
                        f"{type(cache).__name__}")
    cdef LinearCache c = <LinearCache>cache
    cdef cnp.ndarray g = _dout(dout, c.out)
    cdef int B = <int>c.x.shape[0], K = <int>c.x.shape[1], N = <int>c.weight.shape[1]
    cdef int typenum = cnp.PyArray_TYPE(g)
    cdef cnp.ndarray dx = _empty2(B, K, typenum)
    cdef cnp.ndarray dw = _empty2(K, N, typenum)
    cdef cnp.ndarray db = _empty1(N, typenum) if c.has_bias else None
    cdef cnp.ndarray work = _empty2(B, N, typenum) if c.act_tanh else None
    cdef const mmf_kernels *k = _kernels(g)
    cdef void *pg = _ptr(g)
    cdef void *px = _ptr(c.x)
    cdef void *pw = _ptr(c.weight)
    cdef void *po = _ptr(c.out)
    cdef void *pk = _ptr(work)
    cdef void *pdx = _ptr(dx)
    cdef void *pdw = _ptr(dw)
    cdef void *pdb = _ptr(db)
    cdef bint act = c.act_tanh
    with nogil:
        k.linear_backward(pg, px, pw, po, pk, pdx, pdw, pdb, B, K, N, act)
    _add_grad_stats(c.stats, g)
    return dx, dw, db
