/* io_write_for_numpy.c: writes one file of each kind with executor/io.c, for io_check_written.py
 * to read with NumPy and SciPy. Not part of the build: the script compiles and runs it.
 *
 *   io_write_for_numpy OUT_DIR
 *
 * The elements come from formulas that the script evaluates the same way (IEEE arithmetic gives
 * the same bits in C and in Python), plus a few special values at fixed places. */
#include "executor/io.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *out_dir;

/* Saves t as OUT_DIR/name; false (and a message) when it fails. */
static bool save(const char *name, const Tensor *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    RtError err = {0};
    if (io_save(path, t, &err))
        return true;
    fprintf(stderr, "%s\n", err.message);
    return false;
}

static bool save_scalar(const char *name, RtValue v)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    RtError err = {0};
    if (io_save_scalar(path, v, &err))
        return true;
    fprintf(stderr, "%s\n", err.message);
    return false;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: io_write_for_numpy OUT_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    bool ok = true;

    /* f64[7, 5]: (i * 0.37 - 5) / 3, with nan, inf, -inf, -0.0 and the smallest subnormal */
    int64_t shape2[2] = {7, 5};
    Tensor *f64 = tensor_new(DT_F64, 2, shape2);
    for (int64_t i = 0; i < f64->numel; i++)
        ((double *)f64->data)[i] = ((double)i * 0.37 - 5) / 3;
    double *d = f64->data;
    d[1] = NAN, d[2] = INFINITY, d[3] = -INFINITY, d[4] = -0.0, d[5] = 4.9406564584124654e-324;
    ok &= save("f64.csv", f64) && save("f64.npy", f64) && save("f64.mtx", f64);

    /* f32[2, 3, 4]: (i - 10) / 7 rounded to float */
    int64_t shape3[3] = {2, 3, 4};
    Tensor *f32 = tensor_new(DT_F32, 3, shape3);
    for (int64_t i = 0; i < f32->numel; i++)
        ((float *)f32->data)[i] = (float)((double)(i - 10) / 7.0);
    ok &= save("f32.npy", f32);
    Tensor *f32_2 = tensor_new(DT_F32, 2, shape2);
    for (int64_t i = 0; i < f32_2->numel; i++)
        ((float *)f32_2->data)[i] = (float)((double)(i - 10) / 7.0);
    ok &= save("f32.csv", f32_2);

    /* i32[6], i64[2, 3, 4, 5], bool[7, 5] */
    int64_t n6 = 6;
    Tensor *i32 = tensor_new(DT_I32, 1, &n6);
    const int32_t i32_values[] = {INT32_MIN, -1, 0, 1, 12345, INT32_MAX};
    memcpy(i32->data, i32_values, sizeof i32_values);
    ok &= save("i32.npy", i32) && save("i32.csv", i32);
    int64_t shape4[4] = {2, 3, 4, 5};
    Tensor *i64 = tensor_new(DT_I64, 4, shape4);
    for (int64_t i = 0; i < i64->numel; i++)
        ((int64_t *)i64->data)[i] = i * INT64_C(1000000000000000) - 7;
    ok &= save("i64.npy", i64);
    Tensor *b = tensor_new(DT_BOOL, 2, shape2);
    for (int64_t i = 0; i < b->numel; i++)
        ((uint8_t *)b->data)[i] = i % 3 == 0;
    ok &= save("bool.npy", b) && save("bool.csv", b);

    /* an empty f64[0, 3] */
    int64_t empty_shape[2] = {0, 3};
    Tensor *empty = tensor_new(DT_F64, 2, empty_shape);
    ok &= save("empty.npy", empty);

    /* the sample ratings as csr, written back */
    IoExpect csr = {.dtype = DT_F64, .rank = 2, .sparse = true};
    RtError err = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s", "samples/data/ratings.mtx");
    Tensor *ratings = io_load(path, &csr, &err);
    if (!ratings) {
        fprintf(stderr, "%s\n", err.message);
        ok = false;
    } else {
        ok &= save("ratings.mtx", ratings);
    }

    /* scalars */
    ok &= save_scalar("scalar_f64.npy", rt_f64(2.5)) && save_scalar("scalar_i64.csv", rt_i64(-42));
    ok &= save_scalar("scalar_bool.npy", rt_bool(true));

    Tensor *all[] = {f64, f32, f32_2, i32, i64, b, empty, ratings};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        tensor_unref(all[i]);
    return ok ? 0 : 1;
}
