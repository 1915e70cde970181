/* task_overhead_omp.c (bench peer): nanoseconds per empty OpenMP task with `depend`, for a chain
 * and a fan-out of N tasks; the OpenMP (libgomp) side of bench/task_overhead.sh (which compiles it
 * with gcc -fopenmp; it is not part of the CMake build).
 *
 * usage: task_overhead_omp chain|fanout|indep N
 *
 *   chain   one producer (`parallel` + `single`) creates N tasks with depend(inout: x): task i
 *           runs after task i - 1
 *   fanout  the producer creates a root with depend(out: x), then N tasks with depend(in: x):
 *           each waits for the root only, and they are independent of one another. On one thread
 *           libgomp's time per task grows with N (about 9 us at N = 1000, 280 us at N = 30000,
 *           GCC 12): each new depend(in) task walks the list of the earlier, unfinished ones
 *   indep   the producer creates N tasks without depend and without a root
 *
 * The threads come from OMP_NUM_THREADS (the script sets it); the producer is one of them, so with
 * one thread it creates and runs every task. libgomp runs a task undeferred (at once, on the
 * producer, after waiting for its dependencies) when more than 64 per thread are queued: that
 * throttle is part of what is measured.
 *
 * Timed with CLOCK_MONOTONIC around the whole `parallel` region (task creation + execution + the
 * region's closing barrier, which waits for every task), after one untimed warm-up run of the
 * same graph that also starts the thread team. Task bodies count themselves in a per-thread
 * counter and check that their predecessor ran (the chain: task i sees i - 1 as the last index
 * run; the fan-out: the root's flag is set). Prints
 *   openmp VARIANT depend|none workers W n N ns_per_task T
 * and exits 1 when a check fails. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <omp.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../task_overhead_check.h"

/* ---- the graphs ---- */

/* The dependency object: only its address matters. */
static char x;

/* Chain of n tasks through depend(inout: x). */
static void chain(long n)
{
#pragma omp parallel
#pragma omp single
    for (long i = 0; i < n; i++) {
#pragma omp task firstprivate(i) depend(inout : x)
        chain_body(i);
    }
}

/* Root with depend(out: x), n tasks with depend(in: x). */
static void fanout(long n)
{
#pragma omp parallel
#pragma omp single
    {
#pragma omp task depend(out : x)
        {
            atomic_store_explicit(&root_done, 1, memory_order_relaxed);
            count_task();
        }
        for (long i = 0; i < n; i++) {
#pragma omp task depend(in : x)
            successor_body();
        }
    }
}

/* n tasks without dependencies. */
static void independent(long n)
{
#pragma omp parallel
#pragma omp single
    for (long i = 0; i < n; i++) {
#pragma omp task
        count_task();
    }
}

/* One run of the graph; returns its wall time in ns (the whole parallel region). */
static double run_once(const char *variant, long n)
{
    reset_counts();
    double t0 = now_ns();
    if (strcmp(variant, "chain") == 0)
        chain(n);
    else if (strcmp(variant, "fanout") == 0)
        fanout(n);
    else
        independent(n);
    return now_ns() - t0;
}

/* Runs the graph once untimed, once timed; prints ns per task. */
int main(int argc, char **argv)
{
    const char *variant = argc > 1 ? argv[1] : "chain";
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    bool known =
        !strcmp(variant, "chain") || !strcmp(variant, "fanout") || !strcmp(variant, "indep");
    if (argc > 3 || n < 1 || !known) {
        fprintf(stderr, "usage: task_overhead_omp chain|fanout|indep N\n");
        return 2;
    }

    run_once(variant, n); /* warm-up: the thread team, the allocator */
    double ns = run_once(variant, n);

    long expected = strcmp(variant, "fanout") == 0 ? n + 1 : n;
    long ran = tasks_run(), fails = atomic_load(&check_fails);
    if (strcmp(variant, "chain") == 0 && atomic_load(&last_index) != n - 1)
        fails++;
    const char *how = strcmp(variant, "indep") == 0 ? "none" : "depend";
    printf("openmp %s %s workers %d n %ld ns_per_task %.1f\n", variant, how, omp_get_max_threads(),
           n, ns / (double)n);
    if (ran != expected || fails != 0) {
        fprintf(stderr, "openmp %s: %ld tasks ran (expected %ld), %ld ran too early\n", variant,
                ran, expected, fails);
        return 1;
    }
    return 0;
}
