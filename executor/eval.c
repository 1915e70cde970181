/* eval.c: STUB, replaced by the evaluation helper. */
#include "executor/eval.h"

bool rt_eval_op(const RtEvalContext *ctx, const IrOp *op, uint64_t op_key, const RtValue *args,
                RtValue *results, RtError *err)
{
    return rt_op_errorf(err, op, "'%s' is not implemented yet", ir_op_info(op->opcode)->name);
}

bool rt_selection_resolve(const IrOp *op, const IrAttr *index, const RtValue *operands,
                          int noperands, int rank, const int64_t *shape, RtSelection *sel,
                          RtError *err)
{
    return rt_op_errorf(err, op, "selections are not implemented yet");
}

bool rt_selection_apply(const IrOp *op, Tensor *dst, const RtSelection *sel, RtValue v,
                        RtApplyMode mode, RtError *err)
{
    return rt_op_errorf(err, op, "selections are not implemented yet");
}

bool rt_selection_read(const IrOp *op, const Tensor *src, const RtSelection *sel, RtValue *out,
                       RtError *err)
{
    return rt_op_errorf(err, op, "selections are not implemented yet");
}

void rt_selection_for_each(const RtSelection *sel, const int64_t *shape,
                           void (*fn)(int64_t offset, void *user), void *user)
{
}

bool rt_broadcast_shapes(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                         int64_t *out)
{
    return false;
}
