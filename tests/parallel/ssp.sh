#!/usr/bin/env bash
# ssp.sh DMLC: ssp(s) loops on the executor (issue 5), with the Bösen invariant.
#
#   ssp_invariant.dml  P workers (--workers P, --set P=P: share p of the inner loop is iteration
#                      p), C clocks, each worker incrementing its own counter once per clock and
#                      reading every counter first. The bound, derived: during worker p's share at
#                      clock c its own counter is exactly c (its c earlier increments; nobody else
#                      writes it). That share started only after every share of clocks <= c-s-1
#                      finished, so every other counter is >= c - s; and no worker starts clock
#                      c+s+1 before p finishes clock c, so every other counter is <= c + s + 1
#                      (its increment at clock c+s may land while p's share runs). The gap
#                      own - other thus lies in [-(s+1), s] for every read, whatever the timing:
#                      "lead" (the largest gap seen) <= s and "lag" (the smallest) >= -(s+1), and
#                      the program counts reads outside the bound (violations, accumulated
#                      atomically) and asserts zero. ssp(0): lead <= 0, nobody is ever ahead.
#                      With s >= 1, worker 1 waits at clock 0 until worker 0 has finished clock 1
#                      (slow=1), which only ssp(s >= 1) allows; worker 0's share at clock 1 then
#                      reads counter 1 as 0: lead >= 1 by construction, not by luck ("reached 1"
#                      says the wait ended that way; a schedule that holds workers back fails it).
#                      All counters equal C at the end (every write visible, none lost).
#                      2 and 4 workers, s in {0, 1, 3}; 1 worker runs in order (lead 0, lag 0).
#   ssp_count.dml      ssp loops inside a sequential loop, the driver running ahead: exact counts,
#                      values captured per clock, a var the loop reads changed between clocks, a
#                      read mid-way that sees every earlier clock, a nonzeros loop's counts
#                      (1, 2, 4 workers; s = 0, 2, 5)
#   ssp_graph.dml      a segment run as a task graph after the loop reads what it writes: every
#                      write of the clocks before is visible (1, 2, 4 workers)
#   ssp_control.dml    break and continue with shares in flight, ssp loops in a while and in an
#                      if, two ssp loops in one outer loop, a bsp loop reading what an ssp loop
#                      wrote, 0 to 3 iterations per clock: exact counts (1, 2, 3, 4, 8 workers)
#   ssp_error.dml      an out-of-range write at clock 5: exit 1 with the position, no hang
#   --set S=-1         a negative staleness: exit 1 with the message
# Prints "N passed, M failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# The Bösen invariant.
for w in 1 2 4; do
    for s in 0 1 3; do
        slow=0
        [[ $w -ge 2 && $s -ge 1 ]] && slow=1
        name="ssp_invariant --workers $w ssp($s)"
        run run "$here/ssp_invariant.dml" --workers "$w" --set "P=$w" --set "S=$s" \
            --set "slow=$slow" --set C=200
        # ssp S workers P violations V lead L lag G reached R
        read -r _ _ _ _ _ viol _ lead _ lag _ reached <"$work/out"
        if [[ $status -ne 0 ]]; then
            fail "$name" "exit status $status, output: $(cat "$work/out")"
        elif [[ $viol != 0 ]]; then
            fail "$name" "$viol reads broke the bound"
        elif ((lead > s || lag < -(s + 1))); then
            fail "$name" "gaps in [$lag, $lead], outside [-(s+1), s] = [$((-(s + 1))), $s]"
        elif [[ $w -eq 1 ]] && ((lead != 0 || lag != 0)); then
            fail "$name" "one worker in order: gaps in [$lag, $lead], expected 0"
        elif [[ $slow -eq 1 ]] && ((reached != 1 || lead < 1)); then
            fail "$name" "worker 0 never got ahead of the slow worker (reached $reached, lead $lead)"
        else
            pass
        fi
    done
done

# Exact results with the driver running ahead of the shares.
for w in 1 2 4; do
    for s in 0 2 5; do
        run run "$here/ssp_count.dml" --workers "$w" --set "S=$s"
        if [[ $status -ne 0 ]] || ! grep -qx "ok 730000 300000 180000" "$work/out"; then
            fail "ssp_count --workers $w ssp($s)" "exit status $status, output: $(cat "$work/out")"
        else
            pass
        fi
    done
done

for w in 1 2 4; do
    run run "$here/ssp_graph.dml" --workers "$w"
    if [[ $status -ne 0 ]] || ! grep -qx "ok 12000000" "$work/out"; then
        fail "ssp_graph --workers $w" "exit status $status, output: $(cat "$work/out")"
    else
        pass
    fi
done

for w in 1 2 3 4 8; do
    run run "$here/ssp_control.dml" --workers "$w"
    if [[ $status -ne 0 ]] || ! grep -qx "ok 180000 60000 90000 60" "$work/out"; then
        fail "ssp_control --workers $w" "exit status $status, output: $(cat "$work/out")"
    else
        pass
    fi
done

# Errors.
for w in 1 2 4; do
    run run "$here/ssp_error.dml" --workers "$w"
    want="ssp_error.dml:12:5: error: index 1004 is out of range for dimension 0 of size 1004"
    if [[ $status -ne 1 ]]; then
        fail "ssp_error --workers $w" "exit status $status, expected 1"
    elif ! grep -qF "$want" "$work/err"; then
        fail "ssp_error --workers $w" "stderr lacks: $want"
    else
        pass
    fi
done
run run "$here/ssp_invariant.dml" --workers 2 --set S=-1
want="ssp_invariant.dml:29:3: error: the staleness of ssp(s) must be at least 0, saw -1"
if [[ $status -ne 1 ]] || ! grep -qF "$want" "$work/err"; then
    fail "negative staleness" "exit status $status, stderr lacks: $want"
else
    pass
fi

finish
