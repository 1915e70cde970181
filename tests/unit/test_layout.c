/* test_layout.c: column companions and views (executor/value.h, eval_index.c): a matrix stored
 * with its columns contiguous gives the same column slices as the row-major one, its full
 * columns are zero-copy views that nothing writes in place, and the companion is freed with the
 * last of the matrix and its views (AddressSanitizer checks the lifetimes). */
#include "executor/eval.h"
#include "ir/ir.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

/* A rows x cols matrix of dtype whose element (i, j) is 1000 i + j (bool: (i + j) % 3 == 0). */
static Tensor *numbered(DType dtype, int64_t rows, int64_t cols)
{
    int64_t shape[2] = {rows, cols};
    Tensor *t = tensor_new(dtype, 2, shape);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            if (dtype == DT_BOOL)
                tensor_set_i64(t, i * cols + j, (i + j) % 3 == 0);
            else
                tensor_set_f64(t, i * cols + j, (double)(1000 * i + j));
        }
    return t;
}

/* An op over block arguments typed like the given values (results typed `result`). */
static IrOp *op_over(IrModule *m, IrOpcode opcode, const RtValue *args, int n, Type result)
{
    IrValue *operands[4];
    for (int i = 0; i < n; i++) {
        Type t = {.dtype = args[i].dtype};
        if (args[i].is_tensor) {
            t.rank = (uint8_t)args[i].t->rank;
            for (int d = 0; d < t.rank; d++)
                t.dims[d] = (Dim){.kind = DIM_CONST, .value = args[i].t->shape[d]};
        }
        operands[i] = ir_region_add_arg(m, m->body, t);
    }
    return ir_op_new(m, opcode, operands, n, &result, 1);
}

/* x[positions] through the evaluator. */
static RtValue slice(IrModule *m, Tensor *x, const char *const *positions, int npos,
                     const int64_t *idx, int nidx)
{
    RtValue args[4] = {rt_tensor(x)};
    for (int i = 0; i < nidx; i++)
        args[1 + i] = rt_i64(idx[i]);
    IrOp *op = op_over(m, IR_OP_SLICE, args, 1 + nidx, (Type){.dtype = x->dtype, .rank = 1});
    ir_set_strings(m, op, "index", positions, npos);
    RtEvalContext ctx = {.checked = true};
    RtValue out = {0};
    RtError err = {0};
    cr_assert(rt_eval_op(&ctx, op, 0, args, &out, &err), "%s", err.message);
    cr_assert(out.is_tensor);
    return out;
}

/* Runs the blocks of a transpose in reverse order (any order must give the same companion). */
static void reverse_for(void *user, int64_t n, void (*fn)(void *arg, int64_t i), void *arg)
{
    int *calls = user;
    ++*calls;
    for (int64_t i = n; i-- > 0;)
        fn(arg, i);
}

/* Every column slice of x (with its companion) equals the row-major column; full columns are
 * views of the companion, 64-byte aligned, and read-only. */
static void check_columns(IrModule *m, Tensor *x)
{
    int64_t rows = x->shape[0], cols = x->shape[1];
    const char *column[] = {":", "i"};
    for (int64_t j = 0; j < cols; j++) {
        RtValue c = slice(m, x, column, 2, &j, 1);
        cr_assert_eq(c.t->rank, 1);
        cr_assert_eq(c.t->shape[0], rows);
        cr_assert(c.t->base == x->columns, "column %lld is not a view of the companion",
                  (long long)j);
        cr_assert_eq((uintptr_t)c.t->data % 64, 0);
        cr_assert_not(tensor_is_unique(c.t));
        for (int64_t i = 0; i < rows; i++)
            cr_assert_eq(tensor_get_f64(c.t, i), tensor_get_f64(x, i * cols + j),
                         "element (%lld, %lld)", (long long)i, (long long)j);
        rt_value_release(&c);
    }
}

Test(layout, column_slices_of_a_columns_input_equal_the_row_major_ones)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    /* 37 rows: columns padded to 40 f64 / 48 f32 / 64 bool; 70 and 130 columns: several blocks */
    struct {
        DType dtype;
        int64_t rows, cols;
    } cases[] = {{DT_F64, 37, 11}, {DT_F64, 8, 130}, {DT_F32, 37, 70},
                 {DT_I64, 5, 3},   {DT_I32, 1, 65},  {DT_BOOL, 37, 9}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        Tensor *x = numbered(cases[k].dtype, cases[k].rows, cases[k].cols);
        int calls = 0;
        cr_assert(tensor_add_columns(x, reverse_for, &calls));
        cr_assert_eq(calls, cases[k].cols > 64 ? 1 : 0, "blocks run through parallel_for");
        cr_assert_not_null(x->columns);
        Tensor *first = x->columns;
        cr_assert(tensor_add_columns(x, NULL, NULL));
        cr_assert_eq(x->columns, first, "a second call keeps the companion");
        check_columns(m, x);
        tensor_unref(x);
    }
    arena_free(&a);
}

Test(layout, partial_columns_and_rows_are_copies)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    Tensor *x = numbered(DT_F64, 20, 6);
    cr_assert(tensor_add_columns(x, NULL, NULL));
    const char *part[] = {"a..b", "i"};
    int64_t idx[3] = {3, 11, 4};
    RtValue c = slice(m, x, part, 2, idx, 3);
    cr_assert_null(c.t->base);
    cr_assert_eq(c.t->shape[0], 8);
    for (int64_t i = 0; i < 8; i++)
        cr_assert_eq(((double *)c.t->data)[i], 1000.0 * (3 + i) + 4);
    cr_assert(tensor_is_unique(c.t));
    rt_value_release(&c);
    const char *row[] = {"i", ":"};
    int64_t i7 = 7;
    RtValue r = slice(m, x, row, 2, &i7, 1);
    cr_assert_null(r.t->base);
    for (int64_t j = 0; j < 6; j++)
        cr_assert_eq(((double *)r.t->data)[j], 7000.0 + j);
    rt_value_release(&r);
    tensor_unref(x);
    arena_free(&a);
}

Test(layout, views_and_companions_are_never_written_in_place)
{
    Arena a;
    arena_init(&a);
    IrModule *m = ir_module_new(&a);
    Tensor *x = numbered(DT_F64, 16, 4);
    cr_assert(tensor_add_columns(x, NULL, NULL));
    cr_assert_not(tensor_is_unique(x), "a matrix with a companion is read-only");
    const char *column[] = {":", "i"};
    int64_t j = 2;
    RtValue c = slice(m, x, column, 2, &j, 1);

    /* the matrix itself goes: the view keeps the companion alive */
    tensor_unref(x);
    cr_assert_eq(((double *)c.t->data)[5], 5002.0);

    /* an op that may reuse its dying operand's buffer (inplace = 0) makes a new tensor instead */
    IrOp *neg = op_over(m, IR_OP_NEG, &c, 1, (Type){.dtype = DT_F64, .rank = 1});
    ir_set_int(m, neg, "inplace", 0);
    RtEvalContext ctx = {.checked = true};
    RtValue n = {0};
    RtError err = {0};
    cr_assert(rt_eval_op(&ctx, neg, 0, &c, &n, &err), "%s", err.message);
    cr_assert_neq(n.t, c.t);
    cr_assert_eq(((double *)n.t->data)[5], -5002.0);
    cr_assert_eq(((double *)c.t->data)[5], 5002.0, "the view was written");
    rt_value_release(&n);

    /* copy on write copies a view: the copy owns its elements, the companion is unchanged */
    Tensor *view = tensor_ref(c.t);
    Tensor *w = tensor_make_unique(&view);
    cr_assert_not_null(w);
    cr_assert_neq(w, c.t);
    cr_assert_null(w->base);
    cr_assert(tensor_is_unique(w));
    ((double *)w->data)[5] = 1.5;
    cr_assert_eq(((double *)c.t->data)[5], 5002.0);
    tensor_unref(w);
    rt_value_release(&c);

    /* a copy of a matrix with a companion has none and is writable */
    Tensor *y = numbered(DT_F64, 3, 3);
    cr_assert(tensor_add_columns(y, NULL, NULL));
    Tensor *copy = tensor_copy(y);
    cr_assert_null(copy->columns);
    cr_assert(tensor_is_unique(copy));
    cr_assert_eq(memcmp(copy->data, y->data, tensor_bytes(y)), 0);
    tensor_unref(copy);
    tensor_unref(y);
    arena_free(&a);
}

Test(layout, only_dense_matrices_get_a_companion)
{
    int64_t n = 5;
    Tensor *v = tensor_zeros(DT_F64, 1, &n);
    cr_assert(tensor_add_columns(v, NULL, NULL));
    cr_assert_null(v->columns);
    tensor_unref(v);
    Tensor *s = tensor_new_csr(DT_F64, 2, 2, 0);
    s->rowptr[0] = s->rowptr[1] = s->rowptr[2] = 0;
    cr_assert(tensor_add_columns(s, NULL, NULL));
    cr_assert_null(s->columns);
    tensor_unref(s);
    int64_t empty[2] = {0, 4};
    Tensor *e = tensor_new(DT_F64, 2, empty);
    cr_assert(tensor_add_columns(e, NULL, NULL));
    cr_assert_not_null(e->columns);
    cr_assert_eq(e->columns->shape[0], 4);
    tensor_unref(e);
}
