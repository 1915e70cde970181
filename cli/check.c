/* check.c: `dmlc check FILE.dml`: parse and type-check, print every error. */
#include "cli/cli.h"
#include "frontend/frontend.h"

#include <stddef.h>

static int check_main(const Command *c, int argc, char **argv)
{
    const char *path = NULL;
    int status = cli_parse_file_only(c, argc, argv, &path);
    if (status >= 0)
        return status;

    SrcFile file;
    const char *why;
    if (!src_load(&file, path, &why)) {
        fprintf(stderr, "dmlc: error: cannot read '%s': %s\n", path, why);
        return EXIT_PROGRAM_ERROR;
    }
    Arena arena;
    arena_init(&arena);
    DiagList diags;
    diag_init(&diags, &file);
    Program *prog = fe_check(&file, &arena, &diags);
    cli_print_diagnostics(&diags);
    status = prog && !diag_has_errors(&diags) ? EXIT_OK : EXIT_PROGRAM_ERROR;
    diag_free(&diags);
    arena_free(&arena);
    src_free(&file);
    return status;
}

static const char *const check_flags[] = {"--help", NULL};

const Command cli_check_command = {
    "check",
    "parse and type-check a program, reporting every error",
    "dmlc check FILE.dml",
    "Parses FILE.dml and checks names, dtypes, symbolic shapes and the rules of parallel\n"
    "loops. Prints every error as file:line:col with the line and a caret, and exits with\n"
    "status 1 if there was any; prints nothing and exits 0 when the program is valid.\n",
    check_flags,
    check_main,
};
