/* value.h: run-time values: tensors (dense row-major, or CSR), scalars, and run-time errors.
 *
 * Every dense tensor is contiguous and row-major, 64-byte aligned. A tensor is reference counted:
 * SSA values, state slots and snapshots share one tensor, and whoever wants to change a tensor in
 * place first makes sure it holds the only reference (tensor_make_unique: copy on write). The
 * count is atomic: workers of the parallel executor share tensors.
 *
 * Two kinds of dense tensor are read-only whatever their count says (tensor_is_unique is false for
 * them, so tensor_make_unique copies them and nothing writes them in place):
 * - a rank-2 tensor with a column companion (`columns`: the transpose, each column padded to a
 *   whole number of 64-byte lines, built by tensor_add_columns for inputs read by columns,
 *   executor/interp_layout.c); it costs a second copy of the elements;
 * - a view (`base` set): its elements lie inside base's (a whole column of a companion,
 *   eval_index.c, 64-byte aligned like every tensor), and it holds a reference to base.
 *
 * Scalars live inline in an RtValue. An f32 scalar is kept as a double holding a value that is
 * exactly representable as a float: every op that produces an f32 scalar rounds with (float).
 * A bool scalar is 0 or 1 in `i`. */
#ifndef DMLC_EXECUTOR_VALUE_H
#define DMLC_EXECUTOR_VALUE_H

#include "ir/type.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct IrOp IrOp;

/* ---- errors ---- */

/* A run-time error: one fully formatted message ("prog.dml:12:5: error: index 10 is out of range
 * for w (size 10)", or "data/X.csv:3:7: error: expected a number, saw 'abc'"), no trailing newline.
 * Library code fills it and returns false; the CLI prints it. */
typedef struct {
    bool set;
    char message[1024];
} RtError;

/* Formats the whole message (the caller writes the "file:line:col: error: " prefix). Returns
 * false so that `return rt_errorf(err, ...)` reads naturally. Only the first error is kept. */
bool rt_errorf(RtError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the op's source position ("prog.dml:12:5: error: "), or "error: " when it has none. */
bool rt_op_errorf(RtError *err, const IrOp *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool rt_op_verrorf(RtError *err, const IrOp *op, const char *fmt, va_list ap);

/* ---- tensors ---- */

typedef struct Tensor {
    DType dtype; /* bool, i32, i64, f32, f64 */
    int rank;    /* 1..4 (scalars are RtValues, not tensors) */
    bool sparse; /* csr matrix: rank 2; `data` holds the nnz values */
    int64_t shape[TYPE_MAX_RANK];
    int64_t numel;    /* dense: product of shape; csr: nnz */
    void *data;       /* dense elements, or csr values; NULL when numel == 0 is allowed */
    int64_t *rowptr;  /* csr: shape[0] + 1 offsets */
    int64_t *colidx;  /* csr: nnz column indices, sorted within each row */
    const struct TensorPlacer *placer; /* dense data from a placer (freed by it), else NULL */
    int refs;
    struct Tensor *columns; /* rank-2 dense: the column companion (owned reference), or NULL */
    struct Tensor *base;    /* a view: the tensor whose elements `data` points into, else NULL */
} Tensor;

/* Where large dense tensors' elements come from while a placer is installed: the parallel
 * executor installs one on a machine with several NUMA domains, which splits the rows over the
 * domains and binds each block's pages to its domain (executor/topo.h). Tensors of at least
 * min_bytes use it; the rest, and every tensor while none is installed, use aligned heap memory. */
typedef struct TensorPlacer {
    void *(*alloc)(const struct TensorPlacer *p, size_t bytes, int64_t rows, int64_t row_elems,
                   size_t elem);
    void (*free)(const struct TensorPlacer *p, void *data, size_t bytes);
    void *user;
    size_t min_bytes;
} TensorPlacer;

/* Installs a placer for the tensors made from now on (NULL: none). It must outlive every tensor
 * it made. One per process: the runtime installs it for a run and removes it after. */
void tensor_set_placer(const TensorPlacer *p);

size_t dtype_size(DType t); /* bytes per element: bool 1, i32 4, i64 8, f32 4, f64 8 */

/* A new dense tensor with uninitialised elements (refs = 1); NULL when memory runs out. */
Tensor *tensor_new(DType dtype, int rank, const int64_t *shape);
/* The same, zero-filled. */
Tensor *tensor_zeros(DType dtype, int rank, const int64_t *shape);
/* A new csr matrix rows x cols with room for nnz entries (rowptr, colidx, values uninitialised). */
Tensor *tensor_new_csr(DType dtype, int64_t rows, int64_t cols, int64_t nnz);
/* A deep copy (dense or csr); NULL when memory runs out. */
Tensor *tensor_copy(const Tensor *t);
Tensor *tensor_ref(Tensor *t);
void tensor_unref(Tensor *t); /* NULL is fine */
/* True when the caller holds the only reference (so it may change the tensor in place); false for
 * a view and for a tensor with a column companion, which are read-only. */
bool tensor_is_unique(const Tensor *t);
/* Copy on write: returns *t itself when it holds the only reference, else replaces *t by a copy
 * (dropping one reference to the original). NULL when memory runs out (then *t is unchanged). */
Tensor *tensor_make_unique(Tensor **t);
size_t tensor_bytes(const Tensor *t); /* bytes of the elements (dense) or values (csr) */
/* A dense view of rank and shape whose elements start at `data`, inside base's elements (the
 * caller checked that they fit and that data is 64-byte aligned); it holds a reference to base.
 * NULL when memory runs out. */
Tensor *tensor_view(Tensor *base, void *data, int rank, const int64_t *shape);
/* Gives a dense rank-2 tensor its column companion (once; a second call does nothing): column j
 * is then contiguous at tensor_column(t, j). The transpose is cut into blocks of columns, run
 * through parallel_for(user, nblocks, fn, arg) when it is not NULL (each block once, in any order
 * and possibly at the same time), else in order. False when memory runs out (t unchanged). */
bool tensor_add_columns(Tensor *t,
                        void (*parallel_for)(void *user, int64_t n,
                                             void (*fn)(void *arg, int64_t i), void *arg),
                        void *user);
/* Column j's elements in t's companion (t->columns set, 0 <= j < cols): rows elements in a row. */
void *tensor_column(const Tensor *t, int64_t j);
bool tensor_same_shape(const Tensor *a, const Tensor *b);
/* "f64[442, 10]" or "csr f64[300, 200] (6000 stored)". */
void tensor_describe(const Tensor *t, char *out, size_t size);

/* Element access by flat index, converting through double / int64 (slow paths, tests). */
double tensor_get_f64(const Tensor *t, int64_t flat);
int64_t tensor_get_i64(const Tensor *t, int64_t flat);
void tensor_set_f64(Tensor *t, int64_t flat, double v);
void tensor_set_i64(Tensor *t, int64_t flat, int64_t v);

/* ---- values ---- */

typedef struct {
    DType dtype;    /* of the scalar or of the tensor's elements */
    bool is_tensor; /* t is set (owned reference) */
    union {
        double f;      /* f32, f64 */
        int64_t i;     /* i32, i64, bool (0 / 1) */
        const char *s; /* str: points into the IR module's arena or the options (not owned) */
        Tensor *t;
    };
} RtValue;

RtValue rt_f64(double v);
RtValue rt_f32(double v); /* rounds to float */
RtValue rt_i64(int64_t v);
RtValue rt_scalar_of(DType dtype, double v); /* rounds and converts to the dtype */
RtValue rt_bool(bool v);
RtValue rt_str(const char *s);
RtValue rt_tensor(Tensor *t); /* takes the reference */
/* A scalar's value as double / int64 (bool and ints convert exactly). */
double rt_as_f64(RtValue v);
int64_t rt_as_i64(RtValue v);
RtValue rt_value_ref(RtValue v);   /* a second reference (tensors), or the same scalar */
void rt_value_release(RtValue *v); /* drops the tensor reference and clears the slot */

#endif
