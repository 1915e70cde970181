/* frontend.c: runs the front-end phases in order. */
#include "frontend/frontend.h"

Program *fe_check(const SrcFile *file, Arena *arena, DiagList *diags)
{
    Program *prog = parse_program(file, arena, diags);
    if (!prog || diag_has_errors(diags))
        return NULL;
    if (!sema_check(prog, arena, diags))
        return NULL;
    return prog;
}
