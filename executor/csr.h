/* csr.h: kernels for csr matrices (a Tensor with sparse set): products with dense operands and the
 * transpose.
 *
 * A is m x k with rowptr[m + 1], colidx[nnz] (sorted within a row) and nnz values; dense operands
 * and results are contiguous row-major buffers of A's dtype. Sums run in A's dtype (f32 in float,
 * integers wrapping) in the order SciPy's csr kernels use: row by row, entries in stored order, so
 * results match scipy.sparse bit for bit. The kernels read only entries inside rowptr's range and
 * trust the column indices (io.c and csr_transpose make them < cols). */
#ifndef DMLC_EXECUTOR_CSR_H
#define DMLC_EXECUTOR_CSR_H

#include "executor/value.h"

/* y = A @ x (x[k], y[m]), or with transpose y = A.T @ x (x[m], y[k]). False for a dtype that is not
 * numeric (bool). */
bool rt_csr_matvec(const Tensor *a, bool transpose, const void *x, void *y);
/* C = A @ B (B[k, n], C[m, n]), or with transpose C = A.T @ B (B[m, n], C[k, n]). False for bool.
 */
bool rt_csr_matmul(const Tensor *a, bool transpose, const void *b, int64_t n, void *c);
/* A.T as a new csr matrix (k x m, columns sorted within each row); NULL when memory runs out. */
Tensor *rt_csr_transpose(const Tensor *a);

#endif
