#!/usr/bin/env bash
# scaling.sh: `dmlc run` with 1 and 2 workers on a compute-bound k-means and on every sample,
# alternated in one run (bench/scaling.py has the details). Target (issue 4): at least 1.8x on the
# compute-bound program; one worker not slower than the single-process runtime of issue 3
# (give its binary as BASELINE to compare).
# usage: bench/scaling.sh [BUILD_DIR] [RUNS] [BASELINE_DMLC]   (defaults: build-bench, 5, none)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-5}
extra=()
[[ -n "${3:-}" ]] && extra=(--baseline "$3")
exec /usr/bin/python3 "$root/bench/scaling.py" "$build/dmlc" --runs "$runs" "${extra[@]}"
