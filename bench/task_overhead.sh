#!/usr/bin/env bash
# task_overhead.sh: nanoseconds per empty task, dmlc's worker pool against StarPU and OpenMP tasks
# with depend (libgomp), for a chain of N tasks (each after the previous one), a fan-out (one root,
# N successors) and, as a reference, N independent tasks; 1 and 2 workers.
#
# Builds the peers (bench/peers/task_overhead_{starpu,omp}.c) with gcc into a temp dir; dmlc's
# program is BUILD_DIR/bench_task_overhead (build it first, Release). Each round runs every
# (variant, workers) once per system, alternating dmlc, StarPU, OpenMP; round 0 is a warm-up and is
# discarded, then RUNS rounds. Each program times one run of the graph after an untimed warm-up
# run in the same process (graph creation + submission + execution + wait, divided by N; runtime
# start-up outside). The table shows the median ns per task with min and max, and the ratios of
# the medians StarPU/dmlc and OpenMP/dmlc. See the comments at the top of the three programs for
# exactly what each variant does in each system.
#
# usage: bench/task_overhead.sh [BUILD_DIR] [RUNS] [N]
# environment: WORKERS (default "1 2"); STARPU_SCHED (default ws, the best of eager, lws and ws
# on this machine); STARPU_CHAIN_MODE (deps, tags or data; default deps); STARPU_FANOUT_MODE
# (deps or data; default deps).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
runs=${2:-5}
n=${3:-1000000}
workers_list=${WORKERS:-1 2}
starpu_chain_mode=${STARPU_CHAIN_MODE:-deps}
starpu_fanout_mode=${STARPU_FANOUT_MODE:-deps}
# libgomp's fan-out of depend(in) tasks on one thread costs time quadratic in N (see
# task_overhead_omp.c): above this N it is not run.
omp_fanout_one_thread_max_n=10000
per_run_timeout=600

dmlc_bench=$build/bench_task_overhead
if [[ ! -x $dmlc_bench ]]; then
    echo "task_overhead: $dmlc_bench not found; build it first:" >&2
    echo "  cmake -S $root -B $build -DCMAKE_BUILD_TYPE=Release &&" \
         "cmake --build $build -j2 --target bench_task_overhead" >&2
    exit 1
fi
if ! pkg-config --exists starpu-1.3; then
    echo "task_overhead: StarPU 1.3 not found; install it with scripts/setup-bench.sh" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cflags=(-O2 -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror)
read -r -a starpu_cflags <<<"$(pkg-config --cflags starpu-1.3 | sed 's/-I/-isystem /g')"
read -r -a starpu_libs <<<"$(pkg-config --libs starpu-1.3)"
gcc "${cflags[@]}" "${starpu_cflags[@]}" "$root/bench/peers/task_overhead_starpu.c" \
    -o "$work/starpu" "${starpu_libs[@]}"
gcc "${cflags[@]}" -fopenmp "$root/bench/peers/task_overhead_omp.c" -o "$work/omp"

# StarPU: CPU workers only, no calibration, no banner; its scheduler from STARPU_SCHED.
export STARPU_SILENT=1 STARPU_CALIBRATE=0 STARPU_NCUDA=0 STARPU_NOPENCL=0
export STARPU_SCHED=${STARPU_SCHED:-ws}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "n = $n tasks, $runs rounds after 1 warm-up round; workers: $workers_list;" \
     "StarPU $(pkg-config --modversion starpu-1.3) sched $STARPU_SCHED," \
     "chain $starpu_chain_mode, fan-out $starpu_fanout_mode; $(gcc --version | head -1)"

# run SYSTEM VARIANT WORKERS: one measurement, its output line appended to the results
run() {
    local system=$1 variant=$2 w=$3 mode
    case $system in
        dmlc) timeout $per_run_timeout "$dmlc_bench" "$variant" "$n" "$w" ;;
        starpu)
            case $variant in
                chain) mode=$starpu_chain_mode ;;
                fanout) mode=$starpu_fanout_mode ;;
                *) mode=none ;;
            esac
            STARPU_NCPU=$w timeout $per_run_timeout "$work/starpu" "$variant" "$n" "$mode" ;;
        openmp)
            if [[ $variant == fanout && $w == 1 && $n -gt $omp_fanout_one_thread_max_n ]]; then
                return
            fi
            OMP_NUM_THREADS=$w timeout $per_run_timeout "$work/omp" "$variant" "$n" ;;
    esac
}

for round in $(seq 0 "$runs"); do
    if [[ $round == 0 ]]; then echo "-- warm-up round (discarded)"; else echo "-- round $round"; fi
    for variant in chain fanout indep; do
        for w in $workers_list; do
            for system in dmlc starpu openmp; do
                line=$(run "$system" "$variant" "$w")
                [[ -n $line ]] || continue
                echo "   $line"
                if [[ $round != 0 ]]; then echo "$line" >>"$work/results.txt"; fi
            done
        done
    done
done

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work/results.txt" "$workers_list" "$omp_fanout_one_thread_max_n" <<'PY'
import statistics, sys
from collections import defaultdict

times = defaultdict(list)  # (variant, workers, system) -> ns per task
how = {}                   # (variant, system) -> how the dependencies are expressed
for line in open(sys.argv[1]):
    f = line.split()
    system, variant, mode, w = f[0], f[1], f[2], int(f[4])
    times[(variant, w, system)].append(float(f[f.index("ns_per_task") + 1]))
    how[(variant, system)] = mode

def cell(key):
    t = times.get(key)
    if not t:
        return f"{'-':>22}"
    return f"{statistics.median(t):8.0f} ({min(t):5.0f}-{max(t):5.0f})"

def ratio(key, base):
    if not times.get(key) or not times.get(base):
        return f"{'-':>7}"
    return f"{statistics.median(times[key]) / statistics.median(times[base]):7.2f}"

print()
print("ns per task: median (min-max)")
print(f"{'variant':8} {'workers':>7} {'dmlc':>22} {'StarPU':>22} {'OpenMP':>22} "
      f"{'SP/dmlc':>7} {'OMP/dmlc':>8}")
for variant in ("chain", "fanout", "indep"):
    for w in (int(x) for x in sys.argv[2].split()):
        d, s, o = ((variant, w, system) for system in ("dmlc", "starpu", "openmp"))
        print(f"{variant:8} {w:7} {cell(d)} {cell(s)} {cell(o)} {ratio(s, d)} {ratio(o, d):>8}")
print()
for variant in ("chain", "fanout", "indep"):
    print(f"{variant}: StarPU {how.get((variant, 'starpu'), '-')}, "
          f"OpenMP {how.get((variant, 'openmp'), '-')}")
print(f"OpenMP fan-out on 1 thread is not run above n = {sys.argv[3]} (quadratic in libgomp)")
target = all(statistics.median(times[(v, w, "dmlc")]) <= 1000
             for v in ("chain", "fanout") for w in (int(x) for x in sys.argv[2].split()))
below = all(statistics.median(times[(v, w, "dmlc")]) < statistics.median(times[(v, w, p)])
            for v in ("chain", "fanout") for w in (int(x) for x in sys.argv[2].split())
            for p in ("starpu", "openmp") if times.get((v, w, p)))
print(f"target (chain and fan-out <= 1000 ns per task, below StarPU and OpenMP where measured): "
      f"{'met' if target and below else 'NOT met'}")
PY
