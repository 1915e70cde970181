/* io_number.c: numbers in text data files: parsing a field as a dtype, and writing one back.
 *
 * Parsing scans the field by hand, so that its syntax is checked exactly (no hex floats, no
 * leading spaces, nothing after the number), then converts the common cases without strtod, each
 * provably correctly rounded: short decimals by Clinger's fast path, and the 17-digit texts that
 * "%.17g" writes in x87 extended precision with a check for the rare halfway cases. Everything
 * else goes to strtod / strtof, which round correctly too; glibc's strtod takes about 300 ns on a
 * 17-digit number, the fast paths a tenth of that. strtod follows the C locale's decimal point;
 * the library never changes the locale. */
#include "executor/io_internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Exact powers of ten: 10^22 is the largest that a double holds exactly, 10^10 for a float. */
enum { FAST_F64_MAX_POW10 = 22, FAST_F32_MAX_POW10 = 10, MANTISSA_MAX_DIGITS = 19 };
static const double pow10_f64[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const float pow10_f32[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                  1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

/* An ASCII decimal digit (isdigit would follow the locale). */
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ASCII lower case. */
static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* True when [begin, end) is `word`, ignoring case. */
static bool equals_word(const char *begin, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - begin) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(begin[i]) != word[i])
            return false;
    return true;
}

/* A decimal number split into digits and a power of ten: value = mantissa * 10^exponent, exact
 * unless `truncated` (more than 19 significant digits). */
typedef struct {
    bool negative;
    bool special; /* nan or inf: `value` holds it */
    double value;
    uint64_t mantissa;
    int64_t exponent;
    bool truncated;
} Decimal;

/* Scans the whole field as a decimal float; false when it is not one. */
static bool scan_decimal(const char *p, const char *end, Decimal *d)
{
    *d = (Decimal){0};
    if (p < end && (*p == '+' || *p == '-'))
        d->negative = *p++ == '-';
    if (p < end && !is_digit(*p) && *p != '.') {
        if (equals_word(p, end, "nan"))
            d->value = NAN;
        else if (equals_word(p, end, "inf") || equals_word(p, end, "infinity"))
            d->value = INFINITY;
        else
            return false;
        d->special = true;
        if (d->negative)
            d->value = -d->value;
        return true;
    }
    int digits = 0; /* significant digits kept in the mantissa */
    bool any = false;
    for (; p < end && is_digit(*p); p++) {
        any = true;
        if (d->mantissa == 0 && *p == '0')
            continue;
        if (digits < MANTISSA_MAX_DIGITS) {
            d->mantissa = d->mantissa * 10 + (uint64_t)(*p - '0');
            digits++;
        } else {
            d->exponent++;
            d->truncated |= *p != '0';
        }
    }
    if (p < end && *p == '.') {
        for (p++; p < end && is_digit(*p); p++) {
            any = true;
            if (d->mantissa == 0 && *p == '0') {
                d->exponent--;
            } else if (digits < MANTISSA_MAX_DIGITS) {
                d->mantissa = d->mantissa * 10 + (uint64_t)(*p - '0');
                digits++;
                d->exponent--;
            } else {
                d->truncated |= *p != '0';
            }
        }
    }
    if (!any)
        return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool negative = false;
        if (p < end && (*p == '+' || *p == '-'))
            negative = *p++ == '-';
        if (p == end || !is_digit(*p))
            return false;
        int64_t e = 0;
        for (; p < end && is_digit(*p); p++)
            if (e < 1000000)
                e = e * 10 + (*p - '0');
        d->exponent += negative ? -e : e;
    }
    return p == end;
}

/* Clinger's fast path: when the mantissa and the power of ten are both exact doubles, one
 * multiplication or division rounds the decimal correctly. */
static bool decimal_to_double_exactly(const Decimal *d, double *out)
{
#if FLT_EVAL_METHOD == 0
    if (d->truncated || d->mantissa > (UINT64_C(1) << 53) || d->exponent < -FAST_F64_MAX_POW10 ||
        d->exponent > FAST_F64_MAX_POW10)
        return false;
    double v = (double)d->mantissa;
    *out = d->exponent < 0 ? v / pow10_f64[-d->exponent] : v * pow10_f64[d->exponent];
    return true;
#else
    return false;
#endif
}

#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
/* Exact powers of ten in x87 extended precision: 10^27 = 2^27 * 5^27 and 5^27 < 2^63. */
enum { FAST_EXTENDED_MAX_POW10 = 27 };
static const long double pow10_extended[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                             1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                             1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                             1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* True when rounding a 64-bit significand to 64 - dropped bits gives the same result as rounding
 * the exact value it was rounded from: false when it lies within one unit of a halfway point. */
static bool rounds_like_exact(uint64_t significand, int dropped)
{
    uint64_t half = UINT64_C(1) << (dropped - 1);
    uint64_t low = significand & (2 * half - 1);
    return low + 1 < half || low > half + 1;
}

/* 17 to 19 digits (as "%.17g" writes them) in extended precision: the mantissa and the power of
 * ten are exact, so *out is the decimal rounded once to 64 bits. Rounding it again to a double
 * or a float is right when rounds_like_exact says so (else strtod decides). Results stay between
 * 1e-27 and 2e46, far from subnormals. */
static bool decimal_to_extended(const Decimal *d, long double *out, uint64_t *significand)
{
    if (d->truncated || d->exponent < -FAST_EXTENDED_MAX_POW10 ||
        d->exponent > FAST_EXTENDED_MAX_POW10)
        return false;
    long double v = (long double)d->mantissa;
    v = d->exponent < 0 ? v / pow10_extended[-d->exponent] : v * pow10_extended[d->exponent];
    memcpy(significand, &v, sizeof *significand); /* the first 8 bytes of an x87 long double */
    *out = v;
    return true;
}

/* A double through extended precision, when the second rounding is safe. */
static bool decimal_to_double_extended(const Decimal *d, double *out)
{
    long double v;
    uint64_t significand;
    if (!decimal_to_extended(d, &v, &significand) || !rounds_like_exact(significand, 64 - 53))
        return false;
    *out = (double)v;
    return true;
}

/* A float through extended precision, when the second rounding is safe. */
static bool decimal_to_float_extended(const Decimal *d, float *out)
{
    long double v;
    uint64_t significand;
    if (!decimal_to_extended(d, &v, &significand) || !rounds_like_exact(significand, 64 - 24))
        return false;
    *out = (float)v; /* above FLT_MAX it rounds to infinity, as strtof does */
    return true;
}
#else
/* Without x87 extended precision every long decimal goes to strtod / strtof. */
static bool decimal_to_double_extended(const Decimal *d, double *out)
{
    return false;
}

static bool decimal_to_float_extended(const Decimal *d, float *out)
{
    return false;
}
#endif

/* The field as a double, correctly rounded. */
static IoValueStatus parse_f64(const char *begin, const char *end, double *out)
{
    Decimal d;
    if (!scan_decimal(begin, end, &d))
        return IO_VALUE_SYNTAX;
    double v;
    if (d.special) {
        *out = d.value;
        return IO_VALUE_OK;
    }
    if (d.mantissa == 0 || decimal_to_double_exactly(&d, &v) ||
        decimal_to_double_extended(&d, &v)) {
        v = d.mantissa == 0 ? 0.0 : v;
        *out = d.negative ? -v : v;
        return IO_VALUE_OK;
    }
    char *stop;
    v = strtod(begin, &stop);
    if (stop != end)
        return IO_VALUE_SYNTAX;
    *out = v;
    return IO_VALUE_OK;
}

/* A float without strtof: Clinger's fast path in float arithmetic, or the correctly rounded
 * double (or extended) rounded again to 24 bits where rounds_like_exact allows it. */
static bool decimal_to_float(const Decimal *d, float *out)
{
#if FLT_EVAL_METHOD == 0
    if (!d->truncated && d->mantissa <= (UINT64_C(1) << 24) && d->exponent >= -FAST_F32_MAX_POW10 &&
        d->exponent <= FAST_F32_MAX_POW10) {
        float v = (float)d->mantissa;
        *out = d->exponent < 0 ? v / pow10_f32[-d->exponent] : v * pow10_f32[d->exponent];
        return true;
    }
#endif
    double v;
    if (decimal_to_double_exactly(d, &v)) {
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        if (rounds_like_exact(bits, 53 - 24)) {
            *out = (float)v; /* between 1e-22 and 1e38: a normal float */
            return true;
        }
    }
    return decimal_to_float_extended(d, out);
}

/* The field as a float, correctly rounded from the decimal (not through a double). */
static IoValueStatus parse_f32(const char *begin, const char *end, float *out)
{
    Decimal d;
    if (!scan_decimal(begin, end, &d))
        return IO_VALUE_SYNTAX;
    float v;
    if (d.special) {
        *out = (float)d.value;
        return IO_VALUE_OK;
    }
    if (d.mantissa == 0 || decimal_to_float(&d, &v)) {
        v = d.mantissa == 0 ? 0.0f : v;
        *out = d.negative ? -v : v;
        return IO_VALUE_OK;
    }
    char *stop;
    v = strtof(begin, &stop);
    if (stop != end)
        return IO_VALUE_SYNTAX;
    *out = v;
    return IO_VALUE_OK;
}

/* The field as a decimal integer within [min, max]. */
static IoValueStatus parse_int(const char *begin, const char *end, int64_t min, int64_t max,
                               int64_t *out)
{
    const char *p = begin;
    bool negative = false;
    if (p < end && (*p == '+' || *p == '-'))
        negative = *p++ == '-';
    if (p == end)
        return IO_VALUE_SYNTAX;
    uint64_t magnitude = 0;
    bool overflow = false;
    for (; p < end; p++) {
        if (!is_digit(*p))
            return IO_VALUE_SYNTAX;
        unsigned digit = (unsigned)(*p - '0');
        if (magnitude > (UINT64_MAX - digit) / 10)
            overflow = true;
        else
            magnitude = magnitude * 10 + digit;
    }
    uint64_t limit = negative ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;
    if (overflow || magnitude > limit)
        return IO_VALUE_RANGE;
    *out = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return IO_VALUE_OK;
}

/* The field as a bool: 0, 1, true or false (any case). */
static IoValueStatus parse_bool(const char *begin, const char *end, uint8_t *out)
{
    if (equals_word(begin, end, "0") || equals_word(begin, end, "false"))
        *out = 0;
    else if (equals_word(begin, end, "1") || equals_word(begin, end, "true"))
        *out = 1;
    else
        return IO_VALUE_SYNTAX;
    return IO_VALUE_OK;
}

IoValueStatus io_parse_value(const char *begin, const char *end, DType dtype, void *out)
{
    int64_t i;
    IoValueStatus status;
    switch (dtype) {
    case DT_F64:
        return parse_f64(begin, end, out);
    case DT_F32:
        return parse_f32(begin, end, out);
    case DT_I64:
        status = parse_int(begin, end, INT64_MIN, INT64_MAX, &i);
        if (status == IO_VALUE_OK)
            *(int64_t *)out = i;
        return status;
    case DT_I32:
        status = parse_int(begin, end, INT32_MIN, INT32_MAX, &i);
        if (status == IO_VALUE_OK)
            *(int32_t *)out = (int32_t)i;
        return status;
    case DT_BOOL:
        return parse_bool(begin, end, out);
    default:
        return IO_VALUE_SYNTAX;
    }
}

bool io_value_error(RtError *err, const char *path, const IoLine *line, const char *begin,
                    const char *end, DType dtype, IoValueStatus status)
{
    char saw[IO_NUMBER_TEXT_MAX * 5];
    io_describe_field(begin, end, line->end, saw, sizeof saw);
    if (status == IO_VALUE_RANGE)
        return io_errorf_at(err, path, line, begin, "integer %s is out of range for %s", saw,
                            type_dtype_name(dtype));
    switch (dtype) {
    case DT_I32:
    case DT_I64:
        return io_errorf_at(err, path, line, begin, "expected an %s integer, saw %s",
                            type_dtype_name(dtype), saw);
    case DT_BOOL:
        return io_errorf_at(err, path, line, begin, "expected a bool (0, 1, true or false), saw %s",
                            saw);
    default:
        return io_errorf_at(err, path, line, begin, "expected a number, saw %s", saw);
    }
}

bool io_parse_count(const char *begin, const char *end, int64_t *out)
{
    if (begin == end || !is_digit(*begin))
        return false;
    return parse_int(begin, end, 0, INT64_MAX, out) == IO_VALUE_OK;
}

bool io_field_is_value(const char *begin, const char *end)
{
    Decimal d;
    uint8_t b;
    return scan_decimal(begin, end, &d) || parse_bool(begin, end, &b) == IO_VALUE_OK;
}

void io_accumulate(DType dtype, void *dst, int64_t j, const void *src, int64_t k)
{
    switch (dtype) {
    case DT_F64:
        ((double *)dst)[j] += ((const double *)src)[k];
        break;
    case DT_F32:
        ((float *)dst)[j] += ((const float *)src)[k];
        break;
    case DT_I64:
        ((int64_t *)dst)[j] =
            (int64_t)((uint64_t)((int64_t *)dst)[j] + (uint64_t)((const int64_t *)src)[k]);
        break;
    case DT_I32:
        ((int32_t *)dst)[j] =
            (int32_t)((uint32_t)((int32_t *)dst)[j] + (uint32_t)((const int32_t *)src)[k]);
        break;
    case DT_BOOL:
        ((uint8_t *)dst)[j] |= ((const uint8_t *)src)[k];
        break;
    default:
        break;
    }
}

/* ---- writing numbers ---- */

int io_format_value(char *out, DType dtype, const void *data, int64_t k)
{
    switch (dtype) {
    case DT_F64:
        return snprintf(out, IO_NUMBER_TEXT_MAX, "%.17g", ((const double *)data)[k]);
    case DT_F32:
        return snprintf(out, IO_NUMBER_TEXT_MAX, "%.9g", (double)((const float *)data)[k]);
    case DT_I64:
        return snprintf(out, IO_NUMBER_TEXT_MAX, "%lld", (long long)((const int64_t *)data)[k]);
    case DT_I32:
        return snprintf(out, IO_NUMBER_TEXT_MAX, "%d", ((const int32_t *)data)[k]);
    case DT_BOOL:
        return snprintf(out, IO_NUMBER_TEXT_MAX, "%d", ((const uint8_t *)data)[k] ? 1 : 0);
    default:
        out[0] = '\0';
        return 0;
    }
}

bool io_scalar_element(RtValue v, IoElement *out)
{
    switch (v.dtype) {
    case DT_F64:
        out->f64 = v.f;
        return true;
    case DT_F32:
        out->f32 = (float)v.f;
        return true;
    case DT_I64:
        out->i64 = v.i;
        return true;
    case DT_I32:
        out->i32 = (int32_t)v.i;
        return true;
    case DT_BOOL:
        out->b = v.i != 0;
        return true;
    default:
        return false;
    }
}

const char *io_numpy_name(DType dtype)
{
    switch (dtype) {
    case DT_F64:
        return "float64";
    case DT_F32:
        return "float32";
    case DT_I64:
        return "int64";
    case DT_I32:
        return "int32";
    case DT_BOOL:
        return "bool";
    default:
        return "?";
    }
}
