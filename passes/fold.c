/* fold.c: compile-time evaluation of scalar ops and exact identities, for canonicalize (fold.h).
 *
 * Every result is what the run time computes (executor/eval.h): f32 operations are done in float
 * (C's float arithmetic, FLT_EVAL_METHOD 0), f64 in double, integers in two's complement with
 * wrap-around (computed on uint64_t, so no signed overflow in C), i32 narrowed modulo 2^32. */
#include "passes/fold.h"

#include <math.h>
#include <string.h>

/* ---- values ---- */

bool fold_const_of(const IrValue *v, FoldValue *out)
{
    if (!v->def || v->def->opcode != IR_OP_CONST || v->type.rank != 0)
        return false;
    const IrAttr *a = ir_get_attr(v->def, "value");
    if (!a)
        return false;
    memset(out, 0, sizeof *out);
    out->dtype = v->type.dtype;
    switch (v->type.dtype) {
    case DT_F32:
    case DT_F64:
        if (a->kind != IR_ATTR_FLOAT)
            return false;
        out->f = a->float_value;
        return true;
    case DT_I32:
    case DT_I64:
        if (a->kind != IR_ATTR_INT)
            return false;
        out->i = a->int_value;
        return true;
    case DT_BOOL:
        if (a->kind != IR_ATTR_BOOL)
            return false;
        out->i = a->bool_value;
        return true;
    default:
        return false;
    }
}

/* Stores v as the constant's `value` attribute of the kind its dtype wants. */
void fold_set_value(IrModule *m, IrOp *constant, FoldValue v)
{
    if (type_is_float(v.dtype))
        ir_set_float(m, constant, "value", v.f);
    else if (v.dtype == DT_BOOL)
        ir_set_bool(m, constant, "value", v.i != 0);
    else
        ir_set_int(m, constant, "value", v.i);
}

/* x narrowed to the integer dtype d, wrapping modulo 2^32 for i32. */
static int64_t wrap_int(DType d, uint64_t x)
{
    if (d == DT_I64)
        return x <= (uint64_t)INT64_MAX ? (int64_t)x : -(int64_t)(UINT64_MAX - x) - 1;
    uint32_t u = (uint32_t)x;
    return u <= (uint32_t)INT32_MAX ? (int64_t)u : -(int64_t)(UINT32_MAX - u) - 1;
}

/* A float constant of dtype d, rounded to float for f32. */
static FoldValue float_value(DType d, double f)
{
    FoldValue v = {.dtype = d, .f = d == DT_F32 ? (double)(float)f : f};
    return v;
}

/* An integer constant of dtype d, wrapped to its width. */
static FoldValue int_value(DType d, uint64_t x)
{
    FoldValue v = {.dtype = d, .i = wrap_int(d, x)};
    return v;
}

/* A bool constant. */
static FoldValue bool_value(bool b)
{
    FoldValue v = {.dtype = DT_BOOL, .i = b};
    return v;
}

/* ---- arithmetic ---- */

/* a op b for + - * / in the dtype: float arithmetic for f32, double for f64. */
static double float_arith(IrOpcode op, DType d, double a, double b)
{
    if (d == DT_F32) {
        float x = (float)a, y = (float)b;
        switch (op) {
        case IR_OP_ADD:
            return x + y;
        case IR_OP_SUB:
            return x - y;
        case IR_OP_MUL:
            return x * y;
        default:
            return x / y;
        }
    }
    switch (op) {
    case IR_OP_ADD:
        return a + b;
    case IR_OP_SUB:
        return a - b;
    case IR_OP_MUL:
        return a * b;
    default:
        return a / b;
    }
}

/* Integer a ** b for b >= 0 by repeated squaring, wrapping. */
static uint64_t int_pow(uint64_t base, int64_t exponent)
{
    uint64_t result = 1;
    while (exponent > 0) {
        if (exponent & 1)
            result *= base;
        base *= base;
        exponent >>= 1;
    }
    return result;
}

/* Python's a % b for b != 0: the remainder has the divisor's sign. */
static int64_t int_mod(int64_t a, int64_t b)
{
    if (b == -1)
        return 0; /* also INT64_MIN % -1, which C leaves undefined */
    int64_t r = a % b;
    if (r != 0 && (r < 0) != (b < 0))
        r += b;
    return r;
}

/* Two float operands: + - * / and minimum/maximum (nan wins, as in NumPy). */
static bool fold_binary_float(IrOpcode op, DType d, double a, double b, FoldValue *out)
{
    switch (op) {
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_DIV:
        *out = float_value(d, float_arith(op, d, a, b));
        return true;
    case IR_OP_MINIMUM:
    case IR_OP_MAXIMUM:
        if (isnan(a) || isnan(b)) {
            *out = float_value(d, NAN);
            return true;
        }
        if (a == 0 && b == 0 && signbit(a) != signbit(b))
            return false; /* which zero NumPy returns is not pinned down */
        *out = float_value(d, (op == IR_OP_MINIMUM) == (a < b) ? a : b);
        return true;
    default:
        return false;
    }
}

/* Two integer operands, wrapping; false where the run time must decide. */
static bool fold_binary_int(IrOpcode op, DType d, int64_t a, int64_t b, FoldValue *out)
{
    uint64_t x = (uint64_t)a, y = (uint64_t)b;
    switch (op) {
    case IR_OP_ADD:
        *out = int_value(d, x + y);
        return true;
    case IR_OP_SUB:
        *out = int_value(d, x - y);
        return true;
    case IR_OP_MUL:
        *out = int_value(d, x * y);
        return true;
    case IR_OP_MOD:
        if (b == 0)
            return false; /* a run-time error */
        *out = int_value(d, (uint64_t)int_mod(a, b));
        return true;
    case IR_OP_POW:
        if (b < 0)
            return false; /* a run-time error */
        *out = int_value(d, int_pow(x, b));
        return true;
    case IR_OP_MINIMUM:
        *out = int_value(d, (uint64_t)(a < b ? a : b));
        return true;
    case IR_OP_MAXIMUM:
        *out = int_value(d, (uint64_t)(a > b ? a : b));
        return true;
    default:
        return false; /* integer t.div never comes from DML; its rounding is not fixed */
    }
}

/* A comparison of two numbers (C semantics: nan compares unequal) or two bools. */
static bool fold_compare(IrOpcode op, const FoldValue *a, const FoldValue *b, FoldValue *out)
{
    bool floats = type_is_float(a->dtype);
    double x = a->f, y = b->f;
    int64_t i = a->i, j = b->i;
    bool r;
    switch (op) {
    case IR_OP_EQ:
        r = floats ? x == y : i == j;
        break;
    case IR_OP_NE:
        r = floats ? x != y : i != j;
        break;
    case IR_OP_LT:
        r = floats ? x < y : i < j;
        break;
    case IR_OP_LE:
        r = floats ? x <= y : i <= j;
        break;
    case IR_OP_GT:
        r = floats ? x > y : i > j;
        break;
    case IR_OP_GE:
        r = floats ? x >= y : i >= j;
        break;
    default:
        return false;
    }
    *out = bool_value(r);
    return true;
}

/* ---- one operand ---- */

static bool fold_cast(const FoldValue *x, DType to, FoldValue *out)
{
    DType from = x->dtype;
    if (to == DT_BOOL) {
        *out = bool_value(type_is_float(from) ? x->f != 0 : x->i != 0);
        return true;
    }
    if (type_is_float(to)) {
        if (type_is_float(from)) {
            *out = float_value(to, x->f);
            return true;
        }
        /* The run time converts through double; beyond 2^53 that could round twice. */
        if (x->i > (INT64_C(1) << 53) || x->i < -(INT64_C(1) << 53))
            return false;
        *out = float_value(to, (double)x->i);
        return true;
    }
    if (!type_is_float(from)) {
        *out = int_value(to, (uint64_t)x->i);
        return true;
    }
    double t = trunc(x->f);
    double limit = to == DT_I64 ? 9223372036854775808.0 : 2147483648.0;
    if (!(t >= -limit && t < limit))
        return false; /* nan, inf or out of range: undefined in C, left to the run time */
    *out = int_value(to, (uint64_t)(int64_t)t);
    return true;
}

/* One float operand. */
static bool fold_unary_float(IrOpcode op, DType d, double x, FoldValue *out)
{
    switch (op) {
    case IR_OP_NEG:
        *out = float_value(d, -x);
        return true;
    case IR_OP_ABS:
        *out = float_value(d, fabs(x));
        return true;
    case IR_OP_FLOOR:
        *out = float_value(d, floor(x));
        return true;
    case IR_OP_CEIL:
        *out = float_value(d, ceil(x));
        return true;
    case IR_OP_ROUND:
        *out = float_value(d, rint(x)); /* half to even in the default rounding mode */
        return true;
    case IR_OP_SQRT:
        *out = float_value(d, d == DT_F32 ? (double)sqrtf((float)x) : sqrt(x));
        return true;
    case IR_OP_RELU:
    case IR_OP_SIGN:
        if (isnan(x) || x == 0)
            return false; /* the sign of a zero or nan result is the run time's choice */
        if (op == IR_OP_RELU)
            *out = float_value(d, x > 0 ? x : 0.0);
        else
            *out = float_value(d, x > 0 ? 1.0 : -1.0);
        return true;
    default:
        return false;
    }
}

/* One integer operand, wrapping (abs and neg of the minimum stay the minimum). */
static bool fold_unary_int(IrOpcode op, DType d, int64_t x, FoldValue *out)
{
    uint64_t u = (uint64_t)x;
    switch (op) {
    case IR_OP_NEG:
        *out = int_value(d, 0 - u);
        return true;
    case IR_OP_ABS:
        *out = int_value(d, x < 0 ? 0 - u : u);
        return true;
    case IR_OP_RELU:
        *out = int_value(d, x > 0 ? u : 0);
        return true;
    case IR_OP_SIGN:
        *out = int_value(d, (uint64_t)(int64_t)((x > 0) - (x < 0)));
        return true;
    case IR_OP_FLOOR:
    case IR_OP_CEIL:
    case IR_OP_ROUND:
        *out = int_value(d, u);
        return true;
    default:
        return false;
    }
}

/* Dispatches on the op's kind; the operands' dtypes must be the ones the op computes in. */
bool fold_eval(const IrOp *op, const FoldValue *args, FoldValue *out)
{
    if (op->nresults != 1 || op->results[0]->type.rank != 0)
        return false;
    DType rd = op->results[0]->type.dtype;
    unsigned flags = ir_op_info(op->opcode)->flags;
    if (op->opcode == IR_OP_CAST)
        return fold_cast(&args[0], rd, out);
    if (op->opcode == IR_OP_NOT) {
        *out = bool_value(!args[0].i);
        return true;
    }
    if (flags & IR_LOGIC) {
        bool a = args[0].i != 0, b = args[1].i != 0;
        *out = bool_value(op->opcode == IR_OP_AND ? a && b : a || b);
        return true;
    }
    if (flags & IR_COMPARE)
        return args[0].dtype == args[1].dtype && fold_compare(op->opcode, &args[0], &args[1], out);
    if (op->opcode == IR_OP_WHERE) {
        *out = args[0].i ? args[1] : args[2];
        return true;
    }
    if (!(flags & IR_ELEMENTWISE) || !(type_is_float(rd) || type_is_int(rd)))
        return false;
    for (int i = 0; i < op->noperands; i++)
        if (args[i].dtype != rd)
            return false;
    if (op->noperands == 1)
        return type_is_float(rd) ? fold_unary_float(op->opcode, rd, args[0].f, out)
                                 : fold_unary_int(op->opcode, rd, args[0].i, out);
    if (op->noperands == 2)
        return type_is_float(rd) ? fold_binary_float(op->opcode, rd, args[0].f, args[1].f, out)
                                 : fold_binary_int(op->opcode, rd, args[0].i, args[1].i, out);
    return false; /* clip, and anything with three operands */
}

/* ---- identities ---- */

/* True when v is a scalar constant equal to `want` (floats: the same bits, so -0.0 != 0.0). */
static bool is_const(const IrValue *v, double want)
{
    FoldValue c;
    if (!fold_const_of(v, &c))
        return false;
    if (type_is_float(c.dtype))
        return memcmp(&c.f, &want, sizeof want) == 0;
    return type_is_int(c.dtype) && (double)c.i == want;
}

/* True when v is a bool ir.const with the value `want`. */
static bool is_bool_const(const IrValue *v, bool want)
{
    FoldValue c;
    return fold_const_of(v, &c) && c.dtype == DT_BOOL && (c.i != 0) == want;
}

/* v when it can stand for the op's result (exactly the same type), else NULL. */
static IrValue *if_same_type(const IrOp *op, IrValue *v)
{
    return type_equal(&v->type, &op->results[0]->type) && !v->type.sparse ? v : NULL;
}

/* Recognises each identity by opcode and constant operand. */
IrValue *fold_identity(const IrOp *op)
{
    if (op->nresults != 1)
        return NULL;
    IrValue *const *x = op->operands;
    bool ints = type_is_int(op->results[0]->type.dtype);
    IrValue *r = NULL;
    switch (op->opcode) {
    case IR_OP_MUL: /* x * 1 and 1 * x */
        if (is_const(x[1], 1.0))
            r = if_same_type(op, x[0]);
        if (!r && is_const(x[0], 1.0))
            r = if_same_type(op, x[1]);
        return r;
    case IR_OP_DIV: /* x / 1 */
        return is_const(x[1], 1.0) ? if_same_type(op, x[0]) : NULL;
    case IR_OP_SUB: /* x - (+0): -0 - +0 is -0, so it holds for floats too */
        return is_const(x[1], 0.0) ? if_same_type(op, x[0]) : NULL;
    case IR_OP_ADD: /* x + -0.0 (x + +0.0 turns -0 into +0); x + 0 for integers */
        if (is_const(x[1], ints ? 0.0 : -0.0))
            r = if_same_type(op, x[0]);
        if (!r && is_const(x[0], ints ? 0.0 : -0.0))
            r = if_same_type(op, x[1]);
        return r;
    case IR_OP_CAST:
        return if_same_type(op, x[0]);
    case IR_OP_WHERE:
        if (is_bool_const(x[0], true))
            return if_same_type(op, x[1]);
        return is_bool_const(x[0], false) ? if_same_type(op, x[2]) : NULL;
    case IR_OP_AND:
    case IR_OP_OR: {
        bool neutral = op->opcode == IR_OP_AND;
        if (is_bool_const(x[1], neutral))
            r = if_same_type(op, x[0]);
        if (!r && is_bool_const(x[0], neutral))
            r = if_same_type(op, x[1]);
        return r;
    }
    default:
        return NULL;
    }
}
