/* group.c: what codegen makes of one k.fused op: its iteration space, how each operand is read
 * and each result written (the patterns of jit.h), and whether everything in it is supported.
 *
 * Shapes are symbolic: a dimension matches another when both are the same constant or size name,
 * or when either is `?` (the interpreter checks the actual shapes before it calls a kernel). The
 * space is the NumPy broadcast of every tensor the body computes on; a group whose shapes do not
 * broadcast symbolically, or with an operand or result that fits no pattern, is left to the
 * interpreter. */
#include "codegen/cg.h"

#include <string.h>

/* The reductions codegen supports at the end of a group. */
bool cg_is_reduction(IrOpcode opcode)
{
    return opcode == IR_OP_SUM || opcode == IR_OP_MEAN || opcode == IR_OP_MAX ||
           opcode == IR_OP_MIN;
}

/* A dimension that is the constant 1 (it broadcasts). */
static bool dim_is_one(Dim d)
{
    return d.kind == DIM_CONST && d.value == 1;
}

/* Two symbolic dimensions that may be equal at run time without broadcasting. */
static bool dims_match(Dim a, Dim b)
{
    return a.kind == DIM_ANY || b.kind == DIM_ANY || type_dim_equal(a, b);
}

/* A dtype that kernels hold in memory (not str, not none). */
static bool dtype_supported(DType t)
{
    return t == DT_BOOL || t == DT_I32 || t == DT_I64 || t == DT_F32 || t == DT_F64;
}

/* Records why the group is left to the interpreter; returns false. */
static bool unsupported(CgGroup *g, const char *why)
{
    g->unsupported = why;
    return false;
}

/* True when v is a block argument of the region or the result of one of its ops. */
static bool defined_in(const IrValue *v, const IrRegion *region)
{
    return v->def ? v->def->parent == region : v->owner == region;
}

/* True when v is the result of a reduction op of the region. */
static bool is_reduction_result(const IrValue *v)
{
    return v->def && cg_is_reduction(v->def->opcode);
}

/* Checks the ops of the body: supported, closed over the region, reductions only yielded. */
static bool check_body(CgGroup *g, const IrRegion *body)
{
    for (const IrOp *o = body->first; o; o = o->next) {
        for (int i = 0; i < o->noperands; i++) {
            if (!defined_in(o->operands[i], body))
                return unsupported(g, "a value from outside the group");
            if (o->opcode != IR_OP_YIELD && is_reduction_result(o->operands[i]))
                return unsupported(g, "a reduction result used inside the group");
        }
        if (o->opcode == IR_OP_YIELD)
            return o->next ? unsupported(g, "ops after ir.yield") : true;
        const IrOpInfo *info = ir_op_info(o->opcode);
        if (o->nresults != 1 || o->nregions != 0 ||
            (info->noperands != IR_VARIADIC && o->noperands != info->noperands))
            return unsupported(g, "an op with the wrong number of operands or results");
        const Type *t = &o->results[0]->type;
        if (t->sparse || !dtype_supported(t->dtype))
            return unsupported(g, "a sparse or non-numeric value");
        if (cg_is_reduction(o->opcode)) {
            DType d = o->operands[0]->type.dtype;
            if (d == DT_BOOL || (o->opcode == IR_OP_MEAN && !type_is_float(d)) || t->dtype != d)
                return unsupported(g, "a reduction of this dtype");
        } else if (!cg_elementwise_supported(o)) {
            return unsupported(g, "an op or dtype that codegen does not support");
        }
    }
    return unsupported(g, "no ir.yield");
}

/* The tensor an op of the body computes over: its result, or a reduction's operand. */
static const Type *space_type_of(const IrOp *o)
{
    return cg_is_reduction(o->opcode) ? &o->operands[0]->type : &o->results[0]->type;
}

/* The broadcast of shapes, aligned on the right: dims[TYPE_MAX_RANK - rank ..] are used. */
typedef struct {
    Dim dims[TYPE_MAX_RANK];
    bool seen[TYPE_MAX_RANK];
    int rank;
} Space;

/* Folds one shape into the space: each position keeps a dimension that is not 1 when there is
 * one, a known one rather than `?`. */
static void space_add(Space *s, const Type *t)
{
    for (int p = 0; p < t->rank; p++) {
        Dim d = t->dims[t->rank - 1 - p];
        int at = TYPE_MAX_RANK - 1 - p;
        Dim *slot = &s->dims[at];
        bool better = !s->seen[at] || (dim_is_one(*slot) && !dim_is_one(d)) ||
                      (slot->kind == DIM_ANY && d.kind != DIM_ANY && !dim_is_one(d));
        if (better) {
            *slot = d;
            s->seen[at] = true;
        }
    }
    if (t->rank > s->rank)
        s->rank = t->rank;
}

/* True when every dimension of t is 1 or matches the space's at its position. */
static bool space_admits(const Space *s, const Type *t)
{
    for (int p = 0; p < t->rank; p++) {
        Dim d = t->dims[t->rank - 1 - p];
        if (!dim_is_one(d) && !dims_match(d, s->dims[TYPE_MAX_RANK - 1 - p]))
            return false;
    }
    return true;
}

/* Sets g->rank and g->dims to the broadcast of every tensor the body computes on. */
static bool find_space(CgGroup *g, const IrRegion *body)
{
    Space s = {0};
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < body->nargs; i++) {
            const Type *t = &body->args[i]->type;
            if (t->rank == 0)
                continue;
            if (pass == 0)
                space_add(&s, t);
            else if (!space_admits(&s, t))
                return unsupported(g, "shapes that do not broadcast symbolically");
        }
        for (const IrOp *o = body->first; o && o->opcode != IR_OP_YIELD; o = o->next) {
            const Type *t = space_type_of(o);
            if (t->rank == 0)
                continue;
            if (pass == 0)
                space_add(&s, t);
            else if (!space_admits(&s, t))
                return unsupported(g, "shapes that do not broadcast symbolically");
        }
    }
    if (s.rank == 0)
        return unsupported(g, "no tensor to iterate over");
    g->rank = s.rank;
    for (int i = 0; i < s.rank; i++)
        g->dims[i] = s.dims[TYPE_MAX_RANK - s.rank + i];
    return true;
}

/* True when t has the whole shape of the space. */
static bool is_full(const CgGroup *g, const Type *t)
{
    if (t->rank != g->rank)
        return false;
    for (int i = 0; i < t->rank; i++)
        if (!dims_match(t->dims[i], g->dims[i]))
            return false;
    return true;
}

/* How an operand of type t is read (jit.h); false when it fits no pattern. */
static bool classify_operand(const CgGroup *g, const Type *t, JitInKind *kind)
{
    int r = g->rank;
    if (t->rank == 0) {
        *kind = JIT_IN_SCALAR;
        return true;
    }
    if (is_full(g, t)) {
        *kind = JIT_IN_FULL;
        return true;
    }
    bool leading_ones = true;
    for (int i = 0; i + 1 < t->rank; i++)
        leading_ones = leading_ones && dim_is_one(t->dims[i]);
    if (r >= 2 && leading_ones && dims_match(t->dims[t->rank - 1], g->dims[r - 1])) {
        *kind = JIT_IN_ROW;
        return true;
    }
    bool leading_match = t->rank == r && dim_is_one(t->dims[r - 1]);
    for (int i = 0; leading_match && i + 1 < r; i++)
        leading_match = dims_match(t->dims[i], g->dims[i]);
    if (leading_match) {
        *kind = JIT_IN_COL;
        return true;
    }
    return false;
}

/* How the yielded value v is written (jit.h); false with g->unsupported set when it cannot be. */
static bool classify_result(CgGroup *g, const IrValue *v, JitOutKind *kind)
{
    const IrOp *def = v->def;
    if (!def || !cg_is_reduction(def->opcode)) {
        if (!is_full(g, &v->type))
            return unsupported(g, "a result that is not the whole iteration space");
        *kind = JIT_OUT_FULL;
        return true;
    }
    if (!is_full(g, &def->operands[0]->type))
        return unsupported(g, "a reduction over part of the iteration space");
    const IrAttr *axis = ir_get_attr(def, "axis");
    if (axis && axis->kind != IR_ATTR_INT)
        return unsupported(g, "a reduction axis that is not an integer");
    int64_t a = axis ? axis->int_value : -1;
    if (v->type.rank == 0 && (!axis || (g->rank == 1 && a == 0)))
        *kind = JIT_OUT_REDUCE_ALL;
    else if (g->rank >= 2 && a == g->rank - 1 && v->type.rank == g->rank - 1)
        *kind = JIT_OUT_REDUCE_ROWS;
    else if (g->rank == 2 && a == 0 && v->type.rank == 1)
        *kind = JIT_OUT_REDUCE_COLS;
    else
        return unsupported(g, "a reduction over an axis that is neither the last nor 0 of 2");
    return true;
}

/* Operands and block arguments agree, and are tensors or scalars that kernels can hold. */
static bool check_operands(CgGroup *g, const IrOp *op, const IrRegion *body)
{
    if (body->nargs != op->noperands)
        return unsupported(g, "block arguments that do not match the operands");
    for (int i = 0; i < op->noperands; i++) {
        const Type *t = &op->operands[i]->type, *arg = &body->args[i]->type;
        if (t->sparse || !dtype_supported(t->dtype))
            return unsupported(g, "a sparse or non-numeric operand");
        if (t->dtype != arg->dtype || t->rank != arg->rank || arg->sparse)
            return unsupported(g, "block arguments that do not match the operands");
    }
    return true;
}

/* Fills g for a k.fused op, or says why codegen leaves it to the interpreter (see cg.h). */
bool cg_group_analyse(const IrOp *op, Arena *arena, CgGroup *g)
{
    memset(g, 0, sizeof *g);
    g->op = op;
    if (op->opcode != IR_OP_K_FUSED || op->nregions != 1)
        return unsupported(g, "not a k.fused op");
    const IrRegion *body = op->regions[0];
    if (!check_operands(g, op, body) || !check_body(g, body))
        return false;
    const IrOp *yield = body->last;
    if (yield->noperands != op->nresults)
        return unsupported(g, "a yield that does not match the results");
    for (int i = 0; i < op->nresults; i++) {
        const Type *t = &op->results[i]->type, *y = &yield->operands[i]->type;
        if (t->dtype != y->dtype || t->rank != y->rank || t->sparse)
            return unsupported(g, "a yield that does not match the results");
    }
    if (!find_space(g, body))
        return false;
    g->in = ARENA_ARRAY(arena, JitInKind, op->noperands + 1);
    g->out = ARENA_ARRAY(arena, JitOutKind, op->nresults + 1);
    for (int i = 0; i < op->noperands; i++)
        if (!classify_operand(g, &op->operands[i]->type, &g->in[i]))
            return unsupported(g, "an operand that is neither the whole space, a row nor a column");
    for (int i = 0; i < op->nresults; i++)
        if (!classify_result(g, yield->operands[i], &g->out[i]))
            return false;
    /* memplan's `inplace` operand shares the result's buffer: safe only when both are read and
     * written at the same element (each element is loaded before it is stored) */
    const IrAttr *inplace = ir_get_attr(op, "inplace");
    if (inplace && inplace->kind == IR_ATTR_INT && inplace->int_value >= 0 &&
        inplace->int_value < op->noperands && g->in[inplace->int_value] != JIT_IN_FULL)
        return unsupported(g, "an in-place operand that is not read element by element");
    g->flat = true;
    for (int i = 0; i < op->noperands; i++)
        g->flat = g->flat && (g->in[i] == JIT_IN_SCALAR || g->in[i] == JIT_IN_FULL);
    for (int i = 0; i < op->nresults; i++)
        g->flat = g->flat && (g->out[i] == JIT_OUT_FULL || g->out[i] == JIT_OUT_REDUCE_ALL);
    return true;
}
