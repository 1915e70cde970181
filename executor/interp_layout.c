/* interp_layout.c: layouts that follow access. NOT DONE YET: inputs keep the row-major layout. */
#include "executor/interp_internal.h"

bool interp_layout_input(Interp *it, const Step *s, RtValue *value)
{
    (void)it;
    (void)s;
    (void)value;
    return true;
}
