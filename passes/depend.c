/* depend.c: the `depend` pass: dependence analysis of parallel loops (depend.h).
 *
 * Contract: consumes a verified module (it runs last, after memplan); only adds attributes. On
 * every `ploop.range`, `ploop.nonzeros` and `ploop.schedule` op it sets
 *   accesses      every access the body (and a schedule's priority and conflict lambdas) makes
 *                 to outer data, printed ("read X[:, j]", "accumulate r"; depend_map.c), each
 *                 printed form once;
 *   class         independent, reduction, two-axis, scheduled or general;
 *   class_reason  one sentence saying why.
 * and `layout = "columns"` on a rank-2 dense `state.input` that a parallel loop reads by columns
 * (`X[:, j]` with j depending on a loop variable) and none reads by rows.
 *
 * Classes (DESIGN.md "Parallel loops", LANGUAGE.md §7), from the body's accesses. A map
 * *determines* a loop variable when one of its dimensions is an affine index in that variable
 * alone (nonzero coefficient, no value that changes within the iteration), or a block range
 * c*v + a .. c*v + b with 0 < b - a <= |c|; the elements it selects then belong to that value of
 * the variable. A write is injective when its map determines the iteration: i for a range loop,
 * j for a schedule, both i and j for nonzeros (a row L[i, :] is shared by every nonzero of row i).
 *   - scheduled: a `ploop.schedule`;
 *   - independent: no accumulation; every write injective; the updates of one tensor all use one
 *     map, or maps that never meet (x[2*i] and x[2*i + 1]); and, unless the consistency is bsp
 *     (whose iterations read the snapshot), every read of a written tensor uses its write's map
 *     (or one that never meets it);
 *   - reduction: the same, with accumulations into outer state, none of it read in the body
 *     unless bsp, and unless bsp none of it written where it is accumulated (the private
 *     accumulators are added after the loop, after every write);
 *   - two-axis: a nonzeros loop that passes the same rules when a write may also determine only
 *     i (rows L[i, :]) or only j (rows H[j, :]): iterations conflict only along rows and columns
 *     of the matrix, which the strata schedule keeps apart;
 *   - general: anything else; the reason names the first access that prevents parallelism.
 * Under async and ssp the class still describes the structure (they run Hogwild / SSP anyway). */
#include "passes/depend.h"
#include "passes/passes.h"

#include <string.h>

const char *dep_class_name(DepClass c)
{
    static const char *const names[] = {"independent", "reduction", "two-axis", "scheduled",
                                        "general"};
    return names[c];
}

/* ---- maps ---- */

/* gcd of |a| and |b|. */
static int64_t gcd(int64_t a, int64_t b)
{
    uint64_t x = a < 0 ? 0 - (uint64_t)a : (uint64_t)a, y = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
    while (y) {
        uint64_t t = x % y;
        x = y;
        y = t;
    }
    return x > INT64_MAX ? 0 : (int64_t)x;
}

static bool has_free(const DepAffine *a)
{
    for (int i = 0; i < a->nterms; i++)
        if (a->terms[i].kind == DEP_ATOM_FREE)
            return true;
    return false;
}

/* The one loop variable an affine form depends on (with its coefficient), or -1 when it depends
 * on none, on several, or on a value that changes within the iteration. */
static int sole_var(const DepAffine *a, int64_t *coef)
{
    int var = -1;
    for (int i = 0; i < a->nterms; i++) {
        const DepTerm *t = &a->terms[i];
        if (t->kind == DEP_ATOM_FREE)
            return -1;
        if (t->kind == DEP_ATOM_VAR) {
            if (var >= 0)
                return -1;
            var = t->var;
            *coef = t->coef;
        }
    }
    return var;
}

/* True when a and b have the same symbol terms (the loop-invariant part, constant aside). */
static bool same_symbols(const DepAffine *a, const DepAffine *b)
{
    int i = 0, j = 0;
    for (;;) {
        while (i < a->nterms && a->terms[i].kind != DEP_ATOM_SYMBOL)
            i++;
        while (j < b->nterms && b->terms[j].kind != DEP_ATOM_SYMBOL)
            j++;
        if (i == a->nterms || j == b->nterms)
            return i == a->nterms && j == b->nterms;
        if (strcmp(a->terms[i].name, b->terms[j].name) != 0 || a->terms[i].key != b->terms[j].key ||
            a->terms[i].coef != b->terms[j].coef)
            return false;
        i++, j++;
    }
}

/* Bit v set when the dimension confines the access to one value of loop variable v. */
static unsigned dim_determines(const DepDim *d)
{
    int64_t c = 0, c2 = 0;
    if (d->kind == DEP_DIM_INDEX && d->index.affine) {
        int v = sole_var(&d->index.a, &c);
        return v >= 0 ? 1U << v : 0;
    }
    if (d->kind == DEP_DIM_RANGE && d->has_lo && d->has_hi && d->lo.affine && d->hi.affine) {
        const DepAffine *lo = &d->lo.a, *hi = &d->hi.a;
        int v = sole_var(lo, &c);
        if (v < 0 || sole_var(hi, &c2) != v || c != c2 || !same_symbols(lo, hi))
            return 0;
        int64_t width;
        if (__builtin_sub_overflow(hi->constant, lo->constant, &width))
            return 0;
        uint64_t mag = c < 0 ? 0 - (uint64_t)c : (uint64_t)c;
        return width > 0 && (uint64_t)width <= mag ? 1U << v : 0;
    }
    return 0;
}

static unsigned determined(const DepAccess *a)
{
    unsigned m = 0;
    if (!a->whole)
        for (int d = 0; d < a->ndims; d++)
            m |= dim_determines(&a->dims[d]);
    return m;
}

/* True when a dimension of the two maps proves that no two iterations (the same one included)
 * select one element: c1*v + s + p = c2*v' + s + q has no integer solution. */
static bool never_meet(const DepAccess *a, const DepAccess *b)
{
    if (a->whole || b->whole || a->ndims != b->ndims)
        return false;
    for (int d = 0; d < a->ndims; d++) {
        const DepDim *x = &a->dims[d], *y = &b->dims[d];
        if (x->kind != DEP_DIM_INDEX || y->kind != DEP_DIM_INDEX || !x->index.affine ||
            !y->index.affine)
            continue;
        const DepAffine *p = &x->index.a, *q = &y->index.a;
        if (has_free(p) || has_free(q) || !same_symbols(p, q))
            continue;
        int64_t g = 0, diff;
        for (int i = 0; i < p->nterms; i++)
            if (p->terms[i].kind == DEP_ATOM_VAR)
                g = gcd(g, p->terms[i].coef);
        for (int i = 0; i < q->nterms; i++)
            if (q->terms[i].kind == DEP_ATOM_VAR)
                g = gcd(g, q->terms[i].coef);
        if (__builtin_sub_overflow(q->constant, p->constant, &diff))
            continue;
        if (g == 0 ? diff != 0 : diff % g != 0)
            return true;
    }
    return false;
}

/* ---- reasons ---- */

typedef struct {
    const DepLoop *loop;
    Arena *arena;
    const char *consistency;
    unsigned needed; /* the variables a write must determine to be injective */
} Classifier;

/* "X[:, j]" in the arena. */
static const char *ref(const Classifier *k, const DepAccess *a)
{
    Buf b = {0};
    dep_format_ref(a, &b);
    const char *s = arena_strdup(k->arena, buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* "i", "i and j", "j": the variables a write must determine. */
static const char *needed_vars(const Classifier *k)
{
    if (k->needed == 3U)
        return arena_printf(k->arena, "%s and %s", k->loop->vars[0], k->loop->vars[1]);
    return k->loop->vars[0];
}

static bool map_has_unknown(const DepAccess *a)
{
    for (int d = 0; d < a->ndims && !a->whole; d++) {
        const DepDim *x = &a->dims[d];
        if ((x->kind == DEP_DIM_INDEX && !x->index.affine) ||
            (x->kind == DEP_DIM_RANGE &&
             ((x->has_lo && !x->lo.affine) || (x->has_hi && !x->hi.affine))))
            return true;
    }
    return false;
}

static bool map_mentions_vars(const DepAccess *a)
{
    for (int d = 0; d < a->ndims && !a->whole; d++) {
        const DepDim *x = &a->dims[d];
        const DepIndex *idx[3] = {&x->index, &x->lo, &x->hi};
        for (int t = 0; t < 3; t++) {
            if (!idx[t]->affine)
                continue;
            for (int i = 0; i < idx[t]->a.nterms; i++)
                if (idx[t]->a.terms[i].kind != DEP_ATOM_SYMBOL)
                    return true;
        }
    }
    return false;
}

/* Why a write is not injective. */
static const char *not_injective(const Classifier *k, const DepAccess *w)
{
    const char *r = ref(k, w);
    const char *vars = needed_vars(k);
    if (w->whole)
        return arena_printf(k->arena, "%s is assigned whole: every iteration writes all of it", r);
    unsigned m = determined(w);
    if (m != 0 && k->needed == 3U) {
        int v = (m & 1U) ? 0 : 1;
        return arena_printf(k->arena,
                            "%s is written by every nonzero of %s %s, not by one iteration", r,
                            v == 0 ? "row" : "column", k->loop->vars[v]);
    }
    if (map_has_unknown(w))
        return arena_printf(k->arena,
                            "%s is written with an index that is not an affine function "
                            "of %s",
                            r, vars);
    if (!map_mentions_vars(w))
        return arena_printf(k->arena, "%s is written by every iteration", r);
    return arena_printf(k->arena,
                        "%s is written: its index does not determine %s, so two iterations may "
                        "write one element",
                        r, vars);
}

/* "iteration i reads what iteration i + 1 writes" when the read r and write w differ in one
 * affine dimension by a constant multiple of the variable's coefficient; else NULL. */
static const char *offset_phrase(const Classifier *k, const DepAccess *r, const DepAccess *w)
{
    if (r->whole || w->whole || r->ndims != w->ndims)
        return NULL;
    int differing = -1;
    for (int d = 0; d < r->ndims; d++) {
        DepAccess one_r = *r, one_w = *w;
        one_r.dims = (DepDim *)&r->dims[d], one_w.dims = (DepDim *)&w->dims[d];
        one_r.ndims = one_w.ndims = 1;
        if (dep_same_map(&one_r, &one_w))
            continue;
        if (differing >= 0)
            return NULL;
        differing = d;
    }
    if (differing < 0)
        return NULL;
    const DepDim *x = &r->dims[differing], *y = &w->dims[differing];
    if (x->kind != DEP_DIM_INDEX || y->kind != DEP_DIM_INDEX || !x->index.affine ||
        !y->index.affine)
        return NULL;
    int64_t cr = 0, cw = 0, diff;
    int vr = sole_var(&x->index.a, &cr), vw = sole_var(&y->index.a, &cw);
    if (vr < 0 || vr != vw || cr != cw || !same_symbols(&x->index.a, &y->index.a) ||
        __builtin_sub_overflow(x->index.a.constant, y->index.a.constant, &diff) || diff % cr != 0)
        return NULL;
    int64_t step = diff / cr;
    const char *v = k->loop->vars[vr];
    return arena_printf(k->arena, "iteration %s reads what iteration %s %s %lld writes", v, v,
                        step < 0 ? "-" : "+", (long long)(step < 0 ? -step : step));
}

/* Why reading r conflicts with the write w. */
static const char *read_conflict(const Classifier *k, const DepAccess *r, const DepAccess *w)
{
    const char *what = w->kind == DEP_WRITE ? "written" : "accumulated";
    if (r->whole)
        return arena_printf(k->arena,
                            "%s is read whole and %s is %s: an iteration reads what "
                            "the others write",
                            r->tensor, ref(k, w), what);
    const char *phrase = offset_phrase(k, r, w);
    return arena_printf(k->arena, "%s is read and %s is %s: %s", ref(k, r), ref(k, w), what,
                        phrase ? phrase : "an iteration may read what another writes");
}

/* ---- classification ---- */

static bool is_update(const DepAccess *a)
{
    return a->where == DEP_IN_BODY && (a->kind == DEP_WRITE || a->kind == DEP_ACCUMULATE);
}

static bool same_tensor(const DepAccess *a, const DepAccess *b)
{
    return a->state && b->state && strcmp(a->tensor, b->tensor) == 0;
}

/* Checks the rules; rows: a write may determine one variable only (two-axis). Returns the first
 * problem, or NULL. */
static const char *check(const Classifier *k, bool rows)
{
    const DepLoop *l = k->loop;
    bool bsp = strcmp(k->consistency, "bsp") == 0;
    for (int i = 0; i < l->naccesses; i++) {
        const DepAccess *w = &l->accesses[i];
        if (!is_update(w) || w->kind != DEP_WRITE)
            continue;
        unsigned m = determined(w) & k->needed;
        if (m != k->needed && !(rows && m != 0))
            return not_injective(k, w);
    }
    for (int i = 0; i < l->naccesses; i++) {
        const DepAccess *u = &l->accesses[i];
        if (!is_update(u))
            continue;
        bool written = false;
        for (int j = 0; j < l->naccesses; j++)
            if (is_update(&l->accesses[j]) && same_tensor(u, &l->accesses[j]) &&
                l->accesses[j].kind == DEP_WRITE)
                written = true;
        for (int j = i + 1; j < l->naccesses && written; j++) {
            const DepAccess *v = &l->accesses[j];
            if (!is_update(v) || !same_tensor(u, v) || never_meet(u, v))
                continue;
            if (!dep_same_map(u, v) && strcmp(ref(k, u), ref(k, v)) == 0)
                return arena_printf(k->arena,
                                    "%s is updated twice with indices that print alike but are "
                                    "different values: two iterations may update one element",
                                    ref(k, u));
            if (!dep_same_map(u, v))
                return arena_printf(k->arena,
                                    "%s is %s and %s is %s: two iterations may update one element",
                                    ref(k, u), u->kind == DEP_WRITE ? "written" : "accumulated",
                                    ref(k, v), v->kind == DEP_WRITE ? "written" : "accumulated");
            /* private accumulators add up after the loop, after every write: right under bsp,
             * wrong for `x[i] += a` followed by `x[i] = b` in one iteration of a serial loop */
            if (!bsp && u->kind != v->kind)
                return arena_printf(k->arena,
                                    "%s is both written and accumulated: private "
                                    "accumulations would be added after the writes, whatever "
                                    "their order in the body",
                                    ref(k, u));
        }
    }
    if (bsp)
        return NULL;
    for (int i = 0; i < l->naccesses; i++) {
        const DepAccess *r = &l->accesses[i];
        if (r->kind != DEP_READ || r->where != DEP_IN_BODY || !r->state)
            continue;
        for (int j = 0; j < l->naccesses; j++) {
            const DepAccess *u = &l->accesses[j];
            if (!is_update(u) || !same_tensor(r, u))
                continue;
            if (u->kind == DEP_ACCUMULATE)
                return arena_printf(k->arena, "%s is accumulated and also read in the body",
                                    r->tensor);
            if (!dep_same_map(r, u) && !never_meet(r, u))
                return read_conflict(k, r, u);
        }
    }
    return NULL;
}

/* Appends the distinct references of the updates of one kind (and, for writes, that determine
 * `only`: 0 any) to b, joined by `sep`; returns how many. */
static int list_refs(const Classifier *k, DepKind kind, unsigned only, Buf *b)
{
    int n = 0;
    const DepLoop *l = k->loop;
    for (int i = 0; i < l->naccesses; i++) {
        const DepAccess *a = &l->accesses[i];
        if (!is_update(a) || a->kind != kind)
            continue;
        if (only && (determined(a) & k->needed) != only)
            continue;
        if (kind == DEP_ACCUMULATE) {
            bool dup = false;
            for (int j = 0; j < i; j++)
                if (is_update(&l->accesses[j]) && l->accesses[j].kind == kind &&
                    same_tensor(a, &l->accesses[j]))
                    dup = true;
            if (dup)
                continue;
        }
        buf_puts(b, n ? ", " : "");
        if (kind == DEP_ACCUMULATE)
            buf_puts(b, a->tensor);
        else
            dep_format_ref(a, b);
        n++;
    }
    return n;
}

/* The reason of a loop that passed the rules. */
static const char *positive_reason(const Classifier *k, DepClass cls)
{
    Buf b = {0};
    const char *vars = k->loop->vars[0], *vars2 = k->loop->vars[1];
    if (cls == DEP_TWO_AXIS) {
        Buf rows = {0}, cols = {0};
        int nr = list_refs(k, DEP_WRITE, 1U, &rows), nc = list_refs(k, DEP_WRITE, 2U, &cols);
        buf_printf(&b, "writes %s%s%s: iterations conflict only along ", buf_cstr(&rows),
                   nr && nc ? " and " : "", buf_cstr(&cols));
        if (nr)
            buf_printf(&b, "rows %s%s", vars, nc ? " and " : "");
        if (nc)
            buf_printf(&b, "columns %s", vars2);
        buf_free(&rows);
        buf_free(&cols);
        Buf acc = {0};
        if (list_refs(k, DEP_ACCUMULATE, 0, &acc))
            buf_printf(&b, "; accumulates into %s", buf_cstr(&acc));
        buf_free(&acc);
    } else {
        Buf writes = {0}, acc = {0};
        int nw = list_refs(k, DEP_WRITE, 0, &writes), na = list_refs(k, DEP_ACCUMULATE, 0, &acc);
        if (nw)
            buf_printf(&b, "writes %s (each iteration its own elements)", buf_cstr(&writes));
        if (na)
            buf_printf(&b, "%saccumulates into %s (partial results combine in any order)",
                       nw ? " and " : "", buf_cstr(&acc));
        if (!nw && !na)
            buf_puts(&b, "writes no outer state");
        buf_free(&writes);
        buf_free(&acc);
    }
    const char *s = arena_strdup(k->arena, buf_cstr(&b));
    buf_free(&b);
    return s;
}

static void classify(DepLoop *l, Arena *arena)
{
    const IrAttr *c = ir_get_attr(l->op, "consistency");
    Classifier k = {.loop = l,
                    .arena = arena,
                    .consistency = c && c->kind == IR_ATTR_STRING ? c->string : "bsp",
                    .needed = l->op->opcode == IR_OP_PLOOP_NONZEROS ? 3U : 1U};
    if (l->op->opcode == IR_OP_PLOOP_SCHEDULE) {
        l->cls = DEP_SCHEDULED;
        l->reason = "schedule(...): each round draws candidates by priority, keeps those that do "
                    "not conflict with one kept before, and runs the kept ones under bsp";
        return;
    }
    const char *problem = check(&k, false);
    if (!problem) {
        bool acc = false;
        for (int i = 0; i < l->naccesses; i++)
            if (is_update(&l->accesses[i]) && l->accesses[i].kind == DEP_ACCUMULATE)
                acc = true;
        l->cls = acc ? DEP_REDUCTION : DEP_INDEPENDENT;
        l->reason = positive_reason(&k, l->cls);
        return;
    }
    if (l->op->opcode == IR_OP_PLOOP_NONZEROS) {
        const char *two_axis = check(&k, true);
        if (!two_axis) {
            l->cls = DEP_TWO_AXIS;
            l->reason = positive_reason(&k, DEP_TWO_AXIS);
            return;
        }
        problem = two_axis;
    }
    l->cls = DEP_GENERAL;
    l->reason = problem;
}

void dep_analyse_loop(const IrOp *loop, const SrcFile *src, Arena *arena, DepLoop *out)
{
    *out = (DepLoop){0};
    dep_collect_accesses(loop, src, arena, out);
    classify(out, arena);
}

/* ---- the pass ---- */

typedef struct {
    IrModule *m;
    const SrcFile *src;
    Arena scratch;
    /* per rank-2 input: the state.input op, and how parallel loops slice it */
    IrOp **inputs;
    int *by_columns, *by_rows;
    int ninputs, cap;
} Depend;

/* The entry of a state.input op (added when new). */
static int input_entry(Depend *p, IrOp *decl)
{
    for (int i = 0; i < p->ninputs; i++)
        if (p->inputs[i] == decl)
            return i;
    if (p->ninputs == p->cap) {
        int cap = p->cap ? 2 * p->cap : 8;
        IrOp **inputs = ARENA_ARRAY(&p->scratch, IrOp *, cap);
        int *cols = ARENA_ARRAY(&p->scratch, int, cap), *rows = ARENA_ARRAY(&p->scratch, int, cap);
        if (p->ninputs) {
            memcpy(inputs, p->inputs, sizeof *inputs * (size_t)p->ninputs);
            memcpy(cols, p->by_columns, sizeof *cols * (size_t)p->ninputs);
            memcpy(rows, p->by_rows, sizeof *rows * (size_t)p->ninputs);
        }
        p->inputs = inputs, p->by_columns = cols, p->by_rows = rows, p->cap = cap;
    }
    p->inputs[p->ninputs] = decl;
    p->by_columns[p->ninputs] = p->by_rows[p->ninputs] = 0;
    return p->ninputs++;
}

/* True when the index varies with the iteration (or cannot be known). */
static bool varies(const DepDim *d)
{
    if (d->kind != DEP_DIM_INDEX)
        return false;
    if (!d->index.affine)
        return true;
    for (int i = 0; i < d->index.a.nterms; i++)
        if (d->index.a.terms[i].kind != DEP_ATOM_SYMBOL)
            return true;
    return false;
}

/* Counts column and row slices of rank-2 dense inputs among a loop's reads. */
static void note_layouts(Depend *p, const DepLoop *l)
{
    for (int i = 0; i < l->naccesses; i++) {
        const DepAccess *a = &l->accesses[i];
        if (a->kind != DEP_READ || a->whole || a->ndims != 2 || a->op->opcode != IR_OP_SLICE)
            continue;
        IrOp *decl = a->op->operands[0]->def;
        if (!decl || decl->opcode != IR_OP_STATE_INPUT || decl->results[0]->type.rank != 2 ||
            decl->results[0]->type.sparse)
            continue;
        bool cols = a->dims[0].kind == DEP_DIM_ALL && varies(&a->dims[1]);
        bool rows = a->dims[1].kind == DEP_DIM_ALL && varies(&a->dims[0]);
        if (!cols && !rows)
            continue;
        int e = input_entry(p, decl);
        (cols ? p->by_columns : p->by_rows)[e]++;
    }
}

/* Analyses every parallel loop in a region (and the regions inside it). */
static void depend_region(Depend *p, IrRegion *r)
{
    for (IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_PLOOP_RANGE || op->opcode == IR_OP_PLOOP_NONZEROS ||
            op->opcode == IR_OP_PLOOP_SCHEDULE) {
            DepLoop l;
            dep_analyse_loop(op, p->src, &p->scratch, &l);
            /* each printed form once (accesses that differ only in atoms of one name print
             * alike) */
            const char **lines = ARENA_ARRAY(&p->scratch, const char *, l.naccesses + 1);
            int nlines = 0;
            for (int i = 0; i < l.naccesses; i++) {
                Buf b = {0};
                dep_format_access(&l.accesses[i], &b);
                bool seen = false;
                for (int j = 0; j < nlines && !seen; j++)
                    seen = strcmp(lines[j], buf_cstr(&b)) == 0;
                if (!seen)
                    lines[nlines++] = arena_strdup(&p->scratch, buf_cstr(&b));
                buf_free(&b);
            }
            ir_set_strings(p->m, op, "accesses", lines, nlines);
            ir_set_string(p->m, op, "class", dep_class_name(l.cls));
            ir_set_string(p->m, op, "class_reason", l.reason);
            note_layouts(p, &l);
        }
        if (op->opcode != IR_OP_K_FUSED)
            for (int i = 0; i < op->nregions; i++)
                depend_region(p, op->regions[i]);
    }
}

bool pass_depend(IrModule *m, DiagList *diags)
{
    Depend p = {.m = m, .src = diags ? diags->file : NULL};
    arena_init(&p.scratch);
    depend_region(&p, m->body);
    for (int i = 0; i < p.ninputs; i++)
        if (p.by_columns[i] > 0 && p.by_rows[i] == 0)
            ir_set_string(m, p.inputs[i], "layout", "columns");
    arena_free(&p.scratch);
    return true;
}
