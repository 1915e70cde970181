/* args.c: the driver's shared helpers: flags, usage errors, diagnostics, atomic file writes. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fsync, fdopen */
#include "cli/cli.h"

#include "executor/io.h"

#include "support/suggest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_print_command_help(const Command *c, FILE *out)
{
    fprintf(out, "Usage: %s\n\n%s\n%s", c->usage, c->summary, c->details);
}

bool cli_flag_is(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

const char *cli_flag_value(int argc, char **argv, int *i, const char *flag)
{
    const char *arg = argv[*i];
    size_t n = strlen(flag);
    if (arg[n] == '=')
        return arg + n + 1;
    if (*i + 1 < argc) {
        (*i)++;
        return argv[*i];
    }
    return NULL;
}

int cli_usage_error(const Command *c, const char *fmt, ...)
{
    fprintf(stderr, "dmlc %s: error: ", c->name);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

int cli_unknown_flag(const Command *c, const char *flag)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(flag, "="), flag);
    int n = 0;
    while (c->flags[n])
        n++;
    const char *near = suggest_closest(name, c->flags, n);
    fprintf(stderr, "dmlc %s: error: unknown option '%s'", c->name, name);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, "\nRun 'dmlc help %s' for its options.\n", c->name);
    return EXIT_USAGE;
}

int cli_missing_value(const Command *c, const char *flag, const char *what)
{
    return cli_usage_error(c, "%s expects %s", flag, what);
}

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_take_file(const Command *c, const char *arg, const char **file)
{
    if (arg[0] == '-' && arg[1] != '\0')
        return cli_unknown_flag(c, arg);
    if (*file)
        return cli_usage_error(c, "expected one FILE, saw '%s' and '%s'", *file, arg);
    *file = arg;
    return -1;
}

int cli_require_file(const Command *c, const char *file)
{
    if (file)
        return -1;
    fprintf(stderr, "dmlc %s: error: expected a FILE\nUsage: %s\n", c->name, c->usage);
    return EXIT_USAGE;
}

int cli_parse_file_only(const Command *c, int argc, char **argv, const char **file)
{
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_print_command_help(c, stdout);
            return EXIT_OK;
        }
        int status = cli_take_file(c, argv[i], file);
        if (status >= 0)
            return status;
    }
    return cli_require_file(c, *file);
}

void cli_print_diagnostics(const DiagList *diags)
{
    Buf out = {0};
    diag_render(diags, &out);
    fputs(buf_cstr(&out), stderr);
    buf_free(&out);
}

bool cli_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool cli_write_file(const char *path, const char *data, size_t len, char *why, size_t why_size)
{
    if (strcmp(path, "-") == 0) {
        bool ok = fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0;
        if (!ok)
            snprintf(why, why_size, "cannot write to standard output: %s", strerror(errno));
        return ok;
    }
    RtError err = {0};
    if (io_write_text(path, data, len, &err))
        return true;
    /* io's message is "PATH: error: cannot write: REASON"; the callers add their own prefix */
    const char *reason = strstr(err.message, "error: ");
    snprintf(why, why_size, "%s: %s", path, reason ? reason + strlen("error: ") : err.message);
    return false;
}
