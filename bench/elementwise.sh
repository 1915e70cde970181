#!/usr/bin/env bash
# elementwise.sh: the JIT's fused elementwise chain out = max(a * x + y, 0) * s over 16M f32,
# against memcpy of the same bytes (in the same process, alternated call by call) and against
# NumPy's four ufuncs with preallocated outputs. The JIT and NumPy programs alternate for ROUNDS
# rounds (each timing RUNS calls after a warm-up); the table shows the median of the rounds'
# medians, with their min and max.
# usage: bench/elementwise.sh [BUILD_DIR] [N] [RUNS] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-16777216}
runs=${3:-9}
rounds=${4:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    echo "-- round $round"
    "$build/bench_elementwise" "$n" "$runs" | tee -a "$work/jit.txt"
    /usr/bin/python3 "$root/bench/elementwise_numpy.py" "$n" "$runs" | tee -a "$work/numpy.txt"
done

# medians FILE PREFIX: the median column of every line that starts with PREFIX
medians() {
    awk -v what="$2" 'index($0, what) == 1 {
        for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1) }' "$1" | paste -sd,
}
/usr/bin/python3 - "$(medians "$work/jit.txt" "jit kernel")" "$(medians "$work/jit.txt" memcpy)" \
    "$(medians "$work/numpy.txt" numpy)" \
    "$(awk '/^jit compile/ {print $3}' "$work/jit.txt" | paste -sd,)" <<'PY'
import statistics, sys
jit, copy, numpy, compile_ms = ([float(v) for v in arg.split(",")] for arg in sys.argv[1:])
med = statistics.median
print()
print(f"{'median of round medians':28} {'ms':>9} {'min':>9} {'max':>9} {'vs jit':>7}")
for name, t in (("jit kernel (fused, 1 pass)", jit), ("memcpy (same bytes)", copy),
                ("numpy (4 passes, out=)", numpy)):
    print(f"{name:28} {med(t):9.3f} {min(t):9.3f} {max(t):9.3f} {med(t) / med(jit):7.2f}")
print(f"jit compile of the module: median {med(compile_ms):.1f} ms "
      f"(min {min(compile_ms):.1f}, max {max(compile_ms):.1f})")
ok = lambda c: "met" if c else "NOT met"
bandwidth = med([c / j for c, j in zip(copy, jit)])
speedup = med(numpy) / med(jit)
print(f"kernel bandwidth / memcpy bandwidth: {bandwidth * 100:5.1f} % "
      f"(median of the rounds; target >= 80 %: {ok(bandwidth >= 0.8)})")
print(f"numpy time / kernel time:            {speedup:5.2f}x  (target >= 2x: {ok(speedup >= 2)})")
PY
