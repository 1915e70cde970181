/* verify.c: checks that an IR module is well formed; run after lowering, reading and every pass.
 *
 * Contract: consumes any module (built, read or rewritten, possibly broken); reports each problem
 * as an error on the op (at its span when it has one) and returns false when there was any.
 * Never aborts. The rules are those of docs/ir.md:
 *   - counts of operands, results and regions (the op table, then each op's own rule);
 *   - attributes: the names and kinds of ops.h's ATTRIBUTES column, required ones present;
 *   - dtypes and symbolic shapes (broadcasting, matmul dimensions, reductions, indexing,
 *     constructors, bool conditions); a dimension matches another unless both are known and
 *     differ ('?' or a size name against a constant are decided at run time);
 *   - regions: block argument counts and types, ir.yield exactly where a region yields values,
 *     terminators last, ctl.break / ctl.continue only inside a sequential loop, no parallel loop
 *     inside another;
 *   - dominance: an operand is defined earlier in the same region or in an enclosing one;
 *   - kernels: a k.fused region has one argument per operand (same type), holds only pure ops
 *     without regions that use nothing from outside it, and yields values of the result types;
 *     `inplace` names an operand with result 0's dtype and shape; `transpose_a`/`transpose_b`
 *     mark a dense matrix operand of t.matmul/t.matvec/t.vecmat as stored transposed;
 *   - symbols: configs and state are declared once, before use, in the same or an enclosing
 *     region; reads and writes match the declared type. */
#include "ir/ir.h"

#include "ir/valmap.h"
#include "support/die.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { SYM_KIND_CONFIG, SYM_KIND_INPUT, SYM_KIND_STATE } SymKind;

typedef struct {
    const char *name;
    SymKind kind;
    Type type;
} SymEntry;

typedef struct {
    SymEntry *items;
    int len, cap;
} SymStack;

typedef struct {
    DiagList *diags;
    IrValueMap visible; /* value -> 1 while it may be used, 0 after its region closed */
    SymStack visible_syms;
    SymStack all_syms; /* every declaration, for the module-wide uniqueness of names */
    bool ok;
    char type_text[4][128]; /* rotating buffers for types in messages */
    int next_text;
} Verifier;

/* ---- reporting ---- */

static void report(Verifier *v, const IrOp *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(Verifier *v, const IrOp *op, const char *fmt, ...)
{
    v->ok = false;
    char message[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const char *name = op ? ir_op_info(op->opcode)->name : "module";
    Span at = op && op->has_span ? op->span : (Span){0, 0};
    Diag *d = diag_error(v->diags, at, "%s: %s", name, message);
    if (d && !(op && op->has_span))
        d->has_span = false;
}

static const char *type_text(Verifier *v, const Type *t)
{
    char *out = v->type_text[v->next_text++ % 4];
    Buf b = {0};
    type_print(t, &b);
    snprintf(out, sizeof v->type_text[0], "%s", buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* ---- type predicates ---- */

static bool is_scalar(const Type *t)
{
    return t->rank == 0 && !t->sparse;
}

static bool is_numeric(DType d)
{
    return type_is_int(d) || type_is_float(d);
}

static bool is_i64_scalar(const Type *t)
{
    return is_scalar(t) && t->dtype == DT_I64;
}

static bool is_bool_scalar(const Type *t)
{
    return is_scalar(t) && t->dtype == DT_BOOL;
}

/* Two dimensions may be equal at run time unless both are known and different. */
static bool dims_compatible(Dim a, Dim b)
{
    if (a.kind == DIM_ANY || b.kind == DIM_ANY)
        return true;
    if (a.kind == DIM_CONST && b.kind == DIM_CONST)
        return a.value == b.value;
    if (a.kind == DIM_SYM && b.kind == DIM_SYM)
        return a.sym && b.sym && strcmp(a.sym, b.sym) == 0;
    return true; /* a size name against a constant: checked when the size is bound */
}

static bool shapes_compatible(const Type *a, const Type *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (!dims_compatible(a->dims[i], b->dims[i]))
            return false;
    return true;
}

/* Same dtype, sparsity and a compatible shape. */
static bool types_compatible(const Type *a, const Type *b)
{
    return a->dtype == b->dtype && a->sparse == b->sparse && shapes_compatible(a, b);
}

/* A declaration's initial value against its declared type: a size name in the declared type
 * may differ from the value's dimension, because the declaration binds that name to it (or, when
 * the name is already bound, the executor checks the two agree when it runs the declaration). */
static bool declaration_compatible(const Type *init, const Type *declared)
{
    if (init->dtype != declared->dtype || init->sparse != declared->sparse ||
        init->rank != declared->rank)
        return false;
    for (int i = 0; i < init->rank; i++)
        if (declared->dims[i].kind != DIM_SYM && !dims_compatible(init->dims[i], declared->dims[i]))
            return false;
    return true;
}

static bool is_const_dim(Dim d, int64_t value)
{
    return d.kind == DIM_CONST && d.value == value;
}

/* NumPy broadcasting: `from`'s trailing dimensions align with `to`'s; size 1 stretches. */
static bool broadcasts_to(const Type *from, const Type *to)
{
    if (from->rank > to->rank)
        return false;
    int shift = to->rank - from->rank;
    for (int i = 0; i < from->rank; i++) {
        Dim f = from->dims[i];
        if (!is_const_dim(f, 1) && !dims_compatible(f, to->dims[i + shift]))
            return false;
    }
    return true;
}

static bool type_is_valid(const Type *t, const char **why)
{
    if (t->dtype == DT_NONE) {
        *why = "has no dtype";
        return false;
    }
    if (t->rank > TYPE_MAX_RANK) {
        *why = "has too many dimensions";
        return false;
    }
    if (t->sparse && (t->rank != 2 || !is_numeric(t->dtype))) {
        *why = "is sparse but not a numeric matrix";
        return false;
    }
    if (t->dtype == DT_STR && t->rank != 0) {
        *why = "is a tensor of strings";
        return false;
    }
    for (int i = 0; i < t->rank; i++) {
        if ((t->dims[i].kind == DIM_SYM && !t->dims[i].sym) ||
            (t->dims[i].kind == DIM_CONST && t->dims[i].value < 0)) {
            *why = "has a malformed dimension";
            return false;
        }
    }
    return true;
}

/* ---- attributes ---- */

static bool kind_allowed(IrAttrKind kind, int count, const char *kinds, size_t nkinds)
{
    static const char letters[] = {
        [IR_ATTR_INT] = 'i',  [IR_ATTR_FLOAT] = 'f',   [IR_ATTR_STRING] = 's',
        [IR_ATTR_BOOL] = 'b', [IR_ATTR_SYMBOL] = '@',  [IR_ATTR_TYPE] = 'T',
        [IR_ATTR_INTS] = 'I', [IR_ATTR_STRINGS] = 'S', [IR_ATTR_SYMBOLS] = 'Y',
    };
    if (memchr(kinds, letters[kind], nkinds))
        return true;
    /* The empty list reads as a list of integers; it is also an empty list of anything. */
    return kind == IR_ATTR_INTS && count == 0 &&
           (memchr(kinds, 'S', nkinds) || memchr(kinds, 'Y', nkinds));
}

/* Checks the attributes against the op's spec: names known, kinds right, required present. */
static bool check_attrs(Verifier *v, const IrOp *op)
{
    const char *spec = ir_op_info(op->opcode)->attrs;
    bool ok = true;
    int known = 0;
    for (const char *p = spec; *p;) {
        while (*p == ' ')
            p++;
        const char *colon = strchr(p, ':');
        if (!colon)
            DIE("malformed attribute spec \"%s\"", spec);
        const char *end = colon;
        while (*end && *end != ' ')
            end++;
        bool optional = end[-1] == '?';
        size_t nkinds = (size_t)(end - colon - 1) - (optional ? 1 : 0);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
        const IrAttr *a = ir_get_attr(op, name);
        if (a) {
            known++;
            if (!kind_allowed(a->kind, a->count, colon + 1, nkinds)) {
                report(v, op, "attribute '%s' has the wrong kind", name);
                ok = false;
            }
        } else if (!optional) {
            report(v, op, "missing attribute '%s'", name);
            ok = false;
        }
        p = end;
    }
    if (known != op->nattrs) {
        for (int i = 0; i < op->nattrs; i++) {
            char probe[80];
            snprintf(probe, sizeof probe, " %s:", op->attrs[i].name);
            char padded[256];
            snprintf(padded, sizeof padded, " %s", spec);
            if (!strstr(padded, probe))
                report(v, op, "unknown attribute '%s'", op->attrs[i].name);
        }
        ok = false;
    }
    return ok;
}

static const char *string_attr(const IrOp *op, const char *name)
{
    const IrAttr *a = ir_get_attr(op, name);
    return a && a->kind == IR_ATTR_STRING ? a->string : NULL;
}

static bool one_of(const char *s, const char *const *choices)
{
    for (; *choices; choices++)
        if (s && strcmp(s, *choices) == 0)
            return true;
    return false;
}

static void check_partition(Verifier *v, const IrOp *op)
{
    static const char *const choices[] = {"rows", "cols", "replicated", NULL};
    const char *p = string_attr(op, "partition");
    if (ir_get_attr(op, "partition") && !one_of(p, choices))
        report(v, op, "partition must be \"rows\", \"cols\" or \"replicated\"");
}

/* ---- symbols ---- */

static void push_sym(SymStack *s, const char *name, SymKind kind, Type type)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->items = realloc(s->items, sizeof *s->items * (size_t)s->cap);
        if (!s->items)
            DIE("out of memory");
    }
    s->items[s->len++] = (SymEntry){name, kind, type};
}

static const SymEntry *find_sym(const SymStack *s, const char *name)
{
    for (int i = s->len - 1; i >= 0; i--)
        if (strcmp(s->items[i].name, name) == 0)
            return &s->items[i];
    return NULL;
}

static void declare(Verifier *v, const IrOp *op, SymKind kind, Type type)
{
    const char *name = ir_op_symbol(op);
    if (!name)
        return;
    if (find_sym(&v->all_syms, name)) {
        report(v, op, "@%s is declared twice", name);
        return;
    }
    push_sym(&v->all_syms, name, kind, type);
    push_sym(&v->visible_syms, name, kind, type);
}

/* The declaration of the op's `sym`, which must be visible and of the given kind. */
static const SymEntry *use_sym(Verifier *v, const IrOp *op, SymKind kind)
{
    const char *name = ir_op_symbol(op);
    if (!name)
        return NULL;
    const SymEntry *e = find_sym(&v->visible_syms, name);
    if (!e) {
        report(v, op, "@%s is not declared before this op (in this or an enclosing region)", name);
        return NULL;
    }
    if (e->kind != kind) {
        static const char *const what[] = {"a config", "an input", "a param or var"};
        report(v, op, "@%s is %s, not %s", name, what[e->kind], what[kind]);
        return NULL;
    }
    return e;
}

/* ---- per-op rules ---- */

static const Type *operand_type(const IrOp *op, int i)
{
    return &op->operands[i]->type;
}

static const Type *result_type(const IrOp *op)
{
    return &op->results[0]->type;
}

static bool expect_operands(Verifier *v, const IrOp *op, int lo, int hi)
{
    if (op->noperands >= lo && op->noperands <= hi)
        return true;
    if (lo == hi)
        report(v, op, "expected %d operand%s, saw %d", lo, lo == 1 ? "" : "s", op->noperands);
    else
        report(v, op, "expected %d to %d operands, saw %d", lo, hi, op->noperands);
    return false;
}

static void expect_i64_operands(Verifier *v, const IrOp *op, int from, int to, const char *what)
{
    for (int i = from; i < to; i++)
        if (!is_i64_scalar(operand_type(op, i)))
            report(v, op, "operand %d (%s) must be an i64 scalar, saw %s", i, what,
                   type_text(v, operand_type(op, i)));
}

static void check_const(Verifier *v, const IrOp *op)
{
    const IrAttr *a = ir_get_attr(op, "value");
    const Type *t = result_type(op);
    if (!a || !is_scalar(t)) {
        if (!is_scalar(t))
            report(v, op, "result must be a scalar, saw %s", type_text(v, t));
        return;
    }
    bool ok = (a->kind == IR_ATTR_INT && type_is_int(t->dtype)) ||
              (a->kind == IR_ATTR_FLOAT && type_is_float(t->dtype)) ||
              (a->kind == IR_ATTR_BOOL && t->dtype == DT_BOOL) ||
              (a->kind == IR_ATTR_STRING && t->dtype == DT_STR);
    if (!ok)
        report(v, op, "value does not match the result type %s", type_text(v, t));
    else if (t->dtype == DT_I32 && (a->int_value < INT32_MIN || a->int_value > INT32_MAX))
        report(v, op, "value does not fit in i32");
}

static Type config_type(const IrOp *op)
{
    const IrAttr *a = ir_get_attr(op, "value");
    DType d = DT_NONE;
    if (a)
        d = a->kind == IR_ATTR_INT     ? DT_I64
            : a->kind == IR_ATTR_FLOAT ? DT_F64
            : a->kind == IR_ATTR_BOOL  ? DT_BOOL
                                       : DT_STR;
    return type_scalar(d);
}

static void check_cfg_get(Verifier *v, const IrOp *op)
{
    const SymEntry *e = use_sym(v, op, SYM_KIND_CONFIG);
    if (!is_scalar(result_type(op)))
        report(v, op, "result must be a scalar");
    else if (e && e->type.dtype != result_type(op)->dtype)
        report(v, op, "result %s does not match @%s's %s", type_text(v, result_type(op)), e->name,
               type_text(v, &e->type));
}

/* A path is the `path` attribute or the str operand at index `at`, never both. */
static void check_path(Verifier *v, const IrOp *op, int at)
{
    bool has_attr = ir_get_attr(op, "path") != NULL;
    bool has_operand = op->noperands > at;
    if (has_attr == has_operand)
        report(v, op, "needs either a path attribute or a str path operand");
    else if (has_operand &&
             !(is_scalar(operand_type(op, at)) && operand_type(op, at)->dtype == DT_STR))
        report(v, op, "the path operand must be a str scalar");
}

static void check_io(Verifier *v, const IrOp *op)
{
    switch (op->opcode) {
    case IR_OP_IO_LOAD:
        if (!expect_operands(v, op, 0, 1))
            return;
        check_path(v, op, 0);
        if (result_type(op)->rank == 0)
            report(v, op, "loads a tensor, not a scalar");
        return;
    case IR_OP_IO_LOAD_LIBSVM:
        if (!expect_operands(v, op, 0, 1))
            return;
        check_path(v, op, 0);
        if (!op->results[0]->type.sparse || op->results[1]->type.rank != 1 ||
            !type_is_float(op->results[0]->type.dtype))
            report(v, op, "results must be a csr float matrix and a vector");
        else if (!dims_compatible(op->results[0]->type.dims[0], op->results[1]->type.dims[0]))
            report(v, op, "the labels must have one entry per row");
        return;
    case IR_OP_IO_SAVE:
        if (!expect_operands(v, op, 1, 2))
            return;
        check_path(v, op, 1);
        return;
    default:
        UNREACHABLE();
    }
}

static void check_declaration(Verifier *v, const IrOp *op)
{
    check_partition(v, op);
    if (op->opcode == IR_OP_STATE_INPUT) {
        if (!types_compatible(operand_type(op, 0), result_type(op)))
            report(v, op, "result %s differs from the operand %s", type_text(v, result_type(op)),
                   type_text(v, operand_type(op, 0)));
        declare(v, op, SYM_KIND_INPUT, *result_type(op));
        return;
    }
    const IrAttr *t = ir_get_attr(op, "type");
    if (!t || t->kind != IR_ATTR_TYPE)
        return;
    const char *why;
    if (!type_is_valid(&t->type, &why))
        report(v, op, "the declared type %s", why);
    else if (!declaration_compatible(operand_type(op, 0), &t->type))
        report(v, op, "initial value %s does not match the declared type %s",
               type_text(v, operand_type(op, 0)), type_text(v, &t->type));
    declare(v, op, SYM_KIND_STATE, t->type);
}

/* One parsed position of an `index` attribute. */
typedef enum { POS_INDEX, POS_ALL, POS_SLICE_BOTH, POS_SLICE_LO, POS_SLICE_HI } PosKind;

static bool parse_position(const char *s, PosKind *k, int *noperands)
{
    static const struct {
        const char *text;
        PosKind kind;
        int noperands;
    } forms[] = {{"i", POS_INDEX, 1},
                 {":", POS_ALL, 0},
                 {"a..b", POS_SLICE_BOTH, 2},
                 {"a..", POS_SLICE_LO, 1},
                 {"..b", POS_SLICE_HI, 1}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (strcmp(s, forms[i].text) == 0) {
            *k = forms[i].kind;
            *noperands = forms[i].noperands;
            return true;
        }
    }
    return false;
}

/* Checks an `index` attribute against the indexed type and the index operands from `first`.
 * Sets *shape to the shape it selects (rank = non-"i" positions). */
static bool check_index_positions(Verifier *v, const IrOp *op, const Type *indexed, int first,
                                  Type *shape)
{
    const IrAttr *a = ir_get_attr(op, "index");
    if (!a || (a->kind != IR_ATTR_STRINGS && a->count != 0))
        return false;
    if (a->count != indexed->rank) {
        report(v, op, "index has %d positions for a rank-%d tensor", a->count, indexed->rank);
        return false;
    }
    memset(shape, 0, sizeof *shape);
    shape->dtype = indexed->dtype;
    int needed = first;
    for (int i = 0; i < a->count; i++) {
        PosKind k;
        int n;
        if (!parse_position(a->strings[i], &k, &n)) {
            report(v, op,
                   "index position \"%s\" is not one of \"i\" \":\" \"a..b\" \"a..\" \"..b\"",
                   a->strings[i]);
            return false;
        }
        needed += n;
        if (k == POS_ALL)
            shape->dims[shape->rank++] = indexed->dims[i];
        else if (k != POS_INDEX)
            shape->dims[shape->rank++] = (Dim){.kind = DIM_ANY};
    }
    if (op->noperands != needed) {
        report(v, op, "index needs %d operands in all, saw %d", needed, op->noperands);
        return false;
    }
    expect_i64_operands(v, op, first, op->noperands, "an index");
    return true;
}

static void check_state_access(Verifier *v, const IrOp *op)
{
    if (op->opcode == IR_OP_STATE_READ) {
        const SymEntry *e = use_sym(v, op, SYM_KIND_STATE);
        if (e && !types_compatible(result_type(op), &e->type))
            report(v, op, "result %s does not match @%s's type %s", type_text(v, result_type(op)),
                   e->name, type_text(v, &e->type));
        return;
    }
    if (op->noperands < 1) {
        report(v, op, "needs the value to write");
        return;
    }
    const SymEntry *e = use_sym(v, op, SYM_KIND_STATE);
    if (!e)
        return;
    const Type *value = operand_type(op, 0);
    if (value->dtype != e->type.dtype) {
        report(v, op, "value %s does not match @%s's dtype %s", type_text(v, value), e->name,
               type_text(v, &e->type));
        return;
    }
    if (op->opcode == IR_OP_STATE_ACCUMULATE) {
        static const char *const ops[] = {"add", "sub", NULL};
        if (!one_of(string_attr(op, "op"), ops))
            report(v, op, "op must be \"add\" or \"sub\"");
        if (!is_numeric(value->dtype))
            report(v, op, "accumulates numbers, saw %s", type_text(v, value));
    }
    Type target = e->type;
    bool indexed = op->opcode == IR_OP_STATE_WRITE_INDEX ||
                   (op->opcode == IR_OP_STATE_ACCUMULATE && ir_get_attr(op, "index"));
    if (indexed) {
        if (!check_index_positions(v, op, &e->type, 1, &target))
            return;
    } else if (op->noperands != 1) {
        report(v, op, "expected 1 operand without an index, saw %d", op->noperands);
        return;
    }
    bool fits = op->opcode == IR_OP_STATE_WRITE ? types_compatible(value, &target)
                                                : is_scalar(value) || broadcasts_to(value, &target);
    if (!fits)
        report(v, op, "value %s does not fit @%s%s of type %s", type_text(v, value), e->name,
               indexed ? " at that index" : "", type_text(v, &target));
}

static void check_unary(Verifier *v, const IrOp *op)
{
    const Type *x = operand_type(op, 0), *r = result_type(op);
    if (!shapes_compatible(x, r)) {
        report(v, op, "result %s has another shape than the operand %s", type_text(v, r),
               type_text(v, x));
        return;
    }
    if (op->opcode == IR_OP_CAST) {
        if (x->dtype == DT_STR || r->dtype == DT_STR)
            report(v, op, "cannot convert strings");
        return;
    }
    if (x->dtype != r->dtype) {
        report(v, op, "result dtype differs from the operand's (%s, %s)", type_text(v, x),
               type_text(v, r));
        return;
    }
    bool ok = op->opcode == IR_OP_NOT                     ? x->dtype == DT_BOOL
              : ir_op_has_flag(op->opcode, IR_FLOAT_MATH) ? type_is_float(x->dtype)
                                                          : is_numeric(x->dtype);
    if (!ok)
        report(v, op, "operand %s has the wrong dtype", type_text(v, x));
}

static void check_broadcast(Verifier *v, const IrOp *op)
{
    const Type *r = result_type(op);
    int max_rank = 0;
    for (int i = 0; i < op->noperands; i++) {
        const Type *t = operand_type(op, i);
        if (t->rank > max_rank)
            max_rank = t->rank;
        if (!broadcasts_to(t, r))
            report(v, op, "operand %d (%s) does not broadcast to the result %s", i, type_text(v, t),
                   type_text(v, r));
    }
    if (r->rank != max_rank)
        report(v, op, "result rank %d is not the largest operand rank %d", r->rank, max_rank);
}

static void check_elementwise_nary(Verifier *v, const IrOp *op)
{
    const Type *r = result_type(op);
    unsigned flags = ir_op_info(op->opcode)->flags;
    if (flags & IR_ARITH) {
        for (int i = 0; i < op->noperands; i++)
            if (operand_type(op, i)->dtype != r->dtype)
                report(v, op, "operand %d (%s) and result (%s) differ in dtype", i,
                       type_text(v, operand_type(op, i)), type_text(v, r));
        if (!is_numeric(r->dtype))
            report(v, op, "works on numbers, saw %s", type_text(v, r));
    } else if (flags & IR_COMPARE) {
        DType d = operand_type(op, 0)->dtype;
        bool equality = op->opcode == IR_OP_EQ || op->opcode == IR_OP_NE;
        if (operand_type(op, 1)->dtype != d)
            report(v, op, "compares operands of one dtype, saw %s and %s",
                   type_text(v, operand_type(op, 0)), type_text(v, operand_type(op, 1)));
        else if (!is_numeric(d) && !(equality && d == DT_BOOL))
            report(v, op, "compares numbers, saw %s", type_text(v, operand_type(op, 0)));
        if (r->dtype != DT_BOOL)
            report(v, op, "result must be bool, saw %s", type_text(v, r));
    } else if (flags & IR_LOGIC) {
        for (int i = 0; i < op->noperands; i++)
            if (operand_type(op, i)->dtype != DT_BOOL)
                report(v, op, "operand %d must be bool, saw %s", i,
                       type_text(v, operand_type(op, i)));
        if (r->dtype != DT_BOOL)
            report(v, op, "result must be bool");
    } else if (op->opcode == IR_OP_WHERE) {
        if (operand_type(op, 0)->dtype != DT_BOOL)
            report(v, op, "the condition must be bool, saw %s", type_text(v, operand_type(op, 0)));
        for (int i = 1; i < 3; i++)
            if (operand_type(op, i)->dtype != r->dtype)
                report(v, op, "operand %d (%s) and result (%s) differ in dtype", i,
                       type_text(v, operand_type(op, i)), type_text(v, r));
    }
    check_broadcast(v, op);
}

/* Axis attribute, when present, is in range; *axis is -1 when absent. */
static bool reduction_axis(Verifier *v, const IrOp *op, int rank, int *axis)
{
    const IrAttr *a = ir_get_attr(op, "axis");
    *axis = -1;
    if (!a || a->kind != IR_ATTR_INT)
        return true;
    if (a->int_value < 0 || a->int_value >= rank) {
        report(v, op, "axis %lld is out of range for rank %d", (long long)a->int_value, rank);
        return false;
    }
    *axis = (int)a->int_value;
    return true;
}

static void check_reduction(Verifier *v, const IrOp *op)
{
    const Type *x = operand_type(op, 0), *r = result_type(op);
    int axis;
    if (!reduction_axis(v, op, x->rank, &axis))
        return;
    unsigned flags = ir_op_info(op->opcode)->flags;
    if (flags & IR_INDEX_RESULT) {
        if (r->dtype != DT_I64)
            report(v, op, "result must be i64, saw %s", type_text(v, r));
    } else if (r->dtype != x->dtype) {
        report(v, op, "result dtype differs from the operand's (%s, %s)", type_text(v, x),
               type_text(v, r));
    } else if ((flags & IR_FLOAT_MATH) ? !type_is_float(x->dtype) : !is_numeric(x->dtype)) {
        report(v, op, "operand %s has the wrong dtype", type_text(v, x));
    }
    if (r->sparse)
        report(v, op, "result must be dense");
    if (op->opcode == IR_OP_SOFTMAX) {
        if (!shapes_compatible(x, r))
            report(v, op, "result %s must have the operand's shape %s", type_text(v, r),
                   type_text(v, x));
        return;
    }
    Type want = {.dtype = r->dtype};
    if (axis >= 0)
        for (int i = 0; i < x->rank; i++)
            if (i != axis)
                want.dims[want.rank++] = x->dims[i];
    if (!shapes_compatible(&want, r))
        report(v, op, "result %s should have shape %s", type_text(v, r), type_text(v, &want));
}

static bool bool_attr(const IrOp *op, const char *name)
{
    const IrAttr *a = ir_get_attr(op, name);
    return a && a->kind == IR_ATTR_BOOL && a->bool_value;
}

/* Dimension i of a matrix operand as the product sees it (swapped when stored transposed). */
static Dim product_dim(const Type *t, bool transposed, int i)
{
    return t->dims[transposed ? 1 - i : i];
}

static void check_linear_algebra(Verifier *v, const IrOp *op)
{
    const Type *a = operand_type(op, 0), *b = operand_type(op, 1), *r = result_type(op);
    if (a->dtype != b->dtype || a->dtype != r->dtype || !is_numeric(a->dtype)) {
        report(v, op, "operands and result must share one numeric dtype (%s, %s -> %s)",
               type_text(v, a), type_text(v, b), type_text(v, r));
        return;
    }
    int ra = op->opcode == IR_OP_MATMUL || op->opcode == IR_OP_MATVEC ? 2 : 1;
    int rb = op->opcode == IR_OP_MATMUL || op->opcode == IR_OP_VECMAT ? 2 : 1;
    if (a->rank != ra || b->rank != rb) {
        report(v, op, "expects rank %d and rank %d operands, saw %s and %s", ra, rb,
               type_text(v, a), type_text(v, b));
        return;
    }
    if (b->sparse || r->sparse || (a->sparse && ra != 2)) {
        report(v, op, "only a matrix on the left may be sparse");
        return;
    }
    bool ta = bool_attr(op, "transpose_a"), tb = bool_attr(op, "transpose_b");
    if ((ta && ra != 2) || (tb && rb != 2)) {
        report(v, op,
               "transpose_%c marks a vector operand; only matrices may be stored "
               "transposed",
               ta && ra != 2 ? 'a' : 'b');
        return;
    }
    if (ta && a->sparse) {
        report(v, op, "a csr operand cannot be marked transposed");
        return;
    }
    Dim inner_a = ra == 2 ? product_dim(a, ta, 1) : a->dims[0];
    Dim inner_b = rb == 2 ? product_dim(b, tb, 0) : b->dims[0];
    if (!dims_compatible(inner_a, inner_b)) {
        report(v, op, "inner dimensions differ: %s%s and %s%s", type_text(v, a),
               ta ? " (transposed)" : "", type_text(v, b), tb ? " (transposed)" : "");
        return;
    }
    Type want = {.dtype = r->dtype};
    if (ra == 2)
        want.dims[want.rank++] = product_dim(a, ta, 0);
    if (rb == 2)
        want.dims[want.rank++] = product_dim(b, tb, 1);
    if (!shapes_compatible(&want, r))
        report(v, op, "result %s should have shape %s", type_text(v, r), type_text(v, &want));
}

static void check_transpose(Verifier *v, const IrOp *op)
{
    const Type *x = operand_type(op, 0), *r = result_type(op);
    if (x->rank != 2) {
        report(v, op, "transposes a matrix, saw %s", type_text(v, x));
        return;
    }
    Type want = *x;
    want.dims[0] = x->dims[1];
    want.dims[1] = x->dims[0];
    if (!types_compatible(&want, r))
        report(v, op, "result %s should be %s", type_text(v, r), type_text(v, &want));
}

static void check_indexing(Verifier *v, const IrOp *op)
{
    if (op->noperands < 1) {
        report(v, op, "needs the indexed tensor");
        return;
    }
    const Type *x = operand_type(op, 0), *r = result_type(op);
    if (r->dtype != x->dtype) {
        report(v, op, "result dtype differs from the operand's (%s, %s)", type_text(v, x),
               type_text(v, r));
        return;
    }
    if (op->opcode == IR_OP_INDEX) {
        if (op->noperands != 1 + x->rank)
            report(v, op, "a rank-%d tensor needs %d indices, saw %d", x->rank, x->rank,
                   op->noperands - 1);
        else
            expect_i64_operands(v, op, 1, op->noperands, "an index");
        if (!is_scalar(r))
            report(v, op, "result must be a scalar");
        return;
    }
    if (op->opcode == IR_OP_SLICE) {
        Type shape;
        if (!check_index_positions(v, op, x, 1, &shape))
            return;
        if (r->sparse || !shapes_compatible(&shape, r))
            report(v, op, "result %s should have shape %s", type_text(v, r), type_text(v, &shape));
        return;
    }
    /* gather: x[idx] along `axis` replaces that dimension by the index tensor's dimensions */
    if (op->noperands != 2)
        return;
    const Type *idx = operand_type(op, 1);
    const IrAttr *axis_attr = ir_get_attr(op, "axis");
    int64_t axis = axis_attr ? axis_attr->int_value : 0;
    if (!type_is_int(idx->dtype) || idx->rank < 1 || idx->sparse || x->rank < 1 || x->sparse) {
        report(v, op, "gathers from a dense tensor with an integer index tensor, saw %s[%s]",
               type_text(v, x), type_text(v, idx));
        return;
    }
    if (axis < 0 || axis >= x->rank) {
        report(v, op, "axis %lld is out of range for rank %d", (long long)axis, x->rank);
        return;
    }
    if (x->rank - 1 + idx->rank > TYPE_MAX_RANK) {
        report(v, op, "the result would have rank above %d", TYPE_MAX_RANK);
        return;
    }
    Type want = {.dtype = x->dtype};
    for (int i = 0; i < x->rank; i++) {
        if (i != axis) {
            want.dims[want.rank++] = x->dims[i];
            continue;
        }
        for (int k = 0; k < idx->rank; k++)
            want.dims[want.rank++] = idx->dims[k];
    }
    if (!shapes_compatible(&want, r))
        report(v, op, "result %s should have shape %s", type_text(v, r), type_text(v, &want));
}

/* Product of the dimensions when all are constants; -1 otherwise (or on overflow). */
static int64_t known_elements(const Type *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i].kind != DIM_CONST)
            return -1;
        if (t->dims[i].value != 0 && n > INT64_MAX / t->dims[i].value)
            return -1;
        n *= t->dims[i].value;
    }
    return n;
}

static void check_reshape(Verifier *v, const IrOp *op)
{
    const Type *r = result_type(op);
    if (op->noperands != 1 + r->rank) {
        report(v, op, "needs the tensor and one size per result dimension (%d), saw %d operands",
               r->rank, op->noperands);
        return;
    }
    const Type *x = operand_type(op, 0);
    expect_i64_operands(v, op, 1, op->noperands, "a size");
    if (x->dtype != r->dtype || x->sparse || r->sparse)
        report(v, op, "reshape keeps the dtype of a dense tensor (%s -> %s)", type_text(v, x),
               type_text(v, r));
    int64_t nx = known_elements(x), nr = known_elements(r);
    if (nx >= 0 && nr >= 0 && nx != nr)
        report(v, op, "%s and %s have different numbers of elements", type_text(v, x),
               type_text(v, r));
}

static void check_scalar_operand(Verifier *v, const IrOp *op, int i, DType dtype, const char *what)
{
    const Type *t = operand_type(op, i);
    if (!is_scalar(t) || t->dtype != dtype)
        report(v, op, "operand %d (%s) must be a %s scalar, saw %s", i, what,
               type_dtype_name(dtype), type_text(v, t));
}

static void check_constructor(Verifier *v, const IrOp *op)
{
    const Type *r = result_type(op);
    if (r->sparse) {
        report(v, op, "constructs dense tensors only");
        return;
    }
    int rank = r->rank;
    switch (op->opcode) {
    case IR_OP_ZEROS:
    case IR_OP_ONES:
        if (expect_operands(v, op, rank, rank))
            expect_i64_operands(v, op, 0, rank, "a size");
        if (r->dtype == DT_STR)
            report(v, op, "cannot construct strings");
        return;
    case IR_OP_FULL:
        if (!expect_operands(v, op, rank + 1, rank + 1))
            return;
        check_scalar_operand(v, op, 0, r->dtype, "the fill value");
        expect_i64_operands(v, op, 1, rank + 1, "a size");
        return;
    case IR_OP_ARANGE:
    case IR_OP_EYE: {
        bool arange = op->opcode == IR_OP_ARANGE;
        int want = arange ? 1 : 2;
        if (!expect_operands(v, op, 1, arange ? 2 : 1))
            return;
        if (rank != want || !is_numeric(r->dtype))
            report(v, op, "result must be a numeric rank-%d tensor, saw %s", want, type_text(v, r));
        else if (want == 2 && !dims_compatible(r->dims[0], r->dims[1]))
            report(v, op, "result must be square, saw %s", type_text(v, r));
        expect_i64_operands(v, op, 0, op->noperands, arange ? "a bound" : "a size");
        return;
    }
    case IR_OP_RANDN:
    case IR_OP_UNIFORM:
    case IR_OP_RANDINT: {
        int nvalues = op->opcode == IR_OP_RANDN ? 1 : 2;
        if (!expect_operands(v, op, rank + nvalues, rank + nvalues + 1))
            return;
        bool want_float = op->opcode != IR_OP_RANDINT;
        if (want_float ? !type_is_float(r->dtype) : !type_is_int(r->dtype))
            report(v, op, "result must be %s, saw %s", want_float ? "float" : "an integer tensor",
                   type_text(v, r));
        expect_i64_operands(v, op, 0, rank, "a size");
        for (int i = rank; i < rank + nvalues; i++)
            check_scalar_operand(v, op, i, r->dtype, nvalues == 1 ? "the scale" : "a bound");
        if (op->noperands == rank + nvalues + 1)
            expect_i64_operands(v, op, rank + nvalues, op->noperands, "the seed");
        return;
    }
    default:
        UNREACHABLE();
    }
}

static void check_shape_query(Verifier *v, const IrOp *op)
{
    const Type *x = operand_type(op, 0);
    if (!is_i64_scalar(result_type(op)))
        report(v, op, "result must be an i64 scalar");
    bool ok = op->opcode == IR_OP_LEN   ? x->rank >= 1
              : op->opcode == IR_OP_NNZ ? x->sparse
                                        : x->rank == 2;
    if (!ok)
        report(v, op, "does not apply to %s", type_text(v, x));
}

static void check_consistency(Verifier *v, const IrOp *op, int fixed_operands)
{
    static const char *const choices[] = {"bsp", "serial", "async", "ssp", NULL};
    const char *c = string_attr(op, "consistency");
    if (!one_of(c, choices)) {
        report(v, op, "consistency must be \"bsp\", \"serial\", \"async\" or \"ssp\"");
        return;
    }
    int want = fixed_operands + (strcmp(c, "ssp") == 0 ? 1 : 0);
    if (!expect_operands(v, op, want, want))
        return;
    if (want > fixed_operands)
        expect_i64_operands(v, op, fixed_operands, want, "the staleness");
}

static void check_schedule_operands(Verifier *v, const IrOp *op)
{
    static const char *const order[] = {"lo", "hi", "size", "seed"};
    const IrAttr *a = ir_get_attr(op, "operand_names");
    if (!a || a->kind != IR_ATTR_STRINGS)
        return;
    int next = 0;
    for (int i = 0; i < a->count; i++) {
        while (next < 4 && strcmp(a->strings[i], order[next]) != 0)
            next++;
        if (next == 4 || (i < 2 && next != i)) {
            report(v, op, "operand_names must be \"lo\", \"hi\", then \"size\" and/or \"seed\"");
            return;
        }
        next++;
    }
    if (a->count < 2) {
        report(v, op, "operand_names must start with \"lo\", \"hi\"");
        return;
    }
    if (a->count != op->noperands) {
        report(v, op, "operand_names names %d operands, saw %d", a->count, op->noperands);
        return;
    }
    expect_i64_operands(v, op, 0, op->noperands, "a bound, size or seed");
    const char *c = string_attr(op, "consistency");
    static const char *const choices[] = {"bsp", "serial", "async", "ssp", NULL};
    if (!one_of(c, choices))
        report(v, op, "consistency must be \"bsp\", \"serial\", \"async\" or \"ssp\"");
}

static void check_observation(Verifier *v, const IrOp *op)
{
    if (op->opcode == IR_OP_OBS_LOG) {
        const IrAttr *keys = ir_get_attr(op, "keys");
        if (keys && keys->count != op->noperands)
            report(v, op, "%d keys for %d values", keys->count, op->noperands);
        for (int i = 0; i < op->noperands; i++) {
            const Type *t = operand_type(op, i);
            if (!is_scalar(t) || t->dtype == DT_STR)
                report(v, op, "logs scalar numbers, operand %d is %s", i, type_text(v, t));
        }
    } else if (op->opcode == IR_OP_OBS_ASSERT) {
        if (!is_bool_scalar(operand_type(op, 0)))
            report(v, op, "the condition must be a bool scalar, saw %s",
                   type_text(v, operand_type(op, 0)));
    }
}

static void check_grad(Verifier *v, const IrOp *op)
{
    const IrAttr *wrt = ir_get_attr(op, "wrt");
    if (wrt && wrt->count != op->noperands)
        report(v, op, "wrt names %d tensors for %d operands", wrt->count, op->noperands);
    if (op->nresults != op->noperands) {
        report(v, op, "needs one result per operand, saw %d for %d", op->nresults, op->noperands);
        return;
    }
    if (op->noperands == 0)
        report(v, op, "differentiates with respect to at least one tensor");
    for (int i = 0; i < op->noperands; i++) {
        if (!types_compatible(operand_type(op, i), &op->results[i]->type) ||
            !type_is_float(operand_type(op, i)->dtype))
            report(v, op, "result %d (%s) must have the float type of operand %d (%s)", i,
                   type_text(v, &op->results[i]->type), i, type_text(v, operand_type(op, i)));
    }
}

/* `inplace = K`: operand K exists and is a dense tensor with result 0's dtype and shape. */
static void check_inplace(Verifier *v, const IrOp *op)
{
    const IrAttr *a = ir_get_attr(op, "inplace");
    if (!a || a->kind != IR_ATTR_INT || op->nresults < 1)
        return;
    if (a->int_value < 0 || a->int_value >= op->noperands) {
        report(v, op, "inplace %lld is not an operand index (the op has %d operands)",
               (long long)a->int_value, op->noperands);
        return;
    }
    int k = (int)a->int_value;
    const Type *t = operand_type(op, k), *r = result_type(op);
    if (t->rank == 0 || t->sparse || r->sparse || t->dtype != r->dtype || !shapes_compatible(t, r))
        report(v, op, "inplace operand %d (%s) must be a dense tensor of result 0's type %s", k,
               type_text(v, t), type_text(v, r));
}

/* A k.fused body: pure ops without regions (and the final ir.yield) that use only the body's
 * arguments and values. */
static void check_fused(Verifier *v, const IrOp *op)
{
    if (op->nresults < 1)
        report(v, op, "a kernel has at least one result");
    const IrRegion *body = op->regions[0];
    for (const IrOp *inner = body->first; inner; inner = inner->next) {
        if (inner->opcode != IR_OP_YIELD &&
            (!ir_op_has_flag(inner->opcode, IR_PURE) || inner->nregions > 0)) {
            report(v, op, "its body may hold only pure ops without regions, saw %s",
                   ir_op_info(inner->opcode)->name);
            continue;
        }
        for (int i = 0; i < inner->noperands; i++) {
            const IrValue *x = inner->operands[i];
            if (x && (x->def ? x->def->parent : x->owner) != body)
                report(v, op, "%s in its body uses a value from outside the kernel",
                       ir_op_info(inner->opcode)->name);
        }
    }
    check_inplace(v, op);
}

static bool counts_match_table(Verifier *v, const IrOp *op)
{
    const IrOpInfo *info = ir_op_info(op->opcode);
    bool ok = true;
    if (info->noperands != IR_VARIADIC && op->noperands != info->noperands)
        ok = expect_operands(v, op, info->noperands, info->noperands);
    if (info->nresults != IR_VARIADIC && op->nresults != info->nresults) {
        report(v, op, "expected %d result%s, saw %d", info->nresults,
               info->nresults == 1 ? "" : "s", op->nresults);
        ok = false;
    }
    if (op->nregions != info->nregions) {
        report(v, op, "expected %d regions, saw %d", info->nregions, op->nregions);
        ok = false;
    }
    return ok;
}

static void check_op_rules(Verifier *v, const IrOp *op)
{
    unsigned flags = ir_op_info(op->opcode)->flags;
    switch (op->opcode) {
    case IR_OP_CONST:
        check_const(v, op);
        return;
    case IR_OP_CFG_DECL:
        declare(v, op, SYM_KIND_CONFIG, config_type(op));
        return;
    case IR_OP_CFG_GET:
        check_cfg_get(v, op);
        return;
    case IR_OP_SIZE_GET:
        if (!is_i64_scalar(result_type(op)))
            report(v, op, "result must be an i64 scalar");
        return;
    case IR_OP_IO_LOAD:
    case IR_OP_IO_LOAD_LIBSVM:
    case IR_OP_IO_SAVE:
        check_io(v, op);
        return;
    case IR_OP_STATE_INPUT:
    case IR_OP_STATE_PARAM:
    case IR_OP_STATE_VAR:
        check_declaration(v, op);
        return;
    case IR_OP_STATE_READ:
    case IR_OP_STATE_WRITE:
    case IR_OP_STATE_WRITE_INDEX:
    case IR_OP_STATE_ACCUMULATE:
        check_state_access(v, op);
        return;
    case IR_OP_MATMUL:
    case IR_OP_MATVEC:
    case IR_OP_VECMAT:
    case IR_OP_DOT:
        check_linear_algebra(v, op);
        return;
    case IR_OP_TRANSPOSE:
        check_transpose(v, op);
        return;
    case IR_OP_INDEX:
    case IR_OP_SLICE:
    case IR_OP_GATHER:
        check_indexing(v, op);
        return;
    case IR_OP_RESHAPE:
        check_reshape(v, op);
        return;
    case IR_OP_ROWS:
    case IR_OP_COLS:
    case IR_OP_LEN:
    case IR_OP_NNZ:
        check_shape_query(v, op);
        return;
    case IR_OP_LOOP_FOR:
        expect_i64_operands(v, op, 0, 2, "a loop bound");
        return;
    case IR_OP_CTL_IF:
        if (!is_bool_scalar(operand_type(op, 0)))
            report(v, op, "the condition must be a bool scalar, saw %s",
                   type_text(v, operand_type(op, 0)));
        return;
    case IR_OP_PLOOP_RANGE:
        if (op->noperands >= 2)
            expect_i64_operands(v, op, 0, 2, "a loop bound");
        check_consistency(v, op, 2);
        return;
    case IR_OP_PLOOP_NONZEROS:
        if (op->noperands >= 1 && !operand_type(op, 0)->sparse)
            report(v, op, "iterates over a csr matrix, saw %s", type_text(v, operand_type(op, 0)));
        check_consistency(v, op, 1);
        return;
    case IR_OP_PLOOP_SCHEDULE:
        check_schedule_operands(v, op);
        return;
    case IR_OP_AD_GRAD:
        check_grad(v, op);
        return;
    case IR_OP_K_FUSED:
        check_fused(v, op);
        return;
    case IR_OP_OBS_LOG:
    case IR_OP_OBS_PRINT:
    case IR_OP_OBS_ASSERT:
        check_observation(v, op);
        return;
    default:
        break;
    }
    if (flags & IR_REDUCTION || op->opcode == IR_OP_SOFTMAX)
        check_reduction(v, op);
    else if (flags & IR_CONSTRUCTOR)
        check_constructor(v, op);
    else if ((flags & IR_ELEMENTWISE) && op->noperands == 1)
        check_unary(v, op);
    else if (flags & IR_ELEMENTWISE)
        check_elementwise_nary(v, op);
    if (flags & IR_ELEMENTWISE)
        check_inplace(v, op);
}

/* ---- regions ---- */

/* What a region must end with. */
typedef enum {
    YIELD_NOTHING, /* no ir.yield (loop bodies, branches, the module) */
    YIELD_BOOL,    /* ir.yield of one bool scalar */
    YIELD_NUMBER,  /* ir.yield of one numeric scalar */
    YIELD_FLOAT,   /* ir.yield of one float scalar */
    YIELD_RESULTS, /* ir.yield of values of the parent's result types (k.fused) */
} YieldRule;

static int region_index(const IrOp *parent, const IrRegion *r)
{
    for (int i = 0; i < parent->nregions; i++)
        if (parent->regions[i] == r)
            return i;
    return -1;
}

static YieldRule yield_rule(const IrRegion *r)
{
    const IrOp *p = r->parent;
    if (!p)
        return YIELD_NOTHING;
    int i = region_index(p, r);
    switch (p->opcode) {
    case IR_OP_LOOP_WHILE:
        return i == 0 ? YIELD_BOOL : YIELD_NOTHING;
    case IR_OP_PLOOP_SCHEDULE:
        return i == 0 ? YIELD_NUMBER : i == 1 ? YIELD_BOOL : YIELD_NOTHING;
    case IR_OP_AD_GRAD:
        return YIELD_FLOAT;
    case IR_OP_K_FUSED:
        return YIELD_RESULTS;
    default:
        return YIELD_NOTHING;
    }
}

/* A schedule's priority or conflict region may be empty: the argument was omitted. */
static bool region_is_omitted(const IrRegion *r)
{
    const IrOp *p = r->parent;
    return p && p->opcode == IR_OP_PLOOP_SCHEDULE && region_index(p, r) < 2 && !r->first &&
           r->nargs == 0;
}

/* A kernel's ir.yield: one value of each result type of the k.fused op. */
static void check_kernel_yield(Verifier *v, const IrOp *op)
{
    const IrOp *kernel = op->parent->parent;
    if (op->noperands != kernel->nresults) {
        report(v, op, "yields %d values for a kernel with %d results", op->noperands,
               kernel->nresults);
        return;
    }
    for (int i = 0; i < op->noperands; i++)
        if (!type_equal(operand_type(op, i), &kernel->results[i]->type))
            report(v, op, "value %d (%s) differs from the kernel's result type %s", i,
                   type_text(v, operand_type(op, i)), type_text(v, &kernel->results[i]->type));
}

static void check_yield(Verifier *v, const IrOp *op)
{
    YieldRule rule = yield_rule(op->parent);
    if (rule == YIELD_NOTHING) {
        const IrOp *p = op->parent->parent;
        report(v, op, "not allowed in %s%s", p ? "a region of " : "the module body",
               p ? ir_op_info(p->opcode)->name : "");
        return;
    }
    if (rule == YIELD_RESULTS) {
        check_kernel_yield(v, op);
        return;
    }
    if (op->noperands != 1) {
        report(v, op, "yields one scalar here, saw %d values", op->noperands);
        return;
    }
    const Type *t = operand_type(op, 0);
    bool ok = rule == YIELD_BOOL     ? is_bool_scalar(t)
              : rule == YIELD_NUMBER ? is_scalar(t) && is_numeric(t->dtype)
                                     : is_scalar(t) && type_is_float(t->dtype);
    if (!ok)
        report(v, op, "yields a %s scalar here, saw %s",
               rule == YIELD_BOOL     ? "bool"
               : rule == YIELD_NUMBER ? "numeric"
                                      : "float",
               type_text(v, t));
}

static void check_loop_exit(Verifier *v, const IrOp *op)
{
    for (const IrRegion *r = op->parent; r && r->parent; r = r->parent->parent) {
        const IrOp *p = r->parent;
        if (p->opcode == IR_OP_CTL_IF)
            continue;
        if (p->opcode == IR_OP_LOOP_FOR ||
            (p->opcode == IR_OP_LOOP_WHILE && region_index(p, r) == 1))
            return;
        report(v, op, "must be inside a sequential loop's body (it is in a region of %s)",
               ir_op_info(p->opcode)->name);
        return;
    }
    report(v, op, "must be inside a sequential loop's body");
}

static bool inside_parallel_loop(const IrOp *op)
{
    for (const IrRegion *r = op->parent; r && r->parent; r = r->parent->parent)
        if (ir_op_has_flag(r->parent->opcode, IR_PARALLEL))
            return true;
    return false;
}

/* Block arguments each region must have: count and types. */
static void check_block_args(Verifier *v, const IrOp *op, int i, const IrRegion *r)
{
    Type want[3];
    int n = 0;
    Type i64 = type_scalar(DT_I64);
    switch (op->opcode) {
    case IR_OP_LOOP_FOR:
    case IR_OP_PLOOP_RANGE:
        want[n++] = i64;
        break;
    case IR_OP_PLOOP_NONZEROS:
        want[n++] = i64;
        want[n++] = i64;
        want[n++] = type_scalar(op->noperands > 0 ? operand_type(op, 0)->dtype : DT_F64);
        break;
    case IR_OP_PLOOP_SCHEDULE:
        if (region_is_omitted(r))
            return;
        for (int k = 0; k < (i == 1 ? 2 : 1); k++)
            want[n++] = i64;
        break;
    case IR_OP_K_FUSED:
        if (r->nargs != op->noperands) {
            report(v, op, "region %d has %d arguments for %d operands", i, r->nargs, op->noperands);
            return;
        }
        for (int k = 0; k < r->nargs; k++)
            if (!type_equal(&r->args[k]->type, operand_type(op, k)))
                report(v, op, "region argument %d (%s) must have operand %d's type %s", k,
                       type_text(v, &r->args[k]->type), k, type_text(v, operand_type(op, k)));
        return;
    case IR_OP_AD_GRAD:
        if (r->nargs != op->noperands) {
            report(v, op, "region %d has %d arguments for %d operands", i, r->nargs, op->noperands);
            return;
        }
        for (int k = 0; k < r->nargs; k++)
            if (!types_compatible(&r->args[k]->type, operand_type(op, k)))
                report(v, op, "region argument %d (%s) must have operand %d's type %s", k,
                       type_text(v, &r->args[k]->type), k, type_text(v, operand_type(op, k)));
        return;
    default:
        break;
    }
    if (r->nargs != n) {
        report(v, op, "region %d has %d block argument%s, expected %d", i, r->nargs,
               r->nargs == 1 ? "" : "s", n);
        return;
    }
    for (int k = 0; k < n; k++)
        if (!types_compatible(&r->args[k]->type, &want[k]))
            report(v, op, "block argument %d of region %d is %s, expected %s", k, i,
                   type_text(v, &r->args[k]->type), type_text(v, &want[k]));
}

static void verify_region(Verifier *v, const IrRegion *r);

static void check_value_types(Verifier *v, const IrOp *op, IrValue *const *values, int n,
                              const char *what)
{
    for (int i = 0; i < n; i++) {
        const char *why;
        if (!values[i])
            report(v, op, "%s %d is missing", what, i);
        else if (!type_is_valid(&values[i]->type, &why))
            report(v, op, "%s %d %s", what, i, why);
    }
}

static bool operands_visible(Verifier *v, const IrOp *op)
{
    bool ok = true;
    for (int i = 0; i < op->noperands; i++) {
        int visible = 0;
        if (!op->operands[i]) {
            report(v, op, "operand %d is missing", i);
            ok = false;
        } else if (!ir_valmap_get(&v->visible, op->operands[i], &visible) || !visible) {
            report(v, op,
                   "operand %d is not defined before this op in this or an enclosing "
                   "region",
                   i);
            ok = false;
        }
    }
    return ok;
}

static void verify_op(Verifier *v, const IrOp *op)
{
    if ((int)op->opcode < 0 || op->opcode >= IR_OP_COUNT) {
        report(v, NULL, "an op has an invalid opcode %d", (int)op->opcode);
        return;
    }
    bool ok = counts_match_table(v, op);
    ok = operands_visible(v, op) && ok;
    int errors = v->diags->nerrors;
    check_value_types(v, op, op->operands, op->noperands, "operand");
    check_value_types(v, op, op->results, op->nresults, "result");
    ok = check_attrs(v, op) && ok && v->diags->nerrors == errors;
    if (ok)
        check_op_rules(v, op);
    if (op->opcode == IR_OP_YIELD)
        check_yield(v, op);
    if (op->opcode == IR_OP_CTL_BREAK || op->opcode == IR_OP_CTL_CONTINUE)
        check_loop_exit(v, op);
    if (ir_op_has_flag(op->opcode, IR_TERMINATOR) && op->next)
        report(v, op, "a terminator must be the last op of its region");
    if (ir_op_has_flag(op->opcode, IR_PARALLEL) && inside_parallel_loop(op))
        report(v, op, "parallel loops do not nest");
    for (int i = 0; i < op->nregions; i++) {
        if (!op->regions[i] || op->regions[i]->parent != op) {
            report(v, op, "region %d is missing or not linked to its op", i);
            continue;
        }
        if (ok)
            check_block_args(v, op, i, op->regions[i]);
        verify_region(v, op->regions[i]);
    }
}

static void set_visible(Verifier *v, IrValue *const *values, int n, int visible)
{
    for (int i = 0; i < n; i++)
        if (values[i])
            ir_valmap_put(&v->visible, values[i], visible);
}

static void verify_region(Verifier *v, const IrRegion *r)
{
    int sym_mark = v->visible_syms.len;
    set_visible(v, r->args, r->nargs, 1);
    for (int i = 0; i < r->nargs; i++) {
        const char *why;
        if (r->args[i] && !type_is_valid(&r->args[i]->type, &why))
            report(v, r->parent, "block argument %d %s", i, why);
    }
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->parent != r)
            report(v, op, "op is not linked to the region holding it");
        verify_op(v, op);
        set_visible(v, op->results, op->nresults, 1);
    }
    YieldRule rule = yield_rule(r);
    if (rule != YIELD_NOTHING && !region_is_omitted(r) &&
        !(r->last && r->last->opcode == IR_OP_YIELD))
        report(v, r->parent, "region %d must end with ir.yield", region_index(r->parent, r));
    for (const IrOp *op = r->first; op; op = op->next)
        set_visible(v, op->results, op->nresults, 0);
    set_visible(v, r->args, r->nargs, 0);
    v->visible_syms.len = sym_mark;
}

bool ir_verify(const IrModule *m, DiagList *diags)
{
    Verifier v = {.diags = diags, .ok = true};
    if (m->body->nargs != 0)
        report(&v, NULL, "the module body has block arguments");
    verify_region(&v, m->body);
    ir_valmap_free(&v.visible);
    free(v.visible_syms.items);
    free(v.all_syms.items);
    return v.ok;
}
