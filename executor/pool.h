/* pool.h: the worker pool and its task graphs.
 *
 * One worker per core (topo.h decides which cores), pinned on a bound topology, grouped by NUMA
 * domain. Each domain has a ready queue; a worker takes from its own domain's queue and, when that
 * is empty, steals from the other domains' queues (nearest first: domain d+1, d+2, ... mod D).
 * Worker 0 is the thread that created the pool: it does not idle in the pool but joins in while it
 * waits (pool_wait), so `--workers 1` creates no thread at all and runs every task inline.
 *
 * A task is a function, an argument and an index. It counts its unfinished predecessors; the last
 * predecessor to finish pushes it on the ready queue of its domain (or of the finishing worker's
 * domain when it has none). Graphs are built with pool_task / pool_depend / pool_submit, by the
 * waiting thread or by running tasks (a task may create and submit new tasks, and may hand its
 * successors to a task it created with pool_continue, so that "split into chunks, then combine"
 * is expressed without blocking a worker).
 *
 * Errors: a task body that fails fills the RtError it is given and returns false. The first
 * failure is kept; every task not yet started is then skipped (counted as finished without
 * running), so pool_wait always returns, with every worker idle again, and reports that error.
 *
 * Tasks live until pool_wait returns; their handles are invalid afterwards.
 *
 * Tracing: when on, every task run records (label, line, worker, start, end), and pool_trace_write
 * writes them in the Chrome trace event format (one track per worker) that Perfetto opens. */
#ifndef DMLC_EXECUTOR_POOL_H
#define DMLC_EXECUTOR_POOL_H

#include "executor/topo.h"
#include "executor/value.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct Pool Pool;
typedef struct PoolTask PoolTask;

/* What a running task knows about where it runs. */
typedef struct {
    Pool *pool;
    int id;     /* 0 .. workers-1; 0 is the pool's creating thread */
    int domain; /* the worker's NUMA domain */
} PoolWorker;

/* A task body. `self` is the running task (for pool_continue). Returns false after filling err. */
typedef bool (*PoolFn)(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err);

typedef struct {
    int workers;       /* 0: one per core of the topology */
    const Topo *topo;  /* borrowed, must outlive the pool; NULL: this machine (the pool loads it) */
    bool trace;        /* record every task for pool_trace_write */
} PoolConfig;

/* Creates the pool and starts workers 1..n-1 (pinned on a bound topology). NULL + err on failure
 * (cannot load the topology, cannot start a thread). */
Pool *pool_create(const PoolConfig *cfg, RtError *err);
/* Stops and joins every worker. Must not be called while tasks are pending. */
void pool_destroy(Pool *p);

int pool_workers(const Pool *p);
int pool_domains(const Pool *p);
int pool_worker_domain(const Pool *p, int w);
const Topo *pool_topo(const Pool *p);

/* A new task, not yet submitted: it runs fn(w, self, arg, index, err) once every predecessor has
 * finished and it has been submitted. domain: the domain whose queue it goes to when ready (-1:
 * the domain of whoever makes it ready). label (static, or alive until the trace is written) and
 * line name it in traces. Safe to call from any worker. Returns NULL when memory runs out. */
PoolTask *pool_task(Pool *p, PoolFn fn, void *arg, int64_t index, int domain, const char *label,
                    int line);
/* `after` waits for `before`. Both must be unsubmitted, or `before` may be the calling task itself
 * (then `after` runs once it and its continuation have finished). Returns false when memory runs
 * out. */
bool pool_depend(PoolTask *before, PoolTask *after);
/* Lets the task run once its predecessors have finished. Each task is submitted exactly once. */
void pool_submit(PoolTask *t);
/* Called by a running task `self`: its successors become `join`'s (join must be unsubmitted and
 * is typically the combine step of chunks that self created), so they wait for join instead of
 * for self. */
void pool_continue(PoolTask *self, PoolTask *join);

/* Runs tasks on the calling thread (worker 0) until every submitted task has finished. Returns
 * false with the first task error copied into err. Every task is freed. */
bool pool_wait(Pool *p, RtError *err);

/* Convenience: runs fn(w, NULL, arg, i, err) for i in [0, n) as independent tasks, task i on
 * domain domain_of ? domain_of[i] : -1, and waits. */
bool pool_parallel_for(Pool *p, int64_t n, PoolFn fn, void *arg, const int *domain_of,
                       const char *label, int line, RtError *err);

/* ---- statistics and traces ---- */

typedef struct {
    int64_t tasks;   /* tasks run */
    int64_t steals;  /* tasks taken from another domain's queue */
    int64_t skipped; /* tasks skipped after an error */
} PoolWorkerStats;

/* Per-worker counters since the pool was created. */
PoolWorkerStats pool_worker_stats(const Pool *p, int w);

/* Writes the recorded tasks as a Chrome trace event JSON file (atomically, via io_write_text):
 * {"traceEvents":[...],"displayTimeUnit":"ns"} with a thread_name metadata event per worker
 * ("worker 3 (domain 1)") and one complete ("ph":"X") event per task, ts/dur in microseconds
 * with nanosecond decimals, args {"line": N}. `process` names the process track. */
bool pool_trace_write(const Pool *p, const char *path, const char *process, RtError *err);

#endif
