#!/usr/bin/env python3
"""Writes seeded, generated data for the runtime benchmarks into OUT_DIR (.npy, C order).

  gen_data.py logreg OUT_DIR [--n N] [--d D] [--seed S]
      X.npy: f32[N, D] Gaussian features, each column standardised (mean 0, standard deviation 1)
      y.npy: f32[N] labels 0 or 1 drawn from a logistic model: P(y = 1) = sigmoid(X @ w + b)
             with w ~ N(0, 1/D) per weight and b = 0.25 (so the classes are not separable)
      defaults: N = 200000, D = 100

  gen_data.py matmul OUT_DIR [--size K] [--seed S]
      A.npy: f32[K, K] Gaussian / sqrt(K) (spectral radius about 1, so repeated products
             A @ (A @ ... B) neither overflow nor vanish over a few dozen steps)
      B.npy: f32[K, K] Gaussian
      default: K = 2048

  gen_data.py kmeans OUT_DIR [--n N] [--d D] [--k K] [--seed S]
      X.npy:  f64[N, D] points around K Gaussian centres (centres N(0, 25 I), points N(centre, I))
      C0.npy: f64[K, D] the starting centres: K distinct points of X, chosen at random
      defaults for kmeans: N = 50000, D = 16, K = 64 (pass them explicitly)

The same seed (default 20261122) always gives the same files. Needs NumPy (Debian's
/usr/bin/python3).
"""
import argparse
import os

import numpy as np


def write_logreg(out, n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float64)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w = rng.standard_normal(d) / np.sqrt(d)
    z = X @ w + 0.25
    p = 1.0 / (1.0 + np.exp(-z))
    y = (rng.random(n) < p).astype(np.float32)
    np.save(os.path.join(out, "X.npy"), np.ascontiguousarray(X, dtype=np.float32))
    np.save(os.path.join(out, "y.npy"), y)


def write_matmul(out, k, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((k, k), dtype=np.float32) / np.float32(np.sqrt(k))
    B = rng.standard_normal((k, k), dtype=np.float32)
    np.save(os.path.join(out, "A.npy"), np.ascontiguousarray(A, dtype=np.float32))
    np.save(os.path.join(out, "B.npy"), np.ascontiguousarray(B, dtype=np.float32))


def write_kmeans(out, n, d, k, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * 5.0
    label = rng.integers(0, k, size=n)
    X = centres[label] + rng.standard_normal((n, d))
    C0 = X[rng.choice(n, size=k, replace=False)]
    np.save(os.path.join(out, "X.npy"), np.ascontiguousarray(X))
    np.save(os.path.join(out, "C0.npy"), np.ascontiguousarray(C0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["logreg", "matmul", "kmeans"])
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--d", type=int, default=100)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    if args.kind == "logreg":
        write_logreg(args.out_dir, args.n, args.d, args.seed)
    elif args.kind == "kmeans":
        write_kmeans(args.out_dir, args.n, args.d, args.k, args.seed)
    else:
        write_matmul(args.out_dir, args.size, args.seed)


if __name__ == "__main__":
    main()
