/* inject/rule.c — compile a rule spec into a refcounted rule, and its filters.
 *
 * Invariants: everything a request-time check needs is computed here, once
 * (globs compiled, prob turned into an integer threshold, id assigned), so
 * inj_rule_filters_pass() never allocates or parses. A rule is freed by the
 * inj_rule_put() that drops the last reference; sets hold one each.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "rng.h"

/* -EINVAL unless spec describes something the engine can run. */
static int spec_check(const struct inj_rule_spec *s)
{
    const unsigned known = INJ_ACT_ERROR | INJ_ACT_DELAY | INJ_ACT_SHORT |
                           INJ_ACT_CORRUPT | INJ_ACT_HANG | INJ_ACT_LIE |
                           INJ_ACT_SELFIO;

    if (!memchr(s->id, '\0', sizeof(s->id)))
        return -EINVAL;
    if (!s->ops || (s->ops & ~INJ_OP_MASK_ALL))
        return -EINVAL;
    if (!s->actions || (s->actions & ~known))
        return -EINVAL;
    if (s->actions & INJ_ACT_ERROR) {
        if (!s->n_errnos || s->n_errnos > INJ_MAX_ERRNOS)
            return -EINVAL;
        for (unsigned i = 0; i < s->n_errnos; i++)
            if (s->errnos[i] <= 0)
                return -EINVAL;
    }
    if ((s->actions & INJ_ACT_DELAY) && s->delay_max_ns < s->delay_min_ns)
        return -EINVAL;
    if ((s->actions & INJ_ACT_SHORT) && s->short_is_pct && s->short_pct > 100)
        return -EINVAL;
    if ((s->actions & INJ_ACT_CORRUPT) &&
        (s->corrupt <= INJ_CORRUPT_NONE || s->corrupt > INJ_CORRUPT_RANDOM))
        return -EINVAL;
    if ((s->actions & INJ_ACT_SELFIO) &&
        (s->selfio <= INJ_SELFIO_NONE || s->selfio > INJ_SELFIO_FSYNC))
        return -EINVAL;
    /* Match numbers start at 1; "N" alone is first == last. */
    if (s->has_when && (s->when_first == 0 || s->when_last < s->when_first))
        return -EINVAL;
    if (s->has_prob && isnan(s->prob))
        return -EINVAL;
    if (s->has_offset && s->offset.hi < s->offset.lo)
        return -EINVAL;
    if (s->has_size && s->size.hi < s->size.lo)
        return -EINVAL;
    return 0;
}

static void prob_compile(struct inj_rule *r)
{
    const struct inj_rule_spec *s = &r->spec;

    if (!s->has_prob || s->prob >= 1.0) {
        r->prob_always = true;
        return;
    }
    if (s->prob <= 0.0) {
        r->prob_never = true;
        return;
    }
    /* 0 < prob < 1, so prob * 2^64 < 2^64 exactly (ldexp only shifts the
     * exponent) and the conversion cannot overflow. */
    r->prob_threshold = (uint64_t)ldexp(s->prob, 64);
}

int inj_rule_new(struct inj_engine *e, const struct inj_rule_spec *spec,
                 struct inj_rule **out)
{
    struct inj_rule *r;
    int rc;

    *out = NULL;
    rc = spec_check(spec);
    if (rc)
        return rc;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    rc = inj_rule_spec_copy(&r->spec, spec);
    if (rc)
        goto out_free;
    if (r->spec.has_when && r->spec.when_step == 0)
        r->spec.when_step = 1; /* "N..M" without "+S" */
    if (r->spec.path_glob) {
        rc = inj_glob_compile(r->spec.path_glob, INJ_GLOB_PATH, &r->path);
        if (rc)
            goto out_clear;
    }
    if (r->spec.comm_glob) {
        rc = inj_glob_compile(r->spec.comm_glob, INJ_GLOB_COMM, &r->comm);
        if (rc)
            goto out_glob;
    }
    /* Only a rule that compiled uses up an "r<N>" id. */
    if (!r->spec.id[0])
        snprintf(r->spec.id, sizeof(r->spec.id), "r%llu",
                 (unsigned long long)atomic_fetch_add(&e->next_id, 1) + 1);
    r->key = inj_rng_key(r->spec.id);
    prob_compile(r);
    atomic_init(&r->refs, 1);
    atomic_init(&r->window_start, INJ_WINDOW_UNOPENED);
    *out = r;
    return 0;

out_glob:
    inj_glob_free(r->path);
out_clear:
    inj_rule_spec_clear(&r->spec);
out_free:
    free(r);
    return rc;
}

void inj_rule_get(struct inj_rule *r)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void inj_rule_put(struct inj_rule *r)
{
    if (!r)
        return;
    /* acq_rel: the freeing thread must see every other holder's writes. */
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
        return;
    inj_glob_free(r->path);
    inj_glob_free(r->comm);
    inj_rule_spec_clear(&r->spec);
    free(r);
}

const char *inj_rule_id(const struct inj_rule *r)
{
    return r->spec.id;
}

const struct inj_rule_spec *inj_rule_spec(const struct inj_rule *r)
{
    return &r->spec;
}

void inj_rule_stats(const struct inj_rule *r, struct inj_rule_stats *out)
{
    out->matched = atomic_load_explicit(&r->matched, memory_order_relaxed);
    out->fired = atomic_load_explicit(&r->fired, memory_order_relaxed);
    out->bytes = atomic_load_explicit(&r->bytes, memory_order_relaxed);
}

const char *inj_lazy_path(struct inj_lazy *lz)
{
    if (!lz->path_done) {
        lz->path_done = true;
        if (lz->rq->get_path)
            lz->path = lz->rq->get_path(lz->rq->ctx);
    }
    return lz->path;
}

const char *inj_lazy_comm(struct inj_lazy *lz)
{
    if (!lz->comm_done) {
        lz->comm_done = true;
        if (lz->rq->get_comm)
            lz->comm = lz->rq->get_comm(lz->rq->ctx);
    }
    return lz->comm;
}

static bool in_range(const struct inj_range *r, uint64_t v)
{
    return r->lo <= v && v <= r->hi;
}

bool inj_rule_filters_pass(const struct inj_rule *r, struct inj_lazy *lz)
{
    const struct inj_rule_spec *s = &r->spec;
    const struct inj_request *rq = lz->rq;

    /* Cheapest first; the lazy getters go last because fs/ may have to
     * build a path by walking the inode table. */
    if (s->has_pid && s->pid != rq->pid)
        return false;
    if (s->has_uid && s->uid != rq->uid)
        return false;
    if (s->has_gid && s->gid != rq->gid)
        return false;
    if (s->has_offset && (!rq->has_offset || !in_range(&s->offset, rq->offset)))
        return false;
    if (s->has_size && (!rq->has_size || !in_range(&s->size, rq->size)))
        return false;
    if (s->has_flags) {
        if (!rq->has_flags)
            return false;
        if ((rq->open_flags & s->flags_all) != s->flags_all)
            return false;
        if (s->flags_accmode >= 0 &&
            (int)(rq->open_flags & O_ACCMODE) != s->flags_accmode)
            return false;
    }
    if (r->path && !inj_glob_match(r->path, inj_lazy_path(lz)))
        return false;
    if (r->comm && !inj_glob_match(r->comm, inj_lazy_comm(lz)))
        return false;
    return true;
}
