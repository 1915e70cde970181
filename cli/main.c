/* main.c: the dmlc driver's entry: the command table, the main help, dispatch to a command.
 *
 * Exit codes: 0 success; 1 the program (or a file it names) has errors; 2 the command line is
 * wrong. All real work is in the library; each command's file (check.c, dump_ir.c, run.c,
 * compile.c) parses its options and calls it. */
#include "cli/cli.h"
#include "support/stack.h"
#include "support/suggest.h"

#include <stdio.h>
#include <string.h>

#ifndef DMLC_VERSION
#define DMLC_VERSION "0.0.0"
#endif

static const Command *const commands[] = {
    &cli_run_command,
    &cli_compile_command,
    &cli_check_command,
    &cli_dump_ir_command,
    &cli_explain_command,
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void print_main_help(FILE *out)
{
    fprintf(out,
            "dmlc %s: compiler and runtime for distributed machine-learning programs (DML)\n"
            "\n"
            "Usage: dmlc COMMAND [OPTIONS] FILE\n"
            "\n"
            "Commands:\n",
            DMLC_VERSION);
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-10s %s\n", "help", "show the help of a command (dmlc help run)");
    fprintf(out, "\nOptions:\n"
                 "  -h, --help  show this help\n"
                 "  --version   print the version\n"
                 "\n"
                 "Exit status: 0 success, 1 errors in the program or while running it,\n"
                 "2 a wrong command line. docs/cli.md has the whole manual.\n");
}

static const Command *find_command(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[NCOMMANDS + 1];
    for (int i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i]->name;
    names[NCOMMANDS] = "help";
    const char *near = suggest_closest(name, names, NCOMMANDS + 1);
    fprintf(stderr, "dmlc: error: unknown command '%s'", name);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, "\nRun 'dmlc --help' for the list of commands.\n");
    return EXIT_USAGE;
}

typedef struct {
    const Command *command;
    int argc;
    char **argv;
    int status;
} Job;

/* Runs a command on the big-stack thread: long flat expressions nest deeply in the AST. */
static void run_job(void *p)
{
    Job *job = p;
    job->status = job->command->main(job->command, job->argc, job->argv);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stderr);
        return EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_main_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(first, "--version") == 0) {
        printf("dmlc %s\n", DMLC_VERSION);
        return EXIT_OK;
    }
    if (strcmp(first, "help") == 0) {
        if (argc < 3) {
            print_main_help(stdout);
            return EXIT_OK;
        }
        const Command *c = find_command(argv[2]);
        if (!c)
            return unknown_command(argv[2]);
        cli_print_command_help(c, stdout);
        return EXIT_OK;
    }
    if (first[0] == '-') {
        static const char *const global_flags[] = {"--help", "--version"};
        const char *near = suggest_closest(first, global_flags, 2);
        fprintf(stderr, "dmlc: error: unknown option '%s'", first);
        if (near)
            fprintf(stderr, "; did you mean '%s'?", near);
        fprintf(stderr, "\nRun 'dmlc --help' for usage.\n");
        return EXIT_USAGE;
    }
    const Command *c = find_command(first);
    if (!c)
        return unknown_command(first);
    Job job = {c, argc - 2, argv + 2, EXIT_PROGRAM_ERROR};
    support_run_on_large_stack(run_job, &job, SUPPORT_COMPILER_STACK_BYTES);
    return job.status;
}
