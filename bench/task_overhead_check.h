/* task_overhead_check.h: the task bodies' bookkeeping shared by bench/task_overhead.c (dmlc's
 * pool) and its peers in bench/peers/ (StarPU, OpenMP), so that all three run the same bodies:
 * per-thread task counters on their own cache lines, the chain and fan-out order checks, and the
 * clock. Each program includes it once (everything is static). Needs C11 atomics and
 * _POSIX_C_SOURCE for clock_gettime. */
#ifndef DMLC_BENCH_TASK_OVERHEAD_CHECK_H
#define DMLC_BENCH_TASK_OVERHEAD_CHECK_H

#include <stdatomic.h>
#include <time.h>


enum { MAX_THREADS = 256 };

/* One counter per thread that runs tasks, on its own cache line. */
typedef struct {
    _Alignas(64) long tasks_run;
} ThreadCount;

static ThreadCount thread_counts[MAX_THREADS];
static atomic_int threads_seen;
static _Thread_local ThreadCount *my_count;
static atomic_long last_index;  /* chain: the index of the last task run */
static atomic_int root_done;    /* fan-out: set by the root */
static atomic_long check_fails; /* tasks that ran before their predecessor */

/* Counts one task run on this thread (a thread takes a counter the first time). */
static inline void count_task(void)
{
    if (!my_count) {
        int slot = atomic_fetch_add_explicit(&threads_seen, 1, memory_order_relaxed);
        my_count = &thread_counts[slot % MAX_THREADS];
    }
    my_count->tasks_run++;
}

/* Chain task i: task i - 1 must be the last one run. */
static inline void chain_body(long i)
{
    if (atomic_load_explicit(&last_index, memory_order_relaxed) != i - 1)
        atomic_fetch_add_explicit(&check_fails, 1, memory_order_relaxed);
    atomic_store_explicit(&last_index, i, memory_order_relaxed);
    count_task();
}

/* Fan-out successor: the root must have run. */
static inline void successor_body(void)
{
    if (!atomic_load_explicit(&root_done, memory_order_relaxed))
        atomic_fetch_add_explicit(&check_fails, 1, memory_order_relaxed);
    count_task();
}

/* Resets the bookkeeping before a run. */
static inline void reset_counts(void)
{
    for (int t = 0; t < MAX_THREADS; t++)
        thread_counts[t].tasks_run = 0;
    atomic_store(&last_index, -1);
    atomic_store(&root_done, 0);
    atomic_store(&check_fails, 0);
}

/* Tasks run since the last reset, over every thread. */
static inline long tasks_run(void)
{
    long total = 0;
    for (int t = 0; t < MAX_THREADS; t++)
        total += thread_counts[t].tasks_run;
    return total;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#endif
