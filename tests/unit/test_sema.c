/* test_sema.c: the semantic checker: inferred dtypes and symbolic shapes, and its errors. */
#include "frontend/builtins.h"
#include "frontend/frontend.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    Program *prog; /* NULL when the program has errors */
    Buf rendered;
} Checked;

static Checked *check_text(const char *text)
{
    Checked *c = calloc(1, sizeof *c);
    src_from_text(&c->file, "t.dml", text, strlen(text));
    arena_init(&c->arena);
    diag_init(&c->diags, &c->file);
    c->prog = fe_check(&c->file, &c->arena, &c->diags);
    diag_render(&c->diags, &c->rendered);
    return c;
}

static void checked_free(Checked *c)
{
    buf_free(&c->rendered);
    diag_free(&c->diags);
    arena_free(&c->arena);
    src_free(&c->file);
    free(c);
}

/* The last symbol called `name`. */
static Symbol *symbol_named(Program *p, const char *name)
{
    for (int i = p->nsymbols - 1; i >= 0; i--)
        if (strcmp(p->symbols[i]->name, name) == 0)
            return p->symbols[i];
    return NULL;
}

/* Checks a valid program and compares the printed type of `name` ("f32[n, d]"). */
static void expect_type(const char *src, const char *name, const char *want)
{
    Checked *c = check_text(src);
    cr_assert_not_null(c->prog, "errors in:\n%s\n%s", src, buf_cstr(&c->rendered));
    Symbol *sym = symbol_named(c->prog, name);
    cr_assert_not_null(sym, "no symbol '%s'", name);
    Buf b = {0};
    type_print(&sym->type, &b);
    cr_expect_str_eq(buf_cstr(&b), want, "type of '%s' in:\n%s", name, src);
    buf_free(&b);
    checked_free(c);
}

/* Checks an invalid program: exactly nerrors errors, the first message containing fragment. */
static void expect_errors(const char *src, int nerrors, const char *fragment)
{
    Checked *c = check_text(src);
    cr_expect_null(c->prog);
    cr_expect_eq(c->diags.nerrors, nerrors, "want %d errors, got:\n%s", nerrors,
                 buf_cstr(&c->rendered));
    cr_expect(strstr(buf_cstr(&c->rendered), fragment) != NULL, "want '%s' in:\n%s", fragment,
              buf_cstr(&c->rendered));
    checked_free(c);
}

#define VEC "input x: f64[n] = load(\"x.csv\")\n"
#define MAT "input X: f64[n, d] = load(\"x.csv\")\n"

/* ---- dtypes ---- */

Test(sema, weak_scalar_takes_the_tensor_dtype)
{
    expect_type("config lr = 0.1\ninput g: f32[n] = load(\"g.npy\")\nlet u = lr * g", "u",
                "f32[n]");
}

Test(sema, float_scalar_with_integer_tensor_gives_f64)
{
    expect_type("input k: i32[n] = load(\"k.npy\")\nlet u = k * 0.5", "u", "f64[n]");
    expect_type("input k: i32[n] = load(\"k.npy\")\nlet u = k + 1", "u", "i32[n]");
}

Test(sema, scalars_promote_and_stay_weak)
{
    Checked *c = check_text("let a = 1 + 2.5\nlet b = 1 + 2\nlet h = 1 / 2");
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    cr_expect_eq(symbol_named(c->prog, "a")->type.dtype, DT_F64);
    cr_expect(symbol_named(c->prog, "a")->type.weak);
    cr_expect_eq(symbol_named(c->prog, "b")->type.dtype, DT_I64);
    cr_expect_eq(symbol_named(c->prog, "h")->type.dtype, DT_F64, "true division");
    checked_free(c);
}

Test(sema, strong_scalar_keeps_its_dtype_against_a_weak_one)
{
    expect_type("let a: f32 = 2.0\nlet b = a * 3.0", "b", "f32");
    expect_type("var i: i32 = 2\nlet b = i * 0.5", "b", "f64");
}

Test(sema, tensors_of_different_dtypes_never_mix)
{
    expect_errors("input a: f32[n] = load(\"a.npy\")\ninput b: f64[n] = load(\"b.npy\")\n"
                  "let c = a + b",
                  1, "cannot mix f32[n] and f64[n] in '+'");
}

Test(sema, comparisons_give_bool_and_logic_needs_bool)
{
    expect_type(VEC "let m = x > 0.0", "m", "bool[n]");
    expect_errors("let f = 1 and true", 1, "'and' needs bool, saw i64");
}

Test(sema, conversions_change_the_dtype)
{
    expect_type(VEC "let k = i32(x)", "k", "i32[n]");
    expect_type("input S: csr f64[m, n] = load(\"s.mtx\")\nlet T = f32(S)", "T", "csr f32[m, n]");
}

Test(sema, integer_to_negative_power_is_an_error)
{
    expect_errors("let h = 2 ** -1", 1, "negative integer power");
    expect_type("let h = 2.0 ** -1", "h", "f64");
}

/* ---- shapes ---- */

Test(sema, broadcasting_aligns_trailing_dims_on_size_names)
{
    expect_type(MAT "param w: f64[d] = zeros\nlet r = X * w", "r", "f64[n, d]");
    expect_type("input S: f64[k, d] = load(\"s.csv\")\ninput c: f64[k] = load(\"c.csv\")\n"
                "let col = reshape(c, (k, 1))\nlet q = S / col",
                "q", "f64[k, d]");
}

Test(sema, broadcasting_two_size_names_is_an_error_with_notes)
{
    Checked *c = check_text("input a: f64[n] = load(\"a.csv\")\ninput b: f64[d] = "
                            "load(\"b.csv\")\nlet s = a + b");
    cr_expect_eq(c->diags.nerrors, 1);
    const char *out = buf_cstr(&c->rendered);
    cr_expect(strstr(out, "shapes f64[n] and f64[d] cannot be broadcast"), "%s", out);
    cr_expect(strstr(out, "note: 'n' was bound here"), "%s", out);
    cr_expect(strstr(out, "note: 'd' was bound here"), "%s", out);
    checked_free(c);
}

Test(sema, matmul_shapes)
{
    expect_type(MAT "param w: f64[d] = zeros\nlet p = X @ w", "p", "f64[n]");
    expect_type(MAT VEC "let p = x @ X", "p", "f64[d]");
    expect_type(MAT "let G = X.T @ X", "G", "f64[d, d]");
    expect_type(VEC "let s = x @ x", "s", "f64");
    expect_type("input S: csr f32[m, n] = load(\"s.mtx\")\ninput v: f32[n] = load(\"v.npy\")\n"
                "let p = S @ v",
                "p", "f32[m]");
    expect_errors(MAT VEC "let p = X @ x", 1, "inner dimensions of '@' do not match");
    expect_errors("input S: csr f64[m, n] = load(\"s.mtx\")\ninput v: f64[m] = load(\"v.csv\")\n"
                  "let p = v @ S",
                  1, "only stand on the left of '@'");
}

Test(sema, indexing_and_slicing)
{
    expect_type(MAT "let r = X[0, :]", "r", "f64[d]");
    expect_type(MAT "let c = X[:, 1]", "c", "f64[n]");
    expect_type(MAT "let b = X[2..5, :]", "b", "f64[3, d]");
    expect_type(MAT "let s = X[1, 2]", "s", "f64");
    expect_type(MAT "input idx: i64[k] = load(\"i.npy\")\nlet g = X[idx]", "g", "f64[k, d]");
    expect_errors(VEC "let a = x[0, 1]", 1, "too many indices for f64[n]: 2 given");
    expect_errors(VEC "let a = x[0.5]", 1, "an index must be an integer, saw f64");
}

Test(sema, reductions_with_and_without_axis)
{
    expect_type(MAT "let s = sum(X, axis=0)", "s", "f64[d]");
    expect_type(MAT "let s = argmax(X, axis=-1)", "s", "i64[n]");
    expect_type(MAT "let s = mean(X)", "s", "f64");
    expect_type("input k: i64[n] = load(\"k.npy\")\nlet m = mean(k)", "m", "f64");
    expect_errors(MAT "let s = sum(X, axis=2)", 1, "axis 2 is out of range for f64[n, d]");
}

Test(sema, reshape_checks_the_element_count)
{
    expect_type("let a = reshape(zeros(6), (2, 3))", "a", "f64[2, 3]");
    expect_errors("let a = reshape(zeros(6), (4, 2))", 1, "cannot reshape f64[6] into f64[4, 2]");
}

/* ---- constructors and loading ---- */

Test(sema, constructors_take_the_expected_type)
{
    expect_type(MAT "param w: f32[d] = zeros", "w", "f32[d]");
    expect_type(MAT "var S: f64[d, d] = ones\nS = zeros", "S", "f64[d, d]");
    expect_type("let z = zeros((3, 4), dtype=i32)", "z", "i32[3, 4]");
    expect_type("let r = arange(5)", "r", "i64[5]");
    expect_type(MAT "let z = zeros(rows(X))", "z", "f64[n]");
    expect_errors("let z = zeros", 1, "'zeros' needs a shape here");
}

Test(sema, load_libsvm_gives_the_declared_types)
{
    Checked *c = check_text("input (A: csr f32[n, d], b: f32[n]) = load_libsvm(\"a.svm\")\nlet p = "
                            "A @ zeros(d, dtype=f32)");
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    Expr *init = c->prog->stmts[0]->init;
    cr_assert_eq(init->ntuple, 2);
    cr_expect(init->tuple_types[0].sparse);
    cr_expect_eq(init->tuple_types[1].dtype, DT_F32);
    cr_expect_eq(init->builtin, BI_LOAD_LIBSVM);
    checked_free(c);
}

Test(sema, load_needs_a_known_extension_and_a_type)
{
    expect_errors("input X: f64[n] = load(\"x.txt\")", 1, "cannot tell the format");
    expect_errors("let A = load(\"a.csv\")", 1, "load needs a declared type");
    expect_errors("input S: csr f64[n, d] = load(\"s.csv\")", 1, "read from a .mtx file");
}

/* ---- size names ---- */

Test(sema, size_name_bound_to_a_constant_conflicts_later)
{
    Checked *c = check_text("let a: f64[k] = zeros(4)\nlet b: f64[k] = zeros(5)");
    cr_expect_eq(c->diags.nerrors, 1);
    cr_expect(strstr(buf_cstr(&c->rendered), "expected f64[k], saw f64[5]"), "%s",
              buf_cstr(&c->rendered));
    cr_expect(strstr(buf_cstr(&c->rendered), "'k' was bound here, to 4"), "%s",
              buf_cstr(&c->rendered));
    checked_free(c);
}

Test(sema, size_name_is_an_i64_scalar_value)
{
    Checked *c = check_text(MAT "let scale = 0.5 / n");
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    Symbol *n = symbol_named(c->prog, "n");
    cr_expect_eq(n->kind, SYM_SIZE);
    cr_expect_eq(n->type.dtype, DT_I64);
    cr_expect(n->type.weak);
    checked_free(c);
}

/* ---- names and statements ---- */

Test(sema, undeclared_name_suggests_a_close_one)
{
    expect_errors("let weight = 1.0\nlet b = wieght * 2.0", 1,
                  "undeclared name 'wieght'; did you mean 'weight'?");
    expect_errors("let a = b\nlet b = 1", 1, "'b' is used before its declaration");
}

Test(sema, assignments_respect_declaration_kinds)
{
    expect_errors(MAT "X = zeros", 1, "cannot assign to input 'X'");
    expect_errors("let a = 1\na = 2", 1, "cannot assign to let 'a'");
    expect_errors("config lr = 0.1\nlr = 0.2", 1, "cannot assign to config 'lr'");
    expect_errors("var c: i64 = 0\nc = 0.5", 1, "would change the type of 'c'");
    expect_errors("var k = zeros(3, dtype=i64)\nk /= 2", 1, "would change the dtype of 'k'");
}

Test(sema, only_statement_calls_stand_alone)
{
    expect_errors(VEC "sum(x)", 1, "result of 'sum(...)' is unused");
    expect_errors("let p = print(1)", 1, "gives no value");
}

Test(sema, independent_errors_are_all_reported_without_cascades)
{
    Checked *c = check_text(MAT "let a = X @ zz\nlet b = sum(X, axis=5)\nlet c = a + b + 1\n"
                                "break");
    cr_expect_eq(c->diags.nerrors, 3, "%s", buf_cstr(&c->rendered));
    checked_free(c);
}

Test(sema, builtin_overloads_are_resolved)
{
    Checked *c = check_text(VEC "let a = max(x, 0.0)\nlet b = max(x)\nlog(m = b)");
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    cr_expect_eq(c->prog->stmts[1]->init->builtin, BI_MAXIMUM);
    cr_expect_eq(c->prog->stmts[2]->init->builtin, BI_MAX);
    cr_expect_eq(c->prog->stmts[3]->expr->builtin, BI_LOG_METRICS);
    checked_free(c);
}

Test(sema, symbols_are_numbered_in_declaration_order)
{
    Checked *c = check_text(MAT "fn f(a: f64) -> f64 {\n  return a\n}\nlet y = f(1.0)");
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    for (int i = 0; i < c->prog->nsymbols; i++)
        cr_expect_eq(c->prog->symbols[i]->id, i);
    cr_expect_eq(c->prog->stmts[1]->sym->kind, SYM_FN);
    cr_expect_eq(c->prog->stmts[2]->init->sym, c->prog->stmts[1]->sym);
    checked_free(c);
}

/* ---- fns ---- */

Test(sema, fn_size_names_are_bound_per_call)
{
    expect_type("input X: f32[n, p] = load(\"x.npy\")\n"
                "fn lin(a: f32[m, p], w: f32[p]) -> f32[m] {\n  return a @ w\n}\n"
                "param w: f32[p] = zeros\nlet y = lin(X, w)",
                "y", "f32[n]");
    expect_errors("fn dot2(a: f64[m], b: f64[m]) -> f64 {\n  return sum(a * b)\n}\n"
                  "input x: f64[n] = load(\"x.csv\")\ninput z: f64[d] = load(\"z.csv\")\n"
                  "let p = dot2(x, z)",
                  1, "argument 2 of 'dot2' must be f64[n], saw f64[d]");
}

Test(sema, recursion_is_found_through_the_call_graph)
{
    expect_errors("fn f(x: f64) -> f64 {\n  return f(x)\n}", 1, "fn 'f' calls itself");
    expect_errors(
        "fn a(x: f64) -> f64 {\n  return b(x)\n}\nfn b(x: f64) -> f64 {\n  return a(x)\n}", 1,
        "fns 'a' and 'b' call each other");
}

Test(sema, fn_return_type_must_match)
{
    expect_errors("fn g(x: f64[k]) -> f64[k] {\n  return sum(x)\n}", 1, "expected f64[k], saw f64");
}

/* ---- grad ---- */

Test(sema, grad_gives_a_tuple_shaped_like_its_wrt)
{
    Checked *c = check_text(MAT "param w: f64[d] = zeros\nparam b: f64 = 0.0\n"
                                "let (gw, gb) = grad(sum(X @ w + b), wrt=(w, b))");
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    Expr *g = c->prog->stmts[3]->init;
    cr_assert_eq(g->ntuple, 2);
    cr_expect_eq(g->tuple_types[0].rank, 1);
    cr_expect_eq(g->tuple_types[1].rank, 0);
    cr_expect_eq(symbol_named(c->prog, "gw")->type.dtype, DT_F64);
    checked_free(c);
}

Test(sema, grad_rules)
{
    expect_errors(MAT "param w: f64[d] = zeros\nlet g = grad(X @ w, wrt=w)", 1,
                  "grad needs a scalar float expression, saw f64[n]");
    expect_errors(MAT "param w: f64[d] = zeros\nlet (a, b) = grad(sum(X @ w), wrt=(X, w))", 1,
                  "'X' is an input");
    expect_errors("param a: f64[3] = zeros\nlet (x, y, z) = grad(sum(a), wrt=(a,))", 1,
                  "3 names are bound here, but the value has 1");
}

/* ---- parallel loops ---- */

Test(sema, parallel_body_may_write_elements_and_accumulate)
{
    Checked *c = check_text(MAT "var g: f64[d] = zeros\nvar y: f64[n] = zeros\n"
                                "parallel for i in 0..n {\n  let e = sum(X[i, :])\n"
                                "  y[i] = e\n  g += e * X[i, :]\n}");
    cr_expect_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    checked_free(c);
}

Test(sema, parallel_body_rejects_whole_assignment_break_and_print)
{
    expect_errors(MAT "param w: f64[d] = zeros\nparallel for i in 0..n {\n  w = X[i, :]\n}", 1,
                  "cannot assign the whole of 'w' inside a parallel for body");
    expect_errors(VEC "parallel for i in 0..n {\n  break\n}", 1, "'break' is not allowed");
    expect_errors(VEC "parallel for i in 0..n {\n  print(x[i])\n}", 1, "'print' is not allowed");
    expect_errors(VEC "var s = 1.0\nparallel for i in 0..n {\n  s *= x[i]\n}", 1,
                  "is not an accumulation");
}

Test(sema, sequential_loop_inside_parallel_body_may_break)
{
    Checked *c = check_text(MAT "var f: i64[n] = zeros\nparallel for i in 0..n {\n"
                                "  for j in 0..d {\n    if X[i, j] > 0.0 {\n      f[i] = j\n"
                                "      break\n    }\n  }\n}");
    cr_expect_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    checked_free(c);
}

Test(sema, bsp_loop_rejects_writes_to_one_element)
{
    expect_errors(VEC "var w: f64[n] = zeros\nparallel for i in 0..n {\n  w[0] = x[i]\n}", 1,
                  "every iteration writes the same element of 'w'");
    /* one iteration, an accumulation, a guarded write or async: no provable collision */
    const char *fine[] = {
        VEC "var w: f64[n] = zeros\nparallel for i in 0..1 {\n  w[0] = x[i]\n}",
        VEC "var w: f64[n] = zeros\nparallel for i in 0..n {\n  w[0] += x[i]\n}",
        VEC "var w: f64[n] = zeros\nparallel for i in 0..n {\n  if i == 0 {\n    w[0] = 1.0\n"
            "  }\n}",
        VEC "var w: f64[n] = zeros\nparallel for i in 0..n consistency async {\n  w[0] = x[i]\n}",
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        Checked *c = check_text(fine[i]);
        cr_expect_not_null(c->prog, "%s\n%s", fine[i], buf_cstr(&c->rendered));
        checked_free(c);
    }
}

Test(sema, nonzeros_binds_row_column_and_value)
{
    Checked *c = check_text("input S: csr f32[m, n] = load(\"s.mtx\")\nvar s: f32 = 0.0\n"
                            "parallel for (i, j, v) in nonzeros(S) {\n  s += v\n}");
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    cr_expect_eq(symbol_named(c->prog, "v")->type.dtype, DT_F32);
    cr_expect_eq(symbol_named(c->prog, "i")->kind, SYM_PLOOP_VAR);
    checked_free(c);
    expect_errors(MAT "var s = 0.0\nparallel for (i, j, v) in nonzeros(X) {\n  s += v\n}", 1,
                  "nonzeros needs a csr matrix");
}

Test(sema, schedule_arguments)
{
    const char *head = "param w: f64[d] = load(\"w.csv\")\n";
    char buf[512];
    snprintf(buf, sizeof buf,
             "%sparallel for j in schedule(0..d, size=4, priority=|j| w[j] + 1.0, "
             "conflict=|j, k| j == k, seed=3) {\n  w[j] = 0.0\n}",
             head);
    Checked *c = check_text(buf);
    cr_expect_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    checked_free(c);
    snprintf(buf, sizeof buf,
             "%sparallel for j in schedule(0..d, conflict=|j| w[j] > 0.0) {\n"
             "  w[j] = 0.0\n}",
             head);
    expect_errors(buf, 1, "conflict= takes a lambda of 2 variables");
    snprintf(buf, sizeof buf, "%sparallel for j in schedule(0..d, sz=4) {\n  w[j] = 0.0\n}", head);
    expect_errors(buf, 1, "unknown schedule argument 'sz'");
}

/* ---- the samples ---- */

static void expect_typed_expr(const Expr *e, const char *where);

static void expect_typed_block(const Block *b, const char *where);

/* Every expression that denotes a value has a dtype; only tuples, statement calls and the
 * dtype name of dtype= have none. */
static void expect_typed_expr(const Expr *e, const char *where)
{
    if (!e)
        return;
    bool statement = e->kind == EX_CALL && e->builtin != BI_NONE &&
                     builtin_info((BuiltinId)e->builtin)->kind == BK_STATEMENT;
    bool valueless = e->kind == EX_TUPLE || (e->kind == EX_CALL && e->tuple_types) || statement;
    cr_expect(valueless || e->type.dtype != DT_NONE, "%s: untyped expression at byte %u", where,
              (unsigned)e->span.begin);
    if (e->kind == EX_CALL && e->builtin == BI_NONE)
        cr_expect_not_null(e->sym, "%s: call without a symbol at byte %u", where,
                           (unsigned)e->span.begin);
    if (e->kind == EX_LAMBDA) {
        expect_typed_expr(e->lhs, where);
        return;
    }
    expect_typed_expr(e->lhs, where);
    expect_typed_expr(e->rhs, where);
    for (int i = 0; i < e->nargs; i++)
        if (!e->args[i].name || strcmp(e->args[i].name, "dtype") != 0)
            expect_typed_expr(e->args[i].value, where);
    for (int i = 0; i < e->nitems; i++) {
        expect_typed_expr(e->items[i].expr, where);
        expect_typed_expr(e->items[i].lo, where);
        expect_typed_expr(e->items[i].hi, where);
    }
    for (int i = 0; i < e->nelems; i++)
        expect_typed_expr(e->elems[i], where);
}

static void expect_typed_stmt(const Stmt *st, const char *where)
{
    expect_typed_expr(st->init, where);
    expect_typed_expr(st->target, where);
    expect_typed_expr(st->expr, where);
    expect_typed_expr(st->lo, where);
    expect_typed_expr(st->hi, where);
    expect_typed_expr(st->iter_expr, where);
    for (int i = 0; i < st->nsched_args; i++)
        expect_typed_expr(st->sched_args[i].value, where);
    for (int i = 0; i < st->nnames; i++)
        cr_expect_not_null(st->names[i].sym, "%s: '%s' has no symbol", where, st->names[i].name);
    expect_typed_block(&st->body, where);
    expect_typed_block(&st->else_body, where);
}

static void expect_typed_block(const Block *b, const char *where)
{
    for (int i = 0; i < b->nstmts; i++)
        expect_typed_stmt(b->stmts[i], where);
}

Test(sema, every_sample_checks_and_every_expression_is_typed)
{
    const char *samples[] = {"samples/lasso.dml", "samples/kmeans.dml", "samples/logreg.dml",
                             "samples/mf.dml",    "samples/mlp.dml",    "samples/ridge.dml"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        SrcFile f;
        const char *err;
        if (!src_load(&f, samples[i], &err))
            continue; /* run from another folder */
        Arena a;
        arena_init(&a);
        DiagList d;
        diag_init(&d, &f);
        Program *p = fe_check(&f, &a, &d);
        Buf out = {0};
        diag_render(&d, &out);
        cr_expect_not_null(p, "%s:\n%s", samples[i], buf_cstr(&out));
        for (int k = 0; p && k < p->nstmts; k++)
            expect_typed_stmt(p->stmts[k], samples[i]);
        buf_free(&out);
        diag_free(&d);
        arena_free(&a);
        src_free(&f);
    }
}

Test(sema, every_expression_of_a_varied_program_is_typed)
{
    const char *src =
        "config k = 3\nconfig path = \"x.csv\"\ninput X: f32[n, d] = load(path)\n"
        "input idx: i64[m] = load(\"i.npy\")\n"
        "input (S: csr f64[r, c], lab: f64[r]) = load_libsvm(\"a.svm\")\n"
        "param W: f32[d, k] = randn((d, k), scale=0.1, seed=1)\nvar acc: f32[d] = zeros\n"
        "fn lin(a: f32[q, d], w: f32[d, k]) -> f32[q, k] {\n  let z = a @ w\n  return z\n}\n"
        "let a = lin(X[idx], W)\nlet b = reshape(X[0, 1..3], (1, 2))\nlet s = S @ lab[..c]\n"
        "let (gW, gacc) = grad(sum(lin(X, W)), wrt=(W, acc))\n"
        "parallel for j in schedule(0..d, size=2, priority=|j| f64(acc[j]) + 1.0,\n"
        "                           conflict=|j, k2| j == k2) {\n  acc[j] = sum(X[:, j])\n}\n"
        "var t: f64 = 0.0\nparallel for (i, jj, v) in nonzeros(S) consistency ssp(2) {\n"
        "  t += v * lab[i]\n}\nfor e in 0..k {\n  if t > 1.0 {\n    break\n  }\n"
        "  log(t = t, n = count_nonzero(acc))\n}\nprint(\"done\", a, b, s)\n"
        "save(acc, \"out/acc.npy\")\nassert(t >= 0.0, \"nonnegative\")\n";
    Checked *c = check_text(src);
    cr_assert_not_null(c->prog, "%s", buf_cstr(&c->rendered));
    for (int k = 0; k < c->prog->nstmts; k++)
        expect_typed_stmt(c->prog->stmts[k], "program");
    checked_free(c);
}
