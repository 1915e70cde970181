/* autodiff.c: the autodiff pass: expands every ad.grad into its reverse-mode derivative.
 *
 * Contract: consumes a verified module; produces one without ad.grad that ir_verify accepts, or
 * reports errors. The region of an ad.grad is straight-line whole-tensor code (the lowering
 * inlines fn calls) that yields a float scalar, the objective. Each grad op is replaced in place:
 *   1. its region's forward ops are moved before it, the block arguments standing for its
 *      operands;
 *   2. the adjoint ops follow, built by walking the forward ops backwards (autodiff_rules.c) from
 *      the objective's adjoint 1; a value used several times sums its adjoints (t.add);
 *   3. each result of the grad is replaced by its block argument's adjoint, or by zeros of the
 *      operand's type when the objective does not depend on it.
 * Only values that depend on a block argument through float values are differentiated ("active");
 * everything defined outside the region (inputs, constants, other state) is a constant, and
 * integer or boolean paths (argmax, comparisons, casts to integers) carry no derivative.
 * A region holding a loop, a branch or an op with an effect (state writes, save, print), or an
 * active value going through an op with no derivative, is an error on that op; the grad is then
 * left as it was. A grad nested in another's region is expanded first, so the outer one
 * differentiates its expansion (a second derivative). */
#include "passes/autodiff.h"
#include "passes/passes.h"

#include "support/die.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the value table ---- */

/* A hash of the value's address (values are arena objects: the low bits are mostly zero). */
static size_t hash_value(const IrValue *v)
{
    uint64_t x = (uint64_t)(uintptr_t)v;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL; /* the 64-bit finaliser of MurmurHash3 */
    x ^= x >> 33;
    return (size_t)x;
}

/* The entry for v, or NULL when there is none. */
static AdEntry *table_find(const AdTable *t, const IrValue *v)
{
    if (t->cap == 0)
        return NULL;
    size_t i = hash_value(v) & (t->cap - 1);
    while (t->slots[i].key && t->slots[i].key != v)
        i = (i + 1) & (t->cap - 1);
    return t->slots[i].key ? &t->slots[i] : NULL;
}

/* Doubles the table (at least 64 slots), keeping it at most half full. */
static void table_grow(AdTable *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    AdEntry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        DIE("out of memory");
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].key)
            continue;
        size_t j = hash_value(t->slots[i].key) & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
}

/* The entry for v, made empty when there was none. */
static AdEntry *table_insert(AdTable *t, const IrValue *v)
{
    AdEntry *e = table_find(t, v);
    if (e)
        return e;
    if ((t->len + 1) * 2 > t->cap)
        table_grow(t);
    size_t i = hash_value(v) & (t->cap - 1);
    while (t->slots[i].key)
        i = (i + 1) & (t->cap - 1);
    t->slots[i].key = v;
    t->len++;
    return &t->slots[i];
}

/* ---- shared with the rules ---- */

IrValue *ad_primal(const AdContext *c, IrValue *v)
{
    if (!v->def && v->owner == c->body)
        return c->grad->operands[v->index];
    return v;
}

bool ad_is_active(const AdContext *c, const IrValue *v)
{
    const AdEntry *e = table_find(&c->values, v);
    return e && e->active;
}

void ad_accumulate(AdContext *c, IrValue *v, IrValue *contribution)
{
    AdEntry *e = table_find(&c->values, v);
    if (!e || !e->active)
        return;
    if (!e->adjoint) {
        e->adjoint = contribution;
        return;
    }
    IrValue *operands[2] = {e->adjoint, contribution};
    e->adjoint = ad_emit(c, IR_OP_ADD, operands, 2, v->type);
}

void ad_error(AdContext *c, const IrOp *op, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const IrOp *at = op && op->has_span ? op : c->grad;
    Diag *d = diag_error(c->diags, at->has_span ? at->span : (Span){0, 0}, "%s", message);
    if (d && !at->has_span)
        d->has_span = false;
}

/* ---- checking the region and marking active values ---- */

/* Records that v depends on a differentiated block argument. */
static void mark_active(AdContext *c, const IrValue *v)
{
    table_insert(&c->values, v)->active = true;
}

/* Marks the op's results active when they depend on an active operand; reports ops that cannot
 * be differentiated. Returns false after an error. */
static bool mark_op(AdContext *c, const IrOp *op)
{
    const char *name = ir_op_info(op->opcode)->name;
    if (op->nregions > 0) {
        ad_error(c, op,
                 "grad cannot differentiate %s: it covers straight-line whole-tensor "
                 "expressions, not loops or branches",
                 name);
        return false;
    }
    if (ir_op_has_flag(op->opcode, IR_EFFECT)) {
        ad_error(c, op, "grad cannot differentiate through %s, which has an effect", name);
        return false;
    }
    bool float_result = false;
    for (int i = 0; i < op->nresults; i++)
        float_result = float_result || type_is_float(op->results[i]->type.dtype);
    bool active = false;
    for (int i = 0; i < op->noperands; i++) {
        if (!ad_is_active(c, op->operands[i]))
            continue;
        AdDependence d = ad_dependence(op, i);
        if (d == AD_NOT_DIFFERENTIABLE && float_result) {
            ad_error(c, op, "grad cannot differentiate %s by its operand %d", name, i);
            return false;
        }
        active = active || d == AD_DIFFERENTIABLE;
    }
    if (!active || !float_result)
        return true;
    const char *why = ad_unsupported_reason(op);
    if (why) {
        ad_error(c, op, "%s", why);
        return false;
    }
    if (op->nresults != 1)
        DIE("%s is differentiable but has %d results", name, op->nresults);
    mark_active(c, op->results[0]);
    return true;
}

/* Marks the block arguments and every value of the region that depends on them; false after
 * reporting an op (or a csr operand) that cannot be differentiated. */
static bool mark_region(AdContext *c)
{
    for (int i = 0; i < c->body->nargs; i++) {
        if (c->grad->operands[i]->type.sparse) {
            ad_error(c, c->grad, "grad by a csr matrix (operand %d) is not supported", i);
            return false;
        }
        mark_active(c, c->body->args[i]);
    }
    for (const IrOp *op = c->body->first; op; op = op->next)
        if (op->opcode != IR_OP_YIELD && !mark_op(c, op))
            return false;
    return true;
}

/* ---- rewriting ---- */

/* Takes op out of its region's list (it keeps its parent pointer until reinserted). */
static void unlink_op(IrOp *op)
{
    IrRegion *r = op->parent;
    if (op->prev)
        op->prev->next = op->next;
    else
        r->first = op->next;
    if (op->next)
        op->next->prev = op->prev;
    else
        r->last = op->prev;
    op->prev = op->next = NULL;
}

/* Puts a detached op just before anchor, in anchor's region. */
static void insert_before(IrOp *anchor, IrOp *op)
{
    op->parent = anchor->parent;
    op->next = anchor;
    op->prev = anchor->prev;
    if (anchor->prev)
        anchor->prev->next = op;
    else
        anchor->parent->first = op;
    anchor->prev = op;
}

/* Replaces, in the ops from `from` to the end of its region and in their regions, each use of a
 * result of `old` by replacement[result index]. */
static void replace_results(IrOp *from, const IrOp *old, IrValue *const *replacement)
{
    for (IrOp *op = from; op; op = op->next) {
        for (int i = 0; i < op->noperands; i++)
            if (op->operands[i] && op->operands[i]->def == old)
                op->operands[i] = replacement[op->operands[i]->index];
        for (int i = 0; i < op->nregions; i++)
            replace_results(op->regions[i]->first, old, replacement);
    }
}

/* Expands one grad op whose region has been checked: forward ops, adjoints, results. */
static void expand(AdContext *c)
{
    IrOp *grad = c->grad;
    IrOp *yield = c->body->last;
    IrOp *first_forward = c->body->first != yield ? c->body->first : NULL;
    while (c->body->first != yield) {
        IrOp *op = c->body->first;
        unlink_op(op);
        insert_before(grad, op);
    }
    IrOp *last_forward = first_forward ? grad->prev : NULL;

    IrValue *objective = yield->operands[0];
    AdEntry *seed = table_find(&c->values, objective);
    if (seed && seed->active)
        seed->adjoint = ad_float(c, objective->type.dtype, 1.0);
    for (IrOp *op = last_forward; op; op = op == first_forward ? NULL : op->prev) {
        AdEntry *e = op->nresults == 1 ? table_find(&c->values, op->results[0]) : NULL;
        if (e && e->active && e->adjoint)
            ad_backprop(c, op, e->adjoint);
    }

    /* the forward ops now compute with the grad's operands instead of the block arguments */
    for (IrOp *op = first_forward; op; op = op == last_forward ? NULL : op->next)
        for (int i = 0; i < op->noperands; i++)
            op->operands[i] = ad_primal(c, op->operands[i]);

    IrValue **results = ARENA_ARRAY(c->module->arena, IrValue *, grad->nresults);
    for (int i = 0; i < grad->nresults; i++) {
        AdEntry *e = table_find(&c->values, c->body->args[i]);
        results[i] = e && e->adjoint ? e->adjoint : ad_zeros_like(c, grad->operands[i]);
    }
    replace_results(grad->next, grad, results);
    unlink_op(grad);
}

/* Expands the grad op; false (with diagnostics) when it cannot be differentiated. */
static bool expand_grad(IrModule *m, IrOp *grad, DiagList *diags)
{
    AdContext c = {.module = m, .diags = diags, .grad = grad, .body = ir_op_region(grad, 0)};
    int errors = diags->nerrors;
    if (!c.body->last || c.body->last->opcode != IR_OP_YIELD || c.body->last->noperands != 1 ||
        c.body->nargs != grad->noperands || grad->nresults != grad->noperands) {
        ad_error(&c, grad, "ad.grad is malformed (the verifier should have rejected it)");
        return false;
    }
    if (mark_region(&c))
        expand(&c);
    free(c.values.slots);
    return diags->nerrors == errors;
}

/* Expands the grads in r and in the regions of its ops, innermost first. */
static bool expand_region(IrModule *m, IrRegion *r, DiagList *diags)
{
    bool ok = true;
    IrOp *next;
    for (IrOp *op = r->first; op; op = next) {
        next = op->next;
        bool inner_ok = true;
        for (int i = 0; i < op->nregions; i++)
            inner_ok = expand_region(m, op->regions[i], diags) && inner_ok;
        if (op->opcode == IR_OP_AD_GRAD && inner_ok)
            inner_ok = expand_grad(m, op, diags);
        ok = ok && inner_ok;
    }
    return ok;
}

/* The pass (passes.h): every ad.grad of the module, wherever it is, replaced by its expansion. */
bool pass_autodiff(IrModule *m, DiagList *diags)
{
    return expand_region(m, m->body, diags);
}
