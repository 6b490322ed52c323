/* inject/engine_internal.h — the engine's private structures, shared by its .c
 * files.
 *
 * Invariants:
 *  - struct inj_rule is immutable after inj_rule_new() except its atomics
 *    (refs, counters, the for= window); any number of sets and readers may
 *    share it.
 *  - struct inj_set and everything it points to is immutable once published;
 *    it is freed only by the writer, after the SRCU-style grace period in
 *    engine.c guarantees no reader still holds it.
 *  - e->op_mask always mirrors e->cur->op_mask (updated right after the
 *    pointer swap); a reader that sees a stale mask merely takes, or skips,
 *    the slow path once.
 *  - Lock order: e->wlock is the only lock; nothing on the request path takes
 * it.
 */
#ifndef SNAG_INJECT_ENGINE_INTERNAL_H
#define SNAG_INJECT_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine.h"
#include "glob.h"

#define INJ_WINDOW_UNOPENED                                                    \
    UINT64_MAX /* window_start before the first fire                           \
                */

struct inj_rule {
    struct inj_rule_spec spec; /* deep copy; id always set */
    uint64_t key;              /* inj_rng_key(spec.id) */
    struct inj_glob *path;     /* compiled spec.path_glob, or NULL */
    struct inj_glob *comm;     /* compiled spec.comm_glob, or NULL */
    bool prob_always, prob_never;
    uint64_t prob_threshold; /* fire iff draw < this (when neither above) */

    _Atomic uint32_t refs;
    _Atomic uint64_t matched, fired, bytes;
    _Atomic uint64_t window_start; /* for=: monotonic ns, or ..._UNOPENED */
};

/* Per op: the rules naming it, by index into set->rules, in priority order.
 * When enough of them filter on a path glob that requires some literal text
 * (a key), each of those is also bucketed by one of its keys (index.c) so a
 * path without that text skips it. */
enum inj_key_kind {
    INJ_KEY_NONE,
    INJ_KEY_DIR,  /* the glob's literal first components, normalised */
    INJ_KEY_HEAD, /* text the path's last component starts with */
    INJ_KEY_TAIL, /* text the path's last component ends with */
};

struct inj_bucket {
    uint64_t hash;   /* of kind and key, see index.c */
    const char *key; /* owned by a rule's glob; NULL: a free slot */
    size_t key_len;
    uint32_t *rules; /* priority order; into set->pool */
    uint32_t n;
    enum inj_key_kind kind;
};

struct inj_op_index {
    uint32_t n;
    uint32_t *all; /* every rule naming the op; into set->pool */
    /* Key index (buckets == NULL: scan all[] linearly). */
    uint32_t n_root;
    uint32_t *root; /* rules not bucketed (no path filter, or a glob with
                       no key); into set->pool */
    struct inj_bucket *buckets; /* open addressing, mask + 1 slots */
    uint32_t mask;
    unsigned max_depth;            /* deepest DIR key */
    uint32_t head_lens, tail_lens; /* bit L - 1: a HEAD/TAIL key of L chars */
    /* The proper prefixes ("/c1", "/c1/c2"...) of the DIR bucket keys, for
     * INJ_RULED_OUT_DIR: a directory that is one has names that may hit a
     * deeper key. Open addressing, pmask + 1 slots; NULL when none. */
    struct inj_prefix *prefixes;
    uint32_t pmask;
};

struct inj_prefix {
    uint64_t hash;   /* key_hash(INJ_KEY_DIR) of the prefix text */
    const char *key; /* a bucket key that starts with it; NULL: free slot */
    size_t len;      /* the prefix is key[0, len) */
};

struct inj_set {
    uint64_t generation;
    uint64_t op_mask;
    size_t n;
    struct inj_rule **rules; /* referenced; first match wins in this order */
    uint32_t *pool;          /* backing store of every index list */
    struct inj_op_index idx[INJ_OP_COUNT];
};

typedef uint64_t (*inj_clock_fn)(void *ctx);

#define INJ_READER_SLOTS 16

struct inj_engine {
    uint64_t seed;
    _Atomic(struct inj_set *) cur;
    _Atomic uint64_t op_mask;
    _Atomic uint64_t generation;
    _Atomic uint64_t next_id; /* "r<N>" for rules without an id */
    inj_clock_fn clock;       /* set before any reader runs (tests) */
    void *clock_ctx;
    unsigned index_min;    /* under wlock */
    pthread_mutex_t wlock; /* serialises writers (replace, snapshot) */
    _Atomic unsigned epoch;
    /* SRCU reader counts: per slot, one per epoch. A thread always uses
     * the same slot (round-robin on first use), and each slot has its own
     * cache line, so readers on different cores rarely share a line. */
    struct {
        _Atomic unsigned long n[2];
        char pad[64 - 2 * sizeof(unsigned long)];
    } readers[INJ_READER_SLOTS];
};

/* The request's lazily fetched path and comm (at most one call each). */
struct inj_lazy {
    const struct inj_request *rq;
    bool path_done, comm_done;
    const char *path, *comm;
};

const char *inj_lazy_path(struct inj_lazy *lz);
const char *inj_lazy_comm(struct inj_lazy *lz);

/* rule.c: true when every filter of r passes for the request. */
bool inj_rule_filters_pass(const struct inj_rule *r, struct inj_lazy *lz);

/* index.c: build set->idx from set->rules (0 or -ENOMEM); free it; find the
 * first rule (priority order) naming rq->op whose filters pass, or NULL,
 * with *ruled_out set as inj_verdict.ruled_out describes. */
int inj_index_build(struct inj_set *s, unsigned min_bucketed);
void inj_index_free(struct inj_set *s);
struct inj_rule *inj_index_first_match(const struct inj_set *s,
                                       struct inj_lazy *lz,
                                       unsigned *ruled_out);

/* Rules whose path glob has a key are bucketed only when at least this many
 * name one op: below it, the linear scan (which fetches the path only if the
 * cheap filters pass) is cheaper than always fetching it. */
#define INJ_INDEX_MIN_BUCKETED 8
/* DIR keys are cut to this many components, HEAD and TAIL keys to this many
 * characters (their first or last ones): longer keys share a bucket, which
 * is only a superset of candidates, so still exact. */
#define INJ_INDEX_MAX_DEPTH 8
#define INJ_INDEX_MAX_NAME 32

/* engine.c: enter/leave a read-side critical section (lock-free). The set
 * loaded from e->cur in between stays valid until the matching unlock,
 * which takes the token the lock returned. */
unsigned inj_engine_read_lock(struct inj_engine *e);
void inj_engine_read_unlock(struct inj_engine *e, unsigned idx);

/* engine.c, for tests and the benchmark: the bucketing threshold used by
 * later inj_engine_replace() calls (UINT_MAX: never bucket). */
void inj_engine_set_index_min(struct inj_engine *e, unsigned min_bucketed);

/* engine.c, for tests: replace the CLOCK_MONOTONIC source of for= windows
 * (NULL restores it). Call before any concurrent inj_decide(). */
void inj_engine_set_clock(struct inj_engine *e, inj_clock_fn fn, void *ctx);
uint64_t inj_engine_now(struct inj_engine *e);

#endif
