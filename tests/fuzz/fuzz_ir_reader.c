/* fuzz_ir_reader.c: libFuzzer target for the IR reader and verifier on arbitrary text.
 *
 * Any input must give diagnostics or a module, never a crash or a hang; whatever reads back
 * must print to text that reads back to the same text. */
#include "ir/ir.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SrcFile file;
    src_from_text(&file, "fuzz.ir", (const char *)data, size);
    Arena arena;
    arena_init(&arena);
    DiagList diags;
    diag_init(&diags, &file);
    IrModule *m = ir_read(&file, &arena, &diags);
    if (m && !diag_has_errors(&diags)) {
        DiagList vdiags;
        diag_init(&vdiags, &file);
        (void)ir_verify(m, &vdiags);
        diag_free(&vdiags);
        Buf printed = {0}, again = {0};
        IrPrintOptions opt = {0};
        opt.locations = true;
        const char *problem = ir_check_round_trip(m, &opt, &printed, &again);
        if (problem) {
            fprintf(stderr, "%s:\n%s\n---\n%s", problem, buf_cstr(&printed), buf_cstr(&again));
            abort();
        }
        buf_free(&printed);
        buf_free(&again);
    }
    Buf out = {0};
    diag_render(&diags, &out);
    buf_free(&out);
    diag_free(&diags);
    arena_free(&arena);
    src_free(&file);
    return 0;
}
