#!/usr/bin/python3
"""Compares the outputs of the samples (written by tests/samples/run.sh into a temporary copy of
samples/) with the stored references in tests/data/reference/. Prints one line per check and
exits with status 1 if any fails. Usage: check.py ROOT TMP"""

import csv
import os
import sys

import numpy as np

ROOT, TMP = sys.argv[1], sys.argv[2]
REF = os.path.join(ROOT, "tests", "data", "reference")
DATA = os.path.join(ROOT, "samples", "data")
OUT = os.path.join(TMP, "samples", "out")
failures = 0


def scalars():
    values = {}
    with open(os.path.join(REF, "samples.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                key, value = line.split()
                values[key] = float(value)
    return values


def metrics(name):
    """The last logged value of each metric of a sample's --metrics CSV."""
    path = os.path.join(TMP, name + ".csv")
    if not os.path.exists(path):
        return {}
    last = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if value not in ("", None):
                    last[key] = float(value)
    return last


def output(name):
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        return None
    if name.endswith(".npy"):
        return np.load(path)
    return np.loadtxt(path, delimiter=",", ndmin=1)


def check(label, ok, detail):
    global failures
    print("%s %s: %s" % ("PASS" if ok else "FAIL", label, detail))
    if not ok:
        failures += 1


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300))


ref = scalars()

w = output("ridge_w.csv")
if w is None:
    check("ridge", False, "no output")
else:
    e = rel(w, np.loadtxt(os.path.join(REF, "ridge_w.csv")))
    check("ridge w", e <= 1e-6, "relative error %.3g against the closed-form optimum" % e)

w = output("logreg_w.csv")
if w is None:
    check("logreg", False, "no output")
else:
    e = rel(w, np.loadtxt(os.path.join(REF, "logreg_w.csv")))
    check("logreg w", e <= 1e-6, "relative error %.3g against scikit-learn's optimum" % e)
    loss = metrics("logreg").get("loss")
    if loss is not None:
        e = abs(loss - ref["logreg_loss"]) / ref["logreg_loss"]
        # the sample logs the loss before its last step; the optimum's loss bounds it closely
        check("logreg loss", e <= 1e-6, "relative difference %.3g" % e)

w = output("lasso_w.csv")
if w is None:
    check("lasso", False, "no output")
else:
    X = np.loadtxt(os.path.join(DATA, "diabetes_X.csv"), delimiter=",")
    y = np.loadtxt(os.path.join(DATA, "diabetes_y.csv"))
    r = y - X @ w
    objective = 0.5 / len(y) * r @ r + 0.1 * np.abs(w).sum()
    e = (objective - ref["lasso_objective"]) / ref["lasso_objective"]
    check("lasso objective", abs(e) <= 1e-6,
          "%.17g against scikit-learn's %.17g (relative %.3g)"
          % (objective, ref["lasso_objective"], e))

m = metrics("kmeans")
if "inertia" not in m:
    check("kmeans", False, "no inertia metric")
else:
    e = abs(m["inertia"] - ref["kmeans_inertia"]) / ref["kmeans_inertia"]
    check("kmeans inertia", e <= 1e-9,
          "%.17g against scikit-learn's %.17g" % (m["inertia"], ref["kmeans_inertia"]))
    C = output("kmeans_centres.csv")
    if C is not None:
        e = rel(C, np.loadtxt(os.path.join(REF, "kmeans_centres.csv"), delimiter=","))
        check("kmeans centres", e <= 1e-9, "relative error %.3g" % e)

m = metrics("mf")
if "rmse" not in m:
    check("mf", False, "no rmse metric")
else:
    noise = ref["mf_noise_rms"]
    check("mf rmse", m["rmse"] <= 1.1 * noise,
          "training RMSE %.4g against the noise level %.4g (must be at most 1.1x)"
          % (m["rmse"], noise))

m = metrics("mlp")
if "test_accuracy" not in m:
    check("mlp", False, "no test_accuracy metric")
else:
    check("mlp accuracy", m["test_accuracy"] >= 0.95,
          "held-out accuracy %.4f (must be at least 0.95)" % m["test_accuracy"])

sys.exit(1 if failures else 0)
