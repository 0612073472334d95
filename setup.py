"""Build of the C kernels (csrc/) and their Cython bindings (makemore_fast/*.pyx).

Flags are portable on purpose: no -march=native, no -ffast-math / -Ofast (they
break NaN semantics).  -fno-math-errno and -fno-trapping-math only drop errno
and FP-exception-flag side effects, which Python never reads; they let GCC
vectorise the exp/tanh loops.  Wider vectors come from the kernels compiled
per instruction-set level and chosen at import (csrc/kernels.inc,
csrc/dispatch.c).  No OpenMP runtime: the C code's own threads
(csrc/parallel.c; docs/ARCHITECTURE.md says why).
"""
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

if sys.platform == "win32":
    compile_args = ["/O2", "/fp:precise"]
    link_args = []
else:
    compile_args = ["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math",
                    "-ffp-contract=fast", "-fopenmp-simd", "-pthread", "-Wall",
                    "-Wno-unused-function"]
    link_args = ["-pthread"]

extensions = [
    Extension(
        "makemore_fast.ops",
        sources=["makemore_fast/ops.pyx", *CSRC],
        include_dirs=["csrc", np.get_include()],
        depends=DEPENDS + CYTHON_DEPENDS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
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
