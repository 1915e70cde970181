#!/usr/bin/env python3
"""Writes seeded synthetic ratings for the matrix factorisation benchmark (bench/mf.sh).

  gen_mf.py OUT_DIR [--users M] [--items N] [--ratings K] [--rank R] [--seed S]

OUT_DIR/ratings.mtx: a MatrixMarket coordinate real general file, M x N with K ratings at
distinct cells drawn uniformly at random, rating = <u_i, v_j> + noise, where the true factors
u_i, v_j have R entries N(0, R^-1/2) each (ratings of about unit variance) and the noise is
N(0, 0.1^2). Lines are in row-major order (the loader sorts anyway); values with 7 significant
digits. Defaults: M = 100000, N = 10000, K = 5000000, R = 10, seed 20261122.

The same arguments always give the same file. Needs NumPy (Debian's /usr/bin/python3).
"""
import argparse
import os

import numpy as np

NOISE_SD = 0.1
LINES_PER_WRITE = 1 << 18


def write_ratings(path, users, items, ratings, rank, seed):
    if ratings > users * items:
        raise SystemExit("gen_mf.py: more ratings than cells")
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((users, rank)) * rank**-0.25
    v = rng.standard_normal((items, rank)) * rank**-0.25
    cells = np.sort(rng.choice(users * items, size=ratings, replace=False))
    rows, cols = np.divmod(cells, items)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="\n") as out:
        out.write("%%MatrixMarket matrix coordinate real general\n")
        out.write("%% bench/gen_mf.py: seed %d, rank-%d ratings plus N(0, %g^2) noise\n"
                  % (seed, rank, NOISE_SD))
        out.write("%d %d %d\n" % (users, items, ratings))
        for a in range(0, ratings, LINES_PER_WRITE):
            r, c = rows[a:a + LINES_PER_WRITE], cols[a:a + LINES_PER_WRITE]
            val = np.einsum("ij,ij->i", u[r], v[c]) + rng.standard_normal(len(r)) * NOISE_SD
            out.write("".join("%d %d %.7g\n" % line
                              for line in zip((r + 1).tolist(), (c + 1).tolist(), val.tolist())))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--users", type=int, default=100000)
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--ratings", type=int, default=5000000)
    ap.add_argument("--rank", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    write_ratings(os.path.join(args.out_dir, "ratings.mtx"), args.users, args.items, args.ratings,
                  args.rank, args.seed)


if __name__ == "__main__":
    main()
