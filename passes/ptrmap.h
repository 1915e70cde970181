/* ptrmap.h: an open-addressing hash map from pointers to pointers, for the passes' side tables
 * (a value's use list, the group an op joined, the position of an op in its region). */
#ifndef DMLC_PASSES_PTRMAP_H
#define DMLC_PASSES_PTRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const void **keys; /* NULL marks an empty slot */
    void **values;
    size_t cap, len;
} PtrMap;

/* The value stored for key, or NULL when there is none. */
void *ptrmap_get(const PtrMap *m, const void *key);
/* Stores value for key (key must not be NULL), replacing any earlier value. */
void ptrmap_put(PtrMap *m, const void *key, void *value);
void ptrmap_free(PtrMap *m);

#endif
