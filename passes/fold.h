/* fold.h: what canonicalize may compute at compile time: scalar pure ops on ir.const operands,
 * with the exact run-time semantics of each dtype, and the algebraic identities that are exact in
 * IEEE arithmetic (docs/ir.md, "Passes", lists both).
 *
 * Folded: + - * on every numeric dtype (f32 computed in float, integers wrapping), / on floats,
 * integer % (Python's sign rule) and integer ** with a non-negative exponent, neg, abs, relu,
 * sign, floor, ceil, round (half to even), sqrt, min/max, comparisons, and/or/not, casts. Not
 * folded: what could differ from the run time or must fail there (integer division or modulo by
 * zero, a negative integer exponent, float-to-integer casts out of range, exp/log/tanh/sigmoid/
 * log1p and float ** which libm does not round exactly, float %, and the signs of zeros and nans
 * where NumPy's choice is not pinned down). */
#ifndef DMLC_PASSES_FOLD_H
#define DMLC_PASSES_FOLD_H

#include "ir/ir.h"

#include <stdbool.h>
#include <stdint.h>

/* A scalar constant: f for f32 (a value exactly representable as float) and f64; i for i32,
 * i64 and bool (0 or 1). */
typedef struct {
    DType dtype;
    double f;
    int64_t i;
} FoldValue;

/* The value of an ir.const of a numeric or bool dtype; false for other ops and strings. */
bool fold_const_of(const IrValue *v, FoldValue *out);
/* Evaluates a scalar op whose operands are the constants args; false when it must not fold. */
bool fold_eval(const IrOp *op, const FoldValue *args, FoldValue *out);
/* Sets the `value` attribute of an ir.const to v. */
void fold_set_value(IrModule *m, IrOp *constant, FoldValue v);
/* The value the op's result always equals by an exact identity (x * 1, x / 1, x - 0, x + -0.0,
 * a cast to the same type, where with a constant condition, x and true, x or false), or NULL.
 * The replacement has exactly the result's type. */
IrValue *fold_identity(const IrOp *op);

#endif
