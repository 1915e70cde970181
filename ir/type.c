/* type.c: dtype names and the printed form of types. */
#include "ir/type.h"

#include "support/die.h"

#include <inttypes.h>
#include <string.h>

const char *type_dtype_name(DType t)
{
    switch (t) {
    case DT_NONE:
        return "none";
    case DT_BOOL:
        return "bool";
    case DT_I32:
        return "i32";
    case DT_I64:
        return "i64";
    case DT_F32:
        return "f32";
    case DT_F64:
        return "f64";
    case DT_STR:
        return "str";
    }
    UNREACHABLE();
}

bool type_dtype_from_name(const char *s, DType *out)
{
    static const DType all[] = {DT_NONE, DT_BOOL, DT_I32, DT_I64, DT_F32, DT_F64, DT_STR};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(s, type_dtype_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

bool type_is_float(DType t)
{
    return t == DT_F32 || t == DT_F64;
}

bool type_is_int(DType t)
{
    return t == DT_I32 || t == DT_I64;
}

bool type_dim_equal(Dim a, Dim b)
{
    if (a.kind != b.kind)
        return false;
    switch (a.kind) {
    case DIM_CONST:
        return a.value == b.value;
    case DIM_SYM:
        return strcmp(a.sym, b.sym) == 0;
    case DIM_ANY:
        return true;
    }
    UNREACHABLE();
}

bool type_equal(const Type *a, const Type *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank || a->sparse != b->sparse)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (!type_dim_equal(a->dims[i], b->dims[i]))
            return false;
    return true;
}

Type type_scalar(DType t)
{
    Type ty = {0};
    ty.dtype = t;
    return ty;
}

void type_print_dim(Dim d, Buf *out)
{
    switch (d.kind) {
    case DIM_CONST:
        buf_printf(out, "%" PRId64, d.value);
        return;
    case DIM_SYM:
        buf_puts(out, d.sym);
        return;
    case DIM_ANY:
        buf_putc(out, '?');
        return;
    }
    UNREACHABLE();
}

void type_print(const Type *t, Buf *out)
{
    if (t->sparse)
        buf_puts(out, "csr ");
    buf_puts(out, type_dtype_name(t->dtype));
    if (t->rank == 0)
        return;
    buf_putc(out, '[');
    for (int i = 0; i < t->rank; i++) {
        if (i)
            buf_puts(out, ", ");
        type_print_dim(t->dims[i], out);
    }
    buf_putc(out, ']');
}
