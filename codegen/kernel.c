/* kernel.c: the LLVM function of one analysed k.fused group, in the calling convention of jit.h.
 *
 * Two functions per kernel:
 *
 *   NAME        void (i64 outer, i64 inner, ptr bufs, ptr scalars): the C ABI. It loads the
 *               buffer pointers and scalar slots and calls NAME.body, which it inlines.
 *   NAME.body   internal: one typed parameter per buffer (noalias nocapture, readonly for
 *               operands, writeonly for results that are only written) and per scalar. After
 *               inlining, noalias becomes scoped alias metadata, so the vectoriser needs no
 *               run-time overlap checks.
 *
 * NAME.body is a loop nest: for i < outer, for j < inner, with the inner loop unit-stride. COL
 * operands are loaded per row, FULL and ROW operands per element; the body's ops are emitted on
 * scalars in the inner loop (the loop vectoriser widens them). When every operand and result is
 * FULL, SCALAR or REDUCE_ALL, the nest walks the space as one row of outer * inner.
 *
 * Reductions: REDUCE_ALL and REDUCE_ROWS accumulate in a loop-carried value (float sums in
 * double, whatever the dtype), whose adds alone carry the reassociation flag so that the sum
 * vectorises; max and min use llvm.maximum / llvm.minimum (nan propagates). REDUCE_COLS
 * accumulates into the result row itself, in the result's dtype, row after row (NumPy's order for
 * axis 0), starting from +0 as the C reference does. An empty sum is +0, an empty mean nan; an
 * empty max or min is -inf / +inf (or the integer minimum / maximum), where the C reference
 * raises an error: the interpreter must not call a kernel with max or min over an empty extent.
 * max and min use the C reference's maximum / minimum per column; over everything and per row,
 * llvm.maximum / minimum, which order -0 below +0 (the only difference). */
#include "codegen/cg.h"

#include "support/die.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the module ---- */

/* Caches the types of ctx and makes a builder for mod. */
void cg_module_init(CgModule *cm, LLVMContextRef ctx, LLVMModuleRef mod, const CgTarget *target)
{
    cm->ctx = ctx;
    cm->mod = mod;
    cm->b = LLVMCreateBuilderInContext(ctx);
    cm->i1 = LLVMInt1TypeInContext(ctx);
    cm->i8 = LLVMInt8TypeInContext(ctx);
    cm->i32 = LLVMInt32TypeInContext(ctx);
    cm->i64 = LLVMInt64TypeInContext(ctx);
    cm->f32 = LLVMFloatTypeInContext(ctx);
    cm->f64 = LLVMDoubleTypeInContext(ctx);
    cm->ptr = LLVMPointerTypeInContext(ctx, 0);
    cm->void_type = LLVMVoidTypeInContext(ctx);
    cm->target = target;
}

/* Disposes the builder (the module and context belong to the caller). */
void cg_module_free(CgModule *cm)
{
    if (cm->b)
        LLVMDisposeBuilder(cm->b);
    cm->b = NULL;
}

/* i1, i32, i64, float or double. */
LLVMTypeRef cg_value_type(const CgModule *cm, DType dtype)
{
    switch (dtype) {
    case DT_BOOL:
        return cm->i1;
    case DT_I32:
        return cm->i32;
    case DT_I64:
        return cm->i64;
    case DT_F32:
        return cm->f32;
    case DT_F64:
        return cm->f64;
    default:
        DIE("no LLVM type for dtype %s", type_dtype_name(dtype));
    }
}

/* As cg_value_type, but bool is i8 in memory. */
LLVMTypeRef cg_memory_type(const CgModule *cm, DType dtype)
{
    return dtype == DT_BOOL ? cm->i8 : cg_value_type(cm, dtype);
}

/* A call of the intrinsic `name` overloaded on `type`. */
LLVMValueRef cg_call_intrinsic(CgModule *cm, const char *name, LLVMTypeRef type, LLVMValueRef *args,
                               unsigned nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    if (id == 0)
        DIE("LLVM has no intrinsic %s", name);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cm->mod, id, &type, 1);
    LLVMTypeRef fn_type = LLVMIntrinsicGetType(cm->ctx, id, &type, 1);
    return LLVMBuildCall2(cm->b, fn_type, fn, args, nargs, "");
}

/* ---- IR value -> its LLVM value at the current element ---- */

typedef struct {
    const IrValue **keys;
    LLVMValueRef *values;
    size_t cap; /* a power of two, at least twice the number of keys */
} ValueMap;

/* The slot of v: where it is, or the empty slot it would take (linear probing). */
static size_t value_slot(const ValueMap *m, const IrValue *v)
{
    uint64_t h = (uint64_t)(uintptr_t)v;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    size_t i = (size_t)h & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != v)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* An empty map with room for nvalues keys. */
static void value_map_init(ValueMap *m, int nvalues)
{
    m->cap = 16;
    while (m->cap < 2 * (size_t)nvalues)
        m->cap *= 2;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->values = calloc(m->cap, sizeof *m->values);
    if (!m->keys || !m->values)
        DIE("out of memory");
}

/* Binds (or rebinds) v. */
static void value_map_put(ValueMap *m, const IrValue *v, LLVMValueRef value)
{
    size_t i = value_slot(m, v);
    m->keys[i] = v;
    m->values[i] = value;
}

/* The value bound to v (group.c made sure that every operand is bound before use). */
static LLVMValueRef value_map_get(const ValueMap *m, const IrValue *v)
{
    size_t i = value_slot(m, v);
    if (!m->keys[i])
        DIE("a value of the fused group has no LLVM value");
    return m->values[i];
}

/* ---- the emitter ---- */

/* A result written by a reduction. */
typedef struct {
    IrOpcode opcode; /* t.sum, t.mean, t.max, t.min */
    DType dtype;
    const IrValue *operand;
    LLVMTypeRef acc_type; /* double for float sums and means (not COLS), else the dtype's */
    LLVMValueRef slot;    /* the accumulator (REDUCE_ALL, REDUCE_ROWS) */
} Accumulator;

typedef struct {
    CgModule *cm;
    const CgGroup *g;
    const IrOp *op;
    const IrRegion *body;
    LLVMValueRef fn;
    LLVMValueRef outer, inner; /* the bounds of the nest (flat: 1 and outer * inner) */
    LLVMValueRef count;        /* outer * inner: the elements of the space */
    LLVMValueRef col_count;    /* the rows a column reduction sums (outer) */
    LLVMValueRef *result_ptr;  /* per result */
    LLVMValueRef *operand_ptr; /* per operand: tensors */
    LLVMValueRef *scalar;      /* per operand: scalars */
    Accumulator *acc;          /* per result: reductions */
    ValueMap values;
} Emitter;

/* A counted loop for (index = 0; index < count; index++), open between loop_open and
 * loop_close; the builder is in its body in between and after its exit afterwards. */
typedef struct {
    LLVMBasicBlockRef header, exit;
    LLVMValueRef index;
} CountedLoop;

/* Starts a counted loop: header with the index phi and the test, then the body. */
static void loop_open(Emitter *e, LLVMValueRef count, const char *name, CountedLoop *l)
{
    CgModule *cm = e->cm;
    char label[64];
    LLVMBasicBlockRef preheader = LLVMGetInsertBlock(cm->b);
    snprintf(label, sizeof label, "%s.header", name);
    l->header = LLVMAppendBasicBlockInContext(cm->ctx, e->fn, label);
    snprintf(label, sizeof label, "%s.body", name);
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(cm->ctx, e->fn, label);
    snprintf(label, sizeof label, "%s.exit", name);
    l->exit = LLVMAppendBasicBlockInContext(cm->ctx, e->fn, label);
    LLVMBuildBr(cm->b, l->header);
    LLVMPositionBuilderAtEnd(cm->b, l->header);
    l->index = LLVMBuildPhi(cm->b, cm->i64, name);
    LLVMValueRef zero = LLVMConstInt(cm->i64, 0, false);
    LLVMAddIncoming(l->index, &zero, &preheader, 1);
    LLVMValueRef more = LLVMBuildICmp(cm->b, LLVMIntSLT, l->index, count, "");
    LLVMBuildCondBr(cm->b, more, body, l->exit);
    LLVMPositionBuilderAtEnd(cm->b, body);
}

/* Ends a counted loop: the increment and the back edge; the builder moves to the exit. */
static void loop_close(Emitter *e, CountedLoop *l)
{
    CgModule *cm = e->cm;
    LLVMValueRef next = LLVMBuildNUWAdd(cm->b, l->index, LLVMConstInt(cm->i64, 1, false), "next");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(cm->b);
    LLVMBuildBr(cm->b, l->header);
    LLVMAddIncoming(l->index, &next, &latch, 1);
    LLVMPositionBuilderAtEnd(cm->b, l->exit);
}

/* &base[index] for elements of dtype. */
static LLVMValueRef element_ptr(Emitter *e, DType dtype, LLVMValueRef base, LLVMValueRef index)
{
    return LLVMBuildInBoundsGEP2(e->cm->b, cg_memory_type(e->cm, dtype), base, &index, 1, "");
}

/* base[index] as a value (bool: i8 != 0). */
static LLVMValueRef load_element(Emitter *e, DType dtype, LLVMValueRef base, LLVMValueRef index)
{
    CgModule *cm = e->cm;
    LLVMValueRef v =
        LLVMBuildLoad2(cm->b, cg_memory_type(cm, dtype), element_ptr(e, dtype, base, index), "");
    if (dtype == DT_BOOL)
        v = LLVMBuildICmp(cm->b, LLVMIntNE, v, LLVMConstInt(cm->i8, 0, false), "");
    return v;
}

/* base[index] = v (bool: as i8 0 or 1). */
static void store_element(Emitter *e, DType dtype, LLVMValueRef base, LLVMValueRef index,
                          LLVMValueRef v)
{
    CgModule *cm = e->cm;
    if (dtype == DT_BOOL)
        v = LLVMBuildZExt(cm->b, v, cm->i8, "");
    LLVMBuildStore(cm->b, v, element_ptr(e, dtype, base, index));
}

/* ---- reductions ---- */

/* The value a reduction starts from: +0 for sums (the C reference's start, so that an empty sum
 * is +0), -inf / +inf or the integer extremes for max / min. */
static LLVMValueRef identity(const Accumulator *a, LLVMTypeRef type)
{
    bool fp = type_is_float(a->dtype);
    bool wide = a->dtype == DT_I64;
    switch (a->opcode) {
    case IR_OP_SUM:
    case IR_OP_MEAN:
        return fp ? LLVMConstReal(type, 0.0) : LLVMConstInt(type, 0, false);
    case IR_OP_MAX:
        return fp ? LLVMConstReal(type, -INFINITY)
                  : LLVMConstInt(type, (unsigned long long)(wide ? INT64_MIN : INT32_MIN), true);
    case IR_OP_MIN:
        return fp ? LLVMConstReal(type, INFINITY)
                  : LLVMConstInt(type, (unsigned long long)(wide ? INT64_MAX : INT32_MAX), true);
    default:
        UNREACHABLE();
    }
}

/* acc (op) v for REDUCE_ALL / REDUCE_ROWS: reassociable adds, nan-propagating max / min. */
static LLVMValueRef accumulate(Emitter *e, const Accumulator *a, LLVMValueRef acc, LLVMValueRef v)
{
    CgModule *cm = e->cm;
    bool fp = type_is_float(a->dtype);
    LLVMValueRef args[] = {acc, v};
    switch (a->opcode) {
    case IR_OP_SUM:
    case IR_OP_MEAN:
        if (!fp)
            return LLVMBuildAdd(cm->b, acc, v, "acc");
        if (a->acc_type != LLVMTypeOf(v))
            args[1] = LLVMBuildFPExt(cm->b, v, a->acc_type, "");
        LLVMValueRef sum = LLVMBuildFAdd(cm->b, acc, args[1], "acc");
        LLVMSetFastMathFlags(sum, LLVMFastMathAllowReassoc);
        return sum;
    case IR_OP_MAX:
        return cg_call_intrinsic(cm, fp ? "llvm.maximum" : "llvm.smax", a->acc_type, args, 2);
    case IR_OP_MIN:
        return cg_call_intrinsic(cm, fp ? "llvm.minimum" : "llvm.smin", a->acc_type, args, 2);
    default:
        UNREACHABLE();
    }
}

/* The result of a REDUCE_ALL / REDUCE_ROWS accumulator over n elements, in the result dtype. */
static LLVMValueRef reduction_result(Emitter *e, const Accumulator *a, LLVMValueRef acc,
                                     LLVMValueRef n)
{
    CgModule *cm = e->cm;
    LLVMTypeRef type = cg_value_type(cm, a->dtype);
    if (a->opcode == IR_OP_MEAN)
        acc = LLVMBuildFDiv(cm->b, acc, LLVMBuildSIToFP(cm->b, n, a->acc_type, ""), "mean");
    return a->acc_type == type ? acc : LLVMBuildFPTrunc(cm->b, acc, type, "");
}

/* Allocates the accumulators of REDUCE_ALL / REDUCE_ROWS results (in the entry block, where
 * SROA turns them into loop-carried values) and describes every reduction. */
static void setup_accumulators(Emitter *e)
{
    CgModule *cm = e->cm;
    const IrOp *yield = e->body->last;
    for (int r = 0; r < e->op->nresults; r++) {
        if (e->g->out[r] == JIT_OUT_FULL)
            continue;
        Accumulator *a = &e->acc[r];
        const IrOp *red = yield->operands[r]->def;
        a->opcode = red->opcode;
        a->dtype = red->results[0]->type.dtype;
        a->operand = red->operands[0];
        a->acc_type = cg_value_type(cm, a->dtype);
        bool float_sum = a->opcode == IR_OP_SUM || a->opcode == IR_OP_MEAN;
        if (type_is_float(a->dtype) && float_sum && e->g->out[r] != JIT_OUT_REDUCE_COLS)
            a->acc_type = cm->f64;
        if (e->g->out[r] != JIT_OUT_REDUCE_COLS)
            a->slot = LLVMBuildAlloca(cm->b, a->acc_type, "acc");
    }
}

/* Sets the accumulators of kind to their identity (before the nest, or before each row). */
static void reset_accumulators(Emitter *e, JitOutKind kind)
{
    for (int r = 0; r < e->op->nresults; r++)
        if (e->g->out[r] == kind)
            LLVMBuildStore(e->cm->b, identity(&e->acc[r], e->acc[r].acc_type), e->acc[r].slot);
}

/* Fills each REDUCE_COLS result with its identity. */
static void init_column_results(Emitter *e)
{
    for (int r = 0; r < e->op->nresults; r++) {
        if (e->g->out[r] != JIT_OUT_REDUCE_COLS)
            continue;
        Accumulator *a = &e->acc[r];
        CountedLoop l;
        loop_open(e, e->inner, "init", &l);
        store_element(e, a->dtype, e->result_ptr[r], l.index, identity(a, a->acc_type));
        loop_close(e, &l);
    }
}

/* Divides each REDUCE_COLS mean by the number of rows. */
static void finish_column_means(Emitter *e)
{
    CgModule *cm = e->cm;
    for (int r = 0; r < e->op->nresults; r++) {
        Accumulator *a = &e->acc[r];
        if (e->g->out[r] != JIT_OUT_REDUCE_COLS || a->opcode != IR_OP_MEAN)
            continue;
        LLVMValueRef rows = LLVMBuildSIToFP(cm->b, e->col_count, a->acc_type, "rows");
        CountedLoop l;
        loop_open(e, e->inner, "mean", &l);
        LLVMValueRef sum = load_element(e, a->dtype, e->result_ptr[r], l.index);
        store_element(e, a->dtype, e->result_ptr[r], l.index,
                      LLVMBuildFDiv(cm->b, sum, rows, "mean"));
        loop_close(e, &l);
    }
}

/* ---- the element ---- */

/* Binds the block arguments read per element (FULL at i * inner + j, ROW at j). */
static void load_element_operands(Emitter *e, LLVMValueRef flat_index, LLVMValueRef j)
{
    for (int k = 0; k < e->op->noperands; k++) {
        JitInKind kind = e->g->in[k];
        if (kind != JIT_IN_FULL && kind != JIT_IN_ROW)
            continue;
        const IrValue *arg = e->body->args[k];
        LLVMValueRef at = kind == JIT_IN_FULL ? flat_index : j;
        value_map_put(&e->values, arg, load_element(e, arg->type.dtype, e->operand_ptr[k], at));
    }
}

/* Emits the body's ops at one element and writes or accumulates every result there. */
static void emit_element(Emitter *e, LLVMValueRef flat_index, LLVMValueRef j)
{
    CgModule *cm = e->cm;
    load_element_operands(e, flat_index, j);
    LLVMValueRef args[3];
    for (const IrOp *o = e->body->first; o->opcode != IR_OP_YIELD; o = o->next) {
        if (cg_is_reduction(o->opcode))
            continue; /* accumulated below, from its operand */
        for (int i = 0; i < o->noperands; i++)
            args[i] = value_map_get(&e->values, o->operands[i]);
        value_map_put(&e->values, o->results[0], cg_emit_elementwise(cm, o, args));
    }
    const IrOp *yield = e->body->last;
    for (int r = 0; r < e->op->nresults; r++) {
        Accumulator *a = &e->acc[r];
        switch (e->g->out[r]) {
        case JIT_OUT_FULL: {
            const IrValue *v = yield->operands[r];
            store_element(e, v->type.dtype, e->result_ptr[r], flat_index,
                          value_map_get(&e->values, v));
            break;
        }
        case JIT_OUT_REDUCE_ALL:
        case JIT_OUT_REDUCE_ROWS: {
            LLVMValueRef acc = LLVMBuildLoad2(cm->b, a->acc_type, a->slot, "");
            LLVMValueRef v = value_map_get(&e->values, a->operand);
            LLVMBuildStore(cm->b, accumulate(e, a, acc, v), a->slot);
            break;
        }
        case JIT_OUT_REDUCE_COLS: {
            LLVMValueRef old = load_element(e, a->dtype, e->result_ptr[r], j);
            LLVMValueRef v = value_map_get(&e->values, a->operand);
            LLVMValueRef next;
            if (a->opcode == IR_OP_MAX)
                next = cg_emit_maximum(cm, a->dtype, old, v);
            else if (a->opcode == IR_OP_MIN)
                next = cg_emit_minimum(cm, a->dtype, old, v);
            else if (type_is_float(a->dtype))
                next = LLVMBuildFAdd(cm->b, old, v, "");
            else
                next = LLVMBuildAdd(cm->b, old, v, "");
            store_element(e, a->dtype, e->result_ptr[r], j, next);
            break;
        }
        }
    }
}

/* ---- the functions ---- */

/* Adds the enum attribute `name` to fn at index (function, return or parameter + 1). */
static void add_attribute(CgModule *cm, LLVMValueRef fn, unsigned index, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    if (kind == 0)
        DIE("LLVM has no attribute %s", name);
    LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(cm->ctx, kind, 0));
}

/* nounwind, and "prefer-vector-width"="512" where the CPU has AVX-512 (LLVM picks 256 else). */
static void add_function_attributes(CgModule *cm, LLVMValueRef fn)
{
    add_attribute(cm, fn, LLVMAttributeFunctionIndex, "nounwind");
    if (cm->target->avx512) {
        static const char key[] = "prefer-vector-width", value[] = "512";
        LLVMAddAttributeAtIndex(
            fn, LLVMAttributeFunctionIndex,
            LLVMCreateStringAttribute(cm->ctx, key, sizeof key - 1, value, sizeof value - 1));
    }
}

/* Declares NAME.body: (outer, inner, result pointers, tensor operand pointers, scalars). */
static LLVMValueRef declare_body(Emitter *e, const char *name)
{
    CgModule *cm = e->cm;
    const IrOp *op = e->op;
    int nparams = 2 + op->nresults + op->noperands;
    LLVMTypeRef *params = calloc((size_t)nparams, sizeof *params);
    if (!params)
        DIE("out of memory");
    int n = 0;
    params[n++] = cm->i64;
    params[n++] = cm->i64;
    for (int r = 0; r < op->nresults; r++)
        params[n++] = cm->ptr;
    for (int k = 0; k < op->noperands; k++)
        if (e->g->in[k] != JIT_IN_SCALAR)
            params[n++] = cm->ptr;
    for (int k = 0; k < op->noperands; k++)
        if (e->g->in[k] == JIT_IN_SCALAR)
            params[n++] = cg_value_type(cm, op->operands[k]->type.dtype);
    char body_name[256];
    snprintf(body_name, sizeof body_name, "%s.body", name);
    LLVMValueRef fn = LLVMAddFunction(cm->mod, body_name,
                                      LLVMFunctionType(cm->void_type, params, (unsigned)n, 0));
    free(params);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    add_function_attributes(cm, fn);
    add_attribute(cm, fn, LLVMAttributeFunctionIndex, "alwaysinline");
    /* parameter attributes: index p + 1 is parameter p */
    for (int r = 0; r < op->nresults; r++) {
        unsigned index = (unsigned)(2 + r + 1);
        add_attribute(cm, fn, index, "noalias");
        add_attribute(cm, fn, index, "nocapture");
        if (e->g->out[r] != JIT_OUT_REDUCE_COLS)
            add_attribute(cm, fn, index, "writeonly");
    }
    for (int p = 2 + op->nresults; p < n; p++) {
        if (LLVMTypeOf(LLVMGetParam(fn, (unsigned)p)) != cm->ptr)
            continue;
        add_attribute(cm, fn, (unsigned)p + 1, "noalias");
        add_attribute(cm, fn, (unsigned)p + 1, "nocapture");
        add_attribute(cm, fn, (unsigned)p + 1, "readonly");
    }
    return fn;
}

/* Names the parameters of NAME.body and binds them to results, operands and scalars. */
static void bind_parameters(Emitter *e)
{
    const IrOp *op = e->op;
    unsigned p = 0;
    LLVMValueRef outer = LLVMGetParam(e->fn, p++), inner = LLVMGetParam(e->fn, p++);
    LLVMSetValueName2(outer, "outer", 5);
    LLVMSetValueName2(inner, "inner", 5);
    char name[32];
    for (int r = 0; r < op->nresults; r++) {
        e->result_ptr[r] = LLVMGetParam(e->fn, p++);
        snprintf(name, sizeof name, "out%d", r);
        LLVMSetValueName2(e->result_ptr[r], name, strlen(name));
    }
    for (int k = 0; k < op->noperands; k++) {
        if (e->g->in[k] == JIT_IN_SCALAR)
            continue;
        e->operand_ptr[k] = LLVMGetParam(e->fn, p++);
        snprintf(name, sizeof name, "in%d", k);
        LLVMSetValueName2(e->operand_ptr[k], name, strlen(name));
    }
    for (int k = 0; k < op->noperands; k++) {
        if (e->g->in[k] != JIT_IN_SCALAR)
            continue;
        e->scalar[k] = LLVMGetParam(e->fn, p++);
        snprintf(name, sizeof name, "s%d", k);
        LLVMSetValueName2(e->scalar[k], name, strlen(name));
        value_map_put(&e->values, e->body->args[k], e->scalar[k]);
    }
    CgModule *cm = e->cm;
    e->count = LLVMBuildMul(cm->b, outer, inner, "count");
    e->col_count = outer;
    e->outer = e->g->flat ? LLVMConstInt(cm->i64, 1, false) : outer;
    e->inner = e->g->flat ? e->count : inner;
}

/* The body of NAME.body: accumulators, the loop nest, the reductions' results. */
static void emit_nest(Emitter *e)
{
    CgModule *cm = e->cm;
    LLVMPositionBuilderAtEnd(cm->b, LLVMAppendBasicBlockInContext(cm->ctx, e->fn, "entry"));
    bind_parameters(e);
    setup_accumulators(e);
    reset_accumulators(e, JIT_OUT_REDUCE_ALL);
    init_column_results(e);

    CountedLoop rows, cols;
    loop_open(e, e->outer, "i", &rows);
    LLVMValueRef row_start = LLVMBuildNSWMul(cm->b, rows.index, e->inner, "row");
    for (int k = 0; k < e->op->noperands; k++) {
        if (e->g->in[k] != JIT_IN_COL)
            continue;
        const IrValue *arg = e->body->args[k];
        LLVMValueRef v = load_element(e, arg->type.dtype, e->operand_ptr[k], rows.index);
        value_map_put(&e->values, arg, v);
    }
    reset_accumulators(e, JIT_OUT_REDUCE_ROWS);
    loop_open(e, e->inner, "j", &cols);
    emit_element(e, LLVMBuildNSWAdd(cm->b, row_start, cols.index, "k"), cols.index);
    loop_close(e, &cols);
    for (int r = 0; r < e->op->nresults; r++) {
        if (e->g->out[r] != JIT_OUT_REDUCE_ROWS)
            continue;
        Accumulator *a = &e->acc[r];
        LLVMValueRef acc = LLVMBuildLoad2(cm->b, a->acc_type, a->slot, "");
        store_element(e, a->dtype, e->result_ptr[r], rows.index,
                      reduction_result(e, a, acc, e->inner));
    }
    loop_close(e, &rows);

    for (int r = 0; r < e->op->nresults; r++) {
        if (e->g->out[r] != JIT_OUT_REDUCE_ALL)
            continue;
        Accumulator *a = &e->acc[r];
        LLVMValueRef acc = LLVMBuildLoad2(cm->b, a->acc_type, a->slot, "");
        store_element(e, a->dtype, e->result_ptr[r], LLVMConstInt(cm->i64, 0, false),
                      reduction_result(e, a, acc, e->count));
    }
    finish_column_means(e);
    LLVMBuildRetVoid(cm->b);
}

/* NAME: loads the pointers and scalar slots of the calling convention and calls NAME.body. */
static void emit_wrapper(Emitter *e, const char *name, LLVMValueRef body)
{
    CgModule *cm = e->cm;
    const IrOp *op = e->op;
    LLVMTypeRef params[] = {cm->i64, cm->i64, cm->ptr, cm->ptr};
    LLVMValueRef fn = LLVMAddFunction(cm->mod, name, LLVMFunctionType(cm->void_type, params, 4, 0));
    add_function_attributes(cm, fn);
    for (unsigned p = 3; p <= 4; p++) {
        add_attribute(cm, fn, p, "nocapture");
        add_attribute(cm, fn, p, "readonly");
    }
    LLVMPositionBuilderAtEnd(cm->b, LLVMAppendBasicBlockInContext(cm->ctx, fn, "entry"));
    LLVMSetValueName2(LLVMGetParam(fn, 0), "outer", 5);
    LLVMSetValueName2(LLVMGetParam(fn, 1), "inner", 5);
    LLVMValueRef bufs = LLVMGetParam(fn, 2), scalars = LLVMGetParam(fn, 3);
    LLVMSetValueName2(bufs, "bufs", 4);
    LLVMSetValueName2(scalars, "scalars", 7);
    int nargs = 2 + op->nresults + op->noperands;
    LLVMValueRef *args = calloc((size_t)nargs, sizeof *args);
    if (!args)
        DIE("out of memory");
    int n = 0, nbufs = 0, nscalars = 0;
    args[n++] = LLVMGetParam(fn, 0);
    args[n++] = LLVMGetParam(fn, 1);
    for (int r = 0; r < op->nresults; r++) {
        LLVMValueRef at = LLVMConstInt(cm->i64, (unsigned long long)nbufs++, false);
        LLVMValueRef slot = LLVMBuildInBoundsGEP2(cm->b, cm->ptr, bufs, &at, 1, "");
        args[n++] = LLVMBuildLoad2(cm->b, cm->ptr, slot, "");
    }
    for (int k = 0; k < op->noperands; k++) {
        if (e->g->in[k] == JIT_IN_SCALAR)
            continue;
        LLVMValueRef at = LLVMConstInt(cm->i64, (unsigned long long)nbufs++, false);
        LLVMValueRef slot = LLVMBuildInBoundsGEP2(cm->b, cm->ptr, bufs, &at, 1, "");
        args[n++] = LLVMBuildLoad2(cm->b, cm->ptr, slot, "");
    }
    for (int k = 0; k < op->noperands; k++) {
        if (e->g->in[k] != JIT_IN_SCALAR)
            continue;
        LLVMValueRef at = LLVMConstInt(cm->i64, (unsigned long long)nscalars++, false);
        LLVMValueRef slot = LLVMBuildInBoundsGEP2(cm->b, cm->i64, scalars, &at, 1, "");
        LLVMValueRef bits = LLVMBuildLoad2(cm->b, cm->i64, slot, "");
        DType t = op->operands[k]->type.dtype;
        LLVMValueRef v;
        if (type_is_float(t)) {
            v = LLVMBuildBitCast(cm->b, bits, cm->f64, "");
            if (t == DT_F32)
                v = LLVMBuildFPTrunc(cm->b, v, cm->f32, "");
        } else if (t == DT_BOOL) {
            v = LLVMBuildICmp(cm->b, LLVMIntNE, bits, LLVMConstInt(cm->i64, 0, false), "");
        } else {
            v = t == DT_I32 ? LLVMBuildTrunc(cm->b, bits, cm->i32, "") : bits;
        }
        args[n++] = v;
    }
    LLVMBuildCall2(cm->b, LLVMGlobalGetValueType(body), body, args, (unsigned)n, "");
    LLVMBuildRetVoid(cm->b);
    free(args);
}

/* The number of values the body defines (for the value map's size). */
static int count_values(const IrRegion *body)
{
    int n = body->nargs;
    for (const IrOp *o = body->first; o; o = o->next)
        n += o->nresults;
    return n;
}

/* Emits NAME.body and NAME for an analysed group (see the file comment). */
void cg_emit_kernel(CgModule *cm, const CgGroup *g, const char *name)
{
    const IrOp *op = g->op;
    Emitter e = {.cm = cm, .g = g, .op = op, .body = op->regions[0]};
    size_t nres = (size_t)op->nresults + 1, nops = (size_t)op->noperands + 1;
    e.result_ptr = calloc(nres, sizeof *e.result_ptr);
    e.acc = calloc(nres, sizeof *e.acc);
    e.operand_ptr = calloc(nops, sizeof *e.operand_ptr);
    e.scalar = calloc(nops, sizeof *e.scalar);
    if (!e.result_ptr || !e.acc || !e.operand_ptr || !e.scalar)
        DIE("out of memory");
    value_map_init(&e.values, count_values(e.body));
    e.fn = declare_body(&e, name);
    emit_nest(&e);
    emit_wrapper(&e, name, e.fn);
    free(e.values.keys);
    free(e.values.values);
    free(e.result_ptr);
    free(e.acc);
    free(e.operand_ptr);
    free(e.scalar);
}
