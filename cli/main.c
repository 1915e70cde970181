/* main.c: the dmlc driver: parses the command line, calls libdmlc, prints, sets the exit code.
 *
 * Exit codes: 0 success; 1 the program (or a file it names) has errors; 2 the command line is
 * wrong. All real work is in the library; this file only routes. */
#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "ir/ir.h"
#include "support/stack.h"
#include "support/suggest.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifndef DMLC_VERSION
#define DMLC_VERSION "0.0.0"
#endif

enum { EXIT_OK = 0, EXIT_PROGRAM_ERROR = 1, EXIT_USAGE = 2 };

typedef struct {
    const char *file;
    bool dot;       /* dump-ir --format dot */
    bool locations; /* dump-ir --locations */
} Options;

typedef struct {
    const char *name;
    const char *summary;
    const char *usage;
    const char *details;
    const char *const *flags; /* NULL-terminated */
    int (*run)(const Options *);
} Command;

static int run_check(const Options *opt);
static int run_dump_ir(const Options *opt);

static const char *const check_flags[] = {"--help", NULL};
static const char *const dump_ir_flags[] = {"--format", "--locations", "--help", NULL};

static const Command commands[] = {
    {"check", "parse and type-check a program, reporting every error", "dmlc check FILE.dml",
     "Parses FILE.dml and checks names, dtypes, symbolic shapes and the rules of parallel\n"
     "loops. Prints every error as file:line:col with the line and a caret, and exits with\n"
     "status 1 if there was any; prints nothing and exits 0 when the program is valid.\n",
     check_flags, run_check},
    {"dump-ir", "print a program's dataflow-graph IR",
     "dmlc dump-ir FILE.dml|FILE.ir [--format text|dot] [--locations]",
     "Lowers FILE.dml to the IR (fn calls inlined) and prints it in MLIR's generic textual\n"
     "form. Given a FILE.ir written by dump-ir, reads it back, verifies it and prints it again\n"
     "(the round trip is exact).\n"
     "\n"
     "  --format text|dot  text (default) or a Graphviz graph\n"
     "  --locations        append loc(\"file\":line:col) to every op\n",
     dump_ir_flags, run_dump_ir},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void print_main_help(FILE *out)
{
    fprintf(out, "dmlc %s: compiler and runtime for distributed machine-learning programs (DML)\n"
                 "\n"
                 "Usage: dmlc COMMAND [OPTIONS] FILE\n"
                 "\n"
                 "Commands:\n",
            DMLC_VERSION);
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  %-10s %s\n", "help", "show the help of a command (dmlc help check)");
    fprintf(out, "\nOptions:\n"
                 "  -h, --help  show this help\n"
                 "  --version   print the version\n"
                 "\n"
                 "Running programs (run, compile, explain) comes with the runtime; see README.md.\n");
}

static void print_command_help(const Command *c, FILE *out)
{
    fprintf(out, "Usage: %s\n\n%s\n%s", c->usage, c->summary, c->details);
}

static const Command *find_command(const char *name)
{
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    static const char *const planned[] = {"run", "compile", "explain"};
    for (size_t i = 0; i < sizeof planned / sizeof planned[0]; i++) {
        if (strcmp(name, planned[i]) == 0) {
            fprintf(stderr,
                    "dmlc: error: '%s' is not available yet: this version checks programs "
                    "(dmlc check) and prints their IR (dmlc dump-ir); the runtime comes next\n",
                    name);
            return EXIT_USAGE;
        }
    }
    const char *names[NCOMMANDS + 1];
    for (int i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = "help";
    const char *near = suggest_closest(name, names, NCOMMANDS + 1);
    fprintf(stderr, "dmlc: error: unknown command '%s'", name);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, "\nRun 'dmlc --help' for the list of commands.\n");
    return EXIT_USAGE;
}

static int unknown_flag(const Command *c, const char *flag)
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

/* Takes the value of "--flag VALUE" or "--flag=VALUE"; NULL when it is missing. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag)
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

static bool flag_is(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Parses the arguments after the command name; returns -1 to go on, else an exit code. */
static int parse_options(const Command *c, int argc, char **argv, Options *opt)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_command_help(c, stdout);
            return EXIT_OK;
        }
        if (c->run == run_dump_ir && flag_is(arg, "--format")) {
            const char *v = flag_value(argc, argv, &i, "--format");
            if (!v || (strcmp(v, "text") != 0 && strcmp(v, "dot") != 0)) {
                fprintf(stderr, "dmlc dump-ir: error: --format expects 'text' or 'dot', saw %s%s%s\n",
                        v ? "'" : "", v ? v : "nothing", v ? "'" : "");
                return EXIT_USAGE;
            }
            opt->dot = strcmp(v, "dot") == 0;
            continue;
        }
        if (c->run == run_dump_ir && strcmp(arg, "--locations") == 0) {
            opt->locations = true;
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0')
            return unknown_flag(c, arg);
        if (opt->file) {
            fprintf(stderr, "dmlc %s: error: expected one FILE, saw '%s' and '%s'\n", c->name,
                    opt->file, arg);
            return EXIT_USAGE;
        }
        opt->file = arg;
    }
    if (!opt->file) {
        fprintf(stderr, "dmlc %s: error: expected a FILE\nUsage: %s\n", c->name, c->usage);
        return EXIT_USAGE;
    }
    return -1;
}

static bool load_source(const char *path, SrcFile *file)
{
    const char *err;
    if (src_load(file, path, &err))
        return true;
    fprintf(stderr, "dmlc: error: cannot read '%s': %s\n", path, err);
    return false;
}

static void print_diagnostics(const DiagList *diags)
{
    Buf out = {0};
    diag_render(diags, &out);
    fputs(buf_cstr(&out), stderr);
    buf_free(&out);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int run_check(const Options *opt)
{
    SrcFile file;
    if (!load_source(opt->file, &file))
        return EXIT_PROGRAM_ERROR;
    Arena arena;
    arena_init(&arena);
    DiagList diags;
    diag_init(&diags, &file);
    Program *prog = fe_check(&file, &arena, &diags);
    print_diagnostics(&diags);
    int status = prog && !diag_has_errors(&diags) ? EXIT_OK : EXIT_PROGRAM_ERROR;
    diag_free(&diags);
    arena_free(&arena);
    src_free(&file);
    return status;
}

/* The IR of FILE: lowered from a .dml program, or read back from a .ir dump. */
static IrModule *module_of(const SrcFile *file, Arena *arena, DiagList *diags)
{
    if (has_suffix(file->path, ".ir"))
        return ir_read(file, arena, diags);
    Program *prog = fe_check(file, arena, diags);
    if (!prog)
        return NULL;
    return lower_program(prog, arena, diags);
}

static int run_dump_ir(const Options *opt)
{
    SrcFile file;
    if (!load_source(opt->file, &file))
        return EXIT_PROGRAM_ERROR;
    Arena arena;
    arena_init(&arena);
    DiagList diags;
    diag_init(&diags, &file);
    IrModule *module = module_of(&file, &arena, &diags);
    bool ok = module && !diag_has_errors(&diags) && ir_verify(module, &diags);
    print_diagnostics(&diags);
    if (ok) {
        Buf out = {0};
        IrPrintOptions print_opt = {0};
        print_opt.locations = opt->locations;
        if (opt->dot)
            ir_print_dot(module, &out);
        else
            ir_print(module, &out, &print_opt);
        fputs(buf_cstr(&out), stdout);
        buf_free(&out);
    }
    diag_free(&diags);
    arena_free(&arena);
    src_free(&file);
    return ok ? EXIT_OK : EXIT_PROGRAM_ERROR;
}

typedef struct {
    const Command *command;
    const Options *options;
    int status;
} Job;

/* Runs a command on the big-stack thread: long flat expressions nest deeply in the AST. */
static void run_job(void *p)
{
    Job *job = p;
    job->status = job->command->run(job->options);
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
        print_command_help(c, stdout);
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
    Options opt = {0};
    int status = parse_options(c, argc - 2, argv + 2, &opt);
    if (status >= 0)
        return status;
    Job job = {c, &opt, EXIT_PROGRAM_ERROR};
    support_run_on_large_stack(run_job, &job, SUPPORT_COMPILER_STACK_BYTES);
    return job.status;
}
