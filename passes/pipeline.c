/* pipeline.c: the passes in order, with the verifier after each (passes.h). */
#include "passes/passes.h"

#include <string.h>

static const PassInfo pipeline[] = {
    {"shapes", "symbolic shape inference", pass_shapes},
    {"canonicalize", "constant folding, state-read merging, CSE, dead code", pass_canonicalize},
    {"autodiff", "reverse-mode expansion of ad.grad", pass_autodiff},
    {"cleanup", "canonicalize again, after autodiff", pass_canonicalize},
    {"fuse", "transposes into BLAS ops; elementwise chains and reductions into k.fused kernels",
     pass_fuse},
    {"memplan", "buffer reuse: results that may take a dead operand's buffer", pass_memplan},
    {"depend", "dependence analysis of parallel loops: accesses, index maps, class", pass_depend},
};
enum { NPASSES = sizeof pipeline / sizeof pipeline[0] };

const PassInfo *passes_list(int *count)
{
    *count = NPASSES;
    return pipeline;
}

const PassInfo *passes_find(const char *name)
{
    for (int i = 0; i < NPASSES; i++)
        if (strcmp(pipeline[i].name, name) == 0)
            return &pipeline[i];
    return NULL;
}

bool passes_run(IrModule *m, const char *stop_after, PassObserver observer, void *user,
                DiagList *diags)
{
    for (int i = 0; i < NPASSES; i++) {
        const PassInfo *p = &pipeline[i];
        if (!p->run(m, diags) || diags->nerrors > 0)
            return false;
        if (!ir_verify(m, diags)) {
            diag_error(diags, (Span){0, 0}, "internal error: the IR is invalid after pass '%s'",
                       p->name);
            return false;
        }
        if (observer)
            observer(p, m, user);
        if (stop_after && strcmp(stop_after, p->name) == 0)
            break;
    }
    return true;
}
