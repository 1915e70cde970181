#!/bin/sh
# Determinism under --deterministic (LANGUAGE.md §7): bsp loops give the same bits for any number
# of workers; serial loops give the same bits for a fixed number of workers (their strata depend
# on it).
# - Across worker counts: every sample whose loops are bsp (schedule(...) rounds included), and
#   det_logreg.dml (generated data large enough that its products and kernels are cut into
#   blocks), runs with 1, 2, 3 and 4 workers (more workers than this machine's cores share cores,
#   which changes the timing and so the order in which chunks finish); every output it saves and
#   every metric it logs must be bitwise identical to the 1-worker run.
# - At a fixed worker count: mf.dml (a serial two-axis loop, run as P x P strata) runs twice with
#   each of 1, 2, 3 and 4 workers; the two runs must be bitwise identical.
# Usage: tests/parallel/determinism.sh path/to/dmlc
set -u
DMLC=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
status=0
across="ridge logreg lasso kmeans mlp det_logreg"
fixed="mf"

# run DIR NAME WORKERS: one deterministic run, its metrics beside the program
run() {
    dir=$1
    if [ ! -d "$dir" ]; then
        cp -r "$ROOT/samples" "$dir"
        rm -rf "$dir/out"
        cp "$ROOT/tests/parallel/det_logreg.dml" "$dir/"
    fi
    # mf runs 8 times: 25 of its 100 epochs keep the suite short under the sanitizers
    epochs=""
    [ "$2" = mf ] && epochs="--set=epochs=25"
    # shellcheck disable=SC2086 # epochs is one word or none
    if ! "$DMLC" run "$dir/$2.dml" --quiet --deterministic --workers "$3" \
        --metrics "$dir/$2.metrics.csv" $epochs > "$dir.$2.log" 2>&1; then
        echo "FAIL $2 --workers $3: dmlc run exited with an error:"
        cat "$dir.$2.log"
        status=1
    fi
}

# outputs DIR NAMES: the files the named programs wrote in DIR (metrics and out/NAME_*)
outputs() {
    for name in $2; do
        (cd "$1" && find . -path "./out/${name}_*" -type f -o -name "$name.metrics.csv" | sort)
    done
}

for w in 1 2 3 4; do
    for name in $across $fixed; do
        run "$TMP/w$w" "$name" "$w"
    done
    for name in $fixed; do
        run "$TMP/again$w" "$name" "$w"
    done
done
for w in 2 3 4; do
    for f in $(outputs "$TMP/w1" "$across"); do
        if ! cmp -s "$TMP/w1/$f" "$TMP/w$w/$f"; then
            echo "FAIL $f differs between --workers 1 and --workers $w"
            status=1
        fi
    done
done
for w in 1 2 3 4; do
    for f in $(outputs "$TMP/w$w" "$fixed"); do
        if ! cmp -s "$TMP/w$w/$f" "$TMP/again$w/$f"; then
            echo "FAIL $f differs between two runs with --workers $w"
            status=1
        fi
    done
done
n=$(outputs "$TMP/w1" "$across" | wc -l)
m=$(outputs "$TMP/w1" "$fixed" | wc -l)
if [ "$n" -lt 12 ] || [ "$m" -lt 3 ]; then
    echo "FAIL expected the programs' metrics and outputs, found $n and $m files"
    status=1
fi
[ $status -eq 0 ] &&
    echo "ok: $n files bitwise identical for 1, 2, 3 and 4 workers; $m files identical in" \
         "two runs at each worker count"
exit $status
