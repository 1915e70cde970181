/* interp_prep.c: turns the IR into the interpreter's step tree: one slot per SSA value, the slots
 * that die after each step (last uses), the state table (inputs, params, vars, configs, sizes)
 * and, for each parallel loop, the outer state its body writes. */
#include "executor/interp_internal.h"

#include "ir/valmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    Interp *it;
    IrValueMap slots; /* value -> slot */
    int *last;        /* scratch: per slot, the step index of its last use in the region */
    uint64_t next_key;
    /* random-op keys: how many ops so far had each source position (open addressing) */
    uint64_t *loc_keys;
    uint32_t *loc_counts;
    size_t loc_cap, loc_len;
} Prep;

/* A stable key for an op, for seeding random constructors that have no seed: its source position
 * and how many ops with that position came before it, so that the passes (which add, remove and
 * reorder ops) never change a program's random numbers. Ops without a position count in order. */
static uint64_t op_key(Prep *p, const IrOp *op)
{
    if (op->loc.line == 0)
        return p->next_key++;
    uint64_t pos = ((uint64_t)op->loc.line << 32) | op->loc.col;
    if (p->loc_len * 2 >= p->loc_cap) {
        size_t cap = p->loc_cap ? p->loc_cap * 2 : 256;
        uint64_t *keys = calloc(cap, sizeof *keys);
        uint32_t *counts = calloc(cap, sizeof *counts);
        if (!keys || !counts) {
            free(keys);
            free(counts);
            return p->next_key++;
        }
        for (size_t i = 0; i < p->loc_cap; i++) {
            if (!p->loc_keys[i])
                continue;
            size_t h = (size_t)(p->loc_keys[i] * 0x9e3779b97f4a7c15ULL) & (cap - 1);
            while (keys[h])
                h = (h + 1) & (cap - 1);
            keys[h] = p->loc_keys[i];
            counts[h] = p->loc_counts[i];
        }
        free(p->loc_keys);
        free(p->loc_counts);
        p->loc_keys = keys;
        p->loc_counts = counts;
        p->loc_cap = cap;
    }
    size_t h = (size_t)(pos * 0x9e3779b97f4a7c15ULL) & (p->loc_cap - 1);
    while (p->loc_keys[h] && p->loc_keys[h] != pos)
        h = (h + 1) & (p->loc_cap - 1);
    if (!p->loc_keys[h]) {
        p->loc_keys[h] = pos;
        p->loc_len++;
    }
    uint32_t seen = p->loc_counts[h]++;
    return (pos << 8) ^ ((uint64_t)seen << 1) ^ (1ULL << 63);
}

int interp_state_find(const Interp *it, const char *name)
{
    for (int i = 0; i < it->nstates; i++)
        if (strcmp(it->states[i].name, name) == 0)
            return i;
    return -1;
}

static int add_state(Interp *it, const char *name, StateKind kind, const IrOp *decl)
{
    int found = interp_state_find(it, name);
    if (found >= 0)
        return found;
    if (it->nstates == it->states_cap) {
        it->states_cap = it->states_cap ? it->states_cap * 2 : 16;
        State *grown = realloc(it->states, (size_t)it->states_cap * sizeof *grown);
        if (!grown)
            return -1;
        it->states = grown;
    }
    State *st = &it->states[it->nstates];
    *st = (State){.name = name, .kind = kind, .decl = decl};
    return it->nstates++;
}

static int slot_of(Prep *p, const IrValue *v)
{
    int slot;
    if (ir_valmap_get(&p->slots, v, &slot))
        return slot;
    slot = p->it->nslots++;
    ir_valmap_put(&p->slots, v, slot);
    return slot;
}

/* Size names that appear in a type and are not configs become size entries. */
static void note_sizes(Interp *it, const Type *t, const IrOp *op)
{
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d].kind == DIM_SYM && interp_state_find(it, t->dims[d].sym) < 0)
            add_state(it, t->dims[d].sym, STATE_SIZE, op);
}

/* First walk: configs and declarations, so that every later lookup finds them. */
static void collect_states(Interp *it, const IrRegion *r)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        const char *sym = ir_op_symbol(op);
        switch (op->opcode) {
        case IR_OP_CFG_DECL:
            add_state(it, sym, STATE_CONFIG, op);
            break;
        case IR_OP_STATE_INPUT:
            add_state(it, sym, STATE_INPUT, op);
            break;
        case IR_OP_STATE_PARAM:
            add_state(it, sym, STATE_PARAM, op);
            break;
        case IR_OP_STATE_VAR:
            add_state(it, sym, STATE_VAR, op);
            break;
        default:
            break;
        }
        for (int i = 0; i < op->nregions; i++)
            collect_states(it, op->regions[i]);
    }
}

static void collect_sizes(Interp *it, const IrRegion *r)
{
    for (int a = 0; a < r->nargs; a++)
        note_sizes(it, &r->args[a]->type, NULL);
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_SIZE_GET && interp_state_find(it, ir_op_symbol(op)) < 0)
            add_state(it, ir_op_symbol(op), STATE_SIZE, op);
        for (int i = 0; i < op->nresults; i++)
            note_sizes(it, &op->results[i]->type, op);
        const IrAttr *type = ir_get_attr(op, "type");
        if (type && type->kind == IR_ATTR_TYPE)
            note_sizes(it, &type->type, op);
        for (int i = 0; i < op->nregions; i++)
            collect_sizes(it, op->regions[i]);
    }
}

static bool defined_in(const IrValue *v, const IrRegion *r)
{
    return v->def ? v->def->parent == r : v->owner == r;
}

/* Marks, for every value defined in r that op (or anything inside it) uses, step k as a use. */
static void mark_uses(Prep *p, const IrOp *op, const IrRegion *r, int k)
{
    for (int i = 0; i < op->noperands; i++) {
        const IrValue *v = op->operands[i];
        if (defined_in(v, r))
            p->last[slot_of(p, v)] = k;
    }
    for (int i = 0; i < op->nregions; i++)
        for (const IrOp *inner = op->regions[i]->first; inner; inner = inner->next)
            mark_uses(p, inner, r, k);
}

/* Symbols declared by state.var ops inside a region (iteration-private in a parallel body). */
static bool declared_inside(const IrRegion *r, const char *sym)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_STATE_VAR && strcmp(ir_op_symbol(op), sym) == 0)
            return true;
        for (int i = 0; i < op->nregions; i++)
            if (declared_inside(op->regions[i], sym))
                return true;
    }
    return false;
}

static void collect_written(Interp *it, const IrRegion *body, const IrRegion *r, Step *s,
                            int *buf)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_STATE_WRITE || op->opcode == IR_OP_STATE_WRITE_INDEX ||
            op->opcode == IR_OP_STATE_ACCUMULATE) {
            const char *sym = ir_op_symbol(op);
            int idx = interp_state_find(it, sym);
            bool seen = false;
            for (int i = 0; i < s->nwritten; i++)
                seen |= buf[i] == idx;
            if (idx >= 0 && !seen && !declared_inside(body, sym))
                buf[s->nwritten++] = idx;
        }
        for (int i = 0; i < op->nregions; i++)
            collect_written(it, body, op->regions[i], s, buf);
    }
}

static int count_ops(const IrRegion *r)
{
    int n = 0;
    for (const IrOp *op = r->first; op; op = op->next)
        n++;
    return n;
}

static Block *prepare_region(Prep *p, const IrRegion *r);

static void prepare_step(Prep *p, const IrOp *op, Step *s)
{
    Interp *it = p->it;
    Arena *a = &it->arena;
    s->op = op;
    s->key = ir_op_has_flag(op->opcode, IR_RANDOM) || op->opcode == IR_OP_PLOOP_SCHEDULE
                 ? op_key(p, op)
                 : 0;
    s->in = ARENA_ARRAY(a, int, op->noperands + 1);
    for (int i = 0; i < op->noperands; i++)
        s->in[i] = slot_of(p, op->operands[i]);
    s->out = ARENA_ARRAY(a, int, op->nresults + 1);
    for (int i = 0; i < op->nresults; i++)
        s->out[i] = slot_of(p, op->results[i]);
    const char *sym = ir_op_symbol(op);
    s->sym = sym ? interp_state_find(it, sym) : -1;
    if (op->opcode == IR_OP_STATE_WRITE_INDEX || op->opcode == IR_OP_STATE_ACCUMULATE)
        s->index_attr = ir_get_attr(op, "index");
    if (op->opcode == IR_OP_STATE_ACCUMULATE)
        s->acc_mode = strcmp(ir_get_attr(op, "op")->string, "sub") == 0 ? RT_APPLY_SUB
                                                                          : RT_APPLY_ADD;
    s->nregions = op->nregions < 3 ? op->nregions : 3;
    for (int i = 0; i < s->nregions; i++) {
        s->regions[i] = prepare_region(p, op->regions[i]);
        if (ir_op_has_flag(op->opcode, IR_PARALLEL) || op->opcode == IR_OP_K_FUSED)
            interp_graph_serial(s->regions[i]);
    }
    if (ir_op_has_flag(op->opcode, IR_PARALLEL) && op->nregions > 0) {
        const IrRegion *body = op->regions[op->nregions - 1];
        int *buf = ARENA_ARRAY(a, int, it->nstates + 1);
        collect_written(it, body, body, s, buf);
        s->written = buf;
        interp_par_classify(it, s);
    }
}

static Block *prepare_region(Prep *p, const IrRegion *r)
{
    Arena *a = &p->it->arena;
    Block *b = ARENA_NEW(a, Block);
    b->nargs = r->nargs;
    b->args = ARENA_ARRAY(a, int, r->nargs + 1);
    for (int i = 0; i < r->nargs; i++)
        b->args[i] = slot_of(p, r->args[i]);
    b->nsteps = count_ops(r);
    b->steps = ARENA_ARRAY(a, Step, b->nsteps + 1);
    int k = 0;
    for (const IrOp *op = r->first; op; op = op->next)
        prepare_step(p, op, &b->steps[k++]);

    /* Last uses: slots are numbered by now (nested regions too), so the scratch array can grow. */
    int *last = malloc((size_t)(p->it->nslots + 1) * sizeof *last);
    if (!last)
        return b;
    p->last = last;
    for (int i = 0; i < p->it->nslots; i++)
        last[i] = -2;
    k = 0;
    for (const IrOp *op = r->first; op; op = op->next)
        mark_uses(p, op, r, k++);

    /* Each step releases the slots whose last use it is, and its own unused results; block
     * arguments never used are released as soon as they are bound. */
    int *nrel = calloc((size_t)b->nsteps + 1, sizeof *nrel);
    if (!nrel) {
        free(last);
        p->last = NULL;
        return b;
    }
    b->release_args = ARENA_ARRAY(a, int, r->nargs + 1);
    for (int i = 0; i < r->nargs; i++) {
        int slot = b->args[i];
        if (last[slot] < 0)
            b->release_args[b->nrelease_args++] = slot;
        else
            nrel[last[slot]]++;
    }
    for (k = 0; k < b->nsteps; k++)
        for (int i = 0; i < b->steps[k].op->nresults; i++) {
            int slot = b->steps[k].out[i];
            nrel[last[slot] < 0 ? k : last[slot]]++;
        }
    for (k = 0; k < b->nsteps; k++)
        b->steps[k].release = ARENA_ARRAY(a, int, nrel[k] + 1);
    for (int i = 0; i < r->nargs; i++) {
        int slot = b->args[i];
        if (last[slot] >= 0) {
            Step *t = &b->steps[last[slot]];
            t->release[t->nrelease++] = slot;
        }
    }
    for (k = 0; k < b->nsteps; k++)
        for (int i = 0; i < b->steps[k].op->nresults; i++) {
            int slot = b->steps[k].out[i];
            Step *t = &b->steps[last[slot] < 0 ? k : last[slot]];
            t->release[t->nrelease++] = slot;
        }
    free(nrel);
    free(last);
    p->last = NULL;
    interp_graph_build(p->it, b);
    return b;
}

bool interp_prepare(Interp *it)
{
    collect_states(it, it->module->body);
    collect_sizes(it, it->module->body);
    for (int i = 0; i < it->nstates; i++)
        if (it->states[i].kind == STATE_CONFIG)
            it->states[i].bound = true;
    Prep p = {.it = it};
    it->body = prepare_region(&p, it->module->body);
    ir_valmap_free(&p.slots);
    free(p.loc_keys);
    free(p.loc_counts);
    it->slots = calloc((size_t)it->nslots + 1, sizeof *it->slots);
    it->own_view = calloc((size_t)it->nstates + 1, sizeof *it->own_view);
    it->own_count = calloc((size_t)it->nstates + 1, sizeof *it->own_count);
    it->seg_ns = malloc((size_t)it->nsegments * sizeof *it->seg_ns + 1);
    for (int i = 0; it->seg_ns && i < it->nsegments; i++)
        it->seg_ns[i] = -1;
    if (!it->slots || !it->own_view || !it->own_count || !it->seg_ns)
        return rt_errorf(it->err, "error: out of memory preparing the program");
    return true;
}
