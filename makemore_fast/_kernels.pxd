# Declarations of the C kernels in csrc/ (csrc/kernels.h has the maths and the
# shapes of every argument; csrc/train_steps.h the network structs).
# Arrays of the real dtype are void *: the table chosen for the dtype types them.
from libc.stdint cimport int64_t


cdef extern from "blas.h" nogil:
    ctypedef void (*mmf_sgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                                  float *alpha, float *a, int *lda, float *b, int *ldb,
                                  float *beta, float *c, int *ldc) noexcept nogil
    ctypedef void (*mmf_dgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                                  double *alpha, double *a, int *lda, double *b, int *ldb,
                                  double *beta, double *c, int *ldc) noexcept nogil
    void mmf_set_blas(mmf_sgemm_fn sgemm, mmf_dgemm_fn dgemm)


cdef extern from "train_steps.h" nogil:
    ctypedef struct mmf_block:
        int K, N, act_tanh, batchnorm, unbiased
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

    enum:
        MMF_HELPER_NEVER
        MMF_HELPER_ALWAYS
        MMF_HELPER_AUTO

    ctypedef struct mmf_net:
        int B, T, E, V, n_blocks
        mmf_block *blocks
        void *table
        void *dtable
        void *emb
        void *dlogits
        int64_t *idx
        int64_t *targets
        double *row_loss


cdef extern from "kernels.h" nogil:
    ctypedef struct mmf_kernels:
        void (*embedding_forward)(const void *table, const int64_t *idx, void *out,
                                  int B, int T, int E) noexcept nogil
        void (*embedding_backward)(const void *dout, const int64_t *idx, void *dtable,
                                   int B, int T, int E, int V) noexcept nogil
        void (*linear_forward)(const void *x, const void *W, const void *bias, void *out,
                               int B, int K, int N, int act_tanh) noexcept nogil
        void (*linear_backward)(const void *dout, const void *x, const void *W,
                                const void *out, void *dpre, void *dx, void *dW,
                                void *dbias, int B, int K, int N,
                                int act_tanh) noexcept nogil
        void (*batchnorm_forward)(const void *x, const void *gamma, const void *beta,
                                  void *running_mean, void *running_var, void *shift,
                                  void *invstd, void *out, int B, int N, int training,
                                  int unbiased, double momentum, double eps) noexcept nogil
        void (*batchnorm_backward)(const void *dout, const void *x, const void *gamma,
                                   const void *shift, const void *invstd, void *dx,
                                   void *dgamma, void *dbeta, int B, int N, int training,
                                   int unbiased) noexcept nogil
        void (*linear_bn_tanh_forward)(const void *x, const void *W, const void *bias,
                                       const void *gamma, const void *beta,
                                       void *running_mean, void *running_var, void *pre,
                                       void *shift, void *invstd, void *out, int B, int K,
                                       int N, int training, int unbiased, double momentum,
                                       double eps, int act_tanh) noexcept nogil
        void (*linear_bn_tanh_backward)(const void *dout, const void *x, const void *W,
                                        const void *gamma, const void *pre,
                                        const void *shift, const void *invstd,
                                        const void *out, void *dpre, void *dx, void *dW,
                                        void *dbias, void *dgamma, void *dbeta, int B,
                                        int K, int N, int training, int unbiased,
                                        int act_tanh) noexcept nogil
        double (*cross_entropy)(const void *logits, const int64_t *targets, void *dlogits,
                                int B, int V) noexcept nogil
        void (*track_stats)(const void *a, int64_t n, double threshold,
                            double *acc) noexcept nogil
        void (*sgd_update)(void *data, const void *grad, int64_t n, double lr,
                           double *ratio) noexcept nogil
        void (*train_steps)(const mmf_net *net, const int64_t *X, const int64_t *Y,
                            const int64_t *rows, int steps, const double *lr,
                            double *loss, double *ratios, int helper) noexcept nogil

    const mmf_kernels *mmf_kernels_f32()
    const mmf_kernels *mmf_kernels_f64()
    int mmf_cpu_best_level()
    int mmf_cpu_level()
    int mmf_set_cpu_level(int level)
    int mmf_unpacked_products()
    int64_t mmf_find_bad_index(const int64_t *idx, int64_t n, int64_t limit)


cdef extern from "side_choice.h" nogil:
    enum:
        MMF_SIDE_TIMED
        MMF_SIDE_ALWAYS
        MMF_SIDE_NEVER
    void mmf_side_set_mode(int mode)
    int mmf_side_get_mode()
