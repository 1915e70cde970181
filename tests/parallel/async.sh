#!/usr/bin/env bash
# async.sh DMLC: async (Hogwild) loops on the executor (issue 5).
#
#   async_count.dml   100,000 iterations accumulating into scalars (f64, f32, i64, i32 -=) and
#                     into 7 elements (f64, i64, f32 -=, whole-tensor +=), element writes, and a
#                     nonzeros loop counting rows and columns: exact with 1, 2, 3, 4 workers (no
#                     accumulation lost; the program asserts every count)
#   async_sgd.dml     Hogwild SGD for least squares: with 2 and 4 workers the final mean squared
#                     error is within 25% above the 1-worker (in order, deterministic) run's, which
#                     itself has converged (below 1.2e-4 from about 10 at the start; the noise
#                     floor is 1e-4). No run can go below the least-squares optimum, so only the
#                     upper side is a tolerance.
#   async_error.dml   an out-of-range read in the last share: exit 1 with the position, no hang
# Prints "N passed, M failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

for w in 1 2 3 4; do
    run run "$here/async_count.dml" --workers "$w"
    if [[ $status -ne 0 ]] || ! grep -qx "ok 100000 4999950000 6000" "$work/out"; then
        fail "async_count --workers $w" "exit status $status, output: $(cat "$work/out")"
    else
        pass
    fi
done

serial=""
for w in 1 2 4; do
    run run "$here/async_sgd.dml" --workers "$w"
    mse=$(awk '$1 == "mse" { print $2 }' "$work/out")
    if [[ $status -ne 0 || -z $mse ]]; then
        fail "async_sgd --workers $w" "exit status $status, output: $(cat "$work/out")"
        continue
    fi
    [[ $w -eq 1 ]] && serial=$mse
    if [[ -z $serial ]]; then
        fail "async_sgd --workers $w" "no 1-worker result to compare with"
    elif ! awk -v m="$mse" -v s="$serial" 'BEGIN { exit !(s < 1.2e-4 && m <= 1.25 * s) }'; then
        fail "async_sgd --workers $w" "mse $mse against $serial with 1 worker"
    else
        pass
    fi
done

for w in 1 2 4; do
    run run "$here/async_error.dml" --workers "$w"
    want="async_error.dml:7:12: error: index 100000 is out of range for dimension 0 of size 100000"
    if [[ $status -ne 1 ]]; then
        fail "async_error --workers $w" "exit status $status, expected 1"
    elif ! grep -qF "$want" "$work/err"; then
        fail "async_error --workers $w" "stderr lacks: $want"
    else
        pass
    fi
done

finish
