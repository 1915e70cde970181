/* read.c: reads the IR's generic textual form (as print.c writes it) back into a module.
 *
 * Contract: consumes any byte string; produces a module, or NULL and one diagnostic
 * "file:line:col: error: expected X, saw Y" at the first problem. It never aborts, never loops
 * without consuming input, bounds region nesting (IR_MAX_NESTING) and checks every number for
 * overflow. It resolves value names (a use must follow its definition, in the same or an
 * enclosing region) and checks the signature against the operands' types; op-specific rules are
 * the verifier's (ir_verify), which callers run after reading.
 *
 * Grammar (comments "// ..." run to the end of a line):
 *   module     := op* EOF
 *   op         := [VALUE (',' VALUE)* '='] STRING '(' [VALUE (',' VALUE)*] ')'
 *                 ['(' region (',' region)* ')'] ['{' [attr (',' attr)*] '}']
 *                 ':' '(' [type (',' type)*] ')' '->' (type | '(' [type (',' type)*] ')')
 *                 ['loc' '(' STRING ':' INT ':' INT ')']
 *   region     := '{' ['^' IDENT '(' [VALUE ':' type (',' VALUE ':' type)*] ')' ':'] op* '}'
 *   attr       := IDENT '=' (INT | FLOAT | STRING | SYMBOL | 'true' | 'false' | 'inf' | 'nan'
 *                 | type | '[' [item (',' item)*] ']')
 *   type       := ['csr'] DTYPE ['[' dim (',' dim)* ']'],  dim := INT | IDENT | '?'
 */
#include "ir/ir.h"

#include "support/die.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ---- */

typedef enum {
    TK_EOF,
    TK_IDENT,  /* f32, csr, true, attribute names, size names */
    TK_VALUE,  /* %3, %e */
    TK_SYMBOL, /* @w, @"odd name" */
    TK_BLOCK,  /* ^bb0 */
    TK_STRING,
    TK_INT,
    TK_FLOAT,
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACE,
    TK_RBRACE,
    TK_LBRACKET,
    TK_RBRACKET,
    TK_COMMA,
    TK_EQUAL,
    TK_COLON,
    TK_ARROW,
    TK_QUESTION,
} TokenKind;

typedef struct {
    TokenKind kind;
    uint32_t begin, end; /* byte offsets in the text */
    int64_t int_value;
    double float_value;
    const char *text; /* TK_IDENT, TK_VALUE (without %), TK_SYMBOL (without @), TK_STRING */
    size_t text_len;
} Token;

/* Numbers longer than this are rejected: no printed number comes near it. */
enum { MAX_NUMBER_CHARS = 400 };

/* ---- value scopes ---- */

typedef struct {
    const char *name;
    size_t len;
    IrValue *value;
    int next; /* next entry in the same bucket, -1 at the end */
} ScopeEntry;

enum { SCOPE_BUCKETS = 4096 };

typedef struct {
    ScopeEntry *entries;
    int len, cap;
    int heads[SCOPE_BUCKETS];
} Scopes;

typedef struct {
    const SrcFile *file;
    Arena *arena;
    DiagList *diags;
    IrModule *module;
    uint32_t pos;
    Token tok;
    bool failed;
    int depth;
    Scopes scopes;
} Reader;

static unsigned hash_name(const char *s, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h & (SCOPE_BUCKETS - 1);
}

static IrValue *scope_lookup(const Scopes *s, const char *name, size_t len)
{
    for (int i = s->heads[hash_name(name, len)]; i >= 0; i = s->entries[i].next)
        if (s->entries[i].len == len && memcmp(s->entries[i].name, name, len) == 0)
            return s->entries[i].value;
    return NULL;
}

static void scope_define(Scopes *s, const char *name, size_t len, IrValue *v)
{
    if (s->len == s->cap) {
        int cap = s->cap ? s->cap * 2 : 256;
        ScopeEntry *e = realloc(s->entries, sizeof *e * (size_t)cap);
        if (!e)
            DIE("out of memory");
        s->entries = e;
        s->cap = cap;
    }
    unsigned b = hash_name(name, len);
    s->entries[s->len] = (ScopeEntry){name, len, v, s->heads[b]};
    s->heads[b] = s->len++;
}

/* Removes entries back to `mark`. Names are never redefined while visible, so each removed
 * entry, being the newest left, heads its bucket's chain. */
static void scope_pop_to(Scopes *s, int mark)
{
    while (s->len > mark) {
        ScopeEntry *e = &s->entries[--s->len];
        s->heads[hash_name(e->name, e->len)] = e->next;
    }
}

/* ---- diagnostics ---- */

static void describe_token(const Reader *r, const Token *t, char *out, size_t size)
{
    static const char *const fixed[] = {
        [TK_EOF] = "end of file", [TK_LPAREN] = "'('", [TK_RPAREN] = "')'",
        [TK_LBRACE] = "'{'",      [TK_RBRACE] = "'}'", [TK_LBRACKET] = "'['",
        [TK_RBRACKET] = "']'",    [TK_COMMA] = "','",  [TK_EQUAL] = "'='",
        [TK_COLON] = "':'",       [TK_ARROW] = "'->'", [TK_QUESTION] = "'?'",
    };
    if (t->kind < sizeof fixed / sizeof fixed[0] && fixed[t->kind]) {
        snprintf(out, size, "%s", fixed[t->kind]);
        return;
    }
    const char *what = t->kind == TK_IDENT    ? "identifier"
                       : t->kind == TK_VALUE  ? "value"
                       : t->kind == TK_SYMBOL ? "symbol"
                       : t->kind == TK_BLOCK  ? "block label"
                       : t->kind == TK_STRING ? "string"
                       : t->kind == TK_INT    ? "integer"
                                              : "float";
    /* Quote the token as written, clipped and with unprintable bytes shown as '?'. */
    enum { MAX_QUOTED = 32 };
    char text[MAX_QUOTED + 4];
    size_t n = 0;
    for (uint32_t i = t->begin; i < t->end && n < MAX_QUOTED; i++) {
        unsigned char c = (unsigned char)r->file->text[i];
        text[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (t->end - t->begin > MAX_QUOTED)
        text[n++] = '.', text[n++] = '.', text[n++] = '.';
    text[n] = '\0';
    snprintf(out, size, "%s '%s'", what, text);
}

static void fail_at(Reader *r, uint32_t begin, uint32_t end, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_at(Reader *r, uint32_t begin, uint32_t end, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    diag_error(r->diags, (Span){begin, end}, "%s", message);
}

/* "expected WHAT, saw <the current token>" */
static void fail_expected(Reader *r, const char *what)
{
    char saw[96];
    describe_token(r, &r->tok, saw, sizeof saw);
    fail_at(r, r->tok.begin, r->tok.end, "expected %s, saw %s", what, saw);
}

/* ---- lexer ---- */

static char peek_char(const Reader *r, uint32_t at)
{
    return at < r->file->len ? r->file->text[at] : '\0';
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
    return is_ident_start(c) || is_digit(c) || c == '.' || c == '$';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void skip_space_and_comments(Reader *r)
{
    for (;;) {
        char c = peek_char(r, r->pos);
        if (r->pos < r->file->len && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            r->pos++;
        } else if (c == '/' && peek_char(r, r->pos + 1) == '/') {
            while (r->pos < r->file->len && r->file->text[r->pos] != '\n')
                r->pos++;
        } else {
            return;
        }
    }
}

/* Lexes a string literal starting at the quote at r->pos into tok (decoded into the arena). */
static void lex_string(Reader *r, Token *tok)
{
    uint32_t start = r->pos++;
    Buf text = {0};
    for (;;) {
        if (r->pos >= r->file->len) {
            fail_at(r, start, r->pos, "unterminated string");
            break;
        }
        char c = r->file->text[r->pos];
        if (c == '"') {
            r->pos++;
            break;
        }
        if (c == '\n') {
            fail_at(r, start, r->pos, "unterminated string (a newline is written \\n)");
            break;
        }
        if (c != '\\') {
            if (c == '\0') {
                fail_at(r, r->pos, r->pos + 1, "NUL byte in a string");
                break;
            }
            buf_putc(&text, c);
            r->pos++;
            continue;
        }
        char e = peek_char(r, r->pos + 1);
        if (e == '"' || e == '\\') {
            buf_putc(&text, e);
            r->pos += 2;
        } else if (e == 'n') {
            buf_putc(&text, '\n');
            r->pos += 2;
        } else if (e == 't') {
            buf_putc(&text, '\t');
            r->pos += 2;
        } else if (r->pos + 2 < r->file->len && hex_digit(e) >= 0 &&
                   hex_digit(r->file->text[r->pos + 2]) >= 0) {
            int v = hex_digit(e) * 16 + hex_digit(r->file->text[r->pos + 2]);
            if (v == 0) {
                fail_at(r, r->pos, r->pos + 3, "NUL byte in a string");
                break;
            }
            buf_putc(&text, (char)v);
            r->pos += 3;
        } else {
            fail_at(r, r->pos, r->pos + 2,
                    "unknown escape in a string (expected \\\" \\\\ \\n \\t or \\HH)");
            break;
        }
    }
    tok->kind = TK_STRING;
    tok->text = arena_strndup(r->arena, text.data ? text.data : "", text.len);
    tok->text_len = text.len;
    buf_free(&text);
}

/* Reads the characters of an identifier starting at r->pos. */
static void lex_ident_chars(Reader *r, Token *tok)
{
    uint32_t start = r->pos;
    while (r->pos < r->file->len && is_ident_char(r->file->text[r->pos]))
        r->pos++;
    tok->text = arena_strndup(r->arena, r->file->text + start, r->pos - start);
    tok->text_len = r->pos - start;
}

static bool parse_int64(const char *s, size_t n, bool negative, int64_t *out)
{
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = negative ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Lexes [-]digits[.digits][(e|E)[+-]digits] starting at r->pos. */
static void lex_number(Reader *r, Token *tok)
{
    uint32_t start = r->pos;
    bool negative = peek_char(r, r->pos) == '-';
    if (negative)
        r->pos++;
    uint32_t digits_start = r->pos;
    while (is_digit(peek_char(r, r->pos)))
        r->pos++;
    uint32_t digits_end = r->pos;
    bool is_float = false;
    if (peek_char(r, r->pos) == '.' && is_digit(peek_char(r, r->pos + 1))) {
        is_float = true;
        r->pos++;
        while (is_digit(peek_char(r, r->pos)))
            r->pos++;
    }
    char e = peek_char(r, r->pos);
    if (e == 'e' || e == 'E') {
        uint32_t at = r->pos + 1;
        if (peek_char(r, at) == '+' || peek_char(r, at) == '-')
            at++;
        if (is_digit(peek_char(r, at))) {
            is_float = true;
            r->pos = at;
            while (is_digit(peek_char(r, r->pos)))
                r->pos++;
        }
    }
    if (is_ident_char(peek_char(r, r->pos)) && peek_char(r, r->pos) != '.') {
        fail_at(r, start, r->pos + 1, "malformed number");
        return;
    }
    if (r->pos - start > MAX_NUMBER_CHARS) {
        fail_at(r, start, r->pos, "number has more than %d characters", MAX_NUMBER_CHARS);
        return;
    }
    if (!is_float) {
        tok->kind = TK_INT;
        if (!parse_int64(r->file->text + digits_start, digits_end - digits_start, negative,
                         &tok->int_value))
            fail_at(r, start, r->pos, "integer does not fit in 64 bits");
        return;
    }
    char text[MAX_NUMBER_CHARS + 1];
    memcpy(text, r->file->text + start, r->pos - start);
    text[r->pos - start] = '\0';
    errno = 0;
    tok->kind = TK_FLOAT;
    tok->float_value = strtod(text, NULL);
    if (errno == ERANGE && isinf(tok->float_value))
        fail_at(r, start, r->pos, "float is out of range");
}

static bool word_at(const Reader *r, uint32_t at, const char *word)
{
    size_t n = strlen(word);
    if (at + n > r->file->len || memcmp(r->file->text + at, word, n) != 0)
        return false;
    return !is_ident_char(peek_char(r, at + (uint32_t)n));
}

static void punct(Reader *r, Token *tok, TokenKind kind, uint32_t len)
{
    tok->kind = kind;
    r->pos += len;
}

static void describe_byte(unsigned char c, char *out, size_t size)
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, size, "'%c'", c);
    else
        snprintf(out, size, "byte 0x%02X", c);
}

static void next_token(Reader *r)
{
    skip_space_and_comments(r);
    Token tok = {0};
    tok.begin = r->pos;
    if (r->pos >= r->file->len) {
        tok.kind = TK_EOF;
        tok.begin = tok.end = (uint32_t)r->file->len;
        r->tok = tok;
        return;
    }
    char c = r->file->text[r->pos];
    char c1 = peek_char(r, r->pos + 1);
    switch (c) {
    case '(':
        punct(r, &tok, TK_LPAREN, 1);
        break;
    case ')':
        punct(r, &tok, TK_RPAREN, 1);
        break;
    case '{':
        punct(r, &tok, TK_LBRACE, 1);
        break;
    case '}':
        punct(r, &tok, TK_RBRACE, 1);
        break;
    case '[':
        punct(r, &tok, TK_LBRACKET, 1);
        break;
    case ']':
        punct(r, &tok, TK_RBRACKET, 1);
        break;
    case ',':
        punct(r, &tok, TK_COMMA, 1);
        break;
    case '=':
        punct(r, &tok, TK_EQUAL, 1);
        break;
    case ':':
        punct(r, &tok, TK_COLON, 1);
        break;
    case '?':
        punct(r, &tok, TK_QUESTION, 1);
        break;
    case '"':
        lex_string(r, &tok);
        break;
    case '-':
        if (c1 == '>') {
            punct(r, &tok, TK_ARROW, 2);
        } else if (word_at(r, r->pos + 1, "inf")) {
            tok.kind = TK_FLOAT;
            tok.float_value = -INFINITY;
            r->pos += 4;
        } else if (is_digit(c1)) {
            lex_number(r, &tok);
        } else {
            fail_at(r, r->pos, r->pos + 1, "expected '->' or a number after '-'");
        }
        break;
    case '%':
    case '@':
    case '^':
        r->pos++;
        if (c == '@' && c1 == '"') {
            lex_string(r, &tok);
        } else if (is_ident_char(c1) && c1 != '.') {
            lex_ident_chars(r, &tok);
        } else {
            fail_at(r, tok.begin, tok.begin + 1, "expected a name after '%c'", c);
        }
        tok.kind = c == '%' ? TK_VALUE : c == '@' ? TK_SYMBOL : TK_BLOCK;
        break;
    default:
        if (is_digit(c)) {
            lex_number(r, &tok);
        } else if (is_ident_start(c)) {
            tok.kind = TK_IDENT;
            lex_ident_chars(r, &tok);
        } else {
            char what[24];
            describe_byte((unsigned char)c, what, sizeof what);
            fail_at(r, r->pos, r->pos + 1, "unexpected character %s", what);
        }
    }
    tok.end = r->pos;
    if (r->failed) {
        /* Park on end of file so no caller keeps looping on the bad byte. */
        tok.kind = TK_EOF;
        r->pos = (uint32_t)r->file->len;
    }
    r->tok = tok;
}

/* ---- parser helpers ---- */

static bool at(const Reader *r, TokenKind k)
{
    return !r->failed && r->tok.kind == k;
}

static bool accept(Reader *r, TokenKind k)
{
    if (!at(r, k))
        return false;
    next_token(r);
    return true;
}

static bool expect(Reader *r, TokenKind k, const char *what)
{
    if (accept(r, k))
        return true;
    fail_expected(r, what);
    return false;
}

static bool at_ident(const Reader *r, const char *word)
{
    return at(r, TK_IDENT) && strcmp(r->tok.text, word) == 0;
}

/* A growable array in the arena (a new block on growth: lists here are short). */
static void *grow_array(Reader *r, void *items, int len, int *cap, size_t elem)
{
    if (len < *cap)
        return items;
    int ncap = *cap ? *cap * 2 : 4;
    void *n = arena_alloc(r->arena, elem * (size_t)ncap);
    if (len)
        memcpy(n, items, elem * (size_t)len);
    *cap = ncap;
    return n;
}

/* ---- types ---- */

/* type := ['csr'] DTYPE ['[' dim (',' dim)* ']'] */
static bool parse_type(Reader *r, Type *out)
{
    memset(out, 0, sizeof *out);
    if (at_ident(r, "csr")) {
        out->sparse = true;
        next_token(r);
    }
    DType dt;
    if (!at(r, TK_IDENT) || !type_dtype_from_name(r->tok.text, &dt) || dt == DT_NONE) {
        fail_expected(r, "a type (bool, i32, i64, f32, f64, str)");
        return false;
    }
    out->dtype = dt;
    next_token(r);
    if (!accept(r, TK_LBRACKET))
        return !r->failed;
    do {
        if (out->rank == TYPE_MAX_RANK) {
            fail_at(r, r->tok.begin, r->tok.end, "a type has at most %d dimensions", TYPE_MAX_RANK);
            return false;
        }
        Dim *d = &out->dims[out->rank++];
        if (at(r, TK_INT) && r->tok.int_value >= 0) {
            d->kind = DIM_CONST;
            d->value = r->tok.int_value;
        } else if (at(r, TK_IDENT)) {
            d->kind = DIM_SYM;
            d->sym = r->tok.text;
        } else if (at(r, TK_QUESTION)) {
            d->kind = DIM_ANY;
        } else {
            fail_expected(r, "a dimension (a size, a name or '?')");
            return false;
        }
        next_token(r);
    } while (accept(r, TK_COMMA));
    return expect(r, TK_RBRACKET, "',' or ']'");
}

/* '(' [type (',' type)*] ')' */
static bool parse_type_list(Reader *r, Type **out, int *n)
{
    int cap = 0;
    *out = NULL;
    *n = 0;
    if (!expect(r, TK_LPAREN, "'('"))
        return false;
    if (accept(r, TK_RPAREN))
        return true;
    do {
        *out = grow_array(r, *out, *n, &cap, sizeof **out);
        if (!parse_type(r, &(*out)[*n]))
            return false;
        (*n)++;
    } while (accept(r, TK_COMMA));
    return expect(r, TK_RPAREN, "',' or ')'");
}

/* ---- attributes ---- */

/* Whether the op's ATTRIBUTES spec (ops.h) lists `name`. */
static bool op_allows_attr(IrOpcode op, const char *name)
{
    const char *spec = ir_op_info(op)->attrs;
    size_t n = strlen(name);
    for (const char *p = spec; *p;) {
        while (*p == ' ')
            p++;
        const char *colon = strchr(p, ':');
        if (!colon)
            return false;
        if ((size_t)(colon - p) == n && memcmp(p, name, n) == 0)
            return true;
        p = colon;
        while (*p && *p != ' ')
            p++;
    }
    return false;
}

/* '[' [item (',' item)*] ']' where items are all integers, all strings or all symbols. */
static bool parse_list_attr(Reader *r, IrAttr *a)
{
    int cap = 0;
    int64_t *ints = NULL;
    const char **strings = NULL;
    a->kind = IR_ATTR_INTS;
    next_token(r);
    if (accept(r, TK_RBRACKET))
        return true;
    TokenKind item = r->tok.kind;
    if (item != TK_INT && item != TK_STRING && item != TK_SYMBOL) {
        fail_expected(r, "an integer, a string or a symbol");
        return false;
    }
    a->kind = item == TK_INT ? IR_ATTR_INTS : item == TK_STRING ? IR_ATTR_STRINGS : IR_ATTR_SYMBOLS;
    do {
        if (!at(r, item)) {
            fail_expected(r, item == TK_INT      ? "an integer (list items share one kind)"
                             : item == TK_STRING ? "a string (list items share one kind)"
                                                 : "a symbol (list items share one kind)");
            return false;
        }
        if (item == TK_INT) {
            ints = grow_array(r, ints, a->count, &cap, sizeof *ints);
            ints[a->count] = r->tok.int_value;
        } else {
            strings = grow_array(r, strings, a->count, &cap, sizeof *strings);
            strings[a->count] = r->tok.text;
        }
        a->count++;
        next_token(r);
    } while (accept(r, TK_COMMA));
    a->ints = ints;
    a->strings = strings;
    return expect(r, TK_RBRACKET, "',' or ']'");
}

static bool parse_attr_value(Reader *r, IrAttr *a)
{
    switch (r->failed ? TK_EOF : r->tok.kind) {
    case TK_INT:
        a->kind = IR_ATTR_INT;
        a->int_value = r->tok.int_value;
        next_token(r);
        return true;
    case TK_FLOAT:
        a->kind = IR_ATTR_FLOAT;
        a->float_value = r->tok.float_value;
        next_token(r);
        return true;
    case TK_STRING:
        a->kind = IR_ATTR_STRING;
        a->string = r->tok.text;
        next_token(r);
        return true;
    case TK_SYMBOL:
        a->kind = IR_ATTR_SYMBOL;
        a->string = r->tok.text;
        next_token(r);
        return true;
    case TK_LBRACKET:
        return parse_list_attr(r, a);
    case TK_IDENT:
        if (at_ident(r, "true") || at_ident(r, "false")) {
            a->kind = IR_ATTR_BOOL;
            a->bool_value = at_ident(r, "true");
            next_token(r);
            return true;
        }
        if (at_ident(r, "inf") || at_ident(r, "nan")) {
            a->kind = IR_ATTR_FLOAT;
            a->float_value = at_ident(r, "inf") ? INFINITY : NAN;
            next_token(r);
            return true;
        }
        a->kind = IR_ATTR_TYPE;
        return parse_type(r, &a->type);
    default:
        fail_expected(r, "an attribute value");
        return false;
    }
}

/* '{' [IDENT '=' value (',' ...)*] '}' */
static bool parse_attrs(Reader *r, IrOpcode opcode, IrAttr **out, int *n)
{
    int cap = 0;
    next_token(r); /* '{' */
    if (accept(r, TK_RBRACE))
        return true;
    do {
        if (!at(r, TK_IDENT)) {
            fail_expected(r, "an attribute name");
            return false;
        }
        Token name = r->tok;
        if (!op_allows_attr(opcode, name.text)) {
            fail_at(r, name.begin, name.end, "unknown attribute '%s' for %s", name.text,
                    ir_op_info(opcode)->name);
            return false;
        }
        for (int i = 0; i < *n; i++) {
            if (strcmp((*out)[i].name, name.text) == 0) {
                fail_at(r, name.begin, name.end, "attribute '%s' appears twice", name.text);
                return false;
            }
        }
        next_token(r);
        if (!expect(r, TK_EQUAL, "'='"))
            return false;
        *out = grow_array(r, *out, *n, &cap, sizeof **out);
        IrAttr *a = &(*out)[*n];
        memset(a, 0, sizeof *a);
        a->name = name.text;
        if (!parse_attr_value(r, a))
            return false;
        (*n)++;
    } while (accept(r, TK_COMMA));
    return expect(r, TK_RBRACE, "',' or '}'");
}

/* ---- ops and regions ---- */

static bool parse_op(Reader *r, IrRegion *into);

static bool define_value(Reader *r, const Token *name, IrValue *v)
{
    if (scope_lookup(&r->scopes, name->text, name->text_len)) {
        fail_at(r, name->begin, name->end, "redefinition of value %%%s", name->text);
        return false;
    }
    scope_define(&r->scopes, name->text, name->text_len, v);
    return true;
}

/* '^' IDENT '(' [VALUE ':' type (',' ...)*] ')' ':' */
static bool parse_block_args(Reader *r, IrRegion *region)
{
    next_token(r); /* ^bb0 */
    if (!expect(r, TK_LPAREN, "'('"))
        return false;
    if (!accept(r, TK_RPAREN)) {
        do {
            if (!at(r, TK_VALUE)) {
                fail_expected(r, "a block argument (%name)");
                return false;
            }
            Token name = r->tok;
            next_token(r);
            Type t;
            if (!expect(r, TK_COLON, "':'") || !parse_type(r, &t))
                return false;
            if (!define_value(r, &name, ir_region_add_arg(r->module, region, t)))
                return false;
        } while (accept(r, TK_COMMA));
        if (!expect(r, TK_RPAREN, "',' or ')'"))
            return false;
    }
    return expect(r, TK_COLON, "':' after the block arguments");
}

/* region := '{' [block-args] op* '}' ; values defined inside go out of scope at its end. */
static bool parse_region(Reader *r, IrRegion *region)
{
    if (!expect(r, TK_LBRACE, "'{'"))
        return false;
    if (r->depth >= IR_MAX_NESTING) {
        fail_at(r, r->tok.begin, r->tok.end, "regions nested more than %d deep", IR_MAX_NESTING);
        return false;
    }
    r->depth++;
    int mark = r->scopes.len;
    bool ok = true;
    if (at(r, TK_BLOCK))
        ok = parse_block_args(r, region);
    while (ok && !r->failed && !at(r, TK_RBRACE) && !at(r, TK_EOF))
        ok = parse_op(r, region);
    scope_pop_to(&r->scopes, mark);
    r->depth--;
    return ok && expect(r, TK_RBRACE, "an op or '}'");
}

/* VALUE (',' VALUE)* '=' : the names are defined only after the whole op is read. */
static bool parse_result_names(Reader *r, Token **names, int *n)
{
    int cap = 0;
    do {
        if (!at(r, TK_VALUE)) {
            fail_expected(r, "a value name");
            return false;
        }
        *names = grow_array(r, *names, *n, &cap, sizeof **names);
        (*names)[(*n)++] = r->tok;
        next_token(r);
    } while (accept(r, TK_COMMA));
    return expect(r, TK_EQUAL, "',' or '='");
}

/* '(' [VALUE (',' VALUE)*] ')' with every name already defined and visible. */
static bool parse_operands(Reader *r, IrValue ***out, Token **where, int *n)
{
    int cap = 0, wcap = 0;
    if (!expect(r, TK_LPAREN, "'(' before the operands"))
        return false;
    if (accept(r, TK_RPAREN))
        return true;
    do {
        if (!at(r, TK_VALUE)) {
            fail_expected(r, "an operand (%name)");
            return false;
        }
        IrValue *v = scope_lookup(&r->scopes, r->tok.text, r->tok.text_len);
        if (!v) {
            fail_at(r, r->tok.begin, r->tok.end,
                    "use of undefined value %%%s (a value must be defined before its use, in "
                    "the same or an enclosing region)",
                    r->tok.text);
            return false;
        }
        *out = grow_array(r, *out, *n, &cap, sizeof **out);
        *where = grow_array(r, *where, *n, &wcap, sizeof **where);
        (*out)[*n] = v;
        (*where)[(*n)++] = r->tok;
        next_token(r);
    } while (accept(r, TK_COMMA));
    return expect(r, TK_RPAREN, "',' or ')'");
}

/* '(' region (',' region)* ')' */
static bool parse_regions(Reader *r, IrRegion ***out, int *n)
{
    int cap = 0;
    next_token(r); /* '(' */
    do {
        *out = grow_array(r, *out, *n, &cap, sizeof **out);
        IrRegion *region = ARENA_NEW(r->arena, IrRegion);
        (*out)[(*n)++] = region;
        if (!parse_region(r, region))
            return false;
    } while (accept(r, TK_COMMA));
    return expect(r, TK_RPAREN, "',' or ')' after a region");
}

/* 'loc' '(' STRING ':' INT ':' INT ')' */
static bool parse_loc(Reader *r, IrLoc *loc)
{
    next_token(r); /* loc */
    if (!expect(r, TK_LPAREN, "'('"))
        return false;
    if (!at(r, TK_STRING)) {
        fail_expected(r, "a file name string");
        return false;
    }
    loc->file = r->tok.text;
    next_token(r);
    for (int i = 0; i < 2; i++) {
        if (!expect(r, TK_COLON, "':'"))
            return false;
        if (!at(r, TK_INT) || r->tok.int_value < 1 || r->tok.int_value > UINT32_MAX) {
            fail_expected(r, i == 0 ? "a line number" : "a column number");
            return false;
        }
        if (i == 0)
            loc->line = (uint32_t)r->tok.int_value;
        else
            loc->col = (uint32_t)r->tok.int_value;
        next_token(r);
    }
    return expect(r, TK_RPAREN, "')'");
}

static bool check_operand_types(Reader *r, IrValue **operands, const Token *where, int n,
                                const Type *types, int ntypes, const Token *sig)
{
    if (ntypes != n) {
        fail_at(r, sig->begin, sig->end, "the signature lists %d operand types for %d operands",
                ntypes, n);
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (type_equal(&operands[i]->type, &types[i]))
            continue;
        Buf want = {0}, have = {0};
        type_print(&types[i], &want);
        type_print(&operands[i]->type, &have);
        fail_at(r, where[i].begin, where[i].end,
                "operand %%%s has type %s but the signature says %s", where[i].text,
                buf_cstr(&have), buf_cstr(&want));
        buf_free(&want);
        buf_free(&have);
        return false;
    }
    return true;
}

typedef struct {
    Token *result_names;
    int nresults;
    IrOpcode opcode;
    Token name;
    IrValue **operands;
    Token *operand_tokens;
    int noperands;
    IrRegion **regions;
    int nregions;
    IrAttr *attrs;
    int nattrs;
    Type *in_types, *out_types;
    int nin, nout;
    Token signature;
    IrLoc loc;
} ParsedOp;

static bool parse_op_name(Reader *r, ParsedOp *p)
{
    if (!at(r, TK_STRING)) {
        fail_expected(r, p->nresults ? "an op name in quotes" : "an op or a value name");
        return false;
    }
    p->name = r->tok;
    if (!ir_opcode_from_name(r->tok.text, r->tok.text_len, &p->opcode)) {
        fail_at(r, r->tok.begin, r->tok.end, "unknown op \"%s\"", r->tok.text);
        return false;
    }
    next_token(r);
    return true;
}

/* ':' '(' types ')' '->' (type | '(' types ')') */
static bool parse_signature(Reader *r, ParsedOp *p)
{
    if (!expect(r, TK_COLON, p->nattrs ? "':'" : "'{', '(' or ':'"))
        return false;
    p->signature = r->tok;
    if (!parse_type_list(r, &p->in_types, &p->nin))
        return false;
    if (!expect(r, TK_ARROW, "'->'"))
        return false;
    if (at(r, TK_LPAREN))
        return parse_type_list(r, &p->out_types, &p->nout);
    p->out_types = ARENA_NEW(r->arena, Type);
    p->nout = 1;
    return parse_type(r, p->out_types);
}

static IrOp *make_op(Reader *r, ParsedOp *p)
{
    const IrOpInfo *info = ir_op_info(p->opcode);
    if (p->nregions != info->nregions) {
        fail_at(r, p->name.begin, p->name.end, "%s takes %d region%s, saw %d", info->name,
                info->nregions, info->nregions == 1 ? "" : "s", p->nregions);
        return NULL;
    }
    if (p->nout != p->nresults) {
        fail_at(r, p->signature.begin, p->signature.end,
                "the signature lists %d result type%s for %d result name%s", p->nout,
                p->nout == 1 ? "" : "s", p->nresults, p->nresults == 1 ? "" : "s");
        return NULL;
    }
    IrOp *op = ir_op_new(r->module, p->opcode, p->operands, p->noperands, p->out_types, p->nout);
    for (int i = 0; i < p->nregions; i++) {
        op->regions[i] = p->regions[i];
        p->regions[i]->parent = op;
    }
    for (int i = 0; i < p->nattrs; i++)
        ir_set_attr(r->module, op, &p->attrs[i]);
    op->loc = p->loc;
    uint32_t begin = p->nresults ? p->result_names[0].begin : p->name.begin;
    op->span = (Span){begin, p->name.end};
    op->has_span = true;
    return op;
}

static bool parse_op(Reader *r, IrRegion *into)
{
    ParsedOp p = {0};
    if (at(r, TK_VALUE) && !parse_result_names(r, &p.result_names, &p.nresults))
        return false;
    if (!parse_op_name(r, &p))
        return false;
    if (!parse_operands(r, &p.operands, &p.operand_tokens, &p.noperands))
        return false;
    if (at(r, TK_LPAREN) && !parse_regions(r, &p.regions, &p.nregions))
        return false;
    if (at(r, TK_LBRACE) && !parse_attrs(r, p.opcode, &p.attrs, &p.nattrs))
        return false;
    if (!parse_signature(r, &p))
        return false;
    if (!check_operand_types(r, p.operands, p.operand_tokens, p.noperands, p.in_types, p.nin,
                             &p.signature))
        return false;
    if (at_ident(r, "loc") && !parse_loc(r, &p.loc))
        return false;
    if (r->failed)
        return false;
    IrOp *op = make_op(r, &p);
    if (!op)
        return false;
    for (int i = 0; i < p.nresults; i++) {
        for (int j = 0; j < i; j++) {
            if (strcmp(p.result_names[i].text, p.result_names[j].text) == 0) {
                fail_at(r, p.result_names[i].begin, p.result_names[i].end,
                        "redefinition of value %%%s", p.result_names[i].text);
                return false;
            }
        }
        if (!define_value(r, &p.result_names[i], op->results[i]))
            return false;
    }
    ir_region_append(into, op);
    return true;
}

IrModule *ir_read(const SrcFile *file, Arena *arena, DiagList *diags)
{
    Reader r = {.file = file, .arena = arena, .diags = diags};
    for (int i = 0; i < SCOPE_BUCKETS; i++)
        r.scopes.heads[i] = -1;
    r.module = ir_module_new(arena);
    next_token(&r);
    while (!r.failed && !at(&r, TK_EOF))
        if (!parse_op(&r, r.module->body))
            break;
    free(r.scopes.entries);
    return r.failed ? NULL : r.module;
}
