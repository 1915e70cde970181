/* ptrmap.c: open-addressing (linear probing) map from pointers to pointers; entries are never
 * removed, so no tombstones are needed. */
#include "passes/ptrmap.h"

#include "support/die.h"

#include <stdint.h>
#include <stdlib.h>

/* The home slot of a key: a multiplicative hash of the pointer bits (cap is a power of two). */
static size_t slot_of(const void *key, size_t cap)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15u;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

/* The value stored for key, or NULL. */
void *ptrmap_get(const PtrMap *m, const void *key)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == NULL)
            return NULL;
        if (m->keys[i] == key)
            return m->values[i];
    }
}

/* Doubles the table (from 64 slots), reinserting every entry. */
static void grow(PtrMap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    const void **keys = calloc(cap, sizeof *keys);
    void **values = calloc(cap, sizeof *values);
    if (!keys || !values)
        DIE("out of memory growing a pointer map to %zu slots", cap);
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

/* Stores value for key, growing the table to keep it at most half full. */
void ptrmap_put(PtrMap *m, const void *key, void *value)
{
    if (!key)
        DIE("ptrmap_put with a NULL key");
    if (2 * (m->len + 1) > m->cap)
        grow(m);
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->len++;
    }
    m->values[i] = value;
}

/* Frees the table (not what the values point to). */
void ptrmap_free(PtrMap *m)
{
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->cap = m->len = 0;
}
