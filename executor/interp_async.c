/* interp_async.c: async (Hogwild) loops, and the shares that ssp loops (interp_ssp.c) run too.
 *
 * Shares: one execution of a range or nonzeros loop has n iterations (a range's indices, or a
 * matrix's stored entries in CSR order). They are cut into P contiguous shares of n / P or
 * n / P + 1 iterations (P = the pool's workers); share p belongs to logical worker p and runs its
 * iterations one after another on a clone of the interpreter (its own slots; the states, the
 * compiled kernels and the plan are shared). While shares run, the states the body writes are in
 * INPLACE_ATOMIC mode: the driving thread made each tensor unique first, and every write or
 * accumulation goes to the one live value element by element with atomics (interp_atomic_apply:
 * relaxed stores, fetch-and-add for integers, compare-and-swap adds for floats). So a share sees
 * its own writes at once and other shares' whenever they land; no accumulation is lost, and two
 * writes to one element leave one of the two values. Reads take a reference to the live tensor and
 * read its elements as they are at that moment.
 *
 * async: the P shares are P pool tasks, and the loop ends when all of them have (the pool's wait
 * also makes every write visible to what follows). With one worker, or fewer than two iterations,
 * the loop runs in order, which is a valid execution of every consistency. An error in a share
 * stops the shares not yet started and is reported with its position once the others end; the
 * states' modes are restored in any case. */
#include "executor/interp_internal.h"

#include <stdlib.h>
#include <string.h>

enum { CACHE_LINE = 64 };

/* ---- atomic updates ---- */

/* The scalar v converted to dtype's payload (the RtValue union's 8 bytes, as scalar_combine in
 * interp_ploop.c would store it): floats rounded to the dtype, i32 wrapped, bool 0 or 1. */
static RtValue scalar_as(DType dtype, RtValue v)
{
    if (dtype == DT_F32 || dtype == DT_F64)
        return rt_scalar_of(dtype, rt_as_f64(v));
    int64_t i = rt_as_i64(v);
    if (dtype == DT_I32)
        return (RtValue){.dtype = DT_I32, .i = (int32_t)(uint32_t)(uint64_t)i};
    if (dtype == DT_BOOL)
        return rt_bool(i != 0);
    return rt_i64(i);
}

/* target (op)= v for a scalar state, by compare-and-swap on its payload until no other worker
 * changed it in between. */
static bool atomic_scalar(Interp *it, const IrOp *op, RtValue *target, RtValue v, RtApplyMode mode)
{
    if (v.is_tensor)
        return rt_op_errorf(it->err, op, "cannot write a tensor into a scalar");
    DType dt = target->dtype;
    RtValue add = scalar_as(dt, v);
    if (dt == DT_F32 || dt == DT_F64) {
        double old, new;
        __atomic_load(&target->f, &old, __ATOMIC_RELAXED);
        do {
            new = mode == RT_APPLY_SET   ? add.f
                  : mode == RT_APPLY_ADD ? rt_scalar_of(dt, old + add.f).f
                                         : rt_scalar_of(dt, old - add.f).f;
        } while (!__atomic_compare_exchange(&target->f, &old, &new, true, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED));
        return true;
    }
    int64_t old, new;
    __atomic_load(&target->i, &old, __ATOMIC_RELAXED);
    do {
        uint64_t x = (uint64_t)old, y = (uint64_t)add.i;
        RtValue r = {.dtype = DT_I64,
                     .i = mode == RT_APPLY_SET   ? add.i
                          : mode == RT_APPLY_ADD ? (int64_t)(x + y)
                                                 : (int64_t)(x - y)};
        new = scalar_as(dt, r).i;
    } while (!__atomic_compare_exchange(&target->i, &old, &new, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
    return true;
}

bool interp_atomic_apply(Interp *it, const IrOp *op, RtValue *target, bool whole,
                         const RtSelection *sel, RtValue v, RtApplyMode mode)
{
    if (!target->is_tensor)
        return atomic_scalar(it, op, target, v, mode);
    RtSelection all;
    if (whole) {
        const Tensor *t = target->t;
        all = (RtSelection){.rank = t->rank, .sel_rank = t->rank};
        for (int d = 0; d < t->rank; d++) {
            all.count[d] = t->shape[d];
            all.sel_shape[d] = t->shape[d];
        }
        sel = &all;
    }
    return rt_selection_apply_atomic(op, target->t, sel, v, mode, it->err);
}

/* ---- shares ---- */

int64_t interp_share_iters(const Interp *it, const Step *s, IterSet *set)
{
    *set = (IterSet){.kind = s->op->opcode};
    if (s->op->opcode == IR_OP_PLOOP_RANGE) {
        int64_t lo = it->slots[s->in[0]].i, hi = it->slots[s->in[1]].i;
        set->lo = lo;
        return hi > lo ? hi - lo : 0;
    }
    set->csr = it->slots[s->in[0]].t;
    return set->csr->numel;
}

bool interp_share_begin(Interp *it, const Step *s, InplaceMode *saved)
{
    for (int i = 0; i < s->nwritten; i++)
        saved[i] = it->states[s->written[i]].inplace;
    for (int i = 0; i < s->nwritten; i++) {
        State *st = &it->states[s->written[i]];
        if (st->inplace == INPLACE_ATOMIC)
            continue; /* already shared: other holders of the tensor are the shares */
        if (st->value.is_tensor && !tensor_make_unique(&st->value.t))
            return rt_op_errorf(it->err, s->op, "out of memory");
        st->inplace = INPLACE_ATOMIC;
    }
    return true;
}

void interp_share_end(Interp *it, const Step *s, const InplaceMode *saved)
{
    for (int i = 0; i < s->nwritten; i++)
        it->states[s->written[i]].inplace = saved[i];
}

/* Bytes of a clone: whole cache lines, so that two workers' clones never share one. */
static size_t clone_bytes(void)
{
    return (sizeof(Interp) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
}

Interp *interp_share_clone_new(const Interp *it)
{
    Interp *cl = aligned_alloc(CACHE_LINE, clone_bytes());
    if (!cl)
        return NULL;
    *cl = *it;
    /* Values defined outside the body are borrowed from the driver (or set by the caller): the
     * body never releases them. */
    cl->slots = malloc(((size_t)it->nslots + 1) * sizeof *cl->slots);
    cl->own_view = calloc((size_t)it->nstates + 1, sizeof *cl->own_view);
    cl->own_count = calloc((size_t)it->nstates + 1, sizeof *cl->own_count);
    cl->own = NULL;
    cl->nown = cl->own_cap = 0;
    cl->in_bsp = false;
    cl->chunk_acc = NULL;
    cl->iter_set = NULL;
    cl->on_worker = true;
    cl->eval.parallel_user = cl;
    cl->caches = NULL; /* the driver's: a clone never runs a loop schedule nor frees them */
    cl->ssp = NULL;
    if (!cl->slots || !cl->own_view || !cl->own_count) {
        interp_share_clone_free(cl);
        return NULL;
    }
    memcpy(cl->slots, it->slots, (size_t)it->nslots * sizeof *cl->slots);
    return cl;
}

void interp_share_clone_free(Interp *cl)
{
    if (!cl)
        return;
    /* own writes are dropped at the end of each bsp iteration; an error mid-iteration may leave
     * some */
    for (int i = 0; i < cl->nown; i++) {
        rt_value_release(&cl->own[i].value);
        if (cl->own_view)
            rt_value_release(&cl->own_view[cl->own[i].sym]);
    }
    free(cl->own);
    free(cl->own_view);
    free(cl->own_count);
    free(cl->slots);
    free(cl);
}

bool interp_share_run(Interp *cl, const Step *s, const IterSet *set, int64_t n, int p, int nshares)
{
    /* share p: [p * q + min(p, r), (p + 1) * q + min(p + 1, r)) with n = q * nshares + r */
    int64_t q = n / nshares, r = n % nshares;
    int64_t a = p * q + (p < r ? p : r), b = a + q + (p < r ? 1 : 0);
    return interp_run_iterations(cl, s, set, a, b, false);
}

/* ---- async loops ---- */

typedef struct {
    const Step *s;
    IterSet set;
    int64_t n;
    int nshares;
    Interp **clones;
} AsyncLoop;

/* A pool task: share p, in order, on its clone. */
static bool run_share(PoolWorker *w, PoolTask *self, void *arg, int64_t p, RtError *err)
{
    (void)w;
    (void)self;
    AsyncLoop *al = arg;
    Interp *cl = al->clones[p];
    cl->err = err;
    return interp_share_run(cl, al->s, &al->set, al->n, (int)p, al->nshares);
}

bool interp_async_loop(Interp *it, const Step *s)
{
    AsyncLoop al = {.s = s};
    al.n = interp_share_iters(it, s, &al.set);
    int workers = it->pool ? pool_workers(it->pool) : 1;
    if (workers <= 1 || it->on_worker || al.n < 2)
        return interp_ploop_in_order(it, s);
    al.nshares = al.n < workers ? (int)al.n : workers;
    InplaceMode *saved = calloc((size_t)s->nwritten + 1, sizeof *saved);
    al.clones = calloc((size_t)al.nshares, sizeof *al.clones);
    if (!saved || !al.clones) {
        free(saved);
        free(al.clones);
        return rt_op_errorf(it->err, s->op, "out of memory");
    }
    bool ok = interp_share_begin(it, s, saved);
    for (int p = 0; p < al.nshares && ok; p++) {
        al.clones[p] = interp_share_clone_new(it);
        if (!al.clones[p])
            ok = rt_op_errorf(it->err, s->op, "out of memory");
    }
    if (ok)
        ok = pool_parallel_for(it->pool, al.nshares, run_share, &al, NULL, s->label,
                               (int)s->op->loc.line, it->err);
    interp_share_end(it, s, saved);
    for (int p = 0; p < al.nshares; p++)
        interp_share_clone_free(al.clones[p]);
    free(al.clones);
    free(saved);
    return ok;
}
