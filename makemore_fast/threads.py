"""One thread setting for the work makemore_fast does.

The matrix products run in SciPy's OpenBLAS, on its own threads; the passes
around them (BatchNorm, tanh and their backward) run on short-lived threads
of the kernels' own for large arrays, and the small products (a training
batch's) use one helper thread, kept for the process, that sleeps when
unused (csrc/parallel.c), where it pays on this machine: each kernel call
site times its calls with and without it (csrc/side_choice.h; `ops_helper`
fixes the choice).  Both pools are sized by
threadpoolctl, which knows the kernels' pool as user_api "makemore_fast"
(registered here), so one call sets them all (process-wide; and any OpenMP
pool loaded):

    import makemore_fast as mf
    mf.set_num_threads(1)            # from now on
    with mf.num_threads(2):          # for a block of code
        ...

`train` uses one BLAS thread by itself for small batches, and `sample`
always (`one_blas_thread`).  See docs/RELIABILITY.md for what BLAS's thread
count changes in the results.
"""
from contextlib import contextmanager

from threadpoolctl import (LibController, ThreadpoolController, register, threadpool_info,
                           threadpool_limits)

from . import ops  # also loads the BLAS and the kernels the limits apply to


class KernelThreads(LibController):
    """threadpoolctl's handle on the kernels' own threads (column-parallel
    passes, the small products' helper thread): 1 means none."""
    user_api = "makemore_fast"
    internal_api = "makemore_fast"
    filename_prefixes = ("ops.",)                 # makemore_fast/ops.*.so
    check_symbols = ("mmf_get_num_threads", "mmf_set_num_threads")

    def get_num_threads(self):
        return self.dynlib.mmf_get_num_threads()

    def set_num_threads(self, num_threads):
        self.dynlib.mmf_set_num_threads(num_threads)

    def get_version(self):
        from . import __version__
        return __version__


register(KernelThreads)

_controller = None   # the pools loaded at the first one_blas_thread(), kept


def set_num_threads(n):
    """Use `n` threads for BLAS and the kernels (and OpenMP) from now on, process-wide."""
    _check(n)
    threadpool_limits(limits=n)             # user_api=None: every pool loaded


def num_threads(n):
    """Context manager: `n` threads for BLAS and the kernels (and OpenMP) inside the block."""
    _check(n)
    return threadpool_limits(limits=n)


@contextmanager
def ops_helper(mode):
    """Context manager: whether the ops' small split products use the shared
    helper thread inside the block (process-wide).  None: each call site
    times both ways and takes the faster, the default; True: whenever the
    helper is free and awake (with 2 or more kernel threads); False: never.
    The results are the same bits in every mode; whole training steps
    choose on their own (`TrainSteps.run`'s `helper`)."""
    previous = ops._ops_helper(mode)
    try:
        yield
    finally:
        ops._ops_helper(previous)


def one_blas_thread():
    """Context manager: BLAS on one thread inside the block.

    For callers of many small products (a second thread gains nothing on
    them, and loses much when the other core is busy).  Cheap to enter: the
    pools are looked up once, at the first call (ops' BLAS is loaded by then).
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def get_num_threads():
    """{'blas': n, 'openmp': n, 'makemore_fast': n}: the largest pool of each
    kind loaded (1 if none)."""
    sizes = {"blas": 1, "openmp": 1, "makemore_fast": 1}
    for pool in threadpool_info():
        if pool["user_api"] in sizes:
            sizes[pool["user_api"]] = max(sizes[pool["user_api"]], pool["num_threads"])
    return sizes


def _check(n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"the number of threads must be an integer >= 1, got {n!r}")
