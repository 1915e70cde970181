/* ast.h: the syntax tree of a DML program, annotated in place by the semantic checker.
 *
 * The parser builds it (every node carries its source span); sema.c resolves names to Symbols
 * and fills Expr.type; lower.c turns the typed tree into IR. All nodes live in one Arena. */
#ifndef DMLC_FRONTEND_AST_H
#define DMLC_FRONTEND_AST_H

#include "ir/type.h"
#include "support/diag.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct Expr Expr;
typedef struct Stmt Stmt;
typedef struct Block Block;
typedef struct Arg Arg;
typedef struct IndexItem IndexItem;
typedef struct TypeSyntax TypeSyntax;
typedef struct Binding Binding;
typedef struct Symbol Symbol;
typedef struct Program Program;

/* ---- types as written ---- */

/* A dimension as written: an integer literal or a name (size name or config). */
typedef struct {
    bool is_name;
    int64_t value;
    const char *name;
    Span span;
} DimSyntax;

struct TypeSyntax {
    bool sparse; /* "csr" prefix */
    DType dtype;
    int rank; /* 0 when no brackets */
    DimSyntax dims[TYPE_MAX_RANK];
    Span span;
};

/* ---- expressions ---- */

typedef enum {
    EX_INT,       /* int_value */
    EX_FLOAT,     /* float_value */
    EX_BOOL,      /* bool_value */
    EX_STRING,    /* string_value (escapes resolved) */
    EX_NAME,      /* name; sema sets sym */
    EX_UNARY,     /* op (OP_NEG, OP_NOT), lhs */
    EX_BINARY,    /* op, lhs, rhs */
    EX_CALL,      /* callee (a name or a dtype name used as conversion), args */
    EX_INDEX,     /* lhs indexed by items */
    EX_TRANSPOSE, /* lhs.T */
    EX_TUPLE,     /* elems: (a, b) and (a,) */
    EX_RANGE,     /* lhs..rhs: only in for headers and as schedule's first argument */
    EX_LAMBDA,    /* params, lhs = body: only as schedule arguments */
} ExprKind;

typedef enum {
    OP_NEG,
    OP_NOT,
    OP_OR,
    OP_AND,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_MATMUL,
    OP_POW,
} OpKind;

/* One argument of a call: positional (name == NULL) or keyword (name=expr). */
struct Arg {
    const char *name;
    Span name_span;
    Expr *value;
};

/* One position of an index: x[e], x[:], x[a..b], x[a..], x[..b]. */
typedef enum { IX_EXPR, IX_ALL, IX_SLICE } IndexKind;

struct IndexItem {
    IndexKind kind;
    Expr *expr;     /* IX_EXPR */
    Expr *lo, *hi;  /* IX_SLICE; either may be NULL */
    Span span;
};

/* A name introduced by a lambda, a loop header, a fn parameter or a let/input tuple. */
struct Binding {
    const char *name;
    Span span;
    TypeSyntax *type; /* NULL when none was written */
    Symbol *sym;      /* set by sema */
};

struct Expr {
    ExprKind kind;
    Span span;
    OpKind op;
    Expr *lhs, *rhs;
    int64_t int_value;
    double float_value;
    bool bool_value;
    const char *string_value;
    const char *name;    /* EX_NAME; EX_CALL: callee */
    Span name_span;      /* EX_CALL: the callee */
    Arg *args;           /* EX_CALL */
    int nargs;
    IndexItem *items;    /* EX_INDEX */
    int nitems;
    Expr **elems;        /* EX_TUPLE */
    int nelems;
    Binding *params;     /* EX_LAMBDA */
    int nparams;
    bool parenthesized;  /* written inside ( ), to tell (a) from a in diagnostics */

    /* filled by sema */
    Symbol *sym;         /* EX_NAME: what it names; EX_CALL: the fn when calling a user fn */
    int builtin;         /* EX_CALL to a builtin: its BuiltinId (frontend/builtins.h); else -1 */
    Type type;           /* DT_NONE for statements-only calls and tuples */
    Type *tuple_types;   /* results of grad(...) and load_libsvm(...) */
    int ntuple;
};

/* ---- statements ---- */

typedef enum {
    ST_CONFIG,   /* config NAME = literal: names[0], init */
    ST_INPUT,    /* input NAME: T = e [partition P], or input (A: T1, B: T2) = e */
    ST_PARAM,    /* param NAME: T = e [partition P] */
    ST_VAR,      /* var NAME[: T] = e [partition P] */
    ST_LET,      /* let NAME[: T] = e, or let (a, b) = e */
    ST_FN,       /* fn NAME(params) -> T { body } */
    ST_ASSIGN,   /* target op value, op in =, +=, -=, *=, /= */
    ST_EXPR,     /* a call used as a statement: log, print, save, assert */
    ST_FOR,      /* for var in lo..hi { body } */
    ST_WHILE,    /* while cond { body } */
    ST_IF,       /* if cond { then } [else { else_ } | else if ...] */
    ST_BREAK,
    ST_CONTINUE,
    ST_RETURN,   /* return value */
    ST_PFOR,     /* parallel for ... */
} StmtKind;

typedef enum { ASSIGN_SET, ASSIGN_ADD, ASSIGN_SUB, ASSIGN_MUL, ASSIGN_DIV } AssignOp;

typedef enum { PART_NONE, PART_ROWS, PART_COLS, PART_REPLICATED } Partition;

typedef enum { CONS_BSP, CONS_SERIAL, CONS_ASYNC, CONS_SSP } Consistency;

/* What a parallel loop iterates over. */
typedef enum {
    ITER_RANGE,    /* parallel for i in lo..hi */
    ITER_NONZEROS, /* parallel for (i, j, v) in nonzeros(S) */
    ITER_SCHEDULE, /* parallel for j in schedule(lo..hi, size=, priority=, conflict=, seed=) */
} IterKind;

struct Block {
    Stmt **stmts;
    int nstmts;
    Span span; /* from { to } */
};

struct Stmt {
    StmtKind kind;
    Span span;        /* the whole statement */
    Span keyword_span;

    /* declarations: one binding, or several for the tuple forms (tuple == true) */
    Binding *names;
    int nnames;
    bool tuple;
    TypeSyntax *type; /* single-name declarations: the written type or NULL */
    Expr *init;
    Partition partition;
    Span partition_span;

    /* ST_FN */
    Binding *fn_params;
    int nfn_params;
    TypeSyntax *ret_type;

    /* ST_ASSIGN */
    Expr *target;
    AssignOp assign_op;
    Span op_span;

    /* ST_EXPR, ST_RETURN, ST_WHILE/ST_IF condition */
    Expr *expr;

    /* ST_FOR: names[0] is the loop variable; lo, hi the range */
    Expr *lo, *hi;

    /* bodies: ST_FN, ST_FOR, ST_WHILE, ST_IF (then), ST_PFOR */
    Block body;
    Block else_body; /* ST_IF: an "else if" is an else block holding one ST_IF */
    bool has_else;

    /* ST_PFOR: names are the loop variables (1, or 3 for nonzeros) */
    IterKind iter;
    Expr *iter_expr;  /* ITER_NONZEROS: the matrix; ITER_SCHEDULE: the range (EX_RANGE) */
    Arg *sched_args;  /* ITER_SCHEDULE: keyword arguments size/priority/conflict/seed */
    int nsched_args;
    Consistency consistency;
    Expr *staleness;  /* CONS_SSP: s */
    Span consistency_span;

    /* filled by sema */
    Symbol *sym;      /* ST_CONFIG/PARAM/VAR/LET/INPUT single name, ST_FN */
};

/* ---- symbols (created by sema) ---- */

typedef enum {
    SYM_CONFIG,
    SYM_INPUT,
    SYM_PARAM,
    SYM_VAR,
    SYM_LET,
    SYM_FN,
    SYM_FN_PARAM,
    SYM_LOOP_VAR,     /* for i in ... (sequential) */
    SYM_PLOOP_VAR,    /* parallel for loop variables */
    SYM_LAMBDA_PARAM,
    SYM_SIZE,         /* a size name bound by a declaration's type */
} SymbolKind;

struct Symbol {
    SymbolKind kind;
    const char *name;
    Span decl_span;  /* where it was declared (for notes) */
    Type type;
    Stmt *decl;      /* the declaring statement, if any */
    int id;          /* unique per program, in declaration order */
    int loop_depth;  /* number of enclosing sequential or parallel loops at the declaration */
    bool in_parallel_body; /* declared inside a parallel for body (private to an iteration) */
    bool in_fn;      /* declared inside a fn body */
    /* SYM_CONFIG: its literal value */
    Expr *config_value;
};

/* ---- the program ---- */

struct Program {
    const SrcFile *file;
    Stmt **stmts; /* top-level statements and declarations, in order */
    int nstmts;
    Symbol **symbols; /* every symbol, by id (filled by sema) */
    int nsymbols;
};

const char *ast_op_spelling(OpKind op);       /* "+", "@", "not", ... */
const char *ast_assign_spelling(AssignOp op); /* "=", "+=", ... */
const char *ast_stmt_kind_name(StmtKind k);   /* "config", "parallel for", ... */
const char *ast_consistency_name(Consistency c);
const char *ast_partition_name(Partition p);
/* Appends an expression fully parenthesised, e.g. "(+ a (* b c))": for parser tests. */
void ast_print_expr(const Expr *e, Buf *out);

#endif
