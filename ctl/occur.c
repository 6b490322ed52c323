/* ctl/occur.c — striped hash of (op, path) → request count.
 *
 * Invariants: an entry lives in exactly one stripe, chosen by the high bits
 * of its hash; its count is only touched under that stripe's mutex. Entries
 * are never removed before ctl_occur_free().
 */
#include "occur.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NSTRIPES 64

struct occ_entry {
    struct occ_entry *next;
    uint64_t hash, count;
    enum inj_op op;
    size_t len;
    char path[];
};

struct occ_stripe {
    pthread_mutex_t lock;
    struct occ_entry **buckets; /* protected by lock */
    size_t nbuckets, n;
};

struct ctl_occur {
    struct occ_stripe s[NSTRIPES];
};

uint64_t ctl_occur_hash(enum inj_op op, const char *path, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603);
    h = (h ^ (unsigned)op) * UINT64_C(1099511628211);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)path[i]) * UINT64_C(1099511628211);
    return h;
}

struct ctl_occur *ctl_occur_new(void)
{
    struct ctl_occur *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    for (int i = 0; i < NSTRIPES; i++)
        pthread_mutex_init(&o->s[i].lock, NULL);
    return o;
}

void ctl_occur_free(struct ctl_occur *o)
{
    if (!o)
        return;
    for (int i = 0; i < NSTRIPES; i++) {
        struct occ_stripe *s = &o->s[i];
        for (size_t b = 0; b < s->nbuckets; b++) {
            struct occ_entry *e = s->buckets[b], *next;
            for (; e; e = next) {
                next = e->next;
                free(e);
            }
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    free(o);
}

static int stripe_grow(struct occ_stripe *s)
{
    size_t nb = s->nbuckets ? s->nbuckets * 2 : 16;
    struct occ_entry **b = calloc(nb, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct occ_entry *e = s->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            size_t j = e->hash & (nb - 1);
            e->next = b[j];
            b[j] = e;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
    return 0;
}

uint64_t ctl_occur_next(struct ctl_occur *o, enum inj_op op, const char *path)
{
    if (!path)
        path = "";
    size_t len = strlen(path);
    uint64_t h = ctl_occur_hash(op, path, len), n = 0;
    struct occ_stripe *s = &o->s[h >> 58]; /* 64 stripes: top 6 bits */
    pthread_mutex_lock(&s->lock);
    if (s->nbuckets) {
        for (struct occ_entry *e = s->buckets[h & (s->nbuckets - 1)]; e;
             e = e->next) {
            if (e->hash == h && e->op == op && e->len == len &&
                memcmp(e->path, path, len) == 0) {
                n = ++e->count;
                goto out_unlock;
            }
        }
    }
    if (s->n >= s->nbuckets && stripe_grow(s) != 0)
        goto out_unlock;
    struct occ_entry *e = malloc(sizeof(*e) + len + 1);
    if (!e)
        goto out_unlock;
    e->hash = h;
    e->op = op;
    e->len = len;
    memcpy(e->path, path, len + 1);
    e->count = n = 1;
    size_t j = h & (s->nbuckets - 1);
    e->next = s->buckets[j];
    s->buckets[j] = e;
    s->n++;
out_unlock:
    pthread_mutex_unlock(&s->lock);
    return n;
}
