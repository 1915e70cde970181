/* canonicalize.c: constant folding, exact identities, merging of state reads, common
 * subexpressions and dead code (the `canonicalize` pass, run again as `cleanup` after autodiff).
 *
 * Contract: consumes a verified module; rewrites it in place to an equivalent one. Repeats until
 * nothing changes (each round: one forward walk that folds, simplifies, merges reads and CSEs,
 * then one backward walk that removes dead ops):
 *   - fold: a scalar op whose operands are all ir.const becomes an ir.const (fold.h: which ops,
 *     with what semantics, and what is left to the run time);
 *   - identities: x * 1, x / 1, x - 0, x + -0.0, same-type casts, where with a constant condition,
 *     x and true, x or false are replaced by the value they equal (fold.h);
 *   - shape queries: t.rows / t.cols / t.len of a dimension the type knows become an i64
 *     ir.const, a size.get of its size name, or a cfg.get of its (integer) config, so the
 *     queried tensor need not be computed for it;
 *   - state reads: a state.read of @s in a region whose earlier state.read of @s in the same
 *     region is not followed by a write to @s (state.write, write_index, accumulate, a
 *     declaration, or an op whose regions contain one) takes the earlier read's value;
 *   - CSE: an IR_PURE op without regions equal to an earlier one (opcode, operands, attributes,
 *     result types) in the same or an enclosing region takes its results; random ops are never
 *     merged (two draws differ);
 *   - dead code: IR_PURE ops (cfg.get, size.get and constants among them), state.read and random
 *     constructors whose results are unused are removed.
 * k.fused kernels are left as they are (their regions are isolated and already minimal). */
#include "passes/fold.h"
#include "passes/passes.h"
#include "passes/rewrite.h"

#include "support/die.h"

#include <stdlib.h>
#include <string.h>

/* Rounds of fold/CSE/DCE before giving up on reaching a fixed point: each round removes what
 * the previous one exposed; two are enough for what lowering and autodiff produce, and the cap
 * only bounds pathological inputs. */
enum { MAX_ROUNDS = 8 };

/* ---- the CSE table: ops by structural hash, scoped by region ---- */

typedef struct CseEntry CseEntry;
struct CseEntry {
    IrOp *op;
    uint64_t hash;
    CseEntry *next; /* in the bucket */
};

typedef struct {
    CseEntry **buckets;
    size_t nbuckets; /* a power of two */
    CseEntry **log;  /* entries in insertion order, popped when their region ends */
    size_t nlog, caplog;
} CseTable;

/* Combines x into the hash h (boost's hash_combine). */
static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
    return h;
}

/* Mixes the bytes of s into h. */
static uint64_t hash_string(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = mix(h, (unsigned char)*s);
    return h;
}

/* Mixes a type (dtype, rank, sparsity, dimensions) into h. */
static uint64_t hash_type(uint64_t h, const Type *t)
{
    h = mix(h, (uint64_t)t->dtype * 8 + t->rank * 2 + t->sparse);
    for (int i = 0; i < t->rank; i++) {
        h = mix(h, t->dims[i].kind);
        if (t->dims[i].kind == DIM_CONST)
            h = mix(h, (uint64_t)t->dims[i].value);
        else if (t->dims[i].kind == DIM_SYM)
            h = hash_string(h, t->dims[i].sym);
    }
    return h;
}

/* Mixes an attribute's name, kind and value into h. */
static uint64_t hash_attr(uint64_t h, const IrAttr *a)
{
    h = hash_string(mix(h, a->kind), a->name);
    switch (a->kind) {
    case IR_ATTR_INT:
        return mix(h, (uint64_t)a->int_value);
    case IR_ATTR_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &a->float_value, sizeof bits);
        return mix(h, bits);
    }
    case IR_ATTR_BOOL:
        return mix(h, a->bool_value);
    case IR_ATTR_STRING:
    case IR_ATTR_SYMBOL:
        return hash_string(h, a->string);
    case IR_ATTR_TYPE:
        return hash_type(h, &a->type);
    case IR_ATTR_INTS:
        for (int i = 0; i < a->count; i++)
            h = mix(h, (uint64_t)a->ints[i]);
        return h;
    case IR_ATTR_STRINGS:
    case IR_ATTR_SYMBOLS:
        for (int i = 0; i < a->count; i++)
            h = hash_string(mix(h, 1), a->strings[i]);
        return h;
    }
    UNREACHABLE();
}

/* A hash of what makes two ops equal for CSE (ops_equal). */
static uint64_t hash_op(const IrOp *op)
{
    uint64_t h = mix(0, op->opcode);
    for (int i = 0; i < op->noperands; i++)
        h = mix(h, (uint64_t)(uintptr_t)op->operands[i]);
    for (int i = 0; i < op->nattrs; i++)
        h = hash_attr(h, &op->attrs[i]);
    for (int i = 0; i < op->nresults; i++)
        h = hash_type(h, &op->results[i]->type);
    /* MurmurHash3's finaliser: the bucket is the low bits, and a float's bits vary in the high
     * ones (1.5 and 2.5 differ only there) */
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    h ^= h >> 33;
    return h;
}

/* Equal strings, NULL equal only to NULL. */
static bool strings_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Attribute values equal; floats by their bits (so 0.0 and -0.0 differ, a nan equals itself). */
static bool attrs_equal(const IrAttr *a, const IrAttr *b)
{
    if (a->kind != b->kind || !strings_equal(a->name, b->name))
        return false;
    switch (a->kind) {
    case IR_ATTR_INT:
        return a->int_value == b->int_value;
    case IR_ATTR_FLOAT:
        return memcmp(&a->float_value, &b->float_value, sizeof a->float_value) == 0;
    case IR_ATTR_BOOL:
        return a->bool_value == b->bool_value;
    case IR_ATTR_STRING:
    case IR_ATTR_SYMBOL:
        return strings_equal(a->string, b->string);
    case IR_ATTR_TYPE:
        return type_equal(&a->type, &b->type);
    case IR_ATTR_INTS:
        return a->count == b->count &&
               (a->count == 0 || memcmp(a->ints, b->ints, sizeof *a->ints * a->count) == 0);
    case IR_ATTR_STRINGS:
    case IR_ATTR_SYMBOLS:
        if (a->count != b->count)
            return false;
        for (int i = 0; i < a->count; i++)
            if (!strings_equal(a->strings[i], b->strings[i]))
                return false;
        return true;
    }
    UNREACHABLE();
}

/* Same opcode, the same operand values, equal attributes and equal result types. */
static bool ops_equal(const IrOp *a, const IrOp *b)
{
    if (a->opcode != b->opcode || a->noperands != b->noperands || a->nresults != b->nresults ||
        a->nattrs != b->nattrs)
        return false;
    for (int i = 0; i < a->noperands; i++)
        if (a->operands[i] != b->operands[i])
            return false;
    for (int i = 0; i < a->nattrs; i++)
        if (!attrs_equal(&a->attrs[i], &b->attrs[i]))
            return false;
    for (int i = 0; i < a->nresults; i++)
        if (!type_equal(&a->results[i]->type, &b->results[i]->type))
            return false;
    return true;
}

/* An empty table with at least twice as many buckets as the module has ops. */
static void cse_init(CseTable *t, size_t nops)
{
    memset(t, 0, sizeof *t);
    t->nbuckets = 64;
    while (t->nbuckets < 2 * nops)
        t->nbuckets *= 2;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets)
        DIE("out of memory for a CSE table of %zu buckets", t->nbuckets);
}

/* Frees the table and any entries still in it. */
static void cse_free(CseTable *t)
{
    for (size_t i = 0; i < t->nlog; i++)
        free(t->log[i]);
    free(t->log);
    free(t->buckets);
}

/* An op equal to `op` that is visible here, or NULL. */
static IrOp *cse_find(const CseTable *t, const IrOp *op, uint64_t hash)
{
    for (CseEntry *e = t->buckets[hash & (t->nbuckets - 1)]; e; e = e->next)
        if (e->hash == hash && ops_equal(e->op, op))
            return e->op;
    return NULL;
}

/* Makes op visible to later lookups until its region ends. */
static void cse_insert(CseTable *t, IrOp *op, uint64_t hash)
{
    CseEntry *e = malloc(sizeof *e);
    if (!e)
        DIE("out of memory");
    if (t->nlog == t->caplog) {
        t->caplog = t->caplog ? t->caplog * 2 : 256;
        t->log = realloc(t->log, sizeof *t->log * t->caplog);
        if (!t->log)
            DIE("out of memory");
    }
    size_t b = hash & (t->nbuckets - 1);
    *e = (CseEntry){op, hash, t->buckets[b]};
    t->buckets[b] = e;
    t->log[t->nlog++] = e;
}

/* Forgets the entries made since `mark` (a region ended); each is its bucket's head. */
static void cse_pop(CseTable *t, size_t mark)
{
    while (t->nlog > mark) {
        CseEntry *e = t->log[--t->nlog];
        t->buckets[e->hash & (t->nbuckets - 1)] = e->next;
        free(e);
    }
}

/* ---- state reads ---- */

/* The latest read of each symbol in one region that no write has followed. */
typedef struct {
    const char **syms;
    IrValue **values;
    int len, cap;
} ReadCache;

/* The cache slot of sym (made when `create`), or NULL. */
static IrValue **read_slot(ReadCache *rc, const char *sym, bool create)
{
    for (int i = 0; i < rc->len; i++)
        if (strcmp(rc->syms[i], sym) == 0)
            return &rc->values[i];
    if (!create)
        return NULL;
    if (rc->len == rc->cap) {
        rc->cap = rc->cap ? rc->cap * 2 : 8;
        rc->syms = realloc(rc->syms, sizeof *rc->syms * rc->cap);
        rc->values = realloc(rc->values, sizeof *rc->values * rc->cap);
        if (!rc->syms || !rc->values)
            DIE("out of memory");
    }
    rc->syms[rc->len] = sym;
    rc->values[rc->len] = NULL;
    return &rc->values[rc->len++];
}

/* True for the ops that change the resource named by their `sym`. */
static bool writes_state(const IrOp *op)
{
    switch (op->opcode) {
    case IR_OP_STATE_WRITE:
    case IR_OP_STATE_WRITE_INDEX:
    case IR_OP_STATE_ACCUMULATE:
    case IR_OP_STATE_PARAM:
    case IR_OP_STATE_VAR:
        return true;
    default:
        return false;
    }
}

/* Forgets the reads of every symbol that op writes, itself or anywhere in its regions. */
static void forget_written(ReadCache *rc, const IrOp *op)
{
    if (writes_state(op) && ir_op_symbol(op)) {
        IrValue **slot = read_slot(rc, ir_op_symbol(op), false);
        if (slot)
            *slot = NULL;
    }
    for (int r = 0; r < op->nregions; r++)
        for (const IrOp *inner = op->regions[r]->first; inner; inner = inner->next)
            forget_written(rc, inner);
}

/* ---- the walks ---- */

/* An integer config declared so far, and the region of its declaration. */
typedef struct {
    const char *name;
    const IrRegion *region;
} Config;

typedef struct {
    Rewriter rw;
    CseTable cse;
    bool changed;
    Config *configs;
    int nconfigs, capconfigs;
} Canon;

/* Replaces each result of op by the matching value of `by`, then erases op. */
static void replace_op(Canon *c, IrOp *op, IrValue *const *by)
{
    for (int i = 0; i < op->nresults; i++)
        rw_replace_all_uses(&c->rw, op->results[i], by[i]);
    rw_erase(&c->rw, op);
    c->changed = true;
}

/* CSE of op against what is visible; true when it was replaced. */
static bool cse_op(Canon *c, IrOp *op)
{
    if (!ir_op_has_flag(op->opcode, IR_PURE) || op->nregions > 0 || op->nresults == 0)
        return false;
    uint64_t h = hash_op(op);
    IrOp *same = cse_find(&c->cse, op, h);
    if (!same) {
        cse_insert(&c->cse, op, h);
        return false;
    }
    replace_op(c, op, same->results);
    return true;
}

/* Folds a scalar op with constant operands into a new ir.const; true when it did. */
static bool fold_op(Canon *c, IrOp *op)
{
    if (!ir_op_has_flag(op->opcode, IR_PURE) || op->opcode == IR_OP_CONST || op->nresults != 1 ||
        op->noperands == 0 || op->noperands > 3)
        return false;
    FoldValue args[3], result;
    for (int i = 0; i < op->noperands; i++)
        if (!fold_const_of(op->operands[i], &args[i]))
            return false;
    if (!fold_eval(op, args, &result))
        return false;
    Type t = op->results[0]->type;
    IrOp *k = rw_new_op_before(&c->rw, op, IR_OP_CONST, NULL, 0, &t, 1);
    fold_set_value(c->rw.module, k, result);
    replace_op(c, op, k->results);
    cse_op(c, k);
    return true;
}

/* Remembers an integer config declaration for fold_shape_query. */
static void note_config(Canon *c, const IrOp *op)
{
    const IrAttr *value = ir_get_attr(op, "value");
    if (!ir_op_symbol(op) || !value || value->kind != IR_ATTR_INT)
        return;
    if (c->nconfigs == c->capconfigs) {
        c->capconfigs = c->capconfigs ? c->capconfigs * 2 : 16;
        c->configs = realloc(c->configs, sizeof *c->configs * c->capconfigs);
        if (!c->configs)
            DIE("out of memory");
    }
    c->configs[c->nconfigs++] = (Config){ir_op_symbol(op), op->parent};
}

/* True when `name` is an integer config declared before `at`, visible there. */
static bool is_visible_config(const Canon *c, const char *name, const IrOp *at)
{
    for (int i = 0; i < c->nconfigs; i++)
        if (strcmp(c->configs[i].name, name) == 0 &&
            rw_region_encloses(c->configs[i].region, at->parent))
            return true;
    return false;
}

/* t.rows / t.cols / t.len of a known dimension: its constant, size or config; true when done. */
static bool fold_shape_query(Canon *c, IrOp *op)
{
    if (op->opcode != IR_OP_ROWS && op->opcode != IR_OP_COLS && op->opcode != IR_OP_LEN)
        return false;
    const Type *t = &op->operands[0]->type;
    int axis = op->opcode == IR_OP_COLS ? 1 : 0;
    if (axis >= t->rank || t->dims[axis].kind == DIM_ANY)
        return false;
    Dim d = t->dims[axis];
    Type i64 = type_scalar(DT_I64);
    IrOp *k;
    if (d.kind == DIM_CONST) {
        k = rw_new_op_before(&c->rw, op, IR_OP_CONST, NULL, 0, &i64, 1);
        ir_set_int(c->rw.module, k, "value", d.value);
    } else {
        bool config = is_visible_config(c, d.sym, op);
        k = rw_new_op_before(&c->rw, op, config ? IR_OP_CFG_GET : IR_OP_SIZE_GET, NULL, 0, &i64, 1);
        ir_set_symbol(c->rw.module, k, "sym", d.sym);
    }
    replace_op(c, op, k->results);
    cse_op(c, k);
    return true;
}

static void canon_region(Canon *c, IrRegion *r);

/* Everything the forward walk does to one op: its regions first, then folding, identities, read
 * merging and CSE (each may replace and erase it). */
static void canon_op(Canon *c, IrOp *op, ReadCache *reads)
{
    if (op->opcode == IR_OP_K_FUSED)
        return;
    for (int i = 0; i < op->nregions; i++)
        canon_region(c, op->regions[i]);
    if (op->opcode == IR_OP_CFG_DECL)
        note_config(c, op);
    if (fold_op(c, op) || fold_shape_query(c, op))
        return;
    IrValue *same = fold_identity(op);
    if (same) {
        replace_op(c, op, &same);
        return;
    }
    if (op->opcode == IR_OP_STATE_READ && ir_op_symbol(op)) {
        IrValue **slot = read_slot(reads, ir_op_symbol(op), true);
        if (*slot && type_equal(&(*slot)->type, &op->results[0]->type))
            replace_op(c, op, slot);
        else
            *slot = op->results[0];
        return;
    }
    forget_written(reads, op);
    cse_op(c, op);
}

/* The forward walk over one region, with a read cache of its own and CSE entries that end with
 * it. */
static void canon_region(Canon *c, IrRegion *r)
{
    size_t mark = c->cse.nlog;
    ReadCache reads = {0};
    IrOp *next;
    for (IrOp *op = r->first; op; op = next) {
        next = op->next;
        canon_op(c, op, &reads);
    }
    free(reads.syms);
    free(reads.values);
    cse_pop(&c->cse, mark);
}

/* Ops whose only effect is their results. */
static bool removable_when_unused(const IrOp *op)
{
    return op->nresults > 0 &&
           (ir_op_has_flag(op->opcode, IR_PURE | IR_RANDOM) || op->opcode == IR_OP_STATE_READ);
}

/* Removes dead ops, last first, so that ops only the removed ones used go in the same walk. */
static void dce_region(Canon *c, IrRegion *r)
{
    IrOp *prev;
    for (IrOp *op = r->last; op; op = prev) {
        prev = op->prev;
        if (removable_when_unused(op) && rw_results_unused(&c->rw, op)) {
            rw_erase(&c->rw, op);
            c->changed = true;
            continue;
        }
        if (op->opcode == IR_OP_K_FUSED)
            continue;
        for (int i = op->nregions - 1; i >= 0; i--)
            dce_region(c, op->regions[i]);
    }
}

/* Ops in a region and all the regions nested in it. */
static size_t count_ops(const IrRegion *r)
{
    size_t n = 0;
    for (const IrOp *op = r->first; op; op = op->next) {
        n++;
        for (int i = 0; i < op->nregions; i++)
            n += count_ops(op->regions[i]);
    }
    return n;
}

/* Rounds of the forward walk and the dead-code walk until a round changes nothing. */
bool pass_canonicalize(IrModule *m, DiagList *diags)
{
    Canon c = {0};
    rw_init(&c.rw, m);
    cse_init(&c.cse, count_ops(m->body));
    for (int round = 0; round < MAX_ROUNDS; round++) {
        c.changed = false;
        c.nconfigs = 0;
        canon_region(&c, m->body);
        dce_region(&c, m->body);
        if (!c.changed)
            break;
    }
    free(c.configs);
    cse_free(&c.cse);
    rw_free(&c.rw);
    return true;
}
