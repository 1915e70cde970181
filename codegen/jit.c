/* jit.c: the LLJIT session, the compile of a module's kernels, and jit_emit.
 *
 * jit_compile_module analyses every k.fused op of the module (group.c), emits a kernel for each
 * supported one (kernel.c) into ONE LLVM module, verifies it, optimises it with
 * "default<O2>" (or the level asked for) and the target machine (without which nothing
 * vectorises), hands it to LLJIT and looks every kernel up (the first lookup compiles the
 * module). Kernels are named "k<N>_dml_line_<L>": N numbers the k.fused ops of the session in
 * module order, L is the op's source line (plain "k<N>" without one).
 *
 * The JIT resolves the libm functions that LLVM may turn IR into (fmod for frem, pow, and floor,
 * ceil and roundeven on CPUs without SSE4.1) to this process's copies explicitly, so kernels link
 * whether or not the executable itself references libm; anything else (memset, memcpy) comes
 * from the process's dynamic symbol table. */
#define _POSIX_C_SOURCE 200809L           /* clock_gettime */
#define __STDC_WANT_IEC_60559_BFP_EXT__ 1 /* roundeven, roundevenf */
#include "codegen/cg.h"

#include "support/die.h"
#include "support/vec.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct Jit {
    CgTarget target;
    LLVMTargetMachineRef tm; /* for the optimisation pipeline (LLJIT holds its own) */
    LLVMOrcLLJITRef lljit;
    Arena arena; /* kernels' names and patterns */
    JitKernel *kernels;
    int nkernels, kernels_cap;
    /* fused op -> index in kernels, open addressing; capacity a power of two */
    const IrOp **index_keys;
    int *index_values;
    size_t index_cap;
    int next_number; /* numbers k.fused ops across the session's modules */
    double compile_ms;
};

/* CLOCK_MONOTONIC in milliseconds. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Puts an LLVM error's message into err (consuming the error). */
static bool llvm_error(RtError *err, LLVMErrorRef e, const char *what)
{
    char *message = LLVMGetErrorMessage(e);
    rt_errorf(err, "error: %s: %s", what, message);
    LLVMDisposeErrorMessage(message);
    return false;
}

/* ---- finding and analysing the fused ops ---- */

/* Appends every k.fused op of r and of its ops' regions, in module order. */
static void collect_fused(const IrRegion *r, PtrVec *out)
{
    for (const IrOp *o = r->first; o; o = o->next) {
        if (o->opcode == IR_OP_K_FUSED)
            vec_push(out, (void *)o);
        for (int i = 0; i < o->nregions; i++)
            collect_fused(o->regions[i], out);
    }
}

/* One kernel to emit: the analysed group and its symbol name. */
typedef struct {
    CgGroup group;
    const char *name;
} Planned;

/* Analyses every k.fused op of m; returns the supported ones (in the arena), named from
 * *next_number on (which counts every fused op, supported or not). */
static Planned *plan_kernels(const IrModule *m, Arena *arena, int *next_number, int *count)
{
    PtrVec ops = {0};
    collect_fused(m->body, &ops);
    Planned *planned = ARENA_ARRAY(arena, Planned, ops.len + 1);
    int n = 0;
    for (int i = 0; i < ops.len; i++) {
        const IrOp *op = ops.items[i];
        int number = (*next_number)++;
        if (!cg_group_analyse(op, arena, &planned[n].group))
            continue;
        if (op->loc.line > 0)
            planned[n].name = arena_printf(arena, "k%d_dml_line_%u", number, op->loc.line);
        else
            planned[n].name = arena_printf(arena, "k%d", number);
        n++;
    }
    vec_free(&ops);
    *count = n;
    return planned;
}

/* ---- building the LLVM module ---- */

/* Emits the planned kernels into a new module of ctx, verifies and optimises it. NULL with err
 * set when the verifier rejects it (a codegen bug) or the pipeline fails. */
static LLVMModuleRef build_module(const CgTarget *target, LLVMTargetMachineRef tm,
                                  LLVMContextRef ctx, const char *data_layout,
                                  const Planned *planned, int count, RtError *err)
{
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("dmlc_kernels", ctx);
    LLVMSetTarget(mod, target->triple);
    LLVMSetDataLayout(mod, data_layout);
    CgModule cm;
    cg_module_init(&cm, ctx, mod, target);
    for (int i = 0; i < count; i++)
        cg_emit_kernel(&cm, &planned[i].group, planned[i].name);
    cg_module_free(&cm);

    char *message = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &message)) {
        rt_errorf(err, "error: codegen made an invalid LLVM module (a bug): %s", message);
        LLVMDisposeMessage(message);
        LLVMDisposeModule(mod);
        return NULL;
    }
    LLVMDisposeMessage(message);
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", target->passes_level);
    LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, pipeline, tm, options);
    LLVMDisposePassBuilderOptions(options);
    if (e) {
        llvm_error(err, e, "LLVM's optimisation pipeline failed");
        LLVMDisposeModule(mod);
        return NULL;
    }
    return mod;
}

/* ---- the session ---- */

/* The libm functions LLVM may call from kernels. */
static const struct {
    const char *name;
    LLVMOrcExecutorAddress address;
} libm_symbols[] = {
    {"fmodf", (LLVMOrcExecutorAddress)(uintptr_t)fmodf},
    {"fmod", (LLVMOrcExecutorAddress)(uintptr_t)fmod},
    {"powf", (LLVMOrcExecutorAddress)(uintptr_t)powf},
    {"pow", (LLVMOrcExecutorAddress)(uintptr_t)pow},
    {"floorf", (LLVMOrcExecutorAddress)(uintptr_t)floorf},
    {"floor", (LLVMOrcExecutorAddress)(uintptr_t)floor},
    {"ceilf", (LLVMOrcExecutorAddress)(uintptr_t)ceilf},
    {"ceil", (LLVMOrcExecutorAddress)(uintptr_t)ceil},
    {"roundevenf", (LLVMOrcExecutorAddress)(uintptr_t)roundevenf},
    {"roundeven", (LLVMOrcExecutorAddress)(uintptr_t)roundeven},
};

/* Makes the libm functions and the process's symbols visible to kernels. */
static bool define_symbols(Jit *jit, RtError *err)
{
    LLVMOrcJITDylibRef dylib = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    enum { N = sizeof libm_symbols / sizeof libm_symbols[0] };
    LLVMOrcCSymbolMapPair pairs[N];
    for (int i = 0; i < N; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(jit->lljit, libm_symbols[i].name);
        pairs[i].Sym.Address = libm_symbols[i].address;
        pairs[i].Sym.Flags.GenericFlags =
            LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        pairs[i].Sym.Flags.TargetFlags = 0;
    }
    LLVMOrcMaterializationUnitRef unit = LLVMOrcAbsoluteSymbols(pairs, N);
    LLVMErrorRef e = LLVMOrcJITDylibDefine(dylib, unit);
    if (e) {
        LLVMOrcDisposeMaterializationUnit(unit);
        return llvm_error(err, e, "cannot define libm symbols for the JIT");
    }
    LLVMOrcDefinitionGeneratorRef generator;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
        &generator, LLVMOrcLLJITGetGlobalPrefix(jit->lljit), NULL, NULL);
    if (e)
        return llvm_error(err, e, "cannot search the process's symbols for the JIT");
    LLVMOrcJITDylibAddGenerator(dylib, generator);
    return true;
}

/* Creates the LLJIT instance for the target (it takes a target machine of its own). */
static bool create_lljit(Jit *jit, RtError *err)
{
    LLVMTargetMachineRef tm = cg_target_machine(&jit->target, err);
    if (!tm)
        return false;
    LLVMOrcJITTargetMachineBuilderRef machine_builder =
        LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm);
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, machine_builder);
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit->lljit, builder); /* consumes the builder */
    if (e) {
        jit->lljit = NULL;
        return llvm_error(err, e, "cannot create the LLVM JIT");
    }
    return define_symbols(jit, err);
}

/* A session: the target (validated), a target machine for the optimiser, and LLJIT. */
Jit *jit_new(const JitOptions *options, RtError *err)
{
    Jit *jit = calloc(1, sizeof *jit);
    if (!jit) {
        rt_errorf(err, "error: out of memory");
        return NULL;
    }
    arena_init(&jit->arena);
    if (!cg_target_init(&jit->target, options, err) ||
        !(jit->tm = cg_target_machine(&jit->target, err)) || !create_lljit(jit, err)) {
        jit_free(jit);
        return NULL;
    }
    return jit;
}

/* Disposes LLJIT (and every kernel with it), the target machine and the tables. */
void jit_free(Jit *jit)
{
    if (!jit)
        return;
    if (jit->lljit) {
        LLVMErrorRef e = LLVMOrcDisposeLLJIT(jit->lljit);
        if (e)
            LLVMConsumeError(e);
    }
    if (jit->tm)
        LLVMDisposeTargetMachine(jit->tm);
    cg_target_free(&jit->target);
    arena_free(&jit->arena);
    free(jit->kernels);
    free(jit->index_keys);
    free(jit->index_values);
    free(jit);
}

/* ---- the kernel table ---- */

/* The slot of op in the open-addressing index: where it is, or the empty slot it would take. */
static size_t index_slot(const IrOp **keys, size_t cap, const IrOp *op)
{
    uint64_t h = (uint64_t)(uintptr_t)op;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    size_t i = (size_t)h & (cap - 1);
    while (keys[i] && keys[i] != op)
        i = (i + 1) & (cap - 1);
    return i;
}

/* Rebuilds the op -> kernel index for at least `need` kernels. */
static void grow_index(Jit *jit, int need)
{
    if ((size_t)need * 2 <= jit->index_cap)
        return;
    size_t cap = jit->index_cap ? jit->index_cap : 16;
    while ((size_t)need * 2 > cap)
        cap *= 2;
    free(jit->index_keys);
    free(jit->index_values);
    jit->index_keys = calloc(cap, sizeof *jit->index_keys);
    jit->index_values = calloc(cap, sizeof *jit->index_values);
    if (!jit->index_keys || !jit->index_values)
        DIE("out of memory");
    jit->index_cap = cap;
    for (int i = 0; i < jit->nkernels; i++) {
        size_t s = index_slot(jit->index_keys, cap, jit->kernels[i].op);
        jit->index_keys[s] = jit->kernels[i].op;
        jit->index_values[s] = i;
    }
}

/* Records a compiled kernel and indexes it by its k.fused op. */
static void add_kernel(Jit *jit, const CgGroup *g, const char *name, JitKernelFn fn)
{
    if (jit->nkernels == jit->kernels_cap) {
        jit->kernels_cap = jit->kernels_cap ? 2 * jit->kernels_cap : 16;
        jit->kernels = realloc(jit->kernels, (size_t)jit->kernels_cap * sizeof *jit->kernels);
        if (!jit->kernels)
            DIE("out of memory");
    }
    jit->kernels[jit->nkernels++] = (JitKernel){
        .op = g->op,
        .fn = fn,
        .name = name,
        .rank = g->rank,
        .nin = g->op->noperands,
        .nout = g->op->nresults,
        .in = g->in,
        .out = g->out,
    };
    grow_index(jit, jit->nkernels);
    size_t s = index_slot(jit->index_keys, jit->index_cap, g->op);
    jit->index_keys[s] = g->op;
    jit->index_values[s] = jit->nkernels - 1;
}

/* The kernel compiled for a k.fused op, or NULL. */
const JitKernel *jit_kernel(const Jit *jit, const IrOp *fused)
{
    if (!jit || jit->index_cap == 0)
        return NULL;
    size_t s = index_slot(jit->index_keys, jit->index_cap, fused);
    return jit->index_keys[s] ? &jit->kernels[jit->index_values[s]] : NULL;
}

/* Time spent in jit_compile_module so far (analysis, emission, optimisation, codegen). */
double jit_compile_ms(const Jit *jit)
{
    return jit ? jit->compile_ms : 0;
}

/* Kernels compiled so far. */
int jit_kernel_count(const Jit *jit)
{
    return jit ? jit->nkernels : 0;
}

/* ---- compiling ---- */

/* Hands the optimised module to LLJIT and looks every kernel up (compiling the module). */
static bool load_module(Jit *jit, LLVMModuleRef mod, LLVMOrcThreadSafeContextRef tsc,
                        const Planned *planned, int count, RtError *err)
{
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMOrcJITDylibRef dylib = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModule(jit->lljit, dylib, tsm); /* takes tsm */
    if (e)
        return llvm_error(err, e, "LLVM JIT rejected the kernels' module");
    for (int i = 0; i < count; i++) {
        LLVMOrcExecutorAddress address = 0;
        e = LLVMOrcLLJITLookup(jit->lljit, &address, planned[i].name);
        if (e)
            return llvm_error(err, e, "LLVM JIT could not compile the kernels");
        JitKernelFn fn;
        uintptr_t raw = (uintptr_t)address;
        memcpy(&fn, &raw, sizeof fn);
        add_kernel(jit, &planned[i].group, planned[i].name, fn);
    }
    return true;
}

/* Compiles every supported k.fused op of m in one LLVM module (see the file comment). */
bool jit_compile_module(Jit *jit, const IrModule *m, RtError *err)
{
    double start = now_ms();
    int count;
    Planned *planned = plan_kernels(m, &jit->arena, &jit->next_number, &count);
    if (count == 0)
        return true;
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    LLVMModuleRef mod = build_module(&jit->target, jit->tm, ctx,
                                     LLVMOrcLLJITGetDataLayoutStr(jit->lljit), planned, count, err);
    bool ok = mod && load_module(jit, mod, tsc, planned, count, err);
    LLVMOrcDisposeThreadSafeContext(tsc); /* reference counted: the module keeps its context */
    jit->compile_ms += now_ms() - start;
    return ok;
}

/* ---- dump-ir --emit=llvm|asm ---- */

/* Appends the assembly of mod (emitted from a clone: emission changes the module). */
static bool emit_assembly(LLVMTargetMachineRef tm, LLVMModuleRef mod, Buf *out, RtError *err)
{
    LLVMModuleRef clone = LLVMCloneModule(mod);
    char *message = NULL;
    LLVMMemoryBufferRef asm_text = NULL;
    bool failed =
        LLVMTargetMachineEmitToMemoryBuffer(tm, clone, LLVMAssemblyFile, &message, &asm_text);
    LLVMDisposeModule(clone);
    if (failed) {
        rt_errorf(err, "error: LLVM cannot emit assembly: %s", message ? message : "");
        LLVMDisposeMessage(message);
        return false;
    }
    LLVMDisposeMessage(message);
    buf_append(out, LLVMGetBufferStart(asm_text), LLVMGetBufferSize(asm_text));
    LLVMDisposeMemoryBuffer(asm_text);
    return true;
}

/* The optimised LLVM IR or the assembly of m's kernels, without a JIT session. */
bool jit_emit(const IrModule *m, const JitOptions *options, JitEmitKind kind, Buf *out,
              RtError *err)
{
    CgTarget target;
    if (!cg_target_init(&target, options, err))
        return false;
    LLVMTargetMachineRef tm = cg_target_machine(&target, err);
    if (!tm) {
        cg_target_free(&target);
        return false;
    }
    Arena arena;
    arena_init(&arena);
    int next_number = 0, count;
    Planned *planned = plan_kernels(m, &arena, &next_number, &count);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    char *data_layout = LLVMCopyStringRepOfTargetData(layout);
    LLVMDisposeTargetData(layout);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = build_module(&target, tm, ctx, data_layout, planned, count, err);
    bool ok = mod != NULL;
    if (ok && kind == JIT_EMIT_ASM) {
        ok = emit_assembly(tm, mod, out, err);
    } else if (ok) {
        char *text = LLVMPrintModuleToString(mod);
        buf_puts(out, text);
        LLVMDisposeMessage(text);
    }
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeMessage(data_layout);
    LLVMDisposeTargetMachine(tm);
    arena_free(&arena);
    cg_target_free(&target);
    return ok;
}
