/* ast.c: spellings of AST operators and kinds, for diagnostics and dumps. */
#include "frontend/ast.h"

#include "support/die.h"

const char *ast_op_spelling(OpKind op)
{
    switch (op) {
    case OP_NEG:
        return "-";
    case OP_NOT:
        return "not";
    case OP_OR:
        return "or";
    case OP_AND:
        return "and";
    case OP_EQ:
        return "==";
    case OP_NE:
        return "!=";
    case OP_LT:
        return "<";
    case OP_LE:
        return "<=";
    case OP_GT:
        return ">";
    case OP_GE:
        return ">=";
    case OP_ADD:
        return "+";
    case OP_SUB:
        return "-";
    case OP_MUL:
        return "*";
    case OP_DIV:
        return "/";
    case OP_MOD:
        return "%";
    case OP_MATMUL:
        return "@";
    case OP_POW:
        return "**";
    }
    UNREACHABLE();
}

const char *ast_assign_spelling(AssignOp op)
{
    switch (op) {
    case ASSIGN_SET:
        return "=";
    case ASSIGN_ADD:
        return "+=";
    case ASSIGN_SUB:
        return "-=";
    case ASSIGN_MUL:
        return "*=";
    case ASSIGN_DIV:
        return "/=";
    }
    UNREACHABLE();
}

const char *ast_stmt_kind_name(StmtKind k)
{
    switch (k) {
    case ST_CONFIG:
        return "config";
    case ST_INPUT:
        return "input";
    case ST_PARAM:
        return "param";
    case ST_VAR:
        return "var";
    case ST_LET:
        return "let";
    case ST_FN:
        return "fn";
    case ST_ASSIGN:
        return "assignment";
    case ST_EXPR:
        return "expression statement";
    case ST_FOR:
        return "for";
    case ST_WHILE:
        return "while";
    case ST_IF:
        return "if";
    case ST_BREAK:
        return "break";
    case ST_CONTINUE:
        return "continue";
    case ST_RETURN:
        return "return";
    case ST_PFOR:
        return "parallel for";
    }
    UNREACHABLE();
}

const char *ast_consistency_name(Consistency c)
{
    switch (c) {
    case CONS_BSP:
        return "bsp";
    case CONS_SERIAL:
        return "serial";
    case CONS_ASYNC:
        return "async";
    case CONS_SSP:
        return "ssp";
    }
    UNREACHABLE();
}

const char *ast_partition_name(Partition p)
{
    switch (p) {
    case PART_NONE:
        return "none";
    case PART_ROWS:
        return "rows";
    case PART_COLS:
        return "cols";
    case PART_REPLICATED:
        return "replicated";
    }
    UNREACHABLE();
}

static void print_index_item(const IndexItem *it, Buf *out)
{
    switch (it->kind) {
    case IX_ALL:
        buf_putc(out, ':');
        return;
    case IX_EXPR:
        ast_print_expr(it->expr, out);
        return;
    case IX_SLICE:
        if (it->lo)
            ast_print_expr(it->lo, out);
        buf_puts(out, "..");
        if (it->hi)
            ast_print_expr(it->hi, out);
        return;
    }
    UNREACHABLE();
}

void ast_print_expr(const Expr *e, Buf *out)
{
    switch (e->kind) {
    case EX_INT:
        buf_printf(out, "%lld", (long long)e->int_value);
        return;
    case EX_FLOAT:
        buf_printf(out, "%.17g", e->float_value);
        return;
    case EX_BOOL:
        buf_puts(out, e->bool_value ? "true" : "false");
        return;
    case EX_STRING:
        buf_printf(out, "\"%s\"", e->string_value);
        return;
    case EX_NAME:
        buf_puts(out, e->name);
        return;
    case EX_UNARY:
        buf_printf(out, "(%s ", ast_op_spelling(e->op));
        ast_print_expr(e->lhs, out);
        buf_putc(out, ')');
        return;
    case EX_BINARY:
        buf_printf(out, "(%s ", ast_op_spelling(e->op));
        ast_print_expr(e->lhs, out);
        buf_putc(out, ' ');
        ast_print_expr(e->rhs, out);
        buf_putc(out, ')');
        return;
    case EX_CALL:
        buf_printf(out, "(call %s", e->name);
        for (int i = 0; i < e->nargs; i++) {
            buf_putc(out, ' ');
            if (e->args[i].name)
                buf_printf(out, "%s=", e->args[i].name);
            ast_print_expr(e->args[i].value, out);
        }
        buf_putc(out, ')');
        return;
    case EX_INDEX:
        buf_puts(out, "(index ");
        ast_print_expr(e->lhs, out);
        for (int i = 0; i < e->nitems; i++) {
            buf_putc(out, ' ');
            print_index_item(&e->items[i], out);
        }
        buf_putc(out, ')');
        return;
    case EX_TRANSPOSE:
        buf_puts(out, "(.T ");
        ast_print_expr(e->lhs, out);
        buf_putc(out, ')');
        return;
    case EX_TUPLE:
        buf_puts(out, "(tuple");
        for (int i = 0; i < e->nelems; i++) {
            buf_putc(out, ' ');
            ast_print_expr(e->elems[i], out);
        }
        buf_putc(out, ')');
        return;
    case EX_RANGE:
        buf_puts(out, "(.. ");
        ast_print_expr(e->lhs, out);
        buf_putc(out, ' ');
        ast_print_expr(e->rhs, out);
        buf_putc(out, ')');
        return;
    case EX_LAMBDA:
        buf_puts(out, "(lambda (");
        for (int i = 0; i < e->nparams; i++)
            buf_printf(out, "%s%s", i ? " " : "", e->params[i].name);
        buf_puts(out, ") ");
        ast_print_expr(e->lhs, out);
        buf_putc(out, ')');
        return;
    }
    UNREACHABLE();
}
