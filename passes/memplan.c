/* memplan.c: the `memplan` pass: buffer reuse hints. An elementwise op or a k.fused kernel whose
 * result 0 may be written into the buffer of one of its operands gets `inplace = K` (the
 * operand's index).
 *
 * Contract: consumes a verified module; only adds `inplace` attributes. Operand K qualifies when
 *   - it is a dense tensor with result 0's dtype and shape (same rank, every dimension known and
 *     equal: a constant or a size name, never `?`);
 *   - it is the result of an op in the same region (not a block argument, and not a value from
 *     an enclosing region, which a loop would need again in its next iteration);
 *   - that op is not a state.read or state.input (the state or input table still holds the
 *     buffer);
 *   - this op is its last use: no later op of the region uses it, directly or inside its
 *     regions (earlier uses have run by then).
 * The first qualifying operand is chosen. The hint is safe on its own terms, and the run time
 * still checks that it holds the only reference before reusing a buffer (value.h: a state slot
 * or a second SSA use keeps a reference). Bodies of k.fused ops are left alone: a kernel writes
 * its own results. */
#include "passes/passes.h"
#include "passes/rewrite.h"

#include <stdint.h>

/* Same dtype, rank >= 1, dense, and every dimension known and equal. */
static bool same_known_shape(const Type *a, const Type *b)
{
    if (a->rank != b->rank || a->rank == 0 || a->sparse || b->sparse || a->dtype != b->dtype)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i].kind == DIM_ANY || !type_dim_equal(a->dims[i], b->dims[i]))
            return false;
    return true;
}

typedef struct {
    Rewriter rw;
    PtrMap position; /* IrOp * -> 1 + its index in its region */
} Planner;

/* True when no op after `op` in its region (or inside such an op) uses v. */
static bool last_used_by(const Planner *p, const IrValue *v, const IrOp *op)
{
    intptr_t at = (intptr_t)ptrmap_get(&p->position, op);
    for (const RwUse *u = rw_first_use(&p->rw, v); u; u = u->next) {
        const IrOp *user = rw_ancestor_in(u->op, op->parent);
        if (!user || (intptr_t)ptrmap_get(&p->position, user) > at)
            return false;
    }
    return true;
}

/* True when result 0 of op may take operand k's buffer (the rules above). */
static bool may_reuse(const Planner *p, const IrOp *op, int k)
{
    const IrValue *v = op->operands[k];
    if (!v->def || v->def->parent != op->parent)
        return false;
    if (v->def->opcode == IR_OP_STATE_READ || v->def->opcode == IR_OP_STATE_INPUT)
        return false;
    return same_known_shape(&v->type, &op->results[0]->type) && last_used_by(p, v, op);
}

/* Elementwise ops and kernels. */
static bool takes_hint(const IrOp *op)
{
    return op->nresults >= 1 && (op->opcode == IR_OP_K_FUSED ||
                                 (ir_op_has_flag(op->opcode, IR_ELEMENTWISE) && op->nresults == 1));
}

/* Numbers the region's ops, marks them, and goes into nested regions (not kernels). */
static void plan_region(Planner *p, IrRegion *r)
{
    intptr_t n = 0;
    for (IrOp *op = r->first; op; op = op->next)
        ptrmap_put(&p->position, op, (void *)++n);
    for (IrOp *op = r->first; op; op = op->next) {
        if (takes_hint(op)) {
            for (int k = 0; k < op->noperands; k++) {
                if (may_reuse(p, op, k)) {
                    ir_set_int(p->rw.module, op, "inplace", k);
                    break;
                }
            }
        }
        if (op->opcode != IR_OP_K_FUSED)
            for (int i = 0; i < op->nregions; i++)
                plan_region(p, op->regions[i]);
    }
}

/* Marks every region of the module. */
bool pass_memplan(IrModule *m, DiagList *diags)
{
    Planner p = {0};
    rw_init(&p.rw, m);
    plan_region(&p, m->body);
    ptrmap_free(&p.position);
    rw_free(&p.rw);
    return true;
}
