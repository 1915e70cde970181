/* parse.c: recursive-descent parser for DML (LANGUAGE.md sections 4-7).
 *
 * Contract: consumes the token array of lex.c; produces the untyped AST of ast.h, every node
 * with its source span; reports "expected X, saw Y" errors and resynchronises at the next
 * statement so one run reports many. Newlines end statements outside ( ) and [ ]; inside them
 * they are insignificant. Nesting deeper than FE_MAX_NESTING is an error, never a stack overflow.
 * The grammar rule a function parses is written above it. */
#include "frontend/frontend.h"
#include "frontend/lex.h"
#include "support/die.h"
#include "support/vec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const SrcFile *file;
    Arena *arena;
    DiagList *diags;
    Token *toks;
    int ntoks, pos;
    int bracket_depth; /* > 0 inside ( ) or [ ]: newlines do not end anything there */
    int nesting;       /* recursion depth of expressions and blocks */
    bool panic;        /* an error was reported in this statement: stay quiet until resync */
    bool too_deep;     /* the nesting limit was hit: stop parsing */
} Parser;

static Expr *parse_expr(Parser *p);
static Block parse_block(Parser *p);
static Stmt *parse_stmt(Parser *p);

/* ---- token helpers ---- */

static Token *peek(Parser *p)
{
    return &p->toks[p->pos];
}

static Token *peek_at(Parser *p, int ahead)
{
    int i = p->pos + ahead;
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static Token *advance(Parser *p)
{
    Token *t = &p->toks[p->pos];
    if (t->kind != TOK_EOF)
        p->pos++;
    return t;
}

static Span prev_span(Parser *p)
{
    return p->toks[p->pos > 0 ? p->pos - 1 : 0].span;
}

static bool at(Parser *p, TokKind k)
{
    return peek(p)->kind == k;
}

static bool accept(Parser *p, TokKind k)
{
    if (!at(p, k))
        return false;
    advance(p);
    return true;
}

/* A token that could continue an expression only does so on the same line, unless inside
 * brackets: "x = a\n-b" is two statements. */
static bool continues(Parser *p, TokKind k)
{
    Token *t = peek(p);
    return t->kind == k && (p->bracket_depth > 0 || !t->newline_before);
}

static Diag *error_at(Parser *p, Span s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports the first error of a statement; later ones in the same statement are usually echoes. */
static Diag *error_at(Parser *p, Span s, const char *fmt, ...)
{
    if (p->panic || p->too_deep)
        return NULL;
    p->panic = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_error(p->diags, s, "%s", msg);
}

static Diag *expected(Parser *p, const char *what)
{
    Token *t = peek(p);
    return error_at(p, t->span, "expected %s, saw %s", what, lex_describe(t, p->arena));
}

static Token *expect(Parser *p, TokKind k, const char *what)
{
    if (at(p, k))
        return advance(p);
    expected(p, what);
    return NULL;
}

static bool enter(Parser *p)
{
    if (++p->nesting <= FE_MAX_NESTING)
        return true;
    if (!p->too_deep) {
        diag_error(p->diags, peek(p)->span,
                   "nesting is too deep: at most %d levels of expressions and blocks",
                   FE_MAX_NESTING);
        p->too_deep = true;
    }
    p->pos = p->ntoks - 1; /* jump to end of file: nothing sensible can follow */
    return false;
}

static void leave(Parser *p)
{
    p->nesting--;
}

/* ---- node constructors ---- */

static Expr *new_expr(Parser *p, ExprKind kind, Span span)
{
    Expr *e = ARENA_NEW(p->arena, Expr);
    e->kind = kind;
    e->span = span;
    e->builtin = -1;
    return e;
}

static Expr *error_expr(Parser *p, Span span)
{
    Expr *e = new_expr(p, EX_INT, span);
    return e;
}

static Stmt *new_stmt(Parser *p, StmtKind kind, Span span)
{
    Stmt *s = ARENA_NEW(p->arena, Stmt);
    s->kind = kind;
    s->span = span;
    s->keyword_span = span;
    return s;
}

static Binding binding_from(Token *t)
{
    Binding b = {0};
    b.name = t->text;
    b.span = t->span;
    return b;
}

/* ---- types ---- */

static bool at_dtype(Parser *p)
{
    switch (peek(p)->kind) {
    case TOK_KW_F32:
    case TOK_KW_F64:
    case TOK_KW_I32:
    case TOK_KW_I64:
    case TOK_KW_BOOL:
        return true;
    default:
        return false;
    }
}

static DType dtype_of(TokKind k)
{
    switch (k) {
    case TOK_KW_F32:
        return DT_F32;
    case TOK_KW_F64:
        return DT_F64;
    case TOK_KW_I32:
        return DT_I32;
    case TOK_KW_I64:
        return DT_I64;
    case TOK_KW_BOOL:
        return DT_BOOL;
    default:
        UNREACHABLE();
    }
}

static bool at_word(Parser *p, const char *word)
{
    return at(p, TOK_IDENT) && strcmp(peek(p)->text, word) == 0;
}

/* dim := INT | IDENT */
static bool parse_dim(Parser *p, DimSyntax *d)
{
    Token *t = peek(p);
    d->span = t->span;
    if (t->kind == TOK_INT) {
        advance(p);
        d->value = t->int_value;
        if (d->value < 1) {
            error_at(p, t->span, "a dimension must be at least 1, saw %lld",
                     (long long)d->value);
        }
        return true;
    }
    if (t->kind == TOK_IDENT) {
        advance(p);
        d->is_name = true;
        d->name = t->text;
        return true;
    }
    expected(p, "a dimension (an integer or a size name)");
    return false;
}

/* type := ['csr'] dtype ['[' dim {',' dim} ']'] */
static TypeSyntax *parse_type(Parser *p)
{
    TypeSyntax *ty = ARENA_NEW(p->arena, TypeSyntax);
    Span begin = peek(p)->span;
    if (at_word(p, "csr")) {
        advance(p);
        ty->sparse = true;
    }
    if (!at_dtype(p)) {
        expected(p, "a type (f32, f64, i32, i64 or bool)");
        return NULL;
    }
    ty->dtype = dtype_of(advance(p)->kind);
    if (continues(p, TOK_P_LBRACKET)) {
        advance(p);
        p->bracket_depth++;
        do {
            DimSyntax d = {0};
            if (!parse_dim(p, &d))
                break;
            if (ty->rank == TYPE_MAX_RANK) {
                error_at(p, d.span, "too many dimensions: tensors have rank 1 to %d",
                         TYPE_MAX_RANK);
            } else {
                ty->dims[ty->rank++] = d;
            }
        } while (accept(p, TOK_P_COMMA));
        p->bracket_depth--;
        expect(p, TOK_P_RBRACKET, "',' or ']' in the type's dimensions");
    }
    ty->span = span_join(begin, prev_span(p));
    return ty;
}

/* ---- expressions ---- */

/* lambda := '|' [IDENT {',' IDENT}] '|' expr */
static Expr *parse_lambda(Parser *p)
{
    Token *bar = advance(p);
    PtrVec params = {0};
    if (!at(p, TOK_P_PIPE)) {
        do {
            Token *t = expect(p, TOK_IDENT, "a parameter name");
            if (!t)
                break;
            Binding *b = ARENA_NEW(p->arena, Binding);
            *b = binding_from(t);
            vec_push(&params, b);
        } while (accept(p, TOK_P_COMMA));
    }
    expect(p, TOK_P_PIPE, "',' or '|' after the lambda's parameters");
    Expr *e = new_expr(p, EX_LAMBDA, bar->span);
    e->nparams = params.len;
    e->params = ARENA_ARRAY(p->arena, Binding, params.len);
    for (int i = 0; i < params.len; i++)
        e->params[i] = *(Binding *)params.items[i];
    vec_free(&params);
    e->lhs = parse_expr(p);
    e->span = span_join(bar->span, e->lhs->span);
    return e;
}

/* range_or_expr := expr ['..' expr] */
static Expr *parse_range_or_expr(Parser *p)
{
    Expr *lo = parse_expr(p);
    if (!at(p, TOK_P_DOTDOT))
        return lo;
    advance(p);
    Expr *r = new_expr(p, EX_RANGE, lo->span);
    r->lhs = lo;
    r->rhs = parse_expr(p);
    r->span = span_join(lo->span, r->rhs->span);
    return r;
}

/* args := '(' [arg {',' arg}] [','] ')'   arg := IDENT '=' expr | range_or_expr */
static void parse_call_args(Parser *p, Arg **out, int *count)
{
    p->bracket_depth++;
    PtrVec args = {0};
    while (!at(p, TOK_P_RPAREN) && !at(p, TOK_EOF)) {
        Arg *a = ARENA_NEW(p->arena, Arg);
        if (at(p, TOK_IDENT) && peek_at(p, 1)->kind == TOK_P_ASSIGN) {
            Token *name = advance(p);
            advance(p);
            a->name = name->text;
            a->name_span = name->span;
        }
        a->value = at(p, TOK_P_PIPE) ? parse_lambda(p) : parse_range_or_expr(p);
        vec_push(&args, a);
        if (!accept(p, TOK_P_COMMA))
            break;
        if (p->too_deep)
            break;
    }
    p->bracket_depth--;
    expect(p, TOK_P_RPAREN, "',' or ')' in the argument list");
    *count = args.len;
    *out = ARENA_ARRAY(p->arena, Arg, args.len);
    for (int i = 0; i < args.len; i++)
        (*out)[i] = *(Arg *)args.items[i];
    vec_free(&args);
}

/* index := ':' | [expr] '..' [expr] | expr */
static void parse_index_item(Parser *p, IndexItem *it)
{
    Span begin = peek(p)->span;
    if (accept(p, TOK_P_COLON)) {
        it->kind = IX_ALL;
        it->span = begin;
        return;
    }
    if (at(p, TOK_P_DOTDOT)) {
        advance(p);
        it->kind = IX_SLICE;
        if (!at(p, TOK_P_COMMA) && !at(p, TOK_P_RBRACKET))
            it->hi = parse_expr(p);
        it->span = span_join(begin, prev_span(p));
        return;
    }
    Expr *e = parse_expr(p);
    if (accept(p, TOK_P_DOTDOT)) {
        it->kind = IX_SLICE;
        it->lo = e;
        if (!at(p, TOK_P_COMMA) && !at(p, TOK_P_RBRACKET))
            it->hi = parse_expr(p);
    } else {
        it->kind = IX_EXPR;
        it->expr = e;
    }
    it->span = span_join(begin, prev_span(p));
}

/* '[' index {',' index} ']' */
static Expr *parse_index(Parser *p, Expr *base)
{
    advance(p);
    p->bracket_depth++;
    PtrVec items = {0};
    do {
        if (at(p, TOK_P_RBRACKET) && items.len > 0)
            break; /* trailing comma */
        IndexItem *it = ARENA_NEW(p->arena, IndexItem);
        parse_index_item(p, it);
        vec_push(&items, it);
    } while (accept(p, TOK_P_COMMA) && !p->too_deep);
    p->bracket_depth--;
    expect(p, TOK_P_RBRACKET, "',' or ']' after the index");
    Expr *e = new_expr(p, EX_INDEX, span_join(base->span, prev_span(p)));
    e->lhs = base;
    e->nitems = items.len;
    e->items = ARENA_ARRAY(p->arena, IndexItem, items.len);
    for (int i = 0; i < items.len; i++)
        e->items[i] = *(IndexItem *)items.items[i];
    vec_free(&items);
    return e;
}

/* paren := '(' expr ')' | '(' expr ',' [expr {',' expr}] [','] ')' */
static Expr *parse_paren(Parser *p)
{
    Token *open = advance(p);
    p->bracket_depth++;
    Expr *first = parse_expr(p);
    if (!at(p, TOK_P_COMMA)) {
        p->bracket_depth--;
        expect(p, TOK_P_RPAREN, "')'");
        first->parenthesized = true;
        return first;
    }
    PtrVec elems = {0};
    vec_push(&elems, first);
    while (accept(p, TOK_P_COMMA) && !p->too_deep) {
        if (at(p, TOK_P_RPAREN))
            break;
        vec_push(&elems, parse_expr(p));
    }
    p->bracket_depth--;
    expect(p, TOK_P_RPAREN, "',' or ')' in the tuple");
    Expr *t = new_expr(p, EX_TUPLE, span_join(open->span, prev_span(p)));
    t->nelems = elems.len;
    t->elems = (Expr **)vec_to_arena(&elems, p->arena);
    return t;
}

/* primary := INT | FLOAT | STRING | 'true' | 'false' | IDENT | dtype | paren | lambda */
static Expr *parse_primary(Parser *p)
{
    Token *t = peek(p);
    Expr *e;
    switch (t->kind) {
    case TOK_INT:
        advance(p);
        e = new_expr(p, EX_INT, t->span);
        e->int_value = t->int_value;
        return e;
    case TOK_FLOAT:
        advance(p);
        e = new_expr(p, EX_FLOAT, t->span);
        e->float_value = t->float_value;
        return e;
    case TOK_STRING:
        advance(p);
        e = new_expr(p, EX_STRING, t->span);
        e->string_value = t->text;
        return e;
    case TOK_KW_TRUE:
    case TOK_KW_FALSE:
        advance(p);
        e = new_expr(p, EX_BOOL, t->span);
        e->bool_value = t->kind == TOK_KW_TRUE;
        return e;
    case TOK_IDENT:
    case TOK_KW_F32:
    case TOK_KW_F64:
    case TOK_KW_I32:
    case TOK_KW_I64:
    case TOK_KW_BOOL:
        advance(p);
        e = new_expr(p, EX_NAME, t->span);
        e->name = t->text;
        return e;
    case TOK_P_LPAREN:
        return parse_paren(p);
    case TOK_P_PIPE:
        return parse_lambda(p);
    case TOK_KW_NONZEROS:
    case TOK_KW_SCHEDULE:
        error_at(p, t->span, "'%s(...)' is only allowed as the iteration set of a parallel for",
                 t->text);
        advance(p);
        return error_expr(p, t->span);
    default:
        expected(p, "an expression");
        if (t->kind != TOK_EOF && t->kind != TOK_P_LBRACE && t->kind != TOK_P_RBRACE &&
            t->kind != TOK_P_RPAREN && t->kind != TOK_P_RBRACKET)
            advance(p);
        return error_expr(p, t->span);
    }
}

/* postfix := primary { '(' args ')' | '[' indices ']' | '.T' } */
static Expr *parse_postfix(Parser *p)
{
    Expr *e = parse_primary(p);
    for (;;) {
        if (continues(p, TOK_P_LPAREN)) {
            Token *open = peek(p);
            if (e->kind != EX_NAME || e->parenthesized) {
                error_at(p, open->span, "only a function name can be called");
                advance(p);
                Arg *args;
                int n;
                parse_call_args(p, &args, &n);
                continue;
            }
            advance(p);
            Expr *call = new_expr(p, EX_CALL, e->span);
            call->name = e->name;
            call->name_span = e->span;
            parse_call_args(p, &call->args, &call->nargs);
            call->span = span_join(e->span, prev_span(p));
            e = call;
        } else if (continues(p, TOK_P_LBRACKET)) {
            e = parse_index(p, e);
        } else if (continues(p, TOK_P_DOT_T)) {
            Token *t = advance(p);
            Expr *tr = new_expr(p, EX_TRANSPOSE, span_join(e->span, t->span));
            tr->lhs = e;
            e = tr;
        } else {
            return e;
        }
    }
}

static Expr *new_binary(Parser *p, OpKind op, Expr *lhs, Expr *rhs)
{
    Expr *e = new_expr(p, EX_BINARY, span_join(lhs->span, rhs->span));
    e->op = op;
    e->lhs = lhs;
    e->rhs = rhs;
    return e;
}

static Expr *parse_unary(Parser *p);

/* power := postfix ['**' unary]   (right-associative: a ** b ** c is a ** (b ** c)) */
static Expr *parse_power(Parser *p)
{
    Expr *base = parse_postfix(p);
    if (!continues(p, TOK_P_POW))
        return base;
    advance(p);
    return new_binary(p, OP_POW, base, parse_unary(p));
}

/* unary := '-' unary | power */
static Expr *parse_unary(Parser *p)
{
    if (!at(p, TOK_P_MINUS))
        return parse_power(p);
    if (!enter(p))
        return error_expr(p, peek(p)->span);
    Token *t = advance(p);
    Expr *operand = parse_unary(p);
    Expr *e = new_expr(p, EX_UNARY, span_join(t->span, operand->span));
    e->op = OP_NEG;
    e->lhs = operand;
    leave(p);
    return e;
}

/* multiplicative := unary {('*' | '/' | '%' | '@') unary} */
static Expr *parse_multiplicative(Parser *p)
{
    Expr *e = parse_unary(p);
    for (;;) {
        OpKind op;
        if (continues(p, TOK_P_STAR))
            op = OP_MUL;
        else if (continues(p, TOK_P_SLASH))
            op = OP_DIV;
        else if (continues(p, TOK_P_PERCENT))
            op = OP_MOD;
        else if (continues(p, TOK_P_AT))
            op = OP_MATMUL;
        else
            return e;
        advance(p);
        e = new_binary(p, op, e, parse_unary(p));
    }
}

/* additive := multiplicative {('+' | '-') multiplicative} */
static Expr *parse_additive(Parser *p)
{
    Expr *e = parse_multiplicative(p);
    for (;;) {
        OpKind op;
        if (continues(p, TOK_P_PLUS))
            op = OP_ADD;
        else if (continues(p, TOK_P_MINUS))
            op = OP_SUB;
        else
            return e;
        advance(p);
        e = new_binary(p, op, e, parse_multiplicative(p));
    }
}

static bool comparison_op(Parser *p, OpKind *op)
{
    static const struct {
        TokKind tok;
        OpKind op;
    } table[] = {{TOK_P_EQ, OP_EQ}, {TOK_P_NE, OP_NE}, {TOK_P_LT, OP_LT},
                 {TOK_P_LE, OP_LE}, {TOK_P_GT, OP_GT}, {TOK_P_GE, OP_GE}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (continues(p, table[i].tok)) {
            *op = table[i].op;
            return true;
        }
    }
    return false;
}

/* comparison := additive [('==' | '!=' | '<' | '<=' | '>' | '>=') additive]   (not chainable) */
static Expr *parse_comparison(Parser *p)
{
    Expr *e = parse_additive(p);
    OpKind op;
    if (!comparison_op(p, &op))
        return e;
    advance(p);
    e = new_binary(p, op, e, parse_additive(p));
    if (comparison_op(p, &op)) {
        Token *t = peek(p);
        Diag *g = error_at(p, t->span,
                           "comparisons cannot be chained: write 'a %s b and b %s c'",
                           ast_op_spelling(e->op), lex_kind_name(t->kind));
        diag_note(p->diags, g, e->span, "the first comparison is here");
        advance(p);
        parse_additive(p);
    }
    return e;
}

/* not_expr := 'not' not_expr | comparison */
static Expr *parse_not(Parser *p)
{
    if (!at(p, TOK_KW_NOT))
        return parse_comparison(p);
    if (!enter(p))
        return error_expr(p, peek(p)->span);
    Token *t = advance(p);
    Expr *operand = parse_not(p);
    Expr *e = new_expr(p, EX_UNARY, span_join(t->span, operand->span));
    e->op = OP_NOT;
    e->lhs = operand;
    leave(p);
    return e;
}

/* and_expr := not_expr {'and' not_expr} */
static Expr *parse_and(Parser *p)
{
    Expr *e = parse_not(p);
    while (continues(p, TOK_KW_AND)) {
        advance(p);
        e = new_binary(p, OP_AND, e, parse_not(p));
    }
    return e;
}

/* expr := and_expr {'or' and_expr} */
static Expr *parse_expr(Parser *p)
{
    if (!enter(p))
        return error_expr(p, peek(p)->span);
    Expr *e = parse_and(p);
    while (continues(p, TOK_KW_OR)) {
        advance(p);
        e = new_binary(p, OP_OR, e, parse_and(p));
    }
    leave(p);
    return e;
}

/* ---- statements ---- */

/* Skips to where the next statement can start: a new line, a ';' or a '}' outside brackets. */
static void synchronize(Parser *p)
{
    int depth = 0;
    while (!at(p, TOK_EOF)) {
        Token *t = peek(p);
        if (depth <= 0 && (t->newline_before || t->kind == TOK_P_RBRACE))
            break;
        if (depth <= 0 && t->kind == TOK_P_SEMI) {
            advance(p);
            break;
        }
        if (t->kind == TOK_P_LPAREN || t->kind == TOK_P_LBRACKET || t->kind == TOK_P_LBRACE)
            depth++;
        else if (t->kind == TOK_P_RPAREN || t->kind == TOK_P_RBRACKET || t->kind == TOK_P_RBRACE)
            depth--;
        advance(p);
    }
    p->panic = false;
}

/* A simple statement ends at a newline, a ';', a '}' or the end of the file. */
static void end_statement(Parser *p)
{
    if (p->panic) {
        synchronize(p);
        return;
    }
    Token *t = peek(p);
    if (accept(p, TOK_P_SEMI) || t->newline_before || t->kind == TOK_P_RBRACE ||
        t->kind == TOK_EOF)
        return;
    expected(p, "a new line or ';' after the statement");
    synchronize(p);
}

static Partition partition_named(const char *s)
{
    if (strcmp(s, "rows") == 0)
        return PART_ROWS;
    if (strcmp(s, "cols") == 0)
        return PART_COLS;
    if (strcmp(s, "replicated") == 0)
        return PART_REPLICATED;
    return PART_NONE;
}

/* partition_clause := 'partition' ('rows' | 'cols' | 'replicated') */
static void parse_partition(Parser *p, Stmt *s)
{
    if (!at(p, TOK_KW_PARTITION))
        return;
    Token *kw = advance(p);
    Token *t = peek(p);
    if (t->kind == TOK_IDENT && partition_named(t->text) != PART_NONE) {
        advance(p);
        s->partition = partition_named(t->text);
        s->partition_span = span_join(kw->span, t->span);
        return;
    }
    expected(p, "'rows', 'cols' or 'replicated' after 'partition'");
}

static void set_single_name(Parser *p, Stmt *s, Token *name)
{
    s->nnames = 1;
    s->names = ARENA_NEW(p->arena, Binding);
    s->names[0] = binding_from(name);
}

/* '(' IDENT [':' type] {',' IDENT [':' type]} ')'   (types required when typed is true) */
static void parse_tuple_names(Parser *p, Stmt *s, bool typed)
{
    advance(p);
    p->bracket_depth++;
    PtrVec names = {0};
    do {
        Token *t = expect(p, TOK_IDENT, "a name");
        if (!t)
            break;
        Binding *b = ARENA_NEW(p->arena, Binding);
        *b = binding_from(t);
        if (typed) {
            if (expect(p, TOK_P_COLON, "':' and a type after the name"))
                b->type = parse_type(p);
        } else if (at(p, TOK_P_COLON)) {
            advance(p);
            b->type = parse_type(p);
        }
        vec_push(&names, b);
    } while (accept(p, TOK_P_COMMA));
    p->bracket_depth--;
    expect(p, TOK_P_RPAREN, "',' or ')' after the names");
    s->tuple = true;
    s->nnames = names.len;
    s->names = ARENA_ARRAY(p->arena, Binding, names.len);
    for (int i = 0; i < names.len; i++)
        s->names[i] = *(Binding *)names.items[i];
    vec_free(&names);
}

/* config := 'config' IDENT '=' expr
 * input  := 'input' (IDENT ':' type | '(' IDENT ':' type {',' IDENT ':' type} ')') '=' expr
 *           [partition_clause]
 * param  := 'param' IDENT ':' type '=' expr [partition_clause]
 * var    := 'var' IDENT [':' type] '=' expr [partition_clause]
 * let    := 'let' (IDENT [':' type] | '(' IDENT {',' IDENT} ')') '=' expr */
static Stmt *parse_decl(Parser *p, StmtKind kind)
{
    Token *kw = advance(p);
    Stmt *s = new_stmt(p, kind, kw->span);
    bool tuple_ok = kind == ST_INPUT || kind == ST_LET;
    bool type_required = kind == ST_INPUT || kind == ST_PARAM;
    if (tuple_ok && at(p, TOK_P_LPAREN)) {
        parse_tuple_names(p, s, kind == ST_INPUT);
    } else {
        Token *name = expect(p, TOK_IDENT, "a name");
        if (!name)
            return s;
        set_single_name(p, s, name);
        if (kind != ST_CONFIG && (type_required || at(p, TOK_P_COLON))) {
            if (expect(p, TOK_P_COLON, "':' and a type after the name"))
                s->type = parse_type(p);
            s->names[0].type = s->type;
        }
    }
    if (!expect(p, TOK_P_ASSIGN, "'=' and an initial value"))
        return s;
    s->init = parse_expr(p);
    if (kind == ST_INPUT || kind == ST_PARAM || kind == ST_VAR)
        parse_partition(p, s);
    s->span = span_join(kw->span, prev_span(p));
    return s;
}

/* fn := 'fn' IDENT '(' [IDENT ':' type {',' IDENT ':' type}] ')' '->' type block */
static Stmt *parse_fn(Parser *p)
{
    Token *kw = advance(p);
    Stmt *s = new_stmt(p, ST_FN, kw->span);
    Token *name = expect(p, TOK_IDENT, "the function's name");
    if (!name)
        return s;
    set_single_name(p, s, name);
    if (!expect(p, TOK_P_LPAREN, "'(' and the parameters"))
        return s;
    p->bracket_depth++;
    PtrVec params = {0};
    while (!at(p, TOK_P_RPAREN) && !at(p, TOK_EOF)) {
        Token *t = expect(p, TOK_IDENT, "a parameter name");
        if (!t)
            break;
        Binding *b = ARENA_NEW(p->arena, Binding);
        *b = binding_from(t);
        if (expect(p, TOK_P_COLON, "':' and the parameter's type"))
            b->type = parse_type(p);
        vec_push(&params, b);
        if (!accept(p, TOK_P_COMMA))
            break;
    }
    p->bracket_depth--;
    s->nfn_params = params.len;
    s->fn_params = ARENA_ARRAY(p->arena, Binding, params.len);
    for (int i = 0; i < params.len; i++)
        s->fn_params[i] = *(Binding *)params.items[i];
    vec_free(&params);
    expect(p, TOK_P_RPAREN, "',' or ')' after the parameters");
    if (expect(p, TOK_P_ARROW, "'->' and the return type"))
        s->ret_type = parse_type(p);
    s->body = parse_block(p);
    s->span = span_join(kw->span, prev_span(p));
    return s;
}

/* for := 'for' IDENT 'in' expr '..' expr block */
static Stmt *parse_for(Parser *p)
{
    Token *kw = advance(p);
    Stmt *s = new_stmt(p, ST_FOR, kw->span);
    Token *name = expect(p, TOK_IDENT, "the loop variable");
    if (name)
        set_single_name(p, s, name);
    expect(p, TOK_KW_IN, "'in'");
    s->lo = parse_expr(p);
    if (expect(p, TOK_P_DOTDOT, "'..' in the range (for i in a..b)"))
        s->hi = parse_expr(p);
    s->body = parse_block(p);
    s->span = span_join(kw->span, prev_span(p));
    return s;
}

/* consistency_clause := 'consistency' IDENT ['(' expr ')'] */
static void parse_consistency(Parser *p, Stmt *s)
{
    s->consistency = CONS_BSP;
    if (!at(p, TOK_KW_CONSISTENCY))
        return;
    Token *kw = advance(p);
    Token *t = peek(p);
    s->consistency_span = t->span;
    if (t->kind != TOK_IDENT) {
        expected(p, "a consistency model (bsp, serial, async or ssp(s))");
        return;
    }
    advance(p);
    if (strcmp(t->text, "bsp") == 0) {
        s->consistency = CONS_BSP;
    } else if (strcmp(t->text, "serial") == 0) {
        s->consistency = CONS_SERIAL;
    } else if (strcmp(t->text, "async") == 0) {
        s->consistency = CONS_ASYNC;
    } else if (strcmp(t->text, "ssp") == 0) {
        s->consistency = CONS_SSP;
        if (expect(p, TOK_P_LPAREN, "'(' and the staleness bound after 'ssp'")) {
            p->bracket_depth++;
            s->staleness = parse_expr(p);
            p->bracket_depth--;
            expect(p, TOK_P_RPAREN, "')' after the staleness bound");
        }
    } else {
        error_at(p, t->span,
                 "unknown consistency model '%s': expected bsp, serial, async or ssp(s)",
                 t->text);
    }
    s->consistency_span = span_join(kw->span, prev_span(p));
}

/* iteration_set := 'nonzeros' '(' expr ')'
 *                | 'schedule' '(' range_or_expr {',' IDENT '=' (lambda | expr)} ')'
 *                | expr '..' expr */
static void parse_iteration_set(Parser *p, Stmt *s)
{
    if (at(p, TOK_KW_NONZEROS)) {
        advance(p);
        s->iter = ITER_NONZEROS;
        if (!expect(p, TOK_P_LPAREN, "'(' after 'nonzeros'"))
            return;
        p->bracket_depth++;
        s->iter_expr = parse_expr(p);
        p->bracket_depth--;
        expect(p, TOK_P_RPAREN, "')' after the matrix");
        return;
    }
    if (at(p, TOK_KW_SCHEDULE)) {
        Token *kw = advance(p);
        s->iter = ITER_SCHEDULE;
        if (!expect(p, TOK_P_LPAREN, "'(' after 'schedule'"))
            return;
        Arg *args;
        int n;
        parse_call_args(p, &args, &n);
        if (n == 0 || args[0].name) {
            error_at(p, kw->span,
                     "schedule needs the range to draw from as its first argument (0..d)");
            return;
        }
        s->iter_expr = args[0].value;
        s->sched_args = args + 1;
        s->nsched_args = n - 1;
        return;
    }
    s->iter = ITER_RANGE;
    s->lo = parse_expr(p);
    if (expect(p, TOK_P_DOTDOT, "'..' in the range (parallel for i in a..b)"))
        s->hi = parse_expr(p);
}

/* parallel_for := 'parallel' 'for' (IDENT | '(' IDENT {',' IDENT} ')') 'in' iteration_set
 *                 [consistency_clause] block */
static Stmt *parse_parallel_for(Parser *p)
{
    Token *kw = advance(p);
    Stmt *s = new_stmt(p, ST_PFOR, kw->span);
    if (!expect(p, TOK_KW_FOR, "'for' after 'parallel'"))
        return s;
    s->keyword_span = span_join(kw->span, prev_span(p));
    if (at(p, TOK_P_LPAREN)) {
        parse_tuple_names(p, s, false);
    } else {
        Token *name = expect(p, TOK_IDENT, "the loop variable");
        if (name)
            set_single_name(p, s, name);
    }
    expect(p, TOK_KW_IN, "'in'");
    parse_iteration_set(p, s);
    parse_consistency(p, s);
    s->body = parse_block(p);
    s->span = span_join(kw->span, prev_span(p));
    return s;
}

/* while := 'while' expr block */
static Stmt *parse_while(Parser *p)
{
    Token *kw = advance(p);
    Stmt *s = new_stmt(p, ST_WHILE, kw->span);
    s->expr = parse_expr(p);
    s->body = parse_block(p);
    s->span = span_join(kw->span, prev_span(p));
    return s;
}

/* if := 'if' expr block ['else' (if | block)] */
static Stmt *parse_if(Parser *p)
{
    Token *kw = advance(p);
    Stmt *s = new_stmt(p, ST_IF, kw->span);
    s->expr = parse_expr(p);
    s->body = parse_block(p);
    if (at(p, TOK_KW_ELSE)) {
        advance(p);
        s->has_else = true;
        if (at(p, TOK_KW_IF)) {
            if (!enter(p))
                return s;
            Stmt *inner = parse_if(p);
            leave(p);
            s->else_body.nstmts = 1;
            s->else_body.stmts = ARENA_NEW(p->arena, Stmt *);
            s->else_body.stmts[0] = inner;
            s->else_body.span = inner->span;
        } else {
            s->else_body = parse_block(p);
        }
    }
    s->span = span_join(kw->span, prev_span(p));
    return s;
}

static bool assign_op(TokKind k, AssignOp *op)
{
    switch (k) {
    case TOK_P_ASSIGN:
        *op = ASSIGN_SET;
        return true;
    case TOK_P_PLUS_ASSIGN:
        *op = ASSIGN_ADD;
        return true;
    case TOK_P_MINUS_ASSIGN:
        *op = ASSIGN_SUB;
        return true;
    case TOK_P_STAR_ASSIGN:
        *op = ASSIGN_MUL;
        return true;
    case TOK_P_SLASH_ASSIGN:
        *op = ASSIGN_DIV;
        return true;
    default:
        return false;
    }
}

/* simple := expr [('=' | '+=' | '-=' | '*=' | '/=') expr]
 * The target of an assignment must be a name or an indexed name. */
static Stmt *parse_simple(Parser *p)
{
    Expr *e = parse_expr(p);
    AssignOp op;
    if (!assign_op(peek(p)->kind, &op)) {
        Stmt *s = new_stmt(p, ST_EXPR, e->span);
        s->expr = e;
        return s;
    }
    Token *t = advance(p);
    Stmt *s = new_stmt(p, ST_ASSIGN, e->span);
    s->target = e;
    s->assign_op = op;
    s->op_span = t->span;
    bool lvalue = (e->kind == EX_NAME && !e->parenthesized) ||
                  (e->kind == EX_INDEX && e->lhs->kind == EX_NAME);
    if (!lvalue)
        error_at(p, e->span,
                 "cannot assign to this expression: expected a name or an indexed name such as "
                 "x[i] or X[i, :]");
    s->init = parse_expr(p);
    s->span = span_join(e->span, s->init->span);
    return s;
}

/* stmt := config | input | param | var | let | fn | for | parallel_for | while | if
 *       | 'break' | 'continue' | 'return' expr | simple */
static Stmt *parse_stmt(Parser *p)
{
    p->panic = false; /* a new statement: its errors are new */
    Token *t = peek(p);
    Stmt *s;
    switch (t->kind) {
    case TOK_KW_CONFIG:
        s = parse_decl(p, ST_CONFIG);
        break;
    case TOK_KW_INPUT:
        s = parse_decl(p, ST_INPUT);
        break;
    case TOK_KW_PARAM:
        s = parse_decl(p, ST_PARAM);
        break;
    case TOK_KW_VAR:
        s = parse_decl(p, ST_VAR);
        break;
    case TOK_KW_LET:
        s = parse_decl(p, ST_LET);
        break;
    case TOK_KW_FN:
        return parse_fn(p);
    case TOK_KW_FOR:
        return parse_for(p);
    case TOK_KW_PARALLEL:
        return parse_parallel_for(p);
    case TOK_KW_WHILE:
        return parse_while(p);
    case TOK_KW_IF:
        return parse_if(p);
    case TOK_KW_BREAK:
    case TOK_KW_CONTINUE:
        advance(p);
        s = new_stmt(p, t->kind == TOK_KW_BREAK ? ST_BREAK : ST_CONTINUE, t->span);
        break;
    case TOK_KW_RETURN:
        advance(p);
        s = new_stmt(p, ST_RETURN, t->span);
        s->expr = parse_expr(p);
        s->span = span_join(t->span, s->expr->span);
        break;
    case TOK_KW_ELSE:
        error_at(p, t->span, "'else' without a matching 'if'");
        advance(p);
        s = NULL;
        break;
    default:
        s = parse_simple(p);
        break;
    }
    end_statement(p);
    return s;
}

/* block := '{' {stmt} '}' */
static Block parse_block(Parser *p)
{
    Block b = {0};
    Token *open = peek(p);
    b.span = open->span;
    if (!expect(p, TOK_P_LBRACE, "'{'")) {
        synchronize(p);
        return b;
    }
    if (!enter(p))
        return b;
    int saved_depth = p->bracket_depth;
    p->bracket_depth = 0;
    PtrVec stmts = {0};
    while (!at(p, TOK_P_RBRACE) && !at(p, TOK_EOF)) {
        int before = p->pos;
        Stmt *s = parse_stmt(p);
        if (s)
            vec_push(&stmts, s);
        if (p->pos == before)
            advance(p); /* never loop on a token nobody accepts */
    }
    p->bracket_depth = saved_depth;
    leave(p);
    if (!at(p, TOK_P_RBRACE)) {
        Diag *g = expected(p, "'}'");
        diag_note(p->diags, g, open->span, "to match this '{'");
    } else {
        advance(p);
    }
    b.nstmts = stmts.len;
    b.stmts = (Stmt **)vec_to_arena(&stmts, p->arena);
    b.span = span_join(open->span, prev_span(p));
    return b;
}

/* program := {stmt} EOF */
Program *parse_program(const SrcFile *file, Arena *arena, DiagList *diags)
{
    Parser p = {0};
    p.file = file;
    p.arena = arena;
    p.diags = diags;
    p.ntoks = lex_tokenize(file, arena, diags, &p.toks);
    Program *prog = ARENA_NEW(arena, Program);
    prog->file = file;
    PtrVec stmts = {0};
    while (!at(&p, TOK_EOF)) {
        int before = p.pos;
        if (at(&p, TOK_P_RBRACE)) {
            error_at(&p, peek(&p)->span, "unmatched '}'");
            advance(&p);
            p.panic = false;
            continue;
        }
        Stmt *s = parse_stmt(&p);
        if (s)
            vec_push(&stmts, s);
        if (p.pos == before)
            advance(&p);
    }
    prog->nstmts = stmts.len;
    prog->stmts = (Stmt **)vec_to_arena(&stmts, arena);
    free(p.toks);
    return prog;
}
