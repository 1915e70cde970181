/* interp_graph.c: the dataflow graph inside a region, so that independent operations run at the
 * same time.
 *
 * A region's steps are cut at "barriers" into segments of value steps. A value step computes
 * results from operands and reads nothing that another step of its segment may change: pure ops
 * (elementwise, reductions, BLAS, indexing, constructors), random constructors (their draws are
 * keyed by the op, not by order), k.fused kernels, constants, cfg.get, size.get and state.read.
 * Everything else (state writes, loops, if, I/O, log, print, assert, declarations, break) is a
 * barrier: it runs alone, in program order, as before.
 *
 * Inside a segment, step j waits for step i < j when j uses a value i defines (data), or when j
 * is the last use of a value i also uses (j releases it, or reuses its buffer in place). A segment
 * can run as a task graph on the pool when at least two of its heavy steps (kernels, BLAS, and
 * ops on tensors of data-dependent or large size) are independent; otherwise it runs in order,
 * which costs nothing. Whether it does is decided at run time (interp_block): its first run is in
 * order and timed, and it becomes a task graph from then on only when it took long enough
 * (GRAPH_MIN_NS) to pay for the tasks; small segments in hot loops stay in order. Steps running concurrently each compute on their own; a kernel inside such a step
 * runs its row blocks in order on its worker. */
#include "executor/interp_internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    HEAVY_ELEMS = 1 << 14, /* a tensor of static size below this is light */
    MAX_GRAPH_STEPS = 4096 /* longer segments run in order (the graph is quadratic to build) */
};

static bool is_value_step(const IrOp *op)
{
    if (op->opcode == IR_OP_STATE_READ)
        return true;
    unsigned flags = ir_op_info(op->opcode)->flags;
    if (flags & (IR_EFFECT | IR_DECL | IR_TERMINATOR | IR_LOOP | IR_PARALLEL))
        return false;
    return (flags & (IR_PURE | IR_RANDOM | IR_CONSTRUCTOR)) != 0;
}

static bool type_is_large(const Type *t)
{
    if (t->rank == 0)
        return false;
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++) {
        if (t->dims[d].kind != DIM_CONST)
            return true; /* sized by the data */
        n *= t->dims[d].value;
    }
    return n >= HEAVY_ELEMS;
}

static bool is_heavy(const IrOp *op)
{
    switch (op->opcode) {
    case IR_OP_K_FUSED:
    case IR_OP_MATMUL:
    case IR_OP_MATVEC:
    case IR_OP_VECMAT:
        return true;
    case IR_OP_STATE_READ:
    case IR_OP_CONST:
        return false;
    default:
        break;
    }
    for (int i = 0; i < op->noperands; i++)
        if (type_is_large(&op->operands[i]->type))
            return true;
    for (int i = 0; i < op->nresults; i++)
        if (type_is_large(&op->results[i]->type))
            return true;
    return false;
}

static bool uses_slot(const Step *s, int slot)
{
    for (int i = 0; i < s->op->noperands; i++)
        if (s->in[i] == slot)
            return true;
    return false;
}

static bool defines_slot(const Step *s, int slot)
{
    for (int i = 0; i < s->op->nresults; i++)
        if (s->out[i] == slot)
            return true;
    return false;
}

/* Does step j (later) have to wait for step i? */
static bool must_follow(const Step *i, const Step *j)
{
    for (int k = 0; k < j->op->noperands; k++)
        if (defines_slot(i, j->in[k]))
            return true;
    for (int k = 0; k < j->nrelease; k++)
        if (uses_slot(i, j->release[k]))
            return true;
    return false;
}

/* Builds the graph of steps [a, b) of a block: predecessors, and the longest path. */
static void build_segment(Arena *arena, Block *blk, int a, int b)
{
    int n = b - a;
    int *depth = calloc((size_t)n, sizeof *depth);
    int *tmp = malloc((size_t)n * sizeof *tmp);
    /* reach[j] as a bitset over i < j: j depends on i, directly or not */
    size_t words = ((size_t)n + 63) / 64;
    uint64_t *reach = calloc((size_t)n * words, sizeof *reach);
    if (!depth || !tmp || !reach) {
        free(depth);
        free(tmp);
        free(reach);
        return;
    }
    int longest = 0, heavy_pairs = 0;
    for (int j = 0; j < n; j++) {
        Step *sj = &blk->steps[a + j];
        int np = 0;
        uint64_t *rj = reach + (size_t)j * words;
        for (int i = j - 1; i >= 0; i--) {
            if ((rj[i / 64] >> (i % 64)) & 1)
                continue; /* already implied by a later predecessor */
            if (!must_follow(&blk->steps[a + i], sj))
                continue;
            tmp[np++] = a + i;
            rj[i / 64] |= 1ull << (i % 64);
            const uint64_t *ri = reach + (size_t)i * words;
            for (size_t w = 0; w < words; w++)
                rj[w] |= ri[w];
        }
        sj->preds = ARENA_ARRAY(arena, int, np + 1);
        memcpy(sj->preds, tmp, (size_t)np * sizeof *tmp);
        sj->npreds = np;
        for (int k = 0; k < np; k++)
            if (depth[tmp[k] - a] > depth[j])
                depth[j] = depth[tmp[k] - a];
        depth[j]++;
        if (depth[j] > longest)
            longest = depth[j];
        if (sj->heavy)
            for (int i = 0; i < j; i++)
                if (blk->steps[a + i].heavy && !((rj[i / 64] >> (i % 64)) & 1))
                    heavy_pairs++;
    }
    Step *first = &blk->steps[a];
    first->seg_len = n;
    first->seg_critical = longest;
    first->seg_concurrent = heavy_pairs > 0;
    free(depth);
    free(tmp);
    free(reach);
}

void interp_graph_build(Interp *it, Block *blk)
{
    Arena *arena = &it->arena;
    int a = 0;
    while (a < blk->nsteps) {
        Step *s = &blk->steps[a];
        s->value_step = is_value_step(s->op);
        s->heavy = s->value_step && is_heavy(s->op);
        if (!s->value_step) {
            a++;
            continue;
        }
        int b = a + 1;
        while (b < blk->nsteps && b - a < MAX_GRAPH_STEPS && is_value_step(blk->steps[b].op)) {
            blk->steps[b].value_step = true;
            blk->steps[b].heavy = is_heavy(blk->steps[b].op);
            b++;
        }
        build_segment(arena, blk, a, b);
        if (s->seg_concurrent)
            s->seg_id = it->nsegments++;
        a = b;
    }
}

void interp_graph_serial(Block *blk)
{
    for (int k = 0; k < blk->nsteps; k++) {
        Step *s = &blk->steps[k];
        s->seg_concurrent = false;
        s->heavy = false;
        for (int r = 0; r < s->nregions; r++)
            interp_graph_serial(s->regions[r]);
    }
}

/* ---- running a segment as a task graph ---- */

typedef struct {
    Interp *it;
    const Block *blk;
    int a;
    Interp *clones; /* per worker: the interpreter with its own error, sharing the slots */
    bool *cloned;
    bool abort; /* the graph could not be built: tasks do nothing */
} Segment;

static bool run_step_task(PoolWorker *w, PoolTask *self, void *arg, int64_t k, RtError *err)
{
    (void)self;
    Segment *sg = arg;
    if (sg->abort)
        return true;
    Interp *cl = &sg->clones[w->id];
    if (!sg->cloned[w->id]) {
        *cl = *sg->it;
        cl->on_worker = true;
        cl->eval.parallel_user = cl;
        cl->caches = NULL;
        cl->ssp = NULL;
        sg->cloned[w->id] = true;
    }
    cl->err = err;
    const Step *s = &sg->blk->steps[k];
    Flow f = interp_exec_step(cl, s);
    for (int i = 0; i < s->nrelease; i++)
        rt_value_release(&cl->slots[s->release[i]]);
    return f == FLOW_NEXT;
}

bool interp_graph_run(Interp *it, const Block *blk, int a)
{
    const Step *first = &blk->steps[a];
    int n = first->seg_len, workers = pool_workers(it->pool);
    Segment sg = {.it = it, .blk = blk, .a = a};
    sg.clones = calloc((size_t)workers, sizeof *sg.clones);
    sg.cloned = calloc((size_t)workers, sizeof *sg.cloned);
    PoolTask **tasks = calloc((size_t)n, sizeof *tasks);
    bool ok = sg.clones && sg.cloned && tasks;
    for (int j = 0; j < n && ok; j++) {
        const Step *s = &blk->steps[a + j];
        tasks[j] = pool_task(it->pool, run_step_task, &sg, a + j, -1,
                             ir_op_info(s->op->opcode)->name, (int)s->op->loc.line);
        ok = tasks[j] != NULL;
        for (int p = 0; p < s->npreds && ok; p++)
            ok = pool_depend(tasks[s->preds[p] - a], tasks[j]);
    }
    /* Submitted even after a failure to build, so that pool_wait frees them. */
    sg.abort = !ok;
    for (int j = 0; j < n && tasks; j++)
        if (tasks[j])
            pool_submit(tasks[j]);
    bool ran = pool_wait(it->pool, it->err);
    if (ok && !ran)
        ok = false;
    else if (!ok && !it->err->set)
        rt_op_errorf(it->err, first->op, "out of memory");
    if (!ok) /* steps skipped after the error still hold values */
        for (int j = 0; j < n; j++) {
            const Step *s = &blk->steps[a + j];
            for (int i = 0; i < s->nrelease; i++)
                rt_value_release(&it->slots[s->release[i]]);
        }
    free(tasks);
    free(sg.clones);
    free(sg.cloned);
    return ok;
}
