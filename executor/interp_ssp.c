/* interp_ssp.c: ssp(s) loops. NOT DONE YET: runs the loop in order (a valid execution of the
 * loop's consistency on one worker) until the schedule is written. */
#include "executor/interp_internal.h"

bool interp_ssp_loop(Interp *it, const Step *s)
{
    return interp_ploop_in_order(it, s);
}

bool interp_ssp_may_overlap(const Interp *it, const Step *s)
{
    (void)it;
    (void)s;
    return false;
}

bool interp_ssp_drain(Interp *it)
{
    it->ssp = NULL;
    return true;
}
