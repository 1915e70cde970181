/* value.c: tensors, scalar values and run-time errors (value.h). */
#include "executor/value.h"

#include "ir/ir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ---- */

bool rt_errorf(RtError *err, const char *fmt, ...)
{
    if (err && !err->set) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->set = true;
    }
    return false;
}

bool rt_op_verrorf(RtError *err, const IrOp *op, const char *fmt, va_list ap)
{
    if (!err || err->set)
        return false;
    int n;
    if (op && op->loc.line > 0)
        n = snprintf(err->message, sizeof err->message, "%s:%u:%u: error: ",
                     op->loc.file ? op->loc.file : "?", op->loc.line, op->loc.col);
    else
        n = snprintf(err->message, sizeof err->message, "error: ");
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof err->message)
        vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    err->set = true;
    return false;
}

bool rt_op_errorf(RtError *err, const IrOp *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rt_op_verrorf(err, op, fmt, ap);
    va_end(ap);
    return false;
}

/* double -> integer as NumPy does on x86: nan and out-of-range values give the type's minimum
 * (C leaves them undefined). */
static int64_t to_int(double v, double lo, double hi, int64_t min)
{
    if (!(v >= lo && v < hi))
        return min;
    return (int64_t)v;
}

/* ---- tensors ---- */

size_t dtype_size(DType t)
{
    switch (t) {
    case DT_BOOL:
        return 1;
    case DT_I32:
    case DT_F32:
        return 4;
    case DT_I64:
    case DT_F64:
        return 8;
    default:
        return 0;
    }
}

enum { TENSOR_ALIGN = 64 };

/* 64-byte aligned, at least one cache line so that a zero-sized tensor still has a pointer. */
static void *aligned_bytes(size_t bytes)
{
    size_t rounded = (bytes + TENSOR_ALIGN - 1) / TENSOR_ALIGN * TENSOR_ALIGN;
    if (rounded == 0)
        rounded = TENSOR_ALIGN;
    return aligned_alloc(TENSOR_ALIGN, rounded);
}

static bool checked_numel(int rank, const int64_t *shape, int64_t *numel)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0)
            return false;
        if (shape[i] != 0 && n > INT64_MAX / 8 / shape[i])
            return false;
        n *= shape[i];
    }
    *numel = n;
    return true;
}

static const TensorPlacer *current_placer;

void tensor_set_placer(const TensorPlacer *p)
{
    __atomic_store_n(&current_placer, p, __ATOMIC_RELEASE);
}

Tensor *tensor_new(DType dtype, int rank, const int64_t *shape)
{
    if (rank < 1 || rank > TYPE_MAX_RANK || dtype_size(dtype) == 0)
        return NULL;
    int64_t numel;
    if (!checked_numel(rank, shape, &numel))
        return NULL;
    Tensor *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->refs = 1;
    t->dtype = dtype;
    t->rank = rank;
    memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
    t->numel = numel;
    size_t bytes = (size_t)numel * dtype_size(dtype);
    const TensorPlacer *placer = __atomic_load_n(&current_placer, __ATOMIC_ACQUIRE);
    if (placer && bytes >= placer->min_bytes) {
        int64_t row_elems = shape[rank - 1] > 0 ? shape[rank - 1] : 1;
        t->data = placer->alloc(placer, bytes, numel / row_elems, row_elems, dtype_size(dtype));
        t->placer = t->data ? placer : NULL;
    } else {
        t->data = aligned_bytes(bytes);
    }
    if (!t->data) {
        free(t);
        return NULL;
    }
    return t;
}

Tensor *tensor_zeros(DType dtype, int rank, const int64_t *shape)
{
    Tensor *t = tensor_new(dtype, rank, shape);
    if (t)
        memset(t->data, 0, tensor_bytes(t));
    return t;
}

Tensor *tensor_new_csr(DType dtype, int64_t rows, int64_t cols, int64_t nnz)
{
    if (rows < 0 || cols < 0 || nnz < 0 || dtype_size(dtype) == 0 || nnz > INT64_MAX / 16 ||
        rows > INT64_MAX / 16)
        return NULL;
    Tensor *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->refs = 1;
    t->dtype = dtype;
    t->rank = 2;
    t->sparse = true;
    t->shape[0] = rows;
    t->shape[1] = cols;
    t->numel = nnz;
    t->data = aligned_bytes((size_t)nnz * dtype_size(dtype));
    t->rowptr = aligned_bytes((size_t)(rows + 1) * sizeof(int64_t));
    t->colidx = aligned_bytes((size_t)nnz * sizeof(int64_t));
    if (!t->data || !t->rowptr || !t->colidx) {
        free(t->data);
        free(t->rowptr);
        free(t->colidx);
        free(t);
        return NULL;
    }
    return t;
}

size_t tensor_bytes(const Tensor *t)
{
    return (size_t)t->numel * dtype_size(t->dtype);
}

Tensor *tensor_copy(const Tensor *t)
{
    Tensor *c = t->sparse ? tensor_new_csr(t->dtype, t->shape[0], t->shape[1], t->numel)
                          : tensor_new(t->dtype, t->rank, t->shape);
    if (!c)
        return NULL;
    memcpy(c->data, t->data, tensor_bytes(t));
    if (t->sparse) {
        memcpy(c->rowptr, t->rowptr, (size_t)(t->shape[0] + 1) * sizeof(int64_t));
        memcpy(c->colidx, t->colidx, (size_t)t->numel * sizeof(int64_t));
    }
    return c;
}

Tensor *tensor_ref(Tensor *t)
{
    if (t)
        __atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

void tensor_unref(Tensor *t)
{
    if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    if (t->placer)
        t->placer->free(t->placer, t->data, tensor_bytes(t));
    else
        free(t->data);
    free(t->rowptr);
    free(t->colidx);
    free(t);
}

bool tensor_is_unique(const Tensor *t)
{
    return __atomic_load_n(&t->refs, __ATOMIC_ACQUIRE) == 1;
}

Tensor *tensor_make_unique(Tensor **t)
{
    if (tensor_is_unique(*t))
        return *t;
    Tensor *c = tensor_copy(*t);
    if (!c)
        return NULL;
    tensor_unref(*t);
    *t = c;
    return c;
}

bool tensor_same_shape(const Tensor *a, const Tensor *b)
{
    if (a->rank != b->rank || a->sparse != b->sparse)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

void tensor_describe(const Tensor *t, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s[", t->sparse ? "csr " : "", type_dtype_name(t->dtype));
    for (int i = 0; i < t->rank && n >= 0 && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (n >= 0 && (size_t)n < size)
        n += snprintf(out + n, size - (size_t)n, "]");
    if (t->sparse && n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " (%lld stored)", (long long)t->numel);
}

double tensor_get_f64(const Tensor *t, int64_t k)
{
    switch (t->dtype) {
    case DT_BOOL:
        return ((const uint8_t *)t->data)[k];
    case DT_I32:
        return ((const int32_t *)t->data)[k];
    case DT_I64:
        return (double)((const int64_t *)t->data)[k];
    case DT_F32:
        return ((const float *)t->data)[k];
    case DT_F64:
        return ((const double *)t->data)[k];
    default:
        return 0;
    }
}

int64_t tensor_get_i64(const Tensor *t, int64_t k)
{
    switch (t->dtype) {
    case DT_BOOL:
        return ((const uint8_t *)t->data)[k];
    case DT_I32:
        return ((const int32_t *)t->data)[k];
    case DT_I64:
        return ((const int64_t *)t->data)[k];
    default:
        return to_int(tensor_get_f64(t, k), -9223372036854775808.0, 9223372036854775808.0,
                      INT64_MIN);
    }
}

void tensor_set_f64(Tensor *t, int64_t k, double v)
{
    switch (t->dtype) {
    case DT_BOOL:
        ((uint8_t *)t->data)[k] = v != 0;
        break;
    case DT_I32:
        ((int32_t *)t->data)[k] = (int32_t)to_int(v, -2147483648.0, 2147483648.0, INT32_MIN);
        break;
    case DT_I64:
        ((int64_t *)t->data)[k] = to_int(v, -9223372036854775808.0, 9223372036854775808.0,
                                         INT64_MIN);
        break;
    case DT_F32:
        ((float *)t->data)[k] = (float)v;
        break;
    case DT_F64:
        ((double *)t->data)[k] = v;
        break;
    default:
        break;
    }
}

void tensor_set_i64(Tensor *t, int64_t k, int64_t v)
{
    switch (t->dtype) {
    case DT_BOOL:
        ((uint8_t *)t->data)[k] = v != 0;
        break;
    case DT_I32:
        ((int32_t *)t->data)[k] = (int32_t)v;
        break;
    case DT_I64:
        ((int64_t *)t->data)[k] = v;
        break;
    default:
        tensor_set_f64(t, k, (double)v);
        break;
    }
}

/* ---- values ---- */

RtValue rt_f64(double v)
{
    return (RtValue){.dtype = DT_F64, .f = v};
}

RtValue rt_f32(double v)
{
    return (RtValue){.dtype = DT_F32, .f = (double)(float)v};
}

RtValue rt_i64(int64_t v)
{
    return (RtValue){.dtype = DT_I64, .i = v};
}

RtValue rt_bool(bool v)
{
    return (RtValue){.dtype = DT_BOOL, .i = v ? 1 : 0};
}

RtValue rt_str(const char *s)
{
    return (RtValue){.dtype = DT_STR, .s = s};
}

RtValue rt_scalar_of(DType dtype, double v)
{
    switch (dtype) {
    case DT_F32:
        return rt_f32(v);
    case DT_BOOL:
        return rt_bool(v != 0);
    case DT_I32:
        return (RtValue){.dtype = DT_I32, .i = to_int(v, -2147483648.0, 2147483648.0, INT32_MIN)};
    case DT_I64:
        return rt_i64(to_int(v, -9223372036854775808.0, 9223372036854775808.0, INT64_MIN));
    default:
        return rt_f64(v);
    }
}

RtValue rt_tensor(Tensor *t)
{
    return (RtValue){.dtype = t->dtype, .is_tensor = true, .t = t};
}

double rt_as_f64(RtValue v)
{
    if (v.dtype == DT_F32 || v.dtype == DT_F64)
        return v.f;
    return (double)v.i;
}

int64_t rt_as_i64(RtValue v)
{
    if (v.dtype == DT_F32 || v.dtype == DT_F64)
        return to_int(v.f, -9223372036854775808.0, 9223372036854775808.0, INT64_MIN);
    return v.i;
}

RtValue rt_value_ref(RtValue v)
{
    if (v.is_tensor)
        tensor_ref(v.t);
    return v;
}

void rt_value_release(RtValue *v)
{
    if (v->is_tensor)
        tensor_unref(v->t);
    *v = (RtValue){0};
}
