/* select.c: selections (eval.h): resolving an `index` attribute with its operands into a box of a
 * tensor, reading the box, writing or accumulating into it, and visiting its elements.
 *
 * A selection is a box: per dimension a start and a count (count 1 for an "i" position, whose
 * dimension is dropped from the selected shape). Reads and writes walk the box with the same
 * strided walker: dimensions of count 1 are skipped and dimensions that both sides step through
 * contiguously are merged, so a row or a whole-tensor selection is one run and a column is one
 * strided run.
 *
 * rt_selection_apply_atomic is the same write with atomic element updates, for tensors that
 * several workers update at once (async and ssp loops): stores are relaxed atomic stores, integer
 * accumulations atomic fetch-and-add, float accumulations compare-and-swap loops, so that no
 * accumulation is lost; the element updates are not ordered with respect to each other. */
#include "executor/eval_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- resolving ---- */

/* The integer value of an index operand; false when it is not an integer scalar. */
static bool index_operand(const IrOp *op, const RtValue *operands, int noperands, int *next,
                          int64_t *out, RtError *err)
{
    if (*next >= noperands)
        return rt_op_errorf(err, op, "%s: the index list needs more operands than the %d given",
                            eval_op_name(op), noperands);
    RtValue v = operands[(*next)++];
    if (v.is_tensor || (v.dtype != DT_I64 && v.dtype != DT_I32 && v.dtype != DT_BOOL))
        return rt_op_errorf(err, op, "%s: an index must be an integer scalar, saw %s",
                            eval_op_name(op), v.is_tensor ? "a tensor" : type_dtype_name(v.dtype));
    *out = v.i;
    return true;
}

bool rt_selection_resolve(const IrOp *op, const IrAttr *index, const RtValue *operands,
                          int noperands, int rank, const int64_t *shape, RtSelection *sel,
                          RtError *err)
{
    memset(sel, 0, sizeof *sel);
    sel->rank = rank;
    int npos = index ? index->count : 0;
    if (index && index->kind != IR_ATTR_STRINGS && npos > 0)
        return rt_op_errorf(err, op, "%s: the index attribute is not a list of strings",
                            eval_op_name(op));
    if (rank < 0 || rank > TYPE_MAX_RANK || npos > rank)
        return rt_op_errorf(err, op, "%s: %d index positions for a rank-%d tensor",
                            eval_op_name(op), npos, rank);
    int next = 0;
    for (int d = 0; d < rank; d++) {
        const char *pos = d < npos ? index->strings[d] : ":";
        int64_t size = shape[d], lo = 0, hi = size;
        if (strcmp(pos, "i") == 0) {
            int64_t i;
            if (!index_operand(op, operands, noperands, &next, &i, err))
                return false;
            if (i < 0 || i >= size)
                return rt_op_errorf(err, op,
                                    "index %lld is out of range for dimension %d of size %lld",
                                    (long long)i, d, (long long)size);
            sel->start[d] = i;
            sel->count[d] = 1;
            sel->dropped[d] = true;
            continue;
        }
        if (strcmp(pos, "a..b") == 0 || strcmp(pos, "a..") == 0) {
            if (!index_operand(op, operands, noperands, &next, &lo, err))
                return false;
        }
        if (strcmp(pos, "a..b") == 0 || strcmp(pos, "..b") == 0) {
            if (!index_operand(op, operands, noperands, &next, &hi, err))
                return false;
        } else if (strcmp(pos, ":") != 0 && strcmp(pos, "a..") != 0) {
            return rt_op_errorf(err, op, "%s: unknown index position \"%s\"", eval_op_name(op),
                                pos);
        }
        /* Slice bounds clamp as in NumPy (docs/language.md): a..b keeps the part of the
         * dimension that lies in [a, b); an empty or reversed range selects nothing. */
        if (lo < 0)
            return rt_op_errorf(err, op, "slice %lld..%lld of dimension %d starts below 0",
                                (long long)lo, (long long)hi, d);
        if (lo > size)
            lo = size;
        if (hi > size)
            hi = size;
        if (hi < lo)
            hi = lo;
        sel->start[d] = lo;
        sel->count[d] = hi - lo;
        sel->sel_shape[sel->sel_rank++] = hi - lo;
    }
    if (next != noperands)
        return rt_op_errorf(err, op, "%s: the index list takes %d operands, saw %d",
                            eval_op_name(op), next, noperands);
    return true;
}

/* ---- the box walker ---- */

/* dst[i * ds] (op)= src[i * ss] for 0 <= i < n. */
typedef void (*RunFn)(void *dst, int64_t ds, const void *src, int64_t ss, int64_t n);

/* The walk over a box: per dimension a count and the element strides of both sides. */
typedef struct {
    int nd;
    int64_t count[TYPE_MAX_RANK];
    int64_t dstride[TYPE_MAX_RANK], sstride[TYPE_MAX_RANK];
} Walk;

/* Calls run once per innermost run of the box, after dropping count-1 dimensions and merging
 * dimensions through which both sides step as through one. Offsets start at dbase / sbase. */
static void walk(const Walk *w, char *dst, size_t dsize, const char *src, size_t ssize, RunFn run)
{
    int nd = 0;
    int64_t count[TYPE_MAX_RANK], ds[TYPE_MAX_RANK], ss[TYPE_MAX_RANK];
    for (int d = 0; d < w->nd; d++) {
        if (w->count[d] == 0)
            return;
        if (w->count[d] == 1)
            continue;
        if (nd > 0 && ds[nd - 1] == w->dstride[d] * w->count[d] &&
            ss[nd - 1] == w->sstride[d] * w->count[d]) {
            count[nd - 1] *= w->count[d];
            ds[nd - 1] = w->dstride[d];
            ss[nd - 1] = w->sstride[d];
            continue;
        }
        count[nd] = w->count[d];
        ds[nd] = w->dstride[d];
        ss[nd] = w->sstride[d];
        nd++;
    }
    if (nd == 0) {
        run(dst, 1, src, 0, 1);
        return;
    }
    int64_t index[TYPE_MAX_RANK] = {0}, doff = 0, soff = 0;
    for (;;) {
        run(dst + (size_t)doff * dsize, ds[nd - 1], src + (size_t)soff * ssize, ss[nd - 1],
            count[nd - 1]);
        int d = nd - 2;
        for (; d >= 0; d--) {
            index[d]++;
            doff += ds[d];
            soff += ss[d];
            if (index[d] < count[d])
                break;
            doff -= ds[d] * count[d];
            soff -= ss[d] * count[d];
            index[d] = 0;
        }
        if (d < 0)
            return;
    }
}

/* Row-major strides of a dense shape. */
static void dense_strides(int rank, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= shape[d];
    }
}

/* The flat offset of the box's first element. */
static int64_t box_base(const RtSelection *sel, const int64_t *stride)
{
    int64_t off = 0;
    for (int d = 0; d < sel->rank; d++)
        off += sel->start[d] * stride[d];
    return off;
}

/* ---- runs: copies by element size, accumulations by dtype ---- */

#define COPY_RUN(NAME, T)                                                                          \
    static void NAME(void *dst, int64_t ds, const void *src, int64_t ss, int64_t n)                \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        if (ds == 1 && ss == 1) {                                                                  \
            memcpy(d, s, (size_t)n * sizeof(T));                                                   \
        } else if (ss == 0) {                                                                      \
            T v = s[0];                                                                            \
            for (int64_t i = 0; i < n; i++)                                                        \
                d[i * ds] = v;                                                                     \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                d[i * ds] = s[i * ss];                                                             \
        }                                                                                          \
    }

COPY_RUN(copy_1, uint8_t)
COPY_RUN(copy_4, uint32_t)
COPY_RUN(copy_8, uint64_t)

/* dst += src (OP +) or dst -= src (OP -), integers through their unsigned type U. */
#define ACCUMULATE_RUN(NAME, T, U, OP)                                                             \
    static void NAME(void *dst, int64_t ds, const void *src, int64_t ss, int64_t n)                \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i * ds] = (T)((U)d[i * ds] OP(U) s[i * ss]);                                         \
    }

ACCUMULATE_RUN(add_i32, int32_t, uint32_t, +)
ACCUMULATE_RUN(add_i64, int64_t, uint64_t, +)
ACCUMULATE_RUN(add_f32, float, float, +)
ACCUMULATE_RUN(add_f64, double, double, +)
ACCUMULATE_RUN(sub_i32, int32_t, uint32_t, -)
ACCUMULATE_RUN(sub_i64, int64_t, uint64_t, -)
ACCUMULATE_RUN(sub_f32, float, float, -)
ACCUMULATE_RUN(sub_f64, double, double, -)

/* ---- atomic runs (rt_selection_apply_atomic) ---- */

/* dst[i * ds] = src[i * ss], each element one relaxed atomic store. */
#define STORE_RUN(NAME, T)                                                                         \
    static void NAME(void *dst, int64_t ds, const void *src, int64_t ss, int64_t n)                \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            __atomic_store_n(&d[i * ds], s[i * ss], __ATOMIC_RELAXED);                             \
    }

STORE_RUN(store_1, uint8_t)
STORE_RUN(store_4, uint32_t)
STORE_RUN(store_8, uint64_t)

/* Integers: dst (OP)= src as one atomic read-modify-write per element (FN is
 * __atomic_fetch_add or __atomic_fetch_sub; the unsigned type U wraps). */
#define FETCH_RUN(NAME, U, FN)                                                                     \
    static void NAME(void *dst, int64_t ds, const void *src, int64_t ss, int64_t n)                \
    {                                                                                              \
        U *d = dst;                                                                                \
        const U *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            (void)FN(&d[i * ds], s[i * ss], __ATOMIC_RELAXED);                                     \
    }

FETCH_RUN(fetch_add_i32, uint32_t, __atomic_fetch_add)
FETCH_RUN(fetch_add_i64, uint64_t, __atomic_fetch_add)
FETCH_RUN(fetch_sub_i32, uint32_t, __atomic_fetch_sub)
FETCH_RUN(fetch_sub_i64, uint64_t, __atomic_fetch_sub)

/* Floats: dst (OP)= src by compare-and-swap until no other worker changed the element in
 * between (the comparison is bitwise, so a NaN element does not spin). */
#define CAS_RUN(NAME, T, OP)                                                                       \
    static void NAME(void *dst, int64_t ds, const void *src, int64_t ss, int64_t n)                \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T *e = &d[i * ds], add = s[i * ss], old, new;                                          \
            __atomic_load(e, &old, __ATOMIC_RELAXED);                                              \
            do                                                                                     \
                new = old OP add;                                                                  \
            while (!__atomic_compare_exchange(e, &old, &new, true, __ATOMIC_RELAXED,               \
                                              __ATOMIC_RELAXED));                                  \
        }                                                                                          \
    }

CAS_RUN(cas_add_f32, float, +)
CAS_RUN(cas_add_f64, double, +)
CAS_RUN(cas_sub_f32, float, -)
CAS_RUN(cas_sub_f64, double, -)

static RunFn copy_run(size_t size)
{
    return size == 1 ? copy_1 : size == 4 ? copy_4 : copy_8;
}

/* The atomic run for writing (mode) into a dtype tensor, NULL when it cannot accumulate. */
static RunFn atomic_run(DType dtype, RtApplyMode mode)
{
    if (mode == RT_APPLY_SET) {
        size_t size = dtype_size(dtype);
        return size == 1 ? store_1 : size == 4 ? store_4 : store_8;
    }
    bool add = mode == RT_APPLY_ADD;
    switch (dtype) {
    case DT_I32:
        return add ? fetch_add_i32 : fetch_sub_i32;
    case DT_I64:
        return add ? fetch_add_i64 : fetch_sub_i64;
    case DT_F32:
        return add ? cas_add_f32 : cas_sub_f32;
    case DT_F64:
        return add ? cas_add_f64 : cas_sub_f64;
    default:
        return NULL;
    }
}

static RunFn apply_run(DType dtype, RtApplyMode mode)
{
    if (mode == RT_APPLY_SET)
        return copy_run(dtype_size(dtype));
    bool add = mode == RT_APPLY_ADD;
    switch (dtype) {
    case DT_I32:
        return add ? add_i32 : sub_i32;
    case DT_I64:
        return add ? add_i64 : sub_i64;
    case DT_F32:
        return add ? add_f32 : sub_f32;
    case DT_F64:
        return add ? add_f64 : sub_f64;
    default:
        return NULL;
    }
}

/* ---- reading and writing ---- */

/* Checks that sel was resolved for a dense tensor of t's shape. */
static bool selection_fits(const IrOp *op, const Tensor *t, const RtSelection *sel, RtError *err)
{
    if (t->sparse)
        return rt_op_errorf(err, op, "%s: a csr matrix cannot be indexed", eval_op_name(op));
    bool fits = sel->rank == t->rank;
    for (int d = 0; d < sel->rank && fits; d++)
        fits = sel->start[d] >= 0 && sel->count[d] >= 0 &&
               sel->start[d] + sel->count[d] <= t->shape[d];
    if (!fits) {
        char what[96];
        tensor_describe(t, what, sizeof what);
        return rt_op_errorf(err, op, "%s: the selection does not fit %s", eval_op_name(op), what);
    }
    return true;
}

bool rt_selection_read(const IrOp *op, const Tensor *src, const RtSelection *sel, RtValue *out,
                       RtError *err)
{
    *out = (RtValue){0};
    if (!selection_fits(op, src, sel, err))
        return false;
    int64_t sstride[TYPE_MAX_RANK];
    dense_strides(src->rank, src->shape, sstride);
    size_t el = dtype_size(src->dtype);
    const char *base = (const char *)src->data + (size_t)box_base(sel, sstride) * el;
    if (sel->sel_rank == 0) {
        *out = eval_scalar_load(src->dtype, base);
        return true;
    }
    Tensor *t = eval_tensor_new(op, src->dtype, sel->sel_rank, sel->sel_shape, err);
    if (!t)
        return false;
    Walk w = {.nd = sel->rank};
    int64_t dstride[TYPE_MAX_RANK];
    dense_strides(sel->sel_rank, sel->sel_shape, dstride);
    for (int d = 0, k = 0; d < sel->rank; d++) {
        w.count[d] = sel->count[d];
        w.sstride[d] = sstride[d];
        w.dstride[d] = sel->dropped[d] ? 0 : dstride[k++];
    }
    walk(&w, t->data, el, base, el, copy_run(el));
    *out = rt_tensor(t);
    return true;
}

/* The strides with which v is read along each dimension of the box: v broadcasts against the
 * selected shape (its dimensions align with the trailing selected ones; size 1 repeats). */
static bool value_strides(const IrOp *op, const RtSelection *sel, const Tensor *v, int64_t *stride,
                          RtError *err)
{
    int64_t vstride[TYPE_MAX_RANK];
    dense_strides(v->rank, v->shape, vstride);
    bool fits = v->rank <= sel->sel_rank || (sel->sel_rank == 0 && v->numel == 1);
    int k = 0; /* selected dimension number */
    for (int d = 0; d < sel->rank; d++) {
        stride[d] = 0;
        if (sel->dropped[d])
            continue;
        int vd = k - (sel->sel_rank - v->rank);
        if (fits && vd >= 0) {
            if (v->shape[vd] == sel->sel_shape[k])
                stride[d] = v->shape[vd] == 1 ? 0 : vstride[vd];
            else if (v->shape[vd] != 1)
                fits = false;
        }
        k++;
    }
    if (!fits) {
        char what[96], shape[96];
        tensor_describe(v, what, sizeof what);
        int n = snprintf(shape, sizeof shape, "[");
        for (int i = 0; i < sel->sel_rank && n >= 0 && (size_t)n < sizeof shape; i++)
            n += snprintf(shape + n, sizeof shape - (size_t)n, "%s%lld", i ? ", " : "",
                          (long long)sel->sel_shape[i]);
        if (n >= 0 && (size_t)n < sizeof shape)
            snprintf(shape + n, sizeof shape - (size_t)n, "]");
        return rt_op_errorf(err, op, "%s: cannot write %s into a selection of shape %s",
                            eval_op_name(op), what, shape);
    }
    return true;
}

/* dst[sel] (mode)= v, each innermost run by `run` (NULL: the dtype cannot accumulate). */
static bool apply_with(const IrOp *op, Tensor *dst, const RtSelection *sel, RtValue v, RunFn run,
                       RtError *err)
{
    if (!selection_fits(op, dst, sel, err))
        return false;
    if (!run)
        return rt_op_errorf(err, op, "%s: cannot accumulate into a %s tensor", eval_op_name(op),
                            type_dtype_name(dst->dtype));
    if (v.is_tensor && v.t->sparse)
        return rt_op_errorf(err, op, "%s: cannot write a csr matrix into a selection",
                            eval_op_name(op));
    RtValue value;
    if (!eval_convert(op, v, dst->dtype, &value, err))
        return false;
    Walk w = {.nd = sel->rank};
    int64_t dstride[TYPE_MAX_RANK];
    dense_strides(dst->rank, dst->shape, dstride);
    bool ok = true;
    EvalScalar scalar;
    const void *src = &scalar;
    if (value.is_tensor) {
        ok = value_strides(op, sel, value.t, w.sstride, err);
        src = value.t->data;
    } else {
        eval_scalar_store(value, &scalar);
        memset(w.sstride, 0, sizeof w.sstride);
    }
    if (ok) {
        for (int d = 0; d < sel->rank; d++) {
            w.count[d] = sel->count[d];
            w.dstride[d] = dstride[d];
        }
        size_t el = dtype_size(dst->dtype);
        walk(&w, (char *)dst->data + (size_t)box_base(sel, dstride) * el, el, src, el, run);
    }
    rt_value_release(&value);
    return ok;
}

bool rt_selection_apply(const IrOp *op, Tensor *dst, const RtSelection *sel, RtValue v,
                        RtApplyMode mode, RtError *err)
{
    return apply_with(op, dst, sel, v, apply_run(dst->dtype, mode), err);
}

bool rt_selection_apply_atomic(const IrOp *op, Tensor *dst, const RtSelection *sel, RtValue v,
                               RtApplyMode mode, RtError *err)
{
    return apply_with(op, dst, sel, v, atomic_run(dst->dtype, mode), err);
}

void rt_selection_for_each(const RtSelection *sel, const int64_t *shape,
                           void (*fn)(int64_t offset, void *user), void *user)
{
    int64_t stride[TYPE_MAX_RANK];
    dense_strides(sel->rank, shape, stride);
    for (int d = 0; d < sel->rank; d++)
        if (sel->count[d] <= 0)
            return;
    int64_t index[TYPE_MAX_RANK] = {0}, offset = box_base(sel, stride);
    for (;;) {
        fn(offset, user);
        int d = sel->rank - 1;
        for (; d >= 0; d--) {
            index[d]++;
            offset += stride[d];
            if (index[d] < sel->count[d])
                break;
            offset -= stride[d] * sel->count[d];
            index[d] = 0;
        }
        if (d < 0)
            return;
    }
}
