#!/usr/bin/python3
"""The peer of bench/lasso.dml, for bench/lasso.sh: scikit-learn's Lasso on the same problem.

  lasso_peer.py DIR [FITS]
      Loads DIR/X.npy, DIR/y.npy and DIR/lambda.txt (bench/gen_lasso.py), then fits
      Lasso(alpha=lambda, fit_intercept=False, tol=1e-10, max_iter=100000) FITS + 1 times
      (default FITS = 1) in this process; the first fit is a warm-up and is not reported. Prints
      one line of key=value fields: fit_ms (the median of the timed fits, each from a fresh
      estimator on the C-order X as loaded, so it includes scikit-learn's own conversion of X to
      Fortran order), n_iter, objective (0.5 / n * ||y - X w||^2 + lambda * ||w||_1, computed in
      NumPy after the fit, the same formula as lasso.dml's log) and nnz.

Python start-up, imports and loading the data are not timed. Needs NumPy and scikit-learn
(Debian's /usr/bin/python3 with python3-sklearn).
"""
import statistics
import sys
import time

import numpy as np
from sklearn.linear_model import Lasso

TOL = 1e-10
MAX_ITER = 100000


def main():
    folder = sys.argv[1]
    fits = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    X = np.load(f"{folder}/X.npy")
    y = np.load(f"{folder}/y.npy")
    lam = float(open(f"{folder}/lambda.txt").read())
    n = X.shape[0]
    times = []
    model = None
    for _ in range(fits + 1):
        model = Lasso(alpha=lam, fit_intercept=False, tol=TOL, max_iter=MAX_ITER)
        t0 = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - t0)
    w = model.coef_
    r = y - X @ w
    objective = 0.5 / n * float(r @ r) + lam * float(np.abs(w).sum())
    print(f"sklearn fit_ms={statistics.median(times[1:]) * 1e3:.3f} "
          f"warmup_ms={times[0] * 1e3:.3f} n_iter={model.n_iter_} "
          f"objective={objective!r} nnz={int(np.count_nonzero(w))}")


if __name__ == "__main__":
    main()
