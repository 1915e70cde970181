#!/usr/bin/env python3
"""Writes a generated DML program of about N lines (and its Python twin) for the front-end benchmark.

The program is ordinary ML-shaped code: declarations, then many epochs of a training loop with
lets, arithmetic, reductions, matrix products, a parallel loop and a log line, so the parser,
the checker and the lowering all do representative work per line.

usage: gen_program.py LINES OUT.dml [OUT.py]
"""
import sys


def blocks(lines):
    head = [
        "config lr = 0.1",
        "config l2 = 0.001",
        'input X: f64[n, d] = load("X.csv")',
        'input y: f64[n] = load("y.csv")',
        "param w: f64[d] = zeros",
        "var g: f64[d] = zeros",
        "var acc: f64 = 0.0",
    ]
    out = list(head)
    i = 0
    while len(out) < lines:
        out += [
            f"for t{i} in 0..3 {{",
            f"  let z{i} = X @ w + 0.5",
            f"  let p{i} = sigmoid(z{i}) * 2.0 - 1.0",
            f"  let e{i} = p{i} - y",
            f"  let l{i} = mean(relu(z{i}) - y * z{i} + log1p(exp(-abs(z{i}))))",
            f"  g = X.T @ e{i} / n + l2 * w",
            f"  w -= lr * g",
            f"  acc = 0.0",
            f"  parallel for i in 0..n {{",
            f"    let r{i} = dot(X[i, :], w) - y[i]",
            f"    acc += r{i} * r{i}",
            f"  }}",
            f"  log(loss = l{i}, rmse = sqrt(acc / n), step = t{i})",
            f"}}",
        ]
        i += 1
    return out


def python_twin(lines):
    """The same statements in Python syntax, for Python's own parser as a peer."""
    out = ["import numpy as np", "lr = 0.1", "l2 = 0.001", "X = np.load('X.npy')",
           "y = np.load('y.npy')", "w = np.zeros(X.shape[1])", "g = np.zeros_like(w)", "acc = 0.0"]
    i = 0
    while len(out) < lines:
        out += [
            f"for t{i} in range(0, 3):",
            f"    z{i} = X @ w + 0.5",
            f"    p{i} = sigmoid(z{i}) * 2.0 - 1.0",
            f"    e{i} = p{i} - y",
            f"    l{i} = np.mean(relu(z{i}) - y * z{i} + np.log1p(np.exp(-abs(z{i}))))",
            f"    g = X.T @ e{i} / n + l2 * w",
            f"    w -= lr * g",
            f"    acc = 0.0",
            f"    for i in range(0, n):",
            f"        r{i} = np.dot(X[i, :], w) - y[i]",
            f"        acc += r{i} * r{i}",
            f"        pass",
            f"    log(loss=l{i}, rmse=np.sqrt(acc / n), step=t{i})",
            f"    pass",
        ]
        i += 1
    return out


def main():
    lines = int(sys.argv[1])
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(blocks(lines)) + "\n")
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            f.write("\n".join(python_twin(lines)) + "\n")


if __name__ == "__main__":
    main()
