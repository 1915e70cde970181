/* io.c: STUB, replaced by the data-files helper. */
#include "executor/io.h"

Tensor *io_load(const char *path, const IoExpect *expect, RtError *err)
{
    rt_errorf(err, "%s: error: reading data files is not implemented yet", path);
    return NULL;
}

bool io_load_libsvm(const char *path, DType dtype, Tensor **X, Tensor **y, RtError *err)
{
    return rt_errorf(err, "%s: error: reading libsvm files is not implemented yet", path);
}

bool io_save(const char *path, const Tensor *t, RtError *err)
{
    return rt_errorf(err, "%s: error: writing data files is not implemented yet", path);
}

bool io_save_scalar(const char *path, RtValue v, RtError *err)
{
    return rt_errorf(err, "%s: error: writing data files is not implemented yet", path);
}
