/* autodiff_rules.c: the derivative of each differentiable op (the autodiff pass, autodiff.h).
 *
 * For an op z = f(x1, ..., xn) and the adjoint g of z (dloss/dz, of z's type), ad_backprop adds
 * g * dz/dxi to the adjoint of every active operand xi, summed over the dimensions along which xi
 * was broadcast. Conventions where the derivative is not defined (the choices of PyTorch):
 *   - relu'(0) = 0, abs'(0) = sign(0) = 0; soft_threshold(x, t) has derivative 0 at |x| = t;
 *   - minimum / maximum: a tie splits the adjoint equally between the two operands (what a
 *     central difference gives);
 *   - max / min reductions: the adjoint is split equally between the elements that tie for the
 *     extreme value;
 *   - clip(x, lo, hi): x receives the adjoint where lo <= x <= hi (bounds included), lo where
 *     x < lo, hi where x > hi;
 *   - pow(x, y): the x-derivative y * x^(y-1) is 0 where y = 0, the y-derivative x^y * log(x) is 0
 *     where x = 0;
 *   - norm: the derivative at the zero vector is 0.
 * sign, floor, ceil, round, comparisons, argmax / argmin / count_nonzero, and integer or boolean
 * values have zero derivative. Indices, sizes, where's condition and constructors' sizes are not
 * differentiated. */
#include "passes/autodiff.h"

#include "support/die.h"

#include <string.h>

AdDependence ad_dependence(const IrOp *op, int operand)
{
    switch (op->opcode) {
    case IR_OP_NEG:
    case IR_OP_ABS:
    case IR_OP_EXP:
    case IR_OP_LOG:
    case IR_OP_LOG1P:
    case IR_OP_SQRT:
    case IR_OP_SIGMOID:
    case IR_OP_TANH:
    case IR_OP_RELU:
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_DIV:
    case IR_OP_MOD:
    case IR_OP_POW:
    case IR_OP_MINIMUM:
    case IR_OP_MAXIMUM:
    case IR_OP_SOFT_THRESHOLD:
    case IR_OP_CLIP:
    case IR_OP_SUM:
    case IR_OP_MEAN:
    case IR_OP_MAX:
    case IR_OP_MIN:
    case IR_OP_NORM:
    case IR_OP_LOGSUMEXP:
    case IR_OP_SOFTMAX:
    case IR_OP_MATMUL:
    case IR_OP_MATVEC:
    case IR_OP_VECMAT:
    case IR_OP_DOT:
    case IR_OP_TRANSPOSE:
        return AD_DIFFERENTIABLE;
    case IR_OP_CAST: {
        bool floats =
            type_is_float(op->operands[0]->type.dtype) && type_is_float(op->results[0]->type.dtype);
        return floats ? AD_DIFFERENTIABLE : AD_ZERO;
    }
    case IR_OP_WHERE:
        return operand == 0 ? AD_ZERO : AD_DIFFERENTIABLE;
    case IR_OP_INDEX:
    case IR_OP_SLICE:
    case IR_OP_GATHER:
    case IR_OP_RESHAPE:
    case IR_OP_FULL:
        return operand == 0 ? AD_DIFFERENTIABLE : AD_ZERO;
    case IR_OP_SIGN:
    case IR_OP_FLOOR:
    case IR_OP_CEIL:
    case IR_OP_ROUND:
    case IR_OP_NOT:
    case IR_OP_EQ:
    case IR_OP_NE:
    case IR_OP_LT:
    case IR_OP_LE:
    case IR_OP_GT:
    case IR_OP_GE:
    case IR_OP_AND:
    case IR_OP_OR:
    case IR_OP_ARGMAX:
    case IR_OP_ARGMIN:
    case IR_OP_COUNT_NONZERO:
    case IR_OP_ZEROS:
    case IR_OP_ONES:
    case IR_OP_ARANGE:
    case IR_OP_EYE:
    case IR_OP_ROWS:
    case IR_OP_COLS:
    case IR_OP_LEN:
    case IR_OP_NNZ:
        return AD_ZERO;
    case IR_OP_RANDN:
    case IR_OP_UNIFORM:
    case IR_OP_RANDINT:
        /* the sizes and the seed are integers; the scale and bounds have no rule */
        return operand < op->results[0]->type.rank ? AD_ZERO : AD_NOT_DIFFERENTIABLE;
    default:
        return AD_NOT_DIFFERENTIABLE;
    }
}

const char *ad_unsupported_reason(const IrOp *op)
{
    if (op->opcode != IR_OP_GATHER)
        return NULL;
    const Type *x = &op->operands[0]->type, *idx = &op->operands[1]->type;
    if (idx->rank != 1 || x->rank > 2)
        return "grad differentiates a gather (x[idx]) only for a vector index into a vector or "
               "matrix";
    return NULL;
}

/* ---- helpers ---- */

/* Whether operand i needs an adjoint: it is active and the op is differentiable in it. */
static bool wants(AdContext *c, const IrOp *op, int i)
{
    return ad_is_active(c, op->operands[i]) && ad_dependence(op, i) == AD_DIFFERENTIABLE;
}

/* Adds a contribution of the result's shape to operand i's adjoint, unbroadcast to its type. */
static void give(AdContext *c, const IrOp *op, int i, IrValue *contribution)
{
    IrValue *x = op->operands[i];
    ad_accumulate(c, x, ad_unbroadcast(c, contribution, ad_primal(c, x)));
}

/* Operand i of a forward op, as the derivative code computes with it (ad_primal). */
static IrValue *operand(AdContext *c, const IrOp *op, int i)
{
    return ad_primal(c, op->operands[i]);
}

/* The constant v in like's dtype. */
static IrValue *num(AdContext *c, const IrValue *like, double v)
{
    return ad_float(c, like->type.dtype, v);
}

/* Shorthands for the broadcasting arithmetic of the formulas below. */
static IrValue *mul(AdContext *c, IrValue *a, IrValue *b)
{
    return ad_binary(c, IR_OP_MUL, a, b);
}

static IrValue *divide(AdContext *c, IrValue *a, IrValue *b)
{
    return ad_binary(c, IR_OP_DIV, a, b);
}

static IrValue *sub(AdContext *c, IrValue *a, IrValue *b)
{
    return ad_binary(c, IR_OP_SUB, a, b);
}

static IrValue *neg(AdContext *c, IrValue *a)
{
    return ad_unary(c, IR_OP_NEG, a);
}

/* A reduction's axis attribute, or -1 (over everything) when it has none. */
static int axis_of(const IrOp *op)
{
    const IrAttr *a = ir_get_attr(op, "axis");
    return a && a->kind == IR_ATTR_INT ? (int)a->int_value : -1;
}

/* v made to x's shape: v broadcasts against x (it is of a reduction's result shape, expanded). */
static IrValue *spread(AdContext *c, IrValue *v, IrValue *x, int axis)
{
    IrValue *e = ad_expand_reduced(c, v, x, axis);
    if (e->type.rank == 0)
        return ad_fill_like(c, x, e);
    IrValue *ones = ad_fill_like(c, x, num(c, e, 1.0));
    return mul(c, ones, e);
}

/* ---- elementwise ---- */

/* Elementwise functions of one operand: g times the derivative, from x or from the result z. */
static void backprop_unary(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0), *z = op->results[0];
    IrValue *d;
    switch (op->opcode) {
    case IR_OP_NEG:
        d = neg(c, g);
        break;
    case IR_OP_EXP:
        d = mul(c, g, z);
        break;
    case IR_OP_LOG:
        d = divide(c, g, x);
        break;
    case IR_OP_LOG1P:
        d = divide(c, g, ad_binary(c, IR_OP_ADD, x, num(c, x, 1.0)));
        break;
    case IR_OP_SQRT:
        d = divide(c, g, mul(c, z, num(c, z, 2.0)));
        break;
    case IR_OP_SIGMOID:
        d = mul(c, mul(c, g, z), sub(c, num(c, z, 1.0), z));
        break;
    case IR_OP_TANH:
        d = mul(c, g, sub(c, num(c, z, 1.0), mul(c, z, z)));
        break;
    case IR_OP_RELU:
        d = ad_mask(c, ad_binary(c, IR_OP_GT, x, num(c, x, 0.0)), g);
        break;
    case IR_OP_ABS:
        d = mul(c, g, ad_unary(c, IR_OP_SIGN, x));
        break;
    case IR_OP_CAST:
        d = ad_cast(c, g, x->type.dtype);
        break;
    default:
        UNREACHABLE();
    }
    give(c, op, 0, d);
}

/* min / max of two tensors: the adjoint goes to the selected operand, split on a tie. */
static void backprop_min_max(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0), *y = operand(c, op, 1);
    IrOpcode wins = op->opcode == IR_OP_MAXIMUM ? IR_OP_GT : IR_OP_LT;
    IrValue *tie = ad_where(c, ad_binary(c, IR_OP_EQ, x, y), num(c, x, 0.5), num(c, x, 0.0));
    IrValue *share = ad_where(c, ad_binary(c, wins, x, y), num(c, x, 1.0), tie);
    IrValue *to_x = mul(c, g, share);
    if (wants(c, op, 0))
        give(c, op, 0, to_x);
    if (wants(c, op, 1))
        give(c, op, 1, sub(c, g, to_x));
}

/* Elementwise arithmetic of two operands (x op y = z). */
static void backprop_binary(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0), *y = operand(c, op, 1), *z = op->results[0];
    bool dx = wants(c, op, 0), dy = wants(c, op, 1);
    switch (op->opcode) {
    case IR_OP_ADD:
        if (dx)
            give(c, op, 0, g);
        if (dy)
            give(c, op, 1, g);
        return;
    case IR_OP_SUB:
        if (dx)
            give(c, op, 0, g);
        if (dy)
            give(c, op, 1, neg(c, g));
        return;
    case IR_OP_MUL:
        if (dx)
            give(c, op, 0, mul(c, g, y));
        if (dy)
            give(c, op, 1, mul(c, g, x));
        return;
    case IR_OP_DIV:
        if (dx)
            give(c, op, 0, divide(c, g, y));
        if (dy)
            give(c, op, 1, neg(c, divide(c, mul(c, g, z), y)));
        return;
    case IR_OP_MOD: /* x mod y = x - floor(x / y) * y */
        if (dx)
            give(c, op, 0, g);
        if (dy)
            give(c, op, 1, neg(c, mul(c, g, ad_unary(c, IR_OP_FLOOR, divide(c, x, y)))));
        return;
    case IR_OP_POW:
        if (dx) {
            IrValue *d = mul(c, y, ad_binary(c, IR_OP_POW, x, sub(c, y, num(c, y, 1.0))));
            d = ad_mask(c, ad_binary(c, IR_OP_NE, y, num(c, y, 0.0)), d);
            give(c, op, 0, mul(c, g, d));
        }
        if (dy) {
            IrValue *d = mul(c, z, ad_unary(c, IR_OP_LOG, x));
            d = ad_mask(c, ad_binary(c, IR_OP_NE, x, num(c, x, 0.0)), d);
            give(c, op, 1, mul(c, g, d));
        }
        return;
    case IR_OP_SOFT_THRESHOLD: { /* sign(x) * max(|x| - t, 0) */
        IrValue *passes = ad_binary(c, IR_OP_GT, ad_unary(c, IR_OP_ABS, x), y);
        if (dx)
            give(c, op, 0, ad_mask(c, passes, g));
        if (dy)
            give(c, op, 1, neg(c, ad_mask(c, passes, mul(c, g, ad_unary(c, IR_OP_SIGN, x)))));
        return;
    }
    default:
        UNREACHABLE();
    }
}

/* clip(x, lo, hi): the adjoint goes to whichever of the three the result equals. */
static void backprop_clip(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0), *lo = operand(c, op, 1), *hi = operand(c, op, 2);
    if (wants(c, op, 0)) {
        IrValue *inside =
            ad_binary(c, IR_OP_AND, ad_binary(c, IR_OP_GE, x, lo), ad_binary(c, IR_OP_LE, x, hi));
        give(c, op, 0, ad_mask(c, inside, g));
    }
    if (wants(c, op, 1))
        give(c, op, 1, ad_mask(c, ad_binary(c, IR_OP_LT, x, lo), g));
    if (wants(c, op, 2))
        give(c, op, 2, ad_mask(c, ad_binary(c, IR_OP_GT, x, hi), g));
}

/* where(cond, a, b): a gets the adjoint where cond holds, b elsewhere. */
static void backprop_where(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *cond = operand(c, op, 0);
    if (wants(c, op, 1))
        give(c, op, 1, ad_mask(c, cond, g));
    if (wants(c, op, 2))
        give(c, op, 2, ad_where(c, cond, num(c, g, 0.0), g));
}

/* ---- reductions ---- */

/* Reductions (over everything or one axis) and softmax: the result's adjoint is expanded back
 * along the reduced axis and weighted by each element's share. */
static void backprop_reduction(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0), *z = op->results[0];
    int axis = axis_of(op);
    switch (op->opcode) {
    case IR_OP_SUM:
        give(c, op, 0, spread(c, g, x, axis));
        return;
    case IR_OP_MEAN:
        give(c, op, 0, spread(c, divide(c, g, ad_count(c, x, axis, g->type.dtype)), x, axis));
        return;
    case IR_OP_MAX:
    case IR_OP_MIN: {
        IrValue *hit = ad_binary(c, IR_OP_EQ, x, ad_expand_reduced(c, z, x, axis));
        IrValue *ones = ad_cast(c, hit, x->type.dtype);
        IrValue *ties = ad_reduce(c, IR_OP_SUM, ones, axis);
        give(c, op, 0, mul(c, ones, ad_expand_reduced(c, divide(c, g, ties), x, axis)));
        return;
    }
    case IR_OP_NORM: {
        IrValue *q = ad_mask(c, ad_binary(c, IR_OP_NE, z, num(c, z, 0.0)), divide(c, g, z));
        give(c, op, 0, mul(c, x, ad_expand_reduced(c, q, x, axis)));
        return;
    }
    case IR_OP_LOGSUMEXP: {
        IrValue *p = ad_unary(c, IR_OP_EXP, sub(c, x, ad_expand_reduced(c, z, x, axis)));
        give(c, op, 0, mul(c, p, ad_expand_reduced(c, g, x, axis)));
        return;
    }
    case IR_OP_SOFTMAX: {
        IrValue *s = ad_reduce(c, IR_OP_SUM, mul(c, g, z), axis);
        give(c, op, 0, mul(c, z, sub(c, g, ad_expand_reduced(c, s, x, axis))));
        return;
    }
    default:
        UNREACHABLE();
    }
}

/* ---- linear algebra ---- */

/* v as a column: v[k] -> [k, 1], the k taken from dimension `dim` of `like`. */
static IrValue *column(AdContext *c, IrValue *v, IrValue *like, int dim)
{
    Type t = {.dtype = v->type.dtype, .rank = 2};
    t.dims[0] = v->type.dims[0];
    t.dims[1] = (Dim){.kind = DIM_CONST, .value = 1};
    IrValue *sizes[2] = {ad_dim(c, like, dim), ad_int(c, 1)};
    return ad_reshape(c, v, t, sizes);
}

/* A matrix product op (matmul, matvec, vecmat) of a and b with a dense result of that type. */
static IrValue *product(AdContext *c, IrOpcode opcode, IrValue *a, IrValue *b, Type result)
{
    IrValue *operands[2] = {a, b};
    result.sparse = false;
    return ad_emit(c, opcode, operands, 2, result);
}

/* Products: each factor's adjoint is the product of the result's adjoint with the other factor,
 * transposed; an outer product is a column times a row (broadcasting). */
static void backprop_linear_algebra(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *a = operand(c, op, 0), *b = operand(c, op, 1);
    bool da = wants(c, op, 0), db = wants(c, op, 1);
    switch (op->opcode) {
    case IR_OP_MATMUL: /* dA = G B^T, dB = A^T G */
        if (da)
            give(c, op, 0, product(c, IR_OP_MATMUL, g, ad_transpose(c, b), a->type));
        if (db)
            give(c, op, 1, product(c, IR_OP_MATMUL, ad_transpose(c, a), g, b->type));
        return;
    case IR_OP_MATVEC: /* y = A x: dA = g x^T, dx = A^T g */
        if (da)
            give(c, op, 0, mul(c, column(c, g, a, 0), b));
        if (db)
            give(c, op, 1,
                 a->type.sparse ? product(c, IR_OP_MATVEC, ad_transpose(c, a), g, b->type)
                                : product(c, IR_OP_VECMAT, g, a, b->type));
        return;
    case IR_OP_VECMAT: /* y = x B: dx = B g, dB = x g^T */
        if (da)
            give(c, op, 0, product(c, IR_OP_MATVEC, b, g, a->type));
        if (db)
            give(c, op, 1, mul(c, column(c, a, b, 0), g));
        return;
    case IR_OP_DOT:
        if (da)
            give(c, op, 0, mul(c, g, b));
        if (db)
            give(c, op, 1, mul(c, g, a));
        return;
    default:
        UNREACHABLE();
    }
}

/* ---- shape and selection ---- */

/* reshape: the adjoint reshaped back to the operand's shape. */
static void backprop_reshape(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0);
    if (x->type.rank == 0) {
        give(c, op, 0, g->type.rank == 0 ? g : ad_reduce(c, IR_OP_SUM, g, -1));
        return;
    }
    if (g->type.rank == 0) {
        give(c, op, 0, ad_fill_like(c, x, g));
        return;
    }
    IrValue *sizes[TYPE_MAX_RANK];
    for (int i = 0; i < x->type.rank; i++)
        sizes[i] = ad_dim(c, x, i);
    give(c, op, 0, ad_reshape(c, g, x->type, sizes));
}

/* x[i, j]: the scalar adjoint at that element of zeros of x's shape. */
static void backprop_index(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0);
    IrValue *index[TYPE_MAX_RANK] = {0}, *none[TYPE_MAX_RANK] = {0};
    for (int k = 0; k < x->type.rank; k++)
        index[k] = operand(c, op, 1 + k);
    IrValue *mask = ad_selection_mask(c, x, index, none, none);
    give(c, op, 0, mask ? ad_mask(c, mask, g) : g);
}

/* x[positions]: the adjoint is g put back at the selected place in zeros of x's shape. A range
 * dimension is widened to x's size by a gather of clamped positions, and the mask then zeroes
 * what lies outside the range. (An empty range leaves nothing to gather from, and the gather
 * reports an index out of range at run time: the IR has no op that pads a tensor with zeros.) */
static void backprop_slice(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0);
    const IrAttr *positions = ir_get_attr(op, "index");
    int rank = x->type.rank;
    IrValue *index[TYPE_MAX_RANK] = {0}, *lo[TYPE_MAX_RANK] = {0}, *hi[TYPE_MAX_RANK] = {0};
    bool any_index = false;
    int next = 1;
    for (int k = 0; k < rank; k++) {
        const char *p = positions->strings[k];
        if (strcmp(p, "i") == 0) {
            index[k] = operand(c, op, next++);
            any_index = true;
        } else if (strcmp(p, "a..b") == 0) {
            lo[k] = operand(c, op, next++);
            hi[k] = operand(c, op, next++);
        } else if (strcmp(p, "a..") == 0) {
            lo[k] = operand(c, op, next++);
            hi[k] = ad_dim(c, x, k);
        } else if (strcmp(p, "..b") == 0) {
            lo[k] = ad_int(c, 0);
            hi[k] = operand(c, op, next++);
        }
    }
    /* g gets x's rank: a size-1 dimension at each indexed position */
    if (any_index && g->type.rank > 0) {
        Type t = g->type;
        t.rank = (uint8_t)rank;
        IrValue *sizes[TYPE_MAX_RANK];
        for (int k = 0, from = 0; k < rank; k++) {
            if (index[k]) {
                t.dims[k] = (Dim){.kind = DIM_CONST, .value = 1};
                sizes[k] = ad_int(c, 1);
                continue;
            }
            t.dims[k] = g->type.dims[from++];
            sizes[k] = lo[k] ? sub(c, hi[k], lo[k]) : ad_dim(c, x, k);
        }
        g = ad_reshape(c, g, t, sizes);
    }
    for (int k = 0; k < rank; k++) {
        if (!lo[k])
            continue;
        IrValue *last = sub(c, sub(c, hi[k], lo[k]), ad_int(c, 1));
        IrValue *from = sub(c, ad_arange(c, x, k, DT_I64), lo[k]);
        from = ad_emit(c, IR_OP_CLIP, (IrValue *[]){from, ad_int(c, 0), last}, 3, from->type);
        Type t = g->type;
        t.dims[k] = x->type.dims[k];
        g = ad_emit(c, IR_OP_GATHER, (IrValue *[]){g, from}, 2, t);
        ir_set_int(c->module, g->def, "axis", k);
    }
    IrValue *mask = ad_selection_mask(c, x, index, lo, hi);
    give(c, op, 0, mask ? ad_mask(c, mask, g) : g);
}

/* x[idx] along axis: the adjoint is a product with the one-hot matrix P[i, j] = (idx[i] == j),
 * which also sums the adjoints of repeated indices. */
static void backprop_gather(AdContext *c, const IrOp *op, IrValue *g)
{
    IrValue *x = operand(c, op, 0), *idx = operand(c, op, 1);
    int axis = axis_of(op);
    DType d = x->type.dtype;
    IrValue *positions = ad_arange(c, x, axis, idx->type.dtype);
    IrValue *onehot = ad_cast(c, ad_binary(c, IR_OP_EQ, column(c, idx, idx, 0), positions), d);
    if (x->type.rank == 1)
        give(c, op, 0, product(c, IR_OP_VECMAT, g, onehot, x->type));
    else if (axis == 0)
        give(c, op, 0, product(c, IR_OP_MATMUL, ad_transpose(c, onehot), g, x->type));
    else
        give(c, op, 0, product(c, IR_OP_MATMUL, g, onehot, x->type));
}

void ad_backprop(AdContext *c, const IrOp *op, IrValue *g)
{
    switch (op->opcode) {
    case IR_OP_NEG:
    case IR_OP_EXP:
    case IR_OP_LOG:
    case IR_OP_LOG1P:
    case IR_OP_SQRT:
    case IR_OP_SIGMOID:
    case IR_OP_TANH:
    case IR_OP_RELU:
    case IR_OP_ABS:
    case IR_OP_CAST:
        backprop_unary(c, op, g);
        return;
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_DIV:
    case IR_OP_MOD:
    case IR_OP_POW:
    case IR_OP_SOFT_THRESHOLD:
        backprop_binary(c, op, g);
        return;
    case IR_OP_MINIMUM:
    case IR_OP_MAXIMUM:
        backprop_min_max(c, op, g);
        return;
    case IR_OP_CLIP:
        backprop_clip(c, op, g);
        return;
    case IR_OP_WHERE:
        backprop_where(c, op, g);
        return;
    case IR_OP_SUM:
    case IR_OP_MEAN:
    case IR_OP_MAX:
    case IR_OP_MIN:
    case IR_OP_NORM:
    case IR_OP_LOGSUMEXP:
    case IR_OP_SOFTMAX:
        backprop_reduction(c, op, g);
        return;
    case IR_OP_MATMUL:
    case IR_OP_MATVEC:
    case IR_OP_VECMAT:
    case IR_OP_DOT:
        backprop_linear_algebra(c, op, g);
        return;
    case IR_OP_TRANSPOSE:
        give(c, op, 0, ad_transpose(c, g));
        return;
    case IR_OP_RESHAPE:
        backprop_reshape(c, op, g);
        return;
    case IR_OP_INDEX:
        backprop_index(c, op, g);
        return;
    case IR_OP_SLICE:
        backprop_slice(c, op, g);
        return;
    case IR_OP_GATHER:
        backprop_gather(c, op, g);
        return;
    case IR_OP_FULL:
        give(c, op, 0, g->type.rank == 0 ? g : ad_reduce(c, IR_OP_SUM, g, -1));
        return;
    default:
        DIE("no derivative rule for %s", ir_op_info(op->opcode)->name);
    }
}
