/* autodiff_emit.c: the op builders of the autodiff pass (autodiff.h).
 *
 * Every op is inserted just before the grad op being expanded and carries its location and span.
 * Result types are computed here from the operands' symbolic types, so that the rules read as
 * formulas. Constants take the dtype of the tensors they combine with (the IR has no weak
 * scalars), and sizes are i64 scalars: a constant, a shape query on a value that has the
 * dimension, or the size or config that the dimension names. */
#include "passes/autodiff.h"

#include "support/die.h"

#include <string.h>

IrValue *ad_emit(AdContext *c, IrOpcode opcode, IrValue *const *operands, int noperands,
                 Type result)
{
    IrOp *op = ir_op_new(c->module, opcode, operands, noperands, &result, 1);
    IrOp *anchor = c->grad;
    op->loc = anchor->loc;
    op->span = anchor->span;
    op->has_span = anchor->has_span;
    op->parent = anchor->parent;
    op->next = anchor;
    op->prev = anchor->prev;
    if (anchor->prev)
        anchor->prev->next = op;
    else
        anchor->parent->first = op;
    anchor->prev = op;
    return op->results[0];
}

IrValue *ad_float(AdContext *c, DType dtype, double v)
{
    if (!type_is_float(dtype))
        DIE("a float constant of dtype %s", type_dtype_name(dtype));
    IrValue *k = ad_emit(c, IR_OP_CONST, NULL, 0, type_scalar(dtype));
    ir_set_float(c->module, k->def, "value", v);
    return k;
}

IrValue *ad_int(AdContext *c, int64_t v)
{
    IrValue *k = ad_emit(c, IR_OP_CONST, NULL, 0, type_scalar(DT_I64));
    ir_set_int(c->module, k->def, "value", v);
    return k;
}

/* The cfg.decl of a config named `name` in the module's body, or NULL. */
static const IrOp *config_declaration(const IrModule *m, const char *name)
{
    for (const IrOp *op = m->body->first; op; op = op->next)
        if (op->opcode == IR_OP_CFG_DECL && ir_op_symbol(op) && strcmp(ir_op_symbol(op), name) == 0)
            return op;
    return NULL;
}

/* The value of a symbolic dimension: cfg.get of an integer config, else size.get. */
static IrValue *named_dim(AdContext *c, const char *name)
{
    const IrOp *decl = config_declaration(c->module, name);
    if (decl) {
        const IrAttr *value = ir_get_attr(decl, "value");
        if (!value || value->kind != IR_ATTR_INT)
            return NULL;
        IrValue *v = ad_emit(c, IR_OP_CFG_GET, NULL, 0, type_scalar(DT_I64));
        ir_set_symbol(c->module, v->def, "sym", name);
        return v;
    }
    IrValue *v = ad_emit(c, IR_OP_SIZE_GET, NULL, 0, type_scalar(DT_I64));
    ir_set_symbol(c->module, v->def, "sym", name);
    return v;
}

IrValue *ad_dim(AdContext *c, IrValue *v, int k)
{
    const Type *t = &v->type;
    if (k < 0 || k >= t->rank)
        DIE("dimension %d of a rank-%d value", k, t->rank);
    Dim d = t->dims[k];
    if (d.kind == DIM_CONST)
        return ad_int(c, d.value);
    Type i64 = type_scalar(DT_I64);
    if (t->rank == 2)
        return ad_emit(c, k == 0 ? IR_OP_ROWS : IR_OP_COLS, &v, 1, i64);
    if (k == 0)
        return ad_emit(c, IR_OP_LEN, &v, 1, i64);
    IrValue *named = d.kind == DIM_SYM ? named_dim(c, d.sym) : NULL;
    if (named)
        return named;
    Buf text = {0};
    type_print(t, &text);
    ad_error(c, NULL,
             "grad cannot find the size of dimension %d of %s (its derivative needs it); "
             "give the tensor a declared shape",
             k, buf_cstr(&text));
    buf_free(&text);
    return ad_int(c, 0);
}

/* ---- types ---- */

/* Whether d is the constant `value`. */
static bool is_const_dim(Dim d, int64_t value)
{
    return d.kind == DIM_CONST && d.value == value;
}

Type ad_broadcast_type(const Type *a, const Type *b, DType dtype)
{
    Type r = {.dtype = dtype};
    r.rank = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r.rank; i++) {
        int ia = i - (r.rank - a->rank), ib = i - (r.rank - b->rank);
        if (ia < 0) {
            r.dims[i] = b->dims[ib];
            continue;
        }
        if (ib < 0) {
            r.dims[i] = a->dims[ia];
            continue;
        }
        Dim da = a->dims[ia], db = b->dims[ib];
        bool take_b = (is_const_dim(da, 1) && !is_const_dim(db, 1)) ||
                      (da.kind == DIM_ANY && db.kind != DIM_ANY && !is_const_dim(db, 1));
        r.dims[i] = take_b ? db : da;
    }
    return r;
}

/* x's type, dense, with another dtype. */
static Type retyped(const Type *x, DType dtype)
{
    Type t = *x;
    t.dtype = dtype;
    t.sparse = false;
    return t;
}

/* ---- elementwise ---- */

IrValue *ad_unary(AdContext *c, IrOpcode opcode, IrValue *x)
{
    return ad_emit(c, opcode, &x, 1, retyped(&x->type, x->type.dtype));
}

IrValue *ad_binary(AdContext *c, IrOpcode opcode, IrValue *a, IrValue *b)
{
    if (a->type.dtype != b->type.dtype)
        DIE("%s of %s and %s", ir_op_info(opcode)->name, type_dtype_name(a->type.dtype),
            type_dtype_name(b->type.dtype));
    unsigned flags = ir_op_info(opcode)->flags;
    DType d = flags & (IR_COMPARE | IR_LOGIC) ? DT_BOOL : a->type.dtype;
    IrValue *operands[2] = {a, b};
    return ad_emit(c, opcode, operands, 2, ad_broadcast_type(&a->type, &b->type, d));
}

IrValue *ad_where(AdContext *c, IrValue *cond, IrValue *a, IrValue *b)
{
    Type t = ad_broadcast_type(&cond->type, &a->type, a->type.dtype);
    t = ad_broadcast_type(&t, &b->type, a->type.dtype);
    IrValue *operands[3] = {cond, a, b};
    return ad_emit(c, IR_OP_WHERE, operands, 3, t);
}

IrValue *ad_mask(AdContext *c, IrValue *cond, IrValue *g)
{
    return ad_where(c, cond, g, ad_float(c, g->type.dtype, 0.0));
}

IrValue *ad_cast(AdContext *c, IrValue *x, DType dtype)
{
    if (x->type.dtype == dtype)
        return x;
    return ad_emit(c, IR_OP_CAST, &x, 1, retyped(&x->type, dtype));
}

IrValue *ad_transpose(AdContext *c, IrValue *x)
{
    Type t = x->type;
    t.dims[0] = x->type.dims[1];
    t.dims[1] = x->type.dims[0];
    return ad_emit(c, IR_OP_TRANSPOSE, &x, 1, t);
}

IrValue *ad_reduce(AdContext *c, IrOpcode opcode, IrValue *x, int axis)
{
    Type t = {.dtype = x->type.dtype};
    if (axis >= 0)
        for (int i = 0; i < x->type.rank; i++)
            if (i != axis)
                t.dims[t.rank++] = x->type.dims[i];
    IrValue *r = ad_emit(c, opcode, &x, 1, t);
    if (axis >= 0)
        ir_set_int(c->module, r->def, "axis", axis);
    return r;
}

IrValue *ad_reshape(AdContext *c, IrValue *x, Type type, IrValue *const *sizes)
{
    IrValue *operands[1 + TYPE_MAX_RANK] = {x};
    for (int i = 0; i < type.rank; i++)
        operands[1 + i] = sizes[i];
    return ad_emit(c, IR_OP_RESHAPE, operands, 1 + type.rank, retyped(&type, x->type.dtype));
}

/* One size operand per dimension of like, into sizes. */
static void sizes_of(AdContext *c, IrValue *like, IrValue **sizes)
{
    for (int i = 0; i < like->type.rank; i++)
        sizes[i] = ad_dim(c, like, i);
}

IrValue *ad_fill_like(AdContext *c, IrValue *like, IrValue *v)
{
    if (like->type.rank == 0)
        return v;
    IrValue *operands[1 + TYPE_MAX_RANK] = {v};
    sizes_of(c, like, operands + 1);
    return ad_emit(c, IR_OP_FULL, operands, 1 + like->type.rank,
                   retyped(&like->type, v->type.dtype));
}

IrValue *ad_zeros_like(AdContext *c, IrValue *like)
{
    if (like->type.rank == 0)
        return ad_float(c, like->type.dtype, 0.0);
    IrValue *sizes[TYPE_MAX_RANK];
    sizes_of(c, like, sizes);
    return ad_emit(c, IR_OP_ZEROS, sizes, like->type.rank, retyped(&like->type, like->type.dtype));
}

IrValue *ad_count(AdContext *c, IrValue *x, int axis, DType dtype)
{
    int from = axis >= 0 ? axis : 0, to = axis >= 0 ? axis + 1 : x->type.rank;
    int64_t known = 1;
    bool all_known = true;
    for (int i = from; i < to; i++) {
        if (x->type.dims[i].kind == DIM_CONST)
            known *= x->type.dims[i].value;
        else
            all_known = false;
    }
    if (all_known)
        return ad_float(c, dtype, (double)known);
    IrValue *n = NULL;
    for (int i = from; i < to; i++) {
        IrValue *d = ad_dim(c, x, i);
        n = n ? ad_binary(c, IR_OP_MUL, n, d) : d;
    }
    return ad_cast(c, n, dtype);
}

/* ---- shapes of adjoints ---- */

/* g summed over dimension i when the operand's size there, unknown at compile time, turns out to
 * be 1 at run time: g's dimension i is split into (the operand's size, -1) and the second part
 * summed, which is the identity when the two sizes agree. */
static IrValue *sum_if_stretched(AdContext *c, IrValue *g, IrValue *operand, int i)
{
    int rank = g->type.rank;
    if (rank == TYPE_MAX_RANK) {
        ad_error(c, NULL,
                 "grad cannot tell whether dimension %d of unknown size of a rank-%d operand "
                 "was broadcast; give it a known size",
                 i, rank);
        return g;
    }
    Type split = retyped(&g->type, g->type.dtype);
    IrValue *sizes[TYPE_MAX_RANK];
    split.rank = (uint8_t)(rank + 1);
    for (int k = 0, from = 0; k <= rank; k++) {
        if (k == i + 1) {
            split.dims[k] = (Dim){.kind = DIM_ANY};
            sizes[k] = ad_int(c, -1);
            continue;
        }
        split.dims[k] = k == i ? operand->type.dims[i] : g->type.dims[from];
        sizes[k] = k == i ? ad_dim(c, operand, i) : ad_dim(c, g, from);
        from++;
    }
    return ad_reduce(c, IR_OP_SUM, ad_reshape(c, g, split, sizes), i + 1);
}

IrValue *ad_unbroadcast(AdContext *c, IrValue *g, IrValue *operand)
{
    const Type *want = &operand->type;
    if (want->rank == 0)
        return g->type.rank == 0 ? g : ad_reduce(c, IR_OP_SUM, g, -1);
    while (g->type.rank > want->rank)
        g = ad_reduce(c, IR_OP_SUM, g, 0);
    for (int i = 0; i < want->rank; i++)
        if (want->dims[i].kind == DIM_ANY && !is_const_dim(g->type.dims[i], 1))
            g = sum_if_stretched(c, g, operand, i);
    bool summed = false;
    for (int i = want->rank - 1; i >= 0; i--) {
        if (is_const_dim(want->dims[i], 1) && !is_const_dim(g->type.dims[i], 1)) {
            g = ad_reduce(c, IR_OP_SUM, g, i);
            summed = true;
        }
    }
    if (!summed)
        return g;
    if (g->type.rank == 0)
        return ad_fill_like(c, operand, g);
    IrValue *sizes[TYPE_MAX_RANK];
    sizes_of(c, operand, sizes);
    return ad_reshape(c, g, *want, sizes);
}

IrValue *ad_expand_reduced(AdContext *c, IrValue *v, IrValue *x, int axis)
{
    /* A scalar, or a reduction over the leading axis, already broadcasts against x. */
    if (axis <= 0)
        return v;
    Type t = retyped(&x->type, v->type.dtype);
    t.dims[axis] = (Dim){.kind = DIM_CONST, .value = 1};
    IrValue *sizes[TYPE_MAX_RANK];
    for (int i = 0; i < t.rank; i++)
        sizes[i] = i == axis ? ad_int(c, 1) : ad_dim(c, x, i);
    return ad_reshape(c, v, t, sizes);
}

IrValue *ad_arange(AdContext *c, IrValue *x, int k, DType dtype)
{
    IrValue *n = ad_dim(c, x, k);
    Type t = {.dtype = dtype, .rank = 1, .dims = {x->type.dims[k]}};
    return ad_emit(c, IR_OP_ARANGE, &n, 1, t);
}

IrValue *ad_axis_positions(AdContext *c, IrValue *x, int k, DType dtype)
{
    int rank = x->type.rank;
    IrValue *positions = ad_arange(c, x, k, dtype);
    if (k == rank - 1)
        return positions;
    Type column = {.dtype = dtype, .rank = (uint8_t)(rank - k)};
    IrValue *sizes[TYPE_MAX_RANK] = {ad_dim(c, x, k)};
    column.dims[0] = x->type.dims[k];
    for (int i = 1; i < column.rank; i++) {
        column.dims[i] = (Dim){.kind = DIM_CONST, .value = 1};
        sizes[i] = ad_int(c, 1);
    }
    return ad_reshape(c, positions, column, sizes);
}

IrValue *ad_selection_mask(AdContext *c, IrValue *x, IrValue *const *index, IrValue *const *lo,
                           IrValue *const *hi)
{
    IrValue *mask = NULL;
    for (int k = 0; k < x->type.rank; k++) {
        if (!index[k] && !lo[k])
            continue;
        IrValue *positions = ad_axis_positions(c, x, k, DT_I64);
        IrValue *m;
        if (index[k])
            m = ad_binary(c, IR_OP_EQ, positions, index[k]);
        else
            m = ad_binary(c, IR_OP_AND, ad_binary(c, IR_OP_GE, positions, lo[k]),
                          ad_binary(c, IR_OP_LT, positions, hi[k]));
        mask = mask ? ad_binary(c, IR_OP_AND, mask, m) : m;
    }
    return mask;
}
