/* task_overhead_starpu.c (bench peer): nanoseconds per empty StarPU task, for a chain and a fan-out
 * of N tasks; the StarPU side of bench/task_overhead.sh (which compiles it with gcc and
 * `pkg-config --cflags --libs starpu-1.3`; it is not part of the CMake build).
 *
 * usage: task_overhead_starpu chain|fanout|indep N [MODE]
 *
 *   chain  deps   task i declares task i-1 with starpu_task_declare_deps_array, before task i-1 is
 *                 submitted (so that it is still valid: tasks destroy themselves when done)
 *          tags   task i has tag i, and starpu_tag_declare_deps(i, 1, i - 1)
 *          data   every task accesses one dummy variable handle in STARPU_RW: implicit deps
 *   fanout deps   a root and N successors that declare it with starpu_task_declare_deps_array; the
 *                 successors are submitted first, the root last (it must stay valid until every
 *                 successor has declared it), so the N successors become ready when it ends
 *          data   a root writes a dummy handle (STARPU_W), then N tasks read it (STARPU_R):
 *                 implicit read-after-write deps on the root
 *   indep         N independent tasks, no root: what a fan-out costs without its dependency
 *
 * MODE defaults to deps. Every codelet has no buffer except the data modes' (one dummy handle).
 *
 * The workers, the scheduler and the rest come from StarPU's environment variables (STARPU_NCPU,
 * STARPU_SCHED, STARPU_CALIBRATE, STARPU_SILENT, ...): the script sets them. The submitting thread
 * is this program's main thread, which is not a StarPU worker.
 *
 * Timed with CLOCK_MONOTONIC: graph creation + submission + execution + starpu_task_wait_for_all,
 * after one untimed warm-up run of the same graph; starpu_init and starpu_shutdown are outside.
 * Task bodies count themselves in a per-thread counter and check that their predecessor ran (the
 * chain: task i sees i - 1 as the last index run; the fan-out: the root's flag is set). Prints
 *   starpu VARIANT MODE workers W sched S n N ns_per_task T
 * and exits 1 when a check fails. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, setenv */

#include <starpu.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../task_overhead_check.h"

/* ---- StarPU codelets ---- */

/* Chain task: its index is the cl_arg pointer itself. */
static void chain_task(void *buffers[], void *cl_arg)
{
    (void)buffers;
    chain_body((long)(intptr_t)cl_arg);
}

/* Fan-out root. */
static void root_task(void *buffers[], void *cl_arg)
{
    (void)buffers;
    (void)cl_arg;
    atomic_store_explicit(&root_done, 1, memory_order_relaxed);
    count_task();
}

/* Fan-out successor. */
static void successor_task(void *buffers[], void *cl_arg)
{
    (void)buffers;
    (void)cl_arg;
    successor_body();
}

/* Independent task (no root to check). */
static void independent_task(void *buffers[], void *cl_arg)
{
    (void)buffers;
    (void)cl_arg;
    count_task();
}

static struct starpu_codelet chain_cl = {.cpu_funcs = {chain_task}, .nbuffers = 0};
static struct starpu_codelet chain_rw_cl = {
    .cpu_funcs = {chain_task}, .nbuffers = 1, .modes = {STARPU_RW}};
static struct starpu_codelet root_cl = {.cpu_funcs = {root_task}, .nbuffers = 0};
static struct starpu_codelet root_w_cl = {
    .cpu_funcs = {root_task}, .nbuffers = 1, .modes = {STARPU_W}};
static struct starpu_codelet successor_cl = {.cpu_funcs = {successor_task}, .nbuffers = 0};
static struct starpu_codelet successor_r_cl = {
    .cpu_funcs = {successor_task}, .nbuffers = 1, .modes = {STARPU_R}};
static struct starpu_codelet independent_cl = {.cpu_funcs = {independent_task}, .nbuffers = 0};

static starpu_data_handle_t dummy_handle;
static long dummy_variable;

/* A task of codelet cl with index i (and the dummy handle when the codelet takes a buffer). */
static struct starpu_task *new_task(struct starpu_codelet *cl, long i)
{
    struct starpu_task *t = starpu_task_create();
    if (!t) {
        fprintf(stderr, "starpu_task_create failed\n");
        exit(1);
    }
    t->cl = cl;
    t->cl_arg = (void *)(intptr_t)i;
    if (cl->nbuffers == 1)
        t->handles[0] = dummy_handle;
    return t;
}

/* Submits t; exits on failure (a benchmark bug). */
static void submit(struct starpu_task *t)
{
    int rc = starpu_task_submit(t);
    if (rc != 0) {
        fprintf(stderr, "starpu_task_submit: %s\n", strerror(-rc));
        exit(1);
    }
}

/* ---- the graphs ---- */

/* Chain, each task declaring its predecessor before that one is submitted. */
static void chain_with_deps(long n)
{
    struct starpu_task *previous = new_task(&chain_cl, 0);
    for (long i = 1; i < n; i++) {
        struct starpu_task *t = new_task(&chain_cl, i);
        starpu_task_declare_deps_array(t, 1, &previous);
        submit(previous);
        previous = t;
    }
    submit(previous);
}

/* Chain through tags: tag i + tag_base waits for tag i - 1 + tag_base. */
static void chain_with_tags(long n, starpu_tag_t tag_base)
{
    for (long i = 0; i < n; i++) {
        struct starpu_task *t = new_task(&chain_cl, i);
        t->use_tag = 1;
        t->tag_id = tag_base + (starpu_tag_t)i;
        if (i > 0)
            starpu_tag_declare_deps(t->tag_id, 1, t->tag_id - 1);
        submit(t);
    }
}

/* Chain through implicit data dependencies on one handle in STARPU_RW. */
static void chain_with_data(long n)
{
    for (long i = 0; i < n; i++)
        submit(new_task(&chain_rw_cl, i));
}

/* Root with n successors declared explicitly; the root is submitted last. */
static void fanout_with_deps(long n)
{
    struct starpu_task *root = new_task(&root_cl, -1);
    for (long i = 0; i < n; i++) {
        struct starpu_task *t = new_task(&successor_cl, i);
        starpu_task_declare_deps_array(t, 1, &root);
        submit(t);
    }
    submit(root);
}

/* Root writing the dummy handle, n readers after it. */
static void fanout_with_data(long n)
{
    submit(new_task(&root_w_cl, -1));
    for (long i = 0; i < n; i++)
        submit(new_task(&successor_r_cl, i));
}

/* n independent tasks. */
static void independent(long n)
{
    for (long i = 0; i < n; i++)
        submit(new_task(&independent_cl, i));
}

/* One run of the graph; returns its wall time in ns (creation to wait_for_all). */
static double run_once(const char *variant, const char *mode, long n, starpu_tag_t tag_base)
{
    reset_counts();
    double t0 = now_ns();
    if (strcmp(variant, "chain") == 0) {
        if (strcmp(mode, "deps") == 0)
            chain_with_deps(n);
        else if (strcmp(mode, "tags") == 0)
            chain_with_tags(n, tag_base);
        else
            chain_with_data(n);
    } else if (strcmp(variant, "fanout") == 0) {
        if (strcmp(mode, "deps") == 0)
            fanout_with_deps(n);
        else
            fanout_with_data(n);
    } else {
        independent(n);
    }
    int rc = starpu_task_wait_for_all();
    double t1 = now_ns();
    if (rc != 0) {
        fprintf(stderr, "starpu_task_wait_for_all: %s\n", strerror(-rc));
        exit(1);
    }
    return t1 - t0;
}

/* True when (variant, mode) is one this program knows. */
static bool known_mode(const char *variant, const char *mode)
{
    if (strcmp(variant, "chain") == 0)
        return !strcmp(mode, "deps") || !strcmp(mode, "tags") || !strcmp(mode, "data");
    if (strcmp(variant, "fanout") == 0)
        return !strcmp(mode, "deps") || !strcmp(mode, "data");
    return strcmp(variant, "indep") == 0 && strcmp(mode, "none") == 0;
}

/* Runs the graph once untimed, once timed; prints ns per task. */
int main(int argc, char **argv)
{
    const char *variant = argc > 1 ? argv[1] : "chain";
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    const char *mode = argc > 3 ? argv[3] : strcmp(variant, "indep") == 0 ? "none" : "deps";
    if (argc > 4 || n < 1 || !known_mode(variant, mode)) {
        fprintf(stderr, "usage: task_overhead_starpu chain|fanout|indep N [MODE]\n"
                        "  chain modes: deps tags data; fanout modes: deps data\n");
        return 2;
    }

    struct starpu_conf conf;
    starpu_conf_init(&conf);
    conf.ncuda = 0;
    conf.nopencl = 0;
    if (starpu_init(&conf) != 0) {
        fprintf(stderr, "starpu_init failed\n");
        return 1;
    }
    starpu_variable_data_register(&dummy_handle, STARPU_MAIN_RAM, (uintptr_t)&dummy_variable,
                                  sizeof dummy_variable);

    run_once(variant, mode, n, 0); /* warm-up: threads, allocator, tag table */
    double ns = run_once(variant, mode, n, (starpu_tag_t)n);

    long expected = strcmp(variant, "fanout") == 0 ? n + 1 : n;
    long ran = tasks_run(), fails = atomic_load(&check_fails);
    if (strcmp(variant, "chain") == 0 && atomic_load(&last_index) != n - 1)
        fails++;
    const char *sched = getenv("STARPU_SCHED");
    printf("starpu %s %s workers %u sched %s n %ld ns_per_task %.1f\n", variant, mode,
           starpu_cpu_worker_get_count(), sched ? sched : "default", n, ns / (double)n);

    starpu_data_unregister(dummy_handle);
    starpu_shutdown();
    if (ran != expected || fails != 0) {
        fprintf(stderr, "starpu %s %s: %ld tasks ran (expected %ld), %ld ran too early\n", variant,
                mode, ran, expected, fails);
        return 1;
    }
    return 0;
}
