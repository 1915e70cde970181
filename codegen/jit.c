/* jit.c: STUB, replaced by the codegen helper. */
#include "codegen/jit.h"

Jit *jit_new(const JitOptions *options, RtError *err)
{
    rt_errorf(err, "error: the JIT is not implemented yet");
    return NULL;
}

void jit_free(Jit *jit)
{
}

bool jit_compile_module(Jit *jit, const IrModule *m, RtError *err)
{
    return rt_errorf(err, "error: the JIT is not implemented yet");
}

const JitKernel *jit_kernel(const Jit *jit, const IrOp *fused)
{
    return NULL;
}

double jit_compile_ms(const Jit *jit)
{
    return 0;
}

int jit_kernel_count(const Jit *jit)
{
    return 0;
}

bool jit_emit(const IrModule *m, const JitOptions *options, JitEmitKind kind, Buf *out,
              RtError *err)
{
    return rt_errorf(err, "error: the JIT is not implemented yet");
}
