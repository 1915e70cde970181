/* interp_place.c: where a run's large tensors live on a machine with several NUMA domains.
 *
 * A tensor of at least PLACE_MIN_BYTES is split by rows over the domains exactly as the kernels
 * cut their row blocks (interp_block_rows: blocks of about 65536 elements, whole blocks per
 * domain), and each domain's pages are bound to it (topo_alloc_placed). Nothing touches the pages
 * when they are allocated: the first write is a kernel block task, which runs on the domain that
 * owns its rows (interp_kernel.c), so the first touch is that domain's too. With one domain there
 * is nothing to place and no placer is installed. */
#include "executor/interp_internal.h"

#include <stdlib.h>

enum { BLOCK_ELEMS = 1 << 16, MAX_DOMAINS = 64 };
static const size_t PLACE_MIN_BYTES = 1 << 20;

int64_t interp_block_rows(int64_t row_elems)
{
    if (row_elems < 1)
        row_elems = 1;
    return BLOCK_ELEMS / row_elems > 1 ? BLOCK_ELEMS / row_elems : 1;
}

static void *place_alloc(const TensorPlacer *p, size_t bytes, int64_t rows, int64_t row_elems,
                         size_t elem)
{
    const Topo *topo = p->user;
    int domains = topo_domains(topo);
    int64_t starts[MAX_DOMAINS + 1];
    topo_split_rows(rows, domains, interp_block_rows(row_elems), starts);
    return topo_alloc_placed(topo, bytes, (size_t)row_elems * elem, starts);
}

static void place_free(const TensorPlacer *p, void *data, size_t bytes)
{
    topo_free_placed(p->user, data, bytes);
}

bool interp_placer_init(TensorPlacer *placer, const Pool *pool)
{
    const Topo *topo = pool_topo(pool);
    int domains = topo_domains(topo);
    if (domains < 2 || domains > MAX_DOMAINS)
        return false;
    *placer = (TensorPlacer){.alloc = place_alloc,
                             .free = place_free,
                             .user = (void *)topo,
                             .min_bytes = PLACE_MIN_BYTES};
    return true;
}
