/* eval_elementwise.c: every IR_ELEMENTWISE op (t.neg ... t.where, t.cast) with NumPy broadcasting.
 *
 * Each op is a kernel per dtype, generated below from one element function; the driver picks the
 * kernel once per call (no switch per element), converts operands whose dtype differs from the
 * op's (only malformed IR has such), broadcasts the shapes, and runs the kernel over the result in
 * rows: shape dimensions of size 1 are dropped and dimensions that are contiguous for every operand
 * are merged, so same-shape operands run as one loop over all elements and a row plus a column as
 * one loop per row. Scalars are stride-0 operands; a scalar result is computed on the stack.
 *
 * Semantics (eval.h): f32 in float; integers wrap (computed in unsigned arithmetic); `t.mod` and
 * integer `t.div` round toward negative infinity (Python), and error on a zero divisor; integer
 * `t.pow` errors on a negative exponent; `t.round` is half to even; `t.sign` of nan is nan;
 * `t.minimum`, `t.maximum`, `t.clip` and `t.relu` propagate nan (NumPy's maximum(x, 0) for relu);
 * sigmoid is 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) below, so it never overflows;
 * soft_threshold(x, t) = sign(x) * maximum(|x| - t, 0).
 *
 * `inplace = K` (set by passes/memplan.c when operand K dies at the op): the result is written into
 * operand K's buffer when that tensor has the result's dtype and shape and holds one reference. */
#include "executor/eval_internal.h"

#include <math.h>
#include <stdio.h>

/* ---- element functions: floats (F is the libm suffix: f for float, empty for double) ---- */

#define FLOAT_FUNCTIONS(SFX, T, F)                                                                 \
    static inline T neg_##SFX(T x)                                                                 \
    {                                                                                              \
        return -x;                                                                                 \
    }                                                                                              \
    static inline T abs_##SFX(T x)                                                                 \
    {                                                                                              \
        return fabs##F(x);                                                                         \
    }                                                                                              \
    static inline T relu_##SFX(T x)                                                                \
    {                                                                                              \
        return x > 0 || x != x ? x : (T)0;                                                         \
    }                                                                                              \
    static inline T sign_##SFX(T x)                                                                \
    {                                                                                              \
        return x > 0 ? (T)1 : x < 0 ? (T)-1 : x == 0 ? (T)0 : x;                                   \
    }                                                                                              \
    static inline T floor_##SFX(T x)                                                               \
    {                                                                                              \
        return floor##F(x);                                                                        \
    }                                                                                              \
    static inline T ceil_##SFX(T x)                                                                \
    {                                                                                              \
        return ceil##F(x);                                                                         \
    }                                                                                              \
    static inline T round_##SFX(T x)                                                               \
    {                                                                                              \
        return nearbyint##F(x); /* the default rounding mode: half to even */                      \
    }                                                                                              \
    static inline T exp_##SFX(T x)                                                                 \
    {                                                                                              \
        return exp##F(x);                                                                          \
    }                                                                                              \
    static inline T log_##SFX(T x)                                                                 \
    {                                                                                              \
        return log##F(x);                                                                          \
    }                                                                                              \
    static inline T log1p_##SFX(T x)                                                               \
    {                                                                                              \
        return log1p##F(x);                                                                        \
    }                                                                                              \
    static inline T sqrt_##SFX(T x)                                                                \
    {                                                                                              \
        return sqrt##F(x);                                                                         \
    }                                                                                              \
    static inline T tanh_##SFX(T x)                                                                \
    {                                                                                              \
        return tanh##F(x);                                                                         \
    }                                                                                              \
    static inline T sigmoid_##SFX(T x)                                                             \
    {                                                                                              \
        if (x >= 0)                                                                                \
            return (T)1 / ((T)1 + exp##F(-x));                                                     \
        T e = exp##F(x);                                                                           \
        return e / ((T)1 + e);                                                                     \
    }                                                                                              \
    static inline T add_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return x + y;                                                                              \
    }                                                                                              \
    static inline T sub_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return x - y;                                                                              \
    }                                                                                              \
    static inline T mul_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return x * y;                                                                              \
    }                                                                                              \
    static inline T div_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return x / y;                                                                              \
    }                                                                                              \
    /* NumPy's npy_divmod: fmod, moved to the divisor's sign; a zero remainder takes its sign */   \
    static inline T mod_##SFX(T x, T y)                                                            \
    {                                                                                              \
        if (y == 0)                                                                                \
            return fmod##F(x, y);                                                                  \
        T m = fmod##F(x, y);                                                                       \
        if (m != 0) {                                                                              \
            if ((y < 0) != (m < 0))                                                                \
                m += y;                                                                            \
        } else {                                                                                   \
            m = copysign##F((T)0, y);                                                              \
        }                                                                                          \
        return m;                                                                                  \
    }                                                                                              \
    static inline T pow_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return pow##F(x, y);                                                                       \
    }                                                                                              \
    static inline T minimum_##SFX(T x, T y)                                                        \
    {                                                                                              \
        return x != x ? x : y != y ? y : y < x ? y : x;                                            \
    }                                                                                              \
    static inline T maximum_##SFX(T x, T y)                                                        \
    {                                                                                              \
        return x != x ? x : y != y ? y : y > x ? y : x;                                            \
    }                                                                                              \
    static inline T soft_threshold_##SFX(T x, T t)                                                 \
    {                                                                                              \
        return sign_##SFX(x) * maximum_##SFX(fabs##F(x) - t, (T)0);                                \
    }                                                                                              \
    static inline T clip_##SFX(T x, T lo, T hi)                                                    \
    {                                                                                              \
        return minimum_##SFX(maximum_##SFX(x, lo), hi);                                            \
    }

FLOAT_FUNCTIONS(f32, float, f)
FLOAT_FUNCTIONS(f64, double, )

/* ---- element functions: integers, wrapping through the unsigned type U ---- */

#define INT_FUNCTIONS(SFX, T, U)                                                                   \
    static inline T neg_##SFX(T x)                                                                 \
    {                                                                                              \
        return (T)(U)(0u - (U)x);                                                                  \
    }                                                                                              \
    static inline T abs_##SFX(T x)                                                                 \
    {                                                                                              \
        return x < 0 ? neg_##SFX(x) : x;                                                           \
    }                                                                                              \
    static inline T relu_##SFX(T x)                                                                \
    {                                                                                              \
        return x > 0 ? x : 0;                                                                      \
    }                                                                                              \
    static inline T sign_##SFX(T x)                                                                \
    {                                                                                              \
        return (T)((x > 0) - (x < 0));                                                             \
    }                                                                                              \
    static inline T identity_##SFX(T x)                                                            \
    {                                                                                              \
        return x;                                                                                  \
    }                                                                                              \
    static inline T add_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return (T)(U)((U)x + (U)y);                                                                \
    }                                                                                              \
    static inline T sub_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return (T)(U)((U)x - (U)y);                                                                \
    }                                                                                              \
    static inline T mul_##SFX(T x, T y)                                                            \
    {                                                                                              \
        return (T)(U)((U)x * (U)y);                                                                \
    }                                                                                              \
    /* floor division; the caller checked y != 0. MIN / -1 wraps to MIN as in NumPy. */            \
    static inline T div_##SFX(T x, T y)                                                            \
    {                                                                                              \
        if (y == -1)                                                                               \
            return neg_##SFX(x);                                                                   \
        T q = x / y;                                                                               \
        if ((x % y != 0) && ((x < 0) != (y < 0)))                                                  \
            q--;                                                                                   \
        return q;                                                                                  \
    }                                                                                              \
    /* the remainder with the divisor's sign; the caller checked y != 0 */                         \
    static inline T mod_##SFX(T x, T y)                                                            \
    {                                                                                              \
        if (y == -1)                                                                               \
            return 0;                                                                              \
        T m = x % y;                                                                               \
        if (m != 0 && ((m < 0) != (y < 0)))                                                        \
            m += y;                                                                                \
        return m;                                                                                  \
    }                                                                                              \
    /* x ** y by squaring, wrapping; the caller checked y >= 0 */                                  \
    static inline T pow_##SFX(T x, T y)                                                            \
    {                                                                                              \
        U result = 1, base = (U)x;                                                                 \
        for (U e = (U)y; e; e >>= 1) {                                                             \
            if (e & 1)                                                                             \
                result *= base;                                                                    \
            base *= base;                                                                          \
        }                                                                                          \
        return (T)result;                                                                          \
    }                                                                                              \
    static inline T minimum_##SFX(T x, T y)                                                        \
    {                                                                                              \
        return y < x ? y : x;                                                                      \
    }                                                                                              \
    static inline T maximum_##SFX(T x, T y)                                                        \
    {                                                                                              \
        return y > x ? y : x;                                                                      \
    }                                                                                              \
    static inline T soft_threshold_##SFX(T x, T t)                                                 \
    {                                                                                              \
        return mul_##SFX(sign_##SFX(x), maximum_##SFX(sub_##SFX(abs_##SFX(x), t), 0));             \
    }                                                                                              \
    static inline T clip_##SFX(T x, T lo, T hi)                                                    \
    {                                                                                              \
        return minimum_##SFX(maximum_##SFX(x, lo), hi);                                            \
    }

INT_FUNCTIONS(i32, int32_t, uint32_t)
INT_FUNCTIONS(i64, int64_t, uint64_t)

/* ---- kernels ---- */

/* out[i] = FN(a[i]): unary operands always have the result's shape (or are one scalar). */
#define UNARY_KERNEL(NAME, T, R, FN)                                                               \
    static bool NAME(int64_t n, void *out, const void *const *in, const int64_t *stride)           \
    {                                                                                              \
        const T *a = in[0];                                                                        \
        R *o = out;                                                                                \
        (void)stride;                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = FN(a[i]);                                                                       \
        return true;                                                                               \
    }

/* out[i] = FN(a[i * sa], b[i * sb]); CHECK(y) false on a divisor or exponent that has no result.
 * The common stride patterns get their own loops so that the compiler vectorises them. */
#define BINARY_KERNEL_CHECKED(NAME, T, R, FN, CHECK)                                               \
    static bool NAME(int64_t n, void *out, const void *const *in, const int64_t *stride)           \
    {                                                                                              \
        const T *a = in[0], *b = in[1];                                                            \
        R *o = out;                                                                                \
        int64_t sa = stride[0], sb = stride[1];                                                    \
        if (sa == 1 && sb == 1) {                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                      \
                if (!CHECK(b[i]))                                                                  \
                    return false;                                                                  \
                o[i] = FN(a[i], b[i]);                                                             \
            }                                                                                      \
        } else if (sb == 0) {                                                                      \
            T y = b[0];                                                                            \
            if (!CHECK(y))                                                                         \
                return n == 0;                                                                     \
            for (int64_t i = 0; i < n; i++)                                                        \
                o[i] = FN(a[i * sa], y);                                                           \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                if (!CHECK(b[i * sb]))                                                             \
                    return false;                                                                  \
                o[i] = FN(a[i * sa], b[i * sb]);                                                   \
            }                                                                                      \
        }                                                                                          \
        return true;                                                                               \
    }

#define ALWAYS(y) ((void)(y), true)
#define NONZERO(y) ((y) != 0)
#define NONNEGATIVE(y) ((y) >= 0)
#define BINARY_KERNEL(NAME, T, R, FN) BINARY_KERNEL_CHECKED(NAME, T, R, FN, ALWAYS)

/* out[i] = FN(a[i * sa], b[i * sb], c[i * sc]) (t.clip, and t.where through SELECT). */
#define TERNARY_KERNEL(NAME, TA, T, R, FN)                                                         \
    static bool NAME(int64_t n, void *out, const void *const *in, const int64_t *stride)           \
    {                                                                                              \
        const TA *a = in[0];                                                                       \
        const T *b = in[1], *c = in[2];                                                            \
        R *o = out;                                                                                \
        int64_t sa = stride[0], sb = stride[1], sc = stride[2];                                    \
        if (sa == 1 && sb == 1 && sc == 1) {                                                       \
            for (int64_t i = 0; i < n; i++)                                                        \
                o[i] = FN(a[i], b[i], c[i]);                                                       \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                o[i] = FN(a[i * sa], b[i * sb], c[i * sc]);                                        \
        }                                                                                          \
        return true;                                                                               \
    }

#define SELECT(c, x, y) ((c) ? (x) : (y))

/* Comparisons and logic give bool (uint8_t) elements. */
#define EQ(x, y) ((uint8_t)((x) == (y)))
#define NE(x, y) ((uint8_t)((x) != (y)))
#define LT(x, y) ((uint8_t)((x) < (y)))
#define LE(x, y) ((uint8_t)((x) <= (y)))
#define GT(x, y) ((uint8_t)((x) > (y)))
#define GE(x, y) ((uint8_t)((x) >= (y)))
#define AND(x, y) ((uint8_t)((x) & (y)))
#define OR(x, y) ((uint8_t)((x) | (y)))
#define NOT(x) ((uint8_t) !(x))

/* Kernels per numeric dtype (i32, i64, f32, f64) of a unary function named OP_SFX. */
#define UNARY_NUMERIC(OP)                                                                          \
    UNARY_KERNEL(k_##OP##_i32, int32_t, int32_t, OP##_i32)                                         \
    UNARY_KERNEL(k_##OP##_i64, int64_t, int64_t, OP##_i64)                                         \
    UNARY_KERNEL(k_##OP##_f32, float, float, OP##_f32)                                             \
    UNARY_KERNEL(k_##OP##_f64, double, double, OP##_f64)
#define UNARY_FLOAT(OP)                                                                            \
    UNARY_KERNEL(k_##OP##_f32, float, float, OP##_f32)                                             \
    UNARY_KERNEL(k_##OP##_f64, double, double, OP##_f64)
/* floor, ceil and round leave integers as they are */
#define UNARY_ROUNDING(OP)                                                                         \
    UNARY_KERNEL(k_##OP##_i32, int32_t, int32_t, identity_i32)                                     \
    UNARY_KERNEL(k_##OP##_i64, int64_t, int64_t, identity_i64)                                     \
    UNARY_KERNEL(k_##OP##_f32, float, float, OP##_f32)                                             \
    UNARY_KERNEL(k_##OP##_f64, double, double, OP##_f64)

UNARY_NUMERIC(neg)
UNARY_NUMERIC(abs)
UNARY_NUMERIC(relu)
UNARY_NUMERIC(sign)
UNARY_ROUNDING(floor)
UNARY_ROUNDING(ceil)
UNARY_ROUNDING(round)
UNARY_FLOAT(exp)
UNARY_FLOAT(log)
UNARY_FLOAT(log1p)
UNARY_FLOAT(sqrt)
UNARY_FLOAT(sigmoid)
UNARY_FLOAT(tanh)
UNARY_KERNEL(k_not_bool, uint8_t, uint8_t, NOT)

#define BINARY_NUMERIC(OP)                                                                         \
    BINARY_KERNEL(k_##OP##_i32, int32_t, int32_t, OP##_i32)                                        \
    BINARY_KERNEL(k_##OP##_i64, int64_t, int64_t, OP##_i64)                                        \
    BINARY_KERNEL(k_##OP##_f32, float, float, OP##_f32)                                            \
    BINARY_KERNEL(k_##OP##_f64, double, double, OP##_f64)
/* integer kernels that check their second operand */
#define BINARY_NUMERIC_CHECKED(OP, CHECK)                                                          \
    BINARY_KERNEL_CHECKED(k_##OP##_i32, int32_t, int32_t, OP##_i32, CHECK)                         \
    BINARY_KERNEL_CHECKED(k_##OP##_i64, int64_t, int64_t, OP##_i64, CHECK)                         \
    BINARY_KERNEL(k_##OP##_f32, float, float, OP##_f32)                                            \
    BINARY_KERNEL(k_##OP##_f64, double, double, OP##_f64)
#define BINARY_COMPARE(OP, FN)                                                                     \
    BINARY_KERNEL(k_##OP##_bool, uint8_t, uint8_t, FN)                                             \
    BINARY_KERNEL(k_##OP##_i32, int32_t, uint8_t, FN)                                              \
    BINARY_KERNEL(k_##OP##_i64, int64_t, uint8_t, FN)                                              \
    BINARY_KERNEL(k_##OP##_f32, float, uint8_t, FN)                                                \
    BINARY_KERNEL(k_##OP##_f64, double, uint8_t, FN)

BINARY_NUMERIC(add)
BINARY_NUMERIC(sub)
BINARY_NUMERIC(mul)
BINARY_NUMERIC_CHECKED(div, NONZERO)
BINARY_NUMERIC_CHECKED(mod, NONZERO)
BINARY_NUMERIC_CHECKED(pow, NONNEGATIVE)
BINARY_NUMERIC(minimum)
BINARY_NUMERIC(maximum)
BINARY_NUMERIC(soft_threshold)
BINARY_COMPARE(eq, EQ)
BINARY_COMPARE(ne, NE)
BINARY_COMPARE(lt, LT)
BINARY_COMPARE(le, LE)
BINARY_COMPARE(gt, GT)
BINARY_COMPARE(ge, GE)
BINARY_KERNEL(k_and_bool, uint8_t, uint8_t, AND)
BINARY_KERNEL(k_or_bool, uint8_t, uint8_t, OR)

TERNARY_KERNEL(k_clip_i32, int32_t, int32_t, int32_t, clip_i32)
TERNARY_KERNEL(k_clip_i64, int64_t, int64_t, int64_t, clip_i64)
TERNARY_KERNEL(k_clip_f32, float, float, float, clip_f32)
TERNARY_KERNEL(k_clip_f64, double, double, double, clip_f64)
TERNARY_KERNEL(k_where_bool, uint8_t, uint8_t, uint8_t, SELECT)
TERNARY_KERNEL(k_where_i32, uint8_t, int32_t, int32_t, SELECT)
TERNARY_KERNEL(k_where_i64, uint8_t, int64_t, int64_t, SELECT)
TERNARY_KERNEL(k_where_f32, uint8_t, float, float, SELECT)
TERNARY_KERNEL(k_where_f64, uint8_t, double, double, SELECT)

/* ---- kernel tables: one row per op, indexed by the dtype it computes in ---- */

typedef EvalKernel KernelRow[DT_STR];

#define ROW_NUMERIC(OP)                                                                            \
    {                                                                                              \
        [DT_I32] = k_##OP##_i32, [DT_I64] = k_##OP##_i64, [DT_F32] = k_##OP##_f32,                 \
        [DT_F64] = k_##OP##_f64                                                                    \
    }
#define ROW_FLOAT(OP)                                                                              \
    {                                                                                              \
        [DT_F32] = k_##OP##_f32, [DT_F64] = k_##OP##_f64                                           \
    }
#define ROW_ALL(OP)                                                                                \
    {                                                                                              \
        [DT_BOOL] = k_##OP##_bool, [DT_I32] = k_##OP##_i32, [DT_I64] = k_##OP##_i64,               \
        [DT_F32] = k_##OP##_f32, [DT_F64] = k_##OP##_f64                                           \
    }

static const KernelRow neg_row = ROW_NUMERIC(neg), abs_row = ROW_NUMERIC(abs),
                       relu_row = ROW_NUMERIC(relu), sign_row = ROW_NUMERIC(sign),
                       floor_row = ROW_NUMERIC(floor), ceil_row = ROW_NUMERIC(ceil),
                       round_row = ROW_NUMERIC(round), exp_row = ROW_FLOAT(exp),
                       log_row = ROW_FLOAT(log), log1p_row = ROW_FLOAT(log1p),
                       sqrt_row = ROW_FLOAT(sqrt), sigmoid_row = ROW_FLOAT(sigmoid),
                       tanh_row = ROW_FLOAT(tanh), not_row = {[DT_BOOL] = k_not_bool},
                       add_row = ROW_NUMERIC(add), sub_row = ROW_NUMERIC(sub),
                       mul_row = ROW_NUMERIC(mul), div_row = ROW_NUMERIC(div),
                       mod_row = ROW_NUMERIC(mod), pow_row = ROW_NUMERIC(pow),
                       minimum_row = ROW_NUMERIC(minimum), maximum_row = ROW_NUMERIC(maximum),
                       soft_threshold_row = ROW_NUMERIC(soft_threshold), eq_row = ROW_ALL(eq),
                       ne_row = ROW_ALL(ne), lt_row = ROW_ALL(lt), le_row = ROW_ALL(le),
                       gt_row = ROW_ALL(gt), ge_row = ROW_ALL(ge),
                       and_row = {[DT_BOOL] = k_and_bool}, or_row = {[DT_BOOL] = k_or_bool},
                       clip_row = ROW_NUMERIC(clip), where_row = ROW_ALL(where);

/* The kernel row of an elementwise op (t.cast excepted). */
static const EvalKernel *kernel_row(IrOpcode op)
{
    switch (op) {
    case IR_OP_NEG:
        return neg_row;
    case IR_OP_NOT:
        return not_row;
    case IR_OP_ABS:
        return abs_row;
    case IR_OP_EXP:
        return exp_row;
    case IR_OP_LOG:
        return log_row;
    case IR_OP_LOG1P:
        return log1p_row;
    case IR_OP_SQRT:
        return sqrt_row;
    case IR_OP_SIGMOID:
        return sigmoid_row;
    case IR_OP_TANH:
        return tanh_row;
    case IR_OP_RELU:
        return relu_row;
    case IR_OP_SIGN:
        return sign_row;
    case IR_OP_FLOOR:
        return floor_row;
    case IR_OP_CEIL:
        return ceil_row;
    case IR_OP_ROUND:
        return round_row;
    case IR_OP_ADD:
        return add_row;
    case IR_OP_SUB:
        return sub_row;
    case IR_OP_MUL:
        return mul_row;
    case IR_OP_DIV:
        return div_row;
    case IR_OP_MOD:
        return mod_row;
    case IR_OP_POW:
        return pow_row;
    case IR_OP_MINIMUM:
        return minimum_row;
    case IR_OP_MAXIMUM:
        return maximum_row;
    case IR_OP_SOFT_THRESHOLD:
        return soft_threshold_row;
    case IR_OP_EQ:
        return eq_row;
    case IR_OP_NE:
        return ne_row;
    case IR_OP_LT:
        return lt_row;
    case IR_OP_LE:
        return le_row;
    case IR_OP_GT:
        return gt_row;
    case IR_OP_GE:
        return ge_row;
    case IR_OP_AND:
        return and_row;
    case IR_OP_OR:
        return or_row;
    case IR_OP_CLIP:
        return clip_row;
    case IR_OP_WHERE:
        return where_row;
    default:
        return NULL;
    }
}

/* ---- the driver ---- */

enum { MAX_OPERANDS = 3 };

/* The dtype each operand must have for the op: the result's for arithmetic, `where`'s values and
 * unary ops; the operands' shared one for comparisons; bool for logic and where's condition; the
 * operand's own for t.cast. Returns the dtype the kernel computes in. */
static DType operand_dtypes(const IrOp *op, const RtValue *args, DType result, DType *want)
{
    int n = op->noperands;
    unsigned flags = ir_op_info(op->opcode)->flags;
    if (op->opcode == IR_OP_CAST) {
        want[0] = args[0].dtype;
        return args[0].dtype;
    }
    if (flags & IR_COMPARE) {
        /* the lowering gives both operands one dtype; should they differ, a scalar of the same
         * kind as a tensor takes the tensor's, otherwise the wider one (bool < i32 < i64 < f32 <
         * f64, the enum's order) is compared in */
        DType a = args[0].dtype, b = args[1].dtype, d = a > b ? a : b;
        if (args[0].is_tensor != args[1].is_tensor && type_is_float(a) == type_is_float(b))
            d = args[0].is_tensor ? a : b;
        want[0] = want[1] = d;
        return d;
    }
    if ((flags & IR_LOGIC) || op->opcode == IR_OP_NOT) {
        for (int i = 0; i < n; i++)
            want[i] = DT_BOOL;
        return DT_BOOL;
    }
    for (int i = 0; i < n; i++)
        want[i] = result;
    if (op->opcode == IR_OP_WHERE)
        want[0] = DT_BOOL;
    return result;
}

/* "t.add: cannot broadcast f64[3] with f64[4]" */
static bool broadcast_error(const IrOp *op, const RtValue *args, int n, RtError *err)
{
    char a[96], b[96], c[128] = "";
    eval_describe(args[0], a, sizeof a);
    eval_describe(args[1], b, sizeof b);
    if (n > 2) {
        char third[96];
        eval_describe(args[2], third, sizeof third);
        snprintf(c, sizeof c, " and %s", third);
    }
    return rt_op_errorf(err, op, "%s: cannot broadcast %s with %s%s", eval_op_name(op), a, b, c);
}

/* Message for a kernel that refused an integer operand. */
static bool domain_error(const IrOp *op, RtError *err)
{
    if (op->opcode == IR_OP_POW)
        return rt_op_errorf(err, op, "t.pow: integer power with a negative exponent");
    if (op->opcode == IR_OP_MOD)
        return rt_op_errorf(err, op, "t.mod: integer modulo by zero");
    return rt_op_errorf(err, op, "%s: integer division by zero", eval_op_name(op));
}

/* Runs kernel k over the broadcast result shape: for every operand its element strides along the
 * result's dimensions (0 where it is broadcast), then merged dimensions, then one kernel call per
 * innermost row. */
static bool run_broadcast(EvalKernel k, int nin, const RtValue *in, const void *const *base,
                          int rank, const int64_t *shape, Tensor *out)
{
    int64_t stride[MAX_OPERANDS][TYPE_MAX_RANK];
    size_t elsize[MAX_OPERANDS];
    for (int i = 0; i < nin; i++) {
        elsize[i] = dtype_size(in[i].dtype);
        int r = in[i].is_tensor ? in[i].t->rank : 0;
        int64_t s = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int od = d - (rank - r); /* the operand's dimension aligned with d */
            if (od < 0 || in[i].t->shape[od] == 1) {
                stride[i][d] = 0;
            } else {
                stride[i][d] = s;
                s *= in[i].t->shape[od];
            }
        }
    }
    /* merge: drop size-1 dimensions, join a dimension into the one outside it when every operand
     * steps through both as through one */
    int nd = 0;
    int64_t dshape[TYPE_MAX_RANK], dstride[MAX_OPERANDS][TYPE_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        if (shape[d] == 1)
            continue;
        bool merge = nd > 0;
        for (int i = 0; i < nin && merge; i++)
            merge = dstride[i][nd - 1] == stride[i][d] * shape[d];
        if (merge) {
            dshape[nd - 1] *= shape[d];
            for (int i = 0; i < nin; i++)
                dstride[i][nd - 1] = stride[i][d];
        } else {
            dshape[nd] = shape[d];
            for (int i = 0; i < nin; i++)
                dstride[i][nd] = stride[i][d];
            nd++;
        }
    }
    if (nd == 0) {
        dshape[0] = 1;
        for (int i = 0; i < nin; i++)
            dstride[i][0] = 0;
        nd = 1;
    }
    if (out->numel == 0)
        return true;

    int64_t inner = dshape[nd - 1];
    int64_t inner_stride[MAX_OPERANDS];
    for (int i = 0; i < nin; i++)
        inner_stride[i] = dstride[i][nd - 1];
    size_t out_elsize = dtype_size(out->dtype);
    int64_t rows = out->numel / inner;
    int64_t index[TYPE_MAX_RANK] = {0}; /* position in the outer dimensions 0 .. nd-2 */
    int64_t offset[MAX_OPERANDS] = {0};
    const void *ptr[MAX_OPERANDS];
    for (int64_t row = 0; row < rows; row++) {
        for (int i = 0; i < nin; i++)
            ptr[i] = (const char *)base[i] + (size_t)offset[i] * elsize[i];
        if (!k(inner, (char *)out->data + (size_t)(row * inner) * out_elsize, ptr, inner_stride))
            return false;
        /* advance the odometer over the outer dimensions */
        for (int d = nd - 2; d >= 0; d--) {
            index[d]++;
            for (int i = 0; i < nin; i++)
                offset[i] += dstride[i][d];
            if (index[d] < dshape[d])
                break;
            for (int i = 0; i < nin; i++)
                offset[i] -= dstride[i][d] * dshape[d];
            index[d] = 0;
        }
    }
    return true;
}

/* Scalars only, of the kernel's dtypes: computed on the stack. */
static bool scalar_op(const IrOp *op, EvalKernel k, const RtValue *in, int n, DType result_dtype,
                      RtValue *result, RtError *err)
{
    EvalScalar scalar[MAX_OPERANDS], out;
    const void *base[MAX_OPERANDS];
    static const int64_t stride[MAX_OPERANDS] = {0};
    for (int i = 0; i < n; i++) {
        eval_scalar_store(in[i], &scalar[i]);
        base[i] = &scalar[i];
    }
    if (!k(1, &out, base, stride))
        return domain_error(op, err);
    *result = eval_scalar_load(result_dtype, &out);
    return true;
}

/* The operand named by the op's `inplace` attribute (passes/memplan.c sets it when that operand
 * dies at this op) when its buffer can hold the result: a tensor of the result's dtype and shape
 * that nobody else holds (one reference: the caller's slot). A new reference to it, or NULL. Each
 * result element is then written after the elements at its index are read, so the kernels may
 * overwrite their operand. */
static Tensor *reusable_operand(const IrOp *op, const RtValue *in, int n, DType dtype, int rank,
                                const int64_t *shape)
{
    int64_t k;
    if (!eval_attr_int(op, "inplace", &k) || k < 0 || k >= n || !in[k].is_tensor)
        return NULL;
    Tensor *t = in[k].t;
    if (!tensor_is_unique(t) || t->sparse || t->dtype != dtype || t->rank != rank)
        return NULL;
    for (int d = 0; d < rank; d++)
        if (t->shape[d] != shape[d])
            return NULL;
    return tensor_ref(t);
}

/* Operands with at least one tensor, of the kernel's dtypes: broadcast into a new tensor (or
 * into the operand the op may overwrite). */
static bool tensor_op(const IrOp *op, EvalKernel k, const RtValue *in, int n, DType result_dtype,
                      RtValue *result, RtError *err)
{
    EvalScalar scalar[MAX_OPERANDS];
    const void *base[MAX_OPERANDS];
    int rank = 0;
    int64_t shape[TYPE_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) {
        const Tensor *t = in[i].is_tensor ? in[i].t : NULL;
        if (t && t->sparse)
            return rt_op_errorf(err, op, "%s does not take a csr matrix", eval_op_name(op));
        if (!rt_broadcast_shapes(rank, shape, t ? t->rank : 0, t ? t->shape : NULL, &rank, shape))
            return broadcast_error(op, in, n, err);
        if (t) {
            base[i] = t->data;
        } else {
            eval_scalar_store(in[i], &scalar[i]);
            base[i] = &scalar[i];
        }
    }
    Tensor *t = reusable_operand(op, in, n, result_dtype, rank, shape);
    if (!t && !(t = eval_tensor_new(op, result_dtype, rank, shape, err)))
        return false;
    if (!run_broadcast(k, n, in, base, rank, shape, t)) {
        tensor_unref(t);
        return domain_error(op, err);
    }
    *result = rt_tensor(t);
    return true;
}

bool eval_elementwise(const IrOp *op, const RtValue *args, RtValue *result, RtError *err)
{
    int n = op->noperands;
    if (n < 1 || n > MAX_OPERANDS)
        return rt_op_errorf(err, op, "%s has %d operands", eval_op_name(op), n);
    DType result_dtype = eval_result_dtype(op, 0);
    DType want[MAX_OPERANDS];
    DType compute = operand_dtypes(op, args, result_dtype, want);
    EvalKernel k;
    if (op->opcode == IR_OP_CAST) {
        k = eval_cast_kernel(compute, result_dtype);
    } else {
        const EvalKernel *row = kernel_row(op->opcode);
        k = row && compute >= DT_BOOL && compute <= DT_F64 ? row[compute] : NULL;
    }
    if (!k)
        return rt_op_errorf(err, op, "%s does not take %s operands", eval_op_name(op),
                            type_dtype_name(compute));
    bool all_scalar = true, dtypes_match = true;
    for (int i = 0; i < n; i++) {
        all_scalar = all_scalar && !args[i].is_tensor;
        dtypes_match = dtypes_match && args[i].dtype == want[i];
    }
    if (dtypes_match)
        return all_scalar ? scalar_op(op, k, args, n, result_dtype, result, err)
                          : tensor_op(op, k, args, n, result_dtype, result, err);

    /* operands of another dtype than the op's (only malformed IR has them) are converted */
    RtValue in[MAX_OPERANDS] = {{0}};
    bool ok = true;
    for (int i = 0; i < n && ok; i++)
        ok = eval_convert(op, args[i], want[i], &in[i], err);
    if (ok)
        ok = all_scalar ? scalar_op(op, k, in, n, result_dtype, result, err)
                        : tensor_op(op, k, in, n, result_dtype, result, err);
    for (int i = 0; i < n; i++)
        rt_value_release(&in[i]);
    return ok;
}

bool rt_broadcast_shapes(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                         int64_t *out)
{
    int r = ra > rb ? ra : rb;
    if (r > TYPE_MAX_RANK)
        return false;
    int64_t result[TYPE_MAX_RANK];
    for (int d = 0; d < r; d++) {
        int da = d - (r - ra), db = d - (r - rb);
        int64_t x = da >= 0 ? a[da] : 1, y = db >= 0 ? b[db] : 1;
        if (x != y && x != 1 && y != 1)
            return false;
        result[d] = x == 1 ? y : x;
    }
    for (int d = 0; d < r; d++)
        out[d] = result[d];
    *rout = r;
    return true;
}
