#!/usr/bin/python3
"""The peers of bench/logreg.dml, timed in-process, for bench/logreg.sh.

  logreg_peer.py numpy DIR EPOCHS LR L2
      The same full-batch gradient-descent epoch as logreg.dml, expression for expression, in
      NumPy with f32 arrays. Times every epoch; prints the median, min and max of epochs 2..EPOCHS
      (the first is a warm-up) and the last loss.
  logreg_peer.py lbfgs DIR ITERS L2
      scikit-learn LogisticRegression(solver="lbfgs", tol=0, max_iter=ITERS) with the same L2
      penalty (C = 1 / (n * L2)). Fits with max_iter=1 and with max_iter=ITERS (lbfgs may stop
      earlier: its ftol test) and prints the time per iteration as (T_ITERS - T_1) / (n_ITERS - 1),
      so the fixed cost of a fit is excluded, as for dmlc; an iteration is one or more loss and
      gradient evaluations (line search). sklearn's lbfgs works in f64 only: X is converted before
      the timed fits, so the conversion is not timed.
  logreg_peer.py sgd DIR EPOCHS
      scikit-learn SGDClassifier(loss="log_loss", tol=None, max_iter=EPOCHS): per-sample updates,
      EPOCHS passes over the data. Prints the fit time, n_iter_ and the time per epoch (X converted
      to f64 before the timed fit, as sklearn's SGD also works in f64).

DIR holds X.npy and y.npy from bench/gen_data.py. Output: one line of `key=value` fields.
"""
import sys
import time
import warnings

import numpy as np


def load(folder):
    X = np.load(f"{folder}/X.npy")
    y = np.load(f"{folder}/y.npy")
    assert X.dtype == np.float32 and y.dtype == np.float32
    return X, y


def run_numpy(folder, epochs, lr, l2):
    X, y = load(folder)
    n, d = X.shape
    lr, l2 = np.float32(lr), np.float32(l2)
    w = np.zeros(d, dtype=np.float32)
    b = np.float32(0.0)
    times = []
    loss = np.float32("nan")
    with np.errstate(over="ignore"):
        for _ in range(epochs):
            t0 = time.perf_counter()
            z = X @ w + b
            p = np.float32(1.0) / (np.float32(1.0) + np.exp(-z))
            loss = np.mean(np.maximum(z, np.float32(0.0)) - y * z + np.log1p(np.exp(-np.abs(z))))
            e = p - y
            w -= lr * (X.T @ e / np.float32(n) + l2 * w)
            b -= lr * np.mean(e)
            times.append(time.perf_counter() - t0)
    assert w.dtype == np.float32 and np.float32(b).dtype == np.float32 and loss.dtype == np.float32
    steady = sorted(times[1:]) if len(times) > 1 else times
    med = steady[len(steady) // 2]
    print(f"numpy ms_per_epoch={med * 1e3:.3f} min={steady[0] * 1e3:.3f} "
          f"max={steady[-1] * 1e3:.3f} epochs={epochs} loss={float(loss):.7g}")


def run_lbfgs(folder, iters, l2):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    X, y = load(folder)
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = y.astype(np.float64)

    def fit(max_iter):
        model = LogisticRegression(solver="lbfgs", tol=0.0, max_iter=max_iter,
                                   C=1.0 / (len(y) * l2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            model.fit(X, y)
            return time.perf_counter() - t0, int(model.n_iter_[0])

    fit(1)  # warm-up
    t1, n1 = fit(1)
    tm, nm = fit(iters)
    # The fixed cost of a fit (checks, set-up, the first evaluation) cancels in the difference.
    per_iter = (tm - t1) / (nm - n1) if nm > n1 else tm / nm
    print(f"lbfgs ms_per_iter={per_iter * 1e3:.3f} fit_ms={tm * 1e3:.1f} n_iter={nm} "
          f"fit1_ms={t1 * 1e3:.1f} whole_fit_ms_per_iter={tm / nm * 1e3:.3f}")


def run_sgd(folder, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    X, y = load(folder)
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = y.astype(np.float64)
    model = SGDClassifier(loss="log_loss", tol=None, max_iter=epochs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        model.fit(X, y)
        fit = time.perf_counter() - t0
    n_iter = int(model.n_iter_)
    print(f"sgd ms_per_epoch={fit / n_iter * 1e3:.3f} fit_ms={fit * 1e3:.1f} n_iter={n_iter}")


def main(argv):
    try:
        mode, folder = argv[1], argv[2]
        if mode == "numpy":
            run_numpy(folder, int(argv[3]), float(argv[4]), float(argv[5]))
        elif mode == "lbfgs":
            run_lbfgs(folder, int(argv[3]), float(argv[4]))
        elif mode == "sgd":
            run_sgd(folder, int(argv[3]))
        else:
            raise IndexError
    except (IndexError, ValueError):
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
