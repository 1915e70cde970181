/* test_plot.c: the SVG metrics chart (executor/plot.h): nice ticks, the choice of a log axis,
 * labels, gaps, single points, and a well-formed document. */
#define _POSIX_C_SOURCE 200809L /* strdup, strndup */
#include "executor/plot.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* A record of one metric: values[i] logged at step i. */
static void record_series(Metrics *m, const char *key, const double *values, int n)
{
    for (int i = 0; i < n; i++)
        metrics_record(m, i, 1, &key, &values[i]);
}

static char *svg_of(const Metrics *m, const char *title)
{
    Buf b = {0};
    plot_svg(m, title, &b);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* True when every tag of the document is closed in order (a small XML well-formedness check:
 * declarations, self-closing tags, attribute values with '>' in them). */
static bool tags_balance(const char *s, char *why, size_t why_size)
{
    char *stack[64];
    int depth = 0;
    bool ok = true;
    while (ok && (s = strchr(s, '<')) != NULL) {
        if (s[1] == '?') {
            s = strstr(s, "?>");
            ok = s != NULL;
            if (ok)
                s += 2;
            continue;
        }
        bool closing = s[1] == '/';
        const char *name = s + (closing ? 2 : 1);
        size_t n = strcspn(name, " />\n");
        /* Find the end of the tag, skipping quoted attribute values. */
        const char *p = name + n;
        char quote = 0;
        while (*p && (quote || *p != '>')) {
            if (quote && *p == quote)
                quote = 0;
            else if (!quote && (*p == '"' || *p == '\''))
                quote = *p;
            p++;
        }
        if (!*p) {
            snprintf(why, why_size, "unterminated tag <%.*s", (int)n, name);
            ok = false;
            break;
        }
        bool self_closing = p[-1] == '/';
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != n ||
                strncmp(stack[depth - 1], name, n) != 0) {
                snprintf(why, why_size, "</%.*s> closes <%s>", (int)n, name,
                         depth ? stack[depth - 1] : "nothing");
                ok = false;
            } else {
                free(stack[--depth]);
            }
        } else if (!self_closing) {
            if (depth == 64) {
                snprintf(why, why_size, "nested too deeply");
                ok = false;
            } else {
                stack[depth++] = strndup(name, n);
            }
        }
        s = p + 1;
    }
    if (ok && depth != 0) {
        snprintf(why, why_size, "<%s> is never closed", stack[depth - 1]);
        ok = false;
    }
    while (depth > 0)
        free(stack[--depth]);
    return ok;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* The text of the <text> element that starts the label ">LABEL</text>". */
static bool has_label(const char *svg, const char *label)
{
    char needle[80];
    snprintf(needle, sizeof needle, ">%s</text>", label);
    return strstr(svg, needle) != NULL;
}

static void expect_ticks(const PlotAxis *a, const char *const *labels, int n)
{
    cr_assert_eq(a->nticks, n, "%d ticks, expected %d", a->nticks, n);
    for (int i = 0; i < n; i++) {
        char label[64];
        plot_format_tick(a, a->ticks[i], label, sizeof label);
        cr_expect_str_eq(label, labels[i], "tick %d", i);
    }
}

/* ---- axes ---- */

Test(plot, linear_ticks_are_nice_numbers)
{
    PlotAxis a;
    plot_linear_axis(0.1, 0.5, 5, false, &a);
    const char *tenths[] = {"0.1", "0.2", "0.3", "0.4", "0.5"};
    expect_ticks(&a, tenths, 5);
    cr_expect_not(a.log_scale);

    plot_linear_axis(0, 1, 5, false, &a);
    const char *fifths[] = {"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"};
    expect_ticks(&a, fifths, 6);

    /* The range is widened to whole ticks. */
    plot_linear_axis(3, 97, 5, false, &a);
    const char *twenties[] = {"0", "20", "40", "60", "80", "100"};
    expect_ticks(&a, twenties, 6);
    cr_expect_eq(a.lo, 0);
    cr_expect_eq(a.hi, 100);

    plot_linear_axis(-0.03, 0.012, 5, false, &a);
    const char *hundredths[] = {"-0.03", "-0.02", "-0.01", "0.00", "0.01", "0.02"};
    expect_ticks(&a, hundredths, 6);
}

Test(plot, step_axis_has_whole_numbers)
{
    PlotAxis a;
    plot_linear_axis(0, 3, 8, true, &a);
    const char *ones[] = {"0", "1", "2", "3"};
    expect_ticks(&a, ones, 4);
    plot_linear_axis(0, 499, 8, true, &a);
    const char *hundreds[] = {"0", "100", "200", "300", "400", "500"};
    expect_ticks(&a, hundreds, 6);
    /* One step: a range around it. */
    plot_linear_axis(5, 5, 8, true, &a);
    const char *around[] = {"4", "5", "6"};
    expect_ticks(&a, around, 3);
}

Test(plot, log_ticks_are_decades)
{
    PlotAxis a;
    plot_log_axis(1e-6, 1, &a);
    const char *decades[] = {"1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1"};
    expect_ticks(&a, decades, 7);
    cr_expect(a.log_scale);
    /* Not on decades: widened to the decades around. */
    plot_log_axis(0.03, 250, &a);
    const char *wider[] = {"0.01", "0.1", "1", "10", "100", "1000"};
    expect_ticks(&a, wider, 6);
    /* Many decades: every other one labelled. */
    plot_log_axis(1e-12, 1e3, &a);
    cr_expect_leq(a.nticks, 9);
    cr_expect_eq(a.lo, 1e-12);
    cr_expect_geq(a.hi, 1e3);
}

Test(plot, log_scale_only_for_positive_values_over_two_decades)
{
    double wide[] = {1e-6, 1e-3, 1};
    double narrow[] = {0.1, 0.3, 0.5};
    double signed_values[] = {-1e-6, 1};
    double just_two_decades[] = {0.01, 1};
    double with_nan[] = {NAN, 1e-6, INFINITY, 1};
    cr_expect(plot_wants_log_scale(wide, 3));
    cr_expect_not(plot_wants_log_scale(narrow, 3));
    cr_expect_not(plot_wants_log_scale(signed_values, 2));
    cr_expect_not(plot_wants_log_scale(just_two_decades, 2));
    cr_expect(plot_wants_log_scale(with_nan, 4));
    cr_expect_not(plot_wants_log_scale(NULL, 0));
}

/* ---- documents ---- */

Test(plot, known_series_has_its_titles_and_tick_labels)
{
    Metrics m;
    metrics_init(&m);
    double v[11];
    for (int i = 0; i <= 10; i++)
        v[i] = i / 10.0;
    record_series(&m, "objective", v, 11);
    char *svg = svg_of(&m, "samples/ridge.dml");
    char why[200] = "";
    cr_expect(tags_balance(svg, why, sizeof why), "%s", why);
    cr_expect(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=", 49) == 0);
    cr_expect_not_null(strstr(svg, "<title>samples/ridge.dml</title>"));
    /* Panel title, y axis title and x axis title. */
    cr_expect_not_null(strstr(svg, "font-weight=\"bold\">objective</text>"), "%s", svg);
    cr_expect_not_null(strstr(svg, "rotate(-90)\">objective</text>"), "%s", svg);
    cr_expect(has_label(svg, "step"));
    const char *y_labels[] = {"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"};
    for (int i = 0; i < 6; i++)
        cr_expect(has_label(svg, y_labels[i]), "no y tick label %s", y_labels[i]);
    for (int i = 0; i <= 10; i++) {
        char label[8];
        snprintf(label, sizeof label, "%d", i);
        cr_expect(has_label(svg, label), "no x tick label %s", label);
    }
    cr_expect_eq(count(svg, "<polyline"), 1);
    cr_expect_null(strstr(svg, "log scale"));
    cr_expect_null(strstr(svg, "nan"));
    /* The first point is at the bottom left of the plotting area, the last at the top right. */
    cr_expect_not_null(strstr(svg, "points=\"90.0,238.0 "), "%s", svg);
    cr_expect_not_null(strstr(svg, " 730.0,74.0\""), "%s", svg);
    free(svg);
    metrics_free(&m);
}

Test(plot, series_over_six_decades_gets_a_log_axis)
{
    Metrics m;
    metrics_init(&m);
    double v[7];
    for (int i = 0; i <= 6; i++)
        v[i] = pow(10, -i);
    record_series(&m, "loss", v, 7);
    double small[] = {0.1, 0.5, 0.2, 0.4, 0.3, 0.25, 0.35};
    record_series(&m, "rate", small, 7);
    char *svg = svg_of(&m, NULL);
    char why[200] = "";
    cr_expect(tags_balance(svg, why, sizeof why), "%s", why);
    cr_expect_not_null(strstr(svg, ">loss (log scale)</text>"), "%s", svg);
    cr_expect_not_null(strstr(svg, ">rate</text>"), "%s", svg);
    cr_expect_eq(count(svg, "(log scale)"), 1);
    const char *decades[] = {"1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1"};
    for (int i = 0; i < 7; i++)
        cr_expect(has_label(svg, decades[i]), "no tick label %s", decades[i]);
    const char *tenths[] = {"0.1", "0.2", "0.3", "0.4", "0.5"};
    for (int i = 0; i < 5; i++)
        cr_expect(has_label(svg, tenths[i]), "no tick label %s", tenths[i]);
    cr_expect_eq(count(svg, "<g id=\"panel-"), 2);
    free(svg);
    metrics_free(&m);
}

Test(plot, nan_leaves_a_gap_and_a_lone_point_is_a_dot)
{
    Metrics m;
    metrics_init(&m);
    /* Two runs of points split by a nan, then a lone point between an inf and the end. */
    double v[] = {1, 2, 3, NAN, 4, 5, INFINITY, 6};
    record_series(&m, "x", v, 8);
    char *svg = svg_of(&m, "t");
    char why[200] = "";
    cr_expect(tags_balance(svg, why, sizeof why), "%s", why);
    cr_expect_eq(count(svg, "<polyline"), 2, "%s", svg);
    cr_expect_eq(count(svg, "r=\"2.5\""), 1, "%s", svg);
    cr_expect_null(strstr(svg, "nan"));
    cr_expect_null(strstr(svg, "inf"));
    free(svg);
    metrics_free(&m);
}

Test(plot, single_point_is_drawn)
{
    Metrics m;
    metrics_init(&m);
    double v = 0.75;
    record_series(&m, "only", &v, 1);
    char *svg = svg_of(&m, "t");
    char why[200] = "";
    cr_expect(tags_balance(svg, why, sizeof why), "%s", why);
    cr_expect_eq(count(svg, "<polyline"), 0);
    cr_expect_eq(count(svg, "r=\"2.5\""), 1);
    cr_expect_null(strstr(svg, "nan"));
    free(svg);
    metrics_free(&m);
}

Test(plot, all_nan_metric_says_so)
{
    Metrics m;
    metrics_init(&m);
    double v[] = {NAN, NAN};
    record_series(&m, "bad", v, 2);
    char *svg = svg_of(&m, "t");
    char why[200] = "";
    cr_expect(tags_balance(svg, why, sizeof why), "%s", why);
    cr_expect(has_label(svg, "no finite values"));
    free(svg);
    metrics_free(&m);
}

Test(plot, no_metrics_is_still_a_document)
{
    Metrics m;
    metrics_init(&m);
    char *svg = svg_of(&m, "a<b & \"c\"");
    char why[200] = "";
    cr_expect(tags_balance(svg, why, sizeof why), "%s", why);
    cr_expect(has_label(svg, "no metrics were logged"));
    cr_expect_not_null(strstr(svg, "<title>a&lt;b &amp; &quot;c&quot;</title>"), "%s", svg);
    free(svg);
    metrics_free(&m);
}

Test(plot, long_series_is_reduced_per_pixel_column)
{
    Metrics m;
    metrics_init(&m);
    enum { N = 200000 };
    double *v = malloc(sizeof *v * N);
    for (int i = 0; i < N; i++)
        v[i] = sin(i * 0.001) + (i % 2 ? 0.1 : -0.1);
    record_series(&m, "wave", v, N);
    char *svg = svg_of(&m, "t");
    char why[200] = "";
    cr_expect(tags_balance(svg, why, sizeof why), "%s", why);
    /* At most four points per pixel column of the 640-pixel-wide area (and a few more bytes). */
    const char *points = strstr(svg, "points=\"");
    cr_assert_not_null(points);
    size_t npoints = count(points, ",") - count(strchr(points + 8, '"'), ",");
    cr_expect_leq(npoints, 4 * 641);
    cr_expect_geq(npoints, 640);
    cr_expect_lt(strlen(svg), 100000);
    free(v);
    free(svg);
    metrics_free(&m);
}
