/* test_eval_blas.c: the blocked products of eval_blas.c against one plain CBLAS call.
 *
 * The matrices hold small integers, so every partial sum is an exact integer in f32 / f64 and the
 * blocked product must equal the plain one exactly, whatever the blocks and their order. The
 * shapes are chosen so that each product is cut into several blocks with a short last one, and
 * the blocks run through a parallel_for that visits them in reverse order. */
#include "executor/eval.h"
#include "executor/eval_internal.h"

#include <cblas.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t calls, blocks;
} Visits;

/* Runs the blocks last to first, counting them. */
static void reverse_for(void *user, int64_t n, void (*fn)(void *arg, int64_t i), void *arg)
{
    Visits *v = user;
    v->calls++;
    v->blocks += n;
    for (int64_t i = n - 1; i >= 0; i--)
        fn(arg, i);
}

static float *small_ints_f32(size_t n, unsigned seed)
{
    float *a = malloc(n * sizeof *a);
    cr_assert_not_null(a);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        a[i] = (float)((int)((seed >> 16) % 5) - 2);
    }
    return a;
}

static double *small_ints_f64(size_t n, unsigned seed)
{
    double *a = malloc(n * sizeof *a);
    cr_assert_not_null(a);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        a[i] = (double)((int)((seed >> 16) % 5) - 2);
    }
    return a;
}

/* C[m, n] = op(A) op(B) blocked against one sgemm call, for one combination of transposes. */
static void check_gemm(bool ta, bool tb)
{
    int m = 300, n = 4096, k = 2048; /* blocks of 129 rows: 129, 129, 42 */
    float *a = small_ints_f32((size_t)m * k, 1), *b = small_ints_f32((size_t)k * n, 2);
    float *c = malloc((size_t)m * n * sizeof *c), *ref = malloc((size_t)m * n * sizeof *ref);
    cr_assert(c && ref);
    Visits v = {0};
    RtEvalContext ctx = {.parallel_for = reverse_for, .parallel_user = &v};
    cr_assert(eval_blas_product(&ctx, true, m, n, k, ta, tb, a, b, c));
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
                k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, ref, n);
    cr_expect_eq(v.calls, 1);
    cr_expect_eq(v.blocks, 3, "a %dx%dx%d product should be cut into 3 blocks, got %lld", m, n,
                 k, (long long)v.blocks);
    cr_expect(memcmp(c, ref, (size_t)m * n * sizeof *c) == 0,
              "the blocked product differs from sgemm (ta=%d tb=%d)", ta, tb);
    free(a);
    free(b);
    free(c);
    free(ref);
}

Test(eval_blas, gemm_blocks_equal_one_call_nn) { check_gemm(false, false); }
Test(eval_blas, gemm_blocks_equal_one_call_tn) { check_gemm(true, false); }
Test(eval_blas, gemm_blocks_equal_one_call_nt) { check_gemm(false, true); }
Test(eval_blas, gemm_blocks_equal_one_call_tt) { check_gemm(true, true); }

/* y = M x and y = M^T x with M stored [rows, cols]: row blocks, and row blocks with partial
 * vectors summed in a tree. Through the matvec (n = 1) and vecmat (m = 1) entry points. */
Test(eval_blas, gemv_blocks_equal_one_call)
{
    int rows = 5000, cols = 37; /* blocks of 65536 / 37 = 1771 rows: 1771, 1771, 1458 */
    double *mat = small_ints_f64((size_t)rows * cols, 3);
    double *xr = small_ints_f64((size_t)cols, 4), *xc = small_ints_f64((size_t)rows, 5);
    double y[5000], ref[5000];
    Visits v = {0};
    RtEvalContext ctx = {.parallel_for = reverse_for, .parallel_user = &v};

    /* matvec, A stored [m, k]: c = A x */
    cr_assert(eval_blas_product(&ctx, false, rows, 1, cols, false, false, mat, xr, y));
    cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1.0, mat, cols, xr, 1, 0.0, ref, 1);
    cr_expect(memcmp(y, ref, (size_t)rows * sizeof *y) == 0, "A x");
    /* matvec, A stored [k, m] transposed: c = A^T x, partial vectors per block */
    cr_assert(eval_blas_product(&ctx, false, cols, 1, rows, true, false, mat, xc, y));
    cblas_dgemv(CblasRowMajor, CblasTrans, rows, cols, 1.0, mat, cols, xc, 1, 0.0, ref, 1);
    cr_expect(memcmp(y, ref, (size_t)cols * sizeof *y) == 0, "A^T x");
    /* vecmat, B stored [k, n]: c = x B = B^T x */
    cr_assert(eval_blas_product(&ctx, false, 1, cols, rows, false, false, xc, mat, y));
    cr_expect(memcmp(y, ref, (size_t)cols * sizeof *y) == 0, "x B");
    /* vecmat, B stored [n, k] transposed: c = x B^T = B x */
    cr_assert(eval_blas_product(&ctx, false, 1, rows, cols, false, true, xr, mat, y));
    cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1.0, mat, cols, xr, 1, 0.0, ref, 1);
    cr_expect(memcmp(y, ref, (size_t)rows * sizeof *y) == 0, "x B^T");
    cr_expect_eq(v.calls, 4);
    cr_expect_eq(v.blocks, 12, "each of the 4 products in 3 blocks, got %lld blocks",
                 (long long)v.blocks);
    free(mat);
    free(xr);
    free(xc);
}

/* Below the thresholds a product is one call, and no parallel_for is needed at all. */
Test(eval_blas, small_products_are_one_call)
{
    double a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4];
    Visits v = {0};
    RtEvalContext ctx = {.parallel_for = reverse_for, .parallel_user = &v};
    cr_assert(eval_blas_product(&ctx, false, 2, 2, 3, false, false, a, b, c));
    /* [1 2 3; 4 5 6] @ [1 0; 0 1; 1 1] = [4 5; 10 11] */
    cr_expect(c[0] == 4 && c[1] == 5 && c[2] == 10 && c[3] == 11);
    cr_expect_eq(v.calls, 0);
    cr_assert(eval_blas_product(NULL, false, 2, 2, 3, false, false, a, b, c));
    cr_expect(c[0] == 4 && c[1] == 5 && c[2] == 10 && c[3] == 11);
}
