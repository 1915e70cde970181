/* matmul_blas.c (bench): the peer of bench/matmul.dml: the same chain of products X <- A @ X
 * (X starting as B) made by calling OpenBLAS's cblas_sgemm directly.
 *
 * usage: bench_matmul_blas A.npy B.npy REPS [--fresh-output]. Reads A[k, k] and B[k, k] (f32
 * .npy, with libdmlc's reader), makes one untimed product (the warm-up: OpenBLAS starts its
 * threads and the pages of both buffers are touched), then times REPS products one by one with
 * CLOCK_MONOTONIC. Prints the mean of the products after the first (the steady state, the same
 * definition as (T_REPS - T_1) / (REPS - 1) for dmlc), their median, min and max, GFLOP/s and a
 * checksum (X[0, 0], so the products are used).
 *
 * Two output buffers alternate, so in the steady state every product writes memory that is
 * already mapped. --fresh-output instead frees the old output and allocates a new one (64-byte
 * aligned, as tensor_new does) inside each timed product, as a runtime that allocates every
 * result does: glibc maps a buffer this large afresh, so the product first faults in its pages. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "executor/io.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_REPS = 1000 };

/* Seconds on the monotonic clock. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* qsort's order on doubles. */
static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Reads a square f32 matrix; prints the error and returns NULL when it is not one. */
static Tensor *load_square(const char *path)
{
    IoExpect expect = {.dtype = DT_F32, .rank = 2, .sparse = false};
    RtError err = {0};
    Tensor *t = io_load(path, &expect, &err);
    if (!t) {
        fprintf(stderr, "bench_matmul_blas: %s\n", err.set ? err.message : "cannot read");
        return NULL;
    }
    if (t->shape[0] != t->shape[1] || t->shape[0] < 1 || t->shape[0] > 65536) {
        fprintf(stderr, "bench_matmul_blas: %s is %lld x %lld, expected a square matrix\n", path,
                (long long)t->shape[0], (long long)t->shape[1]);
        tensor_unref(t);
        return NULL;
    }
    return t;
}

/* One product: out = a @ x, all k x k row-major. */
static void multiply(const float *a, const float *x, float *out, int k)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, k, k, 1.0f, a, k, x, k, 0.0f, out,
                k);
}

int main(int argc, char **argv)
{
    bool fresh = argc == 5 && strcmp(argv[4], "--fresh-output") == 0;
    if (argc != 4 && !fresh) {
        fprintf(stderr, "usage: bench_matmul_blas A.npy B.npy REPS [--fresh-output]\n");
        return 2;
    }
    int reps = atoi(argv[3]);
    if (reps < 2 || reps > MAX_REPS) {
        fprintf(stderr, "bench_matmul_blas: REPS must be 2 to %d\n", MAX_REPS);
        return 2;
    }
    Tensor *a = load_square(argv[1]);
    Tensor *b = a ? load_square(argv[2]) : NULL;
    if (!a || !b || b->shape[0] != a->shape[0]) {
        if (a && b)
            fprintf(stderr, "bench_matmul_blas: A and B differ in size\n");
        tensor_unref(a);
        tensor_unref(b);
        return 1;
    }
    int k = (int)a->shape[0];
    size_t bytes = ((size_t)k * (size_t)k * sizeof(float) + 63) / 64 * 64;
    float *x = aligned_alloc(64, bytes), *y = aligned_alloc(64, bytes),
          *warm = aligned_alloc(64, bytes);
    if (!x || !y || !warm) {
        fprintf(stderr, "bench_matmul_blas: out of memory\n");
        free(x);
        free(y);
        free(warm);
        tensor_unref(a);
        tensor_unref(b);
        return 1;
    }
    memcpy(x, b->data, (size_t)k * (size_t)k * sizeof(float));
    memset(y, 0, bytes);
    multiply(a->data, x, warm, k); /* warm-up, not part of the chain */

    double times[MAX_REPS];
    for (int r = 0; r < reps; r++) {
        double t0 = now_seconds();
        if (fresh) {
            free(y);
            y = aligned_alloc(64, bytes);
            if (!y) {
                fprintf(stderr, "bench_matmul_blas: out of memory\n");
                free(x);
                free(warm);
                tensor_unref(a);
                tensor_unref(b);
                return 1;
            }
        }
        multiply(a->data, x, y, k);
        times[r] = now_seconds() - t0;
        float *swap = x;
        x = y;
        y = swap;
    }
    double steady = 0;
    for (int r = 1; r < reps; r++)
        steady += times[r];
    steady /= reps - 1;
    double first = times[0];
    qsort(times + 1, (size_t)(reps - 1), sizeof(double), compare_double);
    double flops = 2.0 * (double)k * (double)k * (double)k;
    printf("bench_matmul_blas: k=%d reps=%d openblas_threads=%d%s (%s)\n", k, reps,
           openblas_get_num_threads(), fresh ? " fresh-output" : "", openblas_get_config());
    printf("first product %.2f ms; steady state (products 2..%d):\n", first * 1e3, reps);
    printf("mean_ms %.3f median_ms %.3f min_ms %.3f max_ms %.3f gflops %.2f checksum %.9g\n",
           steady * 1e3, times[1 + (reps - 1) / 2] * 1e3, times[1] * 1e3, times[reps - 1] * 1e3,
           flops / steady * 1e-9, (double)x[0]);
    free(x);
    free(y);
    free(warm);
    tensor_unref(a);
    tensor_unref(b);
    return 0;
}
