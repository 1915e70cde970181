/* test_ir.c: the IR's builder, printer, reader and verifier: round trips, exact floats, errors. */
#define _POSIX_C_SOURCE 200809L /* strdup, strndup */
#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "ir/ir.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* One reading of IR text: the source, its diagnostics and the arena holding the module. */
typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    IrModule *module;
} Reading;

static void read_text(Reading *r, const char *text)
{
    src_from_text(&r->file, "t.ir", text, strlen(text));
    arena_init(&r->arena);
    diag_init(&r->diags, &r->file);
    r->module = ir_read(&r->file, &r->arena, &r->diags);
}

static void reading_free(Reading *r)
{
    diag_free(&r->diags);
    arena_free(&r->arena);
    src_free(&r->file);
}

static char *rendered_diags(const DiagList *d)
{
    Buf b = {0};
    diag_render(d, &b);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

static char *print_text(const IrModule *m, bool locations)
{
    Buf b = {0};
    IrPrintOptions o = {.locations = locations};
    ir_print(m, &b, &o);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* Reads canonical text, verifies it, and checks that printing gives the same text back. */
static void expect_canonical(const char *text)
{
    Reading r;
    read_text(&r, text);
    char *diags = rendered_diags(&r.diags);
    cr_assert_not_null(r.module, "read failed:\n%s", diags);
    cr_assert(ir_verify(r.module, &r.diags), "verify failed:\n%s", rendered_diags(&r.diags));
    char *printed = print_text(r.module, true);
    cr_assert_str_eq(printed, text);
    free(printed);
    free(diags);
    reading_free(&r);
}

/* print(read(print(m))) == print(m), with and without locations. */
static void expect_round_trip(const IrModule *m)
{
    for (int locations = 0; locations < 2; locations++) {
        char *first = print_text(m, locations);
        Reading r;
        read_text(&r, first);
        cr_assert_not_null(r.module, "re-reading failed:\n%s\n%s", rendered_diags(&r.diags), first);
        char *second = print_text(r.module, locations);
        cr_assert_str_eq(second, first);
        free(first);
        free(second);
        reading_free(&r);
    }
}

/* The reader rejects text with an error at line:col whose message contains `what`. */
static void expect_read_error(const char *text, int line, int col, const char *what)
{
    Reading r;
    read_text(&r, text);
    char *diags = rendered_diags(&r.diags);
    cr_assert_null(r.module, "read should fail for:\n%s", text);
    char where[64];
    snprintf(where, sizeof where, "t.ir:%d:%d: error: ", line, col);
    cr_assert(strstr(diags, where) != NULL, "expected an error at %s, got:\n%s", where, diags);
    cr_assert(strstr(diags, what) != NULL, "expected \"%s\" in:\n%s", what, diags);
    free(diags);
    reading_free(&r);
}

/* The text reads but the verifier rejects it with a message containing `what` (at `line` when
 * line > 0). */
static void expect_verify_error(const char *text, int line, const char *what)
{
    Reading r;
    read_text(&r, text);
    cr_assert_not_null(r.module, "read failed:\n%s", rendered_diags(&r.diags));
    cr_assert_not(ir_verify(r.module, &r.diags), "verify should fail for:\n%s", text);
    char *diags = rendered_diags(&r.diags);
    cr_assert(strstr(diags, what) != NULL, "expected \"%s\" in:\n%s", what, diags);
    if (line > 0) {
        char where[32];
        snprintf(where, sizeof where, "t.ir:%d:", line);
        cr_assert(strstr(diags, where) != NULL, "expected the error on line %d:\n%s", line, diags);
    }
    free(diags);
    reading_free(&r);
}

static void expect_verifies(const char *text)
{
    Reading r;
    read_text(&r, text);
    cr_assert_not_null(r.module, "read failed:\n%s", rendered_diags(&r.diags));
    cr_assert(ir_verify(r.module, &r.diags), "verify failed:\n%s", rendered_diags(&r.diags));
    reading_free(&r);
}

static Type vec(DType d, const char *n)
{
    Type t = {.dtype = d, .rank = 1};
    t.dims[0] = (Dim){.kind = DIM_SYM, .sym = n};
    return t;
}

static Type mat(DType d, const char *r, const char *c)
{
    Type t = {.dtype = d, .rank = 2};
    t.dims[0] = (Dim){.kind = DIM_SYM, .sym = r};
    t.dims[1] = (Dim){.kind = DIM_SYM, .sym = c};
    return t;
}

static IrValue *build_const_i64(IrBuilder *b, int64_t v)
{
    IrValue *c = ir_build_value(b, IR_OP_CONST, NULL, 0, type_scalar(DT_I64));
    ir_set_int(b->module, c->def, "value", v);
    return c;
}

static IrValue *build_const_f64(IrBuilder *b, double v)
{
    IrValue *c = ir_build_value(b, IR_OP_CONST, NULL, 0, type_scalar(DT_F64));
    ir_set_float(b->module, c->def, "value", v);
    return c;
}

/* A logistic-regression-like module that exercises loops, ifs, grad and schedule regions. */
static IrModule *build_sample(Arena *a)
{
    IrModule *m = ir_module_new(a);
    IrBuilder b;
    ir_builder_init(&b, m, m->body);
    b.loc = (IrLoc){"lr.dml", 1, 1};

    IrOp *cfg = ir_build_op(&b, IR_OP_CFG_DECL, NULL, 0, NULL, 0);
    ir_set_symbol(m, cfg, "sym", "lr");
    ir_set_float(m, cfg, "value", 0.1);

    b.loc.line = 2;
    IrValue *x = ir_build_value(&b, IR_OP_IO_LOAD, NULL, 0, mat(DT_F64, "n", "d"));
    ir_set_string(m, x->def, "path", "X.npy");
    IrValue *xin = ir_build_value(&b, IR_OP_STATE_INPUT, &x, 1, x->type);
    ir_set_symbol(m, xin->def, "sym", "X");
    ir_set_string(m, xin->def, "partition", "rows");

    b.loc.line = 3;
    IrValue *d = ir_build_value(&b, IR_OP_SIZE_GET, NULL, 0, type_scalar(DT_I64));
    ir_set_symbol(m, d->def, "sym", "d");
    IrValue *z = ir_build_value(&b, IR_OP_ZEROS, &d, 1, vec(DT_F64, "d"));
    IrOp *param = ir_build_op(&b, IR_OP_STATE_PARAM, &z, 1, NULL, 0);
    ir_set_symbol(m, param, "sym", "w");
    ir_set_type(m, param, "type", vec(DT_F64, "d"));

    b.loc.line = 4;
    IrValue *bounds[2] = {build_const_i64(&b, 0), build_const_i64(&b, 100)};
    IrOp *loop = ir_build_op(&b, IR_OP_LOOP_FOR, bounds, 2, NULL, 0);
    IrRegion *body = ir_op_region(loop, 0);
    ir_region_add_arg(m, body, type_scalar(DT_I64));

    IrBuilder in;
    ir_builder_init(&in, m, body);
    in.loc = (IrLoc){"lr.dml", 5, 3};
    IrValue *w = ir_build_value(&in, IR_OP_STATE_READ, NULL, 0, vec(DT_F64, "d"));
    ir_set_symbol(m, w->def, "sym", "w");
    IrOp *grad = ir_build_op(&in, IR_OP_AD_GRAD, &w, 1, &w->type, 1);
    const char *wrt[] = {"w"};
    ir_set_symbols(m, grad, "wrt", wrt, 1);
    IrRegion *gr = ir_op_region(grad, 0);
    IrValue *warg = ir_region_add_arg(m, gr, w->type);
    IrBuilder g;
    ir_builder_init(&g, m, gr);
    IrValue *mv_operands[2] = {x, warg};
    IrValue *mv = ir_build_value(&g, IR_OP_MATVEC, mv_operands, 2, vec(DT_F64, "n"));
    IrValue *sg = ir_build_value(&g, IR_OP_SIGMOID, &mv, 1, mv->type);
    IrValue *s = ir_build_value(&g, IR_OP_SUM, &sg, 1, type_scalar(DT_F64));
    ir_build_op(&g, IR_OP_YIELD, &s, 1, NULL, 0);

    IrValue *lr = ir_build_value(&in, IR_OP_CFG_GET, NULL, 0, type_scalar(DT_F64));
    ir_set_symbol(m, lr->def, "sym", "lr");
    IrValue *mul_operands[2] = {lr, grad->results[0]};
    IrValue *step = ir_build_value(&in, IR_OP_MUL, mul_operands, 2, w->type);
    IrOp *acc = ir_build_op(&in, IR_OP_STATE_ACCUMULATE, &step, 1, NULL, 0);
    ir_set_symbol(m, acc, "sym", "w");
    ir_set_string(m, acc, "op", "sub");

    IrValue *norm = ir_build_value(&in, IR_OP_NORM, &step, 1, type_scalar(DT_F64));
    IrValue *cmp_operands[2] = {norm, build_const_f64(&in, 1e-6)};
    IrValue *small = ir_build_value(&in, IR_OP_LT, cmp_operands, 2, type_scalar(DT_BOOL));
    IrOp *branch = ir_build_op(&in, IR_OP_CTL_IF, &small, 1, NULL, 0);
    IrBuilder then;
    ir_builder_init(&then, m, ir_op_region(branch, 0));
    ir_build_op(&then, IR_OP_CTL_BREAK, NULL, 0, NULL, 0);
    IrOp *log = ir_build_op(&in, IR_OP_OBS_LOG, &norm, 1, NULL, 0);
    const char *keys[] = {"step norm"};
    ir_set_strings(m, log, "keys", keys, 1);

    /* a scheduled parallel loop with priority and conflict regions */
    IrValue *sched_operands[3] = {build_const_i64(&b, 0), d, build_const_i64(&b, 8)};
    IrOp *sched = ir_build_op(&b, IR_OP_PLOOP_SCHEDULE, sched_operands, 3, NULL, 0);
    ir_set_string(m, sched, "consistency", "bsp");
    const char *names[] = {"lo", "hi", "size"};
    ir_set_strings(m, sched, "operand_names", names, 3);
    IrRegion *prio = ir_op_region(sched, 0);
    IrValue *j = ir_region_add_arg(m, prio, type_scalar(DT_I64));
    IrBuilder pb;
    ir_builder_init(&pb, m, prio);
    IrValue *wj_operands[2] = {ir_build_value(&pb, IR_OP_STATE_READ, NULL, 0, vec(DT_F64, "d")), j};
    ir_set_symbol(m, wj_operands[0]->def, "sym", "w");
    IrValue *wj = ir_build_value(&pb, IR_OP_INDEX, wj_operands, 2, type_scalar(DT_F64));
    IrValue *aj = ir_build_value(&pb, IR_OP_ABS, &wj, 1, wj->type);
    ir_build_op(&pb, IR_OP_YIELD, &aj, 1, NULL, 0);
    /* conflict omitted: an empty region */
    ir_region_add_arg(m, ir_op_region(sched, 2), type_scalar(DT_I64));
    return m;
}

/* ---- printing and round trips ---- */

Test(ir, built_graph_verifies_and_round_trips)
{
    Arena a;
    arena_init(&a);
    IrModule *m = build_sample(&a);
    SrcFile f;
    src_from_text(&f, "none", "", 0);
    DiagList d;
    diag_init(&d, &f);
    cr_assert(ir_verify(m, &d), "%s", rendered_diags(&d));
    expect_round_trip(m);
    diag_free(&d);
    src_free(&f);
    arena_free(&a);
}

Test(ir, printer_uses_generic_syntax_with_sorted_attributes_and_renumbered_values)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    IrBuilder b;
    ir_builder_init(&b, m, m->body);
    IrValue *n = ir_build_value(&b, IR_OP_SIZE_GET, NULL, 0, type_scalar(DT_I64));
    ir_set_symbol(m, n->def, "sym", "n");
    IrValue *z = ir_build_value(&b, IR_OP_ZEROS, &n, 1, vec(DT_F32, "n"));
    IrOp *p = ir_build_op(&b, IR_OP_STATE_VAR, &z, 1, NULL, 0);
    ir_set_type(m, p, "type", vec(DT_F32, "n"));
    ir_set_symbol(m, p, "sym", "acc.1");
    ir_set_string(m, p, "partition", "replicated");
    IrValue *add_operands[2] = {z, z};
    ir_build_value(&b, IR_OP_ADD, add_operands, 2, z->type);
    char *text = print_text(m, false);
    cr_assert_str_eq(text,
                     "%0 = \"size.get\"() {sym = @n} : () -> i64\n"
                     "%1 = \"t.zeros\"(%0) : (i64) -> f32[n]\n"
                     "\"state.var\"(%1) {partition = \"replicated\", sym = @acc.1, type = f32[n]}"
                     " : (f32[n]) -> ()\n"
                     "%2 = \"t.add\"(%1, %1) : (f32[n], f32[n]) -> f32[n]\n");
    free(text);
    arena_free(&a);
}

Test(ir, regions_print_with_block_arguments_and_two_space_indentation)
{
    expect_canonical("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                     "%1 = \"ir.const\"() {value = 3} : () -> i64\n"
                     "\"loop.for\"(%0, %1) ({\n"
                     "^bb0(%2: i64):\n"
                     "  %3 = \"t.lt\"(%2, %1) : (i64, i64) -> bool\n"
                     "  \"ctl.if\"(%3) ({\n"
                     "    \"ctl.continue\"() : () -> ()\n"
                     "  }, {\n"
                     "    \"ctl.break\"() : () -> ()\n"
                     "  }) : (bool) -> ()\n"
                     "}) : (i64, i64) -> ()\n");
}

Test(ir, reader_renumbers_named_values_in_print_order)
{
    Reading r;
    read_text(&r, "%b = \"ir.const\"() {value = true} : () -> bool\n"
                  "%a = \"t.not\"(%b) : (bool) -> bool\n");
    cr_assert_not_null(r.module);
    char *text = print_text(r.module, false);
    cr_assert_str_eq(text, "%0 = \"ir.const\"() {value = true} : () -> bool\n"
                           "%1 = \"t.not\"(%0) : (bool) -> bool\n");
    free(text);
    reading_free(&r);
}

Test(ir, locations_print_only_when_asked_and_read_back)
{
    const char *with = "%0 = \"ir.const\"() {value = 1.5} : () -> f64 loc(\"a b.dml\":3:7)\n";
    expect_canonical(with);
    Reading r;
    read_text(&r, with);
    char *without = print_text(r.module, false);
    cr_assert_str_eq(without, "%0 = \"ir.const\"() {value = 1.5} : () -> f64\n");
    cr_assert_eq(r.module->body->first->loc.line, 3);
    cr_assert_eq(r.module->body->first->loc.col, 7);
    free(without);
    reading_free(&r);
}

Test(ir, every_attribute_kind_round_trips)
{
    expect_canonical(
        "\"cfg.decl\"() {sym = @name, value = \"a \\\"quoted\\\" \\\\ path\\n\\twith\\01\\FF\"} : "
        "() -> ()\n"
        "\"cfg.decl\"() {sym = @flag, value = false} : () -> ()\n"
        "\"cfg.decl\"() {sym = @k, value = -9223372036854775808} : () -> ()\n"
        "%0 = \"ir.const\"() {value = 0} : () -> i64\n"
        "%1 = \"ir.const\"() {value = 5} : () -> i64\n"
        "%2 = \"t.zeros\"(%1, %1) : (i64, i64) -> f64[5, 5]\n"
        "\"state.var\"(%2) {sym = @M, type = f64[5, 5]} : (f64[5, 5]) -> ()\n"
        "%3 = \"ir.const\"() {value = 1.0} : () -> f64\n"
        "\"state.write_index\"(%3, %0, %0, %1) {index = [\"i\", \"a..b\"], sym = @M} : "
        "(f64, i64, i64, i64) -> ()\n"
        "%4 = \"state.read\"() {sym = @M} : () -> f64[5, 5]\n"
        "%5 = \"ad.grad\"(%4) ({\n"
        "^bb0(%6: f64[5, 5]):\n"
        "  %7 = \"t.sum\"(%6) : (f64[5, 5]) -> f64\n"
        "  \"ir.yield\"(%7) : (f64) -> ()\n"
        "}) {wrt = [@M]} : (f64[5, 5]) -> f64[5, 5]\n"
        "\"obs.log\"() {keys = []} : () -> ()\n");
}

Test(ir, floats_print_shortest_text_that_reads_back_exactly)
{
    const double values[] = {
        0.1,       1e-300, 5e-324,      1.7976931348623157e308,  -0.0,     0.0,       1.0, -2.5,
        1.0 / 3.0, 1e22,   123456789.0, 2.2250738585072014e-308, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        Buf b = {0};
        ir_format_double(values[i], &b);
        const char *text = buf_cstr(&b);
        if (isnan(values[i])) {
            cr_assert_str_eq(text, "nan");
        } else if (isinf(values[i])) {
            cr_assert_str_eq(text, values[i] > 0 ? "inf" : "-inf");
        } else {
            double back = strtod(text, NULL);
            cr_assert(memcmp(&back, &values[i], sizeof back) == 0, "%s does not read back", text);
            cr_assert(strpbrk(text, ".e") != NULL, "%s does not read as a float", text);
        }
        buf_free(&b);
    }
    Buf b = {0};
    ir_format_double(0.1, &b);
    ir_format_double(-0.0, &b);
    ir_format_double(1e-300, &b);
    ir_format_double(1.0, &b);
    cr_assert_str_eq(buf_cstr(&b), "0.1-0.01e-3001.0");
    buf_free(&b);
}

Test(ir, float_attributes_survive_the_text_round_trip_bit_for_bit)
{
    const double values[] = {0.1,       1e-300, 5e-324,   1.7976931348623157e308, -0.0, INFINITY,
                             -INFINITY, NAN,    1.0 / 3.0};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        Arena a;
        arena_init(&a);
        IrModule *m = ir_module_new(&a);
        IrBuilder b;
        ir_builder_init(&b, m, m->body);
        build_const_f64(&b, values[i]);
        char *text = print_text(m, false);
        Reading r;
        read_text(&r, text);
        cr_assert_not_null(r.module, "%s: %s", text, rendered_diags(&r.diags));
        double back = ir_get_attr(r.module->body->first, "value")->float_value;
        if (isnan(values[i]))
            cr_assert(isnan(back));
        else
            cr_assert(memcmp(&back, &values[i], sizeof back) == 0, "%s read back differently",
                      text);
        expect_round_trip(m);
        free(text);
        reading_free(&r);
        arena_free(&a);
    }
}

Test(ir, dot_output_has_nodes_typed_edges_and_region_clusters)
{
    Arena a;
    arena_init(&a);
    IrModule *m = build_sample(&a);
    Buf b = {0};
    ir_print_dot(m, &b);
    const char *dot = buf_cstr(&b);
    cr_assert(strncmp(dot, "digraph ir {", 12) == 0);
    cr_assert(strstr(dot, "subgraph cluster_0") != NULL);
    cr_assert(strstr(dot, "label=\"t.matvec") != NULL);
    cr_assert(strstr(dot, "[label=\"f64[n, d]\"]") != NULL);
    cr_assert(strstr(dot, "loop.for region 0") != NULL);
    buf_free(&b);
    arena_free(&a);
}

/* ---- the reader's errors ---- */

Test(ir, reader_rejects_unknown_op)
{
    expect_read_error("\n  \"t.frobnicate\"() : () -> ()\n", 2, 3, "unknown op \"t.frobnicate\"");
}

Test(ir, reader_rejects_unknown_attribute)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1, colour = 2} : () -> i64\n", 1, 31,
                      "unknown attribute 'colour' for ir.const");
}

Test(ir, reader_rejects_duplicate_attribute)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1, value = 2} : () -> i64\n", 1, 31,
                      "appears twice");
}

Test(ir, reader_rejects_undefined_value)
{
    expect_read_error("%0 = \"t.neg\"(%9) : (i64) -> i64\n", 1, 14, "undefined value %9");
}

Test(ir, reader_rejects_value_used_before_its_definition)
{
    expect_read_error("%1 = \"t.neg\"(%0) : (i64) -> i64\n"
                      "%0 = \"ir.const\"() {value = 1} : () -> i64\n",
                      1, 14, "undefined value %0");
}

Test(ir, reader_rejects_value_used_outside_its_region)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () -> i64\n"
                      "\"loop.for\"(%0, %0) ({\n"
                      "^bb0(%1: i64):\n"
                      "  %2 = \"t.neg\"(%1) : (i64) -> i64\n"
                      "}) : (i64, i64) -> ()\n"
                      "%3 = \"t.neg\"(%2) : (i64) -> i64\n",
                      6, 14, "undefined value %2");
}

Test(ir, reader_rejects_op_result_used_inside_its_own_region)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                      "%1 = \"ad.grad\"(%0) ({\n"
                      "^bb0(%2: f64):\n"
                      "  \"ir.yield\"(%1) : (f64) -> ()\n"
                      "}) : (f64) -> f64\n",
                      4, 14, "undefined value %1");
}

Test(ir, reader_rejects_redefinition)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () -> i64\n"
                      "%0 = \"ir.const\"() {value = 2} : () -> i64\n",
                      2, 1, "redefinition of value %0");
}

Test(ir, reader_rejects_signature_that_contradicts_operand_types)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () -> i64\n"
                      "%1 = \"t.neg\"(%0) : (f32) -> f32\n",
                      2, 14, "has type i64 but the signature says f32");
}

Test(ir, reader_rejects_integer_overflow)
{
    expect_read_error("%0 = \"ir.const\"() {value = 9223372036854775808} : () -> i64\n", 1, 28,
                      "does not fit in 64 bits");
}

Test(ir, reader_rejects_float_overflow)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1.0e999} : () -> f64\n", 1, 28, "out of range");
}

Test(ir, reader_rejects_unterminated_string)
{
    expect_read_error("\"cfg.decl\"() {sym = @a, value = \"abc\n", 1, 33, "unterminated string");
}

Test(ir, reader_reports_expected_and_saw)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () -> i64\n"
                      "\"loop.for\"(%0, %0) ({\n",
                      3, 1, "expected an op or '}', saw end of file");
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () => i64\n", 1, 36,
                      "expected '->', saw '='");
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () -x i64\n", 1, 36,
                      "expected '->' or a number after '-'");
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () -> i65\n", 1, 39,
                      "expected a type (bool, i32, i64, f32, f64, str), saw identifier 'i65'");
    expect_read_error("%0 \"ir.const\"() : () -> i64\n", 1, 4, "expected ',' or '=', saw string");
}

Test(ir, reader_rejects_wrong_region_count)
{
    expect_read_error("%0 = \"ir.const\"() {value = true} : () -> bool\n"
                      "\"ctl.if\"(%0) ({\n"
                      "}) : (bool) -> ()\n",
                      2, 1, "ctl.if takes 2 regions, saw 1");
}

Test(ir, reader_rejects_result_count_that_contradicts_signature)
{
    expect_read_error("%0, %1 = \"ir.const\"() {value = 1} : () -> i64\n", 1, 37,
                      "1 result type for 2 result names");
}

Test(ir, reader_rejects_stray_bytes)
{
    expect_read_error("%0 = \"ir.const\"() {value = 1} : () -> i64 #\n", 1, 43,
                      "unexpected character '#'");
    expect_read_error("\x01", 1, 1, "byte 0x01");
}

Test(ir, reader_bounds_region_nesting)
{
    Buf b = {0};
    buf_puts(&b, "%0 = \"ir.const\"() {value = true} : () -> bool\n");
    enum { DEPTH = IR_MAX_NESTING + 5 };
    for (int i = 0; i < DEPTH; i++)
        buf_puts(&b, "\"ctl.if\"(%0) ({\n");
    for (int i = 0; i < DEPTH; i++)
        buf_puts(&b, "}, {}) : (bool) -> ()\n");
    Reading r;
    read_text(&r, buf_cstr(&b));
    cr_assert_null(r.module);
    char *diags = rendered_diags(&r.diags);
    cr_assert(strstr(diags, "nested more than") != NULL, "%s", diags);
    free(diags);
    reading_free(&r);
    buf_free(&b);
}

Test(ir, reader_survives_every_prefix_and_byte_flip_of_valid_text)
{
    Arena a;
    arena_init(&a);
    char *text = print_text(build_sample(&a), true);
    size_t n = strlen(text);
    for (size_t cut = 0; cut < n; cut++) {
        Reading r;
        char *prefix = strndup(text, cut);
        read_text(&r, prefix);
        cr_assert(r.module != NULL || diag_has_errors(&r.diags));
        if (r.module)
            ir_verify(r.module, &r.diags);
        reading_free(&r);
        free(prefix);
    }
    static const char flips[] = "%@^\"(){}[],=:-?\\0aZ\n\x80";
    for (size_t at = 0; at < n; at += 7) {
        for (const char *f = flips; *f; f++) {
            char *copy = strdup(text);
            copy[at] = *f;
            Reading r;
            read_text(&r, copy);
            if (r.module)
                ir_verify(r.module, &r.diags);
            reading_free(&r);
            free(copy);
        }
    }
    free(text);
    arena_free(&a);
}

/* ---- the verifier ---- */

static const char *const decl_w =
    "%0 = \"size.get\"() {sym = @n} : () -> i64\n"
    "%1 = \"t.zeros\"(%0) : (i64) -> f64[n]\n"
    "\"state.param\"(%1) {sym = @w, type = f64[n]} : (f64[n]) -> ()\n";

static char *with_w(const char *rest)
{
    size_t n = strlen(decl_w) + strlen(rest) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%s%s", decl_w, rest);
    return s;
}

Test(ir, verifier_accepts_well_formed_state_access)
{
    char *t =
        with_w("%2 = \"state.read\"() {sym = @w} : () -> f64[n]\n"
               "%3 = \"t.exp\"(%2) : (f64[n]) -> f64[n]\n"
               "\"state.write\"(%3) {sym = @w} : (f64[n]) -> ()\n"
               "%4 = \"ir.const\"() {value = 2} : () -> i64\n"
               "%5 = \"ir.const\"() {value = 1.0} : () -> f64\n"
               "\"state.write_index\"(%5, %4) {index = [\"i\"], sym = @w} : (f64, i64) -> ()\n"
               "\"state.accumulate\"(%5, %4, %4) {index = [\"a..b\"], op = \"add\", sym = @w}"
               " : (f64, i64, i64) -> ()\n");
    expect_verifies(t);
    free(t);
}

Test(ir, verifier_rejects_wrong_operand_count)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 1} : () -> i64\n"
                        "%1 = \"t.add\"(%0) : (i64) -> i64\n",
                        2, "t.add: expected 2 operands, saw 1");
}

Test(ir, verifier_rejects_wrong_result_count)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 1} : () -> i64\n"
                        "\"t.neg\"(%0) : (i64) -> ()\n",
                        2, "expected 1 result, saw 0");
}

Test(ir, verifier_rejects_mixed_dtypes_in_arithmetic)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 1.0} : () -> f32\n"
                        "%1 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                        "%2 = \"t.add\"(%0, %1) : (f32, f64) -> f64\n",
                        3, "operand 0 (f32) and result (f64) differ in dtype");
}

Test(ir, verifier_rejects_shapes_that_do_not_broadcast)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 3} : () -> i64\n"
                        "%1 = \"ir.const\"() {value = 4} : () -> i64\n"
                        "%2 = \"t.ones\"(%0) : (i64) -> f64[3]\n"
                        "%3 = \"t.ones\"(%1) : (i64) -> f64[4]\n"
                        "%4 = \"t.mul\"(%2, %3) : (f64[3], f64[4]) -> f64[3]\n",
                        5, "operand 1 (f64[4]) does not broadcast to the result f64[3]");
}

Test(ir, verifier_accepts_broadcast_of_columns_and_scalars)
{
    expect_verifies("%0 = \"size.get\"() {sym = @k} : () -> i64\n"
                    "%1 = \"size.get\"() {sym = @d} : () -> i64\n"
                    "%2 = \"ir.const\"() {value = 1} : () -> i64\n"
                    "%3 = \"t.ones\"(%0, %1) : (i64, i64) -> f32[k, d]\n"
                    "%4 = \"t.ones\"(%0, %2) : (i64, i64) -> f32[k, 1]\n"
                    "%5 = \"t.div\"(%3, %4) : (f32[k, d], f32[k, 1]) -> f32[k, d]\n"
                    "%6 = \"ir.const\"() {value = 2.0} : () -> f32\n"
                    "%7 = \"t.mul\"(%6, %5) : (f32, f32[k, d]) -> f32[k, d]\n");
}

Test(ir, verifier_rejects_matmul_with_mismatched_inner_dimensions)
{
    expect_verify_error("%0 = \"size.get\"() {sym = @n} : () -> i64\n"
                        "%1 = \"size.get\"() {sym = @d} : () -> i64\n"
                        "%2 = \"t.ones\"(%0, %1) : (i64, i64) -> f64[n, d]\n"
                        "%3 = \"t.ones\"(%0) : (i64) -> f64[n]\n"
                        "%4 = \"t.matvec\"(%2, %3) : (f64[n, d], f64[n]) -> f64[n]\n",
                        5, "inner dimensions differ");
}

Test(ir, verifier_rejects_reduction_axis_out_of_range)
{
    expect_verify_error("%0 = \"size.get\"() {sym = @n} : () -> i64\n"
                        "%1 = \"t.ones\"(%0) : (i64) -> f64[n]\n"
                        "%2 = \"t.sum\"(%1) {axis = 1} : (f64[n]) -> f64\n",
                        3, "axis 1 is out of range for rank 1");
}

Test(ir, verifier_rejects_reduction_with_wrong_result_shape)
{
    expect_verify_error("%0 = \"size.get\"() {sym = @n} : () -> i64\n"
                        "%1 = \"size.get\"() {sym = @d} : () -> i64\n"
                        "%2 = \"t.ones\"(%0, %1) : (i64, i64) -> f64[n, d]\n"
                        "%3 = \"t.sum\"(%2) {axis = 0} : (f64[n, d]) -> f64[n]\n",
                        4, "result f64[n] should have shape f64[d]");
}

Test(ir, verifier_rejects_non_bool_condition)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 1} : () -> i64\n"
                        "\"ctl.if\"(%0) ({\n"
                        "}, {\n"
                        "}) : (i64) -> ()\n",
                        2, "the condition must be a bool scalar, saw i64");
}

Test(ir, verifier_rejects_break_outside_a_loop)
{
    expect_verify_error("%0 = \"ir.const\"() {value = true} : () -> bool\n"
                        "\"ctl.if\"(%0) ({\n"
                        "  \"ctl.break\"() : () -> ()\n"
                        "}, {\n"
                        "}) : (bool) -> ()\n",
                        3, "ctl.break: must be inside a sequential loop's body");
}

Test(ir, verifier_rejects_continue_inside_a_parallel_loop)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"loop.for\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "  \"ploop.range\"(%0, %0) ({\n"
                        "  ^bb0(%2: i64):\n"
                        "    \"ctl.continue\"() : () -> ()\n"
                        "  }) {consistency = \"bsp\"} : (i64, i64) -> ()\n"
                        "}) : (i64, i64) -> ()\n",
                        6, "it is in a region of ploop.range");
}

Test(ir, verifier_rejects_terminator_before_the_end_of_a_region)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"loop.for\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "  \"ctl.break\"() : () -> ()\n"
                        "  %2 = \"t.neg\"(%1) : (i64) -> i64\n"
                        "}) : (i64, i64) -> ()\n",
                        4, "a terminator must be the last op of its region");
}

Test(ir, verifier_rejects_while_condition_without_yield)
{
    expect_verify_error("\"loop.while\"() ({\n"
                        "  %0 = \"ir.const\"() {value = true} : () -> bool\n"
                        "}, {\n"
                        "}) : () -> ()\n",
                        1, "region 0 must end with ir.yield");
}

Test(ir, verifier_rejects_yield_in_a_loop_body)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"loop.for\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "  \"ir.yield\"(%1) : (i64) -> ()\n"
                        "}) : (i64, i64) -> ()\n",
                        4, "ir.yield: not allowed in a region of loop.for");
}

Test(ir, verifier_rejects_wrong_block_arguments)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"loop.for\"(%0, %0) ({\n"
                        "}) : (i64, i64) -> ()\n",
                        2, "region 0 has 0 block arguments, expected 1");
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"loop.for\"(%0, %0) ({\n"
                        "^bb0(%1: f64):\n"
                        "}) : (i64, i64) -> ()\n",
                        2, "block argument 0 of region 0 is f64, expected i64");
}

Test(ir, verifier_rejects_grad_that_yields_a_tensor)
{
    char *t = with_w("%2 = \"ad.grad\"(%1) ({\n"
                     "^bb0(%3: f64[n]):\n"
                     "  \"ir.yield\"(%3) : (f64[n]) -> ()\n"
                     "}) : (f64[n]) -> f64[n]\n");
    expect_verify_error(t, 6, "yields a float scalar here, saw f64[n]");
    free(t);
}

Test(ir, verifier_rejects_use_before_definition_in_a_built_graph)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    IrBuilder b;
    ir_builder_init(&b, m, m->body);
    IrValue *c = build_const_i64(&b, 1);
    IrOp *neg = ir_op_new(m, IR_OP_NEG, &c, 1, &c->type, 1);
    IrValue *late = build_const_i64(&b, 2);
    neg->operands[0] = late;
    /* neg goes first, before the const it uses */
    neg->next = m->body->first;
    m->body->first->prev = neg;
    m->body->first = neg;
    neg->parent = m->body;
    SrcFile f;
    src_from_text(&f, "none", "", 0);
    DiagList d;
    diag_init(&d, &f);
    cr_assert_not(ir_verify(m, &d));
    char *text = rendered_diags(&d);
    cr_assert(strstr(text, "t.neg: operand 0 is not defined before this op") != NULL, "%s", text);
    free(text);
    diag_free(&d);
    src_free(&f);
    arena_free(&a);
}

Test(ir, verifier_rejects_value_from_a_sibling_region)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    IrBuilder b;
    ir_builder_init(&b, m, m->body);
    IrValue *cond = ir_build_value(&b, IR_OP_CONST, NULL, 0, type_scalar(DT_BOOL));
    ir_set_bool(m, cond->def, "value", true);
    IrOp *branch = ir_build_op(&b, IR_OP_CTL_IF, &cond, 1, NULL, 0);
    IrBuilder then, otherwise;
    ir_builder_init(&then, m, ir_op_region(branch, 0));
    ir_builder_init(&otherwise, m, ir_op_region(branch, 1));
    IrValue *inner = build_const_i64(&then, 1);
    ir_build_value(&otherwise, IR_OP_NEG, &inner, 1, inner->type);
    SrcFile f;
    src_from_text(&f, "none", "", 0);
    DiagList d;
    diag_init(&d, &f);
    cr_assert_not(ir_verify(m, &d));
    char *text = rendered_diags(&d);
    cr_assert(strstr(text, "operand 0 is not defined before this op in this or an enclosing") !=
                  NULL,
              "%s", text);
    free(text);
    diag_free(&d);
    src_free(&f);
    arena_free(&a);
}

Test(ir, verifier_rejects_unknown_attribute_in_a_built_graph)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    IrBuilder b;
    ir_builder_init(&b, m, m->body);
    IrValue *c = build_const_i64(&b, 1);
    ir_set_int(m, c->def, "colour", 3);
    SrcFile f;
    src_from_text(&f, "none", "", 0);
    DiagList d;
    diag_init(&d, &f);
    cr_assert_not(ir_verify(m, &d));
    char *text = rendered_diags(&d);
    cr_assert(strstr(text, "ir.const: unknown attribute 'colour'") != NULL, "%s", text);
    free(text);
    diag_free(&d);
    src_free(&f);
    arena_free(&a);
}

Test(ir, verifier_rejects_missing_and_mistyped_attributes)
{
    expect_verify_error("%0 = \"ir.const\"() : () -> i64\n", 1, "missing attribute 'value'");
    expect_verify_error("%0 = \"size.get\"() {sym = \"n\"} : () -> i64\n", 1,
                        "attribute 'sym' has the wrong kind");
    expect_verify_error("%0 = \"ir.const\"() {value = 1.5} : () -> i64\n", 1,
                        "value does not match the result type i64");
}

Test(ir, verifier_rejects_state_access_to_undeclared_symbol)
{
    expect_verify_error("%0 = \"state.read\"() {sym = @w} : () -> f64\n", 1,
                        "@w is not declared before this op");
    expect_verify_error("%0 = \"cfg.get\"() {sym = @lr} : () -> f64\n", 1,
                        "@lr is not declared before this op");
}

Test(ir, verifier_rejects_state_declared_in_a_region_used_after_it)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"loop.for\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "  \"state.var\"(%1) {sym = @acc.1, type = i64} : (i64) -> ()\n"
                        "}) : (i64, i64) -> ()\n"
                        "%2 = \"state.read\"() {sym = @acc.1} : () -> i64\n",
                        6, "@acc.1 is not declared before this op");
}

Test(ir, verifier_rejects_write_of_the_wrong_type)
{
    char *t = with_w("%2 = \"ir.const\"() {value = 1.0} : () -> f32\n"
                     "\"state.write\"(%2) {sym = @w} : (f32) -> ()\n");
    expect_verify_error(t, 5, "value f32 does not match @w's dtype f64[n]");
    free(t);
    t = with_w("%2 = \"ir.const\"() {value = 1.0} : () -> f64\n"
               "\"state.write\"(%2) {sym = @w} : (f64) -> ()\n");
    expect_verify_error(t, 5, "value f64 does not fit @w of type f64[n]");
    free(t);
}

Test(ir, verifier_rejects_index_positions_that_do_not_match_the_resource)
{
    char *t = with_w("%2 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                     "\"state.write_index\"(%2, %0, %0) {index = [\"i\", \"i\"], sym = @w} : "
                     "(f64, i64, i64) -> ()\n");
    expect_verify_error(t, 5, "index has 2 positions for a rank-1 tensor");
    free(t);
    t = with_w("%2 = \"ir.const\"() {value = 1.0} : () -> f64\n"
               "\"state.write_index\"(%2) {index = [\"i\"], sym = @w} : (f64) -> ()\n");
    expect_verify_error(t, 5, "index needs 2 operands in all, saw 1");
    free(t);
}

Test(ir, verifier_rejects_duplicate_declarations_and_writes_to_inputs)
{
    char *t = with_w("\"state.var\"(%1) {sym = @w, type = f64[n]} : (f64[n]) -> ()\n");
    expect_verify_error(t, 4, "@w is declared twice");
    free(t);
    expect_verify_error("%0 = \"io.load\"() {path = \"x.csv\"} : () -> f64[n]\n"
                        "%1 = \"state.input\"(%0) {sym = @x} : (f64[n]) -> f64[n]\n"
                        "\"state.write\"(%0) {sym = @x} : (f64[n]) -> ()\n",
                        3, "@x is an input, not a param or var");
}

Test(ir, verifier_rejects_nested_parallel_loops)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"ploop.range\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "  \"ploop.range\"(%0, %0) ({\n"
                        "  ^bb0(%2: i64):\n"
                        "  }) {consistency = \"async\"} : (i64, i64) -> ()\n"
                        "}) {consistency = \"bsp\"} : (i64, i64) -> ()\n",
                        4, "parallel loops do not nest");
}

Test(ir, verifier_checks_consistency_and_staleness)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"ploop.range\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "}) {consistency = \"eventual\"} : (i64, i64) -> ()\n",
                        2, "consistency must be");
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"ploop.range\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "}) {consistency = \"ssp\"} : (i64, i64) -> ()\n",
                        2, "expected 3 operands, saw 2");
    expect_verifies("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                    "\"ploop.range\"(%0, %0, %0) ({\n"
                    "^bb0(%1: i64):\n"
                    "}) {consistency = \"ssp\"} : (i64, i64, i64) -> ()\n");
}

Test(ir, verifier_checks_schedule_operands_and_regions)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"ploop.schedule\"(%0, %0) ({\n"
                        "}, {\n"
                        "}, {\n"
                        "^bb0(%1: i64):\n"
                        "}) {consistency = \"bsp\", operand_names = [\"hi\", \"lo\"]} : "
                        "(i64, i64) -> ()\n",
                        2, "operand_names must be");
    expect_verify_error("%0 = \"ir.const\"() {value = 0} : () -> i64\n"
                        "\"ploop.schedule\"(%0, %0) ({\n"
                        "^bb0(%1: i64):\n"
                        "  %2 = \"t.gt\"(%1, %0) : (i64, i64) -> bool\n"
                        "  \"ir.yield\"(%2) : (bool) -> ()\n"
                        "}, {\n"
                        "}, {\n"
                        "^bb0(%3: i64):\n"
                        "}) {consistency = \"bsp\", operand_names = [\"lo\", \"hi\"]} : "
                        "(i64, i64) -> ()\n",
                        5, "yields a numeric scalar here, saw bool");
}

Test(ir, verifier_checks_indexing_reshape_and_constructors)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 2} : () -> i64\n"
                        "%1 = \"t.ones\"(%0, %0) : (i64, i64) -> f64[2, 2]\n"
                        "%2 = \"t.index\"(%1, %0) : (f64[2, 2], i64) -> f64\n",
                        3, "a rank-2 tensor needs 2 indices, saw 1");
    expect_verify_error("%0 = \"ir.const\"() {value = 2} : () -> i64\n"
                        "%1 = \"t.ones\"(%0, %0) : (i64, i64) -> f64[2, 2]\n"
                        "%2 = \"t.reshape\"(%1, %0) : (f64[2, 2], i64) -> f64[2]\n",
                        3, "have different numbers of elements");
    expect_verify_error("%0 = \"ir.const\"() {value = 2.0} : () -> f64\n"
                        "%1 = \"t.zeros\"(%0) : (f64) -> f64[2]\n",
                        2, "operand 0 (a size) must be an i64 scalar, saw f64");
    expect_verify_error("%0 = \"ir.const\"() {value = 2} : () -> i64\n"
                        "%1 = \"t.ones\"(%0, %0) : (i64, i64) -> f64[2, 2]\n"
                        "%2 = \"t.slice\"(%1, %0) {index = [\"i\", \":\"]} : (f64[2, 2], i64) -> "
                        "f64[3]\n",
                        3, "result f64[3] should have shape f64[2]");
}

Test(ir, verifier_checks_observation_ops)
{
    expect_verify_error("%0 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                        "\"obs.log\"(%0, %0) {keys = [\"a\"]} : (f64, f64) -> ()\n",
                        2, "1 keys for 2 values");
    expect_verify_error("%0 = \"ir.const\"() {value = 1.0} : () -> f64\n"
                        "\"obs.assert\"(%0) {message = \"m\"} : (f64) -> ()\n",
                        2, "the condition must be a bool scalar");
    expect_verify_error("%0 = \"io.load\"() : () -> f64[n]\n", 1,
                        "needs either a path attribute or a str path operand");
}

Test(ir, verifier_errors_without_a_span_name_the_op)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    IrBuilder b;
    ir_builder_init(&b, m, m->body);
    IrValue *c = build_const_i64(&b, 1);
    ir_build_value(&b, IR_OP_SQRT, &c, 1, c->type);
    SrcFile f;
    src_from_text(&f, "prog.dml", "", 0);
    DiagList d;
    diag_init(&d, &f);
    cr_assert_not(ir_verify(m, &d));
    char *text = rendered_diags(&d);
    cr_assert_str_eq(text, "prog.dml: error: t.sqrt: operand i64 has the wrong dtype\n");
    free(text);
    diag_free(&d);
    src_free(&f);
    arena_free(&a);
}

/* ---- lowering (frontend/lower.c) ---- */

/* Checks and lowers DML text; returns the printed IR (with locations when asked), or NULL. */
static char *lower_text(const char *dml, bool locations)
{
    SrcFile f;
    src_from_text(&f, "p.dml", dml, strlen(dml));
    Arena a;
    arena_init(&a);
    DiagList d;
    diag_init(&d, &f);
    char *text = NULL;
    Program *prog = fe_check(&f, &a, &d);
    IrModule *m = prog ? lower_program(prog, &a, &d) : NULL;
    if (m && ir_verify(m, &d))
        text = print_text(m, locations);
    else
        cr_log_error("%s", rendered_diags(&d));
    diag_free(&d);
    arena_free(&a);
    src_free(&f);
    return text;
}

static void expect_lowered_round_trip(const char *text)
{
    Reading r;
    read_text(&r, text);
    cr_assert_not_null(r.module, "%s\n%s", rendered_diags(&r.diags), text);
    cr_assert(ir_verify(r.module, &r.diags), "%s", rendered_diags(&r.diags));
    char *again = print_text(r.module, true);
    cr_assert_str_eq(again, text);
    free(again);
    reading_free(&r);
}

static const char *const lasso_dml =
    "config lambda = 0.1\n"
    "input X: f64[n, d] = load(\"X.csv\")\n"
    "input y: f64[n] = load(\"y.csv\")\n"
    "param w: f64[d] = zeros\n"
    "var r: f64[n] = y - X @ w\n"
    "let sq = sum(X * X, axis=0)\n"
    "for t in 0..10 {\n"
    "  parallel for j in schedule(0..d, size=8, priority=|j| abs(w[j]) + 1e-6,\n"
    "                             conflict=|j, k| abs(dot(X[:, j], X[:, k])) > 0.1) {\n"
    "    let rho = dot(X[:, j], r) + sq[j] * w[j]\n"
    "    let wj = soft_threshold(rho, n * lambda) / sq[j]\n"
    "    r += X[:, j] * (w[j] - wj)\n"
    "    w[j] = wj\n"
    "  }\n"
    "  log(objective = 0.5 / n * sum(r * r) + lambda * sum(abs(w)))\n"
    "}\n"
    "save(w, \"w.csv\")\n";

Test(ir, lowered_program_verifies_and_round_trips)
{
    char *text = lower_text(lasso_dml, true);
    cr_assert_not_null(text);
    expect_lowered_round_trip(text);
    cr_assert(strstr(text, "\"ploop.schedule\"") != NULL);
    cr_assert(strstr(text, "\"state.accumulate\"") != NULL);
    cr_assert(strstr(text, "{index = [\":\", \"i\"]}") != NULL, "%s", text);
    free(text);
}

Test(ir, lowered_ops_carry_source_locations)
{
    char *text = lower_text("param w: f64[3] = ones\n"
                            "w = w * 2.0\n",
                            true);
    cr_assert_not_null(text);
    /* `w * 2.0` starts at line 2, column 5; the write is the statement at 2:1 */
    cr_assert(strstr(text, "\"t.mul\"(%2, %3) : (f64[3], f64) -> f64[3] loc(\"p.dml\":2:5)") !=
                  NULL,
              "%s", text);
    cr_assert(strstr(text, "\"state.write\"(%4) {sym = @w} : (f64[3]) -> () loc(\"p.dml\":2:1)") !=
                  NULL,
              "%s", text);
    free(text);
}

Test(ir, lowering_makes_weak_scalars_explicit)
{
    char *text = lower_text("config lr = 0.1\n"
                            "input g: f32[d] = load(\"g.npy\")\n"
                            "let s = lr * g + 1\n"
                            "print(s)\n",
                            false);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "\"t.cast\"(%2) : (f64) -> f32") != NULL, "%s", text);
    cr_assert(strstr(text, "\"ir.const\"() {value = 1.0} : () -> f32") != NULL, "%s", text);
    free(text);
}

Test(ir, lowering_inlines_fns_with_their_sizes_bound_per_call)
{
    char *text = lower_text("fn sq(v: f64[k]) -> f64[k] {\n"
                            "  let t = v * v\n"
                            "  return t\n"
                            "}\n"
                            "input a: f64[n] = load(\"a.csv\")\n"
                            "input b: f64[5] = load(\"b.csv\")\n"
                            "print(sq(a), sq(b))\n",
                            false);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "(f64[n], f64[n]) -> f64[n]") != NULL, "%s", text);
    cr_assert(strstr(text, "(f64[5], f64[5]) -> f64[5]") != NULL, "%s", text);
    cr_assert(strstr(text, "[k]") == NULL, "%s", text);
    free(text);
}

Test(ir, lowering_names_local_vars_uniquely)
{
    char *text = lower_text("for i in 0..2 {\n"
                            "  var acc: f64 = 0\n"
                            "  acc += 1\n"
                            "}\n"
                            "for i in 0..2 {\n"
                            "  var acc: f64 = 0\n"
                            "}\n",
                            false);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "sym = @acc.1") != NULL, "%s", text);
    cr_assert(strstr(text, "sym = @acc.2") != NULL, "%s", text);
    free(text);
}

Test(ir, lowering_binds_grad_block_arguments_to_the_wrt_params)
{
    char *text = lower_text("param w: f64[3] = ones\n"
                            "let g = grad(sum(w * w), wrt=w)\n"
                            "print(g)\n",
                            false);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "%3 = \"ad.grad\"(%2) ({\n"
                           "^bb0(%4: f64[3]):\n"
                           "  %5 = \"t.mul\"(%4, %4) : (f64[3], f64[3]) -> f64[3]\n") != NULL,
              "%s", text);
    free(text);
}

Test(ir, check_round_trip_accepts_a_module_that_reads_back_identically)
{
    Reading r;
    read_text(&r, "%0 = \"ir.const\"() {value = 0.1} : () -> f64\n"
                  "%1 = \"t.exp\"(%0) : (f64) -> f64 loc(\"p.dml\":2:9)\n");
    cr_assert_not_null(r.module, "%s", rendered_diags(&r.diags));
    Buf printed = {0}, again = {0};
    IrPrintOptions opt = {0};
    opt.locations = true;
    const char *problem = ir_check_round_trip(r.module, &opt, &printed, &again);
    cr_expect_null(problem, "%s", problem);
    cr_expect_str_eq(buf_cstr(&printed), buf_cstr(&again));
    cr_expect(strstr(buf_cstr(&printed), "loc(\"p.dml\":2:9)") != NULL);
    buf_free(&printed);
    buf_free(&again);
    reading_free(&r);
}
