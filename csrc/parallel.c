/* The column loops and the helper thread of parallel.h, in ISO C11 over the
 * threads shim (threads.h). */
#include "parallel.h"

#include <stdint.h>
#include <stdlib.h>

#include "threads.h"

#define MAX_THREADS 64
#define ALIGN_COLUMNS 16

static mmf_atomic_int g_threads;   /* 0: not set yet */

int mmf_get_num_threads(void)
{
    int n = mmf_atomic_int_load(&g_threads);
    if (n == 0) {
        n = mmf_cpu_count();
        n = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
        mmf_atomic_int_store(&g_threads, n);
    }
    return n;
}

void mmf_set_num_threads(int n)
{
    mmf_atomic_int_store(&g_threads, n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n);
}

double mmf_seconds(void)
{
    return mmf_clock_seconds();
}

typedef struct {
    mmf_columns_fn fn;
    void *ctx;
    int begin, end;
} columns_job;

static void run_job(void *arg)
{
    columns_job *job = arg;
    job->fn(job->ctx, job->begin, job->end);
}

void mmf_parallel_columns(int B, int N, mmf_columns_fn fn, void *ctx)
{
    int threads = mmf_get_num_threads();
    int blocks = (N + ALIGN_COLUMNS - 1) / ALIGN_COLUMNS;
    if (threads > blocks)
        threads = blocks;
    if (threads < 2 || (long)B * N < MMF_PARALLEL_MIN_ELEMENTS) {
        fn(ctx, 0, N);
        return;
    }
    columns_job jobs[MAX_THREADS];
    mmf_thread *ids[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        int b0 = (int)((long)blocks * t / threads), b1 = (int)((long)blocks * (t + 1) / threads);
        jobs[t] = (columns_job){fn, ctx, b0 * ALIGN_COLUMNS,
                                b1 * ALIGN_COLUMNS < N ? b1 * ALIGN_COLUMNS : N};
    }
    for (int t = 1; t < threads; t++)     /* a thread that cannot start: its range runs here */
        ids[t] = mmf_thread_start(run_job, &jobs[t]);
    run_job(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (ids[t])
            mmf_thread_join(ids[t]);
        else
            run_job(&jobs[t]);
    }
}

/* The helper thread.  Counters only grow: jobs [0, posted) were posted,
 * [0, taken) claimed (by either thread, one compare-and-swap each),
 * `finished` have run.  Job n lives in slot n % capacity.  `posted` is
 * written by the caller only. */
struct mmf_side {
    mmf_thread *thread;
    int capacity;
    struct { mmf_job_fn fn; void *arg; } *slots;
    mmf_atomic64 posted, taken, finished;
    mmf_atomic_int stop;
};

/* Claims the next unclaimed posted job and runs it; 0 if there was none. */
static int run_next(mmf_side *side)
{
    int64_t n = mmf_atomic64_load(&side->taken);
    do {
        if (n >= mmf_atomic64_load(&side->posted))
            return 0;
    } while (!mmf_atomic64_swap_if(&side->taken, &n, n + 1));
    int k = (int)(n % side->capacity);
    side->slots[k].fn(side->slots[k].arg);
    mmf_atomic64_increment(&side->finished);
    return 1;
}

static void side_main(void *arg)
{
    mmf_side *side = arg;
    unsigned spins = 0;
    while (!mmf_atomic_int_load(&side->stop)) {
        if (run_next(side))
            spins = 0;
        else
            mmf_thread_relax(&spins);
    }
}

mmf_side *mmf_side_start(int capacity)
{
#if !defined(MMF_HAVE_ATOMICS)
    capacity = 0;   /* the counters could not be shared: no helper */
#endif
    if (mmf_get_num_threads() < 2 || capacity < 1)
        return NULL;
    mmf_side *side = calloc(1, sizeof *side);
    if (!side)
        return NULL;
    side->capacity = capacity;
    side->slots = calloc((size_t)capacity, sizeof *side->slots);
    if (!side->slots || !(side->thread = mmf_thread_start(side_main, side))) {
        free(side->slots);
        free(side);
        return NULL;
    }
    return side;
}

void mmf_side_post(mmf_side *side, mmf_job_fn fn, void *arg)
{
    if (!side) {
        fn(arg);
        return;
    }
    int64_t posted = mmf_atomic64_load(&side->posted);
    if (posted - mmf_atomic64_load(&side->finished) >= side->capacity)
        mmf_side_wait(side);                   /* the slot to reuse must be free */
    int k = (int)(posted % side->capacity);
    side->slots[k].fn = fn;
    side->slots[k].arg = arg;
    mmf_atomic64_store(&side->posted, posted + 1);
}

void mmf_side_wait(mmf_side *side)
{
    if (!side)
        return;
    while (run_next(side))                     /* what the helper has not started */
        ;
    int64_t posted = mmf_atomic64_load(&side->posted);
    unsigned spins = 0;
    while (mmf_atomic64_load(&side->finished) < posted)
        mmf_thread_relax(&spins);
}

void mmf_side_stop(mmf_side *side)
{
    if (!side)
        return;
    mmf_side_wait(side);
    mmf_atomic_int_store(&side->stop, 1);
    mmf_thread_join(side->thread);
    free(side->slots);
    free(side);
}
