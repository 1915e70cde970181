/* explain.c: `dmlc explain`: how the executor will run a program, from the same preparation the
 * run uses (interp_prepare: steps, segments and their dependency graphs, parallel loop
 * classification), without running it.
 *
 * It prints the task graph in summary: the steps per kind, the segments whose independent steps
 * run at the same time, the critical path of every region (in steps: the value steps' longest
 * dependency chain in each segment plus every barrier step, which runs alone); every parallel
 * loop with its form, consistency, the dependence class and reason and the accesses the `depend`
 * pass recorded (passes/depend.c), and the schedule the executor chose (Step.sched) in words;
 * and the inputs stored column-major (`layout`) with the loop that reads them by columns.
 * Row-block and chunk counts depend on the data's sizes and are described, not counted. The
 * output depends only on the program, so it has golden files. */
#include "executor/interp_internal.h"
#include "executor/runtime.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef enum {
    KIND_KERNEL,
    KIND_BLAS,
    KIND_REDUCTION,
    KIND_ELEMENTWISE,
    KIND_VALUE,
    KIND_STATE,
    KIND_IO,
    KIND_OBSERVE,
    KIND_CONTROL,
    KIND_PARALLEL,
    NKINDS
} Kind;

static const char *const kind_names[NKINDS] = {
    "kernel", "blas", "reduction", "elementwise", "other value", "state", "io", "observe",
    "control", "parallel loop",
};

static const char *const kind_notes[NKINDS] = {
    "fused kernels, each cut into row blocks of 65536 elements",
    "OpenBLAS calls, one thread each, large ones cut into fixed row blocks",
    "reductions outside kernels",
    "elementwise ops outside kernels",
    "indexing, shapes, constructors, casts, constants",
    "declarations, reads, writes and accumulations of state",
    "loads and saves",
    "log, print, assert",
    "loops, if, break, continue, yield",
    "parallel for (below)",
};

static Kind kind_of(const IrOp *op)
{
    unsigned flags = ir_op_info(op->opcode)->flags;
    switch (op->opcode) {
    case IR_OP_K_FUSED:
        return KIND_KERNEL;
    case IR_OP_MATMUL:
    case IR_OP_MATVEC:
    case IR_OP_VECMAT:
    case IR_OP_DOT:
        return KIND_BLAS;
    case IR_OP_IO_LOAD:
    case IR_OP_IO_LOAD_LIBSVM:
    case IR_OP_IO_SAVE:
        return KIND_IO;
    case IR_OP_OBS_LOG:
    case IR_OP_OBS_PRINT:
    case IR_OP_OBS_ASSERT:
        return KIND_OBSERVE;
    default:
        break;
    }
    if (flags & IR_PARALLEL)
        return KIND_PARALLEL;
    if (flags & (IR_LOOP | IR_TERMINATOR) || op->opcode == IR_OP_CTL_IF ||
        op->opcode == IR_OP_CTL_BREAK || op->opcode == IR_OP_CTL_CONTINUE)
        return KIND_CONTROL;
    if (flags & IR_DECL || op->opcode == IR_OP_STATE_READ || op->opcode == IR_OP_STATE_WRITE ||
        op->opcode == IR_OP_STATE_WRITE_INDEX || op->opcode == IR_OP_STATE_ACCUMULATE)
        return KIND_STATE;
    if (flags & IR_REDUCTION)
        return KIND_REDUCTION;
    if (flags & IR_ELEMENTWISE)
        return KIND_ELEMENTWISE;
    return KIND_VALUE;
}

typedef struct {
    Buf *out;
    int kinds[NKINDS];
    int steps, value_steps, segments, concurrent;
    Buf regions; /* one line per region */
    Buf loops;   /* one line per parallel loop */
} Explain;

/* What a region is, from the step that owns it and its index among the step's regions. */
static const char *region_owner(const Step *owner, int r)
{
    if (!owner)
        return "program";
    switch (owner->op->opcode) {
    case IR_OP_LOOP_FOR:
        return "for body";
    case IR_OP_LOOP_WHILE:
        return r == 0 ? "while test" : "while body";
    case IR_OP_CTL_IF:
        return r == 0 ? "then" : "else";
    case IR_OP_PLOOP_SCHEDULE:
        return r == 0 ? "priority" : r == 1 ? "conflict" : "parallel body";
    default:
        return ir_op_info(owner->op->opcode)->flags & IR_PARALLEL ? "parallel body" : "region";
    }
}

/* ---- parallel loops ---- */

/* The accesses the dependence pass recorded on the loop (count 0 when none). */
static const IrAttr *loop_accesses(const IrOp *op, int *count)
{
    const IrAttr *a = ir_get_attr(op, "accesses");
    *count = a && a->kind == IR_ATTR_STRINGS ? a->count : 0;
    return a;
}

/* The tensor an access line names ("dw" in "read dw[j] (priority)") into name. */
static void access_tensor(const char *line, char *name, size_t cap)
{
    const char *p = strchr(line, ' ');
    p = p ? p + 1 : line;
    size_t n = strcspn(p, "[ ");
    snprintf(name, cap, "%.*s", (int)n, p);
}

/* True when the line is an access of the body (not of the schedule's lambdas). */
static bool in_body(const char *line)
{
    return !strstr(line, " (priority)") && !strstr(line, " (conflict)");
}

/* The state the priority region reads that the body writes or accumulates, or false. */
static bool priority_reads_written(const IrOp *op, char *name, size_t cap)
{
    int n;
    const IrAttr *a = loop_accesses(op, &n);
    for (int i = 0; i < n; i++) {
        if (strncmp(a->strings[i], "read ", 5) != 0 || !strstr(a->strings[i], " (priority)"))
            continue;
        access_tensor(a->strings[i], name, cap);
        for (int k = 0; k < n; k++) {
            char written[256];
            if (!in_body(a->strings[k]) || strncmp(a->strings[k], "read ", 5) == 0)
                continue;
            access_tensor(a->strings[k], written, sizeof written);
            if (strcmp(name, written) == 0)
                return true;
        }
    }
    return false;
}

/* The staleness of an ssp loop as written: "2", "s" (a config), or "s" when computed. */
static void print_staleness(const IrOp *op, Buf *out)
{
    int at = op->opcode == IR_OP_PLOOP_RANGE ? 2 : 1;
    const IrOp *def = op->noperands > at ? op->operands[at]->def : NULL;
    const IrAttr *v = def ? ir_get_attr(def, "value") : NULL;
    if (def && def->opcode == IR_OP_CONST && v && v->kind == IR_ATTR_INT)
        buf_printf(out, "%lld", (long long)v->int_value);
    else if (def && def->opcode == IR_OP_CFG_GET && ir_op_symbol(def))
        buf_puts(out, ir_op_symbol(def));
    else
        buf_puts(out, "s");
}

/* The consistency as written in DML: "bsp", "serial", "async", "ssp(2)", "ssp(s)". */
static void print_consistency(const IrOp *op, Buf *out)
{
    const IrAttr *c = ir_get_attr(op, "consistency");
    const char *name = c && c->kind == IR_ATTR_STRING ? c->string : "bsp";
    if (strcmp(name, "ssp") != 0 || op->opcode == IR_OP_PLOOP_SCHEDULE) {
        buf_puts(out, name);
        return;
    }
    buf_puts(out, "ssp(");
    print_staleness(op, out);
    buf_putc(out, ')');
}

/* How the loop's schedule runs it (Step.sched), in a sentence. */
static void print_schedule(const Step *s, const char *cls, Buf *out)
{
    switch (s->sched) {
    case SCHED_SEQUENTIAL:
        buf_printf(out, "in order: %s", s->par_reason ? s->par_reason : "");
        return;
    case SCHED_CHUNKS:
        buf_puts(out, "parallel chunks, private accumulators, fixed tree combine");
        if (!cls || (strcmp(cls, "independent") != 0 && strcmp(cls, "reduction") != 0))
            buf_puts(out, "; run-time collision stamps on the elements written (the writes are "
                          "not provably injective)");
        return;
    case SCHED_STRATA:
        buf_puts(out, "P x P strata (P = workers): in round t, worker p runs block "
                      "(p, (p + t) mod P) in order; the blocks of a round in parallel");
        return;
    case SCHED_STRADS: {
        buf_puts(out, "priorities and conflict checks computed in parallel, then ");
        if (s->par_reason) {
            buf_printf(out, "the round in order: %s", s->par_reason);
            return;
        }
        buf_puts(out, "the bsp round in parallel chunks; ");
        char name[256];
        if (priority_reads_written(s->op, name, sizeof name))
            buf_printf(out, "the next round's candidates are drawn after the round: the priority "
                            "reads %s, which the body writes",
                       name);
        else
            buf_puts(out, "the next round's candidates are prepared while the round runs");
        return;
    }
    case SCHED_HOGWILD:
        buf_puts(out, "Hogwild: each worker its share in order on the shared state; atomic "
                      "accumulations");
        return;
    case SCHED_SSP:
        buf_puts(out, "each worker its share in order on the shared state, atomic accumulations; "
                      "its clock ticks at the end of its share, and it runs at most ");
        print_staleness(s->op, out);
        buf_puts(out, " clocks ahead of the slowest worker");
        return;
    }
}

static void explain_loop(Explain *e, const Step *s)
{
    static const char *const forms[] = {"range", "nonzeros", "schedule"};
    const IrOp *op = s->op;
    int form = op->opcode == IR_OP_PLOOP_RANGE ? 0 : op->opcode == IR_OP_PLOOP_NONZEROS ? 1 : 2;
    Buf *b = &e->loops;
    buf_printf(b, "  line %-4u %-9s ", (unsigned)op->loc.line, forms[form]);
    print_consistency(op, b);
    const IrAttr *reason = ir_get_attr(op, "class_reason");
    buf_printf(b, "\n    class     %s\n", s->loop_class ? s->loop_class : "none (not analysed)");
    if (reason && reason->kind == IR_ATTR_STRING)
        buf_printf(b, "    reason    %s\n", reason->string);
    int n;
    const IrAttr *acc = loop_accesses(op, &n);
    for (int i = 0; i < n; i++)
        buf_printf(b, "    %-9s %s\n", i == 0 ? "accesses" : "", acc->strings[i]);
    buf_puts(b, "    schedule  ");
    print_schedule(s, s->loop_class, b);
    buf_putc(b, '\n');
}

/* ---- layouts ---- */

/* The first parallel loop (in program order, under r) that reads `name` by columns: its line and
 * the reference ("X[:, j]"). */
static bool column_reader(const IrRegion *r, const char *name, unsigned *line, char *ref,
                          size_t cap)
{
    char prefix[300];
    snprintf(prefix, sizeof prefix, "read %s[:, ", name);
    for (const IrOp *op = r->first; op; op = op->next) {
        if (ir_op_info(op->opcode)->flags & IR_PARALLEL) {
            int n;
            const IrAttr *a = loop_accesses(op, &n);
            for (int i = 0; i < n; i++) {
                /* a fixed column (X[:, 0]) is not what made the layout */
                if (strncmp(a->strings[i], prefix, strlen(prefix)) != 0 ||
                    (a->strings[i][strlen(prefix)] >= '0' && a->strings[i][strlen(prefix)] <= '9'))
                    continue;
                const char *start = a->strings[i] + 5, *close = strchr(start, ']');
                snprintf(ref, cap, "%.*s", (int)(close ? close - start + 1 : 0), start);
                *line = op->loc.line;
                return true;
            }
        }
        if (op->opcode != IR_OP_K_FUSED)
            for (int i = 0; i < op->nregions; i++)
                if (column_reader(op->regions[i], name, line, ref, cap))
                    return true;
    }
    return false;
}

/* The inputs the dependence pass stores by columns, and why. */
static void explain_layouts(const IrModule *m, Buf *out)
{
    buf_printf(out, "\nlayouts\n");
    int count = 0;
    for (const IrOp *op = m->body->first; op; op = op->next) {
        const IrAttr *layout = ir_get_attr(op, "layout");
        if (op->opcode != IR_OP_STATE_INPUT || !layout || layout->kind != IR_ATTR_STRING ||
            strcmp(layout->string, "columns") != 0 || !ir_op_symbol(op))
            continue;
        const char *name = ir_op_symbol(op);
        unsigned line = 0;
        char ref[300];
        buf_printf(out, "  %s: column-major", name);
        if (column_reader(m->body, name, &line, ref, sizeof ref))
            buf_printf(out, ": read by columns (%s) in parallel for at line %u", ref, line);
        buf_putc(out, '\n');
        count++;
    }
    if (count == 0)
        buf_printf(out, "  none: every input keeps the row-major layout\n");
}

static void explain_block(Explain *e, const Block *b, const Step *owner, int region_index)
{
    int critical = 0, segs = 0, conc = 0;
    for (int k = 0; k < b->nsteps; k++) {
        const Step *s = &b->steps[k];
        e->steps++;
        e->kinds[kind_of(s->op)]++;
        if (s->value_step)
            e->value_steps++;
        if (s->seg_len > 0) {
            segs++;
            conc += s->seg_concurrent;
            critical += s->seg_critical;
        } else if (!s->value_step) {
            critical++;
        }
    }
    e->segments += segs;
    e->concurrent += conc;
    const char *what = region_owner(owner, region_index);
    if (owner)
        buf_printf(&e->regions, "  line %-4u %-14s", (unsigned)owner->op->loc.line, what);
    else
        buf_printf(&e->regions, "  %-24s", what);
    buf_printf(&e->regions, " %4d steps  critical path %4d", b->nsteps, critical);
    if (conc > 0)
        buf_printf(&e->regions, "  (%d concurrent segment%s)", conc, conc == 1 ? "" : "s");
    buf_printf(&e->regions, "\n");
    for (int k = 0; k < b->nsteps; k++) {
        const Step *s = &b->steps[k];
        if (s->op->opcode == IR_OP_PLOOP_RANGE || s->op->opcode == IR_OP_PLOOP_NONZEROS ||
            s->op->opcode == IR_OP_PLOOP_SCHEDULE)
            explain_loop(e, s);
        /* kernel bodies are compiled, not run step by step: not regions of the task graph */
        if (s->op->opcode == IR_OP_K_FUSED)
            continue;
        for (int r = 0; r < s->nregions; r++)
            explain_block(e, s->regions[r], s, r);
    }
}

bool rt_explain(const IrModule *m, const char *name, Buf *out, RtError *err)
{
    Interp it = {.module = m, .err = err, .steps = -1};
    arena_init(&it.arena);
    bool ok = interp_prepare(&it);
    if (ok) {
        Explain e = {.out = out};
        explain_block(&e, it.body, NULL, 0);
        buf_printf(out, "%s: how the executor runs it\n\n", name);
        buf_printf(out, "steps per kind (%d steps, %d of them value steps that may run "
                        "concurrently)\n",
                   e.steps, e.value_steps);
        for (int k = 0; k < NKINDS; k++)
            if (e.kinds[k] > 0)
                buf_printf(out, "  %-13s %4d  %s\n", kind_names[k], e.kinds[k], kind_notes[k]);
        buf_printf(out, "\nregions (critical path in steps: the longest dependency chain of "
                        "each segment\nof value steps, plus every other step)\n");
        buf_append(out, e.regions.data ? e.regions.data : "", e.regions.len);
        buf_printf(out, "  %d segments of value steps, %d with independent heavy steps that run "
                        "as a task graph\n",
                   e.segments, e.concurrent);
        buf_printf(out, "\nparallel loops\n");
        if (e.loops.len == 0)
            buf_printf(out, "  none\n");
        buf_append(out, e.loops.data ? e.loops.data : "", e.loops.len);
        explain_layouts(m, out);
        buf_free(&e.regions);
        buf_free(&e.loops);
    }
    interp_free(&it);
    return ok;
}
