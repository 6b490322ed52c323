/* policy/check.c — checks that need the whole rule: actions, conflicts, ops.
 *
 * Run after every field parsed cleanly, in a fixed order: an action is
 * present; force has an error= to apply to; no two actions contradict each
 * other; every filter and action applies to every op the rule names; every
 * errno is one those ops can return (unless forced). Each error points at
 * the field (or the errno) that breaks the rule, the later one of a pair.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pol_internal.h"

#define B(op) (UINT64_C(1) << INJ_OP_##op)

/* Pairs of actions that contradict each other, and why. lie reports
 * success without doing the work: it cannot also fail, shorten, damage or
 * park the request. An error transfers no data to shorten or damage.
 * delay composes with everything. */
static const struct {
    enum pol_key a, b;
    const char *why;
} conflicts[] = {
    {POL_KEY_LIE, POL_KEY_ERROR, "lie reports success"},
    {POL_KEY_LIE, POL_KEY_SHORT, "lie reports a full transfer"},
    {POL_KEY_LIE, POL_KEY_CORRUPT, "lie does no transfer to corrupt"},
    {POL_KEY_LIE, POL_KEY_HANG, "lie answers at once"},
    {POL_KEY_ERROR, POL_KEY_SHORT, "an error transfers no data"},
    {POL_KEY_ERROR, POL_KEY_CORRUPT, "an error transfers no data"},
};

/* Keys that apply only to some ops. all_of: every op of the rule must be
 * in mask; otherwise at least one must be (after= counts bytes written by
 * some of the rule's ops and may fire on the others). */
static const struct {
    enum pol_key key;
    uint64_t mask;
    bool all_of;
} applies[] = {
    {POL_KEY_OFFSET,
     B(READ) | B(WRITE) | B(FALLOCATE) | B(COPY_FILE_RANGE) | B(LSEEK), true},
    {POL_KEY_SIZE, B(READ) | B(WRITE) | B(FALLOCATE) | B(COPY_FILE_RANGE),
     true},
    {POL_KEY_FLAGS, B(OPEN) | B(CREATE) | B(OPENDIR), true},
    {POL_KEY_SHORT, B(READ) | B(WRITE) | B(COPY_FILE_RANGE), true},
    {POL_KEY_CORRUPT, B(READ) | B(WRITE), true},
    /* Ops whose success answer carries no data, so success can be faked
     * without inventing attributes or entries. */
    {POL_KEY_LIE, B(WRITE) | B(FLUSH) | B(FSYNC) | B(FSYNCDIR) | B(FALLOCATE),
     true},
    {POL_KEY_AFTER,
     B(WRITE) | B(CREATE) | B(MKDIR) | B(MKNOD) | B(FALLOCATE) |
         B(COPY_FILE_RANGE) | B(SYMLINK) | B(LINK),
     false},
};

#undef B

/* "read, write, copy_file_range" for the ops in mask. */
static const char *mask_names(uint64_t mask, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int op = 0; op < INJ_OP_COUNT && n < size; op++) {
        if (!(mask & inj_op_bit((enum inj_op)op)))
            continue;
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
                              inj_op_name((enum inj_op)op));
    }
    return buf;
}

static int check_conflicts(struct pol_rule_state *st)
{
    for (unsigned i = 0; i < st->n_order; i++) {
        enum pol_key later = (enum pol_key)st->order[i];

        for (unsigned j = 0; j < i; j++) {
            enum pol_key earlier = (enum pol_key)st->order[j];

            for (size_t c = 0; c < sizeof(conflicts) / sizeof(conflicts[0]);
                 c++) {
                if ((conflicts[c].a == earlier && conflicts[c].b == later) ||
                    (conflicts[c].b == earlier && conflicts[c].a == later))
                    return pol_fail(st->ctx, &st->fields[later].all,
                                    "'%s' conflicts with '%s': %s",
                                    pol_key_names[later],
                                    pol_key_names[earlier], conflicts[c].why);
            }
        }
    }
    return 0;
}

static int check_applies(struct pol_rule_state *st)
{
    uint64_t ops = st->spec->ops;
    char names[200];

    for (unsigned i = 0; i < st->n_order; i++) {
        enum pol_key key = (enum pol_key)st->order[i];

        for (size_t a = 0; a < sizeof(applies) / sizeof(applies[0]); a++) {
            uint64_t outside = ops & ~applies[a].mask;
            int op;

            if (applies[a].key != key)
                continue;
            mask_names(applies[a].mask, names, sizeof(names));
            if (!applies[a].all_of) {
                if (ops & applies[a].mask)
                    continue;
                return pol_fail(st->ctx, &st->fields[key].all,
                                "'%s' needs an op that writes bytes or "
                                "creates a name: %s",
                                pol_key_names[key], names);
            }
            if (!outside)
                continue;
            for (op = 0; !(outside & inj_op_bit((enum inj_op)op)); op++)
                ;
            return pol_fail(st->ctx, &st->fields[key].all,
                            "'%s' does not apply to op '%s'; it applies "
                            "only to %s",
                            pol_key_names[key], inj_op_name((enum inj_op)op),
                            names);
        }
    }
    return 0;
}

static int check_errnos(struct pol_rule_state *st)
{
    const struct inj_rule_spec *spec = st->spec;

    if (spec->errno_forced)
        return 0;
    for (unsigned i = 0; i < spec->n_errnos; i++) {
        for (int op = 0; op < INJ_OP_COUNT; op++) {
            const char *name;
            char num[16];

            if (!(spec->ops & inj_op_bit((enum inj_op)op)) ||
                pol_errno_valid_for_op((enum inj_op)op, spec->errnos[i]))
                continue;
            /* looked up only here: a scan of the table, per op, per rule */
            name = pol_errno_name(spec->errnos[i]);
            if (!name) {
                snprintf(num, sizeof(num), "%d", spec->errnos[i]);
                name = num;
            }
            return pol_fail(st->ctx, &st->errno_tok[i],
                            "%s is not an errno op '%s' can return (see "
                            "%s); add ':force' to inject it anyway",
                            name, inj_op_name((enum inj_op)op),
                            pol_op_manref((enum inj_op)op));
        }
    }
    return 0;
}

int pol_check_rule(struct pol_rule_state *st)
{
    int rc;

    if (st->spec->actions == 0)
        return pol_fail(st->ctx, &st->rule,
                        "rule has no action; add one of error=, delay=, "
                        "short=, corrupt=, hang, lie, selfio=");
    if (st->seen[POL_KEY_SELFIO_SIZE] && st->spec->selfio != INJ_SELFIO_WRITE)
        return pol_fail(st->ctx, &st->fields[POL_KEY_SELFIO_SIZE].all,
                        "'selfio_size' is the size of selfio=write; this "
                        "rule has no selfio=write");
    if (st->seen[POL_KEY_FORCE] && !st->seen[POL_KEY_ERROR])
        return pol_fail(st->ctx, &st->fields[POL_KEY_FORCE].all,
                        "'force' only skips the errno check of error=, and "
                        "this rule has no error=");
    rc = check_conflicts(st);
    if (rc == 0)
        rc = check_applies(st);
    if (rc == 0)
        rc = check_errnos(st);
    return rc;
}
