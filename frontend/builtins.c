/* builtins.c: the builtin function table and lookups by name. */
#include "frontend/builtins.h"

#include "support/die.h"

#include <string.h>

static const BuiltinInfo table[BI_COUNT] = {
#define BUILTIN_INFO(id, name, min, max, kind, kw) {name, min, max, kind, kw},
    BUILTINS(BUILTIN_INFO)
#undef BUILTIN_INFO
};

BuiltinId builtin_lookup(const char *name)
{
    for (int i = 0; i < BI_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return (BuiltinId)i;
    return BI_NONE;
}

const BuiltinInfo *builtin_info(BuiltinId id)
{
    if (id < 0 || id >= BI_COUNT)
        DIE("bad builtin id %d", (int)id);
    return &table[id];
}

const char *builtin_name(BuiltinId id)
{
    return builtin_info(id)->name;
}

bool builtin_allows_keyword(BuiltinId id, const char *keyword)
{
    const char *list = builtin_info(id)->keywords;
    if (strcmp(list, "*") == 0)
        return true;
    size_t n = strlen(keyword);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, keyword, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}
