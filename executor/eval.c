/* eval.c: rt_eval_op, the dispatcher over the op families, and the helpers they share.
 *
 * Each family lives in its own file: eval_elementwise.c (broadcasting elementwise ops and casts),
 * eval_reduce.c (reductions, softmax), eval_linalg.c (BLAS and csr products, transposes),
 * eval_index.c (index, slice, gather, reshape, shape queries), eval_construct.c (constructors,
 * random ones through random.c), select.c (the selection API of eval.h). */
#include "executor/eval_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- helpers ---- */

DType eval_result_dtype(const IrOp *op, int i)
{
    return op->results[i]->type.dtype;
}

int eval_result_rank(const IrOp *op, int i)
{
    return op->results[i]->type.rank;
}

bool eval_attr_flag(const IrOp *op, const char *name)
{
    const IrAttr *a = ir_get_attr(op, name);
    return a && a->kind == IR_ATTR_BOOL && a->bool_value;
}

bool eval_attr_int(const IrOp *op, const char *name, int64_t *out)
{
    const IrAttr *a = ir_get_attr(op, name);
    if (!a || a->kind != IR_ATTR_INT)
        return false;
    *out = a->int_value;
    return true;
}

const char *eval_op_name(const IrOp *op)
{
    return ir_op_info(op->opcode)->name;
}

int64_t eval_numel(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    return n;
}

void eval_describe(RtValue v, char *out, size_t size)
{
    if (v.is_tensor)
        tensor_describe(v.t, out, size);
    else
        snprintf(out, size, "%s scalar", type_dtype_name(v.dtype));
}

/* "[2, 3]" into out. */
static void describe_shape(int rank, const int64_t *shape, char *out, size_t size)
{
    int n = snprintf(out, size, "[");
    for (int i = 0; i < rank && n >= 0 && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "]");
}

/* The error for a tensor that could not be allocated: too large, or memory ran out. */
static Tensor *allocation_failed(const IrOp *op, DType dtype, int rank, const int64_t *shape,
                                 RtError *err)
{
    char dims[128];
    describe_shape(rank, shape, dims, sizeof dims);
    rt_op_errorf(err, op, "out of memory for a %s%s tensor in %s", type_dtype_name(dtype), dims,
                 eval_op_name(op));
    return NULL;
}

Tensor *eval_tensor_new(const IrOp *op, DType dtype, int rank, const int64_t *shape, RtError *err)
{
    Tensor *t = tensor_new(dtype, rank, shape);
    return t ? t : allocation_failed(op, dtype, rank, shape, err);
}

Tensor *eval_tensor_zeros(const IrOp *op, DType dtype, int rank, const int64_t *shape, RtError *err)
{
    Tensor *t = tensor_zeros(dtype, rank, shape);
    return t ? t : allocation_failed(op, dtype, rank, shape, err);
}

/* ---- the dispatcher ---- */

bool rt_eval_op(const RtEvalContext *ctx, const IrOp *op, uint64_t op_key, const RtValue *args,
                RtValue *results, RtError *err)
{
    for (int i = 0; i < op->nresults; i++)
        results[i] = (RtValue){0};
    if (op->nresults != 1)
        return rt_op_errorf(err, op, "%s is not evaluated by rt_eval_op", eval_op_name(op));
    for (int i = 0; i < op->noperands; i++)
        if (args[i].dtype == DT_STR || args[i].dtype == DT_NONE)
            return rt_op_errorf(err, op, "%s cannot take a %s operand", eval_op_name(op),
                                type_dtype_name(args[i].dtype));

    const IrOpInfo *info = ir_op_info(op->opcode);
    if (info->noperands != IR_VARIADIC && op->noperands != info->noperands)
        return rt_op_errorf(err, op, "%s takes %d operands, saw %d", info->name, info->noperands,
                            op->noperands);
    unsigned flags = info->flags;
    if (flags & IR_ELEMENTWISE)
        return eval_elementwise(op, args, &results[0], err);
    if (flags & IR_REDUCTION)
        return eval_reduction(op, args, &results[0], err);
    if (flags & IR_CONSTRUCTOR)
        return eval_constructor(ctx, op, op_key, args, &results[0], err);
    switch (op->opcode) {
    case IR_OP_SOFTMAX:
        return eval_softmax(op, args, &results[0], err);
    case IR_OP_MATMUL:
    case IR_OP_MATVEC:
    case IR_OP_VECMAT:
    case IR_OP_DOT:
    case IR_OP_TRANSPOSE:
        return eval_linalg(ctx, op, args, &results[0], err);
    case IR_OP_INDEX:
    case IR_OP_SLICE:
    case IR_OP_GATHER:
    case IR_OP_RESHAPE:
    case IR_OP_ROWS:
    case IR_OP_COLS:
    case IR_OP_LEN:
    case IR_OP_NNZ:
        return eval_indexing(ctx, op, args, &results[0], err);
    default:
        return rt_op_errorf(err, op, "%s is not evaluated by rt_eval_op", eval_op_name(op));
    }
}
