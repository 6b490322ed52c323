/* inject/ops.c — op id ↔ name, generated from the one X-macro list in ops.h.
 *
 * Invariant: the table below is produced by INJ_OP_LIST, so every id in
 * [0, INJ_OP_COUNT) has exactly one name and no two ops share one.
 */
#include <string.h>

#include "ops.h"

static const char *const op_names[INJ_OP_COUNT] = {
#define INJ_OP_NAME(id, name) [INJ_OP_##id] = #name,
    INJ_OP_LIST(INJ_OP_NAME)
#undef INJ_OP_NAME
};

const char *inj_op_name(enum inj_op op)
{
    if ((unsigned)op >= INJ_OP_COUNT)
        return "?";
    return op_names[op];
}

int inj_op_from_name(const char *name)
{
    if (!name)
        return -1;
    /* 34 short names: a linear scan is cheaper than any table to build, and
     * this only runs while parsing rule text, never per request. */
    for (int i = 0; i < INJ_OP_COUNT; i++)
        if (strcmp(op_names[i], name) == 0)
            return i;
    return -1;
}
