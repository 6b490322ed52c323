/* ctl/observe.c — per-request glue: occurrence counting, replay or engine
 * decision, fault accounting.
 *
 * Invariant: rq's getters run at most once per call (wrapped and cached
 * here), since the path walk behind get_path is the expensive part of a
 * request that the engine itself may also ask for.
 */
#include "observe.h"

#include <string.h>

struct obs_ctx {
    const struct inj_request *orig;
    const char *path, *comm;
    bool have_path, have_comm;
};

static const char *obs_path(void *ctx)
{
    struct obs_ctx *c = ctx;
    if (!c->have_path) {
        c->path = c->orig->get_path ? c->orig->get_path(c->orig->ctx) : NULL;
        c->have_path = true;
    }
    return c->path;
}

static const char *obs_comm(void *ctx)
{
    struct obs_ctx *c = ctx;
    if (!c->have_comm) {
        c->comm = c->orig->get_comm ? c->orig->get_comm(c->orig->ctx) : NULL;
        c->have_comm = true;
    }
    return c->comm;
}

bool ctl_observe_wants(const struct ctl_observe *o, const struct inj_engine *e,
                       enum inj_op op)
{
    if (o && o->trace)
        return true;
    if (o && o->replay)
        return ctl_replay_wants(o->replay, op);
    return e && inj_engine_wants(e, op);
}

bool ctl_decide(const struct ctl_observe *o, struct inj_engine *e,
                const struct inj_request *rq, uint64_t node,
                struct inj_verdict *v)
{
    memset(v, 0, sizeof(*v));
    if (!o || (!o->trace && !o->replay)) {
        bool hit = e && inj_decide(e, rq, v);
        if (hit && o)
            ctl_stats_fault(o->stats, rq->op);
        return hit;
    }
    struct obs_ctx oc = {.orig = rq};
    struct inj_request wrapped = *rq;
    wrapped.get_path = obs_path;
    wrapped.get_comm = obs_comm;
    wrapped.ctx = &oc;
    uint64_t occ = 0;
    if (o->trace)
        occ = ctl_trace_occurrence(o->trace, rq->op, obs_path(&oc));
    bool fired;
    if (o->replay)
        fired = ctl_replay_wants(o->replay, rq->op) &&
                ctl_replay_lookup(o->replay, rq->op, obs_path(&oc), v);
    else
        fired = e && inj_decide(e, &wrapped, v);
    if (!fired) {
        v->actions = 0;
        return false;
    }
    ctl_stats_fault(o->stats, rq->op);
    if (o->trace) {
        struct ctl_trace_event ev = {.op = rq->op,
                                     .path = obs_path(&oc),
                                     .node = node,
                                     .pid = rq->pid,
                                     .uid = rq->uid,
                                     .gid = rq->gid,
                                     .comm = obs_comm(&oc),
                                     .occurrence = occ,
                                     .has_offset = rq->has_offset,
                                     .has_size = rq->has_size,
                                     .offset = rq->offset,
                                     .size = rq->size,
                                     .v = v};
        /* A failed trace write must not change the request's fate. */
        (void)ctl_trace_record(o->trace, &ev);
    }
    return true;
}
