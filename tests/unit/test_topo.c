/* test_topo.c: the topology and placement module (executor/topo.h): domains and cores of synthetic
 * and XML machines of 2 and 4 NUMA domains (this machine has one), the exact worker layouts and
 * row splits, clean errors for bad descriptions and files, and pinning and placed memory on the
 * machine the tests run on.
 *
 * Every expected number is derived by hand from the rules written in executor/topo.c; the XML
 * files come from tests/data/topo/make_topo_data.sh. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_* macros */
#include "executor/topo.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

TestSuite(topo);

/* ---- helpers ---- */

/* The path of a file of tests/data/topo/, from this file's path (CMake compiles it by absolute
 * path). */
static void data_path(const char *name, char *out, size_t size)
{
    const char *self = __FILE__;
    const char *tail = strstr(self, "tests/unit/test_topo.c");
    int root = tail ? (int)(tail - self) : 0;
    snprintf(out, size, "%.*stests/data/topo/%s", root, self, name);
}

/* Loads a topology that must load. */
static Topo *load_ok(TopoSource source, const char *spec)
{
    RtError err = {0};
    Topo *t = topo_load(source, spec, &err);
    cr_assert_not_null(t, "cannot load '%s': %s", spec ? spec : "this machine", err.message);
    cr_assert(!err.set);
    return t;
}

/* Loads an XML file of tests/data/topo/. */
static Topo *load_xml_ok(const char *name)
{
    char path[1024];
    data_path(name, path, sizeof path);
    return load_ok(TOPO_XML, path);
}

/* Asserts that core c lives in domain expected[c] for every core. */
static void assert_core_domains(const Topo *t, const int *expected, int cores)
{
    cr_assert_eq(topo_cores(t), cores);
    for (int c = 0; c < cores; c++)
        cr_assert_eq(topo_core_domain(t, c), expected[c], "core %d: domain %d, expected %d", c,
                     topo_core_domain(t, c), expected[c]);
}

/* Asserts the layout of `workers` workers: worker w on core cores[w] in domain domains[w]. */
static void assert_layout(const Topo *t, int workers, const int *cores, const int *domains)
{
    for (int w = 0; w < workers; w++) {
        cr_assert_eq(topo_worker_core(t, workers, w), cores[w],
                     "%d workers: worker %d on core %d, expected %d", workers, w,
                     topo_worker_core(t, workers, w), cores[w]);
        cr_assert_eq(topo_worker_domain(t, workers, w), domains[w],
                     "%d workers: worker %d in domain %d, expected %d", workers, w,
                     topo_worker_domain(t, workers, w), domains[w]);
    }
}

/* Asserts the split of rows over domains. */
static void assert_split(int64_t rows, int domains, int64_t align, const int64_t *expected)
{
    int64_t starts[16];
    cr_assert_lt(domains, 15);
    for (int i = 0; i < 16; i++)
        starts[i] = -7; /* so an unwritten entry shows */
    topo_split_rows(rows, domains, align, starts);
    for (int d = 0; d <= domains; d++)
        cr_assert_eq(starts[d], expected[d],
                     "split of %lld rows over %d domains by %lld: starts[%d] = %lld, expected %lld",
                     (long long)rows, domains, (long long)align, d, (long long)starts[d],
                     (long long)expected[d]);
    cr_assert_eq(starts[domains + 1], -7, "wrote past starts[domains]");
}

/* ---- domains and cores ---- */

Test(topo, two_numa_nodes_of_four_cores)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "numa:2 core:4 pu:1");
    cr_assert(!topo_is_bound(t));
    cr_assert_eq(topo_domains(t), 2);
    static const int domains[] = {0, 0, 0, 0, 1, 1, 1, 1};
    assert_core_domains(t, domains, 8);
    topo_free(t);
}

Test(topo, four_domains_count_cores_not_hardware_threads)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "pack:2 numa:2 core:4 pu:2");
    cr_assert(!topo_is_bound(t));
    cr_assert_eq(topo_domains(t), 4);
    static const int domains[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
    assert_core_domains(t, domains, 16);
    topo_free(t);
}

Test(topo, machine_without_cores_uses_hardware_threads)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "numa:2 pu:3");
    cr_assert_eq(topo_domains(t), 2);
    static const int domains[] = {0, 0, 0, 1, 1, 1};
    assert_core_domains(t, domains, 6);
    topo_free(t);
}

Test(topo, machine_without_numa_level_has_one_domain)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "pack:2 core:3 pu:2");
    cr_assert_eq(topo_domains(t), 1);
    static const int domains[] = {0, 0, 0, 0, 0, 0};
    assert_core_domains(t, domains, 6);
    topo_free(t);
}

/* Two memory nodes per package over the same cores (as DDR and HBM): each core belongs to the
 * first node covering it, so domains 1 and 3 have memory but no cores. */
Test(topo, second_memory_node_of_a_package_has_no_cores)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "pack:2 [numa] [numa] core:2 pu:1");
    cr_assert_eq(topo_domains(t), 4);
    static const int domains[] = {0, 0, 2, 2};
    assert_core_domains(t, domains, 4);
    /* Workers go only where cores are: 3 workers -> 2 on domain 0, 1 on domain 2. */
    static const int cores3[] = {0, 1, 2}, domains3[] = {0, 0, 2};
    assert_layout(t, 3, cores3, domains3);
    /* 6 workers: one lap of 4, then one more on each domain with cores. */
    static const int cores6[] = {0, 1, 0, 2, 3, 2}, domains6[] = {0, 0, 0, 2, 2, 2};
    assert_layout(t, 6, cores6, domains6);
    topo_free(t);
}

Test(topo, four_domain_xml_export_loads)
{
    Topo *t = load_xml_ok("four_domains.xml");
    cr_assert(!topo_is_bound(t));
    cr_assert_eq(topo_domains(t), 4);
    static const int domains[] = {0, 0, 1, 1, 2, 2, 3, 3};
    assert_core_domains(t, domains, 8);
    static const int cores6[] = {0, 1, 2, 3, 4, 6}, domains6[] = {0, 0, 1, 1, 2, 3};
    assert_layout(t, 6, cores6, domains6);
    topo_free(t);
}

/* ---- the workers' layout ---- */

Test(topo, workers_on_two_domains)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "numa:2 core:4 pu:1");
    static const int cores1[] = {0}, domains1[] = {0};
    assert_layout(t, 1, cores1, domains1);
    static const int cores2[] = {0, 4}, domains2[] = {0, 1};
    assert_layout(t, 2, cores2, domains2);
    static const int cores3[] = {0, 1, 4}, domains3[] = {0, 0, 1};
    assert_layout(t, 3, cores3, domains3);
    static const int cores8[] = {0, 1, 2, 3, 4, 5, 6, 7}, domains8[] = {0, 0, 0, 0, 1, 1, 1, 1};
    assert_layout(t, 8, cores8, domains8);
    /* One more worker than cores: domain 0 takes 5 and reuses its first core. */
    static const int cores9[] = {0, 1, 2, 3, 0, 4, 5, 6, 7};
    static const int domains9[] = {0, 0, 0, 0, 0, 1, 1, 1, 1};
    assert_layout(t, 9, cores9, domains9);
    topo_free(t);
}

Test(topo, workers_on_four_domains_of_four_cores)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "pack:2 numa:2 core:4 pu:2");
    static const int cores4[] = {0, 4, 8, 12}, domains4[] = {0, 1, 2, 3};
    assert_layout(t, 4, cores4, domains4);
    static const int cores6[] = {0, 1, 4, 5, 8, 12}, domains6[] = {0, 0, 1, 1, 2, 3};
    assert_layout(t, 6, cores6, domains6);
    static const int cores7[] = {0, 1, 4, 5, 8, 9, 12}, domains7[] = {0, 0, 1, 1, 2, 2, 3};
    assert_layout(t, 7, cores7, domains7);
    static const int cores16[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const int domains16[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
    assert_layout(t, 16, cores16, domains16);
    /* 18 = one lap of 16, then 2 dealt to domains 0 and 1: 5, 5, 4, 4. */
    static const int cores18[] = {0, 1, 2, 3, 0, 4, 5, 6, 7, 4, 8, 9, 10, 11, 12, 13, 14, 15};
    static const int domains18[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
    assert_layout(t, 18, cores18, domains18);
    topo_free(t);
}

Test(topo, workers_on_uneven_domains_fill_the_larger_one)
{
    Topo *t = load_xml_ok("uneven_domains.xml"); /* domain 0: cores 0-3, domain 1: core 4 */
    cr_assert_eq(topo_domains(t), 2);
    static const int domains[] = {0, 0, 0, 0, 1};
    assert_core_domains(t, domains, 5);
    static const int cores2[] = {0, 4}, domains2[] = {0, 1};
    assert_layout(t, 2, cores2, domains2);
    /* Domain 1 is full after one worker: the rest go to domain 0. */
    static const int cores4[] = {0, 1, 2, 4}, domains4[] = {0, 0, 0, 1};
    assert_layout(t, 4, cores4, domains4);
    static const int cores5[] = {0, 1, 2, 3, 4}, domains5[] = {0, 0, 0, 0, 1};
    assert_layout(t, 5, cores5, domains5);
    /* 7 = one lap of 5, then 2 dealt one per domain: 5 and 2. */
    static const int cores7[] = {0, 1, 2, 3, 0, 4, 4}, domains7[] = {0, 0, 0, 0, 0, 1, 1};
    assert_layout(t, 7, cores7, domains7);
    topo_free(t);
}

/* For every worker count up to three laps: workers of a domain are contiguous, each worker's
 * domain is its core's, every core carries floor or ceil of workers/cores, and domains of equal
 * size differ by at most one worker. */
static void assert_layout_properties(const Topo *t)
{
    int cores = topo_cores(t), domains = topo_domains(t);
    int load[64], per_domain[8], domain_cores[8];
    cr_assert_leq(cores, 64);
    cr_assert_leq(domains, 8);
    memset(domain_cores, 0, sizeof domain_cores);
    for (int c = 0; c < cores; c++)
        domain_cores[topo_core_domain(t, c)]++;
    for (int workers = 1; workers <= 3 * cores; workers++) {
        memset(load, 0, sizeof load);
        memset(per_domain, 0, sizeof per_domain);
        int previous = 0;
        for (int w = 0; w < workers; w++) {
            int core = topo_worker_core(t, workers, w);
            int domain = topo_worker_domain(t, workers, w);
            cr_assert(core >= 0 && core < cores);
            cr_assert_eq(domain, topo_core_domain(t, core));
            cr_assert_geq(domain, previous, "%d workers: worker %d goes back to domain %d", workers,
                          w, domain);
            previous = domain;
            load[core]++;
            per_domain[domain]++;
        }
        for (int c = 0; c < cores; c++)
            cr_assert(load[c] == workers / cores || load[c] == workers / cores + 1,
                      "%d workers: core %d carries %d", workers, c, load[c]);
        for (int a = 0; a < domains; a++)
            for (int b = 0; b < domains; b++)
                if (domain_cores[a] == domain_cores[b])
                    cr_assert_leq(per_domain[a] - per_domain[b], 1,
                                  "%d workers: domain %d has %d, domain %d has %d", workers, a,
                                  per_domain[a], b, per_domain[b]);
    }
}

Test(topo, layouts_are_contiguous_and_balanced_for_every_worker_count)
{
    static const char *const specs[] = {"numa:2 core:4 pu:1", "pack:2 numa:2 core:4 pu:2",
                                        "pack:2 [numa] [numa] core:2 pu:1", "numa:3 core:3 pu:1",
                                        "core:5 pu:2"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        Topo *t = load_ok(TOPO_SYNTHETIC, specs[i]);
        assert_layout_properties(t);
        topo_free(t);
    }
    Topo *t = load_xml_ok("uneven_domains.xml");
    assert_layout_properties(t);
    topo_free(t);
}

/* ---- row splits ---- */

Test(topo, split_even_rows)
{
    static const int64_t by1[] = {0, 25, 50, 75, 100};
    assert_split(100, 4, 1, by1);
    static const int64_t two[] = {0, 500, 1000};
    assert_split(1000, 2, 1, two);
}

Test(topo, split_boundaries_are_multiples_of_the_alignment)
{
    /* 100 rows = 13 chunks of 8 (the last of 4 rows): 3, 3, 3, 4 chunks. */
    static const int64_t by8[] = {0, 24, 48, 72, 100};
    assert_split(100, 4, 8, by8);
    /* 4 chunks of 32 (the last of 4 rows): one each. */
    static const int64_t by32[] = {0, 32, 64, 96, 100};
    assert_split(100, 4, 32, by32);
    /* 30 rows = 4 chunks of 8: 2 and 2. */
    static const int64_t by8of30[] = {0, 16, 30};
    assert_split(30, 2, 8, by8of30);
    /* 7 rows = 3 chunks of 3 (the last of 1 row). */
    static const int64_t by3of7[] = {0, 3, 6, 7};
    assert_split(7, 3, 3, by3of7);
}

Test(topo, split_of_few_rows_leaves_empty_blocks)
{
    /* 3 rows, 4 domains: floor(3d/4) = 0, 0, 1, 2. */
    static const int64_t few[] = {0, 0, 1, 2, 3};
    assert_split(3, 4, 1, few);
    /* 5 rows are one chunk of 8: all on the last domain. */
    static const int64_t one_chunk[] = {0, 0, 5};
    assert_split(5, 2, 8, one_chunk);
    static const int64_t none[] = {0, 0, 0, 0, 0};
    assert_split(0, 4, 8, none);
    assert_split(-5, 4, 8, none);
}

Test(topo, split_over_one_domain_and_odd_alignments)
{
    static const int64_t whole[] = {0, 10};
    assert_split(10, 1, 4, whole);
    /* An alignment below 1 counts as 1. */
    static const int64_t by1[] = {0, 3, 6, 10};
    assert_split(10, 3, 0, by1);
    assert_split(10, 3, -8, by1);
    /* An alignment larger than the rows: one chunk, on the last domain. */
    static const int64_t huge[] = {0, 0, 0, 10};
    assert_split(10, 3, 1024, huge);
}

Test(topo, split_of_the_largest_row_count_does_not_overflow)
{
    /* INT64_MAX = 3 * 3074457345618258602 + 1 */
    static const int64_t big[] = {0, 3074457345618258602, 6148914691236517204, INT64_MAX};
    assert_split(INT64_MAX, 3, 1, big);
}

Test(topo, row_domain_follows_the_split)
{
    static const int64_t by8[] = {0, 24, 48, 72, 100};
    cr_assert_eq(topo_row_domain(by8, 4, 0), 0);
    cr_assert_eq(topo_row_domain(by8, 4, 23), 0);
    cr_assert_eq(topo_row_domain(by8, 4, 24), 1);
    cr_assert_eq(topo_row_domain(by8, 4, 71), 2);
    cr_assert_eq(topo_row_domain(by8, 4, 72), 3);
    cr_assert_eq(topo_row_domain(by8, 4, 99), 3);
    /* Outside the rows: clamped to the first and last domain. */
    cr_assert_eq(topo_row_domain(by8, 4, -1), 0);
    cr_assert_eq(topo_row_domain(by8, 4, 100), 3);
    /* Empty blocks own no row: row 0 of {0, 0, 1, 2, 3} is domain 1's. */
    static const int64_t few[] = {0, 0, 1, 2, 3};
    cr_assert_eq(topo_row_domain(few, 4, 0), 1);
    cr_assert_eq(topo_row_domain(few, 4, 1), 2);
    cr_assert_eq(topo_row_domain(few, 4, 2), 3);
    static const int64_t one[] = {0, 10};
    cr_assert_eq(topo_row_domain(one, 1, 5), 0);
}

Test(topo, row_domain_agrees_with_every_split)
{
    int64_t starts[6];
    for (int domains = 1; domains <= 5; domains++)
        for (int64_t align = 1; align <= 9; align++)
            for (int64_t rows = 0; rows <= 40; rows++) {
                topo_split_rows(rows, domains, align, starts);
                cr_assert_eq(starts[0], 0);
                cr_assert_eq(starts[domains], rows);
                for (int d = 1; d < domains; d++) {
                    cr_assert_eq(starts[d] % align, 0);
                    cr_assert_leq(starts[d - 1], starts[d]);
                }
                for (int64_t row = 0; row < rows; row++) {
                    int d = topo_row_domain(starts, domains, row);
                    cr_assert(starts[d] <= row && row < starts[d + 1],
                              "rows %lld, %d domains, align %lld: row %lld in domain %d",
                              (long long)rows, domains, (long long)align, (long long)row, d);
                }
            }
}

/* ---- errors ---- */

Test(topo, bad_synthetic_description_is_refused)
{
    RtError err = {0};
    cr_assert_null(topo_load(TOPO_SYNTHETIC, "xyz", &err));
    cr_assert(err.set);
    cr_assert_str_eq(err.message, "topology: cannot parse synthetic description 'xyz': expected "
                                  "hwloc syntax such as 'numa:2 core:4 pu:1'");
    RtError empty = {0};
    cr_assert_null(topo_load(TOPO_SYNTHETIC, "", &empty));
    cr_assert_str_eq(empty.message, "topology: cannot parse synthetic description '': expected "
                                    "hwloc syntax such as 'numa:2 core:4 pu:1'");
}

Test(topo, missing_xml_file_is_refused)
{
    char path[1024], expected[1200];
    data_path("no_such_topology.xml", path, sizeof path);
    RtError err = {0};
    cr_assert_null(topo_load(TOPO_XML, path, &err));
    snprintf(expected, sizeof expected,
             "topology: cannot read XML file '%s': No such file or directory", path);
    cr_assert_str_eq(err.message, expected);
    RtError none = {0};
    cr_assert_null(topo_load(TOPO_XML, NULL, &none));
    cr_assert_str_eq(none.message, "topology: no XML file given: expected the path of an hwloc XML "
                                   "export (lstopo --of xml)");
}

Test(topo, file_that_is_not_hwloc_xml_is_refused)
{
    char path[1024], expected[1200];
    data_path("make_topo_data.sh", path, sizeof path);
    RtError err = {0};
    cr_assert_null(topo_load(TOPO_XML, path, &err));
    snprintf(expected, sizeof expected,
             "topology: cannot load XML file '%s': expected an hwloc XML export (lstopo --of xml)",
             path);
    cr_assert_str_eq(err.message, expected);
}

Test(topo, unbound_topology_pins_nothing_but_checks_the_core)
{
    Topo *t = load_ok(TOPO_SYNTHETIC, "numa:2 core:4 pu:1");
    RtError err = {0};
    cr_assert(topo_pin_thread(t, 7, &err));
    cr_assert(!err.set);
    cr_assert(!topo_pin_thread(t, 8, &err));
    cr_assert_str_eq(err.message,
                     "topology: cannot pin a thread to core 8: expected a core in 0..7");
    topo_free(t);
}

/* ---- this machine ---- */

Test(topo, this_machine_loads_bound)
{
    Topo *t = load_ok(TOPO_THIS_MACHINE, NULL);
    cr_assert(topo_is_bound(t));
    cr_assert_geq(topo_domains(t), 1);
    cr_assert_geq(topo_cores(t), 1);
    cr_assert_leq(topo_cores(t), sysconf(_SC_NPROCESSORS_CONF));
    for (int c = 0; c < topo_cores(t); c++) {
        int d = topo_core_domain(t, c);
        cr_assert(d >= 0 && d < topo_domains(t));
        cr_assert_geq(d, c > 0 ? topo_core_domain(t, c - 1) : 0, "cores not in domain order");
    }
    topo_free(t);
}

typedef struct {
    const Topo *topo;
    int core;
    bool pinned;
    RtError err;
    cpu_set_t mask;
} PinJob;

/* Pins this (fresh) thread to job->core and records the affinity the kernel then reports. */
static void *pin_and_report(void *arg)
{
    PinJob *job = arg;
    job->pinned = topo_pin_thread(job->topo, job->core, &job->err);
    CPU_ZERO(&job->mask);
    if (job->pinned && sched_getaffinity(0, sizeof job->mask, &job->mask) != 0)
        job->pinned = false;
    return NULL;
}

Test(topo, pinning_restricts_a_thread_to_its_core)
{
    Topo *t = load_ok(TOPO_THIS_MACHINE, NULL);
    int cores = topo_cores(t);
    cpu_set_t process;
    cr_assert_eq(sched_getaffinity(0, sizeof process, &process), 0);
    PinJob jobs[64];
    if (cores > 64)
        cores = 64;
    for (int c = 0; c < cores; c++) {
        jobs[c] = (PinJob){.topo = t, .core = c};
        pthread_t thread;
        cr_assert_eq(pthread_create(&thread, NULL, pin_and_report, &jobs[c]), 0);
        cr_assert_eq(pthread_join(thread, NULL), 0);
        cr_assert(jobs[c].pinned, "core %d: %s", c, jobs[c].err.message);
        int count = CPU_COUNT(&jobs[c].mask);
        cr_assert_geq(count, 1);
        if (cores > 1)
            cr_assert_lt(count, CPU_COUNT(&process), "core %d: the thread may still run anywhere",
                         c);
        for (int other = 0; other < c; other++) {
            cpu_set_t both;
            CPU_AND(&both, &jobs[c].mask, &jobs[other].mask);
            cr_assert_eq(CPU_COUNT(&both), 0, "cores %d and %d share a PU", other, c);
        }
    }
    RtError err = {0};
    cr_assert(!topo_pin_thread(t, -1, &err));
    char expected[200];
    snprintf(expected, sizeof expected,
             "topology: cannot pin a thread to core -1: expected a core in 0..%d",
             topo_cores(t) - 1);
    cr_assert_str_eq(err.message, expected);
    topo_free(t);
}

Test(topo, placed_memory_is_page_aligned_untouched_and_local)
{
    Topo *t = load_ok(TOPO_THIS_MACHINE, NULL);
    int domains = topo_domains(t);
    int64_t starts[65];
    cr_assert_leq(domains, 64);
    const int64_t rows = 1000;
    const size_t row_bytes = 100 * sizeof(double);
    topo_split_rows(rows, domains, 8, starts);
    size_t bytes = (size_t)rows * row_bytes;
    unsigned char *p = topo_alloc_placed(t, bytes, row_bytes, starts);
    cr_assert_not_null(p);
    long page = sysconf(_SC_PAGESIZE);
    cr_assert_eq((uintptr_t)p % (uintptr_t)page, 0);
    /* Nothing was touched: the pages are nowhere yet. */
    cr_assert_eq(topo_page_domain(t, p), -1);
    cr_assert_eq(topo_page_domain(t, p + bytes - 1), -1);
    memset(p, 1, bytes);
    if (domains == 1) {
        cr_assert_eq(topo_page_domain(t, p), 0);
        cr_assert_eq(topo_page_domain(t, p + bytes / 2), 0);
        cr_assert_eq(topo_page_domain(t, p + bytes - 1), 0);
    } else {
        /* A block's pages lie on its domain, except a page it shares with the block before. */
        for (int64_t row = 0; row < rows; row += 97) {
            int d = topo_row_domain(starts, domains, row);
            size_t begin = (size_t)starts[d] * row_bytes, at = (size_t)row * row_bytes;
            if (at < (begin + (size_t)page - 1) / (size_t)page * (size_t)page)
                continue;
            cr_assert_eq(topo_page_domain(t, p + at), d, "row %lld", (long long)row);
        }
    }
    topo_free_placed(t, p, bytes);
    topo_free(t);
}

Test(topo, placed_memory_of_zero_bytes_and_on_unbound_topologies)
{
    Topo *machine = load_ok(TOPO_THIS_MACHINE, NULL);
    int64_t starts[65];
    cr_assert_leq(topo_domains(machine), 64);
    topo_split_rows(0, topo_domains(machine), 8, starts);
    void *empty = topo_alloc_placed(machine, 0, 64, starts);
    cr_assert_not_null(empty);
    topo_free_placed(machine, empty, 0);
    topo_free_placed(machine, NULL, 0);
    topo_free(machine);

    /* A synthetic machine of 4 domains plans but binds nothing: plain writable memory, and no
     * page location to report. */
    Topo *t = load_ok(TOPO_SYNTHETIC, "pack:2 numa:2 core:2 pu:1");
    topo_split_rows(333, 4, 8, starts);
    size_t bytes = 333 * 24;
    unsigned char *p = topo_alloc_placed(t, bytes, 24, starts);
    cr_assert_not_null(p);
    cr_assert_eq((uintptr_t)p % (uintptr_t)sysconf(_SC_PAGESIZE), 0);
    memset(p, 7, bytes);
    cr_assert_eq(p[bytes - 1], 7);
    cr_assert_eq(topo_page_domain(t, p), -1);
    topo_free_placed(t, p, bytes);
    topo_free(t);
}
