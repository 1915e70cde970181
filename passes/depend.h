/* depend.h: the dependence analysis of parallel loops (the `depend` pass, passes/depend.c, and its
 * access maps, passes/depend_map.c).
 *
 * For one `ploop.range`, `ploop.nonzeros` or `ploop.schedule` op it finds every access to outer
 * data in the body (nested regions included; for schedule loops also the reads of the priority
 * and conflict regions): the tensor, read / write / accumulate, and the index map, one entry per
 * dimension: the whole axis, a slice range, an index that is an affine function of the loop
 * variables with integer coefficients plus loop-invariant symbols (configs, sizes, outer values),
 * or an index that is not affine. From the accesses it classifies the loop (independent,
 * reduction, two-axis, scheduled, general) with a one-sentence reason. The pass records all of it
 * as attributes of the loop op (docs/ir.md, "depend"); this header exposes the structures for the
 * unit tests. */
#ifndef DMLC_PASSES_DEPEND_H
#define DMLC_PASSES_DEPEND_H

#include "ir/ir.h"
#include "support/arena.h"
#include "support/buf.h"
#include "support/diag.h"

#include <stdbool.h>
#include <stdint.h>

/* What a term of an affine index stands for. */
typedef enum {
    DEP_ATOM_VAR,    /* a loop variable of the analysed region (DepTerm.var: its position) */
    DEP_ATOM_FREE,   /* a value that changes inside one iteration (a nested `for` variable) */
    DEP_ATOM_SYMBOL, /* a loop-invariant value: a config, a size, an outer value */
} DepAtomKind;

/* coef * atom. Two terms are the same atom when their kind and key agree. */
typedef struct {
    DepAtomKind kind;
    int var;         /* DEP_ATOM_VAR: 0 = i (or j for schedule), 1 = j (nonzeros) or k (conflict) */
    const void *key; /* identity: the block argument, or the symbol's interned name */
    const char *name; /* how it prints: "i", "n", "t" */
    int64_t coef;     /* never 0 */
} DepTerm;

/* constant + sum of terms; terms sorted (variables, free values, symbols by name). */
typedef struct {
    int64_t constant;
    DepTerm *terms;
    int nterms;
} DepAffine;

/* An index expression: affine, or not (then `text` is what can be said of it: "idx[i]", "?"). */
typedef struct {
    bool affine;
    DepAffine a;
    const char *text;
} DepIndex;

typedef enum {
    DEP_DIM_ALL,   /* `:` */
    DEP_DIM_RANGE, /* lo..hi, either bound optional */
    DEP_DIM_INDEX, /* a single index */
} DepDimKind;

typedef struct {
    DepDimKind kind;
    DepIndex index;      /* DEP_DIM_INDEX */
    bool has_lo, has_hi; /* DEP_DIM_RANGE */
    DepIndex lo, hi;
} DepDim;

typedef enum { DEP_READ, DEP_WRITE, DEP_ACCUMULATE } DepKind;

/* Which region of the loop an access is in. */
typedef enum { DEP_IN_BODY, DEP_IN_PRIORITY, DEP_IN_CONFLICT } DepWhere;

typedef struct {
    DepKind kind;
    DepWhere where;
    const char *tensor; /* the state's name, the input's name, a let's name, or "value@LINE" */
    bool state;         /* a param or var (else an input or let: never written) */
    bool whole;         /* no index: the whole tensor (or a scalar) */
    DepDim *dims;       /* one per dimension when not whole */
    int ndims;
    const IrOp *op; /* the op that makes the access */
} DepAccess;

typedef enum {
    DEP_INDEPENDENT,
    DEP_REDUCTION,
    DEP_TWO_AXIS,
    DEP_SCHEDULED,
    DEP_GENERAL,
} DepClass;

typedef struct {
    const IrOp *op;
    const char *vars[3]; /* the body's loop variables: source names, else i / i, j, v / j */
    int nvars;
    DepAccess *accesses; /* in op order, body first, each once (two that print alike but differ
                          * in a value, as `w[i + off]` for two reads of off, both kept) */
    int naccesses;
    DepClass cls;
    const char *reason;
} DepLoop;

/* Analyses one parallel loop op: its accesses (names recovered from `src`, the text the op's
 * spans point into, when it is the DML source; NULL is fine) and its class. Everything is
 * allocated in `arena`. */
void dep_analyse_loop(const IrOp *loop, const SrcFile *src, Arena *arena, DepLoop *out);

/* "read X[:, j]", "write w[j]", "accumulate r", "read y[idx[i]] (index not affine)", with
 * " (priority)" or " (conflict)" for the schedule's lambdas. */
void dep_format_access(const DepAccess *a, Buf *out);
/* "i", "2*i + 1", "n - i - 1". */
void dep_format_affine(const DepAffine *a, Buf *out);
/* "X[:, j]", "w[i + 1]", "r" (no kind). */
void dep_format_ref(const DepAccess *a, Buf *out);

/* "independent", "reduction", "two-axis", "scheduled", "general". */
const char *dep_class_name(DepClass c);

/* ---- depend_map.c: accesses and maps (used by depend.c) ---- */

/* Collects the accesses of the loop into out->accesses (out->op and out->vars set). */
void dep_collect_accesses(const IrOp *loop, const SrcFile *src, Arena *arena, DepLoop *out);
/* True when two affine forms are equal. */
bool dep_affine_equal(const DepAffine *a, const DepAffine *b);
/* True when two accesses select the same elements for the same values of the loop variables. */
bool dep_same_map(const DepAccess *a, const DepAccess *b);
/* The loop variable names of a `parallel for` or `for` op, read from the source text its span
 * points at; false when the text is not DML (an .ir or .plan file) or does not match. */
bool dep_source_loop_vars(const SrcFile *src, const IrOp *op, const char **names, int n,
                          Arena *arena);

#endif
