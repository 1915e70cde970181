/* arena.c: chunked bump allocator; large requests get a chunk of their own. */
#include "support/arena.h"

#include "support/die.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 64 KiB chunks: big enough that a 100,000-line program needs few mallocs. */
enum { ARENA_CHUNK_BYTES = 64 * 1024, ARENA_ALIGN = 16 };

struct ArenaChunk {
    ArenaChunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

void arena_init(Arena *a)
{
    a->head = NULL;
    a->used_bytes = 0;
}

void arena_free(Arena *a)
{
    ArenaChunk *c = a->head;
    while (c) {
        ArenaChunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

static ArenaChunk *new_chunk(size_t cap)
{
    ArenaChunk *c = malloc(sizeof(ArenaChunk) + cap);
    if (!c)
        DIE("out of memory allocating %zu bytes", cap);
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

void *arena_alloc(Arena *a, size_t size)
{
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded == 0)
        rounded = ARENA_ALIGN;
    ArenaChunk *c = a->head;
    if (!c || c->cap - c->used < rounded) {
        if (rounded > ARENA_CHUNK_BYTES / 4) {
            /* A large block gets its own chunk behind the head, so the head keeps its space. */
            ArenaChunk *big = new_chunk(rounded);
            big->used = rounded;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->head = big;
            }
            a->used_bytes += rounded;
            memset(big->data, 0, rounded);
            return big->data;
        }
        c = new_chunk(ARENA_CHUNK_BYTES);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    a->used_bytes += rounded;
    memset(p, 0, rounded);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        DIE("bad format string");
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void *arena_copy(Arena *a, const void *src, size_t n, size_t elem)
{
    if (n == 0)
        return NULL;
    void *p = arena_alloc(a, n * elem);
    memcpy(p, src, n * elem);
    return p;
}
