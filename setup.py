"""Build of the C kernels (csrc/) and their Cython bindings (makemore_fast/*.pyx).

Flags are portable on purpose: no -march=native, no -ffast-math / -Ofast (they
break NaN semantics).  -fno-math-errno and -fno-trapping-math only drop errno
and FP-exception-flag side effects, which Python never reads; they let GCC
vectorise the exp/tanh loops. Wider vectors come from runtime dispatch in the C code
(see csrc/mmf_common.h, MMF_KERNEL).
"""
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

CSRC = sorted(str(p) for p in Path("csrc").glob("*.c"))

if sys.platform == "win32":
    compile_args = ["/O2", "/fp:precise"]
else:
    compile_args = ["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math",
                    "-ffp-contract=fast",
                    "-fopenmp-simd", "-Wall", "-Wno-unused-function"]



def openmp_flags():
    """-fopenmp if this compiler builds and links an OpenMP program, else nothing.

    OpenMP only spreads the work around BLAS over the cores for large batches;
    without it the kernels run on one thread (their `omp simd` still applies).
    MAKEMORE_FAST_OPENMP=0 turns it off.
    """
    if sys.platform == "win32" or os.environ.get("MAKEMORE_FAST_OPENMP", "1") == "0":
        return []
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.errors import CompileError, LinkError
    from setuptools._distutils.sysconfig import customize_compiler

    compiler = new_compiler()
    customize_compiler(compiler)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "omp.c")
        src.write_text("#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n")
        try:
            objs = compiler.compile([str(src)], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(objs, str(Path(tmp, "omp")), extra_postargs=["-fopenmp"])
        except (CompileError, LinkError):
            print("makemore_fast: no OpenMP with this compiler; building single-threaded kernels")
            return []
    return ["-fopenmp"]


OPENMP = openmp_flags()
compile_args += OPENMP

extensions = [
    Extension(
        "makemore_fast.ops",
        sources=["makemore_fast/ops.pyx", *CSRC],
        include_dirs=["csrc", np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
        extra_compile_args=compile_args,
        extra_link_args=OPENMP,
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
