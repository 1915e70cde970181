/* vec.h: a growable array of pointers, for building lists before they move into an arena. */
#ifndef DMLC_SUPPORT_VEC_H
#define DMLC_SUPPORT_VEC_H

#include "support/arena.h"

typedef struct PtrVec PtrVec;

struct PtrVec {
    void **items;
    int len, cap;
};

void vec_push(PtrVec *v, void *item);
void vec_free(PtrVec *v);
/* Moves the items into the arena (NULL when empty) and frees the vector. */
void **vec_to_arena(PtrVec *v, Arena *a);

#endif
