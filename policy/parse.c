/* policy/parse.c — rule text to rule specs: lines, the op list, keys, files.
 *
 * A line is lexed (lexer.c), its op list resolved here, each field handed
 * to keys.c in text order, and the whole rule checked (check.c); the first
 * error stops everything and nothing parsed so far is returned. Specs are
 * built in locals and moved to the caller only on success, so every error
 * path frees exactly what it made. Loading is linear in the number of
 * rules: an id is checked against the ones before it through a hash set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pol_internal.h"

#define FILE_MAX (16u << 20) /* a rules file larger than this is a mistake */
#define GROUP_COUNT 7

static const char *const group_names[GROUP_COUNT] = {
    "all", "data", "sync", "namespace", "attr", "xattr", "dir"};

/* What each key's value looks like, for "expected ..." messages. */
static const char *const key_syntax[POL_KEY_COUNT] = {
    [POL_KEY_PATH] = "path=/GLOB",
    [POL_KEY_PID] = "pid=N",
    [POL_KEY_UID] = "uid=N",
    [POL_KEY_GID] = "gid=N",
    [POL_KEY_COMM] = "comm=GLOB",
    [POL_KEY_OFFSET] = "offset=A..B",
    [POL_KEY_SIZE] = "size=A..B",
    [POL_KEY_FLAGS] = "flags=O_NAME[|O_NAME]...",
    [POL_KEY_WHEN] = "when=FIRST[..LAST][+[STEP]]",
    [POL_KEY_PROB] = "prob=P or prob=N%",
    [POL_KEY_AFTER] = "after=BYTES",
    [POL_KEY_FOR] = "for=DURATION",
    [POL_KEY_ERROR] = "error=ERRNO[,ERRNO]...",
    [POL_KEY_DELAY] = "delay=DURATION or delay=MIN..MAX",
    [POL_KEY_SHORT] = "short=BYTES or short=P%",
    [POL_KEY_CORRUPT] = "corrupt=flip|zero|random",
    [POL_KEY_HANG] = "hang",
    [POL_KEY_LIE] = "lie",
    [POL_KEY_ID] = "id=NAME",
    [POL_KEY_FORCE] = "force",
    [POL_KEY_SELFIO] = "selfio=stat|lookup|open|write|fsync",
    [POL_KEY_SELFIO_SIZE] = "selfio_size=BYTES",
};

static int fail_errno(struct pol_error *err, const char *file, int rc,
                      const char *what)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        snprintf(err->file, sizeof(err->file), "%s", file);
        snprintf(err->msg, sizeof(err->msg), "%s: %s", what,
                 strerrordesc_np(-rc) ? strerrordesc_np(-rc) : "error");
    }
    return rc;
}

static int unknown_op(struct pol_rule_state *st, const struct pol_tok *item)
{
    const char *names[INJ_OP_COUNT + GROUP_COUNT];
    const char *hint;

    if (memchr(item->s, '=', item->len))
        return pol_fail(st->ctx, item,
                        "expected an op list before the first ':', e.g. "
                        "'read,write:error=EIO'");
    for (int i = 0; i < INJ_OP_COUNT; i++)
        names[i] = inj_op_name((enum inj_op)i);
    for (int i = 0; i < GROUP_COUNT; i++)
        names[INJ_OP_COUNT + i] = group_names[i];
    hint = pol_suggest(item, names, INJ_OP_COUNT + GROUP_COUNT);
    if (hint)
        return pol_fail(st->ctx, item,
                        "unknown op or group; did you mean '%s'?", hint);
    return pol_fail(st->ctx, item,
                    "unknown op or group; expected an op name (read, "
                    "write, fsync, ...) or a group (all, data, sync, "
                    "namespace, attr, xattr, dir)");
}

static int parse_ops(struct pol_rule_state *st)
{
    const struct pol_tok *ops = &st->ops_tok;
    struct pol_tok seen[INJ_OP_COUNT + GROUP_COUNT];
    unsigned n_seen = 0;
    size_t pos = 0;

    while (pos <= ops->len) {
        const char *comma = memchr(ops->s + pos, ',', ops->len - pos);
        size_t end = comma ? (size_t)(comma - ops->s) : ops->len;
        struct pol_tok item = pol_tok_sub(ops, pos, end - pos);
        char name[32];
        uint64_t mask = 0;
        int op = -1;

        if (item.len == 0) {
            struct pol_tok t =
                pol_tok_sub(ops, end < ops->len ? end : pos - 1, 1);

            return pol_fail(st->ctx, &t,
                            "empty op name in the op list; "
                            "expected OP[,OP]...");
        }
        for (unsigned i = 0; i < n_seen; i++)
            if (seen[i].len == item.len &&
                memcmp(seen[i].s, item.s, item.len) == 0)
                return pol_fail(st->ctx, &item,
                                "duplicate op in the op list (first at "
                                "column %u)",
                                seen[i].col);
        if (pol_tok_str(&item, name, sizeof(name))) {
            op = inj_op_from_name(name);
            mask = op >= 0 ? inj_op_bit((enum inj_op)op) : pol_group_mask(name);
        }
        if (!mask)
            return unknown_op(st, &item);
        if (op == INJ_OP_GETLK || op == INJ_OP_SETLK)
            return pol_fail(st->ctx, &item,
                            "rules on '%s' can never fire: snagfs leaves "
                            "POSIX locks to the kernel, which never sends "
                            "them to the daemon; use flock, or open/write "
                            "rules on the locked file",
                            name);
        /* every name is distinct from the ones before, so at most
         * INJ_OP_COUNT + GROUP_COUNT of them fit */
        seen[n_seen++] = item;
        st->spec->ops |= mask;
        pos = end + 1;
    }
    return 0;
}

static int unknown_key(struct pol_rule_state *st, const struct pol_field *f)
{
    char name[32];
    const char *hint;

    if (f->key.len == 0)
        return pol_fail(st->ctx, &f->all, "missing key before '='");
    if (pol_tok_str(&f->key, name, sizeof(name)) &&
        (inj_op_from_name(name) >= 0 || pol_group_mask(name)))
        return pol_fail(st->ctx, &f->key,
                        "'%s' is an op, not a key; list every op before the "
                        "first ':', separated by ','",
                        name);
    hint = pol_suggest(&f->key, pol_key_names, POL_KEY_COUNT);
    if (hint)
        return pol_fail(st->ctx, &f->key, "unknown key; did you mean '%s'?",
                        hint);
    return pol_fail(st->ctx, &f->key,
                    "unknown key; expected a filter (path, pid, uid, gid, "
                    "comm, offset, size, flags), trigger (when, prob, after, "
                    "for), action (error, delay, short, corrupt, hang, lie), "
                    "id or force");
}

static int parse_field(struct pol_rule_state *st, const struct pol_field *f)
{
    int k = pol_key_lookup(&f->key);

    if (k < 0)
        return unknown_key(st, f);
    if (st->seen[k])
        return pol_fail(st->ctx, &f->key, "duplicate key (first at column %u)",
                        st->fields[k].key.col);
    if (pol_key_takes_value((enum pol_key)k)) {
        if (!f->has_eq)
            return pol_fail(st->ctx, &f->key, "missing '='; expected %s",
                            key_syntax[k]);
        if (f->val.len == 0)
            return pol_fail(st->ctx, &f->all, "empty value; expected %s",
                            key_syntax[k]);
    } else if (f->has_eq) {
        return pol_fail(st->ctx, &f->all, "'%s' takes no value; write ':%s'",
                        pol_key_names[k], pol_key_names[k]);
    }
    st->seen[k] = true;
    st->fields[k] = *f;
    st->order[st->n_order++] = (unsigned)k;
    return pol_key_parse(st, (enum pol_key)k, f);
}

/* Parse one line. *blank is set for a blank or comment-only line (then
 * *out is untouched). On success *out owns the new spec and *id_tok says
 * where its id= value was (len 0 without one). */
static int parse_line(const struct pol_ctx *ctx, const char *line, size_t len,
                      struct inj_rule_spec *out, bool *blank,
                      struct pol_tok *id_tok)
{
    struct inj_rule_spec spec;
    struct pol_rule_state st;
    struct pol_lexer lx;
    struct pol_field f;
    char origin[300];
    int rc;

    *blank = false;
    rc = pol_lex_start(&lx, ctx, line, len);
    if (rc < 0)
        return rc;
    if (lx.rule.len == 0) {
        *blank = true;
        return 0;
    }
    memset(&spec, 0, sizeof(spec));
    spec.flags_accmode = -1; /* "any access mode" unless flags= says */
    memset(&st, 0, sizeof(st));
    st.ctx = ctx;
    st.spec = &spec;
    st.rule = lx.rule;
    rc = pol_lex_ops(&lx, &st.ops_tok);
    if (rc == 0)
        rc = parse_ops(&st);
    while (rc == 0 && (rc = pol_lex_field(&lx, &f)) > 0)
        rc = parse_field(&st, &f);
    if (rc == 0)
        rc = pol_check_rule(&st);
    if (rc < 0)
        goto out_clear;
    snprintf(origin, sizeof(origin), "%s:%u", ctx->file, ctx->line);
    spec.origin = strdup(origin);
    spec.text = pol_tok_dup(&lx.rule);
    if (!spec.origin || !spec.text) {
        rc = -ENOMEM;
        goto out_clear;
    }
    *id_tok = st.seen[POL_KEY_ID] ? st.fields[POL_KEY_ID].val
                                  : pol_tok_sub(&lx.rule, 0, 0);
    *out = spec;
    return 0;

out_clear:
    inj_rule_spec_clear(&spec);
    if (rc == -ENOMEM)
        fail_errno(ctx->err, ctx->file, rc, "parsing rules");
    return rc;
}

int pol_parse_rule(const char *text, const char *file, unsigned line,
                   struct inj_rule_spec *out, struct pol_error *err)
{
    struct pol_ctx ctx = {err, file ? file : "<rule>", line ? line : 1};
    const char *nl;
    struct pol_tok id;
    bool blank;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!text)
        return -EINVAL;
    nl = strchr(text, '\n');
    if (nl) {
        struct pol_tok t = {"\\n", 2, (unsigned)(nl - text) + 1};

        return pol_fail(&ctx, &t,
                        "newline in a rule; give one rule at a "
                        "time");
    }
    rc = parse_line(&ctx, text, strlen(text), out, &blank, &id);
    if (rc == 0 && blank) {
        struct pol_tok t = {"", 0, 1};

        return pol_fail(&ctx, &t, "empty rule; expected OPS[:KEY=VALUE]...");
    }
    return rc;
}

void pol_rules_clear(struct pol_rules *rules)
{
    if (!rules)
        return;
    for (size_t i = 0; i < rules->n; i++)
        inj_rule_spec_clear(&rules->specs[i]);
    free(rules->specs);
    rules->specs = NULL;
    rules->n = 0;
}

/* The ids used so far in one text, so that each new id is checked in
 * constant time (a text may hold 100,000 rules). Open addressing, linear
 * probing; a slot holds 1 + the index in rules->specs of the rule that
 * used the id first (0: empty), and the table is kept at most half full. */
struct id_set {
    size_t *slot;
    size_t mask; /* slots - 1; 0 before the first insert */
    size_t n;
};

static uint64_t id_hash(const char *id)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */

    for (; *id; id++) {
        h ^= (unsigned char)*id;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Index of the rule that uses id, or -1. */
static long id_set_find(const struct id_set *ids, const struct pol_rules *rules,
                        const char *id)
{
    if (!ids->n)
        return -1;
    for (size_t i = (size_t)id_hash(id) & ids->mask;; i = (i + 1) & ids->mask) {
        size_t r = ids->slot[i];

        if (!r)
            return -1;
        if (strcmp(rules->specs[r - 1].id, id) == 0)
            return (long)(r - 1);
    }
}

static void id_set_place(size_t *slot, size_t mask, const char *id,
                         size_t value)
{
    size_t i = (size_t)id_hash(id) & mask;

    while (slot[i])
        i = (i + 1) & mask;
    slot[i] = value;
}

/* Record that rules->specs[idx] (which has an id not in ids) uses its id.
 * 0 or -ENOMEM. */
static int id_set_add(struct id_set *ids, const struct pol_rules *rules,
                      size_t idx)
{
    if (2 * (ids->n + 1) > ids->mask + 1) { /* also true before the first */
        size_t slots = ids->slot ? 2 * (ids->mask + 1) : 64;
        size_t *grown = calloc(slots, sizeof(*grown));

        if (!grown)
            return -ENOMEM;
        for (size_t i = 0; ids->slot && i <= ids->mask; i++)
            if (ids->slot[i])
                id_set_place(grown, slots - 1,
                             rules->specs[ids->slot[i] - 1].id, ids->slot[i]);
        free(ids->slot);
        ids->slot = grown;
        ids->mask = slots - 1;
    }
    id_set_place(ids->slot, ids->mask, rules->specs[idx].id, idx + 1);
    ids->n++;
    return 0;
}

/* Fails when spec's id was already used by a rule in rules. */
static int check_unique_id(const struct pol_ctx *ctx, const struct id_set *ids,
                           const struct pol_rules *rules,
                           const struct inj_rule_spec *spec,
                           const struct pol_tok *id_tok)
{
    long first;
    const char *origin, *colon;

    if (!spec->id[0])
        return 0;
    first = id_set_find(ids, rules, spec->id);
    if (first < 0)
        return 0;
    origin = rules->specs[first].origin;
    colon = origin ? strrchr(origin, ':') : NULL;
    return pol_fail(ctx, id_tok, "duplicate id '%s' (first at line %s)",
                    spec->id, colon ? colon + 1 : "?");
}

int pol_parse_text(const char *text, size_t len, const char *file,
                   struct pol_rules *out, struct pol_error *err)
{
    struct pol_ctx ctx = {err, file ? file : "<text>", 0};
    struct pol_rules rules = {NULL, 0};
    struct id_set ids = {NULL, 0, 0};
    size_t cap = 0, pos = 0;
    int rc = 0;

    out->specs = NULL;
    out->n = 0;
    if (!text && len)
        return -EINVAL;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        struct inj_rule_spec spec;
        struct pol_tok id;
        bool blank;

        ctx.line++;
        rc = parse_line(&ctx, text + pos, end - pos, &spec, &blank, &id);
        pos = end + 1;
        if (rc < 0)
            goto out_clear;
        if (blank)
            continue;
        rc = check_unique_id(&ctx, &ids, &rules, &spec, &id);
        if (rc == 0 && rules.n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct inj_rule_spec *n =
                realloc(rules.specs, ncap * sizeof(*rules.specs));

            if (n) {
                rules.specs = n;
                cap = ncap;
            } else {
                rc = fail_errno(err, ctx.file, -ENOMEM, "parsing rules");
            }
        }
        if (rc < 0) {
            inj_rule_spec_clear(&spec);
            goto out_clear;
        }
        rules.specs[rules.n++] = spec;
        if (spec.id[0] && id_set_add(&ids, &rules, rules.n - 1) < 0) {
            rc = fail_errno(err, ctx.file, -ENOMEM, "parsing rules");
            goto out_clear;
        }
    }
    free(ids.slot);
    *out = rules;
    return 0;

out_clear:
    free(ids.slot);
    pol_rules_clear(&rules);
    return rc;
}

int pol_parse_file(const char *path, struct pol_rules *out,
                   struct pol_error *err)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int fd, rc;

    out->specs = NULL;
    out->n = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(err, path, -errno, "cannot open");
    if (fstat(fd, &st) < 0) {
        rc = fail_errno(err, path, -errno, "cannot stat");
        goto out_close;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = fail_errno(err, path, -EISDIR, "cannot read");
        goto out_close;
    }
    if (st.st_size > (off_t)FILE_MAX) {
        rc = fail_errno(err, path, -EFBIG, "rules file over 16 MiB");
        goto out_close;
    }
    /* st_size may be stale or 0 (pipes, /proc): read until EOF */
    for (size_t cap = 0;;) {
        ssize_t n;

        if (len == cap) {
            char *nb;

            cap = cap ? cap * 2 : (size_t)st.st_size + 4096;
            if (cap > FILE_MAX + 1)
                cap = FILE_MAX + 1;
            if (len == cap) {
                rc = fail_errno(err, path, -EFBIG, "rules file over 16 MiB");
                goto out_free;
            }
            nb = realloc(buf, cap);
            if (!nb) {
                rc = fail_errno(err, path, -ENOMEM, "cannot read");
                goto out_free;
            }
            buf = nb;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fail_errno(err, path, -errno, "cannot read");
            goto out_free;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    rc = pol_parse_text(buf ? buf : "", len, path, out, err);

out_free:
    free(buf);
out_close:
    close(fd);
    return rc;
}
