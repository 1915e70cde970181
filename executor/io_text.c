/* io_text.c: text data files in memory, line by line, and the errors that point into them. */
#define _POSIX_C_SOURCE 200809L
#include "executor/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors ---- */

bool io_errorf(RtError *err, const char *path, const char *fmt, ...)
{
    char message[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return rt_errorf(err, "%s: error: %s", path, message);
}

bool io_errorf_at(RtError *err, const char *path, const IoLine *line, const char *at,
                  const char *fmt, ...)
{
    char message[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    long long column = (long long)(at - line->begin) + 1;
    return rt_errorf(err, "%s:%lld:%lld: error: %s", path, (long long)line->number, column,
                     message);
}

enum { IO_FIELD_SHOWN = 40 }; /* bytes of a bad field quoted in a message */

/* Appends one byte of a quoted field, escaped when it is not printable ASCII. */
static size_t describe_byte(unsigned char c, char *out)
{
    if (c == '\'' || c == '\\')
        return (size_t)sprintf(out, "\\%c", c);
    if (c >= 0x20 && c < 0x7f) {
        out[0] = (char)c;
        return 1;
    }
    if (c == '\0')
        return (size_t)sprintf(out, "\\0");
    if (c == '\t')
        return (size_t)sprintf(out, "\\t");
    if (c == '\r')
        return (size_t)sprintf(out, "\\r");
    return (size_t)sprintf(out, "\\x%02x", c);
}

void io_describe_field(const char *begin, const char *end, const char *line_end, char *out,
                       size_t size)
{
    char text[IO_FIELD_SHOWN * 4 + 8];
    size_t n = 0;
    if (begin == end) {
        if (end >= line_end) {
            snprintf(out, size, "end of line");
            return;
        }
        end = begin + 1; /* the separator that ends the empty field */
    }
    text[n++] = '\'';
    const char *p = begin;
    for (; p < end && p - begin < IO_FIELD_SHOWN; p++)
        n += describe_byte((unsigned char)*p, text + n);
    if (p < end)
        n += (size_t)sprintf(text + n, "...");
    text[n++] = '\'';
    text[n] = '\0';
    snprintf(out, size, "%s", text);
}

/* ---- reading a whole file ---- */

bool io_text_open(IoText *text, const char *path, RtError *err)
{
    *text = (IoText){.path = path};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return io_errorf(err, path, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return io_errorf(err, path, "cannot read: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return io_errorf(err, path, "cannot read: %s",
                         S_ISDIR(st.st_mode) ? "it is a folder" : "not a regular file");
    }
    if ((uintmax_t)st.st_size >= SIZE_MAX) {
        close(fd);
        return io_errorf(err, path, "cannot read: the file is too large for memory");
    }
    size_t size = (size_t)st.st_size;
    char *data = malloc(size + 1);
    if (!data) {
        close(fd);
        return io_errorf(err, path, "out of memory reading %zu bytes", size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            free(data);
            close(fd);
            return io_errorf(err, path, "cannot read: %s",
                             e ? strerror(e) : "the file shrank while it was read");
        }
        got += (size_t)n;
    }
    close(fd);
    data[size] = '\0';
    text->data = data;
    text->size = size;
    text->next = data;
    if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        text->next += 3; /* a UTF-8 byte order mark, as spreadsheets write */
    return true;
}

void io_text_close(IoText *text)
{
    free(text->data);
    text->data = NULL;
}

bool io_text_next_line(IoText *text, IoLine *line)
{
    const char *end_of_file = text->data + text->size;
    if (!text->data || text->next >= end_of_file)
        return false;
    const char *begin = text->next;
    const char *newline = memchr(begin, '\n', (size_t)(end_of_file - begin));
    const char *end = newline ? newline : end_of_file;
    text->next = newline ? newline + 1 : end_of_file;
    if (end > begin && end[-1] == '\r')
        end--;
    text->line++;
    *line = (IoLine){.begin = begin, .end = end, .number = text->line};
    return true;
}

size_t io_text_bytes_left(const IoText *text)
{
    return (size_t)(text->data + text->size - text->next);
}

/* ---- growable arrays ---- */

bool io_array_reserve(IoArray *a, size_t more)
{
    if (more <= a->capacity - a->count)
        return true;
    if (more > SIZE_MAX / a->elem - a->count)
        return false;
    size_t need = a->count + more;
    size_t capacity = a->capacity ? a->capacity : 1024;
    while (capacity < need)
        capacity = capacity > SIZE_MAX / 2 / a->elem ? need : capacity * 2;
    char *data = realloc(a->data, capacity * a->elem);
    if (!data)
        return false;
    a->data = data;
    a->capacity = capacity;
    return true;
}

void io_array_free(IoArray *a)
{
    free(a->data);
    a->data = NULL;
    a->count = a->capacity = 0;
}
