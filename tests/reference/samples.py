#!/usr/bin/python3
"""Reference results for the samples, computed once with NumPy and scikit-learn.

Run with Debian's python3 (python3-numpy, python3-sklearn) from the repository root:

    /usr/bin/python3 tests/reference/samples.py

It writes tests/data/reference/: one `NAME.csv` per reference vector or matrix and
`samples.txt` with scalar references (`key value` lines). The end-to-end test
(tests/samples/run.sh) compares dmlc's outputs with these stored numbers; it never
recomputes them. Each reference solves the sample's problem independently of the
sample's own algorithm (closed form, scikit-learn's solvers)."""

import os
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import Lasso, LogisticRegression

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.path.join(ROOT, "samples", "data")
OUT = os.path.join(ROOT, "tests", "data", "reference")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import export_data  # noqa: E402  (the generator of samples/data/ratings.mtx)


def load(name):
    return np.loadtxt(os.path.join(DATA, name), delimiter=",")


def write_vector(name, v):
    with open(os.path.join(OUT, name), "w", newline="\n") as f:
        for row in np.atleast_2d(v) if np.ndim(v) == 2 else v[:, None]:
            f.write(",".join(format(float(x), ".17g") for x in row) + "\n")


def ridge(scalars):
    # samples/ridge.dml: minimise 0.5 |X w - yc|^2 + 0.5 alpha |w|^2, yc = y - mean(y)
    X, y = load("diabetes_X.csv"), load("diabetes_y.csv")
    alpha = 0.1
    yc = y - y.mean()
    w = np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ yc)
    r = X @ w - yc
    write_vector("ridge_w.csv", w)
    scalars["ridge_objective"] = (0.5 * r @ r + 0.5 * alpha * w @ w) / len(y)


def logreg(scalars):
    # samples/logreg.dml: mean cross-entropy + 0.5 l2 |w|^2 (intercept not penalised), which is
    # scikit-learn's C * sum(cross-entropy) + 0.5 |w|^2 with C = 1 / (n l2).
    X, y = load("breast_cancer_X.csv"), load("breast_cancer_y.csv")
    l2 = 0.01
    n = len(y)
    # newton-cholesky: lbfgs stops about 6e-5 short of the optimum here even with tol=1e-14
    model = LogisticRegression(C=1.0 / (n * l2), tol=1e-14, max_iter=1000, solver="newton-cholesky")
    model.fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]
    z = X @ w + b
    loss = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    write_vector("logreg_w.csv", w)
    scalars["logreg_b"] = b
    scalars["logreg_loss"] = loss


def lasso(scalars):
    # samples/lasso.dml: 0.5 / n |y - X w|^2 + lambda |w|_1, scikit-learn's Lasso objective with
    # alpha = lambda and no intercept.
    X, y = load("diabetes_X.csv"), load("diabetes_y.csv")
    lam = 0.1
    model = Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=1000000)
    model.fit(X, y)
    w = model.coef_
    r = y - X @ w
    write_vector("lasso_w.csv", w)
    scalars["lasso_objective"] = 0.5 / len(y) * r @ r + lam * np.abs(w).sum()
    scalars["lasso_nnz"] = int(np.count_nonzero(w))


def kmeans(scalars):
    # samples/kmeans.dml: Lloyd's algorithm from the given start.
    X, C0 = load("iris_X.csv"), load("iris_init.csv")
    model = KMeans(n_clusters=3, init=C0, n_init=1, algorithm="lloyd", tol=0, max_iter=300)
    model.fit(X)
    write_vector("kmeans_centres.csv", model.cluster_centers_)
    scalars["kmeans_inertia"] = model.inertia_


def ratings_noise(scalars):
    # samples/mf.dml: the root mean square of the noise that export_data.py added to the rank-5
    # ratings, regenerated with the same seed: the training RMSE a good fit reaches.
    e = export_data
    rng = np.random.RandomState(e.RATINGS_SEED)
    scale = e.RATINGS_RANK ** -0.25
    rng.randn(e.RATINGS_USERS, e.RATINGS_RANK)
    rng.randn(e.RATINGS_ITEMS, e.RATINGS_RANK)
    rng.choice(e.RATINGS_USERS * e.RATINGS_ITEMS, e.RATINGS_OBSERVED, replace=False)
    noise = rng.randn(e.RATINGS_OBSERVED) * e.RATINGS_NOISE_SD
    del scale
    scalars["mf_noise_rms"] = float(np.sqrt(np.mean(noise * noise)))


def main():
    os.makedirs(OUT, exist_ok=True)
    scalars = {}
    ridge(scalars)
    logreg(scalars)
    lasso(scalars)
    kmeans(scalars)
    ratings_noise(scalars)
    with open(os.path.join(OUT, "samples.txt"), "w", newline="\n") as f:
        f.write("# written by tests/reference/samples.py; do not edit\n")
        for key in sorted(scalars):
            f.write("%s %s\n" % (key, format(float(scalars[key]), ".17g")))


if __name__ == "__main__":
    main()
