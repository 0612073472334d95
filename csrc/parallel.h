/* Column-parallel loops for the memory-bound work around the matrix products.
 *
 * BLAS runs the products on its own threads; the passes between them
 * (BatchNorm statistics, normalisation, tanh and their backward) are split
 * by columns over short-lived threads (threads.h: POSIX or Win32).  Every
 * column is computed the same way whatever the split, so the results do not
 * depend on the thread count.
 * Nothing spins: the threads are created for the call and joined before it
 * returns, so BLAS's own threads keep the cores between the passes.  (The
 * helper thread below is for the small products, which BLAS does not run.)
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

/* A helper thread for work that can run beside the caller's (a training
 * step's dW products while the caller goes on with dx).  Jobs are posted in
 * order and run once each, by the helper or, when the caller reaches
 * mmf_side_wait first, by the caller: a helper that the OS does not schedule
 * delays nothing but the job it is running.  At most `capacity` jobs are
 * outstanding (mmf_side_post waits for the oldest beyond that).
 * mmf_side_start returns NULL when there is no second thread to use
 * (mmf_get_num_threads() < 2, no threads or atomics, or none could start);
 * every function accepts NULL and then runs the job at once. */
typedef struct mmf_side mmf_side;
typedef void (*mmf_job_fn)(void *arg);
mmf_side *mmf_side_start(int capacity);
void mmf_side_post(mmf_side *side, mmf_job_fn fn, void *arg);
void mmf_side_wait(mmf_side *side);           /* every posted job has run */
void mmf_side_stop(mmf_side *side);           /* waits, then ends the helper */

/* The process's shared helper thread, for kernel calls that split one
 * product from another (started at the first call, then kept: between its
 * holders it spins for a fraction of a millisecond, then sleeps until the
 * next job, so a training loop's calls find it awake and an idle process
 * costs nothing).  mmf_side_acquire returns it, or NULL (run alone) when
 * another thread holds it, there is no second kernel thread or none could
 * start, or, unless the caller times its own use of it (`timed`), the
 * helper was recently kept off its core in the middle of a job (a busy
 * machine: parallel.c).  mmf_side_release waits for its jobs and gives it
 * back; both accept NULL. */
mmf_side *mmf_side_acquire(int timed);
void mmf_side_release(mmf_side *side);

/* A monotonic clock in seconds (0 where there is none: no helper either). */
double mmf_seconds(void);

/* The thread count of those loops: the CPUs this process may run on, until
 * set (threadpoolctl's limits set it too: makemore_fast/threads.py). */
int mmf_get_num_threads(void);
void mmf_set_num_threads(int n);

#endif
