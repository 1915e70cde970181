#!/usr/bin/env bash
# cli_run.sh DMLC [--update]: the `dmlc run`, `compile` and `dump-ir` command lines end to end.
#
#   usage errors        exit status 2 and the message, for every kind of bad flag
#   a small program     exact plain log lines, print output, --quiet, --metrics csv and jsonl,
#                       --plot, --set, nan warnings, --stop-on-nan, a run-time error (exit 1,
#                       the metrics up to the error kept)
#   samples             run with --metrics and --plot; compile to a plan and run the plan: the
#                       same metrics, byte for byte
#   bad plans           tests/golden/plan/NAME.plan: `dmlc run NAME.plan` exits 1 and prints
#                       NAME.err exactly (--update rewrites the .err files, for review)
#
# Everything runs in a scratch folder with copies of the samples. Prints "N passed, M failed".
set -uo pipefail

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 DMLC [--update]" >&2; exit 2; }
dmlc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
update=0
[[ $# -eq 2 && $2 == --update ]] && update=1
[[ -x $dmlc ]] || { echo "cli_run.sh: $1 is not an executable" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C
# A run that takes longer than this is a hang.
timeout_seconds=120
passed=0
failed=0

fail() {
    failed=$((failed + 1))
    echo "FAIL $1: $2"
    [[ -s $work/err ]] && head -c 2000 "$work/err" | sed 's/^/    stderr: /'
}

# run_dmlc ARGS...: runs dmlc in $work/s with stdout and stderr in $work/out and $work/err; sets
# `status`. Standard input is empty and neither output is a terminal.
run_dmlc() {
    status=0
    (cd "$work/s" && timeout "$timeout_seconds" "$dmlc" "$@") </dev/null >"$work/out" 2>"$work/err" ||
        status=$?
}

# expect NAME STATUS PATTERN -- ARGS...: the exit status, and PATTERN (grep -F) on stderr.
expect() {
    local name=$1 want=$2 pattern=$3
    shift 4
    run_dmlc "$@"
    if [[ $status -ne $want ]]; then
        fail "$name" "exit status $status, expected $want"
    elif [[ -n $pattern ]] && ! grep -qF -- "$pattern" "$work/err"; then
        fail "$name" "stderr lacks: $pattern"
    else
        passed=$((passed + 1))
    fi
}

# same NAME EXPECTED_TEXT FILE: FILE holds exactly the text.
same() {
    local name=$1 expected=$2 file=$3
    if [[ ! -f $file ]]; then
        fail "$name" "$(basename "$file") was not written"
    elif ! diff -u --label expected --label "$(basename "$file")" <(printf '%s' "$expected") "$file" \
        >"$work/diff"; then
        fail "$name" "$(basename "$file") differs"
        sed 's/^/    /' "$work/diff"
    else
        passed=$((passed + 1))
    fi
}

# check NAME COMMAND...: a shell condition that must hold.
check() {
    local name=$1
    shift
    if "$@"; then passed=$((passed + 1)); else fail "$name" "condition failed: $*"; fi
}

mkdir -p "$work/s"
cp -r "$root/samples/." "$work/s/"
rm -rf "$work/s/out"

# ---- usage errors: exit status 2 ----

touch "$work/s/x.dml"
expect "run needs a FILE" 2 "dmlc run: error: expected a FILE" -- run
expect "two FILEs" 2 "expected one FILE, saw 'x.dml' and 'y.dml'" -- run x.dml y.dml
expect "unknown flag suggests" 2 "unknown option '--metric'; did you mean '--metrics'?" -- \
    run x.dml --metric m.csv
expect "--set without =" 2 "--set expects NAME=VALUE, saw 'lambda'" -- run x.dml --set lambda
expect "--set with no value at all" 2 "--set expects NAME=VALUE, saw nothing" -- run x.dml --set
expect "--set without a name" 2 "--set =0.1: '' is not a config name" -- run x.dml --set =0.1
expect "--set with a bad name" 2 "--set 2x=1: '2x' is not a config name" -- run x.dml --set 2x=1
expect "--set with an empty value" 2 "--set lambda=: the value is missing" -- \
    run x.dml --set lambda=
expect "--metrics with another extension" 2 \
    "--metrics expects a file name ending in .csv or .jsonl, saw 'm.json'" -- \
    run x.dml --metrics m.json
expect "--metrics without a value" 2 "--metrics expects a file name ending in .csv or .jsonl" -- \
    run x.dml --metrics
expect "--plot with another extension" 2 "--plot expects a file name ending in .svg, saw 'p.png'" \
    -- run x.dml --plot p.png
expect "--data-dir not a folder" 2 "--data-dir: 'nowhere' is not a folder" -- \
    run x.dml --data-dir nowhere
expect "--seed not a number" 2 "--seed expects a whole number" -- run x.dml --seed 1.5
expect "--target-cpu empty" 2 "--target-cpu expects a CPU name" -- run x.dml --target-cpu=
expect "output over the program" 2 "'x.csv' is the program" -- run x.csv --metrics x.csv
expect "compile needs a FILE" 2 "dmlc compile: error: expected a FILE" -- compile
expect "compile -o without a value" 2 "-o expects an output file" -- compile x.dml -o
expect "compile of a plan" 2 "is a plan already" -- compile x.plan
expect "compile over its source" 2 "the plan would overwrite its source" -- \
    compile x.dml -o x.dml
expect "dump-ir unknown pass suggests" 2 "--after names no pass: 'fusee'; did you mean 'fuse'?" \
    -- dump-ir x.dml --after=fusee
expect "dump-ir unknown pass lists them" 2 \
    "The passes, in order: shapes, canonicalize, autodiff, cleanup, fuse, memplan, depend; or 'all'" -- \
    dump-ir x.dml --after=nothing
expect "dump-ir --emit value" 2 "--emit expects 'llvm' or 'asm', saw 'wasm'" -- \
    dump-ir x.dml --emit=wasm
expect "dump-ir --emit with --after" 2 "--after, --format and --locations apply to the dataflow IR" \
    -- dump-ir x.dml --emit=llvm --after=fuse
expect "dump-ir --target-cpu without --emit" 2 "--target-cpu applies to --emit only" -- \
    dump-ir x.dml --target-cpu=znver4
expect "dump-ir --after on a plan" 2 "a plan is already optimised" -- \
    dump-ir x.plan --after=fuse
expect "explain needs a FILE" 2 "dmlc explain: error: expected a FILE" -- explain
expect "explain of a missing file" 1 "cannot read 'nowhere.dml'" -- explain nowhere.dml
expect "--workers zero" 2 "--workers expects a whole number from 1 to 1024, saw '0'" -- \
    run x.dml --workers 0
expect "--workers not a number" 2 \
    "--workers expects a whole number from 1 to 1024, saw 'two'" -- \
    run x.dml --workers two
expect "--trace with another extension" 2 "--trace expects a file name ending in .json" -- \
    run x.dml --trace t.txt
expect "--trace over the program" 2 "'x.json' is the program" -- run x.json --trace x.json
expect "missing program" 1 "dmlc: error: cannot read 'nothing.dml': No such file or directory" -- \
    run nothing.dml
expect "run help" 0 "" -- run --help
check "run help lists --stop-on-nan" grep -q -- "--stop-on-nan" "$work/out"

# ---- a small program with exact results ----
#
# w halves each step, so every value is exact in binary: norm = 3 * 4^-(t+1), first = 2^-(t+1).

cat >"$work/s/halve.dml" <<'EOF'
config lr = 0.5
param w: f64[3] = ones
for t in 0..4 {
  w -= lr * w
  log(norm = sum(w * w), first = w[0])
}
print(sum(w))
EOF

expect "small program runs" 0 "" -- run halve.dml --metrics m.csv --plot p.svg
same "plain lines and print on stdout" "step 0  norm=0.75  first=0.5
step 1  norm=0.1875  first=0.25
step 2  norm=0.046875  first=0.125
step 3  norm=0.0117188  first=0.0625
0.1875
" "$work/out"
same "nothing on stderr" "" "$work/err"
same "metrics csv" "step,norm,first
0,0.75,0.5
1,0.1875,0.25
2,0.046875,0.125
3,0.01171875,0.0625
" "$work/s/m.csv"
check "plot is an svg document" grep -q "</svg>" "$work/s/p.svg"
check "plot has a panel per metric" test "$(grep -c '<g id="panel-' "$work/s/p.svg")" -eq 2
check "plot labels the step axis" grep -q ">step</text>" "$work/s/p.svg"
check "no temporary files left" test -z "$(find "$work/s" -name '*.tmp.*')"

expect "--quiet" 0 "" -- run halve.dml --quiet --metrics m.jsonl
same "--quiet keeps print output only" "0.1875
" "$work/out"
same "metrics jsonl" '{"step": 0, "norm": 0.75, "first": 0.5}
{"step": 1, "norm": 0.1875, "first": 0.25}
{"step": 2, "norm": 0.046875, "first": 0.125}
{"step": 3, "norm": 0.01171875, "first": 0.0625}
' "$work/s/m.jsonl"

expect "--set changes a config" 0 "" -- run halve.dml --quiet --set lr=0.75 --set lr=0.25
same "--set: the last one wins (0.75^4 * 3)" "0.94921875
" "$work/out"
expect "--set of an unknown config" 1 "no config named 'lx'" -- run halve.dml --set lx=1
expect "--set of a bad value" 1 "--set lr=abc" -- run halve.dml --set lr=abc

# On a terminal (a pseudo-terminal from script(1)): the progress line redrawn in place, ending
# with the final values, and no plain lines.
if command -v script >/dev/null; then
    (cd "$work/s" && timeout "$timeout_seconds" script -qec "'$dmlc' run halve.dml" /dev/null) \
        </dev/null >"$work/tty" 2>&1
    check "terminal: progress line redrawn in place" grep -q $'\r\033\[Kstep 1/4' "$work/tty"
    check "terminal: final line has the last values" \
        grep -qE $'step 4/4 .*norm=0.0117188  first=0.0625  done in [0-9.]+ s\r?$' "$work/tty"
    check "terminal: no plain lines" test "$(grep -c '^step 0  norm' "$work/tty")" -eq 0
    check "terminal: print output still shown" grep -q '0.1875' "$work/tty"
fi

# A metric that is nan from step 1 on (inf - inf): one warning; --stop-on-nan stops there.
cat >"$work/s/nan.dml" <<'EOF'
param w: f64[2] = ones
var x: f64 = 1.0
for t in 0..5 {
  w -= 0.5 * w
  x = x * 1e300
  log(ok = sum(w), bad = x - x)
}
EOF
expect "nan metric warns" 0 "nan.dml: warning: metric 'bad' is nan at step 1" -- run nan.dml
check "nan warned once" test "$(grep -c warning "$work/err")" -eq 1
check "nan in plain lines" grep -qx "step 3  ok=0.125  bad=nan" "$work/out"
expect "--stop-on-nan" 1 "error: metric 'bad' is nan at step 1" -- \
    run nan.dml --stop-on-nan --metrics n.jsonl
same "metrics kept up to the nan, nan as null" '{"step": 0, "ok": 1, "bad": 0}
{"step": 1, "ok": 0.5, "bad": null}
' "$work/s/n.jsonl"

# A run-time error at step 2: exit 1, the message, and the metrics of steps 0..2.
cat >"$work/s/oob.dml" <<'EOF'
param w: f64[3] = ones
for t in 0..5 {
  w -= 0.5 * w
  log(total = sum(w))
  if t == 2 {
    w[t + 5] = 1.0
  }
}
EOF
expect "run-time error" 1 "oob.dml:6:5: error:" -- run oob.dml --metrics o.csv --plot o.svg
same "metrics up to the error" "step,total
0,1.5
1,0.75
2,0.375
" "$work/s/o.csv"
check "plot written despite the error" grep -q "</svg>" "$work/s/o.svg"

# A compile error: the diagnostics, exit 1, nothing written.
printf 'let x = y\n' >"$work/s/bad.dml"
expect "compile error" 1 "bad.dml:1:9: error:" -- run bad.dml --metrics b.csv
check "no metrics for a program that did not compile" test ! -e "$work/s/b.csv"

expect "--no-jit" 0 "" -- run halve.dml --quiet --no-jit --metrics nojit.csv
check "--no-jit gives the same metrics" cmp -s "$work/s/m.csv" "$work/s/nojit.csv"
expect "--target-cpu" 0 "" -- run halve.dml --quiet --target-cpu=x86-64
expect "--target-cpu unknown" 1 "unknown target CPU 'nosuchcpu'" -- \
    run halve.dml --quiet --target-cpu=nosuchcpu
expect "dump-ir --emit=llvm" 0 "" -- dump-ir halve.dml --emit=llvm
check "dump-ir --emit=llvm defines a kernel" grep -q '^define void @k' "$work/out"
expect "dump-ir --emit=asm" 0 "" -- dump-ir halve.dml --emit=asm --target-cpu=x86-64
check "dump-ir --emit=asm has a kernel symbol" grep -q '^k[0-9]*_.*:' "$work/out"

# ---- plans ----

expect "compile" 0 "" -- compile halve.dml -o halve.plan
check "plan header" test "$(head -c 16 "$work/s/halve.plan")" = "// dmlc plan v1"
check "plan records its source" grep -qx '// source "halve.dml"' "$work/s/halve.plan"
expect "compile to the default name" 0 "" -- compile nan.dml
check "default plan name" test -f "$work/s/nan.plan"
expect "compile to stdout" 0 "" -- compile halve.dml -o -
check "stdout plan is the same" cmp -s "$work/out" "$work/s/halve.plan"
expect "run the plan" 0 "" -- run halve.plan --metrics mp.csv
check "plan gives the same metrics" cmp -s "$work/s/m.csv" "$work/s/mp.csv"
expect "dump-ir of a plan" 0 "" -- dump-ir halve.plan
expect "dump-ir --after=all" 0 "" -- dump-ir halve.dml --after=all
check "dump-ir --after=all heads each pass" test "$(grep -c '^// after ' "$work/out")" -eq 7
expect "dump-ir --after=fuse" 0 "" -- dump-ir halve.dml --after=fuse
check "dump-ir --after=fuse prints one module" test "$(grep -c '^// after ' "$work/out")" -eq 0

# Data paths in a plan are relative to the plan's folder, or to --data-dir.
mkdir -p "$work/s/elsewhere"
expect "compile ridge elsewhere" 0 "" -- compile ridge.dml -o elsewhere/ridge.plan
expect "plan away from its data" 1 "diabetes_X.csv" -- run elsewhere/ridge.plan --quiet
expect "plan with --data-dir" 0 "" -- run elsewhere/ridge.plan --quiet --data-dir .

# ---- samples: metrics, plot, and the plan round trip ----

for name in kmeans lasso logreg ridge; do
    expect "sample $name runs" 0 "" -- run "$name.dml" --quiet --metrics "$name.csv" \
        --plot "$name.svg"
    check "sample $name metrics have a header" grep -q '^step,' "$work/s/$name.csv"
    check "sample $name plot is complete" grep -q "</svg>" "$work/s/$name.svg"
    expect "sample $name compiles" 0 "" -- compile "$name.dml" -o "$name.plan"
    expect "sample $name plan runs" 0 "" -- run "$name.plan" --quiet --metrics "${name}_plan.csv"
    check "sample $name plan gives identical metrics" \
        cmp -s "$work/s/$name.csv" "$work/s/${name}_plan.csv"
done

# ---- bad plans: tests/golden/plan ----

plan_dir=$root/tests/golden/plan
nplans=0
for plan in "$plan_dir"/*.plan; do
    [[ -e $plan ]] || continue
    nplans=$((nplans + 1))
    base=$(basename "$plan" .plan)
    status=0
    (cd "$plan_dir" && timeout "$timeout_seconds" "$dmlc" run "$base.plan") </dev/null \
        >"$work/out" 2>"$work/err" || status=$?
    if [[ $status -ne 1 ]]; then
        fail "plan/$base" "exit status $status, expected 1"
    elif [[ $update -eq 1 ]]; then
        cp "$work/err" "$plan_dir/$base.err"
        passed=$((passed + 1))
    elif ! diff -u --label "expected/$base.err" --label actual "$plan_dir/$base.err" "$work/err"; then
        fail "plan/$base" "stderr differs from $base.err"
    else
        passed=$((passed + 1))
    fi
done
# The .plan files must be in the repository (.gitignore ignores *.plan elsewhere).
check "bad plan goldens are present" test "$nplans" -ge 9

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
