#!/usr/bin/env bash
# frontend.sh: front-end throughput (parse + check + lower) on a generated 100,000-line program,
# against CPython's own parser+compiler on the same program written in Python, in the same run.
# usage: bench/frontend.sh [BUILD_DIR] [LINES]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
lines=${2:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$root/bench/gen_program.py" "$lines" "$work/prog.dml" "$work/prog.py"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
"$build/bench_frontend" "$work/prog.dml" 7 | tee "$work/dmlc.txt"

python3 - "$work/prog.py" <<'PY' | tee "$work/py.txt"
import sys, time
src = open(sys.argv[1]).read()
lines = src.count("\n")
times = []
for _ in range(8):
    t0 = time.perf_counter()
    compile(src, "prog.py", "exec")  # parse + symbol tables + bytecode: the peer of check + lower
    times.append(time.perf_counter() - t0)
times = sorted(times[1:])
med = times[len(times) // 2]
print(f"python compile()       median {med*1e3:8.2f} ms  (min {times[0]*1e3:8.2f}, max {times[-1]*1e3:8.2f})  {lines/med:12.0f} lines/s")
PY

dmlc_rate=$(awk '/^parse\+check\+lower/ {print $NF=="lines/s" ? $(NF-1) : $NF}' "$work/dmlc.txt")
py_rate=$(awk '/^python compile/ {print $(NF-1)}' "$work/py.txt")
python3 -c "import sys; d, p = float(sys.argv[1]), float(sys.argv[2]); print(f'ratio dmlc / python: {d/p:.2f}x  (target: dmlc >= 500000 lines/s: {\"met\" if d >= 5e5 else \"NOT met\"})')" "$dmlc_rate" "$py_rate"
