#!/usr/bin/env bash
# jit_time.sh: the kernels compiled and the milliseconds spent compiling them, for each sample.
# Target (issue 3): at most 100 ms per sample.
#
# usage: bench/jit_time.sh [BUILD_DIR] [RUNS]   (defaults: build-bench, 7)
#
# How it is measured: `dmlc run` does not report its RtStats (jit_ms, kernels) yet, so the
# compile time is taken from two whole processes that differ only in code generation:
#   T_asm  `dmlc dump-ir S.dml --emit=asm`: front end, every pass, then all the kernels emitted
#          as LLVM IR, optimised and compiled to assembly (the JIT's work, printed as text
#          instead of linked into memory)
#   T_ir   `dmlc dump-ir S.dml --after=LAST_PASS`: front end and every pass, no code generation
# JIT ms = T_asm - T_ir, per round, both as CPU time (user + system of the process, from wait4:
# code generation is single-threaded, and CPU time suffers less than wall time when the machine
# is shared; the target is judged on it) and as wall time. The two commands alternate, one
# warm-up round is discarded, then RUNS rounds give the median, min and max. Kernels = the
# external functions defined in `--emit=llvm` (one per k.fused op; internal helpers are not
# counted). Process start and the front end cancel out; printing the IR or the assembly does not
# (small next to the compile). Where `perf stat` works, the instructions of one run of each
# (difference, millions) are printed too: a count that does not depend on the machine's load.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-7}
dmlc=$build/dmlc

# The last pass, from the list that an unknown --after name prints.
last_pass=$({ "$dmlc" dump-ir "$root/samples/ridge.dml" --after=no-such-pass 2>&1 || true; } |
    sed -n 's/^The passes, in order: \(.*\); or.*/\1/p' | tr -d ' ' | tr ',' '\n' | tail -n 1)
if [ -z "$last_pass" ]; then
    echo "jit_time.sh: cannot find the pass list from 'dmlc dump-ir --after'" >&2
    exit 1
fi
load() { cut -d" " -f1-3 /proc/loadavg; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load average $(load);" \
     "build: $build"
echo "JIT ms = T(dump-ir --emit=asm) - T(dump-ir --after=$last_pass), whole processes;" \
     "$runs runs after a warm-up, alternated"

/usr/bin/python3 - "$dmlc" "$last_pass" "$runs" "$root"/samples/*.dml <<'PY'
import os
import statistics
import subprocess
import sys
import time

dmlc, last_pass, runs, samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]


def timed(args):
    """Runs args (output discarded); returns (wall ms, CPU ms = user + system of the process)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"jit_time.sh: {' '.join(args)} failed ({proc.returncode})")
    return wall * 1e3, (usage.ru_utime + usage.ru_stime) * 1e3


def kernels(sample):
    ll = subprocess.run([dmlc, "dump-ir", sample, "--emit=llvm"], check=True,
                        capture_output=True, text=True).stdout
    defines = [l for l in ll.splitlines() if l.startswith("define ")]
    return sum(1 for l in defines if not l.startswith(("define internal ", "define private ")))


def instructions(args):
    """Instructions retired by args (user and kernel), counted by `perf stat`; None without perf."""
    try:
        res = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "--"] + args,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError:
        return None
    for line in res.stderr.splitlines():
        fields = line.split(",")
        if res.returncode == 0 and len(fields) > 2 and fields[2] == "instructions":
            return int(fields[0]) if fields[0].isdigit() else None
    return None


def summary(v):
    return statistics.median(v), min(v), max(v)


print()
print(f"{'':10} {'':7} {'JIT CPU ms':>26} {'JIT wall ms':>26} {'T_ir':>8} {'JIT':>9}")
print(f"{'sample':10} {'kernels':>7} {'median':>8} {'min':>8} {'max':>8} {'median':>8} "
      f"{'min':>8} {'max':>8} {'CPU ms':>8} {'Minstr':>9}  target <= 100 ms (CPU)")
worst = 0.0
for sample in samples:
    name = os.path.basename(sample)[:-4]
    asm_args = [dmlc, "dump-ir", sample, "--emit=asm"]
    ir_args = [dmlc, "dump-ir", sample, f"--after={last_pass}"]
    cpu, wall, ir_cpu = [], [], []
    for r in range(runs + 1):
        wa, ca = timed(asm_args)
        wi, ci = timed(ir_args)
        if r > 0:  # round 0 is the warm-up
            wall.append(wa - wi)
            cpu.append(ca - ci)
            ir_cpu.append(ci)
    c, w = summary(cpu), summary(wall)
    worst = max(worst, c[0])
    ia, ii = instructions(asm_args), instructions(ir_args)
    minstr = f"{(ia - ii) * 1e-6:9.0f}" if ia is not None and ii is not None else f"{'-':>9}"
    print(f"{name:10} {kernels(sample):7d} {c[0]:8.1f} {c[1]:8.1f} {c[2]:8.1f} {w[0]:8.1f} "
          f"{w[1]:8.1f} {w[2]:8.1f} {statistics.median(ir_cpu):8.1f} {minstr}  "
          f"{'met' if c[0] <= 100 else 'NOT met'}")
print(f"\nworst sample (CPU): {worst:.1f} ms; target <= 100 ms per sample: "
      f"{'met' if worst <= 100 else 'NOT met'}")
PY
echo "load average at the end: $(load)"
