#include "blas.h"

static mmf_sgemm_fn g_sgemm;
static mmf_dgemm_fn g_dgemm;

void mmf_set_blas(mmf_sgemm_fn sgemm, mmf_dgemm_fn dgemm)
{
    g_sgemm = sgemm;
    g_dgemm = dgemm;
}

/* BLAS takes non-const pointers but never writes A or B. */
void mmf_blas_gemm_f32(int trans_a, int trans_b, int M, int N, int K,
                       const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
    char ta = trans_a ? 'T' : 'N', tb = trans_b ? 'T' : 'N';
    float alpha = 1.0f, beta = 0.0f;
    g_sgemm(&tb, &ta, &N, &M, &K, &alpha, (float *)B, &ldb, (float *)A, &lda,
            &beta, C, &ldc);
}

void mmf_blas_gemm_f64(int trans_a, int trans_b, int M, int N, int K,
                       const double *A, int lda, const double *B, int ldb, double *C,
                       int ldc)
{
    char ta = trans_a ? 'T' : 'N', tb = trans_b ? 'T' : 'N';
    double alpha = 1.0, beta = 0.0;
    g_dgemm(&tb, &ta, &N, &M, &K, &alpha, (double *)B, &ldb, (double *)A, &lda,
            &beta, C, &ldc);
}
