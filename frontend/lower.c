/* lower.c: the typed AST to IR: declarations to resources, expressions to ops, loops to regions.
 *
 * Contract: consumes a Program that sema_check accepted and builds an IrModule that ir_verify
 * accepts. The mapping (docs/ir.md, "From DML to IR"):
 *   - config: cfg.decl at its statement, cfg.get at each use; a size name: size.get;
 *   - input: the value of its initialiser, named by state.input; let: just the SSA value;
 *   - param / var: state.param / state.var (a var inside any block gets a fresh symbol
 *     NAME.K, K counting from 1 through the module); each read is a state.read;
 *   - assignments: state.write, state.write_index, state.accumulate (+= -=); *= and /= read,
 *     combine and write;
 *   - weak scalars are made explicit: a literal becomes an ir.const of the dtype it takes, any
 *     other operand of another dtype a t.cast, so every op sees operands of its own dtype;
 *   - fn calls are inlined: the body's lets and return expression are lowered with the
 *     parameters bound to the arguments and the fn's size names to the arguments' sizes;
 *   - for / while / if, parallel for, schedule lambdas and grad become ops with regions.
 * Every op carries the line:col of the expression or statement it comes from. */
#include "frontend/lower.h"

#include "frontend/builtins.h"
#include "support/die.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Calls nested deeper than this are reported instead of recursing further; sema rejects
 * recursion, so only absurd programs come near it. */
enum { LOWER_MAX_INLINE_DEPTH = 64, LOWER_MAX_GENERIC_SIZES = 32 };

/* The sizes of a fn's parameters bound by one call: name -> the argument's dimension. */
typedef struct {
    const char *names[LOWER_MAX_GENERIC_SIZES];
    Dim dims[LOWER_MAX_GENERIC_SIZES];
    int n;
} DimSubst;

typedef struct {
    const Program *prog;
    IrModule *module;
    Arena *arena;
    DiagList *diags;
    IrBuilder b;
    IrValue **values;       /* by Symbol.id: the value of a let, input, loop variable, ... */
    const char **resources; /* by Symbol.id: the state symbol of a param or var */
    Type *resource_types;   /* by Symbol.id: its declared IR type */
    int block_depth;        /* 0 while lowering top-level statements */
    int nlocal_vars;
    int inline_depth;
    const DimSubst *subst; /* the sizes of the fn being inlined */
    bool failed;
} Lowerer;

static IrValue *lower_expr(Lowerer *L, Expr *e);
static bool lower_stmt(Lowerer *L, Stmt *s);
static void lower_block(Lowerer *L, Block *b);

/* ---- diagnostics, locations, types ---- */

static void unsupported(Lowerer *L, Span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void unsupported(Lowerer *L, Span at, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    L->failed = true;
    diag_error(L->diags, at, "cannot lower this to IR: %s", what);
}

static void locate(Lowerer *L, Span at)
{
    uint32_t line = 0, col = 0;
    if (L->prog->file)
        src_line_col(L->prog->file, at.begin, &line, &col);
    L->b.loc = (IrLoc){L->prog->file ? L->prog->file->path : NULL, line, col};
    L->b.span = at;
    L->b.has_span = true;
}

static IrOp *emit_op(Lowerer *L, Span at, IrOpcode opcode, IrValue *const *operands, int n,
                     const Type *results, int nresults)
{
    locate(L, at);
    return ir_build_op(&L->b, opcode, operands, n, results, nresults);
}

static IrValue *emit(Lowerer *L, Span at, IrOpcode opcode, IrValue *const *operands, int n,
                     Type result)
{
    return emit_op(L, at, opcode, operands, n, &result, 1)->results[0];
}

/* The IR type of an AST type: never weak, with the inlined fn's sizes replaced. */
static Type ir_type(const Lowerer *L, const Type *t)
{
    Type r = *t;
    r.weak = false;
    for (int i = 0; L->subst && i < r.rank; i++) {
        if (r.dims[i].kind != DIM_SYM)
            continue;
        for (int k = 0; k < L->subst->n; k++) {
            if (strcmp(L->subst->names[k], r.dims[i].sym) == 0) {
                r.dims[i] = L->subst->dims[k];
                break;
            }
        }
    }
    return r;
}

static Type with_dtype(Type t, DType d)
{
    t.dtype = d;
    return t;
}

/* The dtype two operands of a comparison meet in, by the weak-scalar rules of LANGUAGE.md
 * section 3 (as sema applies them to arithmetic). */
static int dtype_category(DType t)
{
    return t == DT_BOOL ? 0 : type_is_int(t) ? 1 : 2;
}

static DType wider_dtype(DType a, DType b)
{
    return a > b ? a : b; /* bool < i32 < i64 < f32 < f64 */
}

static DType common_dtype(const Type *a, const Type *b)
{
    if (a->rank > 0 && b->rank > 0)
        return wider_dtype(a->dtype, b->dtype);
    if (a->rank > 0 || b->rank > 0) {
        const Type *scalar = a->rank == 0 ? a : b, *tensor = a->rank == 0 ? b : a;
        if (dtype_category(scalar->dtype) <= dtype_category(tensor->dtype))
            return tensor->dtype;
        if (!scalar->weak)
            return scalar->dtype;
        return dtype_category(scalar->dtype) == 2 ? DT_F64 : DT_I64;
    }
    if (a->weak == b->weak)
        return wider_dtype(a->dtype, b->dtype);
    const Type *weak = a->weak ? a : b, *strong = a->weak ? b : a;
    if (dtype_category(weak->dtype) <= dtype_category(strong->dtype))
        return strong->dtype;
    return dtype_category(weak->dtype) == 2 ? DT_F64 : DT_I64;
}

/* ---- constants and conversions ---- */

static IrValue *const_int(Lowerer *L, Span at, DType d, int64_t v)
{
    IrValue *c = emit(L, at, IR_OP_CONST, NULL, 0, type_scalar(d));
    ir_set_int(L->module, c->def, "value", v);
    return c;
}

static IrValue *const_float(Lowerer *L, Span at, DType d, double v)
{
    IrValue *c = emit(L, at, IR_OP_CONST, NULL, 0, type_scalar(d));
    ir_set_float(L->module, c->def, "value", v);
    return c;
}

static IrValue *const_bool(Lowerer *L, Span at, bool v)
{
    IrValue *c = emit(L, at, IR_OP_CONST, NULL, 0, type_scalar(DT_BOOL));
    ir_set_bool(L->module, c->def, "value", v);
    return c;
}

/* A number of dtype d (used for defaults such as randn's scale 1.0). */
static IrValue *const_number(Lowerer *L, Span at, DType d, double v)
{
    if (type_is_float(d))
        return const_float(L, at, d, v);
    if (d == DT_BOOL)
        return const_bool(L, at, v != 0);
    return const_int(L, at, d, (int64_t)v);
}

static IrValue *cast_to(Lowerer *L, Span at, IrValue *v, DType d)
{
    if (v->type.dtype == d)
        return v;
    return emit(L, at, IR_OP_CAST, &v, 1, with_dtype(v->type, d));
}

typedef enum { LIT_NONE, LIT_INT, LIT_FLOAT, LIT_BOOL } LiteralKind;

typedef struct {
    LiteralKind kind;
    int64_t i;
    double f;
    bool b;
} Literal;

/* A literal, possibly negated (-1, -0.5), or LIT_NONE. */
static Literal literal_value(const Expr *e)
{
    Literal lit = {0};
    bool negate = false;
    if (e->kind == EX_UNARY && e->op == OP_NEG && e->lhs &&
        (e->lhs->kind == EX_INT || e->lhs->kind == EX_FLOAT)) {
        negate = true;
        e = e->lhs;
    }
    if (e->kind == EX_INT) {
        lit.kind = LIT_INT;
        lit.i = negate ? (int64_t)(0 - (uint64_t)e->int_value) : e->int_value;
    } else if (e->kind == EX_FLOAT) {
        lit.kind = LIT_FLOAT;
        lit.f = negate ? -e->float_value : e->float_value;
    } else if (e->kind == EX_BOOL) {
        lit.kind = LIT_BOOL;
        lit.b = e->bool_value;
    }
    return lit;
}

static IrValue *const_literal(Lowerer *L, Span at, Literal lit, DType d)
{
    if (type_is_float(d))
        return const_float(L, at, d,
                           lit.kind == LIT_FLOAT ? lit.f
                           : lit.kind == LIT_INT ? (double)lit.i
                                                 : lit.b);
    if (d == DT_BOOL)
        return const_bool(L, at,
                          lit.kind == LIT_BOOL  ? lit.b
                          : lit.kind == LIT_INT ? lit.i != 0
                                                : lit.f != 0);
    if (lit.kind == LIT_FLOAT) /* a float literal where an integer is wanted: convert at run time */
        return cast_to(L, at, const_float(L, at, DT_F64, lit.f), d);
    return const_int(L, at, d, lit.kind == LIT_INT ? lit.i : lit.b);
}

/* Lowers e as a value of dtype d: literals become constants of d, other values are cast. */
static IrValue *lower_as(Lowerer *L, Expr *e, DType d)
{
    Literal lit = literal_value(e);
    if (lit.kind != LIT_NONE && d != DT_STR)
        return const_literal(L, e->span, lit, d);
    return cast_to(L, e->span, lower_expr(L, e), d);
}

/* ---- sizes ---- */

static const Symbol *config_named(const Lowerer *L, const char *name)
{
    for (int i = 0; i < L->prog->nsymbols; i++) {
        const Symbol *s = L->prog->symbols[i];
        if (s && s->kind == SYM_CONFIG && strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

/* The run-time value of a dimension as an i64 scalar. */
static IrValue *dim_value(Lowerer *L, Span at, Dim d)
{
    switch (d.kind) {
    case DIM_CONST:
        return const_int(L, at, DT_I64, d.value);
    case DIM_SYM: {
        const Symbol *cfg = config_named(L, d.sym);
        IrValue *v;
        if (cfg) {
            v = emit(L, at, IR_OP_CFG_GET, NULL, 0, ir_type(L, &cfg->type));
            ir_set_symbol(L->module, v->def, "sym", d.sym);
            return cast_to(L, at, v, DT_I64);
        }
        v = emit(L, at, IR_OP_SIZE_GET, NULL, 0, type_scalar(DT_I64));
        ir_set_symbol(L->module, v->def, "sym", d.sym);
        return v;
    }
    case DIM_ANY:
        unsupported(L, at, "the shape is not known here; write it out, e.g. zeros((k, d))");
        return const_int(L, at, DT_I64, 0);
    }
    UNREACHABLE();
}

static bool type_has_unknown_dim(const Type *t)
{
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i].kind == DIM_ANY)
            return true;
    return false;
}

/* Appends one i64 operand per dimension of t; returns how many. */
static int dims_of_type(Lowerer *L, Span at, const Type *t, IrValue **out)
{
    for (int i = 0; i < t->rank; i++)
        out[i] = dim_value(L, at, t->dims[i]);
    return t->rank;
}

/* A shape argument: an integer or a tuple of integers; returns the number of dimensions. */
static int shape_operands(Lowerer *L, Expr *shape, IrValue **out)
{
    if (shape->kind != EX_TUPLE) {
        out[0] = lower_as(L, shape, DT_I64);
        return 1;
    }
    int n = shape->nelems < TYPE_MAX_RANK ? shape->nelems : TYPE_MAX_RANK;
    for (int i = 0; i < n; i++)
        out[i] = lower_as(L, shape->elems[i], DT_I64);
    return n;
}

/* A value of type `want`: the dtype converted, a scalar filled into a tensor of want's shape. */
static IrValue *coerce(Lowerer *L, Span at, IrValue *v, const Type *want)
{
    v = cast_to(L, at, v, want->dtype);
    if (v->type.rank > 0 || want->rank == 0)
        return v;
    IrValue *operands[1 + TYPE_MAX_RANK] = {v};
    int n = 1 + dims_of_type(L, at, want, operands + 1);
    return emit(L, at, IR_OP_FULL, operands, n, *want);
}

/* e as a value of type `want` (a literal directly of want's dtype). */
static IrValue *lower_to_type(Lowerer *L, Expr *e, const Type *want)
{
    return coerce(L, e->span, lower_as(L, e, want->dtype), want);
}

/* ---- arguments ---- */

static Expr *positional(const Expr *e, int k)
{
    for (int i = 0; i < e->nargs; i++)
        if (!e->args[i].name && k-- == 0)
            return e->args[i].value;
    return NULL;
}

static int count_positional(const Expr *e)
{
    int n = 0;
    for (int i = 0; i < e->nargs; i++)
        n += e->args[i].name == NULL;
    return n;
}

static Expr *keyword(const Expr *e, const char *name)
{
    for (int i = 0; i < e->nargs; i++)
        if (e->args[i].name && strcmp(e->args[i].name, name) == 0)
            return e->args[i].value;
    return NULL;
}

/* A path is a string literal (an attribute) or a string config (a cfg.get operand). */
static IrValue *path_operand(Lowerer *L, Expr *path, const char **literal)
{
    *literal = NULL;
    if (path->kind == EX_STRING) {
        *literal = path->string_value;
        return NULL;
    }
    return lower_expr(L, path);
}

/* ---- names ---- */

static IrValue *read_state(Lowerer *L, Span at, const Symbol *sym)
{
    IrValue *v = emit(L, at, IR_OP_STATE_READ, NULL, 0, L->resource_types[sym->id]);
    ir_set_symbol(L->module, v->def, "sym", L->resources[sym->id]);
    return v;
}

static IrValue *placeholder(Lowerer *L, Expr *e)
{
    Type t = ir_type(L, &e->type);
    return const_number(L, e->span, t.dtype == DT_NONE || t.dtype == DT_STR ? DT_I64 : t.dtype, 0);
}

static IrValue *lower_constructor(Lowerer *L, Expr *e, BuiltinId id);

static IrValue *lower_name(Lowerer *L, Expr *e)
{
    const Symbol *sym = e->sym;
    if (!sym) {
        if (e->builtin != BI_NONE)
            return lower_constructor(L, e, (BuiltinId)e->builtin);
        unsupported(L, e->span, "'%s' was not resolved by the checker", e->name);
        return placeholder(L, e);
    }
    IrValue *v;
    switch (sym->kind) {
    case SYM_CONFIG:
        v = emit(L, e->span, IR_OP_CFG_GET, NULL, 0, ir_type(L, &sym->type));
        ir_set_symbol(L->module, v->def, "sym", sym->name);
        return v;
    case SYM_SIZE:
        v = emit(L, e->span, IR_OP_SIZE_GET, NULL, 0, type_scalar(DT_I64));
        ir_set_symbol(L->module, v->def, "sym", sym->name);
        return v;
    case SYM_PARAM:
    case SYM_VAR:
        if (L->values[sym->id]) /* bound to a block argument inside grad */
            return L->values[sym->id];
        if (L->resources[sym->id])
            return read_state(L, e->span, sym);
        break;
    default:
        if (L->values[sym->id])
            return L->values[sym->id];
        break;
    }
    unsupported(L, e->span, "'%s' has no value at this point", e->name);
    return placeholder(L, e);
}

/* ---- indexing ---- */

/* The positions of an index expression over a tensor of rank `rank` (missing trailing
 * positions are ':'), its i64 operands in order, and the position of a tensor index. */
typedef struct {
    const char *pos[TYPE_MAX_RANK];
    int npos;
    IrValue *operands[2 * TYPE_MAX_RANK];
    int noperands;
    int gather_at; /* -1: none */
    IrValue *gather_index;
    bool all_scalar;
} IndexPlan;

static void plan_index(Lowerer *L, const Expr *e, int rank, IndexPlan *p)
{
    memset(p, 0, sizeof *p);
    p->gather_at = -1;
    p->all_scalar = true;
    p->npos = rank;
    for (int i = 0; i < rank; i++) {
        IndexItem *it = i < e->nitems ? &e->items[i] : NULL;
        if (!it || it->kind == IX_ALL || (it->kind == IX_SLICE && !it->lo && !it->hi)) {
            p->pos[i] = ":";
            p->all_scalar = false;
        } else if (it->kind == IX_SLICE) {
            p->pos[i] = it->lo && it->hi ? "a..b" : it->lo ? "a.." : "..b";
            if (it->lo)
                p->operands[p->noperands++] = lower_as(L, it->lo, DT_I64);
            if (it->hi)
                p->operands[p->noperands++] = lower_as(L, it->hi, DT_I64);
            p->all_scalar = false;
        } else if (it->expr->type.rank > 0) {
            p->pos[i] = ":";
            p->gather_at = i;
            p->gather_index = lower_expr(L, it->expr);
            p->all_scalar = false;
        } else {
            p->pos[i] = "i";
            p->operands[p->noperands++] = lower_as(L, it->expr, DT_I64);
        }
    }
}

/* base[...] by the plan, without a gather: t.index for all-scalar positions, else t.slice. */
static IrValue *emit_selection(Lowerer *L, Span at, IrValue *base, const IndexPlan *p, Type result)
{
    IrValue *operands[1 + 2 * TYPE_MAX_RANK] = {base};
    for (int i = 0; i < p->noperands; i++)
        operands[1 + i] = p->operands[i];
    if (p->all_scalar)
        return emit(L, at, IR_OP_INDEX, operands, 1 + p->noperands, result);
    IrValue *v = emit(L, at, IR_OP_SLICE, operands, 1 + p->noperands, result);
    ir_set_strings(L->module, v->def, "index", p->pos, p->npos);
    return v;
}

static bool only_full_positions(const IndexPlan *p, int except)
{
    for (int i = 0; i < p->npos; i++)
        if (i != except && strcmp(p->pos[i], ":") != 0)
            return false;
    return true;
}

static IrValue *lower_index(Lowerer *L, Expr *e)
{
    IrValue *base = lower_expr(L, e->lhs);
    IndexPlan p;
    plan_index(L, e, base->type.rank, &p);
    Type result = ir_type(L, &e->type);
    if (p.gather_at < 0)
        return emit_selection(L, e->span, base, &p, result);
    /* x[a, idx, :]: select the other positions first (idx's position kept whole), then gather
     * along what remains of that axis. */
    int axis = p.gather_at;
    IrValue *x = base;
    if (!only_full_positions(&p, p.gather_at)) {
        Type mid = {.dtype = base->type.dtype};
        int k = 0;
        axis = 0;
        for (int i = 0; i < p.npos; i++) {
            if (strcmp(p.pos[i], "i") == 0)
                continue;
            if (i < p.gather_at)
                axis++;
            if (i == p.gather_at) {
                mid.dims[mid.rank++] = base->type.dims[i];
                k += p.gather_index->type.rank;
            } else {
                mid.dims[mid.rank++] = k < result.rank ? result.dims[k] : (Dim){.kind = DIM_ANY};
                k++;
            }
        }
        x = emit_selection(L, e->span, base, &p, mid);
    }
    IrValue *operands[2] = {x, p.gather_index};
    IrValue *v = emit(L, e->span, IR_OP_GATHER, operands, 2, result);
    ir_set_int(L->module, v->def, "axis", axis);
    return v;
}

/* ---- operators ---- */

static IrOpcode binary_opcode(OpKind op)
{
    switch (op) {
    case OP_ADD:
        return IR_OP_ADD;
    case OP_SUB:
        return IR_OP_SUB;
    case OP_MUL:
        return IR_OP_MUL;
    case OP_DIV:
        return IR_OP_DIV;
    case OP_MOD:
        return IR_OP_MOD;
    case OP_POW:
        return IR_OP_POW;
    case OP_EQ:
        return IR_OP_EQ;
    case OP_NE:
        return IR_OP_NE;
    case OP_LT:
        return IR_OP_LT;
    case OP_LE:
        return IR_OP_LE;
    case OP_GT:
        return IR_OP_GT;
    case OP_GE:
        return IR_OP_GE;
    case OP_AND:
        return IR_OP_AND;
    case OP_OR:
        return IR_OP_OR;
    default:
        UNREACHABLE();
    }
}

/* a @ b by the operands' ranks: matrix-matrix, matrix-vector, vector-matrix, vector-vector. */
static IrValue *lower_matmul(Lowerer *L, Expr *e)
{
    DType d = e->type.dtype;
    IrValue *operands[2] = {lower_as(L, e->lhs, d), lower_as(L, e->rhs, d)};
    int ra = operands[0]->type.rank, rb = operands[1]->type.rank;
    IrOpcode op = ra == 2 && rb == 2   ? IR_OP_MATMUL
                  : ra == 2 && rb == 1 ? IR_OP_MATVEC
                  : ra == 1 && rb == 2 ? IR_OP_VECMAT
                                       : IR_OP_DOT;
    return emit(L, e->span, op, operands, 2, ir_type(L, &e->type));
}

static IrValue *lower_binary(Lowerer *L, Expr *e)
{
    if (e->op == OP_MATMUL)
        return lower_matmul(L, e);
    DType d;
    switch (e->op) {
    case OP_AND:
    case OP_OR:
        d = DT_BOOL;
        break;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        d = common_dtype(&e->lhs->type, &e->rhs->type);
        break;
    default:
        d = e->type.dtype;
    }
    IrValue *operands[2] = {lower_as(L, e->lhs, d), lower_as(L, e->rhs, d)};
    return emit(L, e->span, binary_opcode(e->op), operands, 2, ir_type(L, &e->type));
}

static IrValue *lower_unary(Lowerer *L, Expr *e)
{
    Literal lit = literal_value(e);
    if (lit.kind != LIT_NONE)
        return const_literal(L, e->span, lit, e->type.dtype);
    DType d = e->op == OP_NOT ? DT_BOOL : e->type.dtype;
    IrValue *x = lower_as(L, e->lhs, d);
    return emit(L, e->span, e->op == OP_NOT ? IR_OP_NOT : IR_OP_NEG, &x, 1, ir_type(L, &e->type));
}

/* ---- builtin calls ---- */

static IrOpcode builtin_opcode(BuiltinId id)
{
    switch (id) {
    case BI_SUM:
        return IR_OP_SUM;
    case BI_MEAN:
        return IR_OP_MEAN;
    case BI_MAX:
        return IR_OP_MAX;
    case BI_MIN:
        return IR_OP_MIN;
    case BI_ARGMAX:
        return IR_OP_ARGMAX;
    case BI_ARGMIN:
        return IR_OP_ARGMIN;
    case BI_COUNT_NONZERO:
        return IR_OP_COUNT_NONZERO;
    case BI_NORM:
        return IR_OP_NORM;
    case BI_LOGSUMEXP:
        return IR_OP_LOGSUMEXP;
    case BI_ABS:
        return IR_OP_ABS;
    case BI_EXP:
        return IR_OP_EXP;
    case BI_LOG:
        return IR_OP_LOG;
    case BI_LOG1P:
        return IR_OP_LOG1P;
    case BI_SQRT:
        return IR_OP_SQRT;
    case BI_SIGMOID:
        return IR_OP_SIGMOID;
    case BI_TANH:
        return IR_OP_TANH;
    case BI_RELU:
        return IR_OP_RELU;
    case BI_SIGN:
        return IR_OP_SIGN;
    case BI_FLOOR:
        return IR_OP_FLOOR;
    case BI_CEIL:
        return IR_OP_CEIL;
    case BI_ROUND:
        return IR_OP_ROUND;
    case BI_MAXIMUM:
        return IR_OP_MAXIMUM;
    case BI_MINIMUM:
        return IR_OP_MINIMUM;
    case BI_CLIP:
        return IR_OP_CLIP;
    case BI_WHERE:
        return IR_OP_WHERE;
    case BI_SOFT_THRESHOLD:
        return IR_OP_SOFT_THRESHOLD;
    case BI_DOT:
        return IR_OP_DOT;
    case BI_SOFTMAX:
        return IR_OP_SOFTMAX;
    case BI_ZEROS:
        return IR_OP_ZEROS;
    case BI_ONES:
        return IR_OP_ONES;
    case BI_FULL:
        return IR_OP_FULL;
    case BI_ARANGE:
        return IR_OP_ARANGE;
    case BI_EYE:
        return IR_OP_EYE;
    case BI_RANDN:
        return IR_OP_RANDN;
    case BI_UNIFORM:
        return IR_OP_UNIFORM;
    case BI_RANDINT:
        return IR_OP_RANDINT;
    case BI_ROWS:
        return IR_OP_ROWS;
    case BI_COLS:
        return IR_OP_COLS;
    case BI_LEN:
        return IR_OP_LEN;
    case BI_NNZ:
        return IR_OP_NNZ;
    default:
        return IR_OP_COUNT;
    }
}

/* Elementwise builtins: where's condition is bool, every other operand takes the result's
 * dtype. */
static IrValue *lower_elementwise_call(Lowerer *L, Expr *e, BuiltinId id)
{
    DType d = e->type.dtype;
    int n = count_positional(e);
    IrValue *operands[3];
    for (int i = 0; i < n && i < 3; i++)
        operands[i] = lower_as(L, positional(e, i), id == BI_WHERE && i == 0 ? DT_BOOL : d);
    return emit(L, e->span, builtin_opcode(id), operands, n < 3 ? n : 3, ir_type(L, &e->type));
}

/* axis=K as a non-negative axis of a rank-`rank` operand, or -1. */
static int axis_argument(const Expr *e, int rank)
{
    Expr *a = keyword(e, "axis");
    if (!a)
        return -1;
    Literal lit = literal_value(a);
    int64_t k = lit.kind == LIT_INT ? lit.i : 0;
    return (int)(k < 0 ? k + rank : k);
}

static IrValue *lower_reduction_call(Lowerer *L, Expr *e, BuiltinId id)
{
    IrOpcode op = builtin_opcode(id);
    IrValue *x = lower_expr(L, positional(e, 0));
    if (!ir_op_has_flag(op, IR_INDEX_RESULT))
        x = cast_to(L, e->span, x, e->type.dtype);
    int axis = axis_argument(e, x->type.rank);
    IrValue *v = emit(L, e->span, op, &x, 1, ir_type(L, &e->type));
    if (axis >= 0)
        ir_set_int(L->module, v->def, "axis", axis);
    return v;
}

static IrValue *lower_reshape(Lowerer *L, Expr *e)
{
    IrValue *operands[1 + TYPE_MAX_RANK] = {lower_expr(L, positional(e, 0))};
    int n = 1 + shape_operands(L, positional(e, 1), operands + 1);
    return emit(L, e->span, IR_OP_RESHAPE, operands, n, ir_type(L, &e->type));
}

/* zeros/ones/full/arange/eye/randn/uniform/randint: i64 sizes first (from the shape argument
 * or, without one, from the expected type), then the op's own operands (docs/ir.md). */
static IrValue *lower_constructor(Lowerer *L, Expr *e, BuiltinId id)
{
    Type t = ir_type(L, &e->type);
    DType d = t.dtype;
    int npos = e->kind == EX_CALL ? count_positional(e) : 0;
    IrValue *operands[TYPE_MAX_RANK + 3];
    int n = 0;
    if (id == BI_ARANGE || id == BI_EYE) {
        for (int i = 0; i < npos && i < 2; i++)
            operands[n++] = lower_as(L, positional(e, i), DT_I64);
        return emit(L, e->span, builtin_opcode(id), operands, n, t);
    }
    bool has_shape = (id == BI_ZEROS || id == BI_ONES || id == BI_RANDN) ? npos == 1
                     : id == BI_FULL                                     ? npos == 2
                     : id == BI_UNIFORM                                  ? npos == 1 || npos == 3
                                                                         : npos == 3;
    int first_value = has_shape ? 1 : 0;
    if (!has_shape && type_has_unknown_dim(&t) &&
        (id == BI_ZEROS || id == BI_ONES || id == BI_FULL)) {
        /* x[a..b] = zeros: the slice's length is known only at run time; a scalar fills it */
        if (id == BI_FULL)
            return lower_as(L, positional(e, 0), d);
        return const_number(L, e->span, d, id == BI_ONES ? 1 : 0);
    }
    if (id == BI_FULL)
        operands[n++] = lower_as(L, positional(e, first_value), d);
    if (has_shape)
        n += shape_operands(L, positional(e, 0), operands + n);
    else
        n += dims_of_type(L, e->span, &t, operands + n);
    if (id == BI_RANDN) {
        Expr *scale = e->kind == EX_CALL ? keyword(e, "scale") : NULL;
        operands[n++] = scale ? lower_as(L, scale, d) : const_number(L, e->span, d, 1.0);
    } else if (id == BI_UNIFORM || id == BI_RANDINT) {
        bool bounds = npos - first_value == 2;
        for (int i = 0; i < 2; i++)
            operands[n++] = bounds ? lower_as(L, positional(e, first_value + i), d)
                                   : const_number(L, e->span, d, i);
    }
    if (id == BI_RANDN || id == BI_UNIFORM || id == BI_RANDINT) {
        Expr *seed = e->kind == EX_CALL ? keyword(e, "seed") : NULL;
        if (seed)
            operands[n++] = lower_as(L, seed, DT_I64);
    }
    return emit(L, e->span, builtin_opcode(id), operands, n, t);
}

static IrValue *lower_load(Lowerer *L, Expr *e)
{
    const char *path;
    IrValue *operand = path_operand(L, positional(e, 0), &path);
    IrValue *v = emit(L, e->span, IR_OP_IO_LOAD, &operand, operand ? 1 : 0, ir_type(L, &e->type));
    if (path)
        ir_set_string(L->module, v->def, "path", path);
    return v;
}

/* The params or vars named by grad's wrt=: a tuple of names or one name. */
static int wrt_names(Expr *call, Expr ***names)
{
    Expr *w = keyword(call, "wrt");
    if (!w)
        return 0;
    if (w->kind == EX_TUPLE) {
        *names = w->elems;
        return w->nelems;
    }
    *names = &call->args[0].value;
    for (int i = 0; i < call->nargs; i++)
        if (call->args[i].value == w)
            *names = &call->args[i].value;
    return 1;
}

/* grad(f, wrt=(a, b)): ad.grad over the current values of a and b; inside its region the
 * names a and b stand for the block arguments, and f is lowered there and yielded. */
static IrOp *lower_grad(Lowerer *L, Expr *e)
{
    Expr **names = NULL;
    int n = wrt_names(e, &names);
    IrValue **operands = ARENA_ARRAY(L->arena, IrValue *, n + 1);
    Type *types = ARENA_ARRAY(L->arena, Type, n + 1);
    const char **syms = ARENA_ARRAY(L->arena, const char *, n + 1);
    for (int i = 0; i < n; i++) {
        const Symbol *sym = names[i]->sym;
        if (!sym || !L->resources[sym->id]) {
            unsupported(L, names[i]->span, "grad by something that is not a param or var");
            return NULL;
        }
        operands[i] = lower_name(L, names[i]);
        types[i] = operands[i]->type;
        syms[i] = L->resources[sym->id];
    }
    IrOp *op = emit_op(L, e->span, IR_OP_AD_GRAD, operands, n, types, n);
    ir_set_symbols(L->module, op, "wrt", syms, n);
    IrRegion *body = ir_op_region(op, 0);
    IrValue **saved = ARENA_ARRAY(L->arena, IrValue *, n + 1);
    for (int i = 0; i < n; i++) {
        saved[i] = L->values[names[i]->sym->id];
        L->values[names[i]->sym->id] = ir_region_add_arg(L->module, body, types[i]);
    }
    IrRegion *outer = L->b.region;
    L->b.region = body;
    Expr *f = positional(e, 0);
    IrValue *value = lower_expr(L, f);
    emit_op(L, f->span, IR_OP_YIELD, &value, 1, NULL, 0);
    L->b.region = outer;
    for (int i = 0; i < n; i++)
        L->values[names[i]->sym->id] = saved[i];
    return op;
}

/* ---- fn calls ---- */

static const Symbol *binding_symbol(const Stmt *s, int i)
{
    if (i < s->nnames && s->names[i].sym)
        return s->names[i].sym;
    return i == 0 ? s->sym : NULL;
}

/* Binds each size name of the parameters' types to the argument's dimension. */
static void bind_generic_sizes(const Stmt *fn, IrValue *const *args, DimSubst *subst)
{
    for (int i = 0; i < fn->nfn_params; i++) {
        const Symbol *p = fn->fn_params[i].sym;
        if (!p || p->type.rank != args[i]->type.rank)
            continue;
        for (int d = 0; d < p->type.rank; d++) {
            Dim dim = p->type.dims[d];
            if (dim.kind != DIM_SYM || subst->n == LOWER_MAX_GENERIC_SIZES)
                continue;
            bool seen = false;
            for (int k = 0; k < subst->n; k++)
                seen = seen || strcmp(subst->names[k], dim.sym) == 0;
            if (seen)
                continue;
            subst->names[subst->n] = dim.sym;
            subst->dims[subst->n++] = args[i]->type.dims[d];
        }
    }
}

static IrValue *inline_call(Lowerer *L, Expr *e)
{
    Stmt *fn = e->sym->decl;
    int n = count_positional(e);
    if (!fn || fn->kind != ST_FN || n != fn->nfn_params) {
        unsupported(L, e->span, "a call of '%s' that does not match its declaration", e->name);
        return placeholder(L, e);
    }
    if (L->inline_depth >= LOWER_MAX_INLINE_DEPTH) {
        unsupported(L, e->span, "fn calls nested more than %d deep", LOWER_MAX_INLINE_DEPTH);
        return placeholder(L, e);
    }
    IrValue **args = ARENA_ARRAY(L->arena, IrValue *, n + 1);
    IrValue **saved = ARENA_ARRAY(L->arena, IrValue *, n + 1);
    for (int i = 0; i < n; i++) {
        const Symbol *p = fn->fn_params[i].sym;
        Expr *arg = positional(e, i);
        args[i] = p ? lower_as(L, arg, p->type.dtype) : lower_expr(L, arg);
    }
    DimSubst subst = {0};
    bind_generic_sizes(fn, args, &subst);
    for (int i = 0; i < n; i++) {
        const Symbol *p = fn->fn_params[i].sym;
        if (p) {
            saved[i] = L->values[p->id];
            L->values[p->id] = args[i];
        }
    }
    const DimSubst *outer_subst = L->subst;
    L->subst = &subst;
    L->inline_depth++;
    IrValue *result = NULL;
    for (int i = 0; i < fn->body.nstmts && !L->failed; i++) {
        Stmt *s = fn->body.stmts[i];
        if (s->kind == ST_RETURN) {
            result = lower_expr(L, s->expr);
            break;
        }
        lower_stmt(L, s);
    }
    L->inline_depth--;
    L->subst = outer_subst;
    for (int i = 0; i < n; i++)
        if (fn->fn_params[i].sym)
            L->values[fn->fn_params[i].sym->id] = saved[i];
    if (!result) {
        unsupported(L, e->span, "'%s' ends without a return", e->name);
        return placeholder(L, e);
    }
    return cast_to(L, e->span, result, e->type.dtype);
}

static IrValue *lower_call(Lowerer *L, Expr *e)
{
    if (e->sym && e->sym->kind == SYM_FN)
        return inline_call(L, e);
    BuiltinId id = (BuiltinId)e->builtin;
    if (id == BI_NONE) {
        unsupported(L, e->span, "a call of '%s' that the checker did not resolve", e->name);
        return placeholder(L, e);
    }
    const BuiltinInfo *info = builtin_info(id);
    switch (info->kind) {
    case BK_ELEMENTWISE:
        return lower_elementwise_call(L, e, id);
    case BK_REDUCTION:
        return lower_reduction_call(L, e, id);
    case BK_CONSTRUCTOR:
        return lower_constructor(L, e, id);
    case BK_SHAPE_QUERY: {
        IrValue *x = lower_expr(L, positional(e, 0));
        return emit(L, e->span, builtin_opcode(id), &x, 1, type_scalar(DT_I64));
    }
    case BK_LOADER:
        if (id == BI_LOAD)
            return lower_load(L, e);
        break;
    case BK_CONVERSION: {
        IrValue *x = lower_expr(L, positional(e, 0));
        return cast_to(L, e->span, x, e->type.dtype);
    }
    case BK_SPECIAL:
        if (id == BI_DOT)
            return lower_elementwise_call(L, e, id);
        if (id == BI_SOFTMAX)
            return lower_reduction_call(L, e, id);
        if (id == BI_RESHAPE)
            return lower_reshape(L, e);
        if (id == BI_GRAD) {
            IrOp *op = lower_grad(L, e);
            if (op && op->nresults == 1)
                return op->results[0];
        }
        break;
    case BK_STATEMENT:
        break;
    }
    unsupported(L, e->span, "'%s(...)' as a value", info->name);
    return placeholder(L, e);
}

static IrValue *lower_expr(Lowerer *L, Expr *e)
{
    switch (e->kind) {
    case EX_INT:
    case EX_FLOAT:
    case EX_BOOL:
        return const_literal(L, e->span, literal_value(e), e->type.dtype);
    case EX_STRING: {
        IrValue *v = emit(L, e->span, IR_OP_CONST, NULL, 0, type_scalar(DT_STR));
        ir_set_string(L->module, v->def, "value", e->string_value);
        return v;
    }
    case EX_NAME:
        return lower_name(L, e);
    case EX_UNARY:
        return lower_unary(L, e);
    case EX_BINARY:
        return lower_binary(L, e);
    case EX_CALL:
        return lower_call(L, e);
    case EX_INDEX:
        return lower_index(L, e);
    case EX_TRANSPOSE: {
        IrValue *x = lower_expr(L, e->lhs);
        return emit(L, e->span, IR_OP_TRANSPOSE, &x, 1, ir_type(L, &e->type));
    }
    case EX_TUPLE:
    case EX_RANGE:
    case EX_LAMBDA:
        break;
    }
    unsupported(L, e->span, "a tuple, range or lambda where a value is needed");
    return placeholder(L, e);
}

/* ---- declarations ---- */

static void set_partition(Lowerer *L, IrOp *op, Partition p)
{
    if (p != PART_NONE)
        ir_set_string(L->module, op, "partition", ast_partition_name(p));
}

static void lower_config(Lowerer *L, Stmt *s)
{
    const Symbol *sym = binding_symbol(s, 0);
    Expr *init = sym && sym->config_value ? sym->config_value : s->init;
    if (!sym || !init)
        return;
    IrOp *op = emit_op(L, s->span, IR_OP_CFG_DECL, NULL, 0, NULL, 0);
    ir_set_symbol(L->module, op, "sym", sym->name);
    Literal lit = literal_value(init);
    DType d = sym->type.dtype;
    if (init->kind == EX_STRING)
        ir_set_string(L->module, op, "value", init->string_value);
    else if (type_is_float(d))
        ir_set_float(L->module, op, "value", lit.kind == LIT_FLOAT ? lit.f : (double)lit.i);
    else if (d == DT_BOOL)
        ir_set_bool(L->module, op, "value", lit.b);
    else
        ir_set_int(L->module, op, "value", lit.i);
}

static void declare_input(Lowerer *L, Stmt *s, const Symbol *sym, IrValue *v)
{
    IrValue *named = emit(L, s->span, IR_OP_STATE_INPUT, &v, 1, v->type);
    ir_set_symbol(L->module, named->def, "sym", sym->name);
    set_partition(L, named->def, s->partition);
    L->values[sym->id] = named;
}

static void lower_input(Lowerer *L, Stmt *s)
{
    if (!s->tuple) {
        const Symbol *sym = binding_symbol(s, 0);
        if (!sym)
            return;
        Type want = ir_type(L, &sym->type);
        declare_input(L, s, sym, lower_to_type(L, s->init, &want));
        return;
    }
    Expr *init = s->init;
    if (init->kind != EX_CALL || init->builtin != BI_LOAD_LIBSVM || s->nnames != 2) {
        unsupported(L, s->span, "an input tuple that is not load_libsvm(...)");
        return;
    }
    Type types[2];
    for (int i = 0; i < 2; i++) {
        const Symbol *sym = binding_symbol(s, i);
        types[i] = sym ? ir_type(L, &sym->type) : type_scalar(DT_F64);
    }
    const char *path;
    IrValue *operand = path_operand(L, positional(init, 0), &path);
    IrOp *op = emit_op(L, init->span, IR_OP_IO_LOAD_LIBSVM, &operand, operand ? 1 : 0, types, 2);
    if (path)
        ir_set_string(L->module, op, "path", path);
    for (int i = 0; i < 2; i++)
        if (binding_symbol(s, i))
            declare_input(L, s, binding_symbol(s, i), op->results[i]);
}

/* Top-level params and vars keep their names; a var inside a block is NAME.K. */
static const char *resource_name(Lowerer *L, const Symbol *sym)
{
    if (L->block_depth == 0 && L->inline_depth == 0)
        return sym->name;
    return arena_printf(L->arena, "%s.%d", sym->name, ++L->nlocal_vars);
}

static void lower_state_decl(Lowerer *L, Stmt *s)
{
    const Symbol *sym = binding_symbol(s, 0);
    if (!sym)
        return;
    Type declared = ir_type(L, &sym->type);
    IrValue *init = lower_to_type(L, s->init, &declared);
    IrOp *op = emit_op(L, s->span, s->kind == ST_PARAM ? IR_OP_STATE_PARAM : IR_OP_STATE_VAR, &init,
                       1, NULL, 0);
    const char *name = resource_name(L, sym);
    ir_set_symbol(L->module, op, "sym", name);
    ir_set_type(L->module, op, "type", declared);
    set_partition(L, op, s->partition);
    L->resources[sym->id] = name;
    L->resource_types[sym->id] = declared;
}

static void lower_let(Lowerer *L, Stmt *s)
{
    if (!s->tuple) {
        const Symbol *sym = binding_symbol(s, 0);
        if (!sym)
            return;
        Type want = ir_type(L, &sym->type);
        L->values[sym->id] = s->type ? lower_to_type(L, s->init, &want) : lower_expr(L, s->init);
        return;
    }
    Expr *init = s->init;
    IrOp *op = init->kind == EX_CALL && init->builtin == BI_GRAD ? lower_grad(L, init) : NULL;
    if (!op) {
        if (!L->failed)
            unsupported(L, s->span, "a let tuple that is not grad(...)");
        return;
    }
    for (int i = 0; i < s->nnames && i < op->nresults; i++)
        if (binding_symbol(s, i))
            L->values[binding_symbol(s, i)->id] = op->results[i];
}

/* ---- statements ---- */

static IrOp *emit_state_op(Lowerer *L, Span at, IrOpcode opcode, const char *sym,
                           IrValue *const *operands, int n)
{
    IrOp *op = emit_op(L, at, opcode, operands, n, NULL, 0);
    ir_set_symbol(L->module, op, "sym", sym);
    return op;
}

/* x = e, x += e, x -= e, x *= e, x /= e on a whole param or var. */
static void lower_whole_assign(Lowerer *L, Stmt *s, const Symbol *sym)
{
    const char *res = L->resources[sym->id];
    const Type *rt = &L->resource_types[sym->id];
    Span at = s->span;
    if (s->assign_op == ASSIGN_SET) {
        IrValue *v = lower_to_type(L, s->init, rt);
        emit_state_op(L, at, IR_OP_STATE_WRITE, res, &v, 1);
        return;
    }
    IrValue *v = lower_as(L, s->init, rt->dtype);
    if (s->assign_op == ASSIGN_ADD || s->assign_op == ASSIGN_SUB) {
        IrOp *op = emit_state_op(L, at, IR_OP_STATE_ACCUMULATE, res, &v, 1);
        ir_set_string(L->module, op, "op", s->assign_op == ASSIGN_ADD ? "add" : "sub");
        return;
    }
    IrValue *operands[2] = {read_state(L, at, sym), v};
    IrValue *updated =
        emit(L, at, s->assign_op == ASSIGN_MUL ? IR_OP_MUL : IR_OP_DIV, operands, 2, *rt);
    emit_state_op(L, at, IR_OP_STATE_WRITE, res, &updated, 1);
}

/* x[i] = e, X[i, :] += e, ...: the index operands follow the value. */
static void lower_indexed_assign(Lowerer *L, Stmt *s, const Symbol *sym)
{
    const char *res = L->resources[sym->id];
    const Type *rt = &L->resource_types[sym->id];
    Span at = s->span;
    IrValue *v = lower_as(L, s->init, rt->dtype);
    IndexPlan p;
    plan_index(L, s->target, rt->rank, &p);
    if (p.gather_at >= 0) {
        unsupported(L, s->target->span, "assignment through a tensor of indices (a scatter)");
        return;
    }
    if (s->assign_op == ASSIGN_MUL || s->assign_op == ASSIGN_DIV) {
        IrValue *part =
            emit_selection(L, at, read_state(L, at, sym), &p, ir_type(L, &s->target->type));
        IrValue *operands[2] = {part, v};
        v = emit(L, at, s->assign_op == ASSIGN_MUL ? IR_OP_MUL : IR_OP_DIV, operands, 2,
                 part->type);
    }
    IrValue *operands[1 + 2 * TYPE_MAX_RANK] = {v};
    for (int i = 0; i < p.noperands; i++)
        operands[1 + i] = p.operands[i];
    bool accumulate = s->assign_op == ASSIGN_ADD || s->assign_op == ASSIGN_SUB;
    IrOp *op = emit_state_op(L, at, accumulate ? IR_OP_STATE_ACCUMULATE : IR_OP_STATE_WRITE_INDEX,
                             res, operands, 1 + p.noperands);
    ir_set_strings(L->module, op, "index", p.pos, p.npos);
    if (accumulate)
        ir_set_string(L->module, op, "op", s->assign_op == ASSIGN_ADD ? "add" : "sub");
}

static void lower_assign(Lowerer *L, Stmt *s)
{
    Expr *name = s->target->kind == EX_INDEX ? s->target->lhs : s->target;
    const Symbol *sym = name->kind == EX_NAME ? name->sym : NULL;
    if (!sym || !L->resources[sym->id]) {
        unsupported(L, s->target->span, "assignment to something that is not a param or var");
        return;
    }
    if (s->target->kind == EX_INDEX)
        lower_indexed_assign(L, s, sym);
    else
        lower_whole_assign(L, s, sym);
}

/* log(k=e, ...), print(...), save(x, path), assert(c, "message") */
static void lower_call_stmt(Lowerer *L, Stmt *s)
{
    Expr *e = s->expr;
    int n = e->nargs;
    IrValue **values = ARENA_ARRAY(L->arena, IrValue *, n + 1);
    switch ((BuiltinId)(e->kind == EX_CALL ? e->builtin : BI_NONE)) {
    case BI_LOG_METRICS: {
        const char **keys = ARENA_ARRAY(L->arena, const char *, n + 1);
        for (int i = 0; i < n; i++) {
            keys[i] = e->args[i].name ? e->args[i].name : "";
            values[i] = lower_expr(L, e->args[i].value);
        }
        IrOp *op = emit_op(L, e->span, IR_OP_OBS_LOG, values, n, NULL, 0);
        ir_set_strings(L->module, op, "keys", keys, n);
        return;
    }
    case BI_PRINT:
        for (int i = 0; i < n; i++)
            values[i] = lower_expr(L, e->args[i].value);
        emit_op(L, e->span, IR_OP_OBS_PRINT, values, n, NULL, 0);
        return;
    case BI_SAVE: {
        const char *path;
        values[0] = lower_expr(L, positional(e, 0));
        values[1] = path_operand(L, positional(e, 1), &path);
        IrOp *op = emit_op(L, e->span, IR_OP_IO_SAVE, values, values[1] ? 2 : 1, NULL, 0);
        if (path)
            ir_set_string(L->module, op, "path", path);
        return;
    }
    case BI_ASSERT: {
        IrValue *c = lower_as(L, positional(e, 0), DT_BOOL);
        Expr *m = positional(e, 1);
        const char *message = "assertion failed";
        if (m && m->kind == EX_STRING)
            message = m->string_value;
        else if (m && m->sym && m->sym->config_value && m->sym->config_value->kind == EX_STRING)
            message = m->sym->config_value->string_value;
        IrOp *op = emit_op(L, e->span, IR_OP_OBS_ASSERT, &c, 1, NULL, 0);
        ir_set_string(L->module, op, "message", message);
        return;
    }
    default:
        lower_expr(L, e); /* a value computed for nothing: canonicalisation removes it */
    }
}

/* Lowers a block into `region`, restoring the insertion point after. */
static void lower_block_into(Lowerer *L, IrRegion *region, Block *b)
{
    IrRegion *outer = L->b.region;
    L->b.region = region;
    lower_block(L, b);
    L->b.region = outer;
}

static void lower_for(Lowerer *L, Stmt *s)
{
    IrValue *bounds[2] = {lower_as(L, s->lo, DT_I64), lower_as(L, s->hi, DT_I64)};
    IrOp *op = emit_op(L, s->span, IR_OP_LOOP_FOR, bounds, 2, NULL, 0);
    IrRegion *body = ir_op_region(op, 0);
    IrValue *i = ir_region_add_arg(L->module, body, type_scalar(DT_I64));
    const Symbol *sym = binding_symbol(s, 0);
    if (sym)
        L->values[sym->id] = i;
    lower_block_into(L, body, &s->body);
}

static void lower_while(Lowerer *L, Stmt *s)
{
    IrOp *op = emit_op(L, s->span, IR_OP_LOOP_WHILE, NULL, 0, NULL, 0);
    IrRegion *outer = L->b.region;
    L->b.region = ir_op_region(op, 0);
    IrValue *c = lower_as(L, s->expr, DT_BOOL);
    emit_op(L, s->expr->span, IR_OP_YIELD, &c, 1, NULL, 0);
    L->b.region = outer;
    lower_block_into(L, ir_op_region(op, 1), &s->body);
}

static void lower_if(Lowerer *L, Stmt *s)
{
    IrValue *c = lower_as(L, s->expr, DT_BOOL);
    IrOp *op = emit_op(L, s->span, IR_OP_CTL_IF, &c, 1, NULL, 0);
    lower_block_into(L, ir_op_region(op, 0), &s->body);
    if (s->has_else)
        lower_block_into(L, ir_op_region(op, 1), &s->else_body);
}

/* Binds the parallel loop variables to the region's block arguments. */
static void bind_loop_vars(Lowerer *L, Stmt *s, IrRegion *body)
{
    for (int i = 0; i < body->nargs; i++) {
        const Symbol *sym = binding_symbol(s, i);
        if (sym)
            L->values[sym->id] = body->args[i];
    }
}

static Expr *schedule_arg(const Stmt *s, const char *name)
{
    for (int i = 0; i < s->nsched_args; i++)
        if (s->sched_args[i].name && strcmp(s->sched_args[i].name, name) == 0)
            return s->sched_args[i].value;
    return NULL;
}

/* A schedule lambda |j| e or |j, k| e as a region yielding e. */
static void lower_lambda(Lowerer *L, IrRegion *region, Expr *lambda, int nparams, DType want)
{
    if (!lambda)
        return;
    if (lambda->kind != EX_LAMBDA || lambda->nparams != nparams) {
        unsupported(L, lambda->span, "a schedule argument that is not a lambda of %d parameter%s",
                    nparams, nparams == 1 ? "" : "s");
        return;
    }
    for (int i = 0; i < nparams; i++) {
        IrValue *arg = ir_region_add_arg(L->module, region, type_scalar(DT_I64));
        if (lambda->params[i].sym)
            L->values[lambda->params[i].sym->id] = arg;
    }
    IrRegion *outer = L->b.region;
    L->b.region = region;
    IrValue *v = want == DT_NONE ? lower_expr(L, lambda->lhs) : lower_as(L, lambda->lhs, want);
    emit_op(L, lambda->lhs->span, IR_OP_YIELD, &v, 1, NULL, 0);
    L->b.region = outer;
}

static void lower_schedule(Lowerer *L, Stmt *s)
{
    Expr *range = s->iter_expr;
    if (!range || range->kind != EX_RANGE) {
        unsupported(L, s->span, "a schedule whose first argument is not a range lo..hi");
        return;
    }
    IrValue *operands[4] = {lower_as(L, range->lhs, DT_I64), lower_as(L, range->rhs, DT_I64)};
    const char *names[4] = {"lo", "hi"};
    int n = 2;
    static const char *const optional[] = {"size", "seed"};
    for (int i = 0; i < 2; i++) {
        Expr *arg = schedule_arg(s, optional[i]);
        if (!arg)
            continue;
        names[n] = optional[i];
        operands[n++] = lower_as(L, arg, DT_I64);
    }
    IrOp *op = emit_op(L, s->span, IR_OP_PLOOP_SCHEDULE, operands, n, NULL, 0);
    ir_set_string(L->module, op, "consistency", ast_consistency_name(s->consistency));
    ir_set_strings(L->module, op, "operand_names", names, n);
    Expr *priority = schedule_arg(s, "priority");
    /* a priority is any number; an integer one stays integer */
    lower_lambda(L, ir_op_region(op, 0), priority, 1, DT_NONE);
    lower_lambda(L, ir_op_region(op, 1), schedule_arg(s, "conflict"), 2, DT_BOOL);
    IrRegion *body = ir_op_region(op, 2);
    ir_region_add_arg(L->module, body, type_scalar(DT_I64));
    bind_loop_vars(L, s, body);
    lower_block_into(L, body, &s->body);
}

static void lower_parallel_for(Lowerer *L, Stmt *s)
{
    if (s->iter == ITER_SCHEDULE) {
        lower_schedule(L, s);
        return;
    }
    IrValue *operands[3];
    int n = 0;
    IrOpcode opcode;
    if (s->iter == ITER_RANGE) {
        opcode = IR_OP_PLOOP_RANGE;
        operands[n++] = lower_as(L, s->lo, DT_I64);
        operands[n++] = lower_as(L, s->hi, DT_I64);
    } else {
        opcode = IR_OP_PLOOP_NONZEROS;
        operands[n++] = lower_expr(L, s->iter_expr);
    }
    if (s->consistency == CONS_SSP && s->staleness)
        operands[n++] = lower_as(L, s->staleness, DT_I64);
    IrOp *op = emit_op(L, s->span, opcode, operands, n, NULL, 0);
    ir_set_string(L->module, op, "consistency", ast_consistency_name(s->consistency));
    IrRegion *body = ir_op_region(op, 0);
    ir_region_add_arg(L->module, body, type_scalar(DT_I64));
    if (opcode == IR_OP_PLOOP_NONZEROS) {
        ir_region_add_arg(L->module, body, type_scalar(DT_I64));
        ir_region_add_arg(L->module, body, type_scalar(operands[0]->type.dtype));
    }
    bind_loop_vars(L, s, body);
    lower_block_into(L, body, &s->body);
}

/* Lowers one statement; false after break or continue (what follows in the block is dead). */
static bool lower_stmt(Lowerer *L, Stmt *s)
{
    switch (s->kind) {
    case ST_CONFIG:
        lower_config(L, s);
        return true;
    case ST_INPUT:
        lower_input(L, s);
        return true;
    case ST_PARAM:
    case ST_VAR:
        lower_state_decl(L, s);
        return true;
    case ST_LET:
        lower_let(L, s);
        return true;
    case ST_FN:
    case ST_RETURN: /* fn bodies are lowered where they are called */
        return true;
    case ST_ASSIGN:
        lower_assign(L, s);
        return true;
    case ST_EXPR:
        lower_call_stmt(L, s);
        return true;
    case ST_FOR:
        lower_for(L, s);
        return true;
    case ST_WHILE:
        lower_while(L, s);
        return true;
    case ST_IF:
        lower_if(L, s);
        return true;
    case ST_BREAK:
    case ST_CONTINUE:
        emit_op(L, s->span, s->kind == ST_BREAK ? IR_OP_CTL_BREAK : IR_OP_CTL_CONTINUE, NULL, 0,
                NULL, 0);
        return false;
    case ST_PFOR:
        lower_parallel_for(L, s);
        return true;
    }
    UNREACHABLE();
}

static void lower_block(Lowerer *L, Block *b)
{
    L->block_depth++;
    for (int i = 0; i < b->nstmts && !L->failed; i++)
        if (!lower_stmt(L, b->stmts[i]))
            break;
    L->block_depth--;
}

IrModule *lower_program(const Program *prog, Arena *arena, DiagList *diags)
{
    Lowerer L = {.prog = prog, .arena = arena, .diags = diags};
    L.module = ir_module_new(arena);
    ir_builder_init(&L.b, L.module, L.module->body);
    int n = prog->nsymbols > 0 ? prog->nsymbols : 1;
    L.values = ARENA_ARRAY(arena, IrValue *, n);
    L.resources = ARENA_ARRAY(arena, const char *, n);
    L.resource_types = ARENA_ARRAY(arena, Type, n);
    for (int i = 0; i < prog->nstmts && !L.failed; i++)
        lower_stmt(&L, prog->stmts[i]);
    return L.failed ? NULL : L.module;
}
