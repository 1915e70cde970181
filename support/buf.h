/* buf.h: growable byte buffer for building text (IR dumps, diagnostics). */
#ifndef DMLC_SUPPORT_BUF_H
#define DMLC_SUPPORT_BUF_H

#include <stddef.h>

typedef struct Buf Buf;

struct Buf {
    char *data; /* always NUL-terminated once anything was written */
    size_t len, cap;
};

void buf_free(Buf *b);
void buf_reserve(Buf *b, size_t extra);
void buf_append(Buf *b, const char *s, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the text ("" when empty); the buffer still owns it. */
const char *buf_cstr(Buf *b);

#endif
