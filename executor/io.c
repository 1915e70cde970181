/* io.c: data files (io.h): pick the format by the extension and check what the declaration asks
 * of it; the formats themselves are in io_csv.c, io_npy.c, io_mtx.c and io_svm.c. */
#include "executor/io_internal.h"

typedef enum { FORMAT_UNKNOWN, FORMAT_CSV, FORMAT_NPY, FORMAT_MTX, FORMAT_SVM } Format;

/* The extension of the file name in path ("" when it has none), with its dot. */
static const char *extension_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? dot : "";
}

/* True when a and b are equal ignoring ASCII case. */
static bool same_ignoring_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

/* The format of path, by its extension (any case). */
static Format format_of(const char *path)
{
    const char *ext = extension_of(path);
    if (same_ignoring_case(ext, ".csv"))
        return FORMAT_CSV;
    if (same_ignoring_case(ext, ".npy"))
        return FORMAT_NPY;
    if (same_ignoring_case(ext, ".mtx"))
        return FORMAT_MTX;
    if (same_ignoring_case(ext, ".svm") || same_ignoring_case(ext, ".libsvm"))
        return FORMAT_SVM;
    return FORMAT_UNKNOWN;
}

/* "unknown data file extension '.txt' (expected .csv, .npy or .mtx)". */
static bool unknown_extension(const char *path, const char *expected, RtError *err)
{
    const char *ext = extension_of(path);
    if (!*ext)
        return io_errorf(err, path, "the file name has no extension (expected %s)", expected);
    return io_errorf(err, path, "unknown data file extension '%s' (expected %s)", ext, expected);
}

/* The dtypes a tensor can hold (not none or str). */
static bool is_element_dtype(DType dtype)
{
    return dtype == DT_BOOL || dtype == DT_I32 || dtype == DT_I64 || dtype == DT_F32 ||
           dtype == DT_F64;
}

/* Checks that the format can hold what the declaration asks for. */
static bool check_expectation(const char *path, Format format, const IoExpect *expect, RtError *err)
{
    if (!is_element_dtype(expect->dtype))
        return io_errorf(err, path, "cannot read %s elements from a data file",
                         type_dtype_name(expect->dtype));
    if (expect->rank < 1 || expect->rank > TYPE_MAX_RANK || (expect->sparse && expect->rank != 2))
        return io_errorf(err, path, "cannot read a rank-%d%s tensor", expect->rank,
                         expect->sparse ? " csr" : "");
    switch (format) {
    case FORMAT_CSV:
        if (expect->sparse)
            return io_errorf(err, path,
                             "a .csv file holds a dense tensor, the declaration says "
                             "csr (use .mtx or .svm for sparse data)");
        if (expect->rank > 2)
            return io_errorf(err, path,
                             "a .csv file holds a tensor of rank 1 or 2, the declaration says "
                             "rank %d (use .npy)",
                             expect->rank);
        return true;
    case FORMAT_NPY:
        if (expect->sparse)
            return io_errorf(err, path,
                             "a .npy file holds a dense array, the declaration says "
                             "csr (use .mtx for sparse data)");
        return true;
    case FORMAT_MTX:
        if (expect->rank != 2)
            return io_errorf(err, path,
                             "a .mtx file holds a matrix (rank 2), the declaration says "
                             "rank %d",
                             expect->rank);
        return true;
    default:
        return true;
    }
}

Tensor *io_load(const char *path, const IoExpect *expect, RtError *err)
{
    Format format = format_of(path);
    if (format == FORMAT_SVM) {
        io_errorf(err, path, "a libsvm file holds a matrix and labels: read it with load_libsvm");
        return NULL;
    }
    if (format == FORMAT_UNKNOWN) {
        unknown_extension(path, ".csv, .npy or .mtx", err);
        return NULL;
    }
    if (!check_expectation(path, format, expect, err))
        return NULL;
    switch (format) {
    case FORMAT_CSV:
        return io_csv_load(path, expect, err);
    case FORMAT_NPY:
        return io_npy_load(path, expect, err);
    default:
        return io_mtx_load(path, expect, err);
    }
}

bool io_load_libsvm(const char *path, DType dtype, Tensor **X, Tensor **y, RtError *err)
{
    *X = *y = NULL;
    if (format_of(path) != FORMAT_SVM) {
        const char *ext = extension_of(path);
        if (!*ext)
            return io_errorf(err, path,
                             "load_libsvm reads .svm or .libsvm files; the file name "
                             "has no extension");
        return io_errorf(err, path, "load_libsvm reads .svm or .libsvm files, not '%s'", ext);
    }
    if (!is_element_dtype(dtype))
        return io_errorf(err, path, "cannot read %s elements from a data file",
                         type_dtype_name(dtype));
    return io_svm_load(path, dtype, X, y, err);
}

bool io_save(const char *path, const Tensor *t, RtError *err)
{
    char what[128];
    tensor_describe(t, what, sizeof what);
    switch (format_of(path)) {
    case FORMAT_CSV:
        if (t->sparse || t->rank > 2)
            return io_errorf(err, path, "cannot write %s as .csv (dense rank 1 or 2 only; use %s)",
                             what, t->sparse ? ".mtx" : ".npy");
        return io_csv_write(path, t->dtype, t->rank, t->shape, t->data, err);
    case FORMAT_NPY:
        if (t->sparse)
            return io_errorf(err, path, "cannot write %s as .npy (dense only; use .mtx)", what);
        return io_npy_write(path, t->dtype, t->rank, t->shape, t->data, err);
    case FORMAT_MTX:
        if (t->rank != 2)
            return io_errorf(err, path, "cannot write %s as .mtx (a matrix only; use .csv or .npy)",
                             what);
        return io_mtx_save(path, t, err);
    case FORMAT_SVM:
        return io_errorf(err, path, "writing libsvm files is not supported (use .mtx or .npy)");
    default:
        return unknown_extension(path, ".csv, .npy or .mtx", err);
    }
}

bool io_save_scalar(const char *path, RtValue v, RtError *err)
{
    if (v.is_tensor)
        return io_save(path, v.t, err);
    IoElement element;
    Format format = format_of(path);
    if (format == FORMAT_UNKNOWN)
        return unknown_extension(path, ".csv or .npy", err);
    if (format != FORMAT_CSV && format != FORMAT_NPY)
        return io_errorf(err, path, "cannot write a scalar as %s (use .csv or .npy)",
                         extension_of(path));
    if (!io_scalar_element(v, &element))
        return io_errorf(err, path, "cannot write a %s value to a data file",
                         type_dtype_name(v.dtype));
    int64_t one = 1;
    if (format == FORMAT_CSV)
        return io_csv_write(path, v.dtype, 1, &one, &element, err);
    return io_npy_write(path, v.dtype, 0, NULL, &element, err);
}
