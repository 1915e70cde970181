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

static void print_to(const IrModule *m, Buf *out)
{
    IrPrintOptions opt = {0};
    opt.locations = true;
    ir_print(m, out, &opt);
}

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
        Buf first = {0}, second = {0};
        print_to(m, &first);
        SrcFile text;
        src_from_text(&text, "again.ir", buf_cstr(&first), first.len);
        Arena arena2;
        arena_init(&arena2);
        DiagList diags2;
        diag_init(&diags2, &text);
        IrModule *again = ir_read(&text, &arena2, &diags2);
        if (!again || diag_has_errors(&diags2)) {
            fprintf(stderr, "printed IR does not read back:\n%s", buf_cstr(&first));
            abort();
        }
        print_to(again, &second);
        if (strcmp(buf_cstr(&first), buf_cstr(&second)) != 0) {
            fprintf(stderr, "round trip changed the IR:\n%s\n---\n%s", buf_cstr(&first),
                    buf_cstr(&second));
            abort();
        }
        diag_free(&diags2);
        arena_free(&arena2);
        src_free(&text);
        buf_free(&first);
        buf_free(&second);
    }
    Buf out = {0};
    diag_render(&diags, &out);
    buf_free(&out);
    diag_free(&diags);
    arena_free(&arena);
    src_free(&file);
    return 0;
}
