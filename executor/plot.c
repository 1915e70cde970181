/* plot.c: the SVG chart of a run's metrics (plot.h). */
#include "executor/plot.h"

#include "support/die.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Page geometry in SVG user units (pixels). A panel is a title line, the plotting area, then the
 * x tick labels and the axis title. */
enum {
    PAGE_WIDTH = 760,
    PAGE_HEADER = 44,   /* the document title */
    PANEL_HEIGHT = 250, /* one metric */
    AREA_LEFT = 90,     /* room for the y tick labels and the rotated axis title */
    AREA_RIGHT = 30,
    AREA_TOP = 30,    /* below the panel title */
    AREA_BOTTOM = 56, /* x tick labels and the axis title */
    AREA_WIDTH = PAGE_WIDTH - AREA_LEFT - AREA_RIGHT,
    AREA_HEIGHT = PANEL_HEIGHT - AREA_TOP - AREA_BOTTOM,
    TICK_LENGTH = 5,
};
/* Ticks wanted on the y axis (short) and the x axis (wide). */
enum { Y_TICKS_TARGET = 5, X_TICKS_TARGET = 8 };
/* Most decades labelled on a log axis before labels skip decades. */
enum { LOG_MAX_LABELLED_DECADES = 8 };
/* A series this short also gets a dot on every point. */
enum { DOTS_UP_TO = 50 };

bool plot_wants_log_scale(const double *values, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i]))
            continue;
        if (values[i] <= 0)
            return false;
        lo = fmin(lo, values[i]);
        hi = fmax(hi, values[i]);
    }
    return lo <= hi && hi / lo > 100;
}

/* The nice number (1, 2, 5 or 10 x 10^k) nearest to x > 0, as in Heckbert's "Nice numbers for
 * graph labels" (Graphics Gems, 1990). */
static double nice_step(double x)
{
    double magnitude = pow(10, floor(log10(x)));
    double f = x / magnitude;
    double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return nice * magnitude;
}

void plot_linear_axis(double lo, double hi, int target, bool integer, PlotAxis *axis)
{
    memset(axis, 0, sizeof *axis);
    if (!isfinite(lo) || !isfinite(hi) || lo > hi) {
        lo = 0;
        hi = 1;
    }
    if (lo == hi) {
        double pad = integer ? 1 : lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= pad;
        hi += pad;
    }
    /* Halved so that extreme ranges (near DBL_MAX) cannot overflow. */
    double range = hi / 2 - lo / 2;
    double step = nice_step(range / ((target > 2 ? target : 2) - 1) * 2);
    if (integer && step < 1)
        step = 1;
    /* The tolerance keeps 0.5 / 0.1 = 5.000000000000001 from adding a tick. */
    const double slack = 1e-9;
    double first = floor(lo / step + slack), last = ceil(hi / step - slack);
    while (last - first + 1 > PLOT_MAX_TICKS) { /* rounding at the limits of double */
        step *= 2;
        first = floor(lo / step + slack);
        last = ceil(hi / step - slack);
    }
    axis->step = step;
    axis->lo = fmax(first * step, -DBL_MAX);
    axis->hi = fmin(last * step, DBL_MAX);
    for (double k = first; k <= last && axis->nticks < PLOT_MAX_TICKS; k++) {
        double v = k * step;
        axis->ticks[axis->nticks++] = fabs(v) < step * 1e-9 ? 0 : v;
    }
}

/* The largest k with 10^k <= x (x > 0), exact at powers of ten. */
static int decade_floor(double x)
{
    int k = (int)floor(log10(x));
    if (pow(10, k + 1) <= x)
        k++;
    else if (pow(10, k) > x)
        k--;
    return k;
}

void plot_log_axis(double lo, double hi, PlotAxis *axis)
{
    memset(axis, 0, sizeof *axis);
    axis->log_scale = true;
    if (!(lo > 0) || !(hi >= lo) || !isfinite(hi)) {
        lo = 1;
        hi = 10;
    }
    /* Decades whose powers of ten are normal doubles: subnormal values sit below the axis. */
    int first = decade_floor(lo < DBL_MIN ? DBL_MIN : lo);
    int last = decade_floor(hi);
    if (first < DBL_MIN_10_EXP)
        first = DBL_MIN_10_EXP;
    if (last > DBL_MAX_10_EXP - 1)
        last = DBL_MAX_10_EXP - 1;
    if (pow(10, last) < hi || last == first)
        last++;
    int stride = (last - first + LOG_MAX_LABELLED_DECADES - 1) / LOG_MAX_LABELLED_DECADES;
    if (stride < 1)
        stride = 1;
    while ((last - first) % stride != 0)
        last++;
    axis->step = stride;
    axis->lo = pow(10, first);
    axis->hi = pow(10, last);
    for (int k = first; k <= last && axis->nticks < PLOT_MAX_TICKS; k += stride)
        axis->ticks[axis->nticks++] = pow(10, k);
}

void plot_format_tick(const PlotAxis *axis, double v, char *out, size_t size)
{
    if (axis->log_scale) {
        int k = decade_floor(v);
        if (k >= -3 && k <= 4)
            snprintf(out, size, "%g", v);
        else
            snprintf(out, size, "1e%d", k);
        return;
    }
    double big = fmax(fabs(axis->lo), fabs(axis->hi));
    int step_exponent = (int)floor(log10(axis->step) + 1e-9);
    if (big < 1e7 && axis->step >= 1e-4) {
        int decimals = step_exponent < 0 ? -step_exponent : 0;
        snprintf(out, size, "%.*f", decimals, v);
        return;
    }
    /* Extreme magnitudes: enough significant digits to tell neighbouring ticks apart. */
    int digits = (int)floor(log10(big)) - step_exponent + 1;
    snprintf(out, size, "%.*g", digits < 1 ? 1 : digits > 15 ? 15 : digits, v);
}

/* ---- SVG text ---- */

/* Appends text with XML's special characters escaped. */
static void put_xml_text(Buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        default:
            /* Control bytes are not allowed in XML 1.0 text. */
            buf_putc(out, (unsigned char)*s < 0x20 ? '?' : *s);
        }
    }
}

/* The pixel position of v on an axis mapped to [from, to]. */
static double axis_position(const PlotAxis *axis, double v, double from, double to)
{
    double t = axis->log_scale ? (log10(v) - log10(axis->lo)) / (log10(axis->hi) - log10(axis->lo))
                               : (v - axis->lo) / (axis->hi - axis->lo);
    return from + t * (to - from);
}

/* One metric's points and the panel's geometry. */
typedef struct {
    const double *steps, *values;
    size_t n;
    const PlotAxis *x, *y;
    double top; /* the plotting area's top edge on the page */
} Panel;

static double panel_x(const Panel *p, double step)
{
    return axis_position(p->x, step, AREA_LEFT, AREA_LEFT + AREA_WIDTH);
}

static double panel_y(const Panel *p, double v)
{
    return axis_position(p->y, v, p->top + AREA_HEIGHT, p->top);
}

/* The frame, grid lines, ticks, tick labels and axis titles of a panel. */
static void put_axes(Buf *out, const Panel *p, const char *name)
{
    double left = AREA_LEFT, right = AREA_LEFT + AREA_WIDTH;
    double top = p->top, bottom = p->top + AREA_HEIGHT;
    char label[64];
    buf_printf(out, "<text x=\"%d\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">", AREA_LEFT,
               top - 10);
    put_xml_text(out, name);
    buf_puts(out, "</text>\n");
    buf_puts(out, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
    for (int i = 0; i < p->y->nticks; i++) {
        double y = panel_y(p, p->y->ticks[i]);
        buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", left, y, right,
                   y);
    }
    buf_puts(out, "</g>\n<g stroke=\"black\" stroke-width=\"1\">\n");
    for (int i = 0; i < p->y->nticks; i++) {
        double y = panel_y(p, p->y->ticks[i]);
        buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                   left - TICK_LENGTH, y, left, y);
    }
    for (int i = 0; i < p->x->nticks; i++) {
        double x = panel_x(p, p->x->ticks[i]);
        buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, bottom, x,
                   bottom + TICK_LENGTH);
    }
    buf_printf(out,
               "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
               "stroke=\"black\"/>\n",
               left, top, AREA_WIDTH, AREA_HEIGHT);
    buf_puts(out, "<g text-anchor=\"end\">\n");
    for (int i = 0; i < p->y->nticks; i++) {
        plot_format_tick(p->y, p->y->ticks[i], label, sizeof label);
        buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", left - TICK_LENGTH - 3,
                   panel_y(p, p->y->ticks[i]) + 4, label);
    }
    buf_puts(out, "</g>\n<g text-anchor=\"middle\">\n");
    for (int i = 0; i < p->x->nticks; i++) {
        plot_format_tick(p->x, p->x->ticks[i], label, sizeof label);
        buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", panel_x(p, p->x->ticks[i]),
                   bottom + TICK_LENGTH + 14, label);
    }
    buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">step</text>\n", (left + right) / 2, bottom + 42);
    buf_printf(out, "<text transform=\"translate(16,%.1f) rotate(-90)\">", (top + bottom) / 2);
    put_xml_text(out, name);
    if (p->y->log_scale)
        buf_puts(out, " (log scale)");
    buf_puts(out, "</text>\n</g>\n");
}

/* Points of one gap-free run of values, reduced to first, lowest, highest and last per pixel
 * column, then drawn as a polyline (or a dot when it is a single point). */
typedef struct {
    Buf *out;
    Buf points; /* "x,y x,y ..." of the current run */
    int npoints;
    double first_x, first_y; /* the run's first point (for a lone dot) */
    bool in_column;
    long column; /* pixel column being gathered */
    double cx, cy_first, cy_min, cy_max, cy_last;
    int column_count;
} Trace;

static void trace_point(Trace *t, double x, double y)
{
    if (t->npoints == 0) {
        t->first_x = x;
        t->first_y = y;
    }
    buf_printf(&t->points, "%s%.1f,%.1f", t->npoints ? " " : "", x, y);
    t->npoints++;
}

static void trace_flush_column(Trace *t)
{
    if (!t->in_column)
        return;
    t->in_column = false;
    trace_point(t, t->cx, t->cy_first);
    if (t->column_count == 1)
        return;
    /* Lowest and highest in screen order (y grows downwards), then the last. */
    trace_point(t, t->cx, t->cy_max);
    trace_point(t, t->cx, t->cy_min);
    trace_point(t, t->cx, t->cy_last);
}

/* Ends the current run: a polyline, or a dot for a single point. */
static void trace_end_run(Trace *t)
{
    trace_flush_column(t);
    if (t->npoints == 1)
        buf_printf(t->out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#1f77b4\"/>\n",
                   t->first_x, t->first_y);
    else if (t->npoints > 1)
        buf_printf(t->out,
                   "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" "
                   "stroke-linejoin=\"round\" points=\"%s\"/>\n",
                   t->points.data);
    t->points.len = 0;
    t->npoints = 0;
}

static void trace_add(Trace *t, double x, double y)
{
    long column = (long)floor(x);
    if (t->in_column && column == t->column) {
        t->cy_min = fmin(t->cy_min, y);
        t->cy_max = fmax(t->cy_max, y);
        t->cy_last = y;
        t->column_count++;
        return;
    }
    trace_flush_column(t);
    t->in_column = true;
    t->column = column;
    t->cx = x;
    t->cy_first = t->cy_min = t->cy_max = t->cy_last = y;
    t->column_count = 1;
}

/* The values of a panel: polylines between gaps, and dots on every point of a short series. */
static void put_series(Buf *out, const Panel *p)
{
    Trace t = {.out = out};
    for (size_t i = 0; i < p->n; i++) {
        if (!isfinite(p->values[i])) {
            trace_end_run(&t);
            continue;
        }
        trace_add(&t, panel_x(p, p->steps[i]), panel_y(p, p->values[i]));
    }
    trace_end_run(&t);
    buf_free(&t.points);
    if (p->n > DOTS_UP_TO)
        return;
    buf_puts(out, "<g fill=\"#1f77b4\">\n");
    for (size_t i = 0; i < p->n; i++)
        if (isfinite(p->values[i]))
            buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>\n", panel_x(p, p->steps[i]),
                       panel_y(p, p->values[i]));
    buf_puts(out, "</g>\n");
}

/* The y axis of a series: log or linear over its finite values. False when there is none. */
static bool y_axis_of(const double *values, size_t n, PlotAxis *axis)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(values[i])) {
            lo = fmin(lo, values[i]);
            hi = fmax(hi, values[i]);
        }
    }
    if (plot_wants_log_scale(values, n))
        plot_log_axis(lo, hi, axis);
    else
        plot_linear_axis(lo, hi, Y_TICKS_TARGET, false, axis);
    return lo <= hi;
}

static void put_panel(Buf *out, const Metrics *m, int key, const PlotAxis *x, double top,
                      double *steps, double *values)
{
    Panel p = {steps, values, metrics_series(m, key, steps, values), x, NULL, top};
    PlotAxis y;
    bool any_finite = y_axis_of(values, p.n, &y);
    p.y = &y;
    buf_printf(out, "<g id=\"panel-%d\">\n", key);
    put_axes(out, &p, m->keys[key]);
    if (any_finite)
        put_series(out, &p);
    else
        buf_printf(out,
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">no finite values</text>\n",
                   AREA_LEFT + AREA_WIDTH / 2, top + AREA_HEIGHT / 2);
    buf_puts(out, "</g>\n");
}

void plot_svg(const Metrics *m, const char *title, Buf *out)
{
    int height = PAGE_HEADER + (m->nkeys > 0 ? m->nkeys * PANEL_HEIGHT : 60);
    buf_printf(out,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
               PAGE_WIDTH, height, PAGE_WIDTH, height);
    buf_puts(out, "<title>");
    put_xml_text(out, title ? title : "dmlc metrics");
    buf_puts(out, "</title>\n");
    buf_printf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", PAGE_WIDTH, height);
    buf_printf(out, "<text x=\"%d\" y=\"26\" text-anchor=\"middle\" font-size=\"16\">",
               PAGE_WIDTH / 2);
    put_xml_text(out, title ? title : "dmlc metrics");
    buf_puts(out, "</text>\n");
    if (m->nkeys == 0) {
        buf_printf(out,
                   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no metrics were logged"
                   "</text>\n</svg>\n",
                   PAGE_WIDTH / 2, PAGE_HEADER + 30);
        return;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < m->nrows; r++) {
        lo = fmin(lo, (double)m->steps[r]);
        hi = fmax(hi, (double)m->steps[r]);
    }
    PlotAxis x;
    plot_linear_axis(lo, hi, X_TICKS_TARGET, true, &x);
    double *steps = malloc(sizeof *steps * (m->nrows ? m->nrows : 1));
    double *values = malloc(sizeof *values * (m->nrows ? m->nrows : 1));
    if (!steps || !values)
        DIE("out of memory plotting %zu rows", m->nrows);
    for (int k = 0; k < m->nkeys; k++)
        put_panel(out, m, k, &x, PAGE_HEADER + k * PANEL_HEIGHT + AREA_TOP, steps, values);
    free(steps);
    free(values);
    buf_puts(out, "</svg>\n");
}
