/* passes.h: the optimisation pipeline. Each pass rewrites the module in place; pipeline.c lists
 * them in order and runs ir_verify after each (a pass that leaves an invalid module is a compiler
 * bug, reported as an error, never a crash).
 *
 *   shapes        symbolic shape inference: fills `?` dimensions that can be derived
 *   canonicalize  constant folding, merging of state.read with no write between, CSE of pure ops,
 *                 dead-code removal
 *   autodiff      expands every ad.grad into its reverse-mode derivative computation
 *   cleanup       canonicalize again, over what autodiff produced
 *   fuse          t.transpose folded into BLAS ops; maximal chains of elementwise ops with
 *                 broadcasting, and trailing reductions, into k.fused ops (one kernel each)
 *   memplan       marks results that may reuse a dead operand's buffer (`inplace`)
 *   depend        dependence analysis of parallel loops: their accesses and index maps, their
 *                 class (`accesses`, `class`, `class_reason`), and `layout = "columns"` on inputs
 *                 read by columns in them (depend.h)
 */
#ifndef DMLC_PASSES_PASSES_H
#define DMLC_PASSES_PASSES_H

#include "ir/ir.h"
#include "support/diag.h"

typedef struct {
    const char *name;
    const char *summary;
    bool (*run)(IrModule *m, DiagList *diags);
} PassInfo;

/* The pipeline, in order. */
const PassInfo *passes_list(int *count);
const PassInfo *passes_find(const char *name);

/* Called after each pass that ran (for `dump-ir --after=all`). */
typedef void (*PassObserver)(const PassInfo *pass, const IrModule *m, void *user);

/* Runs the pipeline, verifying after each pass; stops after the pass named stop_after (NULL: run
 * them all). Returns false with diagnostics when a pass or the verifier reports an error. */
bool passes_run(IrModule *m, const char *stop_after, PassObserver observer, void *user,
                DiagList *diags);

/* The passes, each in its own file. */
bool pass_shapes(IrModule *m, DiagList *diags);
bool pass_canonicalize(IrModule *m, DiagList *diags);
bool pass_autodiff(IrModule *m, DiagList *diags);
bool pass_fuse(IrModule *m, DiagList *diags);
bool pass_memplan(IrModule *m, DiagList *diags);
bool pass_depend(IrModule *m, DiagList *diags);

#endif
