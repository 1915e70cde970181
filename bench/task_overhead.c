/* task_overhead.c (bench): nanoseconds per empty task of dmlc's worker pool (executor/pool.h), for
 * a chain and a fan-out of N tasks; the dmlc side of bench/task_overhead.sh, whose peers are
 * bench/peers/task_overhead_starpu.c and bench/peers/task_overhead_omp.c.
 *
 * usage: bench_task_overhead chain|fanout|indep N WORKERS
 *
 *   chain   pool_task i, pool_depend(task i - 1, task i), then pool_submit(task i - 1): each task
 *           is submitted once its successor has declared it (pool_depend wants both unsubmitted)
 *   fanout  a root and N successors, each pool_depend(root, successor) and submitted at once; the
 *           root is submitted last, so the N successors become ready when it finishes
 *   indep   N tasks without dependencies, submitted as they are created
 *
 * Every task has domain -1 and no trace. The building thread is worker 0, which runs tasks in
 * pool_wait (and alone with WORKERS = 1); workers 1..WORKERS-1 are the pool's threads.
 *
 * Timed with CLOCK_MONOTONIC: graph creation + submission + execution + pool_wait, after one
 * untimed warm-up run of the same graph (threads, the pool's arenas); pool_create and
 * pool_destroy are outside. Task bodies count themselves in a per-thread counter and check that
 * their predecessor ran (the chain: task i sees i - 1 as the last index run; the fan-out: the
 * root's flag is set), as in the peers. Prints
 *   dmlc VARIANT pool workers W n N ns_per_task T
 * and exits 1 when a check fails. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "executor/pool.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "task_overhead_check.h"

/* ---- pool task bodies ---- */

/* Chain task `index`. */
static bool chain_task(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    chain_body((long)index);
    return true;
}

/* Fan-out root. */
static bool root_task(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    atomic_store_explicit(&root_done, 1, memory_order_relaxed);
    count_task();
    return true;
}

/* Fan-out successor. */
static bool successor_task(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    successor_body();
    return true;
}

/* Independent task. */
static bool independent_task(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    count_task();
    return true;
}

/* ---- the graphs ---- */

/* A new task; exits when memory runs out (a benchmark cannot go on). */
static PoolTask *new_task(Pool *p, PoolFn fn, long i)
{
    PoolTask *t = pool_task(p, fn, NULL, i, -1, "empty", 0);
    if (!t) {
        fprintf(stderr, "pool_task: out of memory\n");
        exit(1);
    }
    return t;
}

/* before -> after; exits when memory runs out. */
static void depend(PoolTask *before, PoolTask *after)
{
    if (!pool_depend(before, after)) {
        fprintf(stderr, "pool_depend: out of memory\n");
        exit(1);
    }
}

/* Chain of n tasks, each submitted once its successor has declared it. */
static void chain(Pool *p, long n)
{
    PoolTask *previous = new_task(p, chain_task, 0);
    for (long i = 1; i < n; i++) {
        PoolTask *t = new_task(p, chain_task, i);
        depend(previous, t);
        pool_submit(previous);
        previous = t;
    }
    pool_submit(previous);
}

/* Root with n successors; the root is submitted last. */
static void fanout(Pool *p, long n)
{
    PoolTask *root = new_task(p, root_task, -1);
    for (long i = 0; i < n; i++) {
        PoolTask *t = new_task(p, successor_task, i);
        depend(root, t);
        pool_submit(t);
    }
    pool_submit(root);
}

/* n independent tasks. */
static void independent(Pool *p, long n)
{
    for (long i = 0; i < n; i++)
        pool_submit(new_task(p, independent_task, i));
}

/* One run of the graph; returns its wall time in ns (creation to pool_wait). */
static double run_once(Pool *p, const char *variant, long n)
{
    reset_counts();
    double t0 = now_ns();
    if (strcmp(variant, "chain") == 0)
        chain(p, n);
    else if (strcmp(variant, "fanout") == 0)
        fanout(p, n);
    else
        independent(p, n);
    RtError err = {0};
    bool ok = pool_wait(p, &err);
    double t1 = now_ns();
    if (!ok) {
        fprintf(stderr, "pool_wait: %s\n", err.message);
        exit(1);
    }
    return t1 - t0;
}

/* Runs the graph once untimed, once timed; prints ns per task. */
int main(int argc, char **argv)
{
    const char *variant = argc > 1 ? argv[1] : "chain";
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int workers = argc > 3 ? atoi(argv[3]) : 1;
    bool known =
        !strcmp(variant, "chain") || !strcmp(variant, "fanout") || !strcmp(variant, "indep");
    if (argc > 4 || n < 1 || workers < 1 || !known) {
        fprintf(stderr, "usage: bench_task_overhead chain|fanout|indep N WORKERS\n");
        return 2;
    }

    RtError err = {0};
    PoolConfig cfg = {.workers = workers, .topo = NULL, .trace = false};
    Pool *p = pool_create(&cfg, &err);
    if (!p) {
        fprintf(stderr, "pool_create: %s\n", err.message);
        return 1;
    }
    run_once(p, variant, n); /* warm-up: threads, the pool's arenas */
    double ns = run_once(p, variant, n);

    long expected = strcmp(variant, "fanout") == 0 ? n + 1 : n;
    long ran = tasks_run(), fails = atomic_load(&check_fails);
    if (strcmp(variant, "chain") == 0 && atomic_load(&last_index) != n - 1)
        fails++;
    printf("dmlc %s pool workers %d n %ld ns_per_task %.1f\n", variant, pool_workers(p), n,
           ns / (double)n);
    pool_destroy(p);
    if (ran != expected || fails != 0) {
        fprintf(stderr, "dmlc %s: %ld tasks ran (expected %ld), %ld ran too early\n", variant, ran,
                expected, fails);
        return 1;
    }
    return 0;
}
