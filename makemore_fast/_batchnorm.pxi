# Included by ops.pyx: BatchNorm1d on its own (csrc/batchnorm.inc) and fused
# after a Linear, with tanh or not (csrc/linear_bn_tanh.inc).

cdef class BatchNormCache:
    """What batchnorm_backward needs from batchnorm_forward (opaque).

    xhat = (x - shift) * invstd.
    """
    cdef readonly cnp.ndarray x, gamma, shift, invstd, out
    cdef readonly bint training, unbiased


cdef class LinearBnTanhCache:
    """What linear_bn_tanh_backward needs from linear_bn_tanh_forward (opaque).

    pre = x @ weight (without bias); xhat = (pre - shift) * invstd.
    """
    cdef readonly cnp.ndarray x, weight, gamma, pre, shift, invstd, out, stats
    cdef readonly bint training, unbiased, has_bias, act_tanh


cdef cnp.ndarray _running(object a, str name, cnp.ndarray like, Py_ssize_t n,
                          bint written):
    """A running statistic: checked, C-contiguous; writable if it is `written`."""
    cdef cnp.ndarray r = _vector(a, name, like, n)
    if written and not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>a):
        raise ValueError(f"{name} is read-only, but training updates it in place")
    return r


cdef tuple _norm_operands(cnp.ndarray xa, Py_ssize_t N, object gamma, object beta,
                          object running_mean, object running_var, bint training):
    """gamma, beta and the running statistics (N,), checked against x's dtype."""
    return (_vector(gamma, "gamma", xa, N), _vector(beta, "beta", xa, N),
            _running(running_mean, "running_mean", xa, N, training),
            _running(running_var, "running_var", xa, N, training))


cdef void _write_back(bint training, cnp.ndarray rm, object running_mean, cnp.ndarray rv,
                      object running_var):
    """A strided or byte-swapped running statistic was updated in a copy."""
    if training and rm is not running_mean:
        running_mean[...] = rm
    if training and rv is not running_var:
        running_var[...] = rv


def batchnorm_forward(x, gamma, beta, running_mean, running_var, *, training=True,
                      momentum=0.1, eps=1e-5, unbiased=False):
    """BatchNorm1d: x (B, N) -> out (B, N), cache; gamma, beta, running_* (N,).

    Training normalises with the batch mean and the biased variance (the
    unbiased one with unbiased=True, as the lecture's class) and updates
    running_mean / running_var IN PLACE as torch.nn.BatchNorm1d does (the
    unbiased variance for running_var); eval uses the running statistics and
    changes nothing.
    """
    cdef bint train = bool(training), unb = bool(unbiased)
    cdef double mom, epsilon
    _momentum_eps(momentum, eps, &mom, &epsilon)
    cdef cnp.ndarray xa = _float_array(x, "x", 2)
    cdef int B = _dim(xa.shape[0], "the batch (x's first dimension)")
    cdef int N = _dim(xa.shape[1], "x's second dimension")
    if train:
        _check_training_batch(B, xa)
    cdef cnp.ndarray g, be, rm, rv
    g, be, rm, rv = _norm_operands(xa, N, gamma, beta, running_mean, running_var, train)
    cdef int typenum = cnp.PyArray_TYPE(xa)
    cdef cnp.ndarray out = _empty2(B, N, typenum)
    cdef cnp.ndarray shift = _empty1(N, typenum)
    cdef cnp.ndarray invstd = _empty1(N, typenum)
    cdef const mmf_kernels *k = _kernels(xa)
    cdef void *px = _ptr(xa)
    cdef void *pg = _ptr(g)
    cdef void *pbe = _ptr(be)
    cdef void *prm = _ptr(rm)
    cdef void *prv = _ptr(rv)
    cdef void *psh = _ptr(shift)
    cdef void *pis = _ptr(invstd)
    cdef void *po = _ptr(out)
    with nogil:
        k.batchnorm_forward(px, pg, pbe, prm, prv, psh, pis, po, B, N, train, unb, mom,
                            epsilon)
    _write_back(train, rm, running_mean, rv, running_var)
    cdef BatchNormCache cache = BatchNormCache.__new__(BatchNormCache)
    cache.x, cache.gamma, cache.shift, cache.invstd, cache.out = xa, g, shift, invstd, out
    cache.training, cache.unbiased = train, unb
    return out, cache


def batchnorm_backward(dout, cache):
    """dout (B, N) -> dx (B, N), dgamma (N,), dbeta (N,)."""
    if not isinstance(cache, BatchNormCache):
        raise TypeError(f"cache must come from ops.batchnorm_forward, got "
                        f"{type(cache).__name__}")
    cdef BatchNormCache c = <BatchNormCache>cache
    cdef cnp.ndarray g = _dout(dout, c.out)
    cdef int B = <int>c.x.shape[0], N = <int>c.x.shape[1]
    cdef int typenum = cnp.PyArray_TYPE(g)
    cdef cnp.ndarray dx = _empty2(B, N, typenum)
    cdef cnp.ndarray dgamma = _empty1(N, typenum)
    cdef cnp.ndarray dbeta = _empty1(N, typenum)
    cdef const mmf_kernels *k = _kernels(g)
    cdef void *pg = _ptr(g)
    cdef void *px = _ptr(c.x)
    cdef void *pga = _ptr(c.gamma)
    cdef void *psh = _ptr(c.shift)
    cdef void *pis = _ptr(c.invstd)
    cdef void *pdx = _ptr(dx)
    cdef void *pdg = _ptr(dgamma)
    cdef void *pdb = _ptr(dbeta)
    cdef bint train = c.training, unb = c.unbiased
    with nogil:
        k.batchnorm_backward(pg, px, pga, psh, pis, pdx, pdg, pdb, B, N, train, unb)
    return dx, dgamma, dbeta


def linear_bn_tanh_forward(x, weight, gamma, beta, running_mean, running_var, *,
                           bias=None, training=True, momentum=0.1, eps=1e-5,
                           activation="tanh", stats=None, saturation=SATURATION_THRESHOLD,
                           unbiased=False):
    """Linear -> BatchNorm1d -> tanh (or no activation) -> out (B, N), cache.

    x (B, K), weight (K, N), bias (N,) or None, gamma, beta, running_mean,
    running_var (N,).  The BatchNorm1d is batchnorm_forward's (training,
    momentum, eps, unbiased, running statistics updated in place in
    training); stats, saturation: as in linear_forward.
    """
    cdef bint act = _act_tanh(activation)
    cdef cnp.ndarray st = _stats_array(stats, saturation)
    cdef bint train = bool(training), unb = bool(unbiased)
    cdef double mom, epsilon
    _momentum_eps(momentum, eps, &mom, &epsilon)
    cdef cnp.ndarray xa, w, b
    xa, w, b = _linear_operands(x, weight, bias)
    cdef int B = <int>xa.shape[0], K = <int>xa.shape[1], N = <int>w.shape[1]
    if train:
        _check_training_batch(B, xa)
    cdef cnp.ndarray g, be, rm, rv
    g, be, rm, rv = _norm_operands(xa, N, gamma, beta, running_mean, running_var, train)
    cdef int typenum = cnp.PyArray_TYPE(xa)
    cdef cnp.ndarray pre = _empty2(B, N, typenum)
    cdef cnp.ndarray out = _empty2(B, N, typenum)
    cdef cnp.ndarray shift = _empty1(N, typenum)
    cdef cnp.ndarray invstd = _empty1(N, typenum)
    cdef const mmf_kernels *k = _kernels(xa)
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
        k.linear_bn_tanh_forward(px, pw, pb, pg, pbe, prm, prv, ppre, psh, pis, po, B, K,
                                 N, train, unb, mom, epsilon, act)
    _write_back(train, rm, running_mean, rv, running_var)
    _add_out_stats(st, out, saturation)
    cdef LinearBnTanhCache cache = LinearBnTanhCache.__new__(LinearBnTanhCache)
    cache.x, cache.weight, cache.gamma, cache.stats = xa, w, g, st
    cache.pre, cache.shift, cache.invstd, cache.out = pre, shift, invstd, out
    cache.training, cache.unbiased = train, unb
    cache.has_bias, cache.act_tanh = b is not None, act
    return out, cache


def linear_bn_tanh_backward(dout, cache):
    """dout (B, N) -> dx (B, K), dweight (K, N), dbias (N,) or None, dgamma, dbeta."""
    if not isinstance(cache, LinearBnTanhCache):
        raise TypeError(f"cache must come from ops.linear_bn_tanh_forward, got "
                        f"{type(cache).__name__}")
    cdef LinearBnTanhCache c = <LinearBnTanhCache>cache
    cdef cnp.ndarray g = _dout(dout, c.out)
    cdef int B = <int>c.x.shape[0], K = <int>c.x.shape[1], N = <int>c.weight.shape[1]
    cdef int typenum = cnp.PyArray_TYPE(g)
    cdef cnp.ndarray dx = _empty2(B, K, typenum)
    cdef cnp.ndarray dw = _empty2(K, N, typenum)
    cdef cnp.ndarray db = _empty1(N, typenum) if c.has_bias else None
    cdef cnp.ndarray dgamma = _empty1(N, typenum)
    cdef cnp.ndarray dbeta = _empty1(N, typenum)
    cdef cnp.ndarray dpre = _empty2(B, N, typenum)
    cdef const mmf_kernels *k = _kernels(g)
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
    cdef bint train = c.training, unb = c.unbiased, act = c.act_tanh
    with nogil:
        k.linear_bn_tanh_backward(pg, px, pw, pga, ppre, psh, pis, po, pdp, pdx, pdw, pdb,
                                  pdg, pdbe, B, K, N, train, unb, act)
    _add_grad_stats(c.stats, g)
    return dx, dw, db, dgamma, dbeta
