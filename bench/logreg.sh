#!/usr/bin/env bash
# logreg.sh: logistic regression by full-batch gradient descent on 200,000 x 100 f32 data:
# dmlc (bench/logreg.dml) against NumPy doing the same epoch, scikit-learn's lbfgs and its
# SGDClassifier, on the same generated data, alternated in the same run.
#
# usage: bench/logreg.sh [BUILD_DIR] [RUNS] [EPOCHS]   (defaults: build-bench, 7, 51)
# Extra `dmlc run` flags may be given in DMLC_RUN_FLAGS (e.g. DMLC_RUN_FLAGS=--no-jit).
#
# What each number includes:
#   dmlc ms/epoch   (T_E - T_1) / (E - 1) from two whole `dmlc run` processes, with epochs = E and
#                   epochs = 1 (one of each per round): loading, compiling and the JIT cancel out.
#   dmlc whole      the whole `dmlc run` process with epochs = E (start, compile, JIT, load, run).
#   NumPy ms/epoch  in-process, the median of epochs 2..E (bench/logreg_peer.py numpy).
#   lbfgs ms/iter   in-process, (T_M - T_1) / (n_iter_M - 1) for LogisticRegression(lbfgs).
#   SGD ms/epoch    in-process, fit time / n_iter_ for SGDClassifier(loss="log_loss").
# Each round runs every measurement once (dmlc E, NumPy, dmlc 1, lbfgs, SGD); one warm-up round
# is discarded, then RUNS rounds give the median, min and max of each.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-7}
epochs=${3:-51}
lbfgs_iters=100
sgd_epochs=5
lr=0.5
l2=0.0001
py=/usr/bin/python3
dmlc=$build/dmlc
read -r -a run_flags <<< "${DMLC_RUN_FLAGS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" "$root/bench/gen_data.py" logreg "$work/data" --n 200000 --d 100
load() { cut -d" " -f1-3 /proc/loadavg; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load average $(load);" \
     "build: $build;" \
     "dmlc run flags: ${DMLC_RUN_FLAGS:-none}"
echo "data: X f32[200000, 100], y f32[200000] (bench/gen_data.py, seeded); lr=$lr l2=$l2"
echo "dmlc epochs: $epochs and 1; NumPy epochs: $epochs; lbfgs max_iter: $lbfgs_iters;" \
     "SGD epochs: $sgd_epochs; $runs runs after a warm-up, alternated"

# Runs `dmlc run` with epochs=$1; the log lines go to $work/dmlc_$1.log; prints the wall ms.
run_dmlc() {
    local t0=$EPOCHREALTIME
    "$dmlc" run "$root/bench/logreg.dml" --data-dir "$work/data" --set "epochs=$1" \
        "${run_flags[@]}" > "$work/dmlc_$1.log"
    local t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

# Runs the NumPy peer; prints its line with the whole-process wall ms appended.
run_numpy() {
    local t0=$EPOCHREALTIME
    local line
    line=$("$py" "$root/bench/logreg_peer.py" numpy "$work/data" "$epochs" "$lr" "$l2")
    local t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" -v l="$line" \
        'BEGIN { printf "%s whole_ms=%.3f\n", l, (b - a) * 1000 }'
}

field() { # field NAME LINE: the value of NAME=... in LINE
    sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<< "$2"
}

: > "$work/results.tsv"
for round in $(seq 0 "$runs"); do
    te=$(run_dmlc "$epochs")
    np_line=$(run_numpy)
    t1=$(run_dmlc 1)
    lb_line=$("$py" "$root/bench/logreg_peer.py" lbfgs "$work/data" "$lbfgs_iters" "$l2")
    sgd_line=$("$py" "$root/bench/logreg_peer.py" sgd "$work/data" "$sgd_epochs")
    if [ "$round" -eq 0 ]; then
        continue # warm-up
    fi
    {
        printf 'dmlc_E\t%s\n' "$te"
        printf 'dmlc_1\t%s\n' "$t1"
        printf 'numpy\t%s\n' "$(field ms_per_epoch "$np_line")"
        printf 'numpy_whole\t%s\n' "$(field whole_ms "$np_line")"
        printf 'lbfgs\t%s\n' "$(field ms_per_iter "$lb_line")"
        printf 'lbfgs_niter\t%s\n' "$(field n_iter "$lb_line")"
        printf 'sgd\t%s\n' "$(field ms_per_epoch "$sgd_line")"
    } >> "$work/results.tsv"
    echo "round $round: dmlc E=${te} ms, 1=${t1} ms | $np_line | $lb_line | $sgd_line"
done

dmlc_loss=$(tail -n 1 "$work/dmlc_$epochs.log" | sed -n 's/.*loss=\([^ ]*\).*/\1/p')
numpy_loss=$(field loss "$np_line")

"$py" - "$work/results.tsv" "$epochs" "$dmlc_loss" "$numpy_loss" <<'PY'
import statistics
import sys

path, epochs = sys.argv[1], int(sys.argv[2])
dmlc_loss, numpy_loss = sys.argv[3], sys.argv[4]
rows = {}
for line in open(path):
    key, value = line.split("\t")
    rows.setdefault(key, []).append(float(value))
rows["dmlc"] = [(e - o) / (epochs - 1) for e, o in zip(rows["dmlc_E"], rows["dmlc_1"])]


def stats(key):
    v = rows[key]
    return statistics.median(v), min(v), max(v)


print()
print(f"{'':34} {'median':>10} {'min':>10} {'max':>10}")
labels = [
    ("dmlc", "dmlc ms/epoch ((T_E-T_1)/(E-1))"),
    ("numpy", "NumPy ms/epoch (f32)"),
    ("lbfgs", "sklearn lbfgs ms/iteration (f64)"),
    ("sgd", "sklearn SGD ms/epoch (f64)"),
    ("dmlc_E", f"dmlc whole process, E={epochs} (ms)"),
    ("dmlc_1", "dmlc whole process, E=1 (ms)"),
    ("numpy_whole", f"NumPy whole process, E={epochs} (ms)"),
]
for key, label in labels:
    med, lo, hi = stats(key)
    print(f"{label:34} {med:10.2f} {lo:10.2f} {hi:10.2f}")
print(f"lbfgs iterations per fit: {sorted(set(int(v) for v in rows['lbfgs_niter']))}")
d = stats("dmlc")[0]
print()
print("ratios of medians (peer time / dmlc time; above 1: dmlc is faster):")
print(f"  NumPy epoch / dmlc epoch:         {stats('numpy')[0] / d:6.2f}x")
print(f"  sklearn lbfgs iter / dmlc epoch:  {stats('lbfgs')[0] / d:6.2f}x")
print(f"  sklearn SGD epoch / dmlc epoch:   {stats('sgd')[0] / d:6.2f}x")
paired = sorted(p / q for p, q in zip(rows["numpy"], rows["dmlc"]))
print(f"  NumPy epoch / dmlc epoch, per round: median {statistics.median(paired):.2f}x, "
      f"min {paired[0]:.2f}x, max {paired[-1]:.2f}x")
whole = stats("numpy_whole")[0] / stats("dmlc_E")[0]
print(f"  NumPy whole / dmlc whole process:  {whole:6.2f}x")
print(f"final loss after {epochs} epochs: dmlc {dmlc_loss}, NumPy {numpy_loss}")
PY
echo "load average at the end: $(load)"
