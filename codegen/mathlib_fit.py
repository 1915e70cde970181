#!/usr/bin/python3
"""mathlib_fit.py: derives the polynomial coefficients and constants used by codegen/mathlib.c.

Run once with Debian's Python (it needs mpmath): /usr/bin/python3 codegen/mathlib_fit.py
It prints the C tables that mathlib.c holds, and the worst relative error of each polynomial
(after rounding its coefficients to the target precision) in units of the last place.

The fits are weighted least squares at 60 digits on 400 Chebyshev nodes, weighted so that the
error minimised is the error of the final result (near-minimax; the sampled maximum is printed).

  exp:  e^r - 1 = r + r^2/2 + r^3 Q(r)  on |r| <= ln2/2 (+0.2% for the rounding of n)
  log:  log((1+s)/(1-s)) = 2s + s z P(z),  z = s^2,  s = f/(2+f),  1+f in [sqrt(1/2), sqrt(2))
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 60
NODES = 400


def weighted_fit(f, weight, lo, hi, degree):
    """Coefficients c0..cdegree minimising sum (weight(x) (f(x) - p(x)))^2 on Chebyshev nodes."""
    xs = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / NODES)
          for k in range(NODES)]
    a = mp.matrix(NODES, degree + 1)
    y = mp.matrix(NODES, 1)
    for i, x in enumerate(xs):
        w = weight(x)
        for j in range(degree + 1):
            a[i, j] = w * x**j
        y[i] = w * f(x)
    c, _ = mp.qr_solve(a, y)
    return [c[j] for j in range(degree + 1)]


def horner(c, x):
    acc = mp.mpf(0)
    for coefficient in reversed(c):
        acc = acc * x + coefficient
    return acc


def expm1_q(r):
    if r == 0:
        return mp.mpf(1) / 6
    return (mp.expm1(r) - r - r * r / 2) / r**3


def log_p(z):
    if z == 0:
        return mp.mpf(2) / 3
    s = mp.sqrt(z)
    return (mp.log((1 + s) / (1 - s)) - 2 * s) / (s * z)


def rounded(c, dtype):
    return [mp.mpf(float(dtype(float(x)))) for x in c]


def c_literal(x, dtype):
    if dtype == np.float32:
        return '%.9gf' % float(np.float32(float(x)))
    return '%.17g' % float(x)


def show(name, c, dtype):
    print('static const %s %s[%d] = {%s};' % (
        'float' if dtype == np.float32 else 'double', name, len(c),
        ', '.join(c_literal(x, dtype) for x in c)))


def ulp(dtype):
    return 2.0**-24 if dtype == np.float32 else 2.0**-53


def main():
    r_max = mp.log(2) / 2 * mp.mpf('1.002')
    z_max = ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1))**2 * mp.mpf('1.001')
    for dtype, suffix, exp_degree, log_degree in ((np.float32, 'f32', 3, 3),
                                                  (np.float64, 'f64', 8, 6)):
        q = rounded(weighted_fit(expm1_q, lambda r: abs(r)**3 / mp.exp(r), -r_max, r_max,
                                 exp_degree), dtype)
        err = max(abs(1 + r + r * r / 2 + r**3 * horner(q, r) - mp.exp(r)) / mp.exp(r)
                  for r in mp.linspace(-r_max, r_max, 4001))
        print('/* exp: worst relative error %.3g ulp */' % float(err / ulp(dtype)))
        show('exp_q_' + suffix, q, dtype)
        p = rounded(weighted_fit(log_p, lambda z: z / 2, mp.mpf(0), z_max, log_degree), dtype)
        err = max(abs(z * (horner(p, z) - log_p(z))) / 2
                  for z in mp.linspace(z_max / 5000, z_max, 4001))
        print('/* log: worst relative error %.3g ulp */' % float(err / ulp(dtype)))
        show('log_p_' + suffix, p, dtype)
        # ln2 split so that n * hi is exact for |n| < 2^8 (f32) or 2^11 (f64).
        bits = 16 if dtype == np.float32 else 42
        hi = mp.floor(mp.log(2) * 2**bits + mp.mpf(1) / 2) / 2**bits
        lo = mp.log(2) - hi
        print('/* ln2 = hi + lo, hi with %d significant bits */' % bits)
        print('ln2_hi_%s = %s, ln2_lo_%s = %s, log2e_%s = %s' % (
            suffix, c_literal(hi, dtype), suffix, c_literal(lo, dtype), suffix,
            c_literal(1 / mp.log(2), dtype)))


if __name__ == '__main__':
    main()
