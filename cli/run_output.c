/* run_output.c: the observer of `dmlc run`: progress line, plain lines, warnings, metrics
 * (run_output.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, strdup */
#include "cli/run_output.h"

#include "cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* The metrics file is rewritten during a run at most this often, so a run that is killed keeps
 * what it logged; and never more often than WRITE_COST_FACTOR times the last write took, which
 * bounds the cost of the rewrites to a few percent of the run. */
#define METRICS_WRITE_INTERVAL_S 10.0
#define METRICS_WRITE_COST_FACTOR 20.0
/* Plain lines are flushed at most this often (and at the end), not one write per line. */
#define PLAIN_FLUSH_INTERVAL_S 0.2

/* ANSI: carriage return, then erase to the end of the line. */
static const char clear_line[] = "\r\033[K";

double run_output_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void run_output_init(RunOutput *out, const char *program_path, bool quiet, bool record,
                     const char *metrics_path)
{
    memset(out, 0, sizeof *out);
    out->program_path = program_path;
    out->quiet = quiet;
    out->record = record || metrics_path;
    bool err_tty = isatty(STDERR_FILENO), out_tty = isatty(STDOUT_FILENO);
    out->progress_line = !quiet && err_tty;
    out->plain_lines = !quiet && !out_tty;
    out->clear_for_print = out->progress_line && out_tty;
    double now = run_output_now();
    progress_init(&out->progress, now);
    metrics_init(&out->metrics);
    out->metrics_path = metrics_path;
    out->metrics_write_interval_s = METRICS_WRITE_INTERVAL_S;
    out->next_metrics_write_s = now + METRICS_WRITE_INTERVAL_S;
    out->last_flush_s = now;
}

void run_output_free(RunOutput *out)
{
    progress_free(&out->progress);
    metrics_free(&out->metrics);
    for (int i = 0; i < out->nwarned; i++)
        free(out->warned[i]);
    free(out->warned);
    memset(out, 0, sizeof *out);
}

/* Columns of the terminal on stderr (80 when it cannot tell). */
static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void draw_progress(RunOutput *out, double now, bool done)
{
    Buf line = {0};
    progress_format_line(&out->progress, now, done, terminal_width(), &line);
    fprintf(stderr, "%s%s", clear_line, buf_cstr(&line));
    fflush(stderr);
    buf_free(&line);
    out->line_shown = true;
}

/* Takes the progress line off the screen before other output shares the terminal. */
static void hide_progress(RunOutput *out)
{
    if (out->line_shown) {
        fputs(clear_line, stderr);
        fflush(stderr);
        out->line_shown = false;
    }
}

/* Rewrites the metrics file when it is due (see METRICS_WRITE_INTERVAL_S). Failures are left to
 * the final write, which reports them. */
static void maybe_write_metrics(RunOutput *out, double now)
{
    if (!out->metrics_path || now < out->next_metrics_write_s)
        return;
    MetricsFormat format;
    if (!metrics_format_of_path(out->metrics_path, &format))
        return;
    Buf text = {0};
    metrics_format(&out->metrics, format, &text);
    char why[512];
    cli_write_file(out->metrics_path, text.data ? text.data : "", text.len, why, sizeof why);
    buf_free(&text);
    double after = run_output_now(), cost = (after - now) * METRICS_WRITE_COST_FACTOR;
    if (cost > out->metrics_write_interval_s)
        out->metrics_write_interval_s = cost;
    out->next_metrics_write_s = after + out->metrics_write_interval_s;
}

static void on_log(void *user, int64_t step, int64_t steps, int n, const char *const *keys,
                   const double *values)
{
    RunOutput *out = user;
    if (out->record)
        metrics_record(&out->metrics, step, n, keys, values);
    double now = run_output_now();
    if (out->progress_line && progress_update(&out->progress, now, step, steps, n, keys, values))
        draw_progress(out, now, false);
    if (out->plain_lines) {
        Buf line = {0};
        progress_format_plain(step, n, keys, values, &line);
        buf_putc(&line, '\n');
        fputs(line.data, stdout);
        buf_free(&line);
        if (now - out->last_flush_s >= PLAIN_FLUSH_INTERVAL_S) {
            fflush(stdout);
            out->last_flush_s = now;
        }
    }
    maybe_write_metrics(out, now);
}

static void on_print(void *user, const char *text)
{
    RunOutput *out = user;
    bool redraw = out->clear_for_print && out->line_shown;
    if (redraw)
        hide_progress(out);
    printf("%s\n", text);
    fflush(stdout);
    if (redraw)
        draw_progress(out, run_output_now(), false);
}

static void on_nan(void *user, int64_t step, const char *key, double value)
{
    RunOutput *out = user;
    for (int i = 0; i < out->nwarned; i++)
        if (strcmp(out->warned[i], key) == 0)
            return;
    char **grown = realloc(out->warned, sizeof *grown * (size_t)(out->nwarned + 1));
    char *copy = strdup(key);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            out->warned = grown;
        return;
    }
    out->warned = grown;
    out->warned[out->nwarned++] = copy;
    bool redraw = out->line_shown;
    hide_progress(out);
    fflush(stdout);
    fprintf(stderr,
            "%s: warning: metric '%s' is %s at step %lld (later non-finite values of '%s' are "
            "not reported)\n",
            out->program_path, key,
            isnan(value) ? "nan"
            : value > 0  ? "inf"
                         : "-inf",
            (long long)step, key);
    if (redraw)
        draw_progress(out, run_output_now(), false);
}

static void on_warning(void *user, const char *message)
{
    RunOutput *out = user;
    bool redraw = out->line_shown;
    hide_progress(out);
    fflush(stdout);
    fprintf(stderr, "%s\n", message);
    if (redraw)
        draw_progress(out, run_output_now(), false);
}

RtObserver run_output_observer(RunOutput *out)
{
    return (RtObserver){.user = out,
                        .on_log = on_log,
                        .on_print = on_print,
                        .on_nan = on_nan,
                        .on_warning = on_warning};
}

void run_output_finish(RunOutput *out, bool done)
{
    if (out->progress_line && out->progress.any) {
        draw_progress(out, run_output_now(), done);
        fputc('\n', stderr);
        out->line_shown = false;
    }
    fflush(stdout);
}

bool run_output_write_metrics(RunOutput *out)
{
    MetricsFormat format;
    if (!out->metrics_path || !metrics_format_of_path(out->metrics_path, &format))
        return true;
    Buf text = {0};
    metrics_format(&out->metrics, format, &text);
    char why[512];
    bool ok =
        cli_write_file(out->metrics_path, text.data ? text.data : "", text.len, why, sizeof why);
    if (!ok)
        fprintf(stderr, "dmlc run: error: --metrics: %s\n", why);
    buf_free(&text);
    return ok;
}
