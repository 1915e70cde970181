#!/usr/bin/env bash
# run.sh: golden-file tests. Each input beside its expected output, compared with diff -u.
#
#   tests/golden/run.sh DMLC [--update]
#
#   ir/NAME.dml           stdout of `dmlc dump-ir NAME.dml` is ir/NAME.ir, exit 0;
#                         then `dmlc dump-ir NAME.ir` prints ir/NAME.ir back unchanged
#   ir/NAME.ir (alone)    the round trip only: `dmlc dump-ir NAME.ir` prints itself
#   errors/NAME.dml       stderr of `dmlc check NAME.dml` is errors/NAME.err, exit 1
#   explain/NAME.dml      stdout of `dmlc explain NAME.dml` is explain/NAME.explain, exit 0
#   explain/DIR/NAME.dml  the same in each folder DIR of explain/ but samples/ (loops/: one loop
#                         shape per file); explain/DIR/NAME.ir (with no NAME.dml beside it): IR
#                         that DML cannot express, `dmlc explain NAME.ir` is DIR/NAME.explain
#   passes/NAME.dml       stdout of `dmlc dump-ir --after=PASS NAME.dml` is passes/NAME.ir, exit 0,
#                         where a line `// after: PASS` in the file names the pass (default: all);
#                         stderr is passes/NAME.err when that file exists, else empty; the output
#                         of one pass also round-trips (`dmlc dump-ir NAME.ir` prints it back)
#   samples/NAME.dml      (the repository's samples, referenced, not copied) stdout of
#                         `dmlc dump-ir --after=all NAME.dml`, run in samples/, is
#                         passes/samples/NAME.ir, exit 0, nothing on stderr; and stdout of
#                         `dmlc explain NAME.dml` is explain/samples/NAME.explain
#
# The passes cases need `dmlc dump-ir --after`; a dmlc without it skips them and says so.
# Commands run inside the case's folder, so paths in messages are bare names.
# --update rewrites the expected files (exit statuses are still checked).
set -euo pipefail

usage() {
    echo "usage: $0 DMLC [--update]" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
dmlc=$1
update=0
if [[ $# -eq 2 ]]; then
    [[ $2 == --update ]] || usage
    update=1
fi
[[ -x $dmlc ]] || { echo "run.sh: $dmlc is not an executable" >&2; exit 2; }
dmlc=$(cd "$(dirname "$dmlc")" && pwd)/$(basename "$dmlc")

golden_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# A case that runs longer than this is a hang, not a slow test.
case_timeout_seconds=60

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0

fail() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
}

# run_dmlc DIR STDOUT STDERR ARGS...: run dmlc in DIR; sets `status`.
run_dmlc() {
    local dir=$1 out=$2 err=$3
    shift 3
    status=0
    (cd "$dir" && timeout "$case_timeout_seconds" "$dmlc" "$@") >"$out" 2>"$err" || status=$?
}

# describe_status: a phrase for `status`, or empty when dmlc exited normally.
describe_status() {
    if [[ $status -eq 124 ]]; then
        echo "timed out after ${case_timeout_seconds}s"
    elif [[ $status -ge 128 ]]; then
        echo "crashed (exit status $status)"
    fi
}

# compare_or_update ACTUAL EXPECTED CASE: 0 when they match (or after an update).
compare_or_update() {
    local actual=$1 expected=$2 name=$3
    if [[ $update -eq 1 ]]; then
        if [[ ! -f $expected ]] || ! cmp -s "$actual" "$expected"; then
            cp "$actual" "$expected"
            echo "updated $name"
        fi
        return 0
    fi
    if [[ ! -f $expected ]]; then
        fail "$name" "missing expected file $(basename "$expected") (run scripts/regen-golden.sh)"
        return 1
    fi
    if ! diff -u --label "expected/$(basename "$expected")" --label "actual" \
        "$expected" "$actual"; then
        fail "$name" "output differs from $(basename "$expected")"
        return 1
    fi
    return 0
}

# expect_status CASE WANTED ERRFILE: 0 when `status` is WANTED, else reports why.
expect_status() {
    local name=$1 wanted=$2 err=$3 why
    [[ $status -eq $wanted ]] && return 0
    why=$(describe_status)
    fail "$name" "${why:-exit status $status, expected $wanted}"
    sed 's/^/    /' "$err"
    return 1
}

# round_trip DIR NAME.ir CASE: `dmlc dump-ir NAME.ir` must print NAME.ir back exactly.
round_trip() {
    local dir=$1 ir=$2 name=$3
    run_dmlc "$dir" "$scratch/rt.out" "$scratch/rt.err" dump-ir "$ir"
    expect_status "$name (round trip)" 0 "$scratch/rt.err" || return 1
    if ! diff -u --label "expected/$ir" --label "reprinted" "$dir/$ir" "$scratch/rt.out"; then
        fail "$name (round trip)" "dump-ir $ir does not print the same text back"
        return 1
    fi
    return 0
}

check_ir_case() {
    local dir=$1 base=$2 name=ir/$2
    run_dmlc "$dir" "$scratch/out" "$scratch/err" dump-ir "$base.dml"
    expect_status "$name" 0 "$scratch/err" || return 0
    compare_or_update "$scratch/out" "$dir/$base.ir" "$name" || return 0
    round_trip "$dir" "$base.ir" "$name" || return 0
    passed=$((passed + 1))
}

check_ir_only_case() {
    local dir=$1 base=$2 name=ir/$2.ir
    round_trip "$dir" "$base.ir" "$name" || return 0
    passed=$((passed + 1))
}

check_error_case() {
    local dir=$1 base=$2 name=errors/$2
    run_dmlc "$dir" "$scratch/out" "$scratch/err" check "$base.dml"
    expect_status "$name" 1 "$scratch/err" || return 0
    compare_or_update "$scratch/err" "$dir/$base.err" "$name" || return 0
    passed=$((passed + 1))
}

# the pass named by a `// after: PASS` line of a .dml file, or "all"
pass_of() {
    local name
    name=$(sed -n 's|^// after: *\([a-z]*\) *$|\1|p' "$1" | head -n 1)
    echo "${name:-all}"
}

# check_passes_case DIR BASE EXPECTED_DIR CASE PASS: dump-ir --after=PASS in DIR.
check_passes_case() {
    local dir=$1 base=$2 expected_dir=$3 name=$4 pass=$5
    run_dmlc "$dir" "$scratch/out" "$scratch/err" dump-ir "--after=$pass" "$base.dml"
    expect_status "$name" 0 "$scratch/err" || return 0
    compare_or_update "$scratch/out" "$expected_dir/$base.ir" "$name" || return 0
    if [[ -f $expected_dir/$base.err || -s $scratch/err ]]; then
        compare_or_update "$scratch/err" "$expected_dir/$base.err" "$name (stderr)" || return 0
    fi
    if [[ $pass != all ]]; then
        round_trip "$expected_dir" "$base.ir" "$name" || return 0
    fi
    passed=$((passed + 1))
}

# check_explain_case DIR BASE [EXPECTED_DIR [EXT [CASE]]]: `dmlc explain BASE.EXT` (default .dml)
# run in DIR.
check_explain_case() {
    local dir=$1 base=$2 expected_dir=${3:-$1} ext=${4:-dml} name=${5:-explain/$2}
    run_dmlc "$dir" "$scratch/out" "$scratch/err" explain "$base.$ext"
    expect_status "$name" 0 "$scratch/err" || return 0
    compare_or_update "$scratch/out" "$expected_dir/$base.explain" "$name" || return 0
    passed=$((passed + 1))
}

shopt -s nullglob
export LC_ALL=C

if [[ -d $golden_dir/ir ]]; then
    for file in "$golden_dir"/ir/*.dml; do
        check_ir_case "$golden_dir/ir" "$(basename "$file" .dml)"
    done
    for file in "$golden_dir"/ir/*.ir; do
        base=$(basename "$file" .ir)
        [[ -f $golden_dir/ir/$base.dml ]] || check_ir_only_case "$golden_dir/ir" "$base"
    done
fi

if [[ -d $golden_dir/errors ]]; then
    for file in "$golden_dir"/errors/*.dml; do
        check_error_case "$golden_dir/errors" "$(basename "$file" .dml)"
    done
fi

if [[ -d $golden_dir/explain ]]; then
    for file in "$golden_dir"/explain/*.dml; do
        check_explain_case "$golden_dir/explain" "$(basename "$file" .dml)"
    done
    for sub in "$golden_dir"/explain/*/; do
        sub=${sub%/}
        [[ $(basename "$sub") == samples ]] && continue
        for file in "$sub"/*.dml; do
            base=$(basename "$file" .dml)
            check_explain_case "$sub" "$base" "$sub" dml "explain/$(basename "$sub")/$base"
        done
        for file in "$sub"/*.ir; do
            base=$(basename "$file" .ir)
            [[ -f $sub/$base.dml ]] && continue
            check_explain_case "$sub" "$base" "$sub" ir "explain/$(basename "$sub")/$base.ir"
        done
    done
    mkdir -p "$golden_dir/explain/samples"
    for file in "$golden_dir"/../../samples/*.dml; do
        check_explain_case "$(dirname "$file")" "$(basename "$file" .dml)" \
            "$golden_dir/explain/samples"
    done
fi

if [[ -d $golden_dir/passes ]]; then
    if "$dmlc" dump-ir --help 2>/dev/null | grep -q -- '--after'; then
        for file in "$golden_dir"/passes/*.dml; do
            base=$(basename "$file" .dml)
            check_passes_case "$golden_dir/passes" "$base" "$golden_dir/passes" "passes/$base" \
                "$(pass_of "$file")"
        done
        samples_dir=$golden_dir/../../samples
        mkdir -p "$golden_dir/passes/samples"
        for file in "$samples_dir"/*.dml; do
            base=$(basename "$file" .dml)
            check_passes_case "$samples_dir" "$base" "$golden_dir/passes/samples" \
                "passes/samples/$base" all
        done
    else
        echo "skipped passes/: this dmlc has no 'dump-ir --after'"
    fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
