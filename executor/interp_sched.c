/* interp_sched.c: schedule(...) loops, the STRADS loop of LANGUAGE.md §7: draw `size` distinct
 * candidates with probability proportional to their priority, keep them in decreasing priority
 * when they conflict with none kept before, and run the body over the kept set under bsp. */
#include "executor/interp_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A uniform double in (0, 1] from a counter-based hash. */
static double unit_draw(uint64_t seed, uint64_t round, uint64_t j)
{
    uint64_t h = mix64(mix64(mix64(seed) ^ round) ^ j);
    return ((double)(h >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

typedef struct {
    int64_t j;
    double priority;
    double key;
} Candidate;

static int by_key_desc(const void *a, const void *b)
{
    const Candidate *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    return (x->j > y->j) - (x->j < y->j);
}

/* Decreasing priority; equal priorities in the random order of the draw (a fixed order by index
 * would starve the last candidates of every conflict check). */
static int by_priority_desc(const void *a, const void *b)
{
    const Candidate *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? 1 : -1;
    return by_key_desc(a, b);
}

static int64_t named_operand(Interp *it, const Step *s, const char *name, int64_t fallback,
                             bool *present)
{
    const IrAttr *names = ir_get_attr(s->op, "operand_names");
    for (int i = 0; names && i < names->count && i < s->op->noperands; i++)
        if (strcmp(names->strings[i], name) == 0) {
            if (present)
                *present = true;
            return rt_as_i64(it->slots[s->in[i]]);
        }
    if (present)
        *present = false;
    return fallback;
}

bool interp_schedule_loop(Interp *it, const Step *s)
{
    int64_t lo = named_operand(it, s, "lo", 0, NULL), hi = named_operand(it, s, "hi", 0, NULL);
    int64_t size = named_operand(it, s, "size", 4, NULL); /* 4 x one worker */
    bool seeded;
    int64_t seed = named_operand(it, s, "seed", 0, &seeded);
    if (size < 1)
        return rt_op_errorf(it->err, s->op, "schedule size must be at least 1, got %" PRId64,
                            size);
    if (hi <= lo)
        return true;
    int64_t n = hi - lo;
    Candidate *c = malloc((size_t)n * sizeof *c);
    int64_t *kept = malloc((size_t)n * sizeof *kept);
    if (!c || !kept) {
        free(c);
        free(kept);
        return rt_op_errorf(it->err, s->op, "out of memory");
    }
    const Block *prio = s->regions[0], *conflict = s->regions[1], *body = s->regions[2];
    uint64_t base = seeded ? (uint64_t)seed : mix64(it->opt->seed ^ s->key);
    uint64_t round = it->schedule_round++;
    bool ok = true;
    int64_t npositive = 0;
    for (int64_t k = 0; k < n && ok; k++) {
        int64_t j = lo + k;
        double p = 1.0;
        if (prio->nsteps > 0) {
            RtValue arg = rt_i64(j), r = {0};
            ok = interp_region_with(it, prio, &arg, &r, 1);
            p = rt_as_f64(r);
            if (ok && !(isfinite(p) && p >= 0))
                ok = rt_op_errorf(it->err, s->op,
                                  "the priority of %" PRId64 " is %g: priorities must be finite "
                                  "and at least 0",
                                  j, p);
        }
        /* Efraimidis-Spirakis: the largest u^(1/p) are a draw without replacement by weight. */
        double u = unit_draw(base, round, (uint64_t)j);
        c[k] = (Candidate){.j = j, .priority = p, .key = p > 0 ? log(u) / p : -INFINITY};
        npositive += p > 0;
    }
    int64_t nkept = 0;
    if (ok) {
        qsort(c, (size_t)n, sizeof *c, by_key_desc);
        int64_t ndrawn = size < npositive ? size : npositive;
        qsort(c, (size_t)ndrawn, sizeof *c, by_priority_desc);
        for (int64_t a = 0; a < ndrawn && ok; a++) {
            bool clash = false;
            for (int64_t b = 0; b < nkept && !clash && ok && conflict->nsteps > 0; b++) {
                RtValue args[2] = {rt_i64(c[a].j), rt_i64(kept[b])}, r = {0};
                ok = interp_region_with(it, conflict, args, &r, 1);
                clash = ok && r.i != 0;
            }
            if (ok && !clash)
                kept[nkept++] = c[a].j;
        }
    }
    if (ok) {
        IterSet set = {.kind = IR_OP_PLOOP_SCHEDULE, .kept = kept};
        interp_bsp_begin(it, s);
        it->iter_set = &set;
        for (int64_t k = 0; k < nkept && ok; k++) {
            it->slots[body->args[0]] = rt_i64(kept[k]);
            ok = interp_run_body(it, s, body, true, k);
        }
        it->iter_set = NULL;
        ok = interp_bsp_end(it, s) && ok;
    }
    free(c);
    free(kept);
    return ok;
}

