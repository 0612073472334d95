/* Whole SGD steps of the lecture's network in one C call: no Python between
 * layers or steps (the table's train_steps, train_steps.inc).
 *
 * The network: an Embedding, then blocks Linear [-> BatchNorm1d] [-> Tanh]
 * (BatchNorm in training mode), then softmax cross-entropy.  A step is the
 * Python layer path's step, kernel call for kernel call, so the two give
 * bit-identical parameters and running statistics:
 *   idx, targets = X[rows], Y[rows]           rows: this step's B examples
 *   h = embedding_forward(table, idx)         (B, T*E)
 *   h = block_forward(h) for every block      linear_bn_tanh_forward / linear_forward
 *   loss, d = cross_entropy(h, targets)
 *   d = block_backward(d) in reverse          -> dW, dbias, dgamma, dbeta, dx
 *   dtable = embedding_backward(d, idx)
 *   p -= lr * dp for every parameter          sgd_update
 * Pointers are `real *` of the instantiation's dtype, held as void * so that
 * one struct serves both.
 */
#ifndef MMF_TRAIN_STEPS_H
#define MMF_TRAIN_STEPS_H

#include <stdint.h>

typedef struct {
    int K, N, act_tanh, batchnorm, unbiased;  /* unbiased: BatchNorm's variance (1/(B-1)) */
    double momentum, eps;
    /* parameters (updated in place) and BatchNorm's running statistics;
     * bias NULL without one, the BatchNorm ones NULL without BatchNorm */
    void *W, *bias, *gamma, *beta, *running_mean, *running_var;
    /* gradients: dW (K, N), dbias, dgamma, dbeta (N) */
    void *dW, *dbias, *dgamma, *dbeta;
    /* workspaces: pre, out, dpre (B, N); shift, invstd (N); dx (B, K) */
    void *pre, *out, *dpre, *shift, *invstd, *dx;
    /* NULL, or the per-step statistics that ops' `stats=` accumulates (track_stats)
     * (out_sum, out_sumsq, out_saturated over |out| > saturation, grad_sum,
     * grad_sumsq of the block's output gradient) */
    double *stats;
    double saturation;
} mmf_block;

typedef struct {
    int B, T, E, V;              /* batch, context, embedding size, vocabulary */
    int n_blocks;                /* the last block's N is the number of classes */
    mmf_block *blocks;
    void *table, *dtable, *emb;  /* (V, E), (V, E), (B, T*E) */
    void *dlogits;               /* (B, classes) */
    int64_t *idx, *targets;      /* (B, T), (B): this step's examples */
    double *row_loss;            /* (B): the rows' cross-entropy terms */
} mmf_net;

/* The table's train_steps(net, X, Y, rows, steps, lr, loss, ratios, helper) makes
 * `steps` steps; step s trains on examples rows[s*B .. (s+1)*B) of X (n, T)
 * and Y (n), with learning rate lr[s], and writes its loss to loss[s].
 * ratios: NULL, or (steps, parameters) receiving each parameter's
 * update:data ratio log10(|lr| std(grad) / std(data after the update))
 * (unbiased stds) in the order table, then per block W, bias, gamma, beta;
 * every parameter then needs at least 2 elements.
 * helper: whether steps split over a helper thread (train_steps.inc):
 * MMF_HELPER_AUTO chooses round by round, MMF_HELPER_ALWAYS splits every
 * step, MMF_HELPER_NEVER none; either way only with at least 2 kernel
 * threads and float32 products that take the unpacked kernel, and with the
 * same results.
 * Every index must be valid (the caller checks X and Y once). */
#define MMF_HELPER_NEVER 0
#define MMF_HELPER_ALWAYS 1
#define MMF_HELPER_AUTO 2

#endif
