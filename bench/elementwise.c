/* elementwise.c (bench): a fused 4-op elementwise chain compiled by the JIT, against memcpy.
 *
 *   out = max(a * x + y, 0) * s      a, x, y, out: f32[n]; s: an f32 scalar (0.75)
 *
 * usage: bench_elementwise [N] [RUNS]   (defaults: N = 16M elements, RUNS = 9)
 *
 * The k.fused op is written as IR text (what passes/fuse.c makes of the DML expression) and
 * compiled once; its compile time is reported. Then the kernel runs on preallocated, first-touched
 * buffers, alternating with a memcpy that moves the same number of bytes (the kernel reads 3n and
 * writes n floats: 16 n bytes; memcpy of 8 n bytes reads 8 n and writes 8 n), RUNS times each
 * after one warm-up, timed with CLOCK_MONOTONIC. Reported: median, min and max per call, and the
 * effective bandwidth counting bytes read + written. A sample of the output is checked against C.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, posix_memalign */

#include "codegen/jit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_RUNS = 101, DEFAULT_RUNS = 9 };
static const long DEFAULT_N = 16L * 1024 * 1024;
static const float SCALE = 0.75f;

static const char chain_ir[] = "%a = \"io.load\"() {path = \"a.npy\"} : () -> f32[n]\n"
                               "%x = \"io.load\"() {path = \"x.npy\"} : () -> f32[n]\n"
                               "%y = \"io.load\"() {path = \"y.npy\"} : () -> f32[n]\n"
                               "%s = \"cfg.get\"() {sym = @s} : () -> f32\n"
                               "%r = \"k.fused\"(%a, %x, %y, %s) ({\n"
                               "^bb0(%a0: f32[n], %a1: f32[n], %a2: f32[n], %a3: f32):\n"
                               "  %m = \"t.mul\"(%a0, %a1) : (f32[n], f32[n]) -> f32[n]\n"
                               "  %p = \"t.add\"(%m, %a2) : (f32[n], f32[n]) -> f32[n]\n"
                               "  %z = \"ir.const\"() {value = 0.0} : () -> f32\n"
                               "  %q = \"t.maximum\"(%p, %z) : (f32[n], f32) -> f32[n]\n"
                               "  %o = \"t.mul\"(%q, %a3) : (f32[n], f32) -> f32[n]\n"
                               "  \"ir.yield\"(%o) : (f32[n]) -> ()\n"
                               "}) : (f32[n], f32[n], f32[n], f32) -> f32[n]\n";

/* CLOCK_MONOTONIC in seconds. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* qsort order of doubles. */
static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A 64-byte aligned buffer, written once so that its pages exist before timing. */
static void *buffer(size_t bytes, unsigned seed)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    float *f = p;
    unsigned s = seed * 2654435761u + 1;
    for (size_t i = 0; i < bytes / sizeof(float); i++) {
        s = s * 1664525u + 1013904223u;
        f[i] = (float)((int)(s >> 9) - (1 << 22)) / (float)(1 << 22);
    }
    return p;
}

/* Median, min and max of n times (sorts them). */
static void summarise(const char *what, double *t, int n, double bytes)
{
    qsort(t, (size_t)n, sizeof *t, compare_double);
    double median = t[n / 2];
    printf("%-22s median %8.3f ms  (min %8.3f, max %8.3f)  %6.2f GB/s\n", what, median * 1e3,
           t[0] * 1e3, t[n - 1] * 1e3, bytes / median / 1e9);
}

/* Compiles the chain; exits on failure (a benchmark bug). */
static const JitKernel *compile_chain(Jit **jit, IrModule **m, SrcFile *file, Arena *arena,
                                      DiagList *diags)
{
    src_from_text(file, "chain.ir", chain_ir, strlen(chain_ir));
    arena_init(arena);
    diag_init(diags, file);
    *m = ir_read(file, arena, diags);
    RtError err = {0};
    *jit = *m ? jit_new(NULL, &err) : NULL;
    if (!*jit || !jit_compile_module(*jit, *m, &err)) {
        fprintf(stderr, "cannot compile the chain: %s\n", err.message);
        exit(1);
    }
    const JitKernel *k = jit_kernel(*jit, (*m)->body->last);
    if (!k) {
        fprintf(stderr, "the chain was not compiled\n");
        exit(1);
    }
    return k;
}

/* Compiles the chain, times it against memcpy, checks a sample of the output. */
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : DEFAULT_N;
    int runs = argc > 2 ? atoi(argv[2]) : DEFAULT_RUNS;
    if (n < 1 || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: bench_elementwise [N >= 1] [RUNS 1..%d]\n", MAX_RUNS);
        return 2;
    }
    SrcFile file;
    Arena arena;
    DiagList diags;
    IrModule *m;
    Jit *jit;
    const JitKernel *k = compile_chain(&jit, &m, &file, &arena, &diags);
    printf("expression             out = max(a * x + y, 0) * s, f32, n = %ld\n", n);
    printf("jit compile            %8.3f ms  (%d kernel, optimise + codegen + link)\n",
           jit_compile_ms(jit), jit_kernel_count(jit));

    size_t bytes = (size_t)n * sizeof(float);
    float *a = buffer(bytes, 1), *x = buffer(bytes, 2), *y = buffer(bytes, 3),
          *out = buffer(bytes, 4);
    char *copy_from = buffer(2 * bytes, 5), *copy_to = buffer(2 * bytes, 6);
    double s_bits_holder = SCALE;
    uint64_t scalars[1];
    memcpy(scalars, &s_bits_holder, sizeof scalars[0]);
    void *bufs[] = {out, a, x, y};

    double kernel_times[MAX_RUNS], copy_times[MAX_RUNS];
    k->fn(1, n, bufs, scalars); /* warm-up */
    memcpy(copy_to, copy_from, 2 * bytes);
    for (int r = 0; r < runs; r++) {
        double t0 = now_seconds();
        k->fn(1, n, bufs, scalars);
        double t1 = now_seconds();
        memcpy(copy_to, copy_from, 2 * bytes);
        double t2 = now_seconds();
        kernel_times[r] = t1 - t0;
        copy_times[r] = t2 - t1;
    }

    long wrong = 0;
    for (long i = 0; i < n; i += 4099) {
        float p = a[i] * x[i] + y[i];
        float want = (p > 0.0f ? p : 0.0f) * SCALE;
        wrong += out[i] != want;
    }
    double checksum = 0;
    for (long i = 0; i < (long)(2 * bytes); i += 4096)
        checksum += copy_to[i];

    double traffic = 4.0 * (double)bytes; /* read a, x, y; write out */
    summarise("jit kernel", kernel_times, runs, traffic);
    summarise("memcpy (same bytes)", copy_times, runs, traffic);
    double kernel_median = kernel_times[runs / 2], copy_median = copy_times[runs / 2];
    printf("kernel / memcpy bandwidth %5.1f %%  (target >= 80 %%)\n",
           100.0 * copy_median / kernel_median);
    printf("checked %ld sampled elements: %ld wrong (checksum %g)\n", (n + 4098) / 4099, wrong,
           checksum);

    free(a);
    free(x);
    free(y);
    free(out);
    free(copy_from);
    free(copy_to);
    jit_free(jit);
    diag_free(&diags);
    arena_free(&arena);
    src_free(&file);
    return wrong ? 1 : 0;
}
