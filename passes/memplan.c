/* memplan.c: STUB (does nothing yet), replaced by its helper. */
#include "passes/passes.h"

bool pass_memplan(IrModule *m, DiagList *diags)
{
    return true;
}
