#!/usr/bin/python3
"""export_data.py: write the small data sets that samples/*.dml read, into samples/data/.

Uses the data sets bundled with Debian's scikit-learn (no download) and a seeded
synthetic ratings matrix. Deterministic: running it twice gives identical files.

    python3 scripts/export_data.py
"""

import os
import sys

import numpy as np
from sklearn import datasets

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "data")

# digits: 80% of the 1797 images train, the rest test, after a shuffle with this seed.
DIGITS_SHUFFLE_SEED = 0
DIGITS_TRAIN_ROWS = 1437
DIGITS_CLASSES = 10

# ratings: a rank-5 matrix observed at 10% of its entries, plus Gaussian noise.
RATINGS_SEED = 0
RATINGS_USERS = 300
RATINGS_ITEMS = 200
RATINGS_RANK = 5
RATINGS_OBSERVED = 6000
RATINGS_NOISE_SD = 0.1


def exact(value):
    """17 significant digits: the text reads back to the same double."""
    return format(float(value), ".17g")


def write_csv(name, array):
    array = np.asarray(array, dtype=np.float64)
    with open(os.path.join(DATA_DIR, name), "w", newline="\n") as out:
        if array.ndim == 1:
            for value in array:
                out.write(exact(value) + "\n")
        else:
            for row in array:
                out.write(",".join(exact(value) for value in row) + "\n")


def write_npy(name, array):
    np.save(os.path.join(DATA_DIR, name), np.ascontiguousarray(array), allow_pickle=False)


def export_diabetes():
    # sklearn's features are already centred and scaled (each column has unit L2 norm).
    X, y = datasets.load_diabetes(return_X_y=True)
    write_csv("diabetes_X.csv", X)
    write_csv("diabetes_y.csv", y)


def export_breast_cancer():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    write_csv("breast_cancer_X.csv", X)
    write_csv("breast_cancer_y.csv", y.astype(np.float64))


def export_iris():
    X, y = datasets.load_iris(return_X_y=True)
    write_csv("iris_X.csv", X)
    write_csv("iris_y.csv", y.astype(np.float64))
    # One starting centre from each species' first flower.
    write_csv("iris_init.csv", X[[0, 50, 100]])


def export_digits():
    X, labels = datasets.load_digits(return_X_y=True)
    order = np.random.RandomState(DIGITS_SHUFFLE_SEED).permutation(len(labels))
    X = (X[order] / 16.0).astype(np.float32)
    labels = labels[order].astype(np.int64)
    one_hot = np.eye(DIGITS_CLASSES, dtype=np.float32)[labels]
    train, test = slice(0, DIGITS_TRAIN_ROWS), slice(DIGITS_TRAIN_ROWS, None)
    write_npy("digits_train_X.npy", X[train])
    write_npy("digits_train_y.npy", one_hot[train])
    write_npy("digits_train_labels.npy", labels[train])
    write_npy("digits_test_X.npy", X[test])
    write_npy("digits_test_y.npy", one_hot[test])
    write_npy("digits_test_labels.npy", labels[test])


def export_ratings():
    rng = np.random.RandomState(RATINGS_SEED)
    # Factor entries with variance 1/sqrt(rank) give ratings of about unit variance.
    factor_scale = RATINGS_RANK ** -0.25
    users = rng.randn(RATINGS_USERS, RATINGS_RANK) * factor_scale
    items = rng.randn(RATINGS_ITEMS, RATINGS_RANK) * factor_scale
    cells = np.sort(rng.choice(RATINGS_USERS * RATINGS_ITEMS, RATINGS_OBSERVED, replace=False))
    rows, cols = np.divmod(cells, RATINGS_ITEMS)
    values = np.einsum("ij,ij->i", users[rows], items[cols])
    values += rng.randn(RATINGS_OBSERVED) * RATINGS_NOISE_SD
    if len(np.unique(rows)) != RATINGS_USERS or len(np.unique(cols)) != RATINGS_ITEMS:
        sys.exit("export_data.py: some user or item has no rating; change RATINGS_SEED")
    with open(os.path.join(DATA_DIR, "ratings.mtx"), "w", newline="\n") as out:
        out.write("%%MatrixMarket matrix coordinate real general\n")
        out.write("%% synthetic rank-%d ratings, noise sd %g, written by scripts/export_data.py\n"
                  % (RATINGS_RANK, RATINGS_NOISE_SD))
        out.write("%d %d %d\n" % (RATINGS_USERS, RATINGS_ITEMS, RATINGS_OBSERVED))
        for i, j, v in zip(rows, cols, values):
            out.write("%d %d %s\n" % (i + 1, j + 1, exact(v)))


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    export_diabetes()
    export_breast_cancer()
    export_iris()
    export_digits()
    export_ratings()
    for name in sorted(os.listdir(DATA_DIR)):
        print("%-26s %8d bytes" % (name, os.path.getsize(os.path.join(DATA_DIR, name))))


if __name__ == "__main__":
    main()
