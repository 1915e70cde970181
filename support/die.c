/* die.c: abort on a broken internal invariant, naming where it broke. */
#include "support/die.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void support_die(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dmlc: internal error at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
