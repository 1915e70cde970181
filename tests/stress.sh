#!/usr/bin/env bash
# stress.sh DMLC: inputs that must never crash or hang the compiler, through the real driver.
#   a 200,000-term expression checks and lowers; 100,000 nested parentheses get a clear error;
#   binary garbage and an empty file are handled. Prints "N passed, M failed".
set -uo pipefail
dmlc=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# expect NAME WANT_STATUS GREP_PATTERN -- COMMAND...: status must match, stderr must contain the pattern
expect() {
    local name=$1 want=$2 pattern=$3
    shift 4
    local status=0
    timeout 120 "$@" >"$work/out" 2>"$work/err" || status=$?
    if [[ $status -eq $want ]] && { [[ -z $pattern ]] || grep -q -- "$pattern" "$work/err"; }; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name: status $status (want $want), stderr:"
        head -c 2000 "$work/err" | sed 's/^/    /'
    fi
}

python3 -c "print('input a: f64[n] = load(\"a.csv\")'); print('let x = ' + ' + '.join(['a * 0.5'] * 200000))" >"$work/long.dml"
expect "200,000-term expression checks" 0 "" -- "$dmlc" check "$work/long.dml"
expect "200,000-term expression lowers" 0 "" -- "$dmlc" dump-ir "$work/long.dml"

python3 -c "print('let x = ' + '(' * 100000 + '1' + ')' * 100000)" >"$work/deep.dml"
expect "100,000 nested parentheses" 1 "nesting is too deep" -- "$dmlc" check "$work/deep.dml"

python3 -c "print('let x = ' + '-' * 100000 + '1')" >"$work/neg.dml"
expect "100,000 unary minuses" 1 "nesting is too deep" -- "$dmlc" check "$work/neg.dml"

python3 -c "print('if true {' * 100000 + '}' * 100000)" >"$work/blocks.dml"
expect "100,000 nested blocks" 1 "nesting is too deep" -- "$dmlc" check "$work/blocks.dml"

python3 -c "
import random
random.seed(7)
open('$work/garbage.dml', 'wb').write(bytes(random.randrange(256) for _ in range(200000)))"
expect "binary garbage" 1 "error:" -- "$dmlc" check "$work/garbage.dml"
expect "binary garbage as IR" 1 "error:" -- "$dmlc" dump-ir "$work/garbage.dml"
cp "$work/garbage.dml" "$work/garbage.ir"
expect "binary garbage read as IR" 1 "error:" -- "$dmlc" dump-ir "$work/garbage.ir"

: >"$work/empty.dml"
expect "empty file checks" 0 "" -- "$dmlc" check "$work/empty.dml"
expect "missing file" 1 "cannot read" -- "$dmlc" check "$work/no-such-file.dml"
expect "unknown option suggests" 2 "did you mean '--locations'" -- "$dmlc" dump-ir "$work/empty.dml" --locatons
expect "unknown command suggests" 2 "did you mean 'check'" -- "$dmlc" chekc "$work/empty.dml"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
