#!/usr/bin/python3
"""Scaling of `dmlc run` from 1 to 2 workers (issue 4), whole processes, alternated in one run.

  bench/scaling.py DMLC [--runs R] [--baseline OLD_DMLC] [--n N] [--k K] [--d D]

1. A compute-bound program: bench/kmeans.dml (Lloyd's k-means, the assignment a parallel loop
   over N points against K centres of D dimensions) on data from bench/gen_data.py.
2. Every sample in samples/, as the test suite runs them.

For each program: `--workers 1`, `--workers 2` (and `--baseline`, the single-process runtime it
replaces, when given) alternate, one warm-up round is dropped, then R rounds; the table shows the
median wall time of the whole process with min-max and the ratios (start-up, compiling, JIT and
loading included), then the median `run` time that `--stats` reports (everything after the JIT,
loading included) and its ratio. For the k-means it also times two independent 1-worker
processes started together: 2 x (one process) / (both) is what this machine's two cores can give on
this very work (on this VM the two vCPUs share a physical core's resources, so it is well below 2).
"""
import re
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd):
    """(wall seconds, run seconds from --stats or None)."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr.decode()))
    m = re.search(r"run ([0-9.]+) ms", r.stderr.decode())
    return dt, float(m.group(1)) / 1000 if m else None


def timed_pair(cmd):
    """Two copies of cmd at once: (wall seconds until both end, None)."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(2)]
    codes = [p.wait() for p in procs]
    if any(codes):
        sys.exit("failed: %s" % " ".join(cmd))
    return time.perf_counter() - t0, None


def measure(variants, runs):
    """variants: list of (name, argv). Alternates them; returns {name: [(wall, run)]}."""
    times = {name: [] for name, _ in variants}
    for round_ in range(runs + 1):
        for name, cmd in variants:
            t = timed_pair(cmd[1:]) if cmd[0] == "pair" else timed(cmd)
            if round_ > 0:
                times[name].append(t)
    return times


def fmt(ts):
    return "%6.3f s (%.3f-%.3f)" % (statistics.median(ts), min(ts), max(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dmlc")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline")
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--k", type=int, default=256)
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--only", choices=["kmeans", "samples"])
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
        print("machine: %s, %d cores, load %.2f" % (model, os.cpu_count(), os.getloadavg()[0]))
        programs = []
        if args.only != "samples":
            data = os.path.join(work, "km")
            subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench/gen_data.py"), "kmeans", data,
                            "--n", str(args.n), "--k", str(args.k), "--d", str(args.d)], check=True)
            programs.append(("kmeans n=%d k=%d d=%d" % (args.n, args.k, args.d),
                             [os.path.join(ROOT, "bench/kmeans.dml"), "--data-dir", data]))
        if args.only != "kmeans":
            samples = os.path.join(work, "samples")
            shutil.copytree(os.path.join(ROOT, "samples"), samples)
            for name in ["ridge", "logreg", "lasso", "kmeans", "mf", "mlp"]:
                programs.append(("sample " + name, [os.path.join(samples, name + ".dml")]))
        head = "%-26s %-25s %-25s %7s %10s %10s %7s" % (
            "program", "wall, --workers 1", "wall, --workers 2", "ratio", "run 1w", "run 2w",
            "ratio")
        if args.baseline:
            head += "  %-25s %7s" % ("wall, issue 3 runtime", "1w/base")
        print(head)
        for title, argv in programs:
            variants = [("1", [args.dmlc, "run", *argv, "--quiet", "--stats", "--workers", "1"]),
                        ("2", [args.dmlc, "run", *argv, "--quiet", "--stats", "--workers", "2"])]
            if args.baseline:
                variants.append(("base", [args.baseline, "run", *argv, "--quiet"]))
            if title.startswith("kmeans"):
                # the machine's own ceiling: two independent 1-worker processes at once
                variants.append(("pair", ["pair", args.dmlc, "run", *argv, "--quiet", "--workers",
                                          "1"]))
            t = measure(variants, args.runs)
            w1 = [w for w, _ in t["1"]]
            w2 = [w for w, _ in t["2"]]
            r1 = statistics.median(r for _, r in t["1"])
            r2 = statistics.median(r for _, r in t["2"])
            m1, m2 = statistics.median(w1), statistics.median(w2)
            line = "%-26s %-25s %-25s %6.2fx %8.3f s %8.3f s %6.2fx" % (
                title, fmt(w1), fmt(w2), m1 / m2, r1, r2, r1 / r2)
            # the same round's two runs are adjacent in time, so the VM's drift mostly cancels
            per_round = [a[1] / b[1] for a, b in zip(t["1"], t["2"])]
            line += "  run ratio per round: median %.2fx (%.2f-%.2f)" % (
                statistics.median(per_round), min(per_round), max(per_round))
            if args.baseline:
                wb = [w for w, _ in t["base"]]
                line += "  %-25s %7.2f" % (fmt(wb), m1 / statistics.median(wb))
            print(line, flush=True)
            if "pair" in t:
                pair = statistics.median(w for w, _ in t["pair"])
                ceiling = 2 * m1 / pair
                print("    two independent 1-worker processes at once: %.3f s, so this machine "
                      "gives at most %.2fx on this work; dmlc's 2 workers reach %.0f%% of that"
                      % (pair, ceiling, 100 * (m1 / m2) / ceiling), flush=True)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
