/* frontend.h: the front end's entry points: source text in, typed AST (and IR) or diagnostics out.
 *
 * Nothing here prints or exits: diagnostics are collected in the DiagList for the caller. */
#ifndef DMLC_FRONTEND_FRONTEND_H
#define DMLC_FRONTEND_FRONTEND_H

#include "frontend/ast.h"
#include "support/arena.h"
#include "support/diag.h"

/* Deepest nesting of expressions and blocks accepted; deeper input gets a clear error instead
 * of exhausting the C stack (a 100,000-deep parenthesis stays well inside 8 MiB this way). */
enum { FE_MAX_NESTING = 256 };

/* lex.c / parse.c: builds the untyped AST. Returns NULL only when nothing could be parsed; the
 * tree may be partial when diagnostics were reported. */
Program *parse_program(const SrcFile *file, Arena *arena, DiagList *diags);

/* sema.c: resolves names, infers dtypes and symbolic shapes, checks every rule of the language;
 * returns false when it reported an error. */
bool sema_check(Program *prog, Arena *arena, DiagList *diags);

/* parse + sema: NULL (with diagnostics) when the program is not valid. */
Program *fe_check(const SrcFile *file, Arena *arena, DiagList *diags);

#endif
