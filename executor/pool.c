/* pool.c: the worker pool and its task graphs (pool.h).
 *
 * Where a ready task waits: every worker owns a Chase-Lev deque (the owner pushes and takes at the
 * bottom, other workers steal at the top without a lock), and every domain owns a locked FIFO for
 * tasks sent to it from a worker of another domain. A domain's ready queue is its FIFO plus its
 * workers' deques. A worker looks in its own deque, its domain's FIFO, its domain siblings'
 * deques, then in the other domains nearest first (d+1, d+2, ... mod D); a task taken from another
 * domain counts as a steal.
 *
 * A task made ready by a finishing task goes to the finishing worker's deque when it has no domain
 * or the worker's, else to its domain's FIFO; the first such task is not queued at all but run
 * next by the same worker (the chain fast path).
 *
 * Memory: tasks and successor arrays come from a per-worker arena (the worker that creates them),
 * reset by pool_wait. Termination: each worker counts the tasks it submitted and finished (single
 * writer counters); every task is done when the sums are equal (finished read first, see
 * all_finished). Idle workers spin briefly, then sleep on their own condition variable; whoever
 * queues work wakes a sleeper only when the sleeper count says one exists (a seq_cst fence on both
 * sides, Dekker style, so no wake-up is lost).
 *
 * Thread use: tasks, pool_task, pool_depend, pool_submit and pool_continue run on the pool's
 * workers (worker 0 is the creating thread); pool_wait, pool_destroy, pool_parallel_for and
 * pool_trace_write on the creating thread outside tasks. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include "executor/pool.h"

#include "executor/io.h"
#include "support/buf.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum {
    /* Successors stored in the task itself; more go to an arena array. A chain or a combine tree
     * needs one, a diamond two; three keeps a task at 104 bytes. */
    POOL_INLINE_SUCCESSORS = 3,
    /* First size of an arena chunk; chunks double up to POOL_ARENA_MAX_CHUNK (4 MiB: about 40,000
     * tasks, so that a million-task graph costs ~30 allocations, each two huge pages). */
    POOL_ARENA_FIRST_CHUNK = 16 << 10,
    POOL_ARENA_MAX_CHUNK = 4 << 20,
    /* Chunks of at least this size are aligned to it and asked to use transparent huge pages. */
    POOL_HUGE_PAGE = 2 << 20,
    /* Deque slots at first (doubled when full). */
    POOL_DEQUE_FIRST_SLOTS = 256,
    /* Trace events per worker at first (doubled when full). */
    POOL_TRACE_FIRST_EVENTS = 1024,
    /* Far above any core count; a bigger --workers is a mistake, not a machine. */
    POOL_MAX_WORKERS = 1024,
    /* Pause instructions between two looks for work while spinning. */
    POOL_SPIN_PAUSES = 32,
};

/* Arena bytes a worker keeps between two pool_wait calls (the rest is freed); only a graph that
 * big makes it hold that much. Enough for a million-task graph (~110 MB) to be built again without
 * page faults, which cost more than the task itself (~5 µs a page in this VM). */
static const size_t POOL_ARENA_KEEP_BYTES = (size_t)192 << 20;
/* How long an idle worker spins before it sleeps: long enough that a worker between two short
 * tasks does not pay a futex sleep and wake-up (several µs each), short enough not to burn a
 * shared core. */
static const int64_t POOL_SPIN_NS = 30000;

/* ---- tasks ---- */

struct PoolTask {
    PoolFn fn;
    void *arg;
    int64_t index;
    Pool *pool;
    const char *label;
    int line;
    int domain; /* -1, or 0 .. domains-1 */
    /* Unfinished predecessors, + 1 until submitted, + 1 while a continuing task holds it. */
    atomic_int pending;
    int successor_count, successor_capacity;
    PoolTask **successors; /* inline_successors, or an arena array */
    union {
        PoolTask *next_queued;  /* while in a domain FIFO */
        PoolTask *continuation; /* while running: the join given to pool_continue */
    } link;
    PoolTask *inline_successors[POOL_INLINE_SUCCESSORS];
};

/* ---- per-worker arenas ---- */

typedef struct ArenaChunk {
    struct ArenaChunk *next;
    size_t size, used;
    alignas(16) unsigned char data[];
} ArenaChunk;

/* Chunks in a list; `current` is bumped, later chunks are kept empty ones. */
typedef struct {
    ArenaChunk *first, *current;
    size_t next_size;
} Arena;

/* Memory for a chunk: big ones 2 MiB-aligned and marked for transparent huge pages, which makes
 * their first touch 512 times fewer page faults (a million-task graph: 930 instead of 25,700; a
 * fault costs ~5 µs in this VM). */
static void *chunk_alloc(size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (bytes >= POOL_HUGE_PAGE) {
        bytes = (bytes + POOL_HUGE_PAGE - 1) / POOL_HUGE_PAGE * POOL_HUGE_PAGE;
        void *p = aligned_alloc(POOL_HUGE_PAGE, bytes);
        if (p)
            (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure changes nothing */
        return p;
    }
#endif
    return malloc(bytes);
}

/* Allocates a chunk for at least `bytes` after the current one (or takes the kept next one). */
static void *arena_alloc_slow(Arena *a, size_t bytes)
{
    ArenaChunk *c = a->current;
    if (c && c->next && c->next->size >= bytes) {
        a->current = c->next;
    } else {
        /* whole chunks (header included) of next_size bytes, so that big ones fill huge pages */
        size_t total = a->next_size ? a->next_size : POOL_ARENA_FIRST_CHUNK;
        if (total < sizeof(ArenaChunk) + bytes)
            total = sizeof(ArenaChunk) + bytes;
        ArenaChunk *fresh = chunk_alloc(total);
        if (!fresh)
            return NULL;
        fresh->size = total - sizeof(ArenaChunk);
        fresh->used = 0;
        fresh->next = c ? c->next : a->first;
        if (c)
            c->next = fresh;
        else
            a->first = fresh;
        a->current = fresh;
        if (a->next_size < POOL_ARENA_MAX_CHUNK)
            a->next_size = a->next_size ? a->next_size * 2 : POOL_ARENA_FIRST_CHUNK * 2;
    }
    ArenaChunk *cur = a->current;
    cur->used = bytes;
    return cur->data;
}

/* `bytes` from the arena, 8-byte aligned; NULL when memory runs out. */
static inline void *arena_alloc(Arena *a, size_t bytes)
{
    bytes = (bytes + 7) & ~(size_t)7;
    ArenaChunk *c = a->current;
    if (c && c->size - c->used >= bytes) {
        void *p = c->data + c->used;
        c->used += bytes;
        return p;
    }
    return arena_alloc_slow(a, bytes);
}

/* Empties the arena, keeping its first chunks up to POOL_ARENA_KEEP_BYTES. */
static void arena_reset(Arena *a)
{
    size_t kept = 0;
    ArenaChunk **link = &a->first;
    while (*link) {
        ArenaChunk *c = *link;
        if (kept + c->size <= POOL_ARENA_KEEP_BYTES) {
            kept += c->size;
            c->used = 0;
            link = &c->next;
        } else {
            *link = c->next;
            free(c);
        }
    }
    a->current = a->first;
}

/* Frees every chunk. */
static void arena_free(Arena *a)
{
    for (ArenaChunk *c = a->first, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    memset(a, 0, sizeof *a);
}

/* ---- Chase-Lev deques (Lê, Pop, Cohen, Zappa Nardelli, PPoPP 2013, C11 version) ---- */

typedef struct DequeArray {
    int64_t mask; /* slots - 1, slots a power of two */
    struct DequeArray *retired_next;
    _Atomic(PoolTask *) slots[];
} DequeArray;

typedef struct {
    alignas(64) _Atomic int64_t top;    /* thieves take here */
    alignas(64) _Atomic int64_t bottom; /* the owner pushes and takes here */
    _Atomic(DequeArray *) array;
    /* Arrays replaced by a bigger one: a thief may still read them, so they live until
     * pool_destroy. */
    DequeArray *retired;
} Deque;

/* An empty array of `slots` slots (a power of two). */
static DequeArray *deque_array_new(int64_t slots)
{
    DequeArray *a = malloc(sizeof *a + (size_t)slots * sizeof a->slots[0]);
    if (!a)
        return NULL;
    a->mask = slots - 1;
    a->retired_next = NULL;
    for (int64_t i = 0; i < slots; i++)
        atomic_init(&a->slots[i], NULL);
    return a;
}

static bool deque_init(Deque *q)
{
    DequeArray *a = deque_array_new(POOL_DEQUE_FIRST_SLOTS);
    if (!a)
        return false;
    atomic_init(&q->top, 0);
    atomic_init(&q->bottom, 0);
    atomic_init(&q->array, a);
    q->retired = NULL;
    return true;
}

static void deque_free(Deque *q)
{
    DequeArray *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    free(a);
    for (DequeArray *r = q->retired, *next; r; r = next) {
        next = r->retired_next;
        free(r);
    }
    q->retired = NULL;
}

/* Owner: replaces the full array by one twice as big holding the same tasks. NULL when memory
 * runs out (the old array stays in use). */
static DequeArray *deque_grow(Deque *q, DequeArray *old, int64_t top, int64_t bottom)
{
    DequeArray *a = deque_array_new((old->mask + 1) * 2);
    if (!a)
        return NULL;
    for (int64_t i = top; i < bottom; i++)
        atomic_store_explicit(
            &a->slots[i & a->mask],
            atomic_load_explicit(&old->slots[i & old->mask], memory_order_relaxed),
            memory_order_relaxed);
    atomic_store_explicit(&q->array, a, memory_order_release);
    old->retired_next = q->retired;
    q->retired = old;
    return a;
}

/* Owner: pushes t at the bottom. False when the deque is full and cannot grow. */
static bool deque_push(Deque *q, PoolTask *t)
{
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);
    int64_t top = atomic_load_explicit(&q->top, memory_order_acquire);
    DequeArray *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    if (b - top > a->mask) {
        a = deque_grow(q, a, top, b);
        if (!a)
            return false;
    }
    atomic_store_explicit(&a->slots[b & a->mask], t, memory_order_relaxed);
    /* release: the task's fields (and the slot) are visible to a thief that sees the bottom */
    atomic_store_explicit(&q->bottom, b + 1, memory_order_release);
    return true;
}

/* Owner: takes the most recently pushed task, NULL when empty. */
static PoolTask *deque_take(Deque *q)
{
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);
    /* top only grows: an empty deque by a stale top is empty (saves the fence while idle) */
    if (b <= atomic_load_explicit(&q->top, memory_order_relaxed))
        return NULL;
    b -= 1;
    DequeArray *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    atomic_store_explicit(&q->bottom, b, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&q->top, memory_order_relaxed);
    PoolTask *x = NULL;
    if (t <= b) {
        x = atomic_load_explicit(&a->slots[b & a->mask], memory_order_relaxed);
        if (t == b) {
            /* the last task: race the thieves for it */
            if (!atomic_compare_exchange_strong_explicit(&q->top, &t, t + 1, memory_order_seq_cst,
                                                         memory_order_relaxed))
                x = NULL;
            atomic_store_explicit(&q->bottom, b + 1, memory_order_relaxed);
        }
    } else {
        atomic_store_explicit(&q->bottom, b + 1, memory_order_relaxed);
    }
    return x;
}

/* Thief: takes the oldest task, NULL when empty (retries while it loses races to others). */
static PoolTask *deque_steal(Deque *q)
{
    for (;;) {
        int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
        atomic_thread_fence(memory_order_seq_cst);
        int64_t b = atomic_load_explicit(&q->bottom, memory_order_acquire);
        if (t >= b)
            return NULL;
        DequeArray *a = atomic_load_explicit(&q->array, memory_order_acquire);
        PoolTask *x = atomic_load_explicit(&a->slots[t & a->mask], memory_order_relaxed);
        if (atomic_compare_exchange_strong_explicit(&q->top, &t, t + 1, memory_order_seq_cst,
                                                    memory_order_relaxed))
            return x;
    }
}

/* Anyone: whether the deque holds a task (a hint, exact only when nobody is pushing). */
static bool deque_nonempty(Deque *q)
{
    int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_acquire);
    return b > t;
}

/* ---- per-domain FIFOs (tasks sent to a domain from outside it) ---- */

typedef struct {
    alignas(64) pthread_mutex_t lock;
    PoolTask *head, *tail;
    _Atomic int64_t count; /* read without the lock to skip empty queues */
} DomainQueue;

static void domain_queue_push(DomainQueue *q, PoolTask *t)
{
    t->link.next_queued = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->tail)
        q->tail->link.next_queued = t;
    else
        q->head = t;
    q->tail = t;
    atomic_store_explicit(&q->count, atomic_load_explicit(&q->count, memory_order_relaxed) + 1,
                          memory_order_release);
    pthread_mutex_unlock(&q->lock);
}

/* The oldest task, NULL when empty. */
static PoolTask *domain_queue_pop(DomainQueue *q)
{
    if (atomic_load_explicit(&q->count, memory_order_acquire) == 0)
        return NULL;
    pthread_mutex_lock(&q->lock);
    PoolTask *t = q->head;
    if (t) {
        q->head = t->link.next_queued;
        if (!q->head)
            q->tail = NULL;
        atomic_store_explicit(&q->count, atomic_load_explicit(&q->count, memory_order_relaxed) - 1,
                              memory_order_release);
    }
    pthread_mutex_unlock(&q->lock);
    return t;
}

/* ---- workers and the pool ---- */

typedef struct {
    const char *label;
    int line;
    int64_t start_ns, end_ns;
} TraceEvent;

/* A counter written by one thread and read by others. */
typedef _Atomic int64_t Counter;

static inline void counter_add(Counter *c, int64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_release);
}

typedef struct {
    Deque deque;
    alignas(64) PoolWorker view; /* what its tasks see */
    int core;
    int slot; /* its place among its domain's workers (Pool.members) */
    Arena arena;
    Counter submitted; /* tasks this worker submitted */
    Counter finished;  /* tasks this worker finished (run or skipped) */
    Counter tasks, steals, skipped;
    TraceEvent *trace;
    size_t trace_len, trace_cap;
    int64_t trace_dropped; /* events lost when the buffer could not grow */
    RtError err;           /* handed to the task bodies */
    pthread_t thread;
    bool thread_started;
    /* Sleeping, under the pool's idle_lock. */
    pthread_cond_t wake;
    bool woken; /* a waker took it off the idle stack */
} Worker;

struct Pool {
    int nworkers, ndomains;
    const Topo *topo;
    Topo *owned_topo; /* loaded by pool_create, freed by pool_destroy */
    bool trace;
    int64_t origin_ns; /* CLOCK_MONOTONIC at creation: trace times are relative to it */
    Worker *workers;
    DomainQueue *queues;
    /* The workers of domain d are members[first[d] .. first[d+1]), by id; the idle stack of
     * domain d lives in the same range of idle_ids. */
    int *members, *first;

    alignas(64) atomic_bool failed;
    RtError error; /* the first failure, written by whoever set `failed` */

    alignas(64) atomic_int sleepers; /* workers asleep that no waker has taken yet */
    atomic_bool main_waiting;        /* worker 0 sleeps in pool_wait */
    atomic_bool stopping;            /* pool_destroy */
    alignas(64) pthread_mutex_t idle_lock;
    int *idle_ids, *idle_count; /* per-domain stacks of sleeping workers */
    bool main_recheck;          /* worker 0 should look again (work done or stuck) */
    atomic_int unpinned;        /* workers whose pinning failed (they run unpinned) */
};

/* The worker the calling thread is; the creating thread (and any stranger) is worker 0. */
static _Thread_local Worker *current_worker;

static inline Worker *calling_worker(Pool *p)
{
    Worker *w = current_worker;
    return w && w->view.pool == p ? w : &p->workers[0];
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- sleeping and waking ---- */

/* Whether any deque or domain FIFO holds a task. */
static bool work_available(Pool *p)
{
    for (int d = 0; d < p->ndomains; d++)
        if (atomic_load_explicit(&p->queues[d].count, memory_order_acquire) > 0)
            return true;
    for (int w = 0; w < p->nworkers; w++)
        if (deque_nonempty(&p->workers[w].deque))
            return true;
    return false;
}

/* Whether every submitted task has finished. The finished counts are read before the submitted
 * ones: a task's submission happens before its finish, and a task is only submitted by worker 0
 * or by a running task, so equal sums mean that nothing is running or waiting. */
static bool all_finished(Pool *p)
{
    int64_t finished = 0, submitted = 0;
    for (int w = 0; w < p->nworkers; w++)
        finished += atomic_load_explicit(&p->workers[w].finished, memory_order_acquire);
    for (int w = 0; w < p->nworkers; w++)
        submitted += atomic_load_explicit(&p->workers[w].submitted, memory_order_acquire);
    return finished == submitted;
}

/* Under idle_lock: puts w on its domain's idle stack. */
static void idle_push(Pool *p, Worker *w)
{
    int d = w->view.domain;
    p->idle_ids[p->first[d] + p->idle_count[d]++] = w->view.id;
}

/* Under idle_lock: takes w off its domain's idle stack. */
static void idle_remove(Pool *p, Worker *w)
{
    int d = w->view.domain;
    int *ids = p->idle_ids + p->first[d];
    for (int i = 0; i < p->idle_count[d]; i++) {
        if (ids[i] == w->view.id) {
            ids[i] = ids[--p->idle_count[d]];
            return;
        }
    }
}

/* Wakes up to n sleepers, those of `domain` first, then of the domains nearest to it. */
static void wake_sleepers(Pool *p, int domain, int n)
{
    pthread_mutex_lock(&p->idle_lock);
    for (int k = 0; k < p->ndomains && n > 0; k++) {
        int d = (domain + k) % p->ndomains;
        while (n > 0 && p->idle_count[d] > 0) {
            Worker *w = &p->workers[p->idle_ids[p->first[d] + --p->idle_count[d]]];
            w->woken = true;
            atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
            pthread_cond_signal(&w->wake);
            n--;
        }
    }
    pthread_mutex_unlock(&p->idle_lock);
}

/* After queueing n tasks (for `domain`): wakes sleepers if there are any. The fence orders the
 * queue writes before the sleeper count read (a sleeper orders them the other way round). */
static inline void wake_after_queueing(Pool *p, int domain, int n)
{
    if (p->nworkers == 1 || n == 0)
        return;
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&p->sleepers, memory_order_relaxed) > 0)
        wake_sleepers(p, domain, n);
}

/* After a finish that left this worker nothing to run next: wakes worker 0 if it sleeps in
 * pool_wait and everything is done. */
static inline void notify_if_done(Pool *p)
{
    if (p->nworkers == 1)
        return; /* worker 0 is the one finishing */
    atomic_thread_fence(memory_order_seq_cst);
    if (!atomic_load_explicit(&p->main_waiting, memory_order_relaxed) || !all_finished(p))
        return;
    pthread_mutex_lock(&p->idle_lock);
    if (atomic_load_explicit(&p->main_waiting, memory_order_relaxed)) {
        p->main_recheck = true;
        pthread_cond_signal(&p->workers[0].wake);
    }
    pthread_mutex_unlock(&p->idle_lock);
}

/* Sleeps until a waker picks this worker, the pool stops, or (worker 0) everything finished.
 * Returns true only to worker 0, when no task can ever run again although some are unfinished:
 * every worker sleeps and no queue holds a task (a predecessor was never submitted). */
static bool idle_sleep(Pool *p, Worker *w)
{
    bool is_main = w->view.id == 0, stuck = false;
    pthread_mutex_lock(&p->idle_lock);
    idle_push(p, w);
    atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_seq_cst);
    if (is_main)
        atomic_store_explicit(&p->main_waiting, true, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    w->woken = false;
    bool go = atomic_load_explicit(&p->stopping, memory_order_acquire) || work_available(p) ||
              (is_main && all_finished(p));
    if (!go && atomic_load_explicit(&p->sleepers, memory_order_relaxed) == p->nworkers) {
        /* everybody sleeps and nothing is queued: only worker 0 can report it */
        if (is_main) {
            stuck = go = true;
        } else if (atomic_load_explicit(&p->main_waiting, memory_order_relaxed)) {
            p->main_recheck = true;
            pthread_cond_signal(&p->workers[0].wake);
        }
    }
    while (!go && !w->woken && !atomic_load_explicit(&p->stopping, memory_order_acquire) &&
           !(is_main && p->main_recheck))
        pthread_cond_wait(&w->wake, &p->idle_lock);
    if (!w->woken) {
        idle_remove(p, w);
        atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
    }
    w->woken = false;
    if (is_main) {
        atomic_store_explicit(&p->main_waiting, false, memory_order_relaxed);
        p->main_recheck = false;
    }
    pthread_mutex_unlock(&p->idle_lock);
    return stuck;
}

/* ---- finding, running and finishing tasks ---- */

/* A ready task of w's domain (or of none) goes to w's deque, any other to its domain's FIFO.
 * Returns the domain it was queued for. */
static int queue_ready(Pool *p, Worker *w, PoolTask *t)
{
    if (t->domain < 0 || t->domain == w->view.domain) {
        if (deque_push(&w->deque, t))
            return w->view.domain;
        domain_queue_push(&p->queues[w->view.domain], t); /* the deque could not grow */
        return w->view.domain;
    }
    domain_queue_push(&p->queues[t->domain], t);
    return t->domain;
}

/* Takes a task from domain d's queue (its FIFO, then its workers' deques but w's own). */
static PoolTask *take_from_domain(Pool *p, Worker *w, int d)
{
    PoolTask *t = domain_queue_pop(&p->queues[d]);
    if (t)
        return t;
    int begin = p->first[d], count = p->first[d + 1] - begin;
    /* start after w among its siblings, elsewhere at a place that depends on w, so that thieves
     * spread over the victims */
    int start = w->view.domain == d ? w->slot + 1 : w->view.id;
    for (int k = 0; k < count; k++) {
        int v = p->members[begin + (start + k) % count];
        if (v == w->view.id)
            continue;
        t = deque_steal(&p->workers[v].deque);
        if (t)
            return t;
    }
    return NULL;
}

/* A ready task for w: its own deque, its domain, then the other domains nearest first. */
static PoolTask *find_work(Pool *p, Worker *w)
{
    PoolTask *t = deque_take(&w->deque);
    if (t)
        return t;
    int d = w->view.domain;
    t = take_from_domain(p, w, d);
    if (t)
        return t;
    for (int k = 1; k < p->ndomains; k++) {
        t = take_from_domain(p, w, (d + k) % p->ndomains);
        if (t) {
            counter_add(&w->steals, 1);
            return t;
        }
    }
    return NULL;
}

/* Appends s to t's successors (growing them in w's arena). False when memory runs out. */
static bool add_successor(Worker *w, PoolTask *t, PoolTask *s)
{
    if (t->successor_count == t->successor_capacity) {
        int capacity = t->successor_capacity * 2;
        PoolTask **grown = arena_alloc(&w->arena, (size_t)capacity * sizeof *grown);
        if (!grown)
            return false;
        memcpy(grown, t->successors, (size_t)t->successor_count * sizeof *grown);
        t->successors = grown;
        t->successor_capacity = capacity;
    }
    t->successors[t->successor_count++] = s;
    return true;
}

/* Records a failed task body's error as the pool's first failure (if it is the first). */
static void record_failure(Pool *p, Worker *w, const PoolTask *t)
{
    if (!w->err.set)
        rt_errorf(&w->err, "error: task '%s' (line %d) failed without a message",
                  t->label ? t->label : "?", t->line);
    bool expected = false;
    if (atomic_compare_exchange_strong(&p->failed, &expected, true))
        p->error = w->err;
}

/* Records a failure that is not a task body's (out of memory in the pool itself). */
static void record_pool_failure(Pool *p, Worker *w, const char *what)
{
    w->err.set = false;
    rt_errorf(&w->err, "error: pool: out of memory %s", what);
    bool expected = false;
    if (atomic_compare_exchange_strong(&p->failed, &expected, true))
        p->error = w->err;
}

/* Appends one trace event (dropped when the buffer cannot grow). */
static void trace_record(Worker *w, const PoolTask *t, int64_t start, int64_t end)
{
    if (w->trace_len == w->trace_cap) {
        size_t cap = w->trace_cap ? w->trace_cap * 2 : POOL_TRACE_FIRST_EVENTS;
        TraceEvent *grown = realloc(w->trace, cap * sizeof *grown);
        if (!grown) {
            w->trace_dropped++;
            return;
        }
        w->trace = grown;
        w->trace_cap = cap;
    }
    w->trace[w->trace_len++] = (TraceEvent){t->label, t->line, start, end};
}

/* One predecessor of s finished (or a hold on it ended): when s becomes ready, it is kept in
 * *keep for this worker to run next if that is free and s is local, else queued. */
static void release(Pool *p, Worker *w, PoolTask *s, PoolTask **keep, int *queued, int *domain)
{
    if (atomic_fetch_sub_explicit(&s->pending, 1, memory_order_acq_rel) != 1)
        return;
    if (!*keep && (s->domain < 0 || s->domain == w->view.domain)) {
        *keep = s;
        return;
    }
    *domain = queue_ready(p, w, s);
    (*queued)++;
}

/* Gives t's successors to its continuation j (held by t until now), then ends the hold. */
static void hand_over(Pool *p, Worker *w, PoolTask *t, PoolTask *j, PoolTask **keep, int *queued,
                      int *domain)
{
    if (j->successor_count == 0 && t->successors != t->inline_successors) {
        j->successors = t->successors; /* arena memory: valid until pool_wait returns */
        j->successor_capacity = t->successor_capacity;
        j->successor_count = t->successor_count;
    } else {
        for (int i = 0; i < t->successor_count; i++) {
            if (!add_successor(w, j, t->successors[i])) {
                /* they cannot wait for j: release them now; the failure skips them anyway */
                record_pool_failure(p, w, "handing successors to a continuation");
                for (int k = i; k < t->successor_count; k++)
                    release(p, w, t->successors[k], keep, queued, domain);
                break;
            }
        }
    }
    t->successor_count = 0;
    release(p, w, j, keep, queued, domain);
}

/* Runs t (or skips it after a failure), releases its successors and counts it finished. Returns
 * the task this worker runs next (a successor that became ready), or NULL. */
static PoolTask *run_task(Pool *p, Worker *w, PoolTask *t)
{
    t->link.continuation = NULL;
    if (atomic_load_explicit(&p->failed, memory_order_relaxed)) {
        counter_add(&w->skipped, 1);
    } else {
        w->err.set = false;
        int64_t start = p->trace ? monotonic_ns() - p->origin_ns : 0;
        bool ok = t->fn(&w->view, t, t->arg, t->index, &w->err);
        if (p->trace)
            trace_record(w, t, start, monotonic_ns() - p->origin_ns);
        counter_add(&w->tasks, 1);
        if (!ok)
            record_failure(p, w, t);
    }
    PoolTask *keep = NULL;
    int queued = 0, domain = w->view.domain;
    PoolTask *join = t->link.continuation;
    if (join && !atomic_load_explicit(&p->failed, memory_order_relaxed)) {
        hand_over(p, w, t, join, &keep, &queued, &domain);
    } else {
        /* after a failure the successors are released at once (to be skipped): a failed body
         * may have left its join unsubmitted */
        for (int i = 0; i < t->successor_count; i++)
            release(p, w, t->successors[i], &keep, &queued, &domain);
        if (join)
            release(p, w, join, &keep, &queued, &domain);
    }
    counter_add(&w->finished, 1);
    wake_after_queueing(p, domain, queued);
    if (!keep)
        notify_if_done(p);
    return keep;
}

/* Runs t and the successors it hands to this worker, one after another. */
static void run_from(Pool *p, Worker *w, PoolTask *t)
{
    while (t)
        t = run_task(p, w, t);
}

/* Spins for up to POOL_SPIN_NS looking for work. Returns a task, or NULL when there is none (or,
 * for worker 0, as soon as every task has finished). */
static PoolTask *spin_for_work(Pool *p, Worker *w)
{
    int64_t deadline = monotonic_ns() + POOL_SPIN_NS;
    do {
        for (int i = 0; i < POOL_SPIN_PAUSES; i++)
            cpu_relax();
        PoolTask *t = find_work(p, w);
        if (t)
            return t;
        if (w->view.id == 0 ? all_finished(p)
                            : atomic_load_explicit(&p->stopping, memory_order_relaxed))
            return NULL;
    } while (monotonic_ns() < deadline);
    return NULL;
}

/* Workers 1..n-1: pin, then run tasks until pool_destroy. */
static void *worker_main(void *arg)
{
    Worker *w = arg;
    Pool *p = w->view.pool;
    current_worker = w;
    RtError pin_err = {0};
    if (!topo_pin_thread(p->topo, w->core, &pin_err))
        atomic_fetch_add(&p->unpinned, 1);
    while (!atomic_load_explicit(&p->stopping, memory_order_acquire)) {
        PoolTask *t = find_work(p, w);
        if (!t)
            t = spin_for_work(p, w);
        if (t)
            run_from(p, w, t);
        else
            idle_sleep(p, w);
    }
    return NULL;
}

/* ---- creating and destroying ---- */

/* Frees what pool_create allocated (threads already joined). */
static void pool_free(Pool *p)
{
    if (p->workers) {
        for (int i = 0; i < p->nworkers; i++) {
            Worker *w = &p->workers[i];
            deque_free(&w->deque);
            arena_free(&w->arena);
            free(w->trace);
            pthread_cond_destroy(&w->wake);
        }
        free(p->workers);
    }
    if (p->queues) {
        for (int d = 0; d < p->ndomains; d++)
            pthread_mutex_destroy(&p->queues[d].lock);
        free(p->queues);
    }
    pthread_mutex_destroy(&p->idle_lock);
    free(p->members);
    free(p->first);
    free(p->idle_ids);
    free(p->idle_count);
    topo_free(p->owned_topo);
    free(p);
}

/* Stops the started threads and joins them. */
static void stop_threads(Pool *p)
{
    pthread_mutex_lock(&p->idle_lock);
    atomic_store_explicit(&p->stopping, true, memory_order_release);
    for (int i = 0; i < p->nworkers; i++)
        pthread_cond_broadcast(&p->workers[i].wake);
    pthread_mutex_unlock(&p->idle_lock);
    for (int i = 1; i < p->nworkers; i++)
        if (p->workers[i].thread_started)
            pthread_join(p->workers[i].thread, NULL);
}

/* The workers' domains and the per-domain member lists. False when memory runs out. */
static bool plan_workers(Pool *p)
{
    int n = p->nworkers, nd = p->ndomains;
    p->members = malloc((size_t)n * sizeof *p->members);
    p->idle_ids = malloc((size_t)n * sizeof *p->idle_ids);
    p->first = calloc((size_t)nd + 1, sizeof *p->first);
    p->idle_count = calloc((size_t)nd, sizeof *p->idle_count);
    if (!p->members || !p->idle_ids || !p->first || !p->idle_count)
        return false;
    for (int i = 0; i < n; i++) {
        Worker *w = &p->workers[i];
        int d = topo_worker_domain(p->topo, n, i);
        w->view.domain = d >= 0 && d < nd ? d : 0;
        w->core = topo_worker_core(p->topo, n, i);
        p->first[w->view.domain + 1]++;
    }
    for (int d = 0; d < nd; d++)
        p->first[d + 1] += p->first[d];
    int *fill = calloc((size_t)nd, sizeof *fill);
    if (!fill)
        return false;
    for (int i = 0; i < n; i++) {
        int d = p->workers[i].view.domain;
        p->workers[i].slot = fill[d];
        p->members[p->first[d] + fill[d]++] = i;
    }
    free(fill);
    return true;
}

Pool *pool_create(const PoolConfig *cfg, RtError *err)
{
    PoolConfig defaults = {0};
    if (!cfg)
        cfg = &defaults;
    if (cfg->workers < 0 || cfg->workers > POOL_MAX_WORKERS) {
        rt_errorf(err, "error: pool: workers must be between 0 and %d, saw %d", POOL_MAX_WORKERS,
                  cfg->workers);
        return NULL;
    }
    Pool *p = aligned_alloc(64, (sizeof(Pool) + 63) / 64 * 64);
    if (!p) {
        rt_errorf(err, "error: pool: out of memory");
        return NULL;
    }
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->idle_lock, NULL);
    atomic_init(&p->failed, false);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->main_waiting, false);
    atomic_init(&p->stopping, false);
    atomic_init(&p->unpinned, 0);
    p->topo = cfg->topo;
    if (!p->topo) {
        p->owned_topo = topo_load(TOPO_THIS_MACHINE, NULL, err);
        if (!p->owned_topo) {
            pool_free(p);
            return NULL;
        }
        p->topo = p->owned_topo;
    }
    p->nworkers = cfg->workers > 0 ? cfg->workers : topo_cores(p->topo);
    if (p->nworkers < 1)
        p->nworkers = 1;
    p->ndomains = topo_domains(p->topo) > 0 ? topo_domains(p->topo) : 1;
    p->trace = cfg->trace;
    p->origin_ns = monotonic_ns();

    p->workers = aligned_alloc(64, (size_t)p->nworkers * sizeof(Worker));
    p->queues = aligned_alloc(64, (size_t)p->ndomains * sizeof(DomainQueue));
    if (!p->workers || !p->queues) {
        free(p->workers);
        free(p->queues);
        p->workers = NULL;
        p->queues = NULL;
        rt_errorf(err, "error: pool: out of memory for %d workers", p->nworkers);
        pool_free(p);
        return NULL;
    }
    memset(p->workers, 0, (size_t)p->nworkers * sizeof(Worker));
    for (int i = 0; i < p->nworkers; i++) {
        Worker *w = &p->workers[i];
        w->view.pool = p;
        w->view.id = i;
        pthread_cond_init(&w->wake, NULL);
    }
    for (int d = 0; d < p->ndomains; d++) {
        DomainQueue *q = &p->queues[d];
        memset(q, 0, sizeof *q);
        pthread_mutex_init(&q->lock, NULL);
        atomic_init(&q->count, 0);
    }
    bool ok = plan_workers(p);
    for (int i = 0; ok && i < p->nworkers; i++)
        ok = deque_init(&p->workers[i].deque);
    if (!ok) {
        rt_errorf(err, "error: pool: out of memory for %d workers", p->nworkers);
        pool_free(p);
        return NULL;
    }
    for (int i = 1; i < p->nworkers; i++) {
        Worker *w = &p->workers[i];
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            rt_errorf(err, "error: pool: cannot start worker thread %d: %s", i, strerror(rc));
            stop_threads(p);
            pool_free(p);
            return NULL;
        }
        w->thread_started = true;
    }
    return p;
}

void pool_destroy(Pool *p)
{
    if (!p)
        return;
    stop_threads(p);
    pool_free(p);
}

int pool_workers(const Pool *p)
{
    return p->nworkers;
}

int pool_domains(const Pool *p)
{
    return p->ndomains;
}

int pool_worker_domain(const Pool *p, int w)
{
    return w >= 0 && w < p->nworkers ? p->workers[w].view.domain : -1;
}

const Topo *pool_topo(const Pool *p)
{
    return p->topo;
}

/* ---- building graphs ---- */

PoolTask *pool_task(Pool *p, PoolFn fn, void *arg, int64_t index, int domain, const char *label,
                    int line)
{
    Worker *w = calling_worker(p);
    PoolTask *t = arena_alloc(&w->arena, sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->index = index;
    t->pool = p;
    t->label = label;
    t->line = line;
    t->domain = domain < 0 ? -1 : domain % p->ndomains; /* a plan for more domains still runs */
    atomic_init(&t->pending, 1);
    t->successor_count = 0;
    t->successor_capacity = POOL_INLINE_SUCCESSORS;
    t->successors = t->inline_successors;
    t->link.continuation = NULL;
    return t;
}

bool pool_depend(PoolTask *before, PoolTask *after)
{
    if (!before || !after)
        return false;
    if (!add_successor(calling_worker(before->pool), before, after))
        return false;
    atomic_fetch_add_explicit(&after->pending, 1, memory_order_relaxed);
    return true;
}

void pool_submit(PoolTask *t)
{
    if (!t)
        return;
    Pool *p = t->pool;
    Worker *w = calling_worker(p);
    counter_add(&w->submitted, 1); /* before t can finish: see all_finished */
    if (atomic_fetch_sub_explicit(&t->pending, 1, memory_order_acq_rel) == 1)
        wake_after_queueing(p, queue_ready(p, w, t), 1);
}

void pool_continue(PoolTask *self, PoolTask *join)
{
    if (!self || !join)
        return;
    /* the hold: join cannot finish before self hands it the successors (run_task) */
    atomic_fetch_add_explicit(&join->pending, 1, memory_order_relaxed);
    PoolTask *earlier = self->link.continuation;
    self->link.continuation = join;
    if (earlier) {
        /* a second continuation replaces the first, which just stops waiting for self */
        Pool *p = self->pool;
        Worker *w = calling_worker(p);
        if (atomic_fetch_sub_explicit(&earlier->pending, 1, memory_order_acq_rel) == 1)
            wake_after_queueing(p, queue_ready(p, w, earlier), 1);
    }
}

/* ---- waiting ---- */

/* Worker 0 after the graph drained: reports the failure, resets the arenas and the error. */
static bool end_wait(Pool *p, RtError *err)
{
    bool ok = !atomic_load(&p->failed);
    if (!ok)
        rt_errorf(err, "%s", p->error.message);
    for (int i = 0; i < p->nworkers; i++)
        arena_reset(&p->workers[i].arena);
    p->error.set = false;
    atomic_store(&p->failed, false);
    return ok;
}

/* Worker 0 found every worker asleep with tasks unfinished: records why, and counts those tasks
 * as finished so that the pool can be used again. */
static void report_stuck(Pool *p)
{
    int64_t finished = 0, submitted = 0;
    for (int w = 0; w < p->nworkers; w++) {
        finished += atomic_load(&p->workers[w].finished);
        submitted += atomic_load(&p->workers[w].submitted);
    }
    counter_add(&p->workers[0].finished, submitted - finished);
    counter_add(&p->workers[0].skipped, submitted - finished);
    Worker *w = &p->workers[0];
    w->err.set = false;
    rt_errorf(&w->err,
              "error: pool: %lld submitted tasks can never run (a predecessor was never submitted, "
              "or the dependencies form a cycle)",
              (long long)(submitted - finished));
    bool expected = false;
    if (atomic_compare_exchange_strong(&p->failed, &expected, true))
        p->error = w->err;
}

bool pool_wait(Pool *p, RtError *err)
{
    Worker *w = &p->workers[0];
    for (;;) {
        PoolTask *t = find_work(p, w);
        if (!t && !all_finished(p))
            t = spin_for_work(p, w);
        if (t) {
            run_from(p, w, t);
            continue;
        }
        if (all_finished(p))
            break;
        if (idle_sleep(p, w)) {
            report_stuck(p);
            break;
        }
    }
    return end_wait(p, err);
}

typedef struct {
    PoolFn fn;
    void *arg;
} ForBody;

/* A pool_parallel_for task: the body with no task handle. */
static bool run_for_body(PoolWorker *w, PoolTask *self, void *arg, int64_t index, RtError *err)
{
    const ForBody *body = arg;
    return body->fn(w, NULL, body->arg, index, err);
}

bool pool_parallel_for(Pool *p, int64_t n, PoolFn fn, void *arg, const int *domain_of,
                       const char *label, int line, RtError *err)
{
    ForBody body = {fn, arg};
    int64_t created = 0;
    for (; fn && created < n; created++) {
        int domain = domain_of ? domain_of[created] : -1;
        PoolTask *t = pool_task(p, run_for_body, &body, created, domain, label, line);
        if (!t)
            break;
        pool_submit(t);
    }
    bool ok = pool_wait(p, err);
    if (ok && fn && created < n)
        return rt_errorf(err, "error: pool: out of memory creating %lld tasks", (long long)n);
    return ok;
}

/* ---- statistics and traces ---- */

PoolWorkerStats pool_worker_stats(const Pool *p, int w)
{
    PoolWorkerStats s = {0};
    if (w < 0 || w >= p->nworkers)
        return s;
    Worker *wk = &p->workers[w];
    s.tasks = atomic_load_explicit(&wk->tasks, memory_order_acquire);
    s.steals = atomic_load_explicit(&wk->steals, memory_order_acquire);
    s.skipped = atomic_load_explicit(&wk->skipped, memory_order_acquire);
    return s;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static int utf8_sequence_length(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || s[0] >= 0xf5)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlong three/four-byte forms, surrogates, code points above U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* Appends s as a JSON string: quotes, backslashes and control characters escaped, bytes that are
 * not UTF-8 replaced by U+FFFD. */
static void put_json_string(Buf *b, const char *s)
{
    buf_putc(b, '"');
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        if (*c == '"' || *c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)*c++);
        } else if (*c == '\n') {
            buf_puts(b, "\\n");
            c++;
        } else if (*c == '\t') {
            buf_puts(b, "\\t");
            c++;
        } else if (*c < 0x20 || *c == 0x7f) {
            buf_printf(b, "\\u%04x", *c++);
        } else if (*c < 0x80) {
            buf_putc(b, (char)*c++);
        } else {
            int n = utf8_sequence_length(c);
            if (n == 0) {
                buf_puts(b, "\\ufffd");
                c++;
            } else {
                buf_append(b, (const char *)c, (size_t)n);
                c += n;
            }
        }
    }
    buf_putc(b, '"');
}

/* Nanoseconds as microseconds with three decimals ("12.345"). */
static void put_microseconds(Buf *b, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    buf_printf(b, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
}

bool pool_trace_write(const Pool *p, const char *path, const char *process, RtError *err)
{
    Buf b = {0};
    buf_puts(&b, "{\"traceEvents\":[\n");
    buf_puts(&b, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":");
    put_json_string(&b, process ? process : "dmlc");
    buf_puts(&b, "}}");
    int64_t dropped = 0;
    for (int i = 0; i < p->nworkers; i++) {
        const Worker *w = &p->workers[i];
        buf_printf(&b,
                   ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":"
                   "{\"name\":\"worker %d (domain %d)\"}}",
                   i, i, w->view.domain);
        buf_printf(&b,
                   ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                   "\"args\":{\"sort_index\":%d}}",
                   i, i);
        dropped += w->trace_dropped;
    }
    for (int i = 0; i < p->nworkers; i++) {
        const Worker *w = &p->workers[i];
        for (size_t e = 0; e < w->trace_len; e++) {
            const TraceEvent *ev = &w->trace[e];
            buf_puts(&b, ",\n{\"name\":");
            put_json_string(&b, ev->label ? ev->label : "task");
            buf_printf(&b, ",\"cat\":\"task\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":", i);
            put_microseconds(&b, ev->start_ns);
            buf_puts(&b, ",\"dur\":");
            put_microseconds(&b, ev->end_ns - ev->start_ns);
            buf_printf(&b, ",\"args\":{\"line\":%d}}", ev->line);
        }
    }
    buf_puts(&b, "\n],\"displayTimeUnit\":\"ns\"");
    if (dropped > 0)
        buf_printf(&b, ",\"otherData\":{\"dropped_events\":%lld}", (long long)dropped);
    buf_puts(&b, "}\n");
    bool ok = io_write_text(path, b.data, b.len, err);
    buf_free(&b);
    return ok;
}
