#!/bin/sh
# End-to-end: runs every sample with `dmlc run` on a copy of samples/ and compares the results
# with the references that tests/reference/samples.py stored in tests/data/reference/.
# Usage: tests/samples/run.sh path/to/dmlc [extra dmlc run flags...]
set -u
DMLC=$1
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp -r "$ROOT/samples" "$TMP/samples"
rm -rf "$TMP/samples/out"
status=0
for name in ridge logreg lasso kmeans mf mlp; do
    if ! "$DMLC" run "$TMP/samples/$name.dml" --quiet --metrics "$TMP/$name.csv" "$@" \
        > "$TMP/$name.out" 2>&1; then
        echo "FAIL $name: dmlc run exited with an error:"
        cat "$TMP/$name.out"
        status=1
    fi
done
/usr/bin/python3 "$ROOT/tests/samples/check.py" "$ROOT" "$TMP" || status=1
exit $status
