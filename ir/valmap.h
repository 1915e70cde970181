/* valmap.h: a hash map from IR values to integers, private to ir/ (numbering, visibility). */
#ifndef DMLC_IR_VALMAP_H
#define DMLC_IR_VALMAP_H

#include "ir/ir.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const IrValue **keys;
    int *values;
    size_t cap, len;
} IrValueMap;

/* Returns true and sets *out when v is in the map. */
bool ir_valmap_get(const IrValueMap *m, const IrValue *v, int *out);
void ir_valmap_put(IrValueMap *m, const IrValue *v, int value);
void ir_valmap_free(IrValueMap *m);

#endif
