#!/usr/bin/env bash
# run.sh: runs every tests/grad/*.dml with `dmlc run`; each program compares the gradients that
# grad(...) computes with central finite differences of the same objective and asserts that they
# agree, so a non-zero exit status (a failed assert, or any error) is a failure.
#
#   tests/grad/run.sh DMLC
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DMLC" >&2; exit 2; }
dmlc=$1
[[ -x $dmlc ]] || { echo "run.sh: $dmlc is not an executable" >&2; exit 2; }
dmlc=$(cd "$(dirname "$dmlc")" && pwd)/$(basename "$dmlc")

cd "$(dirname "${BASH_SOURCE[0]}")"

shopt -s nullglob
export LC_ALL=C
passed=0
failed=0
for program in *.dml; do
    status=0
    output=$("$dmlc" run "$program" 2>&1) || status=$?
    if [[ $status -eq 0 ]]; then
        passed=$((passed + 1))
    else
        echo "FAIL tests/grad/$program: dmlc run exited with status $status"
        printf '%s\n' "$output" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
