/* ir.h: the dataflow IR: ops over SSA values, regions for loops, a builder, printer, reader,
 * verifier.
 *
 * A module is one top-level region. A region is a single block: typed block arguments and a list
 * of ops (control flow is structured, so no region needs more than one block). An op has operand
 * values, result values, attributes, regions and an optional source location. Mutable state is a
 * named resource (state.param / state.var) read and written by explicit ops.
 *
 * Everything lives in the module's Arena and is freed with it. The text format (print.c, read.c)
 * is MLIR's generic syntax; docs/ir.md describes it and every op. The invariant the tests keep:
 * print(read(print(m))) == print(m). */
#ifndef DMLC_IR_IR_H
#define DMLC_IR_IR_H

#include "ir/type.h"
#include "support/arena.h"
#include "support/buf.h"
#include "support/diag.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- the op table ---- */

enum { IR_VARIADIC = -1 };

/* Op properties (the FLAGS column of ops.h). */
enum {
    IR_PURE = 1 << 0,         /* no effect and no read of state or files: may be CSE'd, removed */
    IR_ELEMENTWISE = 1 << 1,  /* result element k depends on operand elements k (broadcast) */
    IR_REDUCTION = 1 << 2,    /* reduces over all elements, or over the `axis` attribute */
    IR_TERMINATOR = 1 << 3,   /* must be the last op of its region */
    IR_EFFECT = 1 << 4,       /* writes state, files or the terminal */
    IR_READS = 1 << 5,        /* reads state or files */
    IR_DECL = 1 << 6,         /* declares the symbol in its `sym` attribute */
    IR_LOOP = 1 << 7,         /* a sequential loop: the target of ctl.break / ctl.continue */
    IR_PARALLEL = 1 << 8,     /* a parallel loop */
    IR_RANDOM = 1 << 9,       /* draws random numbers (not pure: two draws differ without seed) */
    IR_CONSTRUCTOR = 1 << 10, /* builds a tensor from sizes */
    IR_ARITH = 1 << 11,       /* numeric operands and result of one dtype */
    IR_COMPARE = 1 << 12,     /* numeric operands of one dtype, bool result */
    IR_LOGIC = 1 << 13,       /* bool operands and result */
    IR_FLOAT_MATH = 1 << 14,  /* needs a float operand (f32 or f64) */
    IR_INDEX_RESULT = 1 << 15 /* result is i64 whatever the operand dtype */
};

typedef enum {
#define OP(ENUM, NAME, NOPERANDS, NRESULTS, NREGIONS, FLAGS, ATTRS) ENUM,
#include "ir/ops.h"
    IR_OP_COUNT
} IrOpcode;

typedef struct {
    const char *name; /* "t.add" */
    int noperands;    /* or IR_VARIADIC */
    int nresults;     /* or IR_VARIADIC */
    int nregions;
    unsigned flags;
    const char *attrs; /* the ATTRIBUTES column of ops.h */
} IrOpInfo;

const IrOpInfo *ir_op_info(IrOpcode op);
/* Looks an op up by its full name ("t.add"); false when there is none. */
bool ir_opcode_from_name(const char *name, size_t len, IrOpcode *out);
bool ir_op_has_flag(IrOpcode op, unsigned flag);

/* ---- graph structures ---- */

typedef struct IrValue IrValue;
typedef struct IrOp IrOp;
typedef struct IrRegion IrRegion;
typedef struct IrAttr IrAttr;
typedef struct IrModule IrModule;
typedef struct IrLoc IrLoc;

typedef enum {
    IR_ATTR_INT,
    IR_ATTR_FLOAT,
    IR_ATTR_STRING,
    IR_ATTR_BOOL,
    IR_ATTR_SYMBOL, /* @name: a config, size or state resource */
    IR_ATTR_TYPE,
    IR_ATTR_INTS,    /* [1, 2]; the empty list [] is read as this kind */
    IR_ATTR_STRINGS, /* ["a", "b"] */
    IR_ATTR_SYMBOLS, /* [@a, @b] */
} IrAttrKind;

struct IrAttr {
    const char *name;
    IrAttrKind kind;
    int64_t int_value;    /* IR_ATTR_INT */
    double float_value;   /* IR_ATTR_FLOAT */
    bool bool_value;      /* IR_ATTR_BOOL */
    const char *string;   /* IR_ATTR_STRING, IR_ATTR_SYMBOL (without the @) */
    Type type;            /* IR_ATTR_TYPE */
    const int64_t *ints;  /* IR_ATTR_INTS */
    const char **strings; /* IR_ATTR_STRINGS, IR_ATTR_SYMBOLS */
    int count;            /* list length */
};

/* A source position for `loc("file":line:col)`; line 0 means none. */
struct IrLoc {
    const char *file;
    uint32_t line, col;
};

struct IrValue {
    Type type;       /* never weak */
    IrOp *def;       /* the defining op, or NULL for a block argument */
    IrRegion *owner; /* block argument: the region it belongs to */
    int index;       /* result number in def, or argument number in owner */
};

struct IrOp {
    IrOpcode opcode;
    IrValue **operands;
    int noperands;
    IrValue **results;
    int nresults;
    IrAttr *attrs; /* kept sorted by name, names unique */
    int nattrs;
    IrRegion **regions;
    int nregions;
    IrRegion *parent; /* the region holding this op */
    IrOp *prev, *next;
    IrLoc loc; /* where in the DML source the op came from (printed with --locations) */
    Span span; /* where to point diagnostics, in the file of the DiagList that built it */
    bool has_span;
};

struct IrRegion {
    IrValue **args; /* block arguments */
    int nargs, args_cap;
    IrOp *first, *last;
    IrOp *parent; /* the op owning the region; NULL for the module's body */
};

struct IrModule {
    Arena *arena;
    IrRegion *body;
};

/* ---- building ---- */

IrModule *ir_module_new(Arena *arena);

/* Makes a detached op with the given operands, result types and (empty) regions; the number of
 * regions is the op table's. Attributes are added with ir_set_*. */
IrOp *ir_op_new(IrModule *m, IrOpcode opcode, IrValue *const *operands, int noperands,
                const Type *result_types, int nresults);
void ir_region_append(IrRegion *r, IrOp *op);
IrValue *ir_region_add_arg(IrModule *m, IrRegion *r, Type type);

/* Appends ops at the end of a region, stamping each with the current location and span. */
typedef struct {
    IrModule *module;
    IrRegion *region;
    IrLoc loc;
    Span span;
    bool has_span;
} IrBuilder;

void ir_builder_init(IrBuilder *b, IrModule *m, IrRegion *at_end_of);
/* ir_op_new + append: returns the op (see ir_result for its single result). */
IrOp *ir_build_op(IrBuilder *b, IrOpcode opcode, IrValue *const *operands, int noperands,
                  const Type *result_types, int nresults);
/* Builds an op with one result and returns that result. */
IrValue *ir_build_value(IrBuilder *b, IrOpcode opcode, IrValue *const *operands, int noperands,
                        Type result_type);
IrValue *ir_result(const IrOp *op, int i);
IrRegion *ir_op_region(const IrOp *op, int i);

/* Attributes: setting a name already present replaces it. Strings are copied into the arena. */
void ir_set_int(IrModule *m, IrOp *op, const char *name, int64_t v);
void ir_set_float(IrModule *m, IrOp *op, const char *name, double v);
void ir_set_string(IrModule *m, IrOp *op, const char *name, const char *v);
void ir_set_bool(IrModule *m, IrOp *op, const char *name, bool v);
void ir_set_symbol(IrModule *m, IrOp *op, const char *name, const char *sym);
void ir_set_type(IrModule *m, IrOp *op, const char *name, Type t);
void ir_set_ints(IrModule *m, IrOp *op, const char *name, const int64_t *v, int n);
void ir_set_strings(IrModule *m, IrOp *op, const char *name, const char *const *v, int n);
void ir_set_symbols(IrModule *m, IrOp *op, const char *name, const char *const *v, int n);
/* Adds a fully formed attribute (copied into the arena). */
void ir_set_attr(IrModule *m, IrOp *op, const IrAttr *attr);
const IrAttr *ir_get_attr(const IrOp *op, const char *name);
/* The symbol in an op's `sym` attribute, or NULL. */
const char *ir_op_symbol(const IrOp *op);

/* ---- text ---- */

typedef struct {
    bool locations; /* append loc("file":line:col) to ops that have one */
} IrPrintOptions;

/* print.c: the generic textual form (options may be NULL). Deterministic: values are numbered
 * %0, %1, ... in print order and attributes sorted by name. */
void ir_print(const IrModule *m, Buf *out, const IrPrintOptions *options);
/* print.c: a Graphviz digraph: ops as nodes, values as edges labelled with their types, regions
 * as clusters. */
void ir_print_dot(const IrModule *m, Buf *out);
/* print.c: the shortest decimal text that strtod reads back to the same double; always has a
 * '.' or an exponent so it reads as a float; "inf", "-inf", "nan" otherwise. */
void ir_format_double(double v, Buf *out);

/* read.c: parses the generic textual form. Returns NULL with diagnostics ("file:line:col: error:
 * expected X, saw Y") on malformed text, unknown ops or attributes, undefined values or values
 * used before their definition. Never aborts on any input. The diagnostics' file must be `file`.
 * Reading does not verify; run ir_verify after it. */
IrModule *ir_read(const SrcFile *file, Arena *arena, DiagList *diags);

/* roundtrip.c: the IR's invariant print(read(print(m))) == print(m). Prints m into *printed;
 * returns NULL when it holds, else a message (static text) saying how it broke, with the text
 * that was read back in *again when there was one. */
const char *ir_check_round_trip(const IrModule *m, const IrPrintOptions *options, Buf *printed,
                                Buf *again);

/* Deepest region nesting the reader accepts (deeper text is an error, not a stack overflow). */
enum { IR_MAX_NESTING = 200 };

/* verify.c: checks operand, result and region counts, attributes, dtypes and shapes, region
 * rules (terminators, block arguments, ctl.break inside loops), dominance (a value is used only
 * after its definition in the same or an enclosing region) and state symbols. Reports every
 * problem found to diags; returns true when there was none. Never aborts on a malformed graph. */
bool ir_verify(const IrModule *m, DiagList *diags);

#endif
