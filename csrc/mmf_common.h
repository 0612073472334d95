/* Shared definitions for the makemore_fast C kernels (plain C, no Python.h).
 *
 * Layout conventions, used by every kernel:
 *   - all arrays are C-contiguous (row-major); the Cython layer guarantees it;
 *   - B batch, T context length, E embedding size, V vocabulary,
 *     K fan_in, N fan_out; a Linear weight is (K, N): out = x @ W.
 *   - sizes are `int` because BLAS takes `int`; the binding checks they fit.
 *
 * Every extension used here sits behind a macro with a plain ISO C11
 * fallback; MMF_PORTABLE (the build's MMF_PORTABLE=1, and MSVC) selects the
 * fallbacks throughout.
 */
#ifndef MMF_COMMON_H
#define MMF_COMMON_H

#include <stdint.h>

#if !defined(MMF_PORTABLE) && !defined(__GNUC__) && !defined(__clang__)
#define MMF_PORTABLE 1                   /* MSVC and other compilers: ISO C only */
#endif

/* The instruction-set levels the kernels are compiled for (dispatch.c picks
 * one at import).  x86-64 builds with GCC or Clang have all three, each a
 * translation unit of its own (kernels_f32_avx2.c, ...); every other build
 * has the baseline only. */
#define MMF_LEVEL_BASELINE 0
#define MMF_LEVEL_AVX2 1                 /* x86-64-v3: AVX2, FMA */
#define MMF_LEVEL_AVX512 2               /* x86-64-v4: AVX-512 F/BW/CD/DQ/VL */
#if defined(__x86_64__) && !defined(MMF_PORTABLE)
#define MMF_X86_LEVELS 1
#endif

/* The unpacked float32 product kernel (gemm_small.inc) is written with
 * GCC/Clang vector types: the portable build has none, and every product
 * goes to BLAS. */
#if !defined(MMF_PORTABLE)
#define MMF_GEMM_SMALL 1
#endif

/* OpenMP SIMD pragmas (honoured with -fopenmp-simd, no OpenMP runtime):
 * they let the compiler vectorise loops it would otherwise leave scalar
 * (a float sum, say, where vectorising reorders the additions). */
#ifdef MMF_PORTABLE
#define MMF_SIMD
#define MMF_SIMD_SUM(...)
#define MMF_SIMD_MAX(...)
#else
#define MMF_SIMD _Pragma("omp simd")
#define MMF_SIMD_SUM(...) _Pragma(MMF_STR(omp simd reduction(+:__VA_ARGS__)))
#define MMF_SIMD_MAX(...) _Pragma(MMF_STR(omp simd reduction(max:__VA_ARGS__)))
#endif
#define MMF_STR(...) #__VA_ARGS__

/* Column reductions run over tiles of at most MMF_COLS columns so that their
 * double accumulators live on the stack: no workspace, no allocation. */
#define MMF_COLS 256

#endif
