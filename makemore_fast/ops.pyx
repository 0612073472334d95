# cython: language_level=3
"""makemore_fast.ops: the C kernels, with the signatures of makemore_fast.reference.

Each function checks its arguments (a clear exception naming the argument;
nothing is modified when one is raised), makes C-contiguous native-endian
views or copies where the input is strided, Fortran-ordered or byte-swapped,
picks the kernels of the arrays' dtype and releases the GIL around the kernel.

A forward's `cache` keeps references to its inputs and outputs (not copies):
as with torch's autograd, do not modify them in place before the backward.

The kernels are compiled for several instruction-set levels; the CPU's best
runs unless the environment variable MMF_CPU (baseline, avx2 or avx512), read
at import, asks for another: `cpu_level()` says which.
"""
import numbers
import os
import warnings

import numpy as np

cimport numpy as cnp
from libc.math cimport isfinite
from libc.stdint cimport int64_t
from scipy.linalg.cython_blas cimport dgemm, sgemm

from makemore_fast._kernels cimport *

from makemore_fast.constants import SATURATION_THRESHOLD

cnp.import_array()
mmf_set_blas(<mmf_sgemm_fn>sgemm, <mmf_dgemm_fn>dgemm)

# The per-step statistics that `stats=` accumulates, in order.
STATS_FIELDS = ("out_sum", "out_sumsq", "out_saturated", "grad_sum", "grad_sumsq")

include "_checks.pxi"


# ---------------------------------------------------------------------------
# the kernels of a dtype, at the level in use

CPU_LEVELS = ("baseline", "avx2", "avx512")


cdef inline const mmf_kernels *_kernels(cnp.ndarray like):
    """The kernel table for `like`'s float dtype: the one dtype dispatch."""
    if cnp.PyArray_TYPE(like) == cnp.NPY_FLOAT32:
        return mmf_kernels_f32()
    return mmf_kernels_f64()


def cpu_level():
    """The instruction-set level the kernels run at: "baseline", "avx2" or "avx512"."""
    return CPU_LEVELS[mmf_cpu_level()]


def unpacked_products():
    """Whether small float32 products run the kernels' own unpacked product
    (every product of the lecture's net at batch 32), or every product goes
    to BLAS (False: the portable build, MMF_PORTABLE=1 or MSVC)."""
    return bool(mmf_unpacked_products())


_OPS_HELPER_MODES = (None, True, False)   # MMF_SIDE_TIMED, _ALWAYS, _NEVER


def _ops_helper(mode):
    """Set whether the ops' small split products (a fused block's forward,
    a backward's dW beside dx) use the shared helper thread: None by timing
    both (the default), True whenever it is free and awake, False never.
    Process-wide; returns the previous setting (threads.ops_helper)."""
    if not (mode is None or isinstance(mode, bool)):
        raise TypeError(f"mode must be None, True or False, got {mode!r}")
    previous = _OPS_HELPER_MODES[mmf_side_get_mode()]
    mmf_side_set_mode(MMF_SIDE_TIMED if mode is None else
                      MMF_SIDE_ALWAYS if mode else MMF_SIDE_NEVER)
    return previous


def _choose_cpu_level(requested):
    """Use the level MMF_CPU names, or the best the CPU has (with a warning if
    it names one the CPU lacks, or none at all)."""
    best = mmf_cpu_best_level()
    if not requested:
        mmf_set_cpu_level(best)
        return
    if requested not in CPU_LEVELS:
        warnings.warn(f"MMF_CPU={requested!r} is not one of {', '.join(CPU_LEVELS)}: "
                      f"using {CPU_LEVELS[best]}", RuntimeWarning, stacklevel=2)
        mmf_set_cpu_level(best)
        return
    level = CPU_LEVELS.index(requested)
    if level > best:
        warnings.warn(f"MMF_CPU={requested}: this CPU (or build) has no {requested}; "
                      f"using {CPU_LEVELS[best]}", RuntimeWarning, stacklevel=2)
    mmf_set_cpu_level(level)


_choose_cpu_level(os.environ.get("MMF_CPU", "").strip().lower())


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
    cdef cnp.ndarray out = _empty2(B, <Py_ssize_t>T * E, cnp.PyArray_TYPE(tab))
    cdef const mmf_kernels *k = _kernels(tab)
    cdef void *pt = _ptr(tab)
    cdef const int64_t *pi = <const int64_t *>_ptr(ix)
    cdef void *po = _ptr(out)
    with nogil:
        k.embedding_forward(pt, pi, po, B, T, E)
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
    cdef cnp.ndarray dtable = _empty2(V, E, cnp.PyArray_TYPE(g))
    cdef const mmf_kernels *k = _kernels(g)
    cdef void *pg = _ptr(g)
    cdef const int64_t *pi = <const int64_t *>_ptr(ix)
    cdef void *pd = _ptr(dtable)
    with nogil:
        k.embedding_backward(pg, pi, pd, B, T, E, V)
    return dtable


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
    cdef cnp.ndarray dlogits = _empty2(B, V, cnp.PyArray_TYPE(lg))
    cdef const mmf_kernels *k = _kernels(lg)
    cdef void *pl = _ptr(lg)
    cdef const int64_t *pt = <const int64_t *>_ptr(tg)
    cdef void *pd = _ptr(dlogits)
    cdef double loss
    with nogil:
        loss = k.cross_entropy(pl, pt, pd, B, V)
    return loss, dlogits


include "_track_stats.pxi"
include "_linear.pxi"
include "_batchnorm.pxi"
include "_sgd_update.pxi"
include "_train_steps.pxi"
