/* lex.h: tokens of DML (LANGUAGE.md section 2) and the tokenizer.
 *
 * The whole file is tokenized up front into an array ending in TOK_EOF. Each token knows its
 * byte span and whether a newline came before it (the parser ends statements at newlines
 * outside brackets). Lexical errors are reported and the offending bytes skipped. */
#ifndef DMLC_FRONTEND_LEX_H
#define DMLC_FRONTEND_LEX_H

#include "support/arena.h"
#include "support/diag.h"

#include <stdbool.h>
#include <stdint.h>

/* X(enum, spelling): keywords first, then punctuation. */
#define LEX_KEYWORDS(X)                                                                            \
    X(KW_CONFIG, "config")                                                                         \
    X(KW_INPUT, "input")                                                                           \
    X(KW_PARAM, "param")                                                                           \
    X(KW_VAR, "var")                                                                               \
    X(KW_LET, "let")                                                                               \
    X(KW_FN, "fn")                                                                                 \
    X(KW_RETURN, "return")                                                                         \
    X(KW_FOR, "for")                                                                               \
    X(KW_PARALLEL, "parallel")                                                                     \
    X(KW_IN, "in")                                                                                 \
    X(KW_IF, "if")                                                                                 \
    X(KW_ELSE, "else")                                                                             \
    X(KW_WHILE, "while")                                                                           \
    X(KW_BREAK, "break")                                                                           \
    X(KW_CONTINUE, "continue")                                                                     \
    X(KW_CONSISTENCY, "consistency")                                                               \
    X(KW_SCHEDULE, "schedule")                                                                     \
    X(KW_NONZEROS, "nonzeros")                                                                     \
    X(KW_PARTITION, "partition")                                                                   \
    X(KW_TRUE, "true")                                                                             \
    X(KW_FALSE, "false")                                                                           \
    X(KW_AND, "and")                                                                               \
    X(KW_OR, "or")                                                                                 \
    X(KW_NOT, "not")                                                                               \
    X(KW_F32, "f32")                                                                               \
    X(KW_F64, "f64")                                                                               \
    X(KW_I32, "i32")                                                                               \
    X(KW_I64, "i64")                                                                               \
    X(KW_BOOL, "bool")

#define LEX_PUNCTS(X)                                                                              \
    X(P_POW, "**")                                                                                 \
    X(P_EQ, "==")                                                                                  \
    X(P_NE, "!=")                                                                                  \
    X(P_LE, "<=")                                                                                  \
    X(P_GE, ">=")                                                                                  \
    X(P_PLUS_ASSIGN, "+=")                                                                         \
    X(P_MINUS_ASSIGN, "-=")                                                                        \
    X(P_STAR_ASSIGN, "*=")                                                                         \
    X(P_SLASH_ASSIGN, "/=")                                                                        \
    X(P_DOTDOT, "..")                                                                              \
    X(P_ARROW, "->")                                                                               \
    X(P_DOT_T, ".T")                                                                               \
    X(P_PLUS, "+")                                                                                 \
    X(P_MINUS, "-")                                                                                \
    X(P_STAR, "*")                                                                                 \
    X(P_SLASH, "/")                                                                                \
    X(P_PERCENT, "%")                                                                              \
    X(P_AT, "@")                                                                                   \
    X(P_LT, "<")                                                                                   \
    X(P_GT, ">")                                                                                   \
    X(P_ASSIGN, "=")                                                                               \
    X(P_COLON, ":")                                                                                \
    X(P_COMMA, ",")                                                                                \
    X(P_SEMI, ";")                                                                                 \
    X(P_LPAREN, "(")                                                                               \
    X(P_RPAREN, ")")                                                                               \
    X(P_LBRACKET, "[")                                                                             \
    X(P_RBRACKET, "]")                                                                             \
    X(P_LBRACE, "{")                                                                               \
    X(P_RBRACE, "}")                                                                               \
    X(P_PIPE, "|")

typedef enum {
    TOK_EOF,
    TOK_IDENT,
    TOK_INT,
    TOK_FLOAT,
    TOK_STRING,
#define LEX_ENUM(e, s) TOK_##e,
    LEX_KEYWORDS(LEX_ENUM) LEX_PUNCTS(LEX_ENUM)
#undef LEX_ENUM
        TOK_COUNT
} TokKind;

typedef struct Token Token;

struct Token {
    TokKind kind;
    Span span;
    bool newline_before; /* a line break separates it from the previous token */
    const char *text;    /* TOK_IDENT: the name; TOK_STRING: the value, escapes resolved */
    int64_t int_value;   /* TOK_INT */
    double float_value;  /* TOK_FLOAT */
};

/* Tokenizes the file into *out (ending with TOK_EOF; the caller frees it with free(): tokens are
 * scratch, while the names and strings they point to live in the arena); returns the count. */
int lex_tokenize(const SrcFile *file, Arena *arena, DiagList *diags, Token **out);
/* How a token kind is written, for messages: "'+'", "identifier", "end of file". */
const char *lex_kind_name(TokKind k);
/* Describes a particular token for "saw X" messages: "'foo'", "'+'", "end of file". */
const char *lex_describe(const Token *t, Arena *arena);

#endif
