/* elementwise.c: one elementwise op (or ir.const) on scalar LLVM values, with the semantics of the
 * C reference (executor/eval.h) and NumPy:
 *
 *   floats     IEEE in the operand's precision, no fast-math flags (no contraction into FMA)
 *   integers   wrap on overflow; integer t.div, t.mod and t.pow are not compiled (they can fail)
 *   maximum    isnan(a) ? a : (b > a || isnan(b)) ? b : a, minimum likewise: nan propagates,
 *              ties (-0 and +0) give a
 *   relu       x > 0 || isnan(x) ? x : +0; sign: nan for nan, +0 for ±0; round: half to even
 *   mod        Python's: the result has the divisor's sign (fmod, then corrected)
 *   soft_threshold(x, t) = sign(x) * maximum(|x| - t, 0); clip(x, lo, hi) = minimum(maximum(x,
 *              lo), hi)
 *   cast       float to integer truncates; nan or out of range gives the integer minimum (what
 *              NumPy gives on x86); anything to bool is `!= 0` (nan is true); bool is 0 or 1
 *   exp, log, log1p, tanh, sigmoid: mathlib.c; sqrt: llvm.sqrt (exact); pow: llvm.pow (libm) */
#include "codegen/cg.h"

#include "support/die.h"

/* ---- support ---- */

/* i32, i64, f32, f64 (not bool). */
static bool is_numeric(DType t)
{
    return t == DT_I32 || t == DT_I64 || t == DT_F32 || t == DT_F64;
}

/* True when every operand has dtype t. */
static bool operands_are(const IrOp *op, DType t)
{
    for (int i = 0; i < op->noperands; i++)
        if (op->operands[i]->type.dtype != t)
            return false;
    return true;
}

/* An ir.const whose value attribute fits its dtype. */
static bool const_supported(const IrOp *op, DType t)
{
    const IrAttr *v = ir_get_attr(op, "value");
    if (!v || op->results[0]->type.rank != 0)
        return false;
    switch (t) {
    case DT_BOOL:
        return v->kind == IR_ATTR_BOOL;
    case DT_I32:
    case DT_I64:
        return v->kind == IR_ATTR_INT;
    case DT_F32:
    case DT_F64:
        return v->kind == IR_ATTR_FLOAT || v->kind == IR_ATTR_INT;
    default:
        return false;
    }
}

/* Which ops and dtypes cg_emit_elementwise handles (see cg.h). */
bool cg_elementwise_supported(const IrOp *op)
{
    DType r = op->results[0]->type.dtype;
    DType a = op->noperands > 0 ? op->operands[0]->type.dtype : r;
    if (op->opcode == IR_OP_CONST)
        return const_supported(op, r);
    if (!ir_op_has_flag(op->opcode, IR_ELEMENTWISE))
        return false;
    switch (op->opcode) {
    case IR_OP_NEG:
    case IR_OP_ABS:
    case IR_OP_RELU:
    case IR_OP_SIGN:
    case IR_OP_FLOOR:
    case IR_OP_CEIL:
    case IR_OP_ROUND:
        return is_numeric(a) && r == a;
    case IR_OP_EXP:
    case IR_OP_LOG:
    case IR_OP_LOG1P:
    case IR_OP_SQRT:
    case IR_OP_SIGMOID:
    case IR_OP_TANH:
        return type_is_float(a) && r == a;
    case IR_OP_NOT:
    case IR_OP_AND:
    case IR_OP_OR:
        return r == DT_BOOL && operands_are(op, DT_BOOL);
    case IR_OP_CAST:
        return true; /* between any of the dtypes kernels hold (group.c checked them) */
    case IR_OP_DIV:
    case IR_OP_MOD:
    case IR_OP_POW:
        /* integer division by zero and negative integer powers are run-time errors */
        return type_is_float(r) && operands_are(op, r);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_MINIMUM:
    case IR_OP_MAXIMUM:
    case IR_OP_SOFT_THRESHOLD:
    case IR_OP_CLIP:
        return is_numeric(r) && operands_are(op, r);
    case IR_OP_EQ:
    case IR_OP_NE:
        return r == DT_BOOL && operands_are(op, a);
    case IR_OP_LT:
    case IR_OP_LE:
    case IR_OP_GT:
    case IR_OP_GE:
        return r == DT_BOOL && is_numeric(a) && operands_are(op, a);
    case IR_OP_WHERE:
        return a == DT_BOOL && op->operands[1]->type.dtype == r && op->operands[2]->type.dtype == r;
    default:
        return false;
    }
}

/* A float constant of type (rounded to float for f32). */
static LLVMValueRef real(LLVMTypeRef type, double v)
{
    return LLVMConstReal(type, v);
}

/* An integer constant of type (sign-extended). */
static LLVMValueRef integer(LLVMTypeRef type, long long v)
{
    return LLVMConstInt(type, (unsigned long long)v, true);
}

/* The constant 0 of a numeric type. */
static LLVMValueRef zero_of(CgModule *cm, DType t)
{
    LLVMTypeRef type = cg_value_type(cm, t);
    return type_is_float(t) ? real(type, 0.0) : integer(type, 0);
}

/* ---- the ops ---- */

/* The value of an ir.const as a constant of its dtype. */
static LLVMValueRef emit_const(CgModule *cm, const IrOp *op)
{
    DType t = op->results[0]->type.dtype;
    const IrAttr *v = ir_get_attr(op, "value");
    LLVMTypeRef type = cg_value_type(cm, t);
    if (t == DT_BOOL)
        return LLVMConstInt(type, v->bool_value, false);
    if (type_is_int(t))
        return integer(type, v->int_value);
    return real(type, v->kind == IR_ATTR_INT ? (double)v->int_value : v->float_value);
}

/* Picks b when pick_b holds and a is not nan: a nan in a stays, a nan in b wins otherwise. */
static LLVMValueRef pick(CgModule *cm, LLVMValueRef pick_b, LLVMValueRef a, LLVMValueRef b,
                         const char *name)
{
    LLVMValueRef a_ordered = LLVMBuildFCmp(cm->b, LLVMRealORD, a, a, "");
    return LLVMBuildSelect(cm->b, LLVMBuildAnd(cm->b, pick_b, a_ordered, ""), b, a, name);
}

/* maximum(a, b): smax for integers; floats as the C reference (cg.h). */
LLVMValueRef cg_emit_maximum(CgModule *cm, DType dtype, LLVMValueRef a, LLVMValueRef b)
{
    if (!type_is_float(dtype)) {
        LLVMValueRef args[] = {a, b};
        return cg_call_intrinsic(cm, "llvm.smax", cg_value_type(cm, dtype), args, 2);
    }
    /* b > a, or b is nan (unordered-greater) */
    return pick(cm, LLVMBuildFCmp(cm->b, LLVMRealUGT, b, a, ""), a, b, "max");
}

/* minimum(a, b): smin for integers; floats as the C reference (cg.h). */
LLVMValueRef cg_emit_minimum(CgModule *cm, DType dtype, LLVMValueRef a, LLVMValueRef b)
{
    if (!type_is_float(dtype)) {
        LLVMValueRef args[] = {a, b};
        return cg_call_intrinsic(cm, "llvm.smin", cg_value_type(cm, dtype), args, 2);
    }
    return pick(cm, LLVMBuildFCmp(cm->b, LLVMRealULT, b, a, ""), a, b, "min");
}

/* relu(x) = x when x > 0 or nan, else +0 (so relu(-0) is +0). */
static LLVMValueRef emit_relu(CgModule *cm, DType t, LLVMValueRef x)
{
    LLVMTypeRef type = cg_value_type(cm, t);
    if (!type_is_float(t)) {
        LLVMValueRef args[] = {x, integer(type, 0)};
        return cg_call_intrinsic(cm, "llvm.smax", type, args, 2);
    }
    LLVMValueRef keep = LLVMBuildFCmp(cm->b, LLVMRealUGT, x, real(type, 0), "");
    return LLVMBuildSelect(cm->b, keep, x, real(type, 0), "relu");
}

/* |x|: fabs, or llvm.abs with INT_MIN wrapping to itself. */
static LLVMValueRef emit_abs(CgModule *cm, DType t, LLVMValueRef x)
{
    LLVMTypeRef type = cg_value_type(cm, t);
    if (type_is_float(t))
        return cg_call_intrinsic(cm, "llvm.fabs", type, &x, 1);
    /* |INT_MIN| wraps to INT_MIN, as in NumPy */
    LLVMValueRef args[] = {x, LLVMConstInt(cm->i1, 0, false)};
    return cg_call_intrinsic(cm, "llvm.abs", type, args, 2);
}

/* sign(x): 1, -1, 0 (also for -0.0), and nan for nan. */
static LLVMValueRef emit_sign(CgModule *cm, DType t, LLVMValueRef x)
{
    LLVMTypeRef type = cg_value_type(cm, t);
    if (!type_is_float(t)) {
        LLVMValueRef pos = LLVMBuildICmp(cm->b, LLVMIntSGT, x, integer(type, 0), "");
        LLVMValueRef neg = LLVMBuildICmp(cm->b, LLVMIntSLT, x, integer(type, 0), "");
        return LLVMBuildSub(cm->b, LLVMBuildZExt(cm->b, pos, type, ""),
                            LLVMBuildZExt(cm->b, neg, type, ""), "sign");
    }
    LLVMValueRef pos = LLVMBuildFCmp(cm->b, LLVMRealOGT, x, real(type, 0), "");
    LLVMValueRef neg = LLVMBuildFCmp(cm->b, LLVMRealOLT, x, real(type, 0), "");
    LLVMValueRef zero = LLVMBuildFCmp(cm->b, LLVMRealOEQ, x, real(type, 0), "");
    LLVMValueRef r = LLVMBuildSelect(cm->b, zero, real(type, 0), x, "");
    r = LLVMBuildSelect(cm->b, neg, real(type, -1), r, "");
    return LLVMBuildSelect(cm->b, pos, real(type, 1), r, "sign");
}

/* Python's a % b for floats: fmod, moved into the divisor's sign; a zero takes b's sign. */
static LLVMValueRef emit_float_mod(CgModule *cm, LLVMTypeRef type, LLVMValueRef a, LLVMValueRef b)
{
    LLVMValueRef m = LLVMBuildFRem(cm->b, a, b, "fmod");
    LLVMValueRef zero = real(type, 0);
    LLVMValueRef m_neg = LLVMBuildFCmp(cm->b, LLVMRealOLT, m, zero, "");
    LLVMValueRef b_neg = LLVMBuildFCmp(cm->b, LLVMRealOLT, b, zero, "");
    LLVMValueRef m_nonzero = LLVMBuildFCmp(cm->b, LLVMRealONE, m, zero, "");
    LLVMValueRef fix = LLVMBuildAnd(cm->b, m_nonzero, LLVMBuildXor(cm->b, m_neg, b_neg, ""), "");
    LLVMValueRef r = LLVMBuildSelect(cm->b, fix, LLVMBuildFAdd(cm->b, m, b, ""), m, "");
    LLVMValueRef signed_zero[] = {zero, b};
    LLVMValueRef z = cg_call_intrinsic(cm, "llvm.copysign", type, signed_zero, 2);
    LLVMValueRef m_zero = LLVMBuildFCmp(cm->b, LLVMRealOEQ, m, zero, "");
    return LLVMBuildSelect(cm->b, m_zero, z, r, "mod");
}

/* Float to integer: truncation when in range, else the integer minimum (nan too). */
static LLVMValueRef emit_float_to_int(CgModule *cm, LLVMValueRef x, LLVMTypeRef from, DType to)
{
    LLVMTypeRef type = cg_value_type(cm, to);
    double limit = to == DT_I32 ? 2147483648.0 : 9223372036854775808.0;
    LLVMValueRef above = LLVMBuildFCmp(cm->b, LLVMRealOGE, x, real(from, -limit), "");
    LLVMValueRef below = LLVMBuildFCmp(cm->b, LLVMRealOLT, x, real(from, limit), "");
    LLVMValueRef in_range = LLVMBuildAnd(cm->b, above, below, "in_range");
    LLVMValueRef safe = LLVMBuildSelect(cm->b, in_range, x, real(from, 0), "");
    LLVMValueRef converted = LLVMBuildFPToSI(cm->b, safe, type, "");
    long long minimum = to == DT_I32 ? INT32_MIN : INT64_MIN;
    return LLVMBuildSelect(cm->b, in_range, converted, integer(type, minimum), "cast");
}

/* t.cast between any two dtypes kernels hold (rules in the header comment). */
static LLVMValueRef emit_cast(CgModule *cm, LLVMValueRef x, DType from, DType to)
{
    LLVMTypeRef type = cg_value_type(cm, to), from_type = cg_value_type(cm, from);
    if (from == to)
        return x;
    if (to == DT_BOOL) {
        if (type_is_float(from))
            return LLVMBuildFCmp(cm->b, LLVMRealUNE, x, real(from_type, 0), "tobool");
        return LLVMBuildICmp(cm->b, LLVMIntNE, x, integer(from_type, 0), "tobool");
    }
    if (from == DT_BOOL)
        return type_is_float(to) ? LLVMBuildUIToFP(cm->b, x, type, "")
                                 : LLVMBuildZExt(cm->b, x, type, "");
    if (type_is_float(from) && type_is_float(to))
        return to == DT_F64 ? LLVMBuildFPExt(cm->b, x, type, "")
                            : LLVMBuildFPTrunc(cm->b, x, type, "");
    if (type_is_float(from))
        return emit_float_to_int(cm, x, from_type, to);
    if (type_is_float(to))
        return LLVMBuildSIToFP(cm->b, x, type, "");
    return to == DT_I64 ? LLVMBuildSExt(cm->b, x, type, "") : LLVMBuildTrunc(cm->b, x, type, "");
}

/* A comparison of two values of dtype t: ordered for floats, except != (true for nan). */
static LLVMValueRef emit_compare(CgModule *cm, IrOpcode opcode, DType t, LLVMValueRef a,
                                 LLVMValueRef b)
{
    static const struct {
        IrOpcode opcode;
        LLVMRealPredicate real;
        LLVMIntPredicate integer;
    } predicates[] = {
        {IR_OP_EQ, LLVMRealOEQ, LLVMIntEQ},  {IR_OP_NE, LLVMRealUNE, LLVMIntNE},
        {IR_OP_LT, LLVMRealOLT, LLVMIntSLT}, {IR_OP_LE, LLVMRealOLE, LLVMIntSLE},
        {IR_OP_GT, LLVMRealOGT, LLVMIntSGT}, {IR_OP_GE, LLVMRealOGE, LLVMIntSGE},
    };
    for (size_t i = 0; i < sizeof predicates / sizeof predicates[0]; i++) {
        if (predicates[i].opcode != opcode)
            continue;
        if (type_is_float(t))
            return LLVMBuildFCmp(cm->b, predicates[i].real, a, b, "cmp");
        return LLVMBuildICmp(cm->b, predicates[i].integer, a, b, "cmp");
    }
    UNREACHABLE();
}

/* round, floor, ceil: integers are already whole. */
static LLVMValueRef emit_rounding(CgModule *cm, const char *intrinsic, DType t, LLVMValueRef x)
{
    if (!type_is_float(t))
        return x;
    return cg_call_intrinsic(cm, intrinsic, cg_value_type(cm, t), &x, 1);
}

/* The binary arithmetic ops of dtype t (integer div, mod, pow never get here). */
static LLVMValueRef emit_arith(CgModule *cm, IrOpcode opcode, DType t, LLVMValueRef a,
                               LLVMValueRef b)
{
    bool fp = type_is_float(t);
    LLVMTypeRef type = cg_value_type(cm, t);
    switch (opcode) {
    case IR_OP_ADD:
        return fp ? LLVMBuildFAdd(cm->b, a, b, "add") : LLVMBuildAdd(cm->b, a, b, "add");
    case IR_OP_SUB:
        return fp ? LLVMBuildFSub(cm->b, a, b, "sub") : LLVMBuildSub(cm->b, a, b, "sub");
    case IR_OP_MUL:
        return fp ? LLVMBuildFMul(cm->b, a, b, "mul") : LLVMBuildMul(cm->b, a, b, "mul");
    case IR_OP_DIV:
        return LLVMBuildFDiv(cm->b, a, b, "div");
    case IR_OP_MOD:
        return emit_float_mod(cm, type, a, b);
    case IR_OP_POW: {
        LLVMValueRef args[] = {a, b};
        return cg_call_intrinsic(cm, "llvm.pow", type, args, 2);
    }
    case IR_OP_MINIMUM:
        return cg_emit_minimum(cm, t, a, b);
    case IR_OP_MAXIMUM:
        return cg_emit_maximum(cm, t, a, b);
    case IR_OP_SOFT_THRESHOLD: {
        LLVMValueRef shrunk = emit_arith(cm, IR_OP_SUB, t, emit_abs(cm, t, a), b);
        LLVMValueRef kept = cg_emit_maximum(cm, t, shrunk, zero_of(cm, t));
        return emit_arith(cm, IR_OP_MUL, t, emit_sign(cm, t, a), kept);
    }
    default:
        UNREACHABLE();
    }
}

/* Dispatches one supported op on its operands' values at the current element. */
LLVMValueRef cg_emit_elementwise(CgModule *cm, const IrOp *op, LLVMValueRef *args)
{
    DType r = op->results[0]->type.dtype;
    DType a = op->noperands > 0 ? op->operands[0]->type.dtype : r;
    LLVMTypeRef type = cg_value_type(cm, r);
    switch (op->opcode) {
    case IR_OP_CONST:
        return emit_const(cm, op);
    case IR_OP_NEG:
        return type_is_float(r) ? LLVMBuildFNeg(cm->b, args[0], "neg")
                                : LLVMBuildNeg(cm->b, args[0], "neg");
    case IR_OP_NOT:
        return LLVMBuildNot(cm->b, args[0], "not");
    case IR_OP_ABS:
        return emit_abs(cm, r, args[0]);
    case IR_OP_RELU:
        return emit_relu(cm, r, args[0]);
    case IR_OP_SIGN:
        return emit_sign(cm, r, args[0]);
    case IR_OP_FLOOR:
        return emit_rounding(cm, "llvm.floor", r, args[0]);
    case IR_OP_CEIL:
        return emit_rounding(cm, "llvm.ceil", r, args[0]);
    case IR_OP_ROUND:
        return emit_rounding(cm, "llvm.roundeven", r, args[0]);
    case IR_OP_SQRT:
        return cg_call_intrinsic(cm, "llvm.sqrt", type, args, 1);
    case IR_OP_EXP:
        return cg_math_exp(cm, args[0]);
    case IR_OP_LOG:
        return cg_math_log(cm, args[0]);
    case IR_OP_LOG1P:
        return cg_math_log1p(cm, args[0]);
    case IR_OP_TANH:
        return cg_math_tanh(cm, args[0]);
    case IR_OP_SIGMOID:
        return cg_math_sigmoid(cm, args[0]);
    case IR_OP_CAST:
        return emit_cast(cm, args[0], a, r);
    case IR_OP_AND:
        return LLVMBuildAnd(cm->b, args[0], args[1], "and");
    case IR_OP_OR:
        return LLVMBuildOr(cm->b, args[0], args[1], "or");
    case IR_OP_EQ:
    case IR_OP_NE:
    case IR_OP_LT:
    case IR_OP_LE:
    case IR_OP_GT:
    case IR_OP_GE:
        return emit_compare(cm, op->opcode, a, args[0], args[1]);
    case IR_OP_WHERE:
        return LLVMBuildSelect(cm->b, args[0], args[1], args[2], "where");
    case IR_OP_CLIP:
        return cg_emit_minimum(cm, r, cg_emit_maximum(cm, r, args[0], args[1]), args[2]);
    default:
        return emit_arith(cm, op->opcode, r, args[0], args[1]);
    }
}
