/* eval.h: the reference implementation of every value-computing IR op, in C.
 *
 * The plan interpreter (interp.c) calls rt_eval_op for every op that computes results from its
 * operands and touches no state: IR_PURE ops (elementwise with NumPy broadcasting, reductions,
 * softmax, linear algebra through CBLAS and the CSR kernels, indexing, slicing, gathering,
 * reshape, shape queries, casts), constructors, and the random constructors. Fused kernels
 * (k.fused) are compiled by codegen/; this file is what they must agree with, and what runs when a
 * kernel is not compiled (--no-jit, or an unsupported shape at run time).
 *
 * Semantics (LANGUAGE.md §5, §8): IEEE floats; an f32 result is computed in float (or in double
 * and rounded to float after every op: both give the same bits for + - * / sqrt); integer overflow
 * wraps; integer division or modulo by zero is an error naming the op's position; `t.mod` follows
 * Python/NumPy (the result has the divisor's sign); `t.round` rounds half to even (NumPy);
 * `t.sign` of nan is nan; `t.pow` on integers with a negative exponent is an error. Indices are
 * bounds-checked when ctx->checked; an out-of-range index is an error that names the op's
 * position, the index and the bound ("index 10 is out of range for dimension 0 of size 10").
 * Random constructors depend only on the seed and the element's flat index (counter-based),
 * never on evaluation order: randn(seed=S)[k] is the same on 1 or 64 workers. */
#ifndef DMLC_EXECUTOR_EVAL_H
#define DMLC_EXECUTOR_EVAL_H

#include "executor/value.h"
#include "ir/ir.h"

/* Runs fn(arg, i) for every i in [0, n), in any order and possibly at the same time. */
typedef void (*RtParallelFor)(void *user, int64_t n, void (*fn)(void *arg, int64_t i), void *arg);

typedef struct {
    bool checked;      /* bounds checks (false with --unchecked) */
    uint64_t run_seed; /* seeds random constructors that have no seed operand */
    /* Large dense products are cut into fixed blocks (by shape only, so the result does not
     * depend on how many workers run them) and run through this; NULL runs them in order. */
    RtParallelFor parallel_for;
    void *parallel_user;
} RtEvalContext;

/* Evaluates one op whose results depend only on its operands: every IR_PURE op except ir.const,
 * cfg.get, size.get and k.fused (the interpreter handles those), and every IR_CONSTRUCTOR /
 * IR_RANDOM op. args holds the operand values in order (scalars inline, tensors as references the
 * callee does not take); results receives one new owned value per op result. A random op without
 * a seed operand uses ctx->run_seed mixed with the op's position in the module (the caller passes
 * a stable per-op number as `op_key`). Returns false with err set on a run-time error, leaving no
 * result allocated. */
bool rt_eval_op(const RtEvalContext *ctx, const IrOp *op, uint64_t op_key, const RtValue *args,
                RtValue *results, RtError *err);

/* ---- selections: the `index` attribute of t.slice, state.write_index and state.accumulate ---- */

/* The part of a tensor that an index list selects: per dimension a start and a count; positions
 * written "i" select one element and drop the dimension from the selected shape. */
typedef struct {
    int rank; /* of the source tensor */
    int64_t start[TYPE_MAX_RANK];
    int64_t count[TYPE_MAX_RANK];
    bool dropped[TYPE_MAX_RANK];
    int sel_rank; /* dimensions of the selected part (those not dropped) */
    int64_t sel_shape[TYPE_MAX_RANK];
} RtSelection;

/* Resolves `index` (the attribute's strings) with its operand values against shape[rank];
 * bounds-checked always (a slice bound outside 0..size, or b < a, or an index outside the
 * dimension, is an error naming the op). */
bool rt_selection_resolve(const IrOp *op, const IrAttr *index, const RtValue *operands,
                          int noperands, int rank, const int64_t *shape, RtSelection *sel,
                          RtError *err);

typedef enum { RT_APPLY_SET, RT_APPLY_ADD, RT_APPLY_SUB } RtApplyMode;

/* Writes v into the selected part of dst (dense; the caller made it unique): v is a scalar (fills
 * the part) or a tensor that broadcasts to the selected shape; dtypes match (the IR guarantees
 * it). ADD/SUB accumulate instead of assigning. */
bool rt_selection_apply(const IrOp *op, Tensor *dst, const RtSelection *sel, RtValue v,
                        RtApplyMode mode, RtError *err);
/* rt_selection_apply with atomic element updates, for a tensor that several workers update at
 * once (async and ssp loops): relaxed atomic stores, fetch-and-add for integers, compare-and-swap
 * for floats, so that no accumulation is lost. */
bool rt_selection_apply_atomic(const IrOp *op, Tensor *dst, const RtSelection *sel, RtValue v,
                               RtApplyMode mode, RtError *err);
/* Reads the selected part: a new tensor, or a scalar when every position was "i". */
bool rt_selection_read(const IrOp *op, const Tensor *src, const RtSelection *sel, RtValue *out,
                       RtError *err);
/* Calls fn(flat offset in the source, user) for every element of the selection, in row-major
 * order (used for write-collision checks). */
void rt_selection_for_each(const RtSelection *sel, const int64_t *shape,
                           void (*fn)(int64_t offset, void *user), void *user);

/* NumPy broadcasting of two shapes into out (rank = max rank); false when they do not broadcast. */
bool rt_broadcast_shapes(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                         int64_t *out);

#endif
