#!/bin/sh
# Determinism across worker counts: every sample, and det_logreg.dml (generated data large enough
# that its products and kernels are cut into blocks), runs with --deterministic and 1, 2, 3 and 4
# workers (more workers than this machine's cores share cores, which changes the timing and so
# the order in which chunks finish), and every output it saves and every metric it logs must be
# bitwise identical to the 1-worker run. A second check runs the samples without
# --deterministic on 2 workers against the references (tests/samples/run.sh does that too).
# Usage: tests/parallel/determinism.sh path/to/dmlc
set -u
DMLC=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
status=0
for name in ridge logreg lasso kmeans mf mlp det_logreg; do
    for w in 1 2 3 4; do
        dir="$TMP/w$w"
        if [ ! -d "$dir" ]; then
            cp -r "$ROOT/samples" "$dir"
            rm -rf "$dir/out"
            # a program whose products and kernels are large enough to be cut into blocks
            cp "$ROOT/tests/parallel/det_logreg.dml" "$dir/"
        fi
        if ! "$DMLC" run "$dir/$name.dml" --quiet --deterministic --workers "$w" \
            --metrics "$dir/$name.metrics.csv" > "$TMP/$name.$w.log" 2>&1; then
            echo "FAIL $name --workers $w: dmlc run exited with an error:"
            cat "$TMP/$name.$w.log"
            status=1
        fi
    done
done
# Everything a run wrote: the metrics and the saved outputs.
for w in 2 3 4; do
    for f in $(cd "$TMP/w1" && find . -path './out/*' -type f -o -name '*.metrics.csv' | sort); do
        if ! cmp -s "$TMP/w1/$f" "$TMP/w$w/$f"; then
            echo "FAIL $f differs between --workers 1 and --workers $w"
            status=1
        fi
    done
done
n=$(cd "$TMP/w1" && find . -path './out/*' -type f -o -name '*.metrics.csv' | wc -l)
if [ "$n" -lt 14 ]; then
    echo "FAIL expected the 7 programs' metrics and outputs, found $n files"
    status=1
fi
[ $status -eq 0 ] && echo "ok: $n files bitwise identical for 1, 2, 3 and 4 workers"
exit $status
