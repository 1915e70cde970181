# lib.sh: what the tests/parallel/*.sh suites share. Sourced with the suite's arguments (the dmlc
# binary); sets dmlc (absolute), here (this folder), root (the repository), work (a temporary
# folder removed on exit), and defines pass, fail, run and finish.
[[ $# -eq 1 ]] || { echo "usage: $0 DMLC" >&2; exit 2; }
dmlc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C
passed=0
failed=0
pass() { passed=$((passed + 1)); }
# fail NAME WHY: counts a failure and shows the last run's stderr.
fail() {
    failed=$((failed + 1))
    echo "FAIL $1: $2"
    [[ -s $work/err ]] && head -c 1500 "$work/err" | sed 's/^/    stderr: /'
}
# run ARGS...: dmlc with a 120 s limit (a hang fails); sets status, $work/out, $work/err.
run() {
    status=0
    timeout 120 "$dmlc" "$@" </dev/null >"$work/out" 2>"$work/err" || status=$?
}
# finish: prints the counts; the suite's exit status is 0 only when nothing failed.
finish() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
