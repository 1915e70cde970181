/* fuzz_io.c: libFuzzer target for the data-file readers (executor/io.h).
 *
 * The first byte of an input picks the format (.csv, .npy, .mtx, .svm), the declared dtype, rank
 * and csr-ness; the rest is the file's content. Any content must give a tensor or a clean error
 * message naming the file, never a crash, a hang or a leak. */
#define _POSIX_C_SOURCE 200809L
#include "executor/io.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const extensions[] = {".csv", ".npy", ".mtx", ".svm"};
static const DType dtypes[] = {DT_F64, DT_F32, DT_I64, DT_I32, DT_BOOL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0];
    const char *ext = extensions[pick & 3];
    IoExpect expect = {.dtype = dtypes[(pick >> 2) % 5], .rank = 1 + ((pick >> 5) & 1),
                       .sparse = (pick >> 6) & 1};
    if (expect.sparse)
        expect.rank = 2;
    char path[128];
    snprintf(path, sizeof path, "/tmp/dmlc_fuzz_io_%ld%s", (long)getpid(), ext);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    RtError err = {0};
    if (ext[1] == 's' && ext[2] == 'v') {
        Tensor *X = NULL, *y = NULL;
        if (io_load_libsvm(path, expect.dtype == DT_BOOL ? DT_F64 : expect.dtype, &X, &y, &err)) {
            tensor_unref(X);
            tensor_unref(y);
        } else if (!err.set || !strstr(err.message, "error:")) {
            abort(); /* a failure must come with a message */
        }
    } else {
        Tensor *t = io_load(path, &expect, &err);
        if (t)
            tensor_unref(t);
        else if (!err.set || !strstr(err.message, "error:"))
            abort();
    }
    remove(path);
    return 0;
}
