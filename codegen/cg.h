/* cg.h: what the codegen files share (private to codegen/; jit.h is the public interface).
 *
 *   target.c       the target machine: host CPU and features, or a named CPU (validated)
 *   group.c        the analysis of one k.fused op: iteration space, operand and result patterns,
 *                  and whether codegen supports everything in it
 *   kernel.c       the LLVM function of one analysed group: ABI wrapper, loop nest, reductions
 *   elementwise.c  one elementwise op on scalar LLVM values (the loop vectoriser widens them)
 *   mathlib.c      exp, log, log1p, tanh, sigmoid as straight-line IR (vectorisable: no libm calls)
 *   jit.c          the LLJIT session, the compile of a module's kernels, jit_emit
 *
 * Every LLVM value the kernel computes on is a scalar: f32 as float, f64 as double, i32/i64 as
 * i32/i64, bool as i1 (i8 0/1 in memory). */
#ifndef DMLC_CODEGEN_CG_H
#define DMLC_CODEGEN_CG_H

#include "codegen/jit.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* ---- target.c ---- */

/* The machine the kernels are compiled for. */
typedef struct {
    char *triple;   /* LLVM's, disposed with LLVMDisposeMessage */
    char *cpu;      /* "znver3", "x86-64-v2" (malloc'd) */
    char *features; /* "+avx2,..." for the host; "" for a named CPU (its defaults) (malloc'd) */
    bool avx512;    /* has AVX-512F: kernels prefer 512-bit vectors */
    LLVMCodeGenOptLevel opt_level;
    int passes_level; /* 1..3: the "default<On>" pipeline */
} CgTarget;

/* Fills t for options->target_cpu (validated against the CPUs LLVM 19 knows for x86-64; an
 * unknown name is an error that suggests the closest) or for the host. */
bool cg_target_init(CgTarget *t, const JitOptions *options, RtError *err);
void cg_target_free(CgTarget *t);
/* A new target machine for t (the caller disposes it, or hands it to ORC); NULL with err set. */
LLVMTargetMachineRef cg_target_machine(const CgTarget *t, RtError *err);

/* ---- group.c ---- */

/* A k.fused op as codegen sees it. */
typedef struct {
    const IrOp *op;
    int rank; /* of the iteration space (>= 1) */
    Dim dims[TYPE_MAX_RANK];
    JitInKind *in;   /* per operand */
    JitOutKind *out; /* per result */
    /* Every tensor operand and result is FULL or REDUCE_ALL: the kernel may walk the space as one
     * row of outer * inner elements. */
    bool flat;
    const char *unsupported; /* why codegen skips the group (static text), or NULL */
} CgGroup;

/* Analyses a k.fused op. Returns false (with g->unsupported set) when codegen cannot compile it:
 * an op or dtype it does not support, an operand or result that fits no pattern, a reduction
 * whose result is used inside the group. Arrays are allocated in the arena. */
bool cg_group_analyse(const IrOp *op, Arena *arena, CgGroup *g);
/* The reduction kind of an op (t.sum, t.mean, t.max, t.min), for kernel.c. */
bool cg_is_reduction(IrOpcode opcode);

/* ---- kernel.c ---- */

/* The LLVM module being built and what every emitter needs. */
typedef struct {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef i1, i8, i32, i64, f32, f64, ptr, void_type;
    const CgTarget *target;
} CgModule;

void cg_module_init(CgModule *cm, LLVMContextRef ctx, LLVMModuleRef mod, const CgTarget *target);
void cg_module_free(CgModule *cm);
/* Adds the kernel `name` (the jit.h calling convention) for an analysed, supported group. */
void cg_emit_kernel(CgModule *cm, const CgGroup *g, const char *name);

/* The LLVM type of a dtype's scalar in registers (bool: i1) and in memory (bool: i8). */
LLVMTypeRef cg_value_type(const CgModule *cm, DType dtype);
LLVMTypeRef cg_memory_type(const CgModule *cm, DType dtype);
/* Calls the overloaded intrinsic `name` (e.g. "llvm.sqrt") on one type. */
LLVMValueRef cg_call_intrinsic(CgModule *cm, const char *name, LLVMTypeRef type, LLVMValueRef *args,
                               unsigned nargs);

/* ---- elementwise.c ---- */

/* True when cg_emit_elementwise handles op (an ir.const or elementwise op) with these dtypes. */
bool cg_elementwise_supported(const IrOp *op);
/* The value of op's result at one element, from its operands' values there. */
LLVMValueRef cg_emit_elementwise(CgModule *cm, const IrOp *op, LLVMValueRef *args);
/* maximum / minimum of one dtype as the C reference computes them: nan propagates (the first
 * operand's when both are nan), ties of -0 and +0 give the first operand. */
LLVMValueRef cg_emit_maximum(CgModule *cm, DType dtype, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_emit_minimum(CgModule *cm, DType dtype, LLVMValueRef a, LLVMValueRef b);

/* ---- mathlib.c: float or double x, results within a few ulp of libm ---- */

LLVMValueRef cg_math_exp(CgModule *cm, LLVMValueRef x);
LLVMValueRef cg_math_log(CgModule *cm, LLVMValueRef x);
LLVMValueRef cg_math_log1p(CgModule *cm, LLVMValueRef x);
LLVMValueRef cg_math_tanh(CgModule *cm, LLVMValueRef x);
LLVMValueRef cg_math_sigmoid(CgModule *cm, LLVMValueRef x);

#endif
