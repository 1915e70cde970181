/* interp_internal.h: the plan interpreter's structures, shared by interp_prep.c (turns the IR into
 * a tree of steps with numbered value slots and last uses), interp.c (runs the steps) and
 * interp_ploop.c (the parallel loop forms). Private to executor/. */
#ifndef DMLC_EXECUTOR_INTERP_INTERNAL_H
#define DMLC_EXECUTOR_INTERP_INTERNAL_H

#include "codegen/jit.h"
#include "executor/eval.h"
#include "executor/pool.h"
#include "executor/runtime.h"
#include "support/arena.h"

typedef struct Block Block;

/* How a parallel loop runs: chosen at preparation (interp_par_classify) from the class the
 * dependence pass recorded on the loop op (passes/depend.c), its consistency and what its body
 * does. */
typedef enum {
    SCHED_SEQUENTIAL, /* in order on the calling worker (sched_reason says why) */
    SCHED_CHUNKS,     /* bsp / independent / reduction: parallel chunks (interp_par.c) */
    SCHED_STRATA,     /* serial two-axis nonzeros loops: P x P strata (interp_strata.c) */
    SCHED_STRADS,     /* schedule(...): parallel priorities and conflicts, bsp round (interp_sched.c) */
    SCHED_HOGWILD,    /* async: each worker its share, shared state in place (interp_async.c) */
    SCHED_SSP,        /* ssp(s): as async, clocked, at most s ahead (interp_ssp.c) */
} LoopSched;

/* One op of the IR, ready to run: where its operands and results live and which slots die after
 * it. */
typedef struct {
    const IrOp *op;
    int *in, *out;    /* slot numbers of operands and results */
    int *release;     /* slots whose last use (in this region) is this step */
    int nrelease;
    Block *regions[3];
    int nregions;
    int sym;          /* state or config index for state.* / cfg.* / size.get, else -1 */
    uint64_t key;     /* stable number of the op in the module (seeds random ops) */
    /* state.write_index / state.accumulate: the `index` attribute (NULL: whole) and, for
     * accumulations, the mode (looked up once: they run once per loop iteration) */
    const IrAttr *index_attr;
    RtApplyMode acc_mode;
    /* parallel loops: the state symbols the body writes or accumulates (declared outside it) */
    int *written;
    int nwritten;
    /* parallel loops: how they run and why (interp_par_classify); par is sched == SCHED_CHUNKS */
    LoopSched sched;
    bool par;
    const char *par_reason;
    const char *loop_class; /* the dependence pass's class attribute ("independent", ...) or NULL */
    bool *written_index; /* per written state: the body writes elements of it (not accumulates) */
    const char *label;   /* "parallel for (line 16)": names the loop's tasks in traces */
    /* the dataflow graph of the region (interp_graph.c) */
    bool value_step;     /* computes values only: may run concurrently with its segment */
    bool heavy;          /* a kernel, BLAS, or an op on large tensors */
    int *preds;          /* value steps: the steps of the segment it waits for */
    int npreds;
    int seg_len;         /* first step of a segment: its number of steps, else 0 */
    int seg_critical;    /* first step of a segment: steps on its longest dependency path */
    bool seg_concurrent; /* first step of a segment: two heavy steps are independent */
    int seg_id;          /* concurrent segments: index into Interp.seg_ns */
} Step;

/* A region: its block arguments' slots and its steps. */
struct Block {
    int *args;
    int nargs;
    int *release_args; /* block arguments never used: released right after they are bound */
    int nrelease_args;
    Step *steps;
    int nsteps;
};

typedef enum { STATE_INPUT, STATE_PARAM, STATE_VAR, STATE_CONFIG, STATE_SIZE } StateKind;

/* How writes reach a state's live value while a parallel schedule shares it among workers. */
typedef enum {
    INPLACE_NO,     /* copy on write (tensor_make_unique), as everywhere outside such loops */
    INPLACE_PLAIN,  /* in place: the schedule guarantees no two workers touch one element */
    INPLACE_ATOMIC, /* in place, element by element with atomics (async / ssp: nothing lost) */
} InplaceMode;

/* A named thing: an input, param, var, config or size, with its current value. */
typedef struct {
    const char *name;
    StateKind kind;
    Type type;          /* declared type (inputs, params, vars) */
    const IrOp *decl;   /* the declaring op (where sizes are bound, for messages) */
    RtValue value;
    bool bound;         /* sizes: bound yet; configs always */
    /* bsp bookkeeping while a parallel loop runs */
    RtValue snap;       /* the value when the loop began */
    RtValue acc;        /* accumulations of this loop execution */
    bool in_loop;       /* snap / acc are live */
    int64_t *stamps;    /* per element: 1 + the iteration that wrote it in this loop, or 0 */
    InplaceMode inplace; /* set by a schedule for the loop's duration (the tensor made unique
                          * first); reads still take references to the live tensor */
} State;

/* One write made by the running bsp iteration, replayed when the iteration reads its own state. */
typedef struct {
    int sym;
    RtSelection sel;
    bool whole;
    RtValue value;
    RtApplyMode mode;
} OwnWrite;

/* What the running parallel loop iterates over, for messages about an iteration. */
typedef struct {
    IrOpcode kind;
    int64_t lo;            /* range: the first index */
    const Tensor *csr;     /* nonzeros: the matrix */
    const int64_t *kept;   /* schedule: the kept candidates */
} IterSet;

typedef struct {
    const IrModule *module;
    const RtOptions *opt;
    Arena arena;
    Block *body;
    int nslots;
    RtValue *slots;
    State *states;
    int nstates, states_cap;
    RtEvalContext eval;
    Jit *jit;
    RtError *err;
    /* the outermost sequential loop: its current iteration and bound, for log steps */
    int loop_depth;
    int64_t step, steps;
    int64_t steps_run; /* iterations of outermost loops so far (RtStats.steps) */
    /* the running bsp iteration (NULL outside a bsp loop) */
    bool in_bsp;
    int64_t bsp_iteration;
    OwnWrite *own;
    int nown, own_cap;
    RtValue *own_view; /* per state: this iteration's view (snap + own writes), or empty */
    int *own_count;    /* per state: writes and accumulations by the running iteration */
    uint64_t schedule_round;
    const IterSet *iter_set;
    bool stopped_nan;
    /* the parallel executor */
    Pool *pool;
    bool on_worker;    /* a clone running a chunk of a parallel loop: nothing spawns tasks */
    bool deterministic; /* --deterministic: chunking independent of the worker count */
    RtValue *chunk_acc; /* per state: the running chunk's accumulators (NULL outside chunks) */
    const IrOp *eval_op; /* the op rt_eval_op is evaluating (labels its blocks in traces) */
    TensorPlacer placer; /* installed while the run lasts when the pool has several domains */
    bool placing;
    /* per concurrent segment: nanoseconds of its last run in order (-1: never run), shared by
     * clones (only the driving thread runs segments as graphs) */
    int nsegments;
    int64_t *seg_ns;
    struct LoopCache *caches; /* owned by the driving interpreter (clones share, never free) */
    struct SspRun *ssp; /* ssp(s) shares still running past their loop (interp_ssp.c), or NULL */
} Interp;

/* Data a schedule keeps for one loop between its executions (strata buckets, conflict memos),
 * freed with the interpreter. */
typedef struct LoopCache {
    struct LoopCache *next;
    const Step *step;
    void *data;
    void (*free_data)(void *data);
} LoopCache;

typedef enum { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE, FLOW_ERROR } Flow;

/* interp.c: per-loop caches */
/* The data cached for step s, or NULL. */
void *interp_loop_cache(const Interp *it, const Step *s);
/* Caches data for step s (replacing and freeing any earlier); false when out of memory (then
 * data is freed). */
bool interp_loop_cache_set(Interp *it, const Step *s, void *data, void (*free_data)(void *));

/* interp_prep.c */
bool interp_prepare(Interp *it);
int interp_state_find(const Interp *it, const char *name);

/* interp.c */
/* Releases everything the interpreter holds (after interp_prepare, run or not). */
void interp_free(Interp *it);
Flow interp_block(Interp *it, const Block *b);
/* Runs one step (its releases are the caller's). */
Flow interp_exec_step(Interp *it, const Step *s);
/* Runs a region that ends in ir.yield and stores the yielded value in *out (owned). */
bool interp_region_value(Interp *it, const Block *b, RtValue *out);
bool interp_state_read(Interp *it, const Step *s, RtValue *out);
/* Checks a value's shape against a symbolic type, binding size names not bound yet; `what` names
 * the value in the message. */
bool interp_check_shape(Interp *it, const IrOp *op, const Type *t, RtValue v, const char *what);
/* Runs a region once with its block arguments bound to args; stores what it yields. */
bool interp_region_with(Interp *it, const Block *b, const RtValue *args, RtValue *results,
                        int nresults);

/* interp_ploop.c */
bool interp_ploop(Interp *it, const Step *s);
/* Writes and accumulations (whole or selected) to state, honouring bsp rules when a loop runs. */
bool interp_state_write(Interp *it, const Step *s);
bool interp_state_accumulate(Interp *it, const Step *s);
/* The running bsp iteration's view of a state it has written: the snapshot plus its own writes. */
bool interp_own_view(Interp *it, const Step *s, int sym, RtValue *out);
/* Runs a parallel loop's body once as iteration `counter` (under bsp: its own writes dropped
 * afterwards). */
bool interp_run_body(Interp *it, const Step *s, const Block *body, bool bsp, int64_t counter);
/* Runs iterations [a, b) of the set in order (range: lo + k; nonzeros: the k-th stored entry in
 * CSR order; schedule: kept[k]), each as interp_run_body with counter k. */
bool interp_run_iterations(Interp *it, const Step *s, const IterSet *set, int64_t a, int64_t b,
                           bool bsp);
/* target (op)= v for a scalar or a whole tensor (made unique first). */
bool interp_apply_whole(Interp *it, const IrOp *op, RtValue *target, RtValue v, RtApplyMode mode);

/* interp_place.c: rows per block of the fixed cut of a space whose rows have row_elems elements
 * (kernels cut their work, and placement splits tensors over domains, by it). */
int64_t interp_block_rows(int64_t row_elems);
/* Fills a placer for the pool's topology; false when it has one domain (nothing to place). */
bool interp_placer_init(TensorPlacer *placer, const Pool *pool);

/* interp_kernel.c: runs a compiled kernel over the space outer x inner (bufs and scalars as the
 * kernel ABI wants them), in fixed row blocks on the pool when the space is large. */
bool interp_kernel_run(Interp *it, const Step *s, const JitKernel *k, int64_t outer, int64_t inner,
                       void *const *bufs, const uint64_t *scalars);

/* interp_graph.c: the dataflow graph of a region's value steps */
/* Cuts the block's steps into segments and finds each segment's dependencies (after the release
 * lists are known). */
void interp_graph_build(Interp *it, Block *blk);
/* Marks every segment in blk and the regions inside it as run in order: the bodies of parallel
 * loops (whose iterations are the parallelism) and of kernels. */
void interp_graph_serial(Block *blk);
/* Runs the segment that starts at step a as a task graph on the pool (the caller checks
 * seg_concurrent); releases what the steps release. */
bool interp_graph_run(Interp *it, const Block *blk, int a);

/* interp_par.c: how parallel loops run; bsp loops in parallel chunks */
/* Decides at preparation how a parallel loop runs (Step.sched and par_reason). */
void interp_par_classify(Interp *it, Step *s);
/* Why the body cannot run in parallel pieces at all (it logs, prints, does I/O, assigns a whole
 * outer value, declares state or nests a parallel loop), or NULL. Fills index_written (per
 * written state: the body writes elements of it) when not NULL. */
const char *interp_body_blocker(Interp *it, const Step *s, bool *index_written);
/* Runs a range / nonzeros loop in chunks: fixed chunks of iterations as pool tasks, each with its
 * own accumulators, combined in a fixed tree order. */
bool interp_par_loop(Interp *it, const Step *s);
/* The same over any iteration set of n iterations (schedule: the kept candidates), under bsp;
 * chunks have at least min_chunk iterations. The caller has not begun bsp bookkeeping. */
bool interp_par_run(Interp *it, const Step *s, const IterSet *set, int64_t n, int64_t min_chunk);

/* interp_ploop.c: a range / nonzeros loop run in order on the calling worker (any consistency:
 * one worker is every model's valid execution), and the bsp bookkeeping of such a loop */
bool interp_ploop_in_order(Interp *it, const Step *s);
void interp_bsp_begin(Interp *it, const Step *s);
bool interp_bsp_end(Interp *it, const Step *s);

/* interp_strata.c: serial two-axis nonzeros loops as P x P strata (P = workers): in round t,
 * worker p runs block (p, (p + t) mod P) in order; the blocks of a round in parallel. */
bool interp_strata_loop(Interp *it, const Step *s);

/* interp_sched.c: schedule(...) loops (STRADS): priorities and conflict checks computed in
 * parallel, then the bsp round over the kept set in parallel chunks. */
bool interp_schedule_loop(Interp *it, const Step *s);

/* interp_async.c: async (Hogwild) loops: each worker runs its share in order on the shared state;
 * accumulations are atomic, so none is lost. */
bool interp_async_loop(Interp *it, const Step *s);
/* target (op)= v in place with atomic element updates (a scalar state, a whole tensor, or the
 * selection sel): for states in INPLACE_ATOMIC mode. */
bool interp_atomic_apply(Interp *it, const IrOp *op, RtValue *target, bool whole,
                         const RtSelection *sel, RtValue v, RtApplyMode mode);
/* Shares (async loops here; ssp loops in interp_ssp.c): one execution's n iterations cut into
 * nshares contiguous blocks, share p run in order by a clone of the interpreter on the shared
 * state. */
/* The loop's iterations (from its operands) as an IterSet; returns how many. */
int64_t interp_share_iters(const Interp *it, const Step *s, IterSet *set);
/* Puts the states the loop writes in INPLACE_ATOMIC mode, each tensor made unique first (a state
 * already atomic is left alone); saved receives their modes before (s->nwritten entries). The
 * caller calls interp_share_end afterwards, also when this fails. */
bool interp_share_begin(Interp *it, const Step *s, InplaceMode *saved);
/* Restores the modes interp_share_begin saved. */
void interp_share_end(Interp *it, const Step *s, const InplaceMode *saved);
/* A clone of the interpreter that runs shares: its own slots (a borrowed copy of the driver's),
 * no loop caches, no ssp run, on cache lines of its own; NULL when memory runs out. */
Interp *interp_share_clone_new(const Interp *it);
/* Frees a clone (NULL is fine); the values in its slots are borrowed and stay. */
void interp_share_clone_free(Interp *cl);
/* Runs share p of nshares (the p-th contiguous block of the set's n iterations, n / nshares or
 * n / nshares + 1 of them) in order on the clone cl, whose err the caller set. */
bool interp_share_run(Interp *cl, const Step *s, const IterSet *set, int64_t n, int p, int nshares);


/* interp_ssp.c: ssp(s) loops: as async, each worker's clock ticks at the end of its share, and
 * no worker starts clock c before every worker has finished clock c - s - 1. */
bool interp_ssp_loop(Interp *it, const Step *s);
/* While shares run past their loop (it->ssp): true when the driver may run step s alongside
 * them; else the driver drains first. */
bool interp_ssp_may_overlap(const Interp *it, const Step *s);
/* Waits for every share still running and ends the ssp bookkeeping (the outermost loop ends, or
 * a step needs the state they write); false with it->err set when a share failed. */
bool interp_ssp_drain(Interp *it);

/* interp_layout.c: layouts that follow access (the dependence pass's `layout` attribute) */
/* Gives an input read by columns in a parallel loop (layout = "columns") a column-major copy. */
bool interp_layout_input(Interp *it, const Step *s, RtValue *value);

#endif
