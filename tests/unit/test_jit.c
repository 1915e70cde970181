/* test_jit.c: LLVM kernels of k.fused ops (codegen/): every elementwise op family, cast and
 * reduction, every input and output pattern, against values computed here by straightforward C
 * (exact for arithmetic, within 4 ulp of libm for exp, log, log1p, tanh, sigmoid), on sizes that
 * are not multiples of any vector width; --target-cpu; unsupported groups; jit_emit. The k.fused
 * ops are written by hand as IR text (the fuse pass is not involved). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "codegen/jit.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- building modules of k.fused ops from text ---- */

/* IR text of a module: each group adds its operands' definitions and one k.fused op. */
typedef struct {
    Buf text;
    int groups;
} ModuleText;

/* Appends a k.fused op over operands of the given types (tensors from io.load, scalars from
 * cfg.get); `body` uses %a0, %a1, ... for the operands and ends with its ir.yield; `results` is
 * the result type, or "(T1, T2)" for nresults > 1. The op gets the location t.dml:LINE:1 when
 * line > 0. */
static void add_group(ModuleText *mt, const char *const *types, int n, const char *body,
                      int nresults, const char *results, int line)
{
    int g = mt->groups++;
    Buf *b = &mt->text;
    for (int i = 0; i < n; i++) {
        if (strchr(types[i], '['))
            buf_printf(b, "%%g%dv%d = \"io.load\"() {path = \"x.npy\"} : () -> %s\n", g, i,
                       types[i]);
        else
            buf_printf(b, "%%g%dv%d = \"cfg.get\"() {sym = @c} : () -> %s\n", g, i, types[i]);
    }
    for (int r = 0; r < nresults; r++)
        buf_printf(b, "%s%%g%dr%d", r ? ", " : "", g, r);
    buf_printf(b, " = \"k.fused\"(");
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%%g%dv%d", i ? ", " : "", g, i);
    buf_printf(b, ") ({\n^bb0(");
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%%a%d: %s", i ? ", " : "", i, types[i]);
    buf_printf(b, "):\n%s\n}) : (", body);
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s%s", i ? ", " : "", types[i]);
    buf_printf(b, ") -> %s", results);
    if (line > 0)
        buf_printf(b, " loc(\"t.dml\":%d:1)", line);
    buf_putc(b, '\n');
}

/* A group applying one op to all its operands: %b = "OP"(%a0, ...) and yield %b. */
static void add_one_op_group(ModuleText *mt, const char *op, const char *const *types, int n,
                             const char *result)
{
    Buf body = {0};
    buf_printf(&body, "  %%b = \"%s\"(", op);
    for (int i = 0; i < n; i++)
        buf_printf(&body, "%s%%a%d", i ? ", " : "", i);
    buf_printf(&body, ") : (");
    for (int i = 0; i < n; i++)
        buf_printf(&body, "%s%s", i ? ", " : "", types[i]);
    buf_printf(&body, ") -> %s\n  \"ir.yield\"(%%b) : (%s) -> ()", result, result);
    add_group(mt, types, n, buf_cstr(&body), 1, result, 0);
    buf_free(&body);
}

/* A module read from text and compiled by a JIT session. */
typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    IrModule *module;
    Jit *jit;
    const IrOp *fused[64]; /* the top-level k.fused ops, in order */
    int nfused;
} Compiled;

/* Reads IR text (asserting that it reads) and finds its top-level k.fused ops. */
static Compiled *read_module(const char *text)
{
    Compiled *c = calloc(1, sizeof *c);
    src_from_text(&c->file, "t.ir", text, strlen(text));
    arena_init(&c->arena);
    diag_init(&c->diags, &c->file);
    c->module = ir_read(&c->file, &c->arena, &c->diags);
    Buf rendered = {0};
    diag_render(&c->diags, &rendered);
    cr_assert_not_null(c->module, "the test's IR does not read:\n%s\n%s", buf_cstr(&rendered),
                       text);
    buf_free(&rendered);
    for (const IrOp *o = c->module->body->first; o; o = o->next)
        if (o->opcode == IR_OP_K_FUSED && c->nfused < 64)
            c->fused[c->nfused++] = o;
    return c;
}

/* Reads and compiles; the session uses options (NULL: the host CPU). */
static Compiled *compile_module(const char *text, const JitOptions *options)
{
    Compiled *c = read_module(text);
    RtError err = {0};
    c->jit = jit_new(options, &err);
    cr_assert_not_null(c->jit, "jit_new: %s", err.message);
    cr_assert(jit_compile_module(c->jit, c->module, &err), "jit_compile_module: %s", err.message);
    return c;
}

/* Compiles a built module text for the host and frees the text. */
static Compiled *compile_text(ModuleText *mt)
{
    Compiled *c = compile_module(buf_cstr(&mt->text), NULL);
    buf_free(&mt->text);
    return c;
}

/* Frees the session, the module and its source. */
static void compiled_free(Compiled *c)
{
    jit_free(c->jit);
    diag_free(&c->diags);
    arena_free(&c->arena);
    src_free(&c->file);
    free(c);
}

/* The kernel of the i-th k.fused op (which must have been compiled). */
static const JitKernel *kernel(const Compiled *c, int i)
{
    cr_assert_lt(i, c->nfused);
    const JitKernel *k = jit_kernel(c->jit, c->fused[i]);
    cr_assert_not_null(k, "k.fused op %d was not compiled", i);
    cr_assert_eq(k->op, c->fused[i]);
    return k;
}

/* ---- typed arrays ---- */

typedef struct {
    DType dtype;
    int64_t n;
    void *data; /* never NULL, so that n == 0 still passes a real pointer */
} Array;

/* Bytes per element in memory. */
static size_t elem_size(DType t)
{
    return t == DT_BOOL ? 1 : (t == DT_I32 || t == DT_F32) ? 4 : 8;
}

/* A zeroed array of n elements. */
static Array array_new(DType t, int64_t n)
{
    Array a = {t, n, calloc((size_t)(n > 0 ? n : 1), elem_size(t))};
    cr_assert_not_null(a.data);
    return a;
}

/* Frees the elements. */
static void array_free(Array *a)
{
    free(a->data);
    a->data = NULL;
}

/* Element i of a float array. */
static double get_f(const Array *a, int64_t i)
{
    switch (a->dtype) {
    case DT_F32:
        return ((float *)a->data)[i];
    case DT_F64:
        return ((double *)a->data)[i];
    default:
        cr_assert_fail("get_f on an integer array");
        return 0;
    }
}

/* Element i of an integer or bool array. */
static int64_t get_i(const Array *a, int64_t i)
{
    switch (a->dtype) {
    case DT_BOOL:
        return ((uint8_t *)a->data)[i];
    case DT_I32:
        return ((int32_t *)a->data)[i];
    case DT_I64:
        return ((int64_t *)a->data)[i];
    default:
        cr_assert_fail("get_i on a float array");
        return 0;
    }
}

/* Sets element i of a float array (rounded to f32 where it is one). */
static void set_f(Array *a, int64_t i, double v)
{
    if (a->dtype == DT_F32)
        ((float *)a->data)[i] = (float)v;
    else
        ((double *)a->data)[i] = v;
}

/* Sets element i of an integer or bool array (wrapped to i32, bool as 0 / 1). */
static void set_i(Array *a, int64_t i, int64_t v)
{
    if (a->dtype == DT_BOOL)
        ((uint8_t *)a->data)[i] = (uint8_t)(v != 0);
    else if (a->dtype == DT_I32)
        ((int32_t *)a->data)[i] = (int32_t)v;
    else
        ((int64_t *)a->data)[i] = v;
}

/* f32 or f64. */
static bool is_float(DType t)
{
    return t == DT_F32 || t == DT_F64;
}

/* xorshift64: deterministic test data. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Values that exercise the edge cases of float ops: zeros, halves (rounding), infinities, nan,
 * subnormals, extremes. */
static const double float_specials[] = {
    0.0,       -0.0, 1.0,   -1.0,   0.5,    -0.5, 1.5,   2.5,   -2.5, 3.0,  -7.0, INFINITY,
    -INFINITY, NAN,  1e-40, -3e-42, 1e-310, 3e38, -3e38, 1e300, 0.1,  -0.3, 2.0,  -1e-7,
};
static const int64_t int_specials[] = {
    0, 1, -1, 2, -2, 3, 7, -7, 100, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 1 << 20,
};

enum {
    NFLOAT_SPECIALS = sizeof float_specials / sizeof float_specials[0],
    NINT_SPECIALS = sizeof int_specials / sizeof int_specials[0],
};

/* Fills a with special values (rotated by `shift`, so two arrays pair them differently) then
 * pseudo-random ones: floats of magnitude 2^-12 .. 2^12 with either sign, integers of full range
 * or small. */
static void fill(Array *a, uint64_t seed, int shift)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (int64_t i = 0; i < a->n; i++) {
        uint64_t r = next_random(&s);
        if (is_float(a->dtype)) {
            double v = i < 3 * NFLOAT_SPECIALS
                           ? float_specials[(i * (shift + 1) + shift) % NFLOAT_SPECIALS]
                           : ldexp((double)(r >> 11) / 9007199254740992.0 + 0.5,
                                   (int)((r >> 3) % 25) - 12) *
                                 ((r & 1) ? -1 : 1);
            set_f(a, i, v);
        } else if (a->dtype == DT_BOOL) {
            set_i(a, i, (int64_t)((r >> 7) & 1));
        } else {
            int64_t v = i < 3 * NINT_SPECIALS
                            ? int_specials[(i * (shift + 1) + shift) % NINT_SPECIALS]
                            : ((r & 4) ? (int64_t)(r >> 8) % 1000 : (int64_t)r);
            set_i(a, i, v);
        }
    }
}

/* Float results compare by bits (so -0 differs from +0); any nan equals any nan. */
static bool same_float(double got, double want)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want);
    return got == want && signbit(got) == signbit(want);
}

/* Rounds a double result to the dtype (f32 math done in double then rounded gives the float
 * result for + - * / sqrt). */
static double rnd(DType t, double v)
{
    return t == DT_F32 ? (double)(float)v : v;
}

/* Integer results wrap to the dtype. */
static int64_t wrap(DType t, uint64_t v)
{
    return t == DT_I32 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

static const int64_t sizes[] = {0, 1, 7, 1000, 4097};
enum { NSIZES = sizeof sizes / sizeof sizes[0] };

/* "f32", "i64", ... */
static const char *dtype_name(DType t)
{
    return type_dtype_name(t);
}

/* ---- the reference: NumPy's semantics written out in C ---- */

/* The C reference's maximum and minimum: nan propagates, ties (-0, +0) give the first operand
 * (NumPy leaves the sign of a zero tie unspecified). */
static double c_maximum(double a, double b)
{
    return isnan(a) ? a : (b > a || isnan(b)) ? b : a;
}

/* The minimum counterpart of c_maximum. */
static double c_minimum(double a, double b)
{
    return isnan(a) ? a : (b < a || isnan(b)) ? b : a;
}

/* sign(x): nan for nan, +0 for either zero. */
static double np_sign(double x)
{
    return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x;
}

/* Python's a % b: the result has b's sign. */
static double py_mod(double a, double b)
{
    double m = fmod(a, b);
    if (m != 0) {
        if ((m < 0) != (b < 0))
            m += b;
    } else {
        m = copysign(0.0, b);
    }
    return m;
}

/* The C reference of a unary float op, in dtype t. */
static double ref_float_unary(const char *op, DType t, double x)
{
    if (strcmp(op, "t.neg") == 0)
        return -x;
    if (strcmp(op, "t.abs") == 0)
        return fabs(x);
    if (strcmp(op, "t.relu") == 0)
        return x > 0 || isnan(x) ? x : 0.0;
    if (strcmp(op, "t.sign") == 0)
        return np_sign(x);
    if (strcmp(op, "t.floor") == 0)
        return floor(x);
    if (strcmp(op, "t.ceil") == 0)
        return ceil(x);
    if (strcmp(op, "t.round") == 0)
        return nearbyint(x); /* the default rounding mode: half to even */
    if (strcmp(op, "t.sqrt") == 0)
        return rnd(t, sqrt(x));
    cr_assert_fail("no reference for %s", op);
    return 0;
}

/* The C reference of a binary float op, in dtype t. */
static double ref_float_binary(const char *op, DType t, double a, double b)
{
    if (strcmp(op, "t.add") == 0)
        return rnd(t, a + b);
    if (strcmp(op, "t.sub") == 0)
        return rnd(t, a - b);
    if (strcmp(op, "t.mul") == 0)
        return rnd(t, a * b);
    if (strcmp(op, "t.div") == 0)
        return rnd(t, a / b);
    if (strcmp(op, "t.mod") == 0)
        return rnd(t, py_mod(a, b));
    if (strcmp(op, "t.pow") == 0)
        return t == DT_F32 ? powf((float)a, (float)b) : pow(a, b);
    if (strcmp(op, "t.minimum") == 0)
        return c_minimum(a, b);
    if (strcmp(op, "t.maximum") == 0)
        return c_maximum(a, b);
    if (strcmp(op, "t.soft_threshold") == 0)
        return rnd(t, np_sign(a) * c_maximum(rnd(t, fabs(a) - b), 0.0));
    cr_assert_fail("no reference for %s", op);
    return 0;
}

/* The C reference of a unary integer op, wrapping to dtype t. */
static int64_t ref_int_unary(const char *op, DType t, int64_t x)
{
    if (strcmp(op, "t.neg") == 0)
        return wrap(t, 0 - (uint64_t)x);
    if (strcmp(op, "t.abs") == 0)
        return x < 0 ? wrap(t, 0 - (uint64_t)x) : x;
    if (strcmp(op, "t.relu") == 0)
        return x > 0 ? x : 0;
    if (strcmp(op, "t.sign") == 0)
        return (x > 0) - (x < 0);
    return x; /* floor, ceil, round */
}

/* The C reference of a binary integer op, wrapping to dtype t. */
static int64_t ref_int_binary(const char *op, DType t, int64_t a, int64_t b)
{
    if (strcmp(op, "t.add") == 0)
        return wrap(t, (uint64_t)a + (uint64_t)b);
    if (strcmp(op, "t.sub") == 0)
        return wrap(t, (uint64_t)a - (uint64_t)b);
    if (strcmp(op, "t.mul") == 0)
        return wrap(t, (uint64_t)a * (uint64_t)b);
    if (strcmp(op, "t.minimum") == 0)
        return a < b ? a : b;
    if (strcmp(op, "t.maximum") == 0)
        return a > b ? a : b;
    if (strcmp(op, "t.soft_threshold") == 0) {
        int64_t shrunk = wrap(t, (uint64_t)ref_int_unary("t.abs", t, a) - (uint64_t)b);
        return wrap(t, (uint64_t)((a > 0) - (a < 0)) * (uint64_t)(shrunk > 0 ? shrunk : 0));
    }
    cr_assert_fail("no reference for %s", op);
    return 0;
}

/* A comparison of floats (C's operators: ordered, except != which is true for nan). */
static bool ref_compare(const char *op, double a, double b)
{
    if (strcmp(op, "t.eq") == 0)
        return a == b;
    if (strcmp(op, "t.ne") == 0)
        return a != b;
    if (strcmp(op, "t.lt") == 0)
        return a < b;
    if (strcmp(op, "t.le") == 0)
        return a <= b;
    if (strcmp(op, "t.gt") == 0)
        return a > b;
    return a >= b;
}

/* A comparison of integers (or bools). */
static bool ref_int_compare(const char *op, int64_t a, int64_t b)
{
    if (strcmp(op, "t.eq") == 0)
        return a == b;
    if (strcmp(op, "t.ne") == 0)
        return a != b;
    if (strcmp(op, "t.lt") == 0)
        return a < b;
    if (strcmp(op, "t.le") == 0)
        return a <= b;
    if (strcmp(op, "t.gt") == 0)
        return a > b;
    return a >= b;
}

/* NumPy's float-to-integer cast on x86: truncation, the integer minimum when out of range. */
static int64_t ref_float_to_int(double x, DType to)
{
    double limit = to == DT_I32 ? 2147483648.0 : 9223372036854775808.0;
    if (!(x >= -limit && x < limit))
        return to == DT_I32 ? INT32_MIN : INT64_MIN;
    return (int64_t)x;
}

/* ---- running kernels ---- */

/* Runs a kernel with one result over operands (tensors in bufs, scalars in slots). */
static void run(const JitKernel *k, int64_t outer, int64_t inner, Array *result,
                Array *const *tensors, int ntensors, const uint64_t *scalars)
{
    void *bufs[16];
    int n = 0;
    bufs[n++] = result->data;
    for (int i = 0; i < ntensors; i++)
        bufs[n++] = tensors[i]->data;
    k->fn(outer, inner, bufs, scalars);
}

/* The scalar slot of a float scalar: the bits of a double. */
static uint64_t f64_slot(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

/* ---- elementwise ops, exactly ---- */

static const char *const float_binary_ops[] = {
    "t.add",     "t.sub",     "t.mul",
    "t.div",     "t.mod",     "t.pow",
    "t.minimum", "t.maximum", "t.soft_threshold",
};
static const char *const float_unary_ops[] = {
    "t.neg", "t.abs", "t.relu", "t.sign", "t.floor", "t.ceil", "t.round", "t.sqrt",
};
static const char *const int_binary_ops[] = {
    "t.add", "t.sub", "t.mul", "t.minimum", "t.maximum", "t.soft_threshold",
};
static const char *const int_unary_ops[] = {
    "t.neg", "t.abs", "t.relu", "t.sign", "t.floor", "t.ceil", "t.round",
};
static const char *const compare_ops[] = {"t.eq", "t.ne", "t.lt", "t.le", "t.gt", "t.ge"};

enum {
    NFLOAT_BINARY = sizeof float_binary_ops / sizeof float_binary_ops[0],
    NFLOAT_UNARY = sizeof float_unary_ops / sizeof float_unary_ops[0],
    NINT_BINARY = sizeof int_binary_ops / sizeof int_binary_ops[0],
    NINT_UNARY = sizeof int_unary_ops / sizeof int_unary_ops[0],
    NCOMPARE = sizeof compare_ops / sizeof compare_ops[0],
};

/* One module with a group per op (unary or binary) over t[n]; every size; exact results. */
static void check_ops(DType t, const char *const *ops, int nops, int arity)
{
    char type[32];
    snprintf(type, sizeof type, "%s[n]", dtype_name(t));
    const char *types[] = {type, type};
    ModuleText mt = {0};
    for (int i = 0; i < nops; i++)
        add_one_op_group(&mt, ops[i], types, arity, type);
    Compiled *c = compile_text(&mt);
    cr_assert_eq(jit_kernel_count(c->jit), nops);
    for (int s = 0; s < NSIZES; s++) {
        int64_t n = sizes[s];
        Array a = array_new(t, n), b = array_new(t, n), out = array_new(t, n);
        fill(&a, 1, 0);
        fill(&b, 2, 1);
        Array *in[] = {&a, &b};
        for (int o = 0; o < nops; o++) {
            run(kernel(c, o), 1, n, &out, in, arity, NULL);
            for (int64_t i = 0; i < n; i++) {
                if (is_float(t)) {
                    double x = get_f(&a, i), y = get_f(&b, i);
                    double want = arity == 1 ? ref_float_unary(ops[o], t, x)
                                             : ref_float_binary(ops[o], t, x, y);
                    double got = get_f(&out, i);
                    cr_assert(same_float(got, want),
                              "%s %s n=%lld [%lld]: (%a, %a) gave %a, want %a", ops[o],
                              dtype_name(t), (long long)n, (long long)i, x, y, got, want);
                } else {
                    int64_t x = get_i(&a, i), y = get_i(&b, i);
                    int64_t want =
                        arity == 1 ? ref_int_unary(ops[o], t, x) : ref_int_binary(ops[o], t, x, y);
                    cr_assert_eq(get_i(&out, i), want,
                                 "%s %s n=%lld [%lld]: (%lld, %lld) gave %lld", ops[o],
                                 dtype_name(t), (long long)n, (long long)i, (long long)x,
                                 (long long)y, (long long)get_i(&out, i));
                }
            }
        }
        array_free(&a);
        array_free(&b);
        array_free(&out);
    }
    compiled_free(c);
}

/* add sub mul div mod pow minimum maximum soft_threshold, f32 and f64, bit for bit. */
Test(jit, float_binary_ops_match_c_exactly)
{
    check_ops(DT_F32, float_binary_ops, NFLOAT_BINARY, 2);
    check_ops(DT_F64, float_binary_ops, NFLOAT_BINARY, 2);
}

/* neg abs relu sign floor ceil round sqrt, f32 and f64, bit for bit. */
Test(jit, float_unary_ops_match_c_exactly)
{
    check_ops(DT_F32, float_unary_ops, NFLOAT_UNARY, 1);
    check_ops(DT_F64, float_unary_ops, NFLOAT_UNARY, 1);
}

/* i32 and i64 arithmetic wraps; floor, ceil, round are the identity. */
Test(jit, integer_ops_wrap_like_c)
{
    check_ops(DT_I32, int_binary_ops, NINT_BINARY, 2);
    check_ops(DT_I64, int_binary_ops, NINT_BINARY, 2);
    check_ops(DT_I32, int_unary_ops, NINT_UNARY, 1);
    check_ops(DT_I64, int_unary_ops, NINT_UNARY, 1);
}

/* Comparisons of every numeric dtype (and bool ==, !=) give bool arrays of 0 and 1. */
Test(jit, comparisons_give_bools)
{
    static const DType dtypes[] = {DT_F32, DT_F64, DT_I32, DT_I64, DT_BOOL};
    for (int d = 0; d < 5; d++) {
        DType t = dtypes[d];
        char type[32];
        snprintf(type, sizeof type, "%s[n]", dtype_name(t));
        const char *types[] = {type, type};
        int nops = t == DT_BOOL ? 2 : NCOMPARE;
        ModuleText mt = {0};
        for (int o = 0; o < nops; o++)
            add_one_op_group(&mt, compare_ops[o], types, 2, "bool[n]");
        Compiled *c = compile_text(&mt);
        int64_t n = 1000;
        Array a = array_new(t, n), b = array_new(t, n), out = array_new(DT_BOOL, n);
        fill(&a, 3, 0);
        fill(&b, 4, 2);
        for (int64_t i = 0; i < n; i += 3) /* equal pairs too */
            memcpy((char *)b.data + i * elem_size(t), (char *)a.data + i * elem_size(t),
                   elem_size(t));
        Array *in[] = {&a, &b};
        for (int o = 0; o < nops; o++) {
            memset(out.data, 0x55, (size_t)n);
            run(kernel(c, o), 1, n, &out, in, 2, NULL);
            for (int64_t i = 0; i < n; i++) {
                bool want = is_float(t)
                                ? ref_compare(compare_ops[o], get_f(&a, i), get_f(&b, i))
                                : ref_int_compare(compare_ops[o], get_i(&a, i), get_i(&b, i));
                cr_assert_eq(((uint8_t *)out.data)[i], want, "%s %s [%lld]", compare_ops[o],
                             dtype_name(t), (long long)i);
            }
        }
        array_free(&a);
        array_free(&b);
        array_free(&out);
        compiled_free(c);
    }
}

/* not, and, or, where and clip, in one group with two results: a bool and an f64. */
Test(jit, logic_where_and_clip)
{
    const char *types[] = {"bool[n]", "bool[n]", "f64[n]", "f64[n]", "f64[n]"};
    ModuleText mt = {0};
    add_group(&mt, types, 5,
              "  %n = \"t.not\"(%a0) : (bool[n]) -> bool[n]\n"
              "  %o = \"t.or\"(%n, %a1) : (bool[n], bool[n]) -> bool[n]\n"
              "  %x = \"t.and\"(%o, %a0) : (bool[n], bool[n]) -> bool[n]\n"
              "  %w = \"t.where\"(%a1, %a2, %a3) : (bool[n], f64[n], f64[n]) -> f64[n]\n"
              "  %c = \"t.clip\"(%w, %a3, %a4) : (f64[n], f64[n], f64[n]) -> f64[n]\n"
              "  \"ir.yield\"(%x, %c) : (bool[n], f64[n]) -> ()",
              2, "(bool[n], f64[n])", 0);
    Compiled *c = compile_text(&mt);
    const JitKernel *k = kernel(c, 0);
    cr_assert_eq(k->nout, 2);
    cr_assert_eq(k->out[0], JIT_OUT_FULL);
    for (int s = 0; s < NSIZES; s++) {
        int64_t n = sizes[s];
        Array p = array_new(DT_BOOL, n), q = array_new(DT_BOOL, n), x = array_new(DT_F64, n),
              lo = array_new(DT_F64, n), hi = array_new(DT_F64, n), r0 = array_new(DT_BOOL, n),
              r1 = array_new(DT_F64, n);
        fill(&p, 5, 0);
        fill(&q, 6, 0);
        fill(&x, 7, 0);
        fill(&lo, 8, 3);
        fill(&hi, 9, 5);
        void *bufs[] = {r0.data, r1.data, p.data, q.data, x.data, lo.data, hi.data};
        k->fn(1, n, bufs, NULL);
        for (int64_t i = 0; i < n; i++) {
            bool pi = get_i(&p, i), qi = get_i(&q, i);
            cr_assert_eq(get_i(&r0, i), (!pi || qi) && pi, "logic [%lld]", (long long)i);
            double w = qi ? get_f(&x, i) : get_f(&lo, i);
            double want = c_minimum(c_maximum(w, get_f(&lo, i)), get_f(&hi, i));
            cr_assert(same_float(get_f(&r1, i), want), "where/clip [%lld]: %a, want %a",
                      (long long)i, get_f(&r1, i), want);
        }
        Array *all[] = {&p, &q, &x, &lo, &hi, &r0, &r1};
        for (int i = 0; i < 7; i++)
            array_free(all[i]);
    }
    compiled_free(c);
}

/* Every cast between bool, i32, i64, f32 and f64 (20 groups in one module). */
Test(jit, casts_between_every_pair_of_dtypes)
{
    static const DType dtypes[] = {DT_BOOL, DT_I32, DT_I64, DT_F32, DT_F64};
    ModuleText mt = {0};
    DType from_of[25], to_of[25];
    int ngroups = 0;
    for (int f = 0; f < 5; f++)
        for (int t = 0; t < 5; t++) {
            if (f == t)
                continue;
            char from[32], to[32];
            snprintf(from, sizeof from, "%s[n]", dtype_name(dtypes[f]));
            snprintf(to, sizeof to, "%s[n]", dtype_name(dtypes[t]));
            const char *types[] = {from};
            add_one_op_group(&mt, "t.cast", types, 1, to);
            from_of[ngroups] = dtypes[f];
            to_of[ngroups++] = dtypes[t];
        }
    Compiled *c = compile_text(&mt);
    cr_assert_eq(jit_kernel_count(c->jit), 20);
    int64_t n = 4097;
    for (int g = 0; g < ngroups; g++) {
        DType from = from_of[g], to = to_of[g];
        Array a = array_new(from, n), out = array_new(to, n);
        fill(&a, 10 + (uint64_t)g, 0);
        Array *in[] = {&a};
        run(kernel(c, g), 1, n, &out, in, 1, NULL);
        for (int64_t i = 0; i < n; i++) {
            if (is_float(to)) {
                double want;
                if (is_float(from))
                    want = rnd(to, get_f(&a, i));
                else
                    want = to == DT_F32 ? (double)(float)get_i(&a, i) : (double)get_i(&a, i);
                cr_assert(same_float(get_f(&out, i), want), "%s -> %s [%lld]: %a, want %a",
                          dtype_name(from), dtype_name(to), (long long)i, get_f(&out, i), want);
            } else {
                int64_t want;
                if (to == DT_BOOL)
                    want = is_float(from) ? get_f(&a, i) != 0 : get_i(&a, i) != 0;
                else if (is_float(from))
                    want = ref_float_to_int(get_f(&a, i), to);
                else
                    want = wrap(to, (uint64_t)get_i(&a, i));
                cr_assert_eq(get_i(&out, i), want, "%s -> %s [%lld]: %lld, want %lld",
                             dtype_name(from), dtype_name(to), (long long)i,
                             (long long)get_i(&out, i), (long long)want);
            }
        }
        array_free(&a);
        array_free(&out);
    }
    compiled_free(c);
}

/* ---- transcendental functions: within 4 ulp of libm ---- */

/* The position of a float among all floats of its type in order (+0 and -0 both 0). */
static int64_t float_rank(DType t, double v)
{
    if (t == DT_F32) {
        float f = (float)v;
        int32_t i;
        memcpy(&i, &f, sizeof i);
        return i < 0 ? (int64_t)INT32_MIN - i : i;
    }
    int64_t i;
    memcpy(&i, &v, sizeof i);
    return i < 0 ? INT64_MIN - i : i;
}

/* Units in the last place between two results (0 when both are nan). */
static uint64_t ulp_distance(DType t, double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : UINT64_MAX;
    int64_t ra = float_rank(t, a), rb = float_rank(t, b);
    return ra > rb ? (uint64_t)ra - (uint64_t)rb : (uint64_t)rb - (uint64_t)ra;
}

/* glibc's value of a transcendental op in dtype t (sigmoid from expf / exp, the stable way). */
static double libm(const char *fn, DType t, double x)
{
    float f = (float)x;
    bool single = t == DT_F32;
    if (strcmp(fn, "t.exp") == 0)
        return single ? expf(f) : exp(x);
    if (strcmp(fn, "t.log") == 0)
        return single ? logf(f) : log(x);
    if (strcmp(fn, "t.log1p") == 0)
        return single ? log1pf(f) : log1p(x);
    if (strcmp(fn, "t.tanh") == 0)
        return single ? tanhf(f) : tanh(x);
    /* sigmoid, the stable way */
    if (single)
        return f >= 0 ? 1.0f / (1.0f + expf(-f)) : expf(f) / (1.0f + expf(f));
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* Inputs: the specials, then for f32 a sweep over bit patterns (every sign and exponent), for
 * f64 random bit patterns and values of moderate size, and values near 0 and -1. */
static void fill_math_inputs(Array *a)
{
    uint64_t s = 12345;
    for (int64_t i = 0; i < a->n; i++) {
        double v;
        uint64_t r = next_random(&s);
        if (i < NFLOAT_SPECIALS) {
            v = float_specials[i];
        } else if (a->dtype == DT_F32 && i % 4 != 0) {
            uint32_t bits = (uint32_t)((uint64_t)i * 4093u);
            float f;
            memcpy(&f, &bits, sizeof f);
            v = f;
        } else if (i % 4 == 0) {
            v = ((double)(r >> 11) / 9007199254740992.0 - 0.5) * (i % 8 == 0 ? 100.0 : 2.5);
            if (i % 16 == 4)
                v = -1.0 + ldexp((double)(r >> 11) / 9007199254740992.0, -(int)(r % 30));
            if (i % 16 == 12)
                v = ldexp(v, -(int)(r % 60));
        } else {
            memcpy(&v, &r, sizeof v);
        }
        set_f(a, i, v);
    }
}

/* exp log log1p tanh sigmoid in f32 and f64, over 1M inputs each, within 4 ulp of glibc. */
Test(jit, transcendentals_are_within_4_ulp_of_libm)
{
    static const char *const fns[] = {"t.exp", "t.log", "t.log1p", "t.tanh", "t.sigmoid"};
    static const DType dtypes[] = {DT_F32, DT_F64};
    ModuleText mt = {0};
    for (int d = 0; d < 2; d++)
        for (int f = 0; f < 5; f++) {
            char type[32];
            snprintf(type, sizeof type, "%s[n]", dtype_name(dtypes[d]));
            const char *types[] = {type};
            add_one_op_group(&mt, fns[f], types, 1, type);
        }
    Compiled *c = compile_text(&mt);
    int64_t n = (1 << 20) + 3;
    for (int d = 0; d < 2; d++) {
        DType t = dtypes[d];
        Array x = array_new(t, n), out = array_new(t, n);
        fill_math_inputs(&x);
        Array *in[] = {&x};
        for (int f = 0; f < 5; f++) {
            run(kernel(c, d * 5 + f), 1, n, &out, in, 1, NULL);
            uint64_t worst = 0;
            int64_t worst_at = 0;
            for (int64_t i = 0; i < n; i++) {
                uint64_t u = ulp_distance(t, get_f(&out, i), libm(fns[f], t, get_f(&x, i)));
                if (u > worst) {
                    worst = u;
                    worst_at = i;
                }
            }
            double at = get_f(&x, worst_at);
            cr_expect_leq(worst, 4, "%s %s: %llu ulp at %a: %a, libm %a", fns[f], dtype_name(t),
                          (unsigned long long)worst, at, get_f(&out, worst_at),
                          libm(fns[f], t, at));
        }
        array_free(&x);
        array_free(&out);
    }
    compiled_free(c);
}

/* Exact values where the functions have them, signed zeros and infinities included. */
Test(jit, transcendentals_special_values)
{
    static const char *const fns[] = {"t.exp", "t.log", "t.log1p", "t.tanh", "t.sigmoid"};
    static const double x[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -1.0, 1000.0, -1000.0};
    static const double want[5][8] = {
        {1.0, 1.0, INFINITY, 0.0, NAN, 0.36787944117144233, INFINITY, 0.0},
        {-INFINITY, -INFINITY, INFINITY, NAN, NAN, NAN, 6.907755278982137, NAN},
        {0.0, -0.0, INFINITY, NAN, NAN, -INFINITY, 6.90875477931522, NAN},
        {0.0, -0.0, 1.0, -1.0, NAN, -0.7615941559557649, 1.0, -1.0},
        {0.5, 0.5, 1.0, 0.0, NAN, 0.2689414213699951, 1.0, 0.0},
    };
    ModuleText mt = {0};
    const char *types[] = {"f64[n]"};
    for (int f = 0; f < 5; f++)
        add_one_op_group(&mt, fns[f], types, 1, "f64[n]");
    Compiled *c = compile_text(&mt);
    double out[8];
    for (int f = 0; f < 5; f++) {
        void *bufs[] = {out, (void *)x};
        kernel(c, f)->fn(1, 8, bufs, NULL);
        for (int i = 0; i < 8; i++)
            cr_expect(ulp_distance(DT_F64, out[i], want[f][i]) <= 1 &&
                          (out[i] != 0 || signbit(out[i]) == signbit(want[f][i])),
                      "%s(%g) = %a, want %a", fns[f], x[i], out[i], want[f][i]);
    }
    compiled_free(c);
}

/* ---- input patterns ---- */

/* Space sizes (outer x inner) that are not multiples of any vector width, empty ones included. */
static const int64_t shapes[][2] = {{0, 5}, {4, 0}, {1, 1}, {3, 7}, {7, 1000}, {2, 4097}};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

/* FULL, ROW (as [d] and as [1, d]), COL ([n, 1]) and SCALAR operands of every dtype. */
Test(jit, full_row_col_and_scalar_operands)
{
    ModuleText mt = {0};
    const char *a_types[] = {"f64[n, d]", "f64[d]", "f64[n, 1]", "f64"};
    add_group(&mt, a_types, 4,
              "  %p = \"t.mul\"(%a0, %a1) : (f64[n, d], f64[d]) -> f64[n, d]\n"
              "  %q = \"t.mul\"(%a2, %a3) : (f64[n, 1], f64) -> f64[n, 1]\n"
              "  %r = \"t.add\"(%p, %q) : (f64[n, d], f64[n, 1]) -> f64[n, d]\n"
              "  \"ir.yield\"(%r) : (f64[n, d]) -> ()",
              1, "f64[n, d]", 0);
    const char *b_types[] = {"f32[n, d]", "f32[1, d]", "f32[n, 1]", "f32", "i64", "i32", "bool"};
    add_group(&mt, b_types, 7,
              "  %t = \"t.cast\"(%a4) : (i64) -> f32\n"
              "  %u = \"t.cast\"(%a5) : (i32) -> f32\n"
              "  %p = \"t.mul\"(%a0, %a3) : (f32[n, d], f32) -> f32[n, d]\n"
              "  %q = \"t.add\"(%p, %a1) : (f32[n, d], f32[1, d]) -> f32[n, d]\n"
              "  %w = \"t.sub\"(%a2, %t) : (f32[n, 1], f32) -> f32[n, 1]\n"
              "  %v = \"t.mul\"(%q, %w) : (f32[n, d], f32[n, 1]) -> f32[n, d]\n"
              "  %z = \"t.add\"(%v, %u) : (f32[n, d], f32) -> f32[n, d]\n"
              "  %y = \"t.where\"(%a6, %z, %q) : (bool, f32[n, d], f32[n, d]) -> f32[n, d]\n"
              "  \"ir.yield\"(%y) : (f32[n, d]) -> ()",
              1, "f32[n, d]", 0);
    Compiled *c = compile_text(&mt);
    const JitKernel *ka = kernel(c, 0), *kb = kernel(c, 1);
    cr_assert_eq(ka->rank, 2);
    cr_assert_eq(ka->nin, 4);
    JitInKind want_a[] = {JIT_IN_FULL, JIT_IN_ROW, JIT_IN_COL, JIT_IN_SCALAR};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(ka->in[i], want_a[i], "operand %d", i);
    JitInKind want_b[] = {JIT_IN_FULL,   JIT_IN_ROW,    JIT_IN_COL,   JIT_IN_SCALAR,
                          JIT_IN_SCALAR, JIT_IN_SCALAR, JIT_IN_SCALAR};
    for (int i = 0; i < 7; i++)
        cr_assert_eq(kb->in[i], want_b[i], "operand %d", i);
    cr_assert_eq(kb->out[0], JIT_OUT_FULL);

    for (int s = 0; s < NSHAPES; s++) {
        int64_t n = shapes[s][0], d = shapes[s][1];
        for (int dt = 0; dt < 2; dt++) {
            DType t = dt == 0 ? DT_F64 : DT_F32;
            Array x = array_new(t, n * d), row = array_new(t, d), col = array_new(t, n),
                  out = array_new(t, n * d);
            fill(&x, 20, 0);
            fill(&row, 21, 1);
            fill(&col, 22, 2);
            double scale = -1.25;
            Array *in[] = {&x, &row, &col};
            for (int flag = 0; flag < 2; flag++) {
                uint64_t slots[] = {f64_slot(scale), (uint64_t)(int64_t)-3, (uint64_t)7,
                                    (uint64_t)flag};
                run(dt == 0 ? ka : kb, n, d, &out, in, 3, slots);
                for (int64_t i = 0; i < n; i++)
                    for (int64_t j = 0; j < d; j++) {
                        double xi = get_f(&x, i * d + j), r = get_f(&row, j), ci = get_f(&col, i),
                               want;
                        if (t == DT_F64) {
                            want = xi * r + ci * scale;
                        } else {
                            float q = (float)xi * (float)scale + (float)r;
                            float v = q * ((float)ci - (float)-3);
                            want = flag ? (float)(v + 7.0f) : q;
                        }
                        double got = get_f(&out, i * d + j);
                        cr_assert(same_float(got, want), "%s %lldx%lld [%lld, %lld]: %a, want %a",
                                  dtype_name(t), (long long)n, (long long)d, (long long)i,
                                  (long long)j, got, want);
                    }
                if (t == DT_F64)
                    break; /* the f64 group has no flag */
            }
            array_free(&x);
            array_free(&row);
            array_free(&col);
            array_free(&out);
        }
    }
    compiled_free(c);
}

/* Rank 3: outer = the product of the leading dimensions; a [1] operand of a rank-1 space is a
 * column of one element. */
Test(jit, rank_three_space_and_one_element_column)
{
    ModuleText mt = {0};
    const char *a_types[] = {"f64[b, n, d]", "f64[b, n, 1]", "f64[d]"};
    add_group(&mt, a_types, 3,
              "  %p = \"t.sub\"(%a0, %a1) : (f64[b, n, d], f64[b, n, 1]) -> f64[b, n, d]\n"
              "  %q = \"t.add\"(%p, %a2) : (f64[b, n, d], f64[d]) -> f64[b, n, d]\n"
              "  \"ir.yield\"(%q) : (f64[b, n, d]) -> ()",
              1, "f64[b, n, d]", 0);
    const char *b_types[] = {"f32[n]", "f32[1]"};
    add_one_op_group(&mt, "t.mul", b_types, 2, "f32[n]");
    Compiled *c = compile_text(&mt);
    const JitKernel *ka = kernel(c, 0), *kb = kernel(c, 1);
    cr_assert_eq(ka->rank, 3);
    cr_assert_eq(ka->in[1], JIT_IN_COL);
    cr_assert_eq(ka->in[2], JIT_IN_ROW);
    cr_assert_eq(kb->in[1], JIT_IN_COL);

    int64_t b = 3, n = 5, d = 33;
    Array x = array_new(DT_F64, b * n * d), col = array_new(DT_F64, b * n),
          row = array_new(DT_F64, d), out = array_new(DT_F64, b * n * d);
    fill(&x, 30, 0);
    fill(&col, 31, 1);
    fill(&row, 32, 2);
    Array *in[] = {&x, &col, &row};
    run(ka, b * n, d, &out, in, 3, NULL);
    for (int64_t i = 0; i < b * n; i++)
        for (int64_t j = 0; j < d; j++) {
            double want = (get_f(&x, i * d + j) - get_f(&col, i)) + get_f(&row, j);
            cr_assert(same_float(get_f(&out, i * d + j), want), "[%lld, %lld]", (long long)i,
                      (long long)j);
        }
    Array y = array_new(DT_F32, 1001), one = array_new(DT_F32, 1), out32 = array_new(DT_F32, 1001);
    fill(&y, 33, 0);
    set_f(&one, 0, -3.0);
    Array *in32[] = {&y, &one};
    run(kb, 1, 1001, &out32, in32, 2, NULL);
    for (int64_t i = 0; i < 1001; i++)
        cr_assert(same_float(get_f(&out32, i), rnd(DT_F32, get_f(&y, i) * -3.0)), "[%lld]",
                  (long long)i);
    Array *all[] = {&x, &col, &row, &out, &y, &one, &out32};
    for (int i = 0; i < 7; i++)
        array_free(all[i]);
    compiled_free(c);
}

/* ---- reductions ---- */

/* The reduction results of one group, in the order sum, mean, max, min (those it has). */
static const char *const reduction_ops[] = {"t.sum", "t.mean", "t.max", "t.min"};

/* A group reducing x (type `type`) with every reduction in ops (by `axis` unless NULL), each
 * result of type `result`. With `with_full`, the group also yields x * y elementwise first. */
static void add_reduction_group(ModuleText *mt, const char *type, const char *axis,
                                const char *result, int nops, bool with_full)
{
    Buf body = {0}, results = {0}, yield = {0};
    buf_printf(&body, "  %%p = \"t.mul\"(%%a0, %%a1) : (%s, %s) -> %s\n", type, type, type);
    buf_printf(&results, "(");
    buf_printf(&yield, "  \"ir.yield\"(");
    if (with_full) {
        buf_printf(&results, "%s", type);
        buf_printf(&yield, "%%p");
    }
    for (int o = 0; o < nops; o++) {
        /* the sum reduces x * y, the others x itself */
        buf_printf(&body, "  %%r%d = \"%s\"(%s) %s%s%s : (%s) -> %s\n", o, reduction_ops[o],
                   o == 0 ? "%p" : "%a0", axis ? "{axis = " : "", axis ? axis : "", axis ? "}" : "",
                   type, result);
        buf_printf(&results, "%s%s", with_full || o ? ", " : "", result);
        buf_printf(&yield, "%s%%r%d", with_full || o ? ", " : "", o);
    }
    buf_printf(&results, ")");
    buf_printf(&yield, ") : %s -> ()", buf_cstr(&results));
    buf_printf(&body, "%s", buf_cstr(&yield));
    const char *types[] = {type, type};
    add_group(mt, types, 2, buf_cstr(&body), nops + with_full, buf_cstr(&results), 0);
    buf_free(&body);
    buf_free(&results);
    buf_free(&yield);
}

/* Reference reductions over a strided set of elements, in long double, and the sum of magnitudes
 * that bounds the rounding error of any summation order. */
typedef struct {
    long double sum, magnitude;   /* of x * y */
    long double xsum, xmagnitude; /* of x (for the mean) */
    double max, min;
    int64_t isum; /* integers: wrapping sum */
    int64_t imax, imin;
    int64_t count;
} Reference;

/* The reference reductions of count elements of x (and x * y) from start, stride apart. */
static Reference reference_reduce(const Array *x, const Array *y, int64_t start, int64_t count,
                                  int64_t stride)
{
    Reference r = {.max = -INFINITY, .min = INFINITY, .imax = INT64_MIN, .imin = INT64_MAX};
    r.count = count;
    uint64_t isum = 0;
    for (int64_t k = 0; k < count; k++) {
        int64_t i = start + k * stride;
        if (is_float(x->dtype)) {
            double xv = get_f(x, i), p = rnd(x->dtype, xv * get_f(y, i));
            r.sum += p;
            r.magnitude += fabsl((long double)p);
            r.xsum += xv;
            r.xmagnitude += fabsl((long double)xv);
            r.max = c_maximum(r.max, xv);
            r.min = c_minimum(r.min, xv);
        } else {
            int64_t xv = get_i(x, i);
            isum += (uint64_t)wrap(x->dtype, (uint64_t)xv * (uint64_t)get_i(y, i));
            r.imax = xv > r.imax ? xv : r.imax;
            r.imin = xv < r.imin ? xv : r.imin;
        }
    }
    r.isum = wrap(x->dtype, isum);
    return r;
}

/* Checks result `o` (sum, mean, max, min) of a reduction against the reference; `slack` ulps of
 * the sum of magnitudes are allowed beyond the bound of any summation order. */
static void check_reduced(DType t, int o, double got_f, int64_t got_i, const Reference *r,
                          double slack, const char *where)
{
    if (!is_float(t)) {
        int64_t want = o == 0 ? r->isum : o == 2 ? r->imax : r->imin;
        cr_assert_eq(got_i, want, "%s %s %s: %lld, want %lld", reduction_ops[o], dtype_name(t),
                     where, (long long)got_i, (long long)want);
        return;
    }
    double eps = t == DT_F32 ? 0x1p-23 : 0x1p-52;
    if (o == 2 || o == 3) {
        double want = o == 2 ? r->max : r->min;
        cr_assert(same_float(got_f, rnd(t, want)), "%s %s %s: %a, want %a", reduction_ops[o],
                  dtype_name(t), where, got_f, want);
        return;
    }
    if (r->count == 0) {
        if (o == 0)
            cr_assert(same_float(got_f, 0.0), "empty sum %s: %a", where, got_f);
        else
            cr_assert(isnan(got_f), "empty mean %s: %a", where, got_f);
        return;
    }
    long double want = o == 0 ? r->sum : r->xsum / r->count;
    long double magnitude = o == 0 ? r->magnitude : r->xmagnitude / r->count;
    /* any summation order errs by at most (count - 1) eps sum|x|; the result's rounding adds */
    long double tolerance = (slack + (double)r->count) * eps * magnitude + 1e-300;
    cr_assert(fabsl((long double)got_f - want) <= tolerance, "%s %s %s: %a, want %La (+- %Lg)",
              reduction_ops[o], dtype_name(t), where, got_f, want, tolerance);
}

/* The cell a REDUCE_ALL result is written to. */
typedef union {
    float f32;
    double f64;
    int32_t i32;
    int64_t i64;
} Cell;

/* A REDUCE_ALL float result. */
static double cell_f(DType t, const Cell *c)
{
    return t == DT_F32 ? c->f32 : c->f64;
}

/* A REDUCE_ALL integer result. */
static int64_t cell_i(DType t, const Cell *c)
{
    return t == DT_I32 ? c->i32 : c->i64;
}

/* Fills x with finite values (sums are compared with a tolerance). */
static void fill_finite(Array *a, uint64_t seed)
{
    fill(a, seed, 0);
    for (int64_t i = 0; i < a->n; i++)
        if (is_float(a->dtype) && !isfinite(get_f(a, i)))
            set_f(a, i, (double)(i % 13) - 6.0);
        else if (is_float(a->dtype) && fabs(get_f(a, i)) > 1e6)
            set_f(a, i, 1e6);
}

/* sum(x * y), mean, max, min over everything, beside the elementwise x * y, for each dtype. */
Test(jit, reductions_over_everything)
{
    static const DType dtypes[] = {DT_F32, DT_F64, DT_I32, DT_I64};
    ModuleText mt = {0};
    for (int d = 0; d < 4; d++) {
        char type[32];
        snprintf(type, sizeof type, "%s[n]", dtype_name(dtypes[d]));
        bool fp = is_float(dtypes[d]);
        /* integers have no mean: they get sum, max, min through separate groups */
        if (fp) {
            add_reduction_group(&mt, type, NULL, dtype_name(dtypes[d]), 4, true);
        } else {
            add_reduction_group(&mt, type, NULL, dtype_name(dtypes[d]), 1, true);
            const char *types[] = {type};
            add_one_op_group(&mt, "t.max", types, 1, dtype_name(dtypes[d]));
            add_one_op_group(&mt, "t.min", types, 1, dtype_name(dtypes[d]));
        }
    }
    Compiled *c = compile_text(&mt);
    int group = 0;
    for (int d = 0; d < 4; d++) {
        DType t = dtypes[d];
        bool fp = is_float(t);
        const JitKernel *k = kernel(c, group);
        cr_assert_eq(k->out[0], JIT_OUT_FULL);
        cr_assert_eq(k->out[1], JIT_OUT_REDUCE_ALL);
        for (int s = 0; s < NSIZES; s++) {
            int64_t n = sizes[s];
            Array x = array_new(t, n), y = array_new(t, n), p = array_new(t, n);
            fill_finite(&x, 40 + (uint64_t)d);
            fill_finite(&y, 50 + (uint64_t)d);
            Cell cells[4];
            void *bufs[7];
            int nbufs = 0, nreductions = fp ? 4 : 1;
            bufs[nbufs++] = p.data;
            for (int o = 0; o < nreductions; o++)
                bufs[nbufs++] = &cells[o];
            bufs[nbufs++] = x.data;
            bufs[nbufs++] = y.data;
            k->fn(1, n, bufs, NULL);
            if (!fp && n > 0) { /* max and min of integers over non-empty arrays */
                void *max_bufs[] = {&cells[2], x.data};
                kernel(c, group + 1)->fn(1, n, max_bufs, NULL);
                void *min_bufs[] = {&cells[3], x.data};
                kernel(c, group + 2)->fn(1, n, min_bufs, NULL);
            }
            Reference r = reference_reduce(&x, &y, 0, n, 1);
            char where[64];
            snprintf(where, sizeof where, "n=%lld", (long long)n);
            for (int o = 0; o < 4; o++) {
                if ((!fp && o == 1) || (!fp && n == 0 && o > 1))
                    continue;
                check_reduced(t, o, fp ? cell_f(t, &cells[o]) : 0, fp ? 0 : cell_i(t, &cells[o]),
                              &r, 2.0, where);
            }
            for (int64_t i = 0; i < n; i++) {
                if (fp)
                    cr_assert(same_float(get_f(&p, i), rnd(t, get_f(&x, i) * get_f(&y, i))));
                else
                    cr_assert_eq(get_i(&p, i),
                                 wrap(t, (uint64_t)get_i(&x, i) * (uint64_t)get_i(&y, i)));
            }
            array_free(&x);
            array_free(&y);
            array_free(&p);
        }
        group += fp ? 1 : 3;
    }
    compiled_free(c);
}

/* Reductions over the last axis (one result per row) and over axis 0 of a matrix (one per
 * column), every shape, f32, f64 and i64. */
Test(jit, reductions_over_rows_and_columns)
{
    static const DType dtypes[] = {DT_F32, DT_F64, DT_I64};
    ModuleText mt = {0};
    for (int d = 0; d < 3; d++) {
        char type[32], rows[32], cols[32];
        snprintf(type, sizeof type, "%s[n, d]", dtype_name(dtypes[d]));
        snprintf(rows, sizeof rows, "%s[n]", dtype_name(dtypes[d]));
        snprintf(cols, sizeof cols, "%s[d]", dtype_name(dtypes[d]));
        int nops = is_float(dtypes[d]) ? 4 : 1;
        add_reduction_group(&mt, type, "1", rows, nops, false);
        add_reduction_group(&mt, type, "0", cols, nops, false);
    }
    Compiled *c = compile_text(&mt);
    for (int d = 0; d < 3; d++) {
        DType t = dtypes[d];
        int nops = is_float(t) ? 4 : 1;
        const JitKernel *kr = kernel(c, 2 * d), *kc = kernel(c, 2 * d + 1);
        cr_assert_eq(kr->out[0], JIT_OUT_REDUCE_ROWS);
        cr_assert_eq(kc->out[0], JIT_OUT_REDUCE_COLS);
        for (int s = 0; s < NSHAPES; s++) {
            int64_t n = shapes[s][0], m = shapes[s][1];
            Array x = array_new(t, n * m), y = array_new(t, n * m);
            fill_finite(&x, 60 + (uint64_t)d);
            fill_finite(&y, 70 + (uint64_t)d);
            Array per_row[4], per_col[4];
            for (int o = 0; o < 4; o++) {
                per_row[o] = array_new(t, n);
                per_col[o] = array_new(t, m);
            }
            void *rbufs[6], *cbufs[6];
            for (int o = 0; o < nops; o++) {
                rbufs[o] = per_row[o].data;
                cbufs[o] = per_col[o].data;
            }
            rbufs[nops] = cbufs[nops] = x.data;
            rbufs[nops + 1] = cbufs[nops + 1] = y.data;
            kr->fn(n, m, rbufs, NULL);
            kc->fn(n, m, cbufs, NULL);
            char where[64];
            for (int64_t i = 0; i < n; i++) {
                Reference r = reference_reduce(&x, &y, i * m, m, 1);
                snprintf(where, sizeof where, "%lldx%lld row %lld", (long long)n, (long long)m,
                         (long long)i);
                for (int o = 0; o < nops; o++)
                    if (m > 0 || o < 2)
                        check_reduced(t, o, is_float(t) ? get_f(&per_row[o], i) : 0,
                                      is_float(t) ? 0 : get_i(&per_row[o], i), &r, 2.0, where);
            }
            for (int64_t j = 0; j < m; j++) {
                Reference r = reference_reduce(&x, &y, j, n, m);
                snprintf(where, sizeof where, "%lldx%lld column %lld", (long long)n, (long long)m,
                         (long long)j);
                /* columns accumulate in the dtype, row after row, as NumPy does for axis 0 */
                for (int o = 0; o < nops; o++)
                    if (n > 0 || o < 2)
                        check_reduced(t, o, is_float(t) ? get_f(&per_col[o], j) : 0,
                                      is_float(t) ? 0 : get_i(&per_col[o], j), &r, 2.0, where);
            }
            for (int o = 0; o < 4; o++) {
                array_free(&per_row[o]);
                array_free(&per_col[o]);
            }
            array_free(&x);
            array_free(&y);
        }
    }
    compiled_free(c);
}

/* nan anywhere makes sum, max and min nan (NumPy); infinities win max and min. */
Test(jit, reductions_propagate_nan_and_infinity)
{
    ModuleText mt = {0};
    add_reduction_group(&mt, "f64[n]", NULL, "f64", 4, false);
    add_reduction_group(&mt, "f32[n, d]", "1", "f32[n]", 4, false);
    add_reduction_group(&mt, "f32[n, d]", "0", "f32[d]", 4, false);
    Compiled *c = compile_text(&mt);
    int64_t n = 1001;
    Array x = array_new(DT_F64, n), ones = array_new(DT_F64, n);
    for (int64_t i = 0; i < n; i++) {
        set_f(&x, i, (double)(i % 17) - 8.0);
        set_f(&ones, i, 1.0);
    }
    double r[4];
    void *bufs[] = {&r[0], &r[1], &r[2], &r[3], x.data, ones.data};
    set_f(&x, 777, INFINITY);
    set_f(&x, 3, -INFINITY);
    kernel(c, 0)->fn(1, n, bufs, NULL);
    cr_expect(isnan(r[0]) && r[2] == INFINITY && r[3] == -INFINITY, "inf: %g %g %g", r[0], r[2],
              r[3]);
    set_f(&x, 500, NAN);
    kernel(c, 0)->fn(1, n, bufs, NULL);
    cr_expect(isnan(r[0]) && isnan(r[1]) && isnan(r[2]) && isnan(r[3]), "nan: %g %g %g %g", r[0],
              r[1], r[2], r[3]);

    /* a nan in row 1, column 2 of a 3 x 5 matrix */
    float m[15], one[15], rows[4][3], cols[4][5];
    for (int i = 0; i < 15; i++) {
        m[i] = (float)i;
        one[i] = 1.0f;
    }
    m[1 * 5 + 2] = NAN;
    void *rbufs[] = {rows[0], rows[1], rows[2], rows[3], m, one};
    void *cbufs[] = {cols[0], cols[1], cols[2], cols[3], m, one};
    kernel(c, 1)->fn(3, 5, rbufs, NULL);
    kernel(c, 2)->fn(3, 5, cbufs, NULL);
    for (int o = 0; o < 4; o++) {
        cr_expect(!isnan(rows[o][0]) && isnan(rows[o][1]) && !isnan(rows[o][2]), "row %s",
                  reduction_ops[o]);
        for (int j = 0; j < 5; j++)
            cr_expect(isnan(cols[o][j]) == (j == 2), "column %d %s", j, reduction_ops[o]);
    }
    cr_expect(rows[2][0] == 4.0f && rows[3][2] == 10.0f && cols[0][0] == 15.0f &&
              cols[1][4] == 9.0f);
    array_free(&x);
    array_free(&ones);
    compiled_free(c);
}

/* ---- what is not compiled ---- */

/* Groups that could fail at run time or that codegen does not support get no kernel; the other
 * groups of the module still compile. */
Test(jit, unsupported_groups_are_left_to_the_interpreter)
{
    ModuleText mt = {0};
    const char *i64s[] = {"i64[n]", "i64[n]"}, *i32s[] = {"i32[n]", "i32[n]"};
    add_one_op_group(&mt, "t.div", i64s, 2, "i64[n]");
    add_one_op_group(&mt, "t.mod", i32s, 2, "i32[n]");
    add_one_op_group(&mt, "t.pow", i64s, 2, "i64[n]");
    const char *mat[] = {"f64[n, n]", "f64[n, n]"};
    add_one_op_group(&mt, "t.matmul", mat, 2, "f64[n, n]");
    const char *vec[] = {"f64[n]"};
    add_group(&mt, vec, 1,
              "  %s = \"t.sum\"(%a0) : (f64[n]) -> f64\n"
              "  %c = \"t.sub\"(%a0, %s) : (f64[n], f64) -> f64[n]\n"
              "  \"ir.yield\"(%c) : (f64[n]) -> ()",
              1, "f64[n]", 0);
    const char *rowcol[] = {"f64[n, d]", "f64[d]"};
    add_group(&mt, rowcol, 2,
              "  %r = \"t.neg\"(%a1) : (f64[d]) -> f64[d]\n"
              "  %p = \"t.add\"(%a0, %r) : (f64[n, d], f64[d]) -> f64[n, d]\n"
              "  \"ir.yield\"(%r) : (f64[d]) -> ()",
              1, "f64[d]", 0);
    const char *cube[] = {"f64[b, n, d]"};
    add_one_op_group(&mt, "t.sum", cube, 1, "f64[n, d]");
    const char *odd[] = {"f64[b, n, d]", "f64[b, 1, d]"};
    add_one_op_group(&mt, "t.add", odd, 2, "f64[b, n, d]");
    const char *fine[] = {"f64[n]", "f64[n]"};
    add_one_op_group(&mt, "t.add", fine, 2, "f64[n]");
    Compiled *c = compile_text(&mt);
    cr_assert_eq(c->nfused, 9);
    for (int i = 0; i < 8; i++)
        cr_expect_null(jit_kernel(c->jit, c->fused[i]), "group %d was compiled", i);
    cr_assert_eq(jit_kernel_count(c->jit), 1);
    const JitKernel *k = kernel(c, 8);
    double a[3] = {1, 2, 3}, b[3] = {10, 20, 30}, out[3];
    void *bufs[] = {out, a, b};
    k->fn(1, 3, bufs, NULL);
    cr_expect(out[0] == 11 && out[1] == 22 && out[2] == 33);
    /* an op that is not a k.fused op has no kernel */
    cr_expect_null(jit_kernel(c->jit, c->module->body->first));
    compiled_free(c);
}

/* A module without k.fused ops compiles to nothing. */
Test(jit, module_without_fused_ops)
{
    Compiled *c = compile_module("%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n", NULL);
    cr_expect_eq(jit_kernel_count(c->jit), 0);
    cr_expect_null(jit_kernel(c->jit, c->module->body->first));
    compiled_free(c);
}

/* ---- target CPUs ---- */

/* out = max(a * x + y, 0) * s over f32[n]: the benchmark's chain. */
static const char *chain_module(int line)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "%%a = \"io.load\"() {path = \"a.npy\"} : () -> f32[n]\n"
             "%%x = \"io.load\"() {path = \"x.npy\"} : () -> f32[n]\n"
             "%%y = \"io.load\"() {path = \"y.npy\"} : () -> f32[n]\n"
             "%%s = \"cfg.get\"() {sym = @s} : () -> f32\n"
             "%%r = \"k.fused\"(%%a, %%x, %%y, %%s) ({\n"
             "^bb0(%%a0: f32[n], %%a1: f32[n], %%a2: f32[n], %%a3: f32):\n"
             "  %%m = \"t.mul\"(%%a0, %%a1) : (f32[n], f32[n]) -> f32[n]\n"
             "  %%p = \"t.add\"(%%m, %%a2) : (f32[n], f32[n]) -> f32[n]\n"
             "  %%z = \"ir.const\"() {value = 0.0} : () -> f32\n"
             "  %%q = \"t.maximum\"(%%p, %%z) : (f32[n], f32) -> f32[n]\n"
             "  %%o = \"t.mul\"(%%q, %%a3) : (f32[n], f32) -> f32[n]\n"
             "  \"ir.yield\"(%%o) : (f32[n]) -> ()\n"
             "}) : (f32[n], f32[n], f32[n], f32) -> f32[n] loc(\"t.dml\":%d:5)\n",
             line);
    return text;
}

/* Runs the chain kernel over outer x inner and checks it. */
static void check_chain(const JitKernel *k, int64_t outer, int64_t inner)
{
    int64_t n = outer * inner;
    Array a = array_new(DT_F32, n), x = array_new(DT_F32, n), y = array_new(DT_F32, n),
          out = array_new(DT_F32, n);
    fill(&a, 80, 0);
    fill(&x, 81, 1);
    fill(&y, 82, 2);
    uint64_t slots[] = {f64_slot(0.75)};
    Array *in[] = {&a, &x, &y};
    run(k, outer, inner, &out, in, 3, slots);
    for (int64_t i = 0; i < n; i++) {
        float p = (float)get_f(&a, i) * (float)get_f(&x, i) + (float)get_f(&y, i);
        double want = rnd(DT_F32, c_maximum(p, 0.0f) * 0.75f);
        cr_assert(same_float(get_f(&out, i), want), "[%lld]: %a, want %a", (long long)i,
                  get_f(&out, i), want);
    }
    array_free(&a);
    array_free(&x);
    array_free(&y);
    array_free(&out);
}

/* The benchmark chain: its name, and right results for any outer x inner split. */
Test(jit, chain_runs_as_one_row_whatever_the_split)
{
    Compiled *c = compile_module(chain_module(3), NULL);
    const JitKernel *k = kernel(c, 0);
    cr_expect_str_eq(k->name, "k0_dml_line_3");
    check_chain(k, 1, 4097);
    check_chain(k, 17, 13); /* FULL and SCALAR only: one flat loop over outer * inner */
    check_chain(k, 0, 9);
    cr_expect_gt(jit_compile_ms(c->jit), 0.0);
    cr_expect_eq(jit_kernel_count(c->jit), 1);
    compiled_free(c);
}

/* --target-cpu x86-64-v2: runs here, and uses no AVX register. */
Test(jit, named_target_cpu_compiles_and_runs)
{
    JitOptions options = {.target_cpu = "x86-64-v2", .opt_level = 3};
    Compiled *c = compile_module(chain_module(3), &options);
    check_chain(kernel(c, 0), 1, 1000);
    compiled_free(c);
    Buf out = {0};
    RtError err = {0};
    Compiled *r = read_module(chain_module(3));
    cr_assert(jit_emit(r->module, &options, JIT_EMIT_ASM, &out, &err), "%s", err.message);
    cr_expect(strstr(buf_cstr(&out), "xmm") != NULL);
    cr_expect(strstr(buf_cstr(&out), "ymm") == NULL, "SSE4.2 CPU with AVX registers");
    buf_free(&out);
    compiled_free(r);
}

/* jit_new with bad options fails cleanly: an error message, nothing on stderr. */
static void expect_bad_options(const JitOptions *options, const char *message)
{
    fflush(stderr);
    FILE *capture = tmpfile();
    cr_assert_not_null(capture);
    int saved = dup(2);
    dup2(fileno(capture), 2);
    RtError err = {0};
    Jit *jit = jit_new(options, &err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    cr_expect_null(jit);
    jit_free(jit);
    cr_expect(strstr(err.message, message) != NULL, "message: %s", err.message);
    fseek(capture, 0, SEEK_END);
    long printed = ftell(capture);
    cr_expect_eq(printed, 0, "LLVM printed %ld bytes on stderr", printed);
    fclose(capture);
}

/* An unknown CPU or optimisation level: an error message, nothing from LLVM on stderr. */
Test(jit, unknown_target_cpu_is_a_clean_error)
{
    expect_bad_options(&(JitOptions){.target_cpu = "pentium9"}, "unknown target CPU 'pentium9'");
    expect_bad_options(&(JitOptions){.target_cpu = "skylak"}, "did you mean 'skylake'?");
    expect_bad_options(&(JitOptions){.opt_level = 7}, "optimisation level 7");
    Compiled *r = read_module(chain_module(3));
    Buf out = {0};
    RtError err = {0};
    cr_expect_not(
        jit_emit(r->module, &(JitOptions){.target_cpu = "znver9"}, JIT_EMIT_LLVM, &out, &err));
    cr_expect(strstr(err.message, "'znver9'") != NULL, "%s", err.message);
    buf_free(&out);
    compiled_free(r);
}

/* ---- jit_emit ---- */

/* jit_emit of IR text for cpu (NULL: the host), as a malloc'd string. */
static char *emit(const char *text, const char *cpu, JitEmitKind kind)
{
    Compiled *r = read_module(text);
    Buf out = {0};
    RtError err = {0};
    cr_assert(jit_emit(r->module, &(JitOptions){.target_cpu = cpu}, kind, &out, &err), "%s",
              err.message);
    char *s = strdup(buf_cstr(&out));
    buf_free(&out);
    compiled_free(r);
    return s;
}

/* The optimised IR: named kernels, scoped noalias, vectors, reassoc on sums only. */
Test(jit, emit_llvm_shows_the_optimised_kernels)
{
    char *ir = emit(chain_module(12), NULL, JIT_EMIT_LLVM);
    cr_expect(strstr(ir, "define void @k0_dml_line_12(i64 %outer, i64 %inner, ptr") != NULL, "%s",
              ir);
    cr_expect(strstr(ir, "!noalias") != NULL, "no scoped alias metadata");
    cr_expect(strstr(ir, "x float>") != NULL, "not vectorised");
    cr_expect(strstr(ir, "reassoc") == NULL, "reassociation outside reductions");
    cr_expect(strstr(ir, "define internal") == NULL, "the body was not inlined");
    free(ir);
    ModuleText mt = {0};
    add_reduction_group(&mt, "f32[n]", NULL, "f32", 1, false);
    ir = emit(buf_cstr(&mt.text), NULL, JIT_EMIT_LLVM);
    buf_free(&mt.text);
    cr_expect(strstr(ir, "fadd reassoc <") != NULL, "the sum is not a vectorised reduction");
    free(ir);
}

/* zmm on AVX-512 (the host when it has it; skylake-avx512 always), ymm on AVX2. */
Test(jit, emit_asm_uses_the_widest_vectors)
{
    char *host = emit(chain_module(7), NULL, JIT_EMIT_ASM);
    cr_expect(strstr(host, "k0_dml_line_7:") != NULL);
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        cr_expect(strstr(host, "zmm") != NULL, "AVX-512 host without zmm");
    else if (__builtin_cpu_supports("avx2"))
        cr_expect(strstr(host, "ymm") != NULL && strstr(host, "zmm") == NULL, "AVX2 host");
    free(host);
    char *skx = emit(chain_module(7), "skylake-avx512", JIT_EMIT_ASM);
    cr_expect(strstr(skx, "zmm") != NULL, "skylake-avx512 without zmm");
    free(skx);
}
