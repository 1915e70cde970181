/* test_plan.c: plan files (executor/plan.h) and program loading (executor/program.h): the round
 * trip of a lowered module, and the exact errors for plans that are truncated, edited, of another
 * version, or not plans at all. */
#define _POSIX_C_SOURCE 200809L /* strdup, mkdtemp */
#include "executor/plan.h"
#include "executor/program.h"
#include "frontend/frontend.h"
#include "frontend/lower.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char program_text[] = "config lr = 0.5\n"
                                   "param w: f64[3] = ones\n"
                                   "for t in 0..10 {\n"
                                   "  w -= lr * w\n"
                                   "  log(norm = sum(w * w), first = w[0])\n"
                                   "}\n"
                                   "print(w)\n";

/* A compilation of program_text (lowered, not optimised: the plan format does not care). */
typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    IrModule *module;
} Lowered;

static void lower_text(Lowered *l, const char *path, const char *text)
{
    src_from_text(&l->file, path, text, strlen(text));
    arena_init(&l->arena);
    diag_init(&l->diags, &l->file);
    Program *prog = fe_check(&l->file, &l->arena, &l->diags);
    cr_assert_not_null(prog, "the test program does not check");
    l->module = lower_program(prog, &l->arena, &l->diags);
    cr_assert_not_null(l->module);
}

static void lowered_free(Lowered *l)
{
    diag_free(&l->diags);
    arena_free(&l->arena);
    src_free(&l->file);
}

/* The plan text of program_text, compiled from "samples/p.dml" (caller frees). */
static char *plan_of_program(void)
{
    Lowered l;
    lower_text(&l, "samples/p.dml", program_text);
    Buf plan = {0};
    plan_write(l.module, "samples/p.dml", &plan);
    char *text = strdup(buf_cstr(&plan));
    buf_free(&plan);
    lowered_free(&l);
    return text;
}

static char *print_with_locations(const IrModule *m)
{
    Buf b = {0};
    IrPrintOptions o = {.locations = true};
    ir_print(m, &b, &o);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* One reading of plan text: the diagnostics rendered as the user sees them. */
typedef struct {
    SrcFile file;
    Arena arena;
    DiagList diags;
    IrModule *module;
    const char *source;
    char *rendered;
} PlanReading;

static void read_plan_text(PlanReading *r, const char *text, size_t len)
{
    src_from_text(&r->file, "t.plan", text, len);
    arena_init(&r->arena);
    diag_init(&r->diags, &r->file);
    r->module = plan_read(&r->file, &r->arena, &r->diags, &r->source);
    Buf b = {0};
    diag_render(&r->diags, &b);
    r->rendered = strdup(buf_cstr(&b));
    buf_free(&b);
}

static void plan_reading_free(PlanReading *r)
{
    free(r->rendered);
    diag_free(&r->diags);
    arena_free(&r->arena);
    src_free(&r->file);
}

/* The first line of the rendered diagnostics (the message, without the source line shown). */
static char *first_line(const char *s)
{
    return strndup(s, strcspn(s, "\n"));
}

static void expect_plan_error(const char *text, size_t len, const char *message)
{
    PlanReading r;
    read_plan_text(&r, text, len);
    cr_expect_null(r.module);
    char *line = first_line(r.rendered);
    cr_expect_str_eq(line, message);
    free(line);
    plan_reading_free(&r);
}

Test(plan, checksum_is_fnv1a_64)
{
    /* Test vectors of the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/). */
    cr_expect_eq(plan_checksum("", 0), 0xcbf29ce484222325u);
    cr_expect_eq(plan_checksum("a", 1), 0xaf63dc4c8601ec8cu);
    cr_expect_eq(plan_checksum("foobar", 6), 0x85944171f73967e8u);
}

Test(plan, header_lines_come_first)
{
    char *text = plan_of_program();
    cr_expect(strncmp(text, "// dmlc plan v1\n// fnv1a64 ", 27) == 0, "%s", text);
    const char *line3 = strchr(strchr(text, '\n') + 1, '\n') + 1;
    cr_expect(strncmp(line3, "// source \"samples/p.dml\"\n", 26) == 0, "%s", line3);
    /* The checksum covers every byte after line 2. */
    char hex[17];
    memcpy(hex, text + 27, 16);
    hex[16] = '\0';
    char expected[17];
    snprintf(expected, sizeof expected, "%016llx",
             (unsigned long long)plan_checksum(line3, strlen(line3)));
    cr_expect_str_eq(hex, expected);
    /* Locations are kept, naming the source. */
    cr_expect_not_null(strstr(text, "loc(\"samples/p.dml\":4:3)"), "%s", text);
    free(text);
}

Test(plan, round_trip_gives_the_same_module)
{
    Lowered l;
    lower_text(&l, "samples/p.dml", program_text);
    Buf plan = {0};
    plan_write(l.module, "samples/p.dml", &plan);
    PlanReading r;
    read_plan_text(&r, plan.data, plan.len);
    cr_assert_not_null(r.module, "%s", r.rendered);
    cr_expect(ir_verify(r.module, &r.diags));
    cr_expect_str_eq(r.source, "samples/p.dml");
    char *before = print_with_locations(l.module), *after = print_with_locations(r.module);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
    plan_reading_free(&r);
    buf_free(&plan);
    lowered_free(&l);
}

Test(plan, source_path_with_quotes_and_escapes_round_trips)
{
    Lowered l;
    lower_text(&l, "p.dml", program_text);
    const char *odd = "dir \"x\"\\y\tz\x01\x1f.dml";
    Buf plan = {0};
    plan_write(l.module, odd, &plan);
    cr_expect_not_null(strstr(plan.data, "// source \"dir \\\"x\\\"\\\\y\\tz\\01\\1F.dml\"\n"), "%s",
                       plan.data);
    PlanReading r;
    read_plan_text(&r, plan.data, plan.len);
    cr_assert_not_null(r.module, "%s", r.rendered);
    cr_expect_str_eq(r.source, odd);
    plan_reading_free(&r);
    buf_free(&plan);
    lowered_free(&l);
}

Test(plan, truncated_plan_is_damaged)
{
    char *text = plan_of_program();
    expect_plan_error(text, strlen(text) - 10,
                      "t.plan: error: the plan is damaged: checksum mismatch (truncated or "
                      "edited?)");
    /* Cut inside the header. */
    expect_plan_error(text, 15,
                      "t.plan: error: the plan is damaged: it ends after line 1 "
                      "(truncated?)");
    expect_plan_error(text, 30,
                      "t.plan:2:1: error: the plan is damaged: expected '// fnv1a64 ' "
                      "and 16 hex digits on line 2");
    free(text);
}

Test(plan, edited_plan_is_damaged)
{
    char *text = plan_of_program();
    char *lr = strstr(text, "value = 0.5");
    cr_assert_not_null(lr);
    lr[10] = '0'; /* 0.5 -> 0.0 */
    expect_plan_error(text, strlen(text),
                      "t.plan: error: the plan is damaged: checksum mismatch (truncated or "
                      "edited?)");
    free(text);
}

Test(plan, other_version_is_refused)
{
    char *text = plan_of_program();
    text[14] = '7';
    expect_plan_error(text, strlen(text),
                      "t.plan:1:14: error: plan version 7 is not supported by this dmlc "
                      "(supports 1)");
    free(text);
    const char v12[] = "// dmlc plan v12\n";
    expect_plan_error(v12, strlen(v12),
                      "t.plan:1:14: error: plan version 12 is not supported by this dmlc "
                      "(supports 1)");
}

Test(plan, other_text_is_not_a_plan)
{
    const char *not_plans[] = {
        "\"cfg.decl\"() {sym = @a, value = 1} : () -> ()\n",
        "",
        "// dmlc plan\n",
        "// dmlc plan vX\n",
        "// dmlc plan v1 \n",
        "\xef\xbb\xbf// dmlc plan v1\n",
    };
    for (size_t i = 0; i < sizeof not_plans / sizeof not_plans[0]; i++)
        expect_plan_error(not_plans[i], strlen(not_plans[i]),
                          "t.plan:1:1: error: not a dmlc plan (expected '// dmlc plan v1')");
}

/* A plan around body (line 3 onwards) with a correct checksum (caller frees). */
static char *plan_around(const char *body)
{
    char *text = malloc(strlen(body) + 64);
    sprintf(text, "// dmlc plan v1\n// fnv1a64 %016llx\n%s",
            (unsigned long long)plan_checksum(body, strlen(body)), body);
    return text;
}

Test(plan, ir_errors_name_the_plan_line)
{
    char *text = plan_around("// source \"p.dml\"\n"
                             "\"cfg.decl\"() {sym = @a, value = 1} : () -> ()\n"
                             "%0 = \"t.nosuch\"() : () -> f64\n");
    expect_plan_error(text, strlen(text), "t.plan:5:6: error: unknown op \"t.nosuch\"");
    free(text);
}

Test(plan, missing_source_line_is_an_error)
{
    char *text = plan_around("\"cfg.decl\"() {sym = @a, value = 1} : () -> ()\n");
    expect_plan_error(text, strlen(text),
                      "t.plan:3:1: error: expected '// source \"PATH\"' on line 3");
    free(text);
    text = plan_around("// source \"p.dml\n");
    expect_plan_error(text, strlen(text),
                      "t.plan:3:1: error: expected '// source \"PATH\"' on line 3");
    free(text);
}

Test(plan, empty_module_is_a_plan)
{
    char *text = plan_around("// source \"empty.dml\"\n");
    PlanReading r;
    read_plan_text(&r, text, strlen(text));
    cr_expect_not_null(r.module, "%s", r.rendered);
    cr_expect_str_eq(r.source, "empty.dml");
    plan_reading_free(&r);
    free(text);
}

/* ---- program_load ---- */

/* A scratch folder with one file written into it; returns the file's path (caller frees). */
static char *write_temp(const char *name, const char *text, size_t len)
{
    char dir[] = "/tmp/dmlc_test_plan_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

static void remove_temp(char *path)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    free(path);
}

Test(program, loads_source_and_its_plan_to_the_same_module)
{
    char *dml = write_temp("p.dml", program_text, strlen(program_text));
    LoadedProgram source;
    ProgramOptions lowered_only = {.optimise = false};
    cr_assert(program_load(&source, dml, &lowered_only));
    cr_expect_eq(source.kind, PROGRAM_SOURCE);
    cr_expect_str_eq(source.source_path, dml);
    char *folder = strndup(dml, (size_t)(strrchr(dml, '/') - dml));
    cr_expect_str_eq(source.folder, folder);

    Buf plan = {0};
    plan_write(source.module, source.source_path, &plan);
    char *plan_path = write_temp("p.plan", plan.data, plan.len);
    LoadedProgram from_plan;
    ProgramOptions optimise = {.optimise = true}; /* ignored for a plan */
    cr_assert(program_load(&from_plan, plan_path, &optimise));
    cr_expect_eq(from_plan.kind, PROGRAM_PLAN);
    cr_expect_str_eq(from_plan.source_path, dml);
    char *a = print_with_locations(source.module), *b = print_with_locations(from_plan.module);
    cr_expect_str_eq(b, a);
    free(a);
    free(b);
    program_free(&from_plan);
    program_free(&source);
    buf_free(&plan);
    free(folder);
    remove_temp(plan_path);
    remove_temp(dml);
}

Test(program, missing_file_is_an_error_not_a_crash)
{
    LoadedProgram p;
    cr_expect_not(program_load(&p, "/nonexistent/x.plan", NULL));
    cr_expect_null(p.module);
    Buf b = {0};
    diag_render(&p.diags, &b);
    cr_expect_str_eq(buf_cstr(&b),
                     "dmlc: error: cannot read '/nonexistent/x.plan': No such file or directory\n");
    buf_free(&b);
    program_free(&p);
}

Test(program, damaged_plan_reports_through_load)
{
    char *text = plan_of_program();
    char *path = write_temp("bad.plan", text, strlen(text) - 1);
    LoadedProgram p;
    cr_expect_not(program_load(&p, path, NULL));
    Buf b = {0};
    diag_render(&p.diags, &b);
    char expected[512];
    snprintf(expected, sizeof expected,
             "%s: error: the plan is damaged: checksum mismatch (truncated or edited?)\n", path);
    cr_expect_str_eq(buf_cstr(&b), expected);
    buf_free(&b);
    program_free(&p);
    remove_temp(path);
    free(text);
}

Test(program, kind_and_folder_follow_the_name)
{
    cr_expect_eq(program_kind_of("a/b.plan"), PROGRAM_PLAN);
    cr_expect_eq(program_kind_of("b.ir"), PROGRAM_IR);
    cr_expect_eq(program_kind_of("b.dml"), PROGRAM_SOURCE);
    cr_expect_eq(program_kind_of("plan"), PROGRAM_SOURCE);
}
