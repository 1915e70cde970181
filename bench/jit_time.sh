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
# JIT ms = T_asm - T_ir, per round, both as CPU time and as wall time. CPU time is perf stat's
# task-clock where perf works (else user + system from wait4, which the kernel samples at each
# tick: coarse); code generation is single-threaded, CPU time suffers less than wall time when the
# machine is shared, and the target is judged on it. Under perf the user-space instructions and
# cycles (millions) are printed too: the instruction count does not depend on the machine's load
# (steady to about 1%). The two commands alternate, one warm-up round is discarded, then RUNS
# rounds give the median, min and max. Kernels = the external functions defined in
# `--emit=llvm` (one per k.fused op; internal helpers are not counted). Process start and the
# front end cancel out; printing the IR or the assembly does not (small next to the compile).
set -euo pipefail
export LC_ALL=C
# dump-ir never calls BLAS; with OpenBLAS's default thread pool, its idle workers spin at start-up
# and add up to ~70 ms of noisy CPU time to every process.
export OPENBLAS_NUM_THREADS=1
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
echo "JIT ms = T(dump-ir --emit=asm) - T(dump-ir --after=$last_pass), whole processes" \
     "(OPENBLAS_NUM_THREADS=1); $runs runs after a warm-up, alternated"

/usr/bin/python3 - "$dmlc" "$last_pass" "$runs" "$root"/samples/*.dml <<'PY'
import os
import statistics
import subprocess
import sys
import time

dmlc, last_pass, runs, samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
EVENTS = ["task-clock", "instructions:u", "cycles:u"]


def perf_works():
    try:
        res = subprocess.run(["perf", "stat", "-x,", "-e", ",".join(EVENTS), "--", "true"],
                             capture_output=True, text=True)
    except OSError:
        return False
    return res.returncode == 0 and "<not supported>" not in res.stderr


PERF = perf_works()


def measure(args):
    """Runs args (output discarded). Returns wall ms and, under perf, CPU ms (task-clock:
    nanosecond accounting of every thread), user instructions and user cycles; without perf, CPU
    ms from wait4 (user + system, tick-sampled, so coarse) and None for the counts."""
    if PERF:
        t0 = time.perf_counter()
        res = subprocess.run(["perf", "stat", "-x,", "-e", ",".join(EVENTS), "--"] + args,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = (time.perf_counter() - t0) * 1e3
        if res.returncode != 0:
            sys.exit(f"jit_time.sh: {' '.join(args)} failed ({res.returncode}):\n{res.stderr}")
        counts = {}
        for line in res.stderr.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2] in EVENTS:
                counts[fields[2]] = float(fields[0])
        return wall, counts["task-clock"], counts["instructions:u"], counts["cycles:u"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - t0) * 1e3
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"jit_time.sh: {' '.join(args)} failed ({proc.returncode})")
    return wall, (usage.ru_utime + usage.ru_stime) * 1e3, None, None


def kernels(sample):
    ll = subprocess.run([dmlc, "dump-ir", sample, "--emit=llvm"], check=True,
                        capture_output=True, text=True).stdout
    defines = [l for l in ll.splitlines() if l.startswith("define ")]
    return sum(1 for l in defines if not l.startswith(("define internal ", "define private ")))


def summary(v):
    return statistics.median(v), min(v), max(v)


def millions(v):
    return f"{statistics.median(v) * 1e-6:8.0f}" if v and v[0] is not None else f"{'-':>8}"


print(f"CPU ms: {'perf task-clock' if PERF else 'wait4 user + system (perf not available)'}")
print()
print(f"{'':10} {'':7} {'JIT CPU ms':>26} {'JIT wall ms':>26} {'JIT':>8} {'JIT':>8} {'T_ir':>8}")
print(f"{'sample':10} {'kernels':>7} {'median':>8} {'min':>8} {'max':>8} {'median':>8} "
      f"{'min':>8} {'max':>8} {'Minstr':>8} {'Mcycles':>8} {'CPU ms':>8}  target <= 100 ms (CPU)")
worst = 0.0
for sample in samples:
    name = os.path.basename(sample)[:-4]
    asm_args = [dmlc, "dump-ir", sample, "--emit=asm"]
    ir_args = [dmlc, "dump-ir", sample, f"--after={last_pass}"]
    wall, cpu, instr, cycles, ir_cpu = [], [], [], [], []
    for r in range(runs + 1):
        a = measure(asm_args)
        i = measure(ir_args)
        if r > 0:  # round 0 is the warm-up
            wall.append(a[0] - i[0])
            cpu.append(a[1] - i[1])
            ir_cpu.append(i[1])
            instr.append(None if a[2] is None else a[2] - i[2])
            cycles.append(None if a[3] is None else a[3] - i[3])
    c, w = summary(cpu), summary(wall)
    worst = max(worst, c[0])
    print(f"{name:10} {kernels(sample):7d} {c[0]:8.1f} {c[1]:8.1f} {c[2]:8.1f} {w[0]:8.1f} "
          f"{w[1]:8.1f} {w[2]:8.1f} {millions(instr)} {millions(cycles)} "
          f"{statistics.median(ir_cpu):8.1f}  {'met' if c[0] <= 100 else 'NOT met'}")
print(f"\nworst sample (CPU): {worst:.1f} ms; target <= 100 ms per sample: "
      f"{'met' if worst <= 100 else 'NOT met'}")
PY
echo "load average at the end: $(load)"
