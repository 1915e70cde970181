/* test_interp.c: the plan interpreter (executor/interp*.c): control flow, state, the semantics of
 * each parallel-loop consistency, schedule(...), --set, and run-time errors with positions. The
 * expected numbers are exact and derived by hand in the comments. */
#include "executor/runtime.h"
#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "passes/passes.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LOGS = 256 };

typedef struct {
    int n;
    int64_t step[MAX_LOGS];
    char key[MAX_LOGS][32];
    double value[MAX_LOGS];
    char printed[4096];
} Captured;

static void on_log(void *user, int64_t step, int64_t steps, int n, const char *const *keys,
                   const double *values)
{
    Captured *c = user;
    for (int i = 0; i < n && c->n < MAX_LOGS; i++, c->n++) {
        c->step[c->n] = step;
        snprintf(c->key[c->n], sizeof c->key[c->n], "%s", keys[i]);
        c->value[c->n] = values[i];
    }
}

static void on_print(void *user, const char *line)
{
    Captured *c = user;
    size_t len = strlen(c->printed);
    snprintf(c->printed + len, sizeof c->printed - len, "%s\n", line);
}

/* Compiles DML text through the whole pipeline and runs it; returns the run's verdict, with the
 * error message in err. */
static bool run_text(const char *dml, const RtSetting *settings, int nsettings, Captured *c,
                     RtError *err, bool no_jit)
{
    memset(c, 0, sizeof *c);
    memset(err, 0, sizeof *err);
    SrcFile f;
    src_from_text(&f, "p.dml", dml, strlen(dml));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    Program *prog = fe_check(&f, &a, &d);
    IrModule *m = prog ? lower_program(prog, &a, &d) : NULL;
    bool ok = false;
    if (m && passes_run(m, NULL, NULL, NULL, &d)) {
        RtOptions opt = {.settings = settings,
                         .nsettings = nsettings,
                         .no_jit = no_jit,
                         .observer = {.user = c, .on_log = on_log, .on_print = on_print}};
        ok = rt_run(m, &opt, NULL, err);
    } else {
        Buf out = {0};
        diag_render(&d, &out);
        snprintf(err->message, sizeof err->message, "compile error: %s", buf_cstr(&out));
        buf_free(&out);
    }
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
    return ok;
}

/* Runs and expects success, with and without the JIT; returns the captured logs (JIT run). */
static void run_ok(const char *dml, Captured *c)
{
    RtError err;
    Captured plain;
    bool ok = run_text(dml, NULL, 0, &plain, &err, true);
    cr_assert(ok, "no-jit run failed: %s", err.message);
    ok = run_text(dml, NULL, 0, c, &err, false);
    cr_assert(ok, "run failed: %s", err.message);
    cr_assert_eq(c->n, plain.n);
    for (int i = 0; i < c->n; i++)
        cr_assert(c->value[i] == plain.value[i] || (isnan(c->value[i]) && isnan(plain.value[i])),
                  "log %d (%s): jit %.17g, interpreted %.17g", i, c->key[i], c->value[i],
                  plain.value[i]);
}

static void expect_error(const char *dml, const char *needle)
{
    Captured c;
    RtError err;
    bool ok = run_text(dml, NULL, 0, &c, &err, false);
    cr_assert(!ok, "expected the run to fail with '%s'", needle);
    cr_assert(strstr(err.message, needle), "error '%s' does not contain '%s'", err.message,
              needle);
}

Test(interp, sequential_loops_and_state)
{
    Captured c;
    /* x doubles three times: 2, 4, 8; the while loop stops at the first power of 3 above 50. */
    run_ok("var x = 1.0\n"
           "for t in 0..3 {\n"
           "  x = x * 2.0\n"
           "  log(x = x)\n"
           "}\n"
           "var y = 1\n"
           "while y < 50 { y = y * 3 }\n"
           "log(y = y)\n",
           &c);
    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.value[0], 2.0);
    cr_assert_eq(c.value[1], 4.0);
    cr_assert_eq(c.value[2], 8.0);
    cr_assert_eq(c.step[2], 2);
    cr_assert_eq(c.value[3], 81.0);
}

Test(interp, break_continue_if)
{
    Captured c;
    /* sums the odd i below 7: 1 + 3 + 5 = 9 */
    run_ok("var s = 0\n"
           "for i in 0..100 {\n"
           "  if i >= 7 { break }\n"
           "  if i % 2 == 0 { continue } else { s += i }\n"
           "}\n"
           "log(s = s)\n",
           &c);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.value[0], 9.0);
}

Test(interp, bsp_reads_the_snapshot_plus_own_writes)
{
    Captured c;
    /* bsp: iteration i sets a[i] = 2 and reads sum(a) = 1 + 1 + 1 + 1 (snapshot) + 1 (its own
     * write) = 5, so b = [5, 5, 5, 5] and sum(b) = 20; sum(a) after the loop = 8. */
    run_ok("var a: f64[4] = ones\n"
           "var b: f64[4] = zeros\n"
           "parallel for i in 0..4 {\n"
           "  a[i] = a[i] + 1.0\n"
           "  b[i] = sum(a)\n"
           "}\n"
           "log(b = sum(b), a = sum(a))\n",
           &c);
    cr_assert_eq(c.value[0], 20.0);
    cr_assert_eq(c.value[1], 8.0);
}

Test(interp, serial_sees_earlier_iterations)
{
    Captured c;
    /* serial: b[i] = sum(a) after i + 1 increments = 4 + i + 1: 5 + 6 + 7 + 8 = 26 */
    run_ok("var a: f64[4] = ones\n"
           "var b: f64[4] = zeros\n"
           "parallel for i in 0..4 consistency serial {\n"
           "  a[i] = a[i] + 1.0\n"
           "  b[i] = sum(a)\n"
           "}\n"
           "log(b = sum(b))\n",
           &c);
    cr_assert_eq(c.value[0], 26.0);
}

Test(interp, bsp_accumulations_are_summed_after_the_loop)
{
    Captured c;
    /* s += 1 in each of 10 iterations; each iteration reads s = 0 (snapshot) + 1 (its own), so
     * t = ones and sum(t) = 10; s = 10 after the loop; g accumulates i into g[i % 3]:
     * g = [0+3+6+9, 1+4+7, 2+5+8] = [18, 12, 15] */
    run_ok("var s: f64 = 0.0\n"
           "var t: f64[10] = zeros\n"
           "var g: f64[3] = zeros\n"
           "parallel for i in 0..10 {\n"
           "  s += 1.0\n"
           "  t[i] = s\n"
           "  g[i % 3] += f64(i)\n"
           "}\n"
           "log(s = s, t = sum(t), g0 = g[0], g1 = g[1], g2 = g[2])\n",
           &c);
    cr_assert_eq(c.value[0], 10.0);
    cr_assert_eq(c.value[1], 10.0);
    cr_assert_eq(c.value[2], 18.0);
    cr_assert_eq(c.value[3], 12.0);
    cr_assert_eq(c.value[4], 15.0);
}

Test(interp, bsp_write_collision_is_an_error)
{
    expect_error("var a: f64[4] = zeros\n"
                 "parallel for i in 0..4 {\n"
                 "  a[i % 2] = 1.0\n"
                 "}\n",
                 "p.dml:3:3: error: two iterations of a bsp parallel loop write a[0]: "
                 "iteration 0 and iteration 2");
}

Test(interp, out_of_range_index_names_the_position)
{
    expect_error("var a: f64[4] = zeros\n"
                 "for i in 0..5 {\n"
                 "  a[i] = 1.0\n"
                 "}\n",
                 "p.dml:3:");
}

Test(interp, assert_names_the_position)
{
    expect_error("let x = 3\n"
                 "assert(x < 2, \"x is too large\")\n",
                 "p.dml:2:1: error: assertion failed: x is too large");
}

Test(interp, schedule_keeps_one_candidate_when_all_conflict)
{
    Captured c;
    /* every pair conflicts, so each round keeps exactly one of its 4 candidates: 5 rounds, 5;
     * without conflicts each round keeps all 4: 20 */
    run_ok("var c1: f64 = 0.0\n"
           "var c2: f64 = 0.0\n"
           "for t in 0..5 {\n"
           "  parallel for j in schedule(0..10, size=4, conflict=|j, k| true, seed=3) {\n"
           "    c1 += 1.0\n"
           "  }\n"
           "  parallel for j in schedule(0..10, size=4, seed=3) {\n"
           "    c2 += 1.0\n"
           "  }\n"
           "}\n"
           "log(c1 = c1, c2 = c2)\n",
           &c);
    cr_assert_eq(c.value[0], 5.0);
    cr_assert_eq(c.value[1], 20.0);
}

Test(interp, schedule_draws_only_positive_priorities)
{
    Captured c;
    /* only j = 7 has a positive priority: every round runs j = 7 alone */
    run_ok("var hits: f64[10] = zeros\n"
           "for t in 0..3 {\n"
           "  parallel for j in schedule(0..10, size=4, priority=|j| f64(j == 7), seed=1) {\n"
           "    hits[j] += 1.0\n"
           "  }\n"
           "}\n"
           "log(h7 = hits[7], total = sum(hits))\n",
           &c);
    cr_assert_eq(c.value[0], 3.0);
    cr_assert_eq(c.value[1], 3.0);
}

Test(interp, schedule_rejects_negative_priorities)
{
    expect_error("var w: f64[3] = zeros\n"
                 "parallel for j in schedule(0..3, priority=|j| -1.0) {\n"
                 "  w[j] = 1.0\n"
                 "}\n",
                 "p.dml:2:1: error: the priority of 0 is -1: priorities must be finite");
}

Test(interp, set_overrides_configs)
{
    Captured c;
    RtError err;
    RtSetting set[] = {{"k", "7"}, {"scale", "0.5"}};
    bool ok = run_text("config k = 3\nconfig scale = 2.0\nlog(v = k * scale)\n", set, 2, &c, &err,
                       false);
    cr_assert(ok, "%s", err.message);
    cr_assert_eq(c.value[0], 3.5);
}

Test(interp, set_names_unknown_configs_and_bad_values)
{
    Captured c;
    RtError err;
    RtSetting bad_name[] = {{"scael", "1"}};
    cr_assert(!run_text("config scale = 2.0\nlog(v = scale)\n", bad_name, 1, &c, &err, false));
    cr_assert_str_eq(err.message, "error: --set scael=1: the program has no config named "
                                  "'scael'; did you mean 'scale'?");
    RtSetting bad_value[] = {{"k", "2.5"}};
    cr_assert(!run_text("config k = 3\nlog(v = k)\n", bad_value, 1, &c, &err, false));
    cr_assert(strstr(err.message, "--set k=2.5: expected an integer"), "%s", err.message);
}

Test(interp, print_formats_scalars_and_tensors)
{
    Captured c;
    run_ok("let v = arange(10)\nprint(\"n\", 3, 2.5, v)\n", &c);
    cr_assert_str_eq(c.printed, "n 3 2.5 i64[10] [0, 1, 2, ..., 7, 8, 9]\n");
}
