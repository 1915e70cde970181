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
    /* parallel loops: the state symbols the body writes or accumulates (declared outside it) */
    int *written;
    int nwritten;
    /* bsp range / nonzeros loops: true when the iterations are independent or only accumulate,
     * so chunks of them run in parallel (interp_par.c); else par_reason says why not */
    bool par;
    const char *par_reason;
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
} Interp;

typedef enum { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE, FLOW_ERROR } Flow;

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

/* interp_par.c: bsp loops in parallel chunks */
/* Decides at preparation whether a bsp range / nonzeros loop can run in parallel chunks. */
void interp_par_classify(Interp *it, Step *s);
/* Runs such a loop: fixed chunks of iterations as pool tasks, each with its own accumulators,
 * combined in a fixed tree order. */
bool interp_par_loop(Interp *it, const Step *s);

#endif
