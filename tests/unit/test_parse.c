/* test_parse.c: the lexer and parser: tokens, precedence, statement forms, recovery, limits. */
#include "frontend/frontend.h"
#include "frontend/lex.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    Program *prog;
    Buf rendered;
} Parsed;

static Parsed *parse_text(const char *text)
{
    Parsed *p = calloc(1, sizeof *p);
    src_from_text(&p->file, "t.dml", text, strlen(text));
    arena_init(&p->arena);
    diag_init(&p->diags, &p->file);
    p->prog = parse_program(&p->file, &p->arena, &p->diags);
    diag_render(&p->diags, &p->rendered);
    return p;
}

static void parsed_free(Parsed *p)
{
    buf_free(&p->rendered);
    diag_free(&p->diags);
    arena_free(&p->arena);
    src_free(&p->file);
    free(p);
}

/* The init expression of the first statement, printed fully parenthesised. */
static void expect_expr(const char *src, const char *want)
{
    Parsed *p = parse_text(src);
    cr_assert_eq(p->diags.nerrors, 0, "%s: %s", src, buf_cstr(&p->rendered));
    cr_assert_geq(p->prog->nstmts, 1);
    Buf b = {0};
    ast_print_expr(p->prog->stmts[0]->init, &b);
    cr_expect_str_eq(buf_cstr(&b), want, "for %s", src);
    buf_free(&b);
    parsed_free(p);
}

static void expect_error(const char *src, const char *fragment)
{
    Parsed *p = parse_text(src);
    cr_assert_gt(p->diags.nerrors, 0, "no error for %s", src);
    cr_expect(strstr(buf_cstr(&p->rendered), fragment) != NULL, "want '%s' in:\n%s", fragment,
              buf_cstr(&p->rendered));
    parsed_free(p);
}

Test(lex, numbers_with_separators_exponents_and_ranges)
{
    const char *src = "1_000_000 0.5 1e-3 2.5E+4 0..n";
    SrcFile f;
    src_from_text(&f, "t.dml", src, strlen(src));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    Token *t;
    int n = lex_tokenize(&f, &a, &d, &t);
    cr_assert_eq(d.nerrors, 0);
    cr_assert_eq(n, 8);
    cr_expect_eq(t[0].kind, TOK_INT);
    cr_expect_eq(t[0].int_value, 1000000);
    cr_expect_eq(t[1].kind, TOK_FLOAT);
    cr_expect_float_eq(t[1].float_value, 0.5, 0);
    cr_expect_float_eq(t[2].float_value, 1e-3, 0);
    cr_expect_float_eq(t[3].float_value, 2.5e4, 0);
    cr_expect_eq(t[4].kind, TOK_INT);
    cr_expect_eq(t[5].kind, TOK_P_DOTDOT);
    cr_expect_eq(t[6].kind, TOK_IDENT);
    cr_expect_eq(t[7].kind, TOK_EOF);
    free(t);
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
}

Test(lex, identifiers_are_interned_and_keywords_recognised)
{
    const char *src = "abc parallel abc f32 csr .T";
    SrcFile f;
    src_from_text(&f, "t.dml", src, strlen(src));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    Token *t;
    lex_tokenize(&f, &a, &d, &t);
    cr_expect_eq(t[0].kind, TOK_IDENT);
    cr_expect_eq(t[1].kind, TOK_KW_PARALLEL);
    cr_expect_eq(t[0].text, t[2].text, "equal names share one pointer");
    cr_expect_eq(t[3].kind, TOK_KW_F32);
    cr_expect_eq(t[4].kind, TOK_IDENT, "csr is contextual, not a keyword");
    cr_expect_eq(t[5].kind, TOK_P_DOT_T);
    free(t);
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
}

Test(lex, string_escapes_are_resolved)
{
    expect_expr("let s = \"a\\\"b\\\\c\\n\\t\"", "\"a\"b\\c\n\t\"");
}

Test(parse, precedence_follows_the_table)
{
    expect_expr("let x = a + b * c", "(+ a (* b c))");
    expect_expr("let x = a - b - c", "(- (- a b) c)");
    expect_expr("let x = -a ** 2", "(- (** a 2))");
    expect_expr("let x = a ** b ** c", "(** a (** b c))");
    expect_expr("let x = 2 ** -1", "(** 2 (- 1))");
    expect_expr("let x = a @ b + c", "(+ (@ a b) c)");
    expect_expr("let x = not a == b", "(not (== a b))");
    expect_expr("let x = a or b and c", "(or a (and b c))");
    expect_expr("let x = a < b + 1 and c", "(and (< a (+ b 1)) c)");
    expect_expr("let x = X.T @ e / n", "(/ (@ (.T X) e) n)");
}

Test(parse, postfix_forms)
{
    expect_expr("let x = X[:, j]", "(index X : j)");
    expect_expr("let x = X[a..b, :]", "(index X a..b :)");
    expect_expr("let x = x[..b]", "(index x ..b)");
    expect_expr("let x = x[a..]", "(index x a..)");
    expect_expr("let x = sum(X * X, axis=0)", "(call sum (* X X) axis=0)");
    expect_expr("let x = f32(y).T", "(.T (call f32 y))");
    expect_expr("let x = (k, d)", "(tuple k d)");
    expect_expr("let x = (n,)", "(tuple n)");
    expect_expr("let x = grad(l, wrt=(a, b))", "(call grad l wrt=(tuple a b))");
}

Test(parse, newline_ends_an_expression_outside_brackets)
{
    Parsed *p = parse_text("x = a\n-b\ny = (c\n+ d)\n");
    cr_assert_eq(p->diags.nerrors, 0, "%s", buf_cstr(&p->rendered));
    cr_assert_eq(p->prog->nstmts, 3);
    cr_expect_eq(p->prog->stmts[1]->kind, ST_EXPR);
    Buf b = {0};
    ast_print_expr(p->prog->stmts[2]->init, &b);
    cr_expect_str_eq(buf_cstr(&b), "(+ c d)");
    buf_free(&b);
    parsed_free(p);
}

Test(parse, declarations_with_types_tuples_and_partitions)
{
    Parsed *p = parse_text("config lambda = 0.1\n"
                           "input X: csr f32[n, 128] = load(\"x.mtx\") partition rows\n"
                           "input (A: csr f64[m, d], b: f64[m]) = load_libsvm(\"a.svm\")\n"
                           "param w: f64[d] = zeros partition replicated\n"
                           "var r = y - X @ w\n"
                           "let (ga, gb) = grad(l, wrt=(a, b))\n"
                           "fn f(a: f64[n], s: f64) -> f64 { return sum(a) * s }\n");
    cr_assert_eq(p->diags.nerrors, 0, "%s", buf_cstr(&p->rendered));
    cr_assert_eq(p->prog->nstmts, 7);
    Stmt **s = p->prog->stmts;
    cr_expect_eq(s[0]->kind, ST_CONFIG);
    cr_expect_eq(s[1]->kind, ST_INPUT);
    cr_expect(s[1]->type->sparse);
    cr_expect_eq(s[1]->type->dtype, DT_F32);
    cr_expect_eq(s[1]->type->rank, 2);
    cr_expect_str_eq(s[1]->type->dims[0].name, "n");
    cr_expect_eq(s[1]->type->dims[1].value, 128);
    cr_expect_eq(s[1]->partition, PART_ROWS);
    cr_expect(s[2]->tuple);
    cr_expect_eq(s[2]->nnames, 2);
    cr_expect(s[2]->names[0].type->sparse);
    cr_expect_eq(s[3]->partition, PART_REPLICATED);
    cr_expect_null(s[4]->type);
    cr_expect_eq(s[5]->nnames, 2);
    cr_expect_eq(s[6]->kind, ST_FN);
    cr_expect_eq(s[6]->nfn_params, 2);
    cr_expect_eq(s[6]->body.nstmts, 1);
    cr_expect_eq(s[6]->body.stmts[0]->kind, ST_RETURN);
    parsed_free(p);
}

Test(parse, parallel_loops_with_schedule_nonzeros_and_consistency)
{
    Parsed *p = parse_text(
        "parallel for j in schedule(0..d, size=8, priority=|j| dw[j] + 1e-6,\n"
        "                           conflict=|j, k| abs(dot(X[:, j], X[:, k])) > 0.1) {\n"
        "  w[j] = 0.0\n"
        "}\n"
        "parallel for (i, j, v) in nonzeros(R) consistency ssp(3) { L[i, :] += v }\n"
        "parallel for i in 0..n consistency serial { }\n");
    cr_assert_eq(p->diags.nerrors, 0, "%s", buf_cstr(&p->rendered));
    Stmt **s = p->prog->stmts;
    cr_expect_eq(s[0]->iter, ITER_SCHEDULE);
    cr_expect_eq(s[0]->iter_expr->kind, EX_RANGE);
    cr_expect_eq(s[0]->nsched_args, 3);
    cr_expect_str_eq(s[0]->sched_args[0].name, "size");
    cr_expect_eq(s[0]->sched_args[1].value->kind, EX_LAMBDA);
    cr_expect_eq(s[0]->sched_args[1].value->nparams, 1);
    cr_expect_eq(s[0]->sched_args[2].value->nparams, 2);
    cr_expect_eq(s[0]->consistency, CONS_BSP);
    cr_expect_eq(s[1]->iter, ITER_NONZEROS);
    cr_expect_eq(s[1]->nnames, 3);
    cr_expect_eq(s[1]->consistency, CONS_SSP);
    cr_expect_eq(s[1]->staleness->int_value, 3);
    cr_expect_eq(s[1]->body.stmts[0]->assign_op, ASSIGN_ADD);
    cr_expect_eq(s[2]->iter, ITER_RANGE);
    cr_expect_eq(s[2]->consistency, CONS_SERIAL);
    parsed_free(p);
}

Test(parse, else_if_chains_nest)
{
    Parsed *p = parse_text("if a { x = 1 } else if b { x = 2 } else { x = 3 }");
    cr_assert_eq(p->diags.nerrors, 0, "%s", buf_cstr(&p->rendered));
    Stmt *s = p->prog->stmts[0];
    cr_expect(s->has_else);
    cr_assert_eq(s->else_body.nstmts, 1);
    cr_expect_eq(s->else_body.stmts[0]->kind, ST_IF);
    cr_expect(s->else_body.stmts[0]->has_else);
    parsed_free(p);
}

Test(parse, errors_say_what_was_expected_and_where)
{
    expect_error("let x = 1 +\n", "t.dml:2:1: error: expected an expression, saw end of file");
    expect_error("let = 3", "t.dml:1:5: error: expected a name, saw '='");
    expect_error("let x = a < b < c", "comparisons cannot be chained");
    expect_error("let s = \"abc", "unterminated string");
    expect_error("/* abc", "unterminated comment");
    expect_error("x = 1 y = 2", "expected a new line or ';' after the statement, saw 'y'");
    expect_error("for i in 0..n {\n x = 1\n", "note: to match this '{'");
    expect_error("let t: f64[1, 2, 3, 4, 5] = zeros", "too many dimensions");
    expect_error("let x = 99999999999999999999", "too large for i64");
    expect_error("let x = a ! b", "write 'not' for negation");
    expect_error("parallel for i in 0..n consistency eventual { }",
                 "unknown consistency model 'eventual'");
    expect_error("let x = nonzeros(S)", "only allowed as the iteration set");
    expect_error("f(x) = 1", "cannot assign to this expression");
}

Test(parse, one_run_reports_independent_errors)
{
    Parsed *p = parse_text("let = 1\nlet y = )\nlet z = 3\nfor { }\n");
    cr_expect_eq(p->diags.nerrors, 3, "%s", buf_cstr(&p->rendered));
    cr_expect_eq(p->prog->nstmts, 4);
    parsed_free(p);
}

Test(parse, deep_nesting_is_an_error_not_a_crash)
{
    enum { DEPTH = 100000 };
    char *src = malloc(DEPTH * 2 + 16);
    strcpy(src, "let x = ");
    size_t n = strlen(src);
    memset(src + n, '(', DEPTH);
    src[n + DEPTH] = '1';
    memset(src + n + DEPTH + 1, ')', DEPTH);
    src[n + 2 * DEPTH + 1] = '\0';
    Parsed *p = parse_text(src);
    cr_expect_eq(p->diags.nerrors, 1);
    cr_expect(strstr(buf_cstr(&p->rendered), "nesting is too deep") != NULL);
    parsed_free(p);
    free(src);
}

Test(parse, long_flat_expressions_parse_iteratively)
{
    enum { TERMS = 200000 };
    Buf b = {0};
    buf_puts(&b, "let x = 1");
    for (int i = 1; i < TERMS; i++)
        buf_puts(&b, " + 1");
    Parsed *p = parse_text(buf_cstr(&b));
    cr_expect_eq(p->diags.nerrors, 0);
    int depth = 0;
    for (Expr *e = p->prog->stmts[0]->init; e->kind == EX_BINARY; e = e->lhs)
        depth++;
    cr_expect_eq(depth, TERMS - 1);
    parsed_free(p);
    buf_free(&b);
}

Test(parse, binary_garbage_and_empty_input_do_not_crash)
{
    Parsed *p = parse_text("");
    cr_expect_eq(p->diags.nerrors, 0);
    cr_expect_eq(p->prog->nstmts, 0);
    parsed_free(p);
    char junk[4096];
    unsigned state = 12345;
    for (size_t i = 0; i < sizeof junk - 1; i++) {
        state = state * 1103515245u + 12345u;
        junk[i] = (char)((state >> 16) & 0xff);
        if (junk[i] == 0)
            junk[i] = 1;
    }
    junk[sizeof junk - 1] = '\0';
    p = parse_text(junk);
    cr_expect_gt(p->diags.nerrors, 0);
    parsed_free(p);
}
