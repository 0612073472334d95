#define _GNU_SOURCE
#include "parallel.h"

#if defined(__linux__) || defined(__APPLE__) || defined(__unix__)
#include <pthread.h>
#include <sched.h>
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

#else

void mmf_parallel_columns(int B, int N, mmf_columns_fn fn, void *ctx)
{
    (void)B;
    fn(ctx, 0, N);
}

#endif
