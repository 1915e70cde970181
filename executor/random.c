/* random.c: Philox4x64-10 and the distributions built on it (random.h). */
#include "executor/random.h"

#include <math.h>

/* The Philox4x64 multipliers and Weyl key increments (Random123, philox.h). */
#define PHILOX_M0 UINT64_C(0xD2E7470EE14C6C93)
#define PHILOX_M1 UINT64_C(0xCA5A826395121157)
#define PHILOX_W0 UINT64_C(0x9E3779B97F4A7C15)
#define PHILOX_W1 UINT64_C(0xBB67AE8584CAA73B)
enum { PHILOX_ROUNDS = 10 };

static const double two_pi = 6.28318530717958647692528676655900577;

/* The stream (second key word) of each kind. */
static const uint64_t kind_stream[] = {
    [RT_RANDOM_NORMAL] = 1,
    [RT_RANDOM_UNIFORM] = 2,
    [RT_RANDOM_INT] = 3,
};

/* The high and low 64 bits of a * b. */
static inline uint64_t mulhilo64(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32, b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo, p3 = a_hi * b_hi;
    uint64_t middle = (p0 >> 32) + (uint32_t)p1 + (uint32_t)p2;
    *lo = (middle << 32) | (uint32_t)p0;
    return p3 + (p1 >> 32) + (p2 >> 32) + (middle >> 32);
}

void rt_philox4x64(const uint64_t counter[4], const uint64_t key[2], uint64_t out[4])
{
    uint64_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint64_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < PHILOX_ROUNDS; round++) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t lo0, lo1;
        uint64_t hi0 = mulhilo64(PHILOX_M0, c0, &lo0);
        uint64_t hi1 = mulhilo64(PHILOX_M1, c2, &lo1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* The block of element k in a kind's stream. */
static void block(uint64_t seed, RtRandomKind kind, int64_t k, uint64_t out[4])
{
    uint64_t counter[4] = {(uint64_t)k, 0, 0, 0};
    uint64_t key[2] = {seed, kind_stream[kind]};
    rt_philox4x64(counter, key, out);
}

/* splitmix64's output function (Steele, Lea, Flood 2014): a bijection of 64-bit words. */
static uint64_t splitmix64(uint64_t z)
{
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t rt_random_mix(uint64_t a, uint64_t b)
{
    return splitmix64(splitmix64(a) ^ b);
}

/* [0, 1) from the top 53 bits of a word. */
static inline double unit_interval(uint64_t w)
{
    return (double)(w >> 11) * 0x1.0p-53;
}

double rt_random_uniform(uint64_t seed, int64_t k)
{
    uint64_t w[4];
    block(seed, RT_RANDOM_UNIFORM, k, w);
    return unit_interval(w[0]);
}

double rt_random_normal(uint64_t seed, int64_t k)
{
    uint64_t w[4];
    block(seed, RT_RANDOM_NORMAL, k, w);
    double u1 = 1.0 - unit_interval(w[0]); /* (0, 1]: the logarithm stays finite */
    double u2 = unit_interval(w[1]);
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

int64_t rt_random_int(uint64_t seed, int64_t k, int64_t lo, int64_t hi)
{
    uint64_t w[4];
    block(seed, RT_RANDOM_INT, k, w);
    uint64_t range = (uint64_t)hi - (uint64_t)lo;
    /* Lemire (2019): the high word of w * range is uniform on [0, range) unless the low word
     * falls below 2^64 mod range; such words are rejected in favour of the next. All four
     * rejected (probability below 1/16 only for ranges near 2^64) keeps the last, slightly
     * biased. */
    uint64_t threshold = (0 - range) % range;
    uint64_t offset = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t low;
        offset = mulhilo64(w[i], range, &low);
        if (low >= threshold)
            break;
    }
    return (int64_t)((uint64_t)lo + offset);
}

/* lo + (hi - lo) * u kept below hi when lo < hi (rounding could otherwise reach hi). */
static double uniform_between(double lo, double hi, double u)
{
    double v = lo + (hi - lo) * u;
    return lo < hi && v >= hi ? nextafter(hi, lo) : v;
}

bool rt_random_fill(const RtRandomSpec *spec, int64_t first, int64_t count, void *out)
{
    bool f32 = spec->dtype == DT_F32;
    switch (spec->kind) {
    case RT_RANDOM_NORMAL:
        if (!f32 && spec->dtype != DT_F64)
            return false;
        for (int64_t i = 0; i < count; i++) {
            double v = rt_random_normal(spec->seed, first + i) * spec->scale;
            if (f32)
                ((float *)out)[i] = (float)v;
            else
                ((double *)out)[i] = v;
        }
        return true;
    case RT_RANDOM_UNIFORM:
        if (!f32 && spec->dtype != DT_F64)
            return false;
        for (int64_t i = 0; i < count; i++) {
            double u = rt_random_uniform(spec->seed, first + i);
            if (f32) {
                float lo = (float)spec->lo, hi = (float)spec->hi;
                float v = (float)uniform_between(spec->lo, spec->hi, u);
                ((float *)out)[i] = lo < hi && v >= hi ? nextafterf(hi, lo) : v;
            } else {
                ((double *)out)[i] = uniform_between(spec->lo, spec->hi, u);
            }
        }
        return true;
    case RT_RANDOM_INT:
        if (spec->dtype != DT_I32 && spec->dtype != DT_I64)
            return false;
        for (int64_t i = 0; i < count; i++) {
            int64_t v = rt_random_int(spec->seed, first + i, spec->ilo, spec->ihi);
            if (spec->dtype == DT_I32)
                ((int32_t *)out)[i] = (int32_t)v; /* in [ilo, ihi), both i32 values */
            else
                ((int64_t *)out)[i] = v;
        }
        return true;
    }
    return false;
}
