#!/usr/bin/env bash
# kmeans.sh: Lloyd's k-means, dmlc (bench/kmeans_lloyd.dml: the assignment is a `parallel for`
# over the points, run in parallel chunks) against scikit-learn's KMeans(algorithm="lloyd") from
# the same starting centres, on the same generated data, alternated in the same run.
#
# usage: bench/kmeans.sh [BUILD_DIR] [RUNS] [ITERS] [N] [K] [D] [WORKERS]
#        (defaults: build-bench, 5, 10, 100000, 64, 16, 2)
#
# What each number includes:
#   dmlc ms/iter    (T_I - T_1) / (I - 1) from two whole `dmlc run --workers W` processes with
#                   iters = I and iters = 1: start, compile, JIT and loading cancel out.
#   dmlc whole      the whole `dmlc run` process with iters = I.
#   sklearn ms/iter in-process fit time / n_iter_ (its threads: one per core); the fit includes
#                   its input checks and a final assignment step.
# One warm-up round is discarded; each round runs dmlc I, dmlc 1 and sklearn once. The final
# centres of both are compared (largest absolute difference).
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-5}
iters=${3:-10}
n=${4:-100000}
k=${5:-64}
d=${6:-16}
workers=${7:-2}
py=/usr/bin/python3
dmlc=$build/dmlc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" "$root/bench/gen_data.py" kmeans "$work/data" --n "$n" --d "$d" --k "$k"
load() { cut -d" " -f1-3 /proc/loadavg; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load average $(load);" \
     "build: $build"
echo "data: X f64[$n, $d] around $k centres, C0 = $k points of X (bench/gen_data.py, seeded);" \
     "$iters Lloyd iterations; dmlc --workers $workers; $runs rounds after a warm-up"

# Runs `dmlc run` with iters=$1; prints the wall ms and the run-only ms (--stats).
run_dmlc() {
    local t0=$EPOCHREALTIME
    "$dmlc" run "$root/bench/kmeans_lloyd.dml" --data-dir "$work/data" --set "iters=$1" \
        --workers "$workers" --quiet --stats --metrics "$work/metrics_$1.csv" \
        2> "$work/stats_$1.txt" > "$work/dmlc_$1.log"
    local t1=$EPOCHREALTIME
    local run_ms
    run_ms=$(sed -n 's/.*run \([0-9.]*\) ms.*/\1/p' "$work/stats_$1.txt" | head -n 1)
    awk -v a="$t0" -v b="$t1" -v r="${run_ms:-nan}" 'BEGIN { printf "%.3f %s\n", (b - a) * 1000, r }'
}

field() { # field NAME LINE: the value of NAME=... in LINE
    sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<< "$2"
}

: > "$work/results.tsv"
for round in $(seq 0 "$runs"); do
    read -r ti ri < <(run_dmlc "$iters")
    read -r t1 r1 < <(run_dmlc 1)
    # the iters=1 run overwrote C_final.csv: run the full one's centres again for the comparison
    run_dmlc "$iters" > /dev/null
    sk_line=$("$py" "$root/bench/kmeans_peer.py" "$work/data" "$iters")
    if [ "$round" -eq 0 ]; then
        continue # warm-up
    fi
    {
        printf 'dmlc_I\t%s\n' "$ti"
        printf 'dmlc_1\t%s\n' "$t1"
        printf 'sk\t%s\n' "$(field fit_ms "$sk_line")"
        printf 'sk_niter\t%s\n' "$(field n_iter "$sk_line")"
    } >> "$work/results.tsv"
    echo "round $round: dmlc I=${ti} ms (run ${ri}), 1=${t1} ms (run ${r1}) | $sk_line"
done
echo "dmlc's last logged metrics: $(tail -n 1 "$work/metrics_$iters.csv") (inertia of the centres" \
     "before the last update; sklearn's is of its final centres)"

"$py" - "$work/results.tsv" "$iters" <<'PY'
import statistics
import sys

path, iters = sys.argv[1], int(sys.argv[2])
rows = {}
for line in open(path):
    key, value = line.split("\t")
    rows.setdefault(key, []).append(float(value))
dmlc = [(a - b) / (iters - 1) for a, b in zip(rows["dmlc_I"], rows["dmlc_1"])]
sk = [t / n for t, n in zip(rows["sk"], rows["sk_niter"])]
med = statistics.median
print()
print(f"dmlc ms/iteration    median {med(dmlc):9.2f}  min {min(dmlc):9.2f}  max {max(dmlc):9.2f}")
print(f"sklearn ms/iteration median {med(sk):9.2f}  min {min(sk):9.2f}  max {max(sk):9.2f}")
print(f"dmlc whole process   median {med(rows['dmlc_I']):9.2f} ms; sklearn fit median "
      f"{med(rows['sk']):9.2f} ms")
paired = sorted(s / d for s, d in zip(sk, dmlc))
print(f"sklearn / dmlc per iteration: median {med(paired):.3f}x (min {paired[0]:.3f}x, "
      f"max {paired[-1]:.3f}x); above 1: dmlc is faster")
print(f"sklearn fit / dmlc whole process: {med(rows['sk']) / med(rows['dmlc_I']):.3f}x")
PY
echo "load average at the end: $(load)"
