/* csr.c: csr matrix times dense vector or matrix, either way round, and the csr transpose
 * (csr.h). Integers wrap: they are multiplied and added in the unsigned type of their width. */
#include "executor/csr.h"

#include <string.h>

/* The kernels for one dtype T, computing in C (the unsigned type for integers, T for floats). */
#define CSR_KERNELS(SFX, T, C)                                                                     \
    static void matvec_##SFX(const Tensor *a, const T *x, T *y)                                    \
    {                                                                                              \
        const T *v = a->data;                                                                      \
        for (int64_t i = 0; i < a->shape[0]; i++) {                                                \
            C sum = 0;                                                                             \
            for (int64_t p = a->rowptr[i]; p < a->rowptr[i + 1]; p++)                              \
                sum += (C)v[p] * (C)x[a->colidx[p]];                                               \
            y[i] = (T)sum;                                                                         \
        }                                                                                          \
    }                                                                                              \
    static void matvec_t_##SFX(const Tensor *a, const T *x, T *y)                                  \
    {                                                                                              \
        const T *v = a->data;                                                                      \
        C *acc = (C *)y;                                                                           \
        memset(y, 0, (size_t)a->shape[1] * sizeof(T));                                             \
        for (int64_t i = 0; i < a->shape[0]; i++)                                                  \
            for (int64_t p = a->rowptr[i]; p < a->rowptr[i + 1]; p++)                              \
                acc[a->colidx[p]] += (C)v[p] * (C)x[i];                                            \
    }                                                                                              \
    static void matmul_##SFX(const Tensor *a, const T *b, int64_t n, T *c)                         \
    {                                                                                              \
        const T *v = a->data;                                                                      \
        C *acc = (C *)c;                                                                           \
        memset(c, 0, (size_t)(a->shape[0] * n) * sizeof(T));                                       \
        for (int64_t i = 0; i < a->shape[0]; i++) {                                                \
            C *row = acc + i * n;                                                                  \
            for (int64_t p = a->rowptr[i]; p < a->rowptr[i + 1]; p++) {                            \
                C w = (C)v[p];                                                                     \
                const T *brow = b + a->colidx[p] * n;                                              \
                for (int64_t j = 0; j < n; j++)                                                    \
                    row[j] += w * (C)brow[j];                                                      \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    static void matmul_t_##SFX(const Tensor *a, const T *b, int64_t n, T *c)                       \
    {                                                                                              \
        const T *v = a->data;                                                                      \
        C *acc = (C *)c;                                                                           \
        memset(c, 0, (size_t)(a->shape[1] * n) * sizeof(T));                                       \
        for (int64_t i = 0; i < a->shape[0]; i++) {                                                \
            const T *brow = b + i * n;                                                             \
            for (int64_t p = a->rowptr[i]; p < a->rowptr[i + 1]; p++) {                            \
                C w = (C)v[p];                                                                     \
                C *row = acc + a->colidx[p] * n;                                                   \
                for (int64_t j = 0; j < n; j++)                                                    \
                    row[j] += w * (C)brow[j];                                                      \
            }                                                                                      \
        }                                                                                          \
    }

CSR_KERNELS(f32, float, float)
CSR_KERNELS(f64, double, double)
CSR_KERNELS(i32, int32_t, uint32_t)
CSR_KERNELS(i64, int64_t, uint64_t)

bool rt_csr_matvec(const Tensor *a, bool transpose, const void *x, void *y)
{
    switch (a->dtype) {
    case DT_F32:
        (transpose ? matvec_t_f32 : matvec_f32)(a, x, y);
        return true;
    case DT_F64:
        (transpose ? matvec_t_f64 : matvec_f64)(a, x, y);
        return true;
    case DT_I32:
        (transpose ? matvec_t_i32 : matvec_i32)(a, x, y);
        return true;
    case DT_I64:
        (transpose ? matvec_t_i64 : matvec_i64)(a, x, y);
        return true;
    default:
        return false;
    }
}

bool rt_csr_matmul(const Tensor *a, bool transpose, const void *b, int64_t n, void *c)
{
    switch (a->dtype) {
    case DT_F32:
        (transpose ? matmul_t_f32 : matmul_f32)(a, b, n, c);
        return true;
    case DT_F64:
        (transpose ? matmul_t_f64 : matmul_f64)(a, b, n, c);
        return true;
    case DT_I32:
        (transpose ? matmul_t_i32 : matmul_i32)(a, b, n, c);
        return true;
    case DT_I64:
        (transpose ? matmul_t_i64 : matmul_i64)(a, b, n, c);
        return true;
    default:
        return false;
    }
}

Tensor *rt_csr_transpose(const Tensor *a)
{
    int64_t rows = a->shape[0], cols = a->shape[1], nnz = a->numel;
    Tensor *t = tensor_new_csr(a->dtype, cols, rows, nnz);
    if (!t)
        return NULL;
    /* counting sort by column: rowptr of the transpose from the column counts, then each entry
     * placed at its column's next free slot, visiting rows in order so columns stay sorted */
    memset(t->rowptr, 0, (size_t)(cols + 1) * sizeof(int64_t));
    for (int64_t p = 0; p < nnz; p++)
        t->rowptr[a->colidx[p] + 1]++;
    for (int64_t j = 0; j < cols; j++)
        t->rowptr[j + 1] += t->rowptr[j];
    size_t el = dtype_size(a->dtype);
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t p = a->rowptr[i]; p < a->rowptr[i + 1]; p++) {
            int64_t j = a->colidx[p];
            int64_t dst = t->rowptr[j]++;
            t->colidx[dst] = i;
            memcpy((char *)t->data + (size_t)dst * el, (const char *)a->data + (size_t)p * el, el);
        }
    }
    /* rowptr[j] now holds the end of row j: shift back to starts */
    for (int64_t j = cols; j > 0; j--)
        t->rowptr[j] = t->rowptr[j - 1];
    t->rowptr[0] = 0;
    return t;
}
