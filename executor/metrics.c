/* metrics.c: records log calls and writes them as csv or jsonl (metrics.h). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "executor/metrics.h"

#include "support/die.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void metrics_init(Metrics *m)
{
    memset(m, 0, sizeof *m);
}

void metrics_free(Metrics *m)
{
    for (int i = 0; i < m->nkeys; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->steps);
    free(m->row_begin);
    free(m->entries);
    metrics_init(m);
}

/* Grows *items (of elem bytes each) to hold at least need; *cap is its capacity. */
static void *grow(void *items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return items;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(items, n * elem);
    if (!p)
        DIE("out of memory recording metrics (%zu items)", n);
    *cap = n;
    return p;
}

int metrics_key_index(const Metrics *m, const char *key)
{
    for (int i = 0; i < m->nkeys; i++)
        if (strcmp(m->keys[i], key) == 0)
            return i;
    return -1;
}

/* The index of key, adding it when it is new. */
static int intern_key(Metrics *m, const char *key)
{
    int i = metrics_key_index(m, key);
    if (i >= 0)
        return i;
    size_t cap = (size_t)m->keys_cap;
    m->keys = grow(m->keys, &cap, (size_t)m->nkeys + 1, sizeof *m->keys);
    m->keys_cap = (int)cap;
    m->keys[m->nkeys] = strdup(key);
    if (!m->keys[m->nkeys])
        DIE("out of memory recording metrics");
    return m->nkeys++;
}

void metrics_record(Metrics *m, int64_t step, int n, const char *const *keys, const double *values)
{
    /* Both arrays have rows_cap elements; row_begin uses one more than there are rows (the end
     * of the last row). */
    size_t cap = m->rows_cap;
    m->steps = grow(m->steps, &cap, m->nrows + 2, sizeof *m->steps);
    cap = m->rows_cap;
    m->row_begin = grow(m->row_begin, &cap, m->nrows + 2, sizeof *m->row_begin);
    m->rows_cap = cap;
    if (m->nrows == 0)
        m->row_begin[0] = 0;
    size_t first = m->row_begin[m->nrows];
    m->entries = grow(m->entries, &m->entries_cap, m->nentries + (size_t)(n > 0 ? n : 0),
                      sizeof *m->entries);
    for (int i = 0; i < n; i++) {
        int key = intern_key(m, keys[i]);
        size_t e = first;
        while (e < m->nentries && m->entries[e].key != key)
            e++;
        if (e == m->nentries)
            m->nentries++;
        m->entries[e] = (MetricEntry){key, values[i]};
    }
    m->steps[m->nrows] = step;
    m->row_begin[++m->nrows] = m->nentries;
}

size_t metrics_series(const Metrics *m, int key, double *steps, double *values)
{
    size_t count = 0;
    for (size_t r = 0; r < m->nrows; r++) {
        for (size_t e = m->row_begin[r]; e < m->row_begin[r + 1]; e++) {
            if (m->entries[e].key != key)
                continue;
            if (steps)
                steps[count] = (double)m->steps[r];
            if (values)
                values[count] = m->entries[e].value;
            count++;
        }
    }
    return count;
}

bool metrics_format_of_path(const char *path, MetricsFormat *format)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".csv") == 0) {
        *format = METRICS_CSV;
        return true;
    }
    if (n > 6 && strcmp(path + n - 6, ".jsonl") == 0) {
        *format = METRICS_JSONL;
        return true;
    }
    return false;
}

void metrics_format_number(double v, Buf *out)
{
    if (isnan(v)) {
        buf_puts(out, "nan");
        return;
    }
    if (isinf(v)) {
        buf_puts(out, v > 0 ? "inf" : "-inf");
        return;
    }
    /* 17 significant digits always read back exactly; take the fewest that do. Any decimal of at
     * most 15 digits (DBL_DIG) survives a trip through a double, so %.15g already prints the
     * shortest form when one of 15 digits or fewer exists. */
    char text[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    buf_puts(out, text);
}

/* A csv cell: quoted (with "" for ") when it holds a comma, a quote or a line break. */
static void put_csv_text(Buf *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        buf_puts(out, s);
        return;
    }
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(out, '"');
        buf_putc(out, *s);
    }
    buf_putc(out, '"');
}

void metrics_format_csv(const Metrics *m, Buf *out)
{
    buf_puts(out, "step");
    for (int k = 0; k < m->nkeys; k++) {
        buf_putc(out, ',');
        put_csv_text(out, m->keys[k]);
    }
    buf_putc(out, '\n');
    /* cell[k]: the entry of key k in the current row, or -1. */
    long *cell = malloc(sizeof *cell * (size_t)(m->nkeys > 0 ? m->nkeys : 1));
    if (!cell)
        DIE("out of memory writing metrics");
    for (size_t r = 0; r < m->nrows; r++) {
        for (int k = 0; k < m->nkeys; k++)
            cell[k] = -1;
        for (size_t e = m->row_begin[r]; e < m->row_begin[r + 1]; e++)
            cell[m->entries[e].key] = (long)e;
        buf_printf(out, "%lld", (long long)m->steps[r]);
        for (int k = 0; k < m->nkeys; k++) {
            buf_putc(out, ',');
            if (cell[k] >= 0)
                metrics_format_number(m->entries[cell[k]].value, out);
        }
        buf_putc(out, '\n');
    }
    free(cell);
}

/* A JSON string literal. */
static void put_json_string(Buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c < 0x20)
            buf_printf(out, "\\u%04x", c);
        else
            buf_putc(out, (char)c);
    }
    buf_putc(out, '"');
}

void metrics_format_jsonl(const Metrics *m, Buf *out)
{
    for (size_t r = 0; r < m->nrows; r++) {
        buf_printf(out, "{\"step\": %lld", (long long)m->steps[r]);
        for (size_t e = m->row_begin[r]; e < m->row_begin[r + 1]; e++) {
            buf_puts(out, ", ");
            put_json_string(out, m->keys[m->entries[e].key]);
            buf_puts(out, ": ");
            double v = m->entries[e].value;
            if (isfinite(v))
                metrics_format_number(v, out);
            else
                buf_puts(out, "null");
        }
        buf_puts(out, "}\n");
    }
}

void metrics_format(const Metrics *m, MetricsFormat format, Buf *out)
{
    if (format == METRICS_CSV)
        metrics_format_csv(m, out);
    else
        metrics_format_jsonl(m, out);
}
