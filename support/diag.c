/* diag.c: source line tables and diagnostic rendering with carets. */
#include "support/diag.h"

#include "support/die.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIAG_DEFAULT_MAX_ERRORS = 100 };

static void build_line_table(SrcFile *f)
{
    uint32_t n = 1;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            n++;
    f->line_starts = malloc(sizeof(uint32_t) * n);
    if (!f->line_starts)
        DIE("out of memory");
    uint32_t k = 0;
    f->line_starts[k++] = 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            f->line_starts[k++] = (uint32_t)(i + 1);
    f->nlines = n;
}

void src_from_text(SrcFile *f, const char *path, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        DIE("out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    f->path = path;
    f->text = copy;
    f->len = len;
    build_line_table(f);
}

bool src_load(SrcFile *f, const char *path, const char **err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *err = strerror(errno);
        return false;
    }
    Buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        buf_append(&b, chunk, n);
    bool failed = ferror(fp);
    fclose(fp);
    if (failed) {
        buf_free(&b);
        *err = "read error";
        return false;
    }
    /* Offsets are 32-bit: a source file over 1 GiB is refused rather than misreported. */
    if (b.len > (1u << 30)) {
        buf_free(&b);
        *err = "file is larger than 1 GiB";
        return false;
    }
    src_from_text(f, path, buf_cstr(&b), b.len);
    buf_free(&b);
    return true;
}

void src_free(SrcFile *f)
{
    free((char *)f->text);
    free(f->line_starts);
    f->text = NULL;
    f->line_starts = NULL;
}

void src_line_col(const SrcFile *f, uint32_t offset, uint32_t *line, uint32_t *col)
{
    uint32_t lo = 0, hi = f->nlines;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->line_starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *line = lo + 1;
    *col = offset - f->line_starts[lo] + 1;
}

Span span_join(Span a, Span b)
{
    Span s = {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end};
    return s;
}

void diag_init(DiagList *d, const SrcFile *file)
{
    memset(d, 0, sizeof *d);
    d->file = file;
}

static void free_chain(Diag *g)
{
    while (g) {
        Diag *next = g->next;
        free_chain(g->notes);
        free(g->message);
        free(g);
        g = next;
    }
}

void diag_free(DiagList *d)
{
    free_chain(d->head);
    d->head = d->tail = NULL;
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0)
        DIE("bad format string");
    char *s = malloc((size_t)n + 1);
    if (!s)
        DIE("out of memory");
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

static Diag *new_diag(DiagSeverity sev, Span at, const char *fmt, va_list ap)
{
    Diag *g = calloc(1, sizeof *g);
    if (!g)
        DIE("out of memory");
    g->severity = sev;
    g->span = at;
    g->has_span = true;
    g->message = vformat(fmt, ap);
    return g;
}

static Diag *add(DiagList *d, DiagSeverity sev, Span at, const char *fmt, va_list ap)
{
    int max = d->max_errors ? d->max_errors : DIAG_DEFAULT_MAX_ERRORS;
    if (sev == DIAG_ERROR) {
        d->nerrors++;
        if (d->nerrors > max) {
            d->truncated = true;
            return NULL;
        }
    } else {
        d->nwarnings++;
    }
    Diag *g = new_diag(sev, at, fmt, ap);
    if (d->tail)
        d->tail->next = g;
    else
        d->head = g;
    d->tail = g;
    return g;
}

Diag *diag_error(DiagList *d, Span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    Diag *g = add(d, DIAG_ERROR, at, fmt, ap);
    va_end(ap);
    return g;
}

Diag *diag_warning(DiagList *d, Span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    Diag *g = add(d, DIAG_WARNING, at, fmt, ap);
    va_end(ap);
    return g;
}

void diag_note(DiagList *d, Diag *to, Span at, const char *fmt, ...)
{
    (void)d;
    if (!to)
        return;
    va_list ap;
    va_start(ap, fmt);
    Diag *n = new_diag(DIAG_NOTE, at, fmt, ap);
    va_end(ap);
    n->severity = DIAG_NOTE;
    Diag **p = &to->notes;
    while (*p)
        p = &(*p)->next;
    *p = n;
}

bool diag_has_errors(const DiagList *d)
{
    return d->nerrors > 0;
}

static const char *severity_name(DiagSeverity s)
{
    switch (s) {
    case DIAG_ERROR:
        return "error";
    case DIAG_WARNING:
        return "warning";
    case DIAG_NOTE:
        return "note";
    }
    UNREACHABLE();
}

/* Prints one source line with tabs kept (so the caret lines up) and non-printable bytes as '?'. */
static void render_one(const SrcFile *f, const Diag *g, Buf *out)
{
    if (!g->has_span || !f) {
        buf_printf(out, "%s: %s: %s\n", f ? f->path : "dmlc", severity_name(g->severity),
                   g->message);
        return;
    }
    uint32_t begin = g->span.begin > f->len ? (uint32_t)f->len : g->span.begin;
    uint32_t end = g->span.end > f->len ? (uint32_t)f->len : g->span.end;
    if (end < begin)
        end = begin;
    uint32_t line, col;
    src_line_col(f, begin, &line, &col);
    buf_printf(out, "%s:%u:%u: %s: %s\n", f->path, line, col, severity_name(g->severity),
               g->message);
    uint32_t ls = f->line_starts[line - 1];
    uint32_t le = ls;
    while (le < f->len && f->text[le] != '\n' && f->text[le] != '\r')
        le++;
    /* Very long lines (generated code) are clipped around the column so output stays readable. */
    enum { MAX_SHOWN = 200 };
    uint32_t from = ls, to = le;
    if (to - from > MAX_SHOWN) {
        from = begin > ls + MAX_SHOWN / 2 ? begin - MAX_SHOWN / 2 : ls;
        to = from + MAX_SHOWN < le ? from + MAX_SHOWN : le;
    }
    buf_puts(out, "  ");
    for (uint32_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)f->text[i];
        buf_putc(out, (c == '\t' || (c >= 0x20 && c != 0x7f)) ? (char)c : '?');
    }
    buf_puts(out, "\n  ");
    for (uint32_t i = from; i < begin && i < to; i++)
        buf_putc(out, f->text[i] == '\t' ? '\t' : ' ');
    buf_putc(out, '^');
    uint32_t stop = end < to ? end : to;
    for (uint32_t i = begin + 1; i < stop; i++)
        buf_putc(out, '~');
    buf_putc(out, '\n');
}

typedef struct {
    const Diag *diag;
    size_t order; /* report order, so equal positions keep it */
} Ranked;

static int compare_position(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    uint32_t px = x->diag->has_span ? x->diag->span.begin : 0;
    uint32_t py = y->diag->has_span ? y->diag->span.begin : 0;
    if (px != py)
        return px < py ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

void diag_render(const DiagList *d, Buf *out)
{
    size_t n = 0;
    for (const Diag *g = d->head; g; g = g->next)
        n++;
    Ranked *sorted = malloc(sizeof(Ranked) * (n ? n : 1));
    if (!sorted)
        DIE("out of memory");
    n = 0;
    for (const Diag *g = d->head; g; g = g->next, n++) {
        sorted[n].diag = g;
        sorted[n].order = n;
    }
    qsort(sorted, n, sizeof(Ranked), compare_position);
    for (size_t i = 0; i < n; i++) {
        render_one(d->file, sorted[i].diag, out);
        for (const Diag *note = sorted[i].diag->notes; note; note = note->next)
            render_one(d->file, note, out);
    }
    free(sorted);
    if (d->truncated)
        buf_printf(out, "%s: error: too many errors (%d); stopping\n",
                   d->file ? d->file->path : "dmlc", d->nerrors);
}
