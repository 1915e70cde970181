/* test_pool.c: the worker pool (executor/pool.h): every dependency edge respected for chains,
 * diamonds and random graphs on 1 to 8 workers; tasks that spawn chunks and hand their successors
 * to a join; errors and graphs that can never finish; domains and steals on a synthetic two-domain
 * topology; Chrome traces checked as JSON by Python. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, nanosleep */
#include "executor/pool.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Two NUMA domains of two cores each (hwloc synthetic syntax; "pack:2 core:2" would be one). */
static const char *const TWO_DOMAINS = "numa:2 core:2 pu:1";

/* A pool with `workers` workers on this machine (topo NULL) or on `topo`. */
static Pool *make_pool(int workers, const Topo *topo, bool trace)
{
    RtError err = {0};
    PoolConfig cfg = {.workers = workers, .topo = topo, .trace = trace};
    Pool *p = pool_create(&cfg, &err);
    cr_assert_not_null(p, "pool_create: %s", err.message);
    return p;
}

static Topo *two_domain_topo(void)
{
    RtError err = {0};
    Topo *t = topo_load(TOPO_SYNTHETIC, TWO_DOMAINS, &err);
    cr_assert_not_null(t, "topo_load: %s", err.message);
    cr_assert_eq(topo_domains(t), 2);
    return t;
}

/* Sums of the per-worker counters. */
static PoolWorkerStats total_stats(const Pool *p)
{
    PoolWorkerStats s = {0};
    for (int w = 0; w < pool_workers(p); w++) {
        PoolWorkerStats x = pool_worker_stats(p, w);
        s.tasks += x.tasks;
        s.steals += x.steals;
        s.skipped += x.skipped;
    }
    return s;
}

/* A deterministic pseudo-random sequence (64-bit LCG, top bits). */
static uint32_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*state >> 33);
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* ---- chains ---- */

enum { CHAIN_TASKS = 3000 };

typedef struct {
    atomic_long next;
    int64_t order[CHAIN_TASKS];
} ChainLog;

static bool append_index(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    ChainLog *log = arg;
    long k = atomic_fetch_add(&log->next, 1);
    if (k < CHAIN_TASKS)
        log->order[k] = index;
    return true;
}

/* A chain of CHAIN_TASKS tasks submitted last to first; returns nothing, asserts the order. */
static void check_chain(int workers)
{
    Pool *p = make_pool(workers, NULL, false);
    static ChainLog log;
    atomic_store(&log.next, 0);
    PoolTask **tasks = malloc(CHAIN_TASKS * sizeof *tasks);
    for (int i = 0; i < CHAIN_TASKS; i++) {
        tasks[i] = pool_task(p, append_index, &log, i, -1, "chain", 1);
        cr_assert_not_null(tasks[i]);
        if (i > 0)
            cr_assert(pool_depend(tasks[i - 1], tasks[i]));
    }
    for (int i = CHAIN_TASKS - 1; i >= 0; i--)
        pool_submit(tasks[i]);
    RtError err = {0};
    cr_assert(pool_wait(p, &err), "%s", err.message);
    cr_assert_eq(atomic_load(&log.next), CHAIN_TASKS);
    for (int i = 0; i < CHAIN_TASKS; i++)
        cr_assert_eq(log.order[i], i, "workers %d: position %d holds task %lld", workers, i,
                     (long long)log.order[i]);
    cr_assert_eq(total_stats(p).tasks, CHAIN_TASKS);
    free(tasks);
    pool_destroy(p);
}

Test(pool, chain_runs_tasks_in_order_on_1_2_and_4_workers)
{
    check_chain(1);
    check_chain(2);
    check_chain(4);
}

/* ---- graphs with recorded start and finish times ---- */

/* Each task takes a sequence number when it starts and when it finishes, from one counter. */
typedef struct {
    atomic_long clock;
    int64_t *start, *finish;
    atomic_int *runs;
} Timeline;

static bool record_times(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    Timeline *tl = arg;
    tl->start[index] = atomic_fetch_add(&tl->clock, 1);
    atomic_fetch_add(&tl->runs[index], 1);
    for (volatile int spin = 0; spin < (int)(index % 7) * 20; spin++)
        ;
    tl->finish[index] = atomic_fetch_add(&tl->clock, 1);
    return true;
}

/* Runs n tasks with the edges (before, after), submitted in a shuffled order on `workers`
 * workers, and asserts that each ran once and after all its predecessors. */
static void check_graph(int workers, int n, const int (*edges)[2], int nedges, uint64_t seed)
{
    Pool *p = make_pool(workers, NULL, false);
    Timeline tl = {0};
    tl.start = calloc((size_t)n, sizeof *tl.start);
    tl.finish = calloc((size_t)n, sizeof *tl.finish);
    tl.runs = calloc((size_t)n, sizeof *tl.runs);
    PoolTask **tasks = malloc((size_t)n * sizeof *tasks);
    int *order = malloc((size_t)n * sizeof *order);
    for (int i = 0; i < n; i++) {
        tasks[i] = pool_task(p, record_times, &tl, i, -1, "node", i);
        cr_assert_not_null(tasks[i]);
        order[i] = i;
    }
    for (int e = 0; e < nedges; e++)
        cr_assert(pool_depend(tasks[edges[e][0]], tasks[edges[e][1]]));
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(next_random(&seed) % (uint32_t)(i + 1));
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (int i = 0; i < n; i++)
        pool_submit(tasks[order[i]]);
    RtError err = {0};
    cr_assert(pool_wait(p, &err), "%s", err.message);
    for (int i = 0; i < n; i++)
        cr_assert_eq(atomic_load(&tl.runs[i]), 1, "workers %d: task %d ran %d times", workers, i,
                     atomic_load(&tl.runs[i]));
    for (int e = 0; e < nedges; e++) {
        int a = edges[e][0], b = edges[e][1];
        cr_assert_lt(tl.finish[a], tl.start[b],
                     "workers %d: task %d started (%lld) before its predecessor %d finished (%lld)",
                     workers, b, (long long)tl.start[b], a, (long long)tl.finish[a]);
    }
    cr_assert_eq(total_stats(p).tasks, n);
    free(tasks);
    free(order);
    free(tl.start);
    free(tl.finish);
    free(tl.runs);
    pool_destroy(p);
}

/* root -> 100 tasks -> join -> 100 tasks -> final: 203 tasks, 400 edges. */
Test(pool, diamond_fan_out_and_fan_in_respect_every_edge)
{
    enum { WIDTH = 100, N = 2 * WIDTH + 3 };
    int(*edges)[2] = malloc(4 * WIDTH * sizeof *edges);
    int m = 0, root = 0, join = WIDTH + 1, final = N - 1;
    for (int i = 0; i < WIDTH; i++) {
        int first = 1 + i, second = join + 1 + i;
        edges[m][0] = root, edges[m++][1] = first;
        edges[m][0] = first, edges[m++][1] = join;
        edges[m][0] = join, edges[m++][1] = second;
        edges[m][0] = second, edges[m++][1] = final;
    }
    for (int workers = 1; workers <= 4; workers++)
        check_graph(workers, N, (const int(*)[2])edges, m, 7);
    free(edges);
}

/* 2000 tasks, each after up to 4 random earlier ones (duplicates allowed). */
Test(pool, random_dag_respects_every_edge_on_1_2_3_4_and_8_workers)
{
    enum { N = 2000, MAX_PREDECESSORS = 4 };
    int(*edges)[2] = malloc(N * MAX_PREDECESSORS * sizeof *edges);
    uint64_t seed = 12345;
    int m = 0;
    for (int i = 1; i < N; i++) {
        int k = (int)(next_random(&seed) % (MAX_PREDECESSORS + 1));
        for (int e = 0; e < k; e++) {
            /* mostly near predecessors (long chains), some far ones */
            int back = next_random(&seed) % 4 ? 1 + (int)(next_random(&seed) % 16)
                                              : 1 + (int)(next_random(&seed) % (uint32_t)i);
            edges[m][0] = back <= i ? i - back : 0;
            edges[m++][1] = i;
        }
    }
    cr_assert_gt(m, N); /* a real graph, not a set of loose tasks */
    const int workers[] = {1, 2, 3, 4, 8};
    for (int w = 0; w < 5; w++)
        check_graph(workers[w], N, (const int(*)[2])edges, m, 99 + (uint64_t)w);
    free(edges);
}

/* ---- tasks that create tasks ---- */

enum { PARENTS = 24, CHUNKS = 8 };

typedef struct {
    Pool *pool;
    int64_t partial[PARENTS][CHUNKS];
    int64_t sum[PARENTS];
    atomic_int stage[PARENTS]; /* 1: join ran, 2: its own continuation ran */
    atomic_int checks_passed;  /* successors that saw the whole combine done */
    atomic_int chunk_runs;
} Split;

static int expected_stage(int64_t parent)
{
    return parent % 3 == 0 ? 2 : 1;
}

static int64_t expected_sum(int64_t parent)
{
    int64_t s = 0;
    for (int c = 0; c < CHUNKS; c++)
        s += parent * 100 + c;
    return s;
}

static bool chunk_body(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    Split *s = arg;
    s->partial[index / CHUNKS][index % CHUNKS] = index / CHUNKS * 100 + index % CHUNKS;
    atomic_fetch_add(&s->chunk_runs, 1);
    return true;
}

static bool second_combine(PoolWorker *w, PoolTask *self, void *arg, int64_t parent, RtError *err)
{
    Split *s = arg;
    atomic_store(&s->stage[parent], 2);
    return true;
}

/* Sums the chunks; every third join hands its successors on to a second step. */
static bool join_body(PoolWorker *w, PoolTask *self, void *arg, int64_t parent, RtError *err)
{
    Split *s = arg;
    int64_t sum = 0;
    for (int c = 0; c < CHUNKS; c++)
        sum += s->partial[parent][c];
    s->sum[parent] = sum;
    atomic_store(&s->stage[parent], 1);
    if (parent % 3 == 0) {
        PoolTask *next = pool_task(w->pool, second_combine, s, parent, -1, "combine2", 3);
        if (!next)
            return rt_errorf(err, "out of memory");
        pool_continue(self, next);
        pool_submit(next);
    }
    return true;
}

/* A successor of the parent: the whole combine must be done. */
static bool check_combined(PoolWorker *w, PoolTask *self, void *arg, int64_t parent, RtError *err)
{
    Split *s = arg;
    if (atomic_load(&s->stage[parent]) == expected_stage(parent) &&
        s->sum[parent] == expected_sum(parent))
        atomic_fetch_add(&s->checks_passed, 1);
    return true;
}

/* Splits into CHUNKS chunk tasks and a join, continues with the join; also adds a successor of
 * itself (before or after pool_continue, by parity) that must wait for the join as well. */
static bool parent_body(PoolWorker *w, PoolTask *self, void *arg, int64_t parent, RtError *err)
{
    Split *s = arg;
    PoolTask *join = pool_task(w->pool, join_body, s, parent, -1, "join", 2);
    PoolTask *extra = pool_task(w->pool, check_combined, s, parent, -1, "extra", 4);
    if (!join || !extra)
        return rt_errorf(err, "out of memory");
    if (parent % 2 == 0 && !pool_depend(self, extra))
        return rt_errorf(err, "out of memory");
    PoolTask *chunks[CHUNKS];
    for (int c = 0; c < CHUNKS; c++) {
        chunks[c] = pool_task(w->pool, chunk_body, s, parent * CHUNKS + c, -1, "chunk", 1);
        if (!chunks[c] || !pool_depend(chunks[c], join))
            return rt_errorf(err, "out of memory");
    }
    pool_continue(self, join);
    if (parent % 2 == 1 && !pool_depend(self, extra))
        return rt_errorf(err, "out of memory");
    for (int c = 0; c < CHUNKS; c++)
        pool_submit(chunks[c]);
    pool_submit(join);
    pool_submit(extra);
    return true;
}

static void check_split(int workers)
{
    Pool *p = make_pool(workers, NULL, false);
    static Split s;
    memset(&s, 0, sizeof s);
    s.pool = p;
    PoolTask *parents[PARENTS], *after[PARENTS];
    for (int i = 0; i < PARENTS; i++) {
        parents[i] = pool_task(p, parent_body, &s, i, -1, "parent", 1);
        after[i] = pool_task(p, check_combined, &s, i, -1, "after", 5);
        cr_assert(pool_depend(parents[i], after[i]));
    }
    for (int i = 0; i < PARENTS; i++) {
        pool_submit(after[i]);
        pool_submit(parents[i]);
    }
    RtError err = {0};
    cr_assert(pool_wait(p, &err), "%s", err.message);
    cr_assert_eq(atomic_load(&s.chunk_runs), PARENTS * CHUNKS);
    for (int i = 0; i < PARENTS; i++) {
        cr_assert_eq(s.sum[i], expected_sum(i));
        cr_assert_eq(atomic_load(&s.stage[i]), expected_stage(i));
    }
    /* `after` and `extra` of every parent */
    cr_assert_eq(atomic_load(&s.checks_passed), 2 * PARENTS, "workers %d: %d of %d checks passed",
                 workers, atomic_load(&s.checks_passed), 2 * PARENTS);
    int64_t tasks = PARENTS * (1 + 1 + 1 + CHUNKS + 1) + (PARENTS + 2) / 3;
    cr_assert_eq(total_stats(p).tasks, tasks);
    pool_destroy(p);
}

Test(pool, chunks_and_continued_join_run_before_the_parents_successors)
{
    check_split(1);
    check_split(2);
    check_split(4);
}

/* Each task below depth 13 spawns two children: 2^14 - 1 tasks created by every worker. */
static bool spawn_tree(PoolWorker *w, PoolTask *self, void *arg, int64_t depth, RtError *err)
{
    atomic_long *count = arg;
    atomic_fetch_add(count, 1);
    if (depth == 13)
        return true;
    for (int k = 0; k < 2; k++) {
        PoolTask *child = pool_task(w->pool, spawn_tree, arg, depth + 1, -1, "tree", 1);
        if (!child)
            return rt_errorf(err, "out of memory");
        pool_submit(child);
    }
    return true;
}

Test(pool, tasks_created_by_running_tasks_all_run)
{
    for (int workers = 1; workers <= 3; workers++) {
        Pool *p = make_pool(workers, NULL, false);
        atomic_long count = 0;
        for (int round = 0; round < 3; round++) {
            atomic_store(&count, 0);
            pool_submit(pool_task(p, spawn_tree, &count, 0, -1, "tree", 1));
            RtError err = {0};
            cr_assert(pool_wait(p, &err), "%s", err.message);
            cr_assert_eq(atomic_load(&count), (1 << 14) - 1);
        }
        cr_assert_eq(total_stats(p).tasks, 3 * ((1 << 14) - 1));
        pool_destroy(p);
    }
}

/* ---- errors ---- */

typedef struct {
    int64_t failing;
    atomic_long runs;
} FailPlan;

static bool maybe_fail(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    FailPlan *plan = arg;
    atomic_fetch_add(&plan->runs, 1);
    if (index == plan->failing)
        return rt_errorf(err, "prog.dml:3:7: error: task %lld failed", (long long)index);
    return true;
}

static bool count_run(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    atomic_fetch_add((atomic_long *)arg, 1);
    return true;
}

static void check_failure_among_10000(int workers)
{
    enum { N = 10000 };
    Pool *p = make_pool(workers, NULL, false);
    FailPlan plan = {.failing = 4321};
    RtError err = {0};
    cr_assert_not(pool_parallel_for(p, N, maybe_fail, &plan, NULL, "f", 3, &err));
    cr_assert_str_eq(err.message, "prog.dml:3:7: error: task 4321 failed");
    PoolWorkerStats s = total_stats(p);
    cr_assert_eq(s.tasks, atomic_load(&plan.runs));
    cr_assert_eq(s.tasks + s.skipped, N, "workers %d: %lld run + %lld skipped", workers,
                 (long long)s.tasks, (long long)s.skipped);
    cr_assert_geq(s.tasks, 1);

    /* the pool works again */
    atomic_long count = 0;
    RtError again = {0};
    cr_assert(pool_parallel_for(p, 500, count_run, &count, NULL, "g", 4, &again), "%s",
              again.message);
    cr_assert_eq(atomic_load(&count), 500);
    PoolWorkerStats after = total_stats(p);
    cr_assert_eq(after.tasks, s.tasks + 500);
    cr_assert_eq(after.skipped, s.skipped);
    pool_destroy(p);
}

Test(pool, error_in_one_of_10000_tasks_is_reported_and_the_rest_skipped)
{
    check_failure_among_10000(1);
    check_failure_among_10000(2);
    check_failure_among_10000(4);
}

Test(pool, error_in_a_chain_skips_exactly_the_tasks_after_it)
{
    enum { N = 1000, FAILING = 10 };
    for (int workers = 1; workers <= 2; workers++) {
        Pool *p = make_pool(workers, NULL, false);
        FailPlan plan = {.failing = FAILING};
        PoolTask *prev = NULL;
        for (int i = 0; i < N; i++) {
            PoolTask *t = pool_task(p, maybe_fail, &plan, i, -1, "c", 1);
            if (prev) {
                cr_assert(pool_depend(prev, t));
                pool_submit(prev);
            }
            prev = t;
        }
        pool_submit(prev);
        RtError err = {0};
        cr_assert_not(pool_wait(p, &err));
        cr_assert_str_eq(err.message, "prog.dml:3:7: error: task 10 failed");
        PoolWorkerStats s = total_stats(p);
        cr_assert_eq(atomic_load(&plan.runs), FAILING + 1);
        cr_assert_eq(s.tasks, FAILING + 1);
        cr_assert_eq(s.skipped, N - FAILING - 1);
        pool_destroy(p);
    }
}

static bool fail_silently(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    return false;
}

Test(pool, failure_without_a_message_names_the_task)
{
    Pool *p = make_pool(2, NULL, false);
    pool_submit(pool_task(p, fail_silently, NULL, 0, -1, "matmul", 17));
    RtError err = {0};
    cr_assert_not(pool_wait(p, &err));
    cr_assert_str_eq(err.message, "error: task 'matmul' (line 17) failed without a message");
    pool_destroy(p);
}

/* Continues with a join, then fails before submitting it (as on running out of memory). */
static bool continue_then_fail(PoolWorker *w, PoolTask *self, void *arg, int64_t index,
                               RtError *err)
{
    PoolTask *join = pool_task(w->pool, count_run, arg, 0, -1, "join", 2);
    if (!join)
        return rt_errorf(err, "out of memory");
    pool_continue(self, join);
    return rt_errorf(err, "prog.dml:9:1: error: no chunks");
}

Test(pool, failure_after_pool_continue_reports_the_error_and_skips_the_successors)
{
    for (int workers = 1; workers <= 2; workers++) {
        Pool *p = make_pool(workers, NULL, false);
        atomic_long count = 0;
        PoolTask *parent = pool_task(p, continue_then_fail, &count, 0, -1, "parent", 1);
        PoolTask *after = pool_task(p, count_run, &count, 1, -1, "after", 2);
        cr_assert(pool_depend(parent, after));
        pool_submit(after);
        pool_submit(parent);
        RtError err = {0};
        cr_assert_not(pool_wait(p, &err));
        cr_assert_str_eq(err.message, "prog.dml:9:1: error: no chunks");
        cr_assert_eq(atomic_load(&count), 0);
        PoolWorkerStats s = total_stats(p);
        cr_assert_eq(s.tasks, 1);
        cr_assert_eq(s.skipped, 1);
        pool_destroy(p);
    }
}

Test(pool, task_waiting_for_an_unsubmitted_task_is_reported_not_hung)
{
    for (int workers = 1; workers <= 3; workers++) {
        Pool *p = make_pool(workers, NULL, false);
        atomic_long count = 0;
        PoolTask *never = pool_task(p, count_run, &count, 0, -1, "never", 1);
        PoolTask *blocked = pool_task(p, count_run, &count, 1, -1, "blocked", 2);
        PoolTask *free_task = pool_task(p, count_run, &count, 2, -1, "free", 3);
        cr_assert(pool_depend(never, blocked));
        pool_submit(blocked);
        pool_submit(free_task);
        RtError err = {0};
        cr_assert_not(pool_wait(p, &err));
        cr_assert_str_eq(err.message,
                         "error: pool: 1 submitted tasks can never run (a predecessor was never "
                         "submitted, or the dependencies form a cycle)");
        cr_assert_eq(atomic_load(&count), 1);
        RtError again = {0};
        cr_assert(pool_parallel_for(p, 100, count_run, &count, NULL, "g", 4, &again), "%s",
                  again.message);
        cr_assert_eq(atomic_load(&count), 101);
        pool_destroy(p);
    }
}

/* ---- domains ---- */

typedef struct {
    int64_t n;
    atomic_int *ran_on; /* worker id + 1 */
    atomic_int wrong_domain_view;
    int sleep_us;
} Placement;

static bool note_worker(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    Placement *pl = arg;
    atomic_store(&pl->ran_on[index], w->id + 1);
    if (w->domain != pool_worker_domain(w->pool, w->id))
        atomic_fetch_add(&pl->wrong_domain_view, 1);
    if (pl->sleep_us)
        sleep_us(pl->sleep_us);
    return true;
}

Test(pool, workers_are_laid_out_over_two_domains)
{
    Topo *t = two_domain_topo();
    Pool *p = make_pool(4, t, false);
    cr_assert_eq(pool_workers(p), 4);
    cr_assert_eq(pool_domains(p), 2);
    cr_assert_eq(pool_topo(p), t);
    const int expected[] = {0, 0, 1, 1};
    for (int w = 0; w < 4; w++)
        cr_assert_eq(pool_worker_domain(p, w), expected[w]);
    cr_assert_eq(pool_worker_domain(p, 4), -1);
    pool_destroy(p);
    topo_free(t);
}

/* Domain-1 tasks: the domain-1 workers take part, and every one that a domain-0 worker ran is
 * counted as its steal (and no other). */
Test(pool, domain_tasks_run_on_their_domain_and_others_count_steals)
{
    enum { N = 200 };
    Topo *t = two_domain_topo();
    Pool *p = make_pool(4, t, false);
    Placement pl = {.n = N, .ran_on = calloc(N, sizeof(atomic_int)), .sleep_us = 300};
    int *domain_of = malloc(N * sizeof *domain_of);
    for (int i = 0; i < N; i++)
        domain_of[i] = 1;
    RtError err = {0};
    cr_assert(pool_parallel_for(p, N, note_worker, &pl, domain_of, "d1", 1, &err), "%s",
              err.message);
    int by_domain[2] = {0, 0};
    for (int i = 0; i < N; i++) {
        int w = atomic_load(&pl.ran_on[i]) - 1;
        cr_assert(w >= 0 && w < 4, "task %d did not run", i);
        by_domain[pool_worker_domain(p, w)]++;
    }
    cr_assert_gt(by_domain[1], 0, "no domain-1 task ran on a domain-1 worker");
    cr_assert_eq(atomic_load(&pl.wrong_domain_view), 0);
    int64_t steals0 = pool_worker_stats(p, 0).steals + pool_worker_stats(p, 1).steals;
    int64_t steals1 = pool_worker_stats(p, 2).steals + pool_worker_stats(p, 3).steals;
    cr_assert_eq(steals0, by_domain[0]);
    cr_assert_eq(steals1, 0);
    free(domain_of);
    free(pl.ran_on);
    pool_destroy(p);
    topo_free(t);
}

/* One worker on two domains: every domain-1 task must be stolen, no other. */
Test(pool, lone_worker_steals_every_task_of_the_other_domain)
{
    enum { N = 300 };
    Topo *t = two_domain_topo();
    Pool *p = make_pool(1, t, false);
    Placement pl = {.n = N, .ran_on = calloc(N, sizeof(atomic_int))};
    int *domain_of = malloc(N * sizeof *domain_of);
    for (int i = 0; i < N; i++)
        domain_of[i] = i % 3 - 1; /* -1, 0, 1 */
    RtError err = {0};
    cr_assert(pool_parallel_for(p, N, note_worker, &pl, domain_of, "d", 1, &err), "%s",
              err.message);
    for (int i = 0; i < N; i++)
        cr_assert_eq(atomic_load(&pl.ran_on[i]), 1);
    cr_assert_eq(pool_worker_stats(p, 0).steals, N / 3);
    cr_assert_eq(pool_worker_stats(p, 0).tasks, N);
    free(domain_of);
    free(pl.ran_on);
    pool_destroy(p);
    topo_free(t);
}

/* ---- pool_parallel_for and pool_create ---- */

typedef struct {
    atomic_int *hits;
    atomic_int saw_a_handle;
} ForCheck;

static bool hit_index(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    ForCheck *c = arg;
    atomic_fetch_add(&c->hits[index], 1);
    if (self)
        atomic_fetch_add(&c->saw_a_handle, 1);
    return true;
}

Test(pool, parallel_for_runs_each_index_once)
{
    enum { N = 20000 };
    Pool *p = make_pool(0, NULL, false);
    ForCheck c = {.hits = calloc(N, sizeof(atomic_int))};
    RtError err = {0};
    cr_assert(pool_parallel_for(p, N, hit_index, &c, NULL, "for", 1, &err), "%s", err.message);
    for (int i = 0; i < N; i++)
        cr_assert_eq(atomic_load(&c.hits[i]), 1, "index %d ran %d times", i,
                     atomic_load(&c.hits[i]));
    cr_assert_eq(atomic_load(&c.saw_a_handle), 0);
    cr_assert(pool_parallel_for(p, 0, hit_index, &c, NULL, "for", 1, &err));
    free(c.hits);
    pool_destroy(p);
}

Test(pool, zero_workers_means_one_per_core_and_negative_is_an_error)
{
    RtError err = {0};
    Topo *t = topo_load(TOPO_THIS_MACHINE, NULL, &err);
    cr_assert_not_null(t, "%s", err.message);
    Pool *p = make_pool(0, NULL, false);
    cr_assert_eq(pool_workers(p), topo_cores(t));
    cr_assert_not_null(pool_topo(p));
    pool_destroy(p);
    topo_free(t);
    PoolConfig bad = {.workers = -2};
    cr_assert_null(pool_create(&bad, &err));
    cr_assert_str_eq(err.message, "error: pool: workers must be between 0 and 1024, saw -2");
}

/* ---- traces ---- */

/* The checker: valid JSON, the metadata events, one X event per task with its line. */
static const char *const TRACE_CHECK =
    "import json, sys\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "n, workers = int(sys.argv[2]), int(sys.argv[3])\n"
    "assert d['displayTimeUnit'] == 'ns'\n"
    "ev = d['traceEvents']\n"
    "meta = [e for e in ev if e['ph'] == 'M']\n"
    "assert [e['args']['name'] for e in meta if e['name'] == 'process_name'] == ['proc \"x\"']\n"
    "names = sorted((e['tid'], e['args']['name']) for e in meta if e['name'] == 'thread_name')\n"
    "assert names == [(w, 'worker %d (domain 0)' % w) for w in range(workers)], names\n"
    "x = [e for e in ev if e['ph'] == 'X']\n"
    "assert len(x) == n, len(x)\n"
    "assert sorted(e['args']['line'] for e in x) == list(range(n))\n"
    "assert all(e['pid'] == 1 and 0 <= e['tid'] < workers for e in x)\n"
    "assert all(e['ts'] >= 0 and e['dur'] >= 0 for e in x)\n"
    "odd = 'op \"q\" \\\\ tab\\t nl\\n \\u00e9 \\ufffd'\n"
    "assert n == 0 or sorted(set(e['name'] for e in x)) == sorted(['plain', odd])\n";

static bool traced_body(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    sleep_us(20);
    return true;
}

/* Runs the Python checker on the trace file; true when every assertion holds. */
static bool trace_is_valid(const char *path, int tasks, int workers)
{
    char script[] = "/tmp/dmlc_trace_check_XXXXXX";
    int fd = mkstemp(script);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(TRACE_CHECK, f);
    fclose(f);
    char command[512];
    snprintf(command, sizeof command, "/usr/bin/python3 %s %s %d %d", script, path, tasks, workers);
    int rc = system(command);
    remove(script);
    return rc == 0;
}

Test(pool, trace_is_chrome_json_with_one_event_per_task)
{
    enum { N = 60, WORKERS = 2 };
    static const char odd[] = "op \"q\" \\ tab\t nl\n \xc3\xa9 \xff";
    Pool *p = make_pool(WORKERS, NULL, true);
    PoolTask *prev = NULL;
    for (int i = 0; i < N; i++) {
        /* a chain for the first half, independent tasks after */
        PoolTask *t = pool_task(p, traced_body, NULL, i, -1, i % 2 ? odd : "plain", i);
        if (prev && i < N / 2) {
            cr_assert(pool_depend(prev, t));
            pool_submit(prev);
        } else if (prev) {
            pool_submit(prev);
        }
        prev = t;
    }
    pool_submit(prev);
    RtError err = {0};
    cr_assert(pool_wait(p, &err), "%s", err.message);
    char path[] = "/tmp/dmlc_trace_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert(pool_trace_write(p, path, "proc \"x\"", &err), "%s", err.message);
    cr_assert(trace_is_valid(path, N, WORKERS), "trace %s failed the JSON check", path);
    remove(path);
    pool_destroy(p);
}

Test(pool, trace_without_tracing_has_no_task_events)
{
    Pool *p = make_pool(2, NULL, false);
    atomic_long count = 0;
    RtError err = {0};
    cr_assert(pool_parallel_for(p, 10, count_run, &count, NULL, "x", 1, &err));
    char path[] = "/tmp/dmlc_trace_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    cr_assert(pool_trace_write(p, path, "proc \"x\"", &err), "%s", err.message);
    cr_assert(trace_is_valid(path, 0, 2));
    remove(path);
    pool_destroy(p);
}
