/* Vectorisable exp and tanh for float32.
 *
 * libm's expf/tanhf are scalar calls that stop GCC from vectorising a loop
 * (without -ffast-math there is no vector libm).  These are branch-free
 * (selects, not branches), inline, and made of +, *, / and an int<->float
 * bit cast, so a loop calling them vectorises at whatever width the CPU has
 * (given -fno-trapping-math: GCC will not if-convert a float comparison that
 * might raise an FP exception flag; NaN and inf values are unaffected).
 *
 * exp_f32: Cephes' expf (range reduction by ln 2 in two parts, degree-5
 * polynomial), about 1 ulp on its range.  NaN propagates; the argument is
 * clamped to [-87.3, 88.3], so tiny results stop at ~1e-38 (the smallest
 * normal float) instead of going denormal, and huge ones at ~2^127.
 * tanh_f32: 1 - 2 / (exp(2y) + 1) on y clamped to [-10, 10] (where the
 * formula rounds to exactly +-1 in float32); absolute error a few 1e-8, so within 1e-6 of np.tanh.
 * float64 uses libm's exp and tanh: exactness over speed for the checking dtype.
 */
#ifndef MMF_VMATH_H
#define MMF_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float exp_f32(float x)
{
    /* Clamps written as selects: NaN (all comparisons false) passes through. */
    x = x > 88.3f ? 88.3f : x;
    x = x < -87.3f ? -87.3f : x;
    /* n = round(x / ln 2) by the 1.5 * 2^23 trick: adding it leaves no
     * fraction bits, subtracting it back is exact. */
    float fn = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    int32_t n = (int32_t)(fn == fn ? fn : 0.0f);  /* NaN-free: no UB */
    x = x - fn * 0.693359375f - fn * -2.12194440e-4f;     /* x - n ln 2 */
    float z = x * x;
    float p = 1.9875691500e-4f;
    p = p * x + 1.3981999507e-3f;
    p = p * x + 8.3334519073e-3f;
    p = p * x + 4.1665795894e-2f;
    p = p * x + 1.6666665459e-1f;
    p = p * x + 5.0000001201e-1f;
    p = p * z + x + 1.0f;
    uint32_t bits = (uint32_t)(n + 127) << 23;             /* 2^n */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float tanh_f32(float y)
{
    y = y > 10.0f ? 10.0f : y;
    y = y < -10.0f ? -10.0f : y;
    return 1.0f - 2.0f / (exp_f32(2.0f * y) + 1.0f);
}

static inline double exp_f64(double x) { return exp(x); }
static inline double tanh_f64(double x) { return tanh(x); }

#endif
