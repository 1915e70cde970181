/* vec.c: growable pointer array. */
#include "support/vec.h"

#include "support/die.h"

#include <stdlib.h>

void vec_push(PtrVec *v, void *item)
{
    if (v->len == v->cap) {
        int cap = v->cap ? v->cap * 2 : 8;
        void **p = realloc(v->items, sizeof(void *) * (size_t)cap);
        if (!p)
            DIE("out of memory growing a vector to %d items", cap);
        v->items = p;
        v->cap = cap;
    }
    v->items[v->len++] = item;
}

void vec_free(PtrVec *v)
{
    free(v->items);
    v->items = NULL;
    v->len = v->cap = 0;
}

void **vec_to_arena(PtrVec *v, Arena *a)
{
    void **out = arena_copy(a, v->items, (size_t)v->len, sizeof(void *));
    vec_free(v);
    return out;
}
