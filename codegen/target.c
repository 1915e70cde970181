/* target.c: the machine kernels are compiled for: the host CPU with its features, or a CPU named
 * by --target-cpu with that CPU's default features.
 *
 * LLVM's C API cannot say whether it knows a CPU name: given an unknown one, LLVM prints "'x' is
 * not a recognized processor for this target (ignoring processor)" on stderr and compiles for a
 * generic CPU. So names are checked here against the x86-64 CPUs of LLVM 19 (the list that
 * `llc-19 -mtriple=x86_64-unknown-linux-gnu -mcpu=help` prints), and an unknown one is a clean
 * error with a suggestion. On another architecture the name goes to LLVM unchecked. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "codegen/cg.h"

#include "support/die.h"
#include "support/suggest.h"

#include <llvm-c/Target.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
static const char *const x86_cpus[] = {
    "alderlake", "amdfam10", "arrowlake", "arrowlake-s", "arrowlake_s", "athlon", "athlon-4",
    "athlon-fx", "athlon-mp", "athlon-tbird", "athlon-xp", "athlon64", "athlon64-sse3", "atom",
    "atom_sse4_2", "atom_sse4_2_movbe", "barcelona", "bdver1", "bdver2", "bdver3", "bdver4",
    "bonnell", "broadwell", "btver1", "btver2", "c3", "c3-2", "cannonlake", "cascadelake",
    "clearwaterforest", "cooperlake", "core-avx-i", "core-avx2", "core2", "core_2_duo_sse4_1",
    "core_2_duo_ssse3", "core_2nd_gen_avx", "core_3rd_gen_avx", "core_4th_gen_avx",
    "core_4th_gen_avx_tsx", "core_5th_gen_avx", "core_5th_gen_avx_tsx", "core_aes_pclmulqdq",
    "core_i7_sse4_2", "corei7", "corei7-avx", "emeraldrapids", "generic", "geode", "goldmont",
    "goldmont-plus", "goldmont_plus", "gracemont", "grandridge", "graniterapids",
    "graniterapids-d", "graniterapids_d", "haswell", "i386", "i486", "i586", "i686",
    "icelake-client", "icelake-server", "icelake_client", "icelake_server", "ivybridge", "k6",
    "k6-2", "k6-3", "k8", "k8-sse3", "knl", "knm", "lakemont", "lunarlake", "meteorlake",
    "mic_avx512", "nehalem", "nocona", "opteron", "opteron-sse3", "pantherlake", "penryn",
    "pentium", "pentium-m", "pentium-mmx", "pentium2", "pentium3", "pentium3m", "pentium4",
    "pentium4m", "pentium_4", "pentium_4_sse3", "pentium_ii", "pentium_iii",
    "pentium_iii_no_xmm_regs", "pentium_m", "pentium_mmx", "pentium_pro", "pentiumpro",
    "prescott", "raptorlake", "rocketlake", "sandybridge", "sapphirerapids", "sierraforest",
    "silvermont", "skx", "skylake", "skylake-avx512", "skylake_avx512", "slm", "tigerlake",
    "tremont", "westmere", "winchip-c6", "winchip2", "x86-64", "x86-64-v2", "x86-64-v3",
    "x86-64-v4", "yonah", "znver1", "znver2", "znver3", "znver4", "znver5",
};

/* Those of x86_cpus whose default features include AVX-512F (found by compiling a <16 x float>
 * add with llc-19 -mcpu=NAME and looking for zmm registers). */
static const char *const x86_avx512_cpus[] = {
    "cannonlake", "cascadelake", "cooperlake", "emeraldrapids", "graniterapids",
    "graniterapids-d", "graniterapids_d", "icelake-client", "icelake-server", "icelake_client",
    "icelake_server", "knl", "knm", "mic_avx512", "rocketlake", "sapphirerapids", "skx",
    "skylake-avx512", "skylake_avx512", "tigerlake", "x86-64-v4", "znver4", "znver5",
};
/* clang-format on */

enum {
    X86_CPU_COUNT = sizeof x86_cpus / sizeof x86_cpus[0],
    X86_AVX512_CPU_COUNT = sizeof x86_avx512_cpus / sizeof x86_avx512_cpus[0],
};

static pthread_once_t llvm_init_once = PTHREAD_ONCE_INIT;
static bool llvm_init_ok;

/* Registers the native target and its assembly printer with LLVM (once per process). */
static void init_llvm_native_target(void)
{
    llvm_init_ok = !LLVMInitializeNativeTarget() && !LLVMInitializeNativeAsmPrinter();
}

/* True when name is in list. */
static bool name_in(const char *name, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

/* True when a feature string ("+sse2,-avx512f,+avx2") enables feature. */
static bool feature_enabled(const char *features, const char *feature)
{
    size_t len = strlen(feature);
    for (const char *p = features; (p = strstr(p, feature)) != NULL; p += len) {
        bool starts = p > features && p[-1] == '+';
        bool ends = p[len] == ',' || p[len] == '\0';
        if (starts && ends)
            return true;
    }
    return false;
}

/* A malloc'd copy of an LLVM message, which is disposed. */
static char *take_llvm_message(char *message)
{
    char *copy = strdup(message ? message : "");
    LLVMDisposeMessage(message);
    if (!copy)
        DIE("out of memory");
    return copy;
}

/* Checks a --target-cpu name against LLVM 19's x86-64 CPUs. */
static bool check_cpu_name(const char *triple, const char *cpu, RtError *err)
{
    bool x86_64 = strncmp(triple, "x86_64", 6) == 0;
    if (!x86_64 || name_in(cpu, x86_cpus, X86_CPU_COUNT))
        return true;
    const char *close = suggest_closest(cpu, x86_cpus, X86_CPU_COUNT);
    if (close)
        return rt_errorf(err, "error: unknown target CPU '%s' (did you mean '%s'?)", cpu, close);
    return rt_errorf(err,
                     "error: unknown target CPU '%s' (x86-64 CPUs are e.g. 'x86-64-v2', "
                     "'x86-64-v3', 'skylake-avx512', 'znver4'; 'llc-19 -mcpu=help' lists them)",
                     cpu);
}

/* The target of options (see cg.h): opt level checked, CPU validated, AVX-512 looked up. */
bool cg_target_init(CgTarget *t, const JitOptions *options, RtError *err)
{
    memset(t, 0, sizeof *t);
    pthread_once(&llvm_init_once, init_llvm_native_target);
    if (!llvm_init_ok)
        return rt_errorf(err, "error: LLVM has no native target for this machine");
    int level = options ? options->opt_level : 0;
    if (level < 0 || level > 3)
        return rt_errorf(err, "error: optimisation level %d is not in 0..3", level);
    if (level == 0)
        level = 2; /* jit.h: the default (0) means 2 */
    t->passes_level = level;
    t->opt_level = level == 1 ? LLVMCodeGenLevelLess : LLVMCodeGenLevelAggressive;
    t->triple = LLVMGetDefaultTargetTriple();
    const char *named = options ? options->target_cpu : NULL;
    if (named && named[0]) {
        if (!check_cpu_name(t->triple, named, err)) {
            cg_target_free(t);
            return false;
        }
        t->cpu = strdup(named);
        t->features = strdup("");
        if (!t->cpu || !t->features)
            DIE("out of memory");
        t->avx512 = name_in(named, x86_avx512_cpus, X86_AVX512_CPU_COUNT);
    } else {
        t->cpu = take_llvm_message(LLVMGetHostCPUName());
        t->features = take_llvm_message(LLVMGetHostCPUFeatures());
        t->avx512 = feature_enabled(t->features, "avx512f");
    }
    return true;
}

/* Frees the strings of t. */
void cg_target_free(CgTarget *t)
{
    if (t->triple)
        LLVMDisposeMessage(t->triple);
    free(t->cpu);
    free(t->features);
    memset(t, 0, sizeof *t);
}

/* A target machine for t's triple, CPU and features, at t's codegen level. */
LLVMTargetMachineRef cg_target_machine(const CgTarget *t, RtError *err)
{
    LLVMTargetRef target;
    char *message = NULL;
    if (LLVMGetTargetFromTriple(t->triple, &target, &message)) {
        rt_errorf(err, "error: no LLVM target for '%s': %s", t->triple, message ? message : "");
        LLVMDisposeMessage(message);
        return NULL;
    }
    LLVMDisposeMessage(message);
    LLVMTargetMachineRef tm =
        LLVMCreateTargetMachine(target, t->triple, t->cpu, t->features, t->opt_level,
                                LLVMRelocDefault, LLVMCodeModelJITDefault);
    if (!tm)
        rt_errorf(err, "error: LLVM cannot make a target machine for '%s' (CPU '%s')", t->triple,
                  t->cpu);
    return tm;
}
