/* builtins.h: the builtin functions of DML (LANGUAGE.md sections 5 and 6), one X-macro table.
 *
 * Sema resolves each call to a builtin to a BuiltinId and stores it in Expr.builtin; the
 * lowering dispatches on the same ids. A few names have two forms that sema tells apart by
 * their arguments: max(x) / min(x) reduce (BI_MAX, BI_MIN) while max(a, b) / min(a, b) are
 * elementwise (BI_MAXIMUM, BI_MINIMUM); log(x) is elementwise (BI_LOG) while the statement
 * log(key=e, ...) records metrics (BI_LOG_METRICS). builtin_lookup returns the first form. */
#ifndef DMLC_FRONTEND_BUILTINS_H
#define DMLC_FRONTEND_BUILTINS_H

#include <stdbool.h>

typedef enum {
    BK_ELEMENTWISE, /* result shaped like the (broadcast) operands */
    BK_REDUCTION,   /* optional axis=K; a scalar without it */
    BK_CONSTRUCTOR, /* a new tensor from a shape (or the expected type) */
    BK_SHAPE_QUERY, /* an i64 size of a tensor */
    BK_LOADER,      /* reads a file named by a string */
    BK_STATEMENT,   /* no value: only valid as a statement */
    BK_CONVERSION,  /* dtype conversion, named like the dtype */
    BK_SPECIAL,     /* its own typing rule: dot, softmax, reshape, grad */
} BuiltinKind;

/* X(ID, name, min positional args, max positional args (-1: any number), kind, keywords).
 * keywords: the allowed keyword arguments, comma-separated; "*" allows any name (log). */
#define BUILTINS(X)                                                                                \
    X(SUM, "sum", 1, 1, BK_REDUCTION, "axis")                                                      \
    X(MEAN, "mean", 1, 1, BK_REDUCTION, "axis")                                                    \
    X(MAX, "max", 1, 1, BK_REDUCTION, "axis")                                                      \
    X(MIN, "min", 1, 1, BK_REDUCTION, "axis")                                                      \
    X(ARGMAX, "argmax", 1, 1, BK_REDUCTION, "axis")                                                \
    X(ARGMIN, "argmin", 1, 1, BK_REDUCTION, "axis")                                                \
    X(COUNT_NONZERO, "count_nonzero", 1, 1, BK_REDUCTION, "axis")                                  \
    X(NORM, "norm", 1, 1, BK_REDUCTION, "axis")                                                    \
    X(LOGSUMEXP, "logsumexp", 1, 1, BK_REDUCTION, "axis")                                          \
    X(ABS, "abs", 1, 1, BK_ELEMENTWISE, "")                                                        \
    X(EXP, "exp", 1, 1, BK_ELEMENTWISE, "")                                                        \
    X(LOG, "log", 1, 1, BK_ELEMENTWISE, "")                                                        \
    X(LOG1P, "log1p", 1, 1, BK_ELEMENTWISE, "")                                                    \
    X(SQRT, "sqrt", 1, 1, BK_ELEMENTWISE, "")                                                      \
    X(SIGMOID, "sigmoid", 1, 1, BK_ELEMENTWISE, "")                                                \
    X(TANH, "tanh", 1, 1, BK_ELEMENTWISE, "")                                                      \
    X(RELU, "relu", 1, 1, BK_ELEMENTWISE, "")                                                      \
    X(SIGN, "sign", 1, 1, BK_ELEMENTWISE, "")                                                      \
    X(FLOOR, "floor", 1, 1, BK_ELEMENTWISE, "")                                                    \
    X(CEIL, "ceil", 1, 1, BK_ELEMENTWISE, "")                                                      \
    X(ROUND, "round", 1, 1, BK_ELEMENTWISE, "")                                                    \
    X(MAXIMUM, "max", 2, 2, BK_ELEMENTWISE, "")                                                    \
    X(MINIMUM, "min", 2, 2, BK_ELEMENTWISE, "")                                                    \
    X(CLIP, "clip", 3, 3, BK_ELEMENTWISE, "")                                                      \
    X(WHERE, "where", 3, 3, BK_ELEMENTWISE, "")                                                    \
    X(SOFT_THRESHOLD, "soft_threshold", 2, 2, BK_ELEMENTWISE, "")                                  \
    X(DOT, "dot", 2, 2, BK_SPECIAL, "")                                                            \
    X(SOFTMAX, "softmax", 1, 1, BK_SPECIAL, "axis")                                                \
    X(RESHAPE, "reshape", 2, 2, BK_SPECIAL, "")                                                    \
    X(GRAD, "grad", 1, 1, BK_SPECIAL, "wrt")                                                       \
    X(ZEROS, "zeros", 0, 1, BK_CONSTRUCTOR, "dtype")                                               \
    X(ONES, "ones", 0, 1, BK_CONSTRUCTOR, "dtype")                                                 \
    X(FULL, "full", 1, 2, BK_CONSTRUCTOR, "dtype")                                                 \
    X(ARANGE, "arange", 1, 2, BK_CONSTRUCTOR, "dtype")                                             \
    X(EYE, "eye", 1, 1, BK_CONSTRUCTOR, "dtype")                                                   \
    X(RANDN, "randn", 0, 1, BK_CONSTRUCTOR, "scale,seed,dtype")                                    \
    X(UNIFORM, "uniform", 0, 3, BK_CONSTRUCTOR, "seed,dtype")                                      \
    X(RANDINT, "randint", 2, 3, BK_CONSTRUCTOR, "seed,dtype")                                      \
    X(ROWS, "rows", 1, 1, BK_SHAPE_QUERY, "")                                                      \
    X(COLS, "cols", 1, 1, BK_SHAPE_QUERY, "")                                                      \
    X(LEN, "len", 1, 1, BK_SHAPE_QUERY, "")                                                        \
    X(NNZ, "nnz", 1, 1, BK_SHAPE_QUERY, "")                                                        \
    X(LOAD, "load", 1, 1, BK_LOADER, "")                                                           \
    X(LOAD_LIBSVM, "load_libsvm", 1, 1, BK_LOADER, "")                                             \
    X(LOG_METRICS, "log", 0, 0, BK_STATEMENT, "*")                                                 \
    X(PRINT, "print", 0, -1, BK_STATEMENT, "")                                                     \
    X(SAVE, "save", 2, 2, BK_STATEMENT, "")                                                        \
    X(ASSERT, "assert", 1, 2, BK_STATEMENT, "")                                                    \
    X(TO_F32, "f32", 1, 1, BK_CONVERSION, "")                                                      \
    X(TO_F64, "f64", 1, 1, BK_CONVERSION, "")                                                      \
    X(TO_I32, "i32", 1, 1, BK_CONVERSION, "")                                                      \
    X(TO_I64, "i64", 1, 1, BK_CONVERSION, "")                                                      \
    X(TO_BOOL, "bool", 1, 1, BK_CONVERSION, "")

typedef enum {
    BI_NONE = -1, /* Expr.builtin of anything that is not a builtin call */
#define BUILTIN_ENUM(id, name, min, max, kind, kw) BI_##id,
    BUILTINS(BUILTIN_ENUM)
#undef BUILTIN_ENUM
        BI_COUNT
} BuiltinId;

typedef struct {
    const char *name;
    int min_args, max_args; /* positional; max_args -1: any number */
    BuiltinKind kind;
    const char *keywords; /* comma-separated allowed keyword names; "*": any */
} BuiltinInfo;

/* The first builtin spelt `name`, or BI_NONE. */
BuiltinId builtin_lookup(const char *name);
const BuiltinInfo *builtin_info(BuiltinId id);
const char *builtin_name(BuiltinId id);
bool builtin_allows_keyword(BuiltinId id, const char *keyword);

#endif
