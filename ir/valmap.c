/* valmap.c: open-addressing hash map from IR value pointers to integers. */
#include "ir/valmap.h"

#include "support/die.h"

#include <stdint.h>
#include <stdlib.h>

static size_t slot_of(const IrValue *v, size_t cap)
{
    uintptr_t h = (uintptr_t)v;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15u;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

bool ir_valmap_get(const IrValueMap *m, const IrValue *v, int *out)
{
    if (m->cap == 0)
        return false;
    for (size_t i = slot_of(v, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == NULL)
            return false;
        if (m->keys[i] == v) {
            *out = m->values[i];
            return true;
        }
    }
}

static void grow(IrValueMap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    const IrValue **keys = calloc(cap, sizeof *keys);
    int *values = calloc(cap, sizeof *values);
    if (!keys || !values)
        DIE("out of memory");
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot_of(m->keys[i], cap);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        values[j] = m->values[i];
    }
    free(m->keys);
    free(m->values);
    m->keys = keys;
    m->values = values;
    m->cap = cap;
}

void ir_valmap_put(IrValueMap *m, const IrValue *v, int value)
{
    if ((m->len + 1) * 2 > m->cap)
        grow(m);
    size_t i = slot_of(v, m->cap);
    while (m->keys[i] && m->keys[i] != v)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->len++;
    m->keys[i] = v;
    m->values[i] = value;
}

void ir_valmap_free(IrValueMap *m)
{
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->cap = m->len = 0;
}
