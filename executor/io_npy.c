/* io_npy.c: NumPy .npy files (format versions 1.0, 2.0 and 3.0), read and written.
 *
 * A file is the magic "\x93NUMPY", a version, the header's length (2 bytes in 1.0, 4 in 2.0 and
 * 3.0), the header (a Python dict literal: {'descr': '<f8', 'fortran_order': False, 'shape':
 * (442, 10), } padded with spaces and a '\n'), then the elements. Only little-endian f4 f8 i4 i8
 * and b1 in C order are read, and the file's dtype must be the declared one. Everything in the
 * header is checked against the file's size before anything is allocated. Writing produces what
 * numpy.save does (byte for byte with NumPy 1.24): version 1.0, or 2.0 when the header does not
 * fit in 65535 bytes. */
#define _POSIX_C_SOURCE 200809L
#include "executor/io_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char NPY_MAGIC[] = "\x93NUMPY";
enum {
    NPY_MAGIC_BYTES = 6,
    NPY_PREFIX_V1 = 10,         /* magic, 2 version bytes, 2-byte header length */
    NPY_PREFIX_V2 = 12,         /* magic, 2 version bytes, 4-byte header length */
    NPY_ALIGN = 64,             /* numpy pads the header so that the data starts 64-aligned */
    NPY_GROWTH_DIGITS = 21,     /* numpy.lib.format.GROWTH_AXIS_MAX_DIGITS */
    NPY_MAX_DIMS = 64,          /* numpy's own limit */
    NPY_DESCR_MAX = 32,         /* longest descr kept (the supported ones have 3 characters) */
    NPY_HEADER_V1_MAX = 0xffff, /* a 2-byte length */
};

/* The element types read and written, by their descr. */
static const struct {
    const char *descr;
    DType dtype;
    const char *name; /* as in messages: "f8" */
} NPY_TYPES[] = {
    {"<f8", DT_F64, "f8"}, {"<f4", DT_F32, "f4"},  {"<i8", DT_I64, "i8"},
    {"<i4", DT_I32, "i4"}, {"|b1", DT_BOOL, "b1"}, {"<b1", DT_BOOL, "b1"},
};
enum { NPY_TYPE_COUNT = sizeof NPY_TYPES / sizeof NPY_TYPES[0] };

/* The descr numpy writes for a dtype ("<f8", "|b1"). */
static const char *npy_descr(DType dtype)
{
    return dtype == DT_BOOL  ? "|b1"
           : dtype == DT_F64 ? "<f8"
           : dtype == DT_F32 ? "<f4"
           : dtype == DT_I64 ? "<i8"
                             : "<i4";
}

/* The elements are copied as they are, which is right only on a little-endian machine. */
static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* ---- the header: a Python dict literal ---- */

typedef struct {
    char descr[NPY_DESCR_MAX];
    bool fortran_order;
    int rank;
    int64_t shape[NPY_MAX_DIMS];
    bool has_descr, has_fortran_order, has_shape;
} NpyHeader;

typedef struct {
    const char *path;
    const char *text, *p, *end; /* the header's bytes */
    size_t offset;              /* of text[0] in the file, for messages */
    RtError *err;
} HeaderParser;

/* A character of a Python name or number. */
static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* "malformed .npy header at byte N: expected X, saw Y" at the parser's position. */
static bool header_expected(HeaderParser *hp, const char *what)
{
    const char *token_end = hp->p;
    while (token_end < hp->end && is_word_char(*token_end))
        token_end++;
    if (token_end == hp->p && hp->p < hp->end)
        token_end++;
    char saw[200];
    if (hp->p >= hp->end)
        snprintf(saw, sizeof saw, "the end of the header");
    else
        io_describe_field(hp->p, token_end, hp->end, saw, sizeof saw);
    return io_errorf(hp->err, hp->path, "malformed .npy header at byte %zu: expected %s, saw %s",
                     hp->offset + (size_t)(hp->p - hp->text), what, saw);
}

/* Skips spaces, tabs and line ends. */
static void header_skip_space(HeaderParser *hp)
{
    while (hp->p < hp->end && (*hp->p == ' ' || *hp->p == '\t' || *hp->p == '\n' || *hp->p == '\r'))
        hp->p++;
}

/* Consumes c (after spaces) or reports what was expected. */
static bool header_expect_char(HeaderParser *hp, char c, const char *what)
{
    header_skip_space(hp);
    if (hp->p < hp->end && *hp->p == c) {
        hp->p++;
        return true;
    }
    return header_expected(hp, what);
}

/* A quoted string ('...' or "..."), copied into out (cut to size - 1 bytes). */
static bool header_string(HeaderParser *hp, char *out, size_t size, const char *what)
{
    header_skip_space(hp);
    if (hp->p >= hp->end || (*hp->p != '\'' && *hp->p != '"'))
        return header_expected(hp, what);
    char quote = *hp->p++;
    size_t n = 0;
    while (hp->p < hp->end && *hp->p != quote) {
        if (*hp->p == '\\' && hp->p + 1 < hp->end)
            hp->p++;
        if (n + 1 < size)
            out[n++] = *hp->p;
        hp->p++;
    }
    out[n] = '\0';
    if (hp->p >= hp->end)
        return header_expected(hp, "the closing quote of a string");
    hp->p++;
    return true;
}

/* True or False. */
static bool header_bool(HeaderParser *hp, bool *out)
{
    header_skip_space(hp);
    const char *start = hp->p;
    while (hp->p < hp->end && is_word_char(*hp->p))
        hp->p++;
    size_t n = (size_t)(hp->p - start);
    if (n == 4 && memcmp(start, "True", 4) == 0)
        *out = true;
    else if (n == 5 && memcmp(start, "False", 5) == 0)
        *out = false;
    else {
        hp->p = start;
        return header_expected(hp, "True or False");
    }
    return true;
}

/* The shape: a tuple (or list) of non-negative integers, "(442, 10)", "(3,)", "()". */
static bool header_shape(HeaderParser *hp, NpyHeader *h)
{
    header_skip_space(hp);
    if (hp->p >= hp->end || (*hp->p != '(' && *hp->p != '['))
        return header_expected(hp, "a shape tuple such as (3, 4)");
    char close = *hp->p++ == '(' ? ')' : ']';
    h->rank = 0;
    for (;;) {
        header_skip_space(hp);
        if (hp->p < hp->end && *hp->p == close)
            break;
        const char *start = hp->p;
        while (hp->p < hp->end && *hp->p >= '0' && *hp->p <= '9')
            hp->p++;
        int64_t dim;
        if (!io_parse_count(start, hp->p, &dim)) {
            hp->p = start;
            return header_expected(hp, "a dimension (a non-negative integer)");
        }
        if (hp->p < hp->end && (*hp->p == 'L' || *hp->p == 'l'))
            hp->p++; /* Python 2 wrote long integers as 3L */
        if (h->rank == NPY_MAX_DIMS)
            return io_errorf(hp->err, hp->path, "malformed .npy header: more than %d dimensions",
                             NPY_MAX_DIMS);
        h->shape[h->rank++] = dim;
        header_skip_space(hp);
        if (hp->p < hp->end && *hp->p == ',') {
            hp->p++;
            continue;
        }
        if (hp->p < hp->end && *hp->p == close)
            break;
        return header_expected(hp, close == ')' ? "',' or ')'" : "',' or ']'");
    }
    hp->p++;
    return true;
}

/* One "key: value" of the dict. */
static bool header_entry(HeaderParser *hp, NpyHeader *h)
{
    char key[64];
    const char *key_at = hp->p;
    if (!header_string(hp, key, sizeof key, "a key string or '}'"))
        return false;
    bool *seen = strcmp(key, "descr") == 0           ? &h->has_descr
                 : strcmp(key, "fortran_order") == 0 ? &h->has_fortran_order
                 : strcmp(key, "shape") == 0         ? &h->has_shape
                                                     : NULL;
    if (!seen)
        return io_errorf(hp->err, hp->path,
                         "malformed .npy header at byte %zu: unexpected key '%s' (expected "
                         "'descr', 'fortran_order' and 'shape')",
                         hp->offset + (size_t)(key_at - hp->text), key);
    if (*seen)
        return io_errorf(hp->err, hp->path, "malformed .npy header: the key '%s' appears twice",
                         key);
    *seen = true;
    if (!header_expect_char(hp, ':', "':'"))
        return false;
    if (seen == &h->has_descr) {
        header_skip_space(hp);
        if (hp->p < hp->end && *hp->p == '[')
            return io_errorf(hp->err, hp->path,
                             "unsupported dtype: a structured array (expected little-endian f4, "
                             "f8, i4, i8 or b1)");
        return header_string(hp, h->descr, sizeof h->descr, "a dtype string such as '<f8'");
    }
    if (seen == &h->has_fortran_order)
        return header_bool(hp, &h->fortran_order);
    return header_shape(hp, h);
}

/* Parses the whole header dict; anything after its '}' must be padding. */
static bool header_parse(HeaderParser *hp, NpyHeader *h)
{
    *h = (NpyHeader){0};
    if (!header_expect_char(hp, '{', "'{'"))
        return false;
    for (;;) {
        header_skip_space(hp);
        if (hp->p < hp->end && *hp->p == '}')
            break;
        if (!header_entry(hp, h))
            return false;
        header_skip_space(hp);
        if (hp->p < hp->end && *hp->p == ',') {
            hp->p++;
            continue;
        }
        if (hp->p < hp->end && *hp->p == '}')
            break;
        return header_expected(hp, "',' or '}'");
    }
    hp->p++;
    header_skip_space(hp);
    if (hp->p < hp->end)
        return header_expected(hp, "the end of the header");
    const char *missing = !h->has_descr           ? "descr"
                          : !h->has_fortran_order ? "fortran_order"
                          : !h->has_shape         ? "shape"
                                                  : NULL;
    if (missing)
        return io_errorf(hp->err, hp->path, "malformed .npy header: no '%s' key", missing);
    return true;
}

/* "(442, 10)" as Python prints a tuple. */
static void format_shape(int rank, const int64_t *shape, char *out, size_t size)
{
    int n = snprintf(out, size, "(");
    for (int i = 0; i < rank && n >= 0 && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n >= 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, rank == 1 ? ",)" : ")");
}

/* ---- reading ---- */

/* Reads exactly n bytes at the current position; false on a short read. */
static bool read_bytes(FILE *f, void *out, size_t n)
{
    return fread(out, 1, n, f) == n;
}

/* Reads the prefix and the header; *data_offset is where the elements start. */
static bool read_header(FILE *f, const char *path, int64_t file_size, NpyHeader *h,
                        int64_t *data_offset, RtError *err)
{
    unsigned char prefix[NPY_PREFIX_V2];
    size_t got = fread(prefix, 1, NPY_PREFIX_V1, f);
    if (got < NPY_MAGIC_BYTES || memcmp(prefix, NPY_MAGIC, NPY_MAGIC_BYTES) != 0)
        return io_errorf(err, path, "not a .npy file (it does not start with \\x93NUMPY)");
    if (got < NPY_PREFIX_V1)
        return io_errorf(err, path, "truncated .npy header: expected at least %d bytes, found %zu",
                         NPY_PREFIX_V1, got);
    int major = prefix[6], minor = prefix[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return io_errorf(err, path,
                         "unsupported .npy format version %d.%d (expected 1.0, 2.0 or 3.0)", major,
                         minor);
    int64_t header_bytes, header_start;
    if (major == 1) {
        header_start = NPY_PREFIX_V1;
        header_bytes = prefix[8] | prefix[9] << 8;
    } else {
        if (!read_bytes(f, prefix + NPY_PREFIX_V1, NPY_PREFIX_V2 - NPY_PREFIX_V1))
            return io_errorf(err, path,
                             "truncated .npy header: expected at least %d bytes, found %lld",
                             NPY_PREFIX_V2, (long long)file_size);
        header_start = NPY_PREFIX_V2;
        header_bytes = (int64_t)((uint32_t)prefix[8] | (uint32_t)prefix[9] << 8 |
                                 (uint32_t)prefix[10] << 16 | (uint32_t)prefix[11] << 24);
    }
    if (header_bytes > file_size - header_start)
        return io_errorf(err, path, "truncated .npy header: expected %lld bytes, found %lld",
                         (long long)header_bytes, (long long)(file_size - header_start));
    char *text = malloc((size_t)header_bytes + 1);
    if (!text)
        return io_errorf(err, path, "out of memory reading the .npy header");
    bool ok = read_bytes(f, text, (size_t)header_bytes);
    if (!ok)
        io_errorf(err, path, "cannot read: %s", strerror(errno));
    HeaderParser hp = {.path = path,
                       .text = text,
                       .p = text,
                       .end = text + header_bytes,
                       .offset = (size_t)header_start,
                       .err = err};
    ok = ok && header_parse(&hp, h);
    free(text);
    *data_offset = header_start + header_bytes;
    return ok;
}

/* Checks the header against the declaration and the file size; *numel is the element count. */
static bool check_header(const char *path, const NpyHeader *h, const IoExpect *expect,
                         int64_t data_bytes_in_file, int64_t *numel, RtError *err)
{
    int type = 0;
    while (type < NPY_TYPE_COUNT && strcmp(NPY_TYPES[type].descr, h->descr) != 0)
        type++;
    if (type == NPY_TYPE_COUNT)
        return io_errorf(err, path,
                         "unsupported dtype '%s' (expected little-endian f4, f8, i4, i8 or b1)",
                         h->descr);
    if (h->fortran_order)
        return io_errorf(err, path,
                         "the array is in Fortran (column-major) order; only C order is "
                         "supported (save numpy.ascontiguousarray(a))");
    DType dtype = NPY_TYPES[type].dtype;
    if (dtype != expect->dtype)
        return io_errorf(err, path, "the file holds %s (%s), the declaration says %s",
                         NPY_TYPES[type].name, io_numpy_name(dtype),
                         type_dtype_name(expect->dtype));
    char shape[NPY_MAX_DIMS * 24];
    format_shape(h->rank, h->shape, shape, sizeof shape);
    if (h->rank != expect->rank)
        return io_errorf(err, path,
                         "the file holds a rank-%d array of shape %s, the declaration says "
                         "rank %d",
                         h->rank, shape, expect->rank);
    int64_t elements = 1;
    int64_t item = (int64_t)dtype_size(dtype);
    for (int i = 0; i < h->rank; i++) {
        if (h->shape[i] != 0 && elements > INT64_MAX / item / h->shape[i])
            return io_errorf(err, path, "the shape %s is too large", shape);
        elements *= h->shape[i];
    }
    int64_t expected = elements * item;
    if (data_bytes_in_file < expected)
        return io_errorf(
            err, path, "truncated data: expected %lld bytes for shape %s of %s, found %lld",
            (long long)expected, shape, NPY_TYPES[type].name, (long long)data_bytes_in_file);
    if (data_bytes_in_file > expected)
        return io_errorf(err, path,
                         "%lld unexpected bytes after the data (shape %s of %s needs %lld "
                         "bytes)",
                         (long long)(data_bytes_in_file - expected), shape, NPY_TYPES[type].name,
                         (long long)expected);
    *numel = elements;
    return true;
}

/* Opens a regular file for reading and finds its size; NULL (and an error) otherwise. */
static FILE *open_regular_file(const char *path, int64_t *size, RtError *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        io_errorf(err, path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        io_errorf(err, path, "cannot read: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        io_errorf(err, path, "cannot read: %s",
                  S_ISDIR(st.st_mode) ? "it is a folder" : "not a regular file");
    } else {
        *size = (int64_t)st.st_size;
        return f;
    }
    fclose(f);
    return NULL;
}

Tensor *io_npy_load(const char *path, const IoExpect *expect, RtError *err)
{
    if (!host_is_little_endian()) {
        io_errorf(err, path, "reading .npy files needs a little-endian machine");
        return NULL;
    }
    int64_t file_size;
    FILE *f = open_regular_file(path, &file_size, err);
    if (!f)
        return NULL;
    NpyHeader h;
    int64_t data_offset = 0, numel = 0;
    Tensor *t = NULL;
    if (read_header(f, path, file_size, &h, &data_offset, err) &&
        check_header(path, &h, expect, file_size - data_offset, &numel, err)) {
        t = tensor_new(expect->dtype, h.rank, h.shape);
        if (!t)
            io_errorf(err, path, "out of memory for %lld elements", (long long)numel);
        else if (!read_bytes(f, t->data, tensor_bytes(t))) {
            io_errorf(err, path, "cannot read: %s", ferror(f) ? strerror(errno) : "short read");
            tensor_unref(t);
            t = NULL;
        } else if (t->dtype == DT_BOOL) {
            uint8_t *b = t->data;
            for (int64_t i = 0; i < t->numel; i++)
                b[i] = b[i] != 0;
        }
    }
    fclose(f);
    return t;
}

/* ---- writing ---- */

bool io_npy_write(const char *path, DType dtype, int rank, const int64_t *shape, const void *data,
                  RtError *err)
{
    if (!host_is_little_endian())
        return io_errorf(err, path, "writing .npy files needs a little-endian machine");
    char shape_text[NPY_MAX_DIMS * 24];
    format_shape(rank, shape, shape_text, sizeof shape_text);
    char header[NPY_MAX_DIMS * 24 + 4 * NPY_ALIGN];
    int n =
        snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                 npy_descr(dtype), shape_text);
    if (rank > 0) {
        /* numpy leaves room to grow the first dimension in place. */
        char first[24];
        int digits = snprintf(first, sizeof first, "%lld", (long long)shape[0]);
        for (int i = digits; i < NPY_GROWTH_DIGITS; i++)
            header[n++] = ' ';
    }
    int prefix = NPY_PREFIX_V1;
    int version = 1;
    int pad = NPY_ALIGN - (prefix + n + 1) % NPY_ALIGN;
    if (n + pad + 1 > NPY_HEADER_V1_MAX) {
        prefix = NPY_PREFIX_V2;
        version = 2;
        pad = NPY_ALIGN - (prefix + n + 1) % NPY_ALIGN;
    }
    for (int i = 0; i < pad; i++)
        header[n++] = ' ';
    header[n++] = '\n';
    unsigned char head[NPY_PREFIX_V2];
    memcpy(head, NPY_MAGIC, NPY_MAGIC_BYTES);
    head[6] = (unsigned char)version;
    head[7] = 0;
    for (int i = 0; i < prefix - 8; i++)
        head[8 + i] = (unsigned char)((uint32_t)n >> (8 * i));

    IoWriter w;
    if (!io_writer_open(&w, path, err))
        return false;
    fwrite(head, 1, (size_t)prefix, w.file);
    fwrite(header, 1, (size_t)n, w.file);
    size_t elements = 1;
    for (int i = 0; i < rank; i++)
        elements *= (size_t)shape[i];
    fwrite(data, dtype_size(dtype), elements, w.file);
    return io_writer_commit(&w, err);
}
