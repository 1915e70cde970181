/* explain.c: `dmlc explain`: how the executor will run a program, from the same preparation the
 * run uses (interp_prepare: steps, segments and their dependency graphs, parallel loop
 * classification), without running it.
 *
 * It prints the task graph in summary: the steps per kind, the segments whose independent steps
 * run at the same time, the critical path of every region (in steps: the value steps' longest
 * dependency chain in each segment plus every barrier step, which runs alone), and every parallel
 * loop with how it runs and why. Row-block and chunk counts depend on the data's sizes and are
 * described, not counted. The output depends only on the program, so it has golden files. */
#include "executor/interp_internal.h"
#include "executor/runtime.h"

#include <inttypes.h>
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
    const Interp *it;
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

static void explain_loop(Explain *e, const Step *s)
{
    const IrOp *op = s->op;
    const IrAttr *c = ir_get_attr(op, "consistency");
    buf_printf(&e->loops, "  line %-4u %-16s %-7s ", (unsigned)op->loc.line,
               ir_op_info(op->opcode)->name, c ? c->string : "");
    if (s->par) {
        buf_printf(&e->loops, "parallel chunks: iterations ");
        int acc = 0, idx = 0;
        for (int i = 0; i < s->nwritten; i++)
            s->written_index[i] ? idx++ : acc++;
        if (s->nwritten == 0)
            buf_printf(&e->loops, "write no outer state");
        if (idx > 0) {
            buf_printf(&e->loops, "write elements of");
            for (int i = 0; i < s->nwritten; i++)
                if (s->written_index[i])
                    buf_printf(&e->loops, " %s", e->it->states[s->written[i]].name);
        }
        if (acc > 0) {
            buf_printf(&e->loops, "%saccumulate into", idx ? "; " : "");
            for (int i = 0; i < s->nwritten; i++)
                if (!s->written_index[i])
                    buf_printf(&e->loops, " %s", e->it->states[s->written[i]].name);
        }
        buf_printf(&e->loops, " (private accumulators, fixed tree combine)\n");
    } else {
        buf_printf(&e->loops, "in order: %s\n", s->par_reason ? s->par_reason : "");
    }
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
        Explain e = {.it = &it, .out = out};
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
        buf_free(&e.regions);
        buf_free(&e.loops);
    }
    interp_free(&it);
    return ok;
}
