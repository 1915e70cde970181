/* interp_strata.c: serial two-axis nonzeros loops (matrix factorisation by SGD) as P x P strata.
 *
 * Which loops: `ploop.nonzeros` with consistency serial that the dependence pass classed
 * "two-axis": each nonzero (i, j, v) reads and writes elements of state indexed by its row i
 * (rows of L) or by its column j (rows of H), and may accumulate into state it never reads (a
 * loss). interp_par_classify sends them here.
 *
 * How: P is the number of workers. The rows are cut into P contiguous ranges holding about nnz / P
 * nonzeros each, and the columns likewise, giving P x P blocks (row range a, column range b). Each
 * row range is further cut into S row chunks of about equal nonzero counts, which cuts every block
 * of that range into S pieces (S, the sweeps, grows with the loop up to MAX_SWEEPS; see there).
 * The nonzero positions are bucketed by piece, each piece in CSR order, once per matrix and worker
 * count, and kept in the loop's cache (a reference to the matrix is held, so its address names
 * its contents). One execution is S sweeps of P rounds: in round t of sweep s, task p runs piece s
 * of block (p, (p + t) mod P), its nonzeros one after another on a worker's private clone of the
 * interpreter; the P tasks of a round run in parallel, and the next round starts when all of them
 * have finished (the pool's wait, which also orders memory). The blocks of one round share no row
 * range and no column range, so they touch disjoint elements of the written state: that state is
 * made unique once on the driving thread and written in place (INPLACE_PLAIN) while the loop runs.
 * State the body only accumulates into (never reads nor writes by element) goes to private
 * accumulators, one per task index p, summed in the order p = 0, 1, ..., P - 1 after the last
 * round and added to the state.
 *
 * Guarantee: serialisable. Every iteration sees exactly the writes it would see if the nonzeros ran
 * one after another in the order of the rounds (sweep by sweep, round t = 0 .. P-1 in each), the
 * pieces of a round in the order p = 0 .. P-1, each piece in CSR order; element writes are bitwise
 * those of that order. Accumulations are summed per task index, then across task indices, so
 * their rounding differs from that order's, but not from run to run: with a fixed worker count the
 * results are bitwise the same every time (--deterministic holds for serial loops at a fixed P).
 * With one worker, or fewer than MIN_NONZEROS_PER_BLOCK nonzeros per block, the loop runs in CSR
 * order instead. The schedule trusts the dependence pass's class. It still runs the loop in order
 * when a state that the body reads or writes by element is a scalar or is accumulated as a whole
 * (no two-axis loop does either), or when the private accumulators would take more than
 * ACC_BUDGET_BYTES.
 *
 * Cost: building the buckets is O(nnz log P + rows + cols) time with 8 bytes per nonzero
 * (positions) plus a transient count per column; each execution adds S x P rounds of P tasks and a
 * barrier to the iterations' own work. A round lasts as long as its largest piece: rows and
 * columns are balanced by nonzero count separately, so skewed data can leave workers idle. */
#include "executor/interp_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Below this many nonzeros per block on average, run in order: an interpreted iteration costs a
 * few microseconds (bench/mf.sh), about what a round's barrier costs when it has to wake a sleeping
 * worker, so smaller blocks gain little or nothing. A rough bound, not a tuned one. */
enum { MIN_NONZEROS_PER_BLOCK = 16 };
/* Sweeps: each block is cut into at most MAX_SWEEPS pieces of at least MIN_NONZEROS_PER_PIECE
 * nonzeros on average. With one piece per block (the textbook schedule), SGD from small random
 * factors converges far more slowly: in round 0 the diagonal blocks are disjoint subproblems that
 * settle on unrelated latent bases, which later rounds must reconcile. On bench/mf.sh's data
 * (100,000 x 10,000, 5M ratings, 2 workers) one piece gave an RMSE of 0.65 after 2 epochs and 0.25
 * after 20, against 0.35 and 0.13 in CSR order; 16 pieces give 0.15 after 3 epochs. A C simulation
 * of the orders on the same data: after 3 epochs 0.44 with 1 piece, 0.153 with 4, 0.151 with 16
 * and with 64 (CSR order 0.18). Pieces of 64 nonzeros keep a round's barrier a small part of its
 * work. */
enum { MAX_SWEEPS = 16, MIN_NONZEROS_PER_PIECE = 64 };
/* Private accumulators of all block rows together stay under this many bytes (else in order). */
static const int64_t ACC_BUDGET_BYTES = 256LL << 20;
enum { CACHE_LINE = 64 };

/* ---- the buckets ---- */

/* The strata of one matrix for P workers: the cuts, and the nonzero positions of every piece:
 * piece s of block (a, b) holds the nonzeros of row range a's s-th row chunk in column range b. */
typedef struct {
    Tensor *csr; /* held (a reference), so that no other matrix can take its address */
    int64_t rows, cols, nnz;
    int workers;
    int sweeps;           /* S: pieces per block */
    int64_t *row_cut;     /* P + 1: row range a holds rows [row_cut[a], row_cut[a + 1]) */
    int64_t *col_cut;     /* P + 1: column range b holds columns [col_cut[b], col_cut[b + 1]) */
    int64_t *chunk_cut;   /* P x (S + 1): row chunk s of range a holds rows
                           * [chunk_cut[a * (S + 1) + s], chunk_cut[a * (S + 1) + s + 1]) */
    int64_t *piece_start; /* P * P * S + 1: piece s of block (a, b) is
                           * pos[piece_start[(a * P + b) * S + s] .. piece_start[... + 1]) */
    int64_t *pos;         /* nnz positions into the csr arrays, bucketed, CSR order in each */
} Strata;

static void strata_free(void *data)
{
    Strata *st = data;
    if (!st)
        return;
    tensor_unref(st->csr);
    free(st->row_cut);
    free(st->col_cut);
    free(st->chunk_cut);
    free(st->piece_start);
    free(st->pos);
    free(st);
}

/* The first index in [0, n] whose prefix[index] is at least target (prefix nondecreasing). */
static int64_t first_reaching(const int64_t *prefix, int64_t n, int64_t target)
{
    int64_t a = 0, b = n; /* the answer lies in [a, b] */
    while (a < b) {
        int64_t m = a + (b - a) / 2;
        if (prefix[m] >= target)
            b = m;
        else
            a = m + 1;
    }
    return a;
}

/* Cuts [0, n) into `parts` ranges of about total / parts counts each, given the running counts
 * prefix[0..n] (total = prefix[n] - prefix[0]): cut[p] is the first index whose count since
 * index 0, prefix[index] - prefix[0], reaches floor(p * total / parts). */
static void balanced_cuts(const int64_t *prefix, int64_t n, int parts, int64_t *cut)
{
    int64_t total = prefix[n] - prefix[0];
    cut[0] = 0;
    for (int p = 1; p < parts; p++) {
        /* floor(total * p / parts) without overflowing */
        int64_t target = total / parts * p + total % parts * p / parts;
        cut[p] = first_reaching(prefix, n, prefix[0] + target);
        if (cut[p] < cut[p - 1])
            cut[p] = cut[p - 1];
    }
    cut[parts] = n;
}

/* The range p with cut[p] <= x < cut[p + 1] (cut has parts + 1 entries, x in [0, cut[parts])). */
static int range_of(const int64_t *cut, int parts, int64_t x)
{
    int a = 0, b = parts; /* cut[a] <= x < cut[b] */
    while (b - a > 1) {
        int m = a + (b - a) / 2;
        if (cut[m] <= x)
            a = m;
        else
            b = m;
    }
    return a;
}

/* Pieces per block for nnz nonzeros on P workers: as many as MAX_SWEEPS, each of at least
 * MIN_NONZEROS_PER_PIECE nonzeros on average, at least one. */
static int sweeps_for(int64_t nnz, int workers)
{
    int64_t s = nnz / ((int64_t)workers * workers * MIN_NONZEROS_PER_PIECE);
    return s < 1 ? 1 : s > MAX_SWEEPS ? MAX_SWEEPS : (int)s;
}

/* Counts (fill == NULL) or places (into st->pos, advancing fill) the nonzeros of each piece: the
 * rows of range a in order, each row's nonzeros in order, so that every piece keeps CSR order. */
static void bucket_pieces(Strata *st, const Tensor *S, int64_t *fill)
{
    int P = st->workers, nsweeps = st->sweeps;
    for (int a = 0; a < P; a++) {
        const int64_t *chunk = &st->chunk_cut[a * (nsweeps + 1)];
        int s = 0;
        for (int64_t r = st->row_cut[a]; r < st->row_cut[a + 1]; r++) {
            while (r >= chunk[s + 1])
                s++;
            for (int64_t k = S->rowptr[r]; k < S->rowptr[r + 1]; k++) {
                int b = range_of(st->col_cut, P, S->colidx[k]);
                int64_t piece = ((int64_t)a * P + b) * nsweeps + s;
                if (fill)
                    st->pos[st->piece_start[piece] + fill[piece]++] = k;
                else
                    st->piece_start[piece + 1]++;
            }
        }
    }
}

/* Builds the strata of S for P workers; NULL when memory runs out. */
static Strata *strata_build(Tensor *S, int workers)
{
    int64_t rows = S->shape[0], cols = S->shape[1], nnz = S->numel;
    int nsweeps = sweeps_for(nnz, workers);
    int64_t npieces = (int64_t)workers * workers * nsweeps;
    Strata *st = calloc(1, sizeof *st);
    int64_t *col_prefix = calloc((size_t)cols + 1, sizeof *col_prefix);
    int64_t *fill = calloc((size_t)npieces, sizeof *fill);
    if (st) {
        st->row_cut = malloc(((size_t)workers + 1) * sizeof *st->row_cut);
        st->col_cut = malloc(((size_t)workers + 1) * sizeof *st->col_cut);
        st->chunk_cut = malloc((size_t)workers * ((size_t)nsweeps + 1) * sizeof *st->chunk_cut);
        st->piece_start = calloc((size_t)npieces + 1, sizeof *st->piece_start);
        st->pos = malloc(((size_t)nnz + 1) * sizeof *st->pos);
    }
    if (!st || !col_prefix || !fill || !st->row_cut || !st->col_cut || !st->chunk_cut ||
        !st->piece_start || !st->pos) {
        strata_free(st);
        free(col_prefix);
        free(fill);
        return NULL;
    }
    st->csr = tensor_ref(S);
    st->rows = rows;
    st->cols = cols;
    st->nnz = nnz;
    st->workers = workers;
    st->sweeps = nsweeps;
    /* rowptr is the running count of nonzeros by row; count the columns' once */
    for (int64_t k = 0; k < nnz; k++)
        col_prefix[S->colidx[k] + 1]++;
    for (int64_t c = 0; c < cols; c++)
        col_prefix[c + 1] += col_prefix[c];
    balanced_cuts(S->rowptr, rows, workers, st->row_cut);
    balanced_cuts(col_prefix, cols, workers, st->col_cut);
    free(col_prefix);
    for (int a = 0; a < workers; a++) {
        int64_t *chunk = &st->chunk_cut[a * (nsweeps + 1)];
        int64_t first = st->row_cut[a];
        balanced_cuts(S->rowptr + first, st->row_cut[a + 1] - first, nsweeps, chunk);
        for (int c = 0; c <= nsweeps; c++)
            chunk[c] += first;
    }
    /* a counting sort of the positions by piece, stable */
    bucket_pieces(st, S, NULL);
    for (int64_t p = 0; p < npieces; p++)
        st->piece_start[p + 1] += st->piece_start[p];
    bucket_pieces(st, S, fill);
    free(fill);
    return st;
}

/* The loop's cached strata when they were built for this matrix and worker count, else new ones
 * (cached); NULL with it->err set when memory runs out. */
static const Strata *strata_for(Interp *it, const Step *s, Tensor *S, int workers)
{
    const Strata *st = interp_loop_cache(it, s);
    if (st && st->csr == S && st->rows == S->shape[0] && st->cols == S->shape[1] &&
        st->nnz == S->numel && st->workers == workers)
        return st;
    Strata *built = strata_build(S, workers);
    if (!built) {
        rt_op_errorf(it->err, s->op, "out of memory");
        return NULL;
    }
    if (!interp_loop_cache_set(it, s, built, strata_free))
        return NULL;
    return built;
}

/* ---- how the written state is shared ---- */

/* True when the region (and the regions inside it) reads state sym. */
static bool region_reads(const Interp *it, const IrRegion *r, int sym)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_STATE_READ && interp_state_find(it, ir_op_symbol(op)) == sym)
            return true;
        for (int i = 0; i < op->nregions; i++)
            if (region_reads(it, op->regions[i], sym))
                return true;
    }
    return false;
}

/* True when the region accumulates into state sym without an index (the whole of it). */
static bool region_accumulates_whole(const Interp *it, const IrRegion *r, int sym)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_STATE_ACCUMULATE && !ir_get_attr(op, "index") &&
            interp_state_find(it, ir_op_symbol(op)) == sym)
            return true;
        for (int i = 0; i < op->nregions; i++)
            if (region_accumulates_whole(it, op->regions[i], sym))
                return true;
    }
    return false;
}

/* Decides per written state (s->written[i]) whether it gets private accumulators (private[i]:
 * the body only accumulates into it) or is written in place; false when some state can be
 * neither (a scalar, or a whole accumulation, that the body also reads: the loop runs in order). */
static bool plan_sharing(const Interp *it, const Step *s, bool *private_acc)
{
    const IrRegion *body = s->op->regions[s->op->nregions - 1];
    for (int i = 0; i < s->nwritten; i++) {
        int sym = s->written[i];
        const State *st = &it->states[sym];
        private_acc[i] = !s->written_index[i] && !region_reads(it, body, sym);
        if (private_acc[i])
            continue;
        if (!st->value.is_tensor || region_accumulates_whole(it, body, sym))
            return false;
    }
    return true;
}

/* ---- one execution ---- */

typedef struct {
    Interp *it; /* the driving interpreter; its slots are read-only while blocks run */
    const Step *s;
    const Strata *strata;
    const Tensor *csr;
    int workers;
    int sweep, round;   /* the running round: piece `sweep` of the blocks (p, (p + round) mod P) */
    RtValue *accs;      /* workers x acc_stride private accumulators (by task index p) */
    int64_t acc_stride; /* nstates rounded up to whole cache lines (no false sharing) */
    Interp **clones;    /* per worker, made by its first block (interp_share_clone_new) */
} StrataRun;

/* Worker w's private interpreter (made by its first block; only worker w touches clones[w]):
 * the driving one with its own slots, sharing the state table and the compiled kernels. */
static Interp *strata_clone(StrataRun *run, int w, RtError *err)
{
    if (!run->clones[w] && !(run->clones[w] = interp_share_clone_new(run->it)))
        rt_op_errorf(err, run->s->op, "out of memory");
    return run->clones[w];
}

/* Appends to the error message which nonzero failed (the message names the op's position). */
static void name_nonzero(RtError *err, int64_t row, int64_t col, int a, int b)
{
    size_t n = strlen(err->message);
    if (n < sizeof err->message)
        snprintf(err->message + n, sizeof err->message - n,
                 " (at the nonzero (%" PRId64 ", %" PRId64 "), in block (%d, %d) of the strata)",
                 row, col, a, b);
}

/* A pool task: piece `sweep` of block (p, (p + round) mod P), its nonzeros in CSR order on the
 * worker's clone. */
static bool run_piece(PoolWorker *w, PoolTask *self, void *arg, int64_t p, RtError *err)
{
    (void)self;
    StrataRun *run = arg;
    Interp *cl = strata_clone(run, w->id, err);
    if (!cl)
        return false;
    const Step *s = run->s;
    const Block *body = s->regions[s->nregions - 1];
    const Strata *st = run->strata;
    const Tensor *S = run->csr;
    int a = (int)p, b = (int)((p + run->round) % run->workers);
    int64_t piece = ((int64_t)a * run->workers + b) * st->sweeps + run->sweep;
    bool real = S->dtype == DT_F32 || S->dtype == DT_F64;
    IterSet set = {.kind = IR_OP_PLOOP_NONZEROS, .csr = S};
    cl->err = err;
    cl->iter_set = &set;
    cl->chunk_acc = &run->accs[p * run->acc_stride];
    bool ok = true;
    int64_t row = st->chunk_cut[a * (st->sweeps + 1) + run->sweep];
    for (int64_t q = st->piece_start[piece]; q < st->piece_start[piece + 1] && ok; q++) {
        int64_t k = st->pos[q];
        while (S->rowptr[row + 1] <= k)
            row++;
        cl->slots[body->args[0]] = rt_i64(row);
        cl->slots[body->args[1]] = rt_i64(S->colidx[k]);
        cl->slots[body->args[2]] = real ? rt_scalar_of(S->dtype, tensor_get_f64(S, k))
                                        : (RtValue){.dtype = S->dtype, .i = tensor_get_i64(S, k)};
        ok = interp_run_body(cl, s, body, false, k);
        if (!ok)
            name_nonzero(err, row, S->colidx[k], a, b);
    }
    cl->iter_set = NULL;
    cl->chunk_acc = NULL;
    return ok;
}

/* Makes the in-place states unique and marks every written state for the loop. */
static bool begin_sharing(Interp *it, const Step *s, const bool *private_acc)
{
    for (int i = 0; i < s->nwritten; i++) {
        State *st = &it->states[s->written[i]];
        if (private_acc[i]) {
            st->in_loop = true;
            continue;
        }
        if (!tensor_make_unique(&st->value.t))
            return rt_op_errorf(it->err, s->op, "out of memory");
        st->inplace = INPLACE_PLAIN;
    }
    return true;
}

/* Adds the private accumulators to their states (block rows in order 0 .. P-1, when ok) and ends
 * the loop's sharing modes (also after an error). */
static bool end_sharing(Interp *it, const Step *s, StrataRun *run, const bool *private_acc, bool ok)
{
    for (int i = 0; i < s->nwritten; i++) {
        int sym = s->written[i];
        State *st = &it->states[sym];
        st->inplace = INPLACE_NO;
        st->in_loop = false;
        if (!private_acc[i] || !run->accs)
            continue;
        RtValue *total = &run->accs[sym];
        for (int p = 1; ok && p < run->workers; p++) {
            RtValue *from = &run->accs[p * run->acc_stride + sym];
            if (from->dtype == DT_NONE)
                continue;
            if (total->dtype == DT_NONE) {
                *total = *from;
                *from = (RtValue){0};
            } else {
                ok = interp_apply_whole(it, s->op, total, *from, RT_APPLY_ADD);
            }
        }
        if (ok && total->dtype != DT_NONE)
            ok = interp_apply_whole(it, s->op, &st->value, *total, RT_APPLY_ADD);
    }
    if (run->accs)
        for (int64_t k = 0; k < run->workers * run->acc_stride; k++)
            rt_value_release(&run->accs[k]);
    return ok;
}

/* Bytes of private accumulators the loop needs: workers x the private states' sizes. */
static int64_t private_bytes(const Interp *it, const Step *s, const bool *private_acc, int workers)
{
    int64_t bytes = 0;
    for (int i = 0; i < s->nwritten; i++) {
        const State *st = &it->states[s->written[i]];
        if (private_acc[i] && st->value.is_tensor)
            bytes += (int64_t)tensor_bytes(st->value.t);
    }
    return bytes * workers;
}

/* Allocates the run's accumulators (zeroed) and clone table; false when memory runs out. */
static bool alloc_run(StrataRun *run, int nstates)
{
    /* a stride whose bytes are whole cache lines: a multiple of 64 / gcd(64, sizeof(RtValue)) */
    int64_t unit = CACHE_LINE;
    while (unit > 1 && (unit / 2 * (int64_t)sizeof(RtValue)) % CACHE_LINE == 0)
        unit /= 2;
    run->acc_stride = (nstates + unit) / unit * unit;
    size_t acc_bytes = (size_t)(run->workers * run->acc_stride) * sizeof(RtValue);
    acc_bytes = (acc_bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    run->accs = aligned_alloc(CACHE_LINE, acc_bytes);
    if (run->accs)
        memset(run->accs, 0, acc_bytes);
    run->clones = calloc((size_t)run->workers, sizeof *run->clones);
    return run->accs && run->clones;
}

bool interp_strata_loop(Interp *it, const Step *s)
{
    int workers = pool_workers(it->pool);
    Tensor *S = it->slots[s->in[0]].t;
    int64_t min_nonzeros = (int64_t)MIN_NONZEROS_PER_BLOCK * workers * workers;
    if (workers <= 1 || it->on_worker || S->numel < min_nonzeros)
        return interp_ploop_in_order(it, s);
    bool *private_acc = calloc((size_t)s->nwritten + 1, sizeof *private_acc);
    if (!private_acc)
        return rt_op_errorf(it->err, s->op, "out of memory");
    if (!plan_sharing(it, s, private_acc) ||
        private_bytes(it, s, private_acc, workers) > ACC_BUDGET_BYTES) {
        free(private_acc);
        return interp_ploop_in_order(it, s);
    }
    StrataRun run = {.it = it, .s = s, .csr = S, .workers = workers};
    run.strata = strata_for(it, s, S, workers);
    bool ok = run.strata != NULL;
    if (ok && !alloc_run(&run, it->nstates))
        ok = rt_op_errorf(it->err, s->op, "out of memory");
    if (ok)
        ok = begin_sharing(it, s, private_acc);
    for (int sweep = 0; ok && sweep < run.strata->sweeps; sweep++)
        for (int t = 0; ok && t < workers; t++) {
            run.sweep = sweep;
            run.round = t;
            ok = pool_parallel_for(it->pool, workers, run_piece, &run, NULL, s->label,
                                   (int)s->op->loc.line, it->err);
        }
    for (int w = 0; run.clones && w < run.workers; w++)
        interp_share_clone_free(run.clones[w]);
    ok = end_sharing(it, s, &run, private_acc, ok);
    free(run.accs);
    free(run.clones);
    free(private_acc);
    return ok;
}
