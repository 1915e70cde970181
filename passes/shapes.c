/* shapes.c: symbolic shape inference (the `shapes` pass): fills `?` dimensions that can be
 * derived, and leaves every known dimension as it is.
 *
 * Contract: consumes a verified module; replaces a result's `?` dimension by a constant or a
 * size/config name only where that is what the op produces whenever it runs without a run-time
 * error. What it derives:
 *   - i64 scalars are tracked as affine forms k * atom + c, where an atom is a size or config name
 *     (size.get, cfg.get, t.rows/t.cols/t.len of a named dimension) or any other i64 value (a
 *     loop variable, a t.index, ...), through ir.const, t.add, t.sub, t.neg and t.mul by a
 *     constant (wrapping, as the run time computes them);
 *   - t.slice: a ":" position keeps the dimension; a range lo..hi (lo = 0 and hi = the dimension
 *     when omitted) has length hi - lo when that is a constant >= 0 (x[i..i+3] has 3 elements) or
 *     a name (x[0..n]); with a constant dimension and constant bounds only when
 *     0 <= lo <= hi <= dimension (out of range is a run-time error);
 *   - t.reshape and the constructors (zeros, ones, full, randn, uniform, randint, eye, arange):
 *     a size operand that is a constant >= 0 or a name gives that dimension; reshape's -1 is the
 *     operand's element count divided by the other sizes when that leaves a constant or one name;
 *   - elementwise ops: a `?` result dimension takes a broadcast operand's known dimension other
 *     than 1 (or 1 when every operand has 1 there); reductions, softmax, transpose, matmul,
 *     matvec, vecmat and gather take their operands' dimensions; ad.grad's results and region
 *     arguments take its operands' types.
 * One forward walk suffices: values are defined before their uses and state carries no shapes
 * across iterations. If the refined module does not verify (two derived constants that must agree
 * do not: the program would fail at run time there), every change is undone and a warning names
 * the op, so a module that verified before still verifies. */
#include "passes/passes.h"
#include "passes/ptrmap.h"

#include "support/die.h"

#include <stdlib.h>
#include <string.h>

/* k * atom + c; an atom is a size or config name (sym) or any other value (value). */
typedef struct {
    int64_t k, c;
    const char *sym;
    const IrValue *value;
} Affine;

typedef struct {
    IrValue *value;
    Type before;
} Change;

typedef struct {
    IrModule *module;
    Arena scratch;
    PtrMap affine; /* IrValue * (i64 scalar) -> Affine * */
    Change *changes;
    int nchanges, capchanges;
} Shapes;

/* ---- affine forms of i64 scalars ---- */

static int64_t wrap_add(int64_t a, int64_t b)
{
    uint64_t u = (uint64_t)a + (uint64_t)b;
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(UINT64_MAX - u) - 1;
}

/* a * b wrapping modulo 2^64. */
static int64_t wrap_mul(int64_t a, int64_t b)
{
    uint64_t u = (uint64_t)a * (uint64_t)b;
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(UINT64_MAX - u) - 1;
}

/* The form of a constant. */
static Affine constant(int64_t c)
{
    return (Affine){.c = c};
}

/* The form of a size or config name. */
static Affine named(const char *sym)
{
    return (Affine){.k = 1, .sym = sym};
}

/* True when a and b are multiples of the same atom. */
static bool same_atom(const Affine *a, const Affine *b)
{
    if (a->sym || b->sym)
        return a->sym && b->sym && strcmp(a->sym, b->sym) == 0;
    return a->value == b->value;
}

/* a + sign * b, when both have the same atom (or one is a constant). */
static bool affine_add(const Affine *a, const Affine *b, int64_t sign, Affine *out)
{
    Affine sb = {wrap_mul(sign, b->k), wrap_mul(sign, b->c), b->sym, b->value};
    if (a->k == 0) {
        *out = sb;
        out->c = wrap_add(out->c, a->c);
    } else if (sb.k == 0 || same_atom(a, &sb)) {
        *out = *a;
        out->k = wrap_add(a->k, sb.k);
        out->c = wrap_add(a->c, sb.c);
    } else {
        return false;
    }
    if (out->k == 0)
        out->sym = NULL, out->value = NULL;
    return true;
}

/* The form recorded for an i64 scalar, or NULL. */
static const Affine *affine_of(const Shapes *s, const IrValue *v)
{
    return ptrmap_get(&s->affine, v);
}

/* The affine form of a dimension: a constant or a name; false for `?`. */
static bool affine_of_dim(Dim d, Affine *out)
{
    if (d.kind == DIM_CONST)
        *out = constant(d.value);
    else if (d.kind == DIM_SYM)
        *out = named(d.sym);
    else
        return false;
    return true;
}

/* Computes the affine form of an i64 scalar result from its op and operands. */
static Affine affine_for(const Shapes *s, const IrOp *op)
{
    const IrValue *v = op->results[0];
    Affine self = {.k = 1, .value = v};
    const Affine *a = op->noperands > 0 ? affine_of(s, op->operands[0]) : NULL;
    const Affine *b = op->noperands > 1 ? affine_of(s, op->operands[1]) : NULL;
    Affine out;
    switch (op->opcode) {
    case IR_OP_CONST: {
        const IrAttr *at = ir_get_attr(op, "value");
        return at && at->kind == IR_ATTR_INT ? constant(at->int_value) : self;
    }
    case IR_OP_SIZE_GET:
    case IR_OP_CFG_GET:
        return ir_op_symbol(op) ? named(ir_op_symbol(op)) : self;
    case IR_OP_ROWS:
    case IR_OP_COLS:
    case IR_OP_LEN: {
        const Type *t = &op->operands[0]->type;
        int axis = op->opcode == IR_OP_COLS ? 1 : 0;
        if (axis < t->rank && affine_of_dim(t->dims[axis], &out))
            return out;
        return self;
    }
    case IR_OP_ADD:
    case IR_OP_SUB:
        if (a && b && affine_add(a, b, op->opcode == IR_OP_ADD ? 1 : -1, &out))
            return out;
        return self;
    case IR_OP_NEG: {
        Affine zero = constant(0);
        if (a && affine_add(&zero, a, -1, &out))
            return out;
        return self;
    }
    case IR_OP_MUL:
        if (a && b && (a->k == 0 || b->k == 0)) {
            const Affine *scale = a->k == 0 ? a : b, *x = a->k == 0 ? b : a;
            out = *x;
            out.k = wrap_mul(x->k, scale->c);
            out.c = wrap_mul(x->c, scale->c);
            if (out.k == 0)
                out.sym = NULL, out.value = NULL;
            return out;
        }
        return self;
    default:
        return self;
    }
}

/* The dimension an affine form denotes: a constant >= 0 or a bare name; `?` otherwise. */
static Dim dim_of(const Affine *a)
{
    if (a && a->k == 0 && a->c >= 0)
        return (Dim){.kind = DIM_CONST, .value = a->c};
    if (a && a->k == 1 && a->c == 0 && a->sym)
        return (Dim){.kind = DIM_SYM, .sym = a->sym};
    return (Dim){.kind = DIM_ANY};
}

/* The unknown dimension `?`. */
static Dim any_dim(void)
{
    return (Dim){.kind = DIM_ANY};
}

/* ---- the rules: each fills `want` with what the op's result dimensions are ---- */

/* Length of lo..hi over a dimension `d` (lo NULL: 0; hi NULL: the dimension). */
static Dim range_length(const Affine *lo, const Affine *hi, Dim d)
{
    Affine zero = constant(0), whole, length;
    if (!lo)
        lo = &zero;
    if (!hi) {
        if (!affine_of_dim(d, &whole))
            return any_dim();
        hi = &whole;
    }
    if (!affine_add(hi, lo, -1, &length))
        return any_dim();
    if (length.k == 0 && length.c < 0)
        return any_dim(); /* an error at run time */
    if (lo->k == 0 && hi->k == 0 && d.kind == DIM_CONST && (lo->c < 0 || hi->c > d.value))
        return any_dim(); /* out of range: an error at run time (or clamped, for literals) */
    return dim_of(&length);
}

/* One dimension per non-"i" position of the `index` attribute. */
static void slice_rule(const Shapes *s, const IrOp *op, Type *want)
{
    const IrAttr *index = ir_get_attr(op, "index");
    const Type *x = &op->operands[0]->type;
    if (!index || index->kind != IR_ATTR_STRINGS || index->count != x->rank)
        return;
    int next = 1; /* the operand of the next bound or index */
    for (int i = 0; i < index->count; i++) {
        const char *p = index->strings[i];
        if (strcmp(p, "i") == 0) {
            next++;
            continue;
        }
        if (strcmp(p, ":") == 0) {
            want->dims[want->rank++] = x->dims[i];
            continue;
        }
        bool has_lo = p[0] == 'a', has_hi = p[strlen(p) - 1] == 'b';
        const Affine *lo = NULL, *hi = NULL;
        if (has_lo && next < op->noperands)
            lo = affine_of(s, op->operands[next++]);
        if (has_hi && next < op->noperands)
            hi = affine_of(s, op->operands[next++]);
        bool bounds_known = (!has_lo || lo) && (!has_hi || hi);
        want->dims[want->rank++] = bounds_known ? range_length(lo, hi, x->dims[i]) : any_dim();
    }
}

/* Constant factor and names of a shape's element count; false when a dimension is `?` or the
 * constant overflows. */
typedef struct {
    int64_t factor;
    const char *names[TYPE_MAX_RANK];
    int nnames;
} Count;

/* Multiplies a dimension into an element count; false for `?` or on overflow. */
static bool count_add_dim(Count *c, Dim d)
{
    if (d.kind == DIM_CONST)
        return !__builtin_mul_overflow(c->factor, d.value, &c->factor);
    if (d.kind == DIM_SYM) {
        c->names[c->nnames++] = d.sym;
        return true;
    }
    return false;
}

/* reshape's -1: the operand's count over the other result dimensions. */
static Dim inferred_dim(const Type *x, const Dim *others, int nothers)
{
    Count total = {.factor = 1}, rest = {.factor = 1};
    for (int i = 0; i < x->rank; i++)
        if (!count_add_dim(&total, x->dims[i]))
            return any_dim();
    for (int i = 0; i < nothers; i++)
        if (!count_add_dim(&rest, others[i]))
            return any_dim();
    for (int i = 0; i < rest.nnames; i++) {
        int found = -1;
        for (int j = 0; j < total.nnames && found < 0; j++)
            if (total.names[j] && strcmp(total.names[j], rest.names[i]) == 0)
                found = j;
        if (found < 0)
            return any_dim();
        total.names[found] = NULL;
    }
    if (rest.factor <= 0 || total.factor % rest.factor != 0)
        return any_dim();
    int64_t factor = total.factor / rest.factor;
    const char *left = NULL;
    int nleft = 0;
    for (int j = 0; j < total.nnames; j++)
        if (total.names[j])
            left = total.names[j], nleft++;
    if (nleft == 0)
        return (Dim){.kind = DIM_CONST, .value = factor};
    if (nleft == 1 && factor == 1)
        return (Dim){.kind = DIM_SYM, .sym = left};
    return any_dim();
}

/* One dimension per size operand, then reshape's -1. */
static void reshape_rule(const Shapes *s, const IrOp *op, Type *want)
{
    int rank = op->results[0]->type.rank;
    int inferred = -1;
    if (op->noperands != rank + 1)
        return;
    for (int i = 0; i < rank; i++) {
        const Affine *a = affine_of(s, op->operands[1 + i]);
        if (a && a->k == 0 && a->c == -1 && inferred < 0)
            inferred = i;
        want->dims[i] = dim_of(a);
    }
    want->rank = rank;
    if (inferred >= 0) {
        Dim others[TYPE_MAX_RANK];
        int n = 0;
        for (int i = 0; i < rank; i++)
            if (i != inferred)
                others[n++] = want->dims[i];
        want->dims[inferred] = inferred_dim(&op->operands[0]->type, others, n);
    }
}

/* Dimensions from a constructor's size operands (eye: n x n; arange: its length). */
static void constructor_rule(const Shapes *s, const IrOp *op, Type *want)
{
    int rank = op->results[0]->type.rank;
    const Affine *a = op->noperands > 0 ? affine_of(s, op->operands[0]) : NULL;
    want->rank = rank;
    switch (op->opcode) {
    case IR_OP_EYE:
        want->dims[0] = want->dims[1] = dim_of(a);
        return;
    case IR_OP_ARANGE:
        if (op->noperands == 1)
            want->dims[0] = dim_of(a);
        else
            want->dims[0] = range_length(a, affine_of(s, op->operands[1]), any_dim());
        return;
    default: {
        int first = op->opcode == IR_OP_FULL ? 1 : 0;
        if (op->noperands < first + rank)
            return;
        for (int i = 0; i < rank; i++)
            want->dims[i] = dim_of(affine_of(s, op->operands[first + i]));
        return;
    }
    }
}

/* NumPy broadcasting: the result's dimension at each position from the aligned operands. */
static void broadcast_rule(const IrOp *op, Type *want)
{
    int rank = op->results[0]->type.rank;
    want->rank = rank;
    for (int i = 0; i < rank; i++) {
        Dim found = any_dim();
        bool all_one = true;
        for (int k = 0; k < op->noperands; k++) {
            const Type *t = &op->operands[k]->type;
            int at = i - (rank - t->rank);
            if (at < 0)
                continue;
            Dim d = t->dims[at];
            if (d.kind != DIM_CONST || d.value != 1) {
                all_one = false;
                if (d.kind != DIM_ANY && found.kind == DIM_ANY)
                    found = d;
            }
        }
        want->dims[i] = found.kind != DIM_ANY ? found
                        : all_one             ? (Dim){.kind = DIM_CONST, .value = 1}
                                              : any_dim();
    }
}

/* Dimension i of a matrix operand as stored, or transposed when its attribute says so. */
static Dim matrix_dim(const IrOp *op, int operand, const char *transposed, int i)
{
    const IrAttr *a = ir_get_attr(op, transposed);
    bool t = a && a->kind == IR_ATTR_BOOL && a->bool_value;
    return op->operands[operand]->type.dims[t ? 1 - i : i];
}

/* Transpose, matmul/matvec/vecmat, softmax, gather and reductions. */
static void other_rules(const IrOp *op, Type *want)
{
    const Type *x = &op->operands[0]->type;
    const Type *r = &op->results[0]->type;
    want->rank = r->rank;
    switch (op->opcode) {
    case IR_OP_TRANSPOSE:
        if (x->rank == 2 && r->rank == 2)
            want->dims[0] = x->dims[1], want->dims[1] = x->dims[0];
        return;
    case IR_OP_MATMUL:
        if (x->rank == 2 && op->operands[1]->type.rank == 2 && r->rank == 2) {
            want->dims[0] = matrix_dim(op, 0, "transpose_a", 0);
            want->dims[1] = matrix_dim(op, 1, "transpose_b", 1);
        }
        return;
    case IR_OP_MATVEC:
        if (x->rank == 2 && r->rank == 1)
            want->dims[0] = matrix_dim(op, 0, "transpose_a", 0);
        return;
    case IR_OP_VECMAT:
        if (op->operands[1]->type.rank == 2 && r->rank == 1)
            want->dims[0] = matrix_dim(op, 1, "transpose_b", 1);
        return;
    case IR_OP_SOFTMAX:
        if (x->rank == r->rank)
            memcpy(want->dims, x->dims, sizeof want->dims);
        return;
    case IR_OP_GATHER: {
        const Type *idx = &op->operands[1]->type;
        const IrAttr *axis = ir_get_attr(op, "axis");
        if (!axis || axis->kind != IR_ATTR_INT || x->rank - 1 + idx->rank != r->rank)
            return;
        int n = 0;
        for (int i = 0; i < x->rank; i++) {
            if (i != axis->int_value) {
                want->dims[n++] = x->dims[i];
                continue;
            }
            for (int k = 0; k < idx->rank; k++)
                want->dims[n++] = idx->dims[k];
        }
        return;
    }
    default:
        if (ir_op_has_flag(op->opcode, IR_REDUCTION)) {
            const IrAttr *axis = ir_get_attr(op, "axis");
            int n = 0;
            for (int i = 0; axis && i < x->rank && n < r->rank; i++)
                if (i != axis->int_value)
                    want->dims[n++] = x->dims[i];
        }
        return;
    }
}

/* ---- applying ---- */

static void remember(Shapes *s, IrValue *v)
{
    if (s->nchanges == s->capchanges) {
        s->capchanges = s->capchanges ? s->capchanges * 2 : 32;
        s->changes = realloc(s->changes, sizeof *s->changes * s->capchanges);
        if (!s->changes)
            DIE("out of memory");
    }
    s->changes[s->nchanges++] = (Change){v, v->type};
}

/* Sets v's `?` dimensions that `want` knows. */
static void refine(Shapes *s, IrValue *v, const Type *want)
{
    Type *t = &v->type;
    if (want->rank != t->rank)
        return;
    bool remembered = false;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i].kind != DIM_ANY || want->dims[i].kind == DIM_ANY)
            continue;
        if (want->dims[i].kind == DIM_CONST && want->dims[i].value < 0)
            continue;
        if (!remembered)
            remember(s, v);
        remembered = true;
        t->dims[i] = want->dims[i];
    }
}

/* True when some dimension of t is `?`. */
static bool has_unknown_dim(const Type *t)
{
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i].kind == DIM_ANY)
            return true;
    return false;
}

static void shapes_region(Shapes *s, IrRegion *r);

/* Refines one op's results, records the affine form of an i64 result, and walks its regions. */
static void shapes_op(Shapes *s, IrOp *op)
{
    if (op->opcode == IR_OP_AD_GRAD) {
        for (int i = 0; i < op->noperands && i < op->nresults; i++) {
            refine(s, op->results[i], &op->operands[i]->type);
            if (i < op->regions[0]->nargs)
                refine(s, op->regions[0]->args[i], &op->operands[i]->type);
        }
    } else if (op->nresults == 1 && op->noperands > 0 && has_unknown_dim(&op->results[0]->type)) {
        Type want = {.dtype = op->results[0]->type.dtype};
        unsigned flags = ir_op_info(op->opcode)->flags;
        if (op->opcode == IR_OP_SLICE)
            slice_rule(s, op, &want);
        else if (op->opcode == IR_OP_RESHAPE)
            reshape_rule(s, op, &want);
        else if (flags & IR_CONSTRUCTOR)
            constructor_rule(s, op, &want);
        else if (flags & IR_ELEMENTWISE)
            broadcast_rule(op, &want);
        else
            other_rules(op, &want);
        refine(s, op->results[0], &want);
    }
    if (op->nresults == 1 && op->results[0]->type.rank == 0 &&
        op->results[0]->type.dtype == DT_I64) {
        Affine *a = ARENA_NEW(&s->scratch, Affine);
        *a = affine_for(s, op);
        ptrmap_put(&s->affine, op->results[0], a);
    }
    if (op->opcode != IR_OP_K_FUSED)
        for (int i = 0; i < op->nregions; i++)
            shapes_region(s, op->regions[i]);
}

/* Block arguments that are i64 scalars are atoms of their own. */
static void shapes_region(Shapes *s, IrRegion *r)
{
    for (int i = 0; i < r->nargs; i++) {
        if (r->args[i]->type.rank == 0 && r->args[i]->type.dtype == DT_I64) {
            Affine *a = ARENA_NEW(&s->scratch, Affine);
            *a = (Affine){.k = 1, .value = r->args[i]};
            ptrmap_put(&s->affine, r->args[i], a);
        }
    }
    for (IrOp *op = r->first; op; op = op->next)
        shapes_op(s, op);
}

/* The first op (in print order) whose types changed, for the warning. */
static const IrOp *first_changed_op(const Shapes *s)
{
    for (int i = 0; i < s->nchanges; i++)
        if (s->changes[i].value->def)
            return s->changes[i].value->def;
    return NULL;
}

/* The forward walk, then the check that undoes it all when the module no longer verifies. */
bool pass_shapes(IrModule *m, DiagList *diags)
{
    Shapes s = {.module = m};
    arena_init(&s.scratch);
    shapes_region(&s, m->body);
    if (s.nchanges > 0) {
        DiagList scratch_diags;
        diag_init(&scratch_diags, diags->file);
        if (!ir_verify(m, &scratch_diags)) {
            const IrOp *op = first_changed_op(&s);
            Diag *d = diag_warning(diags, op && op->has_span ? op->span : (Span){0, 0},
                                   "shape inference found dimensions that cannot agree at run "
                                   "time; shapes are left as written");
            if (d && !(op && op->has_span))
                d->has_span = false;
            for (int i = s.nchanges - 1; i >= 0; i--)
                s.changes[i].value->type = s.changes[i].before;
        }
        diag_free(&scratch_diags);
    }
    free(s.changes);
    ptrmap_free(&s.affine);
    arena_free(&s.scratch);
    return true;
}
