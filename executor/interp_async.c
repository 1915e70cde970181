/* interp_async.c: async (Hogwild) loops. NOT DONE YET: runs the loop in order (a valid execution of the
 * loop's consistency on one worker) until the schedule is written. */
#include "executor/interp_internal.h"

bool interp_async_loop(Interp *it, const Step *s)
{
    return interp_ploop_in_order(it, s);
}

bool interp_atomic_apply(Interp *it, const IrOp *op, RtValue *target, bool whole,
                         const RtSelection *sel, RtValue v, RtApplyMode mode)
{
    (void)target;
    (void)whole;
    (void)sel;
    (void)v;
    (void)mode;
    return rt_op_errorf(it->err, op, "atomic updates are not implemented yet");
}
