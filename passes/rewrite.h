/* rewrite.h: editing the IR in place, shared by the passes: use lists, replacing every use of a
 * value, erasing, inserting and moving ops, and questions about where a value lives.
 *
 * The IR itself keeps no use lists (ir/ir.h); a Rewriter builds them for one pass over one module
 * and keeps them exact through its own edit functions, so a pass must make every operand change
 * through rw_set_operand / rw_replace_all_uses, register the ops it creates with rw_track and
 * remove ops with rw_erase. Every edit is O(1) (replace-all-uses: O(uses)). Scratch memory lives
 * in the Rewriter and is freed by rw_free; the IR's own memory stays in the module's arena. */
#ifndef DMLC_PASSES_REWRITE_H
#define DMLC_PASSES_REWRITE_H

#include "ir/ir.h"
#include "passes/ptrmap.h"

#include <stdbool.h>

/* One use of a value: operand `index` of `op`; linked into the value's list of uses. */
typedef struct RwUse RwUse;
struct RwUse {
    IrOp *op;
    int index;
    IrValue *value;
    RwUse *prev, *next;
};

typedef struct {
    IrModule *module;
    Arena scratch; /* use nodes and lists */
    PtrMap lists;  /* IrValue * -> RwUseList * */
    PtrMap nodes;  /* IrOp * -> RwUse[noperands] */
} Rewriter;

/* Builds the use lists of every op in the module. */
void rw_init(Rewriter *rw, IrModule *m);
void rw_free(Rewriter *rw);

/* Registers the operands of an op the pass created (and of the ops in its regions). */
void rw_track(Rewriter *rw, IrOp *op);

int rw_use_count(const Rewriter *rw, const IrValue *v);
/* The first use of v (follow ->next); NULL when v is unused. */
RwUse *rw_first_use(const Rewriter *rw, const IrValue *v);
/* True when no result of op is used. */
bool rw_results_unused(const Rewriter *rw, const IrOp *op);

void rw_set_operand(Rewriter *rw, IrOp *op, int index, IrValue *v);
/* Makes every use of `from` a use of `to`. */
void rw_replace_all_uses(Rewriter *rw, IrValue *from, IrValue *to);

/* Unlinks op from its region and drops its uses (and those of the ops in its regions). Its
 * results must be unused. */
void rw_erase(Rewriter *rw, IrOp *op);

/* Linking: an op is in at most one region. unlink keeps the op's uses (for moving it). */
void rw_unlink(IrOp *op);
void rw_insert_before(IrOp *anchor, IrOp *op);
void rw_insert_after(IrOp *anchor, IrOp *op);

/* The region a value is defined in (its op's region, or the region whose argument it is). */
IrRegion *rw_value_region(const IrValue *v);
/* True when `outer` is `inner` or encloses it. */
bool rw_region_encloses(const IrRegion *outer, const IrRegion *inner);
/* The op of `region` that is or contains `op` (NULL when op is not inside region). */
IrOp *rw_ancestor_in(IrOp *op, const IrRegion *region);

/* Removes the attribute `name` from op, if it has one. */
void rw_remove_attr(IrOp *op, const char *name);

/* A new op like ir_op_new, placed before `anchor`, with anchor's location and span, tracked. */
IrOp *rw_new_op_before(Rewriter *rw, IrOp *anchor, IrOpcode opcode, IrValue *const *operands,
                       int noperands, const Type *result_types, int nresults);

#endif
