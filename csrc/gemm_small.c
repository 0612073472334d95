/* float32 matrix products of small and middling size, without packing.
 *
 * At (32, 100, 100) OpenBLAS spends about a third of its time packing A and B
 * into panels (the copy routines that pay off for big matrices); here B's rows
 * are read in place and a 6 x 16 block of C is kept in twelve 8-lane
 * accumulators over the whole K loop, the classic register-blocked
 * "broadcast A, vector B" micro-kernel.  Measured 1.3-1.8x faster than
 * OpenBLAS on one thread at the lecture's shapes (docs/PERFORMANCE.md); the
 * size limits are in blas.h.
 *
 * Written with GCC/Clang vector types: compiled for x86-64-v3 they are AVX2 +
 * FMA registers, for the baseline pairs of SSE registers, on aarch64 pairs of
 * NEON registers, elsewhere whatever the target has.  Without those
 * extensions, and in the portable build (MMF_PORTABLE: ISO C only), every
 * product goes to BLAS.
 */
#include <stdlib.h>

#include "blas.h"
#include "mmf_common.h"

#if (defined(__GNUC__) || defined(__clang__)) && !defined(MMF_PORTABLE)

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));   /* unaligned access */
typedef int v8i __attribute__((vector_size(32)));
#define LOAD(p) (*(const v8u *)(p))
#define STORE(p, v) (*(v8u *)(p) = (v))
#define INLINE static inline __attribute__((always_inline))
#if defined(__clang__)
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF(a, b, ...) __builtin_shuffle(a, b, (v8i){__VA_ARGS__})
#endif

#define MR 6    /* rows of C per micro-kernel call */

/* C (mr, 8 nv) = A (mr, K) @ B (K, 8 nv), mr <= MR, nv <= 2.
 * A(r, k) = A[r a_rs + k a_ks] (either layout); B rows at stride ldb.
 * With constant mr and nv the loops unroll and the accumulators live in
 * registers. */
INLINE void micro(int mr, int nv, int K, const float *A, long a_rs, long a_ks,
                  const float *B, long ldb, float *C, long ldc)
{
    v8 c[MR][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++)
            c[r][v] = (v8){0};
    for (int k = 0; k < K; k++) {
        v8 b[2];
        for (int v = 0; v < nv; v++)
            b[v] = LOAD(B + k * ldb + 8 * v);
        for (int r = 0; r < mr; r++) {
            float a = A[r * a_rs + k * a_ks];
            for (int v = 0; v < nv; v++)
                c[r][v] += a * b[v];
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++)
            STORE(C + r * ldc + 8 * v, c[r][v]);
}

/* mr rows of C (mr, N): 16-column blocks, one 8-column block, then the last
 * N % 8 columns from `tail`, B's last columns zero-padded to 8 (K, 8). */
INLINE void row_block(int mr, int N, int K, const float *A, long a_rs, long a_ks,
                      const float *B, long ldb, const float *tail, float *C, long ldc)
{
    int j = 0;
    for (; j + 16 <= N; j += 16)
        micro(mr, 2, K, A, a_rs, a_ks, B + j, ldb, C + j, ldc);
    if (j + 8 <= N) {
        micro(mr, 1, K, A, a_rs, a_ks, B + j, ldb, C + j, ldc);
        j += 8;
    }
    if (j < N) {
        float t[MR * 8];
        micro(mr, 1, K, A, a_rs, a_ks, tail, 8, t, 8);
        for (int r = 0; r < mr; r++)
            for (int q = 0; q < N - j; q++)
                C[r * ldc + j + q] = t[r * 8 + q];
    }
}

/* C (M, N) = A (M, K) @ B (K, N), B row-major at stride ldb; tail as above. */
MMF_KERNEL
static void gemm_rows(int M, int N, int K, const float *A, long a_rs, long a_ks,
                      const float *B, long ldb, const float *tail, float *C, long ldc)
{
    int i = 0;
    for (; i + MR <= M; i += MR)
        row_block(MR, N, K, A + i * a_rs, a_rs, a_ks, B, ldb, tail, C + i * ldc, ldc);
    const float *a = A + i * a_rs;
    float *c = C + i * ldc;
    switch (M - i) {      /* constant mr per case: each unrolls on its own */
    case 5: row_block(5, N, K, a, a_rs, a_ks, B, ldb, tail, c, ldc); break;
    case 4: row_block(4, N, K, a, a_rs, a_ks, B, ldb, tail, c, ldc); break;
    case 3: row_block(3, N, K, a, a_rs, a_ks, B, ldb, tail, c, ldc); break;
    case 2: row_block(2, N, K, a, a_rs, a_ks, B, ldb, tail, c, ldc); break;
    case 1: row_block(1, N, K, a, a_rs, a_ks, B, ldb, tail, c, ldc); break;
    }
}

/* Bt (K, N) = B (N, K)^T, B at row stride ldb: 8 x 8 blocks transposed in
 * registers (three rounds of two-input shuffles), the edges one by one. */
MMF_KERNEL
static void transpose(int N, int K, const float *B, long ldb, float *Bt)
{
    int j0 = 0;
    for (; j0 + 8 <= N; j0 += 8) {
        int k0 = 0;
        for (; k0 + 8 <= K; k0 += 8) {
            const float *b = B + j0 * ldb + k0;
            v8 r0 = LOAD(b), r1 = LOAD(b + ldb), r2 = LOAD(b + 2 * ldb),
               r3 = LOAD(b + 3 * ldb), r4 = LOAD(b + 4 * ldb), r5 = LOAD(b + 5 * ldb),
               r6 = LOAD(b + 6 * ldb), r7 = LOAD(b + 7 * ldb);
            /* interleave pairs of rows, then pairs of pairs, then the 128-bit halves */
            v8 t0 = SHUF(r0, r1, 0, 8, 1, 9, 4, 12, 5, 13), t1 = SHUF(r0, r1, 2, 10, 3, 11, 6, 14, 7, 15);
            v8 t2 = SHUF(r2, r3, 0, 8, 1, 9, 4, 12, 5, 13), t3 = SHUF(r2, r3, 2, 10, 3, 11, 6, 14, 7, 15);
            v8 t4 = SHUF(r4, r5, 0, 8, 1, 9, 4, 12, 5, 13), t5 = SHUF(r4, r5, 2, 10, 3, 11, 6, 14, 7, 15);
            v8 t6 = SHUF(r6, r7, 0, 8, 1, 9, 4, 12, 5, 13), t7 = SHUF(r6, r7, 2, 10, 3, 11, 6, 14, 7, 15);
            v8 u0 = SHUF(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13), u1 = SHUF(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
            v8 u2 = SHUF(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13), u3 = SHUF(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
            v8 u4 = SHUF(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13), u5 = SHUF(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
            v8 u6 = SHUF(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13), u7 = SHUF(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
            float *o = Bt + (long)k0 * N + j0;
            STORE(o,         SHUF(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11));
            STORE(o + N,     SHUF(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11));
            STORE(o + 2 * N, SHUF(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11));
            STORE(o + 3 * N, SHUF(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11));
            STORE(o + 4 * N, SHUF(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15));
            STORE(o + 5 * N, SHUF(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15));
            STORE(o + 6 * N, SHUF(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15));
            STORE(o + 7 * N, SHUF(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15));
        }
        for (; k0 < K; k0++)
            for (int j = j0; j < j0 + 8; j++)
                Bt[(long)k0 * N + j] = B[j * ldb + k0];
    }
    for (; j0 < N; j0++)
        for (int k = 0; k < K; k++)
            Bt[(long)k * N + j0] = B[j0 * ldb + k];
}

int mmf_sgemm_is_small(int M, int N, int K)
{
    return (long)M * N * K <= MMF_SMALL_GEMM_MACS && (long)N * K <= MMF_SMALL_GEMM_B;
}

int mmf_sgemm_small(int trans_a, int trans_b, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
    if (!mmf_sgemm_is_small(M, N, K))
        return 0;
    int tail_cols = N % 8;
    long scratch = (tail_cols ? 8L * K : 0) + (trans_b ? (long)N * K : 0);
    float *work = scratch ? malloc(scratch * sizeof(float)) : NULL;
    if (scratch && !work)
        return 0;
    const float *b = B;
    long b_ld = ldb;
    if (trans_b) {                 /* B is stored (N, K): make it (K, N) */
        float *bt = work + (tail_cols ? 8L * K : 0);
        transpose(N, K, B, ldb, bt);
        b = bt;
        b_ld = N;
    }
    if (tail_cols) {               /* B's last N % 8 columns, zero-padded to 8 */
        for (int k = 0; k < K; k++)
            for (int q = 0; q < 8; q++)
                work[8L * k + q] = q < tail_cols ? b[k * b_ld + N - tail_cols + q] : 0.0f;
    }
    long a_rs = trans_a ? 1 : lda, a_ks = trans_a ? lda : 1;
    gemm_rows(M, N, K, A, a_rs, a_ks, b, b_ld, work, C, ldc);
    free(work);
    return 1;
}

#else

int mmf_sgemm_is_small(int M, int N, int K)
{
    return 0;
}

int mmf_sgemm_small(int trans_a, int trans_b, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
    return 0;
}

#endif
