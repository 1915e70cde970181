/* rewrite.c: use lists over an IR module and the edits that keep them exact (rewrite.h). */
#include "passes/rewrite.h"

#include "support/die.h"

#include <string.h>

typedef struct {
    RwUse *first;
    int count;
} RwUseList;

/* The list of v, created empty on first need. */
static RwUseList *list_of(Rewriter *rw, const IrValue *v)
{
    RwUseList *l = ptrmap_get(&rw->lists, v);
    if (!l) {
        l = ARENA_NEW(&rw->scratch, RwUseList);
        ptrmap_put(&rw->lists, v, l);
    }
    return l;
}

/* Puts u at the head of v's list of uses. */
static void link_use(Rewriter *rw, RwUse *u, IrValue *v)
{
    RwUseList *l = list_of(rw, v);
    u->value = v;
    u->prev = NULL;
    u->next = l->first;
    if (l->first)
        l->first->prev = u;
    l->first = u;
    l->count++;
}

/* Takes u out of its value's list (nothing when it is in none). */
static void unlink_use(Rewriter *rw, RwUse *u)
{
    if (!u->value)
        return;
    RwUseList *l = list_of(rw, u->value);
    if (u->prev)
        u->prev->next = u->next;
    else
        l->first = u->next;
    if (u->next)
        u->next->prev = u->prev;
    l->count--;
    u->value = NULL;
    u->prev = u->next = NULL;
}

/* Makes one use node per operand of op, and of every op in its regions. */
void rw_track(Rewriter *rw, IrOp *op)
{
    if (op->noperands > 0) {
        RwUse *nodes = ARENA_ARRAY(&rw->scratch, RwUse, op->noperands);
        for (int i = 0; i < op->noperands; i++) {
            nodes[i].op = op;
            nodes[i].index = i;
            if (op->operands[i])
                link_use(rw, &nodes[i], op->operands[i]);
        }
        ptrmap_put(&rw->nodes, op, nodes);
    }
    for (int r = 0; r < op->nregions; r++)
        for (IrOp *inner = op->regions[r]->first; inner; inner = inner->next)
            rw_track(rw, inner);
}

/* Tracks every op of the module. */
void rw_init(Rewriter *rw, IrModule *m)
{
    memset(rw, 0, sizeof *rw);
    rw->module = m;
    arena_init(&rw->scratch);
    for (IrOp *op = m->body->first; op; op = op->next)
        rw_track(rw, op);
}

/* Frees the maps and the nodes; the IR stays as it is. */
void rw_free(Rewriter *rw)
{
    ptrmap_free(&rw->lists);
    ptrmap_free(&rw->nodes);
    arena_free(&rw->scratch);
}

/* Live uses of v. */
int rw_use_count(const Rewriter *rw, const IrValue *v)
{
    const RwUseList *l = ptrmap_get(&rw->lists, v);
    return l ? l->count : 0;
}

/* The head of v's list of uses. */
RwUse *rw_first_use(const Rewriter *rw, const IrValue *v)
{
    const RwUseList *l = ptrmap_get(&rw->lists, v);
    return l ? l->first : NULL;
}

/* True when no result of op has a use. */
bool rw_results_unused(const Rewriter *rw, const IrOp *op)
{
    for (int i = 0; i < op->nresults; i++)
        if (rw_use_count(rw, op->results[i]) > 0)
            return false;
    return true;
}

/* The use node of operand `index` of a tracked op. */
static RwUse *node_of(const Rewriter *rw, const IrOp *op, int index)
{
    RwUse *nodes = ptrmap_get(&rw->nodes, op);
    if (!nodes || index < 0 || index >= op->noperands)
        DIE("%s: operand %d is not tracked", ir_op_info(op->opcode)->name, index);
    return &nodes[index];
}

/* Moves operand `index` of op, and its use node, to v. */
void rw_set_operand(Rewriter *rw, IrOp *op, int index, IrValue *v)
{
    RwUse *u = node_of(rw, op, index);
    unlink_use(rw, u);
    op->operands[index] = v;
    if (v)
        link_use(rw, u, v);
}

/* Re-points every use of `from` at `to`, one node at a time. */
void rw_replace_all_uses(Rewriter *rw, IrValue *from, IrValue *to)
{
    if (from == to)
        return;
    while (rw_first_use(rw, from)) {
        RwUse *u = rw_first_use(rw, from);
        rw_set_operand(rw, u->op, u->index, to);
    }
}

/* Drops the uses of op and of every op in its regions. */
static void untrack(Rewriter *rw, IrOp *op)
{
    RwUse *nodes = ptrmap_get(&rw->nodes, op);
    for (int i = 0; nodes && i < op->noperands; i++)
        unlink_use(rw, &nodes[i]);
    for (int r = 0; r < op->nregions; r++)
        for (IrOp *inner = op->regions[r]->first; inner; inner = inner->next)
            untrack(rw, inner);
}

/* Unlinks op and drops the uses of its operands and of its regions' ops. */
void rw_erase(Rewriter *rw, IrOp *op)
{
    if (!rw_results_unused(rw, op))
        DIE("erasing %s, whose results are still used", ir_op_info(op->opcode)->name);
    untrack(rw, op);
    rw_unlink(op);
}

/* Takes op out of its region's list, keeping its uses. */
void rw_unlink(IrOp *op)
{
    IrRegion *r = op->parent;
    if (!r)
        return;
    if (op->prev)
        op->prev->next = op->next;
    else
        r->first = op->next;
    if (op->next)
        op->next->prev = op->prev;
    else
        r->last = op->prev;
    op->prev = op->next = NULL;
    op->parent = NULL;
}

/* Links op into anchor's region just before anchor. */
void rw_insert_before(IrOp *anchor, IrOp *op)
{
    IrRegion *r = anchor->parent;
    op->parent = r;
    op->next = anchor;
    op->prev = anchor->prev;
    if (anchor->prev)
        anchor->prev->next = op;
    else
        r->first = op;
    anchor->prev = op;
}

/* Links op into anchor's region just after anchor. */
void rw_insert_after(IrOp *anchor, IrOp *op)
{
    IrRegion *r = anchor->parent;
    op->parent = r;
    op->prev = anchor;
    op->next = anchor->next;
    if (anchor->next)
        anchor->next->prev = op;
    else
        r->last = op;
    anchor->next = op;
}

/* The region that defines v. */
IrRegion *rw_value_region(const IrValue *v)
{
    return v->def ? v->def->parent : v->owner;
}

/* Walks up from inner through the parent ops' regions. */
bool rw_region_encloses(const IrRegion *outer, const IrRegion *inner)
{
    for (const IrRegion *r = inner; r; r = r->parent ? r->parent->parent : NULL)
        if (r == outer)
            return true;
    return false;
}

/* Climbs from op through the ops that hold its region until one lies in `region`. */
IrOp *rw_ancestor_in(IrOp *op, const IrRegion *region)
{
    while (op && op->parent != region)
        op = op->parent && op->parent->parent ? op->parent->parent : NULL;
    return op;
}

/* Builds, places and tracks a new op at anchor's place and location. */
IrOp *rw_new_op_before(Rewriter *rw, IrOp *anchor, IrOpcode opcode, IrValue *const *operands,
                       int noperands, const Type *result_types, int nresults)
{
    IrOp *op = ir_op_new(rw->module, opcode, operands, noperands, result_types, nresults);
    op->loc = anchor->loc;
    op->span = anchor->span;
    op->has_span = anchor->has_span;
    rw_insert_before(anchor, op);
    rw_track(rw, op);
    return op;
}

/* Removes the attribute, keeping the others sorted. */
void rw_remove_attr(IrOp *op, const char *name)
{
    for (int i = 0; i < op->nattrs; i++) {
        if (strcmp(op->attrs[i].name, name) != 0)
            continue;
        for (int j = i + 1; j < op->nattrs; j++)
            op->attrs[j - 1] = op->attrs[j];
        op->nattrs--;
        return;
    }
}
