/* ctl/render.c — list and stats as JSON members, human text and Prometheus
 * exposition.
 *
 * Invariant: renderers only read snapshots (inj_engine_snapshot, rule stats,
 * ctl_stats_snapshot); they never hold a lock the request path takes.
 * Prometheus names are stable API: docs/control-protocol.md lists them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

void ctl_render_list(struct ctl_buf *b, struct inj_rule *const *rules, size_t n)
{
    struct ctl_buf text = {0};
    ctl_buf_printf(&text, "%-16s %10s %10s  %s\n", "ID", "MATCHED", "FIRED",
                   "RULE (ORIGIN)");
    ctl_buf_puts(b, ",\"rules\":[");
    for (size_t i = 0; i < n; i++) {
        struct inj_rule_stats st;
        inj_rule_stats(rules[i], &st);
        const struct inj_rule_spec *sp = inj_rule_spec(rules[i]);
        ctl_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        ctl_buf_json_cstr(b, inj_rule_id(rules[i]));
        ctl_buf_puts(b, ",\"origin\":");
        ctl_buf_json_cstr(b, sp->origin);
        ctl_buf_puts(b, ",\"text\":");
        ctl_buf_json_cstr(b, sp->text);
        ctl_buf_printf(b, ",\"matched\":%llu,\"fired\":%llu,\"bytes\":%llu}",
                       (unsigned long long)st.matched,
                       (unsigned long long)st.fired,
                       (unsigned long long)st.bytes);
        ctl_buf_printf(&text, "%-16s %10llu %10llu  %s (%s)\n",
                       inj_rule_id(rules[i]), (unsigned long long)st.matched,
                       (unsigned long long)st.fired, sp->text ? sp->text : "?",
                       sp->origin ? sp->origin : "?");
    }
    ctl_buf_puts(b, "],\"text\":");
    ctl_buf_json_str(b, ctl_buf_str(&text), text.len);
    ctl_buf_free(&text);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void prom_label(struct ctl_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            ctl_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            ctl_buf_puts(b, "\\n");
        else
            ctl_buf_append(b, v, 1);
    }
}

/* '{mount="...",' or '{' : the opening of a label set. */
static void prom_open(struct ctl_server *s, struct ctl_buf *b)
{
    ctl_buf_puts(b, "{");
    if (s->mount_label) {
        ctl_buf_puts(b, "mount=\"");
        prom_label(b, s->mount_label);
        ctl_buf_puts(b, "\",");
    }
}

static void prom_scalar(struct ctl_server *s, struct ctl_buf *b,
                        const char *name, const char *type, const char *help,
                        const char *value)
{
    ctl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s", name, help, name, type,
                   name);
    if (s->mount_label) {
        prom_open(s, b);
        b->len--; /* drop the trailing ',' */
        ctl_buf_puts(b, "}");
    }
    ctl_buf_printf(b, " %s\n", value);
}

static void render_prometheus(struct ctl_server *s, struct ctl_buf *t,
                              const struct ctl_stats_snapshot *ss,
                              struct inj_rule **rules, size_t n, uint64_t gen)
{
    char v[64];
    snprintf(v, sizeof(v), "%.3f", (double)ss->uptime_ns / 1e9);
    prom_scalar(s, t, "snagfs_uptime_seconds", "gauge",
                "Seconds since the daemon started.", v);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)ss->inflight);
    prom_scalar(s, t, "snagfs_inflight_requests", "gauge",
                "FUSE requests being served now.", v);
    snprintf(v, sizeof(v), "%llu", (unsigned long long)gen);
    prom_scalar(s, t, "snagfs_rules_generation", "gauge",
                "Generation of the live rule set.", v);
    snprintf(v, sizeof(v), "%zu", n);
    prom_scalar(s, t, "snagfs_rules", "gauge", "Rules in the live set.", v);

    static const char *const rule_metric[2] = {"snagfs_rule_matched_total",
                                               "snagfs_rule_fired_total"};
    for (int m = 0; m < 2; m++) {
        ctl_buf_printf(t, "# HELP %s %s\n# TYPE %s counter\n", rule_metric[m],
                       m ? "Requests the rule injected a fault into."
                         : "Requests that passed the rule's filters.",
                       rule_metric[m]);
        for (size_t i = 0; i < n; i++) {
            struct inj_rule_stats st;
            inj_rule_stats(rules[i], &st);
            ctl_buf_puts(t, rule_metric[m]);
            prom_open(s, t);
            ctl_buf_puts(t, "rule=\"");
            prom_label(t, inj_rule_id(rules[i]));
            ctl_buf_printf(t, "\"} %llu\n",
                           (unsigned long long)(m ? st.fired : st.matched));
        }
    }
    static const struct {
        const char *name, *help;
        size_t off;
    } op_metric[] = {
        {"snagfs_op_requests_total", "FUSE requests answered, by op.",
         offsetof(struct ctl_op_stats, requests)},
        {"snagfs_op_errors_total", "FUSE requests answered with an errno.",
         offsetof(struct ctl_op_stats, errors)},
        {"snagfs_op_faults_total", "FUSE requests a fault was injected into.",
         offsetof(struct ctl_op_stats, faults)},
        {"snagfs_op_ruled_out_total",
         "FUSE requests passed without asking the rule engine (a rule-out "
         "mark said no rule could match).",
         offsetof(struct ctl_op_stats, ruled_out)},
    };
    for (size_t m = 0; m < sizeof(op_metric) / sizeof(op_metric[0]); m++) {
        ctl_buf_printf(t, "# HELP %s %s\n# TYPE %s counter\n",
                       op_metric[m].name, op_metric[m].help, op_metric[m].name);
        for (unsigned op = 0; op < INJ_OP_COUNT; op++) {
            uint64_t val;
            memcpy(&val, (const char *)&ss->op[op] + op_metric[m].off,
                   sizeof(val));
            ctl_buf_puts(t, op_metric[m].name);
            prom_open(s, t);
            ctl_buf_printf(t, "op=\"%s\"} %llu\n", ctl_op_name(op),
                           (unsigned long long)val);
        }
    }
    const char *h = "snagfs_op_latency_seconds";
    ctl_buf_printf(t,
                   "# HELP %s Time from request to reply, by op.\n"
                   "# TYPE %s histogram\n",
                   h, h);
    for (unsigned op = 0; op < INJ_OP_COUNT; op++) {
        const struct ctl_op_stats *o = &ss->op[op];
        uint64_t cum = 0;
        for (unsigned i = 0; i < CTL_LAT_NBUCKETS; i++) {
            cum += o->buckets[i];
            char le[32];
            if (i < CTL_LAT_NBOUNDS)
                snprintf(le, sizeof(le), "%g",
                         (double)ctl_lat_bounds_ns[i] / 1e9);
            else
                snprintf(le, sizeof(le), "+Inf");
            ctl_buf_printf(t, "%s_bucket", h);
            prom_open(s, t);
            ctl_buf_printf(t, "op=\"%s\",le=\"%s\"} %llu\n", ctl_op_name(op),
                           le, (unsigned long long)cum);
        }
        ctl_buf_printf(t, "%s_sum", h);
        prom_open(s, t);
        ctl_buf_printf(t, "op=\"%s\"} %.9f\n", ctl_op_name(op),
                       (double)o->latency_sum_ns / 1e9);
        ctl_buf_printf(t, "%s_count", h);
        prom_open(s, t);
        ctl_buf_printf(t, "op=\"%s\"} %llu\n", ctl_op_name(op),
                       (unsigned long long)cum);
    }
}

/* The daemon's extra counters (hooks.counters), e.g. the watchdog's. */
static size_t get_counters(struct ctl_server *s, struct ctl_counter *c)
{
    if (!s->cfg.hooks.counters)
        return 0;
    size_t n = s->cfg.hooks.counters(s->cfg.hooks.ctx, c, CTL_MAX_COUNTERS);
    return n > CTL_MAX_COUNTERS ? CTL_MAX_COUNTERS : n;
}

static void render_counters_text(struct ctl_buf *t, const struct ctl_counter *c,
                                 size_t n)
{
    if (n)
        ctl_buf_printf(t, "\n%-24s %10s\n", "COUNTER", "VALUE");
    for (size_t i = 0; i < n; i++)
        ctl_buf_printf(t, "%-24s %10llu\n", c[i].name,
                       (unsigned long long)c[i].value);
}

static void render_counters_json(struct ctl_buf *b, const struct ctl_counter *c,
                                 size_t n)
{
    ctl_buf_puts(b, ",\"counters\":{");
    for (size_t i = 0; i < n; i++) {
        ctl_buf_puts(b, i ? "," : "");
        ctl_buf_json_cstr(b, c[i].name);
        ctl_buf_printf(b, ":%llu", (unsigned long long)c[i].value);
    }
    ctl_buf_puts(b, "}");
}

static void render_counters_prom(struct ctl_server *s, struct ctl_buf *t,
                                 const struct ctl_counter *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ctl_buf_printf(t, "# TYPE snagfs_%s_total counter\nsnagfs_%s_total",
                       c[i].name, c[i].name);
        prom_open(s, t);
        /* prom_open leaves the label set open for more labels */
        if (t->len && t->data[t->len - 1] == ',')
            t->len--;
        ctl_buf_printf(t, "} %llu\n", (unsigned long long)c[i].value);
    }
}

static void render_text(struct ctl_buf *t, const struct ctl_stats_snapshot *ss,
                        struct inj_rule **rules, size_t n, uint64_t gen)
{
    ctl_buf_printf(t,
                   "uptime %.3fs, %llu in flight, generation %llu, "
                   "%zu rules\n",
                   (double)ss->uptime_ns / 1e9,
                   (unsigned long long)ss->inflight, (unsigned long long)gen,
                   n);
    if (n)
        ctl_buf_printf(t, "\n%-16s %10s %10s\n", "RULE", "MATCHED", "FIRED");
    for (size_t i = 0; i < n; i++) {
        struct inj_rule_stats st;
        inj_rule_stats(rules[i], &st);
        ctl_buf_printf(t, "%-16s %10llu %10llu\n", inj_rule_id(rules[i]),
                       (unsigned long long)st.matched,
                       (unsigned long long)st.fired);
    }
    bool header = false;
    for (unsigned op = 0; op < INJ_OP_COUNT; op++) {
        const struct ctl_op_stats *o = &ss->op[op];
        if (!o->requests)
            continue;
        if (!header)
            ctl_buf_printf(t, "\n%-16s %10s %8s %8s %12s\n", "OP", "REQUESTS",
                           "ERRORS", "FAULTS", "MEAN_US");
        header = true;
        ctl_buf_printf(t, "%-16s %10llu %8llu %8llu %12.1f\n", ctl_op_name(op),
                       (unsigned long long)o->requests,
                       (unsigned long long)o->errors,
                       (unsigned long long)o->faults,
                       (double)o->latency_sum_ns / 1e3 / (double)o->requests);
    }
}

static void render_json(struct ctl_buf *b, const struct ctl_stats_snapshot *ss,
                        struct inj_rule **rules, size_t n)
{
    ctl_buf_printf(b, ",\"uptime_ns\":%llu,\"inflight\":%llu,\"rules\":[",
                   (unsigned long long)ss->uptime_ns,
                   (unsigned long long)ss->inflight);
    for (size_t i = 0; i < n; i++) {
        struct inj_rule_stats st;
        inj_rule_stats(rules[i], &st);
        ctl_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        ctl_buf_json_cstr(b, inj_rule_id(rules[i]));
        ctl_buf_printf(b, ",\"matched\":%llu,\"fired\":%llu}",
                       (unsigned long long)st.matched,
                       (unsigned long long)st.fired);
    }
    ctl_buf_puts(b, "],\"latency_bounds_ns\":[");
    for (unsigned i = 0; i < CTL_LAT_NBOUNDS; i++)
        ctl_buf_printf(b, "%s%llu", i ? "," : "",
                       (unsigned long long)ctl_lat_bounds_ns[i]);
    ctl_buf_puts(b, "],\"ops\":[");
    for (unsigned op = 0; op < INJ_OP_COUNT; op++) {
        const struct ctl_op_stats *o = &ss->op[op];
        ctl_buf_printf(
            b,
            "%s{\"op\":\"%s\",\"requests\":%llu,\"errors\":%llu,"
            "\"faults\":%llu,\"ruled_out\":%llu,\"latency_sum_ns\":%llu,"
            "\"buckets\":[",
            op ? "," : "", ctl_op_name(op), (unsigned long long)o->requests,
            (unsigned long long)o->errors, (unsigned long long)o->faults,
            (unsigned long long)o->ruled_out,
            (unsigned long long)o->latency_sum_ns);
        for (unsigned i = 0; i < CTL_LAT_NBUCKETS; i++)
            ctl_buf_printf(b, "%s%llu", i ? "," : "",
                           (unsigned long long)o->buckets[i]);
        ctl_buf_puts(b, "]}");
    }
    ctl_buf_puts(b, "]");
}

void ctl_render_stats(struct ctl_server *s, struct ctl_buf *b,
                      enum ctl_stats_fmt fmt)
{
    struct ctl_stats_snapshot *ss = malloc(sizeof(*ss));
    struct inj_rule **rules = NULL;
    size_t n = 0;
    uint64_t gen = 0;
    if (!ss || inj_engine_snapshot(s->cfg.engine, &rules, &n, &gen) != 0) {
        free(ss);
        b->oom = true; /* the caller answers ENOMEM */
        return;
    }
    ctl_stats_snapshot(s->cfg.stats, ss);
    if (s->cfg.hooks.inflight)
        ss->inflight = s->cfg.hooks.inflight(s->cfg.hooks.ctx);
    struct ctl_counter cnt[CTL_MAX_COUNTERS];
    size_t ncnt = get_counters(s, cnt);
    if (fmt == CTL_STATS_JSON) {
        render_json(b, ss, rules, n);
        render_counters_json(b, cnt, ncnt);
    } else {
        struct ctl_buf t = {0};
        if (fmt == CTL_STATS_PROMETHEUS) {
            render_prometheus(s, &t, ss, rules, n, gen);
            render_counters_prom(s, &t, cnt, ncnt);
        } else {
            render_text(&t, ss, rules, n, gen);
            render_counters_text(&t, cnt, ncnt);
        }
        ctl_buf_puts(b, ",\"text\":");
        ctl_buf_json_str(b, ctl_buf_str(&t), t.len);
        if (t.oom)
            b->oom = true;
        ctl_buf_free(&t);
    }
    for (size_t i = 0; i < n; i++)
        inj_rule_put(rules[i]);
    free(rules);
    free(ss);
}
