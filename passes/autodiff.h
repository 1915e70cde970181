/* autodiff.h: what the autodiff pass's files share (private to passes/autodiff*.c).
 *
 * autodiff.c expands one ad.grad at a time: it moves the region's forward ops before the grad op,
 * marks the values that depend on the differentiated block arguments ("active"), then walks the
 * forward ops backwards, and for each active op asks autodiff_rules.c for the adjoints of its
 * operands. autodiff_emit.c builds the ops the rules need, each inserted just before the grad op
 * and stamped with its location, so a run-time error in derivative code points at the grad. */
#ifndef DMLC_PASSES_AUTODIFF_H
#define DMLC_PASSES_AUTODIFF_H

#include "ir/ir.h"
#include "support/diag.h"

#include <stddef.h>

/* One entry of the per-grad value table: whether the value depends on a differentiated argument,
 * and its adjoint so far (NULL: none yet). */
typedef struct {
    const IrValue *key;
    IrValue *adjoint;
    bool active;
} AdEntry;

/* A hash table from values to AdEntry (open addressing). */
typedef struct {
    AdEntry *slots;
    size_t cap, len;
} AdTable;

/* The expansion of one ad.grad. */
typedef struct {
    IrModule *module;
    DiagList *diags;
    IrOp *grad;     /* the op being expanded: new ops go just before it, with its location */
    IrRegion *body; /* its region: the block arguments stand for the grad's operands */
    AdTable values;
} AdContext;

/* ---- autodiff.c ---- */

/* The value the forward ops compute with: a block argument of the grad's region stands for the
 * grad's operand; any other value is itself. */
IrValue *ad_primal(const AdContext *c, IrValue *v);
bool ad_is_active(const AdContext *c, const IrValue *v);
/* Adds `contribution` (of v's type) to v's adjoint. Does nothing when v is not active. */
void ad_accumulate(AdContext *c, IrValue *v, IrValue *contribution);
/* Reports an error on the op's span (or the grad's when the op has none). */
void ad_error(AdContext *c, const IrOp *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- autodiff_rules.c ---- */

/* How an op's result depends on one of its operands. */
typedef enum {
    AD_NOT_DIFFERENTIABLE, /* no derivative: differentiating through it is an error */
    AD_ZERO,               /* piecewise constant or not a number (sign, floor, an index): 0 */
    AD_DIFFERENTIABLE,     /* a rule below computes the operand's adjoint */
} AdDependence;

AdDependence ad_dependence(const IrOp *op, int operand);
/* NULL when the rule for op covers its operand types; else why not (for a diagnostic). */
const char *ad_unsupported_reason(const IrOp *op);
/* Adds the adjoints of op's active operands, given the adjoint g of its (single) result. */
void ad_backprop(AdContext *c, const IrOp *op, IrValue *g);

/* ---- autodiff_emit.c: builders; every op goes just before c->grad ---- */

IrValue *ad_emit(AdContext *c, IrOpcode opcode, IrValue *const *operands, int noperands,
                 Type result);
IrValue *ad_float(AdContext *c, DType dtype, double v); /* an ir.const of a float dtype */
IrValue *ad_int(AdContext *c, int64_t v);               /* an i64 ir.const */
/* The run-time size of dimension k of v (an i64 scalar): a constant, a shape query on v, or the
 * size or config its symbolic type names. NULL (with an error) when it cannot be known. */
IrValue *ad_dim(AdContext *c, IrValue *v, int k);

/* NumPy's broadcast of two types, with the given dtype. */
Type ad_broadcast_type(const Type *a, const Type *b, DType dtype);
IrValue *ad_unary(AdContext *c, IrOpcode opcode, IrValue *x);              /* x's type */
IrValue *ad_binary(AdContext *c, IrOpcode opcode, IrValue *a, IrValue *b); /* arith or compare */
IrValue *ad_where(AdContext *c, IrValue *cond, IrValue *a, IrValue *b);
/* where(cond, g, 0): g where cond holds, else zero. */
IrValue *ad_mask(AdContext *c, IrValue *cond, IrValue *g);
IrValue *ad_cast(AdContext *c, IrValue *x, DType dtype);
IrValue *ad_transpose(AdContext *c, IrValue *x);
/* t.sum, t.max, ... over `axis` (-1: everything, a scalar). */
IrValue *ad_reduce(AdContext *c, IrOpcode opcode, IrValue *x, int axis);
/* x reshaped to `type`, the sizes taken from `sizes` (one per dimension of type). */
IrValue *ad_reshape(AdContext *c, IrValue *x, Type type, IrValue *const *sizes);
/* A tensor of like's type filled with the scalar v (of like's dtype); v itself for a scalar. */
IrValue *ad_fill_like(AdContext *c, IrValue *like, IrValue *v);
IrValue *ad_zeros_like(AdContext *c, IrValue *like);
/* The number of elements of x (all of them, or along axis), as a scalar of the given dtype. */
IrValue *ad_count(AdContext *c, IrValue *x, int axis, DType dtype);

/* g (of a result's type) summed over the dimensions that `operand` was broadcast along, so that
 * it has the operand's type. The broadcast dimensions are read from the symbolic types: the
 * leading ones and those of size 1; a dimension of unknown size ('?') is summed in a way that is
 * right whether or not it turns out to be 1 at run time. */
IrValue *ad_unbroadcast(AdContext *c, IrValue *g, IrValue *operand);
/* A value of a reduction's result shape (x reduced over axis, or over everything for axis -1)
 * made to broadcast against x: a size-1 dimension put back at axis. */
IrValue *ad_expand_reduced(AdContext *c, IrValue *v, IrValue *x, int axis);
/* The boolean mask of x's shape that is true exactly at the elements a selection picks: for
 * each dimension an index (`index[k]`, or NULL for a whole dimension) or a half-open range
 * lo[k] <= i < hi[k] (`lo[k]`, `hi[k]` non-NULL). NULL when every dimension is whole. */
IrValue *ad_selection_mask(AdContext *c, IrValue *x, IrValue *const *index, IrValue *const *lo,
                           IrValue *const *hi);
/* arange(size of dimension k of x), a vector of the given integer dtype. */
IrValue *ad_arange(AdContext *c, IrValue *x, int k, DType dtype);
/* The same, shaped to broadcast along dimension k of x (trailing size-1 dimensions). */
IrValue *ad_axis_positions(AdContext *c, IrValue *x, int k, DType dtype);

#endif
