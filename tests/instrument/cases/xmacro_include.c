/* An #include inside an initializer (X-macro tables, as in jq's bytecode.c):
   the profiler's include goes after the last #include at file scope. */
#include <stddef.h>

struct op { const char *name; int len; };
#define OP(name, len) {#name, len},
static const struct op ops[] = {
#include "xmacro_ops.def"
};
#undef OP

int op_len(size_t i)
{
    return ops[i].len;
}
