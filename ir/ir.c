/* ir.c: the op table's properties, graph construction and attribute storage. */
#include "ir/ir.h"

#include "support/die.h"

#include <string.h>

static const IrOpInfo op_infos[IR_OP_COUNT] = {
#define OP(ENUM, NAME, NOPERANDS, NRESULTS, NREGIONS, FLAGS, ATTRS)                                \
    [ENUM] = {NAME, NOPERANDS, NRESULTS, NREGIONS, FLAGS, ATTRS},
#include "ir/ops.h"
};

const IrOpInfo *ir_op_info(IrOpcode op)
{
    if ((int)op < 0 || op >= IR_OP_COUNT)
        DIE("bad opcode %d", (int)op);
    return &op_infos[op];
}

bool ir_opcode_from_name(const char *name, size_t len, IrOpcode *out)
{
    for (int i = 0; i < IR_OP_COUNT; i++) {
        const char *n = op_infos[i].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            *out = (IrOpcode)i;
            return true;
        }
    }
    return false;
}

bool ir_op_has_flag(IrOpcode op, unsigned flag)
{
    return (ir_op_info(op)->flags & flag) != 0;
}

/* ---- graph ---- */

static IrRegion *new_region(IrModule *m, IrOp *parent)
{
    IrRegion *r = ARENA_NEW(m->arena, IrRegion);
    r->parent = parent;
    return r;
}

IrModule *ir_module_new(Arena *arena)
{
    IrModule *m = ARENA_NEW(arena, IrModule);
    m->arena = arena;
    m->body = new_region(m, NULL);
    return m;
}

static IrValue *new_value(IrModule *m, Type type)
{
    IrValue *v = ARENA_NEW(m->arena, IrValue);
    v->type = type;
    v->type.weak = false;
    return v;
}

IrOp *ir_op_new(IrModule *m, IrOpcode opcode, IrValue *const *operands, int noperands,
                const Type *result_types, int nresults)
{
    IrOp *op = ARENA_NEW(m->arena, IrOp);
    op->opcode = opcode;
    op->noperands = noperands;
    op->operands = ARENA_ARRAY(m->arena, IrValue *, noperands);
    for (int i = 0; i < noperands; i++)
        op->operands[i] = operands[i];
    op->nresults = nresults;
    op->results = ARENA_ARRAY(m->arena, IrValue *, nresults);
    for (int i = 0; i < nresults; i++) {
        IrValue *v = new_value(m, result_types[i]);
        v->def = op;
        v->index = i;
        op->results[i] = v;
    }
    op->nregions = ir_op_info(opcode)->nregions;
    op->regions = ARENA_ARRAY(m->arena, IrRegion *, op->nregions);
    for (int i = 0; i < op->nregions; i++)
        op->regions[i] = new_region(m, op);
    return op;
}

void ir_region_append(IrRegion *r, IrOp *op)
{
    op->parent = r;
    op->prev = r->last;
    op->next = NULL;
    if (r->last)
        r->last->next = op;
    else
        r->first = op;
    r->last = op;
}

IrValue *ir_region_add_arg(IrModule *m, IrRegion *r, Type type)
{
    if (r->nargs == r->args_cap) {
        int cap = r->args_cap ? r->args_cap * 2 : 4;
        IrValue **args = ARENA_ARRAY(m->arena, IrValue *, cap);
        for (int i = 0; i < r->nargs; i++)
            args[i] = r->args[i];
        r->args = args;
        r->args_cap = cap;
    }
    IrValue *v = new_value(m, type);
    v->owner = r;
    v->index = r->nargs;
    r->args[r->nargs++] = v;
    return v;
}

void ir_builder_init(IrBuilder *b, IrModule *m, IrRegion *at_end_of)
{
    memset(b, 0, sizeof *b);
    b->module = m;
    b->region = at_end_of;
}

IrOp *ir_build_op(IrBuilder *b, IrOpcode opcode, IrValue *const *operands, int noperands,
                  const Type *result_types, int nresults)
{
    IrOp *op = ir_op_new(b->module, opcode, operands, noperands, result_types, nresults);
    op->loc = b->loc;
    op->span = b->span;
    op->has_span = b->has_span;
    ir_region_append(b->region, op);
    return op;
}

IrValue *ir_build_value(IrBuilder *b, IrOpcode opcode, IrValue *const *operands, int noperands,
                        Type result_type)
{
    return ir_build_op(b, opcode, operands, noperands, &result_type, 1)->results[0];
}

IrValue *ir_result(const IrOp *op, int i)
{
    if (i < 0 || i >= op->nresults)
        DIE("%s has no result %d", ir_op_info(op->opcode)->name, i);
    return op->results[i];
}

IrRegion *ir_op_region(const IrOp *op, int i)
{
    if (i < 0 || i >= op->nregions)
        DIE("%s has no region %d", ir_op_info(op->opcode)->name, i);
    return op->regions[i];
}

/* ---- attributes ---- */

/* Inserts or replaces, keeping the array sorted by name (a new array each time: ops have few). */
static IrAttr *attr_slot(IrModule *m, IrOp *op, const char *name)
{
    int at = 0;
    while (at < op->nattrs) {
        int c = strcmp(op->attrs[at].name, name);
        if (c == 0) {
            memset(&op->attrs[at], 0, sizeof op->attrs[at]);
            op->attrs[at].name = arena_strdup(m->arena, name);
            return &op->attrs[at];
        }
        if (c > 0)
            break;
        at++;
    }
    IrAttr *attrs = ARENA_ARRAY(m->arena, IrAttr, op->nattrs + 1);
    for (int i = 0; i < at; i++)
        attrs[i] = op->attrs[i];
    for (int i = at; i < op->nattrs; i++)
        attrs[i + 1] = op->attrs[i];
    op->attrs = attrs;
    op->nattrs++;
    attrs[at].name = arena_strdup(m->arena, name);
    return &attrs[at];
}

void ir_set_int(IrModule *m, IrOp *op, const char *name, int64_t v)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_INT;
    a->int_value = v;
}

void ir_set_float(IrModule *m, IrOp *op, const char *name, double v)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_FLOAT;
    a->float_value = v;
}

void ir_set_string(IrModule *m, IrOp *op, const char *name, const char *v)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_STRING;
    a->string = arena_strdup(m->arena, v);
}

void ir_set_bool(IrModule *m, IrOp *op, const char *name, bool v)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_BOOL;
    a->bool_value = v;
}

void ir_set_symbol(IrModule *m, IrOp *op, const char *name, const char *sym)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_SYMBOL;
    a->string = arena_strdup(m->arena, sym);
}

void ir_set_type(IrModule *m, IrOp *op, const char *name, Type t)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_TYPE;
    a->type = t;
    a->type.weak = false;
    for (int i = 0; i < t.rank; i++)
        if (t.dims[i].kind == DIM_SYM)
            a->type.dims[i].sym = arena_strdup(m->arena, t.dims[i].sym);
}

void ir_set_ints(IrModule *m, IrOp *op, const char *name, const int64_t *v, int n)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_INTS;
    a->ints = arena_copy(m->arena, v, (size_t)n, sizeof *v);
    a->count = n;
}

static const char **copy_strings(IrModule *m, const char *const *v, int n)
{
    const char **out = ARENA_ARRAY(m->arena, const char *, n);
    for (int i = 0; i < n; i++)
        out[i] = arena_strdup(m->arena, v[i]);
    return out;
}

void ir_set_strings(IrModule *m, IrOp *op, const char *name, const char *const *v, int n)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_STRINGS;
    a->strings = copy_strings(m, v, n);
    a->count = n;
}

void ir_set_symbols(IrModule *m, IrOp *op, const char *name, const char *const *v, int n)
{
    IrAttr *a = attr_slot(m, op, name);
    a->kind = IR_ATTR_SYMBOLS;
    a->strings = copy_strings(m, v, n);
    a->count = n;
}

void ir_set_attr(IrModule *m, IrOp *op, const IrAttr *attr)
{
    switch (attr->kind) {
    case IR_ATTR_INT:
        ir_set_int(m, op, attr->name, attr->int_value);
        return;
    case IR_ATTR_FLOAT:
        ir_set_float(m, op, attr->name, attr->float_value);
        return;
    case IR_ATTR_STRING:
        ir_set_string(m, op, attr->name, attr->string);
        return;
    case IR_ATTR_BOOL:
        ir_set_bool(m, op, attr->name, attr->bool_value);
        return;
    case IR_ATTR_SYMBOL:
        ir_set_symbol(m, op, attr->name, attr->string);
        return;
    case IR_ATTR_TYPE:
        ir_set_type(m, op, attr->name, attr->type);
        return;
    case IR_ATTR_INTS:
        ir_set_ints(m, op, attr->name, attr->ints, attr->count);
        return;
    case IR_ATTR_STRINGS:
        ir_set_strings(m, op, attr->name, attr->strings, attr->count);
        return;
    case IR_ATTR_SYMBOLS:
        ir_set_symbols(m, op, attr->name, attr->strings, attr->count);
        return;
    }
    UNREACHABLE();
}

const IrAttr *ir_get_attr(const IrOp *op, const char *name)
{
    for (int i = 0; i < op->nattrs; i++)
        if (strcmp(op->attrs[i].name, name) == 0)
            return &op->attrs[i];
    return NULL;
}

const char *ir_op_symbol(const IrOp *op)
{
    const IrAttr *a = ir_get_attr(op, "sym");
    return a && a->kind == IR_ATTR_SYMBOL ? a->string : NULL;
}
