/* test_passes.c: the optimisation passes (passes/passes.h): each rewrite on IR read from text or
 * lowered from DML, asserting the printed IR after the pass; the verifier's rules for k.fused,
 * `inplace` and `transpose_a`/`transpose_b`. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "ir/ir.h"
#include "passes/passes.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

typedef bool (*PassFn)(IrModule *m, DiagList *diags);

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

/* Reads IR text (which must verify), runs one pass, checks that the result verifies and reads
 * back to the same text; returns the printed result and, when `warnings` is not NULL, the
 * rendered diagnostics. */
static char *run_pass(const char *ir, PassFn pass, char **warnings)
{
    SrcFile f;
    src_from_text(&f, "t.ir", ir, strlen(ir));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    IrModule *m = ir_read(&f, &a, &d);
    cr_assert_not_null(m, "read failed:\n%s", rendered(&d));
    cr_assert(ir_verify(m, &d), "the input does not verify:\n%s", rendered(&d));
    cr_assert(pass(m, &d), "the pass failed:\n%s", rendered(&d));
    cr_assert(ir_verify(m, &d), "the result does not verify:\n%s\n%s", rendered(&d), printed(m));
    char *text = printed(m);
    Buf again = {0}, first = {0};
    const char *broken = ir_check_round_trip(m, NULL, &first, &again);
    cr_assert_null(broken, "%s:\n%s", broken ? broken : "", buf_cstr(&again));
    buf_free(&first);
    buf_free(&again);
    if (warnings)
        *warnings = rendered(&d);
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
    return text;
}

/* The pass turns `input` into exactly `expected`, and running it again changes nothing. */
static void expect_after(PassFn pass, const char *input, const char *expected)
{
    char *got = run_pass(input, pass, NULL);
    cr_assert_str_eq(got, expected, "got:\n%s", got);
    char *again = run_pass(got, pass, NULL);
    cr_assert_str_eq(again, got, "a second run changed it:\n%s", again);
    free(again);
    free(got);
}

/* Checks and lowers DML text, runs the pipeline up to `stop_after` (NULL: all of it) and returns
 * the printed module. */
static char *compile_dml(const char *dml, const char *stop_after)
{
    SrcFile f;
    src_from_text(&f, "p.dml", dml, strlen(dml));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    Program *prog = fe_check(&f, &a, &d);
    cr_assert_not_null(prog, "%s", rendered(&d));
    IrModule *m = lower_program(prog, &a, &d);
    cr_assert_not_null(m, "%s", rendered(&d));
    cr_assert(passes_run(m, stop_after, NULL, NULL, &d), "%s", rendered(&d));
    char *text = printed(m);
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
    return text;
}

static int count_of(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* The text reads, and the verifier rejects it with a message containing `what`. */
static void expect_rejected(const char *ir, const char *what)
{
    SrcFile f;
    src_from_text(&f, "t.ir", ir, strlen(ir));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    IrModule *m = ir_read(&f, &a, &d);
    cr_assert_not_null(m, "read failed:\n%s", rendered(&d));
    cr_assert_not(ir_verify(m, &d), "the verifier accepted:\n%s", ir);
    char *diags = rendered(&d);
    cr_assert(strstr(diags, what) != NULL, "expected \"%s\" in:\n%s", what, diags);
    free(diags);
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
}

static void expect_accepted(const char *ir)
{
    char *got = run_pass(ir, pass_memplan, NULL);
    free(got);
}

/* ---- canonicalize: folding ---- */

static const char *const fold_in =
    "%a = \"ir.const\"() {value = 0.10000000149011612} : () -> f32\n"
    "%b = \"ir.const\"() {value = 0.20000000298023224} : () -> f32\n"
    "%s = \"t.add\"(%a, %b) : (f32, f32) -> f32\n"
    "%c = \"ir.const\"() {value = 0.1} : () -> f64\n"
    "%d = \"ir.const\"() {value = 0.2} : () -> f64\n"
    "%t = \"t.add\"(%c, %d) : (f64, f64) -> f64\n"
    "%m = \"ir.const\"() {value = 9223372036854775807} : () -> i64\n"
    "%one = \"ir.const\"() {value = 1} : () -> i64\n"
    "%w = \"t.add\"(%m, %one) : (i64, i64) -> i64\n"
    "%m32 = \"ir.const\"() {value = 2147483647} : () -> i32\n"
    "%one32 = \"ir.const\"() {value = 1} : () -> i32\n"
    "%w32 = \"t.add\"(%m32, %one32) : (i32, i32) -> i32\n"
    "%zero = \"ir.const\"() {value = 0} : () -> i64\n"
    "%seven = \"ir.const\"() {value = 7} : () -> i64\n"
    "%q = \"t.mod\"(%seven, %zero) : (i64, i64) -> i64\n"
    "%mthree = \"ir.const\"() {value = -3} : () -> i64\n"
    "%r = \"t.mod\"(%seven, %mthree) : (i64, i64) -> i64\n"
    "\"obs.print\"(%s, %t, %w, %w32, %q, %r) : (f32, f64, i64, i32, i64, i64) -> ()\n";

static const char *const fold_out =
    "%0 = \"ir.const\"() {value = 0.30000001192092896} : () -> f32\n"
    "%1 = \"ir.const\"() {value = 0.30000000000000004} : () -> f64\n"
    "%2 = \"ir.const\"() {value = -9223372036854775808} : () -> i64\n"
    "%3 = \"ir.const\"() {value = -2147483648} : () -> i32\n"
    "%4 = \"ir.const\"() {value = 0} : () -> i64\n"
    "%5 = \"ir.const\"() {value = 7} : () -> i64\n"
    "%6 = \"t.mod\"(%5, %4) : (i64, i64) -> i64\n"
    "%7 = \"ir.const\"() {value = -2} : () -> i64\n"
    "\"obs.print\"(%0, %1, %2, %3, %6, %7) : (f32, f64, i64, i32, i64, i64) -> ()\n";

/* f32 adds in float (0.1f + 0.2f is 0.3f, printed as the double it is), f64 in double; integers
 * wrap at their width; integer modulo by zero stays for the run-time error; 7 % -3 is -2 (Python).
 * The dead operand constants go. */
Test(passes, fold_rounds_f32_and_f64_wraps_integers_and_leaves_modulo_by_zero)
{
    expect_after(pass_canonicalize, fold_in, fold_out);
}

static const char *const ident_in =
    "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%one = \"ir.const\"() {value = 1.0} : () -> f64\n"
    "%zero = \"ir.const\"() {value = 0.0} : () -> f64\n"
    "%nzero = \"ir.const\"() {value = -0.0} : () -> f64\n"
    "%a = \"t.mul\"(%x, %one) : (f64[n], f64) -> f64[n]\n"
    "%b = \"t.div\"(%a, %one) : (f64[n], f64) -> f64[n]\n"
    "%c = \"t.sub\"(%b, %zero) : (f64[n], f64) -> f64[n]\n"
    "%d = \"t.add\"(%nzero, %c) : (f64, f64[n]) -> f64[n]\n"
    "%e = \"t.add\"(%d, %zero) : (f64[n], f64) -> f64[n]\n"
    "%f = \"t.sub\"(%e, %nzero) : (f64[n], f64) -> f64[n]\n"
    "%g = \"t.cast\"(%f) : (f64[n]) -> f64[n]\n"
    "\"cfg.decl\"() {sym = @k, value = 2.5} : () -> ()\n"
    "%s = \"cfg.get\"() {sym = @k} : () -> f64\n"
    "%h = \"t.mul\"(%s, %x) : (f64, f64[n]) -> f64[n]\n"
    "%i = \"t.mul\"(%h, %one) : (f64[n], f64) -> f64[n]\n"
    "%bc = \"t.mul\"(%s, %one) : (f64, f64) -> f64\n"
    "%bd = \"t.mul\"(%one, %x) : (f64, f64[n]) -> f64[n]\n"
    "\"obs.print\"(%g, %i, %bc, %bd) : (f64[n], f64[n], f64, f64[n]) -> ()\n";

static const char *const ident_out =
    "%0 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%1 = \"ir.const\"() {value = 0.0} : () -> f64\n"
    "%2 = \"ir.const\"() {value = -0.0} : () -> f64\n"
    "%3 = \"t.add\"(%0, %1) : (f64[n], f64) -> f64[n]\n"
    "%4 = \"t.sub\"(%3, %2) : (f64[n], f64) -> f64[n]\n"
    "\"cfg.decl\"() {sym = @k, value = 2.5} : () -> ()\n"
    "%5 = \"cfg.get\"() {sym = @k} : () -> f64\n"
    "%6 = \"t.mul\"(%5, %0) : (f64, f64[n]) -> f64[n]\n"
    "\"obs.print\"(%4, %6, %5, %0) : (f64[n], f64[n], f64, f64[n]) -> ()\n";

/* x * 1, x / 1, x - 0, -0.0 + x, same-type casts and scalar * 1 go; x + 0.0 (turns -0 into +0)
 * and x - -0.0 stay. */
Test(passes, identities_exact_in_ieee_are_removed_and_others_kept)
{
    expect_after(pass_canonicalize, ident_in, ident_out);
}

Test(passes, fold_casts_comparisons_and_logic_with_run_time_semantics)
{
    static const char *const in =
        "%a = \"ir.const\"() {value = -2.75} : () -> f64\n"
        "%b = \"t.cast\"(%a) : (f64) -> i64\n"
        "%c = \"ir.const\"() {value = 1e300} : () -> f64\n"
        "%d = \"t.cast\"(%c) : (f64) -> i64\n"
        "%e = \"t.cast\"(%a) : (f64) -> f32\n"
        "%f = \"ir.const\"() {value = 2.5} : () -> f64\n"
        "%g = \"t.round\"(%f) : (f64) -> f64\n"
        "%h = \"t.lt\"(%a, %f) : (f64, f64) -> bool\n"
        "%i = \"t.not\"(%h) : (bool) -> bool\n"
        "%j = \"t.or\"(%i, %h) : (bool, bool) -> bool\n"
        "%k = \"ir.const\"() {value = 3000000000} : () -> i64\n"
        "%l = \"t.cast\"(%k) : (i64) -> i32\n"
        "%m = \"ir.const\"() {value = -2} : () -> i64\n"
        "%n = \"t.pow\"(%m, %m) : (i64, i64) -> i64\n"
        "%o = \"ir.const\"() {value = 3} : () -> i64\n"
        "%p = \"t.pow\"(%m, %o) : (i64, i64) -> i64\n"
        "%q = \"t.sqrt\"(%f) : (f64) -> f64\n"
        "%r = \"t.exp\"(%f) : (f64) -> f64\n"
        "\"obs.print\"(%b, %d, %e, %g, %j, %l) : (i64, i64, f32, f64, bool, i32) -> ()\n"
        "\"obs.print\"(%n, %p, %q, %r) : (i64, i64, f64, f64) -> ()\n";
    static const char *const out =
        "%0 = \"ir.const\"() {value = -2} : () -> i64\n"
        "%1 = \"ir.const\"() {value = 1e+300} : () -> f64\n"
        "%2 = \"t.cast\"(%1) : (f64) -> i64\n"
        "%3 = \"ir.const\"() {value = -2.75} : () -> f32\n"
        "%4 = \"ir.const\"() {value = 2.5} : () -> f64\n"
        "%5 = \"ir.const\"() {value = 2.0} : () -> f64\n"
        "%6 = \"ir.const\"() {value = true} : () -> bool\n"
        "%7 = \"ir.const\"() {value = -1294967296} : () -> i32\n"
        "%8 = \"t.pow\"(%0, %0) : (i64, i64) -> i64\n"
        "%9 = \"ir.const\"() {value = -8} : () -> i64\n"
        "%10 = \"ir.const\"() {value = 1.5811388300841898} : () -> f64\n"
        "%11 = \"t.exp\"(%4) : (f64) -> f64\n"
        "\"obs.print\"(%0, %2, %3, %5, %6, %7) : (i64, i64, f32, f64, bool, i32) -> ()\n"
        "\"obs.print\"(%8, %9, %10, %11) : (i64, i64, f64, f64) -> ()\n";
    expect_after(pass_canonicalize, in, out);
}

/* ---- canonicalize: state reads, CSE, dead code ---- */

static const char *const reads_in =
    "%z = \"io.load\"() {path = \"w.npy\"} : () -> f64[d]\n"
    "\"state.param\"(%z) {sym = @w, type = f64[d]} : (f64[d]) -> ()\n"
    "%r1 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "%r2 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "%a = \"t.add\"(%r1, %r2) : (f64[d], f64[d]) -> f64[d]\n"
    "\"state.write\"(%a) {sym = @w} : (f64[d]) -> ()\n"
    "%r3 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "%lo = \"ir.const\"() {value = 0} : () -> i64\n"
    "%hi = \"ir.const\"() {value = 3} : () -> i64\n"
    "\"loop.for\"(%lo, %hi) ({\n"
    "^bb0(%i: i64):\n"
    "  %r4 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "  \"obs.print\"(%r4) : (f64[d]) -> ()\n"
    "}) : (i64, i64) -> ()\n"
    "%r5 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "\"loop.for\"(%lo, %hi) ({\n"
    "^bb0(%j: i64):\n"
    "  %c = \"ir.const\"() {value = 1.0} : () -> f64\n"
    "  \"state.accumulate\"(%c) {op = \"add\", sym = @w} : (f64) -> ()\n"
    "}) : (i64, i64) -> ()\n"
    "%r6 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "\"obs.print\"(%r3, %r5, %r6) : (f64[d], f64[d], f64[d]) -> ()\n";

static const char *const reads_out =
    "%0 = \"io.load\"() {path = \"w.npy\"} : () -> f64[d]\n"
    "\"state.param\"(%0) {sym = @w, type = f64[d]} : (f64[d]) -> ()\n"
    "%1 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "%2 = \"t.add\"(%1, %1) : (f64[d], f64[d]) -> f64[d]\n"
    "\"state.write\"(%2) {sym = @w} : (f64[d]) -> ()\n"
    "%3 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "%4 = \"ir.const\"() {value = 0} : () -> i64\n"
    "%5 = \"ir.const\"() {value = 3} : () -> i64\n"
    "\"loop.for\"(%4, %5) ({\n"
    "^bb0(%6: i64):\n"
    "  %7 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "  \"obs.print\"(%7) : (f64[d]) -> ()\n"
    "}) : (i64, i64) -> ()\n"
    "\"loop.for\"(%4, %5) ({\n"
    "^bb0(%8: i64):\n"
    "  %9 = \"ir.const\"() {value = 1.0} : () -> f64\n"
    "  \"state.accumulate\"(%9) {op = \"add\", sym = @w} : (f64) -> ()\n"
    "}) : (i64, i64) -> ()\n"
    "%10 = \"state.read\"() {sym = @w} : () -> f64[d]\n"
    "\"obs.print\"(%3, %3, %10) : (f64[d], f64[d], f64[d]) -> ()\n";

/* Two reads with nothing between merge; a write between, or a loop whose body accumulates into
 * @w, keeps the next read; a loop that only reads does not. */
Test(passes, state_reads_merge_unless_a_write_or_a_writing_loop_is_between)
{
    expect_after(pass_canonicalize, reads_in, reads_out);
}

static const char *const cse_in =
    "\"cfg.decl\"() {sym = @k, value = 3} : () -> ()\n"
    "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%c = \"io.load\"() {path = \"c.npy\"} : () -> bool[1]\n"
    "%i0 = \"ir.const\"() {value = 0} : () -> i64\n"
    "%cond = \"t.index\"(%c, %i0) : (bool[1], i64) -> bool\n"
    "%e1 = \"t.exp\"(%x) : (f64[n]) -> f64[n]\n"
    "\"ctl.if\"(%cond) ({\n"
    "  %e2 = \"t.exp\"(%x) : (f64[n]) -> f64[n]\n"
    "  %l1 = \"t.log\"(%x) : (f64[n]) -> f64[n]\n"
    "  \"obs.print\"(%e2, %l1) : (f64[n], f64[n]) -> ()\n"
    "}, {\n"
    "  %l2 = \"t.log\"(%x) : (f64[n]) -> f64[n]\n"
    "  \"obs.print\"(%l2) : (f64[n]) -> ()\n"
    "}) : (bool) -> ()\n"
    "%l3 = \"t.log\"(%x) : (f64[n]) -> f64[n]\n"
    "%e3 = \"t.exp\"(%x) : (f64[n]) -> f64[n]\n"
    "%n1 = \"size.get\"() {sym = @n} : () -> i64\n"
    "%s = \"ir.const\"() {value = 1.0} : () -> f64\n"
    "%u1 = \"t.randn\"(%n1, %s) : (i64, f64) -> f64[n]\n"
    "%u2 = \"t.randn\"(%n1, %s) : (i64, f64) -> f64[n]\n"
    "%u3 = \"t.randn\"(%n1, %s) : (i64, f64) -> f64[n]\n"
    "%dead = \"t.sqrt\"(%x) : (f64[n]) -> f64[n]\n"
    "%n2 = \"size.get\"() {sym = @n} : () -> i64\n"
    "%rd = \"cfg.get\"() {sym = @k} : () -> i64\n"
    "\"obs.print\"(%l3, %e3, %u1, %u2, %n2) : (f64[n], f64[n], f64[n], f64[n], i64) -> ()\n";

static const char *const cse_out =
    "\"cfg.decl\"() {sym = @k, value = 3} : () -> ()\n"
    "%0 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%1 = \"io.load\"() {path = \"c.npy\"} : () -> bool[1]\n"
    "%2 = \"ir.const\"() {value = 0} : () -> i64\n"
    "%3 = \"t.index\"(%1, %2) : (bool[1], i64) -> bool\n"
    "%4 = \"t.exp\"(%0) : (f64[n]) -> f64[n]\n"
    "\"ctl.if\"(%3) ({\n"
    "  %5 = \"t.log\"(%0) : (f64[n]) -> f64[n]\n"
    "  \"obs.print\"(%4, %5) : (f64[n], f64[n]) -> ()\n"
    "}, {\n"
    "  %6 = \"t.log\"(%0) : (f64[n]) -> f64[n]\n"
    "  \"obs.print\"(%6) : (f64[n]) -> ()\n"
    "}) : (bool) -> ()\n"
    "%7 = \"t.log\"(%0) : (f64[n]) -> f64[n]\n"
    "%8 = \"size.get\"() {sym = @n} : () -> i64\n"
    "%9 = \"ir.const\"() {value = 1.0} : () -> f64\n"
    "%10 = \"t.randn\"(%8, %9) : (i64, f64) -> f64[n]\n"
    "%11 = \"t.randn\"(%8, %9) : (i64, f64) -> f64[n]\n"
    "\"obs.print\"(%7, %4, %10, %11, %8) : (f64[n], f64[n], f64[n], f64[n], i64) -> ()\n";

/* exp(x) inside the if takes the outer exp; the two logs in sibling branches and the one after
 * the if stay apart (no value from a nested region replaces an outer one); random draws are never
 * merged, an unused one and the dead sqrt, size.get and cfg.get go. */
Test(passes, cse_uses_enclosing_values_only_and_never_merges_random_draws)
{
    expect_after(pass_canonicalize, cse_in, cse_out);
}

Test(passes, shape_queries_of_known_dimensions_become_sizes_configs_and_constants)
{
    static const char *const in =
        "\"cfg.decl\"() {sym = @r, value = 5} : () -> ()\n"
        "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n, r]\n"
        "%y = \"io.load\"() {path = \"y.npy\"} : () -> f64[3, ?]\n"
        "%a = \"t.rows\"(%x) : (f64[n, r]) -> i64\n"
        "%b = \"t.cols\"(%x) : (f64[n, r]) -> i64\n"
        "%c = \"t.len\"(%y) : (f64[3, ?]) -> i64\n"
        "%d = \"t.cols\"(%y) : (f64[3, ?]) -> i64\n"
        "%e = \"size.get\"() {sym = @n} : () -> i64\n"
        "\"obs.print\"(%a, %b, %c, %d, %e) : (i64, i64, i64, i64, i64) -> ()\n";
    static const char *const out =
        "\"cfg.decl\"() {sym = @r, value = 5} : () -> ()\n"
        "%0 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n, r]\n"
        "%1 = \"io.load\"() {path = \"y.npy\"} : () -> f64[3, ?]\n"
        "%2 = \"size.get\"() {sym = @n} : () -> i64\n"
        "%3 = \"cfg.get\"() {sym = @r} : () -> i64\n"
        "%4 = \"ir.const\"() {value = 3} : () -> i64\n"
        "%5 = \"t.cols\"(%1) : (f64[3, ?]) -> i64\n"
        "\"obs.print\"(%2, %3, %4, %5, %2) : (i64, i64, i64, i64, i64) -> ()\n";
    expect_after(pass_canonicalize, in, out);
}

/* ---- fuse: transposes ---- */

static const char *const tr_in =
    "%X = \"io.load\"() {path = \"X.npy\"} : () -> f64[n, d]\n"
    "%e = \"io.load\"() {path = \"e.npy\"} : () -> f64[n]\n"
    "%B = \"io.load\"() {path = \"B.npy\"} : () -> f64[n, k]\n"
    "%D = \"io.load\"() {path = \"D.npy\"} : () -> f64[m, d]\n"
    "%v = \"io.load\"() {path = \"v.npy\"} : () -> f64[d]\n"
    "%T = \"t.transpose\"(%X) : (f64[n, d]) -> f64[d, n]\n"
    "%g = \"t.matvec\"(%T, %e) : (f64[d, n], f64[n]) -> f64[d]\n"
    "%P = \"t.matmul\"(%T, %B) : (f64[d, n], f64[n, k]) -> f64[d, k]\n"
    "%DT = \"t.transpose\"(%D) : (f64[m, d]) -> f64[d, m]\n"
    "%R = \"t.matmul\"(%X, %DT) : (f64[n, d], f64[d, m]) -> f64[n, m]\n"
    "%vm = \"t.vecmat\"(%v, %DT) : (f64[d], f64[d, m]) -> f64[m]\n"
    "%BT = \"t.transpose\"(%B) : (f64[n, k]) -> f64[k, n]\n"
    "%Q = \"t.matvec\"(%BT, %e) : (f64[k, n], f64[n]) -> f64[k]\n"
    "\"obs.print\"(%g, %P, %R) : (f64[d], f64[d, k], f64[n, m]) -> ()\n"
    "\"obs.print\"(%vm, %Q, %BT) : (f64[m], f64[k], f64[k, n]) -> ()\n";

static const char *const tr_out =
    "%0 = \"io.load\"() {path = \"X.npy\"} : () -> f64[n, d]\n"
    "%1 = \"io.load\"() {path = \"e.npy\"} : () -> f64[n]\n"
    "%2 = \"io.load\"() {path = \"B.npy\"} : () -> f64[n, k]\n"
    "%3 = \"io.load\"() {path = \"D.npy\"} : () -> f64[m, d]\n"
    "%4 = \"io.load\"() {path = \"v.npy\"} : () -> f64[d]\n"
    "%5 = \"t.matvec\"(%0, %1) {transpose_a = true} : (f64[n, d], f64[n]) -> f64[d]\n"
    "%6 = \"t.matmul\"(%0, %2) {transpose_a = true} : (f64[n, d], f64[n, k]) -> f64[d, k]\n"
    "%7 = \"t.matmul\"(%0, %3) {transpose_b = true} : (f64[n, d], f64[m, d]) -> f64[n, m]\n"
    "%8 = \"t.vecmat\"(%4, %3) {transpose_b = true} : (f64[d], f64[m, d]) -> f64[m]\n"
    "%9 = \"t.transpose\"(%2) : (f64[n, k]) -> f64[k, n]\n"
    "%10 = \"t.matvec\"(%2, %1) {transpose_a = true} : (f64[n, k], f64[n]) -> f64[k]\n"
    "\"obs.print\"(%5, %6, %7) : (f64[d], f64[d, k], f64[n, m]) -> ()\n"
    "\"obs.print\"(%8, %10, %9) : (f64[m], f64[k], f64[k, n]) -> ()\n";

/* transpose(X) feeding matvec and matmul becomes transpose_a on both, and goes; transpose(D) on
 * the right becomes transpose_b (matmul, vecmat); transpose(B), printed too, stays for the print.
 */
Test(passes, transposes_fold_into_blas_operands)
{
    expect_after(pass_fuse, tr_in, tr_out);
}

Test(passes, x_transposed_times_e_lowers_to_a_transposed_matvec)
{
    char *text = compile_dml("input X: f64[n, d] = load(\"X.csv\")\n"
                             "input e: f64[n] = load(\"e.csv\")\n"
                             "print(X.T @ e)\n",
                             "fuse");
    cr_assert_str_eq(text, "%0 = \"io.load\"() {path = \"X.csv\"} : () -> f64[n, d]\n"
                           "%1 = \"state.input\"(%0) {sym = @X} : (f64[n, d]) -> f64[n, d]\n"
                           "%2 = \"io.load\"() {path = \"e.csv\"} : () -> f64[n]\n"
                           "%3 = \"state.input\"(%2) {sym = @e} : (f64[n]) -> f64[n]\n"
                           "%4 = \"t.matvec\"(%1, %3) {transpose_a = true} : (f64[n, d], f64[n]) "
                           "-> f64[d]\n"
                           "\"obs.print\"(%4) : (f64[d]) -> ()\n");
    free(text);
}

/* ---- fuse: groups ---- */

static const char *const f1_in =
    "\"cfg.decl\"() {sym = @lr, value = 0.5} : () -> ()\n"
    "%X = \"io.load\"() {path = \"X.npy\"} : () -> f64[n, d]\n"
    "%r = \"io.load\"() {path = \"r.npy\"} : () -> f64[d]\n"
    "%c = \"io.load\"() {path = \"c.npy\"} : () -> f64[n, 1]\n"
    "%k = \"cfg.get\"() {sym = @lr} : () -> f64\n"
    "%two = \"ir.const\"() {value = 2.0} : () -> f64\n"
    "%a = \"t.add\"(%X, %r) : (f64[n, d], f64[d]) -> f64[n, d]\n"
    "%b = \"t.mul\"(%a, %c) : (f64[n, d], f64[n, 1]) -> f64[n, d]\n"
    "%e = \"t.mul\"(%b, %two) : (f64[n, d], f64) -> f64[n, d]\n"
    "%f = \"t.sub\"(%e, %k) : (f64[n, d], f64) -> f64[n, d]\n"
    "%s = \"t.sum\"(%f) {axis = 1} : (f64[n, d]) -> f64[n]\n"
    "%t = \"t.sum\"(%f) {axis = 0} : (f64[n, d]) -> f64[d]\n"
    "%u = \"t.max\"(%f) : (f64[n, d]) -> f64\n"
    "%v = \"t.argmax\"(%f) {axis = 1} : (f64[n, d]) -> i64[n]\n"
    "%w = \"t.mul\"(%k, %two) : (f64, f64) -> f64\n"
    "\"obs.print\"(%s, %t, %u, %v, %w) : (f64[n], f64[d], f64, i64[n], f64) -> ()\n";

static const char *const f1_out =
    "\"cfg.decl\"() {sym = @lr, value = 0.5} : () -> ()\n"
    "%0 = \"io.load\"() {path = \"X.npy\"} : () -> f64[n, d]\n"
    "%1 = \"io.load\"() {path = \"r.npy\"} : () -> f64[d]\n"
    "%2 = \"io.load\"() {path = \"c.npy\"} : () -> f64[n, 1]\n"
    "%3 = \"cfg.get\"() {sym = @lr} : () -> f64\n"
    "%4 = \"ir.const\"() {value = 2.0} : () -> f64\n"
    "%5, %6, %7, %8 = \"k.fused\"(%0, %1, %2, %3) ({\n"
    "^bb0(%9: f64[n, d], %10: f64[d], %11: f64[n, 1], %12: f64):\n"
    "  %13 = \"t.add\"(%9, %10) : (f64[n, d], f64[d]) -> f64[n, d]\n"
    "  %14 = \"t.mul\"(%13, %11) : (f64[n, d], f64[n, 1]) -> f64[n, d]\n"
    "  %15 = \"ir.const\"() {value = 2.0} : () -> f64\n"
    "  %16 = \"t.mul\"(%14, %15) : (f64[n, d], f64) -> f64[n, d]\n"
    "  %17 = \"t.sub\"(%16, %12) : (f64[n, d], f64) -> f64[n, d]\n"
    "  %18 = \"t.sum\"(%17) {axis = 1} : (f64[n, d]) -> f64[n]\n"
    "  %19 = \"t.sum\"(%17) {axis = 0} : (f64[n, d]) -> f64[d]\n"
    "  %20 = \"t.max\"(%17) : (f64[n, d]) -> f64\n"
    "  \"ir.yield\"(%17, %18, %19, %20) : (f64[n, d], f64[n], f64[d], f64) -> ()\n"
    "}) : (f64[n, d], f64[d], f64[n, 1], f64) -> (f64[n, d], f64[n], f64[d], f64)\n"
    "%21 = \"t.argmax\"(%5) {axis = 1} : (f64[n, d]) -> i64[n]\n"
    "%22 = \"t.mul\"(%3, %4) : (f64, f64) -> f64\n"
    "\"obs.print\"(%6, %7, %8, %21, %22) : (f64[n], f64[d], f64, i64[n], f64) -> ()\n";

/* One kernel: a row ([d]) and a column ([n, 1]) broadcast, a copied constant, a scalar input, and
 * sums over rows, columns and everything; argmax is not a kernel reduction, so the chain's last
 * value is a result; the scalar-only multiply stays outside. */
Test(passes, fusion_accepts_row_and_column_broadcasts_and_attaches_reductions)
{
    expect_after(pass_fuse, f1_in, f1_out);
}

static const char *const f2_in =
    "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%y = \"io.load\"() {path = \"y.npy\"} : () -> f64[d]\n"
    "%a = \"t.exp\"(%x) : (f64[n]) -> f64[n]\n"
    "%b = \"t.exp\"(%y) : (f64[d]) -> f64[d]\n"
    "%c = \"t.add\"(%a, %x) : (f64[n], f64[n]) -> f64[n]\n"
    "%d = \"t.mul\"(%b, %b) : (f64[d], f64[d]) -> f64[d]\n"
    "%m = \"io.load\"() {path = \"m.npy\"} : () -> f64[b, c]\n"
    "%T = \"io.load\"() {path = \"T.npy\"} : () -> f64[a, b, c]\n"
    "%e = \"t.add\"(%T, %m) : (f64[a, b, c], f64[b, c]) -> f64[a, b, c]\n"
    "\"obs.print\"(%c, %d, %e) : (f64[n], f64[d], f64[a, b, c]) -> ()\n";

static const char *const f2_out =
    "%0 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%1 = \"io.load\"() {path = \"y.npy\"} : () -> f64[d]\n"
    "%2 = \"k.fused\"(%0) ({\n"
    "^bb0(%3: f64[n]):\n"
    "  %4 = \"t.exp\"(%3) : (f64[n]) -> f64[n]\n"
    "  %5 = \"t.add\"(%4, %3) : (f64[n], f64[n]) -> f64[n]\n"
    "  \"ir.yield\"(%5) : (f64[n]) -> ()\n"
    "}) : (f64[n]) -> f64[n]\n"
    "%6 = \"k.fused\"(%1) ({\n"
    "^bb0(%7: f64[d]):\n"
    "  %8 = \"t.exp\"(%7) : (f64[d]) -> f64[d]\n"
    "  %9 = \"t.mul\"(%8, %8) : (f64[d], f64[d]) -> f64[d]\n"
    "  \"ir.yield\"(%9) : (f64[d]) -> ()\n"
    "}) : (f64[d]) -> f64[d]\n"
    "%10 = \"io.load\"() {path = \"m.npy\"} : () -> f64[b, c]\n"
    "%11 = \"io.load\"() {path = \"T.npy\"} : () -> f64[a, b, c]\n"
    "%12 = \"t.add\"(%11, %10) : (f64[a, b, c], f64[b, c]) -> f64[a, b, c]\n"
    "\"obs.print\"(%2, %6, %12) : (f64[n], f64[d], f64[a, b, c]) -> ()\n";

/* [n] and [d] chains make two kernels (an op joins the group of its operand); an operand [b, c]
 * against [a, b, c] fits no kernel pattern (neither a row nor a column), so that add is not
 * fused. */
Test(passes, fusion_splits_groups_of_different_shapes_and_skips_unsupported_broadcasts)
{
    expect_after(pass_fuse, f2_in, f2_out);
}

static const char *const f5_in = "%M = \"io.load\"() {path = \"M.npy\"} : () -> f64[n, d]\n"
                                 "%m = \"io.load\"() {path = \"m.npy\"} : () -> f64[1, d]\n"
                                 "%o = \"io.load\"() {path = \"o.npy\"} : () -> f64[1, 1]\n"
                                 "%e = \"t.add\"(%M, %m) : (f64[n, d], f64[1, d]) -> f64[n, d]\n"
                                 "%f = \"t.mul\"(%e, %o) : (f64[n, d], f64[1, 1]) -> f64[n, d]\n"
                                 "\"obs.print\"(%f) : (f64[n, d]) -> ()\n";

static const char *const f5_out = "%0 = \"io.load\"() {path = \"M.npy\"} : () -> f64[n, d]\n"
                                  "%1 = \"io.load\"() {path = \"m.npy\"} : () -> f64[1, d]\n"
                                  "%2 = \"io.load\"() {path = \"o.npy\"} : () -> f64[1, 1]\n"
                                  "%3 = \"k.fused\"(%0, %1) ({\n"
                                  "^bb0(%4: f64[n, d], %5: f64[1, d]):\n"
                                  "  %6 = \"t.add\"(%4, %5) : (f64[n, d], f64[1, d]) -> f64[n, d]\n"
                                  "  \"ir.yield\"(%6) : (f64[n, d]) -> ()\n"
                                  "}) : (f64[n, d], f64[1, d]) -> f64[n, d]\n"
                                  "%7 = \"t.mul\"(%3, %2) : (f64[n, d], f64[1, 1]) -> f64[n, d]\n"
                                  "\"obs.print\"(%7) : (f64[n, d]) -> ()\n";

/* [1, d] is read as a row of [n, d]; [1, 1] is neither a row nor a column, so the multiply that
 * uses it stays outside the kernel. */
Test(passes, fusion_reads_a_one_by_d_operand_as_a_row)
{
    expect_after(pass_fuse, f5_in, f5_out);
}

static const char *const f3_in = "%A = \"io.load\"() {path = \"A.npy\"} : () -> f64[n, n]\n"
                                 "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                                 "%one = \"ir.const\"() {value = 1.0} : () -> f64\n"
                                 "%a = \"t.add\"(%x, %one) : (f64[n], f64) -> f64[n]\n"
                                 "%m = \"t.matvec\"(%A, %a) : (f64[n, n], f64[n]) -> f64[n]\n"
                                 "%b = \"t.mul\"(%m, %a) : (f64[n], f64[n]) -> f64[n]\n"
                                 "%c = \"t.exp\"(%x) : (f64[n]) -> f64[n]\n"
                                 "%d = \"t.sub\"(%c, %a) : (f64[n], f64[n]) -> f64[n]\n"
                                 "\"obs.print\"(%b, %d) : (f64[n], f64[n]) -> ()\n";

static const char *const f3_out = "%0 = \"io.load\"() {path = \"A.npy\"} : () -> f64[n, n]\n"
                                  "%1 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                                  "%2 = \"k.fused\"(%1) ({\n"
                                  "^bb0(%3: f64[n]):\n"
                                  "  %4 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                                  "  %5 = \"t.add\"(%3, %4) : (f64[n], f64) -> f64[n]\n"
                                  "  \"ir.yield\"(%5) : (f64[n]) -> ()\n"
                                  "}) : (f64[n]) -> f64[n]\n"
                                  "%6 = \"t.matvec\"(%0, %2) : (f64[n, n], f64[n]) -> f64[n]\n"
                                  "%7, %8 = \"k.fused\"(%6, %2, %1) ({\n"
                                  "^bb0(%9: f64[n], %10: f64[n], %11: f64[n]):\n"
                                  "  %12 = \"t.mul\"(%9, %10) : (f64[n], f64[n]) -> f64[n]\n"
                                  "  %13 = \"t.exp\"(%11) : (f64[n]) -> f64[n]\n"
                                  "  %14 = \"t.sub\"(%13, %10) : (f64[n], f64[n]) -> f64[n]\n"
                                  "  \"ir.yield\"(%12, %14) : (f64[n], f64[n]) -> ()\n"
                                  "}) : (f64[n], f64[n], f64[n]) -> (f64[n], f64[n])\n"
                                  "\"obs.print\"(%7, %8) : (f64[n], f64[n]) -> ()\n";

/* The matvec between uses the first group's value: that kernel goes before it, and the ops after
 * the matvec form a second kernel (exp(x) joins it, since x is available there). */
Test(passes, fusion_places_a_kernel_before_an_op_that_uses_it_and_starts_another_after)
{
    expect_after(pass_fuse, f3_in, f3_out);
}

static const char *const f4_in = "\"cfg.decl\"() {sym = @k, value = 0.5} : () -> ()\n"
                                 "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                                 "%a = \"t.exp\"(%x) : (f64[n]) -> f64[n]\n"
                                 "%lo = \"ir.const\"() {value = 0} : () -> i64\n"
                                 "%hi = \"ir.const\"() {value = 3} : () -> i64\n"
                                 "\"loop.for\"(%lo, %hi) ({\n"
                                 "^bb0(%i: i64):\n"
                                 "  %b = \"t.mul\"(%a, %a) : (f64[n], f64[n]) -> f64[n]\n"
                                 "  \"obs.print\"(%b) : (f64[n]) -> ()\n"
                                 "}) : (i64, i64) -> ()\n"
                                 "%s = \"cfg.get\"() {sym = @k} : () -> f64\n"
                                 "%t = \"t.mul\"(%s, %s) : (f64, f64) -> f64\n"
                                 "%u = \"t.exp\"(%t) : (f64) -> f64\n"
                                 "%c = \"t.neg\"(%a) : (f64[n]) -> f64[n]\n"
                                 "\"obs.print\"(%u, %c) : (f64, f64[n]) -> ()\n";

static const char *const f4_out = "\"cfg.decl\"() {sym = @k, value = 0.5} : () -> ()\n"
                                  "%0 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                                  "%1 = \"ir.const\"() {value = 0} : () -> i64\n"
                                  "%2 = \"ir.const\"() {value = 3} : () -> i64\n"
                                  "%3, %4 = \"k.fused\"(%0) ({\n"
                                  "^bb0(%5: f64[n]):\n"
                                  "  %6 = \"t.exp\"(%5) : (f64[n]) -> f64[n]\n"
                                  "  %7 = \"t.neg\"(%6) : (f64[n]) -> f64[n]\n"
                                  "  \"ir.yield\"(%6, %7) : (f64[n], f64[n]) -> ()\n"
                                  "}) : (f64[n]) -> (f64[n], f64[n])\n"
                                  "\"loop.for\"(%1, %2) ({\n"
                                  "^bb0(%8: i64):\n"
                                  "  %9 = \"k.fused\"(%3) ({\n"
                                  "  ^bb0(%10: f64[n]):\n"
                                  "    %11 = \"t.mul\"(%10, %10) : (f64[n], f64[n]) -> f64[n]\n"
                                  "    \"ir.yield\"(%11) : (f64[n]) -> ()\n"
                                  "  }) : (f64[n]) -> f64[n]\n"
                                  "  \"obs.print\"(%9) : (f64[n]) -> ()\n"
                                  "}) : (i64, i64) -> ()\n"
                                  "%12 = \"cfg.get\"() {sym = @k} : () -> f64\n"
                                  "%13 = \"t.mul\"(%12, %12) : (f64, f64) -> f64\n"
                                  "%14 = \"t.exp\"(%13) : (f64) -> f64\n"
                                  "\"obs.print\"(%14, %4) : (f64, f64[n]) -> ()\n";

/* The loop body gets its own kernel (groups never cross a region boundary); the outer group keeps
 * the later neg (its input is the group's own value) and is placed before the loop that uses it;
 * scalar-only ops are left to the interpreter. */
Test(passes, fusion_stays_within_a_region_and_leaves_scalar_chains)
{
    expect_after(pass_fuse, f4_in, f4_out);
}

Test(passes, kernels_carry_the_location_of_their_first_member)
{
    char *text = NULL;
    SrcFile f;
    static const char *const dml = "input x: f64[n] = load(\"x.csv\")\n"
                                   "let y = x * 2.0\n"
                                   "print(exp(y) + y)\n";
    src_from_text(&f, "p.dml", dml, strlen(dml));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    Program *prog = fe_check(&f, &a, &d);
    IrModule *m = prog ? lower_program(prog, &a, &d) : NULL;
    cr_assert_not_null(m, "%s", rendered(&d));
    cr_assert(passes_run(m, "fuse", NULL, NULL, &d), "%s", rendered(&d));
    Buf b = {0};
    ir_print(m, &b, &(IrPrintOptions){.locations = true});
    text = strdup(buf_cstr(&b));
    buf_free(&b);
    cr_assert(strstr(text, "-> f64[n] loc(\"p.dml\":2:9)\n\"obs.print\"") != NULL, "%s", text);
    cr_assert_eq(count_of(text, "\"k.fused\""), 1, "%s", text);
    free(text);
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
}

/* ---- shapes ---- */

static const char *const sh_in =
    "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%lo = \"ir.const\"() {value = 0} : () -> i64\n"
    "%hi = \"ir.const\"() {value = 4} : () -> i64\n"
    "\"loop.for\"(%lo, %hi) ({\n"
    "^bb0(%i: i64):\n"
    "  %three = \"ir.const\"() {value = 3} : () -> i64\n"
    "  %j = \"t.add\"(%i, %three) : (i64, i64) -> i64\n"
    "  %s = \"t.slice\"(%x, %i, %j) {index = [\"a..b\"]} : (f64[n], i64, i64) -> f64[?]\n"
    "  %t = \"t.exp\"(%s) : (f64[?]) -> f64[?]\n"
    "  \"obs.print\"(%t) : (f64[?]) -> ()\n"
    "}) : (i64, i64) -> ()\n"
    "%n = \"size.get\"() {sym = @n} : () -> i64\n"
    "%s2 = \"t.slice\"(%x, %lo, %n) {index = [\"a..b\"]} : (f64[n], i64, i64) -> f64[?]\n"
    "%x4 = \"io.load\"() {path = \"x4.npy\"} : () -> f64[4]\n"
    "%one = \"ir.const\"() {value = 1} : () -> i64\n"
    "%nine = \"ir.const\"() {value = 9} : () -> i64\n"
    "%s3 = \"t.slice\"(%x4, %one, %nine) {index = [\"a..b\"]} : (f64[4], i64, i64) -> f64[?]\n"
    "%s4 = \"t.slice\"(%x4, %one) {index = [\"a..\"]} : (f64[4], i64) -> f64[?]\n"
    "%B = \"io.load\"() {path = \"B.npy\"} : () -> f64[6, 4]\n"
    "%m1 = \"ir.const\"() {value = -1} : () -> i64\n"
    "%two = \"ir.const\"() {value = 2} : () -> i64\n"
    "%R = \"t.reshape\"(%B, %m1, %two) : (f64[6, 4], i64, i64) -> f64[?, 2]\n"
    "%C = \"io.load\"() {path = \"C.npy\"} : () -> f64[n, d]\n"
    "%dd = \"size.get\"() {sym = @d} : () -> i64\n"
    "%R2 = \"t.reshape\"(%C, %m1, %dd) : (f64[n, d], i64, i64) -> f64[?, d]\n"
    "%R3 = \"t.reshape\"(%C, %two, %m1) : (f64[n, d], i64, i64) -> f64[2, ?]\n"
    "%j2 = \"t.mul\"(%two, %hi) : (i64, i64) -> i64\n"
    "%Z = \"t.zeros\"(%j2, %dd) : (i64, i64) -> f64[?, d]\n"
    "%w = \"t.add\"(%s2, %x) : (f64[?], f64[n]) -> f64[?]\n"
    "%col = \"io.load\"() {path = \"col.npy\"} : () -> f64[?, 1]\n"
    "%v = \"t.mul\"(%col, %R3) : (f64[?, 1], f64[2, ?]) -> f64[?, ?]\n"
    "\"obs.print\"(%s2, %s3, %s4, %w) : (f64[?], f64[?], f64[?], f64[?]) -> ()\n"
    "\"obs.print\"(%R, %R2, %R3) : (f64[?, 2], f64[?, d], f64[2, ?]) -> ()\n"
    "\"obs.print\"(%Z, %v) : (f64[?, d], f64[?, ?]) -> ()\n";

static const char *const sh_out =
    "%0 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%1 = \"ir.const\"() {value = 0} : () -> i64\n"
    "%2 = \"ir.const\"() {value = 4} : () -> i64\n"
    "\"loop.for\"(%1, %2) ({\n"
    "^bb0(%3: i64):\n"
    "  %4 = \"ir.const\"() {value = 3} : () -> i64\n"
    "  %5 = \"t.add\"(%3, %4) : (i64, i64) -> i64\n"
    "  %6 = \"t.slice\"(%0, %3, %5) {index = [\"a..b\"]} : (f64[n], i64, i64) -> f64[3]\n"
    "  %7 = \"t.exp\"(%6) : (f64[3]) -> f64[3]\n"
    "  \"obs.print\"(%7) : (f64[3]) -> ()\n"
    "}) : (i64, i64) -> ()\n"
    "%8 = \"size.get\"() {sym = @n} : () -> i64\n"
    "%9 = \"t.slice\"(%0, %1, %8) {index = [\"a..b\"]} : (f64[n], i64, i64) -> f64[n]\n"
    "%10 = \"io.load\"() {path = \"x4.npy\"} : () -> f64[4]\n"
    "%11 = \"ir.const\"() {value = 1} : () -> i64\n"
    "%12 = \"ir.const\"() {value = 9} : () -> i64\n"
    "%13 = \"t.slice\"(%10, %11, %12) {index = [\"a..b\"]} : (f64[4], i64, i64) -> f64[?]\n"
    "%14 = \"t.slice\"(%10, %11) {index = [\"a..\"]} : (f64[4], i64) -> f64[3]\n"
    "%15 = \"io.load\"() {path = \"B.npy\"} : () -> f64[6, 4]\n"
    "%16 = \"ir.const\"() {value = -1} : () -> i64\n"
    "%17 = \"ir.const\"() {value = 2} : () -> i64\n"
    "%18 = \"t.reshape\"(%15, %16, %17) : (f64[6, 4], i64, i64) -> f64[12, 2]\n"
    "%19 = \"io.load\"() {path = \"C.npy\"} : () -> f64[n, d]\n"
    "%20 = \"size.get\"() {sym = @d} : () -> i64\n"
    "%21 = \"t.reshape\"(%19, %16, %20) : (f64[n, d], i64, i64) -> f64[n, d]\n"
    "%22 = \"t.reshape\"(%19, %17, %16) : (f64[n, d], i64, i64) -> f64[2, ?]\n"
    "%23 = \"t.mul\"(%17, %2) : (i64, i64) -> i64\n"
    "%24 = \"t.zeros\"(%23, %20) : (i64, i64) -> f64[8, d]\n"
    "%25 = \"t.add\"(%9, %0) : (f64[n], f64[n]) -> f64[n]\n"
    "%26 = \"io.load\"() {path = \"col.npy\"} : () -> f64[?, 1]\n"
    "%27 = \"t.mul\"(%26, %22) : (f64[?, 1], f64[2, ?]) -> f64[2, ?]\n"
    "\"obs.print\"(%9, %13, %14, %25) : (f64[n], f64[?], f64[3], f64[n]) -> ()\n"
    "\"obs.print\"(%18, %21, %22) : (f64[12, 2], f64[n, d], f64[2, ?]) -> ()\n"
    "\"obs.print\"(%24, %27) : (f64[8, d], f64[2, ?]) -> ()\n";

/* x[i..i+3] has 3 elements and exp keeps that; x[0..n] is n; [4][1..9] is out of range (left);
 * [4][1..] is 3; reshape's -1 gives 12 and n where it divides out, not 2 * d; zeros(2 * 4, d) is
 * [8, d]; broadcasting fills the known dimension. */
Test(passes, shapes_derives_slice_reshape_constructor_and_broadcast_dimensions)
{
    expect_after(pass_shapes, sh_in, sh_out);
}

static const char *const rb_in =
    "%init = \"io.load\"() {path = \"v.npy\"} : () -> f64[5]\n"
    "\"state.var\"(%init) {sym = @v, type = f64[5]} : (f64[5]) -> ()\n"
    "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[10]\n"
    "%lo = \"ir.const\"() {value = 1} : () -> i64\n"
    "%hi = \"ir.const\"() {value = 3} : () -> i64\n"
    "%s = \"t.slice\"(%x, %lo, %hi) {index = [\"a..b\"]} : (f64[10], i64, i64) -> f64[?]\n"
    "\"state.write\"(%s) {sym = @v} : (f64[?]) -> ()\n"
    "%n = \"size.get\"() {sym = @n} : () -> i64\n"
    "%z = \"t.zeros\"(%n) : (i64) -> f64[?]\n"
    "\"obs.print\"(%z) : (f64[?]) -> ()\n";

static const char *const rb_out =
    "%0 = \"io.load\"() {path = \"v.npy\"} : () -> f64[5]\n"
    "\"state.var\"(%0) {sym = @v, type = f64[5]} : (f64[5]) -> ()\n"
    "%1 = \"io.load\"() {path = \"x.npy\"} : () -> f64[10]\n"
    "%2 = \"ir.const\"() {value = 1} : () -> i64\n"
    "%3 = \"ir.const\"() {value = 3} : () -> i64\n"
    "%4 = \"t.slice\"(%1, %2, %3) {index = [\"a..b\"]} : (f64[10], i64, i64) -> f64[?]\n"
    "\"state.write\"(%4) {sym = @v} : (f64[?]) -> ()\n"
    "%5 = \"size.get\"() {sym = @n} : () -> i64\n"
    "%6 = \"t.zeros\"(%5) : (i64) -> f64[?]\n"
    "\"obs.print\"(%6) : (f64[?]) -> ()\n";

/* x[1..3] would be [2], which cannot be written to a [5] var: the pass undoes every refinement
 * (zeros(n) too) and warns at the slice. */
Test(passes, shapes_undoes_refinements_that_cannot_agree_and_warns)
{
    char *warnings = NULL;
    char *text = run_pass(rb_in, pass_shapes, &warnings);
    cr_assert_str_eq(text, rb_out);
    cr_assert(strstr(warnings, "t.ir:6:1: warning: shape inference found dimensions that cannot "
                               "agree at run time") != NULL,
              "%s", warnings);
    free(text);
    free(warnings);
}

/* ---- memplan ---- */

static const char *const mp_in = "%z = \"io.load\"() {path = \"w.npy\"} : () -> f64[n]\n"
                                 "\"state.param\"(%z) {sym = @w, type = f64[n]} : (f64[n]) -> ()\n"
                                 "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                                 "%a = \"t.exp\"(%x) : (f64[n]) -> f64[n]\n"
                                 "%b = \"t.log\"(%a) : (f64[n]) -> f64[n]\n"
                                 "%c = \"t.add\"(%b, %x) : (f64[n], f64[n]) -> f64[n]\n"
                                 "%r = \"state.read\"() {sym = @w} : () -> f64[n]\n"
                                 "%d = \"t.neg\"(%r) : (f64[n]) -> f64[n]\n"
                                 "%lo = \"ir.const\"() {value = 0} : () -> i64\n"
                                 "%hi = \"ir.const\"() {value = 3} : () -> i64\n"
                                 "\"loop.for\"(%lo, %hi) ({\n"
                                 "^bb0(%i: i64):\n"
                                 "  %e = \"t.neg\"(%c) : (f64[n]) -> f64[n]\n"
                                 "  %f = \"t.abs\"(%e) : (f64[n]) -> f64[n]\n"
                                 "  \"obs.print\"(%f) : (f64[n]) -> ()\n"
                                 "}) : (i64, i64) -> ()\n"
                                 "%g = \"t.gt\"(%d, %c) : (f64[n], f64[n]) -> bool[n]\n"
                                 "%h = \"t.sqrt\"(%d) : (f64[n]) -> f64[n]\n"
                                 "\"obs.print\"(%g, %h) : (bool[n], f64[n]) -> ()\n";

static const char *const mp_out =
    "%0 = \"io.load\"() {path = \"w.npy\"} : () -> f64[n]\n"
    "\"state.param\"(%0) {sym = @w, type = f64[n]} : (f64[n]) -> ()\n"
    "%1 = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
    "%2 = \"t.exp\"(%1) : (f64[n]) -> f64[n]\n"
    "%3 = \"t.log\"(%2) {inplace = 0} : (f64[n]) -> f64[n]\n"
    "%4 = \"t.add\"(%3, %1) {inplace = 0} : (f64[n], f64[n]) -> f64[n]\n"
    "%5 = \"state.read\"() {sym = @w} : () -> f64[n]\n"
    "%6 = \"t.neg\"(%5) : (f64[n]) -> f64[n]\n"
    "%7 = \"ir.const\"() {value = 0} : () -> i64\n"
    "%8 = \"ir.const\"() {value = 3} : () -> i64\n"
    "\"loop.for\"(%7, %8) ({\n"
    "^bb0(%9: i64):\n"
    "  %10 = \"t.neg\"(%4) : (f64[n]) -> f64[n]\n"
    "  %11 = \"t.abs\"(%10) {inplace = 0} : (f64[n]) -> f64[n]\n"
    "  \"obs.print\"(%11) : (f64[n]) -> ()\n"
    "}) : (i64, i64) -> ()\n"
    "%12 = \"t.gt\"(%6, %4) : (f64[n], f64[n]) -> bool[n]\n"
    "%13 = \"t.sqrt\"(%6) {inplace = 0} : (f64[n]) -> f64[n]\n"
    "\"obs.print\"(%12, %13) : (bool[n], f64[n]) -> ()\n";

/* log(a) and a + x take the buffer of their operand 0 (its last use); exp(x) cannot (x is used
 * later); neg(state.read) cannot; neg(c) in the loop cannot (c comes from outside the loop, which
 * runs it again); abs in the loop can; gt changes the dtype; sqrt(d) takes d at its last use. */
Test(passes, memplan_marks_operands_at_their_last_use_only)
{
    expect_after(pass_memplan, mp_in, mp_out);
}

/* ---- the whole pipeline ---- */

static const char *const logreg_dml = "config lr = 0.5\n"
                                      "input X: f64[n, d] = load(\"X.csv\")\n"
                                      "input y: f64[n] = load(\"y.csv\")\n"
                                      "param w: f64[d] = zeros\n"
                                      "param b: f64 = 0.0\n"
                                      "for t in 0..10 {\n"
                                      "  let z = X @ w + b\n"
                                      "  let p = sigmoid(z)\n"
                                      "  let e = p - y\n"
                                      "  w -= lr * (X.T @ e / n)\n"
                                      "  b -= lr * mean(e)\n"
                                      "  log(loss = mean(relu(z) - y * z + log1p(exp(-abs(z)))))\n"
                                      "}\n";

typedef struct {
    const char *names[8];
    int count;
} Observed;

static void observe(const PassInfo *pass, const IrModule *m, void *user)
{
    Observed *o = user;
    if (o->count < 8)
        o->names[o->count] = pass->name;
    o->count++;
}

Test(passes, pipeline_runs_every_pass_in_order_and_fuses_logistic_regression)
{
    SrcFile f;
    src_from_text(&f, "p.dml", logreg_dml, strlen(logreg_dml));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    Program *prog = fe_check(&f, &a, &d);
    IrModule *m = prog ? lower_program(prog, &a, &d) : NULL;
    cr_assert_not_null(m, "%s", rendered(&d));
    Observed seen = {0};
    cr_assert(passes_run(m, NULL, observe, &seen, &d), "%s", rendered(&d));
    static const char *const order[] = {"shapes", "canonicalize", "autodiff", "cleanup",
                                        "fuse",   "memplan",      "depend"};
    cr_assert_eq(seen.count, 7);
    for (int i = 0; i < 7; i++)
        cr_assert_str_eq(seen.names[i], order[i]);
    char *text = printed(m);
    /* [n]: z, p, e, the loss terms and both means in one kernel; [d]: lr * (g / n) in another */
    cr_assert_eq(count_of(text, "\"k.fused\""), 2, "%s", text);
    cr_assert_eq(count_of(text, "\"t.transpose\""), 0, "%s", text);
    cr_assert_eq(count_of(text, "{transpose_a = true}"), 1, "%s", text);
    cr_assert_eq(count_of(text, "\"state.read\"() {sym = @w}"), 1, "%s", text);
    cr_assert_eq(count_of(text, "\"t.mean\""), 2, "%s", text);
    free(text);
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
}

Test(passes, pipeline_stops_after_the_named_pass)
{
    char *text = compile_dml(logreg_dml, "canonicalize");
    cr_assert_eq(count_of(text, "\"k.fused\""), 0, "%s", text);
    cr_assert_eq(count_of(text, "\"t.transpose\""), 1, "%s", text);
    free(text);
    cr_assert_not_null(passes_find("memplan"));
    cr_assert_null(passes_find("inline"));
}

/* ---- the verifier's rules for kernels and the new attributes ---- */

static const char *const kernel_ok =
    "%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n, d]\n"
    "%r = \"io.load\"() {path = \"r.npy\"} : () -> f64[d]\n"
    "%y, %s = \"k.fused\"(%x, %r) ({\n"
    "^bb0(%a: f64[n, d], %b: f64[d]):\n"
    "  %c = \"ir.const\"() {value = 2.0} : () -> f64\n"
    "  %e = \"t.add\"(%a, %b) : (f64[n, d], f64[d]) -> f64[n, d]\n"
    "  %f = \"t.mul\"(%e, %c) : (f64[n, d], f64) -> f64[n, d]\n"
    "  %g = \"t.sum\"(%f) {axis = 1} : (f64[n, d]) -> f64[n]\n"
    "  \"ir.yield\"(%f, %g) : (f64[n, d], f64[n]) -> ()\n"
    "}) {inplace = 0} : (f64[n, d], f64[d]) -> (f64[n, d], f64[n])\n"
    "\"obs.print\"(%y, %s) : (f64[n, d], f64[n]) -> ()\n";

/* kernel_ok with one substring replaced. */
static char *kernel_with(const char *from, const char *to)
{
    const char *at = strstr(kernel_ok, from);
    cr_assert_not_null(at, "no \"%s\" in the kernel text", from);
    size_t n = strlen(kernel_ok) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - kernel_ok), kernel_ok, to, at + strlen(from));
    return s;
}

static void expect_kernel_rejected(const char *from, const char *to, const char *what)
{
    char *text = kernel_with(from, to);
    expect_rejected(text, what);
    free(text);
}

Test(passes, verifier_accepts_a_well_formed_kernel)
{
    expect_accepted(kernel_ok);
}

Test(passes, verifier_checks_kernel_arguments_yield_and_isolation)
{
    char *text = kernel_with("(f64[n, d], f64[d]) -> (f64[n, d], f64[n])",
                             "(f64[n, d], f32[d]) -> (f64[n, d], f64[n])");
    char *cast = strstr(text, "-> f64[d]\n");
    cr_assert_not_null(cast);
    memcpy(cast, "-> f32[d]\n", strlen("-> f32[d]\n"));
    expect_rejected(text, "region argument 1 (f64[d]) must have operand 1's type f32[d]");
    free(text);
    expect_kernel_rejected("\"ir.yield\"(%f, %g) : (f64[n, d], f64[n])",
                           "\"ir.yield\"(%f) : (f64[n, d])",
                           "yields 1 values for a kernel with 2 results");
    expect_kernel_rejected("\"ir.yield\"(%f, %g) : (f64[n, d], f64[n])",
                           "\"ir.yield\"(%e, %e) : (f64[n, d], f64[n, d])",
                           "value 1 (f64[n, d]) differs from the kernel's result type f64[n]");
    expect_kernel_rejected("\"t.add\"(%a, %b)", "\"t.add\"(%x, %b)",
                           "t.add in its body uses a value from outside the kernel");
    expect_kernel_rejected("  %c = \"ir.const\"() {value = 2.0} : () -> f64\n",
                           "  %c = \"ir.const\"() {value = 2.0} : () -> f64\n"
                           "  \"obs.print\"(%c) : (f64) -> ()\n",
                           "only pure ops without regions, saw obs.print");
    expect_kernel_rejected("  \"ir.yield\"(%f, %g) : (f64[n, d], f64[n]) -> ()\n", "",
                           "region 0 must end with ir.yield");
    expect_rejected("\"k.fused\"() ({\n  \"ir.yield\"() : () -> ()\n}) : () -> ()\n",
                    "a kernel has at least one result");
}

Test(passes, verifier_checks_inplace_operands)
{
    expect_kernel_rejected("{inplace = 0}", "{inplace = 2}",
                           "inplace 2 is not an operand index (the op has 2 operands)");
    expect_kernel_rejected("{inplace = 0}", "{inplace = 1}",
                           "inplace operand 1 (f64[d]) must be a dense tensor of result 0's type");
    expect_rejected("%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                    "%s = \"t.sum\"(%x) : (f64[n]) -> f64\n"
                    "%y = \"t.mul\"(%s, %x) {inplace = 0} : (f64, f64[n]) -> f64[n]\n",
                    "inplace operand 0 (f64) must be a dense tensor");
    expect_rejected("%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                    "%y = \"t.gt\"(%x, %x) {inplace = 0} : (f64[n], f64[n]) -> bool[n]\n",
                    "inplace operand 0 (f64[n]) must be a dense tensor of result 0's type bool[n]");
    expect_accepted("%x = \"io.load\"() {path = \"x.npy\"} : () -> f64[n]\n"
                    "%y = \"t.exp\"(%x) {inplace = 0} : (f64[n]) -> f64[n]\n"
                    "\"obs.print\"(%y) : (f64[n]) -> ()\n");
}

static const char *const blas_inputs =
    "%X = \"io.load\"() {path = \"X.npy\"} : () -> f64[n, d]\n"
    "%e = \"io.load\"() {path = \"e.npy\"} : () -> f64[n]\n"
    "%v = \"io.load\"() {path = \"v.npy\"} : () -> f64[d]\n"
    "%S = \"io.load\"() {path = \"S.mtx\"} : () -> csr f64[n, d]\n";

static void expect_blas(const char *op, const char *what)
{
    size_t n = strlen(blas_inputs) + strlen(op) + 1;
    char *text = malloc(n);
    snprintf(text, n, "%s%s", blas_inputs, op);
    if (what)
        expect_rejected(text, what);
    else
        expect_accepted(text);
    free(text);
}

Test(passes, verifier_applies_the_transposed_shape_rules)
{
    expect_blas("%g = \"t.matvec\"(%X, %e) {transpose_a = true} : (f64[n, d], f64[n]) -> f64[d]\n",
                NULL);
    expect_blas("%g = \"t.matvec\"(%X, %e) : (f64[n, d], f64[n]) -> f64[d]\n",
                "inner dimensions differ");
    expect_blas("%g = \"t.matvec\"(%X, %e) {transpose_a = true} : (f64[n, d], f64[n]) -> f64[n]\n",
                "result f64[n] should have shape f64[d]");
    expect_blas("%G = \"t.matmul\"(%X, %X) {transpose_a = true} : (f64[n, d], f64[n, d]) -> "
                "f64[d, d]\n",
                NULL);
    expect_blas("%G = \"t.matmul\"(%X, %X) {transpose_b = true} : (f64[n, d], f64[n, d]) -> "
                "f64[n, n]\n",
                NULL);
    expect_blas("%G = \"t.matmul\"(%X, %X) {transpose_a = true, transpose_b = true} : "
                "(f64[n, d], f64[n, d]) -> f64[d, n]\n",
                "inner dimensions differ");
    expect_blas("%u = \"t.vecmat\"(%e, %X) {transpose_b = false} : (f64[n], f64[n, d]) -> f64[d]\n",
                NULL);
    expect_blas("%u = \"t.vecmat\"(%v, %X) {transpose_b = true} : (f64[d], f64[n, d]) -> f64[n]\n",
                NULL);
    expect_blas("%g = \"t.matvec\"(%X, %v) {transpose_b = true} : (f64[n, d], f64[d]) -> f64[n]\n",
                "transpose_b marks a vector operand");
    expect_blas("%u = \"t.vecmat\"(%e, %X) {transpose_a = true} : (f64[n], f64[n, d]) -> f64[d]\n",
                "transpose_a marks a vector operand");
    expect_blas("%g = \"t.matvec\"(%S, %e) {transpose_a = true} : (csr f64[n, d], f64[n]) -> "
                "f64[d]\n",
                "a csr operand cannot be marked transposed");
}
