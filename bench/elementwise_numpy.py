#!/usr/bin/python3
"""elementwise_numpy.py: NumPy's time for bench/elementwise.c's chain, out = max(a * x + y, 0) * s.

usage: /usr/bin/python3 bench/elementwise_numpy.py [N] [RUNS]   (defaults: 16M, 9)

The same f32 arrays and scalar as the C benchmark, the output preallocated and every ufunc
writing into it (out=), so NumPy allocates nothing while timed: four passes over memory, one per
op. Median, min and max of RUNS calls after one warm-up (time.perf_counter), and the effective
bandwidth counting the same 16 n bytes as the JIT kernel (the useful bytes, not NumPy's traffic).
"""
import sys
import time

import numpy as np


def chain(a, x, y, s, out):
    np.multiply(a, x, out=out)
    np.add(out, y, out=out)
    np.maximum(out, np.float32(0), out=out)
    np.multiply(out, s, out=out)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16 * 1024 * 1024
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    rng = np.random.default_rng(1)
    a, x, y = (rng.uniform(-1, 1, n).astype(np.float32) for _ in range(3))
    s = np.float32(0.75)
    out = np.empty(n, dtype=np.float32)
    chain(a, x, y, s, out)  # warm-up (and first touch of out)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        chain(a, x, y, s, out)
        times.append(time.perf_counter() - t0)
    want = np.maximum(a * x + y, np.float32(0)) * s
    assert np.array_equal(out, want), "NumPy chain gave a different result"
    times.sort()
    median = times[len(times) // 2]
    print(f"{'numpy (4 ufuncs, out=)':<22} median {median * 1e3:8.3f} ms  "
          f"(min {times[0] * 1e3:8.3f}, max {times[-1] * 1e3:8.3f})  "
          f"{16.0 * n / median / 1e9:6.2f} GB/s")


if __name__ == '__main__':
    main()
