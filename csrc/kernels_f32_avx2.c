/* The float32 kernels for x86-64-v3 (AVX2, FMA) (kernels.inc); empty where
 * the build has no x86 levels (mmf_common.h). */
#include "mmf_common.h"

#ifdef MMF_X86_LEVELS
#define MMF_F32
#define MMF_TABLE mmf_f32_avx2
#define MMF_TARGET "arch=x86-64-v3"
#define MMF_VECTOR_BYTES 32       /* gemm_small.inc: 8-lane ymm micro-kernels */
#include "kernels.inc"
#else
typedef int mmf_no_f32_avx2;         /* ISO C: a translation unit is not empty */
#endif
