#!/usr/bin/env bash
# sched.sh DMLC: the STRADS schedule(...) loop (executor/interp_sched*.c) and column layouts.
#
# The references in sched_ref/ were written once by the sequential implementation of the loop
# (interp_sched.c at commit 34d2358: priorities and conflicts one by one, the round in order).
#
#   sched_lasso.dml        priority reads what the body writes (vectorised), memoised conflicts
#   sched_lasso_static.dml priority reads only a let (reused between rounds, next draw prepared)
#   sched_uniform.dml      no priority, no conflict, no seed
#     --deterministic with 1, 2, 3 and 4 workers: the metrics and outputs are the same bits for
#     every worker count; the kept sets (kept[t, j] = 1, exact integers) are the sequential
#     implementation's bit for bit; the metrics and w agree with its to 1e-9 relative (the round
#     adds the iterations' accumulations in a fixed tree, the sequential loop in order, so the
#     last bits may differ); without --deterministic the kept sets are the same too
#   sched_prio_changes.dml priorities reading a let that changes every round and a var written
#                          outside the loop, a conflict reading such a var, three loops sharing
#                          the round counter: the sequential kept sets (priorities evaluated
#                          again, prepared draws dropped, the conflict memo cleared)
#   sched_lasso_perj.dml   the same loop with a priority evaluated per candidate (on the pool) and
#                          a conflict that is never memoised: the same bits as sched_lasso.dml
#   samples/lasso.dml      (at most 2 kept per round: the tree adds in order) the sequential
#                          implementation's metrics (sha256) and w, bit for bit, 1 to 4 workers
#   --trace                the tasks the loop made (2 workers): no per-candidate priority tasks
#                          for a vectorisable priority, some for sched_lasso_perj; conflict tasks,
#                          fewer with the memo; a prepared draw per round for sched_lasso_static
#   layout                 sched_lasso compiled to a plan, run with and without
#                          layout = "columns" on X: the same bits (column views vs strided copies)
#   sched_error_*.dml      errors in priorities and conflicts: exit 1 and the message a
#                          sequential evaluation gives, with 1 and 2 workers
# Prints "N passed, M failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
ref=$here/sched_ref
# close A B: the numbers of two CSV files agree to 1e-9 relative (same shape, same text elsewhere).
close() {
    awk -F, 'NR == FNR { a[FNR] = $0; n = FNR; next }
        { if (!(FNR in a)) exit 1; split(a[FNR], x, ","); if (length(x) != NF) exit 1
          for (i = 1; i <= NF; i++) {
              if (x[i] == $i) continue
              if ($i !~ /^-?[0-9.e+-]+$/) exit 1
              d = x[i] - $i; if (d < 0) d = -d; m = $i < 0 ? -$i : $i; if (m < 1) m = 1
              if (d > 1e-9 * m) exit 1 } }
        END { if (FNR != n) exit 1 }' "$1" "$2"
}
# reseal PLAN: writes the checksum of an edited plan (executor/plan.c: FNV-1a 64 of what follows
# line 2).
reseal() {
    python3 - "$1" <<'PY'
import sys
path = sys.argv[1]
data = open(path, "rb").read()
first = data.index(b"\n")
second = data.index(b"\n", first + 1)
h = 0xcbf29ce484222325
for byte in data[second + 1:]:
    h = ((h ^ byte) * 0x100000001b3) & 0xffffffffffffffff
open(path, "wb").write(data[:first + 1] + b"// fnv1a64 %016x" % h + data[second:])
PY
}
# program NAME DIR WORKERS [FLAGS...]: runs tests/parallel/NAME.dml in its own copy DIR.
program() {
    local name=$1 dir=$2 workers=$3
    shift 3
    mkdir -p "$dir"
    cp "$here/$name.dml" "$dir/"
    run run "$dir/$name.dml" --quiet --workers "$workers" --metrics "$dir/metrics.csv" "$@"
}

# ---- worker counts, the sequential references ----
for name in sched_lasso sched_lasso_static sched_uniform; do
    for w in 1 2 3 4; do
        program "$name" "$work/$name.$w" "$w" --deterministic
        if [[ $status -ne 0 ]]; then
            fail "$name --workers $w" "exit $status"
            continue
        fi
        if [[ $w -gt 1 ]]; then
            same=true
            for f in metrics.csv out/w.csv out/kept.csv; do
                cmp -s "$work/$name.1/$f" "$work/$name.$w/$f" || same=false
            done
            $same && pass || fail "$name --workers $w" "outputs differ from --workers 1"
        fi
        cmp -s "$work/$name.$w/out/kept.csv" "$ref/$name.kept.csv" && pass ||
            fail "$name --workers $w" "kept sets differ from the sequential implementation's"
        close "$work/$name.$w/metrics.csv" "$ref/$name.metrics.csv" &&
            close "$work/$name.$w/out/w.csv" "$ref/$name.w.csv" && pass ||
            fail "$name --workers $w" "metrics or w differ from the sequential ones beyond 1e-9"
    done
    program "$name" "$work/$name.free" 2
    [[ $status -eq 0 ]] && cmp -s "$work/$name.free/out/kept.csv" "$ref/$name.kept.csv" && pass ||
        fail "$name --workers 2 (not deterministic)" "kept sets differ from the sequential ones"
done

# ---- a priority whose inputs change between rounds: evaluated again, no stale prepared draw ----
for w in 1 2; do
    program sched_prio_changes "$work/changes.$w" "$w"
    [[ $status -eq 0 ]] &&
        cmp -s "$work/changes.$w/out/kept.csv" "$ref/sched_prio_changes.kept.csv" &&
        cmp -s "$work/changes.$w/out/kept2.csv" "$ref/sched_prio_changes.kept2.csv" &&
        cmp -s "$work/changes.$w/out/kept3.csv" "$ref/sched_prio_changes.kept3.csv" &&
        pass || fail "sched_prio_changes --workers $w" "kept sets differ from the sequential ones"
done

# ---- priorities per candidate, conflicts not memoised: the same draws ----
for w in 1 2; do
    program sched_lasso_perj "$work/perj.$w" "$w" --deterministic
    same=$([[ $status -eq 0 ]] && echo true || echo false)
    for f in metrics.csv out/w.csv out/kept.csv; do
        cmp -s "$work/sched_lasso.$w/$f" "$work/perj.$w/$f" || same=false
    done
    $same && pass || fail "sched_lasso_perj --workers $w" "differs from sched_lasso.dml"
done

# ---- how the work ran, from the task trace (2 workers): tasks named "schedule ..." ----
count_tasks() { # TRACE LABEL: how many tasks of that label the trace holds
    grep -o "\"name\":\"$2\"" "$1" | wc -l
}
for name in sched_lasso sched_lasso_perj sched_lasso_static; do
    program "$name" "$work/trace.$name" 2 --trace "$work/trace.$name/trace.json"
    [[ $status -eq 0 ]] && pass || fail "$name --trace" "exit $status"
done
t=$work/trace
# the priority dw[j] + 1e-6 is vectorised (no per-candidate tasks); sum(dw[j..j + 1]) is not
[[ $(count_tasks "$t.sched_lasso/trace.json" "schedule priorities") -eq 0 ]] && pass ||
    fail "sched_lasso trace" "the priority was not vectorised"
[[ $(count_tasks "$t.sched_lasso_perj/trace.json" "schedule priorities") -ge 150 ]] && pass ||
    fail "sched_lasso_perj trace" "no per-candidate priority tasks on the pool"
# conflicts computed on the pool; the memo leaves fewer to compute than no memo
memo=$(count_tasks "$t.sched_lasso/trace.json" "schedule conflicts")
nomemo=$(count_tasks "$t.sched_lasso_perj/trace.json" "schedule conflicts")
[[ $memo -gt 0 && $memo -lt $nomemo ]] && pass ||
    fail "conflict memo" "conflict tasks with the memo $memo, without $nomemo"
# a priority that reads nothing the body writes: each next draw prepared during the round
[[ $(count_tasks "$t.sched_lasso_static/trace.json" "schedule draw") -ge 149 ]] && pass ||
    fail "sched_lasso_static trace" "the next draws were not prepared during the rounds"
[[ $(count_tasks "$t.sched_lasso/trace.json" "schedule draw") -eq 0 ]] && pass ||
    fail "sched_lasso trace" "a draw was prepared although the priority reads dw"

# ---- the lasso sample: bit for bit the sequential implementation's ----
cp -r "$root/samples" "$work/samples"
rm -rf "$work/samples/out"
for w in 1 2 3 4; do
    run run "$work/samples/lasso.dml" --quiet --deterministic --workers "$w" \
        --metrics "$work/samples/lasso.$w.csv"
    if [[ $status -eq 0 ]] &&
        [[ $(sha256sum < "$work/samples/lasso.$w.csv" | cut -d' ' -f1) == $(cat "$ref/lasso_sample.metrics.sha256") ]] &&
        cmp -s "$work/samples/out/lasso_w.csv" "$ref/lasso_sample.w.csv"; then
        pass
    else
        fail "samples/lasso.dml --workers $w" "differs from the sequential implementation"
    fi
done

# ---- layout = "columns" on X against the row-major X ----
mkdir -p "$work/layout"
cp "$here/sched_lasso.dml" "$work/layout/"
run compile "$work/layout/sched_lasso.dml" -o "$work/layout/plain.plan"
sed -i 's/{layout = "columns", sym = @X}/{sym = @X}/' "$work/layout/plain.plan"
sed 's/"state.input"(\(%[0-9]*\)) {sym = @X}/"state.input"(\1) {layout = "columns", sym = @X}/' \
    "$work/layout/plain.plan" > "$work/layout/columns.plan"
reseal "$work/layout/plain.plan"
reseal "$work/layout/columns.plan"
if grep -q 'layout = "columns", sym = @X' "$work/layout/columns.plan" &&
    ! grep -q 'layout = ' "$work/layout/plain.plan"; then
    pass
else
    fail "layout" "could not make the two plans"
fi
for kind in plain columns; do
    mkdir -p "$work/layout/$kind"
    cp "$work/layout/$kind.plan" "$work/layout/$kind/"
    run run "$work/layout/$kind/$kind.plan" --quiet --deterministic --workers 2 \
        --metrics "$work/layout/$kind/metrics.csv"
    [[ $status -eq 0 ]] && pass || fail "layout $kind" "exit $status"
done
same=true
for f in metrics.csv out/w.csv out/kept.csv; do
    cmp -s "$work/layout/plain/$f" "$work/layout/columns/$f" || same=false
    cmp -s "$work/layout/plain/$f" "$work/sched_lasso.2/$f" || same=false
done
$same && pass || fail "layout" "columns and row-major runs differ"

# ---- errors ----
expect_error() { # NAME MESSAGE
    for w in 1 2; do
        mkdir -p "$work/err.$1.$w"
        cp "$here/$1.dml" "$work/err.$1.$w/"
        run run "$work/err.$1.$w/$1.dml" --workers "$w"
        if [[ $status -eq 1 ]] && [[ $(cat "$work/err") == "$work/err.$1.$w/$1.dml:$2" ]]; then
            pass
        else
            fail "$1 --workers $w" "expected exit 1 and '$1.dml:$2'"
        fi
    done
}
expect_error sched_error_negative \
    "7:3: error: the priority of 61 is -0.5: priorities must be finite and at least 0"
expect_error sched_error_index "7:68: error: index 100 is out of range for dimension 0 of size 100"
expect_error sched_error_index_perj \
    "7:89: error: index 100 is out of range for dimension 0 of size 100"
expect_error sched_error_conflict \
    "7:91: error: index 154 is out of range for dimension 1 of size 100"

finish
