/* io_mtx.c: MatrixMarket .mtx files, read (coordinate and array) and written.
 *
 * A file is a banner "%%MatrixMarket matrix coordinate|array real|integer|pattern
 * general|symmetric", comment lines starting with '%', a size line ("rows cols entries" for
 * coordinate, "rows cols" for array), then one entry per line: "i j value" with 1-based indices
 * (no value for pattern, which means 1), or for array one value per line in column-major order.
 * A symmetric file holds the lower triangle, which is mirrored. Coordinate entries become a csr
 * matrix with each row's columns sorted and duplicates summed in file order (as scipy's tocsr
 * does), or a dense matrix when the declaration is dense. Declared sizes are checked against the
 * bytes left in the file before anything is allocated. */
#include "executor/io_internal.h"

#include <stdlib.h>

typedef enum { MTX_COORDINATE, MTX_ARRAY } MtxFormat;
typedef enum { MTX_REAL, MTX_INTEGER, MTX_PATTERN } MtxField;

enum {
    MTX_MIN_ENTRY_BYTES = 4, /* "1 1\n": the shortest coordinate line (pattern) */
    MTX_MIN_VALUE_BYTES = 2, /* "1\n": the shortest array line */
};

typedef struct {
    const char *path;
    IoText text;
    DType dtype;
    MtxFormat format;
    MtxField field;
    bool symmetric;
    int64_t rows, cols, entries; /* from the size line */
    int64_t size_line;           /* its number, for messages */
    RtError *err;
} MtxReader;

/* True when [begin, end) is `word`, ignoring ASCII case. */
static bool same_word(const char *begin, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - begin) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = begin[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* "expected X, saw Y" at the token [begin, end). */
static bool expected_at(MtxReader *m, const IoLine *line, const char *begin, const char *end,
                        const char *what)
{
    char saw[200];
    io_describe_field(begin, end, line->end, saw, sizeof saw);
    return io_errorf_at(m->err, m->path, line, begin, "expected %s, saw %s", what, saw);
}

/* The next whitespace-separated token of the line: [*begin, *end), *p moves past it. */
static void next_token(const IoLine *line, const char **p, const char **begin, const char **end)
{
    *begin = io_skip_blanks(*p, line->end);
    *end = io_token_end(*begin, line->end);
    *p = *end;
}

/* Reports anything but blanks after the last token. */
static bool expect_line_end(MtxReader *m, const IoLine *line, const char *p)
{
    const char *begin, *end;
    next_token(line, &p, &begin, &end);
    if (begin == line->end)
        return true;
    return expected_at(m, line, begin, end, "end of line");
}

/* One banner word among `words` (lower case); *which is its index. */
static bool banner_word(MtxReader *m, const IoLine *line, const char **p, const char *const *words,
                        int count, const char *what, int *which)
{
    const char *begin, *end;
    next_token(line, p, &begin, &end);
    for (int i = 0; i < count; i++) {
        if (same_word(begin, end, words[i])) {
            *which = i;
            return true;
        }
    }
    return expected_at(m, line, begin, end, what);
}

/* The banner: %%MatrixMarket matrix FORMAT FIELD SYMMETRY. */
static bool read_banner(MtxReader *m)
{
    static const char *const object[] = {"matrix"};
    static const char *const format[] = {"coordinate", "array"};
    static const char *const field[] = {"real", "integer", "pattern"};
    static const char *const symmetry[] = {"general", "symmetric"};
    IoLine line;
    if (!io_text_next_line(&m->text, &line))
        return io_errorf(m->err, m->path,
                         "expected the banner '%%%%MatrixMarket matrix ...', saw an empty file");
    const char *p = line.begin, *begin, *end;
    next_token(&line, &p, &begin, &end);
    if (begin != line.begin || !same_word(begin, end, "%%matrixmarket"))
        return expected_at(m, &line, begin, end, "the banner '%%MatrixMarket matrix ...'");
    int object_kind = 0, format_kind = 0, field_kind = 0, symmetry_kind = 0;
    if (!banner_word(m, &line, &p, object, 1, "'matrix'", &object_kind) ||
        !banner_word(m, &line, &p, format, 2, "'coordinate' or 'array'", &format_kind))
        return false;
    const char *field_at = io_skip_blanks(p, line.end);
    if (!banner_word(m, &line, &p, field, 3, "'real', 'integer' or 'pattern'", &field_kind) ||
        !banner_word(m, &line, &p, symmetry, 2, "'general' or 'symmetric'", &symmetry_kind) ||
        !expect_line_end(m, &line, p))
        return false;
    m->format = format_kind == 0 ? MTX_COORDINATE : MTX_ARRAY;
    m->field = field_kind == 0 ? MTX_REAL : field_kind == 1 ? MTX_INTEGER : MTX_PATTERN;
    m->symmetric = symmetry_kind == 1;
    if (m->format == MTX_ARRAY && m->field == MTX_PATTERN)
        return io_errorf_at(m->err, m->path, &line, field_at,
                            "'pattern' needs the coordinate format, not 'array'");
    return true;
}

/* The next line that is neither a comment nor empty; false at the end of the file. */
static bool next_data_line(MtxReader *m, IoLine *line)
{
    while (io_text_next_line(&m->text, line)) {
        const char *p = io_skip_blanks(line->begin, line->end);
        if (p != line->end && *p != '%')
            return true;
    }
    return false;
}

/* One non-negative count of the size line. */
static bool size_number(MtxReader *m, const IoLine *line, const char **p, const char *what,
                        int64_t *out)
{
    const char *begin, *end;
    next_token(line, p, &begin, &end);
    if (io_parse_count(begin, end, out))
        return true;
    return expected_at(m, line, begin, end, what);
}

/* "rows cols entries" (coordinate) or "rows cols" (array), checked against the bytes left. */
static bool read_size_line(MtxReader *m)
{
    IoLine line;
    if (!next_data_line(m, &line))
        return io_errorf(m->err, m->path,
                         "expected a size line after the banner, saw the end of the file");
    m->size_line = line.number;
    const char *p = line.begin;
    if (!size_number(m, &line, &p, "the number of rows", &m->rows) ||
        !size_number(m, &line, &p, "the number of columns", &m->cols))
        return false;
    if (m->format == MTX_COORDINATE &&
        !size_number(m, &line, &p, "the number of entries", &m->entries))
        return false;
    if (!expect_line_end(m, &line, p))
        return false;
    if (m->symmetric && m->rows != m->cols)
        return io_errorf_at(m->err, m->path, &line, line.begin,
                            "a symmetric matrix must be square, saw %lld rows and %lld columns",
                            (long long)m->rows, (long long)m->cols);
    size_t left = io_text_bytes_left(&m->text) + 1; /* the last line needs no '\n' */
    if (m->format == MTX_COORDINATE) {
        if ((uint64_t)m->entries > left / MTX_MIN_ENTRY_BYTES)
            return io_errorf_at(m->err, m->path, &line, line.begin,
                                "the size line declares %lld entries, but only %zu bytes follow",
                                (long long)m->entries, left - 1);
        return true;
    }
    /* array: rows * cols values, or the lower triangle rows * (rows + 1) / 2 */
    uint64_t values;
    uint64_t a = (uint64_t)m->rows, b = m->symmetric ? (uint64_t)m->rows + 1 : (uint64_t)m->cols;
    if (a != 0 && b > UINT64_MAX / a)
        values = UINT64_MAX;
    else
        values = m->symmetric ? a * b / 2 : a * b;
    if (values > left / MTX_MIN_VALUE_BYTES)
        return io_errorf_at(m->err, m->path, &line, line.begin,
                            "the size line declares %lld x %lld values, but only %zu bytes follow",
                            (long long)m->rows, (long long)m->cols, left - 1);
    m->entries = (int64_t)values;
    return true;
}

/* One index token in 1..limit, returned 0-based. */
static bool read_index(MtxReader *m, const IoLine *line, const char **p, const char *what,
                       int64_t limit, int64_t *out)
{
    const char *begin, *end;
    next_token(line, p, &begin, &end);
    int64_t index;
    if (io_parse_count(begin, end, &index) && index >= 1 && index <= limit) {
        *out = index - 1;
        return true;
    }
    char expected[96];
    snprintf(expected, sizeof expected, "a %s index in 1..%lld", what, (long long)limit);
    return expected_at(m, line, begin, end, expected);
}

/* One value token parsed as the dtype into *out. */
static bool read_value(MtxReader *m, const IoLine *line, const char **p, void *out)
{
    const char *begin, *end;
    next_token(line, p, &begin, &end);
    IoValueStatus status = io_parse_value(begin, end, m->dtype, out);
    if (status != IO_VALUE_OK)
        return io_value_error(m->err, m->path, line, begin, end, m->dtype, status);
    return true;
}

/* The coordinate entries, in file order, each off-diagonal symmetric one followed by its mirror. */
typedef struct {
    IoArray row, col, value;
} Entries;

/* Frees the entry arrays. */
static void entries_free(Entries *e)
{
    io_array_free(&e->row);
    io_array_free(&e->col);
    io_array_free(&e->value);
}

/* Appends one entry; false when memory runs out. */
static bool entries_add(Entries *e, int64_t row, int64_t col, const void *value, size_t elem)
{
    int64_t *r = io_array_push(&e->row), *c = io_array_push(&e->col);
    void *v = io_array_push(&e->value);
    if (!r || !c || !v)
        return false;
    *r = row;
    *c = col;
    memcpy(v, value, elem);
    return true;
}

/* Reads every coordinate entry line. */
static bool read_entries(MtxReader *m, Entries *e)
{
    size_t elem = dtype_size(m->dtype);
    size_t reserve = (size_t)m->entries;
    if (!io_array_reserve(&e->row, reserve) || !io_array_reserve(&e->col, reserve) ||
        !io_array_reserve(&e->value, reserve))
        return io_errorf(m->err, m->path, "out of memory for %lld entries", (long long)m->entries);
    IoElement one, value;
    static const char one_text[] = "1";
    io_parse_value(one_text, one_text + 1, m->dtype, &one);
    int64_t count = 0;
    IoLine line;
    while (next_data_line(m, &line)) {
        if (count == m->entries)
            return io_errorf_at(m->err, m->path, &line, line.begin,
                                "more entries than the %lld declared on line %lld",
                                (long long)m->entries, (long long)m->size_line);
        const char *p = line.begin;
        int64_t i, j;
        if (!read_index(m, &line, &p, "row", m->rows, &i) ||
            !read_index(m, &line, &p, "column", m->cols, &j))
            return false;
        if (m->field == MTX_PATTERN)
            value = one;
        else if (!read_value(m, &line, &p, &value))
            return false;
        if (!expect_line_end(m, &line, p))
            return false;
        if (!entries_add(e, i, j, &value, elem) ||
            (m->symmetric && i != j && !entries_add(e, j, i, &value, elem)))
            return io_errorf(m->err, m->path, "out of memory after %lld entries", (long long)count);
        count++;
    }
    if (count < m->entries)
        return io_errorf(m->err, m->path,
                         "expected %lld entries as declared on line %lld, found %lld",
                         (long long)m->entries, (long long)m->size_line, (long long)count);
    return true;
}

/* A csr entry being sorted: its column, then its place in the file (so duplicates sum in file
 * order). */
typedef struct {
    int64_t col, id;
} SortKey;

/* qsort order: by column, then by place in the file. */
static int compare_keys(const void *pa, const void *pb)
{
    const SortKey *a = pa, *b = pb;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Sorts one row's keys unless they already are (the usual case). */
static void sort_row(SortKey *keys, size_t n)
{
    for (size_t k = 1; k < n; k++) {
        if (compare_keys(&keys[k - 1], &keys[k]) > 0) {
            qsort(keys, n, sizeof *keys, compare_keys);
            return;
        }
    }
}

/* The entries as a csr matrix: rows' columns sorted, duplicates summed. */
static Tensor *entries_to_csr(MtxReader *m, const Entries *e)
{
    int64_t n = (int64_t)e->row.count;
    const int64_t *row = (const int64_t *)e->row.data, *col = (const int64_t *)e->col.data;
    Tensor *t = tensor_new_csr(m->dtype, m->rows, m->cols, n);
    SortKey *keys = malloc((size_t)(n ? n : 1) * sizeof *keys);
    if (!t || !keys) {
        tensor_unref(t);
        free(keys);
        io_errorf(m->err, m->path, "out of memory for a %lld x %lld csr matrix", (long long)m->rows,
                  (long long)m->cols);
        return NULL;
    }
    /* Bucket the entries by row (rowptr[r + 1] counts row r, then is where it ends). */
    int64_t *rowptr = t->rowptr;
    memset(rowptr, 0, (size_t)(m->rows + 1) * sizeof *rowptr);
    for (int64_t k = 0; k < n; k++)
        rowptr[row[k] + 1]++;
    for (int64_t r = 0; r < m->rows; r++)
        rowptr[r + 1] += rowptr[r];
    for (int64_t k = 0; k < n; k++)
        keys[rowptr[row[k]]++] = (SortKey){col[k], k};
    /* Now rowptr[r] is where row r ends; walk the rows, merging duplicates. */
    size_t elem = dtype_size(m->dtype);
    int64_t begin = 0, out = 0;
    for (int64_t r = 0; r < m->rows; r++) {
        int64_t end = rowptr[r];
        rowptr[r] = out;
        sort_row(keys + begin, (size_t)(end - begin));
        for (int64_t k = begin; k < end; k++) {
            if (out > rowptr[r] && t->colidx[out - 1] == keys[k].col) {
                io_accumulate(m->dtype, t->data, out - 1, e->value.data, keys[k].id);
            } else {
                t->colidx[out] = keys[k].col;
                memcpy((char *)t->data + (size_t)out * elem,
                       e->value.data + (size_t)keys[k].id * elem, elem);
                out++;
            }
        }
        begin = end;
    }
    rowptr[m->rows] = out;
    t->numel = out;
    free(keys);
    return t;
}

/* The entries as a dense matrix: zeros, plus each entry (duplicates summed in file order). */
static Tensor *entries_to_dense(MtxReader *m, const Entries *e)
{
    int64_t shape[2] = {m->rows, m->cols};
    Tensor *t = tensor_zeros(m->dtype, 2, shape);
    if (!t) {
        io_errorf(m->err, m->path, "out of memory for a dense %lld x %lld matrix",
                  (long long)m->rows, (long long)m->cols);
        return NULL;
    }
    const int64_t *row = (const int64_t *)e->row.data, *col = (const int64_t *)e->col.data;
    for (size_t k = 0; k < e->row.count; k++)
        io_accumulate(m->dtype, t->data, row[k] * m->cols + col[k], e->value.data, (int64_t)k);
    return t;
}

/* The array format: values in column-major order (the lower triangle when symmetric). */
static Tensor *read_array(MtxReader *m)
{
    int64_t shape[2] = {m->rows, m->cols};
    Tensor *t = tensor_new(m->dtype, 2, shape);
    if (!t) {
        io_errorf(m->err, m->path, "out of memory for a dense %lld x %lld matrix",
                  (long long)m->rows, (long long)m->cols);
        return NULL;
    }
    size_t elem = dtype_size(m->dtype);
    char *data = t->data;
    int64_t i = 0, j = 0, count = 0; /* the next value is row i of column j */
    IoLine line;
    while (next_data_line(m, &line)) {
        if (count == m->entries) {
            io_errorf_at(m->err, m->path, &line, line.begin,
                         "more values than the %lld declared on line %lld", (long long)m->entries,
                         (long long)m->size_line);
            goto fail;
        }
        const char *p = line.begin;
        void *slot = data + (size_t)(i * m->cols + j) * elem;
        if (!read_value(m, &line, &p, slot) || !expect_line_end(m, &line, p))
            goto fail;
        if (m->symmetric)
            memcpy(data + (size_t)(j * m->cols + i) * elem, slot, elem);
        count++;
        if (++i == m->rows) {
            j++;
            i = m->symmetric ? j : 0;
        }
    }
    if (count < m->entries) {
        io_errorf(m->err, m->path, "expected %lld values as declared on line %lld, found %lld",
                  (long long)m->entries, (long long)m->size_line, (long long)count);
        goto fail;
    }
    return t;
fail:
    tensor_unref(t);
    return NULL;
}

Tensor *io_mtx_load(const char *path, const IoExpect *expect, RtError *err)
{
    MtxReader m = {.path = path, .dtype = expect->dtype, .err = err};
    if (!io_text_open(&m.text, path, err))
        return NULL;
    Tensor *t = NULL;
    if (read_banner(&m) && read_size_line(&m)) {
        if (m.format == MTX_ARRAY) {
            if (expect->sparse)
                io_errorf(err, path,
                          "the file holds a dense matrix (MatrixMarket array format), "
                          "the declaration says csr");
            else
                t = read_array(&m);
        } else {
            size_t elem = dtype_size(m.dtype);
            Entries e = {{.elem = sizeof(int64_t)}, {.elem = sizeof(int64_t)}, {.elem = elem}};
            if (read_entries(&m, &e))
                t = expect->sparse ? entries_to_csr(&m, &e) : entries_to_dense(&m, &e);
            entries_free(&e);
        }
    }
    io_text_close(&m.text);
    return t;
}

/* ---- writing ---- */

/* Writes "i j value" lines of a csr matrix. */
static void write_coordinate(FILE *f, const Tensor *t)
{
    char text[IO_NUMBER_TEXT_MAX];
    for (int64_t r = 0; r < t->shape[0]; r++) {
        for (int64_t k = t->rowptr[r]; k < t->rowptr[r + 1]; k++) {
            io_format_value(text, t->dtype, t->data, k);
            fprintf(f, "%lld %lld %s\n", (long long)r + 1, (long long)t->colidx[k] + 1, text);
        }
    }
}

/* Writes the values of a dense matrix one per line, column by column. */
static void write_array(FILE *f, const Tensor *t)
{
    char text[IO_NUMBER_TEXT_MAX];
    for (int64_t j = 0; j < t->shape[1]; j++) {
        for (int64_t i = 0; i < t->shape[0]; i++) {
            int n = io_format_value(text, t->dtype, t->data, i * t->shape[1] + j);
            text[n] = '\n';
            fwrite(text, 1, (size_t)n + 1, f);
        }
    }
}

bool io_mtx_save(const char *path, const Tensor *t, RtError *err)
{
    IoWriter w;
    if (!io_writer_open(&w, path, err))
        return false;
    const char *field = type_is_float(t->dtype) ? "real" : "integer";
    if (t->sparse) {
        fprintf(w.file, "%%%%MatrixMarket matrix coordinate %s general\n%lld %lld %lld\n", field,
                (long long)t->shape[0], (long long)t->shape[1], (long long)t->numel);
        write_coordinate(w.file, t);
    } else {
        fprintf(w.file, "%%%%MatrixMarket matrix array %s general\n%lld %lld\n", field,
                (long long)t->shape[0], (long long)t->shape[1]);
        write_array(w.file, t);
    }
    return io_writer_commit(&w, err);
}
