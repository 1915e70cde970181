/* frontend.c (bench): parse + check + lower throughput of the front end, in lines per second.
 *
 * usage: bench_frontend FILE.dml [RUNS]. Reads the file once, then times each phase with
 * CLOCK_MONOTONIC over RUNS repetitions (default 7) and prints the median, min and max. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "ir/ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { MAX_RUNS = 101 };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double parse, check, lower;
} Times;

/* One full pass; returns false when the program does not compile (a benchmark bug). */
static bool run_once(const SrcFile *file, Times *t, size_t *ops)
{
    Arena arena;
    arena_init(&arena);
    DiagList diags;
    diag_init(&diags, file);
    double t0 = now_seconds();
    Program *prog = parse_program(file, &arena, &diags);
    double t1 = now_seconds();
    bool ok = prog && !diag_has_errors(&diags) && sema_check(prog, &arena, &diags);
    double t2 = now_seconds();
    IrModule *m = ok ? lower_program(prog, &arena, &diags) : NULL;
    double t3 = now_seconds();
    ok = ok && m && !diag_has_errors(&diags);
    if (!ok) {
        Buf out = {0};
        diag_render(&diags, &out);
        fputs(buf_cstr(&out), stderr);
        buf_free(&out);
    }
    *ops = arena.used_bytes; /* a use of the result, so nothing is optimised away */
    t->parse = t1 - t0;
    t->check = t2 - t1;
    t->lower = t3 - t2;
    diag_free(&diags);
    arena_free(&arena);
    return ok;
}

static void report(const char *phase, double *v, int n, double lines)
{
    qsort(v, (size_t)n, sizeof(double), compare_double);
    printf("%-22s median %8.2f ms  (min %8.2f, max %8.2f)  %12.0f lines/s\n", phase,
           v[n / 2] * 1e3, v[0] * 1e3, v[n - 1] * 1e3, lines / v[n / 2]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_frontend FILE.dml [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    if (runs < 1 || runs > MAX_RUNS)
        runs = 7;
    SrcFile file;
    const char *err;
    if (!src_load(&file, argv[1], &err)) {
        fprintf(stderr, "bench_frontend: cannot read %s: %s\n", argv[1], err);
        return 1;
    }
    double lines = file.nlines;
    double parse[MAX_RUNS], check[MAX_RUNS], lower[MAX_RUNS], total[MAX_RUNS];
    size_t bytes = 0;
    Times warm;
    if (!run_once(&file, &warm, &bytes))
        return 1;
    for (int i = 0; i < runs; i++) {
        Times t;
        if (!run_once(&file, &t, &bytes))
            return 1;
        parse[i] = t.parse;
        check[i] = t.check;
        lower[i] = t.lower;
        total[i] = t.parse + t.check + t.lower;
    }
    printf("%s: %.0f lines, %d runs, %zu arena bytes per run\n", argv[1], lines, runs, bytes);
    report("parse", parse, runs, lines);
    report("check", check, runs, lines);
    report("lower", lower, runs, lines);
    report("parse+check+lower", total, runs, lines);
    src_free(&file);
    return 0;
}
