/* depend_map.c: the accesses of a parallel loop and their index maps (depend.h).
 *
 * An access is a use, inside the loop's regions, of outer data:
 *   - a `state.read` of a param or var declared outside the loop (wherever the read is), or an
 *     outer SSA tensor (an input, a let: rank >= 1, defined outside the loop);
 *   - used as operand 0 of `t.index`, `t.slice` or `t.gather`: a read through an index map;
 *     used by any other op: a read of the whole tensor;
 *   - `state.write_index`, `state.write`, `state.accumulate` of outer state: writes and
 *     accumulations, with the map of their `index` attribute (or whole).
 * State declared inside the loop is private to an iteration and skipped; so are k.fused bodies
 * (their operands are the accesses).
 *
 * Index operands become affine forms by walking their def chain: a block argument of the analysed
 * region is a loop variable; `ir.const` integers are constants; `cfg.get` / `size.get` are
 * symbols; `t.add`, `t.sub`, `t.neg`, `t.mul` by a constant and integer `t.cast` combine them; a
 * block argument of a region nested in the loop (a sequential `for` variable) is a free value;
 * any other integer value defined outside the loop is a loop-invariant symbol. Anything else
 * (an index read from a tensor, an argmin) is not affine. Coefficient overflow is not affine.
 *
 * Names: loop variables, `for` variables and lets keep their DML names when the ops' spans point
 * into DML source (checked against the text: `parallel for (i, j, v) in`, `let NAME = `);
 * otherwise the defaults i (range), i, j, v (nonzeros), j (schedule; k for the conflict's second
 * argument), and "value@LINE" for an unnamed value. */
#include "passes/depend.h"

#include "support/vec.h"

#include <string.h>

/* ---- names from the source text ---- */

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The source text at the op's span start, or NULL when there is none. */
static const char *text_at(const SrcFile *src, const IrOp *op, size_t *left)
{
    if (!src || !src->text || !op || !op->has_span || op->span.begin >= src->len)
        return NULL;
    *left = src->len - op->span.begin;
    return src->text + op->span.begin;
}

/* Skips spaces; returns the new position. */
static size_t skip_space(const char *s, size_t at, size_t len)
{
    while (at < len && space(s[at]))
        at++;
    return at;
}

/* Matches the keyword at s[at] (followed by a non-identifier character). */
static bool keyword(const char *s, size_t *at, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (*at + n > len || memcmp(s + *at, word, n) != 0 || (*at + n < len && ident_char(s[*at + n])))
        return false;
    *at += n;
    return true;
}

/* Reads an identifier at s[at] into the arena. */
static const char *ident(const char *s, size_t *at, size_t len, Arena *arena)
{
    size_t b = *at;
    if (b >= len || !ident_start(s[b]))
        return NULL;
    while (*at < len && ident_char(s[*at]))
        (*at)++;
    return arena_strndup(arena, s + b, *at - b);
}

bool dep_source_loop_vars(const SrcFile *src, const IrOp *op, const char **names, int n,
                          Arena *arena)
{
    size_t len, at = 0;
    const char *s = text_at(src, op, &len);
    if (!s)
        return false;
    if (op->opcode != IR_OP_LOOP_FOR) {
        if (!keyword(s, &at, len, "parallel"))
            return false;
        at = skip_space(s, at, len);
    }
    if (!keyword(s, &at, len, "for"))
        return false;
    at = skip_space(s, at, len);
    const char *got[3];
    int count = 0;
    bool tuple = at < len && s[at] == '(';
    if (tuple)
        at = skip_space(s, at + 1, len);
    for (;;) {
        if (count == 3 || !(got[count] = ident(s, &at, len, arena)))
            return false;
        count++;
        at = skip_space(s, at, len);
        if (!tuple || at >= len || s[at] != ',')
            break;
        at = skip_space(s, at + 1, len);
    }
    if (tuple && (at >= len || s[at] != ')'))
        return false;
    if (count != n)
        return false;
    for (int i = 0; i < n; i++)
        names[i] = got[i];
    return true;
}

/* The parameter names of a schedule lambda, read backwards from its expression: `|j, k| e`. */
static bool lambda_params(const SrcFile *src, const IrRegion *r, const char **names, int n,
                          Arena *arena)
{
    size_t len;
    const char *s = r->last ? text_at(src, r->last, &len) : NULL;
    if (!s)
        return false;
    const char *base = src->text;
    size_t at = (size_t)(s - base);
    while (at > 0 && space(base[at - 1]))
        at--;
    if (at == 0 || base[at - 1] != '|')
        return false;
    size_t end = at - 1, open = end;
    while (open > 0 && base[open - 1] != '|' && base[open - 1] != '\n')
        open--;
    if (open == 0 || base[open - 1] != '|')
        return false;
    const char *got[2];
    int count = 0;
    size_t p = skip_space(base, open, end);
    while (p < end) {
        if (count == 2 || !(got[count] = ident(base, &p, end, arena)))
            return false;
        count++;
        p = skip_space(base, p, end);
        if (p < end && base[p] == ',')
            p = skip_space(base, p + 1, end);
        else if (p < end)
            return false;
    }
    if (count != n)
        return false;
    for (int i = 0; i < n; i++)
        names[i] = got[i];
    return true;
}

/* The name of the let whose value v is (`let NAME [: T] = e` with e exactly v's span), or NULL. */
static const char *let_name(const SrcFile *src, const IrValue *v, Arena *arena)
{
    /* a kernel's result: the member that computes it carries the expression's span */
    const IrOp *def = v->def;
    if (def && def->opcode == IR_OP_K_FUSED && def->nregions == 1 && def->regions[0]->last &&
        def->regions[0]->last->opcode == IR_OP_YIELD && v->index < def->regions[0]->last->noperands)
        def = def->regions[0]->last->operands[v->index]->def;
    size_t len;
    const char *s = def ? text_at(src, def, &len) : NULL;
    if (!s)
        return NULL;
    const char *base = src->text;
    size_t expr = (size_t)(s - base), line = expr;
    while (line > 0 && base[line - 1] != '\n')
        line--;
    size_t at = skip_space(base, line, expr);
    if (!keyword(base, &at, expr, "let"))
        return NULL;
    at = skip_space(base, at, expr);
    const char *name = ident(base, &at, expr, arena);
    if (!name)
        return NULL;
    while (at < expr && base[at] != '=')
        at++;
    if (at >= expr || (at + 1 < expr && base[at + 1] == '=') ||
        skip_space(base, at + 1, expr) != expr)
        return NULL;
    /* the whole initialiser, not a part that starts it: only a comment may follow on its line */
    size_t end = def->span.end;
    while (end < src->len && (base[end] == ' ' || base[end] == '\t' || base[end] == '\r'))
        end++;
    if (end < src->len && base[end] != '\n' &&
        !(end + 1 < src->len && base[end] == '/' && base[end + 1] == '/'))
        return NULL;
    return name;
}

/* ---- the analysis context ---- */

typedef struct {
    const IrOp *loop;
    const IrRegion *region; /* the region being analysed */
    DepWhere where;
    const char *vars[3]; /* names of the region's index arguments */
    int nvars;
    const SrcFile *src;
    Arena *arena;
    PtrVec accesses; /* DepAccess * */
    PtrVec privates; /* const char *: state declared inside the loop */
} Ctx;

/* True when v is defined inside one of the loop's regions. */
static bool inside_loop(const Ctx *c, const IrValue *v)
{
    const IrRegion *r = v->def ? v->def->parent : v->owner;
    while (r) {
        if (r->parent == c->loop)
            return true;
        r = r->parent ? r->parent->parent : NULL;
    }
    return false;
}

static bool is_private(const Ctx *c, const char *sym)
{
    for (int i = 0; i < c->privates.len; i++)
        if (strcmp(c->privates.items[i], sym) == 0)
            return true;
    return false;
}

/* Collects the state declared in a region (and the regions inside it). */
static void collect_privates(Ctx *c, const IrRegion *r)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        if ((op->opcode == IR_OP_STATE_VAR || op->opcode == IR_OP_STATE_PARAM) && ir_op_symbol(op))
            vec_push(&c->privates, (void *)ir_op_symbol(op));
        for (int i = 0; i < op->nregions; i++)
            collect_privates(c, op->regions[i]);
    }
}

/* How an outer value is called: the state or input it reads, a let's name, or value@LINE. */
static const char *value_name(const Ctx *c, const IrValue *v)
{
    if (v->def && (v->def->opcode == IR_OP_STATE_READ || v->def->opcode == IR_OP_STATE_INPUT) &&
        ir_op_symbol(v->def))
        return ir_op_symbol(v->def);
    if (!v->def && v->owner && v->owner->parent && v->owner->parent->opcode == IR_OP_LOOP_FOR) {
        const char *name;
        if (dep_source_loop_vars(c->src, v->owner->parent, &name, 1, c->arena))
            return name;
        return arena_printf(c->arena, "for@%u", (unsigned)v->owner->parent->loc.line);
    }
    const char *let = let_name(c->src, v, c->arena);
    if (let)
        return let;
    const IrOp *at = v->def ? v->def : v->owner ? v->owner->parent : NULL;
    uint32_t line = at ? at->loc.line : 0, col;
    size_t len;
    if (line == 0 && text_at(c->src, at, &len))
        src_line_col(c->src, at->span.begin, &line, &col);
    return arena_printf(c->arena, "value@%u", (unsigned)line);
}

/* ---- affine forms ---- */

/* Orders terms: variables by position, then free values, then symbols, each by name. */
static int term_order(const DepTerm *a, const DepTerm *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->kind == DEP_ATOM_VAR)
        return a->var - b->var;
    int byname = strcmp(a->name, b->name);
    if (byname != 0)
        return byname;
    if (a->key == b->key)
        return 0;
    return (uintptr_t)a->key < (uintptr_t)b->key ? -1 : 1;
}

/* x*a + y*b into out; false on overflow. */
static bool affine_combine(Arena *arena, int64_t x, const DepAffine *a, int64_t y,
                           const DepAffine *b, DepAffine *out)
{
    DepTerm *t = ARENA_ARRAY(arena, DepTerm, a->nterms + b->nterms + 1);
    int n = 0, i = 0, j = 0;
    int64_t ca, cb;
    if (__builtin_mul_overflow(x, a->constant, &ca) ||
        __builtin_mul_overflow(y, b->constant, &cb) ||
        __builtin_add_overflow(ca, cb, &out->constant))
        return false;
    while (i < a->nterms || j < b->nterms) {
        int order = i == a->nterms   ? 1
                    : j == b->nterms ? -1
                                     : term_order(&a->terms[i], &b->terms[j]);
        DepTerm term = order <= 0 ? a->terms[i] : b->terms[j];
        int64_t coef = 0, part;
        if (order <= 0) {
            if (__builtin_mul_overflow(x, a->terms[i].coef, &coef))
                return false;
            i++;
        }
        if (order >= 0) {
            if (__builtin_mul_overflow(y, b->terms[j].coef, &part) ||
                __builtin_add_overflow(coef, part, &coef))
                return false;
            j++;
        }
        if (coef != 0) {
            term.coef = coef;
            t[n++] = term;
        }
    }
    out->terms = t;
    out->nterms = n;
    return true;
}

/* A single term 1 * atom. */
static DepAffine atom(Arena *arena, DepAtomKind kind, int var, const void *key, const char *name)
{
    DepTerm *t = ARENA_NEW(arena, DepTerm);
    *t = (DepTerm){.kind = kind, .var = var, .key = key, .name = name, .coef = 1};
    return (DepAffine){.terms = t, .nterms = 1};
}

static bool integer_scalar(const IrValue *v)
{
    return v->type.rank == 0 && type_is_int(v->type.dtype);
}

static bool affine_of(Ctx *c, const IrValue *v, DepAffine *out, int depth);

/* The affine form of an op's result from its operands, or false. */
static bool affine_op(Ctx *c, const IrValue *v, DepAffine *out, int depth)
{
    const IrOp *op = v->def;
    DepAffine a, b;
    switch (op->opcode) {
    case IR_OP_CONST: {
        const IrAttr *value = ir_get_attr(op, "value");
        if (!value || value->kind != IR_ATTR_INT)
            return false;
        *out = (DepAffine){.constant = value->int_value};
        return true;
    }
    case IR_OP_CFG_GET:
    case IR_OP_SIZE_GET:
        if (!ir_op_symbol(op))
            return false;
        *out = atom(c->arena, DEP_ATOM_SYMBOL, 0, NULL, ir_op_symbol(op));
        return true;
    case IR_OP_ADD:
    case IR_OP_SUB:
        return affine_of(c, op->operands[0], &a, depth + 1) &&
               affine_of(c, op->operands[1], &b, depth + 1) &&
               affine_combine(c->arena, 1, &a, op->opcode == IR_OP_ADD ? 1 : -1, &b, out);
    case IR_OP_NEG:
        b = (DepAffine){0};
        return affine_of(c, op->operands[0], &a, depth + 1) &&
               affine_combine(c->arena, -1, &a, 0, &b, out);
    case IR_OP_MUL:
        if (!affine_of(c, op->operands[0], &a, depth + 1) ||
            !affine_of(c, op->operands[1], &b, depth + 1))
            return false;
        if (a.nterms == 0)
            return affine_combine(c->arena, a.constant, &b, 0, &a, out);
        if (b.nterms == 0)
            return affine_combine(c->arena, b.constant, &a, 0, &b, out);
        return false;
    case IR_OP_CAST:
        return affine_of(c, op->operands[0], out, depth + 1);
    default:
        return false;
    }
}

/* The affine form of an integer scalar, or false. */
static bool affine_of(Ctx *c, const IrValue *v, DepAffine *out, int depth)
{
    if (depth > 48 || !integer_scalar(v))
        return false;
    if (!v->def) {
        if (v->owner == c->region && v->index < c->nvars) {
            *out = atom(c->arena, DEP_ATOM_VAR, v->index, NULL, c->vars[v->index]);
            return true;
        }
        DepAtomKind kind = inside_loop(c, v) ? DEP_ATOM_FREE : DEP_ATOM_SYMBOL;
        *out = atom(c->arena, kind, 0, v, value_name(c, v));
        return true;
    }
    if (affine_op(c, v, out, depth))
        return true;
    /* any other value computed outside the loop is the same in every iteration */
    if (inside_loop(c, v))
        return false;
    *out = atom(c->arena, DEP_ATOM_SYMBOL, 0, v, value_name(c, v));
    return true;
}

static void format_index(const DepIndex *x, Buf *out);

/* What can be said of an index that is not affine: the let it is ("c"), an element of a named
 * tensor ("idx[i]"), or "?". */
static const char *describe(Ctx *c, const IrValue *v, int depth)
{
    const IrOp *op = v->def;
    if (depth > 3 || !op)
        return "?";
    const char *let = let_name(c->src, v, c->arena);
    if (let)
        return let;
    if (op->opcode == IR_OP_CAST)
        return describe(c, op->operands[0], depth + 1);
    const IrValue *base = op->noperands > 0 ? op->operands[0] : NULL;
    bool named = base && ((base->def && base->def->opcode == IR_OP_STATE_READ) ||
                          (!inside_loop(c, base) && base->type.rank >= 1));
    if (op->opcode == IR_OP_STATE_READ && ir_op_symbol(op))
        return ir_op_symbol(op);
    if (op->opcode != IR_OP_INDEX || !named)
        return "?";
    Buf b = {0};
    buf_printf(&b, "%s[", value_name(c, base));
    for (int k = 1; k < op->noperands; k++) {
        DepIndex x = {.text = "?"};
        x.affine = affine_of(c, op->operands[k], &x.a, 0);
        if (!x.affine)
            x.text = describe(c, op->operands[k], depth + 1);
        if (k > 1)
            buf_puts(&b, ", ");
        format_index(&x, &b);
    }
    buf_putc(&b, ']');
    const char *text = arena_strdup(c->arena, buf_cstr(&b));
    buf_free(&b);
    return text;
}

/* The index an operand stands for. */
static DepIndex index_of(Ctx *c, const IrValue *v)
{
    DepIndex x = {0};
    x.affine = affine_of(c, v, &x.a, 0);
    if (!x.affine)
        x.text = describe(c, v, 0);
    return x;
}

/* ---- accesses ---- */

/* True when v is outer data (its name in *name, whether it is state in *state). */
static bool outer_data(Ctx *c, const IrValue *v, const char **name, bool *state)
{
    if (v->def && v->def->opcode == IR_OP_STATE_READ) {
        const char *sym = ir_op_symbol(v->def);
        if (!sym || is_private(c, sym))
            return false;
        *name = sym;
        *state = true;
        return true;
    }
    if (inside_loop(c, v) || v->type.rank == 0)
        return false;
    *name = value_name(c, v);
    *state = false;
    return true;
}

static DepAccess *new_access(Ctx *c, DepKind kind, const char *tensor, bool state, const IrOp *op)
{
    DepAccess *a = ARENA_NEW(c->arena, DepAccess);
    *a = (DepAccess){
        .kind = kind, .where = c->where, .tensor = tensor, .state = state, .op = op, .whole = true};
    vec_push(&c->accesses, a);
    return a;
}

/* Fills a's map from an `index` attribute whose operands start at op->operands[first]. */
static void map_from_index(Ctx *c, DepAccess *a, const IrOp *op, int first, const IrAttr *index)
{
    if (!index || index->kind != IR_ATTR_STRINGS || index->count == 0)
        return;
    a->ndims = index->count;
    a->dims = ARENA_ARRAY(c->arena, DepDim, index->count);
    int k = first;
    for (int d = 0; d < index->count; d++) {
        const char *pos = index->strings[d];
        DepDim *dim = &a->dims[d];
        IrValue *const *ops = op->operands;
        bool lo = strcmp(pos, "a..b") == 0 || strcmp(pos, "a..") == 0;
        bool hi = strcmp(pos, "a..b") == 0 || strcmp(pos, "..b") == 0;
        if (strcmp(pos, ":") == 0) {
            dim->kind = DEP_DIM_ALL;
        } else if (strcmp(pos, "i") == 0 && k < op->noperands) {
            dim->kind = DEP_DIM_INDEX;
            dim->index = index_of(c, ops[k++]);
        } else if ((lo || hi) && k + lo + hi <= op->noperands) {
            dim->kind = DEP_DIM_RANGE;
            dim->has_lo = lo;
            dim->has_hi = hi;
            if (lo)
                dim->lo = index_of(c, ops[k++]);
            if (hi)
                dim->hi = index_of(c, ops[k++]);
        } else { /* not a position the verifier accepts */
            dim->kind = DEP_DIM_INDEX;
            dim->index = (DepIndex){.text = "?"};
        }
    }
    a->whole = true;
    for (int d = 0; d < a->ndims; d++)
        if (a->dims[d].kind != DEP_DIM_ALL)
            a->whole = false;
}

/* The read made by operand k of op, when that operand is outer data. */
static void operand_access(Ctx *c, const IrOp *op, int k)
{
    const char *name;
    bool state;
    if (!outer_data(c, op->operands[k], &name, &state))
        return;
    DepAccess *a = new_access(c, DEP_READ, name, state, op);
    if (k != 0)
        return;
    if (op->opcode == IR_OP_SLICE) {
        map_from_index(c, a, op, 1, ir_get_attr(op, "index"));
    } else if (op->opcode == IR_OP_INDEX && op->noperands > 1) {
        a->whole = false;
        a->ndims = op->noperands - 1;
        a->dims = ARENA_ARRAY(c->arena, DepDim, a->ndims);
        for (int d = 0; d < a->ndims; d++)
            a->dims[d] = (DepDim){.kind = DEP_DIM_INDEX, .index = index_of(c, op->operands[d + 1])};
    } else if (op->opcode == IR_OP_GATHER && op->noperands == 2) {
        const IrAttr *axis = ir_get_attr(op, "axis");
        int rank = op->operands[0]->type.rank;
        if (!axis || axis->kind != IR_ATTR_INT || axis->int_value < 0 || axis->int_value >= rank)
            return;
        a->whole = false;
        a->ndims = rank;
        a->dims = ARENA_ARRAY(c->arena, DepDim, rank);
        const char *name_idx = "?";
        bool idx_state;
        if (!outer_data(c, op->operands[1], &name_idx, &idx_state))
            name_idx = describe(c, op->operands[1], 0);
        for (int d = 0; d < rank; d++)
            a->dims[d].kind = DEP_DIM_ALL;
        a->dims[axis->int_value] =
            (DepDim){.kind = DEP_DIM_INDEX, .index = {.affine = false, .text = name_idx}};
    }
}

/* Records the write or accumulation of a state op. */
static void update_access(Ctx *c, const IrOp *op)
{
    const char *sym = ir_op_symbol(op);
    if (!sym || is_private(c, sym))
        return;
    DepAccess *a = new_access(c, op->opcode == IR_OP_STATE_ACCUMULATE ? DEP_ACCUMULATE : DEP_WRITE,
                              sym, true, op);
    if (op->opcode != IR_OP_STATE_WRITE)
        map_from_index(c, a, op, 1, ir_get_attr(op, "index"));
}

/* Walks a region's ops (and nested regions, not kernel bodies). */
static void collect_region(Ctx *c, const IrRegion *r)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        for (int k = 0; k < op->noperands; k++)
            operand_access(c, op, k);
        if (op->opcode == IR_OP_STATE_WRITE || op->opcode == IR_OP_STATE_WRITE_INDEX ||
            op->opcode == IR_OP_STATE_ACCUMULATE)
            update_access(c, op);
        if (op->opcode != IR_OP_K_FUSED)
            for (int i = 0; i < op->nregions; i++)
                collect_region(c, op->regions[i]);
    }
}

/* Analyses one region of the loop as `where`, its first nvars arguments named by names. */
static void collect_in(Ctx *c, int region, DepWhere where, const char *const *names, int nvars)
{
    if (region >= c->loop->nregions)
        return;
    c->region = c->loop->regions[region];
    c->where = where;
    c->nvars = nvars < c->region->nargs ? nvars : c->region->nargs;
    for (int i = 0; i < 3; i++)
        c->vars[i] = i < nvars ? names[i] : NULL;
    collect_region(c, c->region);
}

/* True when two indices are the same: equal affine forms (the same atoms, not only the same
 * names), or the same text when neither is affine (merging two of those loses nothing: an index
 * that is not affine never proves two accesses apart nor a write injective). */
static bool same_index(const DepIndex *a, const DepIndex *b)
{
    if (a->affine != b->affine)
        return false;
    if (a->affine)
        return dep_affine_equal(&a->a, &b->a);
    return strcmp(a->text ? a->text : "?", b->text ? b->text : "?") == 0;
}

/* True when two accesses are one: the same kind, region, tensor and map. */
static bool same_access(const DepAccess *a, const DepAccess *b)
{
    if (a->kind != b->kind || a->where != b->where || a->state != b->state ||
        strcmp(a->tensor, b->tensor) != 0 || a->whole != b->whole)
        return false;
    if (a->whole)
        return true;
    if (a->ndims != b->ndims)
        return false;
    for (int d = 0; d < a->ndims; d++) {
        const DepDim *x = &a->dims[d], *y = &b->dims[d];
        if (x->kind != y->kind || x->has_lo != y->has_lo || x->has_hi != y->has_hi)
            return false;
        if (x->kind == DEP_DIM_INDEX && !same_index(&x->index, &y->index))
            return false;
        if (x->kind == DEP_DIM_RANGE && ((x->has_lo && !same_index(&x->lo, &y->lo)) ||
                                         (x->has_hi && !same_index(&x->hi, &y->hi))))
            return false;
    }
    return true;
}

void dep_collect_accesses(const IrOp *loop, const SrcFile *src, Arena *arena, DepLoop *out)
{
    Ctx c = {.loop = loop, .src = src, .arena = arena};
    for (int i = 0; i < loop->nregions; i++)
        collect_privates(&c, loop->regions[i]);
    out->op = loop;
    static const char *const range_vars[] = {"i"};
    static const char *const nonzeros_vars[] = {"i", "j", "v"};
    static const char *const schedule_vars[] = {"j", "k"};
    const char *const *defaults = loop->opcode == IR_OP_PLOOP_NONZEROS   ? nonzeros_vars
                                  : loop->opcode == IR_OP_PLOOP_SCHEDULE ? schedule_vars
                                                                         : range_vars;
    out->nvars = loop->opcode == IR_OP_PLOOP_NONZEROS ? 3 : 1;
    if (!dep_source_loop_vars(src, loop, out->vars, out->nvars, arena))
        for (int i = 0; i < out->nvars; i++)
            out->vars[i] = defaults[i];
    int body = loop->nregions - 1;
    /* the value v of a nonzeros loop is data, not an index */
    collect_in(&c, body, DEP_IN_BODY, out->vars, out->nvars == 3 ? 2 : 1);
    if (loop->opcode == IR_OP_PLOOP_SCHEDULE) {
        const char *names[2] = {"j", "k"};
        if (!lambda_params(src, loop->regions[0], names, 1, arena))
            names[0] = out->vars[0];
        collect_in(&c, 0, DEP_IN_PRIORITY, names, 1);
        names[0] = "j";
        if (!lambda_params(src, loop->regions[1], names, 2, arena))
            names[0] = "j", names[1] = "k";
        collect_in(&c, 1, DEP_IN_CONFLICT, names, 2);
    }
    /* each access once: two that print alike but differ (`w[i + off]` for two reads of `off`
     * made at different times) are both kept, or the classification would miss one */
    DepAccess *kept = ARENA_ARRAY(arena, DepAccess, c.accesses.len + 1);
    int n = 0;
    for (int i = 0; i < c.accesses.len; i++) {
        const DepAccess *a = c.accesses.items[i];
        bool dup = false;
        for (int j = 0; j < n && !dup; j++)
            dup = same_access(&kept[j], a);
        if (!dup)
            kept[n++] = *a;
    }
    out->accesses = kept;
    out->naccesses = n;
    vec_free(&c.accesses);
    vec_free(&c.privates);
}

/* ---- comparing ---- */

bool dep_affine_equal(const DepAffine *a, const DepAffine *b)
{
    if (a->constant != b->constant || a->nterms != b->nterms)
        return false;
    for (int i = 0; i < a->nterms; i++)
        if (term_order(&a->terms[i], &b->terms[i]) != 0 || a->terms[i].coef != b->terms[i].coef)
            return false;
    return true;
}

static bool index_equal(const DepIndex *a, const DepIndex *b)
{
    return a->affine && b->affine && dep_affine_equal(&a->a, &b->a);
}

bool dep_same_map(const DepAccess *a, const DepAccess *b)
{
    if (a->whole || b->whole)
        return a->whole && b->whole;
    if (a->ndims != b->ndims)
        return false;
    for (int d = 0; d < a->ndims; d++) {
        const DepDim *x = &a->dims[d], *y = &b->dims[d];
        if (x->kind != y->kind)
            return false;
        if (x->kind == DEP_DIM_INDEX && !index_equal(&x->index, &y->index))
            return false;
        if (x->kind == DEP_DIM_RANGE && (x->has_lo != y->has_lo || x->has_hi != y->has_hi ||
                                         (x->has_lo && !index_equal(&x->lo, &y->lo)) ||
                                         (x->has_hi && !index_equal(&x->hi, &y->hi))))
            return false;
    }
    return true;
}

/* ---- printing ---- */

/* Appends " + 2*i", " - n" (first: "2*i", "-n"). */
static void format_term(int64_t coef, const char *name, bool first, Buf *out)
{
    uint64_t mag = coef < 0 ? 0 - (uint64_t)coef : (uint64_t)coef;
    if (first)
        buf_puts(out, coef < 0 ? "-" : "");
    else
        buf_puts(out, coef < 0 ? " - " : " + ");
    if (!name) {
        buf_printf(out, "%llu", (unsigned long long)mag);
        return;
    }
    if (mag != 1)
        buf_printf(out, "%llu*", (unsigned long long)mag);
    buf_puts(out, name);
}

void dep_format_affine(const DepAffine *a, Buf *out)
{
    bool first = true;
    for (int pass = 0; pass < 2; pass++) {
        /* positive terms first, then negative ones, the constant last */
        for (int i = 0; i < a->nterms; i++) {
            if ((a->terms[i].coef > 0) != (pass == 0))
                continue;
            format_term(a->terms[i].coef, a->terms[i].name, first, out);
            first = false;
        }
    }
    if (a->constant != 0 || first)
        format_term(a->constant, NULL, first, out);
}

static void format_index(const DepIndex *x, Buf *out)
{
    if (x->affine)
        dep_format_affine(&x->a, out);
    else
        buf_puts(out, x->text ? x->text : "?");
}

static bool map_affine(const DepAccess *a)
{
    for (int d = 0; d < a->ndims; d++) {
        const DepDim *x = &a->dims[d];
        if ((x->kind == DEP_DIM_INDEX && !x->index.affine) ||
            (x->kind == DEP_DIM_RANGE &&
             ((x->has_lo && !x->lo.affine) || (x->has_hi && !x->hi.affine))))
            return false;
    }
    return true;
}

void dep_format_ref(const DepAccess *a, Buf *out)
{
    buf_puts(out, a->tensor);
    if (a->whole)
        return;
    buf_putc(out, '[');
    for (int d = 0; d < a->ndims; d++) {
        const DepDim *x = &a->dims[d];
        if (d > 0)
            buf_puts(out, ", ");
        if (x->kind == DEP_DIM_ALL) {
            buf_putc(out, ':');
        } else if (x->kind == DEP_DIM_INDEX) {
            format_index(&x->index, out);
        } else {
            if (x->has_lo)
                format_index(&x->lo, out);
            buf_puts(out, "..");
            if (x->has_hi)
                format_index(&x->hi, out);
        }
    }
    buf_putc(out, ']');
}

void dep_format_access(const DepAccess *a, Buf *out)
{
    static const char *const kinds[] = {"read", "write", "accumulate"};
    buf_printf(out, "%s ", kinds[a->kind]);
    dep_format_ref(a, out);
    if (!a->whole && !map_affine(a))
        buf_puts(out, " (index not affine)");
    if (a->where == DEP_IN_PRIORITY)
        buf_puts(out, " (priority)");
    else if (a->where == DEP_IN_CONFLICT)
        buf_puts(out, " (conflict)");
}
