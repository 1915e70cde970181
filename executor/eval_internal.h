/* eval_internal.h: what the evaluator's files (eval*.c, select.c) share; not an interface for the
 * rest of the runtime (that is eval.h).
 *
 * The op families each have one entry point called by rt_eval_op (eval.c) with the op, its operand
 * values and the slot for its single result. Helpers here convert between scalars held inline in
 * an RtValue and elements in memory, allocate result tensors with an error on exhaustion, and read
 * the attributes the families use. */
#ifndef DMLC_EXECUTOR_EVAL_INTERNAL_H
#define DMLC_EXECUTOR_EVAL_INTERNAL_H

#include "executor/eval.h"

#include <stddef.h>

/* One element of any dtype: scalar operands are passed to kernels as a pointer to one of these
 * with stride 0, so a scalar and a tensor go through the same loops. */
typedef union {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
} EvalScalar;

/* An elementwise kernel: out[i] = f(in[0][i * stride[0]], in[1][i * stride[1]], ...) for
 * 0 <= i < n, each stride 0 (a broadcast or scalar operand) or 1. Returns false when an integer
 * operation has no result (division or modulo by zero, a negative integer exponent); the caller
 * knows which by the op. */
typedef bool (*EvalKernel)(int64_t n, void *out, const void *const *in, const int64_t *stride);

/* ---- eval_cast.c: dtype conversion ---- */

/* Stores a scalar as an element of its own dtype. */
void eval_scalar_store(RtValue v, EvalScalar *out);
/* A scalar RtValue from an element of the given dtype (f32 widened exactly to double). */
RtValue eval_scalar_load(DType dtype, const void *element);
/* The kernel converting elements from one dtype to another (NumPy's astype on x86: floats to
 * integers truncate toward zero, nan and out-of-range values give the integer type's minimum;
 * integers wrap; anything to bool is `!= 0`); NULL for dtypes that are not numeric or bool. */
EvalKernel eval_cast_kernel(DType from, DType to);
/* v converted to dtype `to`: a scalar inline, a tensor as a new dense tensor (csr values are
 * converted, the structure copied). *out is a new owned value (a new reference when v already has
 * that dtype). */
bool eval_convert(const IrOp *op, RtValue v, DType to, RtValue *out, RtError *err);

/* ---- eval.c: helpers ---- */

/* The dtype and rank of the op's result number i, as the IR typed it. */
DType eval_result_dtype(const IrOp *op, int i);
int eval_result_rank(const IrOp *op, int i);
/* A bool attribute's value; false when it is absent. */
bool eval_attr_flag(const IrOp *op, const char *name);
/* An int attribute: true and *out when present. */
bool eval_attr_int(const IrOp *op, const char *name, int64_t *out);
/* tensor_new / tensor_zeros that report running out of memory as an error naming the op and the
 * shape; NULL then. */
Tensor *eval_tensor_new(const IrOp *op, DType dtype, int rank, const int64_t *shape, RtError *err);
Tensor *eval_tensor_zeros(const IrOp *op, DType dtype, int rank, const int64_t *shape,
                          RtError *err);
/* The op's name ("t.add") for messages. */
const char *eval_op_name(const IrOp *op);
/* "f64[3, 4]", "csr f32[5, 5] (7 stored)" or "f64 scalar", for messages. */
void eval_describe(RtValue v, char *out, size_t size);
/* Product of dims[0..rank). */
int64_t eval_numel(int rank, const int64_t *dims);

/* ---- the families ---- */

/* eval_elementwise.c: every IR_ELEMENTWISE op, t.cast included, with NumPy broadcasting. */
bool eval_elementwise(const IrOp *op, const RtValue *args, RtValue *result, RtError *err);
/* eval_reduce.c: t.sum ... t.logsumexp with or without `axis`, and t.softmax. */
bool eval_reduction(const IrOp *op, const RtValue *args, RtValue *result, RtError *err);
bool eval_softmax(const IrOp *op, const RtValue *args, RtValue *result, RtError *err);
/* eval_linalg.c: t.matmul, t.matvec, t.vecmat, t.dot (dense through CBLAS or integer loops, csr
 * on the left through csr.c) and t.transpose. */
bool eval_linalg(const RtEvalContext *ctx, const IrOp *op, const RtValue *args, RtValue *result,
                 RtError *err);
/* eval_blas.c: the dense float product C[m, n] = op(A) @ op(B) (dot when m = n = 1, gemv when
 * one of them is 1) through CBLAS, cut into fixed blocks run by ctx->parallel_for. False when out
 * of memory. */
bool eval_blas_product(const RtEvalContext *ctx, bool f32, int m, int n, int k, bool ta, bool tb,
                       const void *a, const void *b, void *out);
/* eval_index.c: t.index, t.slice, t.gather, t.reshape and the shape queries. */
bool eval_indexing(const RtEvalContext *ctx, const IrOp *op, const RtValue *args, RtValue *result,
                   RtError *err);
/* eval_construct.c: t.zeros, t.ones, t.full, t.arange, t.eye, t.randn, t.uniform, t.randint. */
bool eval_constructor(const RtEvalContext *ctx, const IrOp *op, uint64_t op_key,
                      const RtValue *args, RtValue *result, RtError *err);

#endif
