/* arena.h: bump allocator for compiler data; everything is freed at once with arena_free. */
#ifndef DMLC_SUPPORT_ARENA_H
#define DMLC_SUPPORT_ARENA_H

#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;
typedef struct Arena Arena;

struct Arena {
    ArenaChunk *head;
    size_t used_bytes; /* total handed out, for statistics */
};

void arena_init(Arena *a);
void arena_free(Arena *a);
/* Zeroed, 16-byte aligned memory that lives until arena_free. Aborts on out-of-memory. */
void *arena_alloc(Arena *a, size_t size);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies n elements of size elem into the arena (n may be 0: returns NULL). */
void *arena_copy(Arena *a, const void *src, size_t n, size_t elem);

#define ARENA_NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define ARENA_ARRAY(a, T, n) ((T *)arena_alloc((a), sizeof(T) * (size_t)(n)))

#endif
