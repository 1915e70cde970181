/* sema.c: the semantic checker: names, dtypes, symbolic shapes and the rules of DML.
 *
 * Contract: consumes the untyped AST of parse.c. Creates a Symbol for every declared name
 * (Program.symbols, by id), points every use at it (Expr.sym, Binding.sym, Stmt.sym), gives
 * every expression its Type (dtype, symbolic shape, csr, weak) and resolves builtin calls
 * (Expr.builtin). Reports every violation of LANGUAGE.md it can find in one run: an erroneous
 * expression gets the poison type (DT_NONE without tuple_types) and everything built on poison
 * stays quiet, so one mistake gives one message. Never prints, never exits.
 *
 * Visibility: a top-level declaration is visible after it; fns are visible in every fn body
 * (so they may be written in any order and recursion shows up as a call-graph cycle), but a
 * top-level call must come after the fn and everything it calls. */
#include "frontend/builtins.h"
#include "frontend/frontend.h"
#include "support/die.h"
#include "support/suggest.h"
#include "support/vec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================================== */
/* Data                                                                                     */
/* ======================================================================================== */

typedef struct FnInfo FnInfo;
typedef struct SemaSym SemaSym;
typedef struct Scope Scope;
typedef struct ScopeEntry ScopeEntry;

/* A Symbol with what only the checker needs. */
struct SemaSym {
    Symbol base;    /* first member: a Symbol * of ours points to a SemaSym */
    int depth;      /* scope depth of the declaration (0: top level) */
    bool has_value; /* SYM_SIZE: the dimension it is known to equal */
    Dim value;
    bool has_dim; /* SYM_LET: an integer whose value is a known dimension (rows(X)) */
    Dim dim;
    bool loop_dependent; /* declared in a parallel body; may differ between iterations */
    FnInfo *fn;          /* SYM_FN */
};

typedef struct {
    FnInfo *callee;
    Span at;
} CallEdge;

/* A top-level fn: its signature (resolved before any body is checked) and its calls. */
struct FnInfo {
    Stmt *decl;
    SemaSym *sym;
    int nparams;
    Type *params;
    Type ret;
    bool has_ret;
    const char **generic; /* size names bound afresh at each call */
    Span *generic_spans;
    int ngeneric;
    PtrVec calls;           /* CallEdge * */
    int scc_index, scc_low; /* Tarjan's strongly connected components (recursion) */
    int component;
    int visit;      /* cycle_path: the search that reached it; latest_callee: 1, 2 */
    FnInfo *latest; /* latest_callee's answer */
    bool on_stack, recursive;
};

typedef struct {
    FnInfo *fn;
    Span at;
} TopCall;

/* Open-addressing map from a name to a pointer. */
typedef struct {
    const char **keys;
    void **values;
    size_t cap, len;
} StrMap;

struct ScopeEntry {
    SemaSym *sym;
    Scope *scope;
    ScopeEntry *shadowed; /* the same name in an enclosing scope */
    ScopeEntry *next_in_scope;
};

struct Scope {
    Scope *parent;
    int depth;
    ScopeEntry *entries;
};

typedef enum { LOOP_SEQUENTIAL, LOOP_PARALLEL } LoopKind;

typedef struct LoopCtx LoopCtx;
struct LoopCtx {
    LoopKind kind;
    Stmt *stmt;
    LoopCtx *outer;
};

/* The parallel for whose body is being checked. */
typedef struct {
    Stmt *stmt;
    int body_depth;        /* symbols declared at a smaller depth are outer state */
    bool check_collisions; /* bsp with more than one iteration: same-element writes are errors */
    int dependent_guards;  /* enclosing if/while whose condition depends on a loop variable */
} PforCtx;

typedef struct {
    Program *prog;
    Arena *arena;
    DiagList *diags;
    StrMap names;     /* name -> innermost ScopeEntry */
    StrMap fns;       /* name -> FnInfo, every top-level fn */
    StrMap top_decls; /* name -> Span *: first top-level declaration (for "used before") */
    Scope *scope;
    PtrVec symbols;
    PtrVec fn_list;   /* FnInfo *, in declaration order */
    PtrVec top_calls; /* TopCall * */
    LoopCtx *loop;
    PforCtx *pfor;
    FnInfo *fn; /* fn whose body is being checked */
} Sema;

/* ======================================================================================== */
/* Maps and scopes                                                                          */
/* ======================================================================================== */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static size_t strmap_slot(const StrMap *m, const char *key)
{
    size_t i = hash_name(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void *strmap_get(const StrMap *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = strmap_slot(m, key);
    return m->keys[i] ? m->values[i] : NULL;
}

static void strmap_grow(StrMap *m)
{
    StrMap bigger = {0};
    bigger.cap = m->cap ? m->cap * 2 : 64;
    bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
    bigger.values = calloc(bigger.cap, sizeof *bigger.values);
    if (!bigger.keys || !bigger.values)
        DIE("out of memory");
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = strmap_slot(&bigger, m->keys[i]);
        bigger.keys[j] = m->keys[i];
        bigger.values[j] = m->values[i];
        bigger.len++;
    }
    free(m->keys);
    free(m->values);
    *m = bigger;
}

static void strmap_put(StrMap *m, const char *key, void *value)
{
    if ((m->len + 1) * 10 > m->cap * 7)
        strmap_grow(m);
    size_t i = strmap_slot(m, key);
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->len++;
    }
    m->values[i] = value;
}

static void strmap_free(StrMap *m)
{
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof *m);
}

static void push_scope(Sema *s)
{
    Scope *sc = ARENA_NEW(s->arena, Scope);
    sc->parent = s->scope;
    sc->depth = s->scope ? s->scope->depth + 1 : 0;
    s->scope = sc;
}

static void pop_scope(Sema *s)
{
    for (ScopeEntry *e = s->scope->entries; e; e = e->next_in_scope)
        strmap_put(&s->names, e->sym->base.name, e->shadowed);
    s->scope = s->scope->parent;
}

static SemaSym *lookup(Sema *s, const char *name)
{
    ScopeEntry *e = strmap_get(&s->names, name);
    return e ? e->sym : NULL;
}

static SemaSym *as_sema(Symbol *sym)
{
    return (SemaSym *)sym;
}

/* The size name or config a dimension names, looking past loop variables that shadow it. */
static SemaSym *dim_symbol(Sema *s, const char *name)
{
    for (ScopeEntry *e = strmap_get(&s->names, name); e; e = e->shadowed)
        if (e->sym->base.kind == SYM_SIZE || e->sym->base.kind == SYM_CONFIG)
            return e->sym;
    return NULL;
}

static int loop_depth(const Sema *s)
{
    int n = 0;
    for (const LoopCtx *l = s->loop; l; l = l->outer)
        n++;
    return n;
}

/* A symbol not yet numbered (fns are made before the walk reaches them). */
static SemaSym *alloc_symbol(Sema *s, SymbolKind kind, const char *name, Span at, Stmt *decl,
                             Type type)
{
    SemaSym *sym = ARENA_NEW(s->arena, SemaSym);
    sym->base.kind = kind;
    sym->base.name = name;
    sym->base.decl_span = at;
    sym->base.type = type;
    sym->base.decl = decl;
    sym->base.id = -1;
    return sym;
}

/* Numbers a symbol in declaration order and records where it was declared. */
static void register_symbol(Sema *s, SemaSym *sym)
{
    sym->base.id = s->symbols.len;
    sym->base.loop_depth = loop_depth(s);
    sym->base.in_parallel_body = s->pfor != NULL;
    sym->base.in_fn = s->fn != NULL;
    sym->depth = s->scope ? s->scope->depth : 0;
    vec_push(&s->symbols, sym);
}

static SemaSym *new_symbol(Sema *s, SymbolKind kind, const char *name, Span at, Stmt *decl,
                           Type type)
{
    SemaSym *sym = alloc_symbol(s, kind, name, at, decl, type);
    register_symbol(s, sym);
    return sym;
}

static const char *kind_noun(SymbolKind k);

/* "an input", "a let". */
static const char *a_kind(SymbolKind k)
{
    switch (k) {
    case SYM_INPUT:
        return "an input";
    case SYM_FN:
        return "a fn";
    case SYM_FN_PARAM:
        return "a fn parameter";
    case SYM_LOOP_VAR:
        return "a loop variable";
    case SYM_PLOOP_VAR:
        return "a parallel loop variable";
    case SYM_LAMBDA_PARAM:
        return "a lambda parameter";
    case SYM_SIZE:
        return "a size name";
    case SYM_CONFIG:
        return "a config";
    case SYM_PARAM:
        return "a param";
    case SYM_VAR:
        return "a var";
    case SYM_LET:
        return "a let";
    }
    UNREACHABLE();
}

static const char *kind_noun(SymbolKind k)
{
    switch (k) {
    case SYM_CONFIG:
        return "config";
    case SYM_INPUT:
        return "input";
    case SYM_PARAM:
        return "param";
    case SYM_VAR:
        return "var";
    case SYM_LET:
        return "let";
    case SYM_FN:
        return "fn";
    case SYM_FN_PARAM:
        return "fn parameter";
    case SYM_LOOP_VAR:
        return "loop variable";
    case SYM_PLOOP_VAR:
        return "parallel loop variable";
    case SYM_LAMBDA_PARAM:
        return "lambda parameter";
    case SYM_SIZE:
        return "size name";
    }
    UNREACHABLE();
}

/* Enters sym in the current scope; a second declaration of a name in one scope is an error. */
static void declare(Sema *s, SemaSym *sym)
{
    ScopeEntry *top = strmap_get(&s->names, sym->base.name);
    if (top && top->scope == s->scope) {
        Diag *g =
            diag_error(s->diags, sym->base.decl_span, "redeclaration of '%s'", sym->base.name);
        diag_note(s->diags, g, top->sym->base.decl_span, "previous declaration of '%s' (%s)",
                  sym->base.name, a_kind(top->sym->base.kind));
    }
    ScopeEntry *e = ARENA_NEW(s->arena, ScopeEntry);
    e->sym = sym;
    e->scope = s->scope;
    e->shadowed = top;
    e->next_in_scope = s->scope->entries;
    s->scope->entries = e;
    sym->depth = s->scope->depth;
    strmap_put(&s->names, sym->base.name, e);
}

/* ======================================================================================== */
/* Types                                                                                    */
/* ======================================================================================== */

static Type poison(void)
{
    Type t = {0};
    return t;
}

static bool is_poison(const Type *t)
{
    return t->dtype == DT_NONE;
}

static Dim dim_const(int64_t v)
{
    Dim d = {.kind = DIM_CONST, .value = v};
    return d;
}

static Dim dim_named(const char *name)
{
    Dim d = {.kind = DIM_SYM, .sym = name};
    return d;
}

static Dim dim_any(void)
{
    Dim d = {.kind = DIM_ANY};
    return d;
}

static Type scalar_of(DType dt, bool weak)
{
    Type t = type_scalar(dt);
    t.weak = weak;
    return t;
}

static Type tensor1(DType dt, Dim d0)
{
    Type t = type_scalar(dt);
    t.rank = 1;
    t.dims[0] = d0;
    return t;
}

/* bool 0, integers 1, floats 2: the kinds that weak scalars promote across. */
static int category(DType t)
{
    if (t == DT_BOOL)
        return 0;
    return type_is_int(t) ? 1 : 2;
}

static bool is_number(DType t)
{
    return type_is_int(t) || type_is_float(t);
}

/* The wider of two dtypes in bool < i32 < i64 < f32 < f64. */
static DType wider(DType a, DType b)
{
    return a > b ? a : b;
}

static const char *tstr(Sema *s, const Type *t)
{
    if (is_poison(t))
        return "<error>";
    Buf b = {0};
    type_print(t, &b);
    char *out = arena_strdup(s->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

static const char *dstr(Sema *s, Dim d)
{
    Buf b = {0};
    type_print_dim(d, &b);
    char *out = arena_strdup(s->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* Follows size names to what they are known to equal (n bound to d, m bound to 5). */
static Dim resolve_dim(Sema *s, Dim d)
{
    for (int guard = 0; guard < 64 && d.kind == DIM_SYM; guard++) {
        SemaSym *sym = dim_symbol(s, d.sym);
        if (!sym || sym->base.kind != SYM_SIZE || !sym->has_value)
            break;
        d = sym->value;
    }
    return d;
}

typedef enum { DIMS_EQUAL, DIMS_UNKNOWN, DIMS_DIFFER } DimMatch;

/* Equal, different, or only known at run time. Two different names (size names or configs)
 * are a compile-time mismatch; a name against a constant is checked at run time. */
static DimMatch match_dims(Sema *s, Dim a, Dim b)
{
    a = resolve_dim(s, a);
    b = resolve_dim(s, b);
    if (a.kind == DIM_ANY || b.kind == DIM_ANY)
        return DIMS_UNKNOWN;
    if (a.kind != b.kind)
        return DIMS_UNKNOWN;
    return type_dim_equal(a, b) ? DIMS_EQUAL : DIMS_DIFFER;
}

static bool is_const_dim(Sema *s, Dim d, int64_t v)
{
    d = resolve_dim(s, d);
    return d.kind == DIM_CONST && d.value == v;
}

/* Adds "'n' was bound here" (or "'k' is a config") for a named dimension. */
static void note_dim(Sema *s, Diag *g, Dim d)
{
    if (!g || d.kind != DIM_SYM)
        return;
    SemaSym *sym = dim_symbol(s, d.sym);
    if (!sym)
        return;
    if (sym->base.kind == SYM_CONFIG) {
        diag_note(s->diags, g, sym->base.decl_span, "'%s' is a config, declared here", d.sym);
    } else if (sym->has_value) {
        diag_note(s->diags, g, sym->base.decl_span, "'%s' was bound here, to %s", d.sym,
                  dstr(s, sym->value));
    } else {
        diag_note(s->diags, g, sym->base.decl_span, "'%s' was bound here", d.sym);
    }
}

static void note_dim_pair(Sema *s, Diag *g, Dim a, Dim b)
{
    note_dim(s, g, a);
    if (!(a.kind == DIM_SYM && b.kind == DIM_SYM && strcmp(a.sym, b.sym) == 0))
        note_dim(s, g, b);
}

/* NumPy broadcasting of two shapes on symbolic dims; false after reporting a mismatch. */
static bool broadcast(Sema *s, Span at, const Type *a, const Type *b, Type *out)
{
    int rank = a->rank > b->rank ? a->rank : b->rank;
    out->rank = (uint8_t)rank;
    for (int i = 1; i <= rank; i++) {
        bool has_a = i <= a->rank, has_b = i <= b->rank;
        Dim da = has_a ? a->dims[a->rank - i] : dim_const(1);
        Dim db = has_b ? b->dims[b->rank - i] : dim_const(1);
        Dim r;
        if (!has_a)
            r = db;
        else if (!has_b)
            r = da;
        else if (is_const_dim(s, da, 1))
            r = db;
        else if (is_const_dim(s, db, 1))
            r = da;
        else {
            DimMatch m = match_dims(s, da, db);
            if (m == DIMS_DIFFER) {
                Diag *g = diag_error(s->diags, at, "shapes %s and %s cannot be broadcast",
                                     tstr(s, a), tstr(s, b));
                note_dim_pair(s, g, da, db);
                return false;
            }
            /* A constant or a name is more informative than '?'; n against 3 must be 3. */
            if (da.kind == DIM_ANY || (m == DIMS_UNKNOWN && db.kind == DIM_CONST))
                r = db;
            else
                r = da;
        }
        out->dims[rank - i] = r;
    }
    return true;
}

/* The dtype of `a op b` under the weak-scalar rules of LANGUAGE.md section 3, or DT_NONE after
 * reporting two tensors of different dtypes. A scalar with a tensor takes the tensor's dtype
 * unless it is of a higher kind (a float with integers: f64 when weak, its own when not). */
static DType combine_dtypes(Sema *s, Span at, const char *op, const Type *a, const Type *b)
{
    if (a->rank > 0 && b->rank > 0) {
        if (a->dtype == b->dtype)
            return a->dtype;
        DType to = wider(a->dtype, b->dtype);
        diag_error(s->diags, at, "cannot mix %s and %s in %s: convert one of them, e.g. %s(...)",
                   tstr(s, a), tstr(s, b), op, type_dtype_name(to));
        return DT_NONE;
    }
    if (a->rank > 0 || b->rank > 0) {
        const Type *scalar = a->rank == 0 ? a : b;
        const Type *tensor = a->rank == 0 ? b : a;
        if (category(scalar->dtype) <= category(tensor->dtype))
            return tensor->dtype;
        if (!scalar->weak)
            return scalar->dtype;
        return category(scalar->dtype) == 2 ? DT_F64 : DT_I64;
    }
    if (a->weak == b->weak)
        return wider(a->dtype, b->dtype);
    const Type *weak = a->weak ? a : b;
    const Type *strong = a->weak ? b : a;
    if (category(weak->dtype) <= category(strong->dtype))
        return strong->dtype;
    return category(weak->dtype) == 2 ? DT_F64 : DT_I64;
}

static const char *sparse_uses =
    "a csr matrix can be used with '@' (on the left), nonzeros(), rows(), cols(), nnz(), "
    "print, save and dtype conversions";

/* A string or csr operand where dense values are needed: reports it and returns false. */
static bool need_dense(Sema *s, const Expr *e, const Type *t, const char *what)
{
    if (t->dtype == DT_STR) {
        diag_error(s->diags, e->span, "%s needs a number, saw a string", what);
        return false;
    }
    if (t->sparse) {
        diag_error(s->diags, e->span, "%s does not take csr matrices (saw %s); %s", what,
                   tstr(s, t), sparse_uses);
        return false;
    }
    return true;
}

static bool need_number(Sema *s, const Expr *e, const Type *t, const char *what)
{
    if (!need_dense(s, e, t, what))
        return false;
    if (t->dtype == DT_BOOL) {
        diag_error(s->diags, e->span, "%s needs numbers, saw %s; convert with i64(...) or f64(...)",
                   what, tstr(s, t));
        return false;
    }
    return true;
}

static bool need_bool(Sema *s, const Expr *e, const Type *t, const char *what)
{
    if (!need_dense(s, e, t, what))
        return false;
    if (t->dtype != DT_BOOL) {
        diag_error(s->diags, e->span, "%s needs bool, saw %s", what, tstr(s, t));
        return false;
    }
    return true;
}

static bool need_int_scalar(Sema *s, const Expr *e, const Type *t, const char *what)
{
    if (is_poison(t))
        return false;
    if (t->rank != 0 || t->sparse || !type_is_int(t->dtype)) {
        diag_error(s->diags, e->span, "%s must be an integer scalar, saw %s", what,
                   t->dtype == DT_STR ? "a string" : tstr(s, t));
        return false;
    }
    return true;
}

static bool need_scalar_number(Sema *s, const Expr *e, const Type *t, const char *what)
{
    if (is_poison(t))
        return false;
    if (t->rank != 0 || t->sparse || !is_number(t->dtype)) {
        diag_error(s->diags, e->span, "%s must be a scalar number, saw %s", what,
                   t->dtype == DT_STR ? "a string" : tstr(s, t));
        return false;
    }
    return true;
}

static bool need_scalar_bool(Sema *s, const Expr *e, const Type *t, const char *what)
{
    if (is_poison(t))
        return false;
    if (t->rank != 0 || t->dtype != DT_BOOL) {
        diag_error(s->diags, e->span, "%s must be a scalar bool, saw %s", what,
                   t->dtype == DT_STR ? "a string" : tstr(s, t));
        return false;
    }
    return true;
}

static const char *quoted(Sema *s, const char *word)
{
    return arena_printf(s->arena, "'%s'", word);
}

/* A literal integer, possibly negated: -1, 3. */
static bool literal_int(const Expr *e, int64_t *out)
{
    if (e->kind == EX_INT) {
        *out = e->int_value;
        return true;
    }
    if (e->kind == EX_UNARY && e->op == OP_NEG && e->lhs->kind == EX_INT) {
        *out = -e->lhs->int_value;
        return true;
    }
    return false;
}

static Type check_expr(Sema *s, Expr *e, const Type *expected);

/* Checks an expression that must be one value (not a tuple); poison after an error. */
static Type check_value(Sema *s, Expr *e, const Type *expected)
{
    Type t = check_expr(s, e, expected);
    if (!is_poison(&t) || !e->tuple_types)
        return t;
    if (e->kind == EX_TUPLE) {
        diag_error(s->diags, e->span,
                   "a tuple is not a value here: tuples are shapes, grad's wrt= and the right "
                   "side of let (a, b) = ...");
    } else {
        diag_error(s->diags, e->span,
                   "'%s(...)' gives %d values, not one; unpack them with let (a, b, ...) = %s(...)",
                   e->name, e->ntuple, e->name);
    }
    e->type = poison();
    return poison();
}

/* ---- names ---- */

/* Reports a name that resolves to nothing: used too early, misspelt, or unknown. */
static void report_unknown(Sema *s, Span at, const char *name, bool call)
{
    Span *decl = strmap_get(&s->top_decls, name);
    if (decl && decl->begin > at.begin) {
        Diag *g = diag_error(s->diags, at, "'%s' is used before its declaration", name);
        diag_note(s->diags, g, *decl, "'%s' is declared here", name);
        return;
    }
    if (s->diags->truncated) { /* past the error limit nothing is shown: spare the search */
        diag_error(s->diags, at, "undeclared name '%s'", name);
        return;
    }
    PtrVec cands = {0};
    for (size_t i = 0; i < s->names.cap; i++)
        if (s->names.keys[i] && s->names.values[i])
            vec_push(&cands, (void *)s->names.keys[i]);
    for (size_t i = 0; i < s->fns.cap; i++)
        if (s->fns.keys[i])
            vec_push(&cands, (void *)s->fns.keys[i]);
    if (call)
        for (int i = 0; i < BI_COUNT; i++)
            vec_push(&cands, (void *)builtin_name((BuiltinId)i));
    /* one-letter names are too short for a misspelling to be told from another name */
    const char *near =
        name[1] ? suggest_closest(name, (const char *const *)cands.items, cands.len) : NULL;
    vec_free(&cands);
    const char *what = call ? "call to undeclared function" : "undeclared name";
    if (!near) {
        diag_error(s->diags, at, "%s '%s'", what, name);
        return;
    }
    Diag *g = diag_error(s->diags, at, "%s '%s'; did you mean '%s'?", what, name, near);
    SemaSym *sym = lookup(s, near);
    if (sym)
        diag_note(s->diags, g, sym->base.decl_span, "'%s' is declared here", near);
}

/* zeros, ones, randn, uniform written without a shape: the expected type, or an error. */
static Type constructor_from_expected(Sema *s, Expr *e, BuiltinId id, const Type *expected)
{
    const char *name = builtin_name(id);
    if (!expected) {
        diag_error(s->diags, e->span,
                   "'%s' needs a shape here: write %s(n) or %s((n, d)), or give the declaration "
                   "a type to take the shape from",
                   name, name, name);
        return poison();
    }
    if (is_poison(expected))
        return poison();
    if (expected->sparse) {
        diag_error(s->diags, e->span,
                   "'%s' cannot build a csr matrix (expected %s); csr matrices are loaded", name,
                   tstr(s, expected));
        return poison();
    }
    if (expected->dtype == DT_STR) {
        diag_error(s->diags, e->span, "'%s' cannot build a string", name);
        return poison();
    }
    bool float_only = id == BI_RANDN || id == BI_UNIFORM;
    if (float_only && !type_is_float(expected->dtype)) {
        diag_error(s->diags, e->span, "'%s' gives floats, but the expected type is %s", name,
                   tstr(s, expected));
        return poison();
    }
    if (id == BI_RANDINT && !type_is_int(expected->dtype)) {
        diag_error(s->diags, e->span, "'randint' gives integers, but the expected type is %s",
                   tstr(s, expected));
        return poison();
    }
    Type t = *expected;
    t.weak = false;
    return t;
}

/* A builtin's name used as a value: zeros/ones/... take the expected type; others are errors. */
static Type check_bare_builtin(Sema *s, Expr *e, BuiltinId id, const Type *expected)
{
    const BuiltinInfo *info = builtin_info(id);
    if (id == BI_ZEROS || id == BI_ONES || id == BI_RANDN || id == BI_UNIFORM) {
        e->builtin = id;
        return constructor_from_expected(s, e, id, expected);
    }
    if (info->kind == BK_CONVERSION)
        diag_error(s->diags, e->span, "'%s' is a dtype, not a value; to convert write %s(x)",
                   e->name, e->name);
    else
        diag_error(s->diags, e->span, "'%s' is a builtin function; call it as %s(...)", e->name,
                   e->name);
    return poison();
}

static Type check_name(Sema *s, Expr *e, const Type *expected)
{
    SemaSym *sym = lookup(s, e->name);
    FnInfo *fn = sym ? sym->fn : strmap_get(&s->fns, e->name);
    if (sym && sym->base.kind != SYM_FN) {
        e->sym = &sym->base;
        return sym->base.type;
    }
    if (sym || fn) {
        Diag *g =
            diag_error(s->diags, e->span, "'%s' is a fn; call it as %s(...)", e->name, e->name);
        if (fn)
            diag_note(s->diags, g, fn->sym->base.decl_span, "'%s' is declared here", e->name);
        return poison();
    }
    BuiltinId id = builtin_lookup(e->name);
    if (id != BI_NONE)
        return check_bare_builtin(s, e, id, expected);
    report_unknown(s, e->span, e->name, false);
    return poison();
}

/* ---- operators ---- */

/* The dtype and shape of an elementwise `a op b`; poison after an error. */
static Type elementwise2(Sema *s, Span at, const char *op, const Expr *ea, const Type *a,
                         const Expr *eb, const Type *b)
{
    if (is_poison(a) || is_poison(b))
        return poison();
    if (!need_dense(s, ea, a, op) || !need_dense(s, eb, b, op))
        return poison();
    if (a->dtype == DT_BOOL && b->dtype == DT_BOOL) {
        diag_error(s->diags, at,
                   "%s needs numbers, saw %s and %s; convert with i64(...) or f64(...)", op,
                   tstr(s, a), tstr(s, b));
        return poison();
    }
    DType dt = combine_dtypes(s, at, op, a, b);
    if (dt == DT_NONE)
        return poison();
    Type out = scalar_of(dt, false);
    if (!broadcast(s, at, a, b, &out))
        return poison();
    out.weak = out.rank == 0 && a->weak && b->weak;
    return out;
}

static Type check_matmul(Sema *s, Expr *e, const Type *a, const Type *b)
{
    if (b->sparse) {
        diag_error(s->diags, e->rhs->span,
                   "a csr matrix may only stand on the left of '@', saw %s on the right",
                   tstr(s, b));
        return poison();
    }
    if (a->dtype == DT_STR || b->dtype == DT_STR || a->dtype == DT_BOOL || b->dtype == DT_BOOL) {
        diag_error(s->diags, e->span, "'@' needs numbers, saw %s @ %s", tstr(s, a), tstr(s, b));
        return poison();
    }
    if (a->rank == 0 || b->rank == 0 || a->rank > 2 || b->rank > 2) {
        diag_error(s->diags, e->span, "'@' multiplies vectors and matrices, saw %s @ %s%s",
                   tstr(s, a), tstr(s, b),
                   (a->rank == 0 || b->rank == 0) ? "; use '*' to scale" : "");
        return poison();
    }
    if (a->dtype != b->dtype) {
        diag_error(s->diags, e->span,
                   "cannot mix %s and %s in '@': convert one of them, e.g. %s(...)", tstr(s, a),
                   tstr(s, b), type_dtype_name(wider(a->dtype, b->dtype)));
        return poison();
    }
    Dim inner_a = a->dims[a->rank - 1], inner_b = b->dims[0];
    if (match_dims(s, inner_a, inner_b) == DIMS_DIFFER) {
        Diag *g = diag_error(s->diags, e->span, "inner dimensions of '@' do not match: %s @ %s",
                             tstr(s, a), tstr(s, b));
        note_dim_pair(s, g, inner_a, inner_b);
        return poison();
    }
    Type out = scalar_of(a->dtype, false);
    if (a->rank == 2)
        out.dims[out.rank++] = a->dims[0];
    if (b->rank == 2)
        out.dims[out.rank++] = b->dims[1];
    out.weak = out.rank == 0; /* vector . vector is a reduction */
    return out;
}

static bool is_negative_literal(const Expr *e)
{
    int64_t v;
    return literal_int(e, &v) && v < 0;
}

static Type check_binary(Sema *s, Expr *e)
{
    Type a = check_value(s, e->lhs, NULL);
    Type b = check_value(s, e->rhs, NULL);
    if (is_poison(&a) || is_poison(&b))
        return poison();
    if (e->op == OP_MATMUL)
        return check_matmul(s, e, &a, &b);
    const char *op = quoted(s, ast_op_spelling(e->op));
    Type out;
    switch (e->op) {
    case OP_AND:
    case OP_OR:
        if (!need_bool(s, e->lhs, &a, op) || !need_bool(s, e->rhs, &b, op))
            return poison();
        out = scalar_of(DT_BOOL, false);
        if (!broadcast(s, e->span, &a, &b, &out))
            return poison();
        out.weak = out.rank == 0 && a.weak && b.weak;
        return out;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        bool ordered = e->op != OP_EQ && e->op != OP_NE;
        if (ordered ? (!need_number(s, e->lhs, &a, op) || !need_number(s, e->rhs, &b, op))
                    : (!need_dense(s, e->lhs, &a, op) || !need_dense(s, e->rhs, &b, op)))
            return poison();
        if (combine_dtypes(s, e->span, op, &a, &b) == DT_NONE)
            return poison();
        out = scalar_of(DT_BOOL, false);
        if (!broadcast(s, e->span, &a, &b, &out))
            return poison();
        out.weak = out.rank == 0 && a.weak && b.weak;
        return out;
    }
    default:
        break;
    }
    out = elementwise2(s, e->span, op, e->lhs, &a, e->rhs, &b);
    if (is_poison(&out))
        return out;
    if (e->op == OP_DIV && !type_is_float(out.dtype))
        out.dtype = DT_F64; /* true division, as in NumPy */
    if (e->op == OP_POW && !type_is_float(out.dtype) && is_negative_literal(e->rhs)) {
        diag_error(s->diags, e->span,
                   "integers cannot be raised to a negative integer power; write a float base, "
                   "e.g. 2.0 ** -1");
        return poison();
    }
    return out;
}

static Type check_unary(Sema *s, Expr *e)
{
    Type t = check_value(s, e->lhs, NULL);
    if (is_poison(&t))
        return t;
    if (e->op == OP_NOT)
        return need_bool(s, e->lhs, &t, "'not'") ? t : poison();
    return need_number(s, e->lhs, &t, "unary '-'") ? t : poison();
}

static Type check_transpose(Sema *s, Expr *e)
{
    Type t = check_value(s, e->lhs, NULL);
    if (is_poison(&t))
        return t;
    if (t.sparse) {
        diag_error(s->diags, e->span, "'.T' of a csr matrix is not supported (saw %s); %s",
                   tstr(s, &t), sparse_uses);
        return poison();
    }
    if (t.rank != 2 || t.dtype == DT_STR) {
        diag_error(s->diags, e->span, "'.T' needs a matrix (rank 2), saw %s",
                   t.dtype == DT_STR ? "a string" : tstr(s, &t));
        return poison();
    }
    Dim d0 = t.dims[0];
    t.dims[0] = t.dims[1];
    t.dims[1] = d0;
    return t;
}

/* ---- indexing ---- */

static bool known_dim(const Expr *e, Dim *out);

/* The length of x[lo..hi] along a dimension of length d. */
static Dim slice_length(Sema *s, const IndexItem *it, Dim d)
{
    int64_t lo = 0, hi = 0;
    bool lo_known = !it->lo || literal_int(it->lo, &lo);
    bool hi_known = it->hi && literal_int(it->hi, &hi);
    Dim rd = resolve_dim(s, d);
    if (lo_known && !it->hi) {
        if (lo == 0)
            return d;
        if (rd.kind == DIM_CONST)
            return dim_const(rd.value > lo ? rd.value - lo : 0);
        return dim_any();
    }
    Dim named;
    if (lo_known && lo == 0 && it->hi && !hi_known && known_dim(it->hi, &named))
        return named; /* x[..n] */
    if (lo_known && hi_known) {
        if (rd.kind == DIM_CONST) {
            lo = lo < rd.value ? lo : rd.value;
            hi = hi < rd.value ? hi : rd.value;
        }
        return dim_const(hi > lo ? hi - lo : 0);
    }
    return dim_any();
}

static bool append_dim(Sema *s, Expr *e, Type *out, Dim d)
{
    if (out->rank == TYPE_MAX_RANK) {
        diag_error(s->diags, e->span, "this indexing gives a tensor of rank above %d",
                   TYPE_MAX_RANK);
        return false;
    }
    out->dims[out->rank++] = d;
    return true;
}

static bool check_slice_bound(Sema *s, Expr *bound)
{
    if (!bound)
        return true;
    Type t = check_value(s, bound, NULL);
    if (is_poison(&t))
        return false;
    if (!need_int_scalar(s, bound, &t, "a slice bound"))
        return false;
    if (is_negative_literal(bound)) {
        diag_error(s->diags, bound->span, "slice bounds count from 0, saw a negative bound");
        return false;
    }
    return true;
}

/* A scalar index: an integer, within a constant dimension when both are literals. */
static bool check_scalar_index(Sema *s, Expr *ix, const Type *t, Dim d, int axis, const Type *base)
{
    if (!type_is_int(t->dtype) || t->sparse) {
        diag_error(s->diags, ix->span, "an index must be an integer, saw %s",
                   t->dtype == DT_STR ? "a string" : tstr(s, t));
        return false;
    }
    int64_t v;
    if (!literal_int(ix, &v))
        return true;
    if (v < 0) {
        diag_error(s->diags, ix->span,
                   "negative index %" PRId64 ": indices count from 0 (write len(x) - 1 for the "
                   "last element)",
                   v);
        return false;
    }
    Dim rd = resolve_dim(s, d);
    if (base && rd.kind == DIM_CONST && v >= rd.value) {
        diag_error(s->diags, ix->span,
                   "index %" PRId64 " is out of range for dimension %d of %s (size %" PRId64 ")", v,
                   axis, tstr(s, base), rd.value);
        return false;
    }
    return true;
}

/* One index position; appends the dimensions it keeps to *out. */
static bool check_index_item(Sema *s, Expr *e, IndexItem *it, const Type *base, int axis, Type *out,
                             int *ngather)
{
    Dim d = base ? base->dims[axis] : dim_any();
    switch (it->kind) {
    case IX_ALL:
        return append_dim(s, e, out, d);
    case IX_SLICE: {
        bool ok = check_slice_bound(s, it->lo);
        ok = check_slice_bound(s, it->hi) && ok;
        return ok && append_dim(s, e, out, slice_length(s, it, d));
    }
    case IX_EXPR:
        break;
    }
    Type t = check_value(s, it->expr, NULL);
    if (is_poison(&t))
        return false;
    if (t.rank == 0)
        return check_scalar_index(s, it->expr, &t, d, axis, base);
    if (t.sparse || !type_is_int(t.dtype)) {
        diag_error(s->diags, it->expr->span,
                   "a tensor used as an index must hold integers (a gather), saw %s%s", tstr(s, &t),
                   t.dtype == DT_BOOL ? "; for a mask use where(mask, x, 0)" : "");
        return false;
    }
    if (++*ngather > 1) {
        diag_error(s->diags, it->expr->span, "only one index may be a tensor (a gather)");
        return false;
    }
    for (int i = 0; i < t.rank; i++)
        if (!append_dim(s, e, out, t.dims[i]))
            return false;
    return true;
}

static Type check_index(Sema *s, Expr *e)
{
    Type base = check_value(s, e->lhs, NULL);
    bool ok = !is_poison(&base);
    if (ok && (base.rank == 0 || base.dtype == DT_STR)) {
        diag_error(s->diags, e->span, "cannot index %s: it is not a tensor",
                   base.dtype == DT_STR ? "a string" : tstr(s, &base));
        ok = false;
    } else if (ok && base.sparse) {
        diag_error(s->diags, e->span,
                   "a csr matrix cannot be indexed (saw %s); iterate over its entries with "
                   "nonzeros(...)",
                   tstr(s, &base));
        ok = false;
    } else if (ok && e->nitems > base.rank) {
        diag_error(s->diags, e->span, "too many indices for %s: %d given, but it has rank %d",
                   tstr(s, &base), e->nitems, base.rank);
        ok = false;
    }
    Type out = scalar_of(ok ? base.dtype : DT_NONE, false);
    int ngather = 0;
    bool items_ok = true;
    for (int i = 0; i < e->nitems; i++)
        items_ok =
            check_index_item(s, e, &e->items[i], ok ? &base : NULL, i, &out, &ngather) && items_ok;
    if (!ok || !items_ok)
        return poison();
    for (int i = e->nitems; i < base.rank; i++)
        if (!append_dim(s, e, &out, base.dims[i]))
            return poison();
    return out;
}

/* ======================================================================================== */
/* Calls                                                                                    */
/* ======================================================================================== */

static int count_positional(const Expr *e)
{
    int n = 0;
    for (int i = 0; i < e->nargs; i++)
        if (!e->args[i].name)
            n++;
    return n;
}

static Expr *positional(const Expr *e, int k)
{
    for (int i = 0; i < e->nargs; i++)
        if (!e->args[i].name && k-- == 0)
            return e->args[i].value;
    return NULL;
}

static Arg *keyword(const Expr *e, const char *name)
{
    for (int i = 0; i < e->nargs; i++)
        if (e->args[i].name && strcmp(e->args[i].name, name) == 0)
            return &e->args[i];
    return NULL;
}

/* Checks every argument for its own errors (after the call itself was found wrong). */
static void check_args_alone(Sema *s, Expr *e)
{
    for (int i = 0; i < e->nargs; i++)
        check_expr(s, e->args[i].value, NULL);
}

static void report_arity(Sema *s, Expr *e, BuiltinId id, int n)
{
    const BuiltinInfo *info = builtin_info(id);
    if (id == BI_MAX || id == BI_MIN)
        diag_error(s->diags, e->span,
                   "'%s' takes 1 argument (a reduction) or 2 (elementwise), saw %d", info->name, n);
    else if (info->max_args < 0)
        diag_error(s->diags, e->span, "'%s' takes at least %d argument%s, saw %d", info->name,
                   info->min_args, info->min_args == 1 ? "" : "s", n);
    else if (info->min_args == info->max_args)
        diag_error(s->diags, e->span, "'%s' takes %d argument%s, saw %d", info->name,
                   info->min_args, info->min_args == 1 ? "" : "s", n);
    else
        diag_error(s->diags, e->span, "'%s' takes %d to %d arguments, saw %d", info->name,
                   info->min_args, info->max_args, n);
}

static void report_keyword(Sema *s, Arg *a, BuiltinId id)
{
    const BuiltinInfo *info = builtin_info(id);
    if (!info->keywords[0]) {
        diag_error(s->diags, a->name_span, "'%s' takes no keyword arguments, saw '%s='", info->name,
                   a->name);
        return;
    }
    Buf list = {0};
    for (const char *p = info->keywords; *p; p++) {
        if (*p == ',')
            buf_puts(&list, ", ");
        else
            buf_putc(&list, *p);
    }
    diag_error(s->diags, a->name_span, "'%s' has no keyword argument '%s'; expected %s", info->name,
               a->name, buf_cstr(&list));
    buf_free(&list);
}

/* Positional count, allowed and repeated keywords; false after reporting. */
static bool check_arg_structure(Sema *s, Expr *e, BuiltinId id)
{
    bool ok = true, seen_keyword = false;
    for (int i = 0; i < e->nargs; i++) {
        Arg *a = &e->args[i];
        if (!a->name) {
            if (seen_keyword) {
                diag_error(s->diags, a->value->span, "positional argument after keyword arguments");
                ok = false;
            }
            continue;
        }
        seen_keyword = true;
        if (!builtin_allows_keyword(id, a->name)) {
            report_keyword(s, a, id);
            ok = false;
            continue;
        }
        for (int j = 0; j < i; j++) {
            if (e->args[j].name && strcmp(e->args[j].name, a->name) == 0) {
                Diag *g = diag_error(s->diags, a->name_span, "keyword argument '%s' given twice",
                                     a->name);
                diag_note(s->diags, g, e->args[j].name_span, "first given here");
                ok = false;
                break;
            }
        }
    }
    const BuiltinInfo *info = builtin_info(id);
    int n = count_positional(e);
    if (n < info->min_args || (info->max_args >= 0 && n > info->max_args)) {
        report_arity(s, e, id, n);
        ok = false;
    }
    return ok;
}

/* ---- shapes as arguments ---- */

/* The dimension an already-checked integer expression stands for, when it names one. */
static bool known_dim(const Expr *e, Dim *out)
{
    int64_t v;
    if (literal_int(e, &v) && v >= 0) {
        *out = dim_const(v);
        return true;
    }
    if (e->kind == EX_NAME && e->sym) {
        SemaSym *sym = as_sema(e->sym);
        if (sym->base.kind == SYM_SIZE ||
            (sym->base.kind == SYM_CONFIG && type_is_int(sym->base.type.dtype))) {
            *out = dim_named(sym->base.name);
            return true;
        }
        if (sym->base.kind == SYM_LET && sym->has_dim) {
            *out = sym->dim;
            return true;
        }
        return false;
    }
    if (e->kind == EX_CALL && e->nargs == 1 && !is_poison(&e->args[0].value->type)) {
        const Type *x = &e->args[0].value->type;
        if ((e->builtin == BI_ROWS || e->builtin == BI_LEN) && x->rank >= 1) {
            *out = x->dims[0];
            return true;
        }
        if (e->builtin == BI_COLS && x->rank >= 2) {
            *out = x->dims[1];
            return true;
        }
    }
    return false;
}

/* One dimension of a shape argument; -1 (infer) only where allow_infer. */
static bool dim_from_expr(Sema *s, Expr *e, bool allow_infer, Dim *out)
{
    Type t = check_value(s, e, NULL);
    if (is_poison(&t) || !need_int_scalar(s, e, &t, "a dimension"))
        return false;
    int64_t v;
    if (literal_int(e, &v) && v < 0) {
        if (allow_infer && v == -1) {
            *out = dim_any();
            return true;
        }
        diag_error(s->diags, e->span, "a dimension cannot be negative, saw %" PRId64, v);
        return false;
    }
    if (!known_dim(e, out))
        *out = dim_any();
    return true;
}

/* A shape argument: an integer or a tuple of them (zeros(n), zeros((k, d))). */
static bool shape_from_expr(Sema *s, Expr *e, bool allow_infer, Type *out)
{
    out->rank = 0;
    out->sparse = false;
    if (e->kind != EX_TUPLE) {
        out->rank = 1;
        return dim_from_expr(s, e, allow_infer, &out->dims[0]);
    }
    if (e->nelems > TYPE_MAX_RANK) {
        diag_error(s->diags, e->span, "a shape has at most %d dimensions, saw %d", TYPE_MAX_RANK,
                   e->nelems);
        return false;
    }
    bool ok = true;
    e->ntuple = e->nelems;
    e->tuple_types = ARENA_ARRAY(s->arena, Type, e->nelems);
    for (int i = 0; i < e->nelems; i++) {
        ok = dim_from_expr(s, e->elems[i], allow_infer, &out->dims[i]) && ok;
        e->tuple_types[i] = e->elems[i]->type;
    }
    out->rank = (uint8_t)e->nelems;
    return ok;
}

/* dtype=NAME: 0 when absent, 1 with *out set, -1 after reporting a bad value. */
static int dtype_keyword(Sema *s, Expr *e, DType *out)
{
    Arg *a = keyword(e, "dtype");
    if (!a)
        return 0;
    Expr *v = a->value;
    if (v->kind == EX_NAME && type_dtype_from_name(v->name, out) && *out != DT_NONE &&
        *out != DT_STR)
        return 1;
    diag_error(s->diags, v->span, "dtype= must be one of f32, f64, i32, i64 or bool");
    return -1;
}

static bool check_seed_and_scale(Sema *s, Expr *e)
{
    bool ok = true;
    Arg *seed = keyword(e, "seed");
    if (seed) {
        Type t = check_value(s, seed->value, NULL);
        ok = need_int_scalar(s, seed->value, &t, "seed") && ok;
    }
    Arg *scale = keyword(e, "scale");
    if (scale) {
        Type t = check_value(s, scale->value, NULL);
        ok = need_scalar_number(s, scale->value, &t, "scale") && ok;
    }
    return ok;
}

/* The positional arguments after the shape: full's value, uniform's and randint's bounds. */
static bool check_constructor_values(Sema *s, Expr *e, BuiltinId id, int first, Type *fill)
{
    bool ok = true;
    int n = count_positional(e);
    for (int i = first; i < n; i++) {
        Expr *v = positional(e, i);
        Type t = check_value(s, v, NULL);
        if (is_poison(&t)) {
            ok = false;
        } else if (id == BI_RANDINT) {
            ok = need_int_scalar(s, v, &t, "a bound of randint") && ok;
        } else if (id == BI_FULL) {
            if (t.rank != 0 || t.dtype == DT_STR || t.sparse) {
                diag_error(s->diags, v->span, "the value of full must be a scalar, saw %s",
                           t.dtype == DT_STR ? "a string" : tstr(s, &t));
                ok = false;
            }
            *fill = t;
        } else {
            ok = need_scalar_number(s, v, &t, "a bound of uniform") && ok;
        }
    }
    return ok;
}

static DType default_dtype(BuiltinId id, const Type *fill)
{
    if (id == BI_RANDINT || id == BI_ARANGE)
        return DT_I64;
    if (id == BI_FULL && !is_poison(fill)) {
        if (!fill->weak || fill->dtype == DT_BOOL)
            return fill->dtype;
        return type_is_float(fill->dtype) ? DT_F64 : DT_I64;
    }
    return DT_F64;
}

static bool expected_usable(const Type *expected)
{
    return expected && !is_poison(expected) && !expected->sparse && expected->dtype != DT_STR;
}

static Type check_constructor(Sema *s, Expr *e, BuiltinId id, const Type *expected)
{
    int npos = count_positional(e);
    bool has_shape = false;
    if (id == BI_ZEROS || id == BI_ONES || id == BI_RANDN)
        has_shape = npos == 1;
    else if (id == BI_FULL)
        has_shape = npos == 2;
    else if (id == BI_UNIFORM)
        has_shape = npos == 1 || npos == 3;
    else if (id == BI_RANDINT)
        has_shape = npos == 3;
    DType dt = DT_NONE;
    int dt_state = dtype_keyword(s, e, &dt);
    bool ok = dt_state >= 0;
    Type shape = {0};
    if (id == BI_ARANGE || id == BI_EYE) {
        for (int i = 0; i < npos; i++)
            ok = dim_from_expr(s, positional(e, i), false, &shape.dims[i]) && ok;
        if (id == BI_EYE) {
            shape.rank = 2;
            shape.dims[1] = shape.dims[0];
        } else {
            shape.rank = 1;
            int64_t lo, hi;
            if (npos == 2)
                shape.dims[0] =
                    literal_int(positional(e, 0), &lo) && literal_int(positional(e, 1), &hi)
                        ? dim_const(hi > lo ? hi - lo : 0)
                        : dim_any();
        }
        has_shape = true;
    } else if (has_shape) {
        ok = shape_from_expr(s, positional(e, 0), false, &shape) && ok;
    }
    Type fill = poison();
    ok = check_constructor_values(s, e, id, has_shape && id != BI_ARANGE && id != BI_EYE ? 1 : 0,
                                  &fill) &&
         ok;
    ok = check_seed_and_scale(s, e) && ok;
    if (!ok)
        return poison();
    Type t;
    if (has_shape) {
        t = shape;
        t.dtype = expected_usable(expected) ? expected->dtype : default_dtype(id, &fill);
    } else {
        t = constructor_from_expected(s, e, id, expected);
        if (is_poison(&t))
            return t;
    }
    if (dt_state == 1)
        t.dtype = dt;
    if ((id == BI_RANDN || id == BI_UNIFORM) && !type_is_float(t.dtype)) {
        diag_error(s->diags, e->span, "'%s' gives floats, not %s", builtin_name(id),
                   type_dtype_name(t.dtype));
        return poison();
    }
    if (id == BI_RANDINT && !type_is_int(t.dtype)) {
        diag_error(s->diags, e->span, "'randint' gives integers, not %s", type_dtype_name(t.dtype));
        return poison();
    }
    t.weak = false;
    t.sparse = false;
    return t;
}

/* ---- elementwise functions and reductions ---- */

static bool float_result(BuiltinId id)
{
    switch (id) {
    case BI_EXP:
    case BI_LOG:
    case BI_LOG1P:
    case BI_SQRT:
    case BI_SIGMOID:
    case BI_TANH:
    case BI_MEAN:
    case BI_NORM:
    case BI_LOGSUMEXP:
    case BI_SOFTMAX:
        return true;
    default:
        return false;
    }
}

static Type check_elementwise(Sema *s, Expr *e, BuiltinId id)
{
    const char *what = quoted(s, builtin_name(id));
    int n = count_positional(e);
    Type t[3];
    bool ok = true;
    for (int i = 0; i < n; i++) {
        t[i] = check_value(s, positional(e, i), NULL);
        ok = ok && !is_poison(&t[i]);
    }
    if (!ok)
        return poison();
    Expr *a0 = positional(e, 0);
    if (n == 1) {
        if (!need_number(s, a0, &t[0], what))
            return poison();
        Type out = t[0];
        if (float_result(id) && !type_is_float(out.dtype))
            out.dtype = DT_F64;
        return out;
    }
    if (id == BI_WHERE) {
        if (!need_bool(s, a0, &t[0], "the condition of 'where'"))
            return poison();
        Type ab = elementwise2(s, e->span, what, positional(e, 1), &t[1], positional(e, 2), &t[2]);
        if (is_poison(&ab))
            return ab;
        Type out = ab;
        if (!broadcast(s, e->span, &t[0], &ab, &out))
            return poison();
        out.weak = out.rank == 0 && t[0].weak && ab.weak;
        return out;
    }
    Type out = elementwise2(s, e->span, what, a0, &t[0], positional(e, 1), &t[1]);
    if (n == 3 && !is_poison(&out)) /* clip(x, lo, hi) */
        out = elementwise2(s, e->span, what, a0, &out, positional(e, 2), &t[2]);
    return out;
}

/* axis=K: K a literal in [-rank, rank); *axis -1 when absent. false after reporting. */
static bool axis_keyword(Sema *s, Expr *e, const Type *x, int *axis)
{
    *axis = -1;
    Arg *a = keyword(e, "axis");
    if (!a)
        return true;
    Type t = check_value(s, a->value, NULL);
    if (is_poison(&t))
        return false;
    int64_t k;
    if (!literal_int(a->value, &k)) {
        diag_error(s->diags, a->value->span, "axis must be an integer literal, saw %s",
                   t.dtype == DT_STR ? "a string" : "an expression");
        return false;
    }
    if (is_poison(x))
        return false;
    if (k < -(int64_t)x->rank || k >= x->rank) {
        diag_error(s->diags, a->value->span, "axis %" PRId64 " is out of range for %s (rank %d)", k,
                   tstr(s, x), x->rank);
        return false;
    }
    *axis = (int)(k < 0 ? k + x->rank : k);
    return true;
}

static Type remove_axis(Type t, int axis)
{
    for (int i = axis; i + 1 < t.rank; i++)
        t.dims[i] = t.dims[i + 1];
    t.rank--;
    return t;
}

static Type check_reduction(Sema *s, Expr *e, BuiltinId id)
{
    Expr *a0 = positional(e, 0);
    Type x = check_value(s, a0, NULL);
    int axis;
    bool ok = axis_keyword(s, e, &x, &axis);
    if (is_poison(&x) || !ok)
        return poison();
    if (!need_dense(s, a0, &x, quoted(s, builtin_name(id))))
        return poison();
    DType dt = x.dtype;
    if (id == BI_ARGMAX || id == BI_ARGMIN || id == BI_COUNT_NONZERO)
        dt = DT_I64;
    else if (id == BI_SUM && x.dtype == DT_BOOL)
        dt = DT_I64;
    else if (float_result(id) && !type_is_float(x.dtype))
        dt = DT_F64;
    Type out = axis >= 0 ? remove_axis(x, axis) : scalar_of(dt, false);
    out.dtype = dt;
    out.weak = out.rank == 0; /* a reduction's scalar result is weak (section 3) */
    return out;
}

/* ---- special builtins ---- */

static Type check_dot(Sema *s, Expr *e)
{
    Expr *ea = positional(e, 0), *eb = positional(e, 1);
    Type a = check_value(s, ea, NULL), b = check_value(s, eb, NULL);
    if (is_poison(&a) || is_poison(&b))
        return poison();
    if (!need_number(s, ea, &a, "'dot'") || !need_number(s, eb, &b, "'dot'"))
        return poison();
    if (a.rank != 1 || b.rank != 1) {
        diag_error(s->diags, e->span, "dot takes two vectors, saw %s and %s; use '@' for matrices",
                   tstr(s, &a), tstr(s, &b));
        return poison();
    }
    if (combine_dtypes(s, e->span, "'dot'", &a, &b) == DT_NONE)
        return poison();
    if (match_dims(s, a.dims[0], b.dims[0]) == DIMS_DIFFER) {
        Diag *g = diag_error(s->diags, e->span, "dot needs vectors of one length, saw %s and %s",
                             tstr(s, &a), tstr(s, &b));
        note_dim_pair(s, g, a.dims[0], b.dims[0]);
        return poison();
    }
    return scalar_of(a.dtype, true);
}

static Type check_softmax(Sema *s, Expr *e)
{
    Expr *a0 = positional(e, 0);
    Type x = check_value(s, a0, NULL);
    int axis;
    bool ok = axis_keyword(s, e, &x, &axis);
    if (is_poison(&x) || !ok || !need_number(s, a0, &x, "'softmax'"))
        return poison();
    if (x.rank == 0) {
        diag_error(s->diags, a0->span, "softmax needs a tensor, saw %s", tstr(s, &x));
        return poison();
    }
    if (!type_is_float(x.dtype))
        x.dtype = DT_F64;
    return x;
}

/* An element count as constant * product of names; false when a dimension is unknown. */
typedef struct {
    int64_t constant;
    const char *names[TYPE_MAX_RANK];
    int nnames;
} Volume;

static bool volume_of(Sema *s, const Type *t, Volume *v)
{
    v->constant = 1;
    v->nnames = 0;
    for (int i = 0; i < t->rank; i++) {
        Dim d = resolve_dim(s, t->dims[i]);
        if (d.kind == DIM_ANY)
            return false;
        if (d.kind == DIM_CONST) {
            v->constant *= d.value;
            continue;
        }
        int k = v->nnames++;
        while (k > 0 && strcmp(v->names[k - 1], d.sym) > 0) {
            v->names[k] = v->names[k - 1];
            k--;
        }
        v->names[k] = d.sym;
    }
    return true;
}

static bool volumes_differ(const Volume *a, const Volume *b)
{
    if (a->constant != b->constant || a->nnames != b->nnames)
        return true;
    for (int i = 0; i < a->nnames; i++)
        if (strcmp(a->names[i], b->names[i]) != 0)
            return true;
    return false;
}

static Type check_reshape(Sema *s, Expr *e)
{
    Expr *a0 = positional(e, 0), *a1 = positional(e, 1);
    Type x = check_value(s, a0, NULL);
    Type shape = {0};
    bool ok = shape_from_expr(s, a1, true, &shape);
    if (is_poison(&x) || !ok || !need_dense(s, a0, &x, "'reshape'"))
        return poison();
    int ninfer = 0;
    if (a1->kind == EX_TUPLE) {
        for (int i = 0; i < a1->nelems; i++) {
            int64_t v;
            ninfer += literal_int(a1->elems[i], &v) && v == -1;
        }
    }
    if (ninfer > 1) {
        diag_error(s->diags, a1->span, "only one dimension of a reshape may be -1");
        return poison();
    }
    shape.dtype = x.dtype;
    shape.weak = false;
    Volume vx, vs;
    if (volume_of(s, &x, &vx) && volume_of(s, &shape, &vs) && volumes_differ(&vx, &vs)) {
        diag_error(s->diags, e->span, "cannot reshape %s into %s: the number of elements differs",
                   tstr(s, &x), tstr(s, &shape));
        return poison();
    }
    return shape;
}

static Type check_conversion(Sema *s, Expr *e, BuiltinId id)
{
    Expr *a0 = positional(e, 0);
    Type t = check_value(s, a0, NULL);
    if (is_poison(&t))
        return t;
    DType to = DT_NONE;
    type_dtype_from_name(builtin_name(id), &to);
    if (t.dtype == DT_STR) {
        diag_error(s->diags, a0->span, "cannot convert a string to %s", type_dtype_name(to));
        return poison();
    }
    t.dtype = to;
    t.weak = false;
    return t;
}

static Type check_shape_query(Sema *s, Expr *e, BuiltinId id)
{
    Expr *a0 = positional(e, 0);
    Type t = check_value(s, a0, NULL);
    if (is_poison(&t))
        return t;
    const char *name = builtin_name(id);
    if (id == BI_NNZ && !t.sparse) {
        diag_error(s->diags, a0->span,
                   "nnz needs a csr matrix, saw %s; count_nonzero(x) counts a dense tensor",
                   t.dtype == DT_STR ? "a string" : tstr(s, &t));
        return poison();
    }
    int need = id == BI_COLS ? 2 : 1;
    if (t.dtype == DT_STR || t.rank < need) {
        diag_error(s->diags, a0->span, "%s needs a tensor of rank %d or more, saw %s", name, need,
                   t.dtype == DT_STR ? "a string" : tstr(s, &t));
        return poison();
    }
    return scalar_of(DT_I64, true);
}

/* ---- files ---- */

/* The extension of a path's last component (".csv"), or NULL. */
static const char *path_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot : NULL;
}

static bool ext_is(const char *ext, const char *want)
{
    return ext && strcmp(ext, want) == 0;
}

/* A path: a string literal, or a config holding one (its default value decides the format). */
static bool string_arg(Sema *s, Expr *e, const char *what, const char **out)
{
    Type t = check_value(s, e, NULL);
    if (is_poison(&t))
        return false;
    if (t.dtype == DT_STR && e->kind == EX_STRING) {
        *out = e->string_value;
        return true;
    }
    if (t.dtype == DT_STR && e->kind == EX_NAME && e->sym && e->sym->config_value &&
        e->sym->config_value->kind == EX_STRING) {
        *out = e->sym->config_value->string_value;
        return true;
    }
    diag_error(s->diags, e->span, "%s must be a string literal or a string config, saw %s", what,
               t.dtype == DT_STR ? "a computed string" : tstr(s, &t));
    return false;
}

static Type check_load(Sema *s, Expr *e, const Type *expected)
{
    Expr *a0 = positional(e, 0);
    const char *path;
    if (!string_arg(s, a0, "the path given to load", &path))
        return poison();
    const char *ext = path_extension(path);
    if (ext_is(ext, ".svm") || ext_is(ext, ".libsvm")) {
        diag_error(s->diags, a0->span,
                   "libsvm files hold a matrix and its labels: read them with input (X: csr "
                   "f64[n, d], y: f64[n]) = load_libsvm(\"%s\")",
                   path);
        return poison();
    }
    if (!ext_is(ext, ".csv") && !ext_is(ext, ".npy") && !ext_is(ext, ".mtx")) {
        diag_error(s->diags, a0->span,
                   "cannot tell the format of \"%s\" from its extension: expected .csv, .npy or "
                   ".mtx (.svm and .libsvm with load_libsvm)",
                   path);
        return poison();
    }
    if (!expected) {
        diag_error(s->diags, e->span,
                   "load needs a declared type to read into, e.g. input X: f64[n, d] = load(...)");
        return poison();
    }
    if (is_poison(expected))
        return poison();
    if (expected->dtype == DT_STR) {
        diag_error(s->diags, e->span, "load cannot read a string");
        return poison();
    }
    if (expected->sparse && !ext_is(ext, ".mtx")) {
        diag_error(s->diags, a0->span,
                   "a csr matrix is read from a .mtx file (or libsvm with load_libsvm), not %s",
                   ext);
        return poison();
    }
    if ((ext_is(ext, ".csv") && (expected->rank < 1 || expected->rank > 2)) ||
        (ext_is(ext, ".mtx") && expected->rank != 2)) {
        diag_error(s->diags, e->span, "a %s file holds %s, but the declared type is %s", ext,
                   ext_is(ext, ".csv") ? "a vector or a matrix" : "a matrix", tstr(s, expected));
        return poison();
    }
    Type t = *expected;
    t.weak = false;
    return t;
}

/* The path of load_libsvm; the types come from the input declaration. */
static bool check_libsvm_path(Sema *s, Expr *e)
{
    e->builtin = BI_LOAD_LIBSVM;
    if (!check_arg_structure(s, e, BI_LOAD_LIBSVM)) {
        check_args_alone(s, e);
        return false;
    }
    Expr *a0 = positional(e, 0);
    const char *path;
    if (!string_arg(s, a0, "the path given to load_libsvm", &path))
        return false;
    const char *ext = path_extension(path);
    if (!ext_is(ext, ".svm") && !ext_is(ext, ".libsvm")) {
        diag_error(s->diags, a0->span, "load_libsvm reads .svm or .libsvm files, saw \"%s\"", path);
        return false;
    }
    return true;
}

/* ---- grad ---- */

static bool check_wrt_entry(Sema *s, Expr *x, Type *out)
{
    if (x->kind != EX_NAME) {
        check_expr(s, x, NULL);
        diag_error(s->diags, x->span, "wrt= takes the names of params or vars, saw an expression");
        return false;
    }
    SemaSym *sym = lookup(s, x->name);
    if (!sym) {
        report_unknown(s, x->span, x->name, false);
        return false;
    }
    x->sym = &sym->base;
    x->type = sym->base.type;
    if (sym->base.kind != SYM_PARAM && sym->base.kind != SYM_VAR) {
        Diag *g =
            diag_error(s->diags, x->span, "grad differentiates by params and vars, but '%s' is %s",
                       x->name, a_kind(sym->base.kind));
        diag_note(s->diags, g, sym->base.decl_span, "'%s' declared here as %s", x->name,
                  kind_noun(sym->base.kind));
        return false;
    }
    if (is_poison(&sym->base.type))
        return false;
    if (!type_is_float(sym->base.type.dtype) || sym->base.type.sparse) {
        diag_error(s->diags, x->span,
                   "cannot differentiate by '%s' of type %s: it must be a dense float tensor",
                   x->name, tstr(s, &sym->base.type));
        return false;
    }
    *out = sym->base.type;
    out->weak = false;
    return true;
}

static bool check_wrt_list(Sema *s, Expr *w, Expr **names, int n, Type *types)
{
    bool ok = true;
    for (int i = 0; i < n; i++) {
        bool entry_ok = check_wrt_entry(s, names[i], &types[i]);
        ok = entry_ok && ok;
        for (int j = 0; entry_ok && j < i; j++) {
            if (names[j]->sym && names[j]->sym == names[i]->sym) {
                diag_error(s->diags, names[i]->span, "'%s' appears twice in wrt=", names[i]->name);
                ok = false;
                break;
            }
        }
    }
    if (w->kind == EX_TUPLE) {
        w->tuple_types = types;
        w->ntuple = n;
    }
    return ok;
}

static Type check_grad(Sema *s, Expr *e)
{
    bool ok = true;
    if (s->pfor) {
        Diag *g = diag_error(s->diags, e->name_span,
                             "grad is not allowed inside a parallel for body: it differentiates "
                             "whole-tensor expressions");
        diag_note(s->diags, g, s->pfor->stmt->keyword_span, "the parallel for is here");
        ok = false;
    }
    Expr *f = positional(e, 0);
    Type ft = check_value(s, f, NULL);
    if (is_poison(&ft)) {
        ok = false;
    } else if (ft.rank != 0 || !type_is_float(ft.dtype) || ft.sparse) {
        diag_error(s->diags, f->span, "grad needs a scalar float expression, saw %s",
                   ft.dtype == DT_STR ? "a string" : tstr(s, &ft));
        ok = false;
    }
    Arg *wrt = keyword(e, "wrt");
    if (!wrt) {
        diag_error(s->diags, e->span,
                   "grad needs wrt=(a, b, ...): the params or vars to differentiate by");
        return poison();
    }
    Expr *w = wrt->value;
    bool bare = w->kind != EX_TUPLE;
    int n = bare ? 1 : w->nelems;
    Type *types = ARENA_ARRAY(s->arena, Type, n);
    ok = check_wrt_list(s, w, bare ? &wrt->value : w->elems, n, types) && ok;
    if (!ok)
        return poison();
    e->tuple_types = types;
    e->ntuple = n;
    return bare ? types[0] : poison(); /* wrt=w gives one tensor; wrt=(a, b) a tuple */
}

/* ---- calls of user fns ---- */

/* Whether a scalar of type v may be stored in a scalar of type t (converting as it goes). */
static bool scalar_fits(const Type *t, const Type *v)
{
    if (t->dtype == DT_STR || v->dtype == DT_STR)
        return t->dtype == v->dtype;
    if ((t->dtype == DT_BOOL) != (v->dtype == DT_BOOL))
        return false;
    return !(type_is_float(v->dtype) && type_is_int(t->dtype));
}

static int generic_index(const FnInfo *f, Dim d)
{
    if (d.kind != DIM_SYM)
        return -1;
    for (int i = 0; i < f->ngeneric; i++)
        if (strcmp(f->generic[i], d.sym) == 0)
            return i;
    return -1;
}

/* A signature type with the per-call size names replaced by what this call bound them to. */
static Type substitute(const FnInfo *f, const Type *t, const Dim *bound, const bool *is_bound,
                       bool keep_unbound)
{
    Type out = *t;
    for (int i = 0; i < t->rank; i++) {
        int g = generic_index(f, t->dims[i]);
        if (g >= 0 && (is_bound[g] || !keep_unbound))
            out.dims[i] = is_bound[g] ? bound[g] : dim_any();
    }
    return out;
}

static void report_argument(Sema *s, Expr *arg, FnInfo *f, int i, const Type *want, const Type *saw,
                            int axis)
{
    Diag *g = diag_error(s->diags, arg->span, "argument %d of '%s' must be %s, saw %s", i + 1,
                         f->sym->base.name, tstr(s, want), tstr(s, saw));
    if (axis >= 0)
        note_dim_pair(s, g, want->dims[axis], saw->dims[axis]);
    diag_note(s->diags, g, f->decl->fn_params[i].span, "parameter '%s' is declared here",
              f->decl->fn_params[i].name);
}

static bool check_argument(Sema *s, FnInfo *f, int i, Expr *arg, const Type *a, Dim *bound,
                           bool *is_bound)
{
    const Type *p = &f->params[i];
    if (is_poison(p))
        return true;
    bool fits = a->rank == p->rank && a->sparse == p->sparse &&
                (a->rank == 0 ? scalar_fits(p, a) : a->dtype == p->dtype);
    if (!fits) {
        Type want = substitute(f, p, bound, is_bound, true);
        report_argument(s, arg, f, i, &want, a, -1);
        return false;
    }
    for (int d = 0; d < p->rank; d++) {
        int g = generic_index(f, p->dims[d]);
        if (g >= 0 && !is_bound[g]) {
            bound[g] = a->dims[d];
            is_bound[g] = true;
            continue;
        }
        Dim want_dim = g >= 0 ? bound[g] : p->dims[d];
        if (match_dims(s, want_dim, a->dims[d]) == DIMS_DIFFER) {
            Type want = substitute(f, p, bound, is_bound, true);
            report_argument(s, arg, f, i, &want, a, d);
            return false;
        }
    }
    return true;
}

static void record_call(Sema *s, FnInfo *callee, Span at)
{
    if (s->fn) {
        CallEdge *c = ARENA_NEW(s->arena, CallEdge);
        c->callee = callee;
        c->at = at;
        vec_push(&s->fn->calls, c);
        return;
    }
    TopCall *t = ARENA_NEW(s->arena, TopCall);
    t->fn = callee;
    t->at = at;
    vec_push(&s->top_calls, t);
}

static Type check_fn_call(Sema *s, Expr *e, FnInfo *f)
{
    e->sym = &f->sym->base;
    const char *name = f->sym->base.name;
    if (!s->fn && f->decl->span.begin > e->span.begin) {
        Diag *g = diag_error(s->diags, e->name_span, "'%s' is used before its declaration", name);
        diag_note(s->diags, g, f->sym->base.decl_span, "'%s' is declared here", name);
        check_args_alone(s, e);
        return poison();
    }
    record_call(s, f, e->name_span);
    bool ok = true;
    for (int i = 0; i < e->nargs; i++) {
        if (e->args[i].name) {
            diag_error(s->diags, e->args[i].name_span,
                       "fn calls take positional arguments only, saw '%s='", e->args[i].name);
            ok = false;
        }
    }
    int n = count_positional(e);
    Type *types = ARENA_ARRAY(s->arena, Type, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        types[i] = check_value(s, positional(e, i), NULL);
    if (!ok)
        return poison();
    if (n != f->nparams) {
        Diag *g = diag_error(s->diags, e->span, "'%s' takes %d argument%s, saw %d", name,
                             f->nparams, f->nparams == 1 ? "" : "s", n);
        diag_note(s->diags, g, f->sym->base.decl_span, "'%s' is declared here", name);
        return poison();
    }
    Dim *bound = ARENA_ARRAY(s->arena, Dim, f->ngeneric + 1);
    bool *is_bound = ARENA_ARRAY(s->arena, bool, f->ngeneric + 1);
    for (int i = 0; i < n; i++)
        if (!is_poison(&types[i]))
            ok = check_argument(s, f, i, positional(e, i), &types[i], bound, is_bound) && ok;
    if (!ok || !f->has_ret)
        return poison();
    return substitute(f, &f->ret, bound, is_bound, false);
}

/* ---- dispatch ---- */

static Type check_builtin_call(Sema *s, Expr *e, BuiltinId id, const Type *expected)
{
    int npos = count_positional(e);
    if ((id == BI_MAX || id == BI_MIN) && npos == 2)
        id = id == BI_MAX ? BI_MAXIMUM : BI_MINIMUM;
    if (id == BI_LOG && npos == 0 && e->nargs > 0)
        id = BI_LOG_METRICS;
    e->builtin = id;
    const BuiltinInfo *info = builtin_info(id);
    if (info->kind == BK_STATEMENT) {
        diag_error(s->diags, e->span, "'%s(...)' gives no value; it can only stand as a statement",
                   info->name);
        check_args_alone(s, e);
        return poison();
    }
    if (id == BI_LOAD_LIBSVM) {
        diag_error(s->diags, e->span,
                   "load_libsvm gives a matrix and its labels; use it as input (X: csr f64[n, d], "
                   "y: f64[n]) = load_libsvm(path)");
        check_args_alone(s, e);
        return poison();
    }
    if (!check_arg_structure(s, e, id)) {
        check_args_alone(s, e);
        return poison();
    }
    switch (info->kind) {
    case BK_ELEMENTWISE:
        return check_elementwise(s, e, id);
    case BK_REDUCTION:
        return check_reduction(s, e, id);
    case BK_CONSTRUCTOR:
        return check_constructor(s, e, id, expected);
    case BK_SHAPE_QUERY:
        return check_shape_query(s, e, id);
    case BK_LOADER:
        return check_load(s, e, expected);
    case BK_CONVERSION:
        return check_conversion(s, e, id);
    case BK_STATEMENT:
        break;
    case BK_SPECIAL:
        if (id == BI_DOT)
            return check_dot(s, e);
        if (id == BI_SOFTMAX)
            return check_softmax(s, e);
        if (id == BI_RESHAPE)
            return check_reshape(s, e);
        if (id == BI_GRAD)
            return check_grad(s, e);
        break;
    }
    UNREACHABLE();
}

static Type check_call(Sema *s, Expr *e, const Type *expected)
{
    SemaSym *sym = lookup(s, e->name);
    if (sym && sym->base.kind != SYM_FN) {
        Diag *g = diag_error(s->diags, e->name_span, "'%s' is not a function", e->name);
        diag_note(s->diags, g, sym->base.decl_span, "'%s' is %s, declared here", e->name,
                  a_kind(sym->base.kind));
        check_args_alone(s, e);
        return poison();
    }
    FnInfo *fn = sym ? sym->fn : strmap_get(&s->fns, e->name);
    if (sym && !fn) { /* a fn declared where fns are not allowed: already reported */
        check_args_alone(s, e);
        return poison();
    }
    if (fn)
        return check_fn_call(s, e, fn);
    BuiltinId id = builtin_lookup(e->name);
    if (id == BI_NONE) {
        report_unknown(s, e->name_span, e->name, true);
        check_args_alone(s, e);
        return poison();
    }
    return check_builtin_call(s, e, id, expected);
}

static Type check_tuple(Sema *s, Expr *e)
{
    e->ntuple = e->nelems;
    e->tuple_types = ARENA_ARRAY(s->arena, Type, e->nelems);
    for (int i = 0; i < e->nelems; i++)
        e->tuple_types[i] = check_value(s, e->elems[i], NULL);
    return poison();
}

/* Types e; expected is the declared type a constructor or load without a shape takes. */
static Type check_expr(Sema *s, Expr *e, const Type *expected)
{
    Type t;
    switch (e->kind) {
    case EX_INT:
        t = scalar_of(DT_I64, true);
        break;
    case EX_FLOAT:
        t = scalar_of(DT_F64, true);
        break;
    case EX_BOOL:
        t = scalar_of(DT_BOOL, true);
        break;
    case EX_STRING:
        t = scalar_of(DT_STR, false);
        break;
    case EX_NAME:
        t = check_name(s, e, expected);
        break;
    case EX_UNARY:
        t = check_unary(s, e);
        break;
    case EX_BINARY:
        t = check_binary(s, e);
        break;
    case EX_CALL:
        t = check_call(s, e, expected);
        break;
    case EX_INDEX:
        t = check_index(s, e);
        break;
    case EX_TRANSPOSE:
        t = check_transpose(s, e);
        break;
    case EX_TUPLE:
        t = check_tuple(s, e);
        break;
    case EX_RANGE:
        diag_error(s->diags, e->span,
                   "a range a..b is only allowed in a for header or as schedule's first argument");
        check_value(s, e->lhs, NULL);
        check_value(s, e->rhs, NULL);
        t = poison();
        break;
    case EX_LAMBDA:
        diag_error(s->diags, e->span,
                   "a lambda is only allowed as schedule's priority= or conflict= argument");
        t = poison();
        break;
    default:
        UNREACHABLE();
    }
    e->type = t;
    return t;
}

/* ======================================================================================== */
/* Declarations                                                                             */
/* ======================================================================================== */

typedef enum { FIT_OK, FIT_TYPE, FIT_DIM } Fit;

/* Whether a value of type v may be stored whole where t is declared. */
static Fit value_fits(Sema *s, const Type *t, const Type *v, int *axis)
{
    *axis = -1;
    if (t->rank != v->rank || t->sparse != v->sparse)
        return FIT_TYPE;
    if (t->rank == 0)
        return scalar_fits(t, v) ? FIT_OK : FIT_TYPE;
    if (t->dtype != v->dtype)
        return FIT_TYPE;
    for (int i = 0; i < t->rank; i++) {
        if (match_dims(s, t->dims[i], v->dims[i]) == DIMS_DIFFER) {
            *axis = i;
            return FIT_DIM;
        }
    }
    return FIT_OK;
}

/* Whether v may be written into t, an element or slice: v broadcasts to t's shape. */
static Fit store_fits(Sema *s, const Type *t, const Type *v, int *axis)
{
    *axis = -1;
    if (v->sparse || v->dtype == DT_STR)
        return FIT_TYPE;
    if (v->rank == 0) {
        Type elem = scalar_of(t->dtype, false);
        return scalar_fits(&elem, v) ? FIT_OK : FIT_TYPE;
    }
    if (v->rank > t->rank || v->dtype != t->dtype)
        return FIT_TYPE;
    for (int i = 1; i <= v->rank; i++) {
        Dim vd = v->dims[v->rank - i], td = t->dims[t->rank - i];
        if (!is_const_dim(s, vd, 1) && match_dims(s, td, vd) == DIMS_DIFFER) {
            *axis = t->rank - i;
            return FIT_DIM;
        }
    }
    return FIT_OK;
}

static void report_misfit(Sema *s, Span at, const char *context, const Type *t, const Type *v,
                          int axis, const SemaSym *decl)
{
    bool convertible = t->rank > 0 && v->rank == t->rank && t->dtype != v->dtype &&
                       is_number(t->dtype) && is_number(v->dtype);
    const char *hint =
        convertible ? arena_printf(s->arena, "; convert with %s(...)", type_dtype_name(t->dtype))
                    : "";
    Diag *g = diag_error(s->diags, at, "%s: expected %s, saw %s%s", context, tstr(s, t),
                         v->dtype == DT_STR ? "a string" : tstr(s, v), hint);
    if (axis >= 0 && axis < v->rank)
        note_dim_pair(s, g, t->dims[axis], v->dims[axis]);
    else if (axis >= 0)
        note_dim(s, g, t->dims[axis]);
    if (decl)
        diag_note(s->diags, g, decl->base.decl_span, "'%s' is declared here as %s", decl->base.name,
                  tstr(s, &decl->base.type));
}

/* The type a declaration writes. Names that are neither configs nor bound size names are left
 * as names: bind_fresh_sizes makes them size names once the initial value is known. */
static Type type_from_syntax(Sema *s, const TypeSyntax *ts, bool *ok)
{
    Type t = scalar_of(ts->dtype, false);
    t.sparse = ts->sparse;
    t.rank = (uint8_t)ts->rank;
    for (int i = 0; i < ts->rank; i++) {
        const DimSyntax *d = &ts->dims[i];
        if (!d->is_name) {
            t.dims[i] = dim_const(d->value);
            continue;
        }
        t.dims[i] = dim_named(d->name);
        SemaSym *sym = dim_symbol(s, d->name);
        if (sym && sym->base.kind == SYM_CONFIG && !is_poison(&sym->base.type) &&
            !type_is_int(sym->base.type.dtype)) {
            Diag *g = diag_error(s->diags, d->span,
                                 "config '%s' is used as a dimension, so it must be an integer, "
                                 "saw %s",
                                 d->name, tstr(s, &sym->base.type));
            diag_note(s->diags, g, sym->base.decl_span, "'%s' is declared here", d->name);
            *ok = false;
        }
        SemaSym *other = lookup(s, d->name);
        if (!sym && other) {
            Diag *g = diag_error(s->diags, d->span,
                                 "'%s' is %s, not a size name or a config; a dimension is an "
                                 "integer, a config or a size name",
                                 d->name, a_kind(other->base.kind));
            diag_note(s->diags, g, other->base.decl_span, "'%s' is declared here", d->name);
            *ok = false;
        }
    }
    if (t.sparse && t.rank != 2) {
        diag_error(s->diags, ts->span, "a csr type must have rank 2, saw %s", tstr(s, &t));
        *ok = false;
    }
    return t;
}

/* Declares the size names a declaration's type uses first, each bound to what the initial
 * value has along that axis. from_data: the value is read from a file (load), which is what
 * gives a new size its value at run time. */
static void bind_fresh_sizes(Sema *s, Stmt *st, const TypeSyntax *ts, const Type *init,
                             bool from_data)
{
    for (int i = 0; i < ts->rank; i++) {
        const DimSyntax *d = &ts->dims[i];
        if (!d->is_name || dim_symbol(s, d->name) || lookup(s, d->name))
            continue;
        Dim v = !is_poison(init) && init->rank == ts->rank ? init->dims[i] : dim_any();
        SemaSym *sym = new_symbol(s, SYM_SIZE, d->name, d->span, st, scalar_of(DT_I64, true));
        if (v.kind == DIM_SYM && strcmp(v.sym, d->name) == 0) {
            if (!from_data)
                diag_error(s->diags, d->span,
                           "size name '%s' gets no value here: its first use must be a "
                           "declaration whose value has that size (loaded data, or a shape "
                           "given explicitly)",
                           d->name);
        } else if (v.kind != DIM_ANY) {
            sym->has_value = true;
            sym->value = v;
        }
        declare(s, sym);
    }
}

static bool is_loader_call(const Expr *e)
{
    return e && e->kind == EX_CALL && (e->builtin == BI_LOAD || e->builtin == BI_LOAD_LIBSVM);
}

static SymbolKind decl_symbol_kind(StmtKind k)
{
    switch (k) {
    case ST_INPUT:
        return SYM_INPUT;
    case ST_PARAM:
        return SYM_PARAM;
    case ST_VAR:
        return SYM_VAR;
    default:
        return SYM_LET;
    }
}

static bool depends_on_loop(const Expr *e);

/* The iteration-private facts of a local declared in a parallel body. */
static void mark_parallel_local(Sema *s, SemaSym *sym, const Expr *init)
{
    if (!s->pfor)
        return;
    sym->loop_dependent = sym->base.kind == SYM_VAR || depends_on_loop(init);
}

static void check_partition(Sema *s, Stmt *st, const Type *t)
{
    if (st->partition == PART_NONE || is_poison(t))
        return;
    if (t->rank == 0 || (st->partition == PART_COLS && t->rank < 2)) {
        diag_error(s->diags, st->partition_span, "cannot partition %s by %s", tstr(s, t),
                   ast_partition_name(st->partition));
    }
}

static void check_single_decl(Sema *s, Stmt *st)
{
    SymbolKind kind = decl_symbol_kind(st->kind);
    if (st->nnames < 1 || !st->names[0].name)
        return;
    Binding *b = &st->names[0];
    bool ok = true;
    Type declared = poison();
    if (st->type)
        declared = type_from_syntax(s, st->type, &ok);
    Type init = poison();
    if (st->init) {
        /* a broken declared type is passed as poison: zeros and load then stay quiet */
        init = check_value(s, st->init, st->type ? (ok ? &declared : &init) : NULL);
    }
    if (st->type)
        bind_fresh_sizes(s, st, st->type, &init, is_loader_call(st->init));
    Type symtype;
    if (st->type) {
        symtype = ok ? declared : poison();
        int axis;
        Fit fit = ok && !is_poison(&init) ? value_fits(s, &declared, &init, &axis) : FIT_OK;
        if (fit != FIT_OK)
            report_misfit(s, st->init->span,
                          arena_printf(s->arena,
                                       "the initial value of '%s' does not match its type",
                                       b->name),
                          &declared, &init, axis, NULL);
    } else {
        symtype = init;
        if (kind != SYM_LET || init.rank > 0)
            symtype.weak = false;
        if (init.dtype == DT_STR) {
            diag_error(s->diags, st->init->span,
                       "'%s' cannot hold a string: strings are config values and paths", b->name);
            symtype = poison();
        }
    }
    check_partition(s, st, &symtype);
    SemaSym *sym = new_symbol(s, kind, b->name, b->span, st, symtype);
    Dim d;
    if (kind == SYM_LET && st->init && symtype.rank == 0 && type_is_int(symtype.dtype) &&
        known_dim(st->init, &d)) {
        sym->has_dim = true;
        sym->dim = d;
    }
    mark_parallel_local(s, sym, st->init);
    declare(s, sym);
    b->sym = &sym->base;
    st->sym = &sym->base;
}

static bool is_literal(const Expr *e)
{
    if (e->kind == EX_UNARY && e->op == OP_NEG)
        return e->lhs->kind == EX_INT || e->lhs->kind == EX_FLOAT;
    return e->kind == EX_INT || e->kind == EX_FLOAT || e->kind == EX_BOOL || e->kind == EX_STRING;
}

static void check_config(Sema *s, Stmt *st)
{
    if (st->nnames < 1 || !st->names[0].name)
        return;
    Binding *b = &st->names[0];
    Type t = poison();
    Expr *v = st->init;
    if (v && !is_literal(v)) {
        diag_error(s->diags, v->span,
                   "config '%s' needs a literal value (a number, true, false or a string), saw "
                   "an expression",
                   b->name);
        v = NULL;
    } else if (v) {
        t = check_value(s, v, NULL);
        t.weak = t.dtype != DT_STR;
    }
    SemaSym *sym = new_symbol(s, SYM_CONFIG, b->name, b->span, st, t);
    sym->base.config_value = v;
    declare(s, sym);
    b->sym = &sym->base;
    st->sym = &sym->base;
}

/* let (a, b) = grad(...). */
static void check_tuple_let(Sema *s, Stmt *st)
{
    Expr *init = st->init;
    Type t = init ? check_expr(s, init, NULL) : poison();
    int n = st->nnames;
    const Type *types = NULL;
    if (init && init->kind == EX_TUPLE) {
        diag_error(s->diags, init->span,
                   "let (a, b) = ... unpacks the values of grad(...); write one let per value");
    } else if (!init || (is_poison(&t) && !init->tuple_types)) {
        /* the initial value is in error: bind the names quietly */
    } else if (!init->tuple_types) {
        diag_error(s->diags, init->span, "expected a tuple of %d values to unpack, saw %s", n,
                   t.dtype == DT_STR ? "a string" : tstr(s, &t));
    } else if (init->ntuple != n) {
        Diag *g = diag_error(s->diags, st->names[0].span,
                             "%d names are bound here, but the value has %d", n, init->ntuple);
        diag_note(s->diags, g, init->span, "the value with %d parts is here", init->ntuple);
    } else {
        types = init->tuple_types;
    }
    for (int i = 0; i < n; i++) {
        Binding *b = &st->names[i];
        Type bt = types ? types[i] : poison();
        if (b->type && types) {
            bool ok = true;
            Type declared = type_from_syntax(s, b->type, &ok);
            bind_fresh_sizes(s, st, b->type, &bt, false);
            int axis;
            if (ok && !is_poison(&bt) && value_fits(s, &declared, &bt, &axis) != FIT_OK)
                report_misfit(s, b->span,
                              arena_printf(s->arena, "'%s' does not match its type", b->name),
                              &declared, &bt, axis, NULL);
            bt = ok ? declared : poison();
        }
        bt.weak = bt.weak && bt.rank == 0;
        SemaSym *sym = new_symbol(s, SYM_LET, b->name, b->span, st, bt);
        mark_parallel_local(s, sym, init);
        declare(s, sym);
        b->sym = &sym->base;
    }
}

/* The declared type of one name of input (X: T1, y: T2) = load_libsvm(path). */
static Type libsvm_part_type(Sema *s, Stmt *st, int i, bool *ok)
{
    bool check_shape = *ok; /* no shape rules once the statement is known to be wrong */
    Binding *b = &st->names[i];
    if (!b->type) {
        Type t = tensor1(DT_F64, dim_any()); /* the labels: f64[?]; the matrix: csr f64[?, ?] */
        if (i == 0) {
            t.rank = 2;
            t.sparse = true;
            t.dims[1] = dim_any();
        }
        return t;
    }
    bool type_ok = true;
    Type t = type_from_syntax(s, b->type, &type_ok);
    bind_fresh_sizes(s, st, b->type, &t, true);
    if (!check_shape) {
        /* the names are still declared, with their written types */
    } else if (type_ok && i == 0 && t.rank != 2) {
        diag_error(s->diags, b->type->span,
                   "the matrix read by load_libsvm must have rank 2 (e.g. csr f64[n, d]), saw %s",
                   tstr(s, &t));
        type_ok = false;
    } else if (type_ok && i == 1 && t.rank != 1) {
        diag_error(s->diags, b->type->span,
                   "the labels read by load_libsvm must be a vector (e.g. f64[n]), saw %s",
                   tstr(s, &t));
        type_ok = false;
    } else if (type_ok && (t.dtype == DT_BOOL || t.dtype == DT_STR)) {
        diag_error(s->diags, b->type->span, "load_libsvm reads numbers, saw %s", tstr(s, &t));
        type_ok = false;
    }
    *ok = *ok && type_ok;
    return type_ok ? t : poison();
}

static void check_tuple_input(Sema *s, Stmt *st)
{
    Expr *init = st->init;
    int n = st->nnames;
    bool is_libsvm = init && init->kind == EX_CALL && strcmp(init->name, "load_libsvm") == 0 &&
                     !lookup(s, init->name);
    bool ok = true;
    if (init && !is_libsvm) {
        diag_error(s->diags, init->span,
                   "an input of several names is read with load_libsvm(path), saw another "
                   "expression");
        ok = false;
    } else if (init) {
        ok = check_libsvm_path(s, init);
    }
    if (n != 2) {
        diag_error(s->diags, st->names[0].span,
                   "load_libsvm gives 2 values (a matrix and its labels), but %d names are bound",
                   n);
        ok = false;
    }
    Type *types = ARENA_ARRAY(s->arena, Type, n);
    for (int i = 0; i < n; i++)
        types[i] = i < 2 ? libsvm_part_type(s, st, i, &ok) : poison();
    if (ok && n == 2 && match_dims(s, types[0].dims[0], types[1].dims[0]) == DIMS_DIFFER) {
        Diag *g = diag_error(s->diags, st->names[1].span,
                             "load_libsvm gives one label per row, but the types are %s and %s",
                             tstr(s, &types[0]), tstr(s, &types[1]));
        note_dim_pair(s, g, types[0].dims[0], types[1].dims[0]);
    }
    if (init && is_libsvm) {
        init->tuple_types = types;
        init->ntuple = n;
        init->type = poison();
    }
    for (int i = 0; i < n; i++) {
        Binding *b = &st->names[i];
        SemaSym *sym = new_symbol(s, SYM_INPUT, b->name, b->span, st, types[i]);
        declare(s, sym);
        b->sym = &sym->base;
    }
    if (n > 0)
        check_partition(s, st, &types[0]);
}

/* ======================================================================================== */
/* Statements                                                                               */
/* ======================================================================================== */

static void check_stmt(Sema *s, Stmt *st);

static void check_stmts(Sema *s, Block *b)
{
    for (int i = 0; i < b->nstmts; i++)
        check_stmt(s, b->stmts[i]);
}

static void check_block(Sema *s, Block *b)
{
    push_scope(s);
    check_stmts(s, b);
    pop_scope(s);
}

/* Whether the value of e may differ between iterations of the current parallel loop. */
static bool depends_on_loop(const Expr *e)
{
    if (!e)
        return false;
    switch (e->kind) {
    case EX_NAME:
        return e->sym && (e->sym->kind == SYM_PLOOP_VAR || as_sema(e->sym)->loop_dependent);
    case EX_UNARY:
    case EX_BINARY:
    case EX_TRANSPOSE:
    case EX_RANGE:
    case EX_LAMBDA:
        return depends_on_loop(e->lhs) || depends_on_loop(e->rhs);
    case EX_CALL:
        for (int i = 0; i < e->nargs; i++)
            if (depends_on_loop(e->args[i].value))
                return true;
        return false;
    case EX_INDEX:
        if (depends_on_loop(e->lhs))
            return true;
        for (int i = 0; i < e->nitems; i++) {
            const IndexItem *it = &e->items[i];
            if (depends_on_loop(it->expr) || depends_on_loop(it->lo) || depends_on_loop(it->hi))
                return true;
        }
        return false;
    case EX_TUPLE:
        for (int i = 0; i < e->nelems; i++)
            if (depends_on_loop(e->elems[i]))
                return true;
        return false;
    default:
        return false;
    }
}

static bool index_depends_on_loop(const Expr *target)
{
    for (int i = 0; i < target->nitems; i++) {
        const IndexItem *it = &target->items[i];
        if (depends_on_loop(it->expr) || depends_on_loop(it->lo) || depends_on_loop(it->hi))
            return true;
    }
    return false;
}

static bool writes_one_element(const Expr *target)
{
    for (int i = 0; i < target->nitems; i++)
        if (target->items[i].kind != IX_EXPR || target->items[i].expr->type.rank != 0)
            return false;
    return true;
}

/* "the loop variable 'i'" or "any of the loop variables 'i', 'j', 'v'". */
static const char *loop_variable_list(Sema *s, const Stmt *pfor)
{
    if (pfor->nnames == 1)
        return arena_printf(s->arena, "the loop variable '%s'", pfor->names[0].name);
    Buf b = {0};
    buf_puts(&b, "any of the loop variables ");
    for (int i = 0; i < pfor->nnames; i++)
        buf_printf(&b, "%s'%s'", i ? ", " : "", pfor->names[i].name);
    char *out = arena_strdup(s->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* Under bsp, an element write whose index is the same in every iteration is a collision. */
static void check_collision(Sema *s, Stmt *st)
{
    PforCtx *p = s->pfor;
    if (!p->check_collisions || p->dependent_guards > 0 || index_depends_on_loop(st->target))
        return;
    const char *name = st->target->lhs->name;
    Diag *g = diag_error(s->diags, st->target->span,
                         "every iteration writes the same %s of '%s': the index does not depend "
                         "on %s",
                         writes_one_element(st->target) ? "element" : "elements", name,
                         loop_variable_list(s, p->stmt));
    diag_note(s->diags, g, p->stmt->keyword_span,
              "this parallel for runs under bsp, where two iterations may not write one element; "
              "accumulate with += instead, or index by the loop variable");
}

/* The rules of section 7 for a write to outer state from a parallel body. */
static void check_parallel_write(Sema *s, Stmt *st, SemaSym *sym)
{
    PforCtx *p = s->pfor;
    if (sym->depth >= p->body_depth)
        return; /* a local of the iteration */
    bool whole = st->target->kind == EX_NAME;
    AssignOp op = st->assign_op;
    const char *name = sym->base.name;
    Diag *g = NULL;
    if (whole && op == ASSIGN_SET) {
        g = diag_error(s->diags, st->target->span,
                       "cannot assign the whole of '%s' inside a parallel for body: iterations "
                       "run concurrently; write elements (%s[i] = ...) or accumulate (%s += ...)",
                       name, name, name);
    } else if (whole && (op == ASSIGN_MUL || op == ASSIGN_DIV)) {
        g = diag_error(s->diags, st->op_span,
                       "'%s' on '%s' inside a parallel for body is not an accumulation: only += "
                       "and -= combine the writes of concurrent iterations",
                       ast_assign_spelling(op), name);
    } else if (!whole && op != ASSIGN_ADD && op != ASSIGN_SUB) {
        check_collision(s, st);
        return;
    }
    if (g)
        diag_note(s->diags, g, sym->base.decl_span, "'%s' is declared outside the loop here", name);
}

/* Whether sym may be assigned at all; reports why not. */
static bool check_assignable(Sema *s, Expr *root, SemaSym *sym)
{
    const char *name = sym->base.name;
    const char *why;
    switch (sym->base.kind) {
    case SYM_PARAM:
    case SYM_VAR:
        return true;
    case SYM_INPUT:
        why = "inputs are read-only";
        break;
    case SYM_LET:
        why = "a let is immutable; declare it with var to update it";
        break;
    case SYM_CONFIG:
        why = "configs are set with --set NAME=VALUE";
        break;
    case SYM_LOOP_VAR:
    case SYM_PLOOP_VAR:
        why = "loop variables are read-only";
        break;
    case SYM_SIZE:
        why = "a size name is fixed by the data";
        break;
    default:
        why = "only params and vars can be assigned";
        break;
    }
    Diag *g = diag_error(s->diags, root->span, "cannot assign to %s '%s': %s",
                         kind_noun(sym->base.kind), name, why);
    diag_note(s->diags, g, sym->base.decl_span, "'%s' declared here as %s", name,
              kind_noun(sym->base.kind));
    return false;
}

/* x op= v keeps x's dtype and shape. */
static void check_compound(Sema *s, Stmt *st, const char *name, const Type *tt, const Type *vt)
{
    const char *op = quoted(s, ast_assign_spelling(st->assign_op));
    Type r = elementwise2(s, st->span, op, st->target, tt, st->init, vt);
    if (is_poison(&r))
        return;
    if (st->assign_op == ASSIGN_DIV && !type_is_float(r.dtype))
        r.dtype = DT_F64;
    if (r.dtype != tt->dtype) {
        diag_error(s->diags, st->op_span, "%s would change the dtype of '%s' from %s to %s", op,
                   name, type_dtype_name(tt->dtype), type_dtype_name(r.dtype));
        return;
    }
    int axis;
    if (value_fits(s, tt, &r, &axis) != FIT_OK)
        diag_error(s->diags, st->op_span, "%s would change the shape of '%s' from %s to %s", op,
                   name, tstr(s, tt), tstr(s, &r));
}

static void check_assign(Sema *s, Stmt *st)
{
    Expr *target = st->target;
    Expr *root = target->kind == EX_INDEX ? target->lhs : target;
    SemaSym *sym = root->kind == EX_NAME ? lookup(s, root->name) : NULL;
    if (!sym) {
        if (root->kind == EX_NAME)
            report_unknown(s, root->span, root->name, false);
        check_expr(s, st->init, NULL);
        return;
    }
    root->sym = &sym->base;
    bool assignable = check_assignable(s, root, sym);
    Type tt = sym->base.type;
    if (target->kind == EX_NAME)
        target->type = tt;
    else
        tt = check_expr(s, target, NULL);
    Type vt = check_value(s, st->init, st->assign_op == ASSIGN_SET ? &tt : NULL);
    if (assignable && s->pfor && !is_poison(&tt))
        check_parallel_write(s, st, sym);
    if (!assignable || is_poison(&tt) || is_poison(&vt))
        return;
    int axis;
    if (st->assign_op != ASSIGN_SET) {
        check_compound(s, st, sym->base.name, &tt, &vt);
    } else if (target->kind == EX_NAME) {
        if (value_fits(s, &tt, &vt, &axis) != FIT_OK)
            report_misfit(s, st->init->span,
                          arena_printf(s->arena, "the assignment would change the type of '%s'",
                                       sym->base.name),
                          &tt, &vt, axis, sym);
    } else if (store_fits(s, &tt, &vt, &axis) != FIT_OK) {
        report_misfit(s, st->init->span,
                      arena_printf(s->arena, "the value does not fit the part of '%s' written",
                                   sym->base.name),
                      &tt, &vt, axis, NULL);
    }
}

/* ---- statement calls: log, print, save, assert ---- */

static void check_log(Sema *s, Expr *e)
{
    for (int i = 0; i < e->nargs; i++) {
        Arg *a = &e->args[i];
        Type t = check_value(s, a->value, NULL);
        if (!is_poison(&t) && (t.rank != 0 || !is_number(t.dtype)))
            diag_error(s->diags, a->value->span, "metric '%s' must be a scalar number, saw %s",
                       a->name, t.dtype == DT_STR ? "a string" : tstr(s, &t));
    }
}

static void check_save(Sema *s, Expr *e)
{
    Expr *x = positional(e, 0);
    Type t = check_value(s, x, NULL);
    const char *path;
    if (!string_arg(s, positional(e, 1), "the path given to save", &path))
        return;
    const char *ext = path_extension(path);
    if (!ext_is(ext, ".csv") && !ext_is(ext, ".npy") && !ext_is(ext, ".mtx")) {
        diag_error(s->diags, positional(e, 1)->span,
                   "save writes .csv, .npy or .mtx files, saw \"%s\"", path);
        return;
    }
    if (is_poison(&t))
        return;
    bool fits = t.dtype != DT_STR;
    if (ext_is(ext, ".csv"))
        fits = fits && !t.sparse && t.rank >= 1 && t.rank <= 2;
    else if (ext_is(ext, ".mtx"))
        fits = fits && t.rank == 2;
    else
        fits = fits && !t.sparse;
    if (!fits)
        diag_error(s->diags, x->span, "cannot save %s as a %s file",
                   t.dtype == DT_STR ? "a string" : tstr(s, &t), ext);
}

static void check_assert(Sema *s, Expr *e)
{
    Expr *c = positional(e, 0);
    Type t = check_value(s, c, NULL);
    need_scalar_bool(s, c, &t, "the condition of assert");
    Expr *m = positional(e, 1);
    if (!m)
        return;
    Type mt = check_value(s, m, NULL);
    if (!is_poison(&mt) && m->kind != EX_STRING)
        diag_error(s->diags, m->span, "the message of assert must be a string literal");
}

static void report_statement_call_in_parallel(Sema *s, Expr *e, BuiltinId id)
{
    const char *why = id == BI_PRINT
                          ? "iterations run concurrently, so the output order is undefined"
                      : id == BI_SAVE ? "every iteration would write the file"
                                      : "metrics are recorded once per step of the outermost loop";
    Diag *g = diag_error(s->diags, e->name_span, "'%s' is not allowed in a parallel for body: %s",
                         builtin_name(id), why);
    diag_note(s->diags, g, s->pfor->stmt->keyword_span, "the parallel for is here");
}

static void check_expr_stmt(Sema *s, Stmt *st)
{
    Expr *e = st->expr;
    if (e->kind != EX_CALL) {
        Type t = check_value(s, e, NULL);
        if (!is_poison(&t))
            diag_error(s->diags, e->span,
                       "expression result is unused; only calls of log, print, save and assert "
                       "stand alone as statements");
        return;
    }
    bool user = lookup(s, e->name) || strmap_get(&s->fns, e->name);
    BuiltinId id = user ? BI_NONE : builtin_lookup(e->name);
    if (id == BI_LOG && count_positional(e) == 0) {
        if (e->nargs == 0) {
            diag_error(s->diags, e->span, "log needs at least one metric: log(name=value, ...)");
            return;
        }
        id = BI_LOG_METRICS;
    }
    if (id == BI_NONE || builtin_info(id)->kind != BK_STATEMENT) {
        Type t = check_expr(s, e, NULL);
        if (!is_poison(&t) || e->tuple_types)
            diag_error(s->diags, e->span, "result of '%s(...)' is unused%s", e->name,
                       id == BI_LOG ? "; to record a metric write log(name=value)" : "");
        return;
    }
    e->builtin = id;
    e->type = poison();
    if (s->pfor && id != BI_ASSERT)
        report_statement_call_in_parallel(s, e, id);
    if (!check_arg_structure(s, e, id)) {
        check_args_alone(s, e);
        return;
    }
    if (id == BI_LOG_METRICS)
        check_log(s, e);
    else if (id == BI_SAVE)
        check_save(s, e);
    else if (id == BI_ASSERT)
        check_assert(s, e);
    else
        for (int i = 0; i < e->nargs; i++)
            check_value(s, e->args[i].value, NULL);
}

/* ---- control flow ---- */

static bool check_bound(Sema *s, Expr *e, const char *what)
{
    if (!e)
        return false;
    Type t = check_value(s, e, NULL);
    return need_int_scalar(s, e, &t, what);
}

/* The number of iterations of lo..hi when both are literals, else -1. */
static int64_t literal_trips(const Expr *lo, const Expr *hi)
{
    int64_t a, b;
    if (lo && hi && literal_int(lo, &a) && literal_int(hi, &b))
        return b > a ? b - a : 0;
    return -1;
}

static void check_for(Sema *s, Stmt *st)
{
    check_bound(s, st->lo, "the start of a for range");
    check_bound(s, st->hi, "the end of a for range");
    LoopCtx loop = {LOOP_SEQUENTIAL, st, s->loop};
    s->loop = &loop;
    push_scope(s);
    if (st->nnames >= 1 && st->names[0].name) {
        SemaSym *v = new_symbol(s, SYM_LOOP_VAR, st->names[0].name, st->names[0].span, st,
                                scalar_of(DT_I64, true));
        if (s->pfor)
            v->loop_dependent = depends_on_loop(st->lo) || depends_on_loop(st->hi);
        declare(s, v);
        st->names[0].sym = &v->base;
    }
    check_stmts(s, &st->body);
    pop_scope(s);
    s->loop = loop.outer;
}

/* A condition that differs between iterations makes the writes under it unprovable. */
static bool enter_guard(Sema *s, const Expr *cond)
{
    if (!s->pfor || !depends_on_loop(cond))
        return false;
    s->pfor->dependent_guards++;
    return true;
}

static void leave_guard(Sema *s, bool entered)
{
    if (entered)
        s->pfor->dependent_guards--;
}

static void check_condition(Sema *s, Expr *cond, const char *what)
{
    Type t = check_value(s, cond, NULL);
    need_scalar_bool(s, cond, &t, what);
}

static void check_while(Sema *s, Stmt *st)
{
    check_condition(s, st->expr, "the condition of while");
    bool guard = enter_guard(s, st->expr);
    LoopCtx loop = {LOOP_SEQUENTIAL, st, s->loop};
    s->loop = &loop;
    check_block(s, &st->body);
    s->loop = loop.outer;
    leave_guard(s, guard);
}

static void check_if(Sema *s, Stmt *st)
{
    check_condition(s, st->expr, "the condition of if");
    bool guard = enter_guard(s, st->expr);
    check_block(s, &st->body);
    if (st->has_else)
        check_block(s, &st->else_body);
    leave_guard(s, guard);
}

static void check_jump(Sema *s, Stmt *st)
{
    const char *what = st->kind == ST_BREAK ? "break" : "continue";
    if (!s->loop) {
        diag_error(s->diags, st->span, "'%s' outside of a loop", what);
        return;
    }
    if (s->loop->kind != LOOP_PARALLEL)
        return;
    Diag *g = diag_error(s->diags, st->span,
                         st->kind == ST_BREAK
                             ? "'break' is not allowed in a parallel for body: its iterations run "
                               "concurrently, so none can stop the others"
                             : "'continue' is not allowed directly in a parallel for body; put the "
                               "rest of the iteration under an if");
    diag_note(s->diags, g, s->loop->stmt->keyword_span, "the parallel for is here");
}

static void check_misplaced_return(Sema *s, Stmt *st)
{
    if (s->pfor) {
        Diag *g = diag_error(s->diags, st->span, "'return' is not allowed in a parallel for body");
        diag_note(s->diags, g, s->pfor->stmt->keyword_span, "the parallel for is here");
    } else {
        diag_error(s->diags, st->span, "'return' outside of a fn body");
    }
    if (st->expr)
        check_expr(s, st->expr, NULL);
}

/* ---- parallel loops ---- */

static void check_staleness(Sema *s, Stmt *st)
{
    Expr *e = st->staleness;
    if (!e)
        return;
    Type t = check_value(s, e, NULL);
    if (is_poison(&t))
        return;
    int64_t v = 0;
    bool ok = literal_int(e, &v) && v >= 0;
    if (!ok && e->kind == EX_NAME && e->sym && e->sym->kind == SYM_CONFIG && type_is_int(t.dtype))
        ok = !e->sym->config_value || !literal_int(e->sym->config_value, &v) || v >= 0;
    if (!ok)
        diag_error(s->diags, e->span,
                   "the staleness of ssp(s) must be a non-negative integer literal or an integer "
                   "config");
}

/* priority=|j| e (a scalar number) and conflict=|j, k| e (a scalar bool). */
static void check_lambda(Sema *s, Expr *e, int arity, const char *what)
{
    const char *form = arity == 1 ? "|j| e" : "|j, k| e";
    if (e->kind != EX_LAMBDA || e->nparams != arity) {
        if (e->kind != EX_LAMBDA)
            check_value(s, e, NULL);
        diag_error(s->diags, e->span, "%s= takes a lambda of %d variable%s (%s), saw %s", what,
                   arity, arity == 1 ? "" : "s", form,
                   e->kind != EX_LAMBDA ? "an expression"
                                        : arena_printf(s->arena, "a lambda of %d", e->nparams));
        return;
    }
    push_scope(s);
    for (int i = 0; i < e->nparams; i++) {
        Binding *b = &e->params[i];
        SemaSym *p =
            new_symbol(s, SYM_LAMBDA_PARAM, b->name, b->span, NULL, scalar_of(DT_I64, true));
        declare(s, p);
        b->sym = &p->base;
    }
    Type t = check_value(s, e->lhs, NULL);
    e->type = t;
    pop_scope(s);
    if (arity == 1)
        need_scalar_number(s, e->lhs, &t, "the priority");
    else
        need_scalar_bool(s, e->lhs, &t, "the conflict test");
}

static void check_schedule_arg(Sema *s, Arg *a, int64_t *trips)
{
    if (!strcmp(a->name, "size") || !strcmp(a->name, "seed")) {
        Type t = check_value(s, a->value, NULL);
        need_int_scalar(s, a->value, &t, a->name);
        int64_t v;
        if (!strcmp(a->name, "size") && literal_int(a->value, &v) && v <= 1)
            *trips = 1; /* one candidate per round: nothing can collide */
    } else if (!strcmp(a->name, "priority")) {
        check_lambda(s, a->value, 1, "priority");
    } else if (!strcmp(a->name, "conflict")) {
        check_lambda(s, a->value, 2, "conflict");
    } else {
        diag_error(s->diags, a->name_span,
                   "unknown schedule argument '%s'; expected size, priority, conflict or seed",
                   a->name);
    }
}

static void check_schedule(Sema *s, Stmt *st, int64_t *trips)
{
    Expr *r = st->iter_expr;
    if (r && r->kind != EX_RANGE) {
        check_value(s, r, NULL);
        diag_error(s->diags, r->span, "the first argument of schedule must be a range lo..hi");
    } else if (r) {
        bool ok = check_bound(s, r->lhs, "the start of the range");
        ok = check_bound(s, r->rhs, "the end of the range") && ok;
        *trips = literal_trips(r->lhs, r->rhs);
        r->type = ok ? tensor1(DT_I64, *trips >= 0 ? dim_const(*trips) : dim_any()) : poison();
    }
    for (int i = 0; i < st->nsched_args; i++) {
        Arg *a = &st->sched_args[i];
        if (!a->name) {
            diag_error(s->diags, a->value->span,
                       "schedule takes the range, then keyword arguments: size=, priority=, "
                       "conflict=, seed=");
            continue;
        }
        bool repeated = false;
        for (int j = 0; j < i && !repeated; j++)
            repeated = st->sched_args[j].name && !strcmp(st->sched_args[j].name, a->name);
        if (repeated) {
            diag_error(s->diags, a->name_span, "schedule argument '%s' given twice", a->name);
            continue;
        }
        check_schedule_arg(s, a, trips);
    }
    if (st->consistency != CONS_BSP)
        diag_error(s->diags, st->consistency_span,
                   "a schedule(...) loop runs the candidates it keeps under bsp; it takes no "
                   "consistency clause");
}

/* The iteration set; returns the dtype of nonzeros' value variable (or DT_NONE). */
static DType check_iteration_set(Sema *s, Stmt *st, int64_t *trips)
{
    *trips = -1;
    switch (st->iter) {
    case ITER_RANGE:
        check_bound(s, st->lo, "the start of a parallel for range");
        check_bound(s, st->hi, "the end of a parallel for range");
        *trips = literal_trips(st->lo, st->hi);
        return DT_NONE;
    case ITER_SCHEDULE:
        check_schedule(s, st, trips);
        return DT_NONE;
    case ITER_NONZEROS:
        break;
    }
    if (!st->iter_expr)
        return DT_NONE;
    Type m = check_value(s, st->iter_expr, NULL);
    if (is_poison(&m))
        return DT_NONE;
    if (!m.sparse) {
        diag_error(s->diags, st->iter_expr->span, "nonzeros needs a csr matrix, saw %s",
                   m.dtype == DT_STR ? "a string" : tstr(s, &m));
        return DT_NONE;
    }
    return m.dtype;
}

static void declare_parallel_vars(Sema *s, Stmt *st, DType value_dtype)
{
    int want = st->iter == ITER_NONZEROS ? 3 : 1;
    if (st->nnames != want && st->nnames > 0) {
        if (st->iter == ITER_NONZEROS)
            diag_error(s->diags, st->names[0].span,
                       "nonzeros(...) binds three loop variables (row, column, value): write "
                       "parallel for (i, j, v) in nonzeros(S)");
        else
            diag_error(s->diags, st->names[0].span,
                       "a parallel for over a range binds one loop variable, saw %d", st->nnames);
    }
    for (int i = 0; i < st->nnames; i++) {
        Binding *b = &st->names[i];
        Type t = scalar_of(DT_I64, true);
        if (st->iter == ITER_NONZEROS && i == 2)
            t = value_dtype == DT_NONE ? poison() : scalar_of(value_dtype, false);
        SemaSym *v = new_symbol(s, SYM_PLOOP_VAR, b->name, b->span, st, t);
        declare(s, v);
        b->sym = &v->base;
    }
}

static void check_pfor(Sema *s, Stmt *st)
{
    if (s->pfor) {
        Diag *g = diag_error(s->diags, st->keyword_span,
                             "a parallel for body cannot hold another parallel for; make the "
                             "inner loop a sequential for");
        diag_note(s->diags, g, s->pfor->stmt->keyword_span, "the enclosing parallel for is here");
    }
    int64_t trips;
    DType value_dtype = check_iteration_set(s, st, &trips);
    if (st->consistency == CONS_SSP)
        check_staleness(s, st);
    PforCtx ctx = {st, 0, st->consistency == CONS_BSP && trips != 0 && trips != 1, 0};
    LoopCtx loop = {LOOP_PARALLEL, st, s->loop};
    PforCtx *outer = s->pfor;
    s->pfor = &ctx;
    s->loop = &loop;
    push_scope(s);
    ctx.body_depth = s->scope->depth;
    declare_parallel_vars(s, st, value_dtype);
    check_stmts(s, &st->body);
    pop_scope(s);
    s->loop = loop.outer;
    s->pfor = outer;
}

/* ---- fns ---- */

static void check_fn_return(Sema *s, FnInfo *f, Stmt *ret)
{
    Type t = check_value(s, ret->expr, f->has_ret ? &f->ret : NULL);
    int axis;
    if (!f->has_ret || is_poison(&t) || is_poison(&f->ret) ||
        value_fits(s, &f->ret, &t, &axis) == FIT_OK)
        return;
    report_misfit(s, ret->expr->span,
                  arena_printf(s->arena, "the value returned by '%s' does not match its type",
                               f->sym->base.name),
                  &f->ret, &t, axis, NULL);
}

static void check_fn_body(Sema *s, FnInfo *f, Stmt *st)
{
    Block *b = &st->body;
    bool returned = false;
    for (int i = 0; i < b->nstmts; i++) {
        Stmt *x = b->stmts[i];
        if (x->kind == ST_LET) {
            check_stmt(s, x);
        } else if (x->kind == ST_RETURN) {
            check_fn_return(s, f, x);
            if (i != b->nstmts - 1)
                diag_error(s->diags, x->span, "'return' must be the last statement of fn '%s'",
                           f->sym->base.name);
            returned = true;
        } else {
            diag_error(s->diags, x->keyword_span,
                       "a fn body holds only let declarations and a final return, saw %s",
                       x->kind == ST_ASSIGN || x->kind == ST_EXPR
                           ? (x->kind == ST_ASSIGN ? "an assignment" : "a call statement")
                           : quoted(s, ast_stmt_kind_name(x->kind)));
        }
    }
    if (!returned)
        diag_error(s->diags, st->names[0].span, "fn '%s' must end with 'return e'",
                   f->sym->base.name);
}

static void check_fn(Sema *s, Stmt *st)
{
    if (!st->sym)
        return;
    SemaSym *fsym = as_sema(st->sym);
    FnInfo *f = fsym->fn;
    register_symbol(s, fsym);
    declare(s, fsym);
    push_scope(s);
    s->fn = f;
    for (int i = 0; i < f->ngeneric; i++) {
        SemaSym *g = new_symbol(s, SYM_SIZE, f->generic[i], f->generic_spans[i], st,
                                scalar_of(DT_I64, true));
        declare(s, g);
    }
    for (int i = 0; i < st->nfn_params; i++) {
        Binding *b = &st->fn_params[i];
        SemaSym *p = new_symbol(s, SYM_FN_PARAM, b->name, b->span, st, f->params[i]);
        declare(s, p);
        b->sym = &p->base;
    }
    check_fn_body(s, f, st);
    pop_scope(s);
    s->fn = NULL;
}

/* ---- the statement dispatcher ---- */

static void check_decl_stmt(Sema *s, Stmt *st, bool top)
{
    if (!top && (st->kind == ST_CONFIG || st->kind == ST_INPUT || st->kind == ST_PARAM))
        diag_error(s->diags, st->keyword_span,
                   "'%s' declarations are only allowed at the top level",
                   ast_stmt_kind_name(st->kind));
    if (st->kind == ST_CONFIG)
        check_config(s, st);
    else if (st->tuple && st->kind == ST_INPUT)
        check_tuple_input(s, st);
    else if (st->tuple)
        check_tuple_let(s, st);
    else
        check_single_decl(s, st);
}

static void check_stmt(Sema *s, Stmt *st)
{
    bool top = s->scope->depth == 0 && !s->fn;
    switch (st->kind) {
    case ST_CONFIG:
    case ST_INPUT:
    case ST_PARAM:
    case ST_VAR:
    case ST_LET:
        check_decl_stmt(s, st, top);
        return;
    case ST_FN:
        if (top)
            check_fn(s, st);
        else
            diag_error(s->diags, st->keyword_span,
                       "fn declarations are only allowed at the top level");
        return;
    case ST_ASSIGN:
        check_assign(s, st);
        return;
    case ST_EXPR:
        check_expr_stmt(s, st);
        return;
    case ST_FOR:
        check_for(s, st);
        return;
    case ST_WHILE:
        check_while(s, st);
        return;
    case ST_IF:
        check_if(s, st);
        return;
    case ST_BREAK:
    case ST_CONTINUE:
        check_jump(s, st);
        return;
    case ST_RETURN:
        check_misplaced_return(s, st);
        return;
    case ST_PFOR:
        check_pfor(s, st);
        return;
    }
    UNREACHABLE();
}

/* ======================================================================================== */
/* Top level: fn signatures first, recursion and call order last                            */
/* ======================================================================================== */

static void note_top_decl(Sema *s, const char *name, Span at)
{
    if (!name || strmap_get(&s->top_decls, name))
        return;
    Span *p = ARENA_NEW(s->arena, Span);
    *p = at;
    strmap_put(&s->top_decls, name, p);
}

static void add_generic(Sema *s, FnInfo *f, PtrVec *names, PtrVec *spans, const DimSyntax *d)
{
    for (int i = 0; i < names->len; i++)
        if (!strcmp(names->items[i], d->name))
            return;
    vec_push(names, (void *)d->name);
    Span *sp = ARENA_NEW(s->arena, Span);
    *sp = d->span;
    vec_push(spans, sp);
    (void)f;
}

/* A parameter or return type of a fn. A dimension name is a config or a size name bound by a
 * top-level declaration above the fn, or else a size name bound afresh by each call. */
static Type signature_type(Sema *s, FnInfo *f, const TypeSyntax *ts, StrMap *configs, StrMap *sizes,
                           PtrVec *names, PtrVec *spans, bool is_param)
{
    if (!ts)
        return poison();
    Type t = scalar_of(ts->dtype, false);
    t.sparse = ts->sparse;
    t.rank = (uint8_t)ts->rank;
    for (int i = 0; i < ts->rank; i++) {
        const DimSyntax *d = &ts->dims[i];
        if (!d->is_name) {
            t.dims[i] = dim_const(d->value);
            continue;
        }
        t.dims[i] = dim_named(d->name);
        Stmt *config = strmap_get(configs, d->name);
        int64_t v;
        if (config && config->init && !literal_int(config->init, &v)) {
            Diag *g =
                diag_error(s->diags, d->span,
                           "config '%s' is used as a dimension, so it must be an integer", d->name);
            diag_note(s->diags, g, config->names[0].span, "'%s' is declared here", d->name);
        }
        if (config || strmap_get(sizes, d->name))
            continue;
        if (is_param) {
            add_generic(s, f, names, spans, d);
            continue;
        }
        bool bound = false;
        for (int k = 0; k < names->len && !bound; k++)
            bound = !strcmp(names->items[k], d->name);
        if (!bound) {
            diag_error(s->diags, d->span,
                       "size name '%s' in the return type of '%s' is bound by no parameter",
                       d->name, f->sym->base.name);
            t.dims[i] = dim_any();
        }
    }
    if (t.sparse && t.rank != 2) {
        diag_error(s->diags, ts->span, "a csr type must have rank 2, saw %s", tstr(s, &t));
        return poison();
    }
    return t;
}

static void collect_fn(Sema *s, Stmt *st, StrMap *configs, StrMap *sizes)
{
    if (st->nnames < 1 || !st->names[0].name)
        return;
    const char *name = st->names[0].name;
    FnInfo *f = ARENA_NEW(s->arena, FnInfo);
    f->decl = st;
    f->sym = alloc_symbol(s, SYM_FN, name, st->names[0].span, st, poison());
    f->sym->fn = f;
    st->sym = &f->sym->base;
    st->names[0].sym = &f->sym->base;
    if (builtin_lookup(name) != BI_NONE)
        diag_error(s->diags, st->names[0].span, "fn '%s' has the name of a builtin function", name);
    if (!strmap_get(&s->fns, name))
        strmap_put(&s->fns, name, f);
    vec_push(&s->fn_list, f);
    PtrVec names = {0}, spans = {0};
    f->nparams = st->nfn_params;
    f->params = ARENA_ARRAY(s->arena, Type, st->nfn_params + 1);
    for (int i = 0; i < st->nfn_params; i++)
        f->params[i] =
            signature_type(s, f, st->fn_params[i].type, configs, sizes, &names, &spans, true);
    if (st->ret_type) {
        f->ret = signature_type(s, f, st->ret_type, configs, sizes, &names, &spans, false);
        f->has_ret = true;
    }
    f->sym->base.type = f->ret;
    f->ngeneric = names.len;
    f->generic = ARENA_ARRAY(s->arena, const char *, names.len + 1);
    f->generic_spans = ARENA_ARRAY(s->arena, Span, names.len + 1);
    for (int i = 0; i < names.len; i++) {
        f->generic[i] = names.items[i];
        f->generic_spans[i] = *(Span *)spans.items[i];
    }
    vec_free(&names);
    vec_free(&spans);
}

static void collect_type_names(Sema *s, const TypeSyntax *ts, StrMap *configs, StrMap *sizes)
{
    if (!ts)
        return;
    for (int i = 0; i < ts->rank; i++) {
        const DimSyntax *d = &ts->dims[i];
        if (!d->is_name || strmap_get(configs, d->name))
            continue;
        note_top_decl(s, d->name, d->span);
        strmap_put(sizes, d->name, (void *)d);
    }
}

/* Records where each top-level name is declared and resolves every fn's signature. */
static void collect_toplevel(Sema *s)
{
    StrMap configs = {0}, sizes = {0};
    for (int i = 0; i < s->prog->nstmts; i++) {
        Stmt *st = s->prog->stmts[i];
        if (st->kind == ST_FN) {
            if (st->nnames > 0)
                note_top_decl(s, st->names[0].name, st->names[0].span);
            collect_fn(s, st, &configs, &sizes);
            continue;
        }
        if (st->kind != ST_CONFIG && st->kind != ST_INPUT && st->kind != ST_PARAM &&
            st->kind != ST_VAR && st->kind != ST_LET)
            continue;
        for (int k = 0; k < st->nnames; k++) {
            note_top_decl(s, st->names[k].name, st->names[k].span);
            if (st->kind == ST_CONFIG && st->names[k].name)
                strmap_put(&configs, st->names[k].name, st);
            collect_type_names(s, st->names[k].type ? st->names[k].type : st->type, &configs,
                               &sizes);
        }
    }
    strmap_free(&configs);
    strmap_free(&sizes);
}

/* ---- recursion: strongly connected components of the call graph (Tarjan) ---- */

/* Appends the edges of a path from `from` back to `to` inside one component. */
static bool cycle_path(FnInfo *from, FnInfo *to, int component, int epoch, PtrVec *path)
{
    from->visit = epoch;
    for (int i = 0; i < from->calls.len; i++) {
        CallEdge *c = from->calls.items[i];
        if (c->callee->component != component)
            continue;
        vec_push(path, c);
        if (c->callee == to)
            return true;
        if (c->callee->visit != epoch && cycle_path(c->callee, to, component, epoch, path))
            return true;
        path->len--;
    }
    return false;
}

static void report_cycle(Sema *s, FnInfo **members, int n, int component)
{
    FnInfo *first = members[0];
    for (int i = 0; i < n; i++) {
        members[i]->recursive = true;
        if (members[i]->decl->span.begin < first->decl->span.begin)
            first = members[i];
    }
    PtrVec path = {0};
    cycle_path(first, first, component, -component, &path);
    const char *name = first->sym->base.name;
    Diag *g;
    if (n == 1) {
        g = diag_error(s->diags, first->sym->base.decl_span,
                       "fn '%s' calls itself; recursion is not allowed (fns are inlined at "
                       "every call)",
                       name);
    } else {
        Buf names = {0};
        for (int i = 0; i < path.len; i++) {
            CallEdge *c = path.items[(i + path.len - 1) % path.len];
            buf_printf(&names, "%s'%s'",
                       i == 0              ? ""
                       : i == path.len - 1 ? " and "
                                           : ", ",
                       c->callee->sym->base.name);
        }
        g = diag_error(s->diags, first->sym->base.decl_span,
                       "fns %s call each other; recursion is not allowed (fns are inlined at "
                       "every call)",
                       buf_cstr(&names));
        buf_free(&names);
    }
    FnInfo *caller = first;
    for (int i = 0; i < path.len; i++) {
        CallEdge *c = path.items[i];
        diag_note(s->diags, g, c->at, "'%s' calls '%s' here", caller->sym->base.name,
                  c->callee->sym->base.name);
        caller = c->callee;
    }
    vec_free(&path);
}

typedef struct {
    int index, ncomponents;
    PtrVec stack;
} Tarjan;

static void strong_connect(Sema *s, Tarjan *t, FnInfo *v)
{
    v->scc_index = v->scc_low = ++t->index;
    vec_push(&t->stack, v);
    v->on_stack = true;
    for (int i = 0; i < v->calls.len; i++) {
        FnInfo *w = ((CallEdge *)v->calls.items[i])->callee;
        if (!w->scc_index) {
            strong_connect(s, t, w);
            if (w->scc_low < v->scc_low)
                v->scc_low = w->scc_low;
        } else if (w->on_stack && w->scc_index < v->scc_low) {
            v->scc_low = w->scc_index;
        }
    }
    if (v->scc_low != v->scc_index)
        return;
    int component = ++t->ncomponents;
    int start = t->stack.len;
    do {
        FnInfo *w = t->stack.items[--start];
        w->on_stack = false;
        w->component = component;
    } while (t->stack.items[start] != v);
    int n = t->stack.len - start;
    FnInfo **members = (FnInfo **)&t->stack.items[start];
    bool self_call = false;
    for (int i = 0; i < v->calls.len; i++)
        self_call = self_call || ((CallEdge *)v->calls.items[i])->callee == v;
    if (n > 1 || self_call)
        report_cycle(s, members, n, component);
    t->stack.len = start;
}

static void check_recursion(Sema *s)
{
    Tarjan t = {0};
    for (int i = 0; i < s->fn_list.len; i++) {
        FnInfo *f = s->fn_list.items[i];
        if (!f->scc_index)
            strong_connect(s, &t, f);
    }
    vec_free(&t.stack);
}

/* The fn declared last among those f reaches through calls (NULL when it calls none);
 * memoised, so every top-level call is checked in time linear in the call graph. */
static FnInfo *latest_callee(FnInfo *f)
{
    if (f->visit == 2 || f->visit == 1) /* done, or on a recursion cycle (reported already) */
        return f->latest;
    f->visit = 1;
    FnInfo *latest = NULL;
    for (int i = 0; i < f->calls.len; i++) {
        FnInfo *g = ((CallEdge *)f->calls.items[i])->callee;
        FnInfo *via = latest_callee(g);
        if (!latest || g->decl->span.begin > latest->decl->span.begin)
            latest = g;
        if (via && via->decl->span.begin > latest->decl->span.begin)
            latest = via;
    }
    f->latest = latest;
    f->visit = 2;
    return latest;
}

static void check_top_call_order(Sema *s)
{
    for (int i = 0; i < s->fn_list.len; i++)
        ((FnInfo *)s->fn_list.items[i])->visit = 0;
    for (int i = 0; i < s->top_calls.len; i++) {
        TopCall *c = s->top_calls.items[i];
        if (c->fn->recursive)
            continue;
        FnInfo *late = latest_callee(c->fn);
        if (!late || late->decl->span.begin < c->at.begin)
            continue;
        Diag *g = diag_error(s->diags, c->at,
                             "'%s' is called here, but '%s', which it calls, is declared only "
                             "later",
                             c->fn->sym->base.name, late->sym->base.name);
        diag_note(s->diags, g, late->sym->base.decl_span, "'%s' is declared here",
                  late->sym->base.name);
    }
}

bool sema_check(Program *prog, Arena *arena, DiagList *diags)
{
    Sema s = {0};
    s.prog = prog;
    s.arena = arena;
    s.diags = diags;
    int errors_before = diags->nerrors;
    push_scope(&s);
    collect_toplevel(&s);
    for (int i = 0; i < prog->nstmts; i++)
        check_stmt(&s, prog->stmts[i]);
    check_recursion(&s);
    check_top_call_order(&s);
    prog->nsymbols = s.symbols.len;
    prog->symbols = (Symbol **)vec_to_arena(&s.symbols, arena);
    for (int i = 0; i < s.fn_list.len; i++)
        vec_free(&((FnInfo *)s.fn_list.items[i])->calls);
    vec_free(&s.fn_list);
    vec_free(&s.top_calls);
    strmap_free(&s.names);
    strmap_free(&s.fns);
    strmap_free(&s.top_decls);
    return diags->nerrors == errors_before;
}
