/* eval_reduce.c: the reductions t.sum, t.mean, t.max, t.min, t.argmax, t.argmin, t.count_nonzero,
 * t.norm, t.logsumexp (over everything, or over the `axis` attribute) and t.softmax.
 *
 * An operand is seen as [outer, n, inner] around the reduced axis (everything: [1, numel, 1]).
 * When inner is 1 each result reduces one contiguous lane; otherwise the rows of each [n, inner]
 * block are combined into the inner results one after another, which keeps every loop
 * contiguous. Float sums follow NumPy's order exactly: a contiguous lane is summed pairwise
 * (blocks of up to 128 elements with 8 accumulators, halves above that) in buffers of 8192
 * elements added in turn; a strided reduction adds rows in order. So sum and mean give NumPy's
 * bits; f32 is summed in float as NumPy does.
 *
 * nan: max, min and softmax propagate it; argmax and argmin return the first nan (NumPy);
 * logsumexp is log(sum(exp(x - m))) + m with m the maximum, or 0 when that is not finite (SciPy).
 * Empty reductions: sum and count 0, mean nan, norm 0, logsumexp -inf; max, min, argmax and
 * argmin of nothing are errors. */
#include "executor/eval_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* NumPy's pairwise blocking and reduction buffer sizes (numpy/core/src/umath/loops_utils.h.src
 * PW_BLOCKSIZE, and the ufunc buffer size NPY_BUFSIZE). */
enum { PAIRWISE_BLOCK = 128, REDUCE_BUFFER = 8192 };

/* A contiguous lane reduced into one element of the result (out). */
typedef void (*LaneFn)(const void *x, int64_t n, void *out);
/* An [n, inner] block reduced over its rows into out[inner]; false when scratch memory ran out. */
typedef bool (*RowsFn)(const void *x, int64_t n, int64_t inner, void *out);

/* ---- floats ---- */

/* What the pairwise sums add up (m is logsumexp's shift). */
#define LOAD_PLAIN(v, m) (v)
#define LOAD_SQUARE(v, m) ((v) * (v))
/* The nan tests of argmax and argmin: floats have nans, integers and bool none. */
#define IS_NAN(v) ((v) != (v))
#define NEVER_NAN(v) ((void)(v), false)

/* NAME(x, n): the largest (CMP >) or smallest (CMP <) of n >= 1 floats, or a nan among them.
 * Four running extremes keep the loop free of a dependency chain through one; nans are only
 * flagged in the loop and looked for afterwards. */
#define LANE_EXTREME(NAME, T, CMP)                                                                 \
    static T NAME(const T *x, int64_t n)                                                           \
    {                                                                                              \
        T m[4] = {x[0], x[0], x[0], x[0]};                                                         \
        bool nan = x[0] != x[0];                                                                   \
        int64_t i = 1;                                                                             \
        for (; i + 4 <= n; i += 4)                                                                 \
            for (int j = 0; j < 4; j++) {                                                          \
                T v = x[i + j];                                                                    \
                nan |= v != v;                                                                     \
                m[j] = v CMP m[j] ? v : m[j];                                                      \
            }                                                                                      \
        for (; i < n; i++) {                                                                       \
            nan |= x[i] != x[i];                                                                   \
            m[0] = x[i] CMP m[0] ? x[i] : m[0];                                                    \
        }                                                                                          \
        if (nan)                                                                                   \
            for (i = 0; i < n; i++)                                                                \
                if (x[i] != x[i])                                                                  \
                    return x[i];                                                                   \
        for (int j = 1; j < 4; j++)                                                                \
            m[0] = m[j] CMP m[0] ? m[j] : m[0];                                                    \
        return m[0];                                                                               \
    }

/* NAME(x, n, inner, out): the extreme of each column of an [n, inner] block of floats (n >= 1),
 * nan where the column has one. */
#define ROWS_EXTREME(NAME, T, CMP)                                                                 \
    static bool NAME(const void *x, int64_t n, int64_t inner, void *out)                           \
    {                                                                                              \
        const T *a = x;                                                                            \
        T *o = out;                                                                                \
        bool nan = false;                                                                          \
        memcpy(o, a, (size_t)inner * sizeof(T));                                                   \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++) {                                                  \
                T v = a[i * inner + j];                                                            \
                nan |= v != v;                                                                     \
                o[j] = v CMP o[j] ? v : o[j];                                                      \
            }                                                                                      \
        if (nan)                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                for (int64_t j = 0; j < inner; j++)                                                \
                    if (a[i * inner + j] != a[i * inner + j])                                      \
                        o[j] = a[i * inner + j];                                                   \
        return true;                                                                               \
    }

#define FLOAT_REDUCTIONS(SFX, T, F)                                                                \
    /* NumPy's pairwise sum of LOAD(a[i]) over n elements (n <= REDUCE_BUFFER) */                  \
    PAIRWISE_SUM(pairwise_##SFX, T, LOAD_PLAIN)                                                    \
    PAIRWISE_SUM(pairwise_sq_##SFX, T, LOAD_SQUARE)                                                \
    PAIRWISE_SUM(pairwise_exp_##SFX, T, LOAD_EXP_##SFX)                                            \
    BUFFERED_SUM(sum_plain_##SFX, T, pairwise_##SFX)                                               \
    BUFFERED_SUM(sum_sq_##SFX, T, pairwise_sq_##SFX)                                               \
    BUFFERED_SUM(sum_exp_##SFX, T, pairwise_exp_##SFX)                                             \
    LANE_EXTREME(lane_max_value_##SFX, T, >)                                                       \
    LANE_EXTREME(lane_min_value_##SFX, T, <)                                                       \
    static void lane_sum_##SFX(const void *x, int64_t n, void *out)                                \
    {                                                                                              \
        *(T *)out = sum_plain_##SFX(x, n, 0);                                                      \
    }                                                                                              \
    static void lane_mean_##SFX(const void *x, int64_t n, void *out)                               \
    {                                                                                              \
        *(T *)out = (T)((double)sum_plain_##SFX(x, n, 0) / (double)n);                             \
    }                                                                                              \
    static void lane_norm_##SFX(const void *x, int64_t n, void *out)                               \
    {                                                                                              \
        *(T *)out = sqrt##F(sum_sq_##SFX(x, n, 0));                                                \
    }                                                                                              \
    static void lane_logsumexp_##SFX(const void *x, int64_t n, void *out)                          \
    {                                                                                              \
        if (n == 0) {                                                                              \
            *(T *)out = -(T)INFINITY;                                                              \
            return;                                                                                \
        }                                                                                          \
        T m = lane_max_value_##SFX(x, n);                                                          \
        if (!isfinite(m))                                                                          \
            m = 0;                                                                                 \
        *(T *)out = log##F(sum_exp_##SFX(x, n, m)) + m;                                            \
    }                                                                                              \
    static void lane_max_##SFX(const void *x, int64_t n, void *out)                                \
    {                                                                                              \
        *(T *)out = lane_max_value_##SFX(x, n);                                                    \
    }                                                                                              \
    static void lane_min_##SFX(const void *x, int64_t n, void *out)                                \
    {                                                                                              \
        *(T *)out = lane_min_value_##SFX(x, n);                                                    \
    }                                                                                              \
    /* the first nan, else the first extreme: two branch-free passes (a running best index         \
     * mispredicts on unordered data) */                                                           \
    static void lane_argmax_##SFX(const void *x, int64_t n, void *out)                             \
    {                                                                                              \
        const T *a = x;                                                                            \
        T m = n > 0 ? a[0] : 0;                                                                    \
        bool nan = false;                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                          \
            nan |= a[i] != a[i];                                                                   \
            m = a[i] > m ? a[i] : m;                                                               \
        }                                                                                          \
        int64_t best = 0;                                                                          \
        while (best < n - 1 && (nan ? a[best] == a[best] : a[best] != m))                          \
            best++;                                                                                \
        *(int64_t *)out = best;                                                                    \
    }                                                                                              \
    /* the first nan, else the first extreme: two branch-free passes (a running best index         \
     * mispredicts on unordered data) */                                                           \
    static void lane_argmin_##SFX(const void *x, int64_t n, void *out)                             \
    {                                                                                              \
        const T *a = x;                                                                            \
        T m = n > 0 ? a[0] : 0;                                                                    \
        bool nan = false;                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                          \
            nan |= a[i] != a[i];                                                                   \
            m = a[i] < m ? a[i] : m;                                                               \
        }                                                                                          \
        int64_t best = 0;                                                                          \
        while (best < n - 1 && (nan ? a[best] == a[best] : a[best] != m))                          \
            best++;                                                                                \
        *(int64_t *)out = best;                                                                    \
    }                                                                                              \
    static bool rows_sum_##SFX(const void *x, int64_t n, int64_t inner, void *out)                 \
    {                                                                                              \
        const T *a = x;                                                                            \
        T *o = out;                                                                                \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = 0;                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] += a[i * inner + j];                                                          \
        return true;                                                                               \
    }                                                                                              \
    static bool rows_mean_##SFX(const void *x, int64_t n, int64_t inner, void *out)                \
    {                                                                                              \
        T *o = out;                                                                                \
        rows_sum_##SFX(x, n, inner, out);                                                          \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = (T)((double)o[j] / (double)n);                                                  \
        return true;                                                                               \
    }                                                                                              \
    static bool rows_norm_##SFX(const void *x, int64_t n, int64_t inner, void *out)                \
    {                                                                                              \
        const T *a = x;                                                                            \
        T *o = out;                                                                                \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = 0;                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] += a[i * inner + j] * a[i * inner + j];                                       \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = sqrt##F(o[j]);                                                                  \
        return true;                                                                               \
    }                                                                                              \
    ROWS_EXTREME(rows_max_##SFX, T, >)                                                             \
    ROWS_EXTREME(rows_min_##SFX, T, <)                                                             \
    static bool rows_logsumexp_##SFX(const void *x, int64_t n, int64_t inner, void *out)           \
    {                                                                                              \
        const T *a = x;                                                                            \
        T *o = out;                                                                                \
        if (n == 0) {                                                                              \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] = -(T)INFINITY;                                                               \
            return true;                                                                           \
        }                                                                                          \
        T *m = malloc((size_t)inner * sizeof(T));                                                  \
        if (!m)                                                                                    \
            return false;                                                                          \
        rows_max_##SFX(x, n, inner, m);                                                            \
        for (int64_t j = 0; j < inner; j++) {                                                      \
            if (!isfinite(m[j]))                                                                   \
                m[j] = 0;                                                                          \
            o[j] = 0;                                                                              \
        }                                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] += exp##F(a[i * inner + j] - m[j]);                                           \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = log##F(o[j]) + m[j];                                                            \
        free(m);                                                                                   \
        return true;                                                                               \
    }                                                                                              \
    ARG_ROWS(rows_argmax_##SFX, T, >, IS_NAN)                                                      \
    ARG_ROWS(rows_argmin_##SFX, T, <, IS_NAN)                                                      \
    COUNT_FUNCTIONS(SFX, T)

/* NAME(a, n, m): the sum of LOAD(a[i], m) in NumPy's pairwise order; n <= REDUCE_BUFFER. */
#define PAIRWISE_SUM(NAME, T, LOAD)                                                                \
    static T NAME(const T *a, int64_t n, T m)                                                      \
    {                                                                                              \
        (void)m;                                                                                   \
        if (n < 8) {                                                                               \
            T res = 0;                                                                             \
            for (int64_t i = 0; i < n; i++)                                                        \
                res += LOAD(a[i], m);                                                              \
            return res;                                                                            \
        }                                                                                          \
        if (n <= PAIRWISE_BLOCK) {                                                                 \
            T r[8];                                                                                \
            for (int j = 0; j < 8; j++)                                                            \
                r[j] = LOAD(a[j], m);                                                              \
            int64_t i;                                                                             \
            for (i = 8; i < n - (n % 8); i += 8)                                                   \
                for (int j = 0; j < 8; j++)                                                        \
                    r[j] += LOAD(a[i + j], m);                                                     \
            T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));             \
            for (; i < n; i++)                                                                     \
                res += LOAD(a[i], m);                                                              \
            return res;                                                                            \
        }                                                                                          \
        int64_t half = n / 2;                                                                      \
        half -= half % 8;                                                                          \
        return NAME(a, half, m) + NAME(a + half, n - half, m);                                     \
    }

/* NAME(x, n, m): the pairwise sums of consecutive buffers of REDUCE_BUFFER elements, added in
 * order starting from 0 (NumPy's buffered reduction). */
#define BUFFERED_SUM(NAME, T, PAIRWISE)                                                            \
    static T NAME(const void *x, int64_t n, T m)                                                   \
    {                                                                                              \
        const T *a = x;                                                                            \
        T total = 0;                                                                               \
        for (int64_t start = 0; start < n; start += REDUCE_BUFFER) {                               \
            int64_t len = n - start < REDUCE_BUFFER ? n - start : REDUCE_BUFFER;                   \
            total += PAIRWISE(a + start, len, m);                                                  \
        }                                                                                          \
        return total;                                                                              \
    }

/* argmax (CMP >) / argmin (CMP <) over the rows of [n, inner]: the first extreme, or the first
 * element for which NAN_TEST holds. */
#define ARG_ROWS(NAME, T, CMP, NAN_TEST)                                                           \
    static bool NAME(const void *x, int64_t n, int64_t inner, void *out)                           \
    {                                                                                              \
        const T *a = x;                                                                            \
        int64_t *o = out;                                                                          \
        T *best = malloc((size_t)inner * sizeof(T));                                               \
        if (!best)                                                                                 \
            return false;                                                                          \
        memcpy(best, a, (size_t)inner * sizeof(T));                                                \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = 0;                                                                              \
        for (int64_t i = 1; i < n; i++) {                                                          \
            for (int64_t j = 0; j < inner; j++) {                                                  \
                T v = a[i * inner + j];                                                            \
                if (!NAN_TEST(best[j]) && (v CMP best[j] || NAN_TEST(v))) {                        \
                    best[j] = v;                                                                   \
                    o[j] = i;                                                                      \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        free(best);                                                                                \
        return true;                                                                               \
    }

#define COUNT_FUNCTIONS(SFX, T)                                                                    \
    static void lane_count_##SFX(const void *x, int64_t n, void *out)                              \
    {                                                                                              \
        const T *a = x;                                                                            \
        int64_t c = 0;                                                                             \
        for (int64_t i = 0; i < n; i++)                                                            \
            c += a[i] != 0;                                                                        \
        *(int64_t *)out = c;                                                                       \
    }                                                                                              \
    static bool rows_count_##SFX(const void *x, int64_t n, int64_t inner, void *out)               \
    {                                                                                              \
        const T *a = x;                                                                            \
        int64_t *o = out;                                                                          \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = 0;                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] += a[i * inner + j] != 0;                                                     \
        return true;                                                                               \
    }

#define LOAD_EXP_f32(v, m) expf((v) - (m))
#define LOAD_EXP_f64(v, m) exp((v) - (m))

FLOAT_REDUCTIONS(f32, float, f)
FLOAT_REDUCTIONS(f64, double, )

/* ---- integers (wrapping sums through the unsigned type U) and bool ---- */

#define INT_REDUCTIONS(SFX, T, U)                                                                  \
    static void lane_sum_##SFX(const void *x, int64_t n, void *out)                                \
    {                                                                                              \
        const T *a = x;                                                                            \
        U s = 0;                                                                                   \
        for (int64_t i = 0; i < n; i++)                                                            \
            s += (U)a[i];                                                                          \
        *(T *)out = (T)s;                                                                          \
    }                                                                                              \
    static bool rows_sum_##SFX(const void *x, int64_t n, int64_t inner, void *out)                 \
    {                                                                                              \
        const T *a = x;                                                                            \
        U *o = out;                                                                                \
        for (int64_t j = 0; j < inner; j++)                                                        \
            o[j] = 0;                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] += (U)a[i * inner + j];                                                       \
        return true;                                                                               \
    }                                                                                              \
    INT_EXTREMES(SFX, T)

/* max, min, argmax, argmin and count_nonzero of an integer or bool type */
#define INT_EXTREMES(SFX, T)                                                                       \
    static void lane_max_##SFX(const void *x, int64_t n, void *out)                                \
    {                                                                                              \
        const T *a = x;                                                                            \
        T m = a[0];                                                                                \
        for (int64_t i = 1; i < n; i++)                                                            \
            m = a[i] > m ? a[i] : m;                                                               \
        *(T *)out = m;                                                                             \
    }                                                                                              \
    static void lane_min_##SFX(const void *x, int64_t n, void *out)                                \
    {                                                                                              \
        const T *a = x;                                                                            \
        T m = a[0];                                                                                \
        for (int64_t i = 1; i < n; i++)                                                            \
            m = a[i] < m ? a[i] : m;                                                               \
        *(T *)out = m;                                                                             \
    }                                                                                              \
    static void lane_argmax_##SFX(const void *x, int64_t n, void *out)                             \
    {                                                                                              \
        const T *a = x;                                                                            \
        int64_t best = 0;                                                                          \
        for (int64_t i = 1; i < n; i++)                                                            \
            if (a[i] > a[best])                                                                    \
                best = i;                                                                          \
        *(int64_t *)out = best;                                                                    \
    }                                                                                              \
    static void lane_argmin_##SFX(const void *x, int64_t n, void *out)                             \
    {                                                                                              \
        const T *a = x;                                                                            \
        int64_t best = 0;                                                                          \
        for (int64_t i = 1; i < n; i++)                                                            \
            if (a[i] < a[best])                                                                    \
                best = i;                                                                          \
        *(int64_t *)out = best;                                                                    \
    }                                                                                              \
    static bool rows_max_##SFX(const void *x, int64_t n, int64_t inner, void *out)                 \
    {                                                                                              \
        const T *a = x;                                                                            \
        T *o = out;                                                                                \
        memcpy(o, a, (size_t)inner * sizeof(T));                                                   \
        for (int64_t i = 1; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] = a[i * inner + j] > o[j] ? a[i * inner + j] : o[j];                          \
        return true;                                                                               \
    }                                                                                              \
    static bool rows_min_##SFX(const void *x, int64_t n, int64_t inner, void *out)                 \
    {                                                                                              \
        const T *a = x;                                                                            \
        T *o = out;                                                                                \
        memcpy(o, a, (size_t)inner * sizeof(T));                                                   \
        for (int64_t i = 1; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                o[j] = a[i * inner + j] < o[j] ? a[i * inner + j] : o[j];                          \
        return true;                                                                               \
    }                                                                                              \
    ARG_ROWS(rows_argmax_##SFX, T, >, NEVER_NAN)                                                   \
    ARG_ROWS(rows_argmin_##SFX, T, <, NEVER_NAN)                                                   \
    COUNT_FUNCTIONS(SFX, T)

INT_REDUCTIONS(i32, int32_t, uint32_t)
INT_REDUCTIONS(i64, int64_t, uint64_t)
INT_EXTREMES(boolean, uint8_t)

/* ---- tables ---- */

typedef struct {
    LaneFn lane[DT_STR];
    RowsFn rows[DT_STR];
    bool needs_elements; /* an empty reduction is an error */
} Reduction;

#define FLOAT_ENTRY(OP)                                                                            \
    .lane = {[DT_F32] = lane_##OP##_f32, [DT_F64] = lane_##OP##_f64},                              \
    .rows = {[DT_F32] = rows_##OP##_f32, [DT_F64] = rows_##OP##_f64}
#define NUMERIC_ENTRY(OP)                                                                          \
    .lane = {[DT_I32] = lane_##OP##_i32,                                                           \
             [DT_I64] = lane_##OP##_i64,                                                           \
             [DT_F32] = lane_##OP##_f32,                                                           \
             [DT_F64] = lane_##OP##_f64},                                                          \
    .rows = {[DT_I32] = rows_##OP##_i32,                                                           \
             [DT_I64] = rows_##OP##_i64,                                                           \
             [DT_F32] = rows_##OP##_f32,                                                           \
             [DT_F64] = rows_##OP##_f64}
#define ALL_ENTRY(OP)                                                                              \
    .lane = {[DT_BOOL] = lane_##OP##_boolean,                                                      \
             [DT_I32] = lane_##OP##_i32,                                                           \
             [DT_I64] = lane_##OP##_i64,                                                           \
             [DT_F32] = lane_##OP##_f32,                                                           \
             [DT_F64] = lane_##OP##_f64},                                                          \
    .rows = {[DT_BOOL] = rows_##OP##_boolean,                                                      \
             [DT_I32] = rows_##OP##_i32,                                                           \
             [DT_I64] = rows_##OP##_i64,                                                           \
             [DT_F32] = rows_##OP##_f32,                                                           \
             [DT_F64] = rows_##OP##_f64}

static const Reduction sum_reduction = {NUMERIC_ENTRY(sum)}, mean_reduction = {FLOAT_ENTRY(mean)},
                       max_reduction = {ALL_ENTRY(max), .needs_elements = true},
                       min_reduction = {ALL_ENTRY(min), .needs_elements = true},
                       argmax_reduction = {ALL_ENTRY(argmax), .needs_elements = true},
                       argmin_reduction = {ALL_ENTRY(argmin), .needs_elements = true},
                       count_reduction = {ALL_ENTRY(count)}, norm_reduction = {FLOAT_ENTRY(norm)},
                       logsumexp_reduction = {FLOAT_ENTRY(logsumexp)};

static const Reduction *reduction_of(IrOpcode op)
{
    switch (op) {
    case IR_OP_SUM:
        return &sum_reduction;
    case IR_OP_MEAN:
        return &mean_reduction;
    case IR_OP_MAX:
        return &max_reduction;
    case IR_OP_MIN:
        return &min_reduction;
    case IR_OP_ARGMAX:
        return &argmax_reduction;
    case IR_OP_ARGMIN:
        return &argmin_reduction;
    case IR_OP_COUNT_NONZERO:
        return &count_reduction;
    case IR_OP_NORM:
        return &norm_reduction;
    case IR_OP_LOGSUMEXP:
        return &logsumexp_reduction;
    default:
        return NULL;
    }
}

/* ---- the driver ---- */

/* A dense operand seen as elements and a shape; a scalar as one element of shape [1]. */
typedef struct {
    const void *data;
    DType dtype;
    int rank;
    int64_t shape[TYPE_MAX_RANK];
    EvalScalar scalar;
} Operand;

/* Fills o from v (which stays owned by the caller); false for a csr matrix. */
static bool operand_view(const IrOp *op, const RtValue *v, Operand *o, RtError *err)
{
    o->dtype = v->dtype;
    if (!v->is_tensor) {
        eval_scalar_store(*v, &o->scalar);
        o->data = &o->scalar;
        o->rank = 1;
        o->shape[0] = 1;
        return true;
    }
    if (v->t->sparse)
        return rt_op_errorf(err, op, "%s does not take a csr matrix", eval_op_name(op));
    o->data = v->t->data;
    o->rank = v->t->rank;
    memcpy(o->shape, v->t->shape, sizeof o->shape);
    return true;
}

/* The reduced axis from the `axis` attribute (-1: everything, or softmax's default last axis);
 * sets outer, n and inner around it. */
static bool split_axis(const IrOp *op, const Operand *x, int64_t axis, int64_t *outer, int64_t *n,
                       int64_t *inner, RtError *err)
{
    if (axis < 0) {
        *outer = 1;
        *n = eval_numel(x->rank, x->shape);
        *inner = 1;
        return true;
    }
    if (axis >= x->rank)
        return rt_op_errorf(err, op, "%s: axis %lld is out of range for a rank-%d operand",
                            eval_op_name(op), (long long)axis, x->rank);
    *outer = eval_numel((int)axis, x->shape);
    *n = x->shape[axis];
    *inner = eval_numel(x->rank - (int)axis - 1, x->shape + axis + 1);
    return true;
}

/* Runs reduction r over x into result. */
static bool reduce(const IrOp *op, const Reduction *r, const Operand *x, bool is_scalar,
                   RtValue *result, RtError *err)
{
    DType result_dtype = eval_result_dtype(op, 0);
    LaneFn lane = r->lane[x->dtype];
    RowsFn rows = r->rows[x->dtype];
    if (!lane || !rows)
        return rt_op_errorf(err, op, "%s does not take %s operands", eval_op_name(op),
                            type_dtype_name(x->dtype));
    int64_t axis = -1;
    if (eval_attr_int(op, "axis", &axis) && axis < 0)
        return rt_op_errorf(err, op, "%s: axis %lld is out of range", eval_op_name(op),
                            (long long)axis);
    if (is_scalar)
        axis = -1;
    int64_t outer = 0, n = 0, inner = 0;
    if (!split_axis(op, x, axis, &outer, &n, &inner, err))
        return false;
    if (n == 0 && r->needs_elements)
        return rt_op_errorf(err, op, "%s of an empty tensor (its reduced dimension has size 0)",
                            eval_op_name(op));
    int out_rank = axis < 0 ? 0 : x->rank - 1;
    if (out_rank == 0) {
        EvalScalar out;
        lane(x->data, n, &out);
        *result = eval_scalar_load(result_dtype, &out);
        return true;
    }
    int64_t shape[TYPE_MAX_RANK];
    for (int d = 0, k = 0; d < x->rank; d++)
        if (d != axis)
            shape[k++] = x->shape[d];
    Tensor *t = eval_tensor_new(op, result_dtype, out_rank, shape, err);
    if (!t)
        return false;
    size_t in_size = dtype_size(x->dtype), out_size = dtype_size(result_dtype);
    for (int64_t o = 0; o < outer && t->numel > 0; o++) {
        const char *block = (const char *)x->data + (size_t)(o * n * inner) * in_size;
        char *dst = (char *)t->data + (size_t)(o * inner) * out_size;
        if (inner == 1) {
            lane(block, n, dst);
        } else if (!rows(block, n, inner, dst)) {
            tensor_unref(t);
            return rt_op_errorf(err, op, "out of memory in %s", eval_op_name(op));
        }
    }
    *result = rt_tensor(t);
    return true;
}

bool eval_reduction(const IrOp *op, const RtValue *args, RtValue *result, RtError *err)
{
    const Reduction *r = reduction_of(op->opcode);
    if (!r || op->noperands != 1)
        return rt_op_errorf(err, op, "%s is not a reduction of one operand", eval_op_name(op));
    /* index results (argmax, argmin, count_nonzero) read the operand as it is; the others
     * compute in their result's dtype */
    bool index_result = ir_op_has_flag(op->opcode, IR_INDEX_RESULT);
    if (index_result && eval_result_dtype(op, 0) != DT_I64)
        return rt_op_errorf(err, op, "%s gives i64, not %s", eval_op_name(op),
                            type_dtype_name(eval_result_dtype(op, 0)));
    RtValue x;
    DType want = index_result ? args[0].dtype : eval_result_dtype(op, 0);
    if (!eval_convert(op, args[0], want, &x, err))
        return false;
    Operand view;
    bool ok = operand_view(op, &x, &view, err) && reduce(op, r, &view, !x.is_tensor, result, err);
    rt_value_release(&x);
    return ok;
}

/* ---- softmax ---- */

#define SOFTMAX_FUNCTIONS(SFX, T, F)                                                               \
    /* out = exp(x - max) / sum over a contiguous lane */                                          \
    static void softmax_lane_##SFX(const T *x, int64_t n, T *out)                                  \
    {                                                                                              \
        if (n == 0)                                                                                \
            return;                                                                                \
        T m = lane_max_value_##SFX(x, n);                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            out[i] = exp##F(x[i] - m);                                                             \
        T s = sum_plain_##SFX(out, n, 0);                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            out[i] /= s;                                                                           \
    }                                                                                              \
    /* the same along the rows of an [n, inner] block; scratch holds inner elements */             \
    static void softmax_rows_##SFX(const T *x, int64_t n, int64_t inner, T *out, T *scratch)       \
    {                                                                                              \
        if (n == 0)                                                                                \
            return;                                                                                \
        rows_max_##SFX(x, n, inner, scratch);                                                      \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                out[i * inner + j] = exp##F(x[i * inner + j] - scratch[j]);                        \
        rows_sum_##SFX(out, n, inner, scratch);                                                    \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int64_t j = 0; j < inner; j++)                                                    \
                out[i * inner + j] /= scratch[j];                                                  \
    }

SOFTMAX_FUNCTIONS(f32, float, f)
SOFTMAX_FUNCTIONS(f64, double, )

bool eval_softmax(const IrOp *op, const RtValue *args, RtValue *result, RtError *err)
{
    if (op->noperands != 1)
        return rt_op_errorf(err, op, "t.softmax takes one operand");
    DType dtype = eval_result_dtype(op, 0);
    if (dtype != DT_F32 && dtype != DT_F64)
        return rt_op_errorf(err, op, "t.softmax computes in f32 or f64, not %s",
                            type_dtype_name(dtype));
    RtValue x;
    if (!eval_convert(op, args[0], dtype, &x, err))
        return false;
    Operand view;
    if (!operand_view(op, &x, &view, err)) {
        rt_value_release(&x);
        return false;
    }
    /* default: the last axis */
    int64_t axis = view.rank - 1;
    eval_attr_int(op, "axis", &axis);
    int64_t outer = 0, n = 0, inner = 0;
    bool ok =
        axis >= 0 || rt_op_errorf(err, op, "t.softmax: axis %lld is out of range", (long long)axis);
    ok = ok && split_axis(op, &view, axis, &outer, &n, &inner, err);
    Tensor *t = NULL;
    EvalScalar scalar_out;
    void *out = &scalar_out, *scratch = NULL;
    if (ok && x.is_tensor) {
        t = eval_tensor_new(op, dtype, view.rank, view.shape, err);
        ok = t != NULL;
        out = t ? t->data : NULL;
    }
    if (ok && inner > 1 && !(scratch = malloc((size_t)inner * dtype_size(dtype))))
        ok = rt_op_errorf(err, op, "out of memory in t.softmax");
    size_t el = dtype_size(dtype);
    for (int64_t o = 0; ok && n > 0 && inner > 0 && o < outer; o++) {
        const char *src = (const char *)view.data + (size_t)(o * n * inner) * el;
        char *dst = (char *)out + (size_t)(o * n * inner) * el;
        if (dtype == DT_F32 && inner == 1)
            softmax_lane_f32((const float *)src, n, (float *)dst);
        else if (dtype == DT_F32)
            softmax_rows_f32((const float *)src, n, inner, (float *)dst, scratch);
        else if (inner == 1)
            softmax_lane_f64((const double *)src, n, (double *)dst);
        else
            softmax_rows_f64((const double *)src, n, inner, (double *)dst, scratch);
    }
    free(scratch);
    if (ok)
        *result = t ? rt_tensor(t) : eval_scalar_load(dtype, &scalar_out);
    else
        tensor_unref(t);
    rt_value_release(&x);
    return ok;
}
