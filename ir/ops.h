/* ops.h: the one table of IR ops; every list of ops in the compiler is generated from it.
 *
 * OP(ENUM, "dialect.name", OPERANDS, RESULTS, REGIONS, FLAGS, "ATTRIBUTES")
 *
 *   OPERANDS, RESULTS  a fixed count, or IR_VARIADIC when the verifier's per-op rule decides
 *   REGIONS            a fixed count; every region is one block (structured control flow)
 *   FLAGS              IR_PURE, IR_ELEMENTWISE, ... (ir.h), or'ed together
 *   ATTRIBUTES         the attributes the op may carry, space-separated "name:KINDS", with a
 *                      trailing '?' when the attribute is optional. KINDS is a set of letters:
 *                      i int, f float, s string, b bool, @ symbol, T type, I ints list,
 *                      S strings list, Y symbols list. The reader rejects names not listed;
 *                      the verifier checks presence and kinds.
 *
 * docs/ir.md documents the operands, results and rules of each op. Include this file after
 * defining OP; it undefines OP at the end. */

/* clang-format off */

/* ---- structure ---- */
OP(IR_OP_CONST,          "ir.const",          0, 1, 0, IR_PURE, "value:ifbs")
OP(IR_OP_YIELD,          "ir.yield",          IR_VARIADIC, 0, 0, IR_TERMINATOR, "")

/* ---- configuration and sizes ---- */
OP(IR_OP_CFG_DECL,       "cfg.decl",          0, 0, 0, IR_DECL, "sym:@ value:ifbs")
OP(IR_OP_CFG_GET,        "cfg.get",           0, 1, 0, IR_PURE, "sym:@")
OP(IR_OP_SIZE_GET,       "size.get",          0, 1, 0, IR_PURE, "sym:@")

/* ---- data files ---- */
OP(IR_OP_IO_LOAD,        "io.load",           IR_VARIADIC, 1, 0, IR_READS, "path:s?")
OP(IR_OP_IO_LOAD_LIBSVM, "io.load_libsvm",    IR_VARIADIC, 2, 0, IR_READS, "path:s?")
OP(IR_OP_IO_SAVE,        "io.save",           IR_VARIADIC, 0, 0, IR_EFFECT, "path:s?")

/* ---- named state ---- */
OP(IR_OP_STATE_INPUT,    "state.input",       1, 1, 0, IR_DECL, "layout:s? partition:s? sym:@")
OP(IR_OP_STATE_PARAM,    "state.param",       1, 0, 0, IR_DECL | IR_EFFECT, "partition:s? sym:@ type:T")
OP(IR_OP_STATE_VAR,      "state.var",         1, 0, 0, IR_DECL | IR_EFFECT, "partition:s? sym:@ type:T")
OP(IR_OP_STATE_READ,     "state.read",        0, 1, 0, IR_READS, "sym:@")
OP(IR_OP_STATE_WRITE,    "state.write",       1, 0, 0, IR_EFFECT, "sym:@")
OP(IR_OP_STATE_WRITE_INDEX, "state.write_index", IR_VARIADIC, 0, 0, IR_EFFECT, "index:S sym:@")
OP(IR_OP_STATE_ACCUMULATE, "state.accumulate", IR_VARIADIC, 0, 0, IR_EFFECT, "index:S? op:s sym:@")

/* ---- elementwise, one operand ---- */
OP(IR_OP_NEG,            "t.neg",             1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_NOT,            "t.not",             1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_ABS,            "t.abs",             1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_EXP,            "t.exp",             1, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_FLOAT_MATH, "inplace:i?")
OP(IR_OP_LOG,            "t.log",             1, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_FLOAT_MATH, "inplace:i?")
OP(IR_OP_LOG1P,          "t.log1p",           1, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_FLOAT_MATH, "inplace:i?")
OP(IR_OP_SQRT,           "t.sqrt",            1, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_FLOAT_MATH, "inplace:i?")
OP(IR_OP_SIGMOID,        "t.sigmoid",         1, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_FLOAT_MATH, "inplace:i?")
OP(IR_OP_TANH,           "t.tanh",            1, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_FLOAT_MATH, "inplace:i?")
OP(IR_OP_RELU,           "t.relu",            1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_SIGN,           "t.sign",            1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_FLOOR,          "t.floor",           1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_CEIL,           "t.ceil",            1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_ROUND,          "t.round",           1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")
OP(IR_OP_CAST,           "t.cast",            1, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")

/* ---- elementwise, two or three operands (NumPy broadcasting) ---- */
OP(IR_OP_ADD,            "t.add",             2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_SUB,            "t.sub",             2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_MUL,            "t.mul",             2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_DIV,            "t.div",             2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_MOD,            "t.mod",             2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_POW,            "t.pow",             2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_MINIMUM,        "t.minimum",         2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_MAXIMUM,        "t.maximum",         2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_SOFT_THRESHOLD, "t.soft_threshold",  2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_EQ,             "t.eq",              2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_COMPARE, "inplace:i?")
OP(IR_OP_NE,             "t.ne",              2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_COMPARE, "inplace:i?")
OP(IR_OP_LT,             "t.lt",              2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_COMPARE, "inplace:i?")
OP(IR_OP_LE,             "t.le",              2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_COMPARE, "inplace:i?")
OP(IR_OP_GT,             "t.gt",              2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_COMPARE, "inplace:i?")
OP(IR_OP_GE,             "t.ge",              2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_COMPARE, "inplace:i?")
OP(IR_OP_AND,            "t.and",             2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_LOGIC, "inplace:i?")
OP(IR_OP_OR,             "t.or",              2, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_LOGIC, "inplace:i?")
OP(IR_OP_CLIP,           "t.clip",            3, 1, 0, IR_PURE | IR_ELEMENTWISE | IR_ARITH, "inplace:i?")
OP(IR_OP_WHERE,          "t.where",           3, 1, 0, IR_PURE | IR_ELEMENTWISE, "inplace:i?")

/* ---- reductions: over everything (a scalar), or over one axis ---- */
OP(IR_OP_SUM,            "t.sum",             1, 1, 0, IR_PURE | IR_REDUCTION, "axis:i?")
OP(IR_OP_MEAN,           "t.mean",            1, 1, 0, IR_PURE | IR_REDUCTION | IR_FLOAT_MATH, "axis:i?")
OP(IR_OP_MAX,            "t.max",             1, 1, 0, IR_PURE | IR_REDUCTION, "axis:i?")
OP(IR_OP_MIN,            "t.min",             1, 1, 0, IR_PURE | IR_REDUCTION, "axis:i?")
OP(IR_OP_ARGMAX,         "t.argmax",          1, 1, 0, IR_PURE | IR_REDUCTION | IR_INDEX_RESULT, "axis:i?")
OP(IR_OP_ARGMIN,         "t.argmin",          1, 1, 0, IR_PURE | IR_REDUCTION | IR_INDEX_RESULT, "axis:i?")
OP(IR_OP_COUNT_NONZERO,  "t.count_nonzero",   1, 1, 0, IR_PURE | IR_REDUCTION | IR_INDEX_RESULT, "axis:i?")
OP(IR_OP_NORM,           "t.norm",            1, 1, 0, IR_PURE | IR_REDUCTION | IR_FLOAT_MATH, "axis:i?")
OP(IR_OP_LOGSUMEXP,      "t.logsumexp",       1, 1, 0, IR_PURE | IR_REDUCTION | IR_FLOAT_MATH, "axis:i?")
OP(IR_OP_SOFTMAX,        "t.softmax",         1, 1, 0, IR_PURE | IR_FLOAT_MATH, "axis:i?")

/* ---- linear algebra ---- */
OP(IR_OP_MATMUL,         "t.matmul",          2, 1, 0, IR_PURE, "transpose_a:b? transpose_b:b?")
OP(IR_OP_MATVEC,         "t.matvec",          2, 1, 0, IR_PURE, "transpose_a:b? transpose_b:b?")
OP(IR_OP_VECMAT,         "t.vecmat",          2, 1, 0, IR_PURE, "transpose_a:b? transpose_b:b?")
OP(IR_OP_DOT,            "t.dot",             2, 1, 0, IR_PURE, "")
OP(IR_OP_TRANSPOSE,      "t.transpose",       1, 1, 0, IR_PURE, "")

/* ---- indexing and shape ---- */
OP(IR_OP_INDEX,          "t.index",           IR_VARIADIC, 1, 0, IR_PURE, "")
OP(IR_OP_SLICE,          "t.slice",           IR_VARIADIC, 1, 0, IR_PURE, "index:S")
OP(IR_OP_GATHER,         "t.gather",          2, 1, 0, IR_PURE, "axis:i")
OP(IR_OP_RESHAPE,        "t.reshape",         IR_VARIADIC, 1, 0, IR_PURE, "")

/* ---- constructors: one i64 operand per result dimension, then the op's own ---- */
OP(IR_OP_ZEROS,          "t.zeros",           IR_VARIADIC, 1, 0, IR_PURE | IR_CONSTRUCTOR, "")
OP(IR_OP_ONES,           "t.ones",            IR_VARIADIC, 1, 0, IR_PURE | IR_CONSTRUCTOR, "")
OP(IR_OP_FULL,           "t.full",            IR_VARIADIC, 1, 0, IR_PURE | IR_CONSTRUCTOR, "")
OP(IR_OP_ARANGE,         "t.arange",          IR_VARIADIC, 1, 0, IR_PURE | IR_CONSTRUCTOR, "")
OP(IR_OP_EYE,            "t.eye",             1, 1, 0, IR_PURE | IR_CONSTRUCTOR, "")
OP(IR_OP_RANDN,          "t.randn",           IR_VARIADIC, 1, 0, IR_RANDOM | IR_CONSTRUCTOR, "")
OP(IR_OP_UNIFORM,        "t.uniform",         IR_VARIADIC, 1, 0, IR_RANDOM | IR_CONSTRUCTOR, "")
OP(IR_OP_RANDINT,        "t.randint",         IR_VARIADIC, 1, 0, IR_RANDOM | IR_CONSTRUCTOR, "")

/* ---- shape queries ---- */
OP(IR_OP_ROWS,           "t.rows",            1, 1, 0, IR_PURE, "")
OP(IR_OP_COLS,           "t.cols",            1, 1, 0, IR_PURE, "")
OP(IR_OP_LEN,            "t.len",             1, 1, 0, IR_PURE, "")
OP(IR_OP_NNZ,            "t.nnz",             1, 1, 0, IR_PURE, "")

/* ---- sequential control flow ---- */
OP(IR_OP_LOOP_FOR,       "loop.for",          2, 0, 1, IR_LOOP, "")
OP(IR_OP_LOOP_WHILE,     "loop.while",        0, 0, 2, IR_LOOP, "")
OP(IR_OP_CTL_IF,         "ctl.if",            1, 0, 2, 0, "")
OP(IR_OP_CTL_BREAK,      "ctl.break",         0, 0, 0, IR_TERMINATOR, "")
OP(IR_OP_CTL_CONTINUE,   "ctl.continue",      0, 0, 0, IR_TERMINATOR, "")

/* ---- parallel loops ---- */
OP(IR_OP_PLOOP_RANGE,    "ploop.range",       IR_VARIADIC, 0, 1, IR_PARALLEL, "accesses:S? class:s? class_reason:s? consistency:s")
OP(IR_OP_PLOOP_NONZEROS, "ploop.nonzeros",    IR_VARIADIC, 0, 1, IR_PARALLEL, "accesses:S? class:s? class_reason:s? consistency:s")
OP(IR_OP_PLOOP_SCHEDULE, "ploop.schedule",    IR_VARIADIC, 0, 3, IR_PARALLEL, "accesses:S? class:s? class_reason:s? consistency:s operand_names:S")

/* ---- automatic differentiation (expanded by the autodiff pass) ---- */
OP(IR_OP_AD_GRAD,        "ad.grad",           IR_VARIADIC, IR_VARIADIC, 1, 0, "wrt:Y?")

/* ---- fused kernels (made by passes/fuse.c, compiled by codegen/) ---- */
OP(IR_OP_K_FUSED,        "k.fused",           IR_VARIADIC, IR_VARIADIC, 1, IR_PURE, "inplace:i?")

/* ---- observation ---- */
OP(IR_OP_OBS_LOG,        "obs.log",           IR_VARIADIC, 0, 0, IR_EFFECT, "keys:S")
OP(IR_OP_OBS_PRINT,      "obs.print",         IR_VARIADIC, 0, 0, IR_EFFECT, "")
OP(IR_OP_OBS_ASSERT,     "obs.assert",        1, 0, 0, IR_EFFECT, "message:s")

/* clang-format on */

#undef OP
