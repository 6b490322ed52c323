/* ctl/protocol.c — snagctl/1 request parser: bytes in, struct ctl_request or a
 * precise error out.
 *
 * Pure: no allocation, no globals written, no reads beyond len. Tokens are
 * separated by runs of spaces or tabs; `add` takes the rest of the line
 * verbatim as rule text because rule globs may contain spaces.
 */
#include "protocol.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const cmd_names[] = {
#define CTL_CMD_NAME(id, name) #name,
    CTL_CMD_LIST(CTL_CMD_NAME)
#undef CTL_CMD_NAME
};

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
    return (unsigned)cmd < CTL_CMD_COUNT ? cmd_names[cmd] : "?";
}

struct tok {
    const char *p;
    size_t n, col; /* col is 1-based */
};

static bool is_sep(char c)
{
    return c == ' ' || c == '\t';
}

/* Next token at or after *pos; false at end of line. */
static bool next_tok(const char *line, size_t len, size_t *pos, struct tok *t)
{
    size_t i = *pos;
    while (i < len && is_sep(line[i]))
        i++;
    if (i >= len)
        return false;
    size_t start = i;
    while (i < len && !is_sep(line[i]))
        i++;
    t->p = line + start;
    t->n = i - start;
    t->col = start + 1;
    *pos = i;
    return true;
}

static int fail(struct ctl_parse_error *err, int e, size_t col, const char *tok,
                size_t tok_len, const char *fmt, const char *arg)
{
    err->err = e;
    err->col = col;
    size_t max = sizeof(err->token) - 1;
    if (tok_len > max) {
        memcpy(err->token, tok, max - 3);
        memcpy(err->token + max - 3, "...", 4);
    } else {
        if (tok_len)
            memcpy(err->token, tok, tok_len);
        err->token[tok_len] = '\0';
    }
    /* The token may hold any byte; the response writer JSON-escapes it. */
    snprintf(err->msg, sizeof(err->msg), fmt, arg ? arg : "");
    return -e;
}

#define FAIL_TOK(t, e, fmt, arg) fail(err, e, (t).col, (t).p, (t).n, fmt, arg)

int ctl_parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || (len > 1 && s[0] == '0'))
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int ctl_parse_duration(const char *s, size_t len, uint64_t *ns)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {{"ns", 1},
                 {"us", 1000},
                 {"ms", 1000000},
                 {"s", 1000000000},
                 {"m", UINT64_C(60000000000)},
                 {"h", UINT64_C(3600000000000)}};
    size_t digits = 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    uint64_t v, mult = 1000000000;
    int rc = ctl_parse_u64(s, digits, &v);
    if (rc)
        return rc;
    if (digits < len) {
        size_t ulen = len - digits;
        mult = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            if (strlen(units[i].suffix) == ulen &&
                memcmp(units[i].suffix, s + digits, ulen) == 0)
                mult = units[i].mult;
        }
        if (!mult)
            return -EINVAL;
    }
    if (v > UINT64_MAX / mult)
        return -ERANGE;
    *ns = v * mult;
    return 0;
}

static int parse_id(const struct tok *t, char *id, struct ctl_parse_error *err)
{
    if (t->n >= INJ_ID_MAX)
        return FAIL_TOK(*t, EINVAL, "rule id longer than %s bytes", "63");
    memcpy(id, t->p, t->n);
    id[t->n] = '\0';
    return 0;
}

static int no_more(const char *line, size_t len, size_t pos, const char *cmd,
                   struct ctl_parse_error *err)
{
    struct tok t;
    if (next_tok(line, len, &pos, &t))
        return FAIL_TOK(t, EINVAL, "unexpected argument for '%s'", cmd);
    return 0;
}

static int parse_wait(const char *line, size_t len, size_t pos,
                      struct ctl_request *rq, struct ctl_parse_error *err)
{
    struct tok t;
    if (!next_tok(line, len, &pos, &t))
        return fail(err, EINVAL, len + 1, "", 0,
                    "'wait' needs a rule id and a count: wait ID N "
                    "[timeout=DURATION]%s",
                    NULL);
    int rc = parse_id(&t, rq->id, err);
    if (rc)
        return rc;
    if (!next_tok(line, len, &pos, &t))
        return fail(err, EINVAL, len + 1, "", 0,
                    "'wait' needs a count after the rule id%s", NULL);
    rc = ctl_parse_u64(t.p, t.n, &rq->count);
    if (rc)
        return FAIL_TOK(t, EINVAL,
                        rc == -ERANGE ? "count out of range%s"
                                      : "count must be a decimal integer%s",
                        NULL);
    if (!next_tok(line, len, &pos, &t))
        return 0;
    static const char key[] = "timeout=";
    if (t.n < sizeof(key) - 1 || memcmp(t.p, key, sizeof(key) - 1) != 0)
        return FAIL_TOK(t, EINVAL,
                        "unexpected argument for 'wait'; expected "
                        "timeout=DURATION%s",
                        NULL);
    rc = ctl_parse_duration(t.p + sizeof(key) - 1, t.n - (sizeof(key) - 1),
                            &rq->timeout_ns);
    if (rc)
        return FAIL_TOK(t, EINVAL,
                        "bad duration; expected an integer and ns, us, ms, "
                        "s, m or h (e.g. timeout=5s)%s",
                        NULL);
    rq->has_timeout = true;
    return no_more(line, len, pos, "wait", err);
}

static int parse_stats(const char *line, size_t len, size_t pos,
                       struct ctl_request *rq, struct ctl_parse_error *err)
{
    struct tok t;
    rq->fmt = CTL_STATS_TEXT;
    if (!next_tok(line, len, &pos, &t))
        return 0;
    if (t.n == 4 && memcmp(t.p, "text", 4) == 0)
        rq->fmt = CTL_STATS_TEXT;
    else if (t.n == 4 && memcmp(t.p, "json", 4) == 0)
        rq->fmt = CTL_STATS_JSON;
    else if (t.n == 10 && memcmp(t.p, "prometheus", 10) == 0)
        rq->fmt = CTL_STATS_PROMETHEUS;
    else
        return FAIL_TOK(t, EINVAL,
                        "unknown stats format; expected text, json or "
                        "prometheus%s",
                        NULL);
    return no_more(line, len, pos, "stats", err);
}

int ctl_request_parse(const char *line, size_t len, struct ctl_request *rq,
                      struct ctl_parse_error *err)
{
    memset(rq, 0, sizeof(*rq));
    memset(err, 0, sizeof(*err));
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > CTL_LINE_MAX)
        return fail(err, E2BIG, CTL_LINE_MAX + 1, "", 0,
                    "request line longer than 65536 bytes%s", NULL);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            char hex[8];
            snprintf(hex, sizeof(hex), "0x%02x", c);
            return fail(err, EINVAL, i + 1, "", 0, "control byte %s in request",
                        hex);
        }
    }

    size_t pos = 0;
    struct tok t;
    if (!next_tok(line, len, &pos, &t))
        return fail(err, EINVAL, 1, "", 0,
                    "empty request; expected 'snagctl/1 COMMAND'%s", NULL);
    static const char proto[] = CTL_PROTO_NAME;
    if (t.n != sizeof(proto) - 1 || memcmp(t.p, proto, t.n) != 0) {
        size_t d = 8;
        while (d < t.n && t.p[d] >= '0' && t.p[d] <= '9')
            d++;
        if (t.n > 8 && d == t.n && memcmp(t.p, "snagctl/", 8) == 0)
            return FAIL_TOK(t, EPROTONOSUPPORT,
                            "unsupported protocol version; this server "
                            "speaks %s",
                            CTL_PROTO_NAME);
        return FAIL_TOK(t, EPROTO, "request must start with '%s'",
                        CTL_PROTO_NAME);
    }
    if (!next_tok(line, len, &pos, &t))
        return fail(err, EINVAL, len + 1, "", 0,
                    "missing command; try 'snagctl/1 help'%s", NULL);
    int cmd = -1;
    for (int i = 0; i < CTL_CMD_COUNT; i++) {
        if (strlen(cmd_names[i]) == t.n && memcmp(cmd_names[i], t.p, t.n) == 0)
            cmd = i;
    }
    if (cmd < 0)
        return FAIL_TOK(t, EINVAL,
                        "unknown command; expected one of: version, help, "
                        "add, del, list, clear, stats, reload, wait, release, "
                        "generation, trace%s",
                        NULL);
    rq->cmd = (enum ctl_cmd)cmd;
    const char *name = cmd_names[cmd];

    switch (rq->cmd) {
    case CTL_CMD_ADD: {
        size_t i = pos;
        while (i < len && is_sep(line[i]))
            i++;
        size_t end = len;
        while (end > i && is_sep(line[end - 1]))
            end--;
        if (i >= end)
            return fail(err, EINVAL, len + 1, "", 0,
                        "'add' needs a rule, e.g. add read:error=EIO%s", NULL);
        rq->rule = line + i;
        rq->rule_len = end - i;
        return 0;
    }
    case CTL_CMD_DEL:
    case CTL_CMD_RELEASE: {
        if (!next_tok(line, len, &pos, &t))
            return fail(err, EINVAL, len + 1, "", 0, "'%s' needs a rule id",
                        name);
        int rc = parse_id(&t, rq->id, err);
        return rc ? rc : no_more(line, len, pos, name, err);
    }
    case CTL_CMD_WAIT:
        return parse_wait(line, len, pos, rq, err);
    case CTL_CMD_STATS:
        return parse_stats(line, len, pos, rq, err);
    default:
        return no_more(line, len, pos, name, err);
    }
}
