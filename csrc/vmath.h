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
 * tanh_f32: a rational minimax approximation (odd degree 13 over even degree
 * 6, Eigen's fast tanh), exactly +-1 beyond |y| > 9; absolute error below
 * 4e-7, so within 1e-6 of np.tanh (docs/ARCHITECTURE.md).
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
    /* Rational minimax approximation (Eigen's fast tanh): odd degree-13
     * numerator over even degree-6 denominator in y, on y clamped to
     * [-7.9053, 7.9053]; beyond |y| > 9 the float32 tanh is exactly +-1. */
    float x = y > 7.90531110763549805f ? 7.90531110763549805f : y;
    x = x < -7.90531110763549805f ? -7.90531110763549805f : x;
    float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    float t = x * p / q;
    t = y > 9.0f ? 1.0f : t;
    return y < -9.0f ? -1.0f : t;
}

static inline double exp_f64(double x) { return exp(x); }
static inline double tanh_f64(double x) { return tanh(x); }

#endif
