"""Build of the C kernels (csrc/) and their Cython bindings (makemore_fast/*.pyx).

Flags are portable on purpose: no -march=native, no -ffast-math / -Ofast (they
break NaN semantics).  -fno-math-errno and -fno-trapping-math only drop errno
and FP-exception-flag side effects, which Python never reads; they let GCC
vectorise the exp/tanh loops.  Wider vectors come from the kernels compiled
per instruction-set level and chosen at import (csrc/kernels.inc,
csrc/dispatch.c).  No OpenMP runtime: the C code's own threads
(csrc/parallel.c; docs/ARCHITECTURE.md says why).

MMF_PORTABLE=1 in the environment at build time gives the portable build:
ISO C11 (-std=c11, no -fopenmp-simd) with MMF_PORTABLE defined, which turns
off the C code's vector extensions and instruction-set levels; the threads
shim (csrc/threads.c) is the only platform-specific code left.  MSVC always
builds it that way (docs/PORTABILITY.md).
"""
import os
import sys
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

CSRC = sorted(str(p) for p in Path("csrc").glob("*.c"))
# The templates and headers the .c files include: a change rebuilds.
DEPENDS = sorted(str(p) for pattern in ("*.h", "*.inc") for p in Path("csrc").glob(pattern))
# The Cython files ops.pyx includes or cimports.
CYTHON_DEPENDS = sorted(str(p) for pattern in ("*.pxd", "*.pxi")
                        for p in Path("makemore_fast").glob(pattern))

MSVC = sys.platform == "win32"
PORTABLE = MSVC or os.environ.get("MMF_PORTABLE", "0") not in ("", "0")

if MSVC:
    # /std:c11 for _Pragma; /fp:precise keeps NaN semantics as -O3 does.
    compile_args = ["/O2", "/fp:precise", "/std:c11"]
    link_args = []
else:
    compile_args = ["-O3", "-std=c11" if PORTABLE else "-std=gnu11", "-fno-math-errno",
                    "-fno-trapping-math", "-ffp-contract=fast",
                    # Python's CFLAGS carry -fwrapv (for CPython's own code), which
                    # keeps the kernels' int index arithmetic from being widened
                    # (5% on a training step, docs/PERFORMANCE.md); ISO C here.
                    "-fno-wrapv",
                    *([] if PORTABLE else ["-fopenmp-simd"]),
                    "-pthread", "-Wall", "-Wno-unused-function"]
    link_args = ["-pthread"]
macros = [("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION"),
          *([("MMF_PORTABLE", "1")] if PORTABLE else [])]

extensions = [
    Extension(
        "makemore_fast.ops",
        sources=["makemore_fast/ops.pyx", *CSRC],
        include_dirs=["csrc", np.get_include()],
        depends=DEPENDS + CYTHON_DEPENDS,
        define_macros=macros,
        extra_compile_args=compile_args,
        extra_link_args=link_args,
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
)
