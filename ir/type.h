/* type.h: dtypes and symbolic shapes, shared by the typed AST and the IR.
 *
 * A shape has rank 0 (a scalar) to 4. Each dimension is a constant, a size name ("n", bound once
 * by the declaration that first uses it, or a config name), or unknown ("?", fixed only at run
 * time, e.g. the length of a slice with computed bounds). */
#ifndef DMLC_IR_TYPE_H
#define DMLC_IR_TYPE_H

#include "support/buf.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    DT_NONE, /* no value (statements, an op without result) */
    DT_BOOL,
    DT_I32,
    DT_I64,
    DT_F32,
    DT_F64,
    DT_STR, /* only for config strings and paths */
} DType;

typedef enum { DIM_CONST, DIM_SYM, DIM_ANY } DimKind;

typedef struct Dim Dim;
typedef struct Type Type;

/* 16 bytes: a Type is embedded in every expression and IR value, so its size matters. */
struct Dim {
    DimKind kind;
    union {
        int64_t value;   /* DIM_CONST */
        const char *sym; /* DIM_SYM: size or config name (arena-owned, compare with strcmp) */
    };
};

enum { TYPE_MAX_RANK = 4 };

struct Type {
    DType dtype;
    uint8_t rank;   /* 0: scalar */
    bool sparse;    /* csr matrix (rank 2) */
    bool weak;      /* frontend only: a weak scalar (literal, config, size, loop variable, ...) */
    Dim dims[TYPE_MAX_RANK];
};

const char *type_dtype_name(DType t); /* "f32", ...; "none" for DT_NONE */
bool type_dtype_from_name(const char *s, DType *out);
bool type_is_float(DType t);
bool type_is_int(DType t); /* i32, i64 */
bool type_dim_equal(Dim a, Dim b);
bool type_equal(const Type *a, const Type *b); /* ignores weak */
Type type_scalar(DType t);
/* Appends the type as written in DML and the IR: "f64", "f32[n, 128]", "csr f64[m, n]". */
void type_print(const Type *t, Buf *out);
void type_print_dim(Dim d, Buf *out);

#endif
