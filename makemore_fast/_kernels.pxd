# Declarations of the C kernels in csrc/ (see csrc/kernels.h for the maths
# and the shapes of every argument).
from libc.stdint cimport int64_t

cdef extern from "kernels.h" nogil:
    ctypedef void (*mmf_sgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                                  float *alpha, float *a, int *lda, float *b, int *ldb,
                                  float *beta, float *c, int *ldc) noexcept nogil
    ctypedef void (*mmf_dgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                                  double *alpha, double *a, int *lda, double *b, int *ldb,
                                  double *beta, double *c, int *ldc) noexcept nogil
    void mmf_set_blas(mmf_sgemm_fn sgemm, mmf_dgemm_fn dgemm)

    int64_t mmf_find_bad_index(const int64_t *idx, int64_t n, int64_t limit)

    void mmf_embedding_forward_f32(const float *table, const int64_t *idx, float *out,
                                   int B, int T, int E)
    void mmf_embedding_forward_f64(const double *table, const int64_t *idx, double *out,
                                   int B, int T, int E)
    void mmf_embedding_backward_f32(const float *dout, const int64_t *idx, float *dtable,
                                    int B, int T, int E, int V)
    void mmf_embedding_backward_f64(const double *dout, const int64_t *idx, double *dtable,
                                    int B, int T, int E, int V)

    void mmf_linear_forward_f32(const float *x, const float *W, const float *bias,
                                float *out, int B, int K, int N, int act_tanh)
    void mmf_linear_forward_f64(const double *x, const double *W, const double *bias,
                                double *out, int B, int K, int N, int act_tanh)
    void mmf_linear_backward_f32(const float *dout, const float *x, const float *W,
                                 const float *out, float *dpre, float *dx, float *dW,
                                 float *dbias, int B, int K, int N, int act_tanh)
    void mmf_linear_backward_f64(const double *dout, const double *x, const double *W,
                                 const double *out, double *dpre, double *dx, double *dW,
                                 double *dbias, int B, int K, int N, int act_tanh)

    void mmf_linear_bn_forward_f32(const float *x, const float *W, const float *bias,
                                   const float *gamma, const float *beta,
                                   float *running_mean, float *running_var,
                                   float *pre, float *shift, float *invstd, float *out,
                                   int B, int K, int N, int training,
                                   double momentum, double eps, int act_tanh)
    void mmf_linear_bn_forward_f64(const double *x, const double *W, const double *bias,
                                   const double *gamma, const double *beta,
                                   double *running_mean, double *running_var,
                                   double *pre, double *shift, double *invstd, double *out,
                                   int B, int K, int N, int training,
                                   double momentum, double eps, int act_tanh)
    void mmf_linear_bn_backward_f32(const float *dout, const float *x, const float *W,
                                    const float *gamma, const float *pre,
                                    const float *shift, const float *invstd,
                                    const float *out, float *dpre, float *dx, float *dW,
                                    float *dbias, float *dgamma, float *dbeta,
                                    int B, int K, int N, int training, int act_tanh)
    void mmf_linear_bn_backward_f64(const double *dout, const double *x, const double *W,
                                    const double *gamma, const double *pre,
                                    const double *shift, const double *invstd,
                                    const double *out, double *dpre, double *dx,
                                    double *dW, double *dbias, double *dgamma,
                                    double *dbeta, int B, int K, int N, int training,
                                    int act_tanh)

    double mmf_cross_entropy_f32(const float *logits, const int64_t *targets,
                                 float *dlogits, int B, int V)
    double mmf_cross_entropy_f64(const double *logits, const int64_t *targets,
                                 double *dlogits, int B, int V)

    void mmf_accumulate_moments_f32(const float *a, int64_t n, double threshold,
                                    double *acc)
    void mmf_accumulate_moments_f64(const double *a, int64_t n, double threshold,
                                    double *acc)

    void mmf_sgd_update_f32(float *data, const float *grad, int64_t n, float lr,
                            double *moments)
    void mmf_sgd_update_f64(double *data, const double *grad, int64_t n, double lr,
                            double *moments)

cdef extern from "train_steps.h" nogil:
    ctypedef struct mmf_block:
        int K, N, act_tanh, batchnorm
        double momentum, eps
        void *W
        void *bias
        void *gamma
        void *beta
        void *running_mean
        void *running_var
        void *dW
        void *dbias
        void *dgamma
        void *dbeta
        void *pre
        void *out
        void *dpre
        void *shift
        void *invstd
        void *dx
        double *stats
        double saturation

    ctypedef struct mmf_net:
        int B, T, E, V, n_blocks
        mmf_block *blocks
        void *table
        void *dtable
        void *emb
        void *dlogits
        int64_t *idx
        int64_t *targets

    void mmf_train_steps_f32(const mmf_net *net, const int64_t *X, const int64_t *Y,
                             const int64_t *rows, int steps, const double *lr, double *loss,
                             double *ratios)
    void mmf_train_steps_f64(const mmf_net *net, const int64_t *X, const int64_t *Y,
                             const int64_t *rows, int steps, const double *lr, double *loss,
                             double *ratios)
