/* eval_construct.c: the constructors t.zeros, t.ones, t.full, t.arange, t.eye and the random
 * t.randn, t.uniform, t.randint.
 *
 * Sizes come from the i64 operands (one per result dimension; the result type gives the rank and
 * the dtype). Random constructors take their parameters after the sizes and an optional seed last;
 * without a seed the run's seed is mixed with the op's key, so two unseeded ops differ while a
 * run stays reproducible. Values come from random.c: element k depends only on (seed, k). */
#include "executor/eval_internal.h"
#include "executor/random.h"

#include <string.h>

/* The sizes operands[0 .. rank) as a shape; a negative size is an error. */
static bool sizes_of(const IrOp *op, const RtValue *operands, int rank, int64_t *shape,
                     RtError *err)
{
    if (rank > TYPE_MAX_RANK)
        return rt_op_errorf(err, op, "%s: rank %d is above %d", eval_op_name(op), rank,
                            TYPE_MAX_RANK);
    for (int d = 0; d < rank; d++) {
        RtValue v = operands[d];
        if (v.is_tensor || v.dtype == DT_F32 || v.dtype == DT_F64)
            return rt_op_errorf(err, op, "%s: size %d is not an integer scalar", eval_op_name(op),
                                d);
        if (v.i < 0)
            return rt_op_errorf(err, op, "%s: size %lld of dimension %d is negative",
                                eval_op_name(op), (long long)v.i, d);
        shape[d] = v.i;
    }
    return true;
}

/* Every element of t set to the scalar v (already of t's dtype). */
static void fill(Tensor *t, const EvalScalar *v)
{
    switch (dtype_size(t->dtype)) {
    case 1:
        memset(t->data, v->b, (size_t)t->numel);
        break;
    case 4:
        for (int64_t i = 0; i < t->numel; i++)
            memcpy((char *)t->data + 4 * i, v, 4);
        break;
    default:
        for (int64_t i = 0; i < t->numel; i++)
            memcpy((char *)t->data + 8 * i, v, 8);
        break;
    }
}

/* A tensor of the given shape filled with value (converted to dtype), or the scalar itself for
 * rank 0. */
static bool filled(const IrOp *op, DType dtype, int rank, const int64_t *shape, RtValue value,
                   RtValue *result, RtError *err)
{
    RtValue v;
    if (value.is_tensor)
        return rt_op_errorf(err, op, "%s: the fill value must be a scalar", eval_op_name(op));
    if (!eval_convert(op, value, dtype, &v, err))
        return false;
    if (rank == 0) {
        *result = v;
        return true;
    }
    Tensor *t = eval_tensor_new(op, dtype, rank, shape, err);
    if (!t)
        return false;
    EvalScalar s;
    eval_scalar_store(v, &s);
    fill(t, &s);
    *result = rt_tensor(t);
    return true;
}

/* t.arange(n) or t.arange(lo, hi): lo, lo + 1, ..., hi - 1. */
static bool arange(const IrOp *op, DType dtype, const RtValue *args, RtValue *result, RtError *err)
{
    int n = op->noperands;
    if (n != 1 && n != 2)
        return rt_op_errorf(err, op, "t.arange takes n, or lo and hi");
    for (int i = 0; i < n; i++)
        if (args[i].is_tensor || args[i].dtype == DT_F32 || args[i].dtype == DT_F64)
            return rt_op_errorf(err, op, "t.arange: its bounds must be integer scalars");
    int64_t lo = n == 2 ? args[0].i : 0, hi = args[n - 1].i;
    /* the length, as NumPy: empty when hi <= lo (computed without overflow) */
    int64_t len = hi > lo ? (int64_t)((uint64_t)hi - (uint64_t)lo) : 0;
    if (len < 0)
        return rt_op_errorf(err, op, "t.arange: %lld..%lld has too many elements", (long long)lo,
                            (long long)hi);
    Tensor *t = eval_tensor_new(op, DT_I64, 1, &len, err);
    if (!t)
        return false;
    int64_t *v = t->data;
    for (int64_t i = 0; i < len; i++)
        v[i] = lo + i;
    RtValue converted;
    bool ok = eval_convert(op, rt_tensor(t), dtype, &converted, err);
    tensor_unref(t);
    if (ok)
        *result = converted;
    return ok;
}

/* t.eye(n): the n x n identity. */
static bool eye(const IrOp *op, DType dtype, const RtValue *args, RtValue *result, RtError *err)
{
    if (op->noperands != 1)
        return rt_op_errorf(err, op, "t.eye takes one size");
    int64_t shape[2];
    RtValue one;
    if (!sizes_of(op, args, 1, shape, err) || !eval_convert(op, rt_i64(1), dtype, &one, err))
        return false;
    shape[1] = shape[0];
    Tensor *t = eval_tensor_zeros(op, dtype, 2, shape, err);
    if (!t)
        return false;
    EvalScalar element;
    eval_scalar_store(one, &element);
    size_t el = dtype_size(dtype);
    for (int64_t i = 0; i < shape[0]; i++)
        memcpy((char *)t->data + (size_t)(i * shape[0] + i) * el, &element, el);
    *result = rt_tensor(t);
    return true;
}

/* t.randn(sizes, scale [, seed]), t.uniform(sizes, lo, hi [, seed]),
 * t.randint(sizes, lo, hi [, seed]). */
static bool random_tensor(const RtEvalContext *ctx, const IrOp *op, uint64_t op_key, DType dtype,
                          int rank, const RtValue *args, RtValue *result, RtError *err)
{
    RtRandomSpec spec = {.dtype = dtype};
    int nparams = op->opcode == IR_OP_RANDN ? 1 : 2;
    int n = op->noperands;
    if (n != rank + nparams && n != rank + nparams + 1)
        return rt_op_errorf(err, op, "%s of rank %d takes %d or %d operands, saw %d",
                            eval_op_name(op), rank, rank + nparams, rank + nparams + 1, n);
    int64_t shape[TYPE_MAX_RANK];
    if (!sizes_of(op, args, rank, shape, err))
        return false;
    const RtValue *params = args + rank;
    for (int i = 0; i < nparams; i++)
        if (params[i].is_tensor)
            return rt_op_errorf(err, op, "%s: its parameters must be scalars", eval_op_name(op));
    if (n == rank + nparams + 1) {
        RtValue seed = args[n - 1];
        if (seed.is_tensor || seed.dtype == DT_F32 || seed.dtype == DT_F64)
            return rt_op_errorf(err, op, "%s: the seed must be an integer scalar",
                                eval_op_name(op));
        spec.seed = (uint64_t)seed.i;
    } else {
        spec.seed = rt_random_mix(ctx ? ctx->run_seed : 0, op_key);
    }
    switch (op->opcode) {
    case IR_OP_RANDN:
        spec.kind = RT_RANDOM_NORMAL;
        spec.scale = rt_as_f64(params[0]);
        break;
    case IR_OP_UNIFORM:
        spec.kind = RT_RANDOM_UNIFORM;
        spec.lo = rt_as_f64(params[0]);
        spec.hi = rt_as_f64(params[1]);
        break;
    default:
        spec.kind = RT_RANDOM_INT;
        if (params[0].dtype == DT_F32 || params[0].dtype == DT_F64 || params[1].dtype == DT_F32 ||
            params[1].dtype == DT_F64)
            return rt_op_errorf(err, op, "t.randint: its bounds must be integers");
        spec.ilo = params[0].i;
        spec.ihi = params[1].i;
        if (spec.ilo >= spec.ihi)
            return rt_op_errorf(err, op,
                                "t.randint: the range %lld..%lld is empty (hi is excluded)",
                                (long long)spec.ilo, (long long)spec.ihi);
        break;
    }
    EvalScalar scalar;
    Tensor *t = NULL;
    if (rank > 0 && !(t = eval_tensor_new(op, dtype, rank, shape, err)))
        return false;
    if (!rt_random_fill(&spec, 0, t ? t->numel : 1, t ? t->data : (void *)&scalar)) {
        tensor_unref(t);
        return rt_op_errorf(err, op, "%s cannot make %s elements", eval_op_name(op),
                            type_dtype_name(dtype));
    }
    *result = t ? rt_tensor(t) : eval_scalar_load(dtype, &scalar);
    return true;
}

bool eval_constructor(const RtEvalContext *ctx, const IrOp *op, uint64_t op_key,
                      const RtValue *args, RtValue *result, RtError *err)
{
    DType dtype = eval_result_dtype(op, 0);
    int rank = eval_result_rank(op, 0);
    int64_t shape[TYPE_MAX_RANK];
    switch (op->opcode) {
    case IR_OP_ZEROS:
    case IR_OP_ONES:
        rank = op->noperands;
        if (!sizes_of(op, args, rank, shape, err))
            return false;
        return filled(op, dtype, rank, shape, rt_i64(op->opcode == IR_OP_ONES), result, err);
    case IR_OP_FULL:
        if (op->noperands < 1)
            return rt_op_errorf(err, op, "t.full needs a value");
        rank = op->noperands - 1;
        if (!sizes_of(op, args + 1, rank, shape, err))
            return false;
        return filled(op, dtype, rank, shape, args[0], result, err);
    case IR_OP_ARANGE:
        return arange(op, dtype, args, result, err);
    case IR_OP_EYE:
        return eye(op, dtype, args, result, err);
    case IR_OP_RANDN:
    case IR_OP_UNIFORM:
    case IR_OP_RANDINT:
        return random_tensor(ctx, op, op_key, dtype, rank, args, result, err);
    default:
        return rt_op_errorf(err, op, "%s is not a constructor", eval_op_name(op));
    }
}
