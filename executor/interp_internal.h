/* interp_internal.h: the plan interpreter's structures, shared by interp_prep.c (turns the IR into
 * a tree of steps with numbered value slots and last uses), interp.c (runs the steps) and
 * interp_ploop.c (the parallel loop forms). Private to executor/. */
#ifndef DMLC_EXECUTOR_INTERP_INTERNAL_H
#define DMLC_EXECUTOR_INTERP_INTERNAL_H

#include "codegen/jit.h"
#include "executor/eval.h"
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
} Interp;

typedef enum { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE, FLOW_ERROR } Flow;

/* interp_prep.c */
bool interp_prepare(Interp *it);
int interp_state_find(const Interp *it, const char *name);

/* interp.c */
Flow interp_block(Interp *it, const Block *b);
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

#endif
