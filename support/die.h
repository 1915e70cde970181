/* die.h: the one way to stop on a broken internal invariant (a bug, never a user error). */
#ifndef DMLC_SUPPORT_DIE_H
#define DMLC_SUPPORT_DIE_H

#include <stdnoreturn.h>

noreturn void support_die(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* DIE("fmt", ...) aborts naming the file and line; UNREACHABLE() marks impossible paths. */
#define DIE(...) support_die(__FILE__, __LINE__, __VA_ARGS__)
#define UNREACHABLE() support_die(__FILE__, __LINE__, "unreachable")

#endif
