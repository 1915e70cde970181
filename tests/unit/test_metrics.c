/* test_metrics.c: the metrics record and its csv and jsonl files (executor/metrics.h), and the
 * progress and plain log lines (executor/progress.h). Exact texts throughout. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "executor/metrics.h"
#include "executor/progress.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Three log calls: a key that appears late, a key that stops, a nan and an inf. */
static void record_sample(Metrics *m)
{
    const char *k1[] = {"objective"};
    double v1[] = {0.5};
    metrics_record(m, 0, 1, k1, v1);
    const char *k2[] = {"objective", "nnz"};
    double v2[] = {0.25, 3};
    metrics_record(m, 1, 2, k2, v2);
    const char *k3[] = {"nnz", "objective"};
    double v3[] = {5, NAN};
    metrics_record(m, 2, 2, k3, v3);
    const char *k4[] = {"nnz"};
    double v4[] = {-INFINITY};
    metrics_record(m, 3, 1, k4, v4);
}

static char *formatted(const Metrics *m, MetricsFormat format)
{
    Buf b = {0};
    metrics_format(m, format, &b);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

Test(metrics, csv_has_every_key_and_empty_cells_for_missing_values)
{
    Metrics m;
    metrics_init(&m);
    record_sample(&m);
    char *csv = formatted(&m, METRICS_CSV);
    cr_expect_str_eq(csv, "step,objective,nnz\n"
                          "0,0.5,\n"
                          "1,0.25,3\n"
                          "2,nan,5\n"
                          "3,,-inf\n");
    free(csv);
    metrics_free(&m);
}

Test(metrics, jsonl_has_one_object_per_call_and_null_for_non_finite)
{
    Metrics m;
    metrics_init(&m);
    record_sample(&m);
    char *jsonl = formatted(&m, METRICS_JSONL);
    cr_expect_str_eq(jsonl, "{\"step\": 0, \"objective\": 0.5}\n"
                            "{\"step\": 1, \"objective\": 0.25, \"nnz\": 3}\n"
                            "{\"step\": 2, \"nnz\": 5, \"objective\": null}\n"
                            "{\"step\": 3, \"nnz\": null}\n");
    free(jsonl);
    metrics_free(&m);
}

Test(metrics, empty_record_is_a_header_only)
{
    Metrics m;
    metrics_init(&m);
    char *csv = formatted(&m, METRICS_CSV), *jsonl = formatted(&m, METRICS_JSONL);
    cr_expect_str_eq(csv, "step\n");
    cr_expect_str_eq(jsonl, "");
    free(csv);
    free(jsonl);
    metrics_free(&m);
}

Test(metrics, key_twice_in_one_call_keeps_the_last_value)
{
    Metrics m;
    metrics_init(&m);
    const char *k[] = {"a", "b", "a"};
    double v[] = {1, 2, 3};
    metrics_record(&m, 7, 3, k, v);
    char *csv = formatted(&m, METRICS_CSV), *jsonl = formatted(&m, METRICS_JSONL);
    cr_expect_str_eq(csv, "step,a,b\n7,3,2\n");
    cr_expect_str_eq(jsonl, "{\"step\": 7, \"a\": 3, \"b\": 2}\n");
    free(csv);
    free(jsonl);
    metrics_free(&m);
}

Test(metrics, odd_key_names_are_quoted)
{
    Metrics m;
    metrics_init(&m);
    const char *k[] = {"a,b", "q\"t"};
    double v[] = {1, 2};
    metrics_record(&m, 0, 2, k, v);
    char *csv = formatted(&m, METRICS_CSV), *jsonl = formatted(&m, METRICS_JSONL);
    cr_expect_str_eq(csv, "step,\"a,b\",\"q\"\"t\"\n0,1,2\n");
    cr_expect_str_eq(jsonl, "{\"step\": 0, \"a,b\": 1, \"q\\\"t\": 2}\n");
    free(csv);
    free(jsonl);
    metrics_free(&m);
}

static char *number(double v)
{
    Buf b = {0};
    metrics_format_number(v, &b);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

Test(metrics, numbers_are_shortest_exact)
{
    struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.1"},
        {5, "5"},
        {-2.5, "-2.5"},
        {1e-6, "1e-06"},
        {1.0 / 3, "0.3333333333333333"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e300, "1e+300"},
        {123456789012, "123456789012"},
        {NAN, "nan"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = number(cases[i].v);
        cr_expect_str_eq(s, cases[i].text);
        if (isfinite(cases[i].v))
            cr_expect_eq(strtod(s, NULL), cases[i].v, "%s does not read back", s);
        free(s);
    }
}

Test(metrics, series_lists_one_key_in_row_order)
{
    Metrics m;
    metrics_init(&m);
    record_sample(&m);
    cr_expect_eq(metrics_key_index(&m, "objective"), 0);
    cr_expect_eq(metrics_key_index(&m, "nnz"), 1);
    cr_expect_eq(metrics_key_index(&m, "other"), -1);
    double steps[4], values[4];
    cr_assert_eq(metrics_series(&m, 1, steps, values), 3);
    cr_expect_eq(steps[0], 1);
    cr_expect_eq(values[0], 3);
    cr_expect_eq(steps[1], 2);
    cr_expect_eq(values[1], 5);
    cr_expect_eq(steps[2], 3);
    cr_expect(isinf(values[2]) && values[2] < 0);
    cr_expect_eq(metrics_series(&m, 0, NULL, NULL), 3);
    metrics_free(&m);
}

Test(metrics, many_rows_keep_every_value)
{
    Metrics m;
    metrics_init(&m);
    const char *k[] = {"x"};
    for (int i = 0; i < 10000; i++) {
        double v = i * 0.5;
        metrics_record(&m, i, 1, k, &v);
    }
    cr_expect_eq(m.nrows, 10000);
    double *values = malloc(sizeof *values * 10000);
    cr_assert_eq(metrics_series(&m, 0, NULL, values), 10000);
    cr_expect_eq(values[9999], 4999.5);
    free(values);
    metrics_free(&m);
}

Test(metrics, format_follows_the_file_name)
{
    MetricsFormat f;
    cr_expect(metrics_format_of_path("out/m.csv", &f) && f == METRICS_CSV);
    cr_expect(metrics_format_of_path("m.jsonl", &f) && f == METRICS_JSONL);
    cr_expect_not(metrics_format_of_path("m.json", &f));
    cr_expect_not(metrics_format_of_path(".csv", &f));
    cr_expect_not(metrics_format_of_path("m.txt", &f));
}

/* ---- progress and plain lines ---- */

static const char *const keys2[] = {"objective", "nnz"};

static char *line_at(const Progress *p, double now, bool done, int width)
{
    Buf b = {0};
    progress_format_line(p, now, done, width, &b);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

Test(progress, plain_line_is_step_and_metrics)
{
    double v[] = {0.0123456789, 5};
    Buf b = {0};
    progress_format_plain(12, 2, keys2, v, &b);
    cr_expect_str_eq(buf_cstr(&b), "step 12  objective=0.0123457  nnz=5");
    b.len = 0;
    double w[] = {-NAN, -INFINITY};
    progress_format_plain(3, 2, keys2, w, &b);
    cr_expect_str_eq(buf_cstr(&b), "step 3  objective=nan  nnz=-inf");
    b.len = 0;
    progress_format_plain(0, 0, NULL, NULL, &b);
    cr_expect_str_eq(buf_cstr(&b), "step 0");
    buf_free(&b);
}

Test(progress, line_shows_count_rate_metrics_and_eta)
{
    Progress p;
    progress_init(&p, 100.0);
    double v[] = {0.5, 3};
    /* The first call is drawn; there is no rate yet. */
    cr_expect(progress_update(&p, 101.0, 0, 100, 2, keys2, v));
    char *s = line_at(&p, 101.0, false, 0);
    cr_expect_str_eq(s, "step 1/100  objective=0.5  nnz=3");
    free(s);
    /* 10 steps in 1 s: 10 steps/s, 89 steps left: 8.9 s. */
    double w[] = {0.25, 4};
    cr_expect(progress_update(&p, 102.0, 10, 100, 2, keys2, w));
    s = line_at(&p, 102.0, false, 0);
    cr_expect_str_eq(s, "step 11/100  10 steps/s  objective=0.25  nnz=4  ETA 0:09");
    free(s);
    /* Finished: the time since the run began (100 s on this clock) instead of the ETA. */
    cr_expect(progress_update(&p, 110.0, 99, 100, 2, keys2, w));
    s = line_at(&p, 110.0, true, 0);
    cr_expect_str_eq(s, "step 100/100  11 steps/s  objective=0.25  nnz=4  done in 10.0 s");
    free(s);
    s = line_at(&p, 190.0, true, 0);
    cr_expect_str_eq(s, "step 100/100  1.11 steps/s  objective=0.25  nnz=4  done in 1:30");
    free(s);
    progress_free(&p);
}

Test(progress, unknown_total_has_no_eta)
{
    Progress p;
    progress_init(&p, 0);
    double v[] = {1, 2};
    progress_update(&p, 0, 0, -1, 2, keys2, v);
    progress_update(&p, 4, 1000, -1, 2, keys2, v);
    char *s = line_at(&p, 4, false, 0);
    cr_expect_str_eq(s, "step 1001  250 steps/s  objective=1  nnz=2");
    free(s);
    progress_free(&p);
}

Test(progress, redraws_are_throttled)
{
    Progress p;
    progress_init(&p, 0);
    double v[] = {1, 2};
    cr_expect(progress_update(&p, 1.0, 0, 10, 2, keys2, v));
    cr_expect_not(progress_update(&p, 1.05, 1, 10, 2, keys2, v));
    cr_expect_not(progress_update(&p, 1.09, 2, 10, 2, keys2, v));
    cr_expect(progress_update(&p, 1.11, 3, 10, 2, keys2, v));
    /* The line always shows the latest call, drawn or not. */
    double w[] = {7, 8};
    cr_expect_not(progress_update(&p, 1.12, 4, 10, 2, keys2, w));
    char *s = line_at(&p, 1.12, false, 0);
    cr_expect(strncmp(s, "step 5/10", 9) == 0, "%s", s);
    cr_expect_not_null(strstr(s, "objective=7  nnz=8"), "%s", s);
    free(s);
    progress_free(&p);
}

Test(progress, line_is_cut_to_the_terminal_width)
{
    Progress p;
    progress_init(&p, 0);
    double v[] = {0.5, 3};
    progress_update(&p, 0, 0, 100, 2, keys2, v);
    char *s = line_at(&p, 0, false, 20);
    cr_expect_str_eq(s, "step 1/100  objecti"); /* 19 columns: the last one stays free */
    free(s);
    progress_free(&p);
}

Test(progress, durations_are_clock_style)
{
    struct {
        double s;
        const char *text;
    } cases[] = {{0, "0:00"}, {7.4, "0:07"}, {754, "12:34"}, {3723, "1:02:03"}, {-1, "0:00"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Buf b = {0};
        progress_format_duration(cases[i].s, &b);
        cr_expect_str_eq(buf_cstr(&b), cases[i].text);
        buf_free(&b);
    }
}
