/* metrics.h: the record of a run's `log(...)` calls, and its csv and jsonl forms (`--metrics`).
 *
 * A record is one row per log call: the step and the (key, value) pairs of that call. Keys are
 * numbered in order of first appearance over the whole run. The writers produce whole files
 * (the CLI writes them at the end of the run, or when it fails, to a temporary name and renames
 * it). Numbers are written in the shortest form that reads back to the same double.
 *
 *   csv    a header `step,KEY1,KEY2,...` naming every key, then one line per log call; a key the
 *          call did not log is an empty cell; non-finite values are `nan`, `inf`, `-inf`
 *   jsonl  one JSON object per log call, `{"step": 3, "objective": 0.1, "nnz": 5}`, its keys in
 *          the order logged; JSON has no nan or infinity, so a non-finite value is `null` */
#ifndef DMLC_EXECUTOR_METRICS_H
#define DMLC_EXECUTOR_METRICS_H

#include "support/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int key; /* index into Metrics.keys */
    double value;
} MetricEntry;

typedef struct {
    char **keys; /* in order of first appearance; owned */
    int nkeys, keys_cap;
    int64_t *steps;    /* per row */
    size_t *row_begin; /* row r's entries are entries[row_begin[r] .. row_begin[r + 1]) */
    size_t nrows, rows_cap;
    MetricEntry *entries;
    size_t nentries, entries_cap;
} Metrics;

typedef enum { METRICS_CSV, METRICS_JSONL } MetricsFormat;

void metrics_init(Metrics *m);
void metrics_free(Metrics *m);

/* Records one log call. A key given twice in one call keeps its last value. */
void metrics_record(Metrics *m, int64_t step, int n, const char *const *keys, const double *values);

/* The index of a key, or -1 when it was never logged. */
int metrics_key_index(const Metrics *m, const char *key);

/* The points of one key, in row order: steps[i], values[i] for i < the returned count (arrays of
 * m->nrows elements, or NULL to count only). */
size_t metrics_series(const Metrics *m, int key, double *steps, double *values);

/* The format a file name asks for (".csv" or ".jsonl"); false for any other name. */
bool metrics_format_of_path(const char *path, MetricsFormat *format);

void metrics_format_csv(const Metrics *m, Buf *out);
void metrics_format_jsonl(const Metrics *m, Buf *out);
void metrics_format(const Metrics *m, MetricsFormat format, Buf *out);

/* The shortest decimal text that strtod reads back to v ("0.1", "5", "1e-06"), or "nan", "inf",
 * "-inf". */
void metrics_format_number(double v, Buf *out);

#endif
