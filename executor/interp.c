/* interp.c: the plan interpreter (runtime.h): runs the step tree of interp_prep.c in order. Value
 * ops go to rt_eval_op, fused groups to their JIT kernels (or their regions, op by op), loops and
 * state here, parallel loops to interp_ploop.c. */
#define _POSIX_C_SOURCE 200809L
#include "executor/interp_internal.h"

#include "executor/io.h"
#include "executor/pool.h"
#include "support/buf.h"
#include "support/suggest.h"

#include <cblas.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- configs and --set ---- */

/* The default of a config from its cfg.decl. */
static RtValue config_default(const IrOp *decl)
{
    const IrAttr *v = ir_get_attr(decl, "value");
    switch (v->kind) {
    case IR_ATTR_INT:
        return rt_i64(v->int_value);
    case IR_ATTR_FLOAT:
        return rt_f64(v->float_value);
    case IR_ATTR_BOOL:
        return rt_bool(v->bool_value);
    default:
        return rt_str(v->string);
    }
}

static bool parse_setting(const RtSetting *set, RtValue def, RtValue *out, RtError *err)
{
    const char *text = set->value;
    char *end = NULL;
    errno = 0;
    switch (def.dtype) {
    case DT_I64: {
        long long v = strtoll(text, &end, 10);
        if (end == text || *end || errno)
            return rt_errorf(err, "error: --set %s=%s: expected an integer (the config's default "
                                  "is %" PRId64 ")",
                             set->name, text, def.i);
        *out = rt_i64(v);
        return true;
    }
    case DT_F64: {
        double v = strtod(text, &end);
        if (end == text || *end || errno == ERANGE)
            return rt_errorf(err, "error: --set %s=%s: expected a number", set->name, text);
        *out = rt_f64(v);
        return true;
    }
    case DT_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
            *out = rt_bool(text[0] == 't');
            return true;
        }
        return rt_errorf(err, "error: --set %s=%s: expected true or false", set->name, text);
    default:
        *out = rt_str(text);
        return true;
    }
}

static bool apply_settings(Interp *it)
{
    for (int i = 0; i < it->nstates; i++)
        if (it->states[i].kind == STATE_CONFIG)
            it->states[i].value = config_default(it->states[i].decl);
    for (int i = 0; i < it->opt->nsettings; i++) {
        const RtSetting *set = &it->opt->settings[i];
        int idx = interp_state_find(it, set->name);
        if (idx < 0 || it->states[idx].kind != STATE_CONFIG) {
            const char **names = malloc(((size_t)it->nstates + 1) * sizeof *names);
            int n = 0;
            for (int k = 0; names && k < it->nstates; k++)
                if (it->states[k].kind == STATE_CONFIG)
                    names[n++] = it->states[k].name;
            const char *near = names ? suggest_closest(set->name, names, n) : NULL;
            rt_errorf(it->err, "error: --set %s=%s: the program has no config named '%s'%s%s%s",
                      set->name, set->value, set->name, near ? "; did you mean '" : "",
                      near ? near : "", near ? "'?" : "");
            free(names);
            return false;
        }
        if (!parse_setting(set, it->states[idx].value, &it->states[idx].value, it->err))
            return false;
    }
    return true;
}

/* ---- sizes: bound by declarations, checked against the data ---- */

static void describe_origin(const IrOp *op, char *out, size_t size)
{
    if (op && op->loc.line > 0)
        snprintf(out, size, "%s:%u:%u", op->loc.file ? op->loc.file : "?", op->loc.line,
                 op->loc.col);
    else
        snprintf(out, size, "the program");
}

/* Checks the actual shape of a value against a symbolic type, binding unbound size names; `what`
 * names the value in messages ("X", "the data of data/X.csv"). */
bool interp_check_shape(Interp *it, const IrOp *op, const Type *t, RtValue v, const char *what)
{
    int rank = v.is_tensor ? v.t->rank : 0;
    if (rank != t->rank)
        return rt_op_errorf(it->err, op, "%s has rank %d, but its declaration says rank %d", what,
                            rank, t->rank);
    for (int d = 0; d < rank; d++) {
        int64_t actual = v.t->shape[d];
        Dim dim = t->dims[d];
        if (dim.kind == DIM_ANY)
            continue;
        if (dim.kind == DIM_CONST) {
            if (actual != dim.value)
                return rt_op_errorf(it->err, op,
                                    "%s has %" PRId64 " elements in dimension %d, but its type "
                                    "says %" PRId64,
                                    what, actual, d, dim.value);
            continue;
        }
        int idx = interp_state_find(it, dim.sym);
        if (idx < 0)
            continue;
        State *st = &it->states[idx];
        if (st->kind == STATE_CONFIG) {
            int64_t want = rt_as_i64(st->value);
            if (st->value.dtype != DT_I64 || actual != want)
                return rt_op_errorf(it->err, op,
                                    "%s has %" PRId64 " elements in dimension %d, but the config "
                                    "%s = %" PRId64,
                                    what, actual, d, dim.sym, want);
            continue;
        }
        if (!st->bound) {
            st->value = rt_i64(actual);
            st->bound = true;
            st->decl = op;
            continue;
        }
        if (st->value.i != actual) {
            char origin[256];
            describe_origin(st->decl, origin, sizeof origin);
            return rt_op_errorf(it->err, op,
                                "%s has %" PRId64 " elements in dimension %d, but %s = %" PRId64
                                " (bound at %s)",
                                what, actual, d, dim.sym, st->value.i, origin);
        }
    }
    return true;
}

/* ---- files ---- */

static bool resolve_path(Interp *it, const Step *s, int path_operand, char *out, size_t size)
{
    const IrAttr *attr = ir_get_attr(s->op, "path");
    const char *path = attr ? attr->string : NULL;
    if (!path && path_operand < s->op->noperands)
        path = it->slots[s->in[path_operand]].s;
    if (!path)
        return rt_op_errorf(it->err, s->op, "no file path");
    const char *dir = it->opt->data_dir ? it->opt->data_dir : it->opt->base_dir;
    bool bare = path[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0;
    int n = bare ? snprintf(out, size, "%s", path)
                                                 : snprintf(out, size, "%s/%s", dir, path);
    if (n < 0 || (size_t)n >= size)
        return rt_op_errorf(it->err, s->op, "the path '%s' is too long", path);
    return true;
}

/* io.load / io.load_libsvm: reads, then binds or checks the declared sizes. */
static bool exec_load(Interp *it, const Step *s)
{
    char path[4096];
    if (!resolve_path(it, s, 0, path, sizeof path))
        return false;
    RtError ioerr = {0};
    char what[4200];
    snprintf(what, sizeof what, "the data in %s", path);
    if (s->op->opcode == IR_OP_IO_LOAD) {
        const Type *t = &s->op->results[0]->type;
        IoExpect expect = {.dtype = t->dtype, .rank = t->rank, .sparse = t->sparse};
        Tensor *x = io_load(path, &expect, &ioerr);
        if (!x)
            return rt_op_errorf(it->err, s->op, "cannot load the data:\n%s", ioerr.message);
        it->slots[s->out[0]] = rt_tensor(x);
        return interp_check_shape(it, s->op, t, it->slots[s->out[0]], what);
    }
    Tensor *X = NULL, *y = NULL;
    if (!io_load_libsvm(path, s->op->results[0]->type.dtype, &X, &y, &ioerr))
        return rt_op_errorf(it->err, s->op, "cannot load the data:\n%s", ioerr.message);
    it->slots[s->out[0]] = rt_tensor(X);
    it->slots[s->out[1]] = rt_tensor(y);
    return interp_check_shape(it, s->op, &s->op->results[0]->type, it->slots[s->out[0]], what) &&
           interp_check_shape(it, s->op, &s->op->results[1]->type, it->slots[s->out[1]], what);
}

static bool exec_save(Interp *it, const Step *s)
{
    char path[4096];
    if (!resolve_path(it, s, 1, path, sizeof path))
        return false;
    RtValue v = it->slots[s->in[0]];
    RtError ioerr = {0};
    bool ok = v.is_tensor ? io_save(path, v.t, &ioerr) : io_save_scalar(path, v, &ioerr);
    if (!ok)
        return rt_op_errorf(it->err, s->op, "cannot save:\n%s", ioerr.message);
    return true;
}

/* ---- observation ---- */

static void format_scalar(RtValue v, Buf *out)
{
    switch (v.dtype) {
    case DT_BOOL:
        buf_printf(out, "%s", v.i ? "true" : "false");
        break;
    case DT_I32:
    case DT_I64:
        buf_printf(out, "%" PRId64, v.i);
        break;
    case DT_STR:
        buf_printf(out, "%s", v.s);
        break;
    default:
        buf_printf(out, "%.*g", v.dtype == DT_F32 ? 9 : 17, v.f);
        break;
    }
}

static void format_element(const Tensor *t, int64_t k, Buf *out)
{
    if (t->dtype == DT_F32 || t->dtype == DT_F64)
        buf_printf(out, "%.6g", tensor_get_f64(t, k));
    else if (t->dtype == DT_BOOL)
        buf_printf(out, "%s", tensor_get_i64(t, k) ? "true" : "false");
    else
        buf_printf(out, "%" PRId64, tensor_get_i64(t, k));
}

/* A tensor as its type and its first and last elements (NumPy-like summary of the flat data). */
static void format_tensor(const Tensor *t, Buf *out)
{
    char desc[128];
    tensor_describe(t, desc, sizeof desc);
    buf_printf(out, "%s [", desc);
    int64_t n = t->numel;
    for (int64_t k = 0; k < n; k++) {
        if (n > 8 && k == 3) {
            buf_printf(out, ", ...");
            k = n - 3;
        }
        if (k)
            buf_printf(out, ", ");
        format_element(t, k, out);
    }
    buf_printf(out, "]");
}

static bool exec_print(Interp *it, const Step *s)
{
    Buf line = {0};
    for (int i = 0; i < s->op->noperands; i++) {
        RtValue v = it->slots[s->in[i]];
        if (i)
            buf_printf(&line, " ");
        if (v.is_tensor)
            format_tensor(v.t, &line);
        else
            format_scalar(v, &line);
    }
    if (it->opt->observer.on_print)
        it->opt->observer.on_print(it->opt->observer.user, buf_cstr(&line));
    buf_free(&line);
    return true;
}

static bool exec_log(Interp *it, const Step *s)
{
    const IrAttr *keys = ir_get_attr(s->op, "keys");
    int n = s->op->noperands;
    double *values = malloc(((size_t)n + 1) * sizeof *values);
    if (!values)
        return rt_op_errorf(it->err, s->op, "out of memory");
    for (int i = 0; i < n; i++)
        values[i] = rt_as_f64(it->slots[s->in[i]]);
    const RtObserver *obs = &it->opt->observer;
    if (obs->on_log)
        obs->on_log(obs->user, it->step, it->steps, n, keys->strings, values);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (isfinite(values[i]))
            continue;
        if (obs->on_nan)
            obs->on_nan(obs->user, it->step, keys->strings[i], values[i]);
        if (it->opt->stop_on_nan)
            ok = rt_op_errorf(it->err, s->op,
                              "metric '%s' is %s at step %" PRId64 " (stopped by --stop-on-nan)",
                              keys->strings[i], isnan(values[i]) ? "nan" : "inf", it->step);
    }
    free(values);
    return ok;
}

/* ---- constants and state ---- */

static RtValue const_value(const IrOp *op)
{
    const IrAttr *v = ir_get_attr(op, "value");
    DType dt = op->results[0]->type.dtype;
    switch (v->kind) {
    case IR_ATTR_INT:
        if (dt == DT_F32 || dt == DT_F64)
            return rt_scalar_of(dt, (double)v->int_value);
        return (RtValue){.dtype = dt, .i = dt == DT_I32 ? (int32_t)v->int_value : v->int_value};
    case IR_ATTR_FLOAT:
        return rt_scalar_of(dt, v->float_value);
    case IR_ATTR_BOOL:
        return rt_bool(v->bool_value);
    default:
        return rt_str(v->string);
    }
}

/* state.param / state.var / state.input: declares the state with its initial value. */
static bool exec_declare(Interp *it, const Step *s)
{
    State *st = &it->states[s->sym];
    RtValue init = it->slots[s->in[0]];
    const Type *t = s->op->opcode == IR_OP_STATE_INPUT ? &s->op->results[0]->type
                                                       : &ir_get_attr(s->op, "type")->type;
    st->type = *t;
    if (!interp_check_shape(it, s->op, t, init, st->name))
        return false;
    rt_value_release(&st->value);
    st->value = rt_value_ref(init);
    if (s->op->opcode == IR_OP_STATE_INPUT) {
        if (ir_get_attr(s->op, "layout") && !interp_layout_input(it, s, &st->value))
            return false;
        it->slots[s->out[0]] = rt_value_ref(st->value);
    }
    return true;
}

bool interp_state_read(Interp *it, const Step *s, RtValue *out)
{
    State *st = &it->states[s->sym];
    if (it->in_bsp && st->in_loop) {
        /* A bsp iteration sees the snapshot plus its own writes. */
        if (it->own_count[s->sym] > 0)
            return interp_own_view(it, s, s->sym, out);
        *out = rt_value_ref(st->snap);
        return true;
    }
    if (st->value.dtype == DT_NONE)
        return rt_op_errorf(it->err, s->op, "'%s' is read before it has a value", st->name);
    if (st->inplace == INPLACE_ATOMIC && !st->value.is_tensor) {
        /* async / ssp shares update this scalar with compare-and-swap on its 8 bytes */
        *out = st->value;
        out->i = __atomic_load_n(&st->value.i, __ATOMIC_RELAXED);
        return true;
    }
    *out = rt_value_ref(st->value);
    return true;
}

/* ---- fused kernels ---- */

/* Runs a region once with its block arguments bound to values; stores what it yields. */

static bool fits_pattern(const JitKernel *k, int i, const Tensor *t, int rank, const int64_t *space)
{
    switch (k->in[i]) {
    case JIT_IN_FULL:
        if (t->rank != rank)
            return false;
        for (int d = 0; d < rank; d++)
            if (t->shape[d] != space[d])
                return false;
        return true;
    case JIT_IN_ROW:
        return t->numel == space[rank - 1] && t->shape[t->rank - 1] == space[rank - 1];
    case JIT_IN_COL:
        /* the leading dimensions with a last dimension of 1 ([n, 1] against [n, d]) */
        if (t->rank != rank || t->shape[rank - 1] != 1)
            return false;
        for (int d = 0; d < rank - 1; d++)
            if (t->shape[d] != space[d])
                return false;
        return true;
    default:
        return false;
    }
}

/* Calls the kernel when the actual shapes fit its patterns; *done is false when they do not. */
static bool call_kernel(Interp *it, const Step *s, const JitKernel *k, bool *done)
{
    const IrOp *op = s->op;
    *done = false;
    int rank = 0;
    int64_t space[TYPE_MAX_RANK] = {0};
    bool first = true;
    for (int i = 0; i < op->noperands; i++) {
        RtValue v = it->slots[s->in[i]];
        if (!v.is_tensor)
            continue;
        if (v.t->sparse)
            return true;
        if (first) {
            rank = v.t->rank;
            memcpy(space, v.t->shape, sizeof space);
            first = false;
        } else if (!rt_broadcast_shapes(rank, space, v.t->rank, v.t->shape, &rank, space)) {
            return true;
        }
    }
    if (first || rank != k->rank)
        return true;
    int64_t inner = space[rank - 1], outer = 1;
    for (int d = 0; d < rank - 1; d++)
        outer *= space[d];
    if (inner == 0 || outer == 0)
        return true;
    for (int i = 0; i < op->noperands; i++) {
        RtValue v = it->slots[s->in[i]];
        if (v.is_tensor ? (k->in[i] == JIT_IN_SCALAR || !fits_pattern(k, i, v.t, rank, space))
                        : k->in[i] != JIT_IN_SCALAR)
            return true;
    }

    void *bufs[64];
    uint64_t scalars[64];
    union {
        double f64;
        float f32;
        int64_t i64;
        int32_t i32;
        uint8_t b;
    } cells[16];
    if (op->nresults > 16 || op->nresults + op->noperands > 64)
        return true;
    RtValue results[16] = {{0}};
    const IrAttr *inplace = ir_get_attr(op, "inplace");
    bool ok = true;
    for (int r = 0; r < op->nresults && ok; r++) {
        const Type *rt = &op->results[r]->type;
        if (k->out[r] == JIT_OUT_REDUCE_ALL) {
            bufs[r] = &cells[r];
            continue;
        }
        int64_t shape[TYPE_MAX_RANK];
        int orank = rank;
        memcpy(shape, space, sizeof shape);
        if (k->out[r] == JIT_OUT_REDUCE_ROWS)
            orank = rank - 1;
        else if (k->out[r] == JIT_OUT_REDUCE_COLS) {
            orank = 1;
            shape[0] = inner;
        }
        if (orank != rt->rank) {
            ok = false;
            break;
        }
        Tensor *t = NULL;
        if (r == 0 && inplace && k->out[r] == JIT_OUT_FULL) {
            RtValue *victim = &it->slots[s->in[inplace->int_value]];
            if (victim->is_tensor && tensor_is_unique(victim->t) && victim->t->dtype == rt->dtype &&
                victim->t->rank == rank && fits_pattern(k, (int)inplace->int_value, victim->t,
                                                        rank, space) &&
                k->in[inplace->int_value] == JIT_IN_FULL)
                t = tensor_ref(victim->t);
        }
        if (!t)
            t = tensor_new(rt->dtype, orank, shape);
        if (!t) {
            ok = rt_op_errorf(it->err, op, "out of memory");
            break;
        }
        results[r] = rt_tensor(t);
        bufs[r] = t->data;
    }
    if (!ok) {
        for (int r = 0; r < op->nresults; r++)
            rt_value_release(&results[r]);
        return it->err->set ? false : true;
    }
    int nb = op->nresults, ns = 0;
    for (int i = 0; i < op->noperands; i++) {
        RtValue v = it->slots[s->in[i]];
        if (v.is_tensor) {
            bufs[nb++] = v.t->data;
        } else if (v.dtype == DT_F32 || v.dtype == DT_F64) {
            memcpy(&scalars[ns++], &v.f, sizeof(double));
        } else {
            scalars[ns++] = (uint64_t)v.i;
        }
    }
    if (!interp_kernel_run(it, s, k, outer, inner, bufs, scalars)) {
        for (int r = 0; r < op->nresults; r++)
            rt_value_release(&results[r]);
        return false;
    }
    for (int r = 0; r < op->nresults; r++) {
        if (k->out[r] != JIT_OUT_REDUCE_ALL)
            continue;
        DType dt = op->results[r]->type.dtype;
        switch (dt) {
        case DT_F64:
            results[r] = rt_f64(cells[r].f64);
            break;
        case DT_F32:
            results[r] = rt_f32(cells[r].f32);
            break;
        case DT_I64:
            results[r] = rt_i64(cells[r].i64);
            break;
        case DT_I32:
            results[r] = (RtValue){.dtype = DT_I32, .i = cells[r].i32};
            break;
        default:
            results[r] = rt_bool(cells[r].b != 0);
            break;
        }
    }
    for (int r = 0; r < op->nresults; r++)
        it->slots[s->out[r]] = results[r];
    *done = true;
    return true;
}

static bool exec_fused(Interp *it, const Step *s)
{
    const JitKernel *k = it->jit ? jit_kernel(it->jit, s->op) : NULL;
    if (k) {
        bool done;
        if (!call_kernel(it, s, k, &done))
            return false;
        if (done)
            return true;
    }
    RtValue args[64];
    int n = s->op->noperands;
    if (n > 64 || s->op->nresults > 16)
        return rt_op_errorf(it->err, s->op, "too many operands in a fused group");
    for (int i = 0; i < n; i++)
        args[i] = it->slots[s->in[i]];
    RtValue results[16];
    if (!interp_region_with(it, s->regions[0], args, results, s->op->nresults))
        return false;
    for (int r = 0; r < s->op->nresults; r++)
        it->slots[s->out[r]] = results[r];
    return true;
}

/* ---- control flow ---- */

static bool scalar_true(RtValue v)
{
    return v.i != 0;
}


static void release_slots(Interp *it, const int *slots, int n)
{
    for (int i = 0; i < n; i++)
        rt_value_release(&it->slots[slots[i]]);
}

/* Whether independent value steps may run at the same time here: several workers, and not inside
 * a worker's task or a bsp iteration (whose own-write log is not shared). */
static bool graph_mode(const Interp *it)
{
    return it->pool && pool_workers(it->pool) > 1 && !it->on_worker && !it->in_bsp;
}

/* A segment that took at least this long in order runs as a task graph afterwards. */
static const int64_t GRAPH_MIN_NS = 200000;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

Flow interp_block(Interp *it, const Block *b)
{
    release_slots(it, b->release_args, b->nrelease_args);
    bool graph = graph_mode(it);
    int timed_end = -1, timed_id = 0; /* a concurrent segment running in order, being timed */
    int64_t t0 = 0;
    for (int k = 0; k < b->nsteps; k++) {
        const Step *s = &b->steps[k];
        if (graph && s->seg_concurrent) {
            if (it->seg_ns[s->seg_id] >= GRAPH_MIN_NS) {
                /* a task graph's steps run on clones, which never ask interp_ssp_may_overlap */
                if ((it->ssp && !interp_ssp_drain(it)) || !interp_graph_run(it, b, k)) {
                    for (int j = k; j < b->nsteps; j++)
                        release_slots(it, b->steps[j].release, b->steps[j].nrelease);
                    return FLOW_ERROR;
                }
                k += s->seg_len - 1;
                continue;
            }
            timed_end = k + s->seg_len;
            timed_id = s->seg_id;
            t0 = now_ns();
        }
        Flow f = interp_exec_step(it, s);
        if (f != FLOW_NEXT) {
            /* Leaving the block early: drop every value it still holds. */
            for (int j = k; j < b->nsteps; j++)
                release_slots(it, b->steps[j].release, b->steps[j].nrelease);
            return f;
        }
        release_slots(it, s->release, s->nrelease);
        if (k == timed_end - 1) {
            it->seg_ns[timed_id] = now_ns() - t0;
            timed_end = -1;
        }
    }
    return FLOW_NEXT;
}

bool interp_region_with(Interp *it, const Block *b, const RtValue *args, RtValue *results,
                            int nresults)
{
    for (int i = 0; i < b->nargs; i++)
        it->slots[b->args[i]] = rt_value_ref(args[i]);
    release_slots(it, b->release_args, b->nrelease_args);
    for (int k = 0; k < b->nsteps; k++) {
        const Step *s = &b->steps[k];
        if (s->op->opcode == IR_OP_YIELD) {
            for (int r = 0; r < nresults && r < s->op->noperands; r++)
                results[r] = rt_value_ref(it->slots[s->in[r]]);
            for (int j = k; j < b->nsteps; j++)
                release_slots(it, b->steps[j].release, b->steps[j].nrelease);
            return true;
        }
        Flow f = interp_exec_step(it, s);
        if (f != FLOW_NEXT) {
            for (int j = k; j < b->nsteps; j++)
                release_slots(it, b->steps[j].release, b->steps[j].nrelease);
            if (f == FLOW_ERROR)
                return false;
            return rt_op_errorf(it->err, s->op, "break or continue outside a loop");
        }
        release_slots(it, s->release, s->nrelease);
    }
    return rt_errorf(it->err, "error: internal: a region that must yield a value did not");
}

bool interp_region_value(Interp *it, const Block *b, RtValue *out)
{
    return interp_region_with(it, b, NULL, out, 1);
}

/* Tracks the outermost sequential loop's step for log(). */
typedef struct {
    int64_t step, steps;
} StepSave;

static void enter_loop(Interp *it, int64_t steps, StepSave *save)
{
    save->step = it->step;
    save->steps = it->steps;
    if (it->loop_depth++ == 0) {
        it->step = 0;
        it->steps = steps;
    }
}

/* Leaves a loop; the outermost one also waits for ssp shares still running (all workers meet at
 * its end). False when one of them failed. */
static bool leave_loop(Interp *it, const StepSave *save)
{
    if (--it->loop_depth == 0) {
        it->step = save->step;
        it->steps = save->steps;
        if (it->ssp)
            return interp_ssp_drain(it);
    }
    return true;
}

static Flow exec_for(Interp *it, const Step *s)
{
    int64_t lo = it->slots[s->in[0]].i, hi = it->slots[s->in[1]].i;
    const Block *body = s->regions[0];
    StepSave save;
    enter_loop(it, hi > lo ? hi - lo : 0, &save);
    Flow result = FLOW_NEXT;
    for (int64_t i = lo; i < hi; i++) {
        if (it->loop_depth == 1) {
            it->step = i - lo;
            it->steps_run++;
        }
        it->slots[body->args[0]] = rt_i64(i);
        Flow f = interp_block(it, body);
        if (f == FLOW_ERROR) {
            result = FLOW_ERROR;
            break;
        }
        if (f == FLOW_BREAK)
            break;
    }
    if (!leave_loop(it, &save))
        result = FLOW_ERROR;
    return result;
}

static Flow exec_while(Interp *it, const Step *s)
{
    StepSave save;
    enter_loop(it, -1, &save);
    Flow result = FLOW_NEXT;
    for (int64_t i = 0;; i++) {
        if (it->loop_depth == 1) {
            it->step = i;
            it->steps_run++;
        }
        RtValue c = {0};
        if (!interp_region_value(it, s->regions[0], &c)) {
            result = FLOW_ERROR;
            break;
        }
        if (!scalar_true(c))
            break;
        Flow f = interp_block(it, s->regions[1]);
        if (f == FLOW_ERROR) {
            result = FLOW_ERROR;
            break;
        }
        if (f == FLOW_BREAK)
            break;
    }
    if (!leave_loop(it, &save))
        result = FLOW_ERROR;
    return result;
}

static Flow ok_or_error(bool ok)
{
    return ok ? FLOW_NEXT : FLOW_ERROR;
}

Flow interp_exec_step(Interp *it, const Step *s)
{
    const IrOp *op = s->op;
    RtValue *slots = it->slots;
    if (it->ssp && !interp_ssp_may_overlap(it, s) && !interp_ssp_drain(it))
        return FLOW_ERROR;
    switch (op->opcode) {
    case IR_OP_CONST:
        slots[s->out[0]] = const_value(op);
        return FLOW_NEXT;
    case IR_OP_YIELD:
        return FLOW_NEXT; /* handled by run_region_with */
    case IR_OP_CFG_DECL:
        return FLOW_NEXT; /* configs are set before the run */
    case IR_OP_CFG_GET:
        slots[s->out[0]] = it->states[s->sym].value;
        return FLOW_NEXT;
    case IR_OP_SIZE_GET: {
        State *st = &it->states[s->sym];
        if (!st->bound) {
            rt_op_errorf(it->err, op, "the size %s is used before any data binds it", st->name);
            return FLOW_ERROR;
        }
        slots[s->out[0]] = st->kind == STATE_CONFIG ? rt_i64(rt_as_i64(st->value)) : st->value;
        return FLOW_NEXT;
    }
    case IR_OP_IO_LOAD:
    case IR_OP_IO_LOAD_LIBSVM:
        return ok_or_error(exec_load(it, s));
    case IR_OP_IO_SAVE:
        return ok_or_error(exec_save(it, s));
    case IR_OP_STATE_INPUT:
    case IR_OP_STATE_PARAM:
    case IR_OP_STATE_VAR:
        return ok_or_error(exec_declare(it, s));
    case IR_OP_STATE_READ:
        return ok_or_error(interp_state_read(it, s, &slots[s->out[0]]));
    case IR_OP_STATE_WRITE:
    case IR_OP_STATE_WRITE_INDEX:
        return ok_or_error(interp_state_write(it, s));
    case IR_OP_STATE_ACCUMULATE:
        return ok_or_error(interp_state_accumulate(it, s));
    case IR_OP_LOOP_FOR:
        return exec_for(it, s);
    case IR_OP_LOOP_WHILE:
        return exec_while(it, s);
    case IR_OP_CTL_IF:
        return interp_block(it, s->regions[scalar_true(slots[s->in[0]]) ? 0 : 1]);
    case IR_OP_CTL_BREAK:
        return FLOW_BREAK;
    case IR_OP_CTL_CONTINUE:
        return FLOW_CONTINUE;
    case IR_OP_PLOOP_RANGE:
    case IR_OP_PLOOP_NONZEROS:
    case IR_OP_PLOOP_SCHEDULE:
        return ok_or_error(interp_ploop(it, s));
    case IR_OP_AD_GRAD:
        rt_op_errorf(it->err, op, "internal error: grad was not expanded by the autodiff pass");
        return FLOW_ERROR;
    case IR_OP_OBS_LOG:
        return ok_or_error(exec_log(it, s));
    case IR_OP_OBS_PRINT:
        return ok_or_error(exec_print(it, s));
    case IR_OP_OBS_ASSERT:
        if (scalar_true(slots[s->in[0]]))
            return FLOW_NEXT;
        rt_op_errorf(it->err, op, "assertion failed: %s", ir_get_attr(op, "message")->string);
        return FLOW_ERROR;
    case IR_OP_K_FUSED:
        return ok_or_error(exec_fused(it, s));
    default:
        break;
    }
    RtValue args[16];
    args[0] = (RtValue){0};
    RtValue *argp = args;
    if (op->noperands > 16) {
        argp = malloc((size_t)op->noperands * sizeof *argp);
        if (!argp) {
            rt_op_errorf(it->err, op, "out of memory");
            return FLOW_ERROR;
        }
    }
    for (int i = 0; i < op->noperands; i++)
        argp[i] = slots[s->in[i]];
    it->eval_op = op; /* names the blocks of a product in traces */
    RtValue results[4] = {{0}};
    bool ok = op->nresults <= 4 && rt_eval_op(&it->eval, op, s->key, argp, results, it->err);
    if (argp != args)
        free(argp);
    if (!ok) {
        if (!it->err->set)
            rt_op_errorf(it->err, op, "internal error: cannot evaluate '%s'",
                         ir_op_info(op->opcode)->name);
        return FLOW_ERROR;
    }
    for (int r = 0; r < op->nresults; r++)
        slots[s->out[r]] = results[r];
    return FLOW_NEXT;
}

/* ---- the run ---- */

static bool has_fused(const IrRegion *r)
{
    for (const IrOp *op = r->first; op; op = op->next) {
        if (op->opcode == IR_OP_K_FUSED)
            return true;
        for (int i = 0; i < op->nregions; i++)
            if (has_fused(op->regions[i]))
                return true;
    }
    return false;
}

void *interp_loop_cache(const Interp *it, const Step *s)
{
    for (const LoopCache *c = it->caches; c; c = c->next)
        if (c->step == s)
            return c->data;
    return NULL;
}

bool interp_loop_cache_set(Interp *it, const Step *s, void *data, void (*free_data)(void *))
{
    for (LoopCache *c = it->caches; c; c = c->next)
        if (c->step == s) {
            if (c->free_data && c->data != data)
                c->free_data(c->data);
            c->data = data;
            c->free_data = free_data;
            return true;
        }
    LoopCache *c = malloc(sizeof *c);
    if (!c) {
        if (free_data)
            free_data(data);
        return rt_errorf(it->err, "error: out of memory");
    }
    *c = (LoopCache){.next = it->caches, .step = s, .data = data, .free_data = free_data};
    it->caches = c;
    return true;
}

void interp_free(Interp *it)
{
    if (it->ssp)
        interp_ssp_drain(it);
    while (it->caches) {
        LoopCache *c = it->caches;
        it->caches = c->next;
        if (c->free_data)
            c->free_data(c->data);
        free(c);
    }
    if (it->slots)
        for (int i = 0; i < it->nslots; i++)
            rt_value_release(&it->slots[i]);
    for (int i = 0; i < it->nstates; i++) {
        State *st = &it->states[i];
        rt_value_release(&st->value);
        rt_value_release(&st->snap);
        rt_value_release(&st->acc);
        free(st->stamps);
        if (it->own_view)
            rt_value_release(&it->own_view[i]);
    }
    for (int i = 0; i < it->nown; i++)
        rt_value_release(&it->own[i].value);
    free(it->own);
    free(it->own_view);
    free(it->own_count);
    free(it->seg_ns);
    free(it->slots);
    free(it->states);
    jit_free(it->jit);
    arena_free(&it->arena);
}

typedef struct {
    void (*fn)(void *arg, int64_t i);
    void *arg;
} BlockCall;

static bool run_block_call(PoolWorker *w, PoolTask *self, void *arg, int64_t i, RtError *err)
{
    (void)w;
    (void)self;
    (void)err;
    const BlockCall *c = arg;
    c->fn(c->arg, i);
    return true;
}

/* The evaluator's parallel_for (blocks of BLAS products): pool tasks from the thread that drives
 * the run; in order inside a worker's task, or when the pool cannot take the tasks. */
static void interp_parallel_for(void *user, int64_t n, void (*fn)(void *arg, int64_t i), void *arg)
{
    Interp *it = user;
    if (it->pool && !it->on_worker && n > 1 && pool_workers(it->pool) > 1) {
        BlockCall c = {fn, arg};
        RtError e = {0};
        const IrOp *op = it->eval_op;
        const char *label = op ? ir_op_info(op->opcode)->name : "block";
        if (pool_parallel_for(it->pool, n, run_block_call, &c, NULL, label,
                              op ? (int)op->loc.line : 0, &e))
            return;
    }
    /* blocks write disjoint outputs, so running one again after a failed start is harmless */
    for (int64_t i = 0; i < n; i++)
        fn(arg, i);
}

/* The worker pool of a run: --workers workers on this machine, or on a synthetic topology
 * (--topology, for testing placement; its threads are not pinned). OpenBLAS runs with one thread
 * inside the workers' tasks: dmlc cuts products into blocks itself (eval_blas.c), so BLAS and the
 * workers never compete for cores and results do not depend on the worker count. */
static bool start_pool(Interp *it, Topo **topo)
{
    const RtOptions *o = it->opt;
    if (o->workers < 0)
        return rt_errorf(it->err, "error: --workers must be at least 1, got %d", o->workers);
    if (o->topology) {
        RtError why = {0};
        *topo = topo_load(TOPO_SYNTHETIC, o->topology, &why);
        if (!*topo)
            return rt_errorf(it->err, "error: --topology: %s", why.message);
    }
    PoolConfig pc = {.workers = o->workers, .topo = *topo, .trace = o->trace_path != NULL};
    it->pool = pool_create(&pc, it->err);
    if (!it->pool)
        return false;
    openblas_set_num_threads(1);
    it->eval.parallel_for = interp_parallel_for;
    it->eval.parallel_user = it;
    it->placing = interp_placer_init(&it->placer, it->pool);
    if (it->placing)
        tensor_set_placer(&it->placer);
    return true;
}

bool rt_run(const IrModule *m, const RtOptions *options, RtStats *stats, RtError *err)
{
    Interp it = {.module = m, .opt = options, .err = err, .steps = -1};
    arena_init(&it.arena);
    it.eval.checked = !options->unchecked;
    it.eval.run_seed = options->seed;
    it.deterministic = options->deterministic;
    Topo *topo = NULL;
    bool ok = start_pool(&it, &topo) && interp_prepare(&it) && apply_settings(&it);
    double t0 = now_ms();
    if (ok && !options->no_jit && has_fused(m->body)) {
        JitOptions jo = {.target_cpu = options->target_cpu};
        it.jit = jit_new(&jo, err);
        ok = it.jit && jit_compile_module(it.jit, m, err);
    }
    double t1 = now_ms();
    if (ok)
        ok = interp_block(&it, it.body) == FLOW_NEXT;
    if (ok && err->set)
        ok = false;
    if (stats) {
        stats->jit_ms = it.jit ? jit_compile_ms(it.jit) : 0;
        stats->kernels = it.jit ? jit_kernel_count(it.jit) : 0;
        stats->run_ms = now_ms() - t1;
        stats->steps = it.steps_run;
        stats->workers = it.pool ? pool_workers(it.pool) : 0;
        (void)t0;
    }
    /* The trace is written even when the run failed: it shows where. */
    if (it.pool && options->trace_path) {
        RtError terr = {0};
        if (!pool_trace_write(it.pool, options->trace_path, "dmlc run", &terr) && ok) {
            *err = terr;
            ok = false;
        }
    }
    /* Tensors first (some may be placed), then the placer, the pool and its topology. */
    Pool *pool = it.pool;
    bool placing = it.placing;
    interp_free(&it);
    if (placing)
        tensor_set_placer(NULL);
    if (pool)
        pool_destroy(pool);
    if (topo)
        topo_free(topo);
    return ok;
}
