/* policy/keys.c — parse one KEY=VALUE field of a rule into the spec.
 *
 * Each handler sees only its own value and reports errors at the exact
 * sub-token (an errno in a list, a unit after a number). Whatever needs
 * the whole rule (conflicts, which ops a key applies to, errnos per op)
 * waits for check.c, once every field has been read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "pol_internal.h"

const char *const pol_key_names[POL_KEY_COUNT] = {
    [POL_KEY_PATH] = "path",     [POL_KEY_PID] = "pid",
    [POL_KEY_UID] = "uid",       [POL_KEY_GID] = "gid",
    [POL_KEY_COMM] = "comm",     [POL_KEY_OFFSET] = "offset",
    [POL_KEY_SIZE] = "size",     [POL_KEY_FLAGS] = "flags",
    [POL_KEY_WHEN] = "when",     [POL_KEY_PROB] = "prob",
    [POL_KEY_AFTER] = "after",   [POL_KEY_FOR] = "for",
    [POL_KEY_ERROR] = "error",   [POL_KEY_DELAY] = "delay",
    [POL_KEY_SHORT] = "short",   [POL_KEY_CORRUPT] = "corrupt",
    [POL_KEY_HANG] = "hang",     [POL_KEY_LIE] = "lie",
    [POL_KEY_ID] = "id",         [POL_KEY_FORCE] = "force",
    [POL_KEY_SELFIO] = "selfio", [POL_KEY_SELFIO_SIZE] = "selfio_size",
};

#define PID_MAX 4194304u   /* PID_MAX_LIMIT on 64-bit Linux */
#define ID_MAX 4294967294u /* (uid_t)-1 means "no id" to the kernel */

int pol_key_lookup(const struct pol_tok *name)
{
    for (int k = 0; k < POL_KEY_COUNT; k++)
        if (pol_tok_eq(name, pol_key_names[k]))
            return k;
    return -1;
}

bool pol_key_takes_value(enum pol_key key)
{
    return key != POL_KEY_HANG && key != POL_KEY_LIE && key != POL_KEY_FORCE;
}

static int dup_glob(struct pol_rule_state *st, const struct pol_tok *v,
                    bool is_path, char **out)
{
    int rc = pol_check_glob(st->ctx, v, is_path);

    if (rc < 0)
        return rc;
    *out = pol_tok_dup(v);
    return *out ? 0 : -ENOMEM;
}

static int parse_u32(struct pol_rule_state *st, const struct pol_tok *v,
                     uint32_t max, bool *has, uint32_t *out)
{
    uint64_t n;
    int rc = pol_parse_uint(st->ctx, v, max, &n);

    if (rc < 0)
        return rc;
    *has = true;
    *out = (uint32_t)n;
    return 0;
}

struct flag_name {
    const char *name;
    int value;
};

static const struct flag_name open_flags[] = {
    {"O_RDONLY", O_RDONLY},       {"O_WRONLY", O_WRONLY},
    {"O_RDWR", O_RDWR},           {"O_CREAT", O_CREAT},
    {"O_EXCL", O_EXCL},           {"O_NOCTTY", O_NOCTTY},
    {"O_TRUNC", O_TRUNC},         {"O_APPEND", O_APPEND},
    {"O_NONBLOCK", O_NONBLOCK},   {"O_DSYNC", O_DSYNC},
    {"O_SYNC", O_SYNC},           {"O_DIRECT", O_DIRECT},
    {"O_DIRECTORY", O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW},
    {"O_NOATIME", O_NOATIME},     {"O_CLOEXEC", O_CLOEXEC},
    {"O_PATH", O_PATH},           {"O_TMPFILE", O_TMPFILE},
    {"O_ASYNC", O_ASYNC},         {"O_NDELAY", O_NDELAY},
};

#define N_FLAGS (sizeof(open_flags) / sizeof(open_flags[0]))
#define N_ACCMODES 3 /* the first three entries set flags_accmode */

static int parse_flags(struct pol_rule_state *st, const struct pol_tok *v)
{
    struct inj_rule_spec *spec = st->spec;
    const char *names[N_FLAGS];
    size_t pos = 0;
    bool seen[N_FLAGS] = {false};

    for (size_t i = 0; i < N_FLAGS; i++)
        names[i] = open_flags[i].name;
    spec->flags_accmode = -1;
    spec->flags_all = 0;
    while (pos <= v->len) {
        const char *bar = memchr(v->s + pos, '|', v->len - pos);
        size_t end = bar ? (size_t)(bar - v->s) : v->len;
        struct pol_tok name = pol_tok_sub(v, pos, end - pos);
        size_t i;

        if (name.len == 0) {
            struct pol_tok t = pol_tok_sub(v, end < v->len ? end : pos - 1, 1);

            return pol_fail(st->ctx, &t,
                            "empty flag name; flags= is "
                            "O_NAME[|O_NAME]...");
        }
        for (i = 0; i < N_FLAGS; i++)
            if (pol_tok_eq(&name, open_flags[i].name))
                break;
        if (i == N_FLAGS) {
            const char *hint = pol_suggest(&name, names, N_FLAGS);

            if (hint)
                return pol_fail(st->ctx, &name,
                                "unknown open flag; did you mean '%s'?", hint);
            return pol_fail(st->ctx, &name,
                            "unknown open flag; expected O_RDONLY, O_WRONLY, "
                            "O_RDWR, O_CREAT, O_TRUNC, O_APPEND, ...");
        }
        /* O_NDELAY is O_NONBLOCK: naming both is a duplicate too */
        for (size_t j = 0; j < N_FLAGS; j++)
            if (seen[j] &&
                (j == i || (i >= N_ACCMODES && j >= N_ACCMODES &&
                            open_flags[j].value == open_flags[i].value)))
                return pol_fail(st->ctx, &name, "duplicate open flag");
        seen[i] = true;
        if (i < N_ACCMODES) {
            if (spec->flags_accmode != -1)
                return pol_fail(st->ctx, &name,
                                "more than one access mode; use one of "
                                "O_RDONLY, O_WRONLY, O_RDWR");
            spec->flags_accmode = open_flags[i].value;
        } else {
            spec->flags_all |= (uint32_t)open_flags[i].value;
        }
        pos = end + 1;
    }
    spec->has_flags = true;
    return 0;
}

static int parse_errnos(struct pol_rule_state *st, const struct pol_tok *v)
{
    struct inj_rule_spec *spec = st->spec;
    size_t pos = 0;

    spec->n_errnos = 0;
    while (pos <= v->len) {
        const char *comma = memchr(v->s + pos, ',', v->len - pos);
        size_t end = comma ? (size_t)(comma - v->s) : v->len;
        struct pol_tok item = pol_tok_sub(v, pos, end - pos);
        char name[32];
        int e;

        if (item.len == 0) {
            struct pol_tok t = pol_tok_sub(v, end < v->len ? end : pos - 1, 1);

            return pol_fail(st->ctx, &t,
                            "empty errno in list; error= is "
                            "ERRNO[,ERRNO]...");
        }
        if (spec->n_errnos == INJ_MAX_ERRNOS)
            return pol_fail(st->ctx, &item, "too many errnos; at most %d",
                            INJ_MAX_ERRNOS);
        if (item.s[0] >= '0' && item.s[0] <= '9') {
            uint64_t n;
            int rc = pol_parse_uint(st->ctx, &item, 4095, &n);

            if (rc < 0)
                return rc;
            if (n == 0)
                return pol_fail(st->ctx, &item,
                                "errno 0 is success; expected 1..4095 or "
                                "a name like EIO");
            e = (int)n;
        } else {
            e = pol_tok_str(&item, name, sizeof(name))
                    ? pol_errno_from_name(name)
                    : -1;
            if (e < 0) {
                const char *hint = pol_errno_suggest(&item);

                if (hint)
                    return pol_fail(st->ctx, &item,
                                    "unknown errno; did you mean '%s'?", hint);
                return pol_fail(st->ctx, &item,
                                "unknown errno; expected a name like EIO or "
                                "ENOSPC, or a number 1..4095");
            }
        }
        for (unsigned i = 0; i < spec->n_errnos; i++)
            if (spec->errnos[i] == e)
                return pol_fail(st->ctx, &item, "duplicate errno in list");
        st->errno_tok[spec->n_errnos] = item;
        spec->errnos[spec->n_errnos++] = e;
        pos = end + 1;
    }
    spec->actions |= INJ_ACT_ERROR;
    return 0;
}

static int parse_delay(struct pol_rule_state *st, const struct pol_tok *v)
{
    struct inj_range r;
    int rc = pol_parse_range(st->ctx, v, true, false, &r);

    if (rc < 0)
        return rc;
    if (r.hi == 0)
        return pol_fail(st->ctx, v,
                        "a delay of 0 does nothing; expected a "
                        "duration > 0 or MIN..MAX");
    st->spec->delay_min_ns = r.lo;
    st->spec->delay_max_ns = r.hi;
    st->spec->actions |= INJ_ACT_DELAY;
    return 0;
}

static int parse_short(struct pol_rule_state *st, const struct pol_tok *v)
{
    struct inj_rule_spec *spec = st->spec;
    int rc;

    if (v->len > 0 && v->s[v->len - 1] == '%') {
        struct pol_tok num = pol_tok_sub(v, 0, v->len - 1);
        uint64_t pct;

        rc = pol_parse_uint(st->ctx, &num, UINT64_MAX, &pct);
        if (rc < 0)
            return rc;
        if (pct >= 100)
            return pol_fail(st->ctx, v,
                            "short percentage out of range; "
                            "expected 0%%..99%% of the bytes asked");
        spec->short_is_pct = true;
        spec->short_pct = (uint32_t)pct;
    } else {
        rc = pol_parse_size(st->ctx, v, &spec->short_bytes);
        if (rc < 0)
            return rc;
    }
    spec->actions |= INJ_ACT_SHORT;
    return 0;
}

static int parse_corrupt(struct pol_rule_state *st, const struct pol_tok *v)
{
    static const char *const modes[] = {"flip", "zero", "random"};
    static const enum inj_corrupt values[] = {
        INJ_CORRUPT_FLIP, INJ_CORRUPT_ZERO, INJ_CORRUPT_RANDOM};
    const char *hint;

    for (size_t i = 0; i < 3; i++) {
        if (pol_tok_eq(v, modes[i])) {
            st->spec->corrupt = values[i];
            st->spec->actions |= INJ_ACT_CORRUPT;
            return 0;
        }
    }
    hint = pol_suggest(v, modes, 3);
    if (hint)
        return pol_fail(st->ctx, v, "unknown corruption; did you mean '%s'?",
                        hint);
    return pol_fail(st->ctx, v,
                    "unknown corruption; expected flip, zero or "
                    "random");
}

static int parse_selfio(struct pol_rule_state *st, const struct pol_tok *v)
{
    static const char *const kinds[] = {"stat", "lookup", "open", "write",
                                        "fsync"};
    static const enum inj_selfio values[] = {INJ_SELFIO_STAT, INJ_SELFIO_LOOKUP,
                                             INJ_SELFIO_OPEN, INJ_SELFIO_WRITE,
                                             INJ_SELFIO_FSYNC};
    const char *hint;

    for (size_t i = 0; i < 5; i++) {
        if (pol_tok_eq(v, kinds[i])) {
            st->spec->selfio = values[i];
            st->spec->actions |= INJ_ACT_SELFIO;
            return 0;
        }
    }
    hint = pol_suggest(v, kinds, 5);
    if (hint)
        return pol_fail(st->ctx, v, "unknown selfio kind; did you mean '%s'?",
                        hint);
    return pol_fail(st->ctx, v,
                    "unknown selfio kind; expected stat, lookup, open, "
                    "write or fsync");
}

static int parse_selfio_size(struct pol_rule_state *st, const struct pol_tok *v)
{
    int rc = pol_parse_size(st->ctx, v, &st->spec->selfio_size);

    if (rc == 0 && st->spec->selfio_size == 0)
        return pol_fail(st->ctx, v, "selfio_size must be larger than 0");
    return rc;
}

static int parse_id(struct pol_rule_state *st, const struct pol_tok *v)
{
    bool auto_form = v->len > 1 && v->s[0] == 'r';

    if (v->len >= INJ_ID_MAX)
        return pol_fail(st->ctx, v, "id longer than %d characters",
                        INJ_ID_MAX - 1);
    for (size_t i = 0; i < v->len; i++) {
        char c = v->s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return pol_fail(st->ctx, v,
                            "bad id; expected letters, digits, "
                            "'_', '.' and '-'");
        if (i > 0 && !(c >= '0' && c <= '9'))
            auto_form = false;
    }
    if (auto_form)
        return pol_fail(st->ctx, v,
                        "ids r1, r2, ... are reserved for rules "
                        "without an id; choose another name");
    memcpy(st->spec->id, v->s, v->len);
    st->spec->id[v->len] = '\0';
    return 0;
}

int pol_key_parse(struct pol_rule_state *st, enum pol_key key,
                  const struct pol_field *f)
{
    struct inj_rule_spec *spec = st->spec;
    const struct pol_tok *v = &f->val;
    const struct pol_ctx *ctx = st->ctx;
    int rc;

    switch (key) {
    case POL_KEY_PATH:
        return dup_glob(st, v, true, &spec->path_glob);
    case POL_KEY_COMM:
        return dup_glob(st, v, false, &spec->comm_glob);
    case POL_KEY_PID:
        return parse_u32(st, v, PID_MAX, &spec->has_pid, &spec->pid);
    case POL_KEY_UID:
        return parse_u32(st, v, ID_MAX, &spec->has_uid, &spec->uid);
    case POL_KEY_GID:
        return parse_u32(st, v, ID_MAX, &spec->has_gid, &spec->gid);
    case POL_KEY_OFFSET:
        spec->has_offset = true;
        return pol_parse_range(ctx, v, false, true, &spec->offset);
    case POL_KEY_SIZE:
        spec->has_size = true;
        return pol_parse_range(ctx, v, false, true, &spec->size);
    case POL_KEY_FLAGS:
        return parse_flags(st, v);
    case POL_KEY_WHEN:
        return pol_parse_when(ctx, v, spec);
    case POL_KEY_PROB:
        spec->has_prob = true;
        return pol_parse_prob(ctx, v, &spec->prob);
    case POL_KEY_AFTER:
        spec->has_after = true;
        return pol_parse_size(ctx, v, &spec->after_bytes);
    case POL_KEY_FOR:
        rc = pol_parse_duration(ctx, v, &spec->for_ns);
        if (rc == 0 && spec->for_ns == 0)
            return pol_fail(ctx, v, "for= must be longer than 0");
        spec->has_for = true;
        return rc;
    case POL_KEY_ERROR:
        return parse_errnos(st, v);
    case POL_KEY_DELAY:
        return parse_delay(st, v);
    case POL_KEY_SHORT:
        return parse_short(st, v);
    case POL_KEY_CORRUPT:
        return parse_corrupt(st, v);
    case POL_KEY_HANG:
        spec->actions |= INJ_ACT_HANG;
        return 0;
    case POL_KEY_LIE:
        spec->actions |= INJ_ACT_LIE;
        return 0;
    case POL_KEY_ID:
        return parse_id(st, v);
    case POL_KEY_FORCE:
        spec->errno_forced = true;
        return 0;
    case POL_KEY_SELFIO:
        return parse_selfio(st, v);
    case POL_KEY_SELFIO_SIZE:
        return parse_selfio_size(st, v);
    case POL_KEY_COUNT:
        break;
    }
    return -EINVAL;
}
