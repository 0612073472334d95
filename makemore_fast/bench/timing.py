"""Timing side by side: every implementation of a case interleaved in one run,
the median per call; the machine and versions measured with."""
import platform
import time

import numpy as np


def _per_call(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


# NumPy, SciPy and PyTorch each have their own thread pool, whose workers
# spin for up to ~0.1 s after a call before they sleep (OpenBLAS's
# THREAD_TIMEOUT); on a 2-core machine the next library's threads would run
# against them.  Each timed block therefore starts after this pause.
SETTLE = 0.12


def measure(case, repeats=7, target=0.02):
    """Median seconds per call of each implementation, interleaved in one run."""
    impls = {"reference": case.reference, "makemore_fast": case.fast}
    if case.torch is not None:
        impls["torch"] = case.torch
    if case.numpy is not None:
        impls["numpy"] = case.numpy
    for fn in impls.values():            # warm up (and compile nothing: eager)
        fn()
    number = {name: max(1, int(target / max(_per_call(fn, 1), 1e-7)))
              for name, fn in impls.items()}
    samples = {name: [] for name in impls}
    for _ in range(repeats):
        for name, fn in impls.items():
            time.sleep(SETTLE)
            fn()                         # wakes this library's own pool
            samples[name].append(_per_call(fn, number[name]))
    return {name: float(np.median(s)) for name, s in samples.items()}


def sgemm_peak(n=2048, repeats=3):
    """GFLOP/s of SciPy's sgemm (the BLAS the kernels call) on an n^3 product."""
    from scipy.linalg.blas import sgemm
    rng = np.random.default_rng(4)
    a = np.asfortranarray(rng.standard_normal((n, n), dtype=np.float32))
    b = np.asfortranarray(rng.standard_normal((n, n), dtype=np.float32))
    sgemm(1.0, a, b)
    best = min(_per_call(lambda: sgemm(1.0, a, b), 1) for _ in range(repeats))
    return 2.0 * n**3 / best / 1e9


def machine():
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "processor": _cpu_name()}
    try:
        import scipy
        info["scipy"] = scipy.__version__
    except ImportError:
        pass
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def optional_torch(threads=None):
    """torch, or None when it is not installed; `threads` (if not None or 0)
    goes to torch.set_num_threads.  For the benchmark scripts."""
    try:
        import torch
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    return torch


def versions_line(torch):
    """The line the benchmark scripts print first: what was measured with."""
    peer = f"{torch.__version__} ({torch.get_num_threads()} threads)" if torch else "-"
    return (f"python {platform.python_version()}, numpy {np.__version__}, torch {peer}, "
            f"{platform.machine()}")


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
