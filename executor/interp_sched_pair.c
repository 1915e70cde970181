/* interp_sched_pair.c: the kept set of a schedule(...) loop: the drawn candidates, in decreasing
 * priority, each kept when conflict(j, k) is false for every k kept before it (interp_sched.h).
 *
 * The filter itself is sequential, but the values it needs are not: conflict(j, k) for every
 * pair of drawn candidates (j after k in the visiting order) that is not known yet is computed
 * first, in chunks on the pool's workers (interpreter clones), when there are at least
 * 2 * PAIR_MIN_CHUNK of them. Some of them turn out not to be needed (k was not kept); that is the
 * price of computing them at the same time. Otherwise the filter computes the pairs it needs as it
 * goes, on the calling thread.
 *
 * Memo: when the conflict region depends only on its arguments and on values that stay the same
 * between executions (it is pure, reads no state the loop body writes, and the values it reads
 * from outside are the same objects as when the memo was filled: sched_inputs_same), the value
 * of every pair is remembered across rounds in a hash table keyed by (j, k), as STRADS
 * precomputes its dependency structure. When those values change, the memo is cleared. It holds
 * at most MEMO_MAX_PAIRS pairs (then it stops growing); each costs 9 bytes at a load of 1/2.
 *
 * Errors: a pair that failed in a chunk is evaluated again on the calling thread when (and only
 * when) the filter needs it, in the order a sequential filter would, so the error reported is
 * the one a sequential evaluation reports. */
#include "executor/interp_sched.h"

#include <stdlib.h>
#include <string.h>

enum {
    PAIR_FALSE = 0,
    PAIR_TRUE = 1,
    PAIR_UNKNOWN = 2,
    PAIR_FAILED = 3,
};

/* Chunks of pair evaluations have at least this many pairs (a pair is a region evaluation: a
 * microsecond for small vectors, more for Lasso's dot of two columns), at most this many chunks
 * per worker. */
enum { PAIR_MIN_CHUNK = 4, PAIR_CHUNKS_PER_WORKER = 4 };
/* The memo's limit: 2^21 pairs, 36 MiB of table (every ordered pair of 1,448 candidates). */
static const size_t MEMO_MAX_PAIRS = (size_t)1 << 21;
/* Candidates are memoised by their index, packed two to a 64-bit key. */
static const int64_t MEMO_MAX_INDEX = INT32_MAX;

typedef struct {
    uint64_t *keys; /* 0: empty, else 1 + (j << 32 | k) */
    uint8_t *vals;
    size_t cap, len;
} PairMemo;

struct SchedPairs {
    const Block *region;
    bool memo_able; /* the region is pure and reads nothing the body writes */
    RegionInputs in;
    PairMemo memo;
    uint8_t *val;     /* scratch: per pair of drawn candidates */
    int64_t *todo;    /* scratch: pairs to compute, as a * ndrawn + b */
    int64_t *keep_at; /* scratch: positions of the kept candidates among the drawn */
    int64_t cap_pairs, cap_drawn;
};

/* ---- the memo ---- */

static uint64_t memo_key(int64_t j, int64_t k)
{
    return 1 + ((uint64_t)j << 32 | (uint64_t)k);
}

static size_t memo_slot(const PairMemo *m, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

/* PAIR_FALSE / PAIR_TRUE when remembered, else PAIR_UNKNOWN. */
static uint8_t memo_get(const PairMemo *m, int64_t j, int64_t k)
{
    if (m->cap == 0)
        return PAIR_UNKNOWN;
    uint64_t key = memo_key(j, k);
    for (size_t i = memo_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key)
            return m->vals[i];
        if (m->keys[i] == 0)
            return PAIR_UNKNOWN;
    }
}

/* Doubles the table (or makes the first); false when out of memory (the memo stays as it was). */
static bool memo_grow(PairMemo *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys);
    uint8_t *vals = malloc(cap);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    PairMemo grown = {.keys = keys, .vals = vals, .cap = cap, .len = m->len};
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t at = memo_slot(&grown, m->keys[i]);
        while (keys[at])
            at = (at + 1) & (cap - 1);
        keys[at] = m->keys[i];
        vals[at] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    *m = grown;
    return true;
}

static void memo_put(PairMemo *m, int64_t j, int64_t k, uint8_t v)
{
    if ((m->len + 1) * 2 > m->cap && (m->len >= MEMO_MAX_PAIRS || !memo_grow(m)))
        return;
    uint64_t key = memo_key(j, k);
    size_t i = memo_slot(m, key);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->len++;
    }
    m->vals[i] = v;
}

static void memo_clear(PairMemo *m)
{
    if (m->cap)
        memset(m->keys, 0, m->cap * sizeof *m->keys);
    m->len = 0;
}

/* ---- setup ---- */

SchedPairs *sched_pairs_new(Interp *it, const Step *s)
{
    SchedPairs *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->region = s->regions[1];
    sched_inputs_find(it, p->region, &p->in);
    p->memo_able = p->region->nsteps > 0 && p->in.pure && !sched_inputs_read_written(&p->in, s);
    return p;
}

void sched_pairs_free(SchedPairs *p)
{
    if (!p)
        return;
    sched_inputs_forget(&p->in);
    free(p->memo.keys);
    free(p->memo.vals);
    free(p->val);
    free(p->todo);
    free(p->keep_at);
    free(p);
}

static bool reserve(SchedPairs *p, int64_t ndrawn)
{
    int64_t npairs = ndrawn * (ndrawn - 1) / 2;
    if (npairs > p->cap_pairs) {
        uint8_t *val = realloc(p->val, (size_t)npairs);
        if (val)
            p->val = val;
        int64_t *todo = realloc(p->todo, (size_t)npairs * sizeof *todo);
        if (todo)
            p->todo = todo;
        if (!val || !todo)
            return false;
        p->cap_pairs = npairs;
    }
    if (ndrawn > p->cap_drawn) {
        int64_t *at = realloc(p->keep_at, (size_t)ndrawn * sizeof *at);
        if (!at)
            return false;
        p->keep_at = at;
        p->cap_drawn = ndrawn;
    }
    return true;
}

/* The pair (a, b), b < a, of drawn candidates: its index among the a * (a - 1) / 2 + b. */
static int64_t pair_index(int64_t a, int64_t b)
{
    return a * (a - 1) / 2 + b;
}

/* ---- evaluation ---- */

/* conflict(j, k) on interpreter it: PAIR_TRUE / PAIR_FALSE, or PAIR_FAILED with it->err set. */
static uint8_t evaluate(Interp *it, const Block *region, int64_t j, int64_t k)
{
    RtValue args[2] = {rt_i64(j), rt_i64(k)}, r = {0};
    if (!interp_region_with(it, region, args, &r, 1))
        return PAIR_FAILED;
    uint8_t v = r.i != 0 ? PAIR_TRUE : PAIR_FALSE;
    rt_value_release(&r);
    return v;
}

typedef struct {
    SchedClones clones;
    const Block *region;
    const int64_t *drawn;
    const int64_t *todo;
    int64_t ntodo, per, ndrawn;
    uint8_t *val;
} PairRun;

/* A pool task: chunk c of the pairs to compute, on the worker's clone. */
static bool pair_task(PoolWorker *w, PoolTask *self, void *arg, int64_t c, RtError *err)
{
    (void)self;
    (void)err;
    PairRun *pr = arg;
    RtError local = {0};
    Interp *cl = sched_clone(&pr->clones, w->id, &local);
    int64_t from = c * pr->per, to = from + pr->per < pr->ntodo ? from + pr->per : pr->ntodo;
    for (int64_t t = from; t < to; t++) {
        int64_t a = pr->todo[t] / pr->ndrawn, b = pr->todo[t] % pr->ndrawn;
        local.set = false;
        pr->val[pair_index(a, b)] =
            cl ? evaluate(cl, pr->region, pr->drawn[a], pr->drawn[b]) : PAIR_FAILED;
    }
    return true;
}

/* Computes the listed pairs in chunks on the pool; those that fail stay PAIR_FAILED. */
static void compute_on_pool(Interp *it, const Step *s, SchedPairs *p, const int64_t *drawn,
                            int64_t ndrawn, int64_t ntodo)
{
    int workers = pool_workers(it->pool);
    int64_t nchunks = (ntodo + PAIR_MIN_CHUNK - 1) / PAIR_MIN_CHUNK;
    if (nchunks > (int64_t)PAIR_CHUNKS_PER_WORKER * workers)
        nchunks = (int64_t)PAIR_CHUNKS_PER_WORKER * workers;
    PairRun pr = {.region = p->region,
                  .drawn = drawn,
                  .todo = p->todo,
                  .ntodo = ntodo,
                  .ndrawn = ndrawn,
                  .val = p->val};
    pr.per = (ntodo + nchunks - 1) / nchunks;
    nchunks = (ntodo + pr.per - 1) / pr.per;
    for (int64_t t = 0; t < ntodo; t++) /* until a chunk computes it */
        p->val[pair_index(p->todo[t] / ndrawn, p->todo[t] % ndrawn)] = PAIR_FAILED;
    RtError ignored = {0};
    if (sched_clones_init(&pr.clones, it))
        pool_parallel_for(it->pool, nchunks, pair_task, &pr, NULL, "schedule conflicts",
                          (int)s->op->loc.line, &ignored);
    sched_clones_free(&pr.clones);
}

bool sched_keep(Interp *it, const Step *s, SchedPairs *p, const int64_t *drawn, int64_t ndrawn,
                int64_t *kept, int64_t *nkept)
{
    *nkept = 0;
    if (p->region->nsteps == 0) {
        memcpy(kept, drawn, (size_t)ndrawn * sizeof *kept);
        *nkept = ndrawn;
        return true;
    }
    if (!reserve(p, ndrawn))
        return rt_op_errorf(it->err, s->op, "out of memory");
    bool memo = p->memo_able;
    for (int64_t a = 0; a < ndrawn && memo; a++)
        memo = drawn[a] >= 0 && drawn[a] <= MEMO_MAX_INDEX;
    if (memo && !sched_inputs_same(it, &p->in)) {
        memo_clear(&p->memo);
        memo = sched_inputs_remember(it, &p->in);
    }
    int64_t ntodo = 0;
    for (int64_t a = 1; a < ndrawn; a++)
        for (int64_t b = 0; b < a; b++) {
            int64_t i = pair_index(a, b);
            p->val[i] = memo ? memo_get(&p->memo, drawn[a], drawn[b]) : PAIR_UNKNOWN;
            if (p->val[i] == PAIR_UNKNOWN)
                p->todo[ntodo++] = a * ndrawn + b;
        }
    if (ntodo >= 2 * PAIR_MIN_CHUNK && sched_pool_usable(it))
        compute_on_pool(it, s, p, drawn, ndrawn, ntodo);
    for (int64_t a = 0; a < ndrawn; a++) {
        bool clash = false;
        for (int64_t b = 0; b < *nkept && !clash; b++) {
            int64_t i = pair_index(a, p->keep_at[b]);
            if (p->val[i] == PAIR_UNKNOWN || p->val[i] == PAIR_FAILED) {
                p->val[i] = evaluate(it, p->region, drawn[a], drawn[p->keep_at[b]]);
                if (p->val[i] == PAIR_FAILED)
                    return false;
            }
            clash = p->val[i] == PAIR_TRUE;
        }
        if (!clash) {
            p->keep_at[*nkept] = a;
            kept[(*nkept)++] = drawn[a];
        }
    }
    for (int64_t t = 0; memo && t < ntodo; t++) {
        int64_t a = p->todo[t] / ndrawn, b = p->todo[t] % ndrawn;
        uint8_t v = p->val[pair_index(a, b)];
        if (v == PAIR_TRUE || v == PAIR_FALSE)
            memo_put(&p->memo, drawn[a], drawn[b], v);
    }
    return true;
}
