/* interp_sched.h: the pieces of the STRADS schedule loop, private to interp_sched.c (the loop:
 * the draw, the kept set, the round, what is kept between executions), interp_sched_eval.c
 * (interpreter clones that evaluate its regions on the pool; what a region reads from outside),
 * interp_sched_prio.c (priorities: one vectorised pass, or per candidate on the pool) and
 * interp_sched_pair.c (conflicts: pairs evaluated on the pool and remembered across rounds). */
#ifndef DMLC_EXECUTOR_INTERP_SCHED_H
#define DMLC_EXECUTOR_INTERP_SCHED_H

#include "executor/interp_internal.h"

/* ---- interpreter clones that evaluate a region on pool workers ---- */

/* Per worker, a copy of the driving interpreter with its own value slots (the values defined
 * outside the region are borrowed) that evaluates regions for many arguments. Made lazily by
 * each worker's first task; sched_clones_free releases them. */
typedef struct {
    Interp *it;
    char *mem; /* workers clones, each on its own cache lines */
    bool *made;
    int workers;
} SchedClones;

/* Prepares clones for it's pool (none made yet); false when out of memory. */
bool sched_clones_init(SchedClones *c, Interp *it);
/* Worker w's clone (made on first use), reporting errors into err; NULL when out of memory. */
Interp *sched_clone(SchedClones *c, int w, RtError *err);
void sched_clones_free(SchedClones *c);
/* Whether the pool can take region evaluations for this loop: several workers, on the driver. */
bool sched_pool_usable(const Interp *it);

/* ---- what a region reads from outside it ---- */

/* The values a region depends on besides its arguments: the slots it reads that are defined
 * outside it (lets, inputs, configs bound before the loop) and the states it reads. `seen` holds
 * references to their values when a result was remembered, so that a later execution can tell
 * whether they are the same values (the same tensor object, which the references keep from being
 * written in place or freed; the same scalar bits). */
typedef struct {
    int *slots;
    int nslots;
    int *syms;
    int nsyms;
    RtValue *seen; /* nslots + nsyms, or NULL when nothing is remembered */
    bool pure;     /* every op's value depends only on its operands and the run (pure ops,
                    * constructors, random ops with their run-fixed seeds, state reads) */
} RegionInputs;

/* Finds what block b reads from outside it (arena-allocated lists). */
void sched_inputs_find(Interp *it, const Block *b, RegionInputs *in);
/* True when the remembered values are the current ones. */
bool sched_inputs_same(const Interp *it, const RegionInputs *in);
/* Remembers the current values (dropping earlier ones); false when out of memory. */
bool sched_inputs_remember(const Interp *it, RegionInputs *in);
void sched_inputs_forget(RegionInputs *in);
/* True when the region reads a state that the loop's body writes. */
bool sched_inputs_read_written(const RegionInputs *in, const Step *s);

/* ---- priorities (interp_sched_prio.c) ---- */

typedef struct SchedPrio SchedPrio;

/* Analyses the priority region once (NULL when out of memory). */
SchedPrio *sched_prio_new(Interp *it, const Step *s);
void sched_prio_free(SchedPrio *p);
/* The priority of every j in lo .. lo+n-1 into out[j - lo], checked finite and >= 0 (the error
 * names the first j in order whose priority fails or is invalid, as a sequential evaluation
 * would). */
bool sched_priorities(Interp *it, const Step *s, SchedPrio *p, int64_t lo, int64_t n, double *out);

/* ---- conflicts (interp_sched_pair.c) ---- */

typedef struct SchedPairs SchedPairs;

/* Analyses the conflict region once (NULL when out of memory). */
SchedPairs *sched_pairs_new(Interp *it, const Step *s);
void sched_pairs_free(SchedPairs *p);
/* Keeps the candidates drawn[0 .. ndrawn) (in decreasing priority) that conflict with none kept
 * before them: kept[0 .. *nkept). Pair values come from the memo or are computed, in parallel on
 * the pool when several are missing. */
bool sched_keep(Interp *it, const Step *s, SchedPairs *p, const int64_t *drawn, int64_t ndrawn,
                int64_t *kept, int64_t *nkept);

#endif
