/* dump_ir.c: `dmlc dump-ir FILE`: the IR as lowered, after a pass, after every pass, or the
 * kernels' LLVM IR or assembly. */
#include "cli/cli.h"
#include "codegen/jit.h"
#include "executor/program.h"
#include "passes/passes.h"
#include "support/suggest.h"

#include <string.h>

typedef struct {
    const char *path;
    bool dot;              /* --format dot */
    bool locations;        /* --locations */
    const char *after;     /* --after=NAME|all (NULL: the lowered IR, no passes) */
    bool emit;             /* --emit given */
    JitEmitKind emit_kind; /* --emit=llvm|asm */
    const char *target_cpu;
} DumpOptions;

/* The module as text or a Graphviz graph, on standard output. */
static void print_module(const IrModule *m, const DumpOptions *opt)
{
    Buf out = {0};
    IrPrintOptions print_opt = {.locations = opt->locations};
    if (opt->dot)
        ir_print_dot(m, &out);
    else
        ir_print(m, &out, &print_opt);
    fputs(buf_cstr(&out), stdout);
    buf_free(&out);
}

/* --after=all: each pass's result, headed by its name. */
static void print_after_pass(const PassInfo *pass, const IrModule *m, void *user)
{
    printf("// after %s\n", pass->name);
    print_module(m, user);
}

/* An --after value that names no pass: the pass names in order, and a suggestion. */
static int unknown_pass(const Command *c, const char *name)
{
    int n;
    const PassInfo *passes = passes_list(&n);
    const char *names[32];
    int count = 0;
    Buf list = {0};
    for (int i = 0; i < n && count < 31; i++) {
        names[count++] = passes[i].name;
        buf_printf(&list, "%s%s", i ? ", " : "", passes[i].name);
    }
    names[count++] = "all";
    const char *near = suggest_closest(name, names, count);
    fprintf(stderr, "dmlc %s: error: --after names no pass: '%s'", c->name, name);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, "\nThe passes, in order: %s; or 'all' for each of them.\n", buf_cstr(&list));
    buf_free(&list);
    return EXIT_USAGE;
}

/* Parses the options; -1 to go on, else an exit status. */
static int parse_dump_options(const Command *c, int argc, char **argv, DumpOptions *opt)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            cli_print_command_help(c, stdout);
            return EXIT_OK;
        }
        if (cli_flag_is(arg, "--format")) {
            const char *v = cli_flag_value(argc, argv, &i, "--format");
            if (!v || (strcmp(v, "text") != 0 && strcmp(v, "dot") != 0))
                return cli_usage_error(c, "--format expects 'text' or 'dot', saw %s%s%s",
                                       v ? "'" : "", v ? v : "nothing", v ? "'" : "");
            opt->dot = strcmp(v, "dot") == 0;
        } else if (strcmp(arg, "--locations") == 0) {
            opt->locations = true;
        } else if (cli_flag_is(arg, "--after")) {
            opt->after = cli_flag_value(argc, argv, &i, "--after");
            if (!opt->after)
                return cli_missing_value(c, "--after", "a pass name or 'all'");
            if (strcmp(opt->after, "all") != 0 && !passes_find(opt->after))
                return unknown_pass(c, opt->after);
        } else if (cli_flag_is(arg, "--emit")) {
            const char *v = cli_flag_value(argc, argv, &i, "--emit");
            if (!v || (strcmp(v, "llvm") != 0 && strcmp(v, "asm") != 0))
                return cli_usage_error(c, "--emit expects 'llvm' or 'asm', saw %s%s%s",
                                       v ? "'" : "", v ? v : "nothing", v ? "'" : "");
            opt->emit = true;
            opt->emit_kind = strcmp(v, "llvm") == 0 ? JIT_EMIT_LLVM : JIT_EMIT_ASM;
        } else if (cli_flag_is(arg, "--target-cpu")) {
            opt->target_cpu = cli_flag_value(argc, argv, &i, "--target-cpu");
            if (!opt->target_cpu || !*opt->target_cpu)
                return cli_missing_value(c, "--target-cpu", "a CPU name (as llc -mcpu takes)");
        } else {
            int status = cli_take_file(c, arg, &opt->path);
            if (status >= 0)
                return status;
        }
    }
    int status = cli_require_file(c, opt->path);
    if (status >= 0)
        return status;
    if (opt->emit && (opt->after || opt->dot || opt->locations))
        return cli_usage_error(c,
                               "--emit prints the kernels' %s; --after, --format and "
                               "--locations apply to the dataflow IR",
                               opt->emit_kind == JIT_EMIT_LLVM ? "LLVM IR" : "assembly");
    if (opt->target_cpu && !opt->emit)
        return cli_usage_error(c, "--target-cpu applies to --emit only");
    if (opt->after && program_kind_of(opt->path) == PROGRAM_PLAN)
        return cli_usage_error(c, "a plan is already optimised: --after applies to .dml and .ir "
                                  "files");
    return -1;
}

/* --emit: the LLVM IR or assembly of the optimised module's kernels. */
static bool emit_kernels(const IrModule *m, const DumpOptions *opt)
{
    JitOptions jit_opt = {.target_cpu = opt->target_cpu};
    Buf out = {0};
    RtError err = {0};
    bool ok = jit_emit(m, &jit_opt, opt->emit_kind, &out, &err);
    if (ok)
        fputs(buf_cstr(&out), stdout);
    else
        fprintf(stderr, "%s\n", err.message);
    buf_free(&out);
    return ok;
}

static int dump_ir_main(const Command *c, int argc, char **argv)
{
    DumpOptions opt = {0};
    int status = parse_dump_options(c, argc, argv, &opt);
    if (status >= 0)
        return status;
    bool all = opt.after && strcmp(opt.after, "all") == 0;
    ProgramOptions load = {
        .optimise = opt.after || opt.emit,
        .stop_after = all ? NULL : opt.after,
        .observer = all ? print_after_pass : NULL,
        .observer_user = &opt,
    };
    LoadedProgram program;
    bool ok = program_load(&program, opt.path, &load);
    cli_print_diagnostics(&program.diags);
    if (ok && opt.emit)
        ok = emit_kernels(program.module, &opt);
    else if (ok && !all)
        print_module(program.module, &opt);
    program_free(&program);
    return ok ? EXIT_OK : EXIT_PROGRAM_ERROR;
}

static const char *const dump_ir_flags[] = {
    "--format", "--locations", "--after", "--emit", "--target-cpu", "--help", NULL,
};

const Command cli_dump_ir_command = {
    "dump-ir",
    "print a program's dataflow-graph IR, before or after the passes",
    "dmlc dump-ir FILE.dml|FILE.ir|FILE.plan [--after=PASS|all] [--format text|dot] "
    "[--locations]\n"
    "       dmlc dump-ir FILE.dml|FILE.ir|FILE.plan --emit=llvm|asm [--target-cpu CPU]",
    "Lowers FILE.dml to the IR (fn calls inlined) and prints it in MLIR's generic textual\n"
    "form, before any pass. Given a FILE.ir written by dump-ir, reads it back, verifies it and\n"
    "prints it again (the round trip is exact); given a FILE.plan, prints its optimised IR.\n"
    "\n"
    "  --after=PASS       run the passes up to and including PASS and print the result\n"
    "                     (shapes, canonicalize, autodiff, cleanup, fuse, memplan, depend)\n"
    "  --after=all        print the IR after each pass, headed '// after PASS'\n"
    "  --format text|dot  text (default) or a Graphviz graph\n"
    "  --locations        append loc(\"file\":line:col) to every op\n"
    "  --emit=llvm|asm    run every pass, then print the LLVM IR or the assembly that the JIT\n"
    "                     makes for the program's fused kernels\n"
    "  --target-cpu CPU   with --emit: compile for CPU (as llc -mcpu) instead of this host\n",
    dump_ir_flags,
    dump_ir_main,
};
