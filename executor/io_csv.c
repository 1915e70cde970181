/* io_csv.c: comma-separated text, dense rank 1 or 2, read and written.
 *
 * Reading: values separated by commas, with optional spaces or tabs around them; CRLF line ends
 * are fine, the last line's '\n' is optional and empty lines may close the file. A first line in
 * which no field is a number (and some field has a letter) is a header and is skipped. Rank 2
 * wants the same number of values on every line; rank 1 takes one value per line or a single line
 * of values. Each value is parsed as the declared dtype (io_parse_value). Writing: one row per
 * line, f64 with 17 significant digits and f32 with 9, so that the file reads back to the same
 * bits. */
#include "executor/io_internal.h"

#include <stdlib.h>

typedef struct {
    const char *path;
    DType dtype;
    int rank;
    IoArray values;
    int64_t rows;       /* data lines read */
    int64_t cols;       /* values on the first data line */
    int64_t first_line; /* its line number */
    RtError *err;
} CsvReader;

/* True when the line holds nothing but spaces and tabs. */
static bool line_is_empty(const IoLine *line)
{
    return io_skip_blanks(line->begin, line->end) == line->end;
}

/* The end of the field starting at p: the next comma or the end of the line. */
static const char *field_end(const char *p, const char *end)
{
    if (p >= end)
        return end;
    const char *comma = memchr(p, ',', (size_t)(end - p));
    return comma ? comma : end;
}

/* The field [p, end) without the spaces and tabs that end it. */
static const char *trim_end(const char *p, const char *end)
{
    while (end > p && io_is_blank(end[-1]))
        end--;
    return end;
}

/* True when the text has a byte that can only be part of a name: a letter, '_', a quote, or a
 * non-ASCII byte (UTF-8). */
static bool has_name_byte(const char *p, const char *end)
{
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '"' || c == '\'' ||
            c >= 0x80)
            return true;
    }
    return false;
}

/* A header: a line in which no field is a number or a bool word, and some field has a letter
 * (so that "1 2 3", a file separated by spaces, is an error rather than a skipped header). */
static bool line_is_header(const IoLine *line)
{
    bool named = false;
    const char *p = line->begin;
    for (;;) {
        p = io_skip_blanks(p, line->end);
        const char *end = field_end(p, line->end);
        const char *value_end = trim_end(p, end);
        if (io_field_is_value(p, value_end))
            return false;
        named = named || has_name_byte(p, value_end);
        if (end == line->end)
            return named;
        p = end + 1;
    }
}

/* The number of fields from p to the end of the line. */
static int64_t count_fields(const char *p, const char *end)
{
    int64_t n = 1;
    while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* "line 3 has 4 values, but line 1 has 3", at the first value too many or at the line's end. */
static bool columns_error(CsvReader *r, const IoLine *line, const char *at, int64_t count)
{
    return io_errorf_at(r->err, r->path, line, at,
                        "line %lld has %lld value%s, but line %lld has %lld",
                        (long long)line->number, (long long)count, count == 1 ? "" : "s",
                        (long long)r->first_line, (long long)r->cols);
}

/* Parses the values of one data line and appends them. */
static bool parse_line(CsvReader *r, const IoLine *line)
{
    if (r->rank == 1 && r->rows == 1 && r->cols > 1)
        return io_errorf_at(r->err, r->path, line, line->begin,
                            "expected one value per line or a single line of values for a rank-1 "
                            "tensor, saw a second line after %lld values on line %lld",
                            (long long)r->cols, (long long)r->first_line);
    const char *p = line->begin;
    int64_t k = 0;
    for (;;) {
        p = io_skip_blanks(p, line->end);
        const char *end = field_end(p, line->end);
        if (r->rows > 0 && k == r->cols)
            return columns_error(r, line, p, k + count_fields(p, line->end));
        void *slot = io_array_push(&r->values);
        if (!slot)
            return io_errorf(r->err, r->path, "out of memory after %zu values", r->values.count);
        const char *value_end = trim_end(p, end);
        IoValueStatus status = io_parse_value(p, value_end, r->dtype, slot);
        if (status != IO_VALUE_OK)
            return io_value_error(r->err, r->path, line, p, value_end, r->dtype, status);
        k++;
        if (end == line->end)
            break;
        p = end + 1;
    }
    if (r->rows > 0 && k < r->cols)
        return columns_error(r, line, line->end, k);
    if (r->rows == 0) {
        r->cols = k;
        r->first_line = line->number;
    }
    r->rows++;
    return true;
}

/* Reads every line; empty lines may only close the file. */
static bool read_lines(CsvReader *r, IoText *text)
{
    IoLine line, empty = {0};
    bool header_possible = true;
    while (io_text_next_line(text, &line)) {
        if (line_is_empty(&line)) {
            if (!empty.number)
                empty = line;
            continue;
        }
        if (empty.number)
            return io_errorf_at(r->err, r->path, &empty, empty.begin,
                                "empty line (only the last lines of the file may be empty)");
        if (header_possible) {
            header_possible = false;
            if (line_is_header(&line))
                continue;
        }
        if (!parse_line(r, &line))
            return false;
    }
    return true;
}

Tensor *io_csv_load(const char *path, const IoExpect *expect, RtError *err)
{
    IoText text;
    if (!io_text_open(&text, path, err))
        return NULL;
    CsvReader r = {
        .path = path,
        .dtype = expect->dtype,
        .rank = expect->rank,
        .values = {.elem = dtype_size(expect->dtype)},
        .err = err,
    };
    Tensor *t = NULL;
    if (read_lines(&r, &text)) {
        int64_t shape[2] = {r.rows, r.rows ? r.cols : 0};
        if (r.rank == 1)
            shape[0] = r.rows == 1 ? r.cols : r.rows;
        t = tensor_new(r.dtype, r.rank, shape);
        if (t)
            memcpy(t->data, r.values.data ? r.values.data : "", tensor_bytes(t));
        else
            io_errorf(err, path, "out of memory for %zu values", r.values.count);
    }
    io_array_free(&r.values);
    io_text_close(&text);
    return t;
}

/* ---- writing ---- */

/* Writes count elements from data[first], separated by `separator`, and a '\n'. */
static void write_values(FILE *f, DType dtype, const void *data, int64_t first, int64_t count,
                         char separator)
{
    char text[IO_NUMBER_TEXT_MAX];
    for (int64_t k = 0; k < count; k++) {
        if (k > 0)
            fputc(separator, f);
        int n = io_format_value(text, dtype, data, first + k);
        fwrite(text, 1, (size_t)n, f);
    }
    fputc('\n', f);
}

bool io_csv_write(const char *path, DType dtype, int rank, const int64_t *shape, const void *data,
                  RtError *err)
{
    IoWriter w;
    if (!io_writer_open(&w, path, err))
        return false;
    int64_t rows = shape[0], cols = rank == 2 ? shape[1] : 1;
    for (int64_t i = 0; i < rows; i++)
        write_values(w.file, dtype, data, i * cols, cols, ',');
    return io_writer_commit(&w, err);
}
