/* plan.h: the plan file: a program's optimised IR as text, behind a versioned, checksummed header.
 *
 *   // dmlc plan v1
 *   // fnv1a64 0f1e2d3c4b5a6978
 *   // source "samples/lasso.dml"
 *   "cfg.decl"() {sym = @lambda, value = 0.1} : () -> () loc("samples/lasso.dml":2:1)
 *   ...
 *
 * Line 1 names the format and its version. Line 2 is the 64-bit FNV-1a hash (16 lowercase hex
 * digits) of every byte after line 2: the source line and the IR. It catches a truncated or
 * hand-edited plan; it is a checksum, not a signature, and no defence against a forged plan.
 * Line 3 records the path of the .dml the plan was compiled from, as it was given to `dmlc
 * compile` (a string with the IR's escapes: \" \\ \n \t \HH). The rest is the module as ir_print
 * writes it with locations, so run-time errors still name the .dml source. The header lines are
 * IR comments: the reader hands the whole text to ir_read, whose line numbers are the file's. */
#ifndef DMLC_EXECUTOR_PLAN_H
#define DMLC_EXECUTOR_PLAN_H

#include "ir/ir.h"
#include "support/arena.h"
#include "support/buf.h"
#include "support/diag.h"

#include <stddef.h>
#include <stdint.h>

/* The plan format version this dmlc writes and reads. */
enum { PLAN_VERSION = 1 };

/* The 64-bit FNV-1a hash of len bytes. */
uint64_t plan_checksum(const char *text, size_t len);

/* Appends the plan of m (a module passes_run optimised) to out; source_path is the .dml file it
 * was compiled from, recorded on line 3. */
void plan_write(const IrModule *m, const char *source_path, Buf *out);

/* Reads a plan: checks the magic line, the version and the checksum, then parses the IR with
 * ir_read. Returns the module, not verified (run ir_verify), and the recorded source path in
 * *source_path (in the arena; may be NULL). Returns NULL with one diagnostic on a bad plan:
 *
 *   F.plan:1:1: error: not a dmlc plan (expected '// dmlc plan v1')
 *   F.plan:1:14: error: plan version 7 is not supported by this dmlc (supports 1)
 *   F.plan: error: the plan is damaged: checksum mismatch (truncated or edited?)
 *   F.plan:2:1: error: the plan is damaged: expected '// fnv1a64 ' and 16 hex digits on line 2
 *   F.plan:3:1: error: expected '// source "PATH"' on line 3
 *
 * or ir_read's "F.plan:LINE:COL: error: ..." for the IR itself. Never aborts on any input. */
IrModule *plan_read(const SrcFile *file, Arena *arena, DiagList *diags, const char **source_path);

#endif
