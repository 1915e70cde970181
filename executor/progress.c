/* progress.c: the progress line and the plain log lines of a run (progress.h). */
#include "executor/progress.h"

#include <math.h>
#include <string.h>

void progress_init(Progress *p, double start_s)
{
    memset(p, 0, sizeof *p);
    p->start_s = start_s;
    p->steps = -1;
}

void progress_free(Progress *p)
{
    buf_free(&p->metrics);
    memset(p, 0, sizeof *p);
}

/* "key=value" for each metric, two spaces apart, values with %.6g ("nan" whatever its sign). */
static void put_metrics(Buf *out, int n, const char *const *keys, const double *values)
{
    for (int i = 0; i < n; i++) {
        if (isnan(values[i]))
            buf_printf(out, "%s%s=nan", i ? "  " : "", keys[i]);
        else
            buf_printf(out, "%s%s=%.6g", i ? "  " : "", keys[i], values[i]);
    }
}

bool progress_update(Progress *p, double now_s, int64_t step, int64_t steps, int n,
                     const char *const *keys, const double *values)
{
    if (!p->any) {
        p->any = true;
        p->first_s = now_s;
        p->first_step = step;
    }
    p->step = step;
    p->steps = steps;
    p->metrics.len = 0;
    buf_puts(&p->metrics, "");
    put_metrics(&p->metrics, n, keys, values);
    if (p->drawn && now_s - p->last_draw_s < PROGRESS_REDRAW_INTERVAL_S)
        return false;
    p->drawn = true;
    p->last_draw_s = now_s;
    return true;
}

void progress_format_duration(double seconds, Buf *out)
{
    if (!(seconds >= 0) || seconds > 1e9)
        seconds = 0;
    long long s = (long long)(seconds + 0.5);
    if (s >= 3600)
        buf_printf(out, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        buf_printf(out, "%lld:%02lld", s / 60, s % 60);
}

/* Steps per second since the first log call, or 0 when too little has happened to tell. */
static double step_rate(const Progress *p, double now_s)
{
    double elapsed = now_s - p->first_s;
    int64_t done = p->step - p->first_step;
    return elapsed > 0 && done > 0 ? (double)done / elapsed : 0;
}

void progress_format_line(const Progress *p, double now_s, bool done, int width, Buf *out)
{
    size_t start = out->len;
    buf_printf(out, "step %lld", (long long)(p->step + 1));
    if (p->steps >= 0)
        buf_printf(out, "/%lld", (long long)p->steps);
    double rate = step_rate(p, now_s);
    if (rate > 0)
        buf_printf(out, rate >= 100 ? "  %.0f steps/s" : "  %.3g steps/s", rate);
    if (p->metrics.len > 0)
        buf_printf(out, "  %s", p->metrics.data);
    if (done) {
        double took = now_s - p->start_s;
        buf_puts(out, "  done in ");
        if (took < 60)
            buf_printf(out, "%.1f s", took > 0 ? took : 0.0);
        else
            progress_format_duration(took, out);
    } else if (p->steps >= 0 && rate > 0) {
        double left = (double)(p->steps - p->step - 1) / rate;
        buf_puts(out, "  ETA ");
        progress_format_duration(left > 0 ? left : 0, out);
    }
    if (width > 1 && out->len - start > (size_t)(width - 1)) {
        out->len = start + (size_t)(width - 1);
        out->data[out->len] = '\0';
    }
}

void progress_format_plain(int64_t step, int n, const char *const *keys, const double *values,
                           Buf *out)
{
    buf_printf(out, "step %lld", (long long)step);
    if (n > 0)
        buf_puts(out, "  ");
    put_metrics(out, n, keys, values);
}
