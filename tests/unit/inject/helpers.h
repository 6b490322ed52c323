/* tests/unit/inject/helpers.h — small builders shared by the inject unit tests.
 *
 * Invariant: everything here is static inline and test-only; specs built by
 * spec_init() are zeroed and owned by the caller (inj_rule_spec_clear()).
 */
#ifndef SNAG_TEST_INJECT_HELPERS_H
#define SNAG_TEST_INJECT_HELPERS_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* A request whose path/comm getters count their calls. */
struct treq {
    struct inj_request rq;
    const char *path, *comm;
    int path_calls, comm_calls;
};

static inline const char *treq_path(void *ctx)
{
    struct treq *t = ctx;

    t->path_calls++;
    return t->path;
}

static inline const char *treq_comm(void *ctx)
{
    struct treq *t = ctx;

    t->comm_calls++;
    return t->comm;
}

static inline void treq_init(struct treq *t, enum inj_op op, const char *path)
{
    memset(t, 0, sizeof(*t));
    t->rq.op = op;
    t->rq.get_path = treq_path;
    t->rq.get_comm = treq_comm;
    t->rq.ctx = t;
    t->path = path;
    t->comm = "app";
}

static inline void treq_size(struct treq *t, uint64_t off, uint64_t size)
{
    t->rq.has_offset = t->rq.has_size = true;
    t->rq.offset = off;
    t->rq.size = size;
}

/* A spec on ops failing with err. */
static inline void spec_err(struct inj_rule_spec *s, const char *id,
                            uint64_t ops, int err)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->id, sizeof(s->id), "%s", id ? id : "");
    s->ops = ops;
    s->actions = INJ_ACT_ERROR;
    s->errnos[0] = err;
    s->n_errnos = 1;
}

static inline void spec_when(struct inj_rule_spec *s, uint64_t first,
                             uint64_t last, uint64_t step)
{
    s->has_when = true;
    s->when_first = first;
    s->when_last = last;
    s->when_step = step;
}

/* Compile specs[0..n) and publish them; the engine keeps the only refs. */
static inline int load_specs(struct inj_engine *e,
                             const struct inj_rule_spec *specs, size_t n,
                             uint64_t *gen)
{
    struct inj_rule **rules = calloc(n ? n : 1, sizeof(*rules));
    int rc = 0;
    size_t made = 0;

    if (!rules)
        return -ENOMEM;
    for (; made < n; made++) {
        rc = inj_rule_new(e, &specs[made], &rules[made]);
        if (rc)
            break;
    }
    if (!rc)
        rc = inj_engine_replace(e, rules, n, gen);
    for (size_t i = 0; i < made; i++)
        inj_rule_put(rules[i]);
    free(rules);
    return rc;
}

/* Stats of the rule with this id in the current set; -ENOENT if none. */
static inline int stats_of(struct inj_engine *e, const char *id,
                           struct inj_rule_stats *st)
{
    struct inj_rule **rules;
    size_t n;
    int rc = inj_engine_snapshot(e, &rules, &n, NULL);

    if (rc)
        return rc;
    rc = -ENOENT;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(inj_rule_id(rules[i]), id) == 0) {
            inj_rule_stats(rules[i], st);
            rc = 0;
        }
        inj_rule_put(rules[i]);
    }
    free(rules);
    return rc;
}

#endif
