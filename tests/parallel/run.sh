#!/usr/bin/env bash
# run.sh DMLC: the parallel executor end to end (issue 4).
#
#   independent.dml   a bsp loop writing distinct elements and accumulating: exact results with
#                     1, 2 and 4 workers (the program asserts them)
#   kernels.dml       fused kernels cut into row (and element) blocks, with reductions over
#                     everything, rows and columns from per-block partials: exact results (the
#                     program asserts them), and with 2 workers the blocks are tasks in the trace
#   collide.dml       two iterations writing one element: exit 1 and the message, any worker count
#   chunk_error.dml   an out-of-range read in a late chunk: exit 1, the position, no hang
#   --trace           the Chrome trace event JSON of a sample run on 2 workers: valid JSON, one
#                     named track per worker, complete events with ts/dur, the loop's chunks there
#   graph.dml         two independent products per loop iteration: exact result with 1 and 2
#                     workers; with 2, the trace shows the products as tasks of a task graph
#   --topology        a synthetic 2- and 4-domain machine (hwloc) runs a sample with 4 workers and
#                     gives the bits of the 1-worker run under --deterministic
# Prints "N passed, M failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

for w in 1 2 4; do
    run run "$here/independent.dml" --workers "$w"
    if [[ $status -ne 0 ]]; then
        fail "independent --workers $w" "exit status $status"
    elif ! grep -qx "ok 19999900000 200000" "$work/out"; then
        fail "independent --workers $w" "output: $(cat "$work/out")"
    else
        pass
    fi
    run run "$here/kernels.dml" --workers "$w" --trace "$work/k.json"
    if [[ $status -ne 0 ]] || ! grep -qx "ok 90000000000 389400000 389400000" "$work/out"; then
        fail "kernels --workers $w" "exit status $status, output: $(cat "$work/out")"
    elif ! /usr/bin/python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
blocks = [e for e in ev if e.get("ph") == "X" and e["name"].startswith("k")]
assert len(blocks) >= 10, len(blocks)  # two kernels of 300,000 elements, 5 blocks each
' "$work/k.json"; then
        fail "kernels --workers $w" "the trace lacks the kernels' block tasks"
    else
        pass
    fi
    run run "$here/collide.dml" --workers "$w"
    if [[ $status -ne 1 ]]; then
        fail "collide --workers $w" "exit status $status, expected 1"
    elif ! grep -q "collide.dml:5:3: error: two iterations of a bsp parallel loop write y\[" \
        "$work/err"; then
        fail "collide --workers $w" "no collision message"
    else
        pass
    fi
    run run "$here/chunk_error.dml" --workers "$w"
    want="chunk_error.dml:7:8: error: index 100000 is out of range for dimension 0 of size 100000"
    if [[ $status -ne 1 ]]; then
        fail "chunk_error --workers $w" "exit status $status, expected 1"
    elif ! grep -qF "$want" "$work/err"; then
        fail "chunk_error --workers $w" "stderr lacks: $want"
    else
        pass
    fi
done

# graph.dml: the independent products of a loop body run as a task graph after the first run.
for w in 1 2; do
    run run "$here/graph.dml" --workers "$w" --trace "$work/g.json"
    if [[ $status -ne 0 ]] || ! grep -qx "ok 320000000" "$work/out"; then
        fail "graph --workers $w" "exit status $status, output: $(cat "$work/out")"
    elif [[ $w -eq 2 ]] && ! /usr/bin/python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
mm = [e for e in ev if e.get("ph") == "X" and e["name"] == "t.matmul"]
assert len(mm) >= 6, len(mm)  # 2 products in each of the 3 runs after the first
' "$work/g.json"; then
        fail "graph --workers 2" "the trace lacks the products' tasks"
    else
        pass
    fi
done

# --trace: valid Chrome trace event JSON.
cp -r "$root/samples" "$work/s"
run run "$work/s/kmeans.dml" --quiet --workers 2 --trace "$work/t.json"
if [[ $status -ne 0 ]]; then
    fail "trace" "exit status $status"
elif ! /usr/bin/python3 - "$work/t.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ev = doc["traceEvents"]
names = {e["tid"]: e["args"]["name"] for e in ev if e.get("ph") == "M" and e["name"] == "thread_name"}
assert sorted(names) == [0, 1], names
x = [e for e in ev if e.get("ph") == "X"]
assert x, "no task events"
for e in x:
    assert isinstance(e["name"], str) and e["name"], e
    assert e["pid"] == 1 and e["tid"] in names, e
    assert e["ts"] >= 0 and e["dur"] >= 0, e
    assert isinstance(e["args"]["line"], int), e
loop = [e for e in x if e["name"] == "parallel for (line 16)"]
assert len(loop) >= 10 * 2, len(loop)  # 10 iterations of the loop, chunks each
PY
then
    fail "trace" "the JSON does not have the expected structure"
else
    pass
fi

# --topology: synthetic machines with 2 and 4 NUMA domains (unpinned): same bits as 1 worker.
run run "$work/s/kmeans.dml" --quiet --deterministic --workers 1 --metrics "$work/one.csv"
for topo in "numa:2 core:2 pu:1" "pack:2 numa:2 core:2 pu:1"; do
    run run "$work/s/kmeans.dml" --quiet --deterministic --workers 4 --topology "$topo" \
        --metrics "$work/topo.csv"
    if [[ $status -ne 0 ]]; then
        fail "topology '$topo'" "exit status $status"
    elif ! cmp -s "$work/one.csv" "$work/topo.csv"; then
        fail "topology '$topo'" "metrics differ from the 1-worker run"
    else
        pass
    fi
done
run run "$work/s/kmeans.dml" --topology "numa:two"
if [[ $status -ne 1 ]] || ! grep -q "numa:two" "$work/err"; then
    fail "bad topology" "exit status $status"
else
    pass
fi

finish
