# Included by ops.pyx: whole SGD steps in one C call (csrc/train_steps.inc).

import threading

from cpython.mem cimport PyMem_Free, PyMem_Malloc


cdef class TrainSteps:
    """Whole SGD steps of Embedding -> blocks -> cross-entropy, in C.

    TrainSteps(table, blocks, X, Y, batch_size)

    table: the embedding table (V, E); blocks: a sequence of
    (weight (K, N), bias (N,) or None, batchnorm, activation, stats), with
    batchnorm None or (gamma, beta, running_mean, running_var, momentum, eps,
    unbiased) in training mode and stats None or (accumulator, saturation):
    the `stats=` and `saturation=` of the ops forwards and backwards; X (n, T)
    and Y (n,) integer: the examples.  Parameters and running statistics are
    updated in place, so they must be C-contiguous, writable, native arrays
    of one float dtype, none sharing memory with another.

    `run(rows, lr, loss, ratios=None, helper=None)` makes len(lr) steps:
    step s trains on the examples rows[s] (batch_size,) with learning rate
    lr[s], and writes its mean cross-entropy to loss[s] and, with `ratios`
    (steps, n_parameters) float64, the update:data ratios of ops.sgd_update
    (parameters in Sequential.parameters() order).  `helper`: whether the
    steps split over a second thread (float32 nets whose products take the
    unpacked kernel, with 2 kernel threads or more): None chooses round by
    round by timing, True splits every step, False none.  The parameters
    come out bit-identical to the same steps through the ops one by one,
    whatever `helper`.  Calls of `run` from several threads take turns (the
    workspaces are shared).
    """
    cdef mmf_net net
    cdef const mmf_kernels *kernels
    cdef readonly int n_parameters
    cdef Py_ssize_t smallest           # elements in the smallest parameter
    cdef list keep                  # every array the pointers in `net` point into
    cdef list inplace               # those of them updated in place (the caller's)
    cdef cnp.ndarray X, Y
    cdef object lock                # one run at a time: the workspaces are shared

    def __cinit__(self):
        self.net.blocks = NULL

    def __init__(self, table, blocks, X, Y, batch_size):
        self.keep, self.inplace, self.smallest = [], [], _INT_MAX
        self.lock = threading.Lock()
        blocks = list(blocks)
        if not blocks:
            raise ValueError("blocks is empty: the network needs at least one Linear")
        cdef cnp.ndarray tab = self._param(table, "table", 2, None)
        self.kernels = _kernels(tab)
        self.X = _index_array(X, "X", 2)
        self.Y = _index_array(Y, "Y", 1)
        cdef int B = _dim(checked_batch(batch_size), "batch_size")
        cdef int T = _dim(self.X.shape[1], "X's second dimension")
        cdef int V = _dim(tab.shape[0], "the vocabulary (table's rows)")
        cdef int E = _dim(tab.shape[1], "the embedding size (table's columns)")
        if self.Y.shape[0] != self.X.shape[0]:
            raise ValueError(f"X has {self.X.shape[0]} rows but Y has {self.Y.shape[0]}")
        _check_indices(self.X, V, "X", "an embedding table with rows")
        self.net.B, self.net.T, self.net.E, self.net.V = B, T, E, V
        self.net.table = _ptr(tab)
        self.net.dtable = self._work((V, E))
        self.net.emb = self._work((B, T * E))
        self.net.idx = <int64_t *>self._work((B, T), np.int64)
        self.net.targets = <int64_t *>self._work((B,), np.int64)
        self.net.row_loss = <double *>self._work((B,), np.float64)
        self.net.blocks = <mmf_block *>PyMem_Malloc(len(blocks) * sizeof(mmf_block))
        if self.net.blocks == NULL:
            raise MemoryError()
        self.net.n_blocks = 0
        self.n_parameters = 1
        cdef Py_ssize_t K = T * E
        for l, spec in enumerate(blocks):
            K = self._block(&self.net.blocks[l], spec, l, K)
            self.net.n_blocks = l + 1
        _check_indices(self.Y, K, "Y", "logits with classes")
        self.net.dlogits = self._work((B, K))

    def __dealloc__(self):
        PyMem_Free(self.net.blocks)

    cdef Py_ssize_t _block(self, mmf_block *k, object spec, int l, Py_ssize_t K) except -1:
        weight, bias, bn, activation, stats = spec
        cdef cnp.ndarray w = self._param(weight, f"blocks[{l}] weight", 2, None)
        if w.shape[0] != K:
            raise ValueError(f"blocks[{l}] weight must have {K} rows (the width of its "
                             f"input), got shape {(<object>w).shape}")
        cdef int N = _dim(w.shape[1], f"blocks[{l}] weight's columns")
        cdef int B = self.net.B
        k.K, k.N = <int>K, N
        k.act_tanh = _act_tanh(activation)
        k.W, k.dW = _ptr(w), self._work((K, N))
        k.bias = k.dbias = NULL
        k.stats = NULL
        if stats is not None:
            accumulator, saturation = stats
            k.stats = <double *>_ptr(_stats_array(accumulator, saturation))
            k.saturation = _real(saturation, "saturation")
            self.keep.append(accumulator)
        self.n_parameters += 1
        if bias is not None:
            k.bias = _ptr(self._param(bias, f"blocks[{l}] bias", 1, N))
            k.dbias = self._work((N,))
            self.n_parameters += 1
        k.out, k.dpre, k.dx = self._work((B, N)), self._work((B, N)), self._work((B, K))
        k.batchnorm = bn is not None
        k.gamma = k.beta = k.running_mean = k.running_var = NULL
        k.unbiased = False
        k.dgamma = k.dbeta = k.pre = k.shift = k.invstd = NULL
        if bn is not None:
            if not isinstance(bn, tuple) or len(bn) != 7:
                raise ValueError(f"blocks[{l}] batchnorm must be None or (gamma, beta, "
                                 f"running_mean, running_var, momentum, eps, unbiased)")
            gamma, beta, rm, rv, momentum, eps, unbiased = bn
            k.unbiased = bool(unbiased)
            k.gamma = _ptr(self._param(gamma, f"blocks[{l}] gamma", 1, N))
            k.beta = _ptr(self._param(beta, f"blocks[{l}] beta", 1, N))
            k.running_mean = _ptr(self._param(rm, f"blocks[{l}] running_mean", 1, N))
            k.running_var = _ptr(self._param(rv, f"blocks[{l}] running_var", 1, N))
            k.momentum, k.eps = _real(momentum, "momentum"), _real(eps, "eps")
            k.dgamma, k.dbeta = self._work((N,)), self._work((N,))
            self.n_parameters += 2
            k.pre, k.shift, k.invstd = self._work((B, N)), self._work((N,)), self._work((N,))
        return N

    cdef cnp.ndarray _param(self, object a, str name, int ndim, object n):
        """An array updated in place (_inplace_array) of the table's dtype, n rows."""
        cdef cnp.ndarray arr = _inplace_array(a, name, ndim,
                                              self.inplace[0] if self.inplace else None,
                                              "the table")
        if n is not None and arr.shape[0] != n:
            raise ValueError(f"{name} has shape {(<object>arr).shape}, expected ({n},)")
        for other in self.inplace:
            if np.may_share_memory(arr, other):
                raise ValueError(f"{name} shares memory with another parameter")
        self.inplace.append(arr)
        self.keep.append(arr)
        self.smallest = min(self.smallest, arr.size)
        return arr

    cdef void *_work(self, tuple shape, dtype=None) except NULL:
        cdef cnp.ndarray a = np.zeros(shape, self.inplace[0].dtype if dtype is None else dtype)
        self.keep.append(a)
        return cnp.PyArray_DATA(a) if a.size else <void *>self   # never NULL

    def run(self, rows, lr, loss, ratios=None, helper=None):
        cdef cnp.ndarray r = _index_array(rows, "rows", 2)
        if helper is not None and not isinstance(helper, bool):
            raise TypeError(f"helper must be None, True or False, got {helper!r}")
        cdef int mode = (MMF_HELPER_AUTO if helper is None else
                         MMF_HELPER_ALWAYS if helper else MMF_HELPER_NEVER)
        cdef cnp.ndarray rates = np.asarray(lr, dtype=np.float64)
        if not isinstance(loss, np.ndarray) or loss.dtype != np.float64 or loss.ndim != 1 \
                or not (<cnp.ndarray>loss).flags.c_contiguous or not loss.flags.writeable:
            raise TypeError("loss must be a writable, contiguous 1-D float64 array")
        cdef cnp.ndarray out = <cnp.ndarray>loss
        if rates.ndim != 1:
            raise ValueError(f"lr must be 1-D (one rate per step), got shape "
                             f"{(<object>rates).shape}")
        rates = np.ascontiguousarray(rates)
        cdef int steps = _dim(rates.shape[0], "lr's length") if rates.shape[0] else 0
        if r.shape[0] != steps or r.shape[1] != self.net.B or out.shape[0] != steps:
            raise ValueError(f"rows must be (steps, {self.net.B}), lr and loss (steps,); got "
                             f"{(<object>r).shape}, {(<object>rates).shape}, "
                             f"{(<object>out).shape}")
        if not np.isfinite(rates).all():
            raise ValueError("lr must be finite")
        _check_indices(r, self.X.shape[0], "rows", "examples")
        cdef double *pq = NULL
        if ratios is not None:
            if not isinstance(ratios, np.ndarray) or ratios.dtype != np.float64 \
                    or not (<cnp.ndarray>ratios).flags.c_contiguous \
                    or not ratios.flags.writeable:
                raise TypeError("ratios must be a writable, C-contiguous float64 array")
            if ratios.shape != (steps, self.n_parameters):
                raise ValueError(f"ratios must have shape ({steps}, {self.n_parameters}), "
                                 f"got {ratios.shape}")
            if self.smallest < 2:
                raise ValueError(f"a parameter has {self.smallest} element(s): an "
                                 f"update:data ratio needs a std over at least 2")
            pq = <double *>cnp.PyArray_DATA(<cnp.ndarray>ratios)
        cdef const int64_t *px = <const int64_t *>cnp.PyArray_DATA(self.X)
        cdef const int64_t *py = <const int64_t *>cnp.PyArray_DATA(self.Y)
        cdef const int64_t *pr = <const int64_t *>cnp.PyArray_DATA(r)
        cdef const double *pl = <const double *>cnp.PyArray_DATA(rates)
        cdef double *po = <double *>cnp.PyArray_DATA(out)
        cdef const mmf_kernels *k = self.kernels
        with self.lock:
            with nogil:
                k.train_steps(&self.net, px, py, pr, steps, pl, po, pq, mode)


cdef Py_ssize_t checked_batch(object batch_size) except -1:
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
            or batch_size < 2:
        raise ValueError(f"batch_size must be an integer >= 2, got {batch_size!r}")
    return batch_size
