/* Which compiled level of the kernels runs: the CPU's best by default, or the
 * one asked for (MMF_CPU, read by the binding at import), never one the CPU
 * lacks.  Also the index check the binding runs before the kernels. */
#include "kernels.h"
#include "mmf_common.h"

extern const mmf_kernels mmf_f32_baseline, mmf_f64_baseline;
#ifdef MMF_X86_LEVELS
extern const mmf_kernels mmf_f32_avx2, mmf_f64_avx2, mmf_f32_avx512, mmf_f64_avx512;
static const mmf_kernels *const TABLES_F32[] = {&mmf_f32_baseline, &mmf_f32_avx2,
                                                &mmf_f32_avx512};
static const mmf_kernels *const TABLES_F64[] = {&mmf_f64_baseline, &mmf_f64_avx2,
                                                &mmf_f64_avx512};
#else
static const mmf_kernels *const TABLES_F32[] = {&mmf_f32_baseline};
static const mmf_kernels *const TABLES_F64[] = {&mmf_f64_baseline};
#endif

static int g_level = -1;      /* -1: not chosen yet, then the best */

int mmf_cpu_best_level(void)
{
#ifdef MMF_X86_LEVELS
    __builtin_cpu_init();
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
             && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
    int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
             && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq")
             && __builtin_cpu_supports("avx512vl");
    return v4 ? MMF_LEVEL_AVX512 : v3 ? MMF_LEVEL_AVX2 : MMF_LEVEL_BASELINE;
#else
    return MMF_LEVEL_BASELINE;
#endif
}

int mmf_set_cpu_level(int level)
{
    int best = mmf_cpu_best_level();
    g_level = level < MMF_LEVEL_BASELINE ? MMF_LEVEL_BASELINE : level > best ? best : level;
    return g_level;
}

int mmf_cpu_level(void)
{
    return g_level < 0 ? mmf_set_cpu_level(mmf_cpu_best_level()) : g_level;
}

const mmf_kernels *mmf_kernels_f32(void)
{
    return TABLES_F32[mmf_cpu_level()];
}

const mmf_kernels *mmf_kernels_f64(void)
{
    return TABLES_F64[mmf_cpu_level()];
}

int mmf_unpacked_products(void)
{
#if defined(MMF_GEMM_SMALL)
    return 1;
#else
    return 0;
#endif
}

int64_t mmf_find_bad_index(const int64_t *idx, int64_t n, int64_t limit)
{
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= limit)
            return i;
    return -1;
}
