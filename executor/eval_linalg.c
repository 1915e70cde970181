/* eval_linalg.c: t.matmul, t.matvec, t.vecmat, t.dot and t.transpose.
 *
 * Every product is seen as C[m, n] = op(A)[m, k] @ op(B)[k, n], where op transposes a stored
 * matrix when the op's `transpose_a` / `transpose_b` attribute says so (the fuse pass folds
 * t.transpose into them): t.matvec is n = 1 (x is B), t.vecmat is m = 1 (x is A), t.dot both.
 * Dense f32 and f64 go to CBLAS in fixed blocks (eval_blas.c); integers
 * run a plain wrapping loop; a csr A (matvec and matmul) runs csr.c's kernels, with a dense copy
 * of B transposed first when transpose_b is set. t.transpose copies a dense matrix transposed and
 * turns a csr matrix into the csr of its transpose. */
#include "executor/csr.h"
#include "executor/eval_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- transposes ---- */

enum {
    TRANSPOSE_TILE = 32
}; /* 32 x 32 doubles = 8 KiB: a tile of source and one of destination
      stay in L1 */

#define TRANSPOSE_KERNEL(NAME, T)                                                                  \
    static void NAME(const void *src, int64_t rows, int64_t cols, void *dst)                       \
    {                                                                                              \
        const T *s = src;                                                                          \
        T *d = dst;                                                                                \
        for (int64_t i0 = 0; i0 < rows; i0 += TRANSPOSE_TILE)                                      \
            for (int64_t j0 = 0; j0 < cols; j0 += TRANSPOSE_TILE) {                                \
                int64_t i1 = i0 + TRANSPOSE_TILE < rows ? i0 + TRANSPOSE_TILE : rows;              \
                int64_t j1 = j0 + TRANSPOSE_TILE < cols ? j0 + TRANSPOSE_TILE : cols;              \
                for (int64_t i = i0; i < i1; i++)                                                  \
                    for (int64_t j = j0; j < j1; j++)                                              \
                        d[j * rows + i] = s[i * cols + j];                                         \
            }                                                                                      \
    }

TRANSPOSE_KERNEL(transpose_1, uint8_t)
TRANSPOSE_KERNEL(transpose_4, uint32_t)
TRANSPOSE_KERNEL(transpose_8, uint64_t)

/* dst[cols, rows] = src[rows, cols] transposed, for elements of `size` bytes (1, 4 or 8). */
static void transpose_dense(const void *src, int64_t rows, int64_t cols, size_t size, void *dst)
{
    if (size == 1)
        transpose_1(src, rows, cols, dst);
    else if (size == 4)
        transpose_4(src, rows, cols, dst);
    else
        transpose_8(src, rows, cols, dst);
}

static bool eval_transpose(const IrOp *op, RtValue x, RtValue *result, RtError *err)
{
    if (!x.is_tensor) {
        *result = x;
        return true;
    }
    const Tensor *t = x.t;
    if (t->sparse) {
        Tensor *c = rt_csr_transpose(t);
        if (!c)
            return rt_op_errorf(err, op, "out of memory in t.transpose");
        *result = rt_tensor(c);
        return true;
    }
    if (t->rank > 2)
        return rt_op_errorf(err, op, "t.transpose takes a matrix, not a rank-%d tensor", t->rank);
    int64_t shape[2] = {t->rank == 2 ? t->shape[1] : t->shape[0], t->shape[0]};
    Tensor *c = eval_tensor_new(op, t->dtype, t->rank, shape, err);
    if (!c)
        return false;
    if (t->rank == 1)
        memcpy(c->data, t->data, tensor_bytes(t));
    else
        transpose_dense(t->data, t->shape[0], t->shape[1], dtype_size(t->dtype), c->data);
    *result = rt_tensor(c);
    return true;
}

/* ---- products ---- */

/* One product C[m, n] = op(A) @ op(B) with its operands' stored layouts. */
typedef struct {
    const Tensor *a, *b; /* the operands (vectors are rank-1 tensors) */
    const void *a_data, *b_data;
    int64_t m, k, n;
    bool ta, tb; /* A is stored [k, m] / B is stored [n, k] */
    DType dtype;
} Product;

/* Integer products: C[i, j] = sum_p A(i, p) B(p, j), wrapping, by a loop in i-p-j order. */
#define INT_PRODUCT(NAME, T, U)                                                                    \
    static void NAME(const Product *p, void *out)                                                  \
    {                                                                                              \
        const T *a = p->a_data, *b = p->b_data;                                                    \
        U *c = out;                                                                                \
        int64_t m = p->m, k = p->k, n = p->n;                                                      \
        memset(c, 0, (size_t)(m * n) * sizeof(U));                                                 \
        for (int64_t i = 0; i < m; i++)                                                            \
            for (int64_t q = 0; q < k; q++) {                                                      \
                U aiq = (U)(p->ta ? a[q * m + i] : a[i * k + q]);                                  \
                for (int64_t j = 0; j < n; j++)                                                    \
                    c[i * n + j] += aiq * (U)(p->tb ? b[j * k + q] : b[q * n + j]);                \
            }                                                                                      \
    }

INT_PRODUCT(product_i32, int32_t, uint32_t)
INT_PRODUCT(product_i64, int64_t, uint64_t)

/* C = op(A) @ op(B) with A csr: B transposed into a dense copy first when tb. */
static bool csr_product(const IrOp *op, const Product *p, void *out, RtError *err)
{
    const void *b = p->b_data;
    void *copy = NULL;
    if (p->tb && p->n > 1) {
        size_t el = dtype_size(p->dtype);
        copy = malloc((size_t)(p->k * p->n) * el + 1);
        if (!copy)
            return rt_op_errorf(err, op, "out of memory in %s", eval_op_name(op));
        transpose_dense(b, p->n, p->k, el, copy);
        b = copy;
    }
    bool ok =
        p->n == 1 ? rt_csr_matvec(p->a, p->ta, b, out) : rt_csr_matmul(p->a, p->ta, b, p->n, out);
    free(copy);
    if (!ok)
        return rt_op_errorf(err, op, "%s does not take %s operands", eval_op_name(op),
                            type_dtype_name(p->dtype));
    return true;
}

/* "f64[3, 4]" of a value, with " transposed" when the op reads it so. */
static void describe_operand(RtValue v, bool transposed, char *out, size_t size)
{
    eval_describe(v, out, size);
    if (transposed) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, " (transposed)");
    }
}

/* Checks ranks and the shared dimension and fills p's sizes. */
static bool product_shapes(const IrOp *op, RtValue a, RtValue b, Product *p, RtError *err)
{
    int want_a = op->opcode == IR_OP_MATMUL || op->opcode == IR_OP_MATVEC ? 2 : 1;
    int want_b = op->opcode == IR_OP_MATMUL || op->opcode == IR_OP_VECMAT ? 2 : 1;
    const char *name = eval_op_name(op);
    if (!a.is_tensor || !b.is_tensor || a.t->rank != want_a || b.t->rank != want_b)
        return rt_op_errorf(err, op, "%s takes a rank-%d and a rank-%d tensor", name, want_a,
                            want_b);
    if (b.t->sparse || (a.t->sparse && want_a != 2))
        return rt_op_errorf(err, op, "%s: a csr matrix may only stand on the left", name);
    p->ta = want_a == 2 && eval_attr_flag(op, "transpose_a");
    p->tb = want_b == 2 && eval_attr_flag(op, "transpose_b");
    int64_t ka;
    if (want_a == 2) {
        p->m = a.t->shape[p->ta ? 1 : 0];
        ka = a.t->shape[p->ta ? 0 : 1];
    } else {
        p->m = 1;
        ka = a.t->shape[0];
    }
    int64_t kb;
    if (want_b == 2) {
        p->n = b.t->shape[p->tb ? 0 : 1];
        kb = b.t->shape[p->tb ? 1 : 0];
    } else {
        p->n = 1;
        kb = b.t->shape[0];
    }
    if (ka != kb) {
        char da[128], db[128];
        describe_operand(a, p->ta, da, sizeof da);
        describe_operand(b, p->tb, db, sizeof db);
        return rt_op_errorf(err, op, "%s: %s and %s do not agree (%lld != %lld)", name, da, db,
                            (long long)ka, (long long)kb);
    }
    p->k = ka;
    if (p->m > INT_MAX || p->n > INT_MAX || p->k > INT_MAX)
        return rt_op_errorf(err, op, "%s: dimensions above %d are not supported by BLAS", name,
                            INT_MAX);
    p->a = a.t;
    p->b = b.t;
    p->a_data = a.t->data;
    p->b_data = b.t->data;
    return true;
}

/* The product op on operands already of its dtype. */
static bool product(const RtEvalContext *ctx, const IrOp *op, RtValue a, RtValue b,
                    RtValue *result, RtError *err)
{
    Product p = {.dtype = eval_result_dtype(op, 0)};
    if (!product_shapes(op, a, b, &p, err))
        return false;
    if (p.dtype == DT_BOOL)
        return rt_op_errorf(err, op, "%s does not take bool operands", eval_op_name(op));
    /* the result: [m, n] for matmul, [m] for matvec, [n] for vecmat, a scalar for dot */
    EvalScalar scalar;
    Tensor *t = NULL;
    void *out = &scalar;
    if (op->opcode != IR_OP_DOT) {
        int64_t shape[2] = {p.m, p.n};
        int rank = op->opcode == IR_OP_MATMUL ? 2 : 1;
        if (op->opcode == IR_OP_VECMAT)
            shape[0] = p.n;
        if (!(t = eval_tensor_new(op, p.dtype, rank, shape, err)))
            return false;
        out = t->data;
    }
    bool ok = true;
    if (p.m == 0 || p.n == 0 || p.k == 0)
        memset(out, 0, (size_t)(p.m * p.n) * dtype_size(p.dtype));
    else if (p.a->sparse)
        ok = csr_product(op, &p, out, err);
    else if (p.dtype == DT_F32 || p.dtype == DT_F64) {
        if (!eval_blas_product(ctx, p.dtype == DT_F32, (int)p.m, (int)p.n, (int)p.k, p.ta, p.tb,
                               p.a_data, p.b_data, out))
            ok = rt_op_errorf(err, op, "out of memory in %s", eval_op_name(op));
    }
    else if (p.dtype == DT_I32)
        product_i32(&p, out);
    else
        product_i64(&p, out);
    if (!ok) {
        tensor_unref(t);
        return false;
    }
    *result = t ? rt_tensor(t) : eval_scalar_load(p.dtype, &scalar);
    return true;
}

bool eval_linalg(const RtEvalContext *ctx, const IrOp *op, const RtValue *args, RtValue *result,
                 RtError *err)
{
    int want = op->opcode == IR_OP_TRANSPOSE ? 1 : 2;
    if (op->noperands != want)
        return rt_op_errorf(err, op, "%s takes %d operands", eval_op_name(op), want);
    DType dtype = eval_result_dtype(op, 0);
    RtValue in[2] = {{0}};
    bool ok = true;
    for (int i = 0; i < want && ok; i++)
        ok = eval_convert(op, args[i], dtype, &in[i], err);
    if (ok)
        ok = op->opcode == IR_OP_TRANSPOSE ? eval_transpose(op, in[0], result, err)
                                           : product(ctx, op, in[0], in[1], result, err);
    for (int i = 0; i < want; i++)
        rt_value_release(&in[i]);
    return ok;
}
