/* fuse.c: the `fuse` pass: transposes folded into BLAS ops, then elementwise chains (with the
 * reductions that end them) grouped into k.fused kernels for codegen/jit.h.
 *
 * Contract: consumes a verified, canonicalized module; rewrites it in place.
 *
 * Transposes. t.matmul / t.matvec / t.vecmat whose matrix operand is a t.transpose take the
 * transpose's operand and `transpose_a` (operand 0) or `transpose_b` (operand 1) instead (toggled
 * when already set); a transpose left without uses is removed.
 *
 * Groups. Within one region (never across a region boundary), walking ops in order:
 *   - a member is an elementwise op with a dense tensor result; a group's iteration space is its
 *     first member's result shape, and every member has exactly that shape (dimensions equal by
 *     type_dim_equal); scalar-only ops stay outside (the interpreter runs them);
 *   - every tensor operand of a member that is not itself a member is an input that fits one of
 *     jit.h's patterns against the space (input_pattern); rank-0 ir.const operands are
 *     copied into the kernel, other scalars are inputs;
 *   - t.sum / t.mean / t.max / t.min of a member (no axis, the last axis, or axis 0 of a rank-2
 *     space) join the member's group as trailing reductions; their results feed no member;
 *   - an op joins the group that owns one of its operands, else another group with its space
 *     (newest first, among the last MAX_CANDIDATE_GROUPS), else it starts a group;
 *   - placement: a group's kernel takes the place of its last member, unless an op outside the
 *     group uses one of its values before that (its `limit`): then it goes right before that op,
 *     and a member may join after the limit only when its inputs are all available before the
 *     limit. So no op between the kernel and a member's old place depends on the group, the
 *     order of dependences is kept, and member ops (pure) only move.
 * A member value used outside the group becomes a result (in member order); a group with no such
 * value is not formed. The kernel's operands are its inputs in order of first use; its region has
 * one argument per operand, the members (moved), the copied constants and an ir.yield of the
 * results. It carries the location of its first member. ad.grad regions are left alone (autodiff
 * has expanded them before this pass runs) and so are existing k.fused ops. */
#include "passes/passes.h"
#include "passes/rewrite.h"

#include "support/die.h"
#include "support/vec.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

/* How many groups of the same space, besides those owning its operands, an op tries to join:
 * bounds the work per op in a long region; in practice one or two groups are open per space. */
enum { MAX_CANDIDATE_GROUPS = 8 };

/* ---- transposes ---- */

static bool bool_attr(const IrOp *op, const char *name)
{
    const IrAttr *a = ir_get_attr(op, name);
    return a && a->kind == IR_ATTR_BOOL && a->bool_value;
}

/* Folds the transpose feeding one matrix operand of a BLAS op into its attribute. */
static void fold_transpose_operand(Rewriter *rw, IrOp *op, int operand, const char *attr)
{
    IrValue *x = op->operands[operand];
    if (x->type.rank != 2 || !x->def || x->def->opcode != IR_OP_TRANSPOSE)
        return;
    IrOp *transpose = x->def;
    IrValue *stored = transpose->operands[0];
    if (stored->type.sparse)
        return;
    rw_set_operand(rw, op, operand, stored);
    if (bool_attr(op, attr))
        rw_remove_attr(op, attr);
    else
        ir_set_bool(rw->module, op, attr, true);
    if (rw_results_unused(rw, transpose))
        rw_erase(rw, transpose);
}

/* Folds transposes in every region (kernels excepted). */
static void fold_transposes(Rewriter *rw, IrRegion *r)
{
    for (IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_MATMUL || op->opcode == IR_OP_MATVEC)
            fold_transpose_operand(rw, op, 0, "transpose_a");
        if (op->opcode == IR_OP_MATMUL || op->opcode == IR_OP_VECMAT)
            fold_transpose_operand(rw, op, 1, "transpose_b");
        if (op->opcode != IR_OP_K_FUSED)
            for (int i = 0; i < op->nregions; i++)
                fold_transposes(rw, op->regions[i]);
    }
}

/* ---- patterns (codegen/jit.h) ---- */

typedef enum { PATTERN_NONE, PATTERN_SCALAR, PATTERN_FULL, PATTERN_ROW, PATTERN_COL } Pattern;

/* Same rank and dimensions equal as written (type_dim_equal), both dense. */
static bool same_shape(const Type *a, const Type *b)
{
    if (a->rank != b->rank || a->sparse || b->sparse)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (!type_dim_equal(a->dims[i], b->dims[i]))
            return false;
    return true;
}

/* How a kernel over `space` reads an operand of type t: a scalar, the whole shape, the last
 * dimension only ([inner], or [1, inner]), or the leading dimensions with a last dimension of 1
 * ([outer.., 1]). */
static Pattern input_pattern(const Type *t, const Type *space)
{
    int r = space->rank;
    if (t->sparse || t->dtype == DT_STR)
        return PATTERN_NONE;
    if (t->rank == 0)
        return PATTERN_SCALAR;
    if (same_shape(t, space))
        return PATTERN_FULL;
    bool leading_ones = t->rank <= r;
    for (int i = 0; leading_ones && i + 1 < t->rank; i++)
        leading_ones = t->dims[i].kind == DIM_CONST && t->dims[i].value == 1;
    if (r >= 2 && leading_ones && type_dim_equal(t->dims[t->rank - 1], space->dims[r - 1]))
        return PATTERN_ROW;
    if (t->rank == r && t->dims[r - 1].kind == DIM_CONST && t->dims[r - 1].value == 1) {
        for (int i = 0; i < r - 1; i++)
            if (!type_dim_equal(t->dims[i], space->dims[i]))
                return PATTERN_NONE;
        return PATTERN_COL;
    }
    return PATTERN_NONE;
}

/* A rank-0 ir.const, which kernels copy instead of taking as an operand. */
static bool is_scalar_const(const IrValue *v)
{
    return v->def && v->def->opcode == IR_OP_CONST && v->type.rank == 0;
}

/* An elementwise op with a dense, non-string tensor result. */
static bool is_member_candidate(const IrOp *op)
{
    if (!ir_op_has_flag(op->opcode, IR_ELEMENTWISE) || op->nresults != 1)
        return false;
    const Type *t = &op->results[0]->type;
    return t->rank >= 1 && !t->sparse && t->dtype != DT_STR;
}

/* A reduction a kernel over `space` can end with. */
static bool is_trailing_reduction(const IrOp *op, const Type *space)
{
    if (op->opcode != IR_OP_SUM && op->opcode != IR_OP_MEAN && op->opcode != IR_OP_MAX &&
        op->opcode != IR_OP_MIN)
        return false;
    const IrAttr *axis = ir_get_attr(op, "axis");
    if (!axis)
        return true;
    int r = space->rank;
    return axis->kind == IR_ATTR_INT &&
           (axis->int_value == r - 1 || (axis->int_value == 0 && r == 2));
}

/* ---- groups ---- */

typedef struct Group Group;
struct Group {
    Type space;
    PtrVec members; /* IrOp *, in region order */
    int last;       /* position of the last member */
    int limit;      /* position of the first outside user; INT_MAX while none */
    /* filled when the kernel is built */
    PtrVec inputs, results; /* IrValue * */
    PtrMap input_index;     /* IrValue * -> 1 + index in inputs */
    IrOp *kernel;
};

typedef struct {
    Group *group;
    bool reduction; /* the value is a trailing reduction's result */
} Member;

typedef struct {
    Rewriter *rw;
    IrRegion *region;
    IrOp **ops; /* the region's ops at the start, by position */
    int nops;
    PtrMap position;  /* IrOp * -> 1 + position */
    PtrMap members;   /* IrValue * (member result) -> Member * */
    PtrMap member_of; /* IrOp * -> Group * */
    PtrVec groups;    /* Group *, in creation order */
    Arena *scratch;
} RegionFusion;

/* The op's position in the region (-1 when it is not in it). */
static int position_of(const RegionFusion *rf, const IrOp *op)
{
    return (int)(intptr_t)ptrmap_get(&rf->position, op) - 1;
}

/* The group membership of a value, or NULL. */
static Member *member_value(const RegionFusion *rf, const IrValue *v)
{
    return ptrmap_get(&rf->members, v);
}

/* Where v is available for a kernel placed in this region: -1 for values from outside it, the
 * position of its op, or for another group's value the position that group's kernel will take
 * when an op at `at` uses it. */
static int ready_position(const RegionFusion *rf, const IrValue *v, int at)
{
    const Member *m = member_value(rf, v);
    if (m)
        return m->group->limit < at ? m->group->limit : at;
    if (v->def && v->def->parent == rf->region)
        return position_of(rf, v->def);
    return -1;
}

/* True when the elementwise op at position `at` can join g. */
static bool can_join(const RegionFusion *rf, const Group *g, const IrOp *op, int at)
{
    if (!same_shape(&op->results[0]->type, &g->space))
        return false;
    for (int i = 0; i < op->noperands; i++) {
        const IrValue *v = op->operands[i];
        const Member *m = member_value(rf, v);
        if (m && m->group == g) {
            if (m->reduction)
                return false;
            continue;
        }
        if (is_scalar_const(v))
            continue;
        if (input_pattern(&v->type, &g->space) == PATTERN_NONE)
            return false;
        if (g->limit != INT_MAX && ready_position(rf, v, at) >= g->limit)
            return false;
    }
    return true;
}

/* Adds op (at position `at`) to g; a reduction's result feeds no member. */
static void add_member(RegionFusion *rf, Group *g, IrOp *op, int at, bool reduction)
{
    vec_push(&g->members, op);
    g->last = at;
    Member *m = ARENA_NEW(rf->scratch, Member);
    m->group = g;
    m->reduction = reduction;
    ptrmap_put(&rf->members, op->results[0], m);
    ptrmap_put(&rf->member_of, op, g);
}

/* A new group over `space`, with no limit yet. */
static Group *new_group(RegionFusion *rf, const Type *space)
{
    Group *g = ARENA_NEW(rf->scratch, Group);
    g->space = *space;
    g->limit = INT_MAX;
    vec_push(&rf->groups, g);
    return g;
}

/* True when g is among the first n of list. */
static bool listed(Group *const *list, int n, const Group *g)
{
    for (int i = 0; i < n; i++)
        if (list[i] == g)
            return true;
    return false;
}

/* The group an elementwise op joins (made for it when none fits), or NULL when it cannot be in
 * a kernel at all. */
static Group *choose_group(RegionFusion *rf, IrOp *op, int at)
{
    Group *tried[3]; /* the groups of its operands: elementwise ops have at most three */
    int ntried = 0;
    for (int i = 0; i < op->noperands && i < 3; i++) {
        const Member *m = member_value(rf, op->operands[i]);
        if (m && !listed(tried, ntried, m->group)) {
            tried[ntried++] = m->group;
            if (can_join(rf, m->group, op, at))
                return m->group;
        }
    }
    int looked = 0;
    for (int i = rf->groups.len - 1; i >= 0 && looked < MAX_CANDIDATE_GROUPS; i--) {
        Group *g = rf->groups.items[i];
        if (listed(tried, ntried, g) || !same_shape(&g->space, &op->results[0]->type))
            continue;
        looked++;
        if (can_join(rf, g, op, at))
            return g;
    }
    Group probe = {.space = op->results[0]->type, .limit = INT_MAX};
    if (!can_join(rf, &probe, op, at))
        return NULL;
    return new_group(rf, &op->results[0]->type);
}

/* Marks a use at position `at` of any group value (other than by `joined`'s members). */
static void note_use(RegionFusion *rf, const IrValue *v, int at, const Group *joined)
{
    Member *m = member_value(rf, v);
    if (m && m->group != joined && m->group->limit > at)
        m->group->limit = at;
}

/* Records the uses of group values inside an op's regions as uses at its position. */
static void note_nested_uses(RegionFusion *rf, const IrRegion *r, int at)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        for (int i = 0; i < op->noperands; i++)
            note_use(rf, op->operands[i], at, NULL);
        for (int k = 0; k < op->nregions; k++)
            note_nested_uses(rf, op->regions[k], at);
    }
}

static void fuse_region(Rewriter *rw, IrRegion *r, Arena *scratch);

/* One op of the walk: joins a group, or records its uses of group values. */
static void visit_op(RegionFusion *rf, IrOp *op, int at)
{
    Group *joined = NULL;
    if (is_member_candidate(op)) {
        joined = choose_group(rf, op, at);
        if (joined)
            add_member(rf, joined, op, at, false);
    } else if (op->noperands == 1 && op->nresults == 1) {
        Member *m = member_value(rf, op->operands[0]);
        if (m && !m->reduction && !op->results[0]->type.sparse &&
            is_trailing_reduction(op, &m->group->space)) {
            joined = m->group;
            add_member(rf, joined, op, at, true);
        }
    }
    for (int i = 0; i < op->noperands; i++)
        note_use(rf, op->operands[i], at, joined);
    if (op->opcode == IR_OP_K_FUSED)
        return; /* its body uses only its own arguments */
    for (int i = 0; i < op->nregions; i++) {
        if (op->opcode != IR_OP_AD_GRAD)
            fuse_region(rf->rw, op->regions[i], rf->scratch);
        note_nested_uses(rf, op->regions[i], at);
    }
}

/* ---- building the kernels ---- */

static bool is_member_of(const RegionFusion *rf, const IrOp *op, const Group *g)
{
    return ptrmap_get(&rf->member_of, op) == g;
}

/* Inputs (in order of first use) and results (member values used outside, in member order). */
static void collect_interface(RegionFusion *rf, Group *g)
{
    for (int k = 0; k < g->members.len; k++) {
        IrOp *op = g->members.items[k];
        for (int i = 0; i < op->noperands; i++) {
            IrValue *v = op->operands[i];
            const Member *m = member_value(rf, v);
            if ((m && m->group == g) || is_scalar_const(v) || ptrmap_get(&g->input_index, v))
                continue;
            vec_push(&g->inputs, v);
            ptrmap_put(&g->input_index, v, (void *)(intptr_t)g->inputs.len);
        }
        for (RwUse *u = rw_first_use(rf->rw, op->results[0]); u; u = u->next) {
            if (!is_member_of(rf, u->op, g)) {
                vec_push(&g->results, op->results[0]);
                break;
            }
        }
    }
}

/* Makes the (empty) kernel op and puts it where the group's values are first needed. */
static void place_kernel(RegionFusion *rf, Group *g)
{
    IrModule *m = rf->rw->module;
    Type *types = ARENA_ARRAY(rf->scratch, Type, g->results.len);
    for (int i = 0; i < g->results.len; i++)
        types[i] = ((IrValue *)g->results.items[i])->type;
    IrOp *first = g->members.items[0];
    IrOp *k = ir_op_new(m, IR_OP_K_FUSED, (IrValue *const *)g->inputs.items, g->inputs.len, types,
                        g->results.len);
    k->loc = first->loc;
    k->span = first->span;
    k->has_span = first->has_span;
    for (int i = 0; i < g->inputs.len; i++)
        ir_region_add_arg(m, k->regions[0], ((IrValue *)g->inputs.items[i])->type);
    if (g->last < g->limit)
        rw_insert_after(rf->ops[g->last], k);
    else
        rw_insert_before(rf->ops[g->limit], k);
    rw_track(rf->rw, k);
    g->kernel = k;
}

/* A copy of a scalar ir.const at the end of the kernel's body. */
static IrValue *copy_constant(Rewriter *rw, IrRegion *body, const IrValue *v)
{
    const IrOp *c = v->def;
    IrOp *copy = ir_op_new(rw->module, IR_OP_CONST, NULL, 0, &v->type, 1);
    for (int i = 0; i < c->nattrs; i++)
        ir_set_attr(rw->module, copy, &c->attrs[i]);
    copy->loc = c->loc;
    copy->span = c->span;
    copy->has_span = c->has_span;
    ir_region_append(body, copy);
    rw_track(rw, copy);
    return copy->results[0];
}

/* Moves the members into the kernel's body, their inputs becoming block arguments and their
 * scalar constants copies, and ends the body with the ir.yield of the results. */
static void fill_kernel(RegionFusion *rf, Group *g, PtrVec *constants)
{
    IrRegion *body = g->kernel->regions[0];
    PtrMap copies = {0}; /* IrValue * (outer constant) -> its copy in the body */
    for (int k = 0; k < g->members.len; k++) {
        IrOp *op = g->members.items[k];
        for (int i = 0; i < op->noperands; i++) {
            IrValue *v = op->operands[i];
            intptr_t input = (intptr_t)ptrmap_get(&g->input_index, v);
            if (input) {
                rw_set_operand(rf->rw, op, i, body->args[input - 1]);
            } else if (is_scalar_const(v)) {
                IrValue *copy = ptrmap_get(&copies, v);
                if (!copy) {
                    copy = copy_constant(rf->rw, body, v);
                    ptrmap_put(&copies, v, copy);
                    vec_push(constants, v->def);
                }
                rw_set_operand(rf->rw, op, i, copy);
            }
        }
        rw_unlink(op);
        ir_region_append(body, op);
    }
    ptrmap_free(&copies);
    IrOp *yield = ir_op_new(rf->rw->module, IR_OP_YIELD, (IrValue *const *)g->results.items,
                            g->results.len, NULL, 0);
    yield->loc = g->kernel->loc;
    yield->span = g->kernel->span;
    yield->has_span = g->kernel->has_span;
    ir_region_append(body, yield);
    rw_track(rf->rw, yield);
}

/* Uses of the results outside the kernel's body become uses of the kernel's results. */
static void redirect_results(RegionFusion *rf, Group *g)
{
    IrRegion *body = g->kernel->regions[0];
    for (int i = 0; i < g->results.len; i++) {
        IrValue *v = g->results.items[i];
        RwUse *next;
        for (RwUse *u = rw_first_use(rf->rw, v); u; u = next) {
            next = u->next;
            if (u->op->parent != body)
                rw_set_operand(rf->rw, u->op, u->index, g->kernel->results[i]);
        }
    }
}

/* Builds every formed group's kernel in four sweeps, so that each sweep sees the ops where the
 * previous one left them: interfaces, placement, bodies, then the uses outside. */
static void build_kernels(RegionFusion *rf)
{
    PtrVec constants = {0};
    for (int i = 0; i < rf->groups.len; i++)
        collect_interface(rf, rf->groups.items[i]);
    for (int i = 0; i < rf->groups.len; i++) {
        Group *g = rf->groups.items[i];
        if (g->results.len > 0)
            place_kernel(rf, g);
    }
    for (int i = 0; i < rf->groups.len; i++) {
        Group *g = rf->groups.items[i];
        if (g->kernel)
            fill_kernel(rf, g, &constants);
    }
    for (int i = 0; i < rf->groups.len; i++) {
        Group *g = rf->groups.items[i];
        if (g->kernel)
            redirect_results(rf, g);
    }
    for (int i = 0; i < constants.len; i++) {
        IrOp *c = constants.items[i];
        if (c->parent && rw_results_unused(rf->rw, c))
            rw_erase(rf->rw, c);
    }
    vec_free(&constants);
}

/* Numbers the region's ops, walks them, builds the kernels. */
static void fuse_region(Rewriter *rw, IrRegion *r, Arena *scratch)
{
    RegionFusion rf = {.rw = rw, .region = r, .scratch = scratch};
    for (IrOp *op = r->first; op; op = op->next)
        rf.nops++;
    rf.ops = ARENA_ARRAY(scratch, IrOp *, rf.nops > 0 ? rf.nops : 1);
    int n = 0;
    for (IrOp *op = r->first; op; op = op->next) {
        rf.ops[n] = op;
        ptrmap_put(&rf.position, op, (void *)(intptr_t)(n + 1));
        n++;
    }
    for (int i = 0; i < rf.nops; i++)
        visit_op(&rf, rf.ops[i], i);
    build_kernels(&rf);
    for (int i = 0; i < rf.groups.len; i++) {
        Group *g = rf.groups.items[i];
        vec_free(&g->members);
        vec_free(&g->inputs);
        vec_free(&g->results);
        ptrmap_free(&g->input_index);
    }
    vec_free(&rf.groups);
    ptrmap_free(&rf.position);
    ptrmap_free(&rf.members);
    ptrmap_free(&rf.member_of);
}

/* Transposes first (a folded transpose is no longer an op between members), then groups. */
bool pass_fuse(IrModule *m, DiagList *diags)
{
    Rewriter rw;
    rw_init(&rw, m);
    fold_transposes(&rw, m->body);
    Arena scratch;
    arena_init(&scratch);
    fuse_region(&rw, m->body, &scratch);
    arena_free(&scratch);
    rw_free(&rw);
    return true;
}
