#!/usr/bin/env bash
# test.sh: the project's whole test pass, as CI runs it (.ci/run calls this).
#
#   1. install dependencies (scripts/setup.sh)
#   2. build/       optimised build, warnings are errors; ctest
#   3. build-asan/  debug build under AddressSanitizer + UBSan; ctest
#   4. build-fuzz/  clang + libFuzzer; each fuzz target runs DMLC_FUZZ_SECONDS (default 60)
#
# Every phase reuses its build folder, so a second run only rebuilds what changed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_jobs=2
fuzz_seconds=${DMLC_FUZZ_SECONDS:-60}
# libFuzzer limits: inputs up to 64 KiB (larger than any sample), 10 s per input is a hang.
fuzz_max_len=65536
fuzz_timeout_seconds=10

section() {
    printf '\n==== %s ====\n' "$*"
}

phase_done() {
    printf -- '---- %s: done (%ds so far)\n' "$1" "$SECONDS"
}

section "1/4 setup: dependencies from Debian packages"
scripts/setup.sh
phase_done setup

section "2/4 build/: optimised build with -Werror, then ctest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMLC_WERROR=ON
cmake --build build -j"$build_jobs"
ctest --test-dir build --output-on-failure
phase_done build

section "3/4 build-asan/: AddressSanitizer + UndefinedBehaviorSanitizer build, then ctest"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDMLC_SANITIZE=ON
cmake --build build-asan -j"$build_jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure
phase_done build-asan

section "4/4 build-fuzz/: libFuzzer targets, ${fuzz_seconds}s each"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMLC_FUZZ=ON
cmake --build build-fuzz -j"$build_jobs" --target fuzzers

# seed_corpus TARGET DIR: copy the inputs that suit TARGET into DIR, named after their path.
seed_corpus() {
    local target=$1 dir=$2 seed
    local seeds=()
    case $target in
        fuzz_frontend)
            mapfile -t seeds < <(find samples tests/golden -name '*.dml' 2>/dev/null | sort)
            ;;
        fuzz_ir_reader)
            mapfile -t seeds < <(find tests/golden/ir -name '*.ir' 2>/dev/null | sort)
            ;;
        fuzz_io)
            # the corpus seeds under tests/fuzz/corpus/fuzz_io/ carry the format byte
            ;;
    esac
    if [[ -d tests/fuzz/corpus/$target ]]; then
        mapfile -t -O "${#seeds[@]}" seeds < <(find "tests/fuzz/corpus/$target" -type f | sort)
    fi
    mkdir -p "$dir"
    for seed in "${seeds[@]}"; do
        cp "$seed" "$dir/seed_${seed//\//_}"
    done
}

shopt -s nullglob
fuzz_failures=()
fuzz_sources=(tests/fuzz/*.c)
if [[ ${#fuzz_sources[@]} -eq 0 ]]; then
    echo "no fuzz targets in tests/fuzz/"
elif [[ $fuzz_seconds -le 0 ]]; then
    echo "DMLC_FUZZ_SECONDS=$fuzz_seconds: fuzz targets built, not run"
fi
for source in "${fuzz_sources[@]}"; do
    [[ $fuzz_seconds -gt 0 ]] || break
    name=$(basename "$source" .c)
    target=fuzz_${name#fuzz_}
    corpus=build-fuzz/corpus/$target
    artifacts=build-fuzz/artifacts/$target
    log=build-fuzz/logs/$target.log
    seed_corpus "$target" "$corpus"
    rm -rf "$artifacts"
    mkdir -p "$artifacts" "$(dirname "$log")"
    options=(-max_total_time="$fuzz_seconds" -max_len="$fuzz_max_len"
             -timeout="$fuzz_timeout_seconds" -artifact_prefix="$artifacts/")
    if [[ -f tests/fuzz/$target.dict ]]; then
        options+=(-dict="tests/fuzz/$target.dict")
    fi
    echo "-- $target: ${fuzz_seconds}s, corpus $corpus, log $log"
    status=0
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "build-fuzz/$target" "${options[@]}" "$corpus" >"$log" 2>&1 || status=$?
    if [[ $status -eq 0 ]]; then
        grep -E '^(Done|#[0-9]+.*DONE)' "$log" | tail -n 2 || true
    else
        echo "FAIL $target: exit status $status; the end of $log:"
        tail -n 60 "$log" | sed 's/^/    /'
        echo "    reproduce with: build-fuzz/$target ARTIFACT"
        find "$artifacts" -type f -printf '    artifact: %p\n'
        fuzz_failures+=("$target")
    fi
done
if [[ ${#fuzz_failures[@]} -gt 0 ]]; then
    echo "fuzzing found failures in: ${fuzz_failures[*]}"
    exit 1
fi
phase_done build-fuzz

section "all tests passed in ${SECONDS}s"
