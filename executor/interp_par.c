/* interp_par.c: how each parallel loop runs (interp_par_classify), and the chunk schedule.
 *
 * Choosing: the dependence pass (passes/depend.c) records the loop's class on the op; this file
 * turns class, consistency and what the body does into a LoopSched. A body that does something
 * whose order matters (a whole outer assignment, load, save, log or print, a nested parallel
 * loop, a declaration) runs in order. Otherwise: bsp loops run in chunks (collisions between
 * iterations are caught at run time, so any class can); serial loops run in chunks when their
 * class is independent or reduction (no iteration touches what another writes, so every order
 * gives the same result), as P x P strata when two-axis (interp_strata.c), else in order with a
 * warning quoting the pass's reason; async and ssp run as Hogwild and SSP (interp_async.c,
 * interp_ssp.c); schedule(...) as the STRADS loop (interp_sched.c), whose bsp round comes back
 * here through interp_par_run.
 *
 * How: the iterations are cut into chunks of consecutive iterations. Each chunk is one pool task,
 * run by a clone of the interpreter private to the worker (its own value slots, own-write log and
 * views; the state table, the snapshots and the compiled kernels are shared read-only). Element
 * writes go straight to the live state, which was made unique before the loop, with atomic
 * per-element stamps catching two iterations that write one element. Accumulations go to the
 * chunk's own accumulators; when every chunk is done, they are combined pairwise in a fixed tree
 * order (chunk 0 + 1, 2 + 3, ..., then the pairs) and added to the state.
 *
 * Determinism: with --deterministic the chunks depend only on the iteration count (at most 64
 * chunks of at least 16 iterations), so the sums are the same bits for any number of workers.
 * Without it, the loop is cut into 16 chunks per worker (balance; fewer accumulators than 64
 * when there are few workers). */
#include "executor/interp_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MIN_CHUNK_ITERS = 16,
    FIXED_CHUNKS = 64,
    CHUNKS_PER_WORKER = 16,
};
/* Accumulators of all chunks together stay under this many bytes (fewer chunks otherwise). */
static const int64_t ACC_BUDGET_BYTES = 256LL << 20;

/* ---- classification ---- */

/* Why a body cannot run in parallel pieces, or NULL when it can. */
static const char *body_blocker(Interp *it, const Step *s, const IrRegion *r, bool *index_written)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        switch (op->opcode) {
        case IR_OP_STATE_WRITE: {
            int sym = interp_state_find(it, ir_op_symbol(op));
            for (int i = 0; i < s->nwritten; i++)
                if (s->written[i] == sym)
                    return "it assigns a whole outer value";
            break;
        }
        case IR_OP_STATE_WRITE_INDEX: {
            int sym = interp_state_find(it, ir_op_symbol(op));
            for (int i = 0; i < s->nwritten && index_written; i++)
                if (s->written[i] == sym)
                    index_written[i] = true;
            break;
        }
        case IR_OP_STATE_VAR:
        case IR_OP_STATE_PARAM:
        case IR_OP_STATE_INPUT:
            return "it declares state inside the body";
        case IR_OP_IO_LOAD:
        case IR_OP_IO_LOAD_LIBSVM:
        case IR_OP_IO_SAVE:
            return "it reads or writes files";
        case IR_OP_OBS_LOG:
        case IR_OP_OBS_PRINT:
            return "it logs or prints";
        case IR_OP_PLOOP_RANGE:
        case IR_OP_PLOOP_NONZEROS:
        case IR_OP_PLOOP_SCHEDULE:
            return "it contains another parallel loop";
        default:
            break;
        }
        for (int i = 0; i < op->nregions; i++) {
            const char *why = body_blocker(it, s, op->regions[i], index_written);
            if (why)
                return why;
        }
    }
    return NULL;
}

const char *interp_body_blocker(Interp *it, const Step *s, bool *index_written)
{
    return body_blocker(it, s, s->op->regions[s->op->nregions - 1], index_written);
}

/* The schedule of a loop whose body can run in pieces, from its consistency and class. */
static LoopSched choose_sched(const Step *s, const char *consistency, const char **why)
{
    const char *cls = s->loop_class;
    if (s->op->opcode == IR_OP_PLOOP_SCHEDULE)
        return SCHED_STRADS;
    if (strcmp(consistency, "bsp") == 0)
        return SCHED_CHUNKS; /* collisions between iterations are caught at run time */
    if (strcmp(consistency, "async") == 0)
        return SCHED_HOGWILD;
    if (strcmp(consistency, "ssp") == 0)
        return SCHED_SSP;
    /* serial */
    if (!cls) {
        *why = "the loop carries no dependence class (a plan from an older dmlc)";
        return SCHED_SEQUENTIAL;
    }
    if (strcmp(cls, "independent") == 0 || strcmp(cls, "reduction") == 0)
        return SCHED_CHUNKS;
    if (strcmp(cls, "two-axis") == 0 && s->op->opcode == IR_OP_PLOOP_NONZEROS)
        return SCHED_STRATA;
    const IrAttr *reason = ir_get_attr(s->op, "class_reason");
    *why = reason ? reason->string : "its iterations may conflict";
    return SCHED_SEQUENTIAL;
}

void interp_par_classify(Interp *it, Step *s)
{
    const IrOp *op = s->op;
    s->par = false;
    s->sched = SCHED_SEQUENTIAL;
    const IrAttr *cls = ir_get_attr(op, "class");
    s->loop_class = cls ? cls->string : NULL;
    s->label = arena_printf(&it->arena, "parallel for (line %u)", (unsigned)op->loc.line);
    s->written_index = ARENA_ARRAY(&it->arena, bool, s->nwritten + 1);
    const IrAttr *c = ir_get_attr(op, "consistency");
    s->par_reason = interp_body_blocker(it, s, s->written_index);
    if (s->par_reason) {
        if (op->opcode == IR_OP_PLOOP_SCHEDULE)
            s->sched = SCHED_STRADS; /* the draw still runs; the round runs in order */
        return;
    }
    s->sched = choose_sched(s, c ? c->string : "bsp", &s->par_reason);
    s->par = s->sched == SCHED_CHUNKS;
    if (s->sched == SCHED_SEQUENTIAL && it->opt && it->opt->observer.on_warning) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s:%u:%u: warning: this parallel for runs sequentially: %s",
                 op->loc.file ? op->loc.file : "", (unsigned)op->loc.line, (unsigned)op->loc.col,
                 s->par_reason);
        it->opt->observer.on_warning(it->opt->observer.user, msg);
    }
}

/* ---- one execution of a parallel loop ---- */

typedef struct {
    Interp *it;  /* the interpreter that reached the loop; read-only while chunks run */
    const Step *s;
    int64_t n;   /* iterations */
    int64_t per; /* iterations per chunk */
    int64_t nchunks;
    int64_t lo;            /* range: the first index */
    const Tensor *csr;     /* nonzeros: the matrix */
    const int64_t *kept;   /* schedule: the kept candidates */
    RtValue *accs;     /* nchunks x acc_stride accumulators */
    int64_t acc_stride; /* nstates rounded up to whole cache lines (no false sharing) */
    Interp **clones;    /* per worker, made by its first chunk (interp_share_clone_new) */
} ParLoop;

enum { CACHE_LINE = 64 };

/* The worker's private interpreter (made by its first chunk; only worker w touches clones[w]). */
static Interp *worker_clone(ParLoop *pl, int w, RtError *err)
{
    if (!pl->clones[w] && !(pl->clones[w] = interp_share_clone_new(pl->it)))
        rt_op_errorf(err, pl->s->op, "out of memory");
    return pl->clones[w];
}

/* A pool task: chunk c's iterations, one after another, on the worker's clone. */
static bool run_chunk(PoolWorker *w, PoolTask *self, void *arg, int64_t c, RtError *err)
{
    (void)self;
    ParLoop *pl = arg;
    Interp *cl = worker_clone(pl, w->id, err);
    if (!cl)
        return false;
    const Step *s = pl->s;
    cl->err = err;
    cl->chunk_acc = &pl->accs[c * pl->acc_stride];
    int64_t a = c * pl->per, b = a + pl->per < pl->n ? a + pl->per : pl->n;
    IterSet set = {.kind = s->op->opcode, .lo = pl->lo, .csr = pl->csr, .kept = pl->kept};
    bool ok = interp_run_iterations(cl, s, &set, a, b, true);
    cl->chunk_acc = NULL;
    return ok;
}

/* Chunks: fixed by the iteration count under --deterministic, else 4 per worker; fewer when the
 * accumulators would not fit the budget. */
static void choose_chunks(ParLoop *pl, int workers, int64_t min_chunk)
{
    const Interp *it = pl->it;
    int64_t want = it->deterministic ? FIXED_CHUNKS : (int64_t)CHUNKS_PER_WORKER * workers;
    int64_t most = (pl->n + min_chunk - 1) / min_chunk;
    if (want > most)
        want = most;
    int64_t acc_bytes = 0;
    for (int i = 0; i < pl->s->nwritten; i++) {
        const State *st = &it->states[pl->s->written[i]];
        if (st->value.is_tensor && !pl->s->written_index[i])
            acc_bytes += (int64_t)tensor_bytes(st->value.t);
    }
    if (acc_bytes > 0 && want * acc_bytes > ACC_BUDGET_BYTES)
        want = ACC_BUDGET_BYTES / acc_bytes;
    if (want < 1)
        want = 1;
    pl->per = (pl->n + want - 1) / want;
    if (pl->per < 1)
        pl->per = 1;
    pl->nchunks = (pl->n + pl->per - 1) / pl->per;
}

/* Snapshots the written state; states written element by element are made unique (so chunks can
 * write distinct elements in place) and get their collision stamps up front. */
static bool begin_loop(Interp *it, const Step *s)
{
    for (int i = 0; i < s->nwritten; i++) {
        State *st = &it->states[s->written[i]];
        st->snap = rt_value_ref(st->value);
        st->in_loop = true;
    }
    for (int i = 0; i < s->nwritten; i++) {
        State *st = &it->states[s->written[i]];
        if (!s->written_index[i] || !st->value.is_tensor)
            continue;
        if (!tensor_make_unique(&st->value.t))
            return rt_op_errorf(it->err, s->op, "out of memory");
        if (it->eval.checked) {
            st->stamps = calloc((size_t)st->value.t->numel + 1, sizeof *st->stamps);
            if (!st->stamps)
                return rt_op_errorf(it->err, s->op, "out of memory");
        }
    }
    return true;
}

/* Combines the chunks' accumulators in a fixed tree order, adds them to the state, and ends the
 * loop's bookkeeping (also after an error). */
static bool end_loop(Interp *it, const Step *s, ParLoop *pl, bool ok)
{
    int64_t ns = pl->acc_stride;
    for (int i = 0; i < s->nwritten; i++) {
        int sym = s->written[i];
        State *st = &it->states[sym];
        for (int64_t width = 1; ok && width < pl->nchunks; width *= 2) {
            for (int64_t c = 0; ok && c + width < pl->nchunks; c += 2 * width) {
                RtValue *into = &pl->accs[c * ns + sym], *from = &pl->accs[(c + width) * ns + sym];
                if (from->dtype == DT_NONE)
                    continue;
                if (into->dtype == DT_NONE) {
                    *into = *from;
                    *from = (RtValue){0};
                    continue;
                }
                ok = interp_apply_whole(it, s->op, into, *from, RT_APPLY_ADD);
            }
        }
        RtValue *total = pl->nchunks > 0 ? &pl->accs[sym] : NULL;
        if (ok && total && total->dtype != DT_NONE)
            ok = interp_apply_whole(it, s->op, &st->value, *total, RT_APPLY_ADD);
        rt_value_release(&st->snap);
        free(st->stamps);
        st->stamps = NULL;
        st->in_loop = false;
    }
    for (int64_t k = 0; k < pl->nchunks * ns; k++)
        rt_value_release(&pl->accs[k]);
    return ok;
}

bool interp_par_loop(Interp *it, const Step *s)
{
    IterSet set = {.kind = s->op->opcode};
    int64_t n;
    if (s->op->opcode == IR_OP_PLOOP_RANGE) {
        int64_t lo = it->slots[s->in[0]].i, hi = it->slots[s->in[1]].i;
        set.lo = lo;
        n = hi > lo ? hi - lo : 0;
    } else {
        set.csr = it->slots[s->in[0]].t;
        n = set.csr->numel;
    }
    return interp_par_run(it, s, &set, n, MIN_CHUNK_ITERS);
}

bool interp_par_run(Interp *it, const Step *s, const IterSet *set, int64_t n, int64_t min_chunk)
{
    ParLoop pl = {.it = it, .s = s, .n = n, .lo = set->lo, .csr = set->csr, .kept = set->kept};
    int workers = pool_workers(it->pool);
    choose_chunks(&pl, workers, min_chunk < 1 ? 1 : min_chunk);
    bool ok = begin_loop(it, s);
    /* a stride whose bytes are whole cache lines: a multiple of 64 / gcd(64, sizeof(RtValue)) */
    int64_t unit = CACHE_LINE;
    while (unit > 1 && (unit / 2 * (int64_t)sizeof(RtValue)) % CACHE_LINE == 0)
        unit /= 2;
    pl.acc_stride = (it->nstates + unit) / unit * unit;
    size_t acc_bytes = (size_t)(pl.nchunks * pl.acc_stride) * sizeof(RtValue) + CACHE_LINE;
    pl.accs = aligned_alloc(CACHE_LINE, acc_bytes / CACHE_LINE * CACHE_LINE);
    if (pl.accs)
        memset(pl.accs, 0, acc_bytes / CACHE_LINE * CACHE_LINE);
    pl.clones = calloc((size_t)workers, sizeof *pl.clones);
    if (ok && (!pl.accs || !pl.clones))
        ok = rt_op_errorf(it->err, s->op, "out of memory");
    if (ok && pl.nchunks > 0)
        ok = pool_parallel_for(it->pool, pl.nchunks, run_chunk, &pl, NULL, s->label,
                               (int)s->op->loc.line, it->err);
    for (int w = 0; pl.clones && w < workers; w++)
        interp_share_clone_free(pl.clones[w]);
    if (pl.accs)
        ok = end_loop(it, s, &pl, ok);
    else
        for (int i = 0; i < s->nwritten; i++) {
            State *st = &it->states[s->written[i]];
            rt_value_release(&st->snap);
            free(st->stamps);
            st->stamps = NULL;
            st->in_loop = false;
        }
    free(pl.accs);
    free(pl.clones);
    return ok;
}
