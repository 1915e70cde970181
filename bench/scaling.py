#!/usr/bin/env python3
"""Scaling of `dmlc run` from 1 to 2 workers (issue 4), whole processes, alternated in one run.

  bench/scaling.py DMLC [--runs R] [--baseline OLD_DMLC] [--n N] [--k K] [--d D]

1. A compute-bound program: bench/kmeans.dml (Lloyd's k-means, the assignment a parallel loop
   over N points against K centres of D dimensions) on data from bench/gen_data.py.
2. Every sample in samples/, as the test suite runs them.

For each program: `--workers 1`, `--workers 2` (and `--baseline`, the single-process runtime it
replaces, when given) alternate, one warm-up round is dropped, then R rounds; the table shows the
median wall time with min-max and the ratios. Times include start-up, compiling, JIT and loading.
"""
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
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr.decode()))
    return dt


def measure(variants, runs):
    """variants: list of (name, argv). Alternates them; returns {name: [seconds]}."""
    times = {name: [] for name, _ in variants}
    for round_ in range(runs + 1):
        for name, cmd in variants:
            t = timed(cmd)
            if round_ > 0:
                times[name].append(t)
    return times


def fmt(ts):
    return "%8.3f s (%.3f-%.3f)" % (statistics.median(ts), min(ts), max(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dmlc")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline")
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--k", type=int, default=64)
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
            subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_data.py"), "kmeans", data,
                            "--n", str(args.n), "--k", str(args.k), "--d", str(args.d)], check=True)
            programs.append(("kmeans n=%d k=%d d=%d" % (args.n, args.k, args.d),
                             [os.path.join(ROOT, "bench/kmeans.dml"), "--data-dir", data]))
        if args.only != "kmeans":
            samples = os.path.join(work, "samples")
            shutil.copytree(os.path.join(ROOT, "samples"), samples)
            for name in ["ridge", "logreg", "lasso", "kmeans", "mf", "mlp"]:
                programs.append(("sample " + name, [os.path.join(samples, name + ".dml")]))
        print("%-28s %-28s %-28s %8s" % ("program", "--workers 1", "--workers 2", "1w / 2w"),
              end="")
        print("  %-28s %8s" % ("baseline (issue 3 runtime)", "1w/base") if args.baseline else "")
        for title, argv in programs:
            variants = [("1", [args.dmlc, "run", *argv, "--quiet", "--workers", "1"]),
                        ("2", [args.dmlc, "run", *argv, "--quiet", "--workers", "2"])]
            if args.baseline:
                variants.append(("base", [args.baseline, "run", *argv, "--quiet"]))
            t = measure(variants, args.runs)
            m1, m2 = statistics.median(t["1"]), statistics.median(t["2"])
            line = "%-28s %-28s %-28s %7.2fx" % (title, fmt(t["1"]), fmt(t["2"]), m1 / m2)
            if args.baseline:
                line += "  %-28s %7.2f" % (fmt(t["base"]), m1 / statistics.median(t["base"]))
            print(line, flush=True)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
