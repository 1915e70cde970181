/* test_io.c: data files (executor/io.h): every format read against NumPy's reading of the same
 * file, NumPy- and SciPy-written files read back, our files written and read back bit for bit,
 * and each malformed file refused with its exact message.
 *
 * References were written once by tests/reference/io_make_reference.py into tests/data/io/; the
 * tests run from the repository root (the suite's init changes there), so paths in the expected
 * messages are relative to it. */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp */
#include "executor/io.h"
#include "executor/io_internal.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

/* Changes to the repository root, found from this file's path (CMake passes absolute paths). */
static void enter_repository_root(void)
{
    static const char self[] = "tests/unit/test_io.c";
    const char *file = __FILE__;
    size_t n = strlen(file), m = strlen(self);
    if (n >= m && strcmp(file + n - m, self) == 0 && n > m) {
        char root[4096];
        snprintf(root, sizeof root, "%.*s", (int)(n - m), file);
        cr_assert_eq(chdir(root), 0, "cannot enter %s", root);
    }
}

TestSuite(io, .init = enter_repository_root);

static Tensor *load(const char *path, DType dtype, int rank, bool sparse, RtError *err)
{
    IoExpect expect = {.dtype = dtype, .rank = rank, .sparse = sparse};
    return io_load(path, &expect, err);
}

/* Loads a file that must read; the test stops with the error otherwise. */
static Tensor *load_ok(const char *path, DType dtype, int rank, bool sparse)
{
    RtError err = {0};
    Tensor *t = load(path, dtype, rank, sparse, &err);
    cr_assert(t != NULL, "%s", err.message);
    cr_assert(!err.set, "%s", err.message);
    cr_assert_eq(t->dtype, dtype);
    cr_assert_eq(t->rank, rank);
    cr_assert_eq(t->sparse, sparse);
    return t;
}

/* Loads a file that must be refused with exactly `message`. */
static void expect_load_error(const char *path, DType dtype, int rank, bool sparse,
                              const char *message)
{
    RtError err = {0};
    Tensor *t = load(path, dtype, rank, sparse, &err);
    cr_expect_null(t, "%s read, but should fail with: %s", path, message);
    tensor_unref(t);
    cr_expect_str_eq(err.message, message);
}

static void expect_shape(const Tensor *t, int64_t rows, int64_t cols)
{
    cr_expect_eq(t->shape[0], rows, "rows %lld, expected %lld", (long long)t->shape[0],
                 (long long)rows);
    if (t->rank == 2)
        cr_expect_eq(t->shape[1], cols, "cols %lld, expected %lld", (long long)t->shape[1],
                     (long long)cols);
}

/* Same dtype, shape, storage and the same bytes (csr: the same rows, columns and values). */
static void expect_same_bits(const Tensor *a, const Tensor *b)
{
    cr_assert_eq(a->dtype, b->dtype);
    cr_assert_eq(a->rank, b->rank);
    cr_assert_eq(a->sparse, b->sparse);
    for (int i = 0; i < a->rank; i++)
        cr_assert_eq(a->shape[i], b->shape[i], "dimension %d: %lld vs %lld", i,
                     (long long)a->shape[i], (long long)b->shape[i]);
    cr_assert_eq(a->numel, b->numel);
    cr_expect_eq(memcmp(a->data, b->data, tensor_bytes(a)), 0, "elements differ");
    if (a->sparse) {
        cr_expect_eq(memcmp(a->rowptr, b->rowptr, (size_t)(a->shape[0] + 1) * sizeof(int64_t)), 0);
        cr_expect_eq(memcmp(a->colidx, b->colidx, (size_t)a->numel * sizeof(int64_t)), 0);
    }
}

/* A csr matrix as a dense f64 matrix. */
static Tensor *csr_to_dense(const Tensor *csr)
{
    Tensor *d = tensor_zeros(DT_F64, 2, csr->shape);
    cr_assert(d);
    for (int64_t r = 0; r < csr->shape[0]; r++)
        for (int64_t k = csr->rowptr[r]; k < csr->rowptr[r + 1]; k++)
            tensor_set_f64(d, r * csr->shape[1] + csr->colidx[k], tensor_get_f64(csr, k));
    return d;
}

/* A fresh temporary folder, and the path of a file in it. */
static char *temp_folder(void)
{
    char *dir = strdup("/tmp/dmlc_test_io_XXXXXX");
    cr_assert(dir && mkdtemp(dir), "mkdtemp failed");
    return dir;
}

static char *in_folder(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void remove_folder(char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* The names in a folder, sorted, joined by spaces. */
static void folder_listing(const char *dir, char *out, size_t size)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    cr_assert(n >= 0);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
            if (out[0])
                strncat(out, " ", size - strlen(out) - 1);
            strncat(out, names[i]->d_name, size - strlen(out) - 1);
        }
        free(names[i]);
    }
    free(names);
}

/* A whole file's bytes (NUL-terminated); *size is their count. */
static char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *size = (size_t)n;
    return data;
}

static void write_all(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, size, f), size);
    fclose(f);
}

static void expect_same_file(const char *path, const char *reference)
{
    size_t n, m;
    char *a = read_all(path, &n), *b = read_all(reference, &m);
    cr_expect_eq(n, m, "%s has %zu bytes, %s has %zu", path, n, reference, m);
    cr_expect(n == m && memcmp(a, b, n) == 0, "%s differs from %s", path, reference);
    free(a);
    free(b);
}

/* Saves t, which must succeed. */
static void save_ok(const char *path, const Tensor *t)
{
    RtError err = {0};
    cr_assert(io_save(path, t, &err), "%s", err.message);
}

/* xorshift64: deterministic pseudo-random bits for round trips and mutations. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* ---- the sample data, against NumPy's reading of it ---- */

Test(io, diabetes_csv_matches_numpy_loadtxt_bit_for_bit)
{
    Tensor *X = load_ok("samples/data/diabetes_X.csv", DT_F64, 2, false);
    Tensor *ref = load_ok("tests/data/io/ref_diabetes_X.npy", DT_F64, 2, false);
    expect_shape(X, 442, 10);
    expect_same_bits(X, ref);
    cr_expect_eq(((double *)X->data)[0], 0.038075906433423026);
    cr_expect_eq(((double *)X->data)[9], -0.01764612515980379);
    Tensor *y = load_ok("samples/data/diabetes_y.csv", DT_F64, 1, false);
    Tensor *yref = load_ok("tests/data/io/ref_diabetes_y.npy", DT_F64, 1, false);
    expect_shape(y, 442, 0);
    expect_same_bits(y, yref);
    cr_expect_eq(((double *)y->data)[0], 151);
    cr_expect_eq(((double *)y->data)[2], 141);
    tensor_unref(X);
    tensor_unref(ref);
    tensor_unref(y);
    tensor_unref(yref);
}

Test(io, iris_csv_as_f32_matches_numpy)
{
    Tensor *X = load_ok("samples/data/iris_X.csv", DT_F32, 2, false);
    Tensor *ref = load_ok("tests/data/io/ref_iris_X_f32.npy", DT_F32, 2, false);
    expect_shape(X, 150, 4);
    expect_same_bits(X, ref);
    cr_expect_eq(((float *)X->data)[0], 5.1f);
    /* iris_init.csv holds rows 0, 50 and 100 of iris_X.csv */
    Tensor *init = load_ok("samples/data/iris_init.csv", DT_F32, 2, false);
    expect_shape(init, 3, 4);
    for (int c = 0; c < 3; c++)
        cr_expect_eq(
            memcmp((float *)init->data + 4 * c, (float *)X->data + 4 * 50 * c, 4 * sizeof(float)),
            0, "centre %d", c);
    tensor_unref(X);
    tensor_unref(ref);
    tensor_unref(init);
}

Test(io, breast_cancer_labels_read_as_integers)
{
    Tensor *y = load_ok("samples/data/breast_cancer_y.csv", DT_I64, 1, false);
    Tensor *ref = load_ok("tests/data/io/ref_breast_cancer_y_i64.npy", DT_I64, 1, false);
    expect_shape(y, 569, 0);
    expect_same_bits(y, ref);
    int64_t ones = 0;
    for (int64_t i = 0; i < y->numel; i++)
        ones += ((int64_t *)y->data)[i];
    cr_expect_eq(ones, 357); /* 357 benign, 212 malignant */
    Tensor *b = load_ok("samples/data/breast_cancer_y.csv", DT_BOOL, 1, false);
    for (int64_t i = 0; i < y->numel; i++)
        cr_expect_eq(((uint8_t *)b->data)[i], ((int64_t *)y->data)[i]);
    Tensor *X = load_ok("samples/data/breast_cancer_X.csv", DT_F64, 2, false);
    expect_shape(X, 569, 30);
    cr_expect_eq(((double *)X->data)[0], 1.0970639814699807);
    tensor_unref(y);
    tensor_unref(ref);
    tensor_unref(b);
    tensor_unref(X);
}

Test(io, iris_labels_read_as_i32)
{
    Tensor *y = load_ok("samples/data/iris_y.csv", DT_I32, 1, false);
    expect_shape(y, 150, 0);
    const int32_t *v = y->data;
    cr_expect(v[0] == 0 && v[49] == 0 && v[50] == 1 && v[99] == 1 && v[100] == 2 && v[149] == 2);
    tensor_unref(y);
}

Test(io, digits_npy_shapes_and_one_hot_labels_agree)
{
    static const struct {
        const char *X, *y, *labels;
        int64_t rows;
    } sets[] = {
        {"samples/data/digits_train_X.npy", "samples/data/digits_train_y.npy",
         "samples/data/digits_train_labels.npy", 1437},
        {"samples/data/digits_test_X.npy", "samples/data/digits_test_y.npy",
         "samples/data/digits_test_labels.npy", 360},
    };
    for (int s = 0; s < 2; s++) {
        Tensor *X = load_ok(sets[s].X, DT_F32, 2, false);
        Tensor *y = load_ok(sets[s].y, DT_F32, 2, false);
        Tensor *labels = load_ok(sets[s].labels, DT_I64, 1, false);
        expect_shape(X, sets[s].rows, 64);
        expect_shape(y, sets[s].rows, 10);
        expect_shape(labels, sets[s].rows, 0);
        for (int64_t i = 0; i < sets[s].rows; i++) {
            int64_t label = ((int64_t *)labels->data)[i];
            cr_assert(label >= 0 && label < 10);
            for (int c = 0; c < 10; c++)
                cr_assert_eq(((float *)y->data)[i * 10 + c], c == label ? 1.0f : 0.0f);
        }
        for (int64_t i = 0; i < X->numel; i++) {
            float v = ((float *)X->data)[i];
            cr_assert(v >= 0 && v <= 1 && v * 16 == floorf(v * 16), "pixel / 16");
        }
        tensor_unref(X);
        tensor_unref(y);
        tensor_unref(labels);
    }
    /* the first training image, as NumPy prints it */
    Tensor *X = load_ok("samples/data/digits_train_X.npy", DT_F32, 2, false);
    const float first[12] = {0, 0, 0.6875f, 1, 0.9375f, 0.1875f, 0, 0, 0, 0.3125f, 1, 0.75f};
    cr_expect_eq(memcmp(X->data, first, sizeof first), 0);
    Tensor *labels = load_ok("samples/data/digits_train_labels.npy", DT_I64, 1, false);
    cr_expect_eq(((int64_t *)labels->data)[0], 2);
    cr_expect_eq(((int64_t *)labels->data)[1], 8);
    tensor_unref(X);
    tensor_unref(labels);
}

Test(io, ratings_mtx_matches_scipy_tocsr)
{
    Tensor *R = load_ok("samples/data/ratings.mtx", DT_F64, 2, true);
    expect_shape(R, 300, 200);
    cr_expect_eq(R->numel, 6000);
    Tensor *indptr = load_ok("tests/data/io/ref_ratings_indptr.npy", DT_I64, 1, false);
    Tensor *indices = load_ok("tests/data/io/ref_ratings_indices.npy", DT_I64, 1, false);
    Tensor *data = load_ok("tests/data/io/ref_ratings_data.npy", DT_F64, 1, false);
    cr_assert_eq(indptr->numel, 301);
    cr_assert_eq(indices->numel, 6000);
    cr_expect_eq(memcmp(R->rowptr, indptr->data, 301 * sizeof(int64_t)), 0);
    cr_expect_eq(memcmp(R->colidx, indices->data, 6000 * sizeof(int64_t)), 0);
    cr_expect_eq(memcmp(R->data, data->data, 6000 * sizeof(double)), 0);
    /* the first entry of the file: "1 4 0.14694870960208098" */
    cr_expect_eq(R->colidx[0], 3);
    cr_expect_eq(((double *)R->data)[0], 0.14694870960208098);
    /* read as a dense matrix, it is the same matrix */
    Tensor *D = load_ok("samples/data/ratings.mtx", DT_F64, 2, false);
    Tensor *expanded = csr_to_dense(R);
    expect_same_bits(D, expanded);
    tensor_unref(R);
    tensor_unref(indptr);
    tensor_unref(indices);
    tensor_unref(data);
    tensor_unref(D);
    tensor_unref(expanded);
}

/* ---- .npy ---- */

Test(io, npy_versions_1_2_and_3_read_the_same)
{
    Tensor *v1 = load_ok("tests/data/io/npy_v1_f8.npy", DT_F64, 2, false);
    Tensor *v2 = load_ok("tests/data/io/npy_v2_f8.npy", DT_F64, 2, false);
    Tensor *v3 = load_ok("tests/data/io/npy_v3_f8.npy", DT_F64, 2, false);
    expect_shape(v1, 2, 3);
    expect_same_bits(v1, v2);
    expect_same_bits(v1, v3);
    /* numpy.random.RandomState(0).standard_normal() */
    cr_expect_eq(((double *)v1->data)[0], 1.764052345967664);
    tensor_unref(v1);
    tensor_unref(v2);
    tensor_unref(v3);
}

Test(io, npy_every_dtype_and_rank)
{
    Tensor *f4 = load_ok("tests/data/io/npy_f4_rank3.npy", DT_F32, 3, false);
    cr_expect(f4->shape[0] == 2 && f4->shape[1] == 3 && f4->shape[2] == 4);

    Tensor *i4 = load_ok("tests/data/io/npy_i4_rank1.npy", DT_I32, 1, false);
    const int32_t i4_values[] = {INT32_MIN, -1, 0, 1, INT32_MAX};
    cr_assert_eq(i4->numel, 5);
    cr_expect_eq(memcmp(i4->data, i4_values, sizeof i4_values), 0);

    Tensor *i8 = load_ok("tests/data/io/npy_i8_rank4.npy", DT_I64, 4, false);
    cr_expect(i8->shape[0] == 2 && i8->shape[1] == 3 && i8->shape[2] == 4 && i8->shape[3] == 5);
    for (int64_t k = 0; k < 120; k++)
        cr_expect_eq(((int64_t *)i8->data)[k], (k - 60) * INT64_C(1000000000000000));

    Tensor *b1 = load_ok("tests/data/io/npy_b1_rank2.npy", DT_BOOL, 2, false);
    const uint8_t b1_values[] = {1, 0, 1, 0, 0, 1};
    expect_shape(b1, 2, 3);
    cr_expect_eq(memcmp(b1->data, b1_values, sizeof b1_values), 0);

    Tensor *empty = load_ok("tests/data/io/npy_f8_empty.npy", DT_F64, 2, false);
    expect_shape(empty, 0, 3);
    cr_expect_eq(empty->numel, 0);

    Tensor *special = load_ok("tests/data/io/npy_f8_special.npy", DT_F64, 1, false);
    const double *s = special->data;
    cr_expect(isnan(s[0]));
    cr_expect(isinf(s[1]) && s[1] > 0);
    cr_expect(isinf(s[2]) && s[2] < 0);
    cr_expect(s[3] == 0 && signbit(s[3]));
    cr_expect_eq(s[4], 4.9406564584124654e-324);
    cr_expect_eq(s[5], 1.7976931348623157e308);

    tensor_unref(f4);
    tensor_unref(i4);
    tensor_unref(i8);
    tensor_unref(b1);
    tensor_unref(empty);
    tensor_unref(special);
}

Test(io, npy_header_in_any_key_order_with_lists_and_long_integers)
{
    /* { "shape" : [2L , 3] ,"fortran_order":False,  "descr":"<f8"} */
    Tensor *t = load_ok("tests/data/io/bad/npy_odd_header.npy", DT_F64, 2, false);
    expect_shape(t, 2, 3);
    for (int k = 0; k < 6; k++)
        cr_expect_eq(((double *)t->data)[k], k);
    tensor_unref(t);
}

Test(io, npy_written_byte_for_byte_as_numpy_save)
{
    static const struct {
        const char *path;
        DType dtype;
        int rank;
    } files[] = {
        {"tests/data/io/npy_v1_f8.npy", DT_F64, 2},
        {"tests/data/io/npy_f4_rank3.npy", DT_F32, 3},
        {"tests/data/io/npy_i4_rank1.npy", DT_I32, 1},
        {"tests/data/io/npy_i8_rank4.npy", DT_I64, 4},
        {"tests/data/io/npy_b1_rank2.npy", DT_BOOL, 2},
        {"tests/data/io/npy_f8_empty.npy", DT_F64, 2},
        {"tests/data/io/npy_f8_special.npy", DT_F64, 1},
        {"tests/data/io/ref_diabetes_X.npy", DT_F64, 2},
    };
    char *dir = temp_folder();
    char *out = in_folder(dir, "out.npy");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        Tensor *t = load_ok(files[i].path, files[i].dtype, files[i].rank, false);
        save_ok(out, t);
        expect_same_file(out, files[i].path);
        Tensor *back = load_ok(out, files[i].dtype, files[i].rank, false);
        expect_same_bits(t, back);
        tensor_unref(t);
        tensor_unref(back);
    }
    free(out);
    remove_folder(dir);
}

Test(io, scalars_written_as_rank0_npy_and_one_line_csv)
{
    char *dir = temp_folder();
    char *npy = in_folder(dir, "s.npy"), *csv = in_folder(dir, "s.csv");
    RtError err = {0};
    cr_assert(io_save_scalar(npy, rt_f64(2.5), &err), "%s", err.message);
    expect_same_file(npy, "tests/data/io/npy_f8_scalar.npy");
    cr_assert(io_save_scalar(csv, rt_f64(0.1), &err), "%s", err.message);
    size_t n;
    char *text = read_all(csv, &n);
    cr_expect_str_eq(text, "0.10000000000000001\n");
    free(text);
    cr_assert(io_save_scalar(csv, rt_i64(-42), &err), "%s", err.message);
    text = read_all(csv, &n);
    cr_expect_str_eq(text, "-42\n");
    free(text);
    cr_expect_not(io_save_scalar(csv, rt_str("x"), &err));
    char message[512];
    snprintf(message, sizeof message, "%s: error: cannot write a str value to a data file", csv);
    cr_expect_str_eq(err.message, message);
    free(npy);
    free(csv);
    remove_folder(dir);
}

Test(io, npy_malformed_files_are_refused_with_their_reason)
{
    const char *d = "tests/data/io/bad/";
    static const struct {
        const char *file;
        DType dtype;
        int rank;
        const char *message;
    } cases[] = {
        {"npy_big_endian.npy", DT_F64, 2,
         "unsupported dtype '>f8' (expected little-endian f4, f8, i4, i8 or b1)"},
        {"npy_uint8.npy", DT_F64, 2,
         "unsupported dtype '|u1' (expected little-endian f4, f8, i4, i8 or b1)"},
        {"npy_structured.npy", DT_F64, 1,
         "unsupported dtype: a structured array (expected little-endian f4, f8, i4, i8 or b1)"},
        {"npy_fortran.npy", DT_F64, 2,
         "the array is in Fortran (column-major) order; only C order is supported (save "
         "numpy.ascontiguousarray(a))"},
        {"npy_f4.npy", DT_F64, 2, "the file holds f4 (float32), the declaration says f64"},
        {"npy_rank3.npy", DT_F64, 2,
         "the file holds a rank-3 array of shape (1, 2, 3), the declaration says rank 2"},
        {"npy_truncated.npy", DT_F64, 2,
         "truncated data: expected 48 bytes for shape (2, 3) of f8, found 43"},
        {"npy_extra.npy", DT_F64, 2,
         "8 unexpected bytes after the data (shape (2, 3) of f8 needs 48 bytes)"},
        {"npy_short.npy", DT_F64, 2, "truncated .npy header: expected at least 10 bytes, found 8"},
        {"npy_not_npy.npy", DT_F64, 2, "not a .npy file (it does not start with \\x93NUMPY)"},
        {"npy_version.npy", DT_F64, 2,
         "unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)"},
        {"npy_header_length.npy", DT_F64, 2,
         "truncated .npy header: expected 32767 bytes, found 166"},
        {"npy_unknown_key.npy", DT_F64, 2,
         "malformed .npy header at byte 68: unexpected key 'align' (expected 'descr', "
         "'fortran_order' and 'shape')"},
        {"npy_missing_shape.npy", DT_F64, 2, "malformed .npy header: no 'shape' key"},
        {"npy_bad_shape.npy", DT_F64, 2,
         "malformed .npy header at byte 64: expected a dimension (a non-negative integer), saw "
         "'-'"},
        {"npy_bad_bool.npy", DT_F64, 2,
         "malformed .npy header at byte 44: expected True or False, saw 'Maybe'"},
        {"npy_no_brace.npy", DT_F64, 2,
         "malformed .npy header at byte 10: expected '{', saw '\\''"},
        {"npy_garbage_after.npy", DT_F64, 2,
         "malformed .npy header at byte 68: expected the end of the header, saw 'x'"},
        {"npy_duplicate_key.npy", DT_F64, 2,
         "malformed .npy header: the key 'descr' appears twice"},
        {"npy_huge_shape.npy", DT_F64, 2, "the shape (4611686018427387904, 4) is too large"},
        {"npy_large_shape.npy", DT_F64, 2,
         "truncated data: expected 8000000000000 bytes for shape (1000000, 1000000) of f8, found "
         "48"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], message[1024];
        snprintf(path, sizeof path, "%s%s", d, cases[i].file);
        snprintf(message, sizeof message, "%s: error: %s", path, cases[i].message);
        expect_load_error(path, cases[i].dtype, cases[i].rank, false, message);
    }
}

Test(io, npy_rank0_file_is_not_a_tensor)
{
    expect_load_error("tests/data/io/npy_f8_scalar.npy", DT_F64, 1, false,
                      "tests/data/io/npy_f8_scalar.npy: error: the file holds a rank-0 array of "
                      "shape (), the declaration says rank 1");
}

/* ---- .csv ---- */

Test(io, csv_header_spaces_crlf_and_trailing_empty_lines)
{
    /* "a, b ,c\r\n1, 2 ,3\r\n 4\t,5,6 \r\n\r\n  \r\n" */
    Tensor *t = load_ok("tests/data/io/csv_header_crlf.csv", DT_F64, 2, false);
    expect_shape(t, 2, 3);
    for (int k = 0; k < 6; k++)
        cr_expect_eq(((double *)t->data)[k], k + 1);
    tensor_unref(t);
    t = load_ok("tests/data/io/csv_bom.csv", DT_I64, 2, false);
    expect_shape(t, 1, 2);
    cr_expect(((int64_t *)t->data)[0] == 1 && ((int64_t *)t->data)[1] == 2);
    tensor_unref(t);
}

Test(io, csv_rank1_is_one_line_of_values_or_one_value_per_line)
{
    Tensor *row = load_ok("tests/data/io/csv_row.csv", DT_F64, 1, false);
    expect_shape(row, 3, 0);
    const double row_values[] = {1.5, 2.5, -3};
    cr_expect_eq(memcmp(row->data, row_values, sizeof row_values), 0);
    Tensor *column = load_ok("tests/data/io/csv_column.csv", DT_I32, 1, false);
    expect_shape(column, 3, 0);
    const int32_t column_values[] = {1, 2, 3};
    cr_expect_eq(memcmp(column->data, column_values, sizeof column_values), 0);
    /* the same files as matrices */
    Tensor *row2 = load_ok("tests/data/io/csv_row.csv", DT_F64, 2, false);
    expect_shape(row2, 1, 3);
    Tensor *column2 = load_ok("tests/data/io/csv_column.csv", DT_F64, 2, false);
    expect_shape(column2, 3, 1);
    tensor_unref(row);
    tensor_unref(column);
    tensor_unref(row2);
    tensor_unref(column2);
}

Test(io, csv_special_floats)
{
    /* nan,-nan,inf,-inf,Infinity / -0,0.0,4.94e-324,1.797e308,1e400 / 1e-400,.5,5.,+7,0.1 */
    Tensor *t = load_ok("tests/data/io/csv_special.csv", DT_F64, 2, false);
    expect_shape(t, 3, 5);
    const double *v = t->data;
    cr_expect(isnan(v[0]) && !signbit(v[0]));
    cr_expect(isnan(v[1]) && signbit(v[1]));
    cr_expect(v[2] == INFINITY && v[3] == -INFINITY && v[4] == INFINITY);
    cr_expect(v[5] == 0 && signbit(v[5]));
    cr_expect(v[6] == 0 && !signbit(v[6]));
    cr_expect_eq(v[7], 4.9406564584124654e-324);
    cr_expect_eq(v[8], 1.7976931348623157e308);
    cr_expect_eq(v[9], INFINITY);
    cr_expect_eq(v[10], 0);
    cr_expect(v[11] == 0.5 && v[12] == 5 && v[13] == 7 && v[14] == 0.1);
    tensor_unref(t);
    Tensor *f = load_ok("tests/data/io/csv_special.csv", DT_F32, 2, false);
    const float *w = f->data;
    cr_expect(isnan(w[0]) && w[2] == INFINITY && w[8] == INFINITY && w[7] == 0);
    cr_expect(w[14] == 0.1f);
    tensor_unref(f);
}

Test(io, csv_integers_and_bools_parse_strictly)
{
    Tensor *t = load_ok("tests/data/io/csv_i64.csv", DT_I64, 2, false);
    const int64_t values[] = {INT64_MIN, INT64_MAX, 0, -12};
    cr_expect_eq(memcmp(t->data, values, sizeof values), 0);
    tensor_unref(t);
    Tensor *b = load_ok("tests/data/io/csv_bool.csv", DT_BOOL, 2, false);
    const uint8_t bools[] = {1, 0, 1, 0, 1, 0, 0, 1};
    cr_expect_eq(memcmp(b->data, bools, sizeof bools), 0);
    tensor_unref(b);
}

Test(io, csv_malformed_files_name_line_column_and_what_was_expected)
{
    static const struct {
        const char *file;
        DType dtype;
        int rank;
        const char *message; /* after "tests/data/io/bad/FILE:" */
    } cases[] = {
        {"csv_not_number.csv", DT_F64, 2, "2:3: error: expected a number, saw 'abc'"},
        {"csv_more_columns.csv", DT_F64, 2, "2:7: error: line 2 has 4 values, but line 1 has 3"},
        {"csv_fewer_columns.csv", DT_F64, 2, "2:4: error: line 2 has 2 values, but line 1 has 3"},
        {"csv_empty_field.csv", DT_F64, 2, "1:3: error: expected a number, saw ','"},
        {"csv_trailing_comma.csv", DT_F64, 2, "1:5: error: expected a number, saw end of line"},
        {"csv_float_for_int.csv", DT_I64, 2, "2:3: error: expected an i64 integer, saw '4.5'"},
        {"csv_int_range.csv", DT_I32, 1,
         "1:1: error: integer '3000000000' is out of range for i32"},
        {"csv_bool.csv", DT_BOOL, 1, "1:5: error: expected a bool (0, 1, true or false), saw '2'"},
        {"csv_empty_line.csv", DT_F64, 1,
         "3:1: error: empty line (only the last lines of the file may be empty)"},
        {"csv_rank1_grid.csv", DT_F64, 1,
         "2:1: error: expected one value per line or a single line of values for a rank-1 "
         "tensor, saw a second line after 2 values on line 1"},
        {"csv_nul.csv", DT_F64, 2, "1:3: error: expected a number, saw '2\\0'"},
        {"csv_hex.csv", DT_F64, 1, "2:1: error: expected a number, saw '0x10'"},
        {"csv_header_mixed.csv", DT_F64, 2, "1:1: error: expected a number, saw 'x'"},
        {"csv_spaces.csv", DT_F64, 1, "1:1: error: expected a number, saw '1 2 3'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], message[1024];
        snprintf(path, sizeof path, "tests/data/io/bad/%s", cases[i].file);
        snprintf(message, sizeof message, "%s:%s", path, cases[i].message);
        expect_load_error(path, cases[i].dtype, cases[i].rank, false, message);
    }
}

Test(io, csv_empty_or_header_only_file_is_empty)
{
    char *dir = temp_folder();
    char *path = in_folder(dir, "e.csv");
    write_all(path, "", 0);
    Tensor *t = load_ok(path, DT_F64, 1, false);
    expect_shape(t, 0, 0);
    tensor_unref(t);
    write_all(path, "x,y\n\n", 5);
    t = load_ok(path, DT_F64, 2, false);
    expect_shape(t, 0, 0);
    tensor_unref(t);
    free(path);
    remove_folder(dir);
}

/* Fills a tensor with random bit patterns (every double is a possible f64, NaNs included). */
static void fill_random(Tensor *t, uint64_t seed)
{
    uint64_t state = seed;
    uint8_t *bytes = t->data;
    for (size_t i = 0; i < tensor_bytes(t); i++)
        bytes[i] = (uint8_t)next_random(&state);
    if (t->dtype == DT_BOOL)
        for (int64_t i = 0; i < t->numel; i++)
            bytes[i] &= 1;
}

/* The text formats drop a NaN's payload: make every NaN the default one (keeping its sign). */
static void canonical_nans(Tensor *t)
{
    for (int64_t i = 0; i < t->numel; i++) {
        if (t->dtype == DT_F64 && isnan(((double *)t->data)[i]))
            ((double *)t->data)[i] = signbit(((double *)t->data)[i]) ? -NAN : NAN;
        if (t->dtype == DT_F32 && isnan(((float *)t->data)[i]))
            ((float *)t->data)[i] = signbit(((float *)t->data)[i]) ? -NAN : NAN;
    }
}

Test(io, csv_round_trip_is_bit_for_bit)
{
    char *dir = temp_folder();
    char *path = in_folder(dir, "sub/folder/r.csv");
    const DType dtypes[] = {DT_F64, DT_F32, DT_I64, DT_I32, DT_BOOL};
    for (int d = 0; d < 5; d++) {
        for (int rank = 1; rank <= 2; rank++) {
            int64_t shape[2] = {rank == 1 ? 1000 : 50, 20};
            Tensor *t = tensor_new(dtypes[d], rank, shape);
            fill_random(t, 12345 + (uint64_t)d * 10 + (uint64_t)rank);
            canonical_nans(t);
            /* a few values that are hard to print */
            if (dtypes[d] == DT_F64) {
                double *v = t->data;
                v[0] = 0.1, v[1] = 5e-324, v[2] = -0.0, v[3] = 1.7976931348623157e308;
                v[4] = 2.2250738585072009e-308, v[5] = INFINITY, v[6] = -NAN;
            }
            save_ok(path, t);
            Tensor *back = load_ok(path, dtypes[d], rank, false);
            expect_same_bits(t, back);
            tensor_unref(t);
            tensor_unref(back);
        }
    }
    free(path);
    remove_folder(dir);
}

Test(io, csv_writes_17_and_9_significant_digits)
{
    char *dir = temp_folder();
    char *path = in_folder(dir, "d.csv");
    int64_t shape[2] = {2, 2};
    Tensor *t = tensor_new(DT_F64, 2, shape);
    double *v = t->data;
    v[0] = 0.1, v[1] = 1.0 / 3, v[2] = -2, v[3] = 1e300;
    save_ok(path, t);
    size_t n;
    char *text = read_all(path, &n);
    cr_expect_str_eq(text, "0.10000000000000001,0.33333333333333331\n-2,1.0000000000000001e+300\n");
    free(text);
    tensor_unref(t);
    t = tensor_new(DT_F32, 1, shape);
    ((float *)t->data)[0] = 0.1f;
    ((float *)t->data)[1] = 16777217.0f;
    save_ok(path, t);
    text = read_all(path, &n);
    cr_expect_str_eq(text, "0.100000001\n16777216\n");
    free(text);
    tensor_unref(t);
    free(path);
    remove_folder(dir);
}

Test(io, csv_large_file_reads_every_value)
{
    /* 200000 x 8 values with short and 17-digit texts: both number paths, many buffer blocks. */
    char *dir = temp_folder();
    char *path = in_folder(dir, "big.csv");
    FILE *f = fopen(path, "w");
    fputs("c0,c1,c2,c3,c4,c5,c6,c7\n", f);
    const int64_t rows = 200000;
    for (int64_t i = 0; i < rows; i++)
        fprintf(f, "%lld,%lld.5,-%lld,%.17g,0.25,1e-3,%lld,7\r\n", (long long)i, (long long)i,
                (long long)i, (double)i / 7, (long long)(i % 13));
    fclose(f);
    Tensor *t = load_ok(path, DT_F64, 2, false);
    expect_shape(t, rows, 8);
    const double *v = t->data;
    int64_t bad_row = -1;
    for (int64_t i = 0; i < rows && bad_row < 0; i++) {
        const double *r = v + i * 8;
        if (!(r[0] == (double)i && r[1] == (double)i + 0.5 && r[2] == -(double)i &&
              r[3] == (double)i / 7 && r[4] == 0.25 && r[5] == 1e-3 && r[6] == (double)(i % 13) &&
              r[7] == 7))
            bad_row = i;
    }
    cr_expect_eq(bad_row, -1, "row %lld differs", (long long)bad_row);
    tensor_unref(t);
    free(path);
    remove_folder(dir);
}

/* Parses text as f64 and f32 and compares with strtod and strtof, bit for bit; counts the texts
 * that differ and keeps the first in *first (plain C: a Criterion assertion per number is slow). */
static void compare_with_libc(const char *text, int *mismatches, char *first, size_t size)
{
    double d = 0, d_libc = strtod(text, NULL);
    float f = 0, f_libc = strtof(text, NULL);
    const char *end = text + strlen(text);
    bool ok = io_parse_value(text, end, DT_F64, &d) == IO_VALUE_OK &&
              io_parse_value(text, end, DT_F32, &f) == IO_VALUE_OK &&
              memcmp(&d, &d_libc, sizeof d) == 0 && memcmp(&f, &f_libc, sizeof f) == 0;
    if (!ok && (*mismatches)++ == 0)
        snprintf(first, size, "%s: f64 %.17g (strtod %.17g), f32 %.9g (strtof %.9g)", text, d,
                 d_libc, f, f_libc);
}

Test(io, number_parsing_rounds_exactly_as_strtod_and_strtof)
{
    static const char *const formats[] = {"%.17g", "%.16g", "%.15g", "%.9g", "%.6g", "%.3g"};
    static const char *const fixed[] = {
        "9007199254740993",          /* 2^53 + 1: a tie, to even */
        "9007199254740995",          /* 2^53 + 3 */
        "16777217",                  /* 2^24 + 1 */
        "1.00000005960464477539062", /* 1 + 2^-24 */
        "0.1",
        "123456789012345678901234567890",
        "1e-320",
        "2.4703282292062327e-324",
        "3.4028235677973366e38", /* just above FLT_MAX */
        "3.4028235e38",
    };
    int mismatches = 0;
    char first[256] = "", text[64];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        compare_with_libc(fixed[i], &mismatches, first, sizeof first);
    uint64_t state = 42;
    for (int i = 0; i < 40000; i++) {
        uint64_t bits = next_random(&state);
        double x;
        memcpy(&x, &bits, sizeof x);
        if (isfinite(x)) {
            snprintf(text, sizeof text, formats[i % 6], x);
            compare_with_libc(text, &mismatches, first, sizeof first);
        }
        /* numbers of ordinary size, the fast paths' territory */
        double y = ldexp((double)(bits >> 11), -53) * pow(10, (int)(bits % 50) - 25);
        snprintf(text, sizeof text, formats[(i / 6) % 6], y);
        compare_with_libc(text, &mismatches, first, sizeof first);
        /* 19 and 12 digits next to the point halfway between two doubles, and two floats */
        long double mid = (long double)y + (long double)(nextafter(y, INFINITY) - y) / 2;
        snprintf(text, sizeof text, "%.19Lg", mid);
        compare_with_libc(text, &mismatches, first, sizeof first);
        float z = (float)y;
        long double fmid = (long double)z + (long double)(nextafterf(z, INFINITY) - z) / 2;
        snprintf(text, sizeof text, "%.19Lg", fmid);
        compare_with_libc(text, &mismatches, first, sizeof first);
        snprintf(text, sizeof text, "%.12Lg", fmid);
        compare_with_libc(text, &mismatches, first, sizeof first);
    }
    cr_expect_eq(mismatches, 0, "%d texts parse differently, the first: %s", mismatches, first);
}

/* ---- .mtx ---- */

Test(io, mtx_coordinate_duplicates_summed_and_rows_sorted)
{
    Tensor *t = load_ok("tests/data/io/mtx_duplicates.mtx", DT_F64, 2, true);
    expect_shape(t, 3, 4);
    const int64_t rowptr[] = {0, 1, 3, 4}, colidx[] = {1, 1, 3, 0};
    const double values[] = {0.75, 0, -1, 3.75};
    cr_assert_eq(t->numel, 4);
    cr_expect_eq(memcmp(t->rowptr, rowptr, sizeof rowptr), 0);
    cr_expect_eq(memcmp(t->colidx, colidx, sizeof colidx), 0);
    cr_expect_eq(memcmp(t->data, values, sizeof values), 0);
    Tensor *dense = load_ok("tests/data/io/mtx_duplicates.mtx", DT_F64, 2, false);
    Tensor *ref = load_ok("tests/data/io/ref_mtx_duplicates.npy", DT_F64, 2, false);
    expect_same_bits(dense, ref);
    tensor_unref(t);
    tensor_unref(dense);
    tensor_unref(ref);
}

Test(io, mtx_symmetric_and_pattern_match_scipy)
{
    static const char *const names[] = {"mtx_symmetric", "mtx_pattern"};
    for (int i = 0; i < 2; i++) {
        char path[128], ref_path[128];
        snprintf(path, sizeof path, "tests/data/io/%s.mtx", names[i]);
        snprintf(ref_path, sizeof ref_path, "tests/data/io/ref_%s.npy", names[i]);
        Tensor *ref = load_ok(ref_path, DT_F64, 2, false);
        Tensor *dense = load_ok(path, DT_F64, 2, false);
        Tensor *csr = load_ok(path, DT_F64, 2, true);
        Tensor *expanded = csr_to_dense(csr);
        expect_same_bits(dense, ref);
        expect_same_bits(expanded, ref);
        tensor_unref(ref);
        tensor_unref(dense);
        tensor_unref(csr);
        tensor_unref(expanded);
    }
    Tensor *sym = load_ok("tests/data/io/mtx_symmetric.mtx", DT_F64, 2, true);
    cr_expect_eq(sym->numel, 8); /* 5 entries, 3 of them off the diagonal */
    tensor_unref(sym);
}

Test(io, mtx_written_by_scipy_reads_as_scipy_reads_it)
{
    Tensor *a = load_ok("tests/data/io/mtx_scipy_array.mtx", DT_F64, 2, false);
    Tensor *a_ref = load_ok("tests/data/io/ref_mtx_scipy_array.npy", DT_F64, 2, false);
    expect_shape(a, 4, 3);
    expect_same_bits(a, a_ref);
    Tensor *s = load_ok("tests/data/io/mtx_scipy_array_symmetric.mtx", DT_F64, 2, false);
    Tensor *s_ref = load_ok("tests/data/io/ref_mtx_scipy_array_symmetric.npy", DT_F64, 2, false);
    expect_same_bits(s, s_ref);
    Tensor *c = load_ok("tests/data/io/mtx_scipy_coordinate.mtx", DT_F64, 2, true);
    Tensor *indptr = load_ok("tests/data/io/ref_mtx_scipy_coordinate_indptr.npy", DT_I64, 1, false);
    Tensor *indices =
        load_ok("tests/data/io/ref_mtx_scipy_coordinate_indices.npy", DT_I64, 1, false);
    Tensor *c_ref = load_ok("tests/data/io/ref_mtx_scipy_coordinate_dense.npy", DT_F64, 2, false);
    cr_assert_eq(c->numel, indices->numel);
    cr_expect_eq(memcmp(c->rowptr, indptr->data, (size_t)indptr->numel * sizeof(int64_t)), 0);
    cr_expect_eq(memcmp(c->colidx, indices->data, (size_t)indices->numel * sizeof(int64_t)), 0);
    Tensor *c_dense = csr_to_dense(c);
    expect_same_bits(c_dense, c_ref);
    Tensor *n = load_ok("tests/data/io/mtx_scipy_integer.mtx", DT_I64, 2, false);
    Tensor *n_ref = load_ok("tests/data/io/ref_mtx_scipy_integer.npy", DT_I64, 2, false);
    expect_same_bits(n, n_ref);
    Tensor *all[] = {a, a_ref, s, s_ref, c, indptr, indices, c_ref, c_dense, n, n_ref};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        tensor_unref(all[i]);
}

Test(io, mtx_banner_in_any_case_comments_blank_lines_and_crlf)
{
    /* %%matrixmarket MATRIX Coordinate Integer General, 2 x 3: (1,3) = -7, (2,1) = 12 */
    Tensor *t = load_ok("tests/data/io/mtx_crlf_integer.mtx", DT_I64, 2, true);
    expect_shape(t, 2, 3);
    const int64_t rowptr[] = {0, 1, 2}, colidx[] = {2, 0}, values[] = {-7, 12};
    cr_expect_eq(memcmp(t->rowptr, rowptr, sizeof rowptr), 0);
    cr_expect_eq(memcmp(t->colidx, colidx, sizeof colidx), 0);
    cr_expect_eq(memcmp(t->data, values, sizeof values), 0);
    tensor_unref(t);
    Tensor *d = load_ok("tests/data/io/mtx_crlf_integer.mtx", DT_F32, 2, false);
    const float dense[] = {0, 0, -7, 12, 0, 0};
    cr_expect_eq(memcmp(d->data, dense, sizeof dense), 0);
    tensor_unref(d);
}

Test(io, mtx_round_trips_csr_and_dense)
{
    char *dir = temp_folder();
    char *path = in_folder(dir, "m.mtx");
    Tensor *R = load_ok("samples/data/ratings.mtx", DT_F64, 2, true);
    save_ok(path, R);
    Tensor *back = load_ok(path, DT_F64, 2, true);
    expect_same_bits(R, back);
    tensor_unref(back);

    int64_t shape[2] = {7, 5};
    Tensor *D = tensor_new(DT_F64, 2, shape);
    fill_random(D, 99);
    canonical_nans(D);
    save_ok(path, D);
    back = load_ok(path, DT_F64, 2, false);
    expect_same_bits(D, back);
    tensor_unref(back);
    tensor_unref(D);

    Tensor *I = load_ok("tests/data/io/mtx_crlf_integer.mtx", DT_I64, 2, true);
    save_ok(path, I);
    size_t n;
    char *text = read_all(path, &n);
    cr_expect_str_eq(text,
                     "%%MatrixMarket matrix coordinate integer general\n2 3 2\n1 3 -7\n2 1 12\n");
    free(text);
    Tensor *dense = load_ok("tests/data/io/mtx_crlf_integer.mtx", DT_F64, 2, false);
    save_ok(path, dense);
    text = read_all(path, &n);
    cr_expect_str_eq(text, "%%MatrixMarket matrix array real general\n2 3\n0\n12\n0\n0\n-7\n0\n");
    free(text);
    tensor_unref(I);
    tensor_unref(dense);
    tensor_unref(R);
    free(path);
    remove_folder(dir);
}

Test(io, mtx_malformed_files_name_the_line)
{
    static const struct {
        const char *file;
        bool sparse;
        const char *message; /* after "tests/data/io/bad/FILE" */
    } cases[] = {
        {"mtx_banner.mtx", true,
         ":1:1: error: expected the banner '%%MatrixMarket matrix ...', saw '%MatrixMarket'"},
        {"mtx_complex.mtx", true,
         ":1:34: error: expected 'real', 'integer' or 'pattern', saw 'complex'"},
        {"mtx_hermitian.mtx", true,
         ":1:39: error: expected 'general' or 'symmetric', saw 'hermitian'"},
        {"mtx_pattern_array.mtx", false,
         ":1:29: error: 'pattern' needs the coordinate format, not 'array'"},
        {"mtx_size.mtx", true, ":2:3: error: expected the number of columns, saw 'x'"},
        {"mtx_no_size.mtx", true,
         ": error: expected a size line after the banner, saw the end of the file"},
        {"mtx_row_zero.mtx", true, ":4:1: error: expected a row index in 1..2, saw '0'"},
        {"mtx_column_range.mtx", true, ":3:3: error: expected a column index in 1..3, saw '5'"},
        {"mtx_negative.mtx", false, ":3:1: error: expected a row index in 1..2, saw '-1'"},
        {"mtx_too_few.mtx", true, ": error: expected 3 entries as declared on line 2, found 2"},
        {"mtx_too_many.mtx", true, ":4:1: error: more entries than the 1 declared on line 2"},
        {"mtx_huge.mtx", true,
         ":2:1: error: the size line declares 1000000000000 entries, but only 8 bytes follow"},
        {"mtx_array_huge.mtx", false,
         ":2:1: error: the size line declares 100000 x 100000 values, but only 4 bytes follow"},
        {"mtx_value.mtx", true, ":3:5: error: expected a number, saw 'abc'"},
        {"mtx_extra.mtx", true, ":3:9: error: expected end of line, saw '2.0'"},
        {"mtx_missing_value.mtx", true, ":3:4: error: expected a number, saw end of line"},
        {"mtx_symmetric_not_square.mtx", true,
         ":2:1: error: a symmetric matrix must be square, saw 2 rows and 3 columns"},
        {"mtx_array_too_few.mtx", false,
         ": error: expected 4 values as declared on line 2, found 3"},
        {"mtx_integer_float.mtx", true, ":3:5: error: expected an i64 integer, saw '1.5'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], message[1024];
        snprintf(path, sizeof path, "tests/data/io/bad/%s", cases[i].file);
        snprintf(message, sizeof message, "%s%s", path, cases[i].message);
        DType dtype = strcmp(cases[i].file, "mtx_integer_float.mtx") == 0 ? DT_I64 : DT_F64;
        expect_load_error(path, dtype, 2, cases[i].sparse, message);
    }
}

Test(io, mtx_declaration_must_fit_the_file)
{
    expect_load_error("tests/data/io/mtx_scipy_array.mtx", DT_F64, 2, true,
                      "tests/data/io/mtx_scipy_array.mtx: error: the file holds a dense matrix "
                      "(MatrixMarket array format), the declaration says csr");
    expect_load_error("tests/data/io/mtx_pattern.mtx", DT_F64, 1, false,
                      "tests/data/io/mtx_pattern.mtx: error: a .mtx file holds a matrix (rank 2), "
                      "the declaration says rank 1");
}

/* ---- libsvm ---- */

Test(io, libsvm_written_by_sklearn_reads_as_sklearn_reads_it)
{
    Tensor *X, *y;
    RtError err = {0};
    cr_assert(io_load_libsvm("tests/data/io/svm_sklearn.svm", DT_F64, &X, &y, &err), "%s",
              err.message);
    Tensor *X_ref = load_ok("tests/data/io/ref_svm_sklearn_X.npy", DT_F64, 2, false);
    Tensor *y_ref = load_ok("tests/data/io/ref_svm_sklearn_y.npy", DT_F64, 1, false);
    cr_assert(X->sparse);
    expect_shape(X, 8, 6);
    Tensor *dense = csr_to_dense(X);
    expect_same_bits(dense, X_ref);
    expect_same_bits(y, y_ref);
    cr_expect_eq(X->rowptr[4], X->rowptr[3], "row 3 has no features");
    tensor_unref(X);
    tensor_unref(y);
    tensor_unref(X_ref);
    tensor_unref(y_ref);
    tensor_unref(dense);
}

Test(io, libsvm_comments_blank_lines_and_signed_labels)
{
    /* "+1 1:0.5 3:-2 # a comment", "", "-1", "   # only a comment", "0 2:1e3\t4:0.25   " */
    Tensor *X, *y;
    RtError err = {0};
    cr_assert(io_load_libsvm("tests/data/io/svm_hand.libsvm", DT_F32, &X, &y, &err), "%s",
              err.message);
    expect_shape(X, 3, 4);
    const int64_t rowptr[] = {0, 2, 2, 4}, colidx[] = {0, 2, 1, 3};
    const float values[] = {0.5f, -2, 1000, 0.25f}, labels[] = {1, -1, 0};
    cr_assert_eq(X->numel, 4);
    cr_expect_eq(memcmp(X->rowptr, rowptr, sizeof rowptr), 0);
    cr_expect_eq(memcmp(X->colidx, colidx, sizeof colidx), 0);
    cr_expect_eq(memcmp(X->data, values, sizeof values), 0);
    cr_expect_eq(memcmp(y->data, labels, sizeof labels), 0);
    tensor_unref(X);
    tensor_unref(y);
}

Test(io, libsvm_malformed_files_name_line_and_column)
{
    static const struct {
        const char *file;
        const char *message; /* after "tests/data/io/bad/FILE:" */
    } cases[] = {
        {"svm_zero_index.svm",
         "1:3: error: expected a feature index of 1 or more (they start at 1), saw '0'"},
        {"svm_decreasing.svm",
         "1:7: error: expected a feature index greater than 3 (indices must increase), saw '2'"},
        {"svm_repeated.svm",
         "1:7: error: expected a feature index greater than 2 (indices must increase), saw '2'"},
        {"svm_no_colon.svm", "1:3: error: expected index:value, saw '3'"},
        {"svm_value.svm", "1:5: error: expected a number, saw 'x'"},
        {"svm_label.svm", "1:1: error: expected a number, saw 'a'"},
        {"svm_negative_index.svm",
         "1:3: error: expected a feature index (a positive integer), saw '-2'"},
        {"svm_qid.svm", "1:3: error: expected a feature index (a positive integer), saw 'qid'"},
        {"svm_missing_value.svm", "2:5: error: expected a number, saw end of line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], message[1024];
        snprintf(path, sizeof path, "tests/data/io/bad/%s", cases[i].file);
        snprintf(message, sizeof message, "%s:%s", path, cases[i].message);
        Tensor *X = NULL, *y = NULL;
        RtError err = {0};
        cr_expect_not(io_load_libsvm(path, DT_F64, &X, &y, &err));
        cr_expect(X == NULL && y == NULL);
        cr_expect_str_eq(err.message, message);
    }
}

/* ---- files, extensions and declarations ---- */

Test(io, missing_file_and_unknown_extensions)
{
    expect_load_error("tests/data/io/missing.csv", DT_F64, 2, false,
                      "tests/data/io/missing.csv: error: cannot open: No such file or directory");
    expect_load_error("tests/data/io/missing.npy", DT_F64, 2, false,
                      "tests/data/io/missing.npy: error: cannot open: No such file or directory");
    expect_load_error("data/X.txt", DT_F64, 2, false,
                      "data/X.txt: error: unknown data file extension '.txt' (expected .csv, .npy "
                      "or .mtx)");
    expect_load_error("data.v2/X", DT_F64, 2, false,
                      "data.v2/X: error: the file name has no extension (expected .csv, .npy or "
                      ".mtx)");
    expect_load_error("data/X.svm", DT_F64, 2, true,
                      "data/X.svm: error: a libsvm file holds a matrix and labels: read it with "
                      "load_libsvm");
    expect_load_error("tests/data/io", DT_F64, 2, false,
                      "tests/data/io: error: the file name has no extension (expected .csv, .npy "
                      "or .mtx)");
    Tensor *X, *y;
    RtError err = {0};
    cr_expect_not(io_load_libsvm("data/X.csv", DT_F64, &X, &y, &err));
    cr_expect_str_eq(err.message, "data/X.csv: error: load_libsvm reads .svm or .libsvm files, "
                                  "not '.csv'");
    err = (RtError){0};
    cr_expect_not(io_load_libsvm("tests/data/io/none.svm", DT_F64, &X, &y, &err));
    cr_expect_str_eq(err.message,
                     "tests/data/io/none.svm: error: cannot open: No such file or directory");
    /* upper-case extensions are fine */
    expect_load_error("tests/data/io/MISSING.CSV", DT_F64, 2, false,
                      "tests/data/io/MISSING.CSV: error: cannot open: No such file or directory");
}

Test(io, declaration_that_the_format_cannot_hold)
{
    expect_load_error("samples/data/iris_X.csv", DT_F64, 2, true,
                      "samples/data/iris_X.csv: error: a .csv file holds a dense tensor, the "
                      "declaration says csr (use .mtx or .svm for sparse data)");
    expect_load_error("samples/data/iris_X.csv", DT_F64, 3, false,
                      "samples/data/iris_X.csv: error: a .csv file holds a tensor of rank 1 or 2, "
                      "the declaration says rank 3 (use .npy)");
    expect_load_error("samples/data/digits_test_X.npy", DT_F32, 2, true,
                      "samples/data/digits_test_X.npy: error: a .npy file holds a dense array, the "
                      "declaration says csr (use .mtx for sparse data)");
    expect_load_error("samples/data/digits_test_X.npy", DT_F64, 2, false,
                      "samples/data/digits_test_X.npy: error: the file holds f4 (float32), the "
                      "declaration says f64");
    expect_load_error("samples/data/digits_test_labels.npy", DT_I32, 1, false,
                      "samples/data/digits_test_labels.npy: error: the file holds i8 (int64), the "
                      "declaration says i32");
    expect_load_error("samples/data", DT_F64, 2, false,
                      "samples/data: error: the file name has no extension (expected .csv, .npy "
                      "or .mtx)");
}

Test(io, reading_a_folder_is_an_error)
{
    char *dir = temp_folder();
    char *path = in_folder(dir, "d.csv");
    cr_assert_eq(mkdir(path, 0777), 0);
    char message[512];
    snprintf(message, sizeof message, "%s: error: cannot read: it is a folder", path);
    expect_load_error(path, DT_F64, 2, false, message);
    free(path);
    remove_folder(dir);
}

/* ---- writing ---- */

Test(io, writers_create_folders_and_leave_no_temporary_file)
{
    char *dir = temp_folder();
    char *path = in_folder(dir, "a/b/c/w.npy");
    Tensor *t = load_ok("tests/data/io/npy_v1_f8.npy", DT_F64, 2, false);
    save_ok(path, t);
    char *folder = in_folder(dir, "a/b/c");
    char listing[256];
    folder_listing(folder, listing, sizeof listing);
    cr_expect_str_eq(listing, "w.npy");
    /* overwriting an existing file replaces it */
    save_ok(path, t);
    folder_listing(folder, listing, sizeof listing);
    cr_expect_str_eq(listing, "w.npy");
    expect_same_file(path, "tests/data/io/npy_v1_f8.npy");
    tensor_unref(t);
    free(folder);
    free(path);
    remove_folder(dir);
}

Test(io, failed_writes_report_and_leave_nothing_behind)
{
    char *dir = temp_folder();
    Tensor *t = load_ok("tests/data/io/npy_v1_f8.npy", DT_F64, 2, false);
    /* a folder to create where a file is */
    char *file = in_folder(dir, "file");
    write_all(file, "x", 1);
    char *under_file = in_folder(dir, "file/sub/w.csv");
    RtError err = {0};
    cr_expect_not(io_save(under_file, t, &err));
    char message[1024];
    snprintf(message, sizeof message, "%s: error: cannot create folder '%s': a file has that name",
             under_file, file);
    cr_expect_str_eq(err.message, message);
    /* the target is a folder: the rename fails and the temporary file is removed */
    char *folder = in_folder(dir, "out.csv");
    cr_assert_eq(mkdir(folder, 0777), 0);
    err = (RtError){0};
    cr_expect_not(io_save(folder, t, &err));
    snprintf(message, sizeof message, "%s: error: cannot write: Is a directory", folder);
    cr_expect_str_eq(err.message, message);
    char listing[256];
    folder_listing(dir, listing, sizeof listing);
    cr_expect_str_eq(listing, "file out.csv");
    tensor_unref(t);
    free(file);
    free(under_file);
    free(folder);
    remove_folder(dir);
}

Test(io, writers_refuse_what_the_format_cannot_hold)
{
    Tensor *R = load_ok("tests/data/io/mtx_pattern.mtx", DT_F64, 2, true);
    Tensor *T = load_ok("tests/data/io/npy_f4_rank3.npy", DT_F32, 3, false);
    Tensor *v = load_ok("tests/data/io/csv_row.csv", DT_F64, 1, false);
    RtError err = {0};
    cr_expect_not(io_save("out/R.csv", R, &err));
    cr_expect_str_eq(err.message, "out/R.csv: error: cannot write csr f64[2, 3] (3 stored) as .csv "
                                  "(dense rank 1 or 2 only; use .mtx)");
    err = (RtError){0};
    cr_expect_not(io_save("out/T.csv", T, &err));
    cr_expect_str_eq(err.message, "out/T.csv: error: cannot write f32[2, 3, 4] as .csv (dense rank "
                                  "1 or 2 only; use .npy)");
    err = (RtError){0};
    cr_expect_not(io_save("out/R.npy", R, &err));
    cr_expect_str_eq(err.message,
                     "out/R.npy: error: cannot write csr f64[2, 3] (3 stored) as .npy (dense only; "
                     "use .mtx)");
    err = (RtError){0};
    cr_expect_not(io_save("out/v.mtx", v, &err));
    cr_expect_str_eq(err.message,
                     "out/v.mtx: error: cannot write f64[3] as .mtx (a matrix only; use .csv or "
                     ".npy)");
    err = (RtError){0};
    cr_expect_not(io_save("out/v.json", v, &err));
    cr_expect_str_eq(err.message, "out/v.json: error: unknown data file extension '.json' "
                                  "(expected .csv, .npy or .mtx)");
    struct stat st;
    cr_expect_neq(stat("out/R.csv", &st), 0, "nothing was written");
    tensor_unref(R);
    tensor_unref(T);
    tensor_unref(v);
}

/* ---- robustness ---- */

/* Reads path with several declarations: each read either succeeds or reports, never both. */
static void read_every_way(const char *path)
{
    static const IoExpect expects[] = {
        {DT_F64, 1, false},  {DT_F64, 2, false}, {DT_F64, 2, true},  {DT_I64, 2, false},
        {DT_BOOL, 1, false}, {DT_F32, 2, true},  {DT_I32, 2, false}, {DT_F64, 3, false},
    };
    for (size_t i = 0; i < sizeof expects / sizeof expects[0]; i++) {
        RtError err = {0};
        Tensor *t = io_load(path, &expects[i], &err);
        cr_assert((t != NULL) != err.set, "%s: result and error disagree", path);
        tensor_unref(t);
    }
    Tensor *X, *y;
    RtError err = {0};
    bool ok = io_load_libsvm(path, DT_F64, &X, &y, &err);
    cr_assert(ok != err.set);
    tensor_unref(X);
    tensor_unref(y);
}

Test(io, mutated_files_never_crash_a_reader)
{
    static const char *const seeds[] = {
        "tests/data/io/mtx_duplicates.mtx",  "tests/data/io/mtx_scipy_array_symmetric.mtx",
        "tests/data/io/csv_header_crlf.csv", "tests/data/io/csv_special.csv",
        "tests/data/io/npy_v1_f8.npy",       "tests/data/io/npy_v2_f8.npy",
        "tests/data/io/svm_hand.libsvm",     "tests/data/io/mtx_pattern.mtx",
    };
    static const char *const extensions[] = {".mtx", ".csv", ".npy", ".svm"};
    static const char interesting[] = "0123456789 ,.:-+eE\n\r\t%#'()[]{}\xff";
    char *dir = temp_folder();
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t n;
        char *original = read_all(seeds[s], &n);
        char *bytes = malloc(n + 16);
        for (int round = 0; round < 150; round++) {
            memcpy(bytes, original, n);
            size_t size = n;
            int edits = 1 + (int)(next_random(&state) % 4);
            for (int e = 0; e < edits && size > 0; e++) {
                size_t at = next_random(&state) % size;
                switch (next_random(&state) % 4) {
                case 0: /* replace a byte */
                    bytes[at] = interesting[next_random(&state) % (sizeof interesting - 1)];
                    break;
                case 1: /* random byte, NUL included */
                    bytes[at] = (char)next_random(&state);
                    break;
                case 2: /* truncate */
                    size = at;
                    break;
                default: /* delete a byte */
                    memmove(bytes + at, bytes + at + 1, size - at - 1);
                    size--;
                    break;
                }
            }
            char name[32];
            snprintf(name, sizeof name, "m%d%s", round, extensions[round % 4]);
            char *path = in_folder(dir, name);
            write_all(path, bytes, size);
            read_every_way(path);
            remove(path);
            free(path);
        }
        free(bytes);
        free(original);
    }
    remove_folder(dir);
}
