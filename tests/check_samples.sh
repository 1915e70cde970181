#!/usr/bin/env bash
# check_samples.sh: `dmlc check` must accept every samples/*.dml.
#
#   tests/check_samples.sh DMLC
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DMLC" >&2; exit 2; }
dmlc=$1
[[ -x $dmlc ]] || { echo "check_samples.sh: $dmlc is not an executable" >&2; exit 2; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

shopt -s nullglob
export LC_ALL=C
passed=0
failed=0
for sample in samples/*.dml; do
    status=0
    output=$("$dmlc" check "$sample" 2>&1) || status=$?
    if [[ $status -eq 0 ]]; then
        passed=$((passed + 1))
    else
        echo "FAIL $sample: dmlc check exited with status $status"
        printf '%s\n' "$output" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
