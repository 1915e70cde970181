#!/usr/bin/env bash
# strata.sh DMLC: serial two-axis nonzeros loops as P x P strata (executor/interp_strata.c).
#
#   strata_mf.dml      SGD matrix factorisation on a 100 x 80 matrix with 2000 ratings, 5 epochs,
#                      with 1, 2, 3 and 4 workers:
#                      - two runs (the second with --deterministic) give bitwise the same factors,
#                        counts and metrics;
#                      - the factors and counts equal the NumPy run of the same strata order
#                        (tests/parallel/strata_reference.py, stored in strata_ref_pP_*.csv) within
#                        1e-12 relative, and so does the loss accumulated in the loop;
#                      - with P >= 2 workers the --trace has S x P rounds of P tasks per
#                        execution of the loop (S sweeps, strata_ref_sweeps.txt): every task of a
#                        round ends before the next round's first starts. (Which workers run them is left to the pool: on a loaded
#                        machine one worker may take every block of a round before another wakes.)
#   strata_error.dml   an out-of-range read at the rating (41, 7) inside a block: exit status 1,
#                      the position of the read, and (P >= 2) the nonzero.
# Prints "N passed, M failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
py=/usr/bin/python3
# run ARGS...: as lib.sh's, but stdout goes to $work/stdout ($work/out is the programs' out/).
run() {
    status=0
    timeout 120 "$dmlc" "$@" </dev/null >"$work/stdout" 2>"$work/err" || status=$?
}

# The programs read their data beside them and save into out/: run copies.
cp "$here"/strata_mf.dml "$here"/strata_error.dml "$here"/strata_ratings.mtx \
    "$here"/strata_L0.csv "$here"/strata_H0.csv "$work/"
loop_line=$(grep -n "parallel for" "$here/strata_mf.dml" | cut -d: -f1)

for w in 1 2 3 4; do
    name="strata_mf --workers $w"
    ok=true
    for variant in a b; do
        flags=()
        [[ $variant == b ]] && flags=(--deterministic)
        rm -rf "$work/out"
        run run "$work/strata_mf.dml" --quiet --workers "$w" "${flags[@]}" \
            --metrics "$work/metrics.csv" --trace "$work/trace.json"
        if [[ $status -ne 0 ]]; then
            fail "$name ($variant)" "exit status $status"
            ok=false
            break
        fi
        mkdir -p "$work/$variant"
        cp "$work/out/L.csv" "$work/out/H.csv" "$work/out/count.csv" "$work/metrics.csv" \
            "$work/$variant/"
    done
    $ok || continue
    same=true
    for f in L.csv H.csv count.csv metrics.csv; do
        cmp -s "$work/a/$f" "$work/b/$f" || { same=false; fail "$name" "$f differs between two runs"; }
    done
    $same && pass
    if "$py" - "$work/a" "$here/strata_ref_p${w}_" <<'PY'; then
import sys
import numpy as np
got, ref = sys.argv[1], sys.argv[2]
for name in ["L", "H", "count"]:
    a = np.loadtxt(got + "/" + name + ".csv", delimiter=",", ndmin=2)
    b = np.loadtxt(ref + name + ".csv", delimiter=",", ndmin=2)
    assert a.shape == b.shape, (name, a.shape, b.shape)
    rel = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
    assert rel <= 1e-12, "%s: relative difference %g" % (name, rel)
a = np.loadtxt(got + "/metrics.csv", delimiter=",", skiprows=1, ndmin=2)
b = np.loadtxt(ref + "metrics.csv", delimiter=",", skiprows=1, ndmin=2)
assert a.shape == b.shape, ("metrics", a.shape, b.shape)
rel = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
assert rel <= 1e-12, "metrics: relative difference %g" % rel
PY
        pass
    else
        fail "$name" "the results differ from the NumPy strata order (strata_ref_p${w}_*.csv)"
    fi
    if [[ $w -ge 2 ]]; then
        sweeps=$(awk -v w="$w" '$1 == w { print $2 }' "$here/strata_ref_sweeps.txt")
        if "$py" - "$work/trace.json" "$w" "$loop_line" "$sweeps" <<'PY'; then
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
P, line, S = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tasks = sorted((e for e in ev if e.get("ph") == "X" and e["args"].get("line") == line
                and e["name"] == "parallel for (line %d)" % line), key=lambda e: e["ts"])
epochs = 5
want = S * P * P * epochs
assert len(tasks) == want, "%d tasks, expected %d" % (len(tasks), want)
rounds = [tasks[r * P:(r + 1) * P] for r in range(S * P * epochs)]
for r in range(1, len(rounds)):
    end = max(e["ts"] + e["dur"] for e in rounds[r - 1])
    start = min(e["ts"] for e in rounds[r])
    assert end <= start + 1e-3, "round %d starts at %g before round %d ends at %g" % (
        r, start, r - 1, end)
PY
            pass
        else
            fail "$name" "the trace does not show $sweeps x $w rounds of $w tasks"
        fi
    fi
done

for w in 1 2 3 4; do
    run run "$work/strata_error.dml" --workers "$w"
    want="strata_error.dml:17:36: error: index 100 is out of range for dimension 0 of size 100"
    [[ $w -ge 2 ]] && want="$want (at the nonzero (41, 7), in block"
    if [[ $status -ne 1 ]]; then
        fail "strata_error --workers $w" "exit status $status, expected 1"
    elif ! grep -qF "$want" "$work/err"; then
        fail "strata_error --workers $w" "stderr lacks: $want"
    else
        pass
    fi
done

finish
