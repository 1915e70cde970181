/* explain.c: `dmlc explain FILE.dml|FILE.plan`: how the executor will run the program (task graph
 * summary and every parallel loop's schedule), printed by the library's rt_explain. */
#include "cli/cli.h"
#include "executor/program.h"
#include "executor/runtime.h"

#include <stdlib.h>

static int explain_main(const Command *c, int argc, char **argv)
{
    const char *path = NULL;
    int status = cli_parse_file_only(c, argc, argv, &path);
    if (status >= 0)
        return status;
    ProgramOptions load = {.optimise = true};
    LoadedProgram program;
    bool ok = program_load(&program, path, &load);
    cli_print_diagnostics(&program.diags);
    if (ok) {
        Buf out = {0};
        RtError err = {0};
        ok = rt_explain(program.module, path, &out, &err);
        if (ok)
            fwrite(out.data, 1, out.len, stdout);
        else
            fprintf(stderr, "%s\n", err.message);
        buf_free(&out);
    }
    program_free(&program);
    return ok ? EXIT_OK : EXIT_PROGRAM_ERROR;
}

static const char *const explain_flags[] = {"--help", NULL};

const Command cli_explain_command = {
    "explain",
    "show how the executor runs a program: its task graph and parallel loops",
    "dmlc explain FILE.dml|FILE.plan",
    "Prepares FILE as `dmlc run` does, without running it, and prints: the steps per kind\n"
    "(kernels, BLAS calls, reductions, state, I/O, control, parallel loops), every region with\n"
    "its critical path in steps and the segments whose independent operations run at the same\n"
    "time, and every parallel loop with how it runs (parallel chunks with private accumulators,\n"
    "or in order) and why.\n",
    explain_flags,
    explain_main,
};
