/* interp_sched_prio.c: the priorities of a schedule(...) loop: priority(j) for every j of the
 * range, at every execution of the loop (interp_sched.h).
 *
 * Vectorised: when every op of the region that depends on j is an elementwise op on scalars or a
 * t.index of a tensor that does not depend on j (dw[j], X[j, 0]), the region runs once with j
 * bound to the i64 vector lo .. hi-1: t.index becomes a gather, elementwise ops run through the
 * ordinary evaluator on vectors (the same element functions as on scalars, so the same bits), and
 * the ops that do not depend on j (constants, configs, state reads, anything pure) run once.
 * Otherwise the region runs once per j, in chunks of j on the pool's workers (interpreter clones)
 * when there are at least 2 * PRIO_MIN_CHUNK of them, else in order on the calling thread.
 *
 * Errors: if the vectorised pass or a chunk fails, the priorities are evaluated again per j in
 * order on the calling thread, which reports the first failing j exactly as a sequential loop
 * would (the regions are pure, so evaluating them again changes nothing). */
#include "executor/interp_sched.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How a step of the priority region runs in the vectorised pass. */
typedef enum {
    LANE_ONCE,   /* does not depend on j: runs once, as in a scalar evaluation */
    LANE_EACH,   /* elementwise on values that depend on j: runs on the vectors */
    LANE_GATHER, /* t.index by values that depend on j: a gather */
    LANE_YIELD,
} LaneKind;

/* Chunks of the per-j evaluation have at least this many j (each j costs a region evaluation,
 * about a microsecond, against a few microseconds to start a task) and there are at most this
 * many chunks per worker (balance). */
enum { PRIO_MIN_CHUNK = 32, PRIO_CHUNKS_PER_WORKER = 4 };

struct SchedPrio {
    const Block *region;
    bool vector;    /* the region can run over the vector of all j */
    uint8_t *lanes; /* per step: LaneKind */
    Tensor *js;     /* i64: js_lo .. js_lo + js->numel - 1, kept between executions */
    int64_t js_lo;
};

/* Whether an op that does not depend on j can run once for all j: it depends only on its
 * operands and the run. */
static bool runs_once(const IrOp *op)
{
    unsigned flags = ir_op_info(op->opcode)->flags;
    return (flags & (IR_PURE | IR_RANDOM | IR_CONSTRUCTOR)) || op->opcode == IR_OP_STATE_READ;
}

/* Whether every operand from `first` on and every result of op is a scalar. */
static bool all_scalar(const IrOp *op, int first)
{
    for (int i = first; i < op->noperands; i++)
        if (op->operands[i]->type.rank != 0)
            return false;
    for (int i = 0; i < op->nresults; i++)
        if (op->results[i]->type.rank != 0)
            return false;
    return true;
}

/* Decides how each step runs in the vectorised pass; false when some step cannot. */
static bool analyse(Interp *it, SchedPrio *p)
{
    const Block *b = p->region;
    if (b->nsteps == 0 || b->nargs != 1)
        return false;
    p->lanes = ARENA_ARRAY(&it->arena, uint8_t, b->nsteps);
    bool *dep = ARENA_ARRAY(&it->arena, bool, it->nslots + 1); /* per slot: depends on j */
    dep[b->args[0]] = true;
    for (int k = 0; k < b->nsteps; k++) {
        const Step *st = &b->steps[k];
        const IrOp *op = st->op;
        bool depends = false;
        for (int i = 0; i < op->noperands; i++)
            depends = depends || dep[st->in[i]];
        if (op->opcode == IR_OP_YIELD) {
            if (k != b->nsteps - 1 || op->noperands != 1 || op->operands[0]->type.rank != 0)
                return false;
            p->lanes[k] = LANE_YIELD;
            continue;
        }
        if (!depends) {
            if (!runs_once(op))
                return false;
            p->lanes[k] = LANE_ONCE;
            continue;
        }
        if (st->nregions > 0)
            return false;
        if (ir_op_has_flag(op->opcode, IR_ELEMENTWISE) && all_scalar(op, 0))
            p->lanes[k] = LANE_EACH;
        else if (op->opcode == IR_OP_INDEX && !dep[st->in[0]] && all_scalar(op, 1))
            p->lanes[k] = LANE_GATHER;
        else
            return false;
        for (int i = 0; i < op->nresults; i++)
            dep[st->out[i]] = true;
    }
    return true;
}

SchedPrio *sched_prio_new(Interp *it, const Step *s)
{
    SchedPrio *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->region = s->regions[0];
    p->vector = analyse(it, p);
    return p;
}

void sched_prio_free(SchedPrio *p)
{
    if (!p)
        return;
    tensor_unref(p->js);
    free(p);
}

/* ---- vectorised ---- */

/* The index of element e along one index operand: a scalar, or element e of a j vector. */
static bool lane_index(RtValue v, int64_t e, int64_t *out)
{
    if (!v.is_tensor) {
        if (v.dtype == DT_F32 || v.dtype == DT_F64)
            return false;
        *out = v.i;
        return true;
    }
    if (v.t->dtype != DT_I64 && v.t->dtype != DT_I32)
        return false;
    *out = tensor_get_i64(v.t, e);
    return true;
}

/* t.index x[i, ...] with indices that are j vectors: element e of the result is x at element e
 * of each index. False (no message) when an index is out of range or not an integer: the per-j
 * evaluation then reports it. */
static bool run_gather(Interp *it, const Step *st, int64_t n)
{
    RtValue x = it->slots[st->in[0]];
    int nidx = st->op->noperands - 1;
    if (!x.is_tensor || x.t->sparse || x.t->rank != nidx)
        return false;
    for (int d = 0; d < nidx; d++) {
        RtValue v = it->slots[st->in[1 + d]];
        if (v.is_tensor && v.t->numel != n)
            return false;
    }
    Tensor *out = tensor_new(x.t->dtype, 1, &n);
    if (!out)
        return false;
    size_t el = dtype_size(x.t->dtype);
    for (int64_t e = 0; e < n; e++) {
        int64_t offset = 0;
        for (int d = 0; d < nidx; d++) {
            int64_t i;
            if (!lane_index(it->slots[st->in[1 + d]], e, &i) || i < 0 || i >= x.t->shape[d]) {
                tensor_unref(out);
                return false;
            }
            offset = offset * x.t->shape[d] + i;
        }
        memcpy((char *)out->data + (size_t)e * el, (const char *)x.t->data + (size_t)offset * el,
               el);
    }
    it->slots[st->out[0]] = rt_tensor(out);
    return true;
}

/* The vector lo .. lo+n-1 (kept for the next execution). */
static Tensor *j_vector(SchedPrio *p, int64_t lo, int64_t n)
{
    if (p->js && p->js_lo == lo && p->js->numel == n)
        return p->js;
    tensor_unref(p->js);
    p->js = tensor_new(DT_I64, 1, &n);
    if (!p->js)
        return NULL;
    int64_t *v = p->js->data;
    for (int64_t k = 0; k < n; k++)
        v[k] = lo + k;
    p->js_lo = lo;
    return p->js;
}

static void release_list(Interp *it, const int *slots, int n)
{
    for (int i = 0; i < n; i++)
        rt_value_release(&it->slots[slots[i]]);
}

/* The region over all j at once; false (no message: it->err untouched) when any step fails. */
static bool run_vector(Interp *it, SchedPrio *p, int64_t lo, int64_t n, double *out)
{
    Tensor *js = j_vector(p, lo, n);
    if (!js)
        return false;
    const Block *b = p->region;
    RtError local = {0};
    RtError *saved = it->err;
    it->err = &local;
    it->slots[b->args[0]] = rt_tensor(tensor_ref(js));
    release_list(it, b->release_args, b->nrelease_args);
    RtValue result = {0};
    bool ok = true;
    int k = 0;
    for (; k < b->nsteps && ok; k++) {
        const Step *st = &b->steps[k];
        if (p->lanes[k] == LANE_YIELD) {
            result = rt_value_ref(it->slots[st->in[0]]);
            break;
        }
        ok = p->lanes[k] == LANE_GATHER ? run_gather(it, st, n)
                                        : interp_exec_step(it, st) == FLOW_NEXT;
        if (ok)
            release_list(it, st->release, st->nrelease);
    }
    if (!ok)
        k--; /* the failed step's own releases are still due */
    for (; k < b->nsteps; k++)
        release_list(it, b->steps[k].release, b->steps[k].nrelease);
    it->err = saved;
    if (ok && result.is_tensor && result.t->numel != n)
        ok = false;
    for (int64_t e = 0; ok && e < n; e++)
        out[e] = result.is_tensor ? tensor_get_f64(result.t, e) : rt_as_f64(result);
    rt_value_release(&result);
    return ok;
}

/* ---- per j ---- */

/* priority(lo + k) for k in [from, to) on interpreter it; false with it->err set. */
static bool run_per_j(Interp *it, const Block *b, int64_t lo, int64_t from, int64_t to, double *out)
{
    for (int64_t k = from; k < to; k++) {
        RtValue arg = rt_i64(lo + k), r = {0};
        if (!interp_region_with(it, b, &arg, &r, 1))
            return false;
        out[k] = rt_as_f64(r);
        rt_value_release(&r);
    }
    return true;
}

/* Whether a priority is valid, else the error that names j. */
static bool check_priority(Interp *it, const Step *s, int64_t j, double p)
{
    if (isfinite(p) && p >= 0)
        return true;
    return rt_op_errorf(it->err, s->op,
                        "the priority of %" PRId64 " is %g: priorities must be finite and at "
                        "least 0",
                        j, p);
}

/* The sequential evaluation: j in order, each checked as soon as it is known. */
static bool run_in_order(Interp *it, const Step *s, const Block *b, int64_t lo, int64_t n,
                         double *out)
{
    for (int64_t k = 0; k < n; k++)
        if (!run_per_j(it, b, lo, k, k + 1, out) || !check_priority(it, s, lo + k, out[k]))
            return false;
    return true;
}

typedef struct {
    SchedClones clones;
    const Block *region;
    int64_t lo, n, per;
    double *out;
    bool *failed; /* per chunk */
} PerJ;

/* A pool task: chunk c of the j, on the worker's clone. A failure is only noted: the caller
 * evaluates again in order to report it. */
static bool per_j_task(PoolWorker *w, PoolTask *self, void *arg, int64_t c, RtError *err)
{
    (void)self;
    (void)err;
    PerJ *pj = arg;
    RtError local = {0};
    Interp *cl = sched_clone(&pj->clones, w->id, &local);
    int64_t from = c * pj->per, to = from + pj->per < pj->n ? from + pj->per : pj->n;
    if (!cl || !run_per_j(cl, pj->region, pj->lo, from, to, pj->out))
        pj->failed[c] = true;
    return true;
}

/* The region per j in chunks on the pool; false when some chunk failed (no message). */
static bool run_per_j_pool(Interp *it, const Step *s, SchedPrio *p, int64_t lo, int64_t n,
                           double *out)
{
    int workers = pool_workers(it->pool);
    int64_t nchunks = (n + PRIO_MIN_CHUNK - 1) / PRIO_MIN_CHUNK;
    if (nchunks > (int64_t)PRIO_CHUNKS_PER_WORKER * workers)
        nchunks = (int64_t)PRIO_CHUNKS_PER_WORKER * workers;
    PerJ pj = {.region = p->region, .lo = lo, .n = n, .out = out};
    pj.per = (n + nchunks - 1) / nchunks;
    nchunks = (n + pj.per - 1) / pj.per;
    pj.failed = calloc((size_t)nchunks, sizeof *pj.failed);
    RtError ignored = {0};
    bool ok = pj.failed && sched_clones_init(&pj.clones, it) &&
              pool_parallel_for(it->pool, nchunks, per_j_task, &pj, NULL, "schedule priorities",
                                (int)s->op->loc.line, &ignored);
    for (int64_t c = 0; ok && c < nchunks; c++)
        ok = !pj.failed[c];
    sched_clones_free(&pj.clones);
    free(pj.failed);
    return ok;
}

bool sched_priorities(Interp *it, const Step *s, SchedPrio *p, int64_t lo, int64_t n, double *out)
{
    const Block *b = p->region;
    if (b->nsteps == 0) {
        for (int64_t k = 0; k < n; k++)
            out[k] = 1.0;
        return true;
    }
    bool done = p->vector && run_vector(it, p, lo, n, out);
    if (!done && sched_pool_usable(it) && n >= 2 * PRIO_MIN_CHUNK)
        done = run_per_j_pool(it, s, p, lo, n, out);
    if (!done)
        return run_in_order(it, s, b, lo, n, out);
    for (int64_t k = 0; k < n; k++)
        if (!check_priority(it, s, lo + k, out[k]))
            return false;
    return true;
}
