"""One thread setting for all the work makemore_fast does.

The matrix products run in SciPy's OpenBLAS, the work around them in the
kernels' OpenMP threads (for large batches only); both pools are sized by the
same call, through threadpoolctl:

    import makemore_fast as mf
    mf.set_num_threads(1)            # from now on
    with mf.num_threads(2):          # for a block of code
        ...

Kernel results do not depend on the OpenMP thread count (each column's sums
are made by one thread in row order); see docs/RELIABILITY.md for what BLAS's
thread count changes.
"""
from threadpoolctl import threadpool_info, threadpool_limits

from . import ops  # noqa: F401  (loads the BLAS and OpenMP runtimes the limits apply to)

def set_num_threads(n):
    """Use `n` threads for BLAS and OpenMP from now on (in this Python thread)."""
    _check(n)
    threadpool_limits(limits=n)             # user_api=None: BLAS and OpenMP


def num_threads(n):
    """Context manager: `n` threads for BLAS and OpenMP inside the block."""
    _check(n)
    return threadpool_limits(limits=n)


def get_num_threads():
    """{'blas': n, 'openmp': n}: the largest pool size of each kind loaded."""
    sizes = {"blas": 1, "openmp": 1}
    for pool in threadpool_info():
        if pool["user_api"] in sizes:
            sizes[pool["user_api"]] = max(sizes[pool["user_api"]], pool["num_threads"])
    return sizes


def _check(n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"the number of threads must be an integer >= 1, got {n!r}")
