/* plan.c: writes and reads plan files (plan.h): the header lines, the checksum, then the IR. */
#include "executor/plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char plan_magic[] = "// dmlc plan v";
static const char checksum_prefix[] = "// fnv1a64 ";
static const char source_prefix[] = "// source \"";
enum { CHECKSUM_HEX_DIGITS = 16 };

uint64_t plan_checksum(const char *text, size_t len)
{
    /* FNV-1a, 64-bit: offset basis and prime from the FNV reference. */
    uint64_t hash = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        hash ^= (unsigned char)text[i];
        hash *= 0x100000001b3u;
    }
    return hash;
}

/* Appends s as an IR string literal body: \" \\ \n \t escaped, other control bytes as \HH. */
static void put_escaped(Buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c == '\n')
            buf_puts(out, "\\n");
        else if (c == '\t')
            buf_puts(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            buf_printf(out, "\\%02X", c);
        else
            buf_putc(out, (char)c);
    }
}

void plan_write(const IrModule *m, const char *source_path, Buf *out)
{
    Buf body = {0};
    buf_puts(&body, source_prefix);
    put_escaped(&body, source_path ? source_path : "");
    buf_puts(&body, "\"\n");
    IrPrintOptions options = {.locations = true};
    ir_print(m, &body, &options);
    buf_printf(out, "%s%d\n%s%016" PRIx64 "\n", plan_magic, PLAN_VERSION, checksum_prefix,
               plan_checksum(body.data ? body.data : "", body.len));
    buf_append(out, body.data ? body.data : "", body.len);
    buf_free(&body);
}

/* The offset of the newline ending the line that starts at `from`, or len when there is none. */
static size_t line_end(const SrcFile *f, size_t from)
{
    const char *nl = from < f->len ? memchr(f->text + from, '\n', f->len - from) : NULL;
    return nl ? (size_t)(nl - f->text) : f->len;
}

static bool starts_with(const SrcFile *f, size_t at, size_t end, const char *prefix)
{
    size_t n = strlen(prefix);
    return end - at >= n && memcmp(f->text + at, prefix, n) == 0;
}

static Span span_of(size_t begin, size_t end)
{
    return (Span){(uint32_t)begin, (uint32_t)end};
}

/* A message about the whole file ("F.plan: error: ..."), with no line or column. */
static void file_error(DiagList *diags, const char *message)
{
    Diag *d = diag_error(diags, span_of(0, 0), "%s", message);
    if (d)
        d->has_span = false;
}

/* Line 1: the magic text and a supported version. */
static bool check_magic_line(const SrcFile *f, size_t end, DiagList *diags)
{
    size_t digits = strlen(plan_magic), n = 0;
    while (digits + n < end && f->text[digits + n] >= '0' && f->text[digits + n] <= '9')
        n++;
    if (!starts_with(f, 0, end, plan_magic) || n == 0 || digits + n != end) {
        diag_error(diags, span_of(0, end), "not a dmlc plan (expected '%s%d')", plan_magic,
                   PLAN_VERSION);
        return false;
    }
    char expected[16];
    snprintf(expected, sizeof expected, "%d", PLAN_VERSION);
    if (n != strlen(expected) || memcmp(f->text + digits, expected, n) != 0) {
        diag_error(diags, span_of(digits - 1, end),
                   "plan version %.*s is not supported by this dmlc (supports %d)",
                   n > 20 ? 20 : (int)n, f->text + digits, PLAN_VERSION);
        return false;
    }
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Line 2 (begin..end): "// fnv1a64 " and 16 hex digits; the value in *sum. */
static bool read_checksum_line(const SrcFile *f, size_t begin, size_t end, uint64_t *sum,
                               DiagList *diags)
{
    size_t at = begin + strlen(checksum_prefix);
    bool ok = starts_with(f, begin, end, checksum_prefix) && end - at == CHECKSUM_HEX_DIGITS;
    *sum = 0;
    for (size_t i = at; ok && i < end; i++) {
        int v = hex_value(f->text[i]);
        ok = v >= 0;
        *sum = *sum << 4 | (uint64_t)(v < 0 ? 0 : v);
    }
    if (!ok)
        diag_error(diags, span_of(begin, end),
                   "the plan is damaged: expected '%s' and %d hex digits on line 2",
                   checksum_prefix, CHECKSUM_HEX_DIGITS);
    return ok;
}

/* Line 3 (begin..end): '// source "PATH"'; the decoded path goes into the arena. */
static bool read_source_line(const SrcFile *f, size_t begin, size_t end, Arena *arena,
                             const char **source_path, DiagList *diags)
{
    size_t at = begin + strlen(source_prefix);
    Buf path = {0};
    bool ok = starts_with(f, begin, end, source_prefix);
    while (ok && at < end && f->text[at] != '"') {
        char c = f->text[at];
        if (c != '\\') {
            ok = c != '\0';
            buf_putc(&path, c);
            at++;
            continue;
        }
        char e = at + 1 < end ? f->text[at + 1] : '\0';
        if (e == '"' || e == '\\' || e == 'n' || e == 't') {
            buf_putc(&path, e == 'n' ? '\n' : e == 't' ? '\t' : e);
            at += 2;
        } else if (at + 2 < end && hex_value(e) >= 0 && hex_value(f->text[at + 2]) >= 0) {
            int v = hex_value(e) * 16 + hex_value(f->text[at + 2]);
            ok = v != 0;
            buf_putc(&path, (char)v);
            at += 3;
        } else {
            ok = false;
        }
    }
    ok = ok && at + 1 == end && f->text[at] == '"';
    if (ok && source_path)
        *source_path = arena_strndup(arena, path.data ? path.data : "", path.len);
    else if (!ok)
        diag_error(diags, span_of(begin, end), "expected '%sPATH\"' on line 3", source_prefix);
    buf_free(&path);
    return ok;
}

IrModule *plan_read(const SrcFile *file, Arena *arena, DiagList *diags, const char **source_path)
{
    if (source_path)
        *source_path = NULL;
    size_t end1 = line_end(file, 0);
    if (!check_magic_line(file, end1, diags))
        return NULL;
    if (end1 == file->len) {
        file_error(diags, "the plan is damaged: it ends after line 1 (truncated?)");
        return NULL;
    }
    size_t end2 = line_end(file, end1 + 1);
    uint64_t recorded;
    if (!read_checksum_line(file, end1 + 1, end2, &recorded, diags))
        return NULL;
    size_t body = end2 < file->len ? end2 + 1 : file->len;
    if (plan_checksum(file->text + body, file->len - body) != recorded) {
        file_error(diags, "the plan is damaged: checksum mismatch (truncated or edited?)");
        return NULL;
    }
    if (!read_source_line(file, body, line_end(file, body), arena, source_path, diags))
        return NULL;
    return ir_read(file, arena, diags);
}
