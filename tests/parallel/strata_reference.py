#!/usr/bin/python3
"""strata_reference.py: the data and the NumPy references of tests/parallel/strata.sh.

Run once with Debian's python3 from the repository root (the test never runs it):

    /usr/bin/python3 tests/parallel/strata_reference.py

It writes into tests/parallel/:
  strata_ratings.mtx   a seeded 100 x 80 ratings matrix with 2000 ratings (rank 3 plus noise),
                       the rating (41, 7) among them (0-based; strata_error.dml fails there)
  strata_L0.csv        the starting factors of strata_mf.dml, 100 x 3 and 80 x 3
  strata_H0.csv
  strata_ref_pP_L.csv, strata_ref_pP_H.csv, strata_ref_pP_count.csv, strata_ref_pP_metrics.csv
                       for P = 1, 2, 3, 4: what strata_mf.dml computes on P workers, by SGD in
                       the strata order of executor/interp_strata.c, written here independently:
                       rows and columns cut into P ranges balanced by nonzero count (cut p is the
                       first index whose running count reaches floor(p * nnz / P)), each row range
                       cut the same way into S row chunks, S = nnz // (64 P^2) clamped to 1..16;
                       sweep s = 0..S-1, round t = 0..P-1 runs chunk s of the blocks
                       (p, (p + t) mod P) for p = 0..P-1, each in CSR order (row, then column).
                       P = 1 is CSR order.
  strata_ref_sweeps.txt  "P S" lines: the sweeps for each P (the trace has S x P rounds of P tasks)
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

SEED = 5
ROWS, COLS, RANK, RATINGS = 100, 80, 3, 2000
NOISE_SD = 0.1
MUST_HAVE = (41, 7)  # strata_error.dml reads out of range at this rating
# strata_mf.dml's configs
LR, REG, EPOCHS = 0.05, 0.01, 5


def exact(value):
    """17 significant digits: the text reads back to the same double."""
    return format(float(value), ".17g")


def write_csv(name, array):
    array = np.asarray(array, dtype=np.float64)
    with open(os.path.join(HERE, name), "w", newline="\n") as out:
        for row in array.reshape(len(array), -1):
            out.write(",".join(exact(v) for v in row) + "\n")


def make_data():
    rng = np.random.RandomState(SEED)
    users = rng.randn(ROWS, RANK) * RANK**-0.25
    items = rng.randn(COLS, RANK) * RANK**-0.25
    must = MUST_HAVE[0] * COLS + MUST_HAVE[1]
    others = rng.choice(np.delete(np.arange(ROWS * COLS), must), RATINGS - 1, replace=False)
    cells = np.sort(np.append(others, must))
    rows, cols = np.divmod(cells, COLS)
    values = np.einsum("ij,ij->i", users[rows], items[cols]) + rng.randn(RATINGS) * NOISE_SD
    # written in a shuffled order: the reader sorts into CSR
    order = rng.permutation(RATINGS)
    with open(os.path.join(HERE, "strata_ratings.mtx"), "w", newline="\n") as out:
        out.write("%%MatrixMarket matrix coordinate real general\n")
        out.write("% tests/parallel/strata_reference.py: seeded rank-3 ratings plus noise\n")
        out.write("%d %d %d\n" % (ROWS, COLS, RATINGS))
        for k in order:
            out.write("%d %d %s\n" % (rows[k] + 1, cols[k] + 1, exact(values[k])))
    L0 = rng.randn(ROWS, RANK) * 0.1
    H0 = rng.randn(COLS, RANK) * 0.1
    write_csv("strata_L0.csv", L0)
    write_csv("strata_H0.csv", H0)
    return rows, cols, values, L0, H0


def balanced_cuts(prefix, parts):
    """cut[p]: the first index whose count since index 0 reaches floor(p * total / parts)."""
    prefix = np.asarray(prefix) - prefix[0]
    total = prefix[-1]
    cut = [0]
    for p in range(1, parts):
        target = total * p // parts
        cut.append(max(int(np.searchsorted(prefix, target, side="left")), cut[-1]))
    cut.append(len(prefix) - 1)
    return cut


def sweeps_for(n, workers):
    return max(1, min(16, n // (64 * workers * workers)))


def strata_order(rows, cols, workers):
    """The positions (into the CSR-sorted ratings) in the order the strata run them."""
    n = len(rows)
    if workers == 1 or n < 16 * workers * workers:
        return list(range(n))
    row_prefix = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=ROWS))])
    col_prefix = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=COLS))])
    row_cut, col_cut = balanced_cuts(row_prefix, workers), balanced_cuts(col_prefix, workers)
    row_range = np.searchsorted(row_cut, rows, side="right") - 1
    col_range = np.searchsorted(col_cut, cols, side="right") - 1
    sweeps = sweeps_for(n, workers)
    chunk = np.zeros(n, dtype=int)  # the row chunk of each rating within its row range
    for p in range(workers):
        lo, hi = row_cut[p], row_cut[p + 1]
        cuts = [lo + c for c in balanced_cuts(row_prefix[lo:hi + 1], sweeps)]
        inside = row_range == p
        chunk[inside] = np.searchsorted(cuts, rows[inside], side="right") - 1
    order = []
    for s in range(sweeps):
        for t in range(workers):
            for p in range(workers):
                q = (p + t) % workers
                order += [k for k in range(n)
                          if row_range[k] == p and col_range[k] == q and chunk[k] == s]
    assert sorted(order) == list(range(n))
    return order


def run_sgd(rows, cols, values, L0, H0, workers):
    L, H = L0.copy(), H0.copy()
    count = np.zeros(COLS)
    order = strata_order(rows, cols, workers)
    metrics = []
    for epoch in range(EPOCHS):
        sqerr = 0.0
        for k in order:
            i, j, v = rows[k], cols[k], values[k]
            li, hj = L[i].copy(), H[j].copy()
            e = v - np.dot(li, hj)
            L[i] = li + LR * (e * hj - REG * li)
            H[j] = hj + LR * (e * li - REG * hj)
            sqerr += e * e
            count[j] += 1.0
        metrics.append((epoch, sqerr, count.sum()))
    return L, H, count, metrics


def main():
    rows, cols, values, L0, H0 = make_data()
    with open(os.path.join(HERE, "strata_ref_sweeps.txt"), "w", newline="\n") as out:
        for workers in (2, 3, 4):
            out.write("%d %d\n" % (workers, sweeps_for(len(rows), workers)))
    for workers in (1, 2, 3, 4):
        L, H, count, metrics = run_sgd(rows, cols, values, L0, H0, workers)
        base = "strata_ref_p%d_" % workers
        write_csv(base + "L.csv", L)
        write_csv(base + "H.csv", H)
        write_csv(base + "count.csv", count)
        with open(os.path.join(HERE, base + "metrics.csv"), "w", newline="\n") as out:
            out.write("step,sqerr,counted\n")
            for step, sqerr, counted in metrics:
                out.write("%d,%s,%s\n" % (step, exact(sqerr), exact(counted)))
        print("P = %d: final sqerr %.6f" % (workers, metrics[-1][1]))


if __name__ == "__main__":
    main()
