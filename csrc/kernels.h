/* The makemore_fast kernels: forward/backward pairs, one per op, for float32
 * (suffix _f32) and float64 (suffix _f64).  Plain C; the Cython layer checks
 * every argument (shapes, dtypes, index ranges) before calling in here, so
 * these functions trust their inputs.  All arrays are C-contiguous.
 *
 * Shapes: B batch, T context, E embedding size, V vocabulary, K fan_in,
 * N fan_out.  Implementations: embedding.inc, linear.inc, batchnorm.inc,
 * cross_entropy.inc, instantiated per dtype in kernels_f32.c / kernels_f64.c.
 */
#ifndef MMF_KERNELS_H
#define MMF_KERNELS_H

#include <stdint.h>
#include "blas.h"

/* Position of the first idx[i] outside [0, limit), or -1 if all are inside. */
int64_t mmf_find_bad_index(const int64_t *idx, int64_t n, int64_t limit);

#define MMF_DECLARE_KERNELS(real, sfx)                                              \
    /* table (V, E), idx (B, T) -> out (B, T*E): the rows of the context in order */ \
    void mmf_embedding_forward_##sfx(const real *table, const int64_t *idx,          \
                                     real *out, int B, int T, int E);                 \
    /* dout (B, T*E), idx (B, T) -> dtable (V, E), zeroed then accumulated in       \
     * (b, t) order: deterministic */                                                \
    void mmf_embedding_backward_##sfx(const real *dout, const int64_t *idx,          \
                                      real *dtable, int B, int T, int E, int V);      \
    /* x (B, K) @ W (K, N) + bias (N, or NULL) -> out (B, N), tanh'd if act_tanh */   \
    void mmf_linear_forward_##sfx(const real *x, const real *W, const real *bias,    \
                                  real *out, int B, int K, int N, int act_tanh);      \
    /* dout (B, N) -> dx (B, K), dW (K, N), dbias (N, or NULL to skip).            \
     * out is the forward output (read for tanh); dpre (B, N) is a workspace,       \
     * used only with tanh. */                                                      \
    void mmf_linear_backward_##sfx(const real *dout, const real *x, const real *W,   \
                                   const real *out, real *dpre, real *dx, real *dW,   \
                                   real *dbias, int B, int K, int N, int act_tanh);   \
    /* Linear -> BatchNorm1d (-> tanh), forward.  x (B, K), W (K, N), bias (N or    \
     * NULL), gamma, beta, running_mean, running_var (N).  Writes pre = x @ W       \
     * (B, N, without bias), shift (N) and invstd (N) such that                     \
     * xhat = (pre - shift) * invstd, and out (B, N).  Training updates the         \
     * running statistics in place (torch.nn.BatchNorm1d's rule); eval reads them. */\
    void mmf_linear_bn_forward_##sfx(const real *x, const real *W, const real *bias, \
                                     const real *gamma, const real *beta,             \
                                     real *running_mean, real *running_var,           \
                                     real *pre, real *shift, real *invstd, real *out, \
                                     int B, int K, int N, int training,               \
                                     double momentum, double eps, int act_tanh);      \
    /* Backward of the above from its saved pre, shift, invstd, out.  Writes dpre  \
     * (B, N) = d loss / d (x @ W), dx (B, K), dW (K, N), dbias (N, or NULL),       \
     * dgamma (N), dbeta (N). */                                                    \
    void mmf_linear_bn_backward_##sfx(const real *dout, const real *x, const real *W,\
                                      const real *gamma, const real *pre,             \
                                      const real *shift, const real *invstd,          \
                                      const real *out, real *dpre, real *dx, real *dW,\
                                      real *dbias, real *dgamma, real *dbeta,         \
                                      int B, int K, int N, int training, int act_tanh);\
    /* logits (B, V), targets (B) -> mean softmax cross-entropy (returned) and      \
     * dlogits (B, V) = (softmax(logits) - onehot(targets)) / B */                  \
    double mmf_cross_entropy_##sfx(const real *logits, const int64_t *targets,       \
                                   real *dlogits, int B, int V);                      \
    /* a (n) -> acc (3) += [sum a, sum a^2, count |a| > threshold] (diagnostics) */  \
    void mmf_accumulate_moments_##sfx(const real *a, int64_t n, double threshold,     \
                                      double *acc);                                   \
    /* data (n) -= lr * grad (n), in place: plain SGD; moments (4, or NULL) gets   \
     * the shifted sums that std(grad) and std(data) need (see sgd.inc) */           \
    void mmf_sgd_update_##sfx(real *data, const real *grad, int64_t n, real lr,       \
                              double *moments);

MMF_DECLARE_KERNELS(float, f32)
MMF_DECLARE_KERNELS(double, f64)

#undef MMF_DECLARE_KERNELS

#endif
