/* topo.h: the machine as the executor sees it: cores grouped by NUMA domain, found with hwloc, and
 * where the row blocks of a large tensor live.
 *
 * A Topo is loaded from this machine, or from a synthetic description or an XML file so that the
 * placement logic can be tested for 2 and 4 domains on a one-node machine. Only the real machine's
 * topology pins threads and binds memory; a synthetic or XML one plans without binding (the
 * `bound` flag says which).
 *
 * Placement: a tensor with `rows` rows is split into one contiguous row block per domain, the
 * block boundaries rounded to `align_rows` so that a block never splits a chunk of the fixed-size
 * reductions. Its storage is one contiguous page-aligned allocation (BLAS and kernels want one
 * array) whose page ranges are bound to the domains that own the blocks. */
#ifndef DMLC_EXECUTOR_TOPO_H
#define DMLC_EXECUTOR_TOPO_H

#include "executor/value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Topo Topo;

/* Where the topology comes from. */
typedef enum {
    TOPO_THIS_MACHINE,
    TOPO_SYNTHETIC, /* hwloc synthetic description, e.g. "pack:2 numa:1 core:4 pu:1" */
    TOPO_XML,       /* path to an hwloc XML export (lstopo --of xml) */
} TopoSource;

/* Loads a topology. `spec` is NULL for TOPO_THIS_MACHINE. On failure returns NULL and fills err
 * ("topology: cannot parse synthetic description 'x': ..."). */
Topo *topo_load(TopoSource source, const char *spec, RtError *err);
void topo_free(Topo *t);

/* True when this is the machine we run on (threads can be pinned and memory bound). */
bool topo_is_bound(const Topo *t);
/* NUMA domains, at least 1 (a machine without NUMA information has one). */
int topo_domains(const Topo *t);
/* Cores (not hardware threads) in the whole machine, at least 1. */
int topo_cores(const Topo *t);
/* The cores of the machine ordered by domain: domain 0's cores first. Core c of that order lives
 * in domain topo_core_domain(t, c). */
int topo_core_domain(const Topo *t, int core);

/* The workers' layout: `workers` workers (1 ≤ workers; more than the cores is allowed and then the
 * cores are reused round robin) take cores so that the domains are used as evenly as possible:
 * worker w runs on core topo_worker_core(t, workers, w), and its domain is the core's. Workers of
 * one domain are numbered contiguously. */
int topo_worker_core(const Topo *t, int workers, int w);
int topo_worker_domain(const Topo *t, int workers, int w);
/* Pins the calling thread to the core (no-op returning true on an unbound topology). */
bool topo_pin_thread(const Topo *t, int core, RtError *err);

/* ---- placement of row blocks ---- */

/* The split of `rows` rows over `domains` domains: block d is rows [starts[d], starts[d+1]). Block
 * boundaries are multiples of align_rows (except the last end, which is rows); an empty block is
 * allowed when rows are few. starts has domains + 1 entries. */
void topo_split_rows(int64_t rows, int domains, int64_t align_rows, int64_t *starts);
/* The domain that owns `row` under that split. */
int topo_row_domain(const int64_t *starts, int domains, int64_t row);

/* Allocates `bytes` page-aligned bytes whose row blocks (each `row_bytes` bytes per row, split by
 * `starts` over the topology's domains) are bound to their domains with hwloc (on a bound
 * topology), untouched: the first touch is the caller's, by the owning domain's workers. Returns
 * NULL when memory runs out. topo_free_placed releases it. */
void *topo_alloc_placed(const Topo *t, size_t bytes, size_t row_bytes, const int64_t *starts);
void topo_free_placed(const Topo *t, void *p, size_t bytes);
/* The domain hwloc reports for the page holding p (-1 when unknown); tests use it. */
int topo_page_domain(const Topo *t, const void *p);

#endif
