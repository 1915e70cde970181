/* io.h: data files (LANGUAGE.md §10): read .csv .npy .svm/.libsvm .mtx, write .csv .npy .mtx.
 *
 * Errors name the file, the line (and column) for text formats and what was expected:
 * "data/X.csv:3:7: error: expected a number, saw 'abc'"; "w.npy: error: unsupported dtype '>f8'
 * (expected little-endian f4, f8, i4, i8 or b1)". A file's dtype must be the declared one for
 * .npy (no silent conversion); text formats are parsed as the declared dtype. Writers create
 * missing folders and write to a temporary name in the same folder, then rename, so a failed
 * write never leaves a half-written file under the real name. */
#ifndef DMLC_EXECUTOR_IO_H
#define DMLC_EXECUTOR_IO_H

#include "executor/value.h"

/* What the declaration expects: the reader checks the rank (and csr-ness) and parses or checks
 * the dtype; the caller checks the sizes against the declaration. */
typedef struct {
    DType dtype;
    int rank;    /* 1 or 2 (.npy: 1..4) */
    bool sparse; /* csr (only .mtx coordinate, and .svm through io_load_libsvm) */
} IoExpect;

/* Reads a tensor, choosing the format by the extension (.csv, .npy, .mtx); an unknown extension
 * is an error listing the known ones. A rank-1 .csv is one value per line or one line of values;
 * an optional first line that is not numeric is a header. .mtx: `coordinate` gives csr (or
 * dense when a dense rank-2 tensor is expected), `array` gives dense; `symmetric` is expanded;
 * `pattern` entries are 1. */
Tensor *io_load(const char *path, const IoExpect *expect, RtError *err);
/* libsvm / svmlight: `label idx:val ...`, 1-based increasing indices; X is csr with as many
 * columns as the largest index; y has one label per line. */
bool io_load_libsvm(const char *path, DType dtype, Tensor **X, Tensor **y, RtError *err);
/* Writes a tensor (dense rank 1..2 for .csv, any dense for .npy, csr or dense rank 2 for .mtx);
 * floats with 17 significant digits in text formats so they read back exactly. */
bool io_save(const char *path, const Tensor *t, RtError *err);
/* Writes bytes to a file the same safe way (folders created, temporary name, fsync, rename): for
 * plans, metrics and plots. */
bool io_write_text(const char *path, const char *data, size_t len, RtError *err);
/* Writes a scalar (as a rank-0 .npy, or a one-line .csv). */
bool io_save_scalar(const char *path, RtValue v, RtError *err);

#endif
