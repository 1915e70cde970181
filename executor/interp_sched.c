/* interp_sched.c: schedule(...) loops, the STRADS loop of LANGUAGE.md §7: draw `size` distinct
 * candidates with probability proportional to their priority, keep them in decreasing priority
 * when they conflict with none kept before, and run the body over the kept set under bsp.
 *
 * One execution:
 *   1. priorities of every j in the range (interp_sched_prio.c): one pass of the region over the
 *      vector of all j when its ops allow it, else per j in chunks on the pool;
 *   2. the draw: Efraimidis-Spirakis keys log(u) / p with u from a counter-based hash of (seed,
 *      round, j), so the draw depends on nothing but those; the `size` largest keys are picked
 *      with a heap (O(d log size), no sort of all d keys) and visited in decreasing priority;
 *   3. the kept set (interp_sched_pair.c): conflict(j, k) for the drawn pairs, missing ones
 *      computed in parallel on the pool, remembered across rounds when the conflict region reads
 *      nothing that can change (STRADS precomputes its dependencies the same way);
 *   4. the round: the kept iterations as bsp chunks on the pool (interp_par_run: private
 *      accumulators, fixed-tree combine; one chunk per worker, or 8 under --deterministic), or
 *      in order when the body does something order-dependent (Step.par_reason).
 * When the priority region reads nothing the body writes (and nothing else changed), the
 * priorities of the previous execution are reused, and the next round's draw is prepared as a
 * pool task while the current round runs.
 *
 * Determinism: the draw and the kept set depend only on the program, the seed and the round
 * number, never on the worker count or the timing; under --deterministic the chunks of the round
 * do not depend on the worker count either, so the results are the same bits for any number of
 * workers. */
#include "executor/interp_sched.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the draw ---- */

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

/* Decreasing key, then increasing j: the order of the draw. */
static int by_key_desc(const Candidate *x, const Candidate *y)
{
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
    return by_key_desc(x, y);
}

/* Restores the heap below position i: heap[0] is the candidate that comes last in the draw
 * order, so that a better one replaces it. */
static void sift_down(Candidate *heap, int64_t n, int64_t i)
{
    for (;;) {
        int64_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && by_key_desc(&heap[l], &heap[worst]) > 0)
            worst = l;
        if (r < n && by_key_desc(&heap[r], &heap[worst]) > 0)
            worst = r;
        if (worst == i)
            return;
        Candidate t = heap[i];
        heap[i] = heap[worst];
        heap[worst] = t;
        i = worst;
    }
}

/* The `take` first candidates of lo .. lo+n-1 in the draw order (priorities p, keys from the
 * seed and round), in decreasing priority, into out; returns how many (take). */
static int64_t draw(const double *p, int64_t lo, int64_t n, uint64_t base, uint64_t round,
                    int64_t take, Candidate *out)
{
    int64_t have = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t j = lo + k;
        /* Efraimidis-Spirakis: the largest u^(1/p) are a draw without replacement by weight. */
        double u = unit_draw(base, round, (uint64_t)j);
        /* Once `take` are held, a candidate whose key cannot beat the worst of them is skipped
         * before its logarithm: log(u) <= u - 1 (u - 1 is exact here and log is rounded
         * faithfully), so key <= (u - 1) / p; the margin keeps the skip strictly on the safe
         * side of rounding. */
        if (have == take && (p[k] <= 0 || (u - 1.0) / p[k] < out[0].key * (1 + 1e-12)))
            continue;
        Candidate c = {.j = j, .priority = p[k], .key = p[k] > 0 ? log(u) / p[k] : -INFINITY};
        if (have < take) {
            out[have++] = c;
            if (have == take)
                for (int64_t i = take / 2; i-- > 0;)
                    sift_down(out, take, i);
        } else if (by_key_desc(&c, &out[0]) < 0) {
            out[0] = c;
            sift_down(out, take, 0);
        }
    }
    qsort(out, (size_t)have, sizeof *out, by_priority_desc);
    return have;
}

/* ---- what a loop keeps between executions ---- */

/* A draw made ahead, while the previous round ran, for the next execution. */
typedef struct {
    bool ready;
    uint64_t base, round;
    int64_t lo, n, take;
    Candidate *drawn; /* take */
} Prepared;

typedef struct {
    SchedPrio *prio;
    SchedPairs *pairs;
    /* priorities reused between executions while their inputs stay the same */
    RegionInputs prio_in;
    bool prio_reusable; /* the priority region is pure and reads nothing the body writes */
    bool prio_valid;
    int64_t prio_lo, prio_n;
    double *p;
    int64_t p_cap;
    Candidate *drawn;
    int64_t *ids, *kept;
    int64_t cand_cap;
    Prepared next;
} SchedLoop;

static void sched_loop_free(void *data)
{
    SchedLoop *sl = data;
    sched_prio_free(sl->prio);
    sched_pairs_free(sl->pairs);
    sched_inputs_forget(&sl->prio_in);
    free(sl->p);
    free(sl->drawn);
    free(sl->ids);
    free(sl->kept);
    free(sl->next.drawn);
    free(sl);
}

/* The loop's cache, made and analysed at its first execution; NULL when out of memory. */
static SchedLoop *sched_loop(Interp *it, const Step *s)
{
    SchedLoop *sl = interp_loop_cache(it, s);
    if (sl)
        return sl;
    sl = calloc(1, sizeof *sl);
    if (!sl) {
        rt_op_errorf(it->err, s->op, "out of memory");
        return NULL;
    }
    sl->prio = sched_prio_new(it, s);
    sl->pairs = sched_pairs_new(it, s);
    if (!sl->prio || !sl->pairs) {
        sched_loop_free(sl);
        rt_op_errorf(it->err, s->op, "out of memory");
        return NULL;
    }
    sched_inputs_find(it, s->regions[0], &sl->prio_in);
    sl->prio_reusable = s->regions[0]->nsteps > 0 && sl->prio_in.pure &&
                        !sched_inputs_read_written(&sl->prio_in, s);
    if (!interp_loop_cache_set(it, s, sl, sched_loop_free))
        return NULL;
    return sl;
}

/* Grows the scratch arrays to n priorities and `take` candidates. */
static bool reserve(SchedLoop *sl, int64_t n, int64_t take)
{
    if (n > sl->p_cap) {
        double *p = realloc(sl->p, (size_t)n * sizeof *p);
        if (!p)
            return false;
        sl->p = p;
        sl->p_cap = n;
        sl->prio_valid = false;
    }
    if (take > sl->cand_cap) {
        Candidate *d = realloc(sl->drawn, (size_t)take * sizeof *d);
        if (d)
            sl->drawn = d;
        int64_t *ids = realloc(sl->ids, (size_t)take * sizeof *ids);
        if (ids)
            sl->ids = ids;
        int64_t *kept = realloc(sl->kept, (size_t)take * sizeof *kept);
        if (kept)
            sl->kept = kept;
        Candidate *nd = realloc(sl->next.drawn, (size_t)take * sizeof *nd);
        if (nd)
            sl->next.drawn = nd;
        if (!d || !ids || !kept || !nd)
            return false;
        sl->cand_cap = take;
        sl->next.ready = false;
    }
    return true;
}

/* The priorities of lo .. lo+n-1 into sl->p: those of the last execution when the region reads
 * nothing that changed since (*reused set), else evaluated. */
static bool priorities(Interp *it, const Step *s, SchedLoop *sl, int64_t lo, int64_t n,
                       bool *reused)
{
    *reused = sl->prio_reusable && sl->prio_valid && sl->prio_lo == lo && sl->prio_n == n &&
              sched_inputs_same(it, &sl->prio_in);
    if (*reused)
        return true;
    sl->prio_valid = false;
    if (!sched_priorities(it, s, sl->prio, lo, n, sl->p))
        return false;
    if (sl->prio_reusable && sched_inputs_remember(it, &sl->prio_in)) {
        sl->prio_valid = true;
        sl->prio_lo = lo;
        sl->prio_n = n;
    }
    return true;
}

/* ---- the next draw, prepared while a round runs ---- */

typedef struct {
    SchedLoop *sl;
    const double *p;
} PrepareArg;

/* A pool task: the draw of the next round from the priorities (which the round cannot change). */
static bool prepare_task(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    (void)w;
    (void)self;
    (void)index;
    (void)err;
    SchedLoop *sl = arg;
    Prepared *nx = &sl->next;
    draw(sl->p, nx->lo, nx->n, nx->base, nx->round, nx->take, nx->drawn);
    nx->ready = true;
    return true;
}

/* Submits the next round's draw as a pool task when the priorities will still hold then (the
 * round's pool_wait, or the caller's, waits for it). */
static void prepare_next(Interp *it, const Step *s, SchedLoop *sl, uint64_t base, int64_t lo,
                         int64_t n, int64_t take)
{
    sl->next.ready = false;
    if (!sl->prio_valid || !it->pool || it->on_worker)
        return;
    sl->next = (Prepared){.base = base,
                          .round = it->schedule_round,
                          .lo = lo,
                          .n = n,
                          .take = take,
                          .drawn = sl->next.drawn};
    PoolTask *t =
        pool_task(it->pool, prepare_task, sl, 0, -1, "schedule draw", (int)s->op->loc.line);
    if (t)
        pool_submit(t);
}

/* ---- one execution ---- */

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

/* The drawn candidates of this execution into sl->drawn (the prepared draw when it is this one);
 * their number into *ndrawn. */
static bool draw_candidates(Interp *it, const Step *s, SchedLoop *sl, uint64_t base, uint64_t round,
                            int64_t lo, int64_t n, int64_t size, int64_t *ndrawn)
{
    bool reused;
    if (!priorities(it, s, sl, lo, n, &reused))
        return false;
    int64_t npositive = 0;
    for (int64_t k = 0; k < n; k++)
        npositive += sl->p[k] > 0;
    int64_t take = size < npositive ? size : npositive;
    Prepared *nx = &sl->next;
    /* the prepared draw holds when it was made from these very priorities for this round */
    if (nx->ready && reused && nx->base == base && nx->round == round && nx->lo == lo &&
        nx->n == n && nx->take == take) {
        memcpy(sl->drawn, nx->drawn, (size_t)take * sizeof *sl->drawn);
        *ndrawn = take;
    } else {
        *ndrawn = draw(sl->p, lo, n, base, round, take, sl->drawn);
    }
    nx->ready = false;
    return true;
}

/* Chunks of a round under --deterministic, whatever the worker count (without it, one chunk per
 * worker). Each chunk costs a private accumulator per accumulated state (zeroed, filled, then
 * added in the combine: three passes over it, as much work as a Lasso iteration's own), so a
 * round has as few chunks as keep the workers busy; 8 keeps up to 8 workers busy. */
enum { ROUND_CHUNKS_DETERMINISTIC = 8 };

/* The round: the kept iterations under bsp, as chunks on the pool unless the body must run in
 * order. */
static bool run_round(Interp *it, const Step *s, const int64_t *kept, int64_t nkept)
{
    IterSet set = {.kind = IR_OP_PLOOP_SCHEDULE, .kept = kept};
    if (!s->par_reason && it->pool && !it->on_worker) {
        int64_t chunks = it->deterministic ? ROUND_CHUNKS_DETERMINISTIC : pool_workers(it->pool);
        return interp_par_run(it, s, &set, nkept, (nkept + chunks - 1) / chunks);
    }
    const Block *body = s->regions[2];
    interp_bsp_begin(it, s);
    it->iter_set = &set;
    bool ok = true;
    for (int64_t k = 0; k < nkept && ok; k++) {
        it->slots[body->args[0]] = rt_i64(kept[k]);
        ok = interp_run_body(it, s, body, true, k);
    }
    it->iter_set = NULL;
    return interp_bsp_end(it, s) && ok;
}

bool interp_schedule_loop(Interp *it, const Step *s)
{
    int64_t lo = named_operand(it, s, "lo", 0, NULL), hi = named_operand(it, s, "hi", 0, NULL);
    int64_t size = named_operand(it, s, "size", 4, NULL); /* 4 x one worker */
    bool seeded;
    int64_t seed = named_operand(it, s, "seed", 0, &seeded);
    if (size < 1)
        return rt_op_errorf(it->err, s->op, "schedule size must be at least 1, got %" PRId64, size);
    if (hi <= lo)
        return true;
    int64_t n = hi - lo;
    if (size > n)
        size = n;
    if (it->on_worker) /* a parallel loop's body holds no other parallel loop (interp_par.c) */
        return rt_op_errorf(it->err, s->op, "internal error: a schedule loop inside a task");
    SchedLoop *sl = sched_loop(it, s);
    if (!sl)
        return false;
    if (!reserve(sl, n, size))
        return rt_op_errorf(it->err, s->op, "out of memory");
    uint64_t base = seeded ? (uint64_t)seed : mix64(it->opt->seed ^ s->key);
    uint64_t round = it->schedule_round++;
    int64_t ndrawn = 0, nkept = 0;
    if (!draw_candidates(it, s, sl, base, round, lo, n, size, &ndrawn))
        return false;
    for (int64_t a = 0; a < ndrawn; a++)
        sl->ids[a] = sl->drawn[a].j;
    if (!sched_keep(it, s, sl->pairs, sl->ids, ndrawn, sl->kept, &nkept))
        return false;
    if (sl->prio_reusable)
        prepare_next(it, s, sl, base, lo, n, ndrawn);
    bool ok = nkept == 0 || run_round(it, s, sl->kept, nkept);
    /* the prepared draw's task, when the round did not wait for it */
    if (it->pool && !it->on_worker) {
        RtError ignored = {0};
        pool_wait(it->pool, &ignored);
    }
    return ok;
}
