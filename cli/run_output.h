/* run_output.h: what `dmlc run` shows and records while the program runs: the runtime's observer
 * callbacks (log, print, non-finite metrics) turned into the progress line or plain log lines,
 * warnings, and the metrics record behind --metrics and --plot.
 *
 *   stderr a terminal, not --quiet    the progress line, redrawn in place on stderr
 *   stdout not a terminal, not --quiet plain lines "step 12  objective=0.0123  nnz=5" on stdout
 *   print(...)                         its line on stdout, always
 *   a nan or inf metric                a warning on stderr, once per metric, even with --quiet */
#ifndef DMLC_CLI_RUN_OUTPUT_H
#define DMLC_CLI_RUN_OUTPUT_H

#include "executor/metrics.h"
#include "executor/progress.h"
#include "executor/runtime.h"

#include <stdbool.h>

typedef struct {
    const char *program_path; /* names the program in warnings */
    bool quiet;
    bool progress_line;   /* draw the progress line on stderr */
    bool plain_lines;     /* write plain log lines on stdout */
    bool clear_for_print; /* stdout shares the terminal with the progress line */
    bool line_shown;      /* the progress line is on the screen */
    Progress progress;
    bool record;              /* keep every log call (for --metrics or --plot) */
    Metrics metrics;          /* every log call, when recording */
    const char *metrics_path; /* --metrics (NULL: none): rewritten now and then during the run */
    double next_metrics_write_s;
    double metrics_write_interval_s;
    double last_flush_s; /* of stdout, for plain lines */
    char **warned;       /* metrics already reported non-finite */
    int nwarned;
} RunOutput;

/* Chooses what to show from --quiet and whether stdout and stderr are terminals. record: keep
 * every log call (--metrics or --plot); metrics_path: --metrics, or NULL. */
void run_output_init(RunOutput *out, const char *program_path, bool quiet, bool record,
                     const char *metrics_path);
void run_output_free(RunOutput *out);

/* The observer to hand to rt_run. */
RtObserver run_output_observer(RunOutput *out);

/* Ends the progress line: its final state and a newline (done: the run succeeded). */
void run_output_finish(RunOutput *out, bool done);

/* Writes the metrics file (atomically): true on success, else a message on stderr. */
bool run_output_write_metrics(RunOutput *out);

/* Seconds on the monotonic clock. */
double run_output_now(void);

#endif
