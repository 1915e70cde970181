/* topo.c: the machine's cores and NUMA domains found with hwloc, the workers' layout over them,
 * thread pinning, and the row-block placement of large tensors (topo.h).
 *
 * Loading precomputes everything the accessors answer (domains, cores in domain order, the first
 * core of each domain), so they are O(1) and never call hwloc. Only a bound topology (the machine
 * we run on) pins threads and binds memory; a synthetic or XML topology plans the same way but
 * leaves threads and pages where they are. */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include "executor/topo.h"

#include "support/die.h"

#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct Topo {
    hwloc_topology_t hw;
    bool bound;
    int domain_count;
    int core_count;
    int max_domain_cores;    /* the most cores any one domain has */
    hwloc_obj_t *domain_obj; /* domain d -> its NUMA node (NULL when hwloc reports none) */
    /* domain_count + 1 entries: domain d has cores [domain_first_core[d], domain_first_core[d+1])
     */
    int *domain_first_core;
    hwloc_obj_t *core_obj; /* core c (domain order) -> its hwloc Core (or PU) object */
    int *core_domain;      /* core c -> its domain */
};

/* ---- loading ---- */

/* The index of the first domain whose NUMA node's cpuset intersects the core's (a core under two
 * memory nodes, such as DDR and HBM of one package, belongs to the first); 0 when none does. */
static int domain_of_core(const Topo *t, hwloc_obj_t core)
{
    for (int d = 0; d < t->domain_count; d++) {
        hwloc_obj_t node = t->domain_obj[d];
        if (node && node->cpuset && core->cpuset &&
            hwloc_bitmap_intersects(node->cpuset, core->cpuset))
            return d;
    }
    return 0;
}

/* Fills the precomputed tables from the loaded hwloc topology (which has at least one PU). False
 * when memory runs out. */
static bool index_topology(Topo *t)
{
    int nodes = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_NUMANODE);
    t->domain_count = nodes > 0 ? nodes : 1;
    hwloc_obj_type_t core_type = HWLOC_OBJ_CORE;
    int cores = hwloc_get_nbobjs_by_type(t->hw, core_type);
    if (cores <= 0) {
        core_type = HWLOC_OBJ_PU;
        cores = hwloc_get_nbobjs_by_type(t->hw, core_type);
    }
    if (cores <= 0)
        return false;
    t->core_count = cores;

    t->domain_obj = calloc((size_t)t->domain_count, sizeof *t->domain_obj);
    t->domain_first_core = calloc((size_t)t->domain_count + 1, sizeof *t->domain_first_core);
    t->core_obj = calloc((size_t)cores, sizeof *t->core_obj);
    t->core_domain = calloc((size_t)cores, sizeof *t->core_domain);
    int *domain_of = calloc((size_t)cores, sizeof *domain_of);
    if (!t->domain_obj || !t->domain_first_core || !t->core_obj || !t->core_domain || !domain_of) {
        free(domain_of);
        return false;
    }
    for (int d = 0; d < nodes; d++)
        t->domain_obj[d] = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_NUMANODE, (unsigned)d);
    for (int i = 0; i < cores; i++)
        domain_of[i] = domain_of_core(t, hwloc_get_obj_by_type(t->hw, core_type, (unsigned)i));

    /* Domain order, and by logical index inside a domain. */
    int c = 0;
    for (int d = 0; d < t->domain_count; d++) {
        t->domain_first_core[d] = c;
        for (int i = 0; i < cores; i++) {
            if (domain_of[i] != d)
                continue;
            t->core_obj[c] = hwloc_get_obj_by_type(t->hw, core_type, (unsigned)i);
            t->core_domain[c] = d;
            c++;
        }
        int n = c - t->domain_first_core[d];
        if (n > t->max_domain_cores)
            t->max_domain_cores = n;
    }
    t->domain_first_core[t->domain_count] = c;
    free(domain_of);
    return true;
}

/* Hands the source to hwloc before loading; fills err when it refuses it. */
static bool select_source(hwloc_topology_t hw, TopoSource source, const char *spec, RtError *err)
{
    switch (source) {
    case TOPO_THIS_MACHINE:
        /* The defaults are what binding needs: the OS backend, whose topology is this system,
         * holding only the PUs and nodes the process may use (cgroup cpusets excluded). */
        return true;
    case TOPO_SYNTHETIC:
        if (!spec || !*spec || hwloc_topology_set_synthetic(hw, spec) < 0)
            return rt_errorf(err,
                             "topology: cannot parse synthetic description '%s': expected hwloc "
                             "syntax such as 'numa:2 core:4 pu:1'",
                             spec ? spec : "");
        return true;
    case TOPO_XML: {
        if (!spec || !*spec)
            return rt_errorf(err, "topology: no XML file given: expected the path of an hwloc "
                                  "XML export (lstopo --of xml)");
        FILE *f = fopen(spec, "rb");
        if (!f)
            return rt_errorf(err, "topology: cannot read XML file '%s': %s", spec, strerror(errno));
        fclose(f);
        if (hwloc_topology_set_xml(hw, spec) < 0)
            return rt_errorf(err,
                             "topology: cannot load XML file '%s': expected an hwloc XML export "
                             "(lstopo --of xml)",
                             spec);
        return true;
    }
    }
    return rt_errorf(err, "topology: unknown topology source %d", (int)source);
}

/* Writes what the topology is called in messages ("XML file 'x.xml'"). */
static void describe_source(TopoSource source, const char *spec, char *out, size_t size)
{
    switch (source) {
    case TOPO_THIS_MACHINE:
        snprintf(out, size, "this machine");
        return;
    case TOPO_SYNTHETIC:
        snprintf(out, size, "synthetic description '%s'", spec ? spec : "");
        return;
    case TOPO_XML:
        snprintf(out, size, "XML file '%s'", spec ? spec : "");
        return;
    }
    snprintf(out, size, "the topology");
}

/* Loads the topology from `source` and indexes its domains and cores; NULL and err on failure. */
Topo *topo_load(TopoSource source, const char *spec, RtError *err)
{
    Topo *t = calloc(1, sizeof *t);
    if (!t) {
        rt_errorf(err, "topology: out of memory");
        return NULL;
    }
    if (hwloc_topology_init(&t->hw) < 0) {
        rt_errorf(err, "topology: cannot initialise hwloc: %s", strerror(errno));
        free(t);
        return NULL;
    }
    if (!select_source(t->hw, source, spec, err)) {
        topo_free(t);
        return NULL;
    }
    char what[512];
    describe_source(source, spec, what, sizeof what);
    if (hwloc_topology_load(t->hw) < 0) {
        rt_errorf(err, "topology: cannot load %s: %s", what, strerror(errno));
        topo_free(t);
        return NULL;
    }
    t->bound = source == TOPO_THIS_MACHINE && hwloc_topology_is_thissystem(t->hw);
    if (hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_PU) <= 0) {
        rt_errorf(err, "topology: %s has no processing units: expected at least one core", what);
        topo_free(t);
        return NULL;
    }
    if (!index_topology(t)) {
        rt_errorf(err, "topology: out of memory while indexing %s", what);
        topo_free(t);
        return NULL;
    }
    return t;
}

/* Releases the topology and its tables (NULL is fine). */
void topo_free(Topo *t)
{
    if (!t)
        return;
    if (t->hw)
        hwloc_topology_destroy(t->hw);
    free(t->domain_obj);
    free(t->domain_first_core);
    free(t->core_obj);
    free(t->core_domain);
    free(t);
}

/* ---- cores and domains ---- */

/* True for the machine we run on. */
bool topo_is_bound(const Topo *t)
{
    return t->bound;
}

/* The number of NUMA domains (at least 1). */
int topo_domains(const Topo *t)
{
    return t->domain_count;
}

/* The number of cores (at least 1). */
int topo_cores(const Topo *t)
{
    return t->core_count;
}

/* The domain of core `core` (domain order). */
int topo_core_domain(const Topo *t, int core)
{
    if (core < 0 || core >= t->core_count)
        DIE("topo_core_domain: core %d of %d", core, t->core_count);
    return t->core_domain[core];
}

/* ---- the workers' layout ----
 *
 * The rule. Let C be the cores and n[d] the cores of domain d. `workers` = L*C + R (0 <= R < C):
 * each of the L full laps puts one worker on every core, and the R workers left are dealt round
 * robin over the domains in order, one per domain per round, skipping a domain whose cores all
 * have one already. So domain d gets L*n[d] + r[d] workers, where r[d] is its share of that deal:
 * r[d] = min(n[d], h) for the largest h with sum_d min(n[d], h) <= R, plus one more for the first
 * R - sum_d min(n[d], h) domains (in order) with n[d] > h. Workers are numbered domain by domain
 * (domain 0's first), and worker j of domain d runs on that domain's core j mod n[d].
 *
 * With equal domains this is the most even split possible, the extra workers on the lower
 * domains: 4 domains of 4 cores and 6 workers give 2, 2, 1, 1. */

/* The partial round's level h and how many domains get a worker above it (`extra`). */
typedef struct {
    int laps;
    int level;
    int extra;
} WorkerDeal;

/* The workers that min(n[d], h) puts on the domains: sum over d of min(n[d], h). */
static int64_t dealt_up_to(const Topo *t, int h)
{
    int64_t sum = 0;
    for (int d = 0; d < t->domain_count; d++) {
        int n = t->domain_first_core[d + 1] - t->domain_first_core[d];
        sum += n < h ? n : h;
    }
    return sum;
}

/* The deal of `workers` workers (see the rule above). */
static WorkerDeal deal_workers(const Topo *t, int workers)
{
    WorkerDeal deal = {.laps = workers / t->core_count};
    int rest = workers % t->core_count;
    /* dealt_up_to(0) = 0 <= rest < core_count = dealt_up_to(max_domain_cores). */
    int lo = 0, hi = t->max_domain_cores;
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (dealt_up_to(t, mid) <= rest)
            lo = mid;
        else
            hi = mid;
    }
    deal.level = lo;
    deal.extra = rest - (int)dealt_up_to(t, lo);
    return deal;
}

/* The first worker of each domain, walked until the one holding worker w: returns its domain and
 * sets *index to w's number inside it. */
static int worker_place(const Topo *t, int workers, int w, int *index)
{
    if (workers < 1 || w < 0 || w >= workers)
        DIE("topology: worker %d of %d", w, workers);
    WorkerDeal deal = deal_workers(t, workers);
    int extra_left = deal.extra;
    int first = 0;
    for (int d = 0; d < t->domain_count; d++) {
        int n = t->domain_first_core[d + 1] - t->domain_first_core[d];
        int count = deal.laps * n + (n < deal.level ? n : deal.level);
        if (n > deal.level && extra_left > 0) {
            count++;
            extra_left--;
        }
        if (w < first + count) {
            *index = w - first;
            return d;
        }
        first += count;
    }
    UNREACHABLE();
}

/* The core of worker w among `workers`. */
int topo_worker_core(const Topo *t, int workers, int w)
{
    int index;
    int d = worker_place(t, workers, w, &index);
    int n = t->domain_first_core[d + 1] - t->domain_first_core[d];
    return t->domain_first_core[d] + index % n;
}

/* The domain of worker w among `workers`. */
int topo_worker_domain(const Topo *t, int workers, int w)
{
    int index;
    return worker_place(t, workers, w, &index);
}

/* Binds the calling thread to the core's PUs (bound topologies only). */
bool topo_pin_thread(const Topo *t, int core, RtError *err)
{
    if (core < 0 || core >= t->core_count)
        return rt_errorf(err, "topology: cannot pin a thread to core %d: expected a core in 0..%d",
                         core, t->core_count - 1);
    if (!t->bound)
        return true;
    hwloc_const_cpuset_t cpuset = t->core_obj[core]->cpuset;
    if (hwloc_set_cpubind(t->hw, cpuset, HWLOC_CPUBIND_THREAD) == 0)
        return true;
    int error = errno;
    char *pus = NULL;
    if (hwloc_bitmap_list_asprintf(&pus, cpuset) < 0)
        pus = NULL;
    rt_errorf(err, "topology: cannot pin a thread to core %d (PUs %s): %s", core, pus ? pus : "?",
              strerror(error));
    free(pus);
    return false;
}

/* ---- row blocks ---- */

/* floor(chunks * d / domains) without overflow (0 <= d <= domains). */
static int64_t chunk_boundary(int64_t chunks, int d, int domains)
{
    int64_t quotient = chunks / domains, remainder = chunks % domains;
    return quotient * d + remainder * d / domains;
}

/* The split: rows are cut in chunks of align_rows (the last may be short) and domain d gets chunks
 * [floor(d*K/D), floor((d+1)*K/D)) of the K chunks, so blocks differ by at most one chunk and the
 * later domains take the larger shares (the short last chunk lands on the last domain). */
void topo_split_rows(int64_t rows, int domains, int64_t align_rows, int64_t *starts)
{
    if (domains < 1) {
        starts[0] = 0;
        return;
    }
    if (rows < 0)
        rows = 0;
    if (align_rows < 1)
        align_rows = 1;
    int64_t chunks = rows / align_rows + (rows % align_rows != 0);
    starts[0] = 0;
    for (int d = 1; d < domains; d++)
        starts[d] = align_rows * chunk_boundary(chunks, d, domains);
    starts[domains] = rows;
}

/* The last domain whose block starts at or before `row` (so empty blocks are passed over); rows
 * before 0 belong to domain 0 and rows past the end to the last domain. */
int topo_row_domain(const int64_t *starts, int domains, int64_t row)
{
    int lo = 0, hi = domains; /* starts[lo] <= row (or lo = 0); the answer is below hi */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (starts[mid] <= row)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ---- placed memory ---- */

/* The system page size. */
static size_t page_size(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

/* The bytes actually mapped for a request of `bytes`: whole pages, at least one (so that an
 * empty tensor still gets a distinct pointer). */
static size_t mapped_bytes(size_t bytes)
{
    size_t page = page_size();
    if (bytes == 0)
        return page;
    if (bytes > SIZE_MAX - (page - 1))
        return 0;
    return (bytes + page - 1) / page * page;
}

/* The byte offset where row `row` starts, clamped to `limit` (no overflow). */
static size_t row_offset(int64_t row, size_t row_bytes, size_t limit)
{
    if (row <= 0)
        return 0;
    if (row_bytes != 0 && (uint64_t)row > limit / row_bytes)
        return limit;
    size_t offset = (size_t)row * row_bytes;
    return offset < limit ? offset : limit;
}

/* Binds each domain's page range: domain d gets pages [ceil(b0/P), ceil(b1/P)) where [b0, b1) are
 * its block's bytes, so a page shared by two blocks goes to the earlier one, and the last domain
 * also takes the pages past the last row. A refused binding leaves those pages unbound: placement
 * is about speed, never about correctness. */
static void bind_blocks(const Topo *t, char *base, size_t length, size_t row_bytes,
                        const int64_t *starts)
{
    size_t page = page_size();
    for (int d = 0; d < t->domain_count; d++) {
        hwloc_obj_t node = t->domain_obj[d];
        if (!node || !node->nodeset)
            continue;
        size_t begin = row_offset(starts[d], row_bytes, length);
        size_t end =
            d + 1 == t->domain_count ? length : row_offset(starts[d + 1], row_bytes, length);
        begin = (begin + page - 1) / page * page;
        end = (end + page - 1) / page * page;
        if (end <= begin)
            continue;
        hwloc_set_area_membind(t->hw, base + begin, end - begin, node->nodeset, HWLOC_MEMBIND_BIND,
                               HWLOC_MEMBIND_BYNODESET);
    }
}

/* Allocates whole pages for `bytes` and, on a bound topology of several domains that can bind
 * memory, binds each row block's pages to its domain. The memory is not touched. */
void *topo_alloc_placed(const Topo *t, size_t bytes, size_t row_bytes, const int64_t *starts)
{
    size_t length = mapped_bytes(bytes);
    if (length == 0)
        return NULL;
    void *p = hwloc_alloc(t->hw, length);
    if (!p)
        return NULL;
    const struct hwloc_topology_support *support = hwloc_topology_get_support(t->hw);
    bool can_bind = support && support->membind->set_area_membind && support->membind->bind_membind;
    if (t->bound && t->domain_count > 1 && starts && can_bind)
        bind_blocks(t, p, length, row_bytes, starts);
    return p;
}

/* Frees what topo_alloc_placed returned for the same `bytes` (NULL is fine). */
void topo_free_placed(const Topo *t, void *p, size_t bytes)
{
    if (p)
        hwloc_free(t->hw, p, mapped_bytes(bytes));
}

/* The domain whose NUMA node holds the page of p, as the OS reports it; -1 when the page is not
 * yet touched, the topology is not bound, or the OS cannot tell. */
int topo_page_domain(const Topo *t, const void *p)
{
    if (!p || !t->bound)
        return -1;
    hwloc_nodeset_t nodes = hwloc_bitmap_alloc();
    if (!nodes)
        return -1;
    int domain = -1;
    if (hwloc_get_area_memlocation(t->hw, p, 1, nodes, HWLOC_MEMBIND_BYNODESET) == 0) {
        int os_index = hwloc_bitmap_first(nodes);
        for (int d = 0; d < t->domain_count && os_index >= 0; d++) {
            if (t->domain_obj[d] && t->domain_obj[d]->os_index == (unsigned)os_index) {
                domain = d;
                break;
            }
        }
    }
    hwloc_bitmap_free(nodes);
    return domain;
}
