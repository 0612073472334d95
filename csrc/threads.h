/* The operating system's threads, atomics, clock and CPU count behind one
 * small API, so that the rest of csrc/ is ISO C11 (csrc/threads.c has the
 * three implementations: POSIX threads, Win32 threads, none).
 *
 * Atomics: the Interlocked functions on Windows (MSVC has no <stdatomic.h>
 * without an experimental switch), C11 <stdatomic.h> elsewhere, plain
 * variables where neither exists (MMF_HAVE_ATOMICS is then undefined and
 * nothing may share them between threads).  Loads acquire, stores and
 * increments release, the compare-and-swap does both. */
#ifndef MMF_THREADS_H
#define MMF_THREADS_H

#include <stdint.h>

#if defined(_WIN32)
#define MMF_THREADS_WIN32 1
#elif defined(__unix__) || defined(__APPLE__)
#define MMF_THREADS_POSIX 1
#endif

#if defined(MMF_THREADS_WIN32)
#define MMF_HAVE_ATOMICS 1
typedef struct { volatile long long value; } mmf_atomic64;   /* LONG64 */
typedef struct { volatile long value; } mmf_atomic_int;      /* LONG */
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
#define MMF_HAVE_ATOMICS 1
typedef struct { _Atomic int64_t value; } mmf_atomic64;
typedef struct { _Atomic int value; } mmf_atomic_int;
#else
typedef struct { volatile int64_t value; } mmf_atomic64;
typedef struct { volatile int value; } mmf_atomic_int;
#endif

int64_t mmf_atomic64_load(mmf_atomic64 *a);
void mmf_atomic64_store(mmf_atomic64 *a, int64_t value);
void mmf_atomic64_increment(mmf_atomic64 *a);
/* Sets *a to desired and returns 1 if it held *expected; else stores what it
 * held into *expected and returns 0. */
int mmf_atomic64_swap_if(mmf_atomic64 *a, int64_t *expected, int64_t desired);
int mmf_atomic_int_load(mmf_atomic_int *a);
void mmf_atomic_int_store(mmf_atomic_int *a, int value);
/* A full barrier: no load after it is done before a store before it (what
 * a thread that goes to sleep and one that wakes it must both do between
 * their store and their load, so that at least one sees the other's). */
void mmf_atomic_fence(void);

/* A thread running fn(arg); NULL when none could start (or there are no
 * threads on this platform).  mmf_thread_join waits for it and frees it. */
typedef void (*mmf_thread_fn)(void *arg);
typedef struct mmf_thread mmf_thread;
mmf_thread *mmf_thread_start(mmf_thread_fn fn, void *arg);
void mmf_thread_join(mmf_thread *thread);

/* A mutex and a condition variable, for a thread that sleeps until another
 * wakes it: mmf_condition_wait, with the lock held, releases it while it
 * sleeps and holds it again when it returns (which it may do without a
 * signal: the caller checks what it waits for in a loop).  NULL from
 * mmf_condition_new where there are no threads or no memory. */
typedef struct mmf_condition mmf_condition;
mmf_condition *mmf_condition_new(void);
void mmf_condition_free(mmf_condition *c);      /* NULL: nothing */
void mmf_condition_lock(mmf_condition *c);
void mmf_condition_unlock(mmf_condition *c);
void mmf_condition_wait(mmf_condition *c);
void mmf_condition_signal(mmf_condition *c);

/* One turn of a wait loop: a pause hint to the CPU for the first 64 turns
 * (*spins counts them), then the core is given to whatever else wants it. */
void mmf_thread_relax(unsigned *spins);

/* The CPUs this process may run on (at least 1). */
int mmf_cpu_count(void);

/* This process's id (a child after fork() has its own, and none of its
 * parent's threads; 0 where there are no processes). */
long mmf_process_id(void);

/* A monotonic clock in seconds; 0 where there is none. */
double mmf_clock_seconds(void);

#endif
