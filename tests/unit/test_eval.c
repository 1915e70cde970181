/* test_eval.c: the reference evaluator (executor/eval.h) against NumPy and SciPy.
 *
 * Most cases come from the files of tests/data/eval/ (one per op family), written once by
 * tests/reference/eval_cases.py (the format is described there): each builds one op with the IR
 * builder, evaluates it on the stored operands and compares with the stored NumPy result (exactly,
 * within some ulps, or within a relative tolerance, as the case says), or expects an error message.
 * The tests below the data runner check what data cannot: random streams (determinism, independence
 * of the shape, moments), the selection API, scalar paths, error positions. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "executor/csr.h"
#include "executor/eval.h"
#include "executor/random.h"
#include "ir/ir.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading data files ---- */

/* The repository root, from this file's path (CMake compiles it by absolute path). */
static void data_path(const char *name, char *out, size_t size)
{
    const char *self = __FILE__;
    const char *tail = strstr(self, "tests/unit/test_eval.c");
    int root = tail ? (int)(tail - self) : 0;
    snprintf(out, size, "%.*stests/data/eval/%s", root, self, name);
}

static char *read_data(const char *name)
{
    char path[1024];
    data_path(name, path, sizeof path);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Splits a line into whitespace-separated tokens (in place). */
typedef struct {
    char **tok;
    int n, cap;
} Tokens;

static void tokenize(char *line, Tokens *t)
{
    t->n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 64;
            t->tok = realloc(t->tok, (size_t)t->cap * sizeof *t->tok);
        }
        t->tok[t->n++] = w;
    }
}

static DType dtype_named(const char *s)
{
    DType d;
    cr_assert(type_dtype_from_name(s, &d), "unknown dtype '%s'", s);
    return d;
}

/* Element k of a tensor from its text. */
static void set_element(Tensor *t, void *data, int64_t k, const char *text)
{
    switch (t->dtype) {
    case DT_F32:
        ((float *)data)[k] = strtof(text, NULL);
        break;
    case DT_F64:
        ((double *)data)[k] = strtod(text, NULL);
        break;
    case DT_I32:
        ((int32_t *)data)[k] = (int32_t)strtoll(text, NULL, 10);
        break;
    case DT_I64:
        ((int64_t *)data)[k] = strtoll(text, NULL, 10);
        break;
    default:
        ((uint8_t *)data)[k] = (uint8_t)(strtol(text, NULL, 10) != 0);
        break;
    }
}

/* A value from "DTYPE RANK DIMS... : VALUES..." or "csr DTYPE ROWS COLS NNZ : RP : CI : V"
 * (tokens from index `at`); *type receives its IR type. */
static RtValue parse_value(const Tokens *t, int at, Type *type)
{
    memset(type, 0, sizeof *type);
    if (strcmp(t->tok[at], "csr") == 0) {
        DType d = dtype_named(t->tok[at + 1]);
        int64_t rows = atoll(t->tok[at + 2]), cols = atoll(t->tok[at + 3]);
        int64_t nnz = atoll(t->tok[at + 4]);
        Tensor *s = tensor_new_csr(d, rows, cols, nnz);
        int p = at + 6; /* after the first ':' */
        for (int64_t i = 0; i <= rows; i++)
            s->rowptr[i] = atoll(t->tok[p++]);
        p++;
        for (int64_t i = 0; i < nnz; i++)
            s->colidx[i] = atoll(t->tok[p++]);
        p++;
        for (int64_t i = 0; i < nnz; i++)
            set_element(s, s->data, i, t->tok[p++]);
        *type = (Type){.dtype = d, .rank = 2, .sparse = true};
        type->dims[0] = (Dim){.kind = DIM_CONST, .value = rows};
        type->dims[1] = (Dim){.kind = DIM_CONST, .value = cols};
        return rt_tensor(s);
    }
    DType d = dtype_named(t->tok[at]);
    int rank = atoi(t->tok[at + 1]);
    int64_t shape[TYPE_MAX_RANK];
    *type = (Type){.dtype = d, .rank = (uint8_t)rank};
    for (int i = 0; i < rank; i++) {
        shape[i] = atoll(t->tok[at + 2 + i]);
        type->dims[i] = (Dim){.kind = DIM_CONST, .value = shape[i]};
    }
    int p = at + 2 + rank;
    cr_assert_str_eq(t->tok[p], ":");
    p++;
    if (rank == 0) {
        const char *v = t->tok[p];
        switch (d) {
        case DT_F32:
            return rt_f32(strtof(v, NULL));
        case DT_F64:
            return rt_f64(strtod(v, NULL));
        case DT_I32:
            return (RtValue){.dtype = DT_I32, .i = (int32_t)strtoll(v, NULL, 10)};
        case DT_I64:
            return rt_i64(strtoll(v, NULL, 10));
        default:
            return rt_bool(strtol(v, NULL, 10) != 0);
        }
    }
    Tensor *x = tensor_new(d, rank, shape);
    cr_assert_not_null(x);
    cr_assert_eq(t->n - p, x->numel, "value count %d != %lld", t->n - p, (long long)x->numel);
    for (int64_t k = 0; k < x->numel; k++)
        set_element(x, x->data, k, t->tok[p + k]);
    return rt_tensor(x);
}

/* ---- comparing ---- */

typedef enum { TOL_EXACT, TOL_ULP, TOL_CLOSE } TolKind;

typedef struct {
    TolKind kind;
    double ulps, rtol, atol;
} Tolerance;

/* Distance in representable values between two finite numbers of the dtype. */
static double ulp_distance(double a, double b, DType d)
{
    if (d == DT_F32) {
        float fa = (float)a, fb = (float)b;
        int32_t ia, ib;
        memcpy(&ia, &fa, 4);
        memcpy(&ib, &fb, 4);
        int64_t x = ia < 0 ? INT32_MIN - (int64_t)ia : ia;
        int64_t y = ib < 0 ? INT32_MIN - (int64_t)ib : ib;
        return fabs((double)(x - y));
    }
    int64_t ia, ib;
    memcpy(&ia, &a, 8);
    memcpy(&ib, &b, 8);
    /* map to a monotonic integer line; the difference of two doubles' positions can exceed
     * int64 only for values of opposite signs far apart, which any tolerance rejects */
    double x = ia < 0 ? -(double)(ia & INT64_MAX) : (double)ia;
    double y = ib < 0 ? -(double)(ib & INT64_MAX) : (double)ib;
    return fabs(x - y);
}

static bool floats_agree(double got, double want, DType d, const Tolerance *tol)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want);
    if (got == want)
        return true;
    if (isinf(got) || isinf(want))
        return false;
    switch (tol->kind) {
    case TOL_EXACT:
        return false;
    case TOL_ULP:
        return ulp_distance(got, want, d) <= tol->ulps;
    default:
        return fabs(got - want) <= tol->atol + tol->rtol * fabs(want);
    }
}

/* Element k of a value as double / int64 (a scalar is its own element 0). */
static double element_f64(RtValue v, int64_t k)
{
    return v.is_tensor ? tensor_get_f64(v.t, k) : rt_as_f64(v);
}

static int64_t element_i64(RtValue v, int64_t k)
{
    return v.is_tensor ? tensor_get_i64(v.t, k) : v.i;
}

/* NULL when got matches want, else a description of the first difference (static buffer). */
static const char *difference(RtValue got, RtValue want, const Tolerance *tol)
{
    static char msg[512];
    char g[128], w[128];
    if (got.dtype != want.dtype || got.is_tensor != want.is_tensor) {
        snprintf(msg, sizeof msg, "got a %s %s, want a %s %s", type_dtype_name(got.dtype),
                 got.is_tensor ? "tensor" : "scalar", type_dtype_name(want.dtype),
                 want.is_tensor ? "tensor" : "scalar");
        return msg;
    }
    int64_t n = 1;
    if (want.is_tensor) {
        tensor_describe(got.t, g, sizeof g);
        tensor_describe(want.t, w, sizeof w);
        if (!tensor_same_shape(got.t, want.t) || got.t->numel != want.t->numel) {
            snprintf(msg, sizeof msg, "got %s, want %s", g, w);
            return msg;
        }
        if (want.t->sparse) {
            for (int64_t i = 0; i <= want.t->shape[0]; i++)
                if (got.t->rowptr[i] != want.t->rowptr[i]) {
                    snprintf(msg, sizeof msg, "rowptr[%lld] differs", (long long)i);
                    return msg;
                }
            for (int64_t i = 0; i < want.t->numel; i++)
                if (got.t->colidx[i] != want.t->colidx[i]) {
                    snprintf(msg, sizeof msg, "colidx[%lld] differs", (long long)i);
                    return msg;
                }
        }
        n = want.t->numel;
    }
    bool is_float = want.dtype == DT_F32 || want.dtype == DT_F64;
    for (int64_t k = 0; k < n; k++) {
        if (is_float) {
            double a = element_f64(got, k), b = element_f64(want, k);
            if (!floats_agree(a, b, want.dtype, tol)) {
                snprintf(msg, sizeof msg, "element %lld: got %.17g, want %.17g", (long long)k, a,
                         b);
                return msg;
            }
        } else if (element_i64(got, k) != element_i64(want, k)) {
            snprintf(msg, sizeof msg, "element %lld: got %lld, want %lld", (long long)k,
                     (long long)element_i64(got, k), (long long)element_i64(want, k));
            return msg;
        }
    }
    return NULL;
}

/* ---- running cases ---- */

enum { MAX_ARGS = 16 };

typedef struct {
    char name[160];
    IrOpcode opcode;
    Arena arena;
    IrModule *module;
    IrValue *operands[MAX_ARGS];
    RtValue args[MAX_ARGS];
    int nargs;
    struct {
        char name[32], kind[16];
        const char *values[8];
        int nvalues;
    } attrs[4];
    int nattrs;
    Type result;
    RtValue want;
    bool has_want;
    Tolerance tol;
    char error[256];
} Case;

static void case_free(Case *c)
{
    for (int i = 0; i < c->nargs; i++)
        rt_value_release(&c->args[i]);
    if (c->has_want)
        rt_value_release(&c->want);
    arena_free(&c->arena);
}

/* Builds the op and evaluates it; returns NULL on success, else what went wrong. */
static const char *run_case(Case *c)
{
    static char msg[1600];
    IrModule *m = c->module;
    IrOp *op = ir_op_new(m, c->opcode, c->operands, c->nargs, &c->result, 1);
    for (int i = 0; i < c->nattrs; i++) {
        if (strcmp(c->attrs[i].kind, "int") == 0)
            ir_set_int(m, op, c->attrs[i].name, atoll(c->attrs[i].values[0]));
        else if (strcmp(c->attrs[i].kind, "bool") == 0)
            ir_set_bool(m, op, c->attrs[i].name, atoi(c->attrs[i].values[0]) != 0);
        else
            ir_set_strings(m, op, c->attrs[i].name, c->attrs[i].values, c->attrs[i].nvalues);
    }
    RtEvalContext ctx = {.checked = true, .run_seed = 1};
    RtValue result = {0};
    RtError err = {0};
    bool ok = rt_eval_op(&ctx, op, 7, c->args, &result, &err);
    const char *problem = NULL;
    if (c->error[0]) {
        if (ok) {
            problem = "expected an error, it succeeded";
        } else if (!strstr(err.message, c->error)) {
            snprintf(msg, sizeof msg, "expected an error with \"%s\", got \"%s\"", c->error,
                     err.message);
            problem = msg;
        } else if (result.is_tensor || result.dtype != DT_NONE) {
            problem = "a failed op left a result";
        }
    } else if (!ok) {
        snprintf(msg, sizeof msg, "failed: %s", err.message);
        problem = msg;
    } else {
        problem = difference(result, c->want, &c->tol);
    }
    rt_value_release(&result);
    return problem;
}

/* Runs every case of a data file; reports each failure and fails when there was one. */
static void run_file(const char *file)
{
    char *text = read_data(file);
    Tokens t = {0};
    Case c;
    bool open = false;
    int cases = 0, failures = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        tokenize(line, &t);
        if (t.n == 0)
            continue;
        const char *key = t.tok[0];
        if (strcmp(key, "case") == 0) {
            memset(&c, 0, sizeof c);
            snprintf(c.name, sizeof c.name, "%s", t.tok[1]);
            arena_init(&c.arena);
            c.module = ir_module_new(&c.arena);
            open = true;
        } else if (strcmp(key, "op") == 0) {
            cr_assert(ir_opcode_from_name(t.tok[1], strlen(t.tok[1]), &c.opcode), "%s", t.tok[1]);
        } else if (strcmp(key, "attr") == 0) {
            cr_assert_lt(c.nattrs, 4);
            snprintf(c.attrs[c.nattrs].name, 32, "%s", t.tok[1]);
            snprintf(c.attrs[c.nattrs].kind, 16, "%s", t.tok[2]);
            for (int i = 3; i < t.n && i - 3 < 8; i++)
                c.attrs[c.nattrs].values[c.attrs[c.nattrs].nvalues++] =
                    arena_strdup(&c.arena, t.tok[i]);
            c.nattrs++;
        } else if (strcmp(key, "arg") == 0) {
            cr_assert_lt(c.nargs, MAX_ARGS);
            Type type;
            c.args[c.nargs] = parse_value(&t, 1, &type);
            c.operands[c.nargs] = ir_region_add_arg(c.module, c.module->body, type);
            c.nargs++;
        } else if (strcmp(key, "result") == 0) {
            c.result = (Type){.dtype = dtype_named(t.tok[1]), .rank = (uint8_t)atoi(t.tok[2])};
            for (int i = 0; i < c.result.rank; i++)
                c.result.dims[i] = (Dim){.kind = DIM_ANY};
        } else if (strcmp(key, "out") == 0) {
            Type ignored;
            c.want = parse_value(&t, 1, &ignored);
            c.has_want = true;
        } else if (strcmp(key, "tol") == 0) {
            if (strcmp(t.tok[1], "ulp") == 0)
                c.tol = (Tolerance){.kind = TOL_ULP, .ulps = atof(t.tok[2])};
            else if (strcmp(t.tok[1], "close") == 0)
                c.tol = (Tolerance){TOL_CLOSE, 0, atof(t.tok[2]), atof(t.tok[3])};
            else
                c.tol = (Tolerance){.kind = TOL_EXACT};
        } else if (strcmp(key, "error") == 0) {
            /* the rest of the line, re-joined */
            int len = 0;
            for (int i = 1; i < t.n; i++)
                len += snprintf(c.error + len, sizeof c.error - (size_t)len, "%s%s",
                                i > 1 ? " " : "", t.tok[i]);
        } else if (strcmp(key, "end") == 0) {
            cr_assert(open);
            const char *problem = run_case(&c);
            if (problem) {
                failures++;
                cr_log_error("%s: %s: %s", file, c.name, problem);
            }
            cases++;
            case_free(&c);
            open = false;
        } else {
            cr_assert_fail("%s: unknown line '%s'", file, key);
        }
    }
    free(t.tok);
    free(text);
    cr_assert_gt(cases, 0, "%s has no cases", file);
    cr_assert_eq(failures, 0, "%s: %d of %d cases failed (see the log)", file, failures, cases);
}

Test(eval, elementwise_ops_match_numpy)
{
    run_file("elementwise.txt");
}

Test(eval, reductions_and_softmax_match_numpy_and_scipy)
{
    run_file("reductions.txt");
}

Test(eval, linear_algebra_matches_numpy_and_scipy_sparse)
{
    run_file("linalg.txt");
}

Test(eval, indexing_slicing_gather_reshape_match_numpy)
{
    run_file("indexing.txt");
}

Test(eval, constructors_match_numpy)
{
    run_file("constructors.txt");
}

/* ---- random numbers ---- */

Test(eval, philox_and_distributions_match_numpy_philox)
{
    char *text = read_data("random.txt");
    Tokens t = {0};
    char *save = NULL;
    int checked = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        tokenize(line, &t);
        uint64_t seed = strtoull(t.tok[1], NULL, 10);
        if (strcmp(t.tok[0], "philox") == 0) {
            uint64_t key[2] = {seed, strtoull(t.tok[2], NULL, 10)};
            uint64_t counter[4] = {strtoull(t.tok[3], NULL, 10), 0, 0, 0}, out[4];
            rt_philox4x64(counter, key, out);
            for (int i = 0; i < 4; i++)
                cr_assert_eq(out[i], strtoull(t.tok[5 + i], NULL, 10), "%s: word %d", line, i);
        } else if (strcmp(t.tok[0], "uniform") == 0) {
            double v = rt_random_uniform(seed, atoll(t.tok[2]));
            cr_assert_eq(v, strtod(t.tok[4], NULL), "%s", line);
        } else if (strcmp(t.tok[0], "normal") == 0) {
            double v = rt_random_normal(seed, atoll(t.tok[2])), want = strtod(t.tok[4], NULL);
            cr_assert_leq(fabs(v - want), 1e-14 * fmax(1.0, fabs(want)), "%s: got %.17g", line, v);
        } else {
            int64_t v = rt_random_int(seed, atoll(t.tok[2]), strtoll(t.tok[3], NULL, 10),
                                      strtoll(t.tok[4], NULL, 10));
            cr_assert_eq(v, strtoll(t.tok[6], NULL, 10), "%s", line);
        }
        checked++;
    }
    free(t.tok);
    free(text);
    cr_assert_gt(checked, 200);
}

/* One random op: sizes, then its parameters, then an optional seed. */
typedef struct {
    Arena arena;
    IrModule *m;
    IrOp *op;
    RtValue args[8];
    int nargs;
} RandomOp;

static void random_op(RandomOp *r, IrOpcode opcode, DType dtype, int rank, const int64_t *shape,
                      const RtValue *params, int nparams, const int64_t *seed)
{
    memset(r, 0, sizeof *r);
    arena_init(&r->arena);
    r->m = ir_module_new(&r->arena);
    IrValue *operands[8];
    Type result = {.dtype = dtype, .rank = (uint8_t)rank};
    for (int d = 0; d < rank; d++) {
        r->args[r->nargs] = rt_i64(shape[d]);
        operands[r->nargs++] = ir_region_add_arg(r->m, r->m->body, type_scalar(DT_I64));
        result.dims[d] = (Dim){.kind = DIM_CONST, .value = shape[d]};
    }
    for (int i = 0; i < nparams; i++) {
        r->args[r->nargs] = params[i];
        operands[r->nargs++] = ir_region_add_arg(r->m, r->m->body, type_scalar(params[i].dtype));
    }
    if (seed) {
        r->args[r->nargs] = rt_i64(*seed);
        operands[r->nargs++] = ir_region_add_arg(r->m, r->m->body, type_scalar(DT_I64));
    }
    r->op = ir_op_new(r->m, opcode, operands, r->nargs, &result, 1);
}

/* Evaluates the random op with a run seed and op key; returns the tensor (owned). */
static Tensor *draw(RandomOp *r, uint64_t run_seed, uint64_t op_key)
{
    RtEvalContext ctx = {.checked = true, .run_seed = run_seed};
    RtValue out;
    RtError err = {0};
    cr_assert(rt_eval_op(&ctx, r->op, op_key, r->args, &out, &err), "%s", err.message);
    cr_assert(out.is_tensor);
    return out.t;
}

Test(eval, randn_is_determined_by_seed_and_element_index)
{
    RtValue scale = rt_f64(1.0);
    int64_t seed = 42, other = 43, n10[1] = {10}, n23[2] = {2, 3};
    RandomOp a, b, c, d;
    random_op(&a, IR_OP_RANDN, DT_F64, 1, n10, &scale, 1, &seed);
    random_op(&b, IR_OP_RANDN, DT_F64, 2, n23, &scale, 1, &seed);
    random_op(&c, IR_OP_RANDN, DT_F64, 1, n10, &scale, 1, &other);
    random_op(&d, IR_OP_RANDN, DT_F64, 1, n10, &scale, 1, NULL);
    Tensor *ta = draw(&a, 0, 1), *ta2 = draw(&a, 99, 5), *tb = draw(&b, 0, 1), *tc = draw(&c, 0, 1);
    /* the same seed gives the same tensor, whatever the run seed and op key */
    cr_assert_arr_eq(ta->data, ta2->data, tensor_bytes(ta));
    /* element k does not depend on the shape it is generated in */
    cr_assert_arr_eq(ta->data, tb->data, 6 * sizeof(double));
    /* another seed gives other numbers */
    int same = 0;
    for (int k = 0; k < 10; k++)
        same += ((double *)ta->data)[k] == ((double *)tc->data)[k];
    cr_assert_eq(same, 0);
    /* element k is the library's normal k of the seed */
    for (int k = 0; k < 10; k++)
        cr_assert_eq(((double *)ta->data)[k], rt_random_normal(42, k));
    /* without a seed: fixed by (run seed, op key), different for another key or run seed */
    Tensor *u1 = draw(&d, 5, 100), *u2 = draw(&d, 5, 100), *u3 = draw(&d, 5, 101),
           *u4 = draw(&d, 6, 100);
    cr_assert_arr_eq(u1->data, u2->data, tensor_bytes(u1));
    cr_assert_neq(((double *)u1->data)[0], ((double *)u3->data)[0]);
    cr_assert_neq(((double *)u1->data)[0], ((double *)u4->data)[0]);
    Tensor *all[] = {ta, ta2, tb, tc, u1, u2, u3, u4};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        tensor_unref(all[i]);
    RandomOp *ops[] = {&a, &b, &c, &d};
    for (int i = 0; i < 4; i++)
        arena_free(&ops[i]->arena);
}

Test(eval, randn_f32_is_the_rounded_scaled_f64_stream)
{
    RtValue scale32 = rt_f32(0.5), scale64 = rt_f64(0.5);
    int64_t seed = 7, n[1] = {50};
    RandomOp a, b;
    random_op(&a, IR_OP_RANDN, DT_F32, 1, n, &scale32, 1, &seed);
    random_op(&b, IR_OP_RANDN, DT_F64, 1, n, &scale64, 1, &seed);
    Tensor *x = draw(&a, 0, 0), *y = draw(&b, 0, 0);
    for (int k = 0; k < 50; k++)
        cr_assert_eq(((float *)x->data)[k], (float)((double *)y->data)[k]);
    tensor_unref(x);
    tensor_unref(y);
    arena_free(&a.arena);
    arena_free(&b.arena);
}

Test(eval, randn_moments_over_100k_draws)
{
    RtValue scale = rt_f64(2.0);
    int64_t seed = 2024, n[1] = {100000};
    RandomOp r;
    random_op(&r, IR_OP_RANDN, DT_F64, 1, n, &scale, 1, &seed);
    Tensor *x = draw(&r, 0, 0);
    const double *v = x->data;
    double sum = 0, sq = 0, fourth = 0;
    int beyond3 = 0;
    for (int64_t k = 0; k < n[0]; k++) {
        double z = v[k] / 2.0;
        sum += z;
        sq += z * z;
        fourth += z * z * z * z;
        beyond3 += fabs(z) > 3;
    }
    double mean = sum / n[0], var = sq / n[0] - mean * mean, kurt = fourth / n[0];
    /* five standard errors: mean 1/sqrt(n), variance sqrt(2/n), fourth moment sqrt(96/n) */
    cr_assert_lt(fabs(mean), 5 / sqrt(1e5), "mean %g", mean);
    cr_assert_lt(fabs(var - 1), 5 * sqrt(2 / 1e5), "variance %g", var);
    cr_assert_lt(fabs(kurt - 3), 5 * sqrt(96 / 1e5), "fourth moment %g", kurt);
    /* P(|z| > 3) = 0.0027: 270 expected, sd 16.4 */
    cr_assert(beyond3 > 270 - 82 && beyond3 < 270 + 82, "%d beyond 3 sigma", beyond3);
    tensor_unref(x);
    arena_free(&r.arena);
}

Test(eval, uniform_and_randint_cover_their_ranges_evenly)
{
    RtValue bounds[2] = {rt_f64(2.0), rt_f64(5.0)};
    int64_t seed = 11, n[1] = {100000};
    RandomOp u;
    random_op(&u, IR_OP_UNIFORM, DT_F64, 1, n, bounds, 2, &seed);
    Tensor *x = draw(&u, 0, 0);
    double sum = 0;
    for (int64_t k = 0; k < n[0]; k++) {
        double v = ((double *)x->data)[k];
        cr_assert(v >= 2.0 && v < 5.0, "%g", v);
        sum += v;
    }
    /* mean 3.5, sd of the mean 3 / sqrt(12 n) */
    cr_assert_lt(fabs(sum / n[0] - 3.5), 5 * 3 / sqrt(12 * 1e5));
    tensor_unref(x);
    arena_free(&u.arena);

    RtValue ibounds[2] = {rt_i64(-3), rt_i64(7)};
    RandomOp ri;
    random_op(&ri, IR_OP_RANDINT, DT_I64, 1, n, ibounds, 2, &seed);
    Tensor *y = draw(&ri, 0, 0);
    int64_t counts[10] = {0};
    for (int64_t k = 0; k < n[0]; k++) {
        int64_t v = ((int64_t *)y->data)[k];
        cr_assert(v >= -3 && v < 7, "%lld", (long long)v);
        counts[v + 3]++;
    }
    /* each value 10000 times, sd sqrt(n p (1 - p)) = 94.9 */
    for (int i = 0; i < 10; i++)
        cr_assert_lt(llabs(counts[i] - 10000), 5 * 95, "value %d drawn %lld times", i - 3,
                     (long long)counts[i]);
    tensor_unref(y);
    arena_free(&ri.arena);

    /* f32 uniform values stay below hi even where rounding to float would reach it */
    RtValue fb[2] = {rt_f32(0.0), rt_f32(1e-30)};
    int64_t small[1] = {1000};
    RandomOp uf;
    random_op(&uf, IR_OP_UNIFORM, DT_F32, 1, small, fb, 2, &seed);
    Tensor *z = draw(&uf, 0, 0);
    for (int64_t k = 0; k < small[0]; k++)
        cr_assert(((float *)z->data)[k] < 1e-30f);
    tensor_unref(z);
    arena_free(&uf.arena);
}

/* ---- building single ops by hand ---- */

/* An op over block arguments typed like the given values. */
static IrOp *op_over(IrModule *m, IrOpcode opcode, const RtValue *args, int n, Type result)
{
    IrValue *operands[8];
    for (int i = 0; i < n; i++) {
        Type t = {.dtype = args[i].dtype};
        if (args[i].is_tensor) {
            t.rank = (uint8_t)args[i].t->rank;
            t.sparse = args[i].t->sparse;
            for (int d = 0; d < t.rank; d++)
                t.dims[d] = (Dim){.kind = DIM_CONST, .value = args[i].t->shape[d]};
        }
        operands[i] = ir_region_add_arg(m, m->body, t);
    }
    return ir_op_new(m, opcode, operands, n, &result, 1);
}

static Tensor *vector_f64(int64_t n, const double *v)
{
    Tensor *t = tensor_new(DT_F64, 1, &n);
    memcpy(t->data, v, (size_t)n * sizeof *v);
    return t;
}

static Tensor *iota_f64(int rank, const int64_t *shape)
{
    Tensor *t = tensor_new(DT_F64, rank, shape);
    for (int64_t k = 0; k < t->numel; k++)
        ((double *)t->data)[k] = (double)k;
    return t;
}

Test(eval, scalar_operands_give_scalars_without_tensors)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    RtValue args[2] = {rt_f32(0.1), rt_f32(0.2)};
    IrOp *op = op_over(m, IR_OP_ADD, args, 2, type_scalar(DT_F32));
    RtValue out;
    RtError err = {0};
    cr_assert(rt_eval_op(NULL, op, 0, args, &out, &err), "%s", err.message);
    cr_assert_not(out.is_tensor);
    cr_assert_eq(out.dtype, DT_F32);
    cr_assert_eq(out.f, (double)(0.1f + 0.2f)); /* computed in float, not in double */

    RtValue iargs[2] = {{.dtype = DT_I32, .i = INT32_MAX}, {.dtype = DT_I32, .i = 1}};
    IrOp *iop = op_over(m, IR_OP_ADD, iargs, 2, type_scalar(DT_I32));
    cr_assert(rt_eval_op(NULL, iop, 0, iargs, &out, &err));
    cr_assert_eq(out.i, INT32_MIN); /* wraps */
    arena_free(&a);
}

Test(eval, operands_of_another_dtype_are_converted_first)
{
    /* the lowering never leaves them, but a pass might: f64[3] + i64 scalar into f64 */
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    double v[3] = {0.5, 1.5, -2};
    RtValue args[2] = {rt_tensor(vector_f64(3, v)), rt_i64(2)};
    IrOp *op = op_over(m, IR_OP_MUL, args, 2, (Type){.dtype = DT_F64, .rank = 1});
    RtValue out;
    RtError err = {0};
    cr_assert(rt_eval_op(NULL, op, 0, args, &out, &err), "%s", err.message);
    cr_assert(out.is_tensor && out.dtype == DT_F64);
    double want[3] = {1, 3, -4};
    cr_assert_arr_eq(out.t->data, want, sizeof want);
    rt_value_release(&out);
    /* a sum of bool into i64 (sum(mask) where the cast was dropped) */
    int64_t n = 4;
    Tensor *mask = tensor_new(DT_BOOL, 1, &n);
    memcpy(mask->data, (uint8_t[]){1, 0, 1, 1}, 4);
    RtValue b = rt_tensor(mask);
    IrOp *sum = op_over(m, IR_OP_SUM, &b, 1, type_scalar(DT_I64));
    cr_assert(rt_eval_op(NULL, sum, 0, &b, &out, &err), "%s", err.message);
    cr_assert(!out.is_tensor && out.dtype == DT_I64 && out.i == 3);
    rt_value_release(&b);
    rt_value_release(&args[0]);
    arena_free(&a);
}

Test(eval, inplace_reuses_a_dying_operand_only_when_nobody_else_holds_it)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    double v[3] = {1, 2, 3};
    Tensor *x = vector_f64(3, v);
    RtValue args[2] = {rt_f64(10), rt_tensor(x)};
    IrOp *op = op_over(m, IR_OP_SUB, args, 2, (Type){.dtype = DT_F64, .rank = 1});
    ir_set_int(m, op, "inplace", 1);
    RtValue out;
    RtError err = {0};
    /* x held by its slot only: 10 - x is written over x */
    cr_assert(rt_eval_op(NULL, op, 0, args, &out, &err), "%s", err.message);
    cr_assert_eq(out.t, x);
    cr_assert_eq(x->refs, 2);
    double want[3] = {9, 8, 7};
    cr_assert_arr_eq(x->data, want, sizeof want);
    rt_value_release(&out);
    /* a second holder (a snapshot, a state slot): a new tensor, x untouched */
    Tensor *held = tensor_ref(x);
    cr_assert(rt_eval_op(NULL, op, 0, args, &out, &err), "%s", err.message);
    cr_assert_neq(out.t, x);
    cr_assert_arr_eq(x->data, want, sizeof want);
    double again[3] = {1, 2, 3};
    cr_assert_arr_eq(out.t->data, again, sizeof again);
    rt_value_release(&out);
    tensor_unref(held);
    /* an operand of another shape than the result (it is broadcast) is never reused */
    int64_t shape[2] = {2, 3};
    RtValue wide[2] = {rt_tensor(iota_f64(2, shape)), rt_tensor(x)};
    IrOp *add = op_over(m, IR_OP_ADD, wide, 2, (Type){.dtype = DT_F64, .rank = 2});
    ir_set_int(m, add, "inplace", 1);
    cr_assert(rt_eval_op(NULL, add, 0, wide, &out, &err), "%s", err.message);
    cr_assert(out.t != x && out.t->numel == 6);
    rt_value_release(&out);
    rt_value_release(&wide[0]);
    tensor_unref(x);
    arena_free(&a);
}

Test(eval, errors_name_the_source_position_and_leave_no_result)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    int64_t n = 10;
    RtValue args[2] = {rt_tensor(iota_f64(1, &n)), rt_i64(10)};
    IrOp *op = op_over(m, IR_OP_INDEX, args, 2, type_scalar(DT_F64));
    op->loc = (IrLoc){"prog.dml", 12, 5};
    RtValue out = rt_i64(123);
    RtError err = {0};
    cr_assert_not(rt_eval_op(&(RtEvalContext){.checked = true}, op, 0, args, &out, &err));
    cr_assert_str_eq(err.message,
                     "prog.dml:12:5: error: index 10 is out of range for dimension 0 of size 10");
    cr_assert_not(out.is_tensor);
    cr_assert_eq(out.dtype, DT_NONE);

    /* integer modulo by zero, on scalars */
    RtValue mod[2] = {rt_i64(5), rt_i64(0)};
    IrOp *mop = op_over(m, IR_OP_MOD, mod, 2, type_scalar(DT_I64));
    mop->loc = (IrLoc){"prog.dml", 3, 9};
    RtError merr = {0};
    cr_assert_not(rt_eval_op(NULL, mop, 0, mod, &out, &merr));
    cr_assert_str_eq(merr.message, "prog.dml:3:9: error: t.mod: integer modulo by zero");

    /* an op that is not evaluated here */
    IrOp *read = ir_op_new(m, IR_OP_STATE_READ, NULL, 0, &(Type){.dtype = DT_F64}, 1);
    RtError rerr = {0};
    cr_assert_not(rt_eval_op(NULL, read, 0, NULL, &out, &rerr));
    cr_assert(strstr(rerr.message, "state.read is not evaluated by rt_eval_op"), "%s",
              rerr.message);
    rt_value_release(&args[0]);
    arena_free(&a);
}

Test(eval, broadcast_shapes_follow_numpy)
{
    int r;
    int64_t out[4];
    cr_assert(rt_broadcast_shapes(2, (int64_t[]){3, 1}, 1, (int64_t[]){4}, &r, out));
    cr_assert_eq(r, 2);
    cr_assert(out[0] == 3 && out[1] == 4);
    cr_assert(rt_broadcast_shapes(0, NULL, 3, (int64_t[]){2, 1, 5}, &r, out));
    cr_assert(r == 3 && out[0] == 2 && out[1] == 1 && out[2] == 5);
    cr_assert(rt_broadcast_shapes(4, (int64_t[]){2, 1, 3, 1}, 3, (int64_t[]){4, 1, 6}, &r, out));
    cr_assert(r == 4 && out[0] == 2 && out[1] == 4 && out[2] == 3 && out[3] == 6);
    cr_assert(rt_broadcast_shapes(1, (int64_t[]){0}, 1, (int64_t[]){1}, &r, out));
    cr_assert(r == 1 && out[0] == 0);
    cr_assert_not(rt_broadcast_shapes(1, (int64_t[]){3}, 1, (int64_t[]){4}, &r, out));
    cr_assert_not(rt_broadcast_shapes(2, (int64_t[]){2, 3}, 2, (int64_t[]){3, 3}, &r, out));
}

/* ---- selections ---- */

/* An op carrying an `index` attribute, for selection errors. */
static IrOp *indexed_op(IrModule *m, const char *const *positions, int n)
{
    IrOp *op = ir_op_new(m, IR_OP_SLICE, NULL, 0, &(Type){.dtype = DT_F64, .rank = 1}, 1);
    ir_set_strings(m, op, "index", positions, n);
    return op;
}

static void record_offset(int64_t offset, void *user)
{
    int64_t *list = user;
    list[1 + list[0]++] = offset;
}

Test(eval, selections_resolve_read_write_and_visit)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    int64_t shape[2] = {4, 5};
    Tensor *x = iota_f64(2, shape);
    const char *pos[] = {"a..b", "i"};
    IrOp *op = indexed_op(m, pos, 2);
    RtValue idx[3] = {rt_i64(1), rt_i64(3), rt_i64(2)};
    RtSelection sel;
    RtError err = {0};
    cr_assert(rt_selection_resolve(op, ir_get_attr(op, "index"), idx, 3, 2, shape, &sel, &err),
              "%s", err.message);
    cr_assert_eq(sel.sel_rank, 1);
    cr_assert_eq(sel.sel_shape[0], 2);
    cr_assert(sel.dropped[1] && !sel.dropped[0]);

    /* X[1..3, 2] = [7, 12] */
    RtValue part;
    cr_assert(rt_selection_read(op, x, &sel, &part, &err));
    cr_assert(part.is_tensor && part.t->numel == 2);
    cr_assert_eq(((double *)part.t->data)[0], 7);
    cr_assert_eq(((double *)part.t->data)[1], 12);
    rt_value_release(&part);

    /* visiting: offsets 7 and 12 in row-major order */
    int64_t offsets[8] = {0};
    rt_selection_for_each(&sel, shape, record_offset, offsets);
    cr_assert(offsets[0] == 2 && offsets[1] == 7 && offsets[2] == 12);

    /* X[1..3, 2] += 100, then -= [1, 2], then = 0.5 at the whole row 3 */
    cr_assert(rt_selection_apply(op, x, &sel, rt_f64(100), RT_APPLY_ADD, &err), "%s", err.message);
    double sub[2] = {1, 2};
    RtValue v = rt_tensor(vector_f64(2, sub));
    cr_assert(rt_selection_apply(op, x, &sel, v, RT_APPLY_SUB, &err), "%s", err.message);
    cr_assert_eq(((double *)x->data)[7], 7 + 100 - 1);
    cr_assert_eq(((double *)x->data)[12], 12 + 100 - 2);
    const char *row_pos[] = {"i", ":"};
    IrOp *row_op = indexed_op(m, row_pos, 2);
    RtValue three = rt_i64(3);
    cr_assert(rt_selection_resolve(row_op, ir_get_attr(row_op, "index"), &three, 1, 2, shape, &sel,
                                   &err));
    cr_assert(rt_selection_apply(row_op, x, &sel, rt_f64(0.5), RT_APPLY_SET, &err));
    for (int j = 0; j < 5; j++)
        cr_assert_eq(((double *)x->data)[15 + j], 0.5);
    cr_assert_eq(((double *)x->data)[14], 14);

    /* a column written with a broadcast [4, 1] value into X[:, 1..3] */
    const char *cols_pos[] = {":", "a..b"};
    IrOp *cols_op = indexed_op(m, cols_pos, 2);
    RtValue bounds[2] = {rt_i64(1), rt_i64(3)};
    cr_assert(rt_selection_resolve(cols_op, ir_get_attr(cols_op, "index"), bounds, 2, 2, shape,
                                   &sel, &err));
    int64_t col_shape[2] = {4, 1};
    Tensor *col = iota_f64(2, col_shape);
    cr_assert(rt_selection_apply(cols_op, x, &sel, rt_tensor(col), RT_APPLY_SET, &err), "%s",
              err.message);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(((double *)x->data)[i * 5 + 1], i);
        cr_assert_eq(((double *)x->data)[i * 5 + 2], i);
        cr_assert_eq(((double *)x->data)[i * 5 + 0], i == 3 ? 0.5 : i * 5);
    }

    /* a row [2] broadcasts down the selection's rows; [3] does not fit it */
    cr_assert(rt_selection_apply(cols_op, x, &sel, v, RT_APPLY_ADD, &err), "%s", err.message);
    cr_assert(((double *)x->data)[6] == 2 && ((double *)x->data)[7] == 3);
    double three_values[3] = {1, 2, 3};
    RtValue w = rt_tensor(vector_f64(3, three_values));
    cr_assert_not(rt_selection_apply(cols_op, x, &sel, w, RT_APPLY_SET, &err));
    cr_assert(strstr(err.message, "cannot write f64[3] into a selection of shape [4, 2]"), "%s",
              err.message);
    rt_value_release(&w);

    /* slice bounds past the end clamp as in NumPy: 2..6 of a dimension of 5 is 2..5 */
    RtError e1 = {0}, e2 = {0}, e3 = {0};
    RtValue bad[3] = {rt_i64(2), rt_i64(6), rt_i64(0)};
    cr_assert(
        rt_selection_resolve(cols_op, ir_get_attr(cols_op, "index"), bad, 2, 2, shape, &sel, &e1),
        "%s", e1.message);
    cr_assert_eq(sel.start[1], 2);
    cr_assert_eq(sel.count[1], 3);
    /* a negative start is an error (no wrap-around); then index bounds, operand counts */
    RtValue negative_start[2] = {rt_i64(-1), rt_i64(3)};
    cr_assert_not(rt_selection_resolve(cols_op, ir_get_attr(cols_op, "index"), negative_start, 2,
                                       2, shape, &sel, &e1));
    cr_assert(strstr(e1.message, "slice -1..3 of dimension 1 starts below 0"), "%s", e1.message);
    RtValue neg = rt_i64(-1);
    cr_assert_not(
        rt_selection_resolve(row_op, ir_get_attr(row_op, "index"), &neg, 1, 2, shape, &sel, &e2));
    cr_assert(strstr(e2.message, "index -1 is out of range for dimension 0 of size 4"), "%s",
              e2.message);
    cr_assert_not(
        rt_selection_resolve(row_op, ir_get_attr(row_op, "index"), bad, 3, 2, shape, &sel, &e3));
    cr_assert(strstr(e3.message, "takes 1 operands, saw 3"), "%s", e3.message);

    rt_value_release(&v);
    tensor_unref(col);
    tensor_unref(x);
    arena_free(&a);
}

Test(eval, csr_transpose_twice_is_the_original)
{
    /* [[1, 0, 2], [0, 0, 0], [0, 3, 0], [4, 0, 5]] */
    Tensor *s = tensor_new_csr(DT_F64, 4, 3, 5);
    int64_t rp[] = {0, 2, 2, 3, 5}, ci[] = {0, 2, 1, 0, 2};
    double v[] = {1, 2, 3, 4, 5};
    memcpy(s->rowptr, rp, sizeof rp);
    memcpy(s->colidx, ci, sizeof ci);
    memcpy(s->data, v, sizeof v);
    Tensor *t = rt_csr_transpose(s);
    int64_t trp[] = {0, 2, 3, 5}, tci[] = {0, 3, 2, 0, 3};
    double tv[] = {1, 4, 3, 2, 5};
    cr_assert(t->shape[0] == 3 && t->shape[1] == 4);
    cr_assert_arr_eq(t->rowptr, trp, sizeof trp);
    cr_assert_arr_eq(t->colidx, tci, sizeof tci);
    cr_assert_arr_eq(t->data, tv, sizeof tv);
    Tensor *back = rt_csr_transpose(t);
    cr_assert_arr_eq(back->rowptr, rp, sizeof rp);
    cr_assert_arr_eq(back->colidx, ci, sizeof ci);
    cr_assert_arr_eq(back->data, v, sizeof v);
    /* A.T @ [1, 1, 1, 1] = column sums [5, 3, 7] */
    double ones[4] = {1, 1, 1, 1}, y[3];
    cr_assert(rt_csr_matvec(s, true, ones, y));
    cr_assert(y[0] == 5 && y[1] == 3 && y[2] == 7);
    tensor_unref(s);
    tensor_unref(t);
    tensor_unref(back);
}
