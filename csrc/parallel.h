/* Column-parallel loops for the memory-bound work around the matrix products.
 *
 * BLAS runs the products on its own threads; the passes between them
 * (BatchNorm statistics, normalisation, tanh and their backward) are split
 * by columns over short-lived pthreads.  Every column is computed the same
 * way whatever the split, so the results do not depend on the thread count.
 * Nothing spins: the threads are created for the call and joined before it
 * returns, so BLAS's own threads keep the cores between the passes.
 */
#ifndef MMF_PARALLEL_H
#define MMF_PARALLEL_H

/* Work of fewer elements than this runs on the calling thread: creating and
 * joining a thread costs tens of microseconds, a pass over 2 MB about 100. */
#define MMF_PARALLEL_MIN_ELEMENTS (1L << 19)

/* fn(ctx, begin, end) does columns [begin, end). */
typedef void (*mmf_columns_fn)(void *ctx, int begin, int end);

/* Runs fn over columns [0, N) of a (B, N) array, in contiguous column ranges
 * (multiples of 16 columns: no cache line shared between threads) on up to
 * mmf_get_num_threads() threads when B * N is large enough, else in one call. */
void mmf_parallel_columns(int B, int N, mmf_columns_fn fn, void *ctx);

/* The thread count of those loops: the CPUs this process may run on, until
 * set (threadpoolctl's limits set it too: makemore_fast/threads.py). */
int mmf_get_num_threads(void);
void mmf_set_num_threads(int n);

#endif
