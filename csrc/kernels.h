/* The makemore_fast kernels: forward/backward pairs, one per op, as a table of
 * function pointers per dtype (float32, float64) and instruction-set level.
 *
 * Each op has one name from Python to C:
 *
 *   op (ops.* and reference.*)      C: table field, defined as a static     file
 *   ------------------------------  function of the same name in            ----
 *   embedding_forward / _backward   embedding_forward / _backward           embedding.inc
 *   linear_forward / _backward      linear_forward / _backward              linear.inc
 *   batchnorm_forward / _backward   batchnorm_forward / _backward           batchnorm.inc
 *   linear_bn_tanh_forward / _bwd   linear_bn_tanh_forward / _backward      linear_bn_tanh.inc
 *   cross_entropy                   cross_entropy                           cross_entropy.inc
 *   track_stats (and stats=)        track_stats                             track_stats.inc
 *   sgd_update                      sgd_update                              sgd_update.inc
 *   TrainSteps.run                  train_steps                             train_steps.inc
 *
 * kernels.inc compiles every op for one dtype and one level into a table;
 * dispatch.c hands out the table of the level in use.  Arrays of the real
 * dtype are `void *` here (float or double, by the table), so one table type
 * serves both dtypes and the binding chooses the table once, from the
 * arrays' dtype.  The Cython layer checks every argument (shapes, dtypes,
 * index ranges) before calling in, so the kernels trust their inputs.  All
 * arrays are C-contiguous; shapes: B batch, T context, E embedding size,
 * V vocabulary, K fan_in, N fan_out (mmf_common.h).
 */
#ifndef MMF_KERNELS_H
#define MMF_KERNELS_H

#include <stdint.h>

#include "mmf_common.h"
#include "train_steps.h"

typedef struct {
    /* table (V, E), idx (B, T) -> out (B, T*E): the rows of the context in order */
    void (*embedding_forward)(const void *table, const int64_t *idx, void *out, int B,
                              int T, int E);
    /* dout (B, T*E), idx (B, T) -> dtable (V, E), zeroed then accumulated in
     * (b, t) order: deterministic */
    void (*embedding_backward)(const void *dout, const int64_t *idx, void *dtable, int B,
                               int T, int E, int V);

    /* x (B, K) @ W (K, N) + bias (N, or NULL) -> out (B, N), tanh'd if act_tanh */
    void (*linear_forward)(const void *x, const void *W, const void *bias, void *out,
                           int B, int K, int N, int act_tanh);
    /* dout (B, N) -> dx (B, K), dW (K, N), dbias (N, or NULL to skip).  out is the
     * forward output (read for tanh); dpre (B, N) is a workspace, used with tanh. */
    void (*linear_backward)(const void *dout, const void *x, const void *W,
                            const void *out, void *dpre, void *dx, void *dW, void *dbias,
                            int B, int K, int N, int act_tanh);

    /* BatchNorm1d over x (B, N) -> out (B, N); gamma, beta, running_mean,
     * running_var, shift, invstd (N).  Writes shift and invstd such that
     * xhat = (x - shift) * invstd.  Training normalises with the batch mean and
     * the biased variance (unbiased: the lecture's x.var(0)) and updates the
     * running statistics in place (torch.nn.BatchNorm1d's rule); eval reads them. */
    void (*batchnorm_forward)(const void *x, const void *gamma, const void *beta,
                              void *running_mean, void *running_var, void *shift,
                              void *invstd, void *out, int B, int N, int training,
                              int unbiased, double momentum, double eps);
    /* Backward of the above from its x, shift, invstd: dout (B, N) -> dx (B, N),
     * dgamma, dbeta (N). */
    void (*batchnorm_backward)(const void *dout, const void *x, const void *gamma,
                               const void *shift, const void *invstd, void *dx,
                               void *dgamma, void *dbeta, int B, int N, int training,
                               int unbiased);

    /* Linear -> BatchNorm1d (-> tanh), forward.  x (B, K), W (K, N), bias (N or
     * NULL), gamma, beta, running_mean, running_var (N).  Writes pre = x @ W
     * (B, N, without bias), shift and invstd (N) such that
     * xhat = (pre - shift) * invstd, and out (B, N); running statistics as in
     * batchnorm_forward. */
    void (*linear_bn_tanh_forward)(const void *x, const void *W, const void *bias,
                                   const void *gamma, const void *beta,
                                   void *running_mean, void *running_var, void *pre,
                                   void *shift, void *invstd, void *out, int B, int K,
                                   int N, int training, int unbiased, double momentum,
                                   double eps, int act_tanh);
    /* Backward of the above from its saved pre, shift, invstd, out.  Writes dpre
     * (B, N) = d loss / d (x @ W), dx (B, K), dW (K, N), dbias (N, or NULL),
     * dgamma (N), dbeta (N). */
    void (*linear_bn_tanh_backward)(const void *dout, const void *x, const void *W,
                                    const void *gamma, const void *pre, const void *shift,
                                    const void *invstd, const void *out, void *dpre,
                                    void *dx, void *dW, void *dbias, void *dgamma,
                                    void *dbeta, int B, int K, int N, int training,
                                    int unbiased, int act_tanh);

    /* logits (B, V), targets (B) -> mean softmax cross-entropy (returned) and
     * dlogits (B, V) = (softmax(logits) - onehot(targets)) / B */
    double (*cross_entropy)(const void *logits, const int64_t *targets, void *dlogits,
                            int B, int V);

    /* a (n) -> acc (3) += [sum a, sum a^2, count |a| > threshold]: the per-step
     * statistics of stats= (double accumulators) */
    void (*track_stats)(const void *a, int64_t n, double threshold, double *acc);

    /* data (n) -= lr * grad (n), in place: plain SGD; ratio (NULL, or n >= 2)
     * gets log10(|lr| std(grad) / std(data after the update)), the lecture's
     * update:data ratio (sgd_update.inc) */
    void (*sgd_update)(void *data, const void *grad, int64_t n, double lr,
                       double *ratio);

    /* `steps` whole SGD steps of a network (train_steps.h) */
    void (*train_steps)(const mmf_net *net, const int64_t *X, const int64_t *Y,
                        const int64_t *rows, int steps, const double *lr, double *loss,
                        double *ratios, int helper);
} mmf_kernels;

/* The tables of the level in use (mmf_set_cpu_level), for float32 and float64. */
const mmf_kernels *mmf_kernels_f32(void);
const mmf_kernels *mmf_kernels_f64(void);

/* Instruction-set levels (MMF_LEVEL_* in mmf_common.h).  The best this build
 * and CPU have; the level in use (the best until set); setting one the CPU
 * lacks sets the best it has instead.  Returns the level in use. */
int mmf_cpu_best_level(void);
int mmf_cpu_level(void);
int mmf_set_cpu_level(int level);

/* 1 if small float32 products take the unpacked kernel, 0 if every product
 * goes to BLAS (the portable build). */
int mmf_unpacked_products(void);

/* Position of the first idx[i] outside [0, limit), or -1 if all are inside. */
int64_t mmf_find_bad_index(const int64_t *idx, int64_t n, int64_t limit);

#endif
