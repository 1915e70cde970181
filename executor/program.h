/* program.h: loads a program for running, compiling or printing; the one path that `dmlc run`,
 * `dmlc compile` and `dmlc dump-ir` share.
 *
 * By the file's name:
 *   NAME.plan  the plan reader (plan.h), then ir_verify; a plan is optimised already, so the
 *              passes never run on it
 *   NAME.ir    ir_read (an IR dump), then ir_verify, then the passes when asked
 *   otherwise  DML source: fe_check, lower_program, ir_verify, then the passes when asked
 *
 * The front end recurses over the AST: drivers call program_load on a big-stack thread
 * (support/stack.h). Nothing here prints: diagnostics (errors and warnings) collect in
 * program->diags, which the caller renders whether or not the load succeeded. */
#ifndef DMLC_EXECUTOR_PROGRAM_H
#define DMLC_EXECUTOR_PROGRAM_H

#include "ir/ir.h"
#include "passes/passes.h"
#include "support/arena.h"
#include "support/diag.h"

#include <stdbool.h>

typedef enum { PROGRAM_SOURCE, PROGRAM_IR, PROGRAM_PLAN } ProgramKind;

typedef struct {
    bool optimise;          /* run the pass pipeline (never on a plan) */
    const char *stop_after; /* with optimise: stop after this pass (NULL: run them all) */
    PassObserver observer;  /* with optimise: called after each pass that ran (may be NULL) */
    void *observer_user;
} ProgramOptions;

/* A loaded program. It points into itself (diags.file is &file): load it in place, never copy
 * it, and release it with program_free. */
typedef struct {
    ProgramKind kind;
    SrcFile file; /* the text read (valid when file_loaded) */
    bool file_loaded;
    Arena arena;             /* holds the module */
    DiagList diags;          /* everything reported while loading */
    IrModule *module;        /* NULL when loading failed */
    const char *source_path; /* the .dml the module came from: the file itself, or what a plan
                                records (NULL for an .ir dump) */
    const char *folder;      /* the folder of the file ("." for a bare name): run's base_dir */
} LoadedProgram;

/* The kind a path names, by its extension. */
ProgramKind program_kind_of(const char *path);

/* Loads path into *program. Returns true when program->module is ready (verified and, when
 * asked, optimised); false with diagnostics (a file that cannot be read gets "dmlc: error: cannot
 * read 'F': REASON"). Call program_free either way. */
bool program_load(LoadedProgram *program, const char *path, const ProgramOptions *options);
void program_free(LoadedProgram *program);

#endif
