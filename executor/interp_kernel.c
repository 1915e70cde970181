/* interp_kernel.c: a compiled kernel run over fixed row blocks as pool tasks.
 *
 * A kernel's iteration space outer x inner is cut into blocks of whole rows of about BLOCK_ELEMS
 * elements (a rank-1 space into blocks of BLOCK_ELEMS elements). The cut depends only on the
 * shape, never on the number of workers: that is what makes reductions deterministic. Each block
 * is one task that calls the kernel on pointers offset to its rows:
 *
 *   FULL operand / result      + row0 * inner elements
 *   COL operand, ROWS result   + row0 elements (one per row)
 *   ROW operand, scalars       unchanged
 *   ALL and COLS results       a partial of the block's own, in a scratch array
 *
 * The partials are combined in a fixed tree order (block 0 with 1, 2 with 3, ..., then the pairs)
 * with the reduction's operator (sum: +, max, min), so the result is the same bits for 1 or 64
 * workers. A float mean is combined as a sum of each block's mean times its element count, divided
 * by the whole count at the end. A kernel with any other reduction runs as one call. A task's domain is the one that owns its output rows when the pool has
 * several. Inside a parallel loop's chunk (a worker's clone) the blocks run inline, in order. */
#include "executor/interp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BUFS = 64, MAX_RESULTS = 16 };

typedef enum { OFF_NONE, OFF_FULL, OFF_ROW, OFF_PARTIAL } Offset;

typedef struct {
    const JitKernel *k;
    int64_t outer, inner; /* the space; a rank-1 space is split by elements: outer 1 */
    bool by_elems;
    int64_t per, nblocks; /* rows (or elements) per block */
    int64_t extent;       /* rows (or elements) to split */
    void *bufs[MAX_BUFS];
    size_t esize[MAX_BUFS];
    Offset off[MAX_BUFS];
    int nbufs;
    const uint64_t *scalars;
    char *partial[MAX_RESULTS]; /* per partial result: nblocks x part_bytes */
    size_t part_bytes[MAX_RESULTS];
} Blocks;

/* The reduction that makes result r (the yielded value's defining op), or 0. */
static IrOpcode reduction_of(const IrOp *fused, int r)
{
    const IrRegion *body = fused->regions[0];
    const IrOp *last = body->first;
    while (last && last->next)
        last = last->next;
    if (!last || last->opcode != IR_OP_YIELD || r >= last->noperands || !last->operands[r]->def)
        return (IrOpcode)0;
    return last->operands[r]->def->opcode;
}

static bool run_block(PoolWorker *w, PoolTask *self, void *arg, int64_t b, RtError *err)
{
    (void)w;
    (void)self;
    (void)err;
    Blocks *kb = arg;
    int64_t r0 = b * kb->per;
    int64_t count = r0 + kb->per < kb->extent ? kb->per : kb->extent - r0;
    void *bb[MAX_BUFS];
    for (int i = 0; i < kb->nbufs; i++) {
        char *base = kb->bufs[i];
        switch (kb->off[i]) {
        case OFF_FULL:
            bb[i] = base + (size_t)(r0 * (kb->by_elems ? 1 : kb->inner)) * kb->esize[i];
            break;
        case OFF_ROW:
            bb[i] = base + (size_t)r0 * kb->esize[i];
            break;
        case OFF_PARTIAL:
            bb[i] = kb->partial[i] + (size_t)b * kb->part_bytes[i];
            break;
        default:
            bb[i] = base;
            break;
        }
    }
    if (kb->by_elems)
        kb->k->fn(1, count, bb, kb->scalars);
    else
        kb->k->fn(count, kb->inner, bb, kb->scalars);
    return true;
}

/* a <- a (op) b for one element of a partial. */
static void combine_elem(DType dt, IrOpcode red, void *a, const void *b)
{
    switch (dt) {
    case DT_F64: {
        double x = *(double *)a, y = *(const double *)b, r;
        if (red == IR_OP_SUM)
            r = x + y;
        else if (isnan(x) || isnan(y))
            r = NAN;
        else if (x == y) /* -0 below +0 */
            r = red == IR_OP_MAX ? (signbit(x) ? y : x) : (signbit(x) ? x : y);
        else
            r = red == IR_OP_MAX ? (x > y ? x : y) : (x < y ? x : y);
        *(double *)a = r;
        break;
    }
    case DT_F32: {
        float x = *(float *)a, y = *(const float *)b, r;
        if (red == IR_OP_SUM)
            r = x + y;
        else if (isnan(x) || isnan(y))
            r = NAN;
        else if (x == y)
            r = red == IR_OP_MAX ? (signbit(x) ? y : x) : (signbit(x) ? x : y);
        else
            r = red == IR_OP_MAX ? (x > y ? x : y) : (x < y ? x : y);
        *(float *)a = r;
        break;
    }
    case DT_I64: {
        int64_t x = *(int64_t *)a, y = *(const int64_t *)b;
        *(int64_t *)a = red == IR_OP_SUM ? (int64_t)((uint64_t)x + (uint64_t)y)
                        : red == IR_OP_MAX ? (x > y ? x : y)
                                             : (x < y ? x : y);
        break;
    }
    case DT_I32: {
        int32_t x = *(int32_t *)a, y = *(const int32_t *)b;
        *(int32_t *)a = red == IR_OP_SUM ? (int32_t)((uint32_t)x + (uint32_t)y)
                        : red == IR_OP_MAX ? (x > y ? x : y)
                                             : (x < y ? x : y);
        break;
    }
    default: { /* bool: max is or, min is and */
        uint8_t x = *(uint8_t *)a, y = *(const uint8_t *)b;
        *(uint8_t *)a = red == IR_OP_MIN ? (x && y) : (x || y);
        break;
    }
    }
}

/* A mean's partials: each block's mean times the elements it averaged (its share of the sum), or
 * the sum divided by the elements of the whole extent. */
static void scale_partial(char *part, size_t n, DType dt, double by)
{
    for (size_t e = 0; e < n; e++) {
        if (dt == DT_F32)
            ((float *)part)[e] = (float)(((float *)part)[e] * by);
        else
            ((double *)part)[e] *= by;
    }
}

/* Combines result r's partials in the fixed tree order into block 0's, then copies it out. A mean
 * is combined as the sum of the blocks' sums, divided by the count at the end. */
static void combine_partials(Blocks *kb, int r, DType dt, IrOpcode red)
{
    size_t es = dtype_size(dt);
    size_t n = kb->part_bytes[r] / es;
    bool mean = red == IR_OP_MEAN;
    /* elements each partial averaged: rows (x inner for a reduction over everything) */
    int64_t unit = kb->by_elems || kb->k->out[r] == JIT_OUT_REDUCE_COLS ? 1 : kb->inner;
    if (mean) {
        for (int64_t b = 0; b < kb->nblocks; b++) {
            int64_t rows = b * kb->per + kb->per <= kb->extent ? kb->per : kb->extent - b * kb->per;
            scale_partial(kb->partial[r] + (size_t)b * kb->part_bytes[r], n, dt,
                          (double)(rows * unit));
        }
        red = IR_OP_SUM;
    }
    for (int64_t width = 1; width < kb->nblocks; width *= 2)
        for (int64_t c = 0; c + width < kb->nblocks; c += 2 * width) {
            char *into = kb->partial[r] + (size_t)c * kb->part_bytes[r];
            const char *from = kb->partial[r] + (size_t)(c + width) * kb->part_bytes[r];
            for (size_t e = 0; e < n; e++)
                combine_elem(dt, red, into + e * es, from + e * es);
        }
    if (mean)
        scale_partial(kb->partial[r], n, dt, 1.0 / (double)(kb->extent * unit));
    memcpy(kb->bufs[r], kb->partial[r], kb->part_bytes[r]);
}

bool interp_kernel_run(Interp *it, const Step *s, const JitKernel *k, int64_t outer, int64_t inner,
                       void *const *bufs, const uint64_t *scalars)
{
    const IrOp *op = s->op;
    Blocks kb = {.k = k, .outer = outer, .inner = inner, .scalars = scalars};
    kb.by_elems = k->rank == 1;
    kb.extent = kb.by_elems ? inner : outer;
    kb.per = kb.by_elems ? interp_block_rows(1) : interp_block_rows(inner);
    kb.nblocks = (kb.extent + kb.per - 1) / kb.per;
    kb.nbufs = op->nresults;
    bool split = kb.nblocks > 1 && op->nresults <= MAX_RESULTS;
    for (int r = 0; r < op->nresults && split; r++) {
        kb.esize[r] = dtype_size(op->results[r]->type.dtype);
        switch (k->out[r]) {
        case JIT_OUT_FULL:
            kb.off[r] = OFF_FULL;
            break;
        case JIT_OUT_REDUCE_ROWS:
            kb.off[r] = OFF_ROW;
            split = !kb.by_elems;
            break;
        case JIT_OUT_REDUCE_ALL:
        case JIT_OUT_REDUCE_COLS:
            kb.off[r] = OFF_PARTIAL;
            kb.part_bytes[r] = kb.esize[r] * (k->out[r] == JIT_OUT_REDUCE_ALL ? 1 : (size_t)inner);
            {
                IrOpcode red = reduction_of(op, r);
                DType dt = op->results[r]->type.dtype;
                split = (red == IR_OP_SUM || red == IR_OP_MAX || red == IR_OP_MIN ||
                         (red == IR_OP_MEAN && (dt == DT_F32 || dt == DT_F64))) &&
                        !(kb.by_elems && k->out[r] == JIT_OUT_REDUCE_COLS);
            }
            break;
        }
    }
    for (int i = 0; i < op->noperands && split; i++) {
        RtValue v = it->slots[s->in[i]];
        if (!v.is_tensor)
            continue;
        if (kb.nbufs >= MAX_BUFS) {
            split = false;
            break;
        }
        kb.esize[kb.nbufs] = dtype_size(v.t->dtype);
        switch (k->in[i]) {
        case JIT_IN_FULL:
            kb.off[kb.nbufs] = OFF_FULL;
            break;
        case JIT_IN_ROW: /* a rank-1 space: the row is the whole extent */
            kb.off[kb.nbufs] = kb.by_elems ? OFF_FULL : OFF_NONE;
            break;
        case JIT_IN_COL: /* a rank-1 space: [1] against [n] */
            kb.off[kb.nbufs] = kb.by_elems ? OFF_NONE : OFF_ROW;
            break;
        default:
            kb.off[kb.nbufs] = OFF_NONE;
            break;
        }
        kb.nbufs++;
    }
    if (!split) {
        k->fn(outer, inner, bufs, scalars);
        return true;
    }
    memcpy(kb.bufs, bufs, (size_t)kb.nbufs * sizeof *bufs);
    bool ok = true;
    for (int r = 0; r < op->nresults && ok; r++) {
        if (kb.off[r] != OFF_PARTIAL)
            continue;
        kb.partial[r] = malloc((size_t)kb.nblocks * kb.part_bytes[r]);
        if (!kb.partial[r])
            ok = rt_op_errorf(it->err, op, "out of memory");
    }
    if (ok && (it->on_worker || !it->pool)) {
        for (int64_t b = 0; b < kb.nblocks; b++)
            run_block(NULL, NULL, &kb, b, it->err);
    } else if (ok) {
        int *domain_of = NULL;
        int domains = pool_domains(it->pool);
        if (domains > 1 && domains <= 64) {
            /* the domain that owns the block's rows when the output is split over domains */
            int64_t starts[65];
            domain_of = malloc((size_t)kb.nblocks * sizeof *domain_of);
            if (domain_of) {
                topo_split_rows(kb.extent, domains, kb.per, starts);
                for (int64_t b = 0; b < kb.nblocks; b++)
                    domain_of[b] = topo_row_domain(starts, domains, b * kb.per);
            }
        }
        ok = pool_parallel_for(it->pool, kb.nblocks, run_block, &kb, domain_of, k->name,
                               (int)op->loc.line, it->err);
        free(domain_of);
    }
    for (int r = 0; r < op->nresults; r++) {
        if (kb.off[r] != OFF_PARTIAL || !kb.partial[r])
            continue;
        if (ok)
            combine_partials(&kb, r, op->results[r]->type.dtype, reduction_of(op, r));
        free(kb.partial[r]);
    }
    return ok;
}
