/* fuzz_frontend.c: libFuzzer target for the whole front end on arbitrary bytes.
 *
 * Any input must give diagnostics or a module, never a crash, a hang or a leak; and a program
 * that compiles must lower to IR that verifies and survives the print -> read -> print trip. */
#include "frontend/frontend.h"
#include "frontend/lower.h"
#include "ir/ir.h"
#include "support/stack.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const IrModule *m)
{
    Buf printed = {0}, again = {0};
    IrPrintOptions opt = {0};
    const char *problem = ir_check_round_trip(m, &opt, &printed, &again);
    if (problem) {
        fprintf(stderr, "%s:\n%s\n---\n%s", problem, buf_cstr(&printed), buf_cstr(&again));
        abort();
    }
    buf_free(&printed);
    buf_free(&again);
}

typedef struct {
    const uint8_t *data;
    size_t size;
} Input;

static void compile_input(void *p)
{
    const uint8_t *data = ((Input *)p)->data;
    size_t size = ((Input *)p)->size;
    SrcFile file;
    src_from_text(&file, "fuzz.dml", (const char *)data, size);
    Arena arena;
    arena_init(&arena);
    DiagList diags;
    diag_init(&diags, &file);
    Program *prog = fe_check(&file, &arena, &diags);
    if (prog) {
        IrModule *m = lower_program(prog, &arena, &diags);
        if (m && !diag_has_errors(&diags)) {
            if (!ir_verify(m, &diags)) {
                Buf d = {0};
                diag_render(&diags, &d);
                fprintf(stderr, "lowered IR fails the verifier:\n%s", buf_cstr(&d));
                abort();
            }
            check_round_trip(m);
        }
    }
    Buf out = {0};
    diag_render(&diags, &out);
    buf_free(&out);
    diag_free(&diags);
    arena_free(&arena);
    src_free(&file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Input in = {data, size};
    /* as the CLI does: flat chains of up to 32,000 terms fit in 64 KiB of input */
    support_run_on_large_stack(compile_input, &in, SUPPORT_COMPILER_STACK_BYTES);
    return 0;
}
