/* io_svm.c: libsvm / svmlight text files, read into a csr matrix X and a label vector y.
 *
 * Each line is "label idx:value idx:value ..." with 1-based feature indices strictly increasing
 * along the line; a '#' starts a comment that runs to the end of the line, and lines that are
 * empty (or only a comment) are skipped. X has one row per labelled line and as many columns as
 * the largest index; labels and values are parsed as the requested dtype. */
#include "executor/io_internal.h"

#include <stdlib.h>

typedef struct {
    const char *path;
    DType dtype;
    IoArray labels, rowptr, colidx, values;
    int64_t cols; /* the largest index seen */
    RtError *err;
} SvmReader;

/* "expected X, saw Y" at the token [begin, end). */
static bool expected_at(SvmReader *s, const IoLine *line, const char *begin, const char *end,
                        const char *what)
{
    char saw[200];
    io_describe_field(begin, end, line->end, saw, sizeof saw);
    return io_errorf_at(s->err, s->path, line, begin, "expected %s, saw %s", what, saw);
}

/* Reports running out of memory while collecting the entries. */
static bool out_of_memory(SvmReader *s)
{
    return io_errorf(s->err, s->path, "out of memory after %zu entries", s->values.count);
}

/* One "idx:value" token [begin, end); previous is the last index on the line (0 at first). */
static bool read_feature(SvmReader *s, const IoLine *line, const char *begin, const char *end,
                         int64_t *previous)
{
    const char *colon = memchr(begin, ':', (size_t)(end - begin));
    if (!colon)
        return expected_at(s, line, begin, end, "index:value");
    int64_t index;
    if (!io_parse_count(begin, colon, &index))
        return expected_at(s, line, begin, colon, "a feature index (a positive integer)");
    if (index == 0)
        return expected_at(s, line, begin, colon, "a feature index of 1 or more (they start at 1)");
    if (index <= *previous) {
        char what[96];
        snprintf(what, sizeof what, "a feature index greater than %lld (indices must increase)",
                 (long long)*previous);
        return expected_at(s, line, begin, colon, what);
    }
    *previous = index;
    int64_t *col = io_array_push(&s->colidx);
    void *value = io_array_push(&s->values);
    if (!col || !value)
        return out_of_memory(s);
    *col = index - 1;
    if (index > s->cols)
        s->cols = index;
    IoValueStatus status = io_parse_value(colon + 1, end, s->dtype, value);
    if (status != IO_VALUE_OK)
        return io_value_error(s->err, s->path, line, colon + 1, end, s->dtype, status);
    return true;
}

/* One line: a label and its features (the comment already cut off). */
static bool read_line(SvmReader *s, const IoLine *line)
{
    const char *p = io_skip_blanks(line->begin, line->end);
    const char *end = io_token_end(p, line->end);
    void *label = io_array_push(&s->labels);
    if (!label)
        return out_of_memory(s);
    IoValueStatus status = io_parse_value(p, end, s->dtype, label);
    if (status != IO_VALUE_OK)
        return io_value_error(s->err, s->path, line, p, end, s->dtype, status);
    int64_t previous = 0;
    for (p = io_skip_blanks(end, line->end); p < line->end; p = io_skip_blanks(end, line->end)) {
        end = io_token_end(p, line->end);
        if (!read_feature(s, line, p, end, &previous))
            return false;
    }
    int64_t *row_end = io_array_push(&s->rowptr);
    if (!row_end)
        return out_of_memory(s);
    *row_end = (int64_t)s->colidx.count;
    return true;
}

/* Reads every line into the reader's arrays. */
static bool read_lines(SvmReader *s, IoText *text)
{
    int64_t *zero = io_array_push(&s->rowptr);
    if (!zero)
        return out_of_memory(s);
    *zero = 0;
    IoLine line;
    while (io_text_next_line(text, &line)) {
        const char *hash = memchr(line.begin, '#', (size_t)(line.end - line.begin));
        if (hash)
            line.end = hash;
        if (io_skip_blanks(line.begin, line.end) == line.end)
            continue;
        if (!read_line(s, &line))
            return false;
    }
    return true;
}

/* Moves the arrays into X (csr) and y. */
static bool build_tensors(SvmReader *s, Tensor **X, Tensor **y)
{
    int64_t rows = (int64_t)s->labels.count, nnz = (int64_t)s->values.count;
    size_t elem = dtype_size(s->dtype);
    *X = tensor_new_csr(s->dtype, rows, s->cols, nnz);
    *y = tensor_new(s->dtype, 1, &rows);
    if (!*X || !*y) {
        tensor_unref(*X);
        tensor_unref(*y);
        *X = *y = NULL;
        return io_errorf(s->err, s->path, "out of memory for %lld rows", (long long)rows);
    }
    memcpy((*X)->rowptr, s->rowptr.data, (size_t)(rows + 1) * sizeof(int64_t));
    if (nnz > 0) {
        memcpy((*X)->colidx, s->colidx.data, (size_t)nnz * sizeof(int64_t));
        memcpy((*X)->data, s->values.data, (size_t)nnz * elem);
    }
    if (rows > 0)
        memcpy((*y)->data, s->labels.data, (size_t)rows * elem);
    return true;
}

bool io_svm_load(const char *path, DType dtype, Tensor **X, Tensor **y, RtError *err)
{
    *X = *y = NULL;
    IoText text;
    if (!io_text_open(&text, path, err))
        return false;
    size_t elem = dtype_size(dtype);
    SvmReader s = {
        .path = path,
        .dtype = dtype,
        .labels = {.elem = elem},
        .rowptr = {.elem = sizeof(int64_t)},
        .colidx = {.elem = sizeof(int64_t)},
        .values = {.elem = elem},
        .err = err,
    };
    bool ok = read_lines(&s, &text) && build_tensors(&s, X, y);
    io_array_free(&s.labels);
    io_array_free(&s.rowptr);
    io_array_free(&s.colidx);
    io_array_free(&s.values);
    io_text_close(&text);
    return ok;
}
