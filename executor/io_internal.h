/* io_internal.h: what the data-file readers and writers share, and the per-format entry points.
 *
 * io.c checks the declaration against the format and dispatches on the extension to io_csv.c,
 * io_npy.c, io_mtx.c and io_svm.c. The text formats read the whole file into memory (io_text.c)
 * and walk it line by line, so that every error names path:line:col; numbers are parsed as the
 * declared dtype and written back exactly by io_number.c. Every writer goes through IoWriter
 * (io_write.c): missing folders are created, the bytes go to "path.tmp.PID" in the same folder,
 * are flushed to disk, and only then renamed over the real name. */
#ifndef DMLC_EXECUTOR_IO_INTERNAL_H
#define DMLC_EXECUTOR_IO_INTERNAL_H

#include "executor/io.h"

#include <stdio.h>
#include <string.h>

/* ---- per-format entry points (io.c has checked the rank and csr-ness the format allows) ---- */

/* The writers take the elements of a dense array (rank 0 only for .npy, rank 1 or 2 for .csv). */
Tensor *io_csv_load(const char *path, const IoExpect *expect, RtError *err);
bool io_csv_write(const char *path, DType dtype, int rank, const int64_t *shape, const void *data,
                  RtError *err);

Tensor *io_npy_load(const char *path, const IoExpect *expect, RtError *err);
bool io_npy_write(const char *path, DType dtype, int rank, const int64_t *shape, const void *data,
                  RtError *err);

Tensor *io_mtx_load(const char *path, const IoExpect *expect, RtError *err);
bool io_mtx_save(const char *path, const Tensor *t, RtError *err);

bool io_svm_load(const char *path, DType dtype, Tensor **X, Tensor **y, RtError *err);

/* ---- errors (io_text.c) ---- */

/* "path: error: ..." */
bool io_errorf(RtError *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- a text file in memory, read line by line (io_text.c) ---- */

typedef struct {
    const char *path;
    char *data;       /* the file's bytes followed by a NUL (the file may hold NULs too) */
    size_t size;      /* bytes in the file */
    const char *next; /* where the next line starts (past a UTF-8 byte order mark on line 1) */
    int64_t line;     /* number of the line last returned, 1-based */
} IoText;

/* One line: [begin, end) without its '\n' and without a '\r' just before it. */
typedef struct {
    const char *begin, *end;
    int64_t number;
} IoLine;

/* Reads the whole file; "path: error: cannot open: No such file or directory" when it fails. */
bool io_text_open(IoText *text, const char *path, RtError *err);
void io_text_close(IoText *text);
/* The next line, or false at the end of the file (a final '\n' does not start an empty line). */
bool io_text_next_line(IoText *text, IoLine *line);
/* Bytes from the start of the next line to the end of the file. */
size_t io_text_bytes_left(const IoText *text);

/* "path:LINE:COL: error: ..." where COL is the 1-based byte column of `at` in the line. */
bool io_errorf_at(RtError *err, const char *path, const IoLine *line, const char *at,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The field [begin, end) as it goes after "saw": "'abc'" quoted, with control and non-ASCII
 * bytes escaped (\0, \t, \xff) and long text cut with "...". An empty field is described by what
 * follows it: "','" or "end of line" when end == line_end. */
void io_describe_field(const char *begin, const char *end, const char *line_end, char *out,
                       size_t size);

static inline bool io_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline const char *io_skip_blanks(const char *p, const char *end)
{
    while (p < end && io_is_blank(*p))
        p++;
    return p;
}

/* The end of the whitespace-separated token starting at p. */
static inline const char *io_token_end(const char *p, const char *end)
{
    while (p < end && !io_is_blank(*p))
        p++;
    return p;
}

/* ---- numbers (io_number.c) ---- */

typedef enum {
    IO_VALUE_OK,
    IO_VALUE_SYNTAX, /* not a number of the dtype's kind */
    IO_VALUE_RANGE,  /* an integer outside the dtype's range */
} IoValueStatus;

/* Parses the whole field [begin, end) as one element of `dtype` into *out (a float, double,
 * int32_t, int64_t or uint8_t). Floats: decimal with optional exponent, or nan / inf / infinity,
 * with an optional sign, as strtod rounds them (correctly rounded; strtof for f32). Integers:
 * optional sign and decimal digits only ("1.0" is not an i64). Bools: 0, 1, true, false (any
 * case). The character after `end` must not continue a number (a separator, or the final NUL). */
IoValueStatus io_parse_value(const char *begin, const char *end, DType dtype, void *out);
/* Reports a field that io_parse_value refused: "expected a number, saw 'abc'", "expected an i64
 * integer, saw '1.5'", "expected a bool (0, 1, true or false), saw '2'", "integer '3000000000'
 * is out of range for i32", at the field's column. */
bool io_value_error(RtError *err, const char *path, const IoLine *line, const char *begin,
                    const char *end, DType dtype, IoValueStatus status);
/* A strictly decimal non-negative integer (no sign) that fits in int64. */
bool io_parse_count(const char *begin, const char *end, int64_t *out);
/* True when the field is a number (any kind) or a bool word: used to tell a header row apart. */
bool io_field_is_value(const char *begin, const char *end);

/* Adds element k of src into element j of dst (same dtype; bools or, integers wrap). */
void io_accumulate(DType dtype, void *dst, int64_t j, const void *src, int64_t k);

/* ---- a growable array of fixed-size elements (io_text.c) ---- */

typedef struct {
    char *data;
    size_t count, capacity; /* in elements */
    size_t elem;            /* bytes per element */
} IoArray;

/* Makes room for `more` further elements; false when memory runs out or the size overflows. */
bool io_array_reserve(IoArray *a, size_t more);
void io_array_free(IoArray *a);

/* A pointer to a new element at the end (uninitialised), or NULL when memory runs out. */
static inline void *io_array_push(IoArray *a)
{
    if (a->count == a->capacity && !io_array_reserve(a, 1))
        return NULL;
    return a->data + a->elem * a->count++;
}

/* ---- writing (io_write.c; io_format_value and io_scalar_element in io_number.c) ---- */

typedef struct {
    const char *path;
    char *temp_path; /* path.tmp.PID */
    FILE *file;
} IoWriter;

/* Creates the missing folders above path and opens path.tmp.PID for writing. */
bool io_writer_open(IoWriter *w, const char *path, RtError *err);
/* Flushes, fsyncs and closes the temporary file and renames it to the real name; on any failure
 * removes it and reports "path: error: cannot write: <reason>". */
bool io_writer_commit(IoWriter *w, RtError *err);
/* Creates every missing folder above `path` (mkdir -p of its dirname). */
bool io_make_parent_folders(const char *path, RtError *err);

enum { IO_NUMBER_TEXT_MAX = 40 };

/* Writes element k of data as text into out (IO_NUMBER_TEXT_MAX bytes): f64 with 17 significant
 * digits, f32 with 9 (both read back exactly), integers in decimal, bools as 0 / 1. Returns the
 * length. */
int io_format_value(char *out, DType dtype, const void *data, int64_t k);

/* A scalar's element laid out as in a tensor of its dtype. */
typedef union {
    double f64;
    float f32;
    int64_t i64;
    int32_t i32;
    uint8_t b;
} IoElement;

/* Fills *out from a bool, integer or float scalar; false for any other dtype (str). */
bool io_scalar_element(RtValue v, IoElement *out);

/* ---- small helpers ---- */

/* The NumPy-style name of a dtype's element ("float64"), used in messages. */
const char *io_numpy_name(DType dtype);

#endif
