/* eval_blas.c: dense float products through CBLAS, cut into fixed blocks.
 *
 * OpenBLAS runs single-threaded inside dmlc (the runtime sets one thread): the workers are the
 * parallelism, so BLAS never oversubscribes the cores, and a product is cut into blocks that
 * depend only on its shape, never on the worker count, so the result is the same bits for 1 or
 * 64 workers (OpenBLAS's own threading splits reductions by its thread count).
 *
 *   C = A B (gemm)                 blocks of rows of C (A's rows, or columns when A is transposed)
 *   c = A b, A stored [m, k]       blocks of rows of A: each block's rows of c
 *   c = A^T b, A stored [k, m]     blocks of rows of A: a partial c per block, summed in a fixed
 *                                  tree order (block 0 + 1, 2 + 3, ..., then the pairs)
 *   (vecmat is the same two cases with B)
 *   dot                            one call
 *
 * Small products are one call. */
#include "executor/eval_internal.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

enum {
    GEMV_BLOCK_ELEMS = 1 << 16, /* matrix elements per gemv block */
    GEMV_MIN_ELEMS = 1 << 17,   /* below this a gemv is one call */
    GEMM_MIN_ROWS = 64,         /* rows per gemm block, at least (OpenBLAS packs B per call) */
};
static const double GEMM_BLOCK_FLOPS = 1u << 31; /* flops per gemm block, about */
static const double GEMM_MIN_FLOPS = 1 << 25;   /* below this a gemm is one call */

typedef enum { SPLIT_GEMM, SPLIT_GEMV_ROWS, SPLIT_GEMV_SUM } SplitKind;

typedef struct {
    SplitKind kind;
    bool f32;
    /* gemm: C[m, n] = op(A)[m, k] op(B)[k, n] */
    enum CBLAS_TRANSPOSE ta, tb;
    int m, n, k, lda, ldb;
    const void *a, *b;
    void *c;
    /* gemv: y = op(M) x with M stored [rows, cols]; split over the stored rows */
    int rows, cols;
    const void *mat, *x;
    void *y;
    int64_t per, nblocks; /* stored rows (gemv) or rows of C (gemm) per block */
    void *partial;        /* SPLIT_GEMV_SUM: nblocks partial vectors of `cols` elements */
} Split;

static void run_split_block(void *arg, int64_t blk)
{
    const Split *s = arg;
    int64_t r0 = blk * s->per;
    int count = (int)(r0 + s->per < (s->kind == SPLIT_GEMM ? s->m : s->rows)
                          ? s->per
                          : (s->kind == SPLIT_GEMM ? s->m : s->rows) - r0);
    size_t el = s->f32 ? sizeof(float) : sizeof(double);
    if (s->kind == SPLIT_GEMM) {
        /* rows r0.. of op(A): stored rows when A is not transposed, stored columns when it is */
        const char *a = (const char *)s->a + (size_t)r0 * el * (s->ta == CblasNoTrans ? s->lda : 1);
        char *c = (char *)s->c + (size_t)r0 * (size_t)s->n * el;
        if (s->f32)
            cblas_sgemm(CblasRowMajor, s->ta, s->tb, count, s->n, s->k, 1.0f, (const float *)a,
                        s->lda, s->b, s->ldb, 0.0f, (float *)c, s->n);
        else
            cblas_dgemm(CblasRowMajor, s->ta, s->tb, count, s->n, s->k, 1.0, (const double *)a,
                        s->lda, s->b, s->ldb, 0.0, (double *)c, s->n);
        return;
    }
    const char *mat = (const char *)s->mat + (size_t)r0 * (size_t)s->cols * el;
    if (s->kind == SPLIT_GEMV_ROWS) {
        char *y = (char *)s->y + (size_t)r0 * el;
        if (s->f32)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, count, s->cols, 1.0f, (const float *)mat,
                        s->cols, s->x, 1, 0.0f, (float *)y, 1);
        else
            cblas_dgemv(CblasRowMajor, CblasNoTrans, count, s->cols, 1.0, (const double *)mat,
                        s->cols, s->x, 1, 0.0, (double *)y, 1);
    } else {
        const char *x = (const char *)s->x + (size_t)r0 * el;
        char *y = (char *)s->partial + (size_t)blk * (size_t)s->cols * el;
        if (s->f32)
            cblas_sgemv(CblasRowMajor, CblasTrans, count, s->cols, 1.0f, (const float *)mat,
                        s->cols, (const float *)x, 1, 0.0f, (float *)y, 1);
        else
            cblas_dgemv(CblasRowMajor, CblasTrans, count, s->cols, 1.0, (const double *)mat,
                        s->cols, (const double *)x, 1, 0.0, (double *)y, 1);
    }
}

static void run_blocks(const RtEvalContext *ctx, Split *s)
{
    if (ctx && ctx->parallel_for && s->nblocks > 1)
        ctx->parallel_for(ctx->parallel_user, s->nblocks, run_split_block, s);
    else
        for (int64_t b = 0; b < s->nblocks; b++)
            run_split_block(s, b);
}

/* Sums the partial vectors in the fixed tree order into y. */
static void sum_partials(Split *s)
{
    size_t n = (size_t)s->cols;
    for (int64_t width = 1; width < s->nblocks; width *= 2)
        for (int64_t c = 0; c + width < s->nblocks; c += 2 * width) {
            if (s->f32) {
                float *into = (float *)s->partial + (size_t)c * n;
                const float *from = (const float *)s->partial + (size_t)(c + width) * n;
                for (size_t e = 0; e < n; e++)
                    into[e] += from[e];
            } else {
                double *into = (double *)s->partial + (size_t)c * n;
                const double *from = (const double *)s->partial + (size_t)(c + width) * n;
                for (size_t e = 0; e < n; e++)
                    into[e] += from[e];
            }
        }
    memcpy(s->y, s->partial, n * (s->f32 ? sizeof(float) : sizeof(double)));
}

/* y = op(M) x, M stored [rows, cols] row-major; `trans`: y = M^T x. False when out of memory. */
static bool gemv_blocked(const RtEvalContext *ctx, bool f32, bool trans, int rows, int cols,
                         const void *mat, const void *x, void *y)
{
    size_t el = f32 ? sizeof(float) : sizeof(double);
    if ((int64_t)rows * cols < GEMV_MIN_ELEMS) {
        if (f32)
            cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, rows, cols, 1.0f, mat,
                        cols, x, 1, 0.0f, y, 1);
        else
            cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, rows, cols, 1.0, mat,
                        cols, x, 1, 0.0, y, 1);
        return true;
    }
    Split s = {.kind = trans ? SPLIT_GEMV_SUM : SPLIT_GEMV_ROWS,
               .f32 = f32,
               .rows = rows,
               .cols = cols,
               .mat = mat,
               .x = x,
               .y = y};
    s.per = GEMV_BLOCK_ELEMS / cols > 1 ? GEMV_BLOCK_ELEMS / cols : 1;
    s.nblocks = (rows + s.per - 1) / s.per;
    if (trans) {
        s.partial = malloc((size_t)s.nblocks * (size_t)cols * el);
        if (!s.partial)
            return false;
    }
    run_blocks(ctx, &s);
    if (trans)
        sum_partials(&s);
    free(s.partial);
    return true;
}

bool eval_blas_product(const RtEvalContext *ctx, bool f32, int m, int n, int k, bool ta, bool tb,
                       const void *a, const void *b, void *out)
{
    if (m == 1 && n == 1) {
        if (f32)
            *(float *)out = cblas_sdot(k, a, 1, b, 1);
        else
            *(double *)out = cblas_ddot(k, a, 1, b, 1);
        return true;
    }
    if (n == 1) /* c[m] = op(A) b: A stored [m, k], or [k, m] when transposed */
        return gemv_blocked(ctx, f32, ta, ta ? k : m, ta ? m : k, a, b, out);
    if (m == 1) /* c[n] = op(B)^T a: B stored [k, n] (c = B^T a), or [n, k] (c = B a) */
        return gemv_blocked(ctx, f32, !tb, tb ? n : k, tb ? k : n, b, a, out);
    Split s = {.kind = SPLIT_GEMM,
               .f32 = f32,
               .ta = ta ? CblasTrans : CblasNoTrans,
               .tb = tb ? CblasTrans : CblasNoTrans,
               .m = m,
               .n = n,
               .k = k,
               .lda = ta ? m : k,
               .ldb = tb ? k : n,
               .a = a,
               .b = b,
               .c = out};
    double flops = 2.0 * m * n * k;
    int64_t per = (int64_t)(GEMM_BLOCK_FLOPS / (2.0 * n * k)) + 1;
    if (per < GEMM_MIN_ROWS)
        per = GEMM_MIN_ROWS;
    s.per = per;
    s.nblocks = flops < GEMM_MIN_FLOPS || per >= m ? 1 : (m + per - 1) / per;
    if (s.nblocks == 1)
        s.per = m;
    run_blocks(ctx, &s);
    return true;
}
