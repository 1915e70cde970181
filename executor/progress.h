/* progress.h: the text a run shows for its `log(...)` calls.
 *
 * On a terminal, one progress line redrawn in place:
 *
 *   step 120/500  412 steps/s  objective=0.0123  nnz=5  ETA 0:01
 *
 * "120/500" counts the steps begun (the outermost loop's iteration number plus one) out of the
 * loop's trip count (just "step 120" when the count is not known); the rate is measured from the
 * first log call on; the metrics are the latest log call's, printed with %.6g. When the run ends
 * the line shows "done in 2.7 s" (or "done in M:SS" past a minute), the time since the run
 * began, instead of the time left.
 *
 * Elsewhere (a pipe, a file), one plain line per log call, the step being the iteration number:
 *
 *   step 119  objective=0.0123  nnz=5
 *
 * Only formatting lives here: the caller passes the time and decides where the text goes. */
#ifndef DMLC_EXECUTOR_PROGRESS_H
#define DMLC_EXECUTOR_PROGRESS_H

#include "support/buf.h"

#include <stdbool.h>
#include <stdint.h>

/* Redraws of the progress line per second at most: smooth to the eye, cheap for fast loops. */
#define PROGRESS_REDRAW_INTERVAL_S 0.1

typedef struct {
    double start_s;      /* when the run began */
    bool any;            /* a log call was seen */
    bool drawn;          /* the line was drawn at least once */
    double first_s;      /* time of the first log call */
    int64_t first_step;  /* its step */
    double last_draw_s;  /* time of the last redraw */
    int64_t step, steps; /* the latest log call's step and the trip count (-1: unknown) */
    Buf metrics;         /* the latest metrics: "objective=0.0123  nnz=5" */
} Progress;

/* Starts the record of a run that began at start_s (seconds on any monotonic clock). */
void progress_init(Progress *p, double start_s);
void progress_free(Progress *p);

/* Records a log call made at now_s (same clock). Returns true when the line
 * is due for a redraw (the first call, then at most once per PROGRESS_REDRAW_INTERVAL_S) and
 * counts it as drawn. */
bool progress_update(Progress *p, double now_s, int64_t step, int64_t steps, int n,
                     const char *const *keys, const double *values);

/* The progress line at now_s, cut to width - 1 columns (width <= 1: not cut), without '\r' or
 * newline. done: the run has ended (the time taken instead of the ETA). */
void progress_format_line(const Progress *p, double now_s, bool done, int width, Buf *out);

/* The plain line of one log call, without newline: "step 119  objective=0.0123  nnz=5". */
void progress_format_plain(int64_t step, int n, const char *const *keys, const double *values,
                           Buf *out);

/* A duration: "0:07", "12:34", "1:02:03" (h:mm:ss past an hour). */
void progress_format_duration(double seconds, Buf *out);

#endif
