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
 * written by the caller only.  A helper spins until SPIN_SECONDS have gone
 * by since its last job and since a caller last asked for it, then sleeps
 * on `wake` (where there is one) until a job or the stop comes: `sleeping`
 * says so to the poster, which signals it then. */
struct mmf_side {
    mmf_thread *thread;
    mmf_condition *wake;
    int capacity;
    struct { mmf_job_fn fn; void *arg; } *slots;
    mmf_atomic64 posted, taken, finished;
    mmf_atomic64 wanted_ns;    /* when a caller last asked for it (mmf_side_acquire) */
    mmf_atomic_int stop, sleeping;
    double waited;             /* the caller's: seconds waited on started jobs */
    int caller_ran;            /* the caller's: posted jobs it ran itself */
};

/* How long a helper without a job spins before it sleeps: longer than the
 * Python between two kernel calls of a training loop and than BACKOFF_MIN
 * (below), so that a helper in use is awake for the next call.  Waking a
 * sleeping thread costs the poster a system call, 10-25 µs in a KVM guest
 * (docs/PERFORMANCE.md), the sleeper 20 µs to milliseconds before it
 * runs: more than a small product. */
#define SPIN_SECONDS 2e-3

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

/* Whether the helper has something to do: a job not yet claimed, or stop. */
static int side_called(mmf_side *side)
{
    return mmf_atomic_int_load(&side->stop)
           || mmf_atomic64_load(&side->taken) < mmf_atomic64_load(&side->posted);
}

/* Sleeps until side_called or a caller asks for it (wanted_ns moves).
 * `sleeping` is stored before those are read, `posted` or `wanted_ns`
 * before the other thread reads `sleeping`, each with a fence between: at
 * least one of the two sees the other's store, so no call sleeps unseen
 * (side_wake). */
static void side_sleep(mmf_side *side)
{
    mmf_condition_lock(side->wake);
    mmf_atomic_int_store(&side->sleeping, 1);
    mmf_atomic_fence();
    int64_t wanted = mmf_atomic64_load(&side->wanted_ns);
    while (!side_called(side) && mmf_atomic64_load(&side->wanted_ns) == wanted)
        mmf_condition_wait(side->wake);
    mmf_atomic_int_store(&side->sleeping, 0);
    mmf_condition_unlock(side->wake);
}

/* Wakes the helper if it sleeps; the caller's store to `posted`, `stop` or
 * `wanted_ns` comes before. */
static void side_wake(mmf_side *side)
{
    mmf_atomic_fence();
    if (side->wake && mmf_atomic_int_load(&side->sleeping)) {
        mmf_condition_lock(side->wake);
        mmf_condition_signal(side->wake);
        mmf_condition_unlock(side->wake);
    }
}

static void side_main(void *arg)
{
    mmf_side *side = arg;
    unsigned spins = 0;
    double idle_since = 0.0;
    while (!mmf_atomic_int_load(&side->stop)) {
        if (run_next(side)) {
            spins = 0;
            idle_since = 0.0;
            continue;
        }
        mmf_thread_relax(&spins);
        if (!side->wake || spins < 64)
            continue;
        double now = mmf_seconds();
        double wanted = (double)mmf_atomic64_load(&side->wanted_ns) * 1e-9;
        if (idle_since == 0.0) {
            idle_since = now;
        } else if (now - (wanted > idle_since ? wanted : idle_since) > SPIN_SECONDS) {
            side_sleep(side);
            spins = 0;
            idle_since = 0.0;
        }
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
    side->wake = mmf_seconds() > 0.0 ? mmf_condition_new() : NULL;  /* NULL: it spins */
    side->slots = calloc((size_t)capacity, sizeof *side->slots);
    if (!side->slots || !(side->thread = mmf_thread_start(side_main, side))) {
        free(side->slots);
        mmf_condition_free(side->wake);
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
    side_wake(side);
}

void mmf_side_wait(mmf_side *side)
{
    if (!side)
        return;
    while (run_next(side))                     /* what the helper has not started */
        side->caller_ran++;
    int64_t posted = mmf_atomic64_load(&side->posted);
    if (mmf_atomic64_load(&side->finished) >= posted)
        return;
    double t0 = mmf_seconds();
    unsigned spins = 0;
    while (mmf_atomic64_load(&side->finished) < posted)
        mmf_thread_relax(&spins);
    side->waited += mmf_seconds() - t0;
}

void mmf_side_stop(mmf_side *side)
{
    if (!side)
        return;
    mmf_side_wait(side);
    mmf_atomic_int_store(&side->stop, 1);
    side_wake(side);
    mmf_thread_join(side->thread);
    mmf_condition_free(side->wake);
    free(side->slots);
    free(side);
}

/* The shared helper of mmf_side_acquire: held by one caller at a time
 * (shared_held); everything else here is its holder's alone.
 *
 * A caller that does not time its own use of it (`timed` 0: a kernel
 * call) takes it only while it is awake: a sleeping helper would not start
 * before the caller's own part is done, and waking it costs more than the
 * part (SPIN_SECONDS above).  Such a call runs alone, and wakes the helper
 * only if another one came within SPIN_SECONDS before it (a loop of calls,
 * for which the helper then stays awake).  At release it judges the
 * helper: slow if the caller waited for it more than twice as long as its
 * own part took, plus SLACK_SECONDS (each part is about half the work;
 * the helper's inputs come from the caller's cache, and a guest's vCPU
 * stalls for ~80 µs now and then), absent if in ABSENT_IN_A_ROW calls in a
 * row the caller ran the job posted to it itself (the helper had not
 * started it by the time the caller's own part was done).  Either means
 * that the helper does not get its core when it is wanted (a busy
 * machine); those callers then run alone for a backoff of BACKOFF_MIN,
 * doubled (up to BACKOFF_MAX) when it happens again at the first try after
 * a backoff: on a busy machine they pay for a missing helper about once a
 * second, on a quiet one a stray miss costs a millisecond alone.
 *
 * The helper is started by the first holder and never stopped; a child
 * process after fork() starts its own (the parent's thread is not in it;
 * its memory is left as it is). */
#define SHARED_CAPACITY 2       /* a step's part and its statistics job */
#define SLACK_SECONDS 50e-6
#define ABSENT_IN_A_ROW 4
#define BACKOFF_MIN 1e-3
#define BACKOFF_MAX 1.0

static mmf_atomic64 shared_held;
static mmf_side *shared;
static long shared_pid;
static int shared_failed;            /* no thread could start: do not retry */
static int shared_timed;             /* the holder times its own use of it */
static double acquired_at, backoff, backoff_until;
static int absent_in_a_row;

/* Whether an untimed caller at `now` may use the helper; wakes a sleeping
 * one for the next call when calls come often (above). */
static int untimed_may_use(mmf_side *side, double now)
{
    if (now < backoff_until)
        return 0;
    double wanted = (double)mmf_atomic64_load(&side->wanted_ns) * 1e-9;
    int often = now - wanted < SPIN_SECONDS;
    mmf_atomic64_store(&side->wanted_ns, (int64_t)(now * 1e9));
    mmf_atomic_fence();
    if (!mmf_atomic_int_load(&side->sleeping))
        return 1;
    if (often)
        side_wake(side);
    return 0;
}

mmf_side *mmf_side_acquire(int timed)
{
    int64_t unheld = 0;
    if (mmf_get_num_threads() < 2 || !mmf_atomic64_swap_if(&shared_held, &unheld, 1))
        return NULL;
    long pid = mmf_process_id();
    if (shared && shared_pid != pid) {
        shared = NULL;
        shared_failed = 0;
    }
    if (!shared && !shared_failed) {
        shared = mmf_side_start(SHARED_CAPACITY);
        if (shared && !shared->wake) {       /* one that cannot sleep would spin for good */
            mmf_side_stop(shared);
            shared = NULL;
        }
        shared_failed = !shared;
        shared_pid = pid;
    }
    acquired_at = mmf_seconds();
    if (!shared || (!timed && !untimed_may_use(shared, acquired_at))) {
        mmf_atomic64_store(&shared_held, 0);
        return NULL;
    }
    shared_timed = timed;
    shared->waited = 0.0;
    shared->caller_ran = 0;
    return shared;
}

void mmf_side_release(mmf_side *side)
{
    if (!side)
        return;
    mmf_side_wait(side);
    double now = mmf_seconds(), own = now - acquired_at - side->waited;
    if (!shared_timed) {
        absent_in_a_row = side->caller_ran ? absent_in_a_row + 1 : 0;
        if (side->waited > 2 * own + SLACK_SECONDS || absent_in_a_row >= ABSENT_IN_A_ROW) {
            int again = now - backoff_until < backoff;     /* the first try after one */
            backoff = !again ? BACKOFF_MIN
                      : backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
            backoff_until = now + backoff;
            absent_in_a_row = 0;
        }
    }
    mmf_atomic64_store(&shared_held, 0);
}
