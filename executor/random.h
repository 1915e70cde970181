/* random.h: counter-based random numbers for t.randn, t.uniform and t.randint.
 *
 * Element k of a random tensor is a function of (seed, k) alone: the Philox4x64-10 block cipher
 * (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC'11; the generator
 * behind numpy.random.Philox) maps the counter (k, 0, 0, 0) under the key (seed, stream) to four
 * 64-bit words, and element k is made from that one block. So any split of a tensor over workers
 * or ranks generates the same values, and a tensor's first elements do not depend on its shape.
 * The stream separates the kinds (randn, uniform, randint), so the same seed gives unrelated
 * normal and uniform tensors. */
#ifndef DMLC_EXECUTOR_RANDOM_H
#define DMLC_EXECUTOR_RANDOM_H

#include "ir/type.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { RT_RANDOM_NORMAL, RT_RANDOM_UNIFORM, RT_RANDOM_INT } RtRandomKind;

/* What a random tensor holds: the kind and its parameters, the element dtype and the seed. */
typedef struct {
    RtRandomKind kind;
    DType dtype; /* f32 / f64 for NORMAL and UNIFORM, i32 / i64 for INT */
    uint64_t seed;
    double scale;     /* NORMAL: standard deviation */
    double lo, hi;    /* UNIFORM: [lo, hi) */
    int64_t ilo, ihi; /* INT: [ilo, ihi), ilo < ihi */
} RtRandomSpec;

/* Philox4x64-10 of counter (c0, c1, c2, c3) under key (k0, k1): four 64-bit words. */
void rt_philox4x64(const uint64_t counter[4], const uint64_t key[2], uint64_t out[4]);
/* A seed from two numbers (the run's seed and an op's key), through splitmix64's mixer: distinct
 * b give distinct results for one a. */
uint64_t rt_random_mix(uint64_t a, uint64_t b);
/* Element k of the uniform [0, 1) stream of a seed: 53 random bits. */
double rt_random_uniform(uint64_t seed, int64_t k);
/* Element k of the standard normal stream of a seed (Box-Muller on two words of one block). */
double rt_random_normal(uint64_t seed, int64_t k);
/* Element k of the integer stream: uniform on [lo, hi) (lo < hi) by Lemire's multiply-shift
 * with rejection over the block's words. */
int64_t rt_random_int(uint64_t seed, int64_t k, int64_t lo, int64_t hi);
/* Writes elements first .. first + count - 1 of the random tensor `spec` describes into out (an
 * array of spec->dtype); false for a dtype the kind cannot make. */
bool rt_random_fill(const RtRandomSpec *spec, int64_t first, int64_t count, void *out);

#endif
