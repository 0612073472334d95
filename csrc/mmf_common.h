/* Shared definitions for the makemore_fast C kernels (plain C, no Python.h).
 *
 * Layout conventions, used by every kernel:
 *   - all arrays are C-contiguous (row-major); the Cython layer guarantees it;
 *   - B batch, T context length, E embedding size, V vocabulary,
 *     K fan_in, N fan_out; a Linear weight is (K, N): out = x @ W.
 *   - sizes are `int` because BLAS takes `int`; the binding checks they fit.
 */
#ifndef MMF_COMMON_H
#define MMF_COMMON_H

#include <stdint.h>

/* Hot loops are compiled several times and the best one for the CPU is chosen
 * once at load time (GCC/Clang function multi-versioning through ifunc), so the
 * default build stays portable (baseline x86-64) and still uses AVX2/AVX-512
 * where they exist. */
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__)) \
    && !defined(MMF_NO_DISPATCH)
#define MMF_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MMF_KERNEL
#endif

/* OpenMP SIMD pragmas (honoured with -fopenmp-simd, no OpenMP runtime):
 * they let the compiler vectorise loops it would otherwise leave scalar
 * (a float sum, say, where vectorising reorders the additions). */
#define MMF_SIMD _Pragma("omp simd")
#define MMF_SIMD_SUM(...) _Pragma(MMF_STR(omp simd reduction(+:__VA_ARGS__)))
#define MMF_STR(...) #__VA_ARGS__

/* Column reductions run over tiles of at most MMF_COLS columns so that their
 * double accumulators live on the stack: no workspace, no allocation. */
#define MMF_COLS 256

#endif
