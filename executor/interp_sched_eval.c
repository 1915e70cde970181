/* interp_sched_eval.c: what the schedule loop's priority and conflict regions need to be
 * evaluated many times (interp_sched.h): interpreter clones that evaluate them on pool workers,
 * and the values a region reads from outside it, remembered so that a result computed once can be
 * reused while they stay the same. */
#include "executor/interp_sched.h"

#include <stdlib.h>
#include <string.h>

/* ---- clones ---- */

enum { CACHE_LINE = 64 };

/* Clones sit CLONE_STRIDE bytes apart so two workers never share a cache line. */
#define CLONE_STRIDE ((sizeof(Interp) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE)

bool sched_pool_usable(const Interp *it)
{
    return it->pool && !it->on_worker && pool_workers(it->pool) > 1;
}

bool sched_clones_init(SchedClones *c, Interp *it)
{
    *c = (SchedClones){.it = it, .workers = it->pool ? pool_workers(it->pool) : 1};
    c->mem = aligned_alloc(CACHE_LINE, (size_t)c->workers * CLONE_STRIDE);
    c->made = calloc((size_t)c->workers, sizeof *c->made);
    if (!c->mem || !c->made) {
        free(c->mem);
        free(c->made);
        *c = (SchedClones){0};
        return false;
    }
    return true;
}

Interp *sched_clone(SchedClones *c, int w, RtError *err)
{
    Interp *cl = (Interp *)(c->mem + (size_t)w * CLONE_STRIDE);
    if (c->made[w]) {
        cl->err = err;
        return cl;
    }
    const Interp *it = c->it;
    *cl = *it;
    cl->slots = malloc((size_t)it->nslots * sizeof *cl->slots);
    cl->own_view = calloc((size_t)it->nstates + 1, sizeof *cl->own_view);
    cl->own_count = calloc((size_t)it->nstates + 1, sizeof *cl->own_count);
    cl->own = NULL;
    cl->nown = cl->own_cap = 0;
    cl->on_worker = true; /* nothing inside spawns tasks */
    cl->eval.parallel_user = cl;
    cl->caches = NULL;
    cl->ssp = NULL;
    cl->in_bsp = false;
    cl->chunk_acc = NULL;
    cl->err = err;
    c->made[w] = true; /* freed by sched_clones_free even when half made */
    if (!cl->slots || !cl->own_view || !cl->own_count)
        return NULL;
    /* values defined outside the region are borrowed: a region never releases them */
    memcpy(cl->slots, it->slots, (size_t)it->nslots * sizeof *cl->slots);
    return cl;
}

void sched_clones_free(SchedClones *c)
{
    for (int w = 0; c->made && w < c->workers; w++) {
        if (!c->made[w])
            continue;
        Interp *cl = (Interp *)(c->mem + (size_t)w * CLONE_STRIDE);
        free(cl->own);
        free(cl->own_view);
        free(cl->own_count);
        free(cl->slots);
    }
    free(c->mem);
    free(c->made);
    *c = (SchedClones){0};
}

/* ---- what a region reads from outside it ---- */

/* Whether an op's value depends only on its operands and the run (seeded random constructors
 * draw the same numbers every time). */
static bool op_is_deterministic(const IrOp *op)
{
    unsigned flags = ir_op_info(op->opcode)->flags;
    if (flags & (IR_PURE | IR_RANDOM | IR_CONSTRUCTOR))
        return true;
    return op->opcode == IR_OP_STATE_READ || op->opcode == IR_OP_YIELD;
}

typedef struct {
    Interp *it;
    bool *defined; /* per slot: defined inside the region */
    RegionInputs *in;
    int cap_slots, cap_syms;
} Finder;

static void add_int(Arena *a, int **list, int *n, int *cap, int v)
{
    for (int i = 0; i < *n; i++)
        if ((*list)[i] == v)
            return;
    if (*n == *cap) {
        int grown = *cap ? *cap * 2 : 8;
        int *l = ARENA_ARRAY(a, int, grown);
        if (*n)
            memcpy(l, *list, (size_t)*n * sizeof *l);
        *list = l;
        *cap = grown;
    }
    (*list)[(*n)++] = v;
}

/* Marks the slots b defines (arguments and results, nested regions included). */
static void mark_defined(const Block *b, bool *defined)
{
    for (int i = 0; i < b->nargs; i++)
        defined[b->args[i]] = true;
    for (int k = 0; k < b->nsteps; k++) {
        const Step *st = &b->steps[k];
        for (int i = 0; i < st->op->nresults; i++)
            defined[st->out[i]] = true;
        for (int r = 0; r < st->nregions; r++)
            mark_defined(st->regions[r], defined);
    }
}

/* Lists the slots b reads that it does not define, and the states it reads. */
static void find_reads(Finder *f, const Block *b)
{
    for (int k = 0; k < b->nsteps; k++) {
        const Step *st = &b->steps[k];
        if (!op_is_deterministic(st->op))
            f->in->pure = false;
        if (st->op->opcode == IR_OP_STATE_READ && st->sym >= 0)
            add_int(&f->it->arena, &f->in->syms, &f->in->nsyms, &f->cap_syms, st->sym);
        for (int i = 0; i < st->op->noperands; i++)
            if (!f->defined[st->in[i]])
                add_int(&f->it->arena, &f->in->slots, &f->in->nslots, &f->cap_slots, st->in[i]);
        for (int r = 0; r < st->nregions; r++)
            find_reads(f, st->regions[r]);
    }
}

void sched_inputs_find(Interp *it, const Block *b, RegionInputs *in)
{
    *in = (RegionInputs){.pure = true};
    bool *defined = ARENA_ARRAY(&it->arena, bool, it->nslots + 1);
    mark_defined(b, defined);
    Finder f = {.it = it, .defined = defined, .in = in};
    find_reads(&f, b);
}

/* Two values are the same: the same tensor object, or the same scalar bits. */
static bool same_value(RtValue a, RtValue b)
{
    if (a.dtype != b.dtype || a.is_tensor != b.is_tensor)
        return false;
    if (a.is_tensor)
        return a.t == b.t;
    if (a.dtype == DT_F32 || a.dtype == DT_F64)
        return memcmp(&a.f, &b.f, sizeof a.f) == 0;
    if (a.dtype == DT_STR)
        return a.s == b.s;
    return a.i == b.i;
}

/* The current value of input i (a slot, then a state). */
static RtValue input_value(const Interp *it, const RegionInputs *in, int i)
{
    return i < in->nslots ? it->slots[in->slots[i]] : it->states[in->syms[i - in->nslots]].value;
}

bool sched_inputs_same(const Interp *it, const RegionInputs *in)
{
    if (!in->seen)
        return false;
    for (int i = 0; i < in->nslots + in->nsyms; i++)
        if (!same_value(in->seen[i], input_value(it, in, i)))
            return false;
    return true;
}

bool sched_inputs_remember(const Interp *it, RegionInputs *in)
{
    sched_inputs_forget(in);
    int n = in->nslots + in->nsyms;
    in->seen = calloc((size_t)n + 1, sizeof *in->seen);
    if (!in->seen)
        return false;
    for (int i = 0; i < n; i++)
        in->seen[i] = rt_value_ref(input_value(it, in, i));
    return true;
}

void sched_inputs_forget(RegionInputs *in)
{
    if (!in->seen)
        return;
    for (int i = 0; i < in->nslots + in->nsyms; i++)
        rt_value_release(&in->seen[i]);
    free(in->seen);
    in->seen = NULL;
}

bool sched_inputs_read_written(const RegionInputs *in, const Step *s)
{
    for (int i = 0; i < in->nsyms; i++)
        for (int w = 0; w < s->nwritten; w++)
            if (s->written[w] == in->syms[i])
                return true;
    return false;
}
