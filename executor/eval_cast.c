/* eval_cast.c: dtype conversion of scalars and tensors (t.cast, and the evaluator's coercions).
 *
 * The rules are NumPy's `astype` as it behaves on x86-64: integers wrap to a narrower type, floats
 * truncate toward zero, and a nan or a float outside the target's range gives the integer type's
 * minimum (what cvttsd2si produces), without the undefined behaviour of a plain C cast. */
#include "executor/eval_internal.h"

#include <string.h>

/* ---- element conversions ---- */

/* The i64 value of a double as x86 truncates it: the minimum for nan and out-of-range values. */
static inline int64_t i64_of_double(double x)
{
    /* -2^63 is exact; 2^63 is the first value out of range */
    if (x >= -9223372036854775808.0 && x < 9223372036854775808.0)
        return (int64_t)x;
    return INT64_MIN;
}

static inline int32_t i32_of_double(double x)
{
    if (x > -2147483649.0 && x < 2147483648.0)
        return (int32_t)x;
    return INT32_MIN;
}

/* Two's complement wrap of an i64 into i32 (implementation-defined in C, modular in GCC and
 * Clang: done through unsigned arithmetic to say so). */
static inline int32_t i32_of_i64(int64_t x)
{
    uint32_t u = (uint32_t)(uint64_t)x;
    return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) - 2147483647 - 1;
}

#define CONVERT_TO_BOOL(x) ((uint8_t)((x) != 0))
#define CONVERT_TO_I32_FROM_INT(x) i32_of_i64((int64_t)(x))
#define CONVERT_TO_I32_FROM_FLOAT(x) i32_of_double((double)(x))
#define CONVERT_TO_I64_FROM_INT(x) ((int64_t)(x))
#define CONVERT_TO_I64_FROM_FLOAT(x) i64_of_double((double)(x))
#define CONVERT_TO_F32(x) ((float)(x))
#define CONVERT_TO_F64(x) ((double)(x))

/* One conversion kernel: contiguous input (stride 1) or a single element. */
#define CAST_KERNEL(NAME, FROM_T, TO_T, CONVERT)                                                   \
    static bool NAME(int64_t n, void *out, const void *const *in, const int64_t *stride)           \
    {                                                                                              \
        const FROM_T *a = in[0];                                                                   \
        TO_T *o = out;                                                                             \
        (void)stride;                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = CONVERT(a[i]);                                                                  \
        return true;                                                                               \
    }

/* The five kernels converting FROM_T (integer or bool) into every dtype. */
#define CASTS_FROM_INT(SFX, FROM_T)                                                                \
    CAST_KERNEL(cast_##SFX##_bool, FROM_T, uint8_t, CONVERT_TO_BOOL)                               \
    CAST_KERNEL(cast_##SFX##_i32, FROM_T, int32_t, CONVERT_TO_I32_FROM_INT)                        \
    CAST_KERNEL(cast_##SFX##_i64, FROM_T, int64_t, CONVERT_TO_I64_FROM_INT)                        \
    CAST_KERNEL(cast_##SFX##_f32, FROM_T, float, CONVERT_TO_F32)                                   \
    CAST_KERNEL(cast_##SFX##_f64, FROM_T, double, CONVERT_TO_F64)

#define CASTS_FROM_FLOAT(SFX, FROM_T)                                                              \
    CAST_KERNEL(cast_##SFX##_bool, FROM_T, uint8_t, CONVERT_TO_BOOL)                               \
    CAST_KERNEL(cast_##SFX##_i32, FROM_T, int32_t, CONVERT_TO_I32_FROM_FLOAT)                      \
    CAST_KERNEL(cast_##SFX##_i64, FROM_T, int64_t, CONVERT_TO_I64_FROM_FLOAT)                      \
    CAST_KERNEL(cast_##SFX##_f32, FROM_T, float, CONVERT_TO_F32)                                   \
    CAST_KERNEL(cast_##SFX##_f64, FROM_T, double, CONVERT_TO_F64)

CASTS_FROM_INT(bool, uint8_t)
CASTS_FROM_INT(i32, int32_t)
CASTS_FROM_INT(i64, int64_t)
CASTS_FROM_FLOAT(f32, float)
CASTS_FROM_FLOAT(f64, double)

/* Kernels indexed [from][to] by dtype (DT_BOOL .. DT_F64). */
static const EvalKernel cast_kernels[DT_STR][DT_STR] = {
    [DT_BOOL] = {[DT_BOOL] = cast_bool_bool,
                 [DT_I32] = cast_bool_i32,
                 [DT_I64] = cast_bool_i64,
                 [DT_F32] = cast_bool_f32,
                 [DT_F64] = cast_bool_f64},
    [DT_I32] = {[DT_BOOL] = cast_i32_bool,
                [DT_I32] = cast_i32_i32,
                [DT_I64] = cast_i32_i64,
                [DT_F32] = cast_i32_f32,
                [DT_F64] = cast_i32_f64},
    [DT_I64] = {[DT_BOOL] = cast_i64_bool,
                [DT_I32] = cast_i64_i32,
                [DT_I64] = cast_i64_i64,
                [DT_F32] = cast_i64_f32,
                [DT_F64] = cast_i64_f64},
    [DT_F32] = {[DT_BOOL] = cast_f32_bool,
                [DT_I32] = cast_f32_i32,
                [DT_I64] = cast_f32_i64,
                [DT_F32] = cast_f32_f32,
                [DT_F64] = cast_f32_f64},
    [DT_F64] = {[DT_BOOL] = cast_f64_bool,
                [DT_I32] = cast_f64_i32,
                [DT_I64] = cast_f64_i64,
                [DT_F32] = cast_f64_f32,
                [DT_F64] = cast_f64_f64},
};

EvalKernel eval_cast_kernel(DType from, DType to)
{
    if (from < DT_BOOL || from > DT_F64 || to < DT_BOOL || to > DT_F64)
        return NULL;
    return cast_kernels[from][to];
}

/* ---- scalars ---- */

void eval_scalar_store(RtValue v, EvalScalar *out)
{
    switch (v.dtype) {
    case DT_BOOL:
        out->b = v.i != 0;
        break;
    case DT_I32:
        out->i32 = i32_of_i64(v.i);
        break;
    case DT_I64:
        out->i64 = v.i;
        break;
    case DT_F32:
        out->f32 = (float)v.f;
        break;
    case DT_F64:
        out->f64 = v.f;
        break;
    default:
        out->i64 = 0;
        break;
    }
}

RtValue eval_scalar_load(DType dtype, const void *element)
{
    switch (dtype) {
    case DT_BOOL:
        return rt_bool(*(const uint8_t *)element != 0);
    case DT_I32:
        return (RtValue){.dtype = DT_I32, .i = *(const int32_t *)element};
    case DT_I64:
        return rt_i64(*(const int64_t *)element);
    case DT_F32:
        return (RtValue){.dtype = DT_F32, .f = *(const float *)element};
    case DT_F64:
        return rt_f64(*(const double *)element);
    default:
        return (RtValue){.dtype = dtype};
    }
}

/* ---- values ---- */

bool eval_convert(const IrOp *op, RtValue v, DType to, RtValue *out, RtError *err)
{
    *out = (RtValue){0};
    if (v.dtype == to) {
        *out = rt_value_ref(v);
        return true;
    }
    EvalKernel convert = eval_cast_kernel(v.dtype, to);
    if (!convert)
        return rt_op_errorf(err, op, "%s cannot convert %s to %s", eval_op_name(op),
                            type_dtype_name(v.dtype), type_dtype_name(to));
    if (!v.is_tensor) {
        EvalScalar from, result;
        eval_scalar_store(v, &from);
        const void *in[1] = {&from};
        int64_t stride[1] = {0};
        convert(1, &result, in, stride);
        *out = eval_scalar_load(to, &result);
        return true;
    }
    const Tensor *t = v.t;
    Tensor *c;
    if (t->sparse) {
        c = tensor_new_csr(to, t->shape[0], t->shape[1], t->numel);
        if (c) {
            memcpy(c->rowptr, t->rowptr, (size_t)(t->shape[0] + 1) * sizeof(int64_t));
            memcpy(c->colidx, t->colidx, (size_t)t->numel * sizeof(int64_t));
        } else {
            char what[96];
            eval_describe(v, what, sizeof what);
            return rt_op_errorf(err, op, "out of memory converting %s to %s", what,
                                type_dtype_name(to));
        }
    } else {
        c = eval_tensor_new(op, to, t->rank, t->shape, err);
        if (!c)
            return false;
    }
    const void *in[1] = {t->data};
    int64_t stride[1] = {1};
    convert(t->numel, c->data, in, stride);
    *out = rt_tensor(c);
    return true;
}
