/* runtime.h: runs a compiled module (the optimised IR of a program or a plan) in one process.
 *
 * The runtime is the plan interpreter that the parallel executor parallelises: it walks the
 * module's regions in order, keeps one slot per SSA value (released after its last use, so copy
 * on write is cheap), holds the state (params, vars, inputs, configs, sizes), calls rt_eval_op for
 * value ops, compiled kernels (codegen/jit.h) for k.fused ops, and implements the loop forms of
 * LANGUAGE.md §7 (bsp snapshots with accumulations and write-collision checks, serial, async and
 * ssp as serial with one worker, schedule(...) rounds, nonzeros). Every run-time error names the
 * source position of the op that failed. Nothing here prints: observations go to the callbacks. */
#ifndef DMLC_EXECUTOR_RUNTIME_H
#define DMLC_EXECUTOR_RUNTIME_H

#include "executor/value.h"
#include "ir/ir.h"
#include "support/buf.h"

/* One `--set NAME=VALUE`, as typed. */
typedef struct {
    const char *name;
    const char *value;
} RtSetting;

typedef struct {
    void *user;
    /* A `log(...)` statement: the step of the outermost loop (its iteration number, from 0), the
     * number of steps when the outermost loop's bound is known (else -1), and the metrics. */
    void (*on_log)(void *user, int64_t step, int64_t steps, int n, const char *const *keys,
                   const double *values);
    /* A `print(...)` statement: one line of text, without the newline. */
    void (*on_print)(void *user, const char *line);
    /* A non-finite metric (reported whatever stop_on_nan says): the step and the key. */
    void (*on_nan)(void *user, int64_t step, const char *key, double value);
    /* A warning about how the program runs ("prog.dml:12:3: warning: ..."), without newline. */
    void (*on_warning)(void *user, const char *message);
} RtObserver;

typedef struct {
    const RtSetting *settings; /* --set */
    int nsettings;
    const char *base_dir; /* load/save paths are relative to it (the .dml file's folder) */
    const char *data_dir; /* --data-dir: overrides base_dir when set */
    bool unchecked;       /* --unchecked: no bounds or collision checks */
    bool stop_on_nan;     /* --stop-on-nan: a non-finite metric ends the run with an error */
    bool no_jit;          /* interpret k.fused regions instead of compiling them (testing) */
    const char *target_cpu; /* --target-cpu (NULL: host) */
    uint64_t seed;          /* seeds random constructors without a seed (default 0) */
    int workers;            /* --workers: 0 = one per core */
    bool deterministic;     /* --deterministic: chunking independent of the worker count */
    const char *trace_path; /* --trace: Chrome trace event JSON of every task, or NULL */
    const char *topology;   /* --topology: hwloc synthetic description to plan for (testing) */
    RtObserver observer;
} RtOptions;

typedef struct {
    double jit_ms;      /* time spent compiling kernels */
    int kernels;        /* kernels compiled */
    double run_ms;      /* time spent running, after compiling */
    int64_t steps;      /* iterations of the outermost loop that ran */
    int workers;        /* workers of the pool */
} RtStats;

/* Runs the module (which passes_run has optimised, or a plan read back). Returns false with err
 * set on any run-time error; stats may be NULL. */
bool rt_run(const IrModule *m, const RtOptions *options, RtStats *stats, RtError *err);

/* `dmlc explain`: appends to out how the executor runs the module (steps per kind, regions with
 * their critical paths, segments that run as task graphs, each parallel loop with its dependence
 * class, reason, accesses and schedule, and the inputs stored by columns), from the same
 * preparation as rt_run, without running. `name` heads the text. */
bool rt_explain(const IrModule *m, const char *name, Buf *out, RtError *err);

#endif
