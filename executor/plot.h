/* plot.h: an SVG chart of a run's metrics (`dmlc run --plot F.svg`).
 *
 * One panel per metric, stacked in order of first appearance, all sharing the x axis (the step).
 * Each panel has the metric's name as its title, a frame, ticks with labels at 1, 2 or 5 x 10^k
 * (decades on a log axis) and light grid lines, the axis titles "step" and the metric's name, and
 * the values as a polyline. The y axis is logarithmic when every finite value is positive and
 * they span more than two decades (max / min > 100). A nan or inf value leaves a gap; a point
 * with no neighbour on either side is drawn as a dot, and so is every point of a short series.
 * Series longer than a few points per pixel are reduced to the first, lowest, highest and last
 * value of each pixel column, which draws the same picture. */
#ifndef DMLC_EXECUTOR_PLOT_H
#define DMLC_EXECUTOR_PLOT_H

#include "executor/metrics.h"
#include "support/buf.h"

#include <stdbool.h>
#include <stddef.h>

enum { PLOT_MAX_TICKS = 16 };

typedef struct {
    double lo, hi; /* the axis range; on a linear axis both ends are ticks */
    bool log_scale;
    int nticks;
    double ticks[PLOT_MAX_TICKS];
    double step; /* linear axis: the tick spacing; log axis: the decades between ticks */
} PlotAxis;

/* True when a series is best shown on a log axis: at least one finite value, every finite value
 * positive, and max / min > 100. Non-finite values are ignored. */
bool plot_wants_log_scale(const double *values, size_t n);

/* A linear axis covering [lo, hi] with about `target` ticks spaced 1, 2 or 5 x 10^k; integer:
 * ticks at whole numbers only (the step axis). lo == hi gets a range around the value. */
void plot_linear_axis(double lo, double hi, int target, bool integer, PlotAxis *axis);

/* A log axis covering [lo, hi] (both > 0): ticks at powers of ten, every decade while there are
 * at most 8, else every second, third, ... decade. */
void plot_log_axis(double lo, double hi, PlotAxis *axis);

/* The label of tick v: "0.2", "150", "1e-06" on a linear axis (decimals from the tick spacing);
 * "0.001" to "10000", else "1e-6", on a log axis. */
void plot_format_tick(const PlotAxis *axis, double v, char *out, size_t size);

/* The whole SVG document for the metrics; title (may be NULL) is shown above the panels. */
void plot_svg(const Metrics *m, const char *title, Buf *out);

#endif
