/* test_autodiff.c: the autodiff pass (passes/autodiff*.c): ad.grad expansion, the shape of the
 * derivative code (broadcast sums, reductions expanded back, transposes, zeros), diagnostics for
 * what cannot be differentiated, and exact gradients run through the whole pipeline. The numerical
 * checks of every rule against finite differences are the programs in tests/grad/. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "executor/runtime.h"
#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "ir/ir.h"
#include "passes/passes.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* One compilation: the source, its diagnostics, the arena and the module. */
typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    IrModule *module;
} Unit;

static char *rendered(const DiagList *d)
{
    Buf b = {0};
    diag_render(d, &b);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

static char *printed(const IrModule *m)
{
    Buf b = {0};
    ir_print(m, &b, NULL);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

static void unit_init(Unit *u, const char *path, const char *text)
{
    src_from_text(&u->file, path, text, strlen(text));
    arena_init(&u->arena);
    diag_init(&u->diags, &u->file);
    u->module = NULL;
}

static void unit_free(Unit *u)
{
    diag_free(&u->diags);
    arena_free(&u->arena);
    src_free(&u->file);
}

/* Checks and lowers DML text into u (asserting that it verifies). */
static void lower_dml(Unit *u, const char *path, const char *dml)
{
    unit_init(u, path, dml);
    Program *prog = fe_check(&u->file, &u->arena, &u->diags);
    u->module = prog ? lower_program(prog, &u->arena, &u->diags) : NULL;
    cr_assert_not_null(u->module, "%s: lowering failed:\n%s", path, rendered(&u->diags));
    cr_assert(ir_verify(u->module, &u->diags), "%s: lowered IR does not verify:\n%s", path,
              rendered(&u->diags));
}

/* Reads IR text into u (asserting that it reads and verifies). */
static void read_ir(Unit *u, const char *text)
{
    unit_init(u, "t.ir", text);
    u->module = ir_read(&u->file, &u->arena, &u->diags);
    cr_assert_not_null(u->module, "%s", rendered(&u->diags));
    cr_assert(ir_verify(u->module, &u->diags), "%s", rendered(&u->diags));
}

static int count_ops_in(const IrRegion *r, IrOpcode opcode)
{
    int n = 0;
    for (const IrOp *op = r->first; op; op = op->next) {
        n += op->opcode == opcode;
        for (int i = 0; i < op->nregions; i++)
            n += count_ops_in(op->regions[i], opcode);
    }
    return n;
}

static int count_ops(const IrModule *m, IrOpcode opcode)
{
    return count_ops_in(m->body, opcode);
}

/* ir.const ops of one dtype, anywhere in the module. */
static int count_consts_in(const IrRegion *r, DType dtype)
{
    int n = 0;
    for (const IrOp *op = r->first; op; op = op->next) {
        n += op->opcode == IR_OP_CONST && op->results[0]->type.dtype == dtype;
        for (int i = 0; i < op->nregions; i++)
            n += count_consts_in(op->regions[i], dtype);
    }
    return n;
}

/* Runs the pass on u's module and asserts that it succeeds, leaves no ad.grad and verifies;
 * returns the printed result (caller frees). */
static char *differentiate(Unit *u)
{
    cr_assert(pass_autodiff(u->module, &u->diags), "autodiff failed:\n%s", rendered(&u->diags));
    cr_assert_eq(u->diags.nerrors, 0, "%s", rendered(&u->diags));
    cr_assert(ir_verify(u->module, &u->diags), "the IR is invalid after autodiff:\n%s\n%s",
              rendered(&u->diags), printed(u->module));
    cr_assert_eq(count_ops(u->module, IR_OP_AD_GRAD), 0);
    return printed(u->module);
}

static char *differentiate_dml(Unit *u, const char *dml)
{
    lower_dml(u, "p.dml", dml);
    return differentiate(u);
}

/* The pass rejects the IR text; the diagnostics name line `line` of t.ir and contain `what`. */
static void expect_rejected(const char *text, int line, const char *what)
{
    Unit u;
    read_ir(&u, text);
    cr_assert_not(pass_autodiff(u.module, &u.diags), "the pass should fail for:\n%s", text);
    char *diags = rendered(&u.diags);
    char where[32];
    snprintf(where, sizeof where, "t.ir:%d:", line);
    cr_expect(strstr(diags, where) != NULL, "expected an error on line %d:\n%s", line, diags);
    cr_expect(strstr(diags, what) != NULL, "expected \"%s\" in:\n%s", what, diags);
    cr_expect_eq(count_ops(u.module, IR_OP_AD_GRAD), 1, "a rejected grad is left as it was");
    free(diags);
    unit_free(&u);
}

static void expect_contains(const char *text, const char *part)
{
    cr_expect(strstr(text, part) != NULL, "expected\n  %s\nin:\n%s", part, text);
}

/* ---- expansion ---- */

Test(autodiff, grad_becomes_forward_ops_then_adjoints_in_reverse_order)
{
    Unit u;
    char *text = differentiate_dml(&u, "param w: f64 = 3.0\n"
                                       "let g = grad(w * w * w, wrt=w)\n"
                                       "print(g)\n");
    /* d(w*w*w)/dw = 3 w^2: the product's two uses of w*w and w each add an adjoint */
    cr_expect_str_eq(text, "%0 = \"ir.const\"() {value = 3.0} : () -> f64\n"
                           "\"state.param\"(%0) {sym = @w, type = f64} : (f64) -> ()\n"
                           "%1 = \"state.read\"() {sym = @w} : () -> f64\n"
                           "%2 = \"t.mul\"(%1, %1) : (f64, f64) -> f64\n"
                           "%3 = \"t.mul\"(%2, %1) : (f64, f64) -> f64\n"
                           "%4 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                           "%5 = \"t.mul\"(%4, %1) : (f64, f64) -> f64\n"
                           "%6 = \"t.mul\"(%4, %2) : (f64, f64) -> f64\n"
                           "%7 = \"t.mul\"(%5, %1) : (f64, f64) -> f64\n"
                           "%8 = \"t.add\"(%6, %7) : (f64, f64) -> f64\n"
                           "%9 = \"t.mul\"(%5, %1) : (f64, f64) -> f64\n"
                           "%10 = \"t.add\"(%8, %9) : (f64, f64) -> f64\n"
                           "\"obs.print\"(%10) : (f64) -> ()\n");
    free(text);
    unit_free(&u);
}

Test(autodiff, broadcast_operands_get_adjoints_summed_over_the_broadcast_dimensions)
{
    Unit u;
    char *text = differentiate_dml(&u, "input X: f64[n, d] = load(\"X.csv\")\n"
                                       "param b: f64[d] = zeros\n"
                                       "param c: f64[n, 1] = zeros\n"
                                       "let (gb, gc) = grad(sum(X + b + c), wrt=(b, c))\n"
                                       "print(gb, gc)\n");
    /* b was broadcast along the rows: summed over axis 0; c along its size-1 column: summed over
     * axis 1 and reshaped back to a column */
    expect_contains(text, "{axis = 0} : (f64[n, d]) -> f64[d]\n");
    expect_contains(text, "{axis = 1} : (f64[n, d]) -> f64[n]\n");
    expect_contains(text, "\"t.reshape\"(%16, %17, %18) : (f64[n], i64, i64) -> f64[n, 1]\n");
    expect_contains(text, "\"obs.print\"(%20, %19) : (f64[d], f64[n, 1]) -> ()\n");
    free(text);
    unit_free(&u);
}

Test(autodiff, reduction_adjoints_are_expanded_back_along_the_axis)
{
    Unit u;
    char *text = differentiate_dml(&u, "input X: f64[n, k] = load(\"X.csv\")\n"
                                       "param W: f64[k, 3] = zeros\n"
                                       "let g = grad(sum(logsumexp(X @ W, axis=1)), wrt=W)\n"
                                       "print(g)\n");
    /* logsumexp's result and adjoint get a size-1 column to broadcast against X @ W */
    expect_contains(text, ": (f64[n], i64, i64) -> f64[n, 1]\n");
    expect_contains(text, "\"t.exp\"");
    expect_contains(text, "\"t.transpose\"(%1) : (f64[n, k]) -> f64[k, n]\n");
    expect_contains(text, ": (f64[k, n], f64[n, 3]) -> f64[k, 3]\n");
    free(text);
    unit_free(&u);
}

Test(autodiff, matrix_products_differentiate_through_transposes)
{
    Unit u;
    char *text = differentiate_dml(&u, "param A: f64[3, 4] = ones\n"
                                       "param B: f64[4, 2] = ones\n"
                                       "param x: f64[4] = ones\n"
                                       "let (gA, gB, gx) = grad(sum(A @ B) + sum(A @ x), "
                                       "wrt=(A, B, x))\n"
                                       "print(gA, gB, gx)\n");
    /* A @ B: dA = G B^T, dB = A^T G (G is ones: the adjoint of sum) */
    expect_contains(text, "%27 = \"t.transpose\"(%9) : (f64[4, 2]) -> f64[2, 4]\n"
                          "%28 = \"t.matmul\"(%26, %27) : (f64[3, 2], f64[2, 4]) -> f64[3, 4]\n");
    expect_contains(text, "%30 = \"t.transpose\"(%8) : (f64[3, 4]) -> f64[4, 3]\n"
                          "%31 = \"t.matmul\"(%30, %26) : (f64[4, 3], f64[3, 2]) -> f64[4, 2]\n");
    /* A @ x: dA = g x^T as the broadcast product of a column and a row, dx = g @ A; A's two
     * adjoints are summed */
    expect_contains(text, "%21 = \"t.reshape\"(%18, %19, %20) : (f64[3], i64, i64) -> f64[3, 1]\n"
                          "%22 = \"t.mul\"(%21, %10) : (f64[3, 1], f64[4]) -> f64[3, 4]\n"
                          "%23 = \"t.vecmat\"(%18, %8) : (f64[3], f64[3, 4]) -> f64[4]\n");
    expect_contains(text, "%29 = \"t.add\"(%22, %28) : (f64[3, 4], f64[3, 4]) -> f64[3, 4]\n");
    expect_contains(text, "\"obs.print\"(%29, %31, %23)");
    free(text);
    unit_free(&u);
}

Test(autodiff, objective_that_does_not_depend_on_an_operand_gives_zeros)
{
    Unit u;
    char *text = differentiate_dml(&u, "config k = 2\n"
                                       "param T: f64[2, k, 3] = zeros\n"
                                       "param v: f64[4] = ones\n"
                                       "param w: f64 = 1.0\n"
                                       "let (gT, gv, gw) = grad(w * w + f64(argmax(v)), "
                                       "wrt=(T, v, w))\n"
                                       "print(gT, gv, gw)\n");
    /* T is unused; v reaches the objective only through an integer: both get zeros, whose sizes
     * come from constants, a shape query and the config k */
    expect_contains(text, "\"cfg.get\"() {sym = @k} : () -> i64\n");
    cr_expect_eq(count_ops(u.module, IR_OP_ZEROS), 3, "%s", text); /* T's init, gT, gv */
    expect_contains(text, "%21 = \"t.zeros\"(%18, %19, %20) : (i64, i64, i64) -> f64[2, k, 3]\n");
    expect_contains(text, "\"obs.print\"(%21, %23, %17)");
    free(text);
    unit_free(&u);
}

Test(autodiff, grads_nested_in_loops_and_in_grads_are_expanded_innermost_first)
{
    Unit u;
    char *text = differentiate_dml(&u, "param w: f64[3] = ones\n"
                                       "for t in 0..2 {\n"
                                       "  let h = grad(sum(grad(sum(w * w * w), wrt=w)), wrt=w)\n"
                                       "  w -= 0.1 * h\n"
                                       "}\n");
    cr_expect_eq(count_ops(u.module, IR_OP_LOOP_FOR), 1);
    /* the expansion stays in the loop body, before the update that uses it */
    const IrOp *loop = u.module->body->last;
    cr_assert_eq(loop->opcode, IR_OP_LOOP_FOR);
    cr_expect_eq(loop->regions[0]->last->opcode, IR_OP_STATE_ACCUMULATE);
    cr_expect_gt(count_ops_in(loop->regions[0], IR_OP_MUL), 6, "%s", text);
    free(text);
    unit_free(&u);
}

Test(autodiff, f32_programs_get_only_f32_constants)
{
    Unit u;
    SrcFile f;
    const char *err = NULL;
    cr_assert(src_load(&f, "samples/mlp.dml", &err), "samples/mlp.dml: %s", err);
    lower_dml(&u, "samples/mlp.dml", f.text);
    src_free(&f);
    int f64_before = count_consts_in(u.module->body, DT_F64);
    int f32_before = count_consts_in(u.module->body, DT_F32);
    char *text = differentiate(&u);
    cr_expect_eq(count_consts_in(u.module->body, DT_F64), f64_before, "%s", text);
    cr_expect_gt(count_consts_in(u.module->body, DT_F32), f32_before);
    /* softmax cross-entropy through two layers: transposes for both matrix products */
    cr_expect_eq(count_ops(u.module, IR_OP_TRANSPOSE), 3, "%s", text);
    free(text);
    unit_free(&u);
}

Test(autodiff, every_gradient_check_program_expands_and_verifies)
{
    DIR *dir = opendir("tests/grad");
    cr_assert_not_null(dir, "run from the repository root");
    int programs = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".dml") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/grad/%s", e->d_name);
        SrcFile f;
        const char *err = NULL;
        cr_assert(src_load(&f, path, &err), "%s: %s", path, err);
        Unit u;
        lower_dml(&u, path, f.text);
        src_free(&f);
        cr_expect_gt(count_ops(u.module, IR_OP_AD_GRAD), 0, "%s has no grad", path);
        free(differentiate(&u));
        unit_free(&u);
        programs++;
    }
    closedir(dir);
    cr_expect_geq(programs, 12);
}

/* ---- what cannot be differentiated ---- */

Test(autodiff, rejects_a_loop_inside_grad)
{
    expect_rejected("%0 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                    "%1 = \"ad.grad\"(%0) ({\n"
                    "^bb0(%a: f64):\n"
                    "  %z = \"ir.const\"() {value = 0} : () -> i64\n"
                    "  \"loop.for\"(%z, %z) ({\n"
                    "  ^bb0(%i: i64):\n"
                    "  }) : (i64, i64) -> ()\n"
                    "  \"ir.yield\"(%a) : (f64) -> ()\n"
                    "}) : (f64) -> f64\n",
                    5, "not loops or branches");
}

Test(autodiff, rejects_a_state_write_inside_grad)
{
    expect_rejected("%0 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                    "\"state.var\"(%0) {sym = @v, type = f64} : (f64) -> ()\n"
                    "%1 = \"ad.grad\"(%0) ({\n"
                    "^bb0(%a: f64):\n"
                    "  \"state.write\"(%a) {sym = @v} : (f64) -> ()\n"
                    "  \"ir.yield\"(%a) : (f64) -> ()\n"
                    "}) : (f64) -> f64\n",
                    5, "grad cannot differentiate through state.write, which has an effect");
}

Test(autodiff, rejects_an_op_without_a_derivative_on_the_objective_path)
{
    expect_rejected("%0 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                    "%n = \"ir.const\"() {value = 3} : () -> i64\n"
                    "%1 = \"ad.grad\"(%0) ({\n"
                    "^bb0(%a: f64):\n"
                    "  %r = \"t.randn\"(%n, %a) : (i64, f64) -> f64[3]\n"
                    "  %s = \"t.sum\"(%r) : (f64[3]) -> f64\n"
                    "  \"ir.yield\"(%s) : (f64) -> ()\n"
                    "}) : (f64) -> f64\n",
                    5, "grad cannot differentiate t.randn by its operand 1");
}

Test(autodiff, rejects_a_gather_with_a_matrix_of_indices)
{
    expect_rejected("%0 = \"ir.const\"() {value = 4} : () -> i64\n"
                    "%x = \"t.ones\"(%0) : (i64) -> f64[4]\n"
                    "%i = \"t.zeros\"(%0, %0) : (i64, i64) -> i64[4, 4]\n"
                    "%1 = \"ad.grad\"(%x) ({\n"
                    "^bb0(%a: f64[4]):\n"
                    "  %g = \"t.gather\"(%a, %i) {axis = 0} : (f64[4], i64[4, 4]) -> f64[4, 4]\n"
                    "  %s = \"t.sum\"(%g) : (f64[4, 4]) -> f64\n"
                    "  \"ir.yield\"(%s) : (f64) -> ()\n"
                    "}) : (f64[4]) -> f64[4]\n",
                    6, "only for a vector index");
}

Test(autodiff, rejects_grad_by_a_csr_matrix)
{
    expect_rejected("%0 = \"io.load\"() {path = \"S.mtx\"} : () -> csr f64[4, 3]\n"
                    "%1 = \"ad.grad\"(%0) ({\n"
                    "^bb0(%a: csr f64[4, 3]):\n"
                    "  %s = \"t.sum\"(%a) : (csr f64[4, 3]) -> f64\n"
                    "  \"ir.yield\"(%s) : (f64) -> ()\n"
                    "}) : (csr f64[4, 3]) -> csr f64[4, 3]\n",
                    2, "grad by a csr matrix");
}

Test(autodiff, diagnostic_on_dml_names_the_source_position)
{
    Unit u;
    lower_dml(&u, "p.dml",
              "param w: f64 = 1.0\n"
              "let g = grad(sum(randn(3, scale=w, seed=1)), wrt=w)\n"
              "print(g)\n");
    cr_assert_not(pass_autodiff(u.module, &u.diags));
    char *diags = rendered(&u.diags);
    cr_expect(strstr(diags, "p.dml:2:18: error: grad cannot differentiate t.randn") != NULL, "%s",
              diags);
    free(diags);
    unit_free(&u);
}

/* ---- exact gradients, run through the whole pipeline ---- */

enum { MAX_VALUES = 32 };

typedef struct {
    int n;
    double values[MAX_VALUES];
} Logged;

static void on_log(void *user, int64_t step, int64_t steps, int n, const char *const *keys,
                   const double *values)
{
    Logged *l = user;
    for (int i = 0; i < n && l->n < MAX_VALUES; i++)
        l->values[l->n++] = values[i];
}

/* Compiles and runs DML text, asserting success; returns the values of its log(...) calls. */
static Logged run_logged(const char *dml)
{
    Logged logged = {0};
    Unit u;
    lower_dml(&u, "p.dml", dml);
    cr_assert(passes_run(u.module, NULL, NULL, NULL, &u.diags), "%s", rendered(&u.diags));
    RtOptions options = {.observer = {.user = &logged, .on_log = on_log}};
    RtError err = {0};
    cr_assert(rt_run(u.module, &options, NULL, &err), "%s", err.message);
    unit_free(&u);
    return logged;
}

Test(autodiff, cube_has_gradient_three_w_squared)
{
    Logged l = run_logged("param w: f64[3] = f64(arange(3)) + 1.0\n"
                          "let g = grad(sum(w * w * w), wrt=w)\n"
                          "log(a = g[0], b = g[1], c = g[2])\n");
    cr_assert_eq(l.n, 3);
    cr_expect_eq(l.values[0], 3.0);
    cr_expect_eq(l.values[1], 12.0);
    cr_expect_eq(l.values[2], 27.0);
}

Test(autodiff, matrix_product_gradient_is_the_row_sums_of_the_other_factor)
{
    /* d sum(A @ B) / dA[i, k] = sum_j B[k, j]: with B[k, j] = k + j over 2 columns, 2k + 1;
     * d / dB[k, j] = sum_i A[i, k] = 3 (A is ones, 3 rows) */
    Logged l = run_logged("param A: f64[3, 4] = ones\n"
                          "param B: f64[4, 2] = f64(reshape(arange(4), (4, 1)) + arange(2))\n"
                          "let (gA, gB) = grad(sum(A @ B), wrt=(A, B))\n"
                          "log(a00 = gA[0, 0], a23 = gA[2, 3], b31 = gB[3, 1])\n");
    cr_assert_eq(l.n, 3);
    cr_expect_eq(l.values[0], 1.0);
    cr_expect_eq(l.values[1], 7.0);
    cr_expect_eq(l.values[2], 3.0);
}

Test(autodiff, cross_entropy_at_uniform_scores_has_gradient_p_minus_y_over_n)
{
    /* zero scores: softmax is 1/3 everywhere, so d mean(lse(z) - sum(Y z)) / dz = (1/3 - Y) / 2;
     * dz/db sums the 2 rows: db = (2/3 - sum of Y's column) / 2 */
    Logged l = run_logged("let Y = f64(reshape(arange(2), (2, 1)) == arange(3))\n"
                          "param b: f64[3] = zeros\n"
                          "param Z: f64[2, 3] = zeros\n"
                          "let (gb, gZ) = grad(mean(logsumexp(Z + b, axis=1) - sum(Y * (Z + b), "
                          "axis=1)), wrt=(b, Z))\n"
                          "log(b0 = gb[0], b2 = gb[2], z00 = gZ[0, 0], z01 = gZ[0, 1])\n");
    cr_assert_eq(l.n, 4);
    cr_expect_float_eq(l.values[0], (2.0 / 3.0 - 1.0) / 2.0, 1e-15);
    cr_expect_float_eq(l.values[1], (2.0 / 3.0) / 2.0, 1e-15);
    cr_expect_float_eq(l.values[2], (1.0 / 3.0 - 1.0) / 2.0, 1e-15);
    cr_expect_float_eq(l.values[3], (1.0 / 3.0) / 2.0, 1e-15);
}

Test(autodiff, second_derivative_of_the_cube_is_six_w)
{
    Logged l = run_logged("param w: f64[3] = f64(arange(3)) + 1.0\n"
                          "let h = grad(sum(grad(sum(w * w * w), wrt=w)), wrt=w)\n"
                          "log(a = h[0], b = h[1], c = h[2])\n");
    cr_assert_eq(l.n, 3);
    cr_expect_eq(l.values[0], 6.0);
    cr_expect_eq(l.values[1], 12.0);
    cr_expect_eq(l.values[2], 18.0);
}

Test(autodiff, selections_put_their_adjoint_back_in_place_and_gathers_count_repeats)
{
    /* u[1..3] picks elements 1 and 2; u[idx] with idx = 0, 1, 2, 0, 1 picks 0 and 1 twice and 2
     * once; X[1, :] and X[:, 2] pick a row and a column (weights 1 and 10; X[1, 2] gets both) */
    Logged l = run_logged("param u: f64[4] = ones\n"
                          "param X: f64[2, 3] = ones\n"
                          "let idx = arange(5) % 3\n"
                          "let (gu, gX) = grad(sum(u[1..3]) + 100.0 * sum(u[idx]) + sum(X[1, :]) + "
                          "10.0 * sum(X[:, 2]), wrt=(u, X))\n"
                          "log(u0 = gu[0], u1 = gu[1], u2 = gu[2], u3 = gu[3])\n"
                          "log(x00 = gX[0, 0], x02 = gX[0, 2], x10 = gX[1, 0], x12 = gX[1, 2])\n");
    cr_assert_eq(l.n, 8);
    double want[8] = {200.0, 201.0, 101.0, 0.0, 0.0, 10.0, 1.0, 11.0};
    for (int i = 0; i < 8; i++)
        cr_expect_eq(l.values[i], want[i], "value %d: %g, expected %g", i, l.values[i], want[i]);
}
