/* mathlib.c: exp, log, log1p, tanh and sigmoid as straight-line IR in float or double.
 *
 * Calls to libm (expf, logf, ...) keep the loop vectoriser from widening a loop; these are plain
 * arithmetic, compares, selects and bit operations, so a kernel's inner loop vectorises whole.
 * The algorithms are the classic ones (Cody-Waite reduction by ln2, a polynomial on the reduced
 * argument, the exponent put back with integer bit operations; log's s = f / (2 + f) form).
 * Coefficients come from codegen/mathlib_fit.py (weighted least squares at 60 digits; their own
 * error is below 0.07 ulp). Polynomials use llvm.fmuladd, which the backend fuses where the CPU
 * has FMA, so the last bit may differ between CPUs.
 *
 * Accuracy against glibc 2.36, measured for znver3 (FMA) and x86-64-v2 (no FMA) alike, over
 * every 13th f32 bit pattern (330M values: all signs and exponents, nan, ±inf, ±0, subnormals)
 * and 33M random f64 bit patterns and moderate values: exp and log within 1 ulp; log1p and
 * sigmoid within 2; tanh within 3 (the division of two rounded terms for |x| < 1).
 * tests/unit/test_jit.c checks 4 ulp on every run.
 *
 * Only the dtype's own precision is used: f32 math in float, f64 math in double. */
#include "codegen/cg.h"

#include <math.h>

/* ---- constants (codegen/mathlib_fit.py prints them) ---- */

/* e^r - 1 = r + r^2/2 + r^3 Q(r), |r| <= ln2/2 */
static const double exp_q_f32[4] = {0.166665182f, 0.0416668504f, 0.00836903229f, 0.00138992257f};
static const double exp_q_f64[9] = {
    0.16666666666666236,    0.041666666666600925,   0.0083333333336158139,
    0.0013888888927983511,  0.00019841269233914673, 2.4801507215285511e-05,
    2.7557835376754984e-06, 2.7625766111902676e-07, 2.4920201713403761e-08};
/* log((1+s)/(1-s)) = 2s + s z P(z), z = s^2 <= 0.0295 */
static const double log_p_f32[4] = {0.666666627f, 0.400003403f, 0.28537038f, 0.235868245f};
static const double log_p_f64[7] = {0.66666666666667374, 0.39999999999401431, 0.28571428745022687,
                                    0.2222219832138817,  0.18183576818238981, 0.15313740438192908,
                                    0.14798994301953908};

/* What the algorithms need to know about one float type. */
typedef struct {
    LLVMTypeRef type, int_type;
    int mantissa_bits; /* 23, 52 */
    int bias;          /* 127, 1023 */
    double ln2_hi, ln2_lo, log2e;
    double shifter; /* 1.5 * 2^mantissa_bits: adding it rounds to an integer held in low bits */
    double exp_lo, exp_hi; /* exp is 0 below exp_lo and inf above exp_hi (clamped there) */
    double expm1_lo;       /* e^expm1_lo - 1 == -1 in this precision */
    double tiny;           /* smallest normal */
    int tiny_shift;        /* subnormals are scaled by 2^tiny_shift before log */
    const double *exp_q, *log_p;
    int exp_q_len, log_p_len;
    uint64_t one_bits, sqrt_half_bits; /* bit patterns of 1.0 and of sqrt(1/2) rounded */
} FloatInfo;

/* The constants of float (f32) or double (f64). */
static FloatInfo float_info(CgModule *cm, LLVMTypeRef type)
{
    if (type == cm->f32)
        return (FloatInfo){
            .type = cm->f32,
            .int_type = cm->i32,
            .mantissa_bits = 23,
            .bias = 127,
            .ln2_hi = 0.693145752f,
            .ln2_lo = 1.42860677e-06f,
            .log2e = 1.44269502f,
            .shifter = 12582912.0,
            .exp_lo = -104.0,
            .exp_hi = 89.0,
            .expm1_lo = -40.0,
            .tiny = 0x1p-126,
            .tiny_shift = 25,
            .exp_q = exp_q_f32,
            .exp_q_len = 4,
            .log_p = log_p_f32,
            .log_p_len = 4,
            .one_bits = 0x3f800000,
            .sqrt_half_bits = 0x3f3504f3,
        };
    return (FloatInfo){
        .type = cm->f64,
        .int_type = cm->i64,
        .mantissa_bits = 52,
        .bias = 1023,
        .ln2_hi = 0.69314718055989033,
        .ln2_lo = 5.4979230187083712e-14,
        .log2e = 1.4426950408889634,
        .shifter = 6755399441055744.0,
        .exp_lo = -746.0,
        .exp_hi = 710.0,
        .expm1_lo = -80.0,
        .tiny = 0x1p-1022,
        .tiny_shift = 54,
        .exp_q = exp_q_f64,
        .exp_q_len = 9,
        .log_p = log_p_f64,
        .log_p_len = 7,
        .one_bits = 0x3ff0000000000000,
        .sqrt_half_bits = 0x3fe6a09e667f3bcd,
    };
}

/* ---- building blocks ---- */

/* A constant of the float type. */
static LLVMValueRef k(const FloatInfo *f, double v)
{
    return LLVMConstReal(f->type, v);
}

/* A constant of the integer type as wide as the float type. */
static LLVMValueRef ik(const FloatInfo *f, long long v)
{
    return LLVMConstInt(f->int_type, (unsigned long long)v, true);
}

/* a + b, plain IEEE (no fast-math flags: nothing is contracted or reassociated). */
static LLVMValueRef fadd(CgModule *cm, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFAdd(cm->b, a, b, "");
}

/* a - b */
static LLVMValueRef fsub(CgModule *cm, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFSub(cm->b, a, b, "");
}

/* a * b */
static LLVMValueRef fmul(CgModule *cm, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFMul(cm->b, a, b, "");
}

/* a * b + c, fused where the target has FMA. */
static LLVMValueRef fmuladd(CgModule *cm, const FloatInfo *f, LLVMValueRef a, LLVMValueRef b,
                            LLVMValueRef c)
{
    LLVMValueRef args[] = {a, b, c};
    return cg_call_intrinsic(cm, "llvm.fmuladd", f->type, args, 3);
}

/* c[0] + x (c[1] + x (c[2] + ...)) */
static LLVMValueRef horner(CgModule *cm, const FloatInfo *f, LLVMValueRef x, const double *c, int n)
{
    LLVMValueRef p = k(f, c[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        p = fmuladd(cm, f, p, x, k(f, c[i]));
    return p;
}

/* A float comparison. */
static LLVMValueRef fcmp(CgModule *cm, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildFCmp(cm->b, p, a, b, "");
}

/* c ? a : b. */
static LLVMValueRef select(CgModule *cm, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b)
{
    return LLVMBuildSelect(cm->b, c, a, b, "");
}

/* The bits of a float as an integer. */
static LLVMValueRef bits_of(CgModule *cm, const FloatInfo *f, LLVMValueRef x)
{
    return LLVMBuildBitCast(cm->b, x, f->int_type, "");
}

/* The float whose bits are an integer. */
static LLVMValueRef float_of(CgModule *cm, const FloatInfo *f, LLVMValueRef bits)
{
    return LLVMBuildBitCast(cm->b, bits, f->type, "");
}

/* 2^n for an integer n in the normal exponent range. */
static LLVMValueRef pow2(CgModule *cm, const FloatInfo *f, LLVMValueRef n)
{
    LLVMValueRef biased = LLVMBuildAdd(cm->b, n, ik(f, f->bias), "");
    return float_of(cm, f, LLVMBuildShl(cm->b, biased, ik(f, f->mantissa_bits), ""));
}

/* A small whole-valued integer as a float (through i32: vector i64 -> f64 needs AVX-512DQ). */
static LLVMValueRef small_int_to_float(CgModule *cm, const FloatInfo *f, LLVMValueRef n)
{
    if (f->int_type != cm->i32)
        n = LLVMBuildTrunc(cm->b, n, cm->i32, "");
    return LLVMBuildSIToFP(cm->b, n, f->type, "");
}

/* Splits y (finite, |y| < 1100) as e^y = 2^n (1 + pm1): sets *n (integer) and returns pm1, with
 * |r| <= ln2/2 for the reduced argument r = y - n ln2. */
static LLVMValueRef exp_reduce(CgModule *cm, const FloatInfo *f, LLVMValueRef y, LLVMValueRef *n)
{
    LLVMValueRef shifted = fmuladd(cm, f, y, k(f, f->log2e), k(f, f->shifter));
    LLVMValueRef kf = fsub(cm, shifted, k(f, f->shifter));
    *n = LLVMBuildSub(cm->b, bits_of(cm, f, shifted), bits_of(cm, f, k(f, f->shifter)), "n");
    LLVMValueRef r = fmuladd(cm, f, kf, k(f, -f->ln2_hi), y);
    r = fmuladd(cm, f, kf, k(f, -f->ln2_lo), r);
    LLVMValueRef q = horner(cm, f, r, f->exp_q, f->exp_q_len);
    LLVMValueRef p = fmuladd(cm, f, r, q, k(f, 0.5));
    return fmuladd(cm, f, fmul(cm, r, r), p, r);
}

/* x, or nan's own bits when x is nan. */
static LLVMValueRef keep_nan(CgModule *cm, LLVMValueRef x, LLVMValueRef result)
{
    return select(cm, fcmp(cm, LLVMRealUNO, x, x), x, result);
}

/* ---- the functions ---- */

/* e^x = (1 + pm1) 2^n1 2^n2 with n = n1 + n2: two scalings so that 2^n1 and 2^n2 stay normal
 * down to the subnormal results, which then round once. */
LLVMValueRef cg_math_exp(CgModule *cm, LLVMValueRef x)
{
    FloatInfo f = float_info(cm, LLVMTypeOf(x));
    /* clamp (nan goes to the low end; it is put back at the end) */
    LLVMValueRef y = select(cm, fcmp(cm, LLVMRealULT, x, k(&f, f.exp_lo)), k(&f, f.exp_lo), x);
    y = select(cm, fcmp(cm, LLVMRealOGT, y, k(&f, f.exp_hi)), k(&f, f.exp_hi), y);
    LLVMValueRef n;
    LLVMValueRef pm1 = exp_reduce(cm, &f, y, &n);
    LLVMValueRef n1 = LLVMBuildAShr(cm->b, n, ik(&f, 1), "");
    LLVMValueRef n2 = LLVMBuildSub(cm->b, n, n1, "");
    LLVMValueRef e = fadd(cm, k(&f, 1.0), pm1);
    e = fmul(cm, fmul(cm, e, pow2(cm, &f, n1)), pow2(cm, &f, n2));
    return keep_nan(cm, x, e);
}

/* The exponent and mantissa of a positive normal u: u = 2^*kf * (1 + f) with 1 + f in
 * [sqrt(1/2), sqrt(2)); returns f, sets *kf (a float) and *k_int. */
static LLVMValueRef log_reduce(CgModule *cm, const FloatInfo *f, LLVMValueRef u, LLVMValueRef *kf,
                               LLVMValueRef *k_int)
{
    LLVMValueRef ix = LLVMBuildAdd(cm->b, bits_of(cm, f, u),
                                   ik(f, (long long)(f->one_bits - f->sqrt_half_bits)), "");
    LLVMValueRef e = LLVMBuildAShr(cm->b, ix, ik(f, f->mantissa_bits), "");
    *k_int = LLVMBuildSub(cm->b, e, ik(f, f->bias), "");
    LLVMValueRef mantissa = LLVMBuildAnd(cm->b, ix, ik(f, (1LL << f->mantissa_bits) - 1), "");
    mantissa = LLVMBuildAdd(cm->b, mantissa, ik(f, (long long)f->sqrt_half_bits), "");
    *kf = small_int_to_float(cm, f, *k_int);
    return fsub(cm, float_of(cm, f, mantissa), k(f, 1.0));
}

/* log(1 + fr) + kf ln2 + c, for fr from log_reduce: fdlibm's arrangement
 * kf ln2_hi + (fr - (hfsq - (s (hfsq + R) + (kf ln2_lo + c)))) with s = fr / (2 + fr). */
static LLVMValueRef log_combine(CgModule *cm, const FloatInfo *f, LLVMValueRef fr, LLVMValueRef kf,
                                LLVMValueRef c)
{
    LLVMValueRef s = LLVMBuildFDiv(cm->b, fr, fadd(cm, k(f, 2.0), fr), "s");
    LLVMValueRef z = fmul(cm, s, s);
    LLVMValueRef big_r = fmul(cm, z, horner(cm, f, z, f->log_p, f->log_p_len));
    LLVMValueRef hfsq = fmul(cm, fmul(cm, k(f, 0.5), fr), fr);
    LLVMValueRef low = fmuladd(cm, f, kf, k(f, f->ln2_lo), c);
    LLVMValueRef t = fmuladd(cm, f, s, fadd(cm, hfsq, big_r), low);
    LLVMValueRef r = fadd(cm, fsub(cm, fr, fsub(cm, hfsq, t)), fmul(cm, kf, k(f, f->ln2_hi)));
    return r;
}

/* The special cases of log and log1p: at the pole (-inf), below it (nan), +inf and nan. */
static LLVMValueRef log_specials(CgModule *cm, const FloatInfo *f, LLVMValueRef x,
                                 LLVMValueRef pole, LLVMValueRef r)
{
    LLVMValueRef inf = k(f, INFINITY);
    r = select(cm, fcmp(cm, LLVMRealOEQ, x, inf), inf, r);
    r = select(cm, fcmp(cm, LLVMRealOEQ, x, pole), k(f, -INFINITY), r);
    r = select(cm, fcmp(cm, LLVMRealOLT, x, pole), k(f, NAN), r);
    return keep_nan(cm, x, r);
}

/* log(x) = k ln2 + log(1 + f) after log_reduce; subnormals are scaled to normal first. */
LLVMValueRef cg_math_log(CgModule *cm, LLVMValueRef x)
{
    FloatInfo f = float_info(cm, LLVMTypeOf(x));
    /* subnormals: scale up to normal, and take the scale off the exponent */
    LLVMValueRef sub = fcmp(cm, LLVMRealOLT, x, k(&f, f.tiny));
    LLVMValueRef u = select(cm, sub, fmul(cm, x, k(&f, ldexp(1.0, f.tiny_shift))), x);
    LLVMValueRef kf, k_int;
    LLVMValueRef fr = log_reduce(cm, &f, u, &kf, &k_int);
    kf = fsub(cm, kf, select(cm, sub, k(&f, f.tiny_shift), k(&f, 0)));
    LLVMValueRef r = log_combine(cm, &f, fr, kf, k(&f, 0));
    return log_specials(cm, &f, x, k(&f, 0), r);
}

/* log1p(x) = log(u) + c with u = 1 + x rounded and c = ((1 + x) - u) / u its correction. */
LLVMValueRef cg_math_log1p(CgModule *cm, LLVMValueRef x)
{
    FloatInfo f = float_info(cm, LLVMTypeOf(x));
    LLVMValueRef one = k(&f, 1.0);
    LLVMValueRef u = fadd(cm, one, x);
    LLVMValueRef kf, k_int;
    LLVMValueRef fr = log_reduce(cm, &f, u, &kf, &k_int);
    /* the rounding error of 1 + x, computed exactly in the form that is exact for that range */
    LLVMValueRef big = LLVMBuildICmp(cm->b, LLVMIntSGT, k_int, ik(&f, 0), "");
    LLVMValueRef c = select(cm, big, fsub(cm, one, fsub(cm, u, x)), fsub(cm, x, fsub(cm, u, one)));
    c = LLVMBuildFDiv(cm->b, c, u, "");
    LLVMValueRef r = log_combine(cm, &f, fr, kf, c);
    r = select(cm, fcmp(cm, LLVMRealOEQ, x, k(&f, 0)), x, r); /* log1p(-0) = -0 */
    return log_specials(cm, &f, x, k(&f, -1.0), r);
}

/* tanh(|x|) = -m / (2 + m) with m = e^(-2|x|) - 1 = 2^n pm1 + (2^n - 1), sign from x. */
LLVMValueRef cg_math_tanh(CgModule *cm, LLVMValueRef x)
{
    FloatInfo f = float_info(cm, LLVMTypeOf(x));
    LLVMValueRef a = cg_call_intrinsic(cm, "llvm.fabs", f.type, &x, 1);
    LLVMValueRef y = fmul(cm, a, k(&f, -2.0));
    y = select(cm, fcmp(cm, LLVMRealOLT, y, k(&f, f.expm1_lo)), k(&f, f.expm1_lo), y);
    LLVMValueRef n;
    LLVMValueRef pm1 = exp_reduce(cm, &f, y, &n);
    LLVMValueRef scale = pow2(cm, &f, n);
    LLVMValueRef m = fmuladd(cm, &f, scale, pm1, fsub(cm, scale, k(&f, 1.0)));
    LLVMValueRef t = LLVMBuildFDiv(cm->b, LLVMBuildFNeg(cm->b, m, ""), fadd(cm, k(&f, 2.0), m), "");
    LLVMValueRef args[] = {t, x};
    LLVMValueRef r = cg_call_intrinsic(cm, "llvm.copysign", f.type, args, 2);
    return keep_nan(cm, x, r);
}

/* sigmoid(x) = 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: e = e^-|x| never overflows. */
LLVMValueRef cg_math_sigmoid(CgModule *cm, LLVMValueRef x)
{
    FloatInfo f = float_info(cm, LLVMTypeOf(x));
    LLVMValueRef a = cg_call_intrinsic(cm, "llvm.fabs", f.type, &x, 1);
    LLVMValueRef e = cg_math_exp(cm, LLVMBuildFNeg(cm->b, a, ""));
    LLVMValueRef num = select(cm, fcmp(cm, LLVMRealOGE, x, k(&f, 0)), k(&f, 1.0), e);
    return LLVMBuildFDiv(cm->b, num, fadd(cm, k(&f, 1.0), e), "sigmoid");
}
