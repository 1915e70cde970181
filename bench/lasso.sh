#!/usr/bin/env bash
# lasso.sh: Lasso by scheduled coordinate descent (bench/lasso.dml, the STRADS schedule loop) on a
# seeded synthetic dense problem of 10,000 x 1,000 (bench/gen_lasso.py: 40 true nonzeros, columns
# standardised), against scikit-learn's Lasso (bench/lasso_peer.py), alternated in the same run.
#
# usage: bench/lasso.sh [BUILD_DIR] [RUNS] [WORKERS] [SIZE]   (defaults: build-c-rel, 7, 2, 24)
# Extra `dmlc run` flags may be given in DMLC_RUN_FLAGS.
#
# What is measured:
#   target          scikit-learn's optimum: the objective 0.5/n ||y - X w||^2 + lambda ||w||_1 of
#                   Lasso(alpha=lambda, fit_intercept=False, tol=1e-10), fitted once first; the
#                   target is that objective times (1 + 1e-6).
#   dmlc whole      the wall time of the whole `dmlc run bench/lasso.dml --workers WORKERS`
#                   process (start, compile, JIT, loading X.npy, the column layout of X, the
#                   rounds until the logged objective reaches the target, saving w). The program
#                   stops itself at the target (its loop breaks); each run's last logged
#                   objective is checked against the target.
#   dmlc fixed      the same process with rounds = 0: everything but the rounds.
#   sklearn fit     scikit-learn's fit time in its own process (python3 lasso_peer.py): the
#                   second of two fits, so imports and first-touch costs are not counted; it
#                   includes scikit-learn's copy of X to Fortran order. Loading is not timed.
# Each round runs dmlc whole, sklearn and dmlc fixed once; one warm-up round is discarded, then
# RUNS rounds give the median, min and max of each and the per-round ratios.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-c-rel}
runs=${2:-7}
workers=${3:-2}
size=${4:-24}
py=/usr/bin/python3
dmlc=$build/dmlc
read -r -a run_flags <<< "${DMLC_RUN_FLAGS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" "$root/bench/gen_lasso.py" "$work/data"
lambda=$(cat "$work/data/lambda.txt")
load() { cut -d" " -f1-3 /proc/loadavg; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs, load average $(load);" \
     "build: $build; dmlc run flags: ${DMLC_RUN_FLAGS:-none}"
echo "data: X f64[10000, 1000], y f64[10000] (bench/gen_lasso.py, seeded), lambda=$lambda;" \
     "dmlc --workers $workers, schedule size $size; $runs rounds after a warm-up, alternated"

peer=$("$py" "$root/bench/lasso_peer.py" "$work/data" 1)
field() { # field NAME LINE: the value of NAME=... in LINE
    sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<< "$2"
}
optimum=$(field objective "$peer")
target=$("$py" -c "print(repr($optimum * (1 + 1e-6)))")
echo "scikit-learn: $peer"
echo "target objective: $target (scikit-learn's optimum + 1e-6 relative)"

# Runs dmlc with rounds $1 (the rest of the settings fixed); prints the wall ms. The metrics go to
# $work/metrics_$1.csv, the --stats line to $work/stats_$1.txt.
run_dmlc() {
    local t0=$EPOCHREALTIME
    "$dmlc" run "$root/bench/lasso.dml" --data-dir "$work/data" --quiet --workers "$workers" \
        --set "lambda=$lambda" --set "target=$target" --set "size=$size" --set "rounds=$1" \
        --metrics "$work/metrics_$1.csv" --stats "${run_flags[@]}" 2> "$work/stats_$1.txt"
    local t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

: > "$work/results.tsv"
for round in $(seq 0 "$runs"); do
    whole=$(run_dmlc 100000)
    last=$(tail -n 1 "$work/metrics_100000.csv")
    reached=$(awk -F, -v t="$target" '{ print ($2 <= t) ? "yes" : "no" }' <<< "$last")
    if [ "$reached" != yes ]; then
        echo "dmlc did not reach the target: last logged step,objective,nnz = $last" >&2
        exit 1
    fi
    sk_line=$("$py" "$root/bench/lasso_peer.py" "$work/data" 1)
    fixed=$(run_dmlc 0)
    if [ "$round" -eq 0 ]; then
        continue # warm-up
    fi
    steps=$(( $(wc -l < "$work/metrics_100000.csv") - 1 ))
    {
        printf 'dmlc\t%s\n' "$whole"
        printf 'fixed\t%s\n' "$fixed"
        printf 'sklearn\t%s\n' "$(field fit_ms "$sk_line")"
        printf 'rounds\t%s\n' "$steps"
    } >> "$work/results.tsv"
    echo "round $round: dmlc whole ${whole} ms ($steps schedule rounds, $(cat "$work/stats_100000.txt"))," \
         "dmlc fixed ${fixed} ms | $sk_line"
done

"$py" - "$work/results.tsv" <<'PY'
import statistics
import sys

rows = {}
for line in open(sys.argv[1]):
    key, value = line.split("\t")
    rows.setdefault(key, []).append(float(value))


def stats(key):
    v = rows[key]
    return statistics.median(v), min(v), max(v)


print()
print(f"{'':44} {'median':>10} {'min':>10} {'max':>10}")
for key, label in [("dmlc", "dmlc whole process to the target (ms)"),
                   ("fixed", "dmlc whole process, 0 rounds (ms)"),
                   ("sklearn", "scikit-learn Lasso fit (ms)")]:
    med, lo, hi = stats(key)
    print(f"{label:44} {med:10.1f} {lo:10.1f} {hi:10.1f}")
print(f"schedule rounds to the target: {sorted(set(int(v) for v in rows['rounds']))}")
ratio = stats("sklearn")[0] / stats("dmlc")[0]
per_round = sorted(s / d for s, d in zip(rows["sklearn"], rows["dmlc"]))
print()
print("scikit-learn fit / dmlc whole process (above 1: dmlc is faster):")
print(f"  ratio of medians {ratio:.2f}x; per round median {statistics.median(per_round):.2f}x, "
      f"min {per_round[0]:.2f}x, max {per_round[-1]:.2f}x")
rounds_part = [d - f for d, f in zip(rows["dmlc"], rows["fixed"])]
print(f"  dmlc's rounds alone (whole - fixed, per round median): "
      f"{statistics.median(rounds_part):.1f} ms")
PY
echo "load average at the end: $(load)"
