/* roundtrip.c: checks the textual IR's invariant, print(read(print(m))) == print(m). */
#include "ir/ir.h"

#include <string.h>

const char *ir_check_round_trip(const IrModule *m, const IrPrintOptions *options, Buf *printed,
                                Buf *again)
{
    ir_print(m, printed, options);
    SrcFile text;
    src_from_text(&text, "round-trip.ir", buf_cstr(printed), printed->len);
    Arena arena;
    arena_init(&arena);
    DiagList diags;
    diag_init(&diags, &text);
    const char *problem = NULL;
    IrModule *read_back = ir_read(&text, &arena, &diags);
    if (!read_back || diag_has_errors(&diags)) {
        diag_render(&diags, again);
        problem = "the printed IR does not read back";
    } else {
        ir_print(read_back, again, options);
        if (strcmp(buf_cstr(printed), buf_cstr(again)) != 0)
            problem = "printing the IR read back gives different text";
    }
    diag_free(&diags);
    arena_free(&arena);
    src_free(&text);
    return problem;
}
