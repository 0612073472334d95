# cython: language_level=3
"""makemore_fast.ops: the C kernels, with the signatures of makemore_fast.reference.

Each function checks its arguments (a clear exception naming the argument;
nothing is modified when one is raised), makes C-contiguous native-endian
views or copies where the input is strided, Fortran-ordered or byte-swapped,
dispatches on float32/float64 and releases the GIL around the kernel.

A forward's `cache` keeps references to its inputs and outputs (not copies):
as with torch's autograd, do not modify them in place before the backward.
"""
import numbers

import numpy as np

cimport numpy as cnp
from libc.math cimport fabs, log10, sqrt
from libc.stdint cimport int64_t
from scipy.linalg.cython_blas cimport dgemm, sgemm

from makemore_fast._kernels cimport *

cnp.import_array()
mmf_set_blas(<mmf_sgemm_fn>sgemm, <mmf_dgemm_fn>dgemm)

cdef Py_ssize_t _INT_MAX = 2**31 - 1


# ---------------------------------------------------------------------------
# argument checks

cdef cnp.ndarray _float_array(object a, str name, int ndim, cnp.ndarray like=None,
                              str like_name=None):
    """`a` as a C-contiguous native float array of `ndim` dims (dtype of `like`)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    cdef int t = cnp.PyArray_TYPE(arr)
    if t != cnp.NPY_FLOAT32 and t != cnp.NPY_FLOAT64:
        raise TypeError(f"{name} must have dtype float32 or float64, got {arr.dtype}")
    if like is not None and t != cnp.PyArray_TYPE(like):
        raise TypeError(f"{name} has dtype {arr.dtype} but {like_name} has dtype "
                        f"{like.dtype}: mixed float dtypes are not supported")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {(<object>arr).shape}")
    return _contiguous(arr)


cdef cnp.ndarray _index_array(object a, str name, int ndim):
    """`a` as a C-contiguous int64 array of `ndim` dims."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
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
    """A real-number scalar argument as a double, or a TypeError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


cdef inline bint _act_tanh(object activation) except -1:
    if activation is None:
        return False
    if isinstance(activation, str) and activation == "tanh":
        return True
    raise ValueError(f"activation must be 'tanh' or None, got {activation!r}")


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


# ---------------------------------------------------------------------------
# diagnostics accumulated by the kernels (stats=...)

STATS_FIELDS = ("out_sum", "out_sumsq", "out_saturated", "grad_sum", "grad_sumsq")


cdef cnp.ndarray _stats_array(object stats, object saturation):
    """The caller's accumulator: float64 (5,) C-contiguous and writable, or None."""
    if stats is None:
        return None
    if not isinstance(stats, np.ndarray):
        raise TypeError(f"stats must be a numpy.ndarray, got {type(stats).__name__}")
    cdef cnp.ndarray st = <cnp.ndarray>stats
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


cdef void _add_moments(cnp.ndarray a, double threshold, double *acc, bint with_count):
    """acc += [sum a, sum a^2] (and count |a| > threshold if with_count): one pass in C."""
    cdef double m[3]
    cdef void *pa = cnp.PyArray_DATA(a)
    cdef int64_t n = cnp.PyArray_SIZE(a)
    m[0] = m[1] = m[2] = 0.0
    with nogil:
        if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32:
            mmf_accumulate_moments_f32(<float *>pa, n, threshold, m)
        else:
            mmf_accumulate_moments_f64(<double *>pa, n, threshold, m)
    acc[0] += m[0]
    acc[1] += m[1]
    if with_count:
        acc[2] += m[2]


cdef inline void _track_out(cnp.ndarray stats, cnp.ndarray out, double saturation):
    if stats is not None:
        _add_moments(out, saturation, <double *>cnp.PyArray_DATA(stats), True)


cdef inline void _track_grad(cnp.ndarray stats, cnp.ndarray dout):
    if stats is not None:
        _add_moments(dout, 0.0, <double *>cnp.PyArray_DATA(stats) + 3, False)


# ---------------------------------------------------------------------------
# embedding

def embedding_forward(table, idx):
    """table (V, E), idx (B, T) integer -> (B, T*E): the lecture's C[Xb].view(B, -1)."""
    cdef cnp.ndarray tab = _float_array(table, "table", 2)
    cdef cnp.ndarray ix = _index_array(idx, "idx", 2)
    cdef int V = _dim(tab.shape[0], "table's first dimension")
    cdef int E = _dim(tab.shape[1], "table's second dimension")
    cdef int B = _dim(ix.shape[0], "idx's batch dimension")
    cdef int T = _dim(ix.shape[1], "idx's context dimension")
    _dim(<Py_ssize_t>T * E, "T*E")
    _check_indices(ix, V, "idx", "a table of rows")
    cdef int typenum = cnp.PyArray_TYPE(tab)
    cdef cnp.ndarray out = _empty2(B, <Py_ssize_t>T * E, typenum)
    cdef void *pt = _ptr(tab)
    cdef const int64_t *pi = <const int64_t *>_ptr(ix)
    cdef void *po = _ptr(out)
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            mmf_embedding_forward_f32(<float *>pt, pi, <float *>po, B, T, E)
        else:
            mmf_embedding_forward_f64(<double *>pt, pi, <double *>po, B, T, E)
    return out


def embedding_backward(dout, idx, num_embeddings):
    """dout (B, T*E), idx (B, T) -> dtable (num_embeddings, E); repeats accumulate."""
    cdef cnp.ndarray g = _float_array(dout, "dout", 2)
    cdef cnp.ndarray ix = _index_array(idx, "idx", 2)
    try:
        V_ = int(num_embeddings.__index__())
    except AttributeError:
        raise TypeError(f"num_embeddings must be an integer, got "
                        f"{type(num_embeddings).__name__}") from None
    if V_ < 1:
        raise ValueError(f"num_embeddings must be >= 1, got {V_}")
    cdef int V = _dim(V_, "num_embeddings")
    cdef int B = _dim(ix.shape[0], "idx's batch dimension")
    cdef int T = _dim(ix.shape[1], "idx's context dimension")
    if g.shape[0] != B or g.shape[1] % T != 0 or g.shape[1] == 0:
        raise ValueError(f"dout must have shape (B, T*E) = ({B}, {T}*E) for idx of shape "
                         f"{(<object>ix).shape}, got {(<object>g).shape}")
    cdef int E = <int>(g.shape[1] // T)
    _check_indices(ix, V, "idx", "num_embeddings")
    cdef int typenum = cnp.PyArray_TYPE(g)
    cdef cnp.ndarray dtable = _empty2(V, E, typenum)
    cdef void *pg = _ptr(g)
    cdef const int64_t *pi = <const int64_t *>_ptr(ix)
    cdef void *pd = _ptr(dtable)
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            mmf_embedding_backward_f32(<float *>pg, pi, <float *>pd, B, T, E, V)
        else:
            mmf_embedding_backward_f64(<double *>pg, pi, <double *>pd, B, T, E, V)
    return dtable


# ---------------------------------------------------------------------------
# Linear (+ tanh)

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
    cdef cnp.ndarray b = None
    if bias is not None:
        b = _float_array(bias, "bias", 1, xa, "x")
        _check_vector(b, "bias", w.shape[1])
    return xa, w, b


def linear_forward(x, weight, bias=None, activation=None, *, stats=None,
                   saturation=0.97):
    """x (B, K) @ weight (K, N) (+ bias (N,)) (then tanh) -> out (B, N), cache.

    stats: None, or a float64 array of shape (5,) that the forward adds
    [sum out, sum out^2, count |out| > saturation] to, and the backward
    [sum dout, sum dout^2] (see STATS_FIELDS): the lecture's activation and
    gradient statistics, accumulated in C at every step for the price of one
    pass over data still in cache.
    """
    cdef bint act = _act_tanh(activation)
    cdef cnp.ndarray st = _stats_array(stats, saturation)
    cdef cnp.ndarray xa, w, b
    xa, w, b = _linear_operands(x, weight, bias)
    cdef int B = <int>xa.shape[0], K = <int>xa.shape[1], N = <int>w.shape[1]
    cdef int typenum = cnp.PyArray_TYPE(xa)
    cdef cnp.ndarray out = _empty2(B, N, typenum)
    cdef void *px = _ptr(xa)
    cdef void *pw = _ptr(w)
    cdef void *pb = _ptr(b)
    cdef void *po = _ptr(out)
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            mmf_linear_forward_f32(<float *>px, <float *>pw, <float *>pb, <float *>po,
                                   B, K, N, act)
        else:
            mmf_linear_forward_f64(<double *>px, <double *>pw, <double *>pb, <double *>po,
                                   B, K, N, act)
    _track_out(st, out, saturation)
    cdef LinearCache cache = LinearCache.__new__(LinearCache)
    cache.x, cache.weight, cache.out, cache.stats = xa, w, out, st
    cache.has_bias, cache.act_tanh = b is not None, act
    return out, cache


cdef cnp.ndarray _dout(object dout, cnp.ndarray out):
    """dout checked against the forward's output (same dtype and shape)."""
    cdef cnp.ndarray g = _float_array(dout, "dout", 2, out, "the forward's output")
    if g.shape[0] != out.shape[0] or g.shape[1] != out.shape[1]:
        raise ValueError(f"dout must have the forward output's shape "
                         f"{(<object>out).shape}, got {(<object>g).shape}")
    return g


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
        if typenum == cnp.NPY_FLOAT32:
            mmf_linear_backward_f32(<float *>pg, <float *>px, <float *>pw, <float *>po,
                                    <float *>pk, <float *>pdx, <float *>pdw, <float *>pdb,
                                    B, K, N, act)
        else:
            mmf_linear_backward_f64(<double *>pg, <double *>px, <double *>pw,
                                    <double *>po, <double *>pk, <double *>pdx,
                                    <double *>pdw, <double *>pdb, B, K, N, act)
    _track_grad(c.stats, g)
    return dx, dw, db


# ---------------------------------------------------------------------------
# Linear -> BatchNorm1d (-> tanh)

cdef class BatchNormCache:
    """What linear_bn_tanh_backward needs from linear_bn_tanh_forward (opaque).

    pre = x @ weight (without bias); xhat = (pre - shift) * invstd.
    """
    cdef readonly cnp.ndarray x, weight, gamma, pre, shift, invstd, out, stats
    cdef readonly bint training, has_bias, act_tanh


cdef cnp.ndarray _running(object a, str name, cnp.ndarray like, Py_ssize_t n,
                          bint written):
    """A running statistic: checked, C-contiguous; writable if it is `written`."""
    cdef cnp.ndarray r = _float_array(a, name, 1, like, "x")
    _check_vector(r, name, n)
    if written and not (<cnp.ndarray>a).flags.writeable:
        raise ValueError(f"{name} is read-only, but training updates it in place")
    return r


def linear_bn_tanh_forward(x, weight, gamma, beta, running_mean, running_var, *,
                           bias=None, training=True, momentum=0.1, eps=1e-5,
                           activation="tanh", stats=None, saturation=0.97):
    """Linear -> BatchNorm1d -> tanh (or no activation) -> out (B, N), cache.

    x (B, K), weight (K, N), bias (N,) or None, gamma, beta, running_mean,
    running_var (N,).  Training normalises with the batch mean and biased
    variance and updates running_mean / running_var IN PLACE as
    torch.nn.BatchNorm1d does (unbiased variance for running_var); eval uses
    the running statistics and changes nothing.  stats, saturation: as in
    linear_forward.
    """
    cdef bint act = _act_tanh(activation)
    cdef cnp.ndarray st = _stats_array(stats, saturation)
    cdef bint train = bool(training)
    cdef double mom = _real(momentum, "momentum"), epsilon = _real(eps, "eps")
    if not 0.0 <= mom <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    if not 0.0 <= epsilon < float("inf"):
        raise ValueError(f"eps must be finite and >= 0, got {eps!r}")
    cdef cnp.ndarray xa, w, b
    xa, w, b = _linear_operands(x, weight, bias)
    cdef int B = <int>xa.shape[0], K = <int>xa.shape[1], N = <int>w.shape[1]
    if train and B < 2:
        raise ValueError(f"Expected more than 1 value per channel when training, got "
                         f"x of shape {(<object>xa).shape}: BatchNorm needs a batch of "
                         f"at least 2 (use training=False for a single example)")
    cdef cnp.ndarray g = _float_array(gamma, "gamma", 1, xa, "x")
    _check_vector(g, "gamma", N)
    cdef cnp.ndarray be = _float_array(beta, "beta", 1, xa, "x")
    _check_vector(be, "beta", N)
    cdef cnp.ndarray rm = _running(running_mean, "running_mean", xa, N, train)
    cdef cnp.ndarray rv = _running(running_var, "running_var", xa, N, train)

    cdef int typenum = cnp.PyArray_TYPE(xa)
    cdef cnp.ndarray pre = _empty2(B, N, typenum)
    cdef cnp.ndarray out = _empty2(B, N, typenum)
    cdef cnp.ndarray shift = _empty1(N, typenum)
    cdef cnp.ndarray invstd = _empty1(N, typenum)
    cdef void *px = _ptr(xa)
    cdef void *pw = _ptr(w)
    cdef void *pb = _ptr(b)
    cdef void *pg = _ptr(g)
    cdef void *pbe = _ptr(be)
    cdef void *prm = _ptr(rm)
    cdef void *prv = _ptr(rv)
    cdef void *ppre = _ptr(pre)
    cdef void *psh = _ptr(shift)
    cdef void *pis = _ptr(invstd)
    cdef void *po = _ptr(out)
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            mmf_linear_bn_forward_f32(<float *>px, <float *>pw, <float *>pb, <float *>pg,
                                      <float *>pbe, <float *>prm, <float *>prv,
                                      <float *>ppre, <float *>psh, <float *>pis,
                                      <float *>po, B, K, N, train, mom, epsilon, act)
        else:
            mmf_linear_bn_forward_f64(<double *>px, <double *>pw, <double *>pb,
                                      <double *>pg, <double *>pbe, <double *>prm,
                                      <double *>prv, <double *>ppre, <double *>psh,
                                      <double *>pis, <double *>po, B, K, N, train, mom,
                                      epsilon, act)
    # A strided or byte-swapped running statistic was updated in a copy.
    if train and rm is not running_mean:
        running_mean[...] = rm
    if train and rv is not running_var:
        running_var[...] = rv

    _track_out(st, out, saturation)
    cdef BatchNormCache cache = BatchNormCache.__new__(BatchNormCache)
    cache.x, cache.weight, cache.gamma, cache.stats = xa, w, g, st
    cache.pre, cache.shift, cache.invstd, cache.out = pre, shift, invstd, out
    cache.training, cache.has_bias, cache.act_tanh = train, b is not None, act
    return out, cache


def linear_bn_tanh_backward(dout, cache):
    """dout (B, N) -> dx (B, K), dweight (K, N), dbias (N,) or None, dgamma, dbeta."""
    if not isinstance(cache, BatchNormCache):
        raise TypeError(f"cache must come from ops.linear_bn_tanh_forward, got "
                        f"{type(cache).__name__}")
    cdef BatchNormCache c = <BatchNormCache>cache
    cdef cnp.ndarray g = _dout(dout, c.out)
    cdef int B = <int>c.x.shape[0], K = <int>c.x.shape[1], N = <int>c.weight.shape[1]
    cdef int typenum = cnp.PyArray_TYPE(g)
    cdef cnp.ndarray dx = _empty2(B, K, typenum)
    cdef cnp.ndarray dw = _empty2(K, N, typenum)
    cdef cnp.ndarray db = _empty1(N, typenum) if c.has_bias else None
    cdef cnp.ndarray dgamma = _empty1(N, typenum)
    cdef cnp.ndarray dbeta = _empty1(N, typenum)
    cdef cnp.ndarray dpre = _empty2(B, N, typenum)
    cdef void *pg = _ptr(g)
    cdef void *px = _ptr(c.x)
    cdef void *pw = _ptr(c.weight)
    cdef void *pga = _ptr(c.gamma)
    cdef void *ppre = _ptr(c.pre)
    cdef void *psh = _ptr(c.shift)
    cdef void *pis = _ptr(c.invstd)
    cdef void *po = _ptr(c.out)
    cdef void *pdp = _ptr(dpre)
    cdef void *pdx = _ptr(dx)
    cdef void *pdw = _ptr(dw)
    cdef void *pdb = _ptr(db)
    cdef void *pdg = _ptr(dgamma)
    cdef void *pdbe = _ptr(dbeta)
    cdef bint train = c.training, act = c.act_tanh
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            mmf_linear_bn_backward_f32(<float *>pg, <float *>px, <float *>pw, <float *>pga,
                                       <float *>ppre, <float *>psh, <float *>pis,
                                       <float *>po, <float *>pdp, <float *>pdx,
                                       <float *>pdw, <float *>pdb, <float *>pdg,
                                       <float *>pdbe, B, K, N, train, act)
        else:
            mmf_linear_bn_backward_f64(<double *>pg, <double *>px, <double *>pw,
                                       <double *>pga, <double *>ppre, <double *>psh,
                                       <double *>pis, <double *>po, <double *>pdp,
                                       <double *>pdx, <double *>pdw, <double *>pdb,
                                       <double *>pdg, <double *>pdbe, B, K, N, train, act)
    _track_grad(c.stats, g)
    return dx, dw, db, dgamma, dbeta


# ---------------------------------------------------------------------------
# softmax cross-entropy

def cross_entropy(logits, targets):
    """logits (B, V), targets (B,) integer -> (mean loss as float, dlogits (B, V))."""
    cdef cnp.ndarray lg = _float_array(logits, "logits", 2)
    cdef cnp.ndarray tg = _index_array(targets, "targets", 1)
    cdef int B = _dim(lg.shape[0], "the batch (logits' first dimension)")
    cdef int V = _dim(lg.shape[1], "logits' second dimension")
    if tg.shape[0] != B:
        raise ValueError(f"targets must have shape ({B},) to match logits "
                         f"{(<object>lg).shape}, got {(<object>tg).shape}")
    _check_indices(tg, V, "targets", "logits with classes")
    cdef int typenum = cnp.PyArray_TYPE(lg)
    cdef cnp.ndarray dlogits = _empty2(B, V, typenum)
    cdef void *pl = _ptr(lg)
    cdef const int64_t *pt = <const int64_t *>_ptr(tg)
    cdef void *pd = _ptr(dlogits)
    cdef double loss
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            loss = mmf_cross_entropy_f32(<float *>pl, pt, <float *>pd, B, V)
        else:
            loss = mmf_cross_entropy_f64(<double *>pl, pt, <double *>pd, B, V)
    return loss, dlogits


# ---------------------------------------------------------------------------
# SGD

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
    if not abs(rate) < float("inf"):
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
    cdef cnp.ndarray d, g
    for i in range(len(data)):
        if not isinstance(data[i], np.ndarray):
            raise TypeError(f"data[{i}] must be a numpy.ndarray, got "
                            f"{type(data[i]).__name__}")
        d = <cnp.ndarray>data[i]
        if cnp.PyArray_TYPE(d) != cnp.NPY_FLOAT32 and cnp.PyArray_TYPE(d) != cnp.NPY_FLOAT64:
            raise TypeError(f"data[{i}] must have dtype float32 or float64, got {d.dtype}")
        if not d.flags.writeable:
            raise ValueError(f"data[{i}] is read-only, but it is updated in place")
        g = _float_array(grads[i], f"grads[{i}]", d.ndim, d, f"data[{i}]")
        if (<object>g).shape != (<object>d).shape:
            raise ValueError(f"grads[{i}] must have the shape of data[{i}] "
                             f"{(<object>d).shape}, got {(<object>g).shape}")
        if ratios is not None and d.size < 2:
            raise ValueError(f"data[{i}] has {d.size} element(s): an update:data ratio "
                             f"needs a std over at least 2")
        pairs.append((d, g))
    cdef cnp.ndarray target
    cdef void *pd
    cdef void *pg
    cdef int64_t n
    cdef double m[4]
    cdef double *pm = m if ratios is not None else NULL
    for i, (target, g) in enumerate(pairs):
        d = _contiguous(target)
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
            if cnp.PyArray_TYPE(d) == cnp.NPY_FLOAT32:
                mmf_sgd_update_f32(<float *>pd, <float *>pg, n, <float>rate, pm)
            else:
                mmf_sgd_update_f64(<double *>pd, <double *>pg, n, rate, pm)
        if d is not target:                 # updated in a contiguous copy
            target[...] = d
        if ratios is not None:
            ratios[i] = _log10_ratio(rate, m, n)


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


cdef double _log10_ratio(double rate, double *m, int64_t n):
    """log10(|lr| * std(grad) / std(data)) from sgd.inc's shifted sums."""
    cdef double var_g = max((m[1] - m[0] * m[0] / n) / (n - 1), 0.0)
    cdef double var_d = max((m[3] - m[2] * m[2] / n) / (n - 1), 0.0)
    return log10(fabs(rate) * sqrt(var_g)) - 0.5 * log10(var_d)


include "train_steps.pxi"
