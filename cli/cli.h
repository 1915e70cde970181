/* cli.h: what the driver's files share: the command table entry, exit codes, flag parsing and
 * printing helpers (args.c). One file per command: check.c, dump_ir.c, run.c, compile.c. */
#ifndef DMLC_CLI_CLI_H
#define DMLC_CLI_CLI_H

#include "support/buf.h"
#include "support/diag.h"

#include <stdbool.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_PROGRAM_ERROR = 1, EXIT_USAGE = 2 };

typedef struct Command Command;

struct Command {
    const char *name;
    const char *summary; /* one line for `dmlc --help` */
    const char *usage;
    const char *details;      /* the options, for `dmlc help NAME` */
    const char *const *flags; /* NULL-terminated: every flag, for "did you mean" */
    /* Parses the arguments after the command name and does the work; returns the exit status.
     * Runs on the big-stack thread (support/stack.h). */
    int (*main)(const Command *self, int argc, char **argv);
};

extern const Command cli_check_command;
extern const Command cli_dump_ir_command;
extern const Command cli_run_command;
extern const Command cli_compile_command;
extern const Command cli_explain_command;

/* ---- args.c ---- */

void cli_print_command_help(const Command *c, FILE *out);

/* True for "--flag" and "--flag=VALUE". */
bool cli_flag_is(const char *arg, const char *flag);
/* The value of "--flag VALUE" or "--flag=VALUE" (advancing *i past VALUE); NULL when missing. */
const char *cli_flag_value(int argc, char **argv, int *i, const char *flag);

/* "dmlc NAME: error: ..." and exit status 2. */
int cli_usage_error(const Command *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An unknown option, with the closest valid one suggested; exit status 2. */
int cli_unknown_flag(const Command *c, const char *flag);
/* A value-taking flag given no value; exit status 2. */
int cli_missing_value(const Command *c, const char *flag, const char *what);

/* Takes a positional argument as the command's FILE: -1 to go on, or 2 after an error (a second
 * FILE, or an unknown option when it starts with '-'). */
int cli_take_file(const Command *c, const char *arg, const char **file);
/* -1 when a FILE was given, else 2 after the error. */
int cli_require_file(const Command *c, const char *file);
/* The arguments of a command that takes one FILE and no options but --help: -1 with *file set
 * to go on, else the exit status (help printed, or a usage error). */
int cli_parse_file_only(const Command *c, int argc, char **argv, const char **file);
/* True for -h and --help (the caller prints the help and exits 0). */
bool cli_is_help(const char *arg);

void cli_print_diagnostics(const DiagList *diags);

bool cli_has_suffix(const char *s, const char *suffix);

/* Writes data to path with io_write_text (missing folders created, a temporary file in the same
 * folder, fsync, rename: readers never see a half-written file). "-" writes to standard output.
 * Returns false with "PATH: cannot write: REASON" in why. */
bool cli_write_file(const char *path, const char *data, size_t len, char *why, size_t why_size);

#endif
