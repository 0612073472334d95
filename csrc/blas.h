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

/* Row-major C (M, N) = op(A) (M, K) @ op(B) (K, N) + beta * C, where op(X) is X
 * or X^T (trans_* != 0).  lda/ldb/ldc are the row strides of the stored arrays. */
void mmf_gemm_f32(int trans_a, int trans_b, int M, int N, int K,
                  const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc);
void mmf_gemm_f64(int trans_a, int trans_b, int M, int N, int K,
                  const double *A, int lda, const double *B, int ldb,
                  double beta, double *C, int ldc);

/* float32 products small enough for the unpacked kernel of gemm_small.c, which
 * beats BLAS's packing (and its second thread) there: at most
 * MMF_SMALL_GEMM_MACS multiply-adds (measured: 1.5-1.8x two-thread OpenBLAS
 * at 2^22, slower from 2^25) and a B of at most MMF_SMALL_GEMM_B elements
 * (its copy stays in L2).  Computes
 * C = op(A) @ op(B) (beta = 0) and returns 1, or returns 0 and leaves C alone
 * when the product is not small or scratch memory is unavailable. */
#define MMF_SMALL_GEMM_MACS (1L << 23)
#define MMF_SMALL_GEMM_B (1L << 16)
int mmf_sgemm_small(int trans_a, int trans_b, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb, float *C, int ldc);
/* Whether a float32 product of these sizes takes that kernel (no BLAS). */
int mmf_sgemm_is_small(int M, int N, int K);

#endif
