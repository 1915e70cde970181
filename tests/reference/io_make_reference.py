#!/usr/bin/python3
"""io_make_reference.py: the NumPy / SciPy / scikit-learn side of the data-file tests (test_io.c).

Writes into tests/data/io/:
  - what NumPy parses from the sample data (the C reader's results are compared with these,
    element by element and bit for bit);
  - .npy files written by NumPy in format versions 1.0, 2.0 and 3.0, for every supported dtype;
  - .mtx files written by SciPy (coordinate, array, symmetric, integer) and what scipy.io.mmread
    makes of them and of the hand-written .mtx files in tests/data/io/;
  - a libsvm file written by scikit-learn and what load_svmlight_file makes of it;
  - malformed .npy files (binary, so written here rather than by hand).

Run once with Debian's python3 (numpy, scipy, sklearn); the outputs are committed and the unit
tests never run Python:

    /usr/bin/python3 tests/reference/io_make_reference.py

Deterministic: running it twice writes the same bytes.
"""

import io
import os

import numpy as np
import scipy.io
import scipy.sparse
from sklearn.datasets import dump_svmlight_file, load_svmlight_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SAMPLES = os.path.join(ROOT, "samples", "data")
OUT = os.path.join(ROOT, "tests", "data", "io")
SEED = 0


def out(*parts):
    path = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def save(name, array):
    np.save(out(name), array, allow_pickle=False)


def write_npy_version(name, array, version):
    with open(out(name), "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)


def sample_references():
    """What NumPy reads from the sample csv and mtx files."""
    X = np.loadtxt(os.path.join(SAMPLES, "diabetes_X.csv"), delimiter=",", dtype=np.float64)
    save("ref_diabetes_X.npy", X)
    y = np.loadtxt(os.path.join(SAMPLES, "diabetes_y.csv"), delimiter=",", dtype=np.float64)
    save("ref_diabetes_y.npy", y)
    iris = np.loadtxt(os.path.join(SAMPLES, "iris_X.csv"), delimiter=",", dtype=np.float32)
    save("ref_iris_X_f32.npy", iris)
    labels = np.loadtxt(os.path.join(SAMPLES, "breast_cancer_y.csv"), dtype=np.float64)
    save("ref_breast_cancer_y_i64.npy", labels.astype(np.int64))
    ratings = scipy.io.mmread(os.path.join(SAMPLES, "ratings.mtx")).tocsr()
    ratings.sort_indices()
    save("ref_ratings_indptr.npy", ratings.indptr.astype(np.int64))
    save("ref_ratings_indices.npy", ratings.indices.astype(np.int64))
    save("ref_ratings_data.npy", ratings.data.astype(np.float64))


def npy_files():
    """The same small arrays written by NumPy in each format version and dtype."""
    rng = np.random.RandomState(SEED)
    f8 = rng.standard_normal((2, 3))
    for version in [(1, 0), (2, 0), (3, 0)]:
        write_npy_version("npy_v%d_f8.npy" % version[0], f8, version)
    save("npy_f4_rank3.npy", rng.standard_normal((2, 3, 4)).astype(np.float32))
    save("npy_i4_rank1.npy", np.array([-2147483648, -1, 0, 1, 2147483647], dtype=np.int32))
    save("npy_i8_rank4.npy", np.arange(-60, 60, dtype=np.int64).reshape(2, 3, 4, 5) * 10**15)
    save("npy_b1_rank2.npy", np.array([[True, False, True], [False, False, True]]))
    save("npy_f8_empty.npy", np.zeros((0, 3)))
    save("npy_f8_special.npy", np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]))
    save("npy_f8_scalar.npy", np.float64(2.5))


def malformed_npy_files():
    """Valid-looking .npy files that the reader must refuse with a clear message."""
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    save("bad/npy_big_endian.npy", a.astype(">f8"))
    save("bad/npy_uint8.npy", a.astype(np.uint8))
    save("bad/npy_fortran.npy", np.asfortranarray(a))
    save("bad/npy_f4.npy", a.astype(np.float32))
    save("bad/npy_rank3.npy", a.reshape(1, 2, 3))
    save("bad/npy_structured.npy", np.zeros(2, dtype=[("x", "<f8"), ("y", "<i4")]))
    buf = io.BytesIO()
    np.save(buf, a)
    good = buf.getvalue()
    with open(out("bad/npy_truncated.npy"), "wb") as f:
        f.write(good[:-5])
    with open(out("bad/npy_extra.npy"), "wb") as f:
        f.write(good + b"\0" * 8)
    with open(out("bad/npy_short.npy"), "wb") as f:
        f.write(good[:8])
    with open(out("bad/npy_not_npy.npy"), "wb") as f:
        f.write(b"PK\x03\x04 this is a zip file, not an array")
    with open(out("bad/npy_version.npy"), "wb") as f:
        f.write(good[:6] + b"\x04\x00" + good[8:])
    # Header length larger than the file.
    with open(out("bad/npy_header_length.npy"), "wb") as f:
        f.write(good[:8] + b"\xff\x7f" + good[10:])

    def with_header(name, text):
        header = text.encode("latin1")
        header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
        with open(out("bad", name), "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
            f.write(a.tobytes())

    with_header("npy_unknown_key.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'align': 1}")
    with_header("npy_missing_shape.npy", "{'descr': '<f8', 'fortran_order': False}")
    with_header("npy_bad_shape.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3)}")
    with_header("npy_bad_bool.npy", "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 3)}")
    with_header("npy_no_brace.npy", "'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}")
    with_header("npy_garbage_after.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)} x")
    with_header("npy_duplicate_key.npy",
                "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}")
    # Any key order, double quotes, no trailing comma, spaces, a list for the shape, Python 2's 3L.
    with_header("npy_odd_header.npy",
                '{ "shape" : [2L , 3] ,"fortran_order":False,  "descr":"<f8"}')
    # A shape whose byte count overflows int64 (must be refused before allocating).
    with_header("npy_huge_shape.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")
    with_header("npy_large_shape.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }")


def mtx_files():
    """SciPy-written .mtx files, and what mmread makes of them and of the hand-written ones."""
    rng = np.random.RandomState(SEED + 1)
    dense = rng.standard_normal((4, 3))
    scipy.io.mmwrite(out("mtx_scipy_array.mtx"), dense)
    save("ref_mtx_scipy_array.npy", scipy.io.mmread(out("mtx_scipy_array.mtx")))
    sym = rng.standard_normal((4, 4))
    sym = sym + sym.T
    scipy.io.mmwrite(out("mtx_scipy_array_symmetric.mtx"), sym, symmetry="symmetric")
    save("ref_mtx_scipy_array_symmetric.npy", scipy.io.mmread(out("mtx_scipy_array_symmetric.mtx")))
    sparse = scipy.sparse.random(6, 5, density=0.4, random_state=SEED, format="coo")
    scipy.io.mmwrite(out("mtx_scipy_coordinate.mtx"), sparse)
    csr = scipy.io.mmread(out("mtx_scipy_coordinate.mtx")).tocsr()
    csr.sort_indices()
    save("ref_mtx_scipy_coordinate_dense.npy", csr.toarray())
    save("ref_mtx_scipy_coordinate_indptr.npy", csr.indptr.astype(np.int64))
    save("ref_mtx_scipy_coordinate_indices.npy", csr.indices.astype(np.int64))
    integer = (rng.standard_normal((3, 4)) * 100).astype(np.int64)
    scipy.io.mmwrite(out("mtx_scipy_integer.mtx"), scipy.sparse.coo_matrix(integer))
    save("ref_mtx_scipy_integer.npy", scipy.io.mmread(out("mtx_scipy_integer.mtx")).toarray())
    # Hand-written files: duplicates, symmetric coordinate, pattern, comments, CRLF.
    for name in ["mtx_duplicates", "mtx_symmetric", "mtx_pattern"]:
        m = scipy.io.mmread(out(name + ".mtx"))
        csr = scipy.sparse.csr_matrix(m)
        csr.sum_duplicates()
        save("ref_%s.npy" % name, csr.toarray().astype(np.float64))


def svm_files():
    """A libsvm file written by scikit-learn, and what load_svmlight_file makes of it."""
    rng = np.random.RandomState(SEED + 2)
    X = rng.standard_normal((8, 6))
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    X[3, :] = 0.0  # a row with no features
    y = rng.randint(0, 3, size=8).astype(np.float64)
    dump_svmlight_file(X, y, out("svm_sklearn.svm"), zero_based=False, comment="written by sklearn")
    Xr, yr = load_svmlight_file(out("svm_sklearn.svm"), zero_based=False)
    save("ref_svm_sklearn_X.npy", Xr.toarray())
    save("ref_svm_sklearn_y.npy", yr)


def main():
    sample_references()
    npy_files()
    malformed_npy_files()
    mtx_files()
    svm_files()


if __name__ == "__main__":
    main()
