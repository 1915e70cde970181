/* diag.h: source files, spans and diagnostics ("file:line:col: error: ...", the line, a caret).
 *
 * Diagnostics are collected in a DiagList and rendered by the caller: library code never prints
 * to the terminal on its own and never exits. */
#ifndef DMLC_SUPPORT_DIAG_H
#define DMLC_SUPPORT_DIAG_H

#include "support/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SrcFile SrcFile;
typedef struct Span Span;
typedef struct Diag Diag;
typedef struct DiagList DiagList;

/* A source text and the byte offset where each line starts (for line/column lookups). */
struct SrcFile {
    const char *path; /* as given by the user; printed in diagnostics */
    const char *text; /* NUL-terminated copy owned by the SrcFile */
    size_t len;
    uint32_t *line_starts;
    uint32_t nlines;
};

/* Half-open byte range [begin, end) in the one source file of a compilation. */
struct Span {
    uint32_t begin, end;
};

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagSeverity;

struct Diag {
    DiagSeverity severity;
    Span span;
    bool has_span; /* false for whole-file messages */
    char *message;
    Diag *notes; /* linked list of notes attached to this diagnostic */
    Diag *next;
};

struct DiagList {
    const SrcFile *file;
    Diag *head, *tail;
    int nerrors, nwarnings;
    int max_errors;      /* stop recording after this many errors (0: default 100) */
    bool truncated;      /* more errors happened than were recorded */
};

/* Reads a file; returns false and sets *err (static string) when it cannot. */
bool src_load(SrcFile *f, const char *path, const char **err);
/* Makes a SrcFile over a copy of text (for tests and fuzzers). */
void src_from_text(SrcFile *f, const char *path, const char *text, size_t len);
void src_free(SrcFile *f);
/* 1-based line and column (in bytes) of a byte offset. */
void src_line_col(const SrcFile *f, uint32_t offset, uint32_t *line, uint32_t *col);

Span span_join(Span a, Span b);

void diag_init(DiagList *d, const SrcFile *file);
void diag_free(DiagList *d);
Diag *diag_error(DiagList *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
Diag *diag_warning(DiagList *d, Span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Attaches a note to a diagnostic returned by diag_error/diag_warning (NULL is ignored). */
void diag_note(DiagList *d, Diag *to, Span at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool diag_has_errors(const DiagList *d);
/* Renders every diagnostic, in source order (ties in report order), as the user sees them. */
void diag_render(const DiagList *d, Buf *out);

#endif
