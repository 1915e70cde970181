#!/usr/bin/python3
"""io_check_written.py: checks that NumPy and SciPy read the files that executor/io.c writes.

Compiles tests/reference/io_write_for_numpy.c with the io sources (cc, no CMake build needed),
runs it into a temporary folder, then reads every file with numpy.load, numpy.loadtxt and
scipy.io.mmread and compares with the values the C program wrote, bit for bit; .npy files must
also be byte for byte what numpy.save writes. A development check, run by hand when the writers
change (the unit tests never run Python):

    /usr/bin/python3 tests/reference/io_check_written.py
"""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import scipy.io

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SOURCES = ["tests/reference/io_write_for_numpy.c", "executor/io.c", "executor/io_csv.c",
           "executor/io_mtx.c", "executor/io_npy.c", "executor/io_number.c", "executor/io_svm.c",
           "executor/io_text.c", "executor/io_write.c", "executor/value.c", "ir/type.c",
           "support/buf.c", "support/die.c"]

failures = []


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what)
    if not condition:
        failures.append(what)


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        # text formats keep a NaN's sign but not its payload: compare NaNs as NaNs
        nan = np.isnan(a)
        if not np.array_equal(nan, np.isnan(b)):
            return False
        a, b = np.where(nan, 0, a), np.where(nan, 0, b)
        return a.tobytes() == b.tobytes()
    return a.tobytes() == b.tobytes()


def numpy_save_bytes(array):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.npy")
        np.save(path, array, allow_pickle=False)
        with open(path, "rb") as f:
            return f.read()


def expected():
    f64 = (np.arange(35, dtype=np.float64) * 0.37 - 5) / 3
    f64[1:6] = [np.nan, np.inf, -np.inf, -0.0, 5e-324]
    f32 = ((np.arange(24, dtype=np.float64) - 10) / 7.0).astype(np.float32)
    f32_2 = ((np.arange(35, dtype=np.float64) - 10) / 7.0).astype(np.float32)
    i64 = np.arange(120, dtype=np.int64) * 10**15 - 7
    return {
        "f64": f64.reshape(7, 5),
        "f32": f32.reshape(2, 3, 4),
        "f32_2": f32_2.reshape(7, 5),
        "i32": np.array([-2**31, -1, 0, 1, 12345, 2**31 - 1], dtype=np.int32),
        "i64": i64.reshape(2, 3, 4, 5),
        "bool": (np.arange(35) % 3 == 0).reshape(7, 5),
        "empty": np.zeros((0, 3)),
    }


def main():
    work = tempfile.mkdtemp(prefix="dmlc_io_check_")
    program = os.path.join(work, "io_write_for_numpy")
    subprocess.run(["cc", "-std=c11", "-O1", "-I", ROOT, "-o", program]
                   + [os.path.join(ROOT, s) for s in SOURCES] + ["-lm"], check=True)
    out = os.path.join(work, "out")
    os.mkdir(out)
    subprocess.run([program, out], check=True, cwd=ROOT)
    e = expected()

    for name, key in [("f64", "f64"), ("f32", "f32"), ("i32", "i32"), ("i64", "i64"),
                      ("bool", "bool"), ("empty", "empty")]:
        path = os.path.join(out, name + ".npy")
        got = np.load(path, allow_pickle=False)
        check(same_bits(got, e[key]), "numpy.load(%s.npy) holds the values written" % name)
        with open(path, "rb") as f:
            check(f.read() == numpy_save_bytes(e[key]), "%s.npy is byte for byte numpy.save's" % name)

    csv = lambda name, dtype: np.loadtxt(os.path.join(out, name), delimiter=",", dtype=dtype,
                                         ndmin=1)
    check(same_bits(csv("f64.csv", np.float64), e["f64"]), "numpy.loadtxt(f64.csv) reads back exactly")
    check(same_bits(csv("f32.csv", np.float32), e["f32_2"]), "numpy.loadtxt(f32.csv) reads back exactly")
    check(same_bits(csv("i32.csv", np.int32), e["i32"]), "numpy.loadtxt(i32.csv) reads back exactly")
    check(same_bits(csv("bool.csv", np.int64).astype(bool), e["bool"]),
          "numpy.loadtxt(bool.csv) reads back exactly")

    check(same_bits(scipy.io.mmread(os.path.join(out, "f64.mtx")), e["f64"]),
          "scipy.io.mmread(f64.mtx) (array format) reads back exactly")
    ours = scipy.io.mmread(os.path.join(out, "ratings.mtx")).tocsr()
    original = scipy.io.mmread(os.path.join(ROOT, "samples", "data", "ratings.mtx")).tocsr()
    check(ours.shape == original.shape and (ours != original).nnz == 0
          and same_bits(ours.data, original.data),
          "scipy.io.mmread(ratings.mtx) (coordinate, written from csr) is the sample matrix")

    scalar = np.load(os.path.join(out, "scalar_f64.npy"))
    check(scalar.shape == () and scalar.dtype == np.float64 and scalar == 2.5,
          "scalar_f64.npy is a rank-0 float64 2.5")
    with open(os.path.join(out, "scalar_f64.npy"), "rb") as f:
        check(f.read() == numpy_save_bytes(np.float64(2.5)), "scalar_f64.npy is numpy.save's")
    b = np.load(os.path.join(out, "scalar_bool.npy"))
    check(b.shape == () and b.dtype == np.bool_ and bool(b), "scalar_bool.npy is a rank-0 True")
    check(np.loadtxt(os.path.join(out, "scalar_i64.csv"), dtype=np.int64) == -42,
          "numpy.loadtxt(scalar_i64.csv) is -42")

    shutil.rmtree(work)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
