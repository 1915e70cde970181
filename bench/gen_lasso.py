#!/usr/bin/python3
"""Writes the seeded synthetic Lasso problem of bench/lasso.sh into OUT_DIR (.npy, C order).

  gen_lasso.py OUT_DIR [--n N] [--d D] [--nonzeros K] [--seed S]
      X.npy: f64[N, D] Gaussian features; every column centred and scaled to unit standard
             deviation (squared norm N), so the coordinates are equally scaled
      y.npy: f64[N] = X @ w_true + noise, w_true with K nonzeros (at random positions, values
             +-(1 + U(0, 2))), noise N(0, 0.5^2) per sample
      lambda.txt: the regularisation used by the benchmark, 0.05 * lambda_max where lambda_max =
             max_j |X[:, j] . y| / N is the smallest lambda whose solution is all zeros
      defaults: N = 10000, D = 1000, K = 40

The same seed (default 20261122) always gives the same files. Needs NumPy (Debian's
/usr/bin/python3).
"""
import argparse
import os

import numpy as np

LAMBDA_FRACTION = 0.05  # of lambda_max: about the true number of nonzeros survives


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--nonzeros", type=int, default=40)
    ap.add_argument("--seed", type=int, default=20261122)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    X = rng.standard_normal((a.n, a.d))
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    w_true = np.zeros(a.d)
    support = rng.choice(a.d, size=a.nonzeros, replace=False)
    w_true[support] = rng.choice([-1.0, 1.0], size=a.nonzeros) * (1.0 + 2.0 * rng.random(a.nonzeros))
    y = X @ w_true + 0.5 * rng.standard_normal(a.n)
    lambda_max = np.max(np.abs(X.T @ y)) / a.n
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "X.npy"), np.ascontiguousarray(X))
    np.save(os.path.join(a.out, "y.npy"), y)
    with open(os.path.join(a.out, "lambda.txt"), "w") as f:
        f.write(f"{LAMBDA_FRACTION * lambda_max!r}\n")


if __name__ == "__main__":
    main()
