/* program.c: loads a .dml, .ir or .plan file into a verified (and, when asked, optimised) module
 * (program.h). */
#include "executor/program.h"

#include "executor/plan.h"
#include "frontend/frontend.h"
#include "frontend/lower.h"

#include <string.h>

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

ProgramKind program_kind_of(const char *path)
{
    if (has_suffix(path, ".plan"))
        return PROGRAM_PLAN;
    if (has_suffix(path, ".ir"))
        return PROGRAM_IR;
    return PROGRAM_SOURCE;
}

/* The folder part of path ("samples" for "samples/lasso.dml", "/" for "/x.dml", "." for a bare
 * name), in the arena. */
static const char *folder_of(const char *path, Arena *arena)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    if (slash == path)
        return "/";
    return arena_strndup(arena, path, (size_t)(slash - path));
}

/* The unverified module of the file, by its kind; NULL with diagnostics. */
static IrModule *module_of(LoadedProgram *p)
{
    switch (p->kind) {
    case PROGRAM_PLAN:
        return plan_read(&p->file, &p->arena, &p->diags, &p->source_path);
    case PROGRAM_IR:
        return ir_read(&p->file, &p->arena, &p->diags);
    case PROGRAM_SOURCE: {
        p->source_path = p->file.path;
        Program *ast = fe_check(&p->file, &p->arena, &p->diags);
        return ast ? lower_program(ast, &p->arena, &p->diags) : NULL;
    }
    }
    return NULL;
}

bool program_load(LoadedProgram *p, const char *path, const ProgramOptions *options)
{
    memset(p, 0, sizeof *p);
    arena_init(&p->arena);
    path = arena_strdup(&p->arena, path);
    p->kind = program_kind_of(path);
    p->folder = folder_of(path, &p->arena);
    diag_init(&p->diags, NULL);
    const char *why;
    if (!src_load(&p->file, path, &why)) {
        /* No file to point into: a whole-file message, rendered as "dmlc: error: ...". */
        Diag *d = diag_error(&p->diags, (Span){0, 0}, "cannot read '%s': %s", path, why);
        if (d)
            d->has_span = false;
        return false;
    }
    p->file_loaded = true;
    p->diags.file = &p->file;
    IrModule *m = module_of(p);
    if (!m || diag_has_errors(&p->diags) || !ir_verify(m, &p->diags))
        return false;
    if (options && options->optimise && p->kind != PROGRAM_PLAN &&
        !passes_run(m, options->stop_after, options->observer, options->observer_user, &p->diags))
        return false;
    p->module = m;
    return true;
}

void program_free(LoadedProgram *p)
{
    diag_free(&p->diags);
    if (p->file_loaded)
        src_free(&p->file);
    arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}
