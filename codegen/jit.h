/* jit.h: LLVM 19 ORC LLJIT kernels for fused groups (k.fused ops), through the C API only.
 *
 * A k.fused op (made by passes/fuse.c) has tensor and scalar operands, one region whose block
 * arguments stand for the operands, a body of elementwise ops (NumPy broadcasting), optionally
 * ending in reductions, and an ir.yield of its results. Codegen emits one C-ABI function per
 * fused op, all the kernels of a module in one LLVM module (one compile), for the host CPU and its
 * features (or --target-cpu), with noalias pointers, "prefer-vector-width"="512" where the CPU
 * has AVX-512, and reassociation allowed on reductions only.
 *
 * The iteration space. Every kernel runs over a 2-D space outer x inner: the broadcast shape of
 * the group's elementwise values (rank r >= 1) with inner = its last dimension and outer = the
 * product of the others (1 for rank 1). Each tensor operand is read in one of these patterns,
 * decided at compile time from the symbolic types:
 *
 *   JIT_IN_FULL   the operand has the whole shape: element i * inner + j
 *   JIT_IN_ROW    the operand is the last dimension only ([inner], or [1, ..., 1, inner]),
 *                 broadcast down the rows: j
 *   JIT_IN_COL    the operand is the leading dimensions with a last dimension of 1 ([n, 1]
 *                 against [n, d]; [1] against [n]): i
 *   JIT_IN_SCALAR a rank-0 operand: passed by value in the scalars array
 *
 * and each result is one of
 *
 *   JIT_OUT_FULL        the whole shape
 *   JIT_OUT_REDUCE_ALL  a scalar (t.sum, t.mean, t.max, t.min with no axis)
 *   JIT_OUT_REDUCE_ROWS the reduction over the last axis: shape = the leading dimensions
 *   JIT_OUT_REDUCE_COLS the reduction over axis 0 of a rank-2 space: shape [inner]
 *
 * The interpreter checks at run time that the actual shapes fit the patterns (a size name that
 * happens to be 1 can break them); when they do not, it interprets the region op by op instead.
 *
 * Calling convention of every kernel:
 *
 *   void kernel(int64_t outer, int64_t inner, void *const *bufs, const uint64_t *scalars)
 *
 *   bufs     one pointer per result, in result order (tensor results: the first element of a
 *            preallocated contiguous buffer; scalar results: a pointer to one element of the
 *            result dtype), then one pointer per tensor operand, in operand order
 *   scalars  one 64-bit slot per scalar operand, in operand order: f64 and f32 as the bits of a
 *            double, i32/i64 as int64, bool as 0 or 1
 *
 * Kernels compute exactly what rt_eval_op computes op by op (same dtype rules: f32 math in float,
 * integer wrap, NumPy rounding and casts) except that reductions may be reassociated (vectorised
 * sums; float sums over everything or per row accumulate in double; max and min over everything
 * or per row order -0 below +0) and transcendental functions (exp, log, log1p, tanh, sigmoid: own
 * vectorisable polynomials, codegen/mathlib.c) may differ from libm in the last bits (at most
 * 3 ulp measured, 4 tested).
 *
 * What the caller must check (the interpreter does it, and runs the region itself otherwise):
 * the actual shapes fit the patterns, and no t.max / t.min reduces an empty extent (the C
 * reference raises an error there; a kernel gives -inf / +inf). A group with integer t.div,
 * t.mod or t.pow (which can fail at run time), any op codegen does not support, or an operand
 * or result that fits no pattern gets no kernel. An `inplace = K` operand must be FULL (codegen
 * checks it): each element is loaded before the same element of result 0 is stored. */
#ifndef DMLC_CODEGEN_JIT_H
#define DMLC_CODEGEN_JIT_H

#include "executor/value.h"
#include "ir/ir.h"
#include "support/buf.h"

typedef enum { JIT_IN_SCALAR, JIT_IN_FULL, JIT_IN_ROW, JIT_IN_COL } JitInKind;
typedef enum {
    JIT_OUT_FULL,
    JIT_OUT_REDUCE_ALL,
    JIT_OUT_REDUCE_ROWS,
    JIT_OUT_REDUCE_COLS
} JitOutKind;

typedef void (*JitKernelFn)(int64_t outer, int64_t inner, void *const *bufs,
                            const uint64_t *scalars);

typedef struct {
    const IrOp *op; /* the k.fused op */
    JitKernelFn fn;
    const char *name; /* symbol name in the LLVM module ("k3_dml_line_12") */
    int rank;         /* of the iteration space */
    int nin, nout;
    JitInKind *in;   /* per operand */
    JitOutKind *out; /* per result */
} JitKernel;

typedef struct {
    const char *target_cpu; /* NULL: the host CPU and its features */
    int opt_level;          /* 0..3; default (0 here) means 2 */
} JitOptions;

typedef struct Jit Jit;

/* Creates a JIT session (LLJIT for the host triple). NULL with err set on failure. */
Jit *jit_new(const JitOptions *options, RtError *err);
void jit_free(Jit *jit);

/* Compiles every k.fused op of the module (all of them in one LLVM module). A fused op that codegen
 * cannot compile (an op or pattern it does not support) is skipped, not an error: jit_kernel then
 * returns NULL for it and the interpreter runs its region. Returns false only when LLVM fails. */
bool jit_compile_module(Jit *jit, const IrModule *m, RtError *err);
/* The compiled kernel of a k.fused op, or NULL. */
const JitKernel *jit_kernel(const Jit *jit, const IrOp *fused);
/* Milliseconds spent building, optimising and compiling so far (for --metrics and benchmarks). */
double jit_compile_ms(const Jit *jit);
/* Number of kernels compiled. */
int jit_kernel_count(const Jit *jit);

/* `dmlc dump-ir --emit=llvm|asm`: the optimised LLVM IR or the assembly of the module's kernels. */
typedef enum { JIT_EMIT_LLVM, JIT_EMIT_ASM } JitEmitKind;
bool jit_emit(const IrModule *m, const JitOptions *options, JitEmitKind kind, Buf *out,
              RtError *err);

#endif
