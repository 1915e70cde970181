#!/usr/bin/env bash
# regen-golden.sh: rebuild dmlc, rewrite every golden file, and show what changed for review.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -f build/CMakeCache.txt ]]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMLC_WERROR=ON
fi
cmake --build build -j2
status=0
tests/golden/run.sh build/dmlc --update || status=$?
echo "== changes to review (git diff tests/golden) =="
git diff --stat -- tests/golden
new_files=$(git ls-files --others --exclude-standard -- tests/golden)
if [[ -n $new_files ]]; then
    echo "new, untracked:"
    printf '%s\n' "$new_files" | sed 's/^/    /'
fi
exit "$status"
