/* eval_index.c: t.index, t.slice, t.gather, t.reshape and the shape queries t.rows, t.cols,
 * t.len, t.nnz.
 *
 * A column slice X[:, j] of a matrix that has a column companion (an input read by columns,
 * value.h) is a zero-copy view of the companion's column instead of a strided gather.
 *
 * Every index is checked against its dimension, whatever ctx->checked says: the check is one
 * comparison per index and an unchecked out-of-range read would be undefined behaviour. DML has
 * no negative indices, so a negative index is out of range. */
#include "executor/eval_internal.h"

#include <stdio.h>
#include <string.h>

/* "index 10 is out of range for dimension 0 of size 10" */
static bool out_of_range(const IrOp *op, int64_t index, int dim, int64_t size, RtError *err)
{
    return rt_op_errorf(err, op, "index %lld is out of range for dimension %d of size %lld",
                        (long long)index, dim, (long long)size);
}

/* Requires a dense tensor operand. */
static bool need_dense(const IrOp *op, RtValue x, RtError *err)
{
    if (!x.is_tensor)
        return rt_op_errorf(err, op, "%s takes a tensor, not a %s scalar", eval_op_name(op),
                            type_dtype_name(x.dtype));
    if (x.t->sparse)
        return rt_op_errorf(err, op, "%s: a csr matrix cannot be indexed", eval_op_name(op));
    return true;
}

/* x[i, j, ...]: one integer operand per dimension; a scalar. */
static bool eval_index(const IrOp *op, const RtValue *args, RtValue *result, RtError *err)
{
    int nidx = op->noperands - 1;
    if (!args[0].is_tensor && nidx == 0) {
        *result = args[0];
        return true;
    }
    if (!need_dense(op, args[0], err))
        return false;
    const Tensor *x = args[0].t;
    if (nidx != x->rank)
        return rt_op_errorf(err, op, "t.index: %d indices for a rank-%d tensor", nidx, x->rank);
    int64_t offset = 0;
    for (int d = 0; d < x->rank; d++) {
        RtValue v = args[1 + d];
        if (v.is_tensor || v.dtype == DT_F32 || v.dtype == DT_F64)
            return rt_op_errorf(err, op, "t.index: index %d is not an integer scalar", d);
        if (v.i < 0 || v.i >= x->shape[d])
            return out_of_range(op, v.i, d, x->shape[d], err);
        offset = offset * x->shape[d] + v.i;
    }
    *result =
        eval_scalar_load(x->dtype, (const char *)x->data + (size_t)offset * dtype_size(x->dtype));
    return true;
}

/* Part of one column of a matrix with a column companion, x[a..b, j]: a view of the companion
 * when it is the whole column, else a copy of the contiguous run. */
static bool read_column(const IrOp *op, Tensor *x, const RtSelection *sel, RtValue *result,
                        RtError *err)
{
    char *run =
        (char *)tensor_column(x, sel->start[1]) + (size_t)sel->start[0] * dtype_size(x->dtype);
    int64_t shape[1] = {sel->count[0]};
    Tensor *t = sel->count[0] == x->shape[0] ? tensor_view(x->columns, run, 1, shape)
                                             : eval_tensor_new(op, x->dtype, 1, shape, err);
    if (!t)
        return err->set ? false : rt_op_errorf(err, op, "out of memory");
    if (!t->base)
        memcpy(t->data, run, tensor_bytes(t));
    *result = rt_tensor(t);
    return true;
}

/* x[positions]: the `index` attribute with the operands after x. A column (or part of one) of a
 * matrix stored with a column companion (layout "columns", value.h) comes from the companion. */
static bool eval_slice(const IrOp *op, const RtValue *args, RtValue *result, RtError *err)
{
    if (!need_dense(op, args[0], err))
        return false;
    Tensor *x = args[0].t;
    RtSelection sel;
    if (!rt_selection_resolve(op, ir_get_attr(op, "index"), args + 1, op->noperands - 1, x->rank,
                              x->shape, &sel, err))
        return false;
    if (x->columns && sel.dropped[1] && !sel.dropped[0] && sel.count[0] > 0)
        return read_column(op, x, &sel, result, err);
    return rt_selection_read(op, x, &sel, result, err);
}

/* x with dimension `axis` replaced by idx's dimensions: out[o, j..., r] = x[o, idx[j...], r]. */
static bool gather(const IrOp *op, const Tensor *x, RtValue idx, int64_t axis, RtValue *result,
                   RtError *err)
{
    const int64_t *ishape = idx.is_tensor ? idx.t->shape : NULL;
    int irank = idx.is_tensor ? idx.t->rank : 0;
    int64_t nidx = idx.is_tensor ? idx.t->numel : 1;
    const int64_t *indices = idx.is_tensor ? idx.t->data : &idx.i;
    int rank = x->rank - 1 + irank;
    if (rank > TYPE_MAX_RANK)
        return rt_op_errorf(err, op, "t.gather: the result would have rank %d (at most %d)", rank,
                            TYPE_MAX_RANK);
    int64_t n = x->shape[axis];
    for (int64_t j = 0; j < nidx; j++)
        if (indices[j] < 0 || indices[j] >= n)
            return out_of_range(op, indices[j], (int)axis, n, err);
    int64_t outer = eval_numel((int)axis, x->shape);
    int64_t inner = eval_numel(x->rank - (int)axis - 1, x->shape + axis + 1);
    size_t row = (size_t)inner * dtype_size(x->dtype);
    if (rank == 0) {
        *result = eval_scalar_load(x->dtype, (const char *)x->data + (size_t)indices[0] * row);
        return true;
    }
    int64_t shape[TYPE_MAX_RANK];
    int k = 0;
    for (int d = 0; d < axis; d++)
        shape[k++] = x->shape[d];
    for (int d = 0; d < irank; d++)
        shape[k++] = ishape[d];
    for (int d = (int)axis + 1; d < x->rank; d++)
        shape[k++] = x->shape[d];
    Tensor *t = eval_tensor_new(op, x->dtype, rank, shape, err);
    if (!t)
        return false;
    char *dst = t->data;
    for (int64_t o = 0; o < outer; o++) {
        const char *block = (const char *)x->data + (size_t)(o * n) * row;
        for (int64_t j = 0; j < nidx; j++, dst += row)
            memcpy(dst, block + (size_t)indices[j] * row, row);
    }
    *result = rt_tensor(t);
    return true;
}

static bool eval_gather(const IrOp *op, const RtValue *args, RtValue *result, RtError *err)
{
    if (op->noperands != 2)
        return rt_op_errorf(err, op, "t.gather takes two operands");
    if (!need_dense(op, args[0], err))
        return false;
    int64_t axis = 0;
    eval_attr_int(op, "axis", &axis);
    if (axis < 0 || axis >= args[0].t->rank)
        return rt_op_errorf(err, op, "t.gather: axis %lld is out of range for a rank-%d tensor",
                            (long long)axis, args[0].t->rank);
    RtValue idx = args[1];
    if (idx.dtype == DT_F32 || idx.dtype == DT_F64 || (idx.is_tensor && idx.t->sparse))
        return rt_op_errorf(err, op, "t.gather: the indices must be an integer tensor");
    RtValue indices;
    if (!eval_convert(op, idx, DT_I64, &indices, err))
        return false;
    bool ok = gather(op, args[0].t, indices, axis, result, err);
    rt_value_release(&indices);
    return ok;
}

/* "(4, -1)" */
static void describe_sizes(const RtValue *sizes, int n, char *out, size_t size)
{
    int len = snprintf(out, size, "(");
    for (int i = 0; i < n && len >= 0 && (size_t)len < size; i++)
        len += snprintf(out + len, size - (size_t)len, "%s%lld", i ? ", " : "",
                        (long long)rt_as_i64(sizes[i]));
    if (len >= 0 && (size_t)len < size)
        snprintf(out + len, size - (size_t)len, "%s)", n == 1 ? "," : "");
}

/* x's elements in row-major order under the shape of the size operands (one -1 is inferred). */
static bool eval_reshape(const IrOp *op, const RtValue *args, RtValue *result, RtError *err)
{
    RtValue x = args[0];
    if (x.is_tensor && x.t->sparse)
        return rt_op_errorf(err, op, "t.reshape does not take a csr matrix");
    int rank = op->noperands - 1;
    if (rank > TYPE_MAX_RANK)
        return rt_op_errorf(err, op, "t.reshape: rank %d is above %d", rank, TYPE_MAX_RANK);
    int64_t total = x.is_tensor ? x.t->numel : 1;
    int64_t shape[TYPE_MAX_RANK], known = 1;
    int infer = -1;
    bool ok = true;
    for (int d = 0; d < rank; d++) {
        RtValue v = args[1 + d];
        shape[d] = rt_as_i64(v);
        if (v.is_tensor || v.dtype == DT_F32 || v.dtype == DT_F64)
            ok = false;
        else if (shape[d] == -1 && infer < 0)
            infer = d;
        else if (shape[d] < 0)
            ok = false;
        else if (shape[d] > 0 && known > INT64_MAX / shape[d])
            ok = false;
        else
            known *= shape[d];
    }
    if (ok && infer >= 0) {
        ok = known > 0 && total % known == 0;
        shape[infer] = ok ? total / known : 0;
        known = total;
    }
    if (!ok || known != total) {
        char what[96], sizes[128];
        eval_describe(x, what, sizeof what);
        describe_sizes(args + 1, rank, sizes, sizeof sizes);
        return rt_op_errorf(err, op, "cannot reshape %s (%lld elements) into %s", what,
                            (long long)total, sizes);
    }
    DType dtype = eval_result_dtype(op, 0);
    RtValue converted;
    if (!eval_convert(op, x, dtype, &converted, err))
        return false;
    if (rank == 0) { /* one element into a scalar */
        if (converted.is_tensor) {
            *result = eval_scalar_load(dtype, converted.t->data);
            rt_value_release(&converted);
        } else {
            *result = converted;
        }
        return true;
    }
    Tensor *t = eval_tensor_new(op, dtype, rank, shape, err);
    if (t) {
        if (converted.is_tensor)
            memcpy(t->data, converted.t->data, tensor_bytes(t));
        else
            eval_scalar_store(converted, t->data);
        *result = rt_tensor(t);
    }
    rt_value_release(&converted);
    return t != NULL;
}

/* t.rows, t.cols, t.len, t.nnz: i64 scalars. */
static bool eval_shape_query(const IrOp *op, RtValue x, RtValue *result, RtError *err)
{
    if (!x.is_tensor)
        return rt_op_errorf(err, op, "%s takes a tensor, not a %s scalar", eval_op_name(op),
                            type_dtype_name(x.dtype));
    const Tensor *t = x.t;
    switch (op->opcode) {
    case IR_OP_ROWS:
    case IR_OP_LEN:
        *result = rt_i64(t->shape[0]);
        return true;
    case IR_OP_COLS:
        if (t->rank < 2)
            return rt_op_errorf(err, op, "t.cols takes a matrix, not a rank-%d tensor", t->rank);
        *result = rt_i64(t->shape[1]);
        return true;
    default:
        if (!t->sparse)
            return rt_op_errorf(err, op, "t.nnz takes a csr matrix");
        *result = rt_i64(t->numel);
        return true;
    }
}

bool eval_indexing(const RtEvalContext *ctx, const IrOp *op, const RtValue *args, RtValue *result,
                   RtError *err)
{
    if (op->noperands < 1)
        return rt_op_errorf(err, op, "%s needs an operand", eval_op_name(op));
    switch (op->opcode) {
    case IR_OP_INDEX:
        return eval_index(op, args, result, err);
    case IR_OP_SLICE:
        return eval_slice(op, args, result, err);
    case IR_OP_GATHER:
        return eval_gather(op, args, result, err);
    case IR_OP_RESHAPE:
        return eval_reshape(op, args, result, err);
    default:
        return eval_shape_query(op, args[0], result, err);
    }
}
