/* lower.h: turns a checked DML program (typed AST) into IR (ir/ir.h).
 *
 * Contract: consumes a Program on which sema_check succeeded (names resolved, every expression
 * typed, builtins identified); produces an IrModule in `arena` that ir_verify accepts, each op
 * carrying the source location of the expression or statement it came from. Returns NULL, with
 * a diagnostic, only when the program uses a form the lowering does not handle (a bug or a
 * missing feature, reported rather than aborting). The mapping is described in docs/ir.md. */
#ifndef DMLC_FRONTEND_LOWER_H
#define DMLC_FRONTEND_LOWER_H

#include "frontend/ast.h"
#include "ir/ir.h"
#include "support/arena.h"
#include "support/diag.h"

IrModule *lower_program(const Program *prog, Arena *arena, DiagList *diags);

#endif
