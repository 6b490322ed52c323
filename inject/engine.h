/* inject/engine.h — the rule engine: match a request, run its triggers, return
 * a verdict.
 *
 * Invariants:
 *  - A rule set is immutable once published; inj_engine_replace() swaps in a
 *    new one atomically, so one request sees either the old set or the new
 *    one, never a mix. Old sets are reclaimed only after every reader that
 *    could still see them has left inj_decide() (no lock on the read path).
 *  - Compiled rules (struct inj_rule) are refcounted and may be shared by
 *    successive sets, so their counters survive unrelated changes.
 *  - Every decision is a pure function of (seed, rule id, that rule's match
 *    number): a counter-based generator, never a shared PRNG state, so one
 *    rule's stream cannot be perturbed by another rule or by thread timing.
 *  - Nothing here knows FUSE or rule text. Nothing here sleeps or exits.
 */
#ifndef SNAG_INJECT_ENGINE_H
#define SNAG_INJECT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"
#include "rule.h"

struct inj_engine;
struct inj_rule;

/* What fs/ knows about one request. path and comm are computed lazily: the
 * engine calls the getters only when a candidate rule filters on them, and
 * at most once each per inj_decide(). A getter returns NULL when it cannot
 * tell (then a rule filtering on it does not match). */
struct inj_request {
    enum inj_op op;
    uint32_t pid, uid, gid;
    bool has_offset, has_size, has_flags;
    uint64_t offset, size; /* size: bytes asked to read or write */
    uint32_t open_flags;   /* for open/create/opendir */
    /* The path's last component is a name in a directory (lookup, create,
     * unlink...): ask for INJ_RULED_OUT_DIR (see inj_verdict). */
    bool name_in_dir;
    const char *(*get_path)(void *ctx); /* "/a/b", relative to the mount root */
    const char *(*get_comm)(void *ctx);
    void *ctx;
};

/* inj_verdict.ruled_out: what the rule set that decided (v->generation)
 * can never match, whatever the request's other fields (pid, size...),
 * so fs/ may skip asking again until the rule set or the path changes.
 * Known only when the op's rules are indexed (index.c); 0 otherwise. */
#define INJ_RULED_OUT_PATH 0x1u /* no rule of this op matches this path */
#define INJ_RULED_OUT_DIR                                                      \
    0x2u /* nor any other name in the same directory                           \
            (asked for with rq->name_in_dir) */

/* The engine's answer. actions == 0 means pass: do the real work untouched.
 * Plain data: it holds no reference into the rule set. */
struct inj_verdict {
    unsigned actions;   /* mask of enum inj_action */
    int err;            /* positive errno when INJ_ACT_ERROR */
    uint64_t delay_ns;  /* drawn from the rule's range when INJ_ACT_DELAY */
    uint64_t short_len; /* bytes to transfer when INJ_ACT_SHORT (< size) */
    enum inj_corrupt corrupt;
    enum inj_selfio selfio; /* when INJ_ACT_SELFIO */
    uint64_t selfio_size;   /* selfio=write: bytes (default applied) */
    uint64_t hang_ns;       /* bound on a hang (for=), 0 = until released */
    uint64_t stream;        /* seeds inj_corrupt_apply() for this hit */
    uint64_t match_no;      /* this rule's match number, from 1 */
    uint64_t generation;    /* rule-set generation that decided */
    unsigned ruled_out;     /* INJ_RULED_OUT_*, when nothing fired */
    char rule_id[INJ_ID_MAX];
};

struct inj_rule_stats {
    uint64_t matched; /* requests that passed the filters */
    uint64_t fired;   /* of those, the ones that got a fault */
    uint64_t bytes;   /* bytes counted toward after= */
};

/* Engine lifetime. inj_engine_new() returns NULL on ENOMEM. The caller owns
 * the engine; free it only when no thread can call into it any more. */
struct inj_engine *inj_engine_new(uint64_t seed);
void inj_engine_free(struct inj_engine *e);
uint64_t inj_engine_seed(const struct inj_engine *e);

/* Compile spec into a new rule with refcount 1 (the caller's). Globs are
 * compiled here, never per request. An empty spec->id gets "r<N>" from the
 * engine's load-order counter. Returns 0, -EINVAL (invalid spec: no ops, no
 * action, bad glob) or -ENOMEM. The spec is copied; the caller keeps it. */
int inj_rule_new(struct inj_engine *e, const struct inj_rule_spec *spec,
                 struct inj_rule **out);
void inj_rule_get(struct inj_rule *r);
void inj_rule_put(struct inj_rule *r);
const char *inj_rule_id(const struct inj_rule *r);
const struct inj_rule_spec *inj_rule_spec(const struct inj_rule *r);
void inj_rule_stats(const struct inj_rule *r, struct inj_rule_stats *out);

/* Publish rules[0..n) (first match wins, in this order) as the new set. The
 * engine takes its own references. Returns 0 and the new generation, or
 * -EEXIST when two rules share an id, or -ENOMEM. May wait (briefly) for
 * readers of the previous set to leave; never call it from a request path. */
int inj_engine_replace(struct inj_engine *e, struct inj_rule *const *rules,
                       size_t n, uint64_t *generation);

/* The current set, with a reference on each rule: the caller puts each rule
 * and frees the array. For list/stats; not for the request path. */
int inj_engine_snapshot(struct inj_engine *e, struct inj_rule ***rules,
                        size_t *n, uint64_t *generation);
uint64_t inj_engine_generation(const struct inj_engine *e);

/* Hot path. False when no rule in the current set names op: one atomic
 * load and a branch, so fs/ can skip building an inj_request. */
bool inj_engine_wants(const struct inj_engine *e, enum inj_op op);

/* Decide the fate of one request. Returns true and fills *v when a rule
 * fired; false (and v->actions == 0) when the request passes, with
 * v->ruled_out and v->generation telling what need not be asked again.
 * Lock-free. */
bool inj_decide(struct inj_engine *e, const struct inj_request *rq,
                struct inj_verdict *v);

/* Damage buf[0..len) as v->corrupt says, deterministically from v->stream. */
void inj_corrupt_apply(const struct inj_verdict *v, void *buf, size_t len);

#endif
