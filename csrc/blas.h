/* Matrix products through the BLAS that SciPy ships (scipy.linalg.cython_blas).
 *
 * The Cython layer hands us the sgemm/dgemm function pointers once at import
 * (mmf_set_blas); the kernels then call row-major wrappers.  Fortran BLAS is
 * column-major, so a row-major C = A @ B is computed as C^T = B^T @ A^T.
 */
#ifndef MMF_BLAS_H
#define MMF_BLAS_H

typedef void (*mmf_sgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                             float *alpha, float *a, int *lda, float *b, int *ldb,
                             float *beta, float *c, int *ldc);
typedef void (*mmf_dgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                             double *alpha, double *a, int *lda, double *b, int *ldb,
                             double *beta, double *c, int *ldc);

void mmf_set_blas(mmf_sgemm_fn sgemm, mmf_dgemm_fn dgemm);

/* Row-major C (M, N) = op(A) (M, K) @ op(B) (K, N), where op(X) is X or X^T
 * (trans_* != 0).  lda/ldb/ldc are the row strides of the stored arrays. */
void mmf_blas_gemm_f32(int trans_a, int trans_b, int M, int N, int K,
                       const float *A, int lda, const float *B, int ldb, float *C, int ldc);
void mmf_blas_gemm_f64(int trans_a, int trans_b, int M, int N, int K,
                       const double *A, int lda, const double *B, int ldb, double *C,
                       int ldc);

#endif
