#!/usr/bin/env bash
# matmul.sh: a matmul-bound program, dmlc (bench/matmul.dml: X <- A @ X, REPS times, f32
# 2048 x 2048) against the same chain of cblas_sgemm calls made directly (bench_matmul_blas), on
# the same generated data, alternated in the same run. Target (issue 3): dmlc >= 0.95x OpenBLAS.
#
# usage: bench/matmul.sh [BUILD_DIR] [RUNS] [REPS] [SIZE]   (defaults: build-bench, 7, 11, 2048)
# Extra `dmlc run` flags may be given in DMLC_RUN_FLAGS (e.g. DMLC_RUN_FLAGS=--no-jit).
#
# What each number includes:
#   dmlc ms/product  (T_R - T_1) / (R - 1) from two whole `dmlc run` processes, with reps = R and
#                    reps = 1: start, compile, JIT, loading and the first product cancel out; the
#                    rest is the steady-state loop (product, state update, the logged corner).
#   BLAS ms/product  in-process: the mean of products 2..R after an untimed warm-up product.
#   fresh output     the same with --fresh-output: a new output buffer allocated for each product
#                    (as dmlc allocates each result), so the cost of first-touch faults shows.
# Each round runs dmlc R, the BLAS program, dmlc 1, the BLAS program with --fresh-output; one
# warm-up round is discarded, then RUNS rounds give the median, min and max.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-7}
reps=${3:-11}
size=${4:-2048}
py=/usr/bin/python3
dmlc=$build/dmlc
read -r -a run_flags <<< "${DMLC_RUN_FLAGS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" "$root/bench/gen_data.py" matmul "$work/data" --size "$size"
load() { cut -d" " -f1-3 /proc/loadavg; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load average $(load);" \
     "build: $build;" \
     "dmlc run flags: ${DMLC_RUN_FLAGS:-none}"
echo "data: A, B f32[$size, $size] (bench/gen_data.py, seeded); reps: $reps and 1;" \
     "$runs runs after a warm-up, alternated"

# Runs `dmlc run` with reps=$1; the log lines go to $work/dmlc_$1.log; prints the wall ms.
run_dmlc() {
    local t0=$EPOCHREALTIME
    "$dmlc" run "$root/bench/matmul.dml" --data-dir "$work/data" --set "reps=$1" \
        "${run_flags[@]}" > "$work/dmlc_$1.log"
    local t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

: > "$work/results.tsv"
for round in $(seq 0 "$runs"); do
    tr=$(run_dmlc "$reps")
    blas=$("$build/bench_matmul_blas" "$work/data/A.npy" "$work/data/B.npy" "$reps")
    t1=$(run_dmlc 1)
    fresh=$("$build/bench_matmul_blas" "$work/data/A.npy" "$work/data/B.npy" "$reps" \
        --fresh-output)
    blas_line=$(tail -n 1 <<< "$blas")
    fresh_line=$(tail -n 1 <<< "$fresh")
    if [ "$round" -eq 0 ]; then
        head -n 1 <<< "$blas"
        continue # warm-up
    fi
    blas_ms=$(sed -n 's/.*mean_ms \([^ ]*\).*/\1/p' <<< "$blas_line")
    fresh_ms=$(sed -n 's/.*mean_ms \([^ ]*\).*/\1/p' <<< "$fresh_line")
    printf 'dmlc_R\t%s\ndmlc_1\t%s\nblas\t%s\nfresh\t%s\n' "$tr" "$t1" "$blas_ms" "$fresh_ms" \
        >> "$work/results.tsv"
    echo "round $round: dmlc R=${tr} ms, 1=${t1} ms | BLAS $blas_line | fresh output: $fresh_line"
done

dmlc_corner=$(tail -n 1 "$work/dmlc_$reps.log" | sed -n 's/.*corner=\([^ ]*\).*/\1/p')
blas_corner=$(sed -n 's/.*checksum \([^ ]*\).*/\1/p' <<< "$blas_line")

"$py" - "$work/results.tsv" "$reps" "$size" "$dmlc_corner" "$blas_corner" <<'PY'
import statistics
import sys

path, reps, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = {}
for line in open(path):
    key, value = line.split("\t")
    rows.setdefault(key, []).append(float(value))
rows["dmlc"] = [(r - o) / (reps - 1) for r, o in zip(rows["dmlc_R"], rows["dmlc_1"])]
gflop = 2.0 * size**3 * 1e-9

print()
print(f"{'':34} {'median':>10} {'min':>10} {'max':>10} {'GFLOP/s':>9}")
labels = [
    ("dmlc", "dmlc ms/product ((T_R-T_1)/(R-1))", True),
    ("blas", "cblas_sgemm ms/product", True),
    ("fresh", "cblas_sgemm, fresh output buffer", True),
    ("dmlc_R", f"dmlc whole process, R={reps} (ms)", False),
    ("dmlc_1", "dmlc whole process, R=1 (ms)", False),
]
for key, label, rate in labels:
    v = rows[key]
    med = statistics.median(v)
    speed = f"{gflop / (med * 1e-3):9.1f}" if rate else ""
    print(f"{label:34} {med:10.2f} {min(v):10.2f} {max(v):10.2f} {speed}".rstrip())
ratio = statistics.median(rows["blas"]) / statistics.median(rows["dmlc"])
paired = sorted(b / d for b, d in zip(rows["blas"], rows["dmlc"]))
print()
print(f"dmlc speed / OpenBLAS speed (ratio of median times): {ratio:.3f}x "
      f"(target >= 0.95x: {'met' if ratio >= 0.95 else 'NOT met'})")
print(f"per-round ratios (same round, so slow drifts in load cancel): median "
      f"{statistics.median(paired):.3f}x, min {paired[0]:.3f}x, max {paired[-1]:.3f}x")
fresh = sorted(b / f for b, f in zip(rows["blas"], rows["fresh"]))
print(f"OpenBLAS with a fresh output buffer per product / reused buffers: "
      f"{statistics.median(rows['blas']) / statistics.median(rows['fresh']):.3f}x "
      f"(per round: median {statistics.median(fresh):.3f}x, min {fresh[0]:.3f}x, "
      f"max {fresh[-1]:.3f}x)")
print(f"checksum X[0, 0] after {reps} products: dmlc {sys.argv[4]}, BLAS {sys.argv[5]}")
PY
echo "load average at the end: $(load)"
