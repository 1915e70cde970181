/* interp_ssp.c: ssp(s) loops (stale synchronous parallel, as in Bösen).
 *
 * Workers and clocks: P logical workers (P = the pool's workers). Every time the driving thread
 * reaches the loop (an execution; c counts them from 0 since the shares began), it cuts the
 * iterations into P shares as async loops do (interp_async.c): share (p, c) is the p-th contiguous
 * block. Worker p's clock is the number of its shares that have finished. Share (p, c) starts
 * only when worker p's clock is c (its shares run in order, each on p's own clone of the
 * interpreter) and every worker's clock is at least c - s, that is when every share of executions
 * up to c - s - 1 has finished. Writes go to the shared live state in INPLACE_ATOMIC mode (atomic
 * element updates: nothing is lost), and finishing a share and starting one are ordered by one
 * lock, so:
 *
 *   Guarantee. A share at clock c sees every write of every share of clocks <= c - s - 1 (and its
 *   own worker's writes of clocks < c, and its own at once); it may see any other write that
 *   landed before it reads. No worker starts clock c + s + 1 before every worker has finished
 *   clock c. ssp(0) is bulk-synchronous: clock c starts when all of clock c - 1 is done.
 *
 * The driver does not wait: it submits the P shares of execution c and goes on past the loop,
 * running the steps that interp_ssp_may_overlap allows while shares are in flight (the next
 * execution of this loop, control flow, constants and pure value steps, reads of state the loop
 * does not write, writes to state the loop neither reads nor writes). Any other step (another
 * parallel loop, a declaration, I/O, log, print), the end of the outermost sequential loop, and
 * interp_free drain first (interp_ssp_drain): every share finishes, every write is visible, and
 * the states return to copy-on-write; so does a segment about to run as a task graph (its steps
 * run on clones, which do not ask interp_ssp_may_overlap: interp_block drains before it). A loop
 * that is not inside any sequential loop runs and drains at once. Values defined
 * outside the body that the body uses are captured per execution (references), so the driver may
 * release or overwrite its own slots.
 *
 * Scheduling: a share that may start is put on a ready list and a pool task is submitted for it;
 * a task takes any ready share. When the driver must wait (drain, or `window` executions in
 * flight), it runs ready shares itself on its own thread, so all P threads work. The window is
 * s + 2 executions (at most MAX_WINDOW): for s <= MAX_WINDOW - 2 that covers every share the
 * staleness lets start, so the driver never holds one back. Every SYNC_TASKS pool tasks the driver
 * waits for all shares and the pool, so that the pool's task memory, reclaimed only by pool_wait,
 * stays bounded; waiting more than the staleness requires is always allowed.
 *
 * Errors: a failing share records the first error (with its position); shares not yet started are
 * then skipped. The driver reports the error at its next drain, no later than its next execution
 * of the loop (which drains first once a share has failed). With one worker the loop runs in order
 * (a valid execution of every consistency). */
#define _POSIX_C_SOURCE 200809L
#include "executor/interp_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_WINDOW = 64,      /* executions in flight at most, whatever the staleness */
    SYNC_TASKS = 1 << 16, /* pool tasks between two waits for the pool (~7 MB of tasks) */
};

/* ---- what the body uses from outside (per loop, cached) ---- */

typedef struct {
    int *outer; /* slots the body uses but does not define */
    int nouter;
    bool *reads;      /* per state: the body reads it */
} SspBody;

static void ssp_body_free(void *data)
{
    SspBody *b = data;
    if (!b)
        return;
    free(b->outer);
    free(b->reads);
    free(b);
}

/* Marks the slots blk (and the regions inside it) uses and those it defines. */
static void mark_slots(const Block *blk, bool *used, bool *defined)
{
    for (int i = 0; i < blk->nargs; i++)
        defined[blk->args[i]] = true;
    for (int k = 0; k < blk->nsteps; k++) {
        const Step *st = &blk->steps[k];
        for (int i = 0; i < st->op->noperands; i++)
            used[st->in[i]] = true;
        for (int i = 0; i < st->op->nresults; i++)
            defined[st->out[i]] = true;
        for (int r = 0; r < st->nregions; r++)
            mark_slots(st->regions[r], used, defined);
    }
}

/* Marks the states the region (and the regions inside it) reads. */
static void mark_reads(const Interp *it, const IrRegion *r, bool *reads)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_STATE_READ) {
            int sym = interp_state_find(it, ir_op_symbol(op));
            if (sym >= 0)
                reads[sym] = true;
        }
        for (int i = 0; i < op->nregions; i++)
            mark_reads(it, op->regions[i], reads);
    }
}

/* The loop's SspBody, computed on first use; NULL with it->err set when memory runs out. */
static const SspBody *body_of(Interp *it, const Step *s)
{
    SspBody *b = interp_loop_cache(it, s);
    if (b)
        return b;
    b = calloc(1, sizeof *b);
    bool *used = calloc((size_t)it->nslots + 1, sizeof *used);
    bool *defined = calloc((size_t)it->nslots + 1, sizeof *defined);
    if (b)
        b->reads = calloc((size_t)it->nstates + 1, sizeof *b->reads);
    if (b && used && defined && b->reads) {
        mark_slots(s->regions[s->nregions - 1], used, defined);
        mark_reads(it, s->op->regions[s->op->nregions - 1], b->reads);
        for (int i = 0; i < it->nslots; i++)
            b->nouter += used[i] && !defined[i];
        b->outer = malloc(((size_t)b->nouter + 1) * sizeof *b->outer);
    }
    bool ok = b && used && defined && b->reads && b->outer;
    if (ok) {
        int n = 0;
        for (int i = 0; i < it->nslots; i++)
            if (used[i] && !defined[i])
                b->outer[n++] = i;
    }
    free(used);
    free(defined);
    if (!ok) {
        ssp_body_free(b);
        rt_op_errorf(it->err, s->op, "out of memory");
        return NULL;
    }
    return interp_loop_cache_set(it, s, b, ssp_body_free) ? b : NULL;
}

/* ---- the run: shares in flight ---- */

/* One execution of the loop: its iterations and the outside values its body uses. */
typedef struct {
    IterSet set;
    int64_t n;
    RtValue csr;    /* nonzeros: a reference to the matrix */
    RtValue *outer; /* SspBody.outer's values at this execution (references) */
    int done;       /* shares finished */
} SspExec;

typedef struct SspRun {
    Interp *it; /* the driver */
    const Step *s;
    const SspBody *body;
    int64_t staleness;
    int nshares;
    int window; /* executions in flight at most */
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a share finished */
    /* under lock */
    int64_t submitted; /* executions submitted */
    int64_t complete;  /* executions before this one have every share finished */
    int64_t *clock;    /* per worker: shares finished */
    int64_t min_clock;
    bool *busy; /* per worker: its next share is ready or running */
    int *ready; /* ring of workers whose next share may start */
    int ready_head, ready_len;
    int64_t tasks; /* pool tasks submitted since the pool was last waited for */
    bool failed;
    RtError error; /* the first failure */
    /* SspExec of execution c at execs[c % window]; per worker a clone and its error */
    SspExec *execs;
    Interp **clones;
    RtError *errs;
    InplaceMode *saved; /* the written states' modes before the run */
} SspRun;

/* Under lock: puts every worker whose next share may start on the ready list; returns how many. */
static int find_ready(SspRun *r)
{
    int added = 0;
    for (int p = 0; p < r->nshares; p++) {
        if (r->busy[p] || r->clock[p] >= r->submitted || r->clock[p] - r->staleness > r->min_clock)
            continue;
        r->busy[p] = true;
        r->ready[(r->ready_head + r->ready_len++) % r->nshares] = p;
        added++;
    }
    r->tasks += added;
    return added;
}

/* Under lock: records the first failure. */
static void fail(SspRun *r, const RtError *err)
{
    if (!r->failed) {
        r->failed = true;
        r->error = *err;
    }
}

static bool run_ready_task(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err);

/* Submits n pool tasks, each of which runs one ready share. A task that cannot be made leaves its
 * share on the ready list for the driver (which runs it when it drains). */
static void submit_tasks(SspRun *r, int n)
{
    for (int i = 0; i < n; i++) {
        PoolTask *t =
            pool_task(r->it->pool, run_ready_task, r, 0, -1, r->s->label, (int)r->s->op->loc.line);
        if (!t) {
            RtError e = {0};
            rt_op_errorf(&e, r->s->op, "out of memory");
            pthread_mutex_lock(&r->lock);
            fail(r, &e);
            pthread_mutex_unlock(&r->lock);
            return;
        }
        pool_submit(t);
    }
}

/* Under lock: releases what an execution captured. */
static void exec_release(SspRun *r, SspExec *e)
{
    for (int i = 0; e->outer && i < r->body->nouter; i++)
        rt_value_release(&e->outer[i]);
    rt_value_release(&e->csr);
}

/* Takes one ready share and runs it (skips it after a failure): on a pool worker or on the driver.
 * False when no share was ready. */
static bool run_one_ready(SspRun *r)
{
    pthread_mutex_lock(&r->lock);
    if (r->ready_len == 0) {
        pthread_mutex_unlock(&r->lock);
        return false;
    }
    int p = r->ready[r->ready_head];
    r->ready_head = (r->ready_head + 1) % r->nshares;
    r->ready_len--;
    int64_t c = r->clock[p];
    SspExec *e = &r->execs[c % r->window];
    bool skip = r->failed;
    pthread_mutex_unlock(&r->lock);

    bool ok = true;
    if (!skip) {
        Interp *cl = r->clones[p];
        for (int i = 0; i < r->body->nouter; i++)
            cl->slots[r->body->outer[i]] = e->outer[i]; /* borrowed from the execution */
        r->errs[p].set = false;
        cl->err = &r->errs[p];
        ok = interp_share_run(cl, r->s, &e->set, e->n, p, r->nshares);
    }

    pthread_mutex_lock(&r->lock);
    if (!ok)
        fail(r, &r->errs[p]);
    r->clock[p]++;
    r->busy[p] = false;
    int64_t least = r->clock[0];
    for (int q = 1; q < r->nshares; q++)
        least = r->clock[q] < least ? r->clock[q] : least;
    r->min_clock = least;
    if (++e->done == r->nshares) {
        while (r->complete < r->submitted && r->execs[r->complete % r->window].done == r->nshares)
            exec_release(r, &r->execs[r->complete++ % r->window]);
    }
    int added = find_ready(r);
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    submit_tasks(r, added);
    return true;
}

/* A pool task: one ready share, if the driver has not taken it already. */
static bool run_ready_task(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    (void)w;
    (void)self;
    (void)index;
    (void)err;
    run_one_ready(arg);
    return true; /* a share's failure is the run's, reported by the drain */
}

/* The driver: runs ready shares (or sleeps until a share finishes) until at most `keep`
 * executions are in flight (not every share of them finished); with keep > 0 also until a share
 * has failed. */
static void help_until(SspRun *r, int64_t keep)
{
    for (;;) {
        pthread_mutex_lock(&r->lock);
        bool done = r->submitted - r->complete <= keep || (r->failed && keep > 0);
        bool ready = r->ready_len > 0;
        if (!done && !ready)
            pthread_cond_wait(&r->changed, &r->lock);
        pthread_mutex_unlock(&r->lock);
        if (done)
            return;
        if (ready)
            run_one_ready(r);
    }
}

/* Whether a share has failed. */
static bool run_failed(SspRun *r)
{
    pthread_mutex_lock(&r->lock);
    bool failed = r->failed;
    pthread_mutex_unlock(&r->lock);
    return failed;
}

/* Frees the run (every share finished, the pool waited for). */
static void run_free(SspRun *r)
{
    for (int64_t c = r->complete; c < r->submitted; c++)
        exec_release(r, &r->execs[c % r->window]);
    for (int i = 0; r->execs && i < r->window; i++)
        free(r->execs[i].outer);
    for (int p = 0; r->clones && p < r->nshares; p++)
        interp_share_clone_free(r->clones[p]);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
    free(r->execs);
    free(r->clones);
    free(r->errs);
    free(r->clock);
    free(r->busy);
    free(r->ready);
    free(r->saved);
    free(r);
}

/* Starts a run of loop s: the written states go atomic, each worker gets its clone. */
static SspRun *run_new(Interp *it, const Step *s, const SspBody *body, int64_t staleness)
{
    SspRun *r = calloc(1, sizeof *r);
    if (!r) {
        rt_op_errorf(it->err, s->op, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    r->it = it;
    r->s = s;
    r->body = body;
    r->staleness = staleness;
    r->nshares = pool_workers(it->pool);
    r->window = staleness < MAX_WINDOW - 2 ? (int)staleness + 2 : MAX_WINDOW;
    int P = r->nshares;
    r->clock = calloc((size_t)P, sizeof *r->clock);
    r->busy = calloc((size_t)P, sizeof *r->busy);
    r->ready = calloc((size_t)P, sizeof *r->ready);
    r->clones = calloc((size_t)P, sizeof *r->clones);
    r->errs = calloc((size_t)P, sizeof *r->errs);
    r->execs = calloc((size_t)r->window, sizeof *r->execs);
    r->saved = calloc((size_t)s->nwritten + 1, sizeof *r->saved);
    bool ok = r->clock && r->busy && r->ready && r->clones && r->errs && r->execs && r->saved;
    for (int i = 0; ok && i < r->window; i++) {
        r->execs[i].outer = calloc((size_t)body->nouter + 1, sizeof *r->execs[i].outer);
        ok = r->execs[i].outer != NULL;
    }
    for (int p = 0; ok && p < P; p++) {
        r->clones[p] = interp_share_clone_new(it);
        ok = r->clones[p] != NULL;
    }
    if (!ok) {
        rt_op_errorf(it->err, s->op, "out of memory");
        run_free(r);
        return NULL;
    }
    if (!interp_share_begin(it, s, r->saved)) {
        interp_share_end(it, s, r->saved);
        run_free(r);
        return NULL;
    }
    return r;
}

/* Submits execution `submitted` of the loop: captures its iterations and outside values and lets
 * the shares that may start run. */
static void submit_exec(SspRun *r)
{
    Interp *it = r->it;
    pthread_mutex_lock(&r->lock);
    SspExec *e = &r->execs[r->submitted % r->window]; /* free: the window was checked */
    pthread_mutex_unlock(&r->lock);
    e->n = interp_share_iters(it, r->s, &e->set);
    if (e->set.kind == IR_OP_PLOOP_NONZEROS)
        e->csr = rt_value_ref(it->slots[r->s->in[0]]);
    for (int i = 0; i < r->body->nouter; i++)
        e->outer[i] = rt_value_ref(it->slots[r->body->outer[i]]);
    e->done = 0;
    pthread_mutex_lock(&r->lock);
    r->submitted++;
    int added = find_ready(r);
    pthread_mutex_unlock(&r->lock);
    submit_tasks(r, added);
}

/* Every share submitted finishes and the pool is waited for (its task memory reclaimed); the run
 * goes on. False when the pool reports a failure of its own. */
static bool settle(SspRun *r, RtError *err)
{
    help_until(r, 0);
    return pool_wait(r->it->pool, err);
}

bool interp_ssp_drain(Interp *it)
{
    SspRun *r = it->ssp;
    if (!r)
        return true;
    RtError perr = {0};
    bool ok = settle(r, &perr);
    interp_share_end(it, r->s, r->saved);
    it->ssp = NULL;
    if (r->failed) {
        ok = false;
        if (!it->err->set)
            *it->err = r->error;
    } else if (!ok && !it->err->set) {
        *it->err = perr;
    }
    run_free(r);
    return ok;
}

bool interp_ssp_loop(Interp *it, const Step *s)
{
    if (!it->pool || pool_workers(it->pool) <= 1 || it->on_worker)
        return interp_ploop_in_order(it, s);
    const IrOp *op = s->op;
    int want = op->opcode == IR_OP_PLOOP_RANGE ? 3 : 2;
    if (op->noperands != want)
        return rt_op_errorf(it->err, op, "internal error: an ssp loop without its staleness");
    int64_t staleness = rt_as_i64(it->slots[s->in[want - 1]]);
    if (staleness < 0)
        return rt_op_errorf(it->err, op, "the staleness of ssp(s) must be at least 0, saw %" PRId64,
                            staleness);
    SspRun *r = it->ssp;
    if (r && (r->s != s || r->staleness != staleness || run_failed(r))) {
        if (!interp_ssp_drain(it))
            return false;
        r = NULL;
    }
    if (!r) {
        const SspBody *body = body_of(it, s);
        if (!body)
            return false;
        r = run_new(it, s, body, staleness);
        if (!r)
            return false;
        it->ssp = r;
    }
    /* at most `window` executions in flight, and the pool's task memory bounded */
    help_until(r, r->window - 1);
    pthread_mutex_lock(&r->lock);
    bool sync = r->tasks >= SYNC_TASKS;
    if (sync)
        r->tasks = 0;
    pthread_mutex_unlock(&r->lock);
    RtError perr = {0};
    if (sync && !settle(r, &perr)) {
        pthread_mutex_lock(&r->lock);
        fail(r, &perr);
        pthread_mutex_unlock(&r->lock);
    }
    if (run_failed(r))
        return interp_ssp_drain(it);
    submit_exec(r);
    if (it->loop_depth == 0)
        return interp_ssp_drain(it);
    return true;
}

/* ---- what the driver may run while shares are in flight ---- */

bool interp_ssp_may_overlap(const Interp *it, const Step *s)
{
    const SspRun *r = it->ssp;
    const IrOp *op = s->op;
    int sym = s->sym;
    bool written = false;
    for (int i = 0; i < r->s->nwritten && sym >= 0; i++)
        written |= r->s->written[i] == sym;
    switch (op->opcode) {
    case IR_OP_PLOOP_RANGE:
    case IR_OP_PLOOP_NONZEROS:
    case IR_OP_PLOOP_SCHEDULE:
        return s == r->s; /* the next execution of the loop; any other drains first */
    case IR_OP_CONST:
    case IR_OP_YIELD:
    case IR_OP_CFG_DECL:
    case IR_OP_CFG_GET:
    case IR_OP_SIZE_GET:
    case IR_OP_LOOP_FOR:
    case IR_OP_LOOP_WHILE: /* the steps inside are asked one by one */
    case IR_OP_CTL_IF:
    case IR_OP_CTL_BREAK:
    case IR_OP_CTL_CONTINUE:
    case IR_OP_OBS_ASSERT:
        return true;
    case IR_OP_STATE_READ:
        return !written; /* the driver then sees every write: drain */
    case IR_OP_STATE_WRITE:
    case IR_OP_STATE_WRITE_INDEX:
    case IR_OP_STATE_ACCUMULATE:
        /* a value the shares read or write must not change under them */
        return sym >= 0 && !written && !r->body->reads[sym];
    case IR_OP_STATE_VAR:
    case IR_OP_STATE_PARAM:
    case IR_OP_STATE_INPUT:
        return false; /* declarations may bind sizes, which the shares read */
    default:
        break;
    }
    /* pure value steps: they touch slots only (a step that uses the pool waits for the shares,
     * which is allowed) */
    unsigned flags = ir_op_info(op->opcode)->flags;
    if (flags & (IR_EFFECT | IR_DECL | IR_TERMINATOR | IR_LOOP | IR_PARALLEL | IR_READS))
        return false;
    return (flags & (IR_PURE | IR_RANDOM | IR_CONSTRUCTOR)) != 0;
}
