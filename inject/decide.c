/* inject/decide.c — inj_decide(): match a request, run the triggers, fill a
 * verdict.
 *
 * Semantics (also in docs/rules-semantics.md):
 *  1. Match. The rules naming rq->op are tried in load order; filters are
 *     pid/uid/gid (exact), offset/size (the request's value in the inclusive
 *     range; a request without one does not match), flags (all of flags_all
 *     set, and the access mode equal when flags_accmode >= 0), then path and
 *     comm globs (each getter called at most once). The first rule whose
 *     filters pass is THE match: later rules are not consulted, even when
 *     this one does not fire.
 *  2. Count. match_no = ++matched (from 1), whether or not it fires.
 *  3. Applicability. SHORT applies only to a request with a size, and only
 *     when the short length is below it; a rule left with no action counts
 *     the match but does not fire.
 *  4. Triggers, all of which must pass: when (match_no in [first,last] and
 *     (match_no - first) % step == 0); prob (draw < prob·2^64, so 0 never and
 *     1 always fires); for (the window opened by the rule's first fire, then
 *     for_ns long; closed means never again); after (below).
 *  5. after=B. For write, copy_file_range and fallocate, a matching request
 *     that does not fire adds its size to the rule's bytes; one fires when
 *     bytes + size > B. A write or copy_file_range that crosses B (bytes < B)
 *     while the rule's actions are error (+ delay) only becomes a SHORT
 *     transfer of exactly B - bytes, counted as bytes — the way a real disk
 *     fills — and the next one gets the error. Other ops fire once bytes >= B.
 *  6. Verdict. err = errnos[draw(ERRNO) % n]; delay uniform in [min, max]
 *     from draw(DELAY); stream = draw(CORRUPT); hang_ns = what is left of the
 *     for= window (0: until released). Each draw is inj_rng(seed, rule key,
 *     match_no, lane): a pure function of (seed, rule, match number).
 */
#include <string.h>

#include "engine_internal.h"
#include "rng.h"

static bool when_ok(const struct inj_rule_spec *s, uint64_t n)
{
    if (!s->has_when)
        return true;
    return n >= s->when_first && n <= s->when_last &&
           (n - s->when_first) % s->when_step == 0;
}

static bool prob_ok(const struct inj_engine *e, const struct inj_rule *r,
                    uint64_t n)
{
    if (r->prob_always)
        return true;
    if (r->prob_never)
        return false;
    return inj_rng(e->seed, r->key, n, INJ_LANE_PROB) < r->prob_threshold;
}

static uint64_t short_length(const struct inj_rule_spec *s, uint64_t size)
{
    if (!s->short_is_pct)
        return s->short_bytes < size ? s->short_bytes : size;
    /* floor(size * pct / 100) without overflowing size * pct */
    return size / 100 * s->short_pct + size % 100 * s->short_pct / 100;
}

static bool has_byte_size(enum inj_op op)
{
    return op == INJ_OP_WRITE || op == INJ_OP_COPY_FILE_RANGE ||
           op == INJ_OP_FALLOCATE;
}

static bool error_only(unsigned acts)
{
    return (acts & INJ_ACT_ERROR) && !(acts & (INJ_ACT_SHORT | INJ_ACT_CORRUPT |
                                               INJ_ACT_HANG | INJ_ACT_LIE));
}

/* The after= trigger: decide and account atomically, so concurrent writers
 * neither both slip under the limit nor both claim the crossing. `fire` is
 * what the other triggers said. May turn an error into a short transfer. */
static bool after_commit(struct inj_rule *r, enum inj_op op, uint64_t size,
                         bool fire, unsigned *acts, uint64_t *short_len)
{
    const uint64_t limit = r->spec.after_bytes;
    uint64_t c = atomic_load(&r->bytes);

    if (!has_byte_size(op))
        return fire && c >= limit;
    for (;;) {
        bool over = c > limit || size > limit - c;
        bool f = fire && over;
        unsigned a = *acts;
        uint64_t sl = *short_len, nc = c;

        if (!f)
            nc = size > UINT64_MAX - c ? UINT64_MAX : c + size;
        else if (c < limit && op != INJ_OP_FALLOCATE && error_only(a)) {
            a = (a & ~(unsigned)INJ_ACT_ERROR) | INJ_ACT_SHORT;
            sl = limit - c;
            nc = limit;
        }
        if (atomic_compare_exchange_weak(&r->bytes, &c, nc)) {
            *acts = a;
            *short_len = sl;
            return f;
        }
    }
}

/* The for= trigger before firing: false once the window has closed;
 * otherwise *left is what remains of it (for_ns if not yet opened). */
static bool window_ok(struct inj_rule *r, uint64_t now, uint64_t *left)
{
    uint64_t start = atomic_load(&r->window_start);
    uint64_t elapsed;

    if (start == INJ_WINDOW_UNOPENED) {
        *left = r->spec.for_ns;
        return r->spec.for_ns > 0;
    }
    elapsed = now > start ? now - start : 0;
    if (elapsed >= r->spec.for_ns)
        return false;
    *left = r->spec.for_ns - elapsed;
    return true;
}

static void window_open(struct inj_rule *r, uint64_t now)
{
    uint64_t never = INJ_WINDOW_UNOPENED;

    /* Losing the race is fine: the winner's start is as good as ours. */
    atomic_compare_exchange_strong(&r->window_start, &never, now);
}

static bool rule_decide(struct inj_engine *e, const struct inj_set *set,
                        struct inj_rule *r, const struct inj_request *rq,
                        struct inj_verdict *v)
{
    const struct inj_rule_spec *s = &r->spec;
    unsigned acts = s->actions;
    uint64_t size = rq->has_size ? rq->size : 0;
    uint64_t short_len = 0, left = 0, now = 0, n;
    bool fire;

    if (acts & INJ_ACT_SHORT) {
        short_len = rq->has_size ? short_length(s, size) : size;
        if (!rq->has_size || short_len >= size)
            acts &= ~(unsigned)INJ_ACT_SHORT;
    }
    n = atomic_fetch_add(&r->matched, 1) + 1;
    fire = acts != 0 && when_ok(s, n) && prob_ok(e, r, n);
    if (fire && s->has_for) {
        now = inj_engine_now(e);
        fire = window_ok(r, now, &left);
    }
    if (s->has_after)
        fire = after_commit(r, rq->op, size, fire, &acts, &short_len);
    if (!fire)
        return false;
    if (s->has_for)
        window_open(r, now);
    atomic_fetch_add(&r->fired, 1);

    v->actions = acts;
    if (acts & INJ_ACT_ERROR)
        v->err = s->errnos[inj_rng(e->seed, r->key, n, INJ_LANE_ERRNO) %
                           s->n_errnos];
    if (acts & INJ_ACT_DELAY) {
        uint64_t span = s->delay_max_ns - s->delay_min_ns;
        uint64_t d = inj_rng(e->seed, r->key, n, INJ_LANE_DELAY);

        v->delay_ns = s->delay_min_ns +
                      (span == UINT64_MAX ? d : inj_rng_below(d, span + 1));
    }
    if (acts & INJ_ACT_SHORT)
        v->short_len = short_len;
    if (acts & INJ_ACT_CORRUPT)
        v->corrupt = s->corrupt;
    if (acts & INJ_ACT_SELFIO) {
        v->selfio = s->selfio;
        v->selfio_size =
            s->selfio_size ? s->selfio_size : INJ_SELFIO_DEFAULT_SIZE;
    }
    if ((acts & INJ_ACT_HANG) && s->has_for)
        v->hang_ns = left;
    v->stream = inj_rng(e->seed, r->key, n, INJ_LANE_CORRUPT);
    v->match_no = n;
    v->generation = set->generation;
    memcpy(v->rule_id, s->id, sizeof(v->rule_id));
    return true;
}

bool inj_decide(struct inj_engine *e, const struct inj_request *rq,
                struct inj_verdict *v)
{
    const struct inj_set *set;
    struct inj_rule *r;
    unsigned idx;
    bool fired = false;

    memset(v, 0, sizeof(*v));
    if ((unsigned)rq->op >= INJ_OP_COUNT)
        return false;
    idx = inj_engine_read_lock(e);
    set = atomic_load(&e->cur);
    if (set && (set->op_mask & inj_op_bit(rq->op))) {
        struct inj_lazy lz = {.rq = rq};
        unsigned out = 0;

        r = inj_index_first_match(set, &lz, &out);
        if (r)
            fired = rule_decide(e, set, r, rq, v);
        if (!r) {
            v->ruled_out = out;
            v->generation = set->generation;
        }
    }
    inj_engine_read_unlock(e, idx);
    return fired;
}
