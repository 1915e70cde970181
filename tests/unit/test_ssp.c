/* test_ssp.c: the atomic element updates that async and ssp loops write shared state with
 * (rt_selection_apply_atomic in executor/select.c): the same results as rt_selection_apply for
 * every dtype, mode and selection shape, the same errors, and no update lost when threads add
 * into the same elements at once. The loops themselves are tested end to end by
 * tests/parallel/async.sh and tests/parallel/ssp.sh. */
#include "executor/eval.h"
#include "ir/ir.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

/* An op carrying an `index` attribute (the selections name it in errors). */
static IrOp *indexed_op(IrModule *m, const char *const *positions, int n)
{
    IrOp *op = ir_op_new(m, IR_OP_SLICE, NULL, 0, &(Type){.dtype = DT_F64, .rank = 1}, 1);
    ir_set_strings(m, op, "index", positions, n);
    return op;
}

/* A [4, 5] tensor of dtype dt holding 0, 1, 2, ... (converted). */
static Tensor *iota(DType dt)
{
    int64_t shape[2] = {4, 5};
    Tensor *t = tensor_new(dt, 2, shape);
    for (int64_t k = 0; k < t->numel; k++)
        tensor_set_f64(t, k, (double)k);
    return t;
}

Test(atomic, same_results_as_the_plain_apply)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    int64_t shape[2] = {4, 5};
    /* X[:, 1..3] (a box of columns), X[2, :] (a row), X[1, 4] (one element) */
    const char *cols[] = {":", "a..b"}, *row[] = {"i", ":"}, *one[] = {"i", "i"};
    const char *const *positions[3] = {cols, row, one};
    RtValue operands[3][2] = {{rt_i64(1), rt_i64(3)}, {rt_i64(2)}, {rt_i64(1), rt_i64(4)}};
    int noperands[3] = {2, 1, 2};
    DType dtypes[4] = {DT_F64, DT_F32, DT_I64, DT_I32};
    RtApplyMode modes[3] = {RT_APPLY_SET, RT_APPLY_ADD, RT_APPLY_SUB};
    for (int s = 0; s < 3; s++) {
        IrOp *op = indexed_op(m, positions[s], 2);
        RtSelection sel;
        RtError err = {0};
        cr_assert(rt_selection_resolve(op, ir_get_attr(op, "index"), operands[s], noperands[s], 2,
                                       shape, &sel, &err),
                  "%s", err.message);
        for (int d = 0; d < 4; d++) {
            /* the value: a scalar, and a tensor that broadcasts to the selected shape */
            int64_t vshape[2] = {sel.sel_rank == 2 ? 4 : 1, 1};
            Tensor *vt = tensor_new(dtypes[d], sel.sel_rank == 2 ? 2 : 1, vshape);
            for (int64_t k = 0; k < vt->numel; k++)
                tensor_set_f64(vt, k, 3.0 + (double)k);
            RtValue values[2] = {rt_scalar_of(dtypes[d], 7.0), rt_tensor(vt)};
            for (int v = 0; v < 2; v++) {
                for (int md = 0; md < 3; md++) {
                    Tensor *plain = iota(dtypes[d]), *atomic = iota(dtypes[d]);
                    RtError e1 = {0}, e2 = {0};
                    cr_assert(rt_selection_apply(op, plain, &sel, values[v], modes[md], &e1), "%s",
                              e1.message);
                    cr_assert(
                        rt_selection_apply_atomic(op, atomic, &sel, values[v], modes[md], &e2),
                        "%s", e2.message);
                    cr_assert(memcmp(plain->data, atomic->data, tensor_bytes(plain)) == 0,
                              "selection %d, dtype %d, value %d, mode %d", s, d, v, md);
                    tensor_unref(plain);
                    tensor_unref(atomic);
                }
            }
            rt_value_release(&values[1]);
        }
    }
    arena_free(&a);
}

Test(atomic, same_errors_as_the_plain_apply)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    int64_t shape[2] = {4, 5};
    const char *cols[] = {":", "a..b"};
    IrOp *op = indexed_op(m, cols, 2);
    RtValue bounds[2] = {rt_i64(1), rt_i64(3)};
    RtSelection sel;
    RtError err = {0};
    cr_assert(rt_selection_resolve(op, ir_get_attr(op, "index"), bounds, 2, 2, shape, &sel, &err));
    /* a [3] value does not broadcast to [4, 2] */
    int64_t three = 3;
    Tensor *w = tensor_zeros(DT_F64, 1, &three);
    Tensor *x = iota(DT_F64);
    RtError e1 = {0}, e2 = {0};
    cr_assert_not(rt_selection_apply(op, x, &sel, rt_tensor(w), RT_APPLY_ADD, &e1));
    cr_assert_not(rt_selection_apply_atomic(op, x, &sel, rt_tensor(w), RT_APPLY_ADD, &e2));
    cr_assert(strstr(e2.message, "cannot write f64[3] into a selection of shape [4, 2]"), "%s",
              e2.message);
    cr_assert_str_eq(e1.message, e2.message);
    /* bool tensors take writes but not accumulations */
    Tensor *b = tensor_zeros(DT_BOOL, 2, shape);
    RtError e3 = {0}, e4 = {0};
    cr_assert(rt_selection_apply_atomic(op, b, &sel, rt_bool(true), RT_APPLY_SET, &e3), "%s",
              e3.message);
    cr_assert_eq(((unsigned char *)b->data)[1], 1);
    cr_assert_eq(((unsigned char *)b->data)[0], 0);
    cr_assert_not(rt_selection_apply(op, b, &sel, rt_bool(true), RT_APPLY_ADD, &e3));
    cr_assert_not(rt_selection_apply_atomic(op, b, &sel, rt_bool(true), RT_APPLY_ADD, &e4));
    cr_assert_str_eq(e3.message, e4.message);
    tensor_unref(w);
    tensor_unref(x);
    tensor_unref(b);
    arena_free(&a);
}

enum { THREADS = 4, ROUNDS = 50000, BINS = 7 };

typedef struct {
    const IrOp *one;   /* x[i] */
    const IrOp *whole; /* x[:] */
    Tensor *f64, *f32, *i64, *i32;
    int id;
    bool ok;
} Adder;

/* Adds 1 into element (id + k) % BINS of each tensor, and [1, 2, ..., BINS] into the whole f64
 * tensor, ROUNDS times; all threads at once. */
static void *add_rounds(void *arg)
{
    Adder *ad = arg;
    RtError err = {0};
    int64_t n = BINS, shape[1] = {BINS};
    Tensor *ramp = tensor_new(DT_F64, 1, &n);
    for (int64_t k = 0; k < BINS; k++)
        ((double *)ramp->data)[k] = (double)(k + 1);
    RtSelection all;
    RtValue none[1] = {{0}};
    ad->ok = rt_selection_resolve(ad->whole, ir_get_attr(ad->whole, "index"), none, 0, 1, shape,
                                  &all, &err);
    for (int k = 0; k < ROUNDS && ad->ok; k++) {
        RtValue i = rt_i64((ad->id + k) % BINS);
        RtSelection sel;
        ad->ok =
            rt_selection_resolve(ad->one, ir_get_attr(ad->one, "index"), &i, 1, 1, shape, &sel,
                                 &err) &&
            rt_selection_apply_atomic(ad->one, ad->f64, &sel, rt_f64(1), RT_APPLY_ADD, &err) &&
            rt_selection_apply_atomic(ad->one, ad->f32, &sel, rt_f32(1), RT_APPLY_SUB, &err) &&
            rt_selection_apply_atomic(ad->one, ad->i64, &sel, rt_i64(1), RT_APPLY_ADD, &err) &&
            rt_selection_apply_atomic(ad->one, ad->i32, &sel, (RtValue){.dtype = DT_I32, .i = 1},
                                      RT_APPLY_ADD, &err) &&
            rt_selection_apply_atomic(ad->whole, ad->f64, &all, rt_tensor(ramp), RT_APPLY_ADD,
                                      &err);
    }
    tensor_unref(ramp);
    return NULL;
}

Test(atomic, concurrent_additions_are_never_lost)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    const char *one_pos[] = {"i"}, *all_pos[] = {":"};
    int64_t n = BINS;
    Adder ad[THREADS];
    Tensor *f64 = tensor_zeros(DT_F64, 1, &n), *f32 = tensor_zeros(DT_F32, 1, &n);
    Tensor *i64 = tensor_zeros(DT_I64, 1, &n), *i32 = tensor_zeros(DT_I32, 1, &n);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        ad[t] = (Adder){
            indexed_op(m, one_pos, 1), indexed_op(m, all_pos, 1), f64, f32, i64, i32, t, false};
        cr_assert_eq(pthread_create(&threads[t], NULL, add_rounds, &ad[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        cr_assert(ad[t].ok, "thread %d failed", t);
    }
    /* each thread adds into bin b exactly count(b) times: ROUNDS = 7 * 7142 + 6 rounds visit the
     * bins id, id + 1, ... cyclically, so the 6 bins from id on get one more */
    for (int64_t b = 0; b < BINS; b++) {
        int64_t count = 0;
        for (int t = 0; t < THREADS; t++)
            count += ROUNDS / BINS + ((b - t + BINS) % BINS < ROUNDS % BINS ? 1 : 0);
        double whole = (double)THREADS * ROUNDS * (double)(b + 1);
        cr_assert_eq(((double *)f64->data)[b], (double)count + whole, "f64 bin %lld", (long long)b);
        cr_assert_eq(((float *)f32->data)[b], -(float)count, "f32 bin %lld", (long long)b);
        cr_assert_eq(((int64_t *)i64->data)[b], count, "i64 bin %lld", (long long)b);
        cr_assert_eq(((int32_t *)i32->data)[b], (int32_t)count, "i32 bin %lld", (long long)b);
    }
    tensor_unref(f64);
    tensor_unref(f32);
    tensor_unref(i64);
    tensor_unref(i32);
    arena_free(&a);
}
