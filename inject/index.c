/* inject/index.c — per-op rule lists, and an index of path rules by the
 * literal text their globs require.
 *
 * Invariants: for each op, all[] lists the rules naming it in priority
 * order. A rule filtering on a path has up to three keys, each a text that
 * every path its glob matches contains at a known place:
 *  - DIR: the glob's literal first components (cut to INJ_INDEX_MAX_DEPTH):
 *    the path's first components are the same;
 *  - HEAD, TAIL: when the glob's last component is not '**', its literal
 *    head and tail (inj_glob_last_literals(), cut to their first or last
 *    INJ_INDEX_MAX_NAME chars): the path's last component starts, or ends,
 *    with them.
 * When at least `min_bucketed` rules naming an op have a key, each of them
 * leaves the scan for the bucket of whichever of its keys the fewest of them
 * share; every other rule stays in root[]. For one request the candidates
 * are then root[], the buckets of the path's first components and those of
 * its last component's heads and tails of each key length present: at most
 * INJ_INDEX_MAX_LISTS sorted lists, merged by rule index so first-match-wins
 * order is kept exactly. Everything is built before the set is published
 * and never written after.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

#define FNV_OFF UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

#define INJ_INDEX_MAX_LISTS (1 + INJ_INDEX_MAX_DEPTH + 2 * INJ_INDEX_MAX_NAME)
_Static_assert(INJ_INDEX_MAX_NAME <= 32, "head_lens/tail_lens: bit L - 1");

static uint64_t fnv1(uint64_t h, char c)
{
    return (h ^ (unsigned char)c) * FNV_PRIME;
}

static uint64_t fnv(uint64_t h, const char *p, const char *e)
{
    for (; p < e; p++)
        h = fnv1(h, *p);
    return h;
}

/* Each kind hashes from its own seed; a TAIL key is hashed from its last
 * character back, the order a lookup meets them in from a path's end. */
static uint64_t key_seed(enum inj_key_kind kind)
{
    return FNV_OFF + (uint64_t)kind;
}

static uint64_t key_hash(enum inj_key_kind kind, const char *s, size_t len)
{
    uint64_t h = key_seed(kind);

    for (size_t i = 0; i < len; i++)
        h = fnv1(h, kind == INJ_KEY_TAIL ? s[len - 1 - i] : s[i]);
    return h;
}

/* Length of the first `depth` components of a normalised "/c1/c2/..". */
static size_t prefix_cut(const char *pfx, size_t len, unsigned depth)
{
    size_t i = 0;

    for (unsigned d = 0; d <= depth && i < len; i++)
        if (pfx[i] == '/' && ++d > depth)
            return i;
    return len;
}

/* One key of a rule while the index is built. */
struct key {
    enum inj_key_kind kind; /* INJ_KEY_NONE: no key */
    const char *s;          /* owned by the rule's glob */
    size_t len;
    uint64_t hash;
    unsigned depth; /* DIR: components */
};

static void key_set(struct key *k, enum inj_key_kind kind, const char *s,
                    size_t len)
{
    if (!len)
        return; /* an empty key is no key: every path has it */
    k->kind = kind;
    k->s = s;
    k->len = len;
    k->hash = key_hash(kind, s, len);
}

/* r's keys, each INJ_KEY_NONE when it lacks it: k[0] DIR, k[1] HEAD and
 * k[2] TAIL. */
static void rule_keys(const struct inj_rule *r, struct key k[3])
{
    struct inj_glob_lit head, tail;
    const char *pfx;
    size_t len;
    unsigned depth;

    memset(k, 0, 3 * sizeof(*k));
    if (!r->path)
        return;
    pfx = inj_glob_literal_prefix(r->path, &len, &depth);
    if (depth > INJ_INDEX_MAX_DEPTH) {
        depth = INJ_INDEX_MAX_DEPTH;
        len = prefix_cut(pfx, len, depth);
    }
    key_set(&k[0], INJ_KEY_DIR, pfx, len);
    k[0].depth = depth;
    if (!inj_glob_last_literals(r->path, &head, &tail))
        return;
    if (head.len > INJ_INDEX_MAX_NAME)
        head.len = INJ_INDEX_MAX_NAME;
    if (tail.len > INJ_INDEX_MAX_NAME) {
        tail.s += tail.len - INJ_INDEX_MAX_NAME;
        tail.len = INJ_INDEX_MAX_NAME;
    }
    key_set(&k[1], INJ_KEY_HEAD, head.s, head.len);
    key_set(&k[2], INJ_KEY_TAIL, tail.s, tail.len);
}

static bool key_any(const struct key k[3])
{
    return k[0].kind || k[1].kind || k[2].kind;
}

/* Does normalised pfx name the same components as path[0, end)? The path
 * may repeat or omit slashes; the glob matcher ignores empty components, so
 * the index must too. */
static bool prefix_equal(const char *pfx, size_t plen, const char *path,
                         const char *end)
{
    const char *a = pfx, *ae = pfx + plen, *b = path;

    while (a < ae) {
        if (*a == '/') {
            if (b != path && *b != '/')
                return false;
            while (*b == '/')
                b++;
            a++;
            continue;
        }
        if (b >= end || *a != *b)
            return false;
        a++;
        b++;
    }
    return b == end;
}

/* The DIR bucket for the request path's first components path[0, end). */
static const struct inj_bucket *dir_lookup(const struct inj_op_index *ix,
                                           uint64_t hash, const char *path,
                                           const char *end)
{
    for (uint32_t i = (uint32_t)hash & ix->mask;; i = (i + 1) & ix->mask) {
        const struct inj_bucket *b = &ix->buckets[i];

        if (!b->key)
            return NULL; /* the table is at most half full: this ends */
        if (b->hash == hash && b->kind == INJ_KEY_DIR &&
            prefix_equal(b->key, b->key_len, path, end))
            return b;
    }
}

/* The HEAD or TAIL bucket whose key is [p, p + len), a span of the request
 * path's last component. */
static const struct inj_bucket *name_lookup(const struct inj_op_index *ix,
                                            enum inj_key_kind kind,
                                            uint64_t hash, const char *p,
                                            size_t len)
{
    for (uint32_t i = (uint32_t)hash & ix->mask;; i = (i + 1) & ix->mask) {
        const struct inj_bucket *b = &ix->buckets[i];

        if (!b->key)
            return NULL;
        if (b->hash == hash && b->kind == kind && b->key_len == len &&
            memcmp(b->key, p, len) == 0)
            return b;
    }
}

/* The bucket of key k, made empty in a free slot if there is none. */
static struct inj_bucket *bucket_get(struct inj_op_index *ix,
                                     const struct key *k)
{
    for (uint32_t i = (uint32_t)k->hash & ix->mask;; i = (i + 1) & ix->mask) {
        struct inj_bucket *b = &ix->buckets[i];

        if (!b->key) {
            b->hash = k->hash;
            b->key = k->s;
            b->key_len = k->len;
            b->kind = k->kind;
            return b;
        }
        if (b->hash == k->hash && b->kind == k->kind && b->key_len == k->len &&
            memcmp(b->key, k->s, k->len) == 0)
            return b;
    }
}

/* Of keys k, the one the fewest rules share (ties: the longer, then DIR
 * before HEAD before TAIL), while each bucket's n counts its sharers. */
static struct key key_rarest(struct inj_op_index *ix, const struct key k[3])
{
    struct key best = {.kind = INJ_KEY_NONE};
    uint32_t best_n = UINT32_MAX;

    for (int j = 0; j < 3; j++) {
        uint32_t n;

        if (!k[j].kind)
            continue;
        n = bucket_get(ix, &k[j])->n;
        if (n < best_n || (n == best_n && k[j].len > best.len)) {
            best = k[j];
            best_n = n;
        }
    }
    return best;
}

/* Record that key k has a bucket, for the request-time walk. */
static void key_note(struct inj_op_index *ix, const struct key *k)
{
    if (k->kind == INJ_KEY_DIR && k->depth > ix->max_depth)
        ix->max_depth = k->depth;
    if (k->kind == INJ_KEY_HEAD)
        ix->head_lens |= UINT32_C(1) << (k->len - 1);
    if (k->kind == INJ_KEY_TAIL)
        ix->tail_lens |= UINT32_C(1) << (k->len - 1);
}

/* Bucket the rules of ix whose keys[i][0] is a key, by it. */
static void buckets_fill(struct inj_op_index *ix, const struct key (*keys)[3],
                         uint32_t **pool)
{
    uint32_t *cursor;

    ix->root = *pool;
    /* Pass 1: root[] and bucket sizes. */
    for (uint32_t i = 0; i < ix->n; i++) {
        if (!keys[i][0].kind) {
            ix->root[ix->n_root++] = ix->all[i];
            continue;
        }
        bucket_get(ix, &keys[i][0])->n++;
        key_note(ix, &keys[i][0]);
    }
    /* Pass 2: carve each bucket's list out of the pool. */
    cursor = ix->root + ix->n_root;
    for (uint32_t i = 0; i <= ix->mask; i++) {
        struct inj_bucket *b = &ix->buckets[i];

        if (!b->key)
            continue;
        b->rules = cursor;
        cursor += b->n;
        b->n = 0;
    }
    /* Pass 3: fill, in priority order. */
    for (uint32_t i = 0; i < ix->n; i++)
        if (keys[i][0].kind) {
            struct inj_bucket *b = bucket_get(ix, &keys[i][0]);

            b->rules[b->n++] = ix->all[i];
        }
    *pool = cursor;
}

/* The prefix-table slot for [s, s + len) with hash h: its own, or a free
 * one to put it in. */
static struct inj_prefix *prefix_slot(struct inj_op_index *ix, uint64_t h,
                                      const char *s, size_t len)
{
    for (uint32_t i = (uint32_t)h & ix->pmask;; i = (i + 1) & ix->pmask) {
        struct inj_prefix *p = &ix->prefixes[i];

        if (!p->key ||
            (p->hash == h && p->len == len && memcmp(p->key, s, len) == 0))
            return p;
    }
}

/* Fill ix->prefixes with every proper prefix of the DIR bucket keys. */
static int prefixes_build(struct inj_op_index *ix)
{
    uint32_t n = 0, slots = 1;

    for (uint32_t i = 0; i <= ix->mask; i++) {
        const struct inj_bucket *b = &ix->buckets[i];

        if (b->key && b->kind == INJ_KEY_DIR)
            for (size_t j = 1; j < b->key_len; j++)
                n += b->key[j] == '/';
    }
    if (!n)
        return 0;
    while (slots < 2 * n)
        slots <<= 1;
    ix->prefixes = calloc(slots, sizeof(*ix->prefixes));
    if (!ix->prefixes)
        return -ENOMEM;
    ix->pmask = slots - 1;
    for (uint32_t i = 0; i <= ix->mask; i++) {
        const struct inj_bucket *b = &ix->buckets[i];

        if (!b->key || b->kind != INJ_KEY_DIR)
            continue;
        for (size_t j = 1; j < b->key_len; j++) {
            if (b->key[j] != '/')
                continue;
            uint64_t h = key_hash(INJ_KEY_DIR, b->key, j);
            struct inj_prefix *p = prefix_slot(ix, h, b->key, j);

            p->hash = h;
            p->key = b->key;
            p->len = j;
        }
    }
    return 0;
}

/* Is the request path's [path, end) (its first components) a proper prefix
 * of some DIR key? */
static bool prefix_has(const struct inj_op_index *ix, uint64_t hash,
                       const char *path, const char *end)
{
    if (!ix->prefixes)
        return false;
    for (uint32_t i = (uint32_t)hash & ix->pmask;; i = (i + 1) & ix->pmask) {
        const struct inj_prefix *p = &ix->prefixes[i];

        if (!p->key)
            return false;
        if (p->hash == hash && prefix_equal(p->key, p->len, path, end))
            return true;
    }
}

/* Give ix an empty table for n keys, at most half full. */
static int table_alloc(struct inj_op_index *ix, uint32_t n)
{
    uint32_t slots = 1;

    while (slots < 2 * n)
        slots <<= 1;
    ix->buckets = calloc(slots, sizeof(*ix->buckets));
    if (!ix->buckets)
        return -ENOMEM;
    ix->mask = slots - 1;
    return 0;
}

/* Leave in keys[i][0] the rarest of rule i's keys: count the sharers of
 * every key in a scratch table first. nk: how many keys there are. */
static int keys_choose(uint32_t n, struct key (*keys)[3], uint32_t nk)
{
    struct inj_op_index count = {.n = 0}; /* only its table is used */
    int rc = table_alloc(&count, nk);

    if (rc)
        return rc;
    for (uint32_t i = 0; i < n; i++)
        for (int j = 0; j < 3; j++)
            if (keys[i][j].kind)
                bucket_get(&count, &keys[i][j])->n++;
    for (uint32_t i = 0; i < n; i++)
        keys[i][0] = key_rarest(&count, keys[i]);
    free(count.buckets);
    return 0;
}

static int op_index_build(struct inj_set *s, struct inj_op_index *ix,
                          uint32_t **pool, unsigned min_bucketed)
{
    struct key(*keys)[3];
    uint32_t nb = 0, nk = 0;
    int rc = 0;

    if (!ix->n)
        return 0;
    keys = calloc(ix->n, sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    for (uint32_t i = 0; i < ix->n; i++) {
        rule_keys(s->rules[ix->all[i]], keys[i]);
        nb += key_any(keys[i]);
        for (int j = 0; j < 3; j++)
            nk += keys[i][j].kind != INJ_KEY_NONE;
    }
    if (nb < min_bucketed || nb == 0)
        goto out_free;
    rc = keys_choose(ix->n, keys, nk);
    if (!rc)
        rc = table_alloc(ix, nb); /* one key per bucketed rule at most */
    if (!rc)
        buckets_fill(ix, keys, pool);
    if (!rc)
        rc = prefixes_build(ix);
out_free:
    free(keys);
    return rc;
}

int inj_index_build(struct inj_set *s, unsigned min_bucketed)
{
    size_t total = 0;
    uint32_t *pool;

    for (size_t i = 0; i < s->n; i++) {
        s->op_mask |= s->rules[i]->spec.ops;
        total += (size_t)__builtin_popcountll(s->rules[i]->spec.ops);
    }
    /* all[] + root[] + bucket lists: each rule-op pair is in all[] and in
     * exactly one of the other two. */
    s->pool = malloc((2 * total + 1) * sizeof(*s->pool));
    if (!s->pool)
        return -ENOMEM;
    pool = s->pool;
    for (int op = 0; op < INJ_OP_COUNT; op++) {
        struct inj_op_index *ix = &s->idx[op];

        ix->all = pool;
        for (size_t i = 0; i < s->n; i++)
            if (s->rules[i]->spec.ops & inj_op_bit((enum inj_op)op))
                ix->all[ix->n++] = (uint32_t)i;
        pool += ix->n;
    }
    for (int op = 0; op < INJ_OP_COUNT; op++) {
        int rc = op_index_build(s, &s->idx[op], &pool, min_bucketed);

        if (rc)
            return rc; /* the caller frees what was built */
    }
    return 0;
}

void inj_index_free(struct inj_set *s)
{
    for (int op = 0; op < INJ_OP_COUNT; op++) {
        free(s->idx[op].buckets);
        free(s->idx[op].prefixes);
    }
    free(s->pool);
}

/* The sorted candidate lists of one request. */
struct merge {
    const uint32_t *list[INJ_INDEX_MAX_LISTS];
    uint32_t len[INJ_INDEX_MAX_LISTS], pos[INJ_INDEX_MAX_LISTS];
    unsigned m;
};

static void merge_add(struct merge *mg, const uint32_t *list, uint32_t n)
{
    mg->list[mg->m] = list;
    mg->len[mg->m] = n;
    mg->pos[mg->m++] = 0;
}

/* Next candidate in priority order, or UINT32_MAX when all are spent. */
static uint32_t merge_next(struct merge *mg)
{
    uint32_t best = UINT32_MAX;
    unsigned bj = 0;

    for (unsigned j = 0; j < mg->m; j++)
        if (mg->pos[j] < mg->len[j] && mg->list[j][mg->pos[j]] < best) {
            best = mg->list[j][mg->pos[j]];
            bj = j;
        }
    if (best != UINT32_MAX)
        mg->pos[bj]++;
    return best;
}

static const char *skip_slashes(const char *s)
{
    while (*s == '/')
        s++;
    return s;
}

/* What a walk over the request path's first components saw. */
struct dir_walk {
    unsigned hits;  /* DIR buckets added */
    unsigned depth; /* components walked (at most max_depth) */
    bool whole;     /* the walk reached the path's end */
    uint64_t hash[INJ_INDEX_MAX_DEPTH]; /* of the first d + 1 components */
    const char *end[INJ_INDEX_MAX_DEPTH];
};

/* Add the buckets of the DIR keys path starts with (at most max_depth). */
static void dir_candidates(const struct inj_op_index *ix, const char *path,
                           struct merge *mg, struct dir_walk *w)
{
    const char *p = path, *slash = "/";
    uint64_t h = key_seed(INJ_KEY_DIR);

    w->hits = w->depth = 0;
    w->whole = false;
    for (unsigned d = 0; d < ix->max_depth; d++) {
        const char *e;
        const struct inj_bucket *b;

        p = skip_slashes(p);
        if (!*p) {
            w->whole = true;
            return;
        }
        for (e = p; *e && *e != '/'; e++)
            ;
        h = fnv(fnv(h, slash, slash + 1), p, e);
        w->hash[d] = h;
        w->end[d] = e;
        w->depth = d + 1;
        b = dir_lookup(ix, h, path, e);
        if (b) {
            merge_add(mg, b->rules, b->n);
            w->hits++;
        }
        p = e;
    }
    w->whole = !*skip_slashes(p);
}

/* INJ_RULED_OUT_DIR for a request on a name in a directory: no rule of the
 * op can match any name there. Only DIR keys may be in play (a HEAD or
 * TAIL key, or a rule with none, can match any name), none may have matched
 * (the walk covers every prefix of the directory, and this name), and the
 * directory must not be a proper prefix of a key (another name could
 * complete it). A directory at least max_depth deep is no key's prefix;
 * the root is every key's. */
static bool dir_ruled_out(const struct inj_op_index *ix, const char *path,
                          const struct dir_walk *w)
{
    if (ix->n_root || ix->head_lens || ix->tail_lens || w->hits)
        return false;
    if (!w->whole)
        return true; /* the name is beyond max_depth: no key reaches it */
    if (w->depth < 2)
        return false; /* the directory is the root */
    return !prefix_has(ix, w->hash[w->depth - 2], path, w->end[w->depth - 2]);
}

/* Add the buckets of the keys of kind (HEAD or TAIL) that the request
 * path's last component [b, e) starts or ends with. */
static void name_probe(const struct inj_op_index *ix, enum inj_key_kind kind,
                       const char *b, const char *e, struct merge *mg)
{
    uint32_t lens = kind == INJ_KEY_HEAD ? ix->head_lens : ix->tail_lens;
    size_t n = (size_t)(e - b);
    uint64_t h = key_seed(kind);

    if (n < 32)
        lens &= (UINT32_C(1) << n) - 1; /* only keys the name can hold */
    /* l runs up to the longest such key (bit 0 of lens is now length l),
     * hashing one more character of the candidate [p, p + l) each time, in
     * key_hash()'s order */
    for (size_t l = 1; lens; l++, lens >>= 1) {
        const char *p = kind == INJ_KEY_HEAD ? b : e - l;
        const struct inj_bucket *bk;

        h = fnv1(h, kind == INJ_KEY_HEAD ? p[l - 1] : p[0]);
        if (!(lens & 1))
            continue;
        bk = name_lookup(ix, kind, h, p, l);
        if (bk)
            merge_add(mg, bk->rules, bk->n);
    }
}

/* Add the buckets of the HEAD and TAIL keys of path's last component. A
 * path without one ("/") has none: no glob with such keys matches it. */
static void name_candidates(const struct inj_op_index *ix, const char *path,
                            struct merge *mg)
{
    const char *b, *e = path + strlen(path);

    while (e > path && e[-1] == '/')
        e--;
    for (b = e; b > path && b[-1] != '/'; b--)
        ;
    if (ix->head_lens)
        name_probe(ix, INJ_KEY_HEAD, b, e, mg);
    if (ix->tail_lens)
        name_probe(ix, INJ_KEY_TAIL, b, e, mg);
}

/* First match among the candidates the index leaves for the request. */
static struct inj_rule *indexed_first_match(const struct inj_set *s,
                                            const struct inj_op_index *ix,
                                            struct inj_lazy *lz,
                                            unsigned *ruled_out)
{
    const char *path = inj_lazy_path(lz);
    struct merge mg; /* only [0, m) is ever read: no need to clear it */
    struct dir_walk w;
    uint32_t i;

    mg.m = 0;
    merge_add(&mg, ix->root, ix->n_root);
    if (path) { /* no path: no glob matches, so no bucketed rule can */
        dir_candidates(ix, path, &mg, &w);
        if (ix->head_lens || ix->tail_lens)
            name_candidates(ix, path, &mg);
        /* nothing to try: so it stays while the set and the path do */
        if (mg.m == 1 && !ix->n_root)
            *ruled_out |= INJ_RULED_OUT_PATH;
        if (lz->rq->name_in_dir && dir_ruled_out(ix, path, &w))
            *ruled_out |= INJ_RULED_OUT_DIR;
    }
    /* the merge yields rules in priority order: first match wins */
    while ((i = merge_next(&mg)) != UINT32_MAX)
        if (inj_rule_filters_pass(s->rules[i], lz))
            return s->rules[i];
    return NULL;
}

struct inj_rule *inj_index_first_match(const struct inj_set *s,
                                       struct inj_lazy *lz, unsigned *ruled_out)
{
    const struct inj_op_index *ix = &s->idx[lz->rq->op];

    *ruled_out = 0;
    if (ix->buckets)
        return indexed_first_match(s, ix, lz, ruled_out);
    for (uint32_t i = 0; i < ix->n; i++)
        if (inj_rule_filters_pass(s->rules[ix->all[i]], lz))
            return s->rules[ix->all[i]];
    return NULL;
}
