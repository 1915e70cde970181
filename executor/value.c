/* value.c: tensors, scalar values and run-time errors (value.h). */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "executor/value.h"

#include "ir/ir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* Blocks of at least this many bytes are aligned to it and asked to use transparent huge pages:
 * one page fault per 2 MiB instead of one per 4 KiB when a large tensor is first written (on this
 * kind of VM, faulting in 80 MB of 4 KiB pages costs about 40 ms). */
enum { HUGE_PAGE = 2 << 20 };

/* 64-byte aligned, at least one cache line so that a zero-sized tensor still has a pointer; large
 * blocks on huge pages where the system offers them. */
static void *aligned_bytes(size_t bytes)
{
    size_t rounded = (bytes + TENSOR_ALIGN - 1) / TENSOR_ALIGN * TENSOR_ALIGN;
    if (rounded == 0)
        rounded = TENSOR_ALIGN;
#ifdef MADV_HUGEPAGE
    if (rounded >= HUGE_PAGE) {
        rounded = (rounded + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        void *p = aligned_alloc(HUGE_PAGE, rounded);
        if (p)
            (void)madvise(p, rounded, MADV_HUGEPAGE); /* a hint: failure changes nothing */
        return p;
    }
#endif
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
    if (t->base) /* a view: the elements are base's */
        tensor_unref(t->base);
    else if (t->placer)
        t->placer->free(t->placer, t->data, tensor_bytes(t));
    else
        free(t->data);
    tensor_unref(t->columns);
    free(t->rowptr);
    free(t->colidx);
    free(t);
}

bool tensor_is_unique(const Tensor *t)
{
    return !t->base && !t->columns && __atomic_load_n(&t->refs, __ATOMIC_ACQUIRE) == 1;
}

Tensor *tensor_view(Tensor *base, void *data, int rank, const int64_t *shape)
{
    int64_t numel;
    if (rank < 1 || rank > TYPE_MAX_RANK || !checked_numel(rank, shape, &numel))
        return NULL;
    Tensor *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->refs = 1;
    t->dtype = base->dtype;
    t->rank = rank;
    memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
    t->numel = numel;
    t->data = data;
    t->base = tensor_ref(base);
    return t;
}

/* ---- column companions ---- */

/* The transpose is cut into blocks of this many columns (one task each) and each block into
 * square tiles of this many rows and columns: a tile of f64 reads 32 lines and writes 32 lines,
 * which stay in L1 while it runs. */
enum { COLUMN_BLOCK = 64, TRANSPOSE_TILE = 32 };

typedef struct {
    const Tensor *src;
    Tensor *dst; /* cols x ld */
} Transpose;

/* dst[j * ld + i] = src[i * cols + j] for a tile, for one element size. */
#define TRANSPOSE_TILE_OF(NAME, T)                                                                 \
    static void NAME(const void *src, void *dst, int64_t cols, int64_t ld, int64_t i0, int64_t i1, \
                     int64_t j0, int64_t j1)                                                       \
    {                                                                                              \
        const T *s = src;                                                                          \
        T *d = dst;                                                                                \
        for (int64_t j = j0; j < j1; j++)                                                          \
            for (int64_t i = i0; i < i1; i++)                                                      \
                d[j * ld + i] = s[i * cols + j];                                                   \
    }
TRANSPOSE_TILE_OF(transpose_tile8_scalar, uint64_t)
TRANSPOSE_TILE_OF(transpose_tile4, uint32_t)
TRANSPOSE_TILE_OF(transpose_tile1, uint8_t)

/* The tile for 8-byte elements: 2 x 2 blocks through SSE2 registers (two loads, two unpacks, two
 * stores per four elements; the moves copy bits, whatever the dtype), the odd row and column left
 * to the scalar tile. */
static void transpose_tile8(const void *src, void *dst, int64_t cols, int64_t ld, int64_t i0,
                            int64_t i1, int64_t j0, int64_t j1)
{
#ifdef __SSE2__
    const double *s = src;
    double *d = dst;
    int64_t ie = i0 + (i1 - i0) / 2 * 2, je = j0 + (j1 - j0) / 2 * 2;
    for (int64_t j = j0; j < je; j += 2)
        for (int64_t i = i0; i < ie; i += 2) {
            __m128d r0 = _mm_loadu_pd(s + i * cols + j), r1 = _mm_loadu_pd(s + (i + 1) * cols + j);
            _mm_storeu_pd(d + j * ld + i, _mm_unpacklo_pd(r0, r1));
            _mm_storeu_pd(d + (j + 1) * ld + i, _mm_unpackhi_pd(r0, r1));
        }
    if (ie < i1)
        transpose_tile8_scalar(src, dst, cols, ld, ie, i1, j0, j1);
    if (je < j1)
        transpose_tile8_scalar(src, dst, cols, ld, i0, ie, je, j1);
#else
    transpose_tile8_scalar(src, dst, cols, ld, i0, i1, j0, j1);
#endif
}

/* Block b of the transpose: its columns, tile by tile, and their padding zeroed. */
static void transpose_block(void *arg, int64_t b)
{
    const Transpose *tr = arg;
    const Tensor *src = tr->src;
    int64_t rows = src->shape[0], cols = src->shape[1], ld = tr->dst->shape[1];
    int64_t j0 = b * COLUMN_BLOCK, j1 = j0 + COLUMN_BLOCK < cols ? j0 + COLUMN_BLOCK : cols;
    size_t el = dtype_size(src->dtype);
    void (*tile)(const void *, void *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) =
        el == 8   ? transpose_tile8
        : el == 4 ? transpose_tile4
                  : transpose_tile1;
    for (int64_t i = 0; i < rows; i += TRANSPOSE_TILE)
        for (int64_t j = j0; j < j1; j += TRANSPOSE_TILE)
            tile(src->data, tr->dst->data, cols, ld, i,
                 i + TRANSPOSE_TILE < rows ? i + TRANSPOSE_TILE : rows, j,
                 j + TRANSPOSE_TILE < j1 ? j + TRANSPOSE_TILE : j1);
    for (int64_t j = j0; j < j1 && ld > rows; j++)
        memset((char *)tr->dst->data + (size_t)(j * ld + rows) * el, 0, (size_t)(ld - rows) * el);
}

bool tensor_add_columns(Tensor *t,
                        void (*parallel_for)(void *user, int64_t n,
                                             void (*fn)(void *arg, int64_t i), void *arg),
                        void *user)
{
    if (t->columns || t->sparse || t->rank != 2 || t->base)
        return true;
    size_t el = dtype_size(t->dtype);
    int64_t per_line = TENSOR_ALIGN / (int64_t)el;
    int64_t ld = (t->shape[0] + per_line - 1) / per_line * per_line;
    int64_t shape[2] = {t->shape[1], ld};
    Tensor *cols = tensor_new(t->dtype, 2, shape);
    if (!cols)
        return false;
    Transpose tr = {.src = t, .dst = cols};
    int64_t nblocks = (t->shape[1] + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
    if (parallel_for && nblocks > 1)
        parallel_for(user, nblocks, transpose_block, &tr);
    else
        for (int64_t b = 0; b < nblocks; b++)
            transpose_block(&tr, b);
    t->columns = cols;
    return true;
}

void *tensor_column(const Tensor *t, int64_t j)
{
    const Tensor *c = t->columns;
    return (char *)c->data + (size_t)(j * c->shape[1]) * dtype_size(c->dtype);
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
