/* The implementations of threads.h: Win32, POSIX, or none (one thread, a
 * clock reading 0).  The only file of csrc/ that uses the operating system's
 * thread API or a compiler builtin. */
#if !defined(_WIN32)
#define _GNU_SOURCE     /* sched_getaffinity and CPU_COUNT, where they exist */
#endif
#include "threads.h"

#include <stdlib.h>

#if defined(MMF_THREADS_WIN32)
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0601  /* Windows 7: GetActiveProcessorCount */
#endif
#include <windows.h>
#elif defined(MMF_THREADS_POSIX)
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#endif

/* Atomics.  The Interlocked functions are full barriers: more than acquire
 * or release asks, and what Windows has on every compiler. */
#if defined(MMF_THREADS_WIN32)

int64_t mmf_atomic64_load(mmf_atomic64 *a)
{
    return InterlockedCompareExchange64(&a->value, 0, 0);
}

void mmf_atomic64_store(mmf_atomic64 *a, int64_t value)
{
    InterlockedExchange64(&a->value, value);
}

void mmf_atomic64_increment(mmf_atomic64 *a)
{
    InterlockedIncrement64(&a->value);
}

int mmf_atomic64_swap_if(mmf_atomic64 *a, int64_t *expected, int64_t desired)
{
    LONG64 held = InterlockedCompareExchange64(&a->value, desired, *expected);
    if (held == *expected)
        return 1;
    *expected = held;
    return 0;
}

int mmf_atomic_int_load(mmf_atomic_int *a)
{
    return (int)InterlockedCompareExchange(&a->value, 0, 0);
}

void mmf_atomic_int_store(mmf_atomic_int *a, int value)
{
    InterlockedExchange(&a->value, value);
}

void mmf_atomic_fence(void)
{
    MemoryBarrier();
}

#elif defined(MMF_HAVE_ATOMICS)

int64_t mmf_atomic64_load(mmf_atomic64 *a)
{
    return atomic_load_explicit(&a->value, memory_order_acquire);
}

void mmf_atomic64_store(mmf_atomic64 *a, int64_t value)
{
    atomic_store_explicit(&a->value, value, memory_order_release);
}

void mmf_atomic64_increment(mmf_atomic64 *a)
{
    atomic_fetch_add_explicit(&a->value, 1, memory_order_release);
}

int mmf_atomic64_swap_if(mmf_atomic64 *a, int64_t *expected, int64_t desired)
{
    return atomic_compare_exchange_strong_explicit(&a->value, expected, desired,
                                                   memory_order_acq_rel, memory_order_acquire);
}

int mmf_atomic_int_load(mmf_atomic_int *a)
{
    return atomic_load_explicit(&a->value, memory_order_acquire);
}

void mmf_atomic_int_store(mmf_atomic_int *a, int value)
{
    atomic_store_explicit(&a->value, value, memory_order_release);
}

void mmf_atomic_fence(void)
{
    atomic_thread_fence(memory_order_seq_cst);
}

#else   /* plain variables: nothing shares them between threads */

int64_t mmf_atomic64_load(mmf_atomic64 *a) { return a->value; }
void mmf_atomic64_store(mmf_atomic64 *a, int64_t value) { a->value = value; }
void mmf_atomic64_increment(mmf_atomic64 *a) { a->value++; }
int mmf_atomic_int_load(mmf_atomic_int *a) { return a->value; }
void mmf_atomic_int_store(mmf_atomic_int *a, int value) { a->value = value; }
void mmf_atomic_fence(void) {}

int mmf_atomic64_swap_if(mmf_atomic64 *a, int64_t *expected, int64_t desired)
{
    if (a->value == *expected) {
        a->value = desired;
        return 1;
    }
    *expected = a->value;
    return 0;
}

#endif

/* Threads, conditions, the pause hint, the CPU count, the process id and
 * the clock. */
#if defined(MMF_THREADS_WIN32)

struct mmf_thread {
    HANDLE handle;
    mmf_thread_fn fn;
    void *arg;
};

static DWORD WINAPI thread_main(LPVOID arg)
{
    mmf_thread *thread = arg;
    thread->fn(thread->arg);
    return 0;
}

mmf_thread *mmf_thread_start(mmf_thread_fn fn, void *arg)
{
    mmf_thread *thread = malloc(sizeof *thread);
    if (!thread)
        return NULL;
    thread->fn = fn;
    thread->arg = arg;
    thread->handle = CreateThread(NULL, 0, thread_main, thread, 0, NULL);
    if (!thread->handle) {
        free(thread);
        return NULL;
    }
    return thread;
}

void mmf_thread_join(mmf_thread *thread)
{
    WaitForSingleObject(thread->handle, INFINITE);
    CloseHandle(thread->handle);
    free(thread);
}

struct mmf_condition {
    SRWLOCK lock;
    CONDITION_VARIABLE cv;
};

mmf_condition *mmf_condition_new(void)
{
    mmf_condition *c = malloc(sizeof *c);
    if (c) {
        InitializeSRWLock(&c->lock);
        InitializeConditionVariable(&c->cv);
    }
    return c;
}

void mmf_condition_free(mmf_condition *c) { free(c); }   /* SRW locks need no cleanup */
void mmf_condition_lock(mmf_condition *c) { AcquireSRWLockExclusive(&c->lock); }
void mmf_condition_unlock(mmf_condition *c) { ReleaseSRWLockExclusive(&c->lock); }
void mmf_condition_wait(mmf_condition *c) { SleepConditionVariableSRW(&c->cv, &c->lock, INFINITE, 0); }
void mmf_condition_signal(mmf_condition *c) { WakeConditionVariable(&c->cv); }

void mmf_thread_relax(unsigned *spins)
{
    if (++*spins < 64)
        YieldProcessor();
    else
        SwitchToThread();
}

int mmf_cpu_count(void)
{
    DWORD_PTR process, system;
    if (GetProcessAffinityMask(GetCurrentProcess(), &process, &system) && process) {
        int n = 0;
        for (; process; process &= process - 1)
            n++;
        return n;
    }
    DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    return n > 0 ? (int)n : 1;
}

long mmf_process_id(void)
{
    return (long)GetCurrentProcessId();
}

double mmf_clock_seconds(void)
{
    LARGE_INTEGER count, frequency;
    if (!QueryPerformanceFrequency(&frequency) || !QueryPerformanceCounter(&count))
        return 0.0;
    return (double)count.QuadPart / (double)frequency.QuadPart;
}

#elif defined(MMF_THREADS_POSIX)

struct mmf_thread {
    pthread_t id;
    mmf_thread_fn fn;
    void *arg;
};

static void *thread_main(void *arg)
{
    mmf_thread *thread = arg;
    thread->fn(thread->arg);
    return NULL;
}

mmf_thread *mmf_thread_start(mmf_thread_fn fn, void *arg)
{
    mmf_thread *thread = malloc(sizeof *thread);
    if (!thread)
        return NULL;
    thread->fn = fn;
    thread->arg = arg;
    if (pthread_create(&thread->id, NULL, thread_main, thread) != 0) {
        free(thread);
        return NULL;
    }
    return thread;
}

void mmf_thread_join(mmf_thread *thread)
{
    pthread_join(thread->id, NULL);
    free(thread);
}

struct mmf_condition {
    pthread_mutex_t mutex;
    pthread_cond_t cv;
};

mmf_condition *mmf_condition_new(void)
{
    mmf_condition *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->mutex, NULL) != 0) {
        free(c);
        return NULL;
    }
    if (pthread_cond_init(&c->cv, NULL) != 0) {
        pthread_mutex_destroy(&c->mutex);
        free(c);
        return NULL;
    }
    return c;
}

void mmf_condition_free(mmf_condition *c)
{
    if (!c)
        return;
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mutex);
    free(c);
}

void mmf_condition_lock(mmf_condition *c) { pthread_mutex_lock(&c->mutex); }
void mmf_condition_unlock(mmf_condition *c) { pthread_mutex_unlock(&c->mutex); }
void mmf_condition_wait(mmf_condition *c) { pthread_cond_wait(&c->cv, &c->mutex); }
void mmf_condition_signal(mmf_condition *c) { pthread_cond_signal(&c->cv); }

void mmf_thread_relax(unsigned *spins)
{
    if (++*spins < 64) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

int mmf_cpu_count(void)
{
#if defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

long mmf_process_id(void)
{
    return (long)getpid();
}

double mmf_clock_seconds(void)
{
    struct timespec t;
    return clock_gettime(CLOCK_MONOTONIC, &t) == 0 ? t.tv_sec + 1e-9 * t.tv_nsec : 0.0;
}

#else   /* no threads: every job runs on the caller */

mmf_thread *mmf_thread_start(mmf_thread_fn fn, void *arg)
{
    (void)fn;
    (void)arg;
    return NULL;
}

void mmf_thread_join(mmf_thread *thread) { (void)thread; }
mmf_condition *mmf_condition_new(void) { return NULL; }
void mmf_condition_free(mmf_condition *c) { (void)c; }
void mmf_condition_lock(mmf_condition *c) { (void)c; }
void mmf_condition_unlock(mmf_condition *c) { (void)c; }
void mmf_condition_wait(mmf_condition *c) { (void)c; }
void mmf_condition_signal(mmf_condition *c) { (void)c; }
void mmf_thread_relax(unsigned *spins) { ++*spins; }
int mmf_cpu_count(void) { return 1; }
long mmf_process_id(void) { return 0; }
double mmf_clock_seconds(void) { return 0.0; }

#endif
