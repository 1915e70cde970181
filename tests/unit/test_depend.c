/* test_depend.c: the dependence analysis of parallel loops (passes/depend.h): the index maps of
 * every access as C structures (kinds, variables, coefficients, constants), the printed forms,
 * the class and its reason, the attributes the pass records, the `layout` of inputs read by
 * columns, and the default names when the ops point into IR text instead of DML. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "ir/ir.h"
#include "passes/depend.h"
#include "passes/passes.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

enum { MAX_LOOPS = 8 };

typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    IrModule *m;
    DepLoop loops[MAX_LOOPS];
    IrOp *ops[MAX_LOOPS];
    int nloops;
} Compiled;

static char *rendered(const DiagList *d)
{
    Buf b = {0};
    diag_render(d, &b);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* Finds the parallel loops of a region (and the regions inside it) in order. */
static void find_loops(Compiled *c, IrRegion *r)
{
    for (IrOp *op = r->first; op; op = op->next) {
        if ((ir_op_info(op->opcode)->flags & IR_PARALLEL) && c->nloops < MAX_LOOPS)
            c->ops[c->nloops++] = op;
        for (int i = 0; i < op->nregions; i++)
            find_loops(c, op->regions[i]);
    }
}

/* Checks, lowers and optimises DML text (every pass), then analyses each parallel loop again. */
static void compile(Compiled *c, const char *dml)
{
    memset(c, 0, sizeof *c);
    src_from_text(&c->file, "t.dml", dml, strlen(dml));
    arena_init(&c->arena);
    diag_init(&c->diags, &c->file);
    Program *prog = fe_check(&c->file, &c->arena, &c->diags);
    cr_assert_not_null(prog, "%s", rendered(&c->diags));
    c->m = lower_program(prog, &c->arena, &c->diags);
    cr_assert_not_null(c->m, "%s", rendered(&c->diags));
    cr_assert(passes_run(c->m, NULL, NULL, NULL, &c->diags), "%s", rendered(&c->diags));
    find_loops(c, c->m->body);
    for (int i = 0; i < c->nloops; i++)
        dep_analyse_loop(c->ops[i], &c->file, &c->arena, &c->loops[i]);
}

static void release(Compiled *c)
{
    diag_free(&c->diags);
    arena_free(&c->arena);
    src_free(&c->file);
}

/* The accesses of a loop printed and joined by "; " (freed by the caller). */
static char *accesses(const DepLoop *l)
{
    Buf b = {0};
    for (int i = 0; i < l->naccesses; i++) {
        if (i)
            buf_puts(&b, "; ");
        dep_format_access(&l->accesses[i], &b);
    }
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

static void expect_accesses(const DepLoop *l, const char *want)
{
    char *got = accesses(l);
    cr_assert_str_eq(got, want);
    free(got);
}

static void expect_class(const DepLoop *l, DepClass cls, const char *reason)
{
    cr_assert_str_eq(dep_class_name(l->cls), dep_class_name(cls), "reason: %s", l->reason);
    cr_assert_str_eq(l->reason, reason);
}

/* The access of a loop printed as `want` ("write y[i]"), which must exist. */
static const DepAccess *access_named(const DepLoop *l, const char *want)
{
    for (int i = 0; i < l->naccesses; i++) {
        Buf b = {0};
        dep_format_access(&l->accesses[i], &b);
        bool same = strcmp(buf_cstr(&b), want) == 0;
        buf_free(&b);
        if (same)
            return &l->accesses[i];
    }
    cr_assert_fail("no access \"%s\"", want);
    return NULL;
}

/* The string attribute of op, or "". */
static const char *attr_string(const IrOp *op, const char *name)
{
    const IrAttr *a = ir_get_attr(op, name);
    return a && a->kind == IR_ATTR_STRING ? a->string : "";
}

/* ---- maps ---- */

Test(depend, affine_maps_keep_coefficients_constants_and_symbols)
{
    Compiled c;
    compile(&c, "input y: f64[n] = load(\"y.csv\")\n"
                "input x0: f64[m] = load(\"x0.csv\")\n"
                "var x: f64[m] = x0\n"
                "parallel for i in 0..n {\n"
                "  x[2 * i + 1] = y[n - 1 - i]\n"
                "}\n");
    cr_assert_eq(c.nloops, 1);
    const DepLoop *l = &c.loops[0];
    cr_assert_eq(l->nvars, 1);
    cr_assert_str_eq(l->vars[0], "i");
    expect_accesses(l, "read y[n - i - 1]; write x[2*i + 1]");

    const DepAccess *w = access_named(l, "write x[2*i + 1]");
    cr_assert_eq(w->kind, DEP_WRITE);
    cr_assert(w->state && !w->whole);
    cr_assert_eq(w->ndims, 1);
    cr_assert_eq(w->dims[0].kind, DEP_DIM_INDEX);
    cr_assert(w->dims[0].index.affine);
    const DepAffine *a = &w->dims[0].index.a;
    cr_assert_eq(a->constant, 1);
    cr_assert_eq(a->nterms, 1);
    cr_assert_eq(a->terms[0].kind, DEP_ATOM_VAR);
    cr_assert_eq(a->terms[0].var, 0);
    cr_assert_eq(a->terms[0].coef, 2);

    const DepAccess *r = access_named(l, "read y[n - i - 1]");
    cr_assert_eq(r->kind, DEP_READ);
    cr_assert_not(r->state);
    const DepAffine *b = &r->dims[0].index.a;
    cr_assert_eq(b->constant, -1);
    cr_assert_eq(b->nterms, 2);
    cr_assert_eq(b->terms[0].kind, DEP_ATOM_VAR);
    cr_assert_eq(b->terms[0].coef, -1);
    cr_assert_eq(b->terms[1].kind, DEP_ATOM_SYMBOL);
    cr_assert_str_eq(b->terms[1].name, "n");
    cr_assert_eq(b->terms[1].coef, 1);
    expect_class(l, DEP_INDEPENDENT, "writes x[2*i + 1] (each iteration its own elements)");
    release(&c);
}

Test(depend, slices_ranges_and_whole_reads)
{
    Compiled c;
    compile(&c, "input X: f64[n, d] = load(\"X.csv\")\n"
                "input y0: f64[m] = load(\"y0.csv\")\n"
                "var y: f64[m] = y0\n"
                "var total: f64[d] = zeros\n"
                "parallel for i in 0..n consistency serial {\n"
                "  y[2 * i..2 * i + 2] = X[i, 0..2]\n"
                "  total += X[i, :] * sum(X)\n"
                "}\n");
    const DepLoop *l = &c.loops[0];
    expect_accesses(l, "read X[i, 0..2]; write y[2*i..2*i + 2]; read X[i, :]; read X; "
                       "accumulate total");
    const DepAccess *w = access_named(l, "write y[2*i..2*i + 2]");
    cr_assert_eq(w->dims[0].kind, DEP_DIM_RANGE);
    cr_assert(w->dims[0].has_lo && w->dims[0].has_hi);
    cr_assert_eq(w->dims[0].lo.a.constant, 0);
    cr_assert_eq(w->dims[0].hi.a.constant, 2);
    cr_assert_eq(w->dims[0].hi.a.terms[0].coef, 2);
    const DepAccess *row = access_named(l, "read X[i, :]");
    cr_assert_eq(row->dims[0].kind, DEP_DIM_INDEX);
    cr_assert_eq(row->dims[1].kind, DEP_DIM_ALL);
    cr_assert(access_named(l, "read X")->whole);
    cr_assert(access_named(l, "accumulate total")->whole);
    /* a block c*i .. c*i + c is disjoint between iterations */
    expect_class(l, DEP_REDUCTION,
                 "writes y[2*i..2*i + 2] (each iteration its own elements) and accumulates into "
                 "total (partial results combine in any order)");
    release(&c);
}

Test(depend, data_dependent_indices_are_not_affine)
{
    Compiled c;
    compile(&c, "input idx: i64[n] = load(\"idx.csv\")\n"
                "input y: f64[n] = load(\"y.csv\")\n"
                "var w: f64[n] = zeros\n"
                "parallel for i in 0..n consistency serial {\n"
                "  let c = idx[i] + 1\n"
                "  w[idx[i]] = y[c]\n"
                "}\n");
    const DepLoop *l = &c.loops[0];
    expect_accesses(l, "read idx[i]; read y[c] (index not affine); "
                       "write w[idx[i]] (index not affine)");
    const DepAccess *w = access_named(l, "write w[idx[i]] (index not affine)");
    cr_assert_not(w->dims[0].index.affine);
    cr_assert_str_eq(w->dims[0].index.text, "idx[i]");
    expect_class(l, DEP_GENERAL,
                 "w[idx[i]] is written with an index that is not an affine function of i");
    release(&c);
}

Test(depend, nested_for_variables_change_within_the_iteration)
{
    Compiled c;
    compile(&c, "input X: f64[n, d] = load(\"X.csv\")\n"
                "input y0: f64[m] = load(\"y0.csv\")\n"
                "var Z: f64[n, d] = zeros\n"
                "var y: f64[m] = y0\n"
                "parallel for i in 0..n {\n"
                "  for k in 0..d {\n"
                "    Z[i, k] = X[i, k]\n"
                "  }\n"
                "}\n"
                "parallel for i in 0..n consistency serial {\n"
                "  for k in 0..3 {\n"
                "    y[i + k] = X[i, k]\n"
                "  }\n"
                "}\n");
    cr_assert_eq(c.nloops, 2);
    const DepAccess *z = access_named(&c.loops[0], "write Z[i, k]");
    cr_assert_eq(z->dims[1].index.a.terms[0].kind, DEP_ATOM_FREE);
    cr_assert_str_eq(z->dims[1].index.a.terms[0].name, "k");
    expect_class(&c.loops[0], DEP_INDEPENDENT, "writes Z[i, k] (each iteration its own elements)");
    expect_class(&c.loops[1], DEP_GENERAL,
                 "y[i + k] is written: its index does not determine i, so two iterations may "
                 "write one element");
    release(&c);
}

Test(depend, outer_loop_variables_are_symbols)
{
    Compiled c;
    compile(&c, "config steps = 4\n"
                "input x: f64[n] = load(\"x.csv\")\n"
                "var Y: f64[steps, n] = zeros\n"
                "for t in 0..steps {\n"
                "  parallel for i in 0..n consistency serial {\n"
                "    Y[t, i] = x[i]\n"
                "  }\n"
                "}\n");
    const DepAccess *w = access_named(&c.loops[0], "write Y[t, i]");
    cr_assert_eq(w->dims[0].index.a.terms[0].kind, DEP_ATOM_SYMBOL);
    cr_assert_str_eq(w->dims[0].index.a.terms[0].name, "t");
    expect_class(&c.loops[0], DEP_INDEPENDENT, "writes Y[t, i] (each iteration its own elements)");
    release(&c);
}

/* ---- classes ---- */

Test(depend, serial_neighbour_read_is_general_with_the_offset)
{
    static const char *const body = "input x0: f64[n] = load(\"x0.csv\")\n"
                                    "var x: f64[n] = x0\n"
                                    "parallel for i in 0..n - 1 consistency %s {\n"
                                    "  x[i] = x[i + 1]\n"
                                    "}\n"
                                    "parallel for i in 1..n consistency %s {\n"
                                    "  x[i] = x[i - 2]\n"
                                    "}\n";
    char text[512];
    Compiled c;
    snprintf(text, sizeof text, body, "serial", "serial");
    compile(&c, text);
    expect_class(&c.loops[0], DEP_GENERAL,
                 "x[i + 1] is read and x[i] is written: iteration i reads what iteration i + 1 "
                 "writes");
    expect_class(&c.loops[1], DEP_GENERAL,
                 "x[i - 2] is read and x[i] is written: iteration i reads what iteration i - 2 "
                 "writes");
    release(&c);
    /* under bsp the reads see the snapshot */
    snprintf(text, sizeof text, body, "bsp", "async");
    compile(&c, text);
    expect_class(&c.loops[0], DEP_INDEPENDENT, "writes x[i] (each iteration its own elements)");
    cr_assert_eq(c.loops[1].cls, DEP_GENERAL);
    release(&c);
}

Test(depend, interleaved_writes_never_meet)
{
    Compiled c;
    compile(&c, "input y: f64[n] = load(\"y.csv\")\n"
                "input x0: f64[m] = load(\"x0.csv\")\n"
                "var x: f64[m] = x0\n"
                "parallel for i in 0..n consistency serial {\n"
                "  x[2 * i] = y[i]\n"
                "  x[2 * i + 1] = x[2 * i] - y[i]\n"
                "}\n"
                "parallel for i in 0..n consistency serial {\n"
                "  x[i] = y[i]\n"
                "  x[i + 1] = y[i]\n"
                "}\n");
    expect_class(&c.loops[0], DEP_INDEPENDENT,
                 "writes x[2*i], x[2*i + 1] (each iteration its own elements)");
    expect_class(&c.loops[1], DEP_GENERAL,
                 "x[i] is written and x[i + 1] is written: two iterations may update one element");
    release(&c);
}

Test(depend, accesses_that_print_alike_but_differ_are_both_kept)
{
    /* a and b are two reads of `off` (0 and 3): both writes print w[i + off], but iteration i and
     * iteration i + 3 write one element */
    Compiled c;
    compile(&c, "var off: i64 = 0\n"
                "var w: f64[10] = zeros\n"
                "let a = off\n"
                "off = 3\n"
                "let b = off\n"
                "parallel for i in 0..7 consistency serial {\n"
                "  w[i + a] = 1.0\n"
                "  w[i + b] = 2.0\n"
                "}\n");
    const DepLoop *l = &c.loops[0];
    expect_accesses(l, "read off; write w[i + off]; write w[i + off]");
    cr_assert_neq(l->accesses[1].dims[0].index.a.terms[1].key,
                  l->accesses[2].dims[0].index.a.terms[1].key);
    expect_class(l, DEP_GENERAL,
                 "w[i + off] is updated twice with indices that print alike but are different "
                 "values: two iterations may update one element");
    /* the attribute lists each printed form once */
    const IrAttr *acc = ir_get_attr(c.ops[0], "accesses");
    cr_assert_eq(acc->count, 2);
    cr_assert_str_eq(acc->strings[1], "write w[i + off]");
    cr_assert_str_eq(attr_string(c.ops[0], "class"), "general");
    release(&c);
}

Test(depend, a_serial_write_and_accumulation_of_one_element_is_general)
{
    /* private accumulators are added after the loop, after the writes: w[i] would end 6, not 5 */
    Compiled c;
    compile(&c, "var w: f64[8] = zeros\n"
                "parallel for i in 0..8 consistency serial {\n"
                "  w[i] += 1.0\n"
                "  w[i] = 5.0\n"
                "}\n"
                "parallel for i in 0..4 consistency serial {\n"
                "  w[2 * i] += 1.0\n"
                "  w[2 * i + 1] = 5.0\n"
                "}\n"
                "parallel for i in 0..8 {\n"
                "  w[i] += 1.0\n"
                "  w[i] = 5.0\n"
                "}\n");
    expect_class(&c.loops[0], DEP_GENERAL,
                 "w[i] is both written and accumulated: private accumulations would be added "
                 "after the writes, whatever their order in the body");
    /* elements that never meet keep the reduction */
    cr_assert_eq(c.loops[1].cls, DEP_REDUCTION, "%s", c.loops[1].reason);
    /* bsp sums the accumulations into what the loop wrote */
    cr_assert_eq(c.loops[2].cls, DEP_REDUCTION, "%s", c.loops[2].reason);
    release(&c);
}
Test(depend, accumulations_read_in_a_serial_body_are_general)
{
    Compiled c;
    compile(&c, "input x: f64[n] = load(\"x.csv\")\n"
                "var s: f64 = 0.0\n"
                "var prefix: f64[n] = zeros\n"
                "parallel for i in 0..n consistency serial {\n"
                "  s += x[i]\n"
                "  prefix[i] = s\n"
                "}\n"
                "parallel for i in 0..n {\n"
                "  s += x[i]\n"
                "  prefix[i] = s\n"
                "}\n");
    expect_accesses(&c.loops[0], "read x[i]; accumulate s; read s; write prefix[i]");
    expect_class(&c.loops[0], DEP_GENERAL, "s is accumulated and also read in the body");
    cr_assert_eq(c.loops[1].cls, DEP_REDUCTION);
    release(&c);
}

Test(depend, whole_reads_of_written_tensors_conflict_under_serial)
{
    Compiled c;
    compile(&c, "input x: f64[n] = load(\"x.csv\")\n"
                "var y: f64[n] = ones\n"
                "parallel for i in 0..n consistency serial {\n"
                "  y[i] = x[i] / sum(y)\n"
                "}\n");
    expect_class(&c.loops[0], DEP_GENERAL,
                 "y is read whole and y[i] is written: an iteration reads what the others write");
    release(&c);
}

Test(depend, matrix_factorisation_is_two_axis_and_its_error_a_reduction)
{
    Compiled c;
    compile(&c, "input R: csr f64[m, n] = load(\"R.mtx\")\n"
                "param L: f64[m, 4] = randn((m, 4), scale=0.1, seed=1)\n"
                "param H: f64[n, 4] = randn((n, 4), scale=0.1, seed=2)\n"
                "var sqerr: f64 = 0.0\n"
                "parallel for (u, item, r) in nonzeros(R) consistency serial {\n"
                "  let lu = L[u, :]\n"
                "  let hi = H[item, :]\n"
                "  let e = r - dot(lu, hi)\n"
                "  L[u, :] = lu + 0.1 * e * hi\n"
                "  H[item, :] = hi + 0.1 * e * lu\n"
                "}\n"
                "parallel for (i, j, v) in nonzeros(R) {\n"
                "  sqerr += (v - dot(L[i, :], H[j, :])) ** 2\n"
                "}\n"
                "parallel for (i, j, v) in nonzeros(R) consistency serial {\n"
                "  L[i, :] = H[j, :]\n"
                "  H[j, :] = L[i + 1, :]\n"
                "}\n");
    const DepLoop *mf = &c.loops[0];
    cr_assert_eq(mf->nvars, 3);
    cr_assert_str_eq(mf->vars[0], "u");
    cr_assert_str_eq(mf->vars[1], "item");
    cr_assert_str_eq(mf->vars[2], "r");
    expect_accesses(mf, "read L[u, :]; read H[item, :]; write L[u, :]; write H[item, :]");
    const DepAccess *h = access_named(mf, "write H[item, :]");
    cr_assert_eq(h->dims[0].index.a.terms[0].var, 1);
    expect_class(mf, DEP_TWO_AXIS,
                 "writes L[u, :] and H[item, :]: iterations conflict only along rows u and columns "
                 "item");
    expect_class(&c.loops[1], DEP_REDUCTION,
                 "accumulates into sqerr (partial results combine in any order)");
    expect_class(&c.loops[2], DEP_GENERAL,
                 "L[i + 1, :] is read and L[i, :] is written: iteration i reads what iteration "
                 "i + 1 writes");
    /* the pass recorded the same on the ops */
    cr_assert_str_eq(attr_string(c.ops[0], "class"), "two-axis");
    cr_assert_str_eq(attr_string(c.ops[1], "class"), "reduction");
    const IrAttr *acc = ir_get_attr(c.ops[0], "accesses");
    cr_assert(acc && acc->kind == IR_ATTR_STRINGS && acc->count == 4);
    cr_assert_str_eq(acc->strings[2], "write L[u, :]");
    release(&c);
}

Test(depend, a_nonzeros_row_write_alone_is_not_injective)
{
    Compiled c;
    compile(&c, "input R: csr f64[m, n] = load(\"R.mtx\")\n"
                "var rowmax: f64[m] = zeros\n"
                "var col: f64[m, n] = zeros\n"
                "parallel for (i, j, v) in nonzeros(R) {\n"
                "  rowmax[i] = v\n"
                "}\n"
                "parallel for (i, j, v) in nonzeros(R) {\n"
                "  col[i, j] = v\n"
                "}\n");
    /* every nonzero of row i writes rowmax[i]: two-axis along rows, not independent */
    expect_class(&c.loops[0], DEP_TWO_AXIS,
                 "writes rowmax[i]: iterations conflict only along rows i");
    expect_class(&c.loops[1], DEP_INDEPENDENT,
                 "writes col[i, j] (each iteration its own elements)");
    release(&c);
}

Test(depend, schedules_are_scheduled_and_their_lambdas_only_read)
{
    Compiled c;
    compile(&c, "input X: f64[n, d] = load(\"X.csv\")\n"
                "param w: f64[d] = zeros\n"
                "var delta: f64[d] = ones\n"
                "parallel for j in schedule(0..d, size=4, priority=|p| delta[p] + 1e-6,\n"
                "                           conflict=|a, b| abs(dot(X[:, a], X[:, b])) > 0.5) {\n"
                "  let step = 0.1 * dot(X[:, j], X[:, j])\n"
                "  delta[j] = abs(step)\n"
                "  w[j] = w[j] - step\n"
                "}\n");
    const DepLoop *l = &c.loops[0];
    expect_accesses(l, "read X[:, j]; write delta[j]; read w[j]; write w[j]; "
                       "read delta[p] (priority); read X[:, a] (conflict); "
                       "read X[:, b] (conflict)");
    const DepAccess *p = access_named(l, "read delta[p] (priority)");
    cr_assert_eq(p->where, DEP_IN_PRIORITY);
    const DepAccess *b = access_named(l, "read X[:, b] (conflict)");
    cr_assert_eq(b->where, DEP_IN_CONFLICT);
    cr_assert_eq(b->dims[1].index.a.terms[0].var, 1);
    cr_assert_eq(l->cls, DEP_SCHEDULED);
    release(&c);
}

/* ---- the pass ---- */

Test(depend, inputs_read_by_columns_only_are_stored_by_columns)
{
    Compiled c;
    compile(&c, "input X: f64[n, d] = load(\"X.csv\")\n"
                "input A: f64[n, d] = load(\"A.csv\")\n"
                "var cx: f64[d] = zeros\n"
                "var ca: f64[d] = zeros\n"
                "var ra: f64[n] = zeros\n"
                "parallel for j in 0..d {\n"
                "  cx[j] = norm(X[:, j])\n"
                "  ca[j] = norm(A[:, j])\n"
                "}\n"
                "parallel for i in 0..n {\n"
                "  ra[i] = norm(A[i, :])\n"
                "}\n");
    const IrOp *x = NULL, *a = NULL;
    for (const IrOp *op = c.m->body->first; op; op = op->next) {
        if (op->opcode != IR_OP_STATE_INPUT)
            continue;
        if (strcmp(ir_op_symbol(op), "X") == 0)
            x = op;
        else
            a = op;
    }
    cr_assert(x && a);
    cr_assert_str_eq(attr_string(x, "layout"), "columns");
    cr_assert_null(ir_get_attr(a, "layout"), "A is also read by rows");
    release(&c);
}

Test(depend, names_default_when_the_spans_point_into_ir_text)
{
    static const char ir[] =
        "%0 = \"io.load\"() {path = \"x.csv\"} : () -> f64[n]\n"
        "%1 = \"state.input\"(%0) {sym = @x} : (f64[n]) -> f64[n]\n"
        "%2 = \"size.get\"() {sym = @n} : () -> i64\n"
        "%3 = \"t.zeros\"(%2) : (i64) -> f64[n]\n"
        "\"state.var\"(%3) {sym = @y, type = f64[n]} : (f64[n]) -> ()\n"
        "%4 = \"ir.const\"() {value = 0} : () -> i64\n"
        "%5 = \"t.mul\"(%2, %2) : (i64, i64) -> i64\n"
        "\"ploop.range\"(%4, %2) ({\n"
        "^bb0(%6: i64):\n"
        "  %7 = \"t.index\"(%1, %6) : (f64[n], i64) -> f64\n"
        "  %8 = \"t.sub\"(%6, %5) : (i64, i64) -> i64\n"
        "  \"state.write_index\"(%7, %8) {index = [\"i\"], sym = @y} : (f64, i64) -> ()\n"
        "}) {consistency = \"serial\"} : (i64, i64) -> ()\n";
    SrcFile f;
    src_from_text(&f, "t.ir", ir, strlen(ir));
    Arena arena;
    arena_init(&arena);
    DiagList d;
    diag_init(&d, &f);
    IrModule *m = ir_read(&f, &arena, &d);
    cr_assert(m && ir_verify(m, &d), "%s", rendered(&d));
    cr_assert(pass_depend(m, &d));
    cr_assert(ir_verify(m, &d), "%s", rendered(&d));
    const IrOp *loop = m->body->last;
    DepLoop l;
    dep_analyse_loop(loop, &f, &arena, &l);
    cr_assert_str_eq(l.vars[0], "i");
    /* n * n is an outer value with no name: value@LINE */
    expect_accesses(&l, "read x[i]; write y[i - value@7]");
    cr_assert_str_eq(attr_string(loop, "class"), "independent");
    const IrAttr *acc = ir_get_attr(loop, "accesses");
    cr_assert(acc && acc->count == 2);
    cr_assert_str_eq(acc->strings[1], "write y[i - value@7]");
    /* a second run replaces the attributes with the same ones */
    Buf once = {0}, twice = {0};
    ir_print(m, &once, NULL);
    cr_assert(pass_depend(m, &d));
    ir_print(m, &twice, NULL);
    cr_assert_str_eq(buf_cstr(&twice), buf_cstr(&once));
    buf_free(&once);
    buf_free(&twice);
    diag_free(&d);
    arena_free(&arena);
    src_free(&f);
}

Test(depend, attributes_survive_the_ir_round_trip)
{
    Compiled c;
    compile(&c, "input X: f64[n, d] = load(\"X.csv\")\n"
                "var w: f64[d] = zeros\n"
                "var s: f64 = 0.0\n"
                "parallel for j in 0..d {\n"
                "  w[j] = sum(X[:, j])\n"
                "  s += w[j]\n"
                "}\n");
    Buf printed = {0}, again = {0};
    const char *broken = ir_check_round_trip(c.m, NULL, &printed, &again);
    cr_assert_null(broken, "%s:\n%s", broken ? broken : "", buf_cstr(&again));
    const char *text = buf_cstr(&printed);
    cr_assert(strstr(text, "accesses = [\"read X[:, j]\", \"write w[j]\", \"read w[j]\", "
                           "\"accumulate s\"]"),
              "%s", text);
    cr_assert(strstr(text, "class = \"reduction\""), "%s", text);
    cr_assert(strstr(text, "layout = \"columns\""), "%s", text);
    buf_free(&printed);
    buf_free(&again);
    release(&c);
}
