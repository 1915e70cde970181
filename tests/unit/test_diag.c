/* test_diag.c: diagnostics render as file:line:col, the line and a caret, in source order. */
#include "support/diag.h"
#include "support/suggest.h"

#include <criterion/criterion.h>
#include <string.h>

static Span at(uint32_t b, uint32_t e)
{
    Span s = {b, e};
    return s;
}

Test(diag, error_shows_line_and_caret_under_the_range)
{
    const char *text = "let a = 1\nlet bb = a + zz\n";
    SrcFile f;
    src_from_text(&f, "p.dml", text, strlen(text));
    DiagList d;
    diag_init(&d, &f);
    uint32_t zz = (uint32_t)(strstr(text, "zz") - text);
    Diag *g = diag_error(&d, at(zz, zz + 2), "unknown name '%s'", "zz");
    diag_note(&d, g, at(4, 5), "'a' declared here");
    Buf out = {0};
    diag_render(&d, &out);
    cr_expect_str_eq(buf_cstr(&out), "p.dml:2:14: error: unknown name 'zz'\n"
                                     "  let bb = a + zz\n"
                                     "               ^~\n"
                                     "p.dml:1:5: note: 'a' declared here\n"
                                     "  let a = 1\n"
                                     "      ^\n");
    cr_expect(diag_has_errors(&d));
    buf_free(&out);
    diag_free(&d);
    src_free(&f);
}

Test(diag, diagnostics_print_in_source_order)
{
    const char *text = "a\nb\nc\n";
    SrcFile f;
    src_from_text(&f, "p.dml", text, strlen(text));
    DiagList d;
    diag_init(&d, &f);
    diag_error(&d, at(4, 5), "third");
    diag_error(&d, at(0, 1), "first");
    diag_warning(&d, at(2, 3), "second");
    Buf out = {0};
    diag_render(&d, &out);
    const char *s = buf_cstr(&out);
    const char *p1 = strstr(s, "first"), *p2 = strstr(s, "second"), *p3 = strstr(s, "third");
    cr_assert(p1 && p2 && p3);
    cr_expect(p1 < p2 && p2 < p3);
    cr_expect(strstr(s, "p.dml:2:1: warning: second") != NULL);
    cr_expect_eq(d.nerrors, 2);
    buf_free(&out);
    diag_free(&d);
    src_free(&f);
}

Test(diag, too_many_errors_are_counted_not_printed)
{
    const char *text = "x\n";
    SrcFile f;
    src_from_text(&f, "p.dml", text, strlen(text));
    DiagList d;
    diag_init(&d, &f);
    d.max_errors = 3;
    for (int i = 0; i < 10; i++)
        diag_error(&d, at(0, 1), "error %d", i);
    Buf out = {0};
    diag_render(&d, &out);
    cr_expect(strstr(buf_cstr(&out), "error 2") != NULL);
    cr_expect(strstr(buf_cstr(&out), "error 3") == NULL);
    cr_expect(strstr(buf_cstr(&out), "too many errors (10)") != NULL);
    buf_free(&out);
    diag_free(&d);
    src_free(&f);
}

Test(diag, line_and_column_lookup_at_line_boundaries)
{
    const char *text = "ab\n\ncd";
    SrcFile f;
    src_from_text(&f, "p.dml", text, strlen(text));
    uint32_t line, col;
    src_line_col(&f, 0, &line, &col);
    cr_expect(line == 1 && col == 1);
    src_line_col(&f, 2, &line, &col);
    cr_expect(line == 1 && col == 3);
    src_line_col(&f, 3, &line, &col);
    cr_expect(line == 2 && col == 1);
    src_line_col(&f, 5, &line, &col);
    cr_expect(line == 3 && col == 2);
    src_free(&f);
}

Test(suggest, closest_candidate_within_a_third_of_the_length)
{
    const char *const flags[] = {"--format", "--locations", "--help"};
    cr_expect_str_eq(suggest_closest("--locatons", flags, 3), "--locations");
    cr_expect_str_eq(suggest_closest("--fromat", flags, 3), "--format");
    cr_expect_null(suggest_closest("--verbose", flags, 3));
    cr_expect_eq(suggest_edit_distance("kitten", "sitting"), 3);
    cr_expect_eq(suggest_edit_distance("", "abc"), 3);
    cr_expect_eq(suggest_edit_distance("chekc", "check"), 1, "a swap is one edit");
    cr_expect_eq(suggest_edit_distance("abc", "abc"), 0);
}
