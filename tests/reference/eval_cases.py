#!/usr/bin/python3
"""eval_cases.py: NumPy/SciPy reference results for the evaluator's unit tests (test_eval.c).

Run once with Debian's Python (numpy 1.24, scipy 1.10):

    /usr/bin/python3 tests/reference/eval_cases.py

It writes tests/data/eval/*.txt, which are checked in; the tests read them and never run Python.

Each file is a list of cases, one line per item:

    case NAME
    op t.add
    attr axis int 1 | attr transpose_a bool 1 | attr index strings i : a..b
    arg DTYPE RANK DIMS... : VALUES...                       (a dense tensor, or a scalar: rank 0)
    arg csr DTYPE ROWS COLS NNZ : ROWPTR... : COLIDX... : VALUES...
    result DTYPE RANK                                        (the op's result type)
    out DTYPE RANK DIMS... : VALUES...                       (expected; also `out csr ...`)
    tol exact | tol ulp N | tol close RTOL ATOL              (how floats are compared)
    error TEXT                                               (expected failure: message contains TEXT)
    end

Floats are written as the shortest text that reads back to the same value (f64 with strtod, f32
with strtof), so the tests see NumPy's bits exactly; nan, inf and -inf are spelt out.

The semantics follow eval.h and docs/ir.md: mod and integer division round toward -inf (NumPy's
mod / floor_divide), relu is maximum(x, 0), soft_threshold is sign(x) * maximum(|x| - t, 0),
sigmoid is 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) below, logsumexp and softmax
are SciPy's, and random numbers are Philox4x64-10 (numpy.random.Philox) as random.h describes.
"""
import os
import sys

import numpy as np
import scipy.sparse
import scipy.special

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "data", "eval")

DTYPES = {"bool": np.bool_, "i32": np.int32, "i64": np.int64, "f32": np.float32, "f64": np.float64}
NUMERIC = ["i32", "i64", "f32", "f64"]
FLOATS = ["f32", "f64"]
INTS = ["i32", "i64"]

rng = np.random.default_rng(20240611)
np.seterr(all="ignore")


def name_of(dtype):
    for k, v in DTYPES.items():
        if np.dtype(v) == np.dtype(dtype):
            return k
    raise ValueError(dtype)


def fmt_value(v, dtype):
    if dtype == "f32":
        return repr(np.float32(v))  # the shortest text that strtof reads back to the same float
    if dtype == "f64":
        return repr(float(v))
    if dtype == "bool":
        return "1" if v else "0"
    return str(int(v))


def fmt_dense(a, dtype=None):
    a = np.asarray(a)
    dtype = dtype or name_of(a.dtype)
    a = a.astype(DTYPES[dtype])
    dims = " ".join(str(d) for d in a.shape)
    vals = " ".join(fmt_value(v, dtype) for v in a.ravel())
    head = f"{dtype} {a.ndim}" + (f" {dims}" if a.ndim else "")
    return f"{head} : {vals}"


def fmt_csr(m, dtype):
    m = scipy.sparse.csr_matrix(m)
    m.sort_indices()
    rows, cols = m.shape
    rp = " ".join(str(int(v)) for v in m.indptr)
    ci = " ".join(str(int(v)) for v in m.indices)
    vals = " ".join(fmt_value(v, dtype) for v in m.data.astype(DTYPES[dtype]))
    return f"csr {dtype} {rows} {cols} {m.nnz} : {rp} : {ci} : {vals}"


class Cases:
    """Collects the cases of one data file."""

    def __init__(self, filename):
        self.filename = filename
        self.lines = []
        self.names = set()

    def add(self, name, op, args, result=None, out=None, tol="exact", attrs=(), error=None,
            result_type=None):
        """args: list of (array or scalar, dtype name) or ("csr", matrix, dtype). out: expected
        array/scalar (with its dtype name) or ("csr", matrix, dtype)."""
        assert name not in self.names, name
        self.names.add(name)
        L = self.lines
        L.append(f"case {name}")
        L.append(f"op {op}")
        for a in attrs:
            L.append("attr " + a)
        for a in args:
            if isinstance(a, tuple) and isinstance(a[0], str):
                L.append("arg " + fmt_csr(a[1], a[2]))
            else:
                value, dtype = a
                L.append("arg " + fmt_dense(np.asarray(value), dtype))
        if result_type is None:
            if out is None:
                raise ValueError("a case needs its result type")
            if isinstance(out, tuple) and isinstance(out[0], str):
                result_type = (out[2], 2)
            else:
                result_type = (out[1], np.asarray(out[0]).ndim)
        L.append(f"result {result_type[0]} {result_type[1]}")
        if error is not None:
            L.append(f"error {error}")
        else:
            if isinstance(out, tuple) and isinstance(out[0], str):
                L.append("out " + fmt_csr(out[1], out[2]))
            else:
                L.append("out " + fmt_dense(np.asarray(out[0]), out[1]))
            L.append(f"tol {tol}")
        L.append("end")

    def write(self):
        os.makedirs(OUT_DIR, exist_ok=True)
        path = os.path.join(OUT_DIR, self.filename)
        with open(path, "w") as f:
            f.write(f"# {self.filename}: generated by tests/reference/eval_cases.py; do not edit\n")
            f.write("\n".join(self.lines) + "\n")
        print(f"{path}: {len(self.names)} cases")


def cast(a, dtype):
    return np.asarray(a).astype(DTYPES[dtype])


def sample(dtype, shape, lo=-10, hi=10):
    """Random values of a dtype: floats of mixed magnitude, integers in [lo, hi)."""
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype in INTS:
        return rng.integers(lo, hi, size=shape).astype(DTYPES[dtype])
    # short decimals (5 significant digits, exponents -6 .. 2) keep the data files small
    mantissa = rng.integers(-99999, 100000, size=shape)
    exponent = rng.integers(-6, 3, size=shape)
    v = np.array([float(f"{m}e{e}") for m, e in zip(mantissa.ravel(), exponent.ravel())])
    return v.reshape(shape).astype(DTYPES[dtype])


SPECIAL = [-3.5, -2.5, -1.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, 3.5, 1e-8, -1e-8, 10.0,
           100.0, -100.0, 88.7, -88.7, 700.0, -700.0, np.inf, -np.inf, np.nan, 0.75]
INT_SPECIAL = {
    "i32": [-(2**31), -(2**31) + 1, -7, -1, 0, 1, 7, 2**31 - 1, 12345, -12345, 3, -3],
    "i64": [-(2**63), -(2**63) + 1, -7, -1, 0, 1, 7, 2**63 - 1, 2**40, -(2**40), 3, -3],
}


# ---- elementwise ----


def sigmoid(x):
    x = np.asarray(x)
    one = x.dtype.type(1)
    pos = one / (one + np.exp(-x))
    e = np.exp(x)
    neg = e / (one + e)
    return np.where(x >= 0, pos, neg).astype(x.dtype)


UNARY_FLOAT = {
    "t.exp": np.exp, "t.log": np.log, "t.log1p": np.log1p, "t.sqrt": np.sqrt,
    "t.tanh": np.tanh, "t.sigmoid": sigmoid,
}


def int_identity(x):
    return x


UNARY_NUMERIC = {
    "t.neg": (np.negative, np.negative),
    "t.abs": (np.abs, np.abs),
    "t.relu": (lambda x: np.maximum(x, x.dtype.type(0)), lambda x: np.maximum(x, x.dtype.type(0))),
    "t.sign": (np.sign, np.sign),
    "t.floor": (np.floor, int_identity),
    "t.ceil": (np.ceil, int_identity),
    "t.round": (np.round, int_identity),
}


def soft_threshold(x, t):
    x = np.asarray(x)
    zero = x.dtype.type(0)
    return (np.sign(x) * np.maximum(np.abs(x) - t, zero)).astype(x.dtype)


BINARY = {
    "t.add": np.add, "t.sub": np.subtract, "t.mul": np.multiply, "t.minimum": np.minimum,
    "t.maximum": np.maximum, "t.soft_threshold": soft_threshold,
}
COMPARE = {"t.eq": np.equal, "t.ne": np.not_equal, "t.lt": np.less, "t.le": np.less_equal,
           "t.gt": np.greater, "t.ge": np.greater_equal}

# shape pairs for broadcasting (None: a scalar)
BROADCASTS = [
    ("same", (2, 3), (2, 3)),
    ("row", (3, 4), (4,)),
    ("row_left", (4,), (3, 4)),
    ("outer", (4, 1), (1, 5)),
    ("col", (3, 1), (3, 4)),
    ("rank3", (2, 1, 3), (4, 1)),
    ("rank4", (2, 3, 1, 2), (3, 4, 1)),
    ("middle", (2, 1, 4), (2, 3, 4)),
    ("scalar_right", (2, 3), None),
    ("scalar_left", None, (2, 3)),
    ("scalars", None, None),
    ("one", (1,), (5,)),
    ("empty", (0, 3), (3,)),
]


def operand(dtype, shape, **kw):
    if shape is None:
        return sample(dtype, ()).reshape(())[()]
    return sample(dtype, shape, **kw)


def tol_for(op, dtype):
    if dtype not in FLOATS:
        return "exact"
    if op in ("t.exp", "t.log", "t.log1p", "t.tanh", "t.sigmoid", "t.pow"):
        return "ulp 4"
    return "exact"


def elementwise(c):
    # unary float ops on special values, as a matrix and as scalars
    for op, fn in UNARY_FLOAT.items():
        for dt in FLOATS:
            x = cast(SPECIAL, dt).reshape(4, 6)
            c.add(f"{op}_{dt}_special", op, [(x, dt)], out=(fn(x), dt), tol=tol_for(op, dt))
            xr = sample(dt, (3, 5))
            if op in ("t.log", "t.sqrt", "t.log1p"):
                xr = np.abs(xr)
            c.add(f"{op}_{dt}_random", op, [(xr, dt)], out=(fn(xr), dt), tol=tol_for(op, dt))
            s = cast(0.75, dt)
            c.add(f"{op}_{dt}_scalar", op, [(s, dt)], out=(fn(s), dt), tol=tol_for(op, dt))
    for op, (ffn, ifn) in UNARY_NUMERIC.items():
        for dt in NUMERIC:
            if dt in FLOATS:
                x = cast(SPECIAL, dt).reshape(2, 12)
                y = ffn(x)
            else:
                x = cast(INT_SPECIAL[dt], dt).reshape(3, 4)
                y = ifn(x)
            c.add(f"{op}_{dt}", op, [(x, dt)], out=(y, dt))
            s = x.ravel()[1]
            c.add(f"{op}_{dt}_scalar", op, [(s, dt)],
                  out=((ffn if dt in FLOATS else ifn)(np.asarray(s)), dt))
    b = np.array([[True, False, True], [False, False, True]])
    c.add("t.not_bool", "t.not", [(b, "bool")], out=(~b, "bool"))
    c.add("t.not_bool_scalar", "t.not", [(np.bool_(True), "bool")], out=(np.bool_(False), "bool"))

    # casts between every pair
    float_src = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.9999, 255.0, 256.7, -129.5, 3e9, -3e9, 1e20,
                 -1e20, np.inf, -np.inf, np.nan, 2147483647.0, -2147483648.0]
    sources = {
        "bool": np.array([True, False, True, True]),
        "i32": np.array(INT_SPECIAL["i32"], dtype=np.int32),
        "i64": np.array(INT_SPECIAL["i64"] + [2**31, -(2**31) - 1, 2**53 + 1], dtype=np.int64),
        "f32": cast(float_src, "f32"),
        "f64": cast(float_src + [1e300, 16777217.0, 9.2e18, -9.3e18], "f64"),
    }
    for src, x in sources.items():
        for dst in DTYPES:
            c.add(f"t.cast_{src}_{dst}", "t.cast", [(x, src)], out=(x.astype(DTYPES[dst]), dst))
            s = x[4 % len(x)]
            c.add(f"t.cast_{src}_{dst}_scalar", "t.cast", [(s, src)],
                  out=(np.asarray(s).astype(DTYPES[dst]), dst))

    # binary arithmetic over every broadcasting pattern
    for op, fn in BINARY.items():
        for dt in NUMERIC:
            for label, sa, sb in BROADCASTS:
                x, y = operand(dt, sa), operand(dt, sb)
                if op == "t.soft_threshold":
                    y = np.abs(y)
                out = np.asarray(fn(np.asarray(x), np.asarray(y))).astype(DTYPES[dt])
                c.add(f"{op}_{dt}_{label}", op, [(x, dt), (y, dt)], out=(out, dt))
    # special values: nan in minimum/maximum, inf arithmetic, signed zeros
    for dt in FLOATS:
        x = cast(SPECIAL, dt).reshape(4, 6)
        y = cast(np.roll(SPECIAL, 7), dt).reshape(4, 6)
        for op, fn in BINARY.items():
            yy = np.abs(y) if op == "t.soft_threshold" else y
            c.add(f"{op}_{dt}_special", op, [(x, dt), (yy, dt)], out=(fn(x, yy).astype(x.dtype), dt))
        c.add(f"t.div_{dt}_special", "t.div", [(x, dt), (y, dt)], out=(np.divide(x, y), dt))
        c.add(f"t.mod_{dt}_special", "t.mod", [(x, dt), (y, dt)], out=(np.mod(x, y), dt))
        signs = cast([5.0, -5.0, 5.0, -5.0, 0.0, -0.0, 7.5, -7.5, 1e-3, 4.0], dt)
        divs = cast([3.0, 3.0, -3.0, -3.0, 3.0, -3.0, 2.5, 2.5, -1e3, 0.0], dt)
        c.add(f"t.mod_{dt}_signs", "t.mod", [(signs, dt), (divs, dt)], out=(np.mod(signs, divs), dt))
        xr, yr = sample(dt, (3, 4)), sample(dt, (4,))
        c.add(f"t.div_{dt}_row", "t.div", [(xr, dt), (yr, dt)], out=(np.divide(xr, yr), dt))
        c.add(f"t.mod_{dt}_row", "t.mod", [(xr, dt), (yr, dt)], out=(np.mod(xr, yr), dt))
        base = np.abs(sample(dt, (3, 4))) + cast(0.1, dt)
        expo = cast(rng.uniform(-3, 3, size=(3, 4)), dt)
        c.add(f"t.pow_{dt}", "t.pow", [(base, dt), (expo, dt)], out=(np.power(base, expo), dt),
              tol="ulp 4")
        negb = cast([-2.0, -0.5, -3.0, 2.0, 0.0, 0.0], dt)
        inte = cast([3.0, 2.0, -1.0, 0.5, 0.0, -1.0], dt)
        c.add(f"t.pow_{dt}_special", "t.pow", [(negb, dt), (inte, dt)],
              out=(np.power(negb, inte), dt), tol="ulp 4")
        c.add(f"t.pow_{dt}_scalar_exponent", "t.pow", [(base, dt), (cast(2.0, dt), dt)],
              out=(np.power(base, cast(2.0, dt)), dt), tol="ulp 4")
    for dt in INTS:
        x = sample(dt, (4, 5), -50, 50)
        y = sample(dt, (5,), 1, 9) * np.array([1, -1, 1, -1, 1], dtype=DTYPES[dt])
        c.add(f"t.mod_{dt}_row", "t.mod", [(x, dt), (y, dt)], out=(np.mod(x, y), dt))
        c.add(f"t.div_{dt}_floor", "t.div", [(x, dt), (y, dt)], out=(np.floor_divide(x, y), dt))
        lim = np.array(INT_SPECIAL[dt][:4], dtype=DTYPES[dt])
        m1 = np.array([-1, -1, 3, -1], dtype=DTYPES[dt])
        c.add(f"t.mod_{dt}_limits", "t.mod", [(lim, dt), (m1, dt)], out=(np.mod(lim, m1), dt))
        c.add(f"t.div_{dt}_limits", "t.div", [(lim, dt), (m1, dt)],
              out=(np.floor_divide(lim, m1), dt))
        base = sample(dt, (3, 4), -6, 7)
        expo = sample(dt, (3, 4), 0, 9)
        c.add(f"t.pow_{dt}", "t.pow", [(base, dt), (expo, dt)], out=(np.power(base, expo), dt))
        big = np.array([3, -3, 7, 2], dtype=DTYPES[dt])
        bige = np.array([40, 41, 30, 63], dtype=DTYPES[dt])
        c.add(f"t.pow_{dt}_wraps", "t.pow", [(big, dt), (bige, dt)], out=(np.power(big, bige), dt))
        # errors: division and modulo by zero, negative exponents
        z = np.array([1, 0, 2], dtype=DTYPES[dt])
        for op in ("t.mod", "t.div"):
            c.add(f"{op}_{dt}_by_zero", op, [(x[0, :3], dt), (z, dt)], result_type=(dt, 1),
                  error="by zero")
            c.add(f"{op}_{dt}_by_zero_scalar", op, [(x[0, 0], dt), (z[1], dt)],
                  result_type=(dt, 0), error="by zero")
            c.add(f"{op}_{dt}_by_zero_broadcast", op, [(x, dt), (z[1], dt)], result_type=(dt, 2),
                  error="by zero")
        c.add(f"t.pow_{dt}_negative_exponent", "t.pow",
              [(base, dt), (np.full((3, 4), -1, dtype=DTYPES[dt]), dt)], result_type=(dt, 2),
              error="negative exponent")
        # wrap-around
        hi = np.array(INT_SPECIAL[dt], dtype=DTYPES[dt])
        lo = np.roll(hi, 3)
        for op, fn in (("t.add", np.add), ("t.sub", np.subtract), ("t.mul", np.multiply)):
            c.add(f"{op}_{dt}_wraps", op, [(hi, dt), (lo, dt)], out=(fn(hi, lo), dt))
    # f32 exactness of + - * / and sqrt over many magnitudes
    for op, fn in (("t.add", np.add), ("t.sub", np.subtract), ("t.mul", np.multiply),
                   ("t.div", np.divide)):
        x = sample("f32", (1000,))
        y = sample("f32", (1000,))
        c.add(f"{op}_f32_exact_1000", op, [(x, "f32"), (y, "f32")], out=(fn(x, y), "f32"))
        c.add(f"{op}_f32_exact_scalar", op, [(x[:7], "f32"), (y[0], "f32")],
              out=(fn(x[:7], y[0]), "f32"))
    x = np.abs(sample("f32", (1000,)))
    c.add("t.sqrt_f32_exact_1000", "t.sqrt", [(x, "f32")], out=(np.sqrt(x), "f32"))
    x = np.abs(sample("f64", (1000,)))
    c.add("t.sqrt_f64_exact_1000", "t.sqrt", [(x, "f64")], out=(np.sqrt(x), "f64"))
    # comparisons, including nan and bool operands
    for op, fn in COMPARE.items():
        for dt in DTYPES:
            x = operand(dt, (3, 4), lo=-3, hi=3)
            y = operand(dt, (4,), lo=-3, hi=3)
            if dt in FLOATS:
                x[0, 0] = np.nan
                y[1] = x[1, 1]
            c.add(f"{op}_{dt}", op, [(x, dt), (y, dt)], out=(fn(x, y), "bool"))
            s = x[2, 2]
            c.add(f"{op}_{dt}_scalar", op, [(s, dt), (y, dt)], out=(fn(s, y), "bool"))
    for op, fn in (("t.and", np.logical_and), ("t.or", np.logical_or)):
        x = operand("bool", (2, 3))
        y = operand("bool", (3,))
        c.add(f"{op}_bool", op, [(x, "bool"), (y, "bool")], out=(fn(x, y), "bool"))
        c.add(f"{op}_bool_scalars", op, [(np.bool_(True), "bool"), (np.bool_(False), "bool")],
              out=(fn(True, False), "bool"))
    # clip and where, with broadcasting bounds and conditions
    for dt in NUMERIC:
        x = sample(dt, (3, 4))
        lo = sample(dt, (4,)) if dt in FLOATS else sample(dt, (4,), -5, 0)
        hi = lo + cast(3, dt)
        if dt in FLOATS:
            x[0, 0] = np.nan
        c.add(f"t.clip_{dt}", "t.clip", [(x, dt), (lo, dt), (hi, dt)],
              out=(np.minimum(np.maximum(x, lo), hi), dt))
        slo, shi = cast(-1, dt), cast(2, dt)
        c.add(f"t.clip_{dt}_scalars", "t.clip", [(x, dt), (slo, dt), (shi, dt)],
              out=(np.minimum(np.maximum(x, slo), shi), dt))
    for dt in DTYPES:
        cond = operand("bool", (3, 1))
        a = operand(dt, (3, 4))
        bb = operand(dt, (4,))
        c.add(f"t.where_{dt}", "t.where", [(cond, "bool"), (a, dt), (bb, dt)],
              out=(np.where(cond, a, bb), dt))
        c.add(f"t.where_{dt}_scalars", "t.where",
              [(np.bool_(False), "bool"), (a[0, 0], dt), (bb[1], dt)],
              out=(np.where(False, a[0, 0], bb[1]), dt))
    # shapes that do not broadcast
    c.add("t.add_f64_mismatch", "t.add", [(sample("f64", (3,)), "f64"), (sample("f64", (4,)), "f64")],
          result_type=("f64", 1), error="cannot broadcast f64[3] with f64[4]")
    c.add("t.add_f64_mismatch_rank2", "t.add",
          [(sample("f64", (2, 3)), "f64"), (sample("f64", (3, 3)), "f64")],
          result_type=("f64", 2), error="cannot broadcast")


# ---- reductions and softmax ----


def logsumexp(x, axis):
    return np.asarray(scipy.special.logsumexp(x, axis=axis)).astype(x.dtype)


def norm(x, axis):
    return np.asarray(np.linalg.norm(x, axis=axis)).astype(x.dtype)


REDUCTIONS = {
    "t.sum": (NUMERIC, lambda x, a: np.sum(x, axis=a, dtype=x.dtype), None),
    "t.mean": (FLOATS, lambda x, a: np.mean(x, axis=a), None),
    "t.max": (NUMERIC + ["bool"], lambda x, a: np.max(x, axis=a), None),
    "t.min": (NUMERIC + ["bool"], lambda x, a: np.min(x, axis=a), None),
    "t.argmax": (NUMERIC + ["bool"], lambda x, a: np.argmax(x, axis=a), "i64"),
    "t.argmin": (NUMERIC + ["bool"], lambda x, a: np.argmin(x, axis=a), "i64"),
    "t.count_nonzero": (NUMERIC + ["bool"], lambda x, a: np.count_nonzero(x, axis=a), "i64"),
    "t.norm": (FLOATS, norm, None),
    "t.logsumexp": (FLOATS, logsumexp, None),
}


def reduction_tol(op, dt):
    if dt not in FLOATS:
        return "exact"
    if op in ("t.norm", "t.logsumexp"):
        return "ulp 8"
    return "exact"


def reductions(c):
    shapes = [(7,), (3, 5), (2, 3, 4), (2, 2, 3, 3)]
    for op, (dts, fn, rdt) in REDUCTIONS.items():
        for dt in dts:
            for shape in shapes:
                x = sample(dt, shape, -5, 5)
                for axis in [None] + list(range(len(shape))):
                    y = np.asarray(fn(x, axis))
                    attrs = [] if axis is None else [f"axis int {axis}"]
                    label = "all" if axis is None else f"axis{axis}"
                    rname = rdt or dt
                    c.add(f"{op}_{dt}_{'x'.join(map(str, shape))}_{label}", op, [(x, dt)],
                          attrs=attrs, out=(y.astype(DTYPES[rname]), rname),
                          tol=reduction_tol(op, dt))
            # a scalar operand
            s = sample(dt, ())[()]
            c.add(f"{op}_{dt}_scalar", op, [(s, dt)], out=(np.asarray(fn(np.asarray(s), None)).astype(
                DTYPES[rdt or dt]), rdt or dt), tol=reduction_tol(op, dt))
    # nan: max/min propagate, argmax/argmin find the first nan, sums give nan
    for dt in FLOATS:
        x = sample(dt, (4, 5))
        x[1, 2] = np.nan
        x[3, 0] = np.nan
        x[0, 4] = np.inf
        for op, (dts, fn, rdt) in REDUCTIONS.items():
            if op == "t.count_nonzero":
                continue
            for axis in (None, 0, 1):
                attrs = [] if axis is None else [f"axis int {axis}"]
                rname = rdt or dt
                c.add(f"{op}_{dt}_nan_{'all' if axis is None else f'axis{axis}'}", op, [(x, dt)],
                      attrs=attrs, out=(np.asarray(fn(x, axis)).astype(DTYPES[rname]), rname),
                      tol=reduction_tol(op, dt))
        # logsumexp of large values and of all -inf
        big = cast([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf]], dt)
        c.add(f"t.logsumexp_{dt}_stable", "t.logsumexp", [(big, dt)], attrs=["axis int 1"],
              out=(logsumexp(big, 1), dt), tol="ulp 8")
        # ties: the first occurrence
        ties = cast([[1, 3, 3, 0], [2, 2, 2, 2]], dt)
        for op, fn in (("t.argmax", np.argmax), ("t.argmin", np.argmin)):
            c.add(f"{op}_{dt}_ties", op, [(ties, dt)], attrs=["axis int 1"],
                  out=(fn(ties, axis=1).astype(np.int64), "i64"))
    # NumPy's exact summation order: pairwise blocks and 8192-element buffers
    for dt in FLOATS:
        for n in (9, 127, 128, 129, 1000, 8193) + ((12000,) if dt == "f64" else ()):
            x = sample(dt, (n,))
            c.add(f"t.sum_{dt}_order_{n}", "t.sum", [(x, dt)], out=(np.sum(x), dt))
        if dt == "f32":
            x = sample(dt, (2, 8500))
            c.add(f"t.sum_{dt}_order_rows", "t.sum", [(x, dt)], attrs=["axis int 1"],
                  out=(np.sum(x, axis=1), dt))
            c.add(f"t.mean_{dt}_order_rows", "t.mean", [(x[:, :1000], dt)], attrs=["axis int 1"],
                  out=(np.mean(x[:, :1000], axis=1), dt))
        x = sample(dt, (300, 7))
        c.add(f"t.sum_{dt}_order_cols", "t.sum", [(x, dt)], attrs=["axis int 0"],
              out=(np.sum(x, axis=0), dt))
    # integer sums wrap in their dtype
    x = np.array([2**31 - 1, 1, 5], dtype=np.int32)
    c.add("t.sum_i32_wraps", "t.sum", [(x, "i32")], out=(np.sum(x, dtype=np.int32), "i32"))
    x = np.array([2**63 - 1, 2**62, 2**62], dtype=np.int64)
    c.add("t.sum_i64_wraps", "t.sum", [(x, "i64")], out=(np.sum(x, dtype=np.int64), "i64"))
    # empty reductions
    e = np.zeros((0,), dtype=np.float64)
    c.add("t.sum_f64_empty", "t.sum", [(e, "f64")], out=(np.float64(0), "f64"))
    c.add("t.count_nonzero_f64_empty", "t.count_nonzero", [(e, "f64")], out=(np.int64(0), "i64"))
    c.add("t.logsumexp_f64_empty", "t.logsumexp", [(e, "f64")], out=(np.float64(-np.inf), "f64"))
    c.add("t.norm_f64_empty", "t.norm", [(e, "f64")], out=(np.float64(0), "f64"))
    for op in ("t.max", "t.min", "t.argmax", "t.argmin"):
        c.add(f"{op}_f64_empty", op, [(e, "f64")],
              result_type=("i64" if "arg" in op else "f64", 0), error="of an empty tensor")
    e2 = np.zeros((0, 3), dtype=np.float64)
    c.add("t.sum_f64_empty_axis0", "t.sum", [(e2, "f64")], attrs=["axis int 0"],
          out=(np.sum(e2, axis=0), "f64"))
    c.add("t.sum_f64_empty_axis1", "t.sum", [(e2, "f64")], attrs=["axis int 1"],
          out=(np.sum(e2, axis=1), "f64"))
    c.add("t.sum_f64_bad_axis", "t.sum", [(sample("f64", (2, 3)), "f64")], attrs=["axis int 2"],
          result_type=("f64", 1), error="axis 2 is out of range for a rank-2 operand")

    # softmax: SciPy's exp(x - max) / sum; the default axis is the last
    for dt in FLOATS:
        for shape, axes in (((6,), [None, 0]), ((3, 4), [None, 0, 1]), ((2, 3, 4), [None, 0, 1, 2])):
            x = sample(dt, shape)
            for axis in axes:
                a = -1 if axis is None else axis
                y = scipy.special.softmax(x, axis=a).astype(DTYPES[dt])
                attrs = [] if axis is None else [f"axis int {axis}"]
                label = "default" if axis is None else f"axis{axis}"
                c.add(f"t.softmax_{dt}_{'x'.join(map(str, shape))}_{label}", "t.softmax",
                      [(x, dt)], attrs=attrs, out=(y, dt), tol="ulp 8")
        big = cast([[1000.0, 999.0, -1000.0], [-5.0, np.nan, 1.0], [1e-3, 2e-3, 3e-3]], dt)
        c.add(f"t.softmax_{dt}_stable", "t.softmax", [(big, dt)],
              out=(scipy.special.softmax(big, axis=-1).astype(DTYPES[dt]), dt), tol="ulp 8")


# ---- linear algebra ----


def random_sparse(m, n, density, dt):
    mask = rng.random((m, n)) < density
    vals = sample(dt, (m, n), -9, 10)
    if dt in INTS:
        vals[vals == 0] = 1
    return np.where(mask, vals, 0).astype(DTYPES[dt])


def linalg(c):
    for dt in NUMERIC:
        tol = {"f32": "close 1e-5 1e-5", "f64": "close 1e-12 1e-12"}.get(dt, "exact")
        lo, hi = -100, 100
        A = sample(dt, (4, 5), lo, hi)
        B = sample(dt, (5, 3), lo, hi)
        x5 = sample(dt, (5,), lo, hi)
        x4 = sample(dt, (4,), lo, hi)
        c.add(f"t.matmul_{dt}", "t.matmul", [(A, dt), (B, dt)], out=(A @ B, dt), tol=tol)
        c.add(f"t.matmul_{dt}_ta", "t.matmul", [(A.T.copy(), dt), (B, dt)],
              attrs=["transpose_a bool 1"], out=(A @ B, dt), tol=tol)
        c.add(f"t.matmul_{dt}_tb", "t.matmul", [(A, dt), (B.T.copy(), dt)],
              attrs=["transpose_b bool 1"], out=(A @ B, dt), tol=tol)
        c.add(f"t.matmul_{dt}_tab", "t.matmul", [(A.T.copy(), dt), (B.T.copy(), dt)],
              attrs=["transpose_a bool 1", "transpose_b bool 1"], out=(A @ B, dt), tol=tol)
        c.add(f"t.matvec_{dt}", "t.matvec", [(A, dt), (x5, dt)], out=(A @ x5, dt), tol=tol)
        c.add(f"t.matvec_{dt}_ta", "t.matvec", [(A, dt), (x4, dt)], attrs=["transpose_a bool 1"],
              out=(A.T @ x4, dt), tol=tol)
        c.add(f"t.vecmat_{dt}", "t.vecmat", [(x4, dt), (A, dt)], out=(x4 @ A, dt), tol=tol)
        c.add(f"t.vecmat_{dt}_tb", "t.vecmat", [(x5, dt), (A, dt)], attrs=["transpose_b bool 1"],
              out=(x5 @ A.T, dt), tol=tol)
        c.add(f"t.dot_{dt}", "t.dot", [(x5, dt), (B[:, 0].copy(), dt)],
              out=(np.dot(x5, B[:, 0]), dt), tol=tol)
        # matmul shapes that reduce to gemv / dot inside
        c.add(f"t.matmul_{dt}_column", "t.matmul", [(A, dt), (B[:, :1].copy(), dt)],
              out=(A @ B[:, :1], dt), tol=tol)
        c.add(f"t.matmul_{dt}_row", "t.matmul", [(A[:1].copy(), dt), (B, dt)],
              out=(A[:1] @ B, dt), tol=tol)
        c.add(f"t.matmul_{dt}_row_tb", "t.matmul", [(A[:1].copy(), dt), (B.T.copy(), dt)],
              attrs=["transpose_b bool 1"], out=(A[:1] @ B, dt), tol=tol)
        c.add(f"t.matmul_{dt}_column_ta", "t.matmul", [(A.T.copy(), dt), (B[:, :1].copy(), dt)],
              attrs=["transpose_a bool 1"], out=(A @ B[:, :1], dt), tol=tol)
        # empty inner dimension: zeros
        c.add(f"t.matmul_{dt}_k0", "t.matmul",
              [(np.zeros((2, 0), DTYPES[dt]), dt), (np.zeros((0, 3), DTYPES[dt]), dt)],
              out=(np.zeros((2, 3), DTYPES[dt]), dt))
        # csr on the left
        S = random_sparse(6, 5, 0.4, dt)
        S[2, :] = 0  # an empty row
        y5 = sample(dt, (5,), lo, hi)
        y6 = sample(dt, (6,), lo, hi)
        D = sample(dt, (5, 3), lo, hi)
        E = sample(dt, (6, 3), lo, hi)
        sp = scipy.sparse.csr_matrix(S)
        ctol = {"f32": "ulp 2", "f64": "ulp 2"}.get(dt, "exact")
        c.add(f"t.matvec_{dt}_csr", "t.matvec", [("csr", S, dt), (y5, dt)],
              out=(np.asarray(sp @ y5).astype(DTYPES[dt]), dt), tol=ctol)
        c.add(f"t.matvec_{dt}_csr_ta", "t.matvec", [("csr", S, dt), (y6, dt)],
              attrs=["transpose_a bool 1"], out=(np.asarray(sp.T @ y6).astype(DTYPES[dt]), dt),
              tol=ctol)
        c.add(f"t.matmul_{dt}_csr", "t.matmul", [("csr", S, dt), (D, dt)],
              out=(np.asarray(sp @ D).astype(DTYPES[dt]), dt), tol=ctol)
        c.add(f"t.matmul_{dt}_csr_ta", "t.matmul", [("csr", S, dt), (E, dt)],
              attrs=["transpose_a bool 1"], out=(np.asarray(sp.T @ E).astype(DTYPES[dt]), dt),
              tol=ctol)
        c.add(f"t.matmul_{dt}_csr_tb", "t.matmul", [("csr", S, dt), (D.T.copy(), dt)],
              attrs=["transpose_b bool 1"], out=(np.asarray(sp @ D).astype(DTYPES[dt]), dt),
              tol=ctol)
        c.add(f"t.matmul_{dt}_csr_tab", "t.matmul", [("csr", S, dt), (E.T.copy(), dt)],
              attrs=["transpose_a bool 1", "transpose_b bool 1"],
              out=(np.asarray(sp.T @ E).astype(DTYPES[dt]), dt), tol=ctol)
        # csr results against the dense product of the same matrix
        c.add(f"t.matvec_{dt}_csr_vs_dense", "t.matvec", [("csr", S, dt), (y5, dt)],
              out=(S @ y5, dt), tol=tol)
        # transposes
        c.add(f"t.transpose_{dt}", "t.transpose", [(A, dt)], out=(A.T, dt))
        big = sample(dt, (37, 70), lo, hi)
        c.add(f"t.transpose_{dt}_tiles", "t.transpose", [(big, dt)], out=(big.T, dt))
        c.add(f"t.transpose_{dt}_csr", "t.transpose", [("csr", S, dt)], out=("csr", S.T, dt))
    b = np.array([[True, False, True], [False, False, True]])
    c.add("t.transpose_bool", "t.transpose", [(b, "bool")], out=(b.T, "bool"))
    # shape errors
    A = sample("f64", (4, 5))
    c.add("t.matmul_f64_mismatch", "t.matmul", [(A, "f64"), (sample("f64", (4, 2)), "f64")],
          result_type=("f64", 2), error="do not agree (5 != 4)")
    c.add("t.matvec_f64_mismatch_ta", "t.matvec", [(A, "f64"), (sample("f64", (5,)), "f64")],
          attrs=["transpose_a bool 1"], result_type=("f64", 1),
          error="f64[4, 5] (transposed) and f64[5] do not agree (4 != 5)")
    c.add("t.dot_f64_mismatch", "t.dot", [(sample("f64", (3,)), "f64"), (sample("f64", (4,)), "f64")],
          result_type=("f64", 0), error="do not agree")


# ---- indexing ----


def indexing(c):
    for dt in DTYPES:
        x = sample(dt, (3, 4, 5))
        c.add(f"t.index_{dt}", "t.index", [(x, dt), (2, "i64"), (1, "i64"), (4, "i64")],
              out=(x[2, 1, 4], dt))
    x = sample("f64", (10,))
    c.add("t.index_f64_out_of_range", "t.index", [(x, "f64"), (10, "i64")], result_type=("f64", 0),
          error="index 10 is out of range for dimension 0 of size 10")
    c.add("t.index_f64_negative", "t.index", [(x, "f64"), (-1, "i64")], result_type=("f64", 0),
          error="index -1 is out of range for dimension 0 of size 10")
    X = sample("f64", (3, 4))
    c.add("t.index_f64_dim1", "t.index", [(X, "f64"), (1, "i64"), (4, "i64")],
          result_type=("f64", 0), error="index 4 is out of range for dimension 1 of size 4")

    # slices: (positions, operand values, numpy index)
    X = sample("f32", (5, 6))
    T = sample("i64", (2, 3, 4))
    slices = [
        ("row", X, ["i", ":"], [2], (2, slice(None))),
        ("column", X, [":", "i"], [3], (slice(None), 3)),
        ("range", X, ["a..b", ":"], [1, 4], (slice(1, 4), slice(None))),
        ("from", X, [":", "a.."], [2], (slice(None), slice(2, None))),
        ("to", X, ["..b", "i"], [3, 5], (slice(None, 3), 5)),
        ("block", X, ["a..b", "a..b"], [1, 3, 2, 5], (slice(1, 3), slice(2, 5))),
        ("empty", X, ["a..b", ":"], [2, 2], (slice(2, 2), slice(None))),
        # bounds past the end clamp, a reversed range is empty (NumPy, docs/language.md)
        ("past_end", X, ["a..b", ":"], [3, 7], (slice(3, 7), slice(None))),
        ("reversed", X, ["a..b", ":"], [3, 2], (slice(3, 2), slice(None))),
        ("whole", X, [":", ":"], [], (slice(None), slice(None))),
        ("implicit", X, ["i"], [4], (4,)),
        ("rank3_mid", T, [":", "i", ":"], [1], (slice(None), 1, slice(None))),
        ("rank3_last", T, ["i", "a..b", "i"], [1, 0, 2, 3], (1, slice(0, 2), 3)),
        ("element", T, ["i", "i", "i"], [1, 2, 3], (1, 2, 3)),
    ]
    for label, arr, pos, vals, npidx in slices:
        dt = name_of(arr.dtype)
        c.add(f"t.slice_{label}", "t.slice", [(arr, dt)] + [(v, "i64") for v in vals],
              attrs=["index strings " + " ".join(pos)], out=(arr[npidx], dt))
    c.add("t.slice_negative_start", "t.slice", [(X, "f32"), (-1, "i64"), (2, "i64")],
          attrs=["index strings a..b :"], result_type=("f32", 2),
          error="slice -1..2 of dimension 0 starts below 0")
    c.add("t.slice_index_out_of_range", "t.slice", [(X, "f32"), (6, "i64")],
          attrs=["index strings : i"], result_type=("f32", 1),
          error="index 6 is out of range for dimension 1 of size 6")

    # gather
    x = sample("f64", (6,))
    idx = np.array([5, 0, 0, 3], dtype=np.int64)
    c.add("t.gather_vector", "t.gather", [(x, "f64"), (idx, "i64")], attrs=["axis int 0"],
          out=(x[idx], "f64"))
    X = sample("i32", (4, 5))
    idx2 = np.array([[3, 1], [0, 3], [2, 2]], dtype=np.int64)
    c.add("t.gather_rows_2d_index", "t.gather", [(X, "i32"), (idx2, "i64")],
          attrs=["axis int 0"], out=(X[idx2], "i32"))
    idx3 = np.array([4, 0, 2], dtype=np.int32)
    c.add("t.gather_columns_i32_index", "t.gather", [(X, "i32"), (idx3, "i32")],
          attrs=["axis int 1"], out=(X[:, idx3], "i32"))
    T = sample("f32", (2, 3, 4))
    c.add("t.gather_rank3_axis1", "t.gather", [(T, "f32"), (np.array([2, 0], np.int64), "i64")],
          attrs=["axis int 1"], out=(T[:, [2, 0], :], "f32"))
    c.add("t.gather_out_of_range", "t.gather", [(x, "f64"), (np.array([1, 6], np.int64), "i64")],
          attrs=["axis int 0"], result_type=("f64", 1),
          error="index 6 is out of range for dimension 0 of size 6")

    # reshape
    x = sample("f64", (2, 6))
    for label, sizes in (("3x4", (3, 4)), ("infer", (4, -1)), ("column", (12, 1)),
                         ("flat", (-1,)), ("rank4", (1, 2, 3, 2))):
        out = x.reshape(sizes)
        c.add(f"t.reshape_{label}", "t.reshape", [(x, "f64")] + [(s, "i64") for s in sizes],
              out=(out, "f64"))
    c.add("t.reshape_mismatch", "t.reshape", [(x, "f64"), (5, "i64"), (2, "i64")],
          result_type=("f64", 2), error="cannot reshape f64[2, 6] (12 elements) into (5, 2)")
    c.add("t.reshape_bad_infer", "t.reshape", [(x, "f64"), (5, "i64"), (-1, "i64")],
          result_type=("f64", 2), error="cannot reshape f64[2, 6] (12 elements) into (5, -1)")

    # shape queries
    X = sample("f64", (3, 7))
    c.add("t.rows", "t.rows", [(X, "f64")], out=(np.int64(3), "i64"))
    c.add("t.cols", "t.cols", [(X, "f64")], out=(np.int64(7), "i64"))
    c.add("t.len", "t.len", [(sample("i32", (9,)), "i32")], out=(np.int64(9), "i64"))
    S = random_sparse(5, 4, 0.5, "f64")
    c.add("t.nnz", "t.nnz", [("csr", S, "f64")], out=(np.int64(np.count_nonzero(S)), "i64"))
    c.add("t.rows_csr", "t.rows", [("csr", S, "f64")], out=(np.int64(5), "i64"))
    c.add("t.cols_csr", "t.cols", [("csr", S, "f64")], out=(np.int64(4), "i64"))


# ---- constructors ----


def constructors(c):
    for dt in NUMERIC + ["bool"]:
        c.add(f"t.zeros_{dt}", "t.zeros", [(2, "i64"), (3, "i64")],
              out=(np.zeros((2, 3), DTYPES[dt]), dt))
        c.add(f"t.ones_{dt}", "t.ones", [(4, "i64")], out=(np.ones((4,), DTYPES[dt]), dt))
        c.add(f"t.eye_{dt}", "t.eye", [(3, "i64")], out=(np.eye(3, dtype=DTYPES[dt]), dt))
    for dt in NUMERIC:
        v = cast(2.5 if dt in FLOATS else -7, dt)
        c.add(f"t.full_{dt}", "t.full", [(v, dt), (2, "i64"), (1, "i64"), (3, "i64")],
              out=(np.full((2, 1, 3), v, DTYPES[dt]), dt))
        c.add(f"t.arange_{dt}", "t.arange", [(5, "i64")], out=(np.arange(5).astype(DTYPES[dt]), dt))
        c.add(f"t.arange_{dt}_bounds", "t.arange", [(-3, "i64"), (4, "i64")],
              out=(np.arange(-3, 4).astype(DTYPES[dt]), dt))
    c.add("t.arange_i64_empty", "t.arange", [(4, "i64"), (2, "i64")],
          out=(np.arange(4, 2), "i64"))
    c.add("t.zeros_f64_empty", "t.zeros", [(0, "i64"), (3, "i64")],
          out=(np.zeros((0, 3)), "f64"))
    c.add("t.zeros_f64_negative", "t.zeros", [(2, "i64"), (-3, "i64")], result_type=("f64", 2),
          error="size -3 of dimension 1 is negative")
    c.add("t.randint_i64_empty_range", "t.randint", [(4, "i64"), (5, "i64"), (5, "i64"),
                                                     (1, "i64")],
          result_type=("i64", 1), error="the range 5..5 is empty")


# ---- random: Philox4x64-10 blocks and the values made from them ----

STREAM = {"normal": 1, "uniform": 2, "int": 3}
MASK64 = (1 << 64) - 1


def philox_block(seed, stream, k):
    """numpy.random.Philox increments its counter before each block, so start one below."""
    below = [k - 1, 0, 0, 0] if k > 0 else [MASK64] * 4  # k = 0: the counter wraps to 0
    g = np.random.Philox(key=np.array([seed, stream], dtype=np.uint64),
                         counter=np.array(below, dtype=np.uint64))
    w = g.random_raw(4)
    return [int(v) for v in w]


def uniform_of(w0):
    return float(w0 >> 11) * 2.0**-53


def normal_of(w):
    u1 = 1.0 - uniform_of(w[0])
    u2 = uniform_of(w[1])
    return float(np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2))


def randint_of(w, lo, hi):
    rng_ = (hi - lo) & MASK64
    threshold = ((1 << 64) - rng_) % rng_
    offset = 0
    for word in w:
        m = word * rng_
        offset = m >> 64
        if (m & MASK64) >= threshold:
            break
    v = (lo + offset) & MASK64
    return v - (1 << 64) if v >= 1 << 63 else v


def random_values(lines):
    """Raw blocks, and the uniform, normal and integer values of elements of seeded streams:
    `philox SEED STREAM K : W0 W1 W2 W3`, `uniform SEED K : V`, `normal SEED K : V`,
    `randint SEED K LO HI : V`."""
    seeds = [0, 1, 42, 2**63 + 12345, MASK64]
    for seed in seeds:
        for k in (0, 1, 2, 1000, 2**40 + 3):
            for stream in (0, 1, 2, 3):
                w = philox_block(seed, stream, k)
                lines.append(f"philox {seed} {stream} {k} : " + " ".join(str(v) for v in w))
    for seed in (7, 2**63 + 5):
        for k in range(12):
            lines.append(f"uniform {seed} {k} : {uniform_of(philox_block(seed, STREAM['uniform'], k)[0])!r}")
            lines.append(f"normal {seed} {k} : {normal_of(philox_block(seed, STREAM['normal'], k))!r}")
            for lo, hi in ((0, 10), (-5, 5), (-(2**63), 2**63 - 1), (3, 4), (-(2**31), 2**31)):
                v = randint_of(philox_block(seed, STREAM["int"], k), lo, hi)
                lines.append(f"randint {seed} {k} {lo} {hi} : {v}")


def main():
    if not sys.executable.startswith("/usr/bin/"):
        print("note: run with Debian's /usr/bin/python3 (numpy 1.24, scipy 1.10)", file=sys.stderr)
    for filename, fill in (("elementwise.txt", elementwise), ("reductions.txt", reductions),
                           ("linalg.txt", linalg), ("indexing.txt", indexing),
                           ("constructors.txt", constructors)):
        c = Cases(filename)
        fill(c)
        c.write()
    lines = []
    random_values(lines)
    path = os.path.join(OUT_DIR, "random.txt")
    with open(path, "w") as f:
        f.write("# random.txt: generated by tests/reference/eval_cases.py; do not edit\n")
        f.write("\n".join(lines) + "\n")
    print(f"{path}: {len(lines)} values")


if __name__ == "__main__":
    main()
