/* interp_layout.c: layouts that follow access. The dependence pass (passes/depend.c) marks a
 * rank-2 input that a parallel loop reads by columns (Lasso's X[:, j]) with layout = "columns";
 * when such an input is declared, it gets a column companion (value.h: the transpose, each
 * column padded to whole 64-byte lines), and from then on a column slice X[:, j] is a zero-copy
 * view of one contiguous column (eval_index.c) instead of a gather of rows elements spaced a row
 * apart. Row-major users (X @ w through BLAS, kernels over X) keep the row-major elements.
 *
 * Cost: a second copy of the input (rows rounded up to 8 f64 per column, times cols), made once
 * by a blocked transpose in column blocks on the worker pool, and the input becomes read-only
 * for in-place reuse (tensor_is_unique is false for it; it is an input, so nothing writes it). */
#include "executor/interp_internal.h"

#include <string.h>

bool interp_layout_input(Interp *it, const Step *s, RtValue *value)
{
    const IrAttr *layout = ir_get_attr(s->op, "layout");
    if (!layout || layout->kind != IR_ATTR_STRING || strcmp(layout->string, "columns") != 0)
        return true; /* row-major is the default layout: nothing to do */
    if (!value->is_tensor || value->t->sparse || value->t->rank != 2)
        return true; /* only dense matrices have columns to store */
    /* the evaluator's parallel_for runs the column blocks as pool tasks (in order on a worker) */
    if (!tensor_add_columns(value->t, it->eval.parallel_for, it->eval.parallel_user))
        return rt_op_errorf(it->err, s->op, "out of memory storing '%s' by columns",
                            it->states[s->sym].name);
    return true;
}
