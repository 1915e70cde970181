/* compile.c: `dmlc compile FILE.dml -o F.plan`: the optimised IR as a plan (executor/plan.h). */
#include "cli/cli.h"
#include "executor/plan.h"
#include "executor/program.h"

#include <stdlib.h>
#include <string.h>

/* The default output: FILE.dml with .plan instead of .dml (or .plan appended). */
static char *default_output(const char *path)
{
    size_t n = strlen(path);
    if (cli_has_suffix(path, ".dml"))
        n -= 4;
    char *out = malloc(n + sizeof ".plan");
    if (out) {
        memcpy(out, path, n);
        memcpy(out + n, ".plan", sizeof ".plan");
    }
    return out;
}

static int compile_main(const Command *c, int argc, char **argv)
{
    const char *path = NULL, *output = NULL;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_print_command_help(c, stdout);
            return EXIT_OK;
        }
        if (cli_flag_is(arg, "-o") || cli_flag_is(arg, "--output")) {
            output = cli_flag_value(argc, argv, &i, arg[1] == 'o' ? "-o" : "--output");
            if (!output || !*output)
                return cli_missing_value(c, "-o", "an output file (F.plan, or - for stdout)");
            continue;
        }
        int status = cli_take_file(c, arg, &path);
        if (status >= 0)
            return status;
    }
    int status = cli_require_file(c, path);
    if (status >= 0)
        return status;
    if (program_kind_of(path) == PROGRAM_PLAN)
        return cli_usage_error(c, "'%s' is a plan already; compile takes a .dml program", path);

    char *made = output ? NULL : default_output(path);
    if (!output && !made)
        return cli_usage_error(c, "out of memory");
    if (!output)
        output = made;
    if (strcmp(output, path) == 0) {
        free(made);
        return cli_usage_error(c, "the plan would overwrite its source '%s'", path);
    }

    ProgramOptions load = {.optimise = true};
    LoadedProgram program;
    bool ok = program_load(&program, path, &load);
    cli_print_diagnostics(&program.diags);
    if (ok) {
        Buf plan = {0};
        plan_write(program.module, program.source_path, &plan);
        char why[512];
        ok = cli_write_file(output, plan.data ? plan.data : "", plan.len, why, sizeof why);
        if (!ok)
            fprintf(stderr, "dmlc: error: %s\n", why);
        buf_free(&plan);
    }
    program_free(&program);
    free(made);
    return ok ? EXIT_OK : EXIT_PROGRAM_ERROR;
}

static const char *const compile_flags[] = {"-o", "--output", "--help", NULL};

const Command cli_compile_command = {
    "compile",
    "compile a program to a plan (its optimised IR) to run later",
    "dmlc compile FILE.dml [-o F.plan]",
    "Checks, lowers and optimises FILE.dml (every pass), and writes the result as a plan:\n"
    "a versioned, checksummed text file that `dmlc run F.plan` runs without the source.\n"
    "Load and save paths in a plan are taken relative to the plan's own folder (or\n"
    "--data-dir), so keep the plan where the program was, or pass --data-dir to run.\n"
    "\n"
    "  -o F.plan, --output F.plan  where to write the plan (default: FILE.plan beside\n"
    "                              FILE.dml; '-' writes it to standard output)\n",
    compile_flags,
    compile_main,
};
