#define _GNU_SOURCE
#include "parallel.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__linux__) || defined(__APPLE__) || defined(__unix__)
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#define MMF_HAVE_PTHREADS 1
#endif

#define MAX_THREADS 64
#define ALIGN_COLUMNS 16

static int g_threads;   /* 0: not set yet; read and written atomically */
#if defined(__GNUC__) || defined(__clang__)
#define LOAD_THREADS() __atomic_load_n(&g_threads, __ATOMIC_RELAXED)
#define STORE_THREADS(n) __atomic_store_n(&g_threads, (n), __ATOMIC_RELAXED)
#else                   /* an aligned int is read and written whole */
#define LOAD_THREADS() (*(volatile int *)&g_threads)
#define STORE_THREADS(n) (*(volatile int *)&g_threads = (n))
#endif

static int available_cpus(void)
{
#if defined(MMF_HAVE_PTHREADS) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
#endif
#if defined(MMF_HAVE_PTHREADS)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#else
    return 1;
#endif
}

int mmf_get_num_threads(void)
{
    int n = LOAD_THREADS();
    if (n == 0) {
        n = available_cpus();
        n = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
        STORE_THREADS(n);
    }
    return n;
}

void mmf_set_num_threads(int n)
{
    STORE_THREADS(n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n);
}

#ifdef MMF_HAVE_PTHREADS

typedef struct {
    mmf_columns_fn fn;
    void *ctx;
    int begin, end;
} columns_job;

static void *run_job(void *arg)
{
    columns_job *job = arg;
    job->fn(job->ctx, job->begin, job->end);
    return NULL;
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
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        int b0 = (int)((long)blocks * t / threads), b1 = (int)((long)blocks * (t + 1) / threads);
        jobs[t] = (columns_job){fn, ctx, b0 * ALIGN_COLUMNS,
                                b1 * ALIGN_COLUMNS < N ? b1 * ALIGN_COLUMNS : N};
    }
    for (int t = 1; t < threads; t++)     /* a thread that cannot start: its range runs here */
        started[t] = pthread_create(&ids[t], NULL, run_job, &jobs[t]) == 0;
    run_job(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            run_job(&jobs[t]);
    }
}

double mmf_seconds(void)
{
    struct timespec t;
    return clock_gettime(CLOCK_MONOTONIC, &t) == 0 ? t.tv_sec + 1e-9 * t.tv_nsec : 0.0;
}

/* The helper thread.  Counters only grow: jobs [0, posted) were posted,
 * [0, taken) claimed (by either thread, one compare-and-swap each),
 * `finished` have run.  Job n lives in slot n % capacity. */
struct mmf_side {
    pthread_t thread;
    int capacity;
    struct { mmf_job_fn fn; void *arg; } *slots;
    int64_t posted, taken, finished;
    int stop;
};

static void relax(unsigned *spins)
{
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();          /* let whatever else wants this core run */
    }
}

/* Claims the next unclaimed posted job and runs it; 0 if there was none. */
static int run_next(mmf_side *side)
{
    int64_t n = __atomic_load_n(&side->taken, __ATOMIC_ACQUIRE);
    do {
        if (n >= __atomic_load_n(&side->posted, __ATOMIC_ACQUIRE))
            return 0;
    } while (!__atomic_compare_exchange_n(&side->taken, &n, n + 1, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    int k = (int)(n % side->capacity);
    side->slots[k].fn(side->slots[k].arg);
    __atomic_add_fetch(&side->finished, 1, __ATOMIC_RELEASE);
    return 1;
}

static void *side_main(void *arg)
{
    mmf_side *side = arg;
    unsigned spins = 0;
    while (!__atomic_load_n(&side->stop, __ATOMIC_ACQUIRE)) {
        if (run_next(side))
            spins = 0;
        else
            relax(&spins);
    }
    return NULL;
}

mmf_side *mmf_side_start(int capacity)
{
    if (mmf_get_num_threads() < 2 || capacity < 1)
        return NULL;
    mmf_side *side = calloc(1, sizeof *side);
    if (!side)
        return NULL;
    side->capacity = capacity;
    side->slots = calloc((size_t)capacity, sizeof *side->slots);
    if (!side->slots || pthread_create(&side->thread, NULL, side_main, side) != 0) {
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
    if (side->posted - __atomic_load_n(&side->finished, __ATOMIC_ACQUIRE) >= side->capacity)
        mmf_side_wait(side);                   /* the slot to reuse must be free */
    int k = (int)(side->posted % side->capacity);
    side->slots[k].fn = fn;
    side->slots[k].arg = arg;
    __atomic_store_n(&side->posted, side->posted + 1, __ATOMIC_RELEASE);
}

void mmf_side_wait(mmf_side *side)
{
    if (!side)
        return;
    while (run_next(side))                     /* what the helper has not started */
        ;
    unsigned spins = 0;
    while (__atomic_load_n(&side->finished, __ATOMIC_ACQUIRE) < side->posted)
        relax(&spins);
}

void mmf_side_stop(mmf_side *side)
{
    if (!side)
        return;
    mmf_side_wait(side);
    __atomic_store_n(&side->stop, 1, __ATOMIC_RELEASE);
    pthread_join(side->thread, NULL);
    free(side->slots);
    free(side);
}

#else

void mmf_parallel_columns(int B, int N, mmf_columns_fn fn, void *ctx)
{
    (void)B;
    fn(ctx, 0, N);
}

double mmf_seconds(void)
{
    return 0.0;
}

mmf_side *mmf_side_start(int capacity)
{
    (void)capacity;
    return NULL;
}

void mmf_side_post(mmf_side *side, mmf_job_fn fn, void *arg)
{
    (void)side;
    fn(arg);
}

void mmf_side_wait(mmf_side *side) { (void)side; }
void mmf_side_stop(mmf_side *side) { (void)side; }

#endif
