#!/usr/bin/python3
"""The peer of bench/kmeans_lloyd.dml, timed in-process, for bench/kmeans.sh.

  kmeans_peer.py DIR ITERS
      scikit-learn KMeans(n_clusters=k, init=C0, n_init=1, algorithm="lloyd", max_iter=ITERS,
      tol=0) on DIR/X.npy from DIR/C0.npy: the same start and the same number of Lloyd steps as
      the dmlc program (tol=0: only strict convergence, unchanged labels, stops it earlier; n_iter
      is printed). sklearn uses its OpenMP threads (one per core) and float64, like dmlc.
      Prints the fit time, n_iter, the inertia of the final centres, and the largest absolute
      difference between sklearn's centres and DIR/C_final.csv (dmlc's, when present).

Output: one line of `key=value` fields.
"""
import os
import sys
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans


def main():
    folder, iters = sys.argv[1], int(sys.argv[2])
    X = np.load(f"{folder}/X.npy")
    C0 = np.load(f"{folder}/C0.npy")
    km = KMeans(n_clusters=C0.shape[0], init=C0, n_init=1, algorithm="lloyd", max_iter=iters,
                tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        km.fit(X)
        t1 = time.perf_counter()
    diff = float("nan")
    theirs = f"{folder}/C_final.csv"
    if os.path.exists(theirs):
        C = np.loadtxt(theirs, delimiter=",", ndmin=2)
        diff = float(np.max(np.abs(C - km.cluster_centers_)))
    print(f"sklearn fit_ms={(t1 - t0) * 1e3:.3f} n_iter={km.n_iter_} "
          f"inertia={km.inertia_:.10g} max_centre_diff={diff:.3g}")


if __name__ == "__main__":
    main()
