/* run.c: `dmlc run FILE.dml|FILE.plan`: compile (or read the plan), run, show the log, write the
 * metrics and the plot. */
#define _POSIX_C_SOURCE 200809L /* strndup */
#include "cli/cli.h"
#include "cli/run_output.h"
#include "executor/plot.h"
#include "executor/program.h"
#include "executor/runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const char *path;
    RtSetting *settings; /* --set, names owned (strndup), values point into argv */
    int nsettings;
    const char *metrics_path;
    const char *plot_path;
    const char *data_dir;
    const char *target_cpu;
    const char *trace_path;
    const char *topology;
    bool quiet, stop_on_nan, unchecked, no_jit, deterministic, stats;
    uint64_t seed;
    int workers;
} RunOptions;

static void run_options_free(RunOptions *opt)
{
    for (int i = 0; i < opt->nsettings; i++)
        free((char *)opt->settings[i].name);
    free(opt->settings);
}

static bool is_config_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

/* One --set NAME=VALUE: the syntax only; the runtime checks the name and the value against the
 * program's configs. A name given twice keeps its last value. */
static int add_setting(const Command *c, RunOptions *opt, const char *text)
{
    const char *eq = text ? strchr(text, '=') : NULL;
    if (!text || !eq)
        return cli_usage_error(c, "--set expects NAME=VALUE, saw %s%s%s", text ? "'" : "",
                               text ? text : "nothing", text ? "'" : "");
    size_t n = (size_t)(eq - text);
    if (!is_config_name(text, n))
        return cli_usage_error(c, "--set %s: '%.*s' is not a config name", text, (int)n, text);
    if (eq[1] == '\0')
        return cli_usage_error(c, "--set %s: the value is missing", text);
    for (int i = 0; i < opt->nsettings; i++) {
        if (strlen(opt->settings[i].name) == n && strncmp(opt->settings[i].name, text, n) == 0) {
            opt->settings[i].value = eq + 1;
            return -1;
        }
    }
    RtSetting *grown = realloc(opt->settings, sizeof *grown * (size_t)(opt->nsettings + 1));
    char *name = strndup(text, n);
    if (!grown || !name) {
        free(name);
        if (grown)
            opt->settings = grown;
        return cli_usage_error(c, "out of memory");
    }
    opt->settings = grown;
    opt->settings[opt->nsettings++] = (RtSetting){name, eq + 1};
    return -1;
}

static int parse_seed(const Command *c, const char *text, uint64_t *seed)
{
    char *end;
    errno = 0;
    unsigned long long v = text ? strtoull(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || text[0] == '-')
        return cli_usage_error(c, "--seed expects a whole number from 0 to 2^64-1, saw %s%s%s",
                               text ? "'" : "", text ? text : "nothing", text ? "'" : "");
    *seed = v;
    return -1;
}

static int parse_workers(const Command *c, const char *text, int *workers)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < 1 || v > 1024)
        return cli_usage_error(c,
                               "--workers expects a whole number from 1 to 1024, saw %s%s%s",
                               text ? "'" : "", text ? text : "nothing", text ? "'" : "");
    *workers = (int)v;
    return -1;
}

/* The value of a flag that takes one, or a usage error naming what it wants. */
static int take_value(const Command *c, int argc, char **argv, int *i, const char *flag,
                      const char *what, const char **value)
{
    *value = cli_flag_value(argc, argv, i, flag);
    if (!*value || !**value)
        return cli_missing_value(c, flag, what);
    return -1;
}

/* One option at argv[*i]; -1 to go on, else an exit status. */
static int parse_run_option(const Command *c, int argc, char **argv, int *i, RunOptions *opt)
{
    const char *arg = argv[*i];
    if (cli_flag_is(arg, "--set"))
        return add_setting(c, opt, cli_flag_value(argc, argv, i, "--set"));
    if (cli_flag_is(arg, "--seed"))
        return parse_seed(c, cli_flag_value(argc, argv, i, "--seed"), &opt->seed);
    if (cli_flag_is(arg, "--metrics")) {
        int status = take_value(c, argc, argv, i, "--metrics",
                                "a file name ending in .csv or "
                                ".jsonl",
                                &opt->metrics_path);
        MetricsFormat format;
        if (status < 0 && !metrics_format_of_path(opt->metrics_path, &format))
            return cli_usage_error(c,
                                   "--metrics expects a file name ending in .csv or .jsonl, "
                                   "saw '%s'",
                                   opt->metrics_path);
        return status;
    }
    if (cli_flag_is(arg, "--plot")) {
        int status =
            take_value(c, argc, argv, i, "--plot", "a file name ending in .svg", &opt->plot_path);
        if (status < 0 && !cli_has_suffix(opt->plot_path, ".svg"))
            return cli_usage_error(c, "--plot expects a file name ending in .svg, saw '%s'",
                                   opt->plot_path);
        return status;
    }
    if (cli_flag_is(arg, "--data-dir")) {
        int status = take_value(c, argc, argv, i, "--data-dir", "a folder", &opt->data_dir);
        struct stat st;
        if (status < 0 && (stat(opt->data_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
            return cli_usage_error(c, "--data-dir: '%s' is not a folder", opt->data_dir);
        return status;
    }
    if (cli_flag_is(arg, "--target-cpu"))
        return take_value(c, argc, argv, i, "--target-cpu", "a CPU name (as llc -mcpu takes)",
                          &opt->target_cpu);
    if (cli_flag_is(arg, "--workers"))
        return parse_workers(c, cli_flag_value(argc, argv, i, "--workers"), &opt->workers);
    if (cli_flag_is(arg, "--topology"))
        return take_value(c, argc, argv, i, "--topology",
                          "an hwloc synthetic description such as 'numa:2 core:2 pu:1'",
                          &opt->topology);
    if (cli_flag_is(arg, "--trace")) {
        int status =
            take_value(c, argc, argv, i, "--trace", "a file name ending in .json", &opt->trace_path);
        if (status < 0 && !cli_has_suffix(opt->trace_path, ".json"))
            return cli_usage_error(c, "--trace expects a file name ending in .json, saw '%s'",
                                   opt->trace_path);
        return status;
    }
    static const struct {
        const char *flag;
        size_t offset;
    } switches[] = {
        {"--quiet", offsetof(RunOptions, quiet)},
        {"--stop-on-nan", offsetof(RunOptions, stop_on_nan)},
        {"--unchecked", offsetof(RunOptions, unchecked)},
        {"--no-jit", offsetof(RunOptions, no_jit)},
        {"--deterministic", offsetof(RunOptions, deterministic)},
        {"--stats", offsetof(RunOptions, stats)},
    };
    for (size_t k = 0; k < sizeof switches / sizeof switches[0]; k++) {
        if (strcmp(arg, switches[k].flag) == 0) {
            *(bool *)((char *)opt + switches[k].offset) = true;
            return -1;
        }
    }
    return cli_take_file(c, arg, &opt->path);
}

static int parse_run_options(const Command *c, int argc, char **argv, RunOptions *opt)
{
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_print_command_help(c, stdout);
            return EXIT_OK;
        }
        int status = parse_run_option(c, argc, argv, &i, opt);
        if (status >= 0)
            return status;
    }
    int status = cli_require_file(c, opt->path);
    if (status >= 0)
        return status;
    const char *outputs[] = {opt->metrics_path, opt->plot_path, opt->trace_path};
    for (int k = 0; k < 3; k++)
        if (outputs[k] && strcmp(outputs[k], opt->path) == 0)
            return cli_usage_error(c, "'%s' is the program: it cannot also be an output",
                                   opt->path);
    return -1;
}

/* --plot: the SVG of everything logged, written atomically. */
static bool write_plot(const RunOptions *opt, const Metrics *metrics)
{
    if (!opt->plot_path)
        return true;
    Buf svg = {0};
    plot_svg(metrics, opt->path, &svg);
    char why[512];
    bool ok = cli_write_file(opt->plot_path, svg.data ? svg.data : "", svg.len, why, sizeof why);
    if (!ok)
        fprintf(stderr, "dmlc run: error: --plot: %s\n", why);
    buf_free(&svg);
    return ok;
}

/* Runs the loaded program; prints its run-time error. Metrics and plot are written either way,
 * so a failed run keeps what it logged. */
static bool run_program(const LoadedProgram *program, const RunOptions *opt)
{
    RunOutput out;
    run_output_init(&out, opt->path, opt->quiet, opt->plot_path != NULL, opt->metrics_path);
    RtOptions rt = {
        .settings = opt->settings,
        .nsettings = opt->nsettings,
        .base_dir = program->folder,
        .data_dir = opt->data_dir,
        .unchecked = opt->unchecked,
        .stop_on_nan = opt->stop_on_nan,
        .no_jit = opt->no_jit,
        .target_cpu = opt->target_cpu,
        .seed = opt->seed,
        .workers = opt->workers,
        .deterministic = opt->deterministic,
        .trace_path = opt->trace_path,
        .topology = opt->topology,
        .observer = run_output_observer(&out),
    };
    RtStats stats = {0};
    RtError err = {0};
    bool ok = rt_run(program->module, &rt, &stats, &err);
    run_output_finish(&out, ok);
    if (!ok)
        fprintf(stderr, "%s\n", err.set ? err.message : "error: the run failed");
    if (opt->stats)
        fprintf(stderr,
                "stats: workers %d  jit %.1f ms (%d kernels)  run %.1f ms  steps %lld\n",
                stats.workers, stats.jit_ms, stats.kernels, stats.run_ms, (long long)stats.steps);
    bool wrote = run_output_write_metrics(&out);
    wrote = write_plot(opt, &out.metrics) && wrote;
    run_output_free(&out);
    return ok && wrote;
}

static int run_main(const Command *c, int argc, char **argv)
{
    RunOptions opt = {0};
    int status = parse_run_options(c, argc, argv, &opt);
    if (status >= 0) {
        run_options_free(&opt);
        return status;
    }
    ProgramOptions load = {.optimise = true};
    LoadedProgram program;
    bool ok = program_load(&program, opt.path, &load);
    cli_print_diagnostics(&program.diags);
    fflush(stderr);
    if (ok)
        ok = run_program(&program, &opt);
    program_free(&program);
    run_options_free(&opt);
    return ok ? EXIT_OK : EXIT_PROGRAM_ERROR;
}

static const char *const run_flags[] = {
    "--set",       "--metrics",    "--plot",   "--quiet", "--data-dir", "--stop-on-nan",
    "--unchecked", "--target-cpu", "--no-jit", "--seed",  "--workers",  "--deterministic",
    "--trace",     "--topology",   "--stats",  "--help",          NULL,
};

const Command cli_run_command = {
    "run",
    "run a program (or a compiled plan)",
    "dmlc run FILE.dml|FILE.plan [--set NAME=VALUE]... [--metrics F.csv|F.jsonl]\n"
    "                [--plot F.svg] [--quiet] [--data-dir D] [--stop-on-nan] [--unchecked]\n"
    "                [--seed N] [--workers N] [--deterministic] [--trace F.json]\n"
    "                [--stats] [--target-cpu CPU] [--no-jit] [--topology DESC]",
    "Compiles FILE.dml (or reads the plan FILE.plan) and runs it; its load and save paths\n"
    "are relative to the folder of FILE. On a terminal a progress line shows the step, the rate,\n"
    "the latest log(...) metrics and the time left; when standard output is not a terminal,\n"
    "each log call is a line 'step 12  objective=0.0123  nnz=5' on it. print(...) output goes\n"
    "to standard output. Exit status 1 and the error on standard error when the run fails.\n"
    "\n"
    "  --set NAME=VALUE   override `config NAME` (repeatable; the last one wins)\n"
    "  --metrics F.csv|F.jsonl\n"
    "                     write every log call to F (also when the run fails)\n"
    "  --plot F.svg       draw every logged metric against the step, one panel each\n"
    "  --quiet            no progress line or log lines (print output and warnings stay)\n"
    "  --data-dir D       load and save paths are relative to D instead\n"
    "  --stop-on-nan      a nan or inf metric ends the run with an error\n"
    "  --unchecked        skip bounds and write-collision checks (faster; wrong programs\n"
    "                     may then give wrong results instead of an error)\n"
    "  --seed N           seed of random constructors that name no seed (default 0)\n"
    "  --workers N        worker threads, one per core (default: every core)\n"
    "  --deterministic    bsp loops bitwise identical for any --workers (chunks depend only\n"
    "                     on the iteration count); serial loops for a fixed --workers\n"
    "  --trace F.json     write every task as Chrome trace events (open in Perfetto)\n"
    "  --stats            print the workers, JIT time and run time on standard error\n"
    "  --target-cpu CPU   compile kernels for CPU (as llc -mcpu) instead of this host\n"
    "  --no-jit           interpret fused kernels instead of compiling them (debugging)\n"
    "  --topology DESC    plan for an hwloc synthetic machine such as 'numa:2 core:2 pu:1'\n"
    "                     instead of this one, without pinning (testing placement)\n",
    run_flags,
    run_main,
};
