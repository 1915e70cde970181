/* interp.c: STUB, being written by the lead. */
#include "executor/runtime.h"

bool rt_run(const IrModule *m, const RtOptions *options, RtStats *stats, RtError *err)
{
    return rt_errorf(err, "error: running programs is not implemented yet");
}
