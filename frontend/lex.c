/* lex.c: turns DML source text into tokens (LANGUAGE.md section 2).
 *
 * Contract: consumes a SrcFile; produces an array of tokens ending in TOK_EOF; reports bad
 * characters, unterminated strings and comments, and malformed numbers, then carries on so the
 * parser can report more. Identifiers are interned: equal names share one pointer. */
#include "frontend/lex.h"

#include "support/die.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const token_spellings[TOK_COUNT] = {
    [TOK_EOF] = "end of file",
    [TOK_IDENT] = "identifier",
    [TOK_INT] = "integer literal",
    [TOK_FLOAT] = "float literal",
    [TOK_STRING] = "string literal",
#define LEX_SPELL(e, s) [TOK_##e] = s,
    LEX_KEYWORDS(LEX_SPELL) LEX_PUNCTS(LEX_SPELL)
#undef LEX_SPELL
};

typedef struct {
    const SrcFile *file;
    Arena *arena;
    DiagList *diags;
    const char *src;
    uint32_t pos, len;
    bool newline;
    Token *toks;
    int ntoks, cap;
    /* intern table: open addressing over arena strings, with each name's token kind (keywords
     * are entered first, so one lookup both interns a name and recognises a keyword) */
    const char **names;
    TokKind *kinds;
    uint32_t names_cap, names_len;
} Lexer;

const char *lex_kind_name(TokKind k)
{
    if (k < 0 || k >= TOK_COUNT)
        UNREACHABLE();
    return token_spellings[k];
}

const char *lex_describe(const Token *t, Arena *arena)
{
    switch (t->kind) {
    case TOK_EOF:
        return "end of file";
    case TOK_IDENT:
        return arena_printf(arena, "'%s'", t->text);
    case TOK_INT:
    case TOK_FLOAT:
        return "number";
    case TOK_STRING:
        return "string";
    default:
        return arena_printf(arena, "'%s'", token_spellings[t->kind]);
    }
}

static uint32_t hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void grow_intern(Lexer *lx)
{
    uint32_t cap = lx->names_cap ? lx->names_cap * 2 : 1024;
    const char **names = calloc(cap, sizeof *names);
    TokKind *kinds = calloc(cap, sizeof *kinds);
    if (!names || !kinds)
        DIE("out of memory");
    for (uint32_t i = 0; i < lx->names_cap; i++) {
        const char *s = lx->names[i];
        if (!s)
            continue;
        uint32_t h = hash_name(s, strlen(s)) & (cap - 1);
        while (names[h])
            h = (h + 1) & (cap - 1);
        names[h] = s;
        kinds[h] = lx->kinds[i];
    }
    free(lx->names);
    free(lx->kinds);
    lx->names = names;
    lx->kinds = kinds;
    lx->names_cap = cap;
}

/* The slot of name s[0..n) in the intern table, entered with kind TOK_IDENT if new. */
static uint32_t intern(Lexer *lx, const char *s, size_t n)
{
    if ((lx->names_len + 1) * 2 > lx->names_cap)
        grow_intern(lx);
    uint32_t h = hash_name(s, n) & (lx->names_cap - 1);
    while (lx->names[h]) {
        const char *t = lx->names[h];
        if (strncmp(t, s, n) == 0 && t[n] == '\0')
            return h;
        h = (h + 1) & (lx->names_cap - 1);
    }
    lx->names[h] = arena_strndup(lx->arena, s, n);
    lx->kinds[h] = TOK_IDENT;
    lx->names_len++;
    return h;
}

static void enter_keywords(Lexer *lx)
{
    static const struct {
        const char *word;
        TokKind kind;
    } words[] = {
#define LEX_KW(e, s) {s, TOK_##e},
        LEX_KEYWORDS(LEX_KW)
#undef LEX_KW
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        uint32_t slot = intern(lx, words[i].word, strlen(words[i].word));
        lx->kinds[slot] = words[i].kind;
    }
}

static Token *push(Lexer *lx, TokKind kind, uint32_t begin, uint32_t end)
{
    if (lx->ntoks == lx->cap) {
        int cap = lx->cap ? lx->cap * 2 : 256;
        Token *t = realloc(lx->toks, sizeof(Token) * (size_t)cap);
        if (!t)
            DIE("out of memory");
        lx->toks = t;
        lx->cap = cap;
    }
    Token *t = &lx->toks[lx->ntoks++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->span.begin = begin;
    t->span.end = end;
    t->newline_before = lx->newline;
    lx->newline = false;
    return t;
}

static Span span_at(uint32_t b, uint32_t e)
{
    Span s = {b, e};
    return s;
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

/* Skips blanks and comments, noting newlines. */
static void skip_space(Lexer *lx)
{
    const char *s = lx->src;
    while (lx->pos < lx->len) {
        char c = s[lx->pos];
        if (c == '\n') {
            lx->newline = true;
            lx->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && s[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
            uint32_t start = lx->pos;
            lx->pos += 2;
            while (lx->pos + 1 < lx->len && !(s[lx->pos] == '*' && s[lx->pos + 1] == '/')) {
                if (s[lx->pos] == '\n')
                    lx->newline = true;
                lx->pos++;
            }
            if (lx->pos + 1 >= lx->len) {
                diag_error(lx->diags, span_at(start, start + 2),
                           "unterminated comment: expected '*/' before end of file");
                lx->pos = lx->len;
                return;
            }
            lx->pos += 2;
        } else {
            return;
        }
    }
}

/* Digits with optional '_' separators between them; returns false on a misplaced '_'. */
static bool scan_digits(Lexer *lx, char *out, size_t *n, size_t cap)
{
    bool ok = true;
    const char *s = lx->src;
    while (lx->pos < lx->len && (is_digit(s[lx->pos]) || s[lx->pos] == '_')) {
        if (s[lx->pos] == '_') {
            if (lx->pos + 1 >= lx->len || !is_digit(s[lx->pos + 1]) ||
                !is_digit(s[lx->pos - 1]))
                ok = false;
        } else if (*n + 1 < cap) {
            out[(*n)++] = s[lx->pos];
        } else {
            ok = false;
        }
        lx->pos++;
    }
    return ok;
}

/* number := digits ('.' digits)? ([eE] [+-]? digits)?   (a '.' not followed by a digit ends it,
 * so "0..n" is 0, '..', n) */
static void lex_number(Lexer *lx)
{
    enum { MAX_NUMBER_CHARS = 400 };
    char text[MAX_NUMBER_CHARS + 8]; /* room for ".", "e-" and the NUL past the digit cap */
    size_t n = 0;
    uint32_t begin = lx->pos;
    const char *s = lx->src;
    bool ok = scan_digits(lx, text, &n, MAX_NUMBER_CHARS);
    bool reported = false; /* a specific message was already given */
    bool is_float = false;
    if (lx->pos + 1 < lx->len && s[lx->pos] == '.' && is_digit(s[lx->pos + 1])) {
        is_float = true;
        text[n++] = '.';
        lx->pos++;
        ok = scan_digits(lx, text, &n, MAX_NUMBER_CHARS) && ok;
    }
    if (lx->pos < lx->len && (s[lx->pos] == 'e' || s[lx->pos] == 'E')) {
        uint32_t save = lx->pos;
        lx->pos++;
        if (lx->pos < lx->len && (s[lx->pos] == '+' || s[lx->pos] == '-'))
            lx->pos++;
        if (lx->pos < lx->len && is_digit(s[lx->pos])) {
            is_float = true;
            size_t k = n;
            text[k++] = 'e';
            if (s[lx->pos - 1] == '-')
                text[k++] = '-';
            n = k;
            ok = scan_digits(lx, text, &n, MAX_NUMBER_CHARS) && ok;
        } else {
            diag_error(lx->diags, span_at(save, lx->pos),
                       "malformed exponent: expected digits after '%c'", s[save]);
            ok = false;
            reported = true;
        }
    }
    /* "12abc" is one bad token, not a number followed by a name */
    if (lx->pos < lx->len && is_ident_start(s[lx->pos])) {
        uint32_t b = lx->pos;
        while (lx->pos < lx->len && is_ident_char(s[lx->pos]))
            lx->pos++;
        diag_error(lx->diags, span_at(begin, lx->pos),
                   "malformed number: unexpected '%.*s' after the digits", (int)(lx->pos - b),
                   s + b);
        ok = false;
        reported = true;
    }
    text[n] = '\0';
    Token *t = push(lx, is_float ? TOK_FLOAT : TOK_INT, begin, lx->pos);
    if (!ok) {
        if (reported)
            return;
        if (n > MAX_NUMBER_CHARS - 2)
            diag_error(lx->diags, t->span, "number literal is too long");
        else
            diag_error(lx->diags, t->span, "malformed number: '_' must stand between digits");
        return;
    }
    errno = 0;
    if (is_float) {
        t->float_value = strtod(text, NULL);
        if (errno == ERANGE && (t->float_value > 1.0 || t->float_value < -1.0))
            diag_error(lx->diags, t->span, "float literal is out of range for f64");
    } else {
        char *end;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno == ERANGE || v > (unsigned long long)INT64_MAX)
            diag_error(lx->diags, t->span, "integer literal is too large for i64");
        else
            t->int_value = (int64_t)v;
    }
}

static void lex_string(Lexer *lx)
{
    uint32_t begin = lx->pos++;
    const char *s = lx->src;
    Buf value = {0};
    bool closed = false;
    while (lx->pos < lx->len) {
        char c = s[lx->pos];
        if (c == '"') {
            lx->pos++;
            closed = true;
            break;
        }
        if (c == '\n')
            break;
        if (c == '\\') {
            char e = lx->pos + 1 < lx->len ? s[lx->pos + 1] : '\0';
            char r = e == 'n' ? '\n' : e == 't' ? '\t' : e == '"' ? '"' : e == '\\' ? '\\' : 0;
            if (!r) {
                diag_error(lx->diags, span_at(lx->pos, lx->pos + 2),
                           "unknown escape sequence: expected one of \\\" \\\\ \\n \\t");
                lx->pos += (e && e != '\n') ? 2 : 1;
                continue;
            }
            buf_putc(&value, r);
            lx->pos += 2;
            continue;
        }
        buf_putc(&value, c);
        lx->pos++;
    }
    Token *t = push(lx, TOK_STRING, begin, lx->pos);
    t->text = arena_strndup(lx->arena, buf_cstr(&value), value.len);
    buf_free(&value);
    if (!closed)
        diag_error(lx->diags, span_at(begin, begin + 1),
                   "unterminated string: expected '\"' before the end of the line");
}

static bool lex_punct(Lexer *lx)
{
    static const struct {
        const char *text;
        TokKind kind;
    } puncts[] = {
#define LEX_P(e, s) {s, TOK_##e},
        LEX_PUNCTS(LEX_P)
#undef LEX_P
    };
    const char *s = lx->src + lx->pos;
    uint32_t left = lx->len - lx->pos;
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        const char *p = puncts[i].text;
        size_t n = p[1] ? 2 : 1;
        if (n > left || p[0] != s[0] || (n == 2 && p[1] != s[1]))
            continue;
        /* ".T" only when T ends there: "x.Tail" is not a transpose */
        if (puncts[i].kind == TOK_P_DOT_T && n < left && is_ident_char(s[2]))
            continue;
        push(lx, puncts[i].kind, lx->pos, lx->pos + (uint32_t)n);
        lx->pos += (uint32_t)n;
        return true;
    }
    return false;
}

static bool is_token_start(char c)
{
    return is_ident_start(c) || is_digit(c) || c == '"' || c == '/' || c == ' ' || c == '\t' ||
           c == '\n' || c == '\r' || strchr("+-*%@=!<>.:,;()[]{}|", c) != NULL;
}

/* A run of bytes that start no token is one error, not one per byte. */
static void lex_bad_chars(Lexer *lx)
{
    uint32_t begin = lx->pos;
    unsigned char c = (unsigned char)lx->src[lx->pos];
    lx->pos++;
    while (lx->pos < lx->len && lx->src[lx->pos] != '\0' && !is_token_start(lx->src[lx->pos]))
        lx->pos++;
    Span at = span_at(begin, lx->pos);
    if (c == '!' || c == '.')
        diag_error(lx->diags, at, "unexpected '%c'%s", c,
                   c == '!' ? ": write 'not' for negation, '!=' for inequality"
                            : ": a float needs digits on both sides of the point (0.5)");
    else if (c >= 0x20 && c < 0x7f)
        diag_error(lx->diags, at, "unexpected character '%c'", c);
    else if (c >= 0x80)
        diag_error(lx->diags, at,
                   "unexpected non-ASCII character (only strings and comments may hold them)");
    else
        diag_error(lx->diags, at, "unexpected control character 0x%02x", c);
}

int lex_tokenize(const SrcFile *file, Arena *arena, DiagList *diags, Token **out)
{
    Lexer lx = {0};
    lx.file = file;
    lx.arena = arena;
    lx.diags = diags;
    lx.src = file->text;
    lx.len = (uint32_t)file->len;
    enter_keywords(&lx);
    for (;;) {
        skip_space(&lx);
        if (lx.pos >= lx.len)
            break;
        char c = lx.src[lx.pos];
        if (is_ident_start(c)) {
            uint32_t begin = lx.pos;
            while (lx.pos < lx.len && is_ident_char(lx.src[lx.pos]))
                lx.pos++;
            uint32_t slot = intern(&lx, lx.src + begin, lx.pos - begin);
            Token *t = push(&lx, lx.kinds[slot], begin, lx.pos);
            t->text = lx.names[slot];
        } else if (is_digit(c)) {
            lex_number(&lx);
        } else if (c == '"') {
            lex_string(&lx);
        } else if (!lex_punct(&lx)) {
            lex_bad_chars(&lx);
        }
    }
    push(&lx, TOK_EOF, lx.len, lx.len);
    free(lx.names);
    free(lx.kinds);
    *out = lx.toks;
    return lx.ntoks;
}
