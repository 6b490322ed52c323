/* ctl/commands.c — what each snagctl/1 command does, and the response lines it
 * writes.
 *
 * Invariants: every mutation (add, del, clear, reload) takes the server
 * mutex, reads the current set with inj_engine_snapshot() and publishes a
 * whole new array with inj_engine_replace(): the engine swaps it atomically,
 * so requests in flight finish on the set they started with. Every response
 * carries the generation current when it was written (for a mutation: the
 * one it published).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/policy.h"
#include "server_int.h"

#ifndef SNAG_VERSION
#define SNAG_VERSION "unknown"
#endif

const char *ctl_errno_name(int err)
{
    const char *n = err > 0 ? strerrorname_np(err) : NULL;
    return n ? n : "EIO";
}

void ctl_resp_ok(struct ctl_buf *b, uint64_t gen)
{
    ctl_buf_printf(b, "{\"v\":%d,\"ok\":true,\"gen\":%llu", CTL_PROTO_VERSION,
                   (unsigned long long)gen);
}

void ctl_resp_end(struct ctl_buf *b)
{
    ctl_buf_puts(b, "}\n");
}

void ctl_resp_err(struct ctl_buf *b, bool with_gen, uint64_t gen, int err,
                  const char *msg)
{
    ctl_buf_printf(b, "{\"v\":%d,\"ok\":false", CTL_PROTO_VERSION);
    if (with_gen)
        ctl_buf_printf(b, ",\"gen\":%llu", (unsigned long long)gen);
    ctl_buf_printf(b, ",\"errno\":\"%s\",\"error\":", ctl_errno_name(err));
    ctl_buf_json_cstr(b, msg);
    ctl_buf_puts(b, "}\n");
}

static uint64_t cur_gen(struct ctl_server *s)
{
    return inj_engine_generation(s->cfg.engine);
}

/* Publish old[0..n) minus `drop` plus `add`; puts nothing. */
static int publish(struct ctl_server *s, struct inj_rule **old, size_t n,
                   struct inj_rule *drop, struct inj_rule *add, uint64_t *gen)
{
    struct inj_rule **rules = calloc(n + 2, sizeof(*rules));
    if (!rules)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (old[i] != drop)
            rules[k++] = old[i];
    if (add)
        rules[k++] = add;
    int rc = inj_engine_replace(s->cfg.engine, rules, k, gen);
    free(rules);
    return rc;
}

static void put_all(struct inj_rule **rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        inj_rule_put(rules[i]);
    free(rules);
}

static struct inj_rule *find_rule(struct inj_rule **rules, size_t n,
                                  const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(inj_rule_id(rules[i]), id) == 0)
            return rules[i];
    return NULL;
}

static void cmd_add(struct ctl_server *s, struct ctl_client *c,
                    const struct ctl_request *rq)
{
    struct inj_rule_spec spec = {0};
    struct pol_error perr = {0};
    /* The line was NUL-terminated at its end by the caller; trailing
     * blanks were trimmed by the parser, so copy exactly rule_len bytes. */
    char *text = strndup(rq->rule, rq->rule_len);
    if (!text) {
        ctl_resp_err(&c->out, true, cur_gen(s), ENOMEM, "out of memory");
        return;
    }
    int rc = pol_parse_rule(text, "<control>", 1, &spec, &perr);
    free(text);
    if (rc) {
        char msg[768];
        if (rc == -ENOMEM)
            snprintf(msg, sizeof(msg), "out of memory");
        else
            pol_error_format(&perr, msg, sizeof(msg));
        ctl_buf_printf(&c->out,
                       "{\"v\":%d,\"ok\":false,\"gen\":%llu,"
                       "\"errno\":\"%s\",\"error\":",
                       CTL_PROTO_VERSION, (unsigned long long)cur_gen(s),
                       ctl_errno_name(-rc));
        ctl_buf_json_cstr(&c->out, msg);
        if (rc != -ENOMEM) {
            ctl_buf_printf(&c->out,
                           ",\"line\":%u,\"col\":%u,\"token\":", perr.line,
                           perr.col);
            ctl_buf_json_cstr(&c->out, perr.token);
        }
        ctl_buf_puts(&c->out, "}\n");
        return;
    }
    struct inj_rule *rule = NULL, **old = NULL;
    size_t n = 0;
    uint64_t gen = 0;
    pthread_mutex_lock(&s->mu);
    rc = inj_rule_new(s->cfg.engine, &spec, &rule);
    if (rc == 0 &&
        (rc = inj_engine_snapshot(s->cfg.engine, &old, &n, &gen)) == 0) {
        if (find_rule(old, n, inj_rule_id(rule)))
            rc = -EEXIST;
        else
            rc = publish(s, old, n, NULL, rule, &gen);
        put_all(old, n);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc) {
        char msg[160];
        if (rc == -EEXIST && rule)
            snprintf(msg, sizeof(msg), "a rule with id '%s' already exists",
                     inj_rule_id(rule));
        else
            snprintf(msg, sizeof(msg), "the engine rejected the rule: %s",
                     strerror(-rc));
        ctl_resp_err(&c->out, true, cur_gen(s), -rc, msg);
    } else {
        ctl_resp_ok(&c->out, gen);
        ctl_buf_puts(&c->out, ",\"id\":");
        ctl_buf_json_cstr(&c->out, inj_rule_id(rule));
        ctl_resp_end(&c->out);
    }
    if (rule)
        inj_rule_put(rule);
    inj_rule_spec_clear(&spec);
}

static void no_such_rule(struct ctl_server *s, struct ctl_client *c,
                         const char *id)
{
    struct ctl_buf m = {0};
    ctl_buf_puts(&m, "no rule with id ");
    ctl_buf_json_cstr(&m, id);
    ctl_resp_err(&c->out, true, cur_gen(s), ENOENT, ctl_buf_str(&m));
    ctl_buf_free(&m);
}

static void cmd_del_clear(struct ctl_server *s, struct ctl_client *c,
                          const struct ctl_request *rq)
{
    struct inj_rule **old = NULL;
    size_t n = 0;
    uint64_t gen = 0;
    bool missing = false;
    pthread_mutex_lock(&s->mu);
    int rc = inj_engine_snapshot(s->cfg.engine, &old, &n, &gen);
    if (rc == 0) {
        if (rq->cmd == CTL_CMD_CLEAR) {
            rc = inj_engine_replace(s->cfg.engine, NULL, 0, &gen);
        } else {
            struct inj_rule *r = find_rule(old, n, rq->id);
            if (r)
                rc = publish(s, old, n, r, NULL, &gen);
            else
                missing = true;
        }
        put_all(old, n);
    }
    pthread_mutex_unlock(&s->mu);
    if (missing) {
        no_such_rule(s, c, rq->id);
    } else if (rc) {
        ctl_resp_err(&c->out, true, cur_gen(s), -rc, "cannot change the rules");
    } else {
        ctl_resp_ok(&c->out, gen);
        ctl_buf_printf(&c->out, ",\"removed\":%zu",
                       rq->cmd == CTL_CMD_CLEAR ? n : (size_t)1);
        ctl_resp_end(&c->out);
    }
}

static void cmd_list(struct ctl_server *s, struct ctl_client *c)
{
    struct inj_rule **rules = NULL;
    size_t n = 0;
    uint64_t gen = 0;
    int rc = inj_engine_snapshot(s->cfg.engine, &rules, &n, &gen);
    if (rc) {
        ctl_resp_err(&c->out, true, cur_gen(s), -rc, "cannot read the rules");
        return;
    }
    ctl_resp_ok(&c->out, gen);
    ctl_render_list(&c->out, rules, n);
    ctl_resp_end(&c->out);
    put_all(rules, n);
}

static void cmd_wait(struct ctl_server *s, struct ctl_client *c,
                     const struct ctl_request *rq, uint64_t now)
{
    struct inj_rule **rules = NULL;
    size_t n = 0;
    uint64_t gen = 0;
    int rc = inj_engine_snapshot(s->cfg.engine, &rules, &n, &gen);
    if (rc) {
        ctl_resp_err(&c->out, true, cur_gen(s), -rc, "cannot read the rules");
        return;
    }
    struct inj_rule *r = find_rule(rules, n, rq->id);
    if (!r) {
        put_all(rules, n);
        no_such_rule(s, c, rq->id);
        return;
    }
    inj_rule_get(r);
    put_all(rules, n);
    c->waiting = true;
    c->wait_rule = r;
    snprintf(c->wait_id, sizeof(c->wait_id), "%s", rq->id);
    c->wait_count = rq->count;
    c->wait_gen = gen;
    c->wait_deadline_ns = 0;
    if (rq->has_timeout)
        c->wait_deadline_ns = rq->timeout_ns > UINT64_MAX - now
                                  ? UINT64_MAX
                                  : now + rq->timeout_ns;
    ctl_wait_check(s, c, now, false); /* already there? answer at once */
}

void ctl_wait_disarm(struct ctl_client *c)
{
    if (c->wait_rule)
        inj_rule_put(c->wait_rule);
    c->wait_rule = NULL;
    c->waiting = false;
}

void ctl_wait_check(struct ctl_server *s, struct ctl_client *c, uint64_t now,
                    bool gen_changed)
{
    if (!c->waiting)
        return;
    struct inj_rule_stats st;
    inj_rule_stats(c->wait_rule, &st);
    uint64_t gen = cur_gen(s);
    char msg[192];
    if (st.fired >= c->wait_count) {
        ctl_resp_ok(&c->out, gen);
        ctl_buf_printf(&c->out, ",\"fired\":%llu,\"matched\":%llu",
                       (unsigned long long)st.fired,
                       (unsigned long long)st.matched);
        ctl_resp_end(&c->out);
        goto out_done;
    }
    if (gen_changed) {
        struct inj_rule **rules = NULL;
        size_t n = 0;
        bool present = true;
        if (inj_engine_snapshot(s->cfg.engine, &rules, &n, &gen) == 0) {
            present = false;
            for (size_t i = 0; i < n; i++)
                present |= rules[i] == c->wait_rule;
            put_all(rules, n);
        }
        if (!present) {
            snprintf(msg, sizeof(msg),
                     "rule '%s' was removed after firing "
                     "%llu of %llu times",
                     c->wait_id, (unsigned long long)st.fired,
                     (unsigned long long)c->wait_count);
            ctl_resp_err(&c->out, true, gen, ENOENT, msg);
            goto out_done;
        }
    }
    if (c->wait_deadline_ns && now >= c->wait_deadline_ns) {
        ctl_buf_printf(&c->out,
                       "{\"v\":%d,\"ok\":false,\"gen\":%llu,"
                       "\"errno\":\"ETIMEDOUT\",\"error\":\"rule '",
                       CTL_PROTO_VERSION, (unsigned long long)gen);
        /* The id came from the request: escape it like any client text. */
        struct ctl_buf id = {0};
        ctl_buf_json_cstr(&id, c->wait_id);
        ctl_buf_append(&c->out, id.data + 1, id.len - 2);
        ctl_buf_free(&id);
        ctl_buf_printf(
            &c->out,
            "' fired %llu of %llu times before the "
            "timeout\",\"fired\":%llu,\"matched\":%llu}\n",
            (unsigned long long)st.fired, (unsigned long long)c->wait_count,
            (unsigned long long)st.fired, (unsigned long long)st.matched);
        goto out_done;
    }
    return;
out_done:
    ctl_wait_disarm(c);
    c->deadline_ns = now + (uint64_t)s->cfg.idle_ms * 1000000u;
}

static const char help_text[] =
    "snagctl/1 commands (one per line, each prefixed with 'snagctl/1'):\n"
    "  version                   protocol and daemon version\n"
    "  help                      this text\n"
    "  add RULE                  append a rule; answers its id\n"
    "  del ID                    remove rule ID\n"
    "  list                      rules with their matched/fired counts\n"
    "  clear                     remove every rule\n"
    "  stats [text|json|prometheus]\n"
    "  reload                    re-read the rules files and -r rules\n"
    "  wait ID N [timeout=D]     answer once rule ID has fired N times\n"
    "  release ID                free requests hung by rule ID\n"
    "  generation                the rule-set generation\n"
    "  trace                     the --trace file and its line count\n";

void ctl_exec(struct ctl_server *s, struct ctl_client *c,
              const struct ctl_request *rq)
{
    struct ctl_buf *b = &c->out;
    uint64_t now = ctl_now_ns();
    switch (rq->cmd) {
    case CTL_CMD_VERSION:
        ctl_resp_ok(b, cur_gen(s));
        ctl_buf_puts(b, ",\"protocol\":\"" CTL_PROTO_NAME "\",\"version\":");
        ctl_buf_json_cstr(b, SNAG_VERSION);
        ctl_resp_end(b);
        return;
    case CTL_CMD_HELP:
        ctl_resp_ok(b, cur_gen(s));
        ctl_buf_puts(b, ",\"text\":");
        ctl_buf_json_cstr(b, help_text);
        ctl_resp_end(b);
        return;
    case CTL_CMD_ADD:
        cmd_add(s, c, rq);
        return;
    case CTL_CMD_DEL:
    case CTL_CMD_CLEAR:
        cmd_del_clear(s, c, rq);
        return;
    case CTL_CMD_LIST:
        cmd_list(s, c);
        return;
    case CTL_CMD_STATS:
        ctl_resp_ok(b, cur_gen(s));
        ctl_render_stats(s, b, rq->fmt);
        ctl_resp_end(b);
        return;
    case CTL_CMD_RELOAD: {
        uint64_t gen;
        char msg[768];
        int rc = ctl_server_reload(s, &gen, msg, sizeof(msg));
        if (rc) {
            ctl_resp_err(b, true, cur_gen(s), -rc, msg);
            return;
        }
        ctl_resp_ok(b, gen);
        ctl_buf_puts(b, ",\"text\":");
        ctl_buf_json_cstr(b, msg);
        ctl_resp_end(b);
        return;
    }
    case CTL_CMD_WAIT:
        cmd_wait(s, c, rq, now);
        return;
    case CTL_CMD_RELEASE: {
        if (!s->cfg.hooks.release) {
            ctl_resp_err(b, true, cur_gen(s), ENOSYS,
                         "this daemon cannot release hung requests");
            return;
        }
        long n = s->cfg.hooks.release(s->cfg.hooks.ctx, rq->id);
        if (n < 0) {
            ctl_resp_err(b, true, cur_gen(s), (int)-n, "release failed");
            return;
        }
        ctl_resp_ok(b, cur_gen(s));
        ctl_buf_printf(b, ",\"released\":%ld", n);
        ctl_resp_end(b);
        return;
    }
    case CTL_CMD_GENERATION:
        ctl_resp_ok(b, cur_gen(s));
        ctl_resp_end(b);
        return;
    case CTL_CMD_TRACE:
        ctl_resp_ok(b, cur_gen(s));
        ctl_buf_puts(b, ",\"trace\":");
        ctl_buf_json_cstr(b, ctl_trace_path(s->cfg.trace));
        ctl_buf_printf(b, ",\"events\":%llu",
                       (unsigned long long)ctl_trace_count(s->cfg.trace));
        if (s->cfg.replay)
            ctl_buf_printf(b, ",\"replay_faults\":%zu,\"replay_pending\":%zu",
                           ctl_replay_size(s->cfg.replay),
                           ctl_replay_unused(s->cfg.replay));
        ctl_resp_end(b);
        return;
    case CTL_CMD_COUNT:
        break;
    }
    ctl_resp_err(b, true, cur_gen(s), EINVAL, "unknown command");
}
