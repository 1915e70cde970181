/* interp_ploop.c: writes to state and the parallel loop forms of LANGUAGE.md §7, in one process.
 *
 * bsp: every iteration reads the state as it was when the loop began (a snapshot held by
 * reference, so taking it is free) plus its own writes; element writes go to the live state, with
 * a per-element stamp of the iteration that wrote it so that two iterations writing one element
 * is an error in checked mode; accumulations go to a separate accumulator added to the state when
 * the loop ends. serial, async and ssp(s) with one worker are the same thing: the iterations one
 * after another, each seeing the writes of those before it. interp_ploop sends each loop to the
 * schedule interp_par_classify chose for it (the other interp_*.c files); loops it runs in order
 * run here. */
#include "executor/interp_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static RtSelection full_selection(const Tensor *t)
{
    RtSelection sel = {.rank = t->rank, .sel_rank = t->rank};
    for (int d = 0; d < t->rank; d++) {
        sel.count[d] = t->shape[d];
        sel.sel_shape[d] = t->shape[d];
    }
    return sel;
}

/* a (op) b for two scalars of one dtype: f32 rounds, integers wrap. */
static RtValue scalar_combine(RtValue a, RtValue b, RtApplyMode mode)
{
    if (mode == RT_APPLY_SET)
        return b;
    if (a.dtype == DT_F32 || a.dtype == DT_F64) {
        double r = mode == RT_APPLY_ADD ? a.f + rt_as_f64(b) : a.f - rt_as_f64(b);
        return rt_scalar_of(a.dtype, r);
    }
    uint64_t x = (uint64_t)a.i, y = (uint64_t)rt_as_i64(b);
    int64_t r = (int64_t)(mode == RT_APPLY_ADD ? x + y : x - y);
    if (a.dtype == DT_I32)
        return (RtValue){.dtype = DT_I32, .i = (int32_t)r};
    if (a.dtype == DT_BOOL)
        return rt_bool(r != 0);
    return rt_i64(r);
}

/* Applies a write or accumulation to a value (a scalar slot or a tensor made unique first). */
static bool apply_to(Interp *it, const IrOp *op, RtValue *target, bool whole,
                     const RtSelection *sel, RtValue v, RtApplyMode mode)
{
    if (!target->is_tensor) {
        *target = scalar_combine(*target, v, mode);
        return true;
    }
    if (whole && mode == RT_APPLY_SET) {
        rt_value_release(target);
        *target = rt_value_ref(v);
        return true;
    }
    if (!tensor_make_unique(&target->t))
        return rt_op_errorf(it->err, op, "out of memory");
    RtSelection all;
    if (whole) {
        all = full_selection(target->t);
        sel = &all;
    }
    return rt_selection_apply(op, target->t, sel, v, mode, it->err);
}

/* Applies a write or accumulation to a state's live value, in place while a parallel schedule
 * shares it (State.inplace: the schedule made the tensor unique before the loop, and other
 * workers hold references to it, so copy on write would lose their writes). */
static bool apply_state(Interp *it, const IrOp *op, State *st, bool whole, const RtSelection *sel,
                        RtValue v, RtApplyMode mode)
{
    if (st->inplace == INPLACE_ATOMIC)
        return interp_atomic_apply(it, op, &st->value, whole, sel, v, mode);
    if (st->inplace == INPLACE_PLAIN && st->value.is_tensor) {
        RtSelection all;
        if (whole) {
            all = full_selection(st->value.t);
            sel = &all;
        }
        return rt_selection_apply(op, st->value.t, sel, v, mode, it->err);
    }
    return apply_to(it, op, &st->value, whole, sel, v, mode);
}

/* Adds v (op) into an accumulator that starts at zero of the state's type. */
static bool accumulate_into(Interp *it, const Step *s, const State *st, RtValue *acc, bool whole,
                            const RtSelection *sel, RtValue v, RtApplyMode mode)
{
    if (acc->dtype == DT_NONE) {
        if (st->value.is_tensor) {
            Tensor *z = tensor_zeros(st->value.t->dtype, st->value.t->rank, st->value.t->shape);
            if (!z)
                return rt_op_errorf(it->err, s->op, "out of memory");
            *acc = rt_tensor(z);
        } else {
            *acc = rt_scalar_of(st->value.dtype, 0);
        }
    }
    return apply_to(it, s->op, acc, whole, sel, v, mode);
}

/* Resolves the `index` of a write_index / accumulate against the state's current shape. */
static bool resolve(Interp *it, const Step *s, const RtValue *shape_of, RtSelection *sel)
{
    const IrAttr *index = s->index_attr;
    if (!shape_of->is_tensor)
        return rt_op_errorf(it->err, s->op, "cannot index the scalar '%s'",
                            it->states[s->sym].name);
    int n = s->op->noperands - 1;
    RtValue idx[TYPE_MAX_RANK * 2 + 1];
    for (int i = 0; i < n && i < (int)(sizeof idx / sizeof idx[0]); i++)
        idx[i] = it->slots[s->in[1 + i]];
    return rt_selection_resolve(s->op, index, idx, n, shape_of->t->rank, shape_of->t->shape, sel,
                                it->err);
}

/* ---- the running bsp iteration's own writes ---- */

static bool log_own(Interp *it, int sym, const RtSelection *sel, bool whole, RtValue v,
                    RtApplyMode mode)
{
    it->own_count[sym]++;
    RtValue *view = &it->own_view[sym];
    if (view->dtype != DT_NONE)
        return apply_to(it, NULL, view, whole, sel, v, mode);
    if (it->nown == it->own_cap) {
        it->own_cap = it->own_cap ? it->own_cap * 2 : 16;
        OwnWrite *grown = realloc(it->own, (size_t)it->own_cap * sizeof *grown);
        if (!grown)
            return rt_errorf(it->err, "error: out of memory");
        it->own = grown;
    }
    it->own[it->nown++] = (OwnWrite){.sym = sym,
                                     .sel = sel ? *sel : (RtSelection){0},
                                     .whole = whole,
                                     .value = rt_value_ref(v),
                                     .mode = mode};
    return true;
}

bool interp_own_view(Interp *it, const Step *s, int sym, RtValue *out)
{
    RtValue *view = &it->own_view[sym];
    if (view->dtype == DT_NONE) {
        State *st = &it->states[sym];
        *view = rt_value_ref(st->snap);
        for (int i = 0; i < it->nown; i++) {
            OwnWrite *w = &it->own[i];
            if (w->sym == sym && !apply_to(it, s->op, view, w->whole, &w->sel, w->value, w->mode))
                return false;
        }
    }
    *out = rt_value_ref(*view);
    return true;
}

static void end_iteration(Interp *it)
{
    for (int i = 0; i < it->nown; i++) {
        it->own_count[it->own[i].sym] = 0;
        rt_value_release(&it->own_view[it->own[i].sym]);
        rt_value_release(&it->own[i].value);
    }
    it->nown = 0;
}

/* ---- writes ---- */

typedef struct {
    Interp *it;
    int64_t *stamps;
    int64_t mine;
    int64_t clash; /* offset of the first element another iteration wrote, or -1 */
    int64_t other;
} StampCheck;

/* Stamps one element with the running iteration; atomic, because chunks of a parallel loop
 * stamp one array from several workers. */
static void stamp_one(int64_t offset, void *user)
{
    StampCheck *c = user;
    int64_t prev = __atomic_exchange_n(&c->stamps[offset], c->mine, __ATOMIC_RELAXED);
    if (prev != 0 && prev != c->mine && c->clash < 0) {
        c->clash = offset;
        c->other = prev;
    }
}

static void describe_iteration(const Interp *it, int64_t counter, char *out, size_t size);

static bool report_collision(Interp *it, const Step *s, const State *st, int64_t offset,
                             int64_t other)
{
    char idx[128] = "";
    int n = 0;
    int64_t rest = offset;
    int64_t coord[TYPE_MAX_RANK];
    for (int d = st->value.t->rank - 1; d >= 0; d--) {
        coord[d] = rest % st->value.t->shape[d];
        rest /= st->value.t->shape[d];
    }
    for (int d = 0; d < st->value.t->rank && n >= 0 && (size_t)n < sizeof idx; d++)
        n += snprintf(idx + n, sizeof idx - (size_t)n, "%s%" PRId64, d ? ", " : "", coord[d]);
    char a[96], b[96];
    describe_iteration(it, other - 1, a, sizeof a);
    describe_iteration(it, it->bsp_iteration, b, sizeof b);
    return rt_op_errorf(it->err, s->op,
                        "two iterations of a bsp parallel loop write %s[%s]: %s and %s (under "
                        "bsp, writes to one element must come from one iteration; accumulate "
                        "with += or use consistency serial)",
                        st->name, idx, a, b);
}

bool interp_state_write(Interp *it, const Step *s)
{
    State *st = &it->states[s->sym];
    RtValue v = it->slots[s->in[0]];
    if (s->op->opcode == IR_OP_STATE_WRITE) {
        if (!interp_check_shape(it, s->op, &st->type, v, st->name))
            return false;
        if (it->in_bsp && st->in_loop && !log_own(it, s->sym, NULL, true, v, RT_APPLY_SET))
            return false;
        return apply_to(it, s->op, &st->value, true, NULL, v, RT_APPLY_SET);
    }
    RtSelection sel;
    if (!resolve(it, s, &st->value, &sel))
        return false;
    if (it->in_bsp && st->in_loop) {
        if (it->eval.checked) {
            if (!st->stamps) {
                st->stamps = calloc((size_t)st->value.t->numel + 1, sizeof *st->stamps);
                if (!st->stamps)
                    return rt_op_errorf(it->err, s->op, "out of memory");
            }
            StampCheck c = {it, st->stamps, it->bsp_iteration + 1, -1, 0};
            rt_selection_for_each(&sel, st->value.t->shape, stamp_one, &c);
            if (c.clash >= 0)
                return report_collision(it, s, st, c.clash, c.other);
        }
        if (!log_own(it, s->sym, &sel, false, v, RT_APPLY_SET))
            return false;
    }
    return apply_state(it, s->op, st, false, &sel, v, RT_APPLY_SET);
}

bool interp_state_accumulate(Interp *it, const Step *s)
{
    State *st = &it->states[s->sym];
    RtValue v = it->slots[s->in[0]];
    RtApplyMode mode = s->acc_mode;
    bool whole = s->index_attr == NULL;
    RtSelection sel = {0};
    if (!whole && !resolve(it, s, &st->value, &sel))
        return false;
    if (it->in_bsp && st->in_loop) {
        if (!log_own(it, s->sym, whole ? NULL : &sel, whole, v, mode))
            return false;
        /* a chunk of a parallel loop has accumulators of its own */
        RtValue *acc = it->chunk_acc ? &it->chunk_acc[s->sym] : &st->acc;
        return accumulate_into(it, s, st, acc, whole, &sel, v, mode);
    }
    /* a worker's share of a serial schedule (strata) that keeps private accumulators */
    if (it->chunk_acc && st->in_loop && st->inplace != INPLACE_ATOMIC)
        return accumulate_into(it, s, st, &it->chunk_acc[s->sym], whole, &sel, v, mode);
    return apply_state(it, s->op, st, whole, &sel, v, mode);
}

/* ---- bsp bookkeeping ---- */

void interp_bsp_begin(Interp *it, const Step *s)
{
    for (int i = 0; i < s->nwritten; i++) {
        State *st = &it->states[s->written[i]];
        st->snap = rt_value_ref(st->value);
        st->in_loop = true;
    }
}

bool interp_bsp_end(Interp *it, const Step *s)
{
    bool ok = true;
    for (int i = 0; i < s->nwritten; i++) {
        State *st = &it->states[s->written[i]];
        if (ok && st->acc.dtype != DT_NONE) {
            if (st->acc.is_tensor)
                ok = apply_to(it, s->op, &st->value, true, NULL, st->acc, RT_APPLY_ADD);
            else
                st->value = scalar_combine(st->value, st->acc, RT_APPLY_ADD);
        }
        rt_value_release(&st->snap);
        rt_value_release(&st->acc);
        free(st->stamps);
        st->stamps = NULL;
        st->in_loop = false;
    }
    return ok;
}

/* ---- iteration sets ---- */


static void describe_iteration(const Interp *it, int64_t counter, char *out, size_t size)
{
    const IterSet *set = it->iter_set;
    if (!set) {
        snprintf(out, size, "iteration %" PRId64, counter);
    } else if (set->kind == IR_OP_PLOOP_NONZEROS) {
        int64_t row = 0;
        while (row + 1 < set->csr->shape[0] && set->csr->rowptr[row + 1] <= counter)
            row++;
        snprintf(out, size, "the nonzero (%" PRId64 ", %" PRId64 ")", row,
                 set->csr->colidx[counter]);
    } else if (set->kind == IR_OP_PLOOP_SCHEDULE) {
        snprintf(out, size, "iteration %" PRId64, set->kept[counter]);
    } else {
        snprintf(out, size, "iteration %" PRId64, set->lo + counter);
    }
}

bool interp_apply_whole(Interp *it, const IrOp *op, RtValue *target, RtValue v, RtApplyMode mode)
{
    return apply_to(it, op, target, true, NULL, v, mode);
}

bool interp_run_body(Interp *it, const Step *s, const Block *body, bool bsp, int64_t counter)
{
    it->in_bsp = bsp;
    it->bsp_iteration = counter;
    Flow f = interp_block(it, body);
    if (bsp)
        end_iteration(it);
    it->in_bsp = false;
    if (f == FLOW_ERROR)
        return false;
    if (f == FLOW_BREAK)
        return rt_op_errorf(it->err, s->op, "break inside a parallel loop");
    return true;
}

/* The row of the nonzero at position k (rowptr is sorted). */
static int64_t row_of_nonzero(const Tensor *S, int64_t k)
{
    int64_t a = 0, b = S->shape[0]; /* rowptr[a] <= k < rowptr[b] */
    while (b - a > 1) {
        int64_t m = a + (b - a) / 2;
        if (S->rowptr[m] <= k)
            a = m;
        else
            b = m;
    }
    return a;
}

bool interp_run_iterations(Interp *it, const Step *s, const IterSet *set, int64_t a, int64_t b,
                           bool bsp)
{
    const Block *body = s->regions[s->nregions - 1];
    const IterSet *outer = it->iter_set;
    it->iter_set = set;
    bool ok = true;
    if (set->kind == IR_OP_PLOOP_SCHEDULE) {
        for (int64_t k = a; k < b && ok; k++) {
            it->slots[body->args[0]] = rt_i64(set->kept[k]);
            ok = interp_run_body(it, s, body, bsp, k);
        }
    } else if (set->kind == IR_OP_PLOOP_RANGE) {
        for (int64_t k = a; k < b && ok; k++) {
            it->slots[body->args[0]] = rt_i64(set->lo + k);
            ok = interp_run_body(it, s, body, bsp, k);
        }
    } else {
        const Tensor *S = set->csr;
        bool real = S->dtype == DT_F32 || S->dtype == DT_F64;
        int64_t row = b > a ? row_of_nonzero(S, a) : 0;
        for (int64_t k = a; k < b && ok; k++) {
            while (S->rowptr[row + 1] <= k)
                row++;
            it->slots[body->args[0]] = rt_i64(row);
            it->slots[body->args[1]] = rt_i64(S->colidx[k]);
            it->slots[body->args[2]] =
                real ? rt_scalar_of(S->dtype, tensor_get_f64(S, k))
                     : (RtValue){.dtype = S->dtype, .i = tensor_get_i64(S, k)};
            ok = interp_run_body(it, s, body, bsp, k);
        }
    }
    it->iter_set = outer;
    return ok;
}

bool interp_ploop(Interp *it, const Step *s)
{
    switch (s->sched) {
    case SCHED_CHUNKS:
        return interp_par_loop(it, s);
    case SCHED_STRATA:
        return interp_strata_loop(it, s);
    case SCHED_STRADS:
        return interp_schedule_loop(it, s);
    case SCHED_HOGWILD:
        return interp_async_loop(it, s);
    case SCHED_SSP:
        return interp_ssp_loop(it, s);
    case SCHED_SEQUENTIAL:
        break;
    }
    return interp_ploop_in_order(it, s);
}

bool interp_ploop_in_order(Interp *it, const Step *s)
{
    const IrAttr *c = ir_get_attr(s->op, "consistency");
    bool bsp = c && strcmp(c->string, "bsp") == 0;
    if (bsp)
        interp_bsp_begin(it, s);
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
    bool ok = interp_run_iterations(it, s, &set, 0, n, bsp);
    if (bsp)
        ok = interp_bsp_end(it, s) && ok;
    return ok;
}
