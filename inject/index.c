/* inject/index.c — per-op rule lists, and a literal-prefix index for path
 * rules.
 *
 * Invariants: for each op, all[] lists the rules naming it in priority
 * order. When at least `min_bucketed` of those filter on a path whose first
 * components are literal, they leave the scan and go into a hash of their
 * literal prefix (cut to INJ_INDEX_MAX_DEPTH components); every other rule
 * stays in root[]. Such a rule can only match a path that has the same first
 * components, so for one request the candidates are root[] plus the buckets
 * of the request's own prefixes — at most INJ_INDEX_MAX_DEPTH + 1 sorted
 * lists, merged by rule index so first-match-wins order is kept exactly.
 * Everything is built before the set is published and never written after.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

#define FNV_OFF UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t fnv(uint64_t h, const char *p, const char *e)
{
    for (; p < e; p++) {
        h ^= (unsigned char)*p;
        h *= FNV_PRIME;
    }
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

/* Bucketed prefix of r (its hash, text and length), or false if r stays in
 * root[]. */
static bool rule_prefix(const struct inj_rule *r, uint64_t *hash,
                        const char **pfx, size_t *len)
{
    unsigned depth;

    if (!r->path)
        return false;
    *pfx = inj_glob_literal_prefix(r->path, len, &depth);
    if (depth == 0)
        return false;
    if (depth > INJ_INDEX_MAX_DEPTH)
        *len = prefix_cut(*pfx, *len, INJ_INDEX_MAX_DEPTH);
    *hash = fnv(FNV_OFF, *pfx, *pfx + *len);
    return true;
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

/* The bucket holding normalised prefix pfx[0, len), or NULL. */
static struct inj_pfx_bucket *bucket_find(const struct inj_op_index *ix,
                                          uint64_t hash, const char *pfx,
                                          size_t len)
{
    for (uint32_t i = (uint32_t)hash & ix->mask;; i = (i + 1) & ix->mask) {
        struct inj_pfx_bucket *b = &ix->buckets[i];

        if (!b->prefix)
            return NULL; /* the table is at most half full: this ends */
        if (b->hash == hash && b->prefix_len == len &&
            memcmp(b->prefix, pfx, len) == 0)
            return b;
    }
}

/* The bucket for the request path's first components path[0, end). */
static const struct inj_pfx_bucket *bucket_lookup(const struct inj_op_index *ix,
                                                  uint64_t hash,
                                                  const char *path,
                                                  const char *end)
{
    for (uint32_t i = (uint32_t)hash & ix->mask;; i = (i + 1) & ix->mask) {
        const struct inj_pfx_bucket *b = &ix->buckets[i];

        if (!b->prefix)
            return NULL;
        if (b->hash == hash &&
            prefix_equal(b->prefix, b->prefix_len, path, end))
            return b;
    }
}

static struct inj_pfx_bucket *bucket_slot(struct inj_op_index *ix,
                                          uint64_t hash)
{
    uint32_t i = (uint32_t)hash & ix->mask;

    while (ix->buckets[i].prefix)
        i = (i + 1) & ix->mask;
    return &ix->buckets[i];
}

static int op_index_build(struct inj_set *s, struct inj_op_index *ix,
                          uint32_t **pool, unsigned min_bucketed)
{
    uint32_t nb = 0, slots = 1;
    uint32_t *cursor;

    for (uint32_t i = 0; i < ix->n; i++) {
        uint64_t h;
        const char *p;
        size_t l;

        if (rule_prefix(s->rules[ix->all[i]], &h, &p, &l))
            nb++;
    }
    if (nb < min_bucketed || nb == 0)
        return 0;
    while (slots < 2 * nb)
        slots <<= 1;
    ix->buckets = calloc(slots, sizeof(*ix->buckets));
    if (!ix->buckets)
        return -ENOMEM;
    ix->mask = slots - 1;
    ix->root = *pool;
    /* Pass 1: root[] and bucket sizes. */
    for (uint32_t i = 0; i < ix->n; i++) {
        const struct inj_rule *r = s->rules[ix->all[i]];
        struct inj_pfx_bucket *b;
        uint64_t h;
        const char *p;
        size_t l;
        unsigned depth;

        if (!rule_prefix(r, &h, &p, &l)) {
            ix->root[ix->n_root++] = ix->all[i];
            continue;
        }
        b = bucket_find(ix, h, p, l);
        if (!b) {
            b = bucket_slot(ix, h);
            b->hash = h;
            b->prefix = p;
            b->prefix_len = l;
        }
        b->n++;
        inj_glob_literal_prefix(r->path, NULL, &depth);
        if (depth > ix->max_depth)
            ix->max_depth = depth;
    }
    if (ix->max_depth > INJ_INDEX_MAX_DEPTH)
        ix->max_depth = INJ_INDEX_MAX_DEPTH;
    /* Pass 2: carve each bucket's list out of the pool. */
    cursor = ix->root + ix->n_root;
    for (uint32_t i = 0; i <= ix->mask; i++) {
        struct inj_pfx_bucket *b = &ix->buckets[i];

        if (!b->prefix)
            continue;
        b->rules = cursor;
        cursor += b->n;
        b->n = 0;
    }
    /* Pass 3: fill, in priority order. */
    for (uint32_t i = 0; i < ix->n; i++) {
        struct inj_pfx_bucket *b;
        uint64_t h;
        const char *p;
        size_t l;

        if (!rule_prefix(s->rules[ix->all[i]], &h, &p, &l))
            continue;
        b = bucket_find(ix, h, p, l);
        b->rules[b->n++] = ix->all[i];
    }
    *pool = cursor;
    return 0;
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
    for (int op = 0; op < INJ_OP_COUNT; op++)
        free(s->idx[op].buckets);
    free(s->pool);
}

static const char *skip_slashes(const char *s)
{
    while (*s == '/')
        s++;
    return s;
}

struct inj_rule *inj_index_first_match(const struct inj_set *s,
                                       struct inj_lazy *lz)
{
    const struct inj_op_index *ix = &s->idx[lz->rq->op];
    const uint32_t *list[INJ_INDEX_MAX_DEPTH + 1];
    uint32_t len[INJ_INDEX_MAX_DEPTH + 1], pos[INJ_INDEX_MAX_DEPTH + 1];
    unsigned m = 0;
    const char *path, *p, *slash = "/";
    uint64_t h = FNV_OFF;

    if (!ix->buckets) {
        for (uint32_t i = 0; i < ix->n; i++)
            if (inj_rule_filters_pass(s->rules[ix->all[i]], lz))
                return s->rules[ix->all[i]];
        return NULL;
    }
    list[m] = ix->root;
    len[m++] = ix->n_root;
    path = inj_lazy_path(lz);
    p = path;
    for (unsigned d = 0; path && d < ix->max_depth; d++) {
        const char *e;
        const struct inj_pfx_bucket *b;

        p = skip_slashes(p);
        if (!*p)
            break;
        for (e = p; *e && *e != '/'; e++)
            ;
        h = fnv(fnv(h, slash, slash + 1), p, e);
        b = bucket_lookup(ix, h, path, e);
        if (b) {
            list[m] = b->rules;
            len[m++] = b->n;
        }
        p = e;
    }
    memset(pos, 0, sizeof(pos));
    /* Merge the sorted candidate lists by rule index: first match wins. */
    for (;;) {
        uint32_t best = UINT32_MAX;
        unsigned bj = 0;

        for (unsigned j = 0; j < m; j++)
            if (pos[j] < len[j] && list[j][pos[j]] < best) {
                best = list[j][pos[j]];
                bj = j;
            }
        if (best == UINT32_MAX)
            return NULL;
        pos[bj]++;
        if (inj_rule_filters_pass(s->rules[best], lz))
            return s->rules[best];
    }
}
