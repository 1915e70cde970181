/* interp_strata.c: serial two-axis nonzeros loops as P x P strata. NOT DONE YET: runs the loop in order (a valid execution of the
 * loop's consistency on one worker) until the schedule is written. */
#include "executor/interp_internal.h"

bool interp_strata_loop(Interp *it, const Step *s)
{
    return interp_ploop_in_order(it, s);
}
