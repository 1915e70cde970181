/* print.c: the IR's generic textual form (read back by read.c) and a Graphviz view.
 *
 * Contract: output depends only on the graph (values renumbered %0, %1, ... in print order,
 * attributes already sorted by name, floats in shortest round-trip form), so equal graphs print
 * equal text and golden files are stable. Printing never fails; a malformed graph (an operand
 * with no visible definition) prints "%<undefined>", which the reader rejects. */
#include "ir/ir.h"

#include "ir/valmap.h"
#include "support/die.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- scalars ---- */

void ir_format_double(double v, Buf *out)
{
    if (isnan(v)) {
        buf_puts(out, "nan");
        return;
    }
    if (isinf(v)) {
        buf_puts(out, v < 0 ? "-inf" : "inf");
        return;
    }
    char text[40];
    /* 17 significant digits always round-trip a double; fewer often do and read better. */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        double back = strtod(text, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    buf_puts(out, text);
    if (!strpbrk(text, ".e"))
        buf_puts(out, ".0");
}

static void print_string(const char *s, Buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            buf_puts(out, "\\\"");
            break;
        case '\\':
            buf_puts(out, "\\\\");
            break;
        case '\n':
            buf_puts(out, "\\n");
            break;
        case '\t':
            buf_puts(out, "\\t");
            break;
        default:
            if (*p < 0x20 || *p >= 0x7f) {
                buf_putc(out, '\\');
                buf_putc(out, hex[*p >> 4]);
                buf_putc(out, hex[*p & 15]);
            } else {
                buf_putc(out, (char)*p);
            }
        }
    }
    buf_putc(out, '"');
}

static bool is_bare_symbol(const char *s)
{
    if (!*s || *s == '.')
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '$';
        if (!ok)
            return false;
    }
    return true;
}

static void print_symbol(const char *s, Buf *out)
{
    buf_putc(out, '@');
    if (is_bare_symbol(s))
        buf_puts(out, s);
    else
        print_string(s, out);
}

static void print_attr_value(const IrAttr *a, Buf *out)
{
    switch (a->kind) {
    case IR_ATTR_INT:
        buf_printf(out, "%" PRId64, a->int_value);
        return;
    case IR_ATTR_FLOAT:
        ir_format_double(a->float_value, out);
        return;
    case IR_ATTR_STRING:
        print_string(a->string, out);
        return;
    case IR_ATTR_BOOL:
        buf_puts(out, a->bool_value ? "true" : "false");
        return;
    case IR_ATTR_SYMBOL:
        print_symbol(a->string, out);
        return;
    case IR_ATTR_TYPE:
        type_print(&a->type, out);
        return;
    case IR_ATTR_INTS:
    case IR_ATTR_STRINGS:
    case IR_ATTR_SYMBOLS:
        buf_putc(out, '[');
        for (int i = 0; i < a->count; i++) {
            if (i)
                buf_puts(out, ", ");
            if (a->kind == IR_ATTR_INTS)
                buf_printf(out, "%" PRId64, a->ints[i]);
            else if (a->kind == IR_ATTR_STRINGS)
                print_string(a->strings[i], out);
            else
                print_symbol(a->strings[i], out);
        }
        buf_putc(out, ']');
        return;
    }
    UNREACHABLE();
}

/* ---- text ---- */

typedef struct {
    Buf *out;
    const IrPrintOptions *options;
    IrValueMap numbers;
    int next_number;
} Printer;

static void put_indent(Buf *out, int depth)
{
    for (int i = 0; i < depth; i++)
        buf_puts(out, "  ");
}

static void define_value(Printer *p, const IrValue *v)
{
    ir_valmap_put(&p->numbers, v, p->next_number);
    buf_printf(p->out, "%%%d", p->next_number++);
}

static void use_value(Printer *p, const IrValue *v)
{
    int n;
    if (v && ir_valmap_get(&p->numbers, v, &n))
        buf_printf(p->out, "%%%d", n);
    else
        buf_puts(p->out, "%<undefined>");
}

static void print_type_list(const Printer *p, IrValue *const *values, int n)
{
    buf_putc(p->out, '(');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_puts(p->out, ", ");
        type_print(&values[i]->type, p->out);
    }
    buf_putc(p->out, ')');
}

static void print_op(Printer *p, const IrOp *op, int depth);

static void print_region(Printer *p, const IrRegion *r, int depth)
{
    buf_puts(p->out, "{\n");
    if (r->nargs > 0) {
        put_indent(p->out, depth);
        buf_puts(p->out, "^bb0(");
        for (int i = 0; i < r->nargs; i++) {
            if (i)
                buf_puts(p->out, ", ");
            define_value(p, r->args[i]);
            buf_puts(p->out, ": ");
            type_print(&r->args[i]->type, p->out);
        }
        buf_puts(p->out, "):\n");
    }
    for (const IrOp *op = r->first; op; op = op->next)
        print_op(p, op, depth + 1);
    put_indent(p->out, depth);
    buf_putc(p->out, '}');
}

static void print_attrs(Printer *p, const IrOp *op)
{
    if (op->nattrs == 0)
        return;
    buf_puts(p->out, " {");
    for (int i = 0; i < op->nattrs; i++) {
        if (i)
            buf_puts(p->out, ", ");
        buf_printf(p->out, "%s = ", op->attrs[i].name);
        print_attr_value(&op->attrs[i], p->out);
    }
    buf_putc(p->out, '}');
}

static void print_loc(Printer *p, const IrOp *op)
{
    if (!p->options || !p->options->locations || op->loc.line == 0)
        return;
    buf_puts(p->out, " loc(");
    print_string(op->loc.file ? op->loc.file : "", p->out);
    buf_printf(p->out, ":%u:%u)", op->loc.line, op->loc.col);
}

static void print_op(Printer *p, const IrOp *op, int depth)
{
    put_indent(p->out, depth);
    for (int i = 0; i < op->nresults; i++) {
        if (i)
            buf_puts(p->out, ", ");
        define_value(p, op->results[i]);
    }
    if (op->nresults > 0)
        buf_puts(p->out, " = ");
    buf_printf(p->out, "\"%s\"(", ir_op_info(op->opcode)->name);
    for (int i = 0; i < op->noperands; i++) {
        if (i)
            buf_puts(p->out, ", ");
        use_value(p, op->operands[i]);
    }
    buf_putc(p->out, ')');
    if (op->nregions > 0) {
        buf_puts(p->out, " (");
        for (int i = 0; i < op->nregions; i++) {
            if (i)
                buf_puts(p->out, ", ");
            print_region(p, op->regions[i], depth);
        }
        buf_putc(p->out, ')');
    }
    print_attrs(p, op);
    buf_puts(p->out, " : ");
    print_type_list(p, op->operands, op->noperands);
    buf_puts(p->out, " -> ");
    if (op->nresults == 1)
        type_print(&op->results[0]->type, p->out);
    else
        print_type_list(p, op->results, op->nresults);
    print_loc(p, op);
    buf_putc(p->out, '\n');
}

void ir_print(const IrModule *m, Buf *out, const IrPrintOptions *options)
{
    Printer p = {.out = out, .options = options};
    for (const IrOp *op = m->body->first; op; op = op->next)
        print_op(&p, op, 0);
    ir_valmap_free(&p.numbers);
    buf_cstr(out);
}

/* ---- Graphviz ---- */

typedef struct {
    Buf *out;
    IrValueMap nodes; /* value -> node number of its defining op or block-argument node */
    int next_node;
    int next_cluster;
} DotPrinter;

static void dot_escape(Buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(out, '\\');
        buf_putc(out, *s);
    }
}

static void dot_type_label(Buf *out, const Type *t)
{
    Buf text = {0};
    type_print(t, &text);
    dot_escape(out, buf_cstr(&text));
    buf_free(&text);
}

static void dot_op(DotPrinter *d, const IrOp *op, int depth);

static void dot_region(DotPrinter *d, const IrRegion *r, const char *label, int depth)
{
    put_indent(d->out, depth);
    buf_printf(d->out, "subgraph cluster_%d {\n", d->next_cluster++);
    put_indent(d->out, depth + 1);
    buf_printf(d->out, "label=\"%s\";\n", label);
    for (int i = 0; i < r->nargs; i++) {
        int node = d->next_node++;
        ir_valmap_put(&d->nodes, r->args[i], node);
        put_indent(d->out, depth + 1);
        buf_printf(d->out, "n%d [shape=ellipse, label=\"arg %d: ", node, i);
        dot_type_label(d->out, &r->args[i]->type);
        buf_puts(d->out, "\"];\n");
    }
    for (const IrOp *op = r->first; op; op = op->next)
        dot_op(d, op, depth + 1);
    put_indent(d->out, depth);
    buf_puts(d->out, "}\n");
}

static void dot_attr_summary(DotPrinter *d, const IrOp *op)
{
    for (int i = 0; i < op->nattrs; i++) {
        Buf text = {0};
        buf_printf(&text, "\\n%s = ", op->attrs[i].name);
        Buf value = {0};
        print_attr_value(&op->attrs[i], &value);
        /* Long attribute values would make unreadable nodes; Graphviz labels stay short. */
        const char *v = buf_cstr(&value);
        enum { MAX_SHOWN = 40 };
        if (strlen(v) > MAX_SHOWN) {
            buf_append(&text, v, MAX_SHOWN);
            buf_puts(&text, "...");
        } else {
            buf_puts(&text, v);
        }
        for (const char *c = buf_cstr(&text); *c; c++) {
            if (*c == '"')
                buf_puts(d->out, "\\\"");
            else
                buf_putc(d->out, *c);
        }
        buf_free(&text);
        buf_free(&value);
    }
}

static void dot_op(DotPrinter *d, const IrOp *op, int depth)
{
    int node = d->next_node++;
    for (int i = 0; i < op->nresults; i++)
        ir_valmap_put(&d->nodes, op->results[i], node);
    const char *name = ir_op_info(op->opcode)->name;
    put_indent(d->out, depth);
    buf_printf(d->out, "n%d [label=\"%s", node, name);
    dot_attr_summary(d, op);
    buf_puts(d->out, "\"];\n");
    for (int i = 0; i < op->noperands; i++) {
        int from;
        if (!ir_valmap_get(&d->nodes, op->operands[i], &from))
            continue;
        put_indent(d->out, depth);
        buf_printf(d->out, "n%d -> n%d [label=\"", from, node);
        dot_type_label(d->out, &op->operands[i]->type);
        buf_puts(d->out, "\"];\n");
    }
    for (int i = 0; i < op->nregions; i++) {
        char label[96];
        snprintf(label, sizeof label, "%s region %d (n%d)", name, i, node);
        dot_region(d, op->regions[i], label, depth);
    }
}

void ir_print_dot(const IrModule *m, Buf *out)
{
    DotPrinter d = {.out = out};
    buf_puts(out, "digraph ir {\n");
    buf_puts(out, "  node [shape=box, fontname=\"monospace\"];\n");
    buf_puts(out, "  edge [fontname=\"monospace\", fontsize=10];\n");
    for (const IrOp *op = m->body->first; op; op = op->next)
        dot_op(&d, op, 1);
    buf_puts(out, "}\n");
    ir_valmap_free(&d.nodes);
}
