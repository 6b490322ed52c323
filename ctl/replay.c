/* ctl/replay.c — trace loader and (op, path, occurrence) fault index.
 *
 * Invariants: after load the index (keys, fault arrays) is never modified;
 * only each key's `seen` counter and each fault's `used` flag change, both
 * atomically, so lookups need no lock. Faults per key are sorted by
 * occurrence and unique.
 */
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "occur.h"
#include "stats.h"
#include "trace.h"

struct rp_fault {
    uint64_t occurrence;
    unsigned line;
    _Atomic bool used;
    struct inj_verdict v;
};

struct rp_key {
    struct rp_key *next; /* hash chain */
    uint64_t hash;
    enum inj_op op;
    char *path;
    size_t path_len;
    _Atomic uint64_t seen;
    struct rp_fault *faults;
    size_t n, cap;
};

struct ctl_replay {
    char *name;
    struct rp_key **buckets;
    size_t nbuckets, nkeys, nfaults;
    uint64_t ops; /* mask of inj_op_bit() with at least one fault */
    _Atomic size_t used;
};

static int rp_err(char *errbuf, size_t errsize, const char *name, unsigned line,
                  size_t col, const char *msg, const char *arg)
{
    snprintf(errbuf, errsize, "%s:%u:%zu: %s%s", name, line, col, msg,
             arg ? arg : "");
    return -EINVAL;
}

static struct rp_key *rp_find(const struct ctl_replay *r, enum inj_op op,
                              const char *path, size_t len, uint64_t h)
{
    if (!r->nbuckets)
        return NULL;
    for (struct rp_key *k = r->buckets[h & (r->nbuckets - 1)]; k; k = k->next)
        if (k->hash == h && k->op == op && k->path_len == len &&
            memcmp(k->path, path, len) == 0)
            return k;
    return NULL;
}

static int rp_grow(struct ctl_replay *r)
{
    size_t nb = r->nbuckets ? r->nbuckets * 2 : 64;
    struct rp_key **b = calloc(nb, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < r->nbuckets; i++) {
        struct rp_key *k = r->buckets[i], *next;
        for (; k; k = next) {
            next = k->next;
            k->next = b[k->hash & (nb - 1)];
            b[k->hash & (nb - 1)] = k;
        }
    }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = nb;
    return 0;
}

/* Required unsigned integer field. */
static const char *rp_uint(const struct ctl_json_obj *o, const char *key,
                           bool required, uint64_t *out, size_t *col)
{
    const struct ctl_json_field *f = ctl_json_get(o, key);
    *out = 0;
    if (!f)
        return required ? "missing field " : NULL;
    *col = f->col;
    if (f->type == CTL_JSON_NULL && !required)
        return NULL;
    if (f->type != CTL_JSON_INT || f->neg)
        return "expected an unsigned integer for ";
    *out = f->u;
    return NULL;
}

static int cmp_fault(const void *a, const void *b)
{
    const struct rp_fault *x = a, *y = b;
    return x->occurrence < y->occurrence ? -1 : x->occurrence > y->occurrence;
}

/* Parse one trace line into the index. */
static int rp_line(struct ctl_replay *r, const char *s, size_t len,
                   unsigned line, char *errbuf, size_t errsize)
{
    struct ctl_json_obj o;
    size_t col = 1;
    const char *msg = NULL;
    int rc = ctl_json_parse(s, len, &o, &col, &msg);
    if (rc == -ENOMEM)
        return rc;
    if (rc)
        return rp_err(errbuf, errsize, r->name, line, col,
                      "malformed JSON: ", msg);
    const char *m;
    const struct ctl_json_field *f;
    struct rp_fault fault = {.line = line};
    struct inj_verdict *v = &fault.v;

    /* Event lines (watchdog reports) record no fault to replay. */
    if (ctl_json_get(&o, "event")) {
        rc = 0;
        goto out;
    }

    f = ctl_json_get(&o, "op");
    if (!f || f->type != CTL_JSON_STRING) {
        rc = rp_err(errbuf, errsize, r->name, line, f ? f->col : 1,
                    "expected a string field ", "\"op\"");
        goto out;
    }
    int op = ctl_op_from_name(f->str, f->len);
    if (op < 0) {
        rc = rp_err(errbuf, errsize, r->name, line, f->col, "unknown op ",
                    f->str);
        goto out;
    }
    const struct ctl_json_field *pf = ctl_json_get(&o, "path");
    if (!pf || (pf->type != CTL_JSON_STRING && pf->type != CTL_JSON_NULL)) {
        rc = rp_err(errbuf, errsize, r->name, line, pf ? pf->col : 1,
                    "expected a string or null field ", "\"path\"");
        goto out;
    }
    const char *path = pf->type == CTL_JSON_STRING ? pf->str : "";
    size_t plen = pf->type == CTL_JSON_STRING ? pf->len : 0;
    if (memchr(path, '\0', plen)) {
        rc = rp_err(errbuf, errsize, r->name, line, pf->col, "NUL byte in ",
                    "\"path\"");
        goto out;
    }

    static const char *const req[] = {"occurrence", "match",    "gen",
                                      "err",        "delay_ns", "short",
                                      "hang_ns",    "stream"};
    uint64_t vals[8];
    for (int i = 0; i < 8; i++) {
        col = 1;
        if ((m = rp_uint(&o, req[i], i == 0, &vals[i], &col))) {
            char q[32];
            snprintf(q, sizeof(q), "\"%s\"", req[i]);
            rc = rp_err(errbuf, errsize, r->name, line, col, m, q);
            goto out;
        }
    }
    fault.occurrence = vals[0];
    if (!fault.occurrence) {
        rc = rp_err(errbuf, errsize, r->name, line,
                    ctl_json_get(&o, "occurrence")->col,
                    "occurrence numbers start at 1", NULL);
        goto out;
    }
    v->match_no = vals[1];
    v->generation = vals[2];
    if (vals[3] > 4095) {
        rc = rp_err(errbuf, errsize, r->name, line,
                    ctl_json_get(&o, "err")->col, "errno out of range", NULL);
        goto out;
    }
    v->err = (int)vals[3];
    v->delay_ns = vals[4];
    v->short_len = vals[5];
    v->hang_ns = vals[6];
    v->stream = vals[7];

    f = ctl_json_get(&o, "action");
    if (!f || f->type != CTL_JSON_STRING ||
        ctl_action_parse(f->str, f->len, &v->actions) != 0 || !v->actions) {
        rc = rp_err(errbuf, errsize, r->name, line, f ? f->col : 1,
                    "expected \"action\": a comma list of error, delay, "
                    "short, corrupt, hang, lie",
                    NULL);
        goto out;
    }
    if ((v->actions & INJ_ACT_ERROR) && v->err <= 0) {
        rc = rp_err(errbuf, errsize, r->name, line, f->col,
                    "action error needs a positive \"err\"", NULL);
        goto out;
    }
    f = ctl_json_get(&o, "corrupt");
    v->corrupt = INJ_CORRUPT_NONE;
    if (f) {
        static const char *const cn[] = {"none", "flip", "zero", "random"};
        int c = -1;
        for (int i = 0; i < 4; i++)
            if (f->type == CTL_JSON_STRING && strcmp(f->str, cn[i]) == 0)
                c = i;
        if (c < 0) {
            rc = rp_err(errbuf, errsize, r->name, line, f->col,
                        "expected \"corrupt\": none, flip, zero or random",
                        NULL);
            goto out;
        }
        v->corrupt = (enum inj_corrupt)c;
    }
    f = ctl_json_get(&o, "rule");
    if (f && f->type == CTL_JSON_STRING)
        snprintf(v->rule_id, sizeof(v->rule_id), "%s", f->str);
    else if (f && f->type != CTL_JSON_NULL) {
        rc = rp_err(errbuf, errsize, r->name, line, f->col,
                    "expected a string for ", "\"rule\"");
        goto out;
    }

    uint64_t h = ctl_occur_hash((enum inj_op)op, path, plen);
    struct rp_key *k = rp_find(r, (enum inj_op)op, path, plen, h);
    if (!k) {
        if (r->nkeys >= r->nbuckets && (rc = rp_grow(r)))
            goto out;
        rc = -ENOMEM;
        k = calloc(1, sizeof(*k));
        if (!k)
            goto out;
        k->path = malloc(plen + 1);
        if (!k->path) {
            free(k);
            goto out;
        }
        memcpy(k->path, path, plen);
        k->path[plen] = '\0';
        k->path_len = plen;
        k->op = (enum inj_op)op;
        k->hash = h;
        k->next = r->buckets[h & (r->nbuckets - 1)];
        r->buckets[h & (r->nbuckets - 1)] = k;
        r->nkeys++;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        struct rp_fault *nf = realloc(k->faults, cap * sizeof(*nf));
        if (!nf) {
            rc = -ENOMEM;
            goto out;
        }
        k->faults = nf;
        k->cap = cap;
    }
    k->faults[k->n++] = fault;
    r->nfaults++;
    r->ops |= inj_op_bit((enum inj_op)op);
    rc = 0;
out:
    ctl_json_free(&o);
    return rc;
}

/* Sort each key's faults and reject duplicates. */
static int rp_finish(struct ctl_replay *r, char *errbuf, size_t errsize)
{
    for (size_t b = 0; b < r->nbuckets; b++) {
        for (struct rp_key *k = r->buckets[b]; k; k = k->next) {
            qsort(k->faults, k->n, sizeof(*k->faults), cmp_fault);
            for (size_t i = 1; i < k->n; i++) {
                if (k->faults[i].occurrence == k->faults[i - 1].occurrence) {
                    unsigned l = k->faults[i].line > k->faults[i - 1].line
                                     ? k->faults[i].line
                                     : k->faults[i - 1].line;
                    char what[96];
                    snprintf(what, sizeof(what), "%llu of %s",
                             (unsigned long long)k->faults[i].occurrence,
                             ctl_op_name(k->op));
                    return rp_err(errbuf, errsize, r->name, l, 1,
                                  "fault recorded twice for occurrence ", what);
                }
            }
        }
    }
    return 0;
}

int ctl_replay_load_text(const char *text, size_t len, const char *name,
                         struct ctl_replay **out, char *errbuf, size_t errsize)
{
    struct ctl_replay *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    int rc = -ENOMEM;
    r->name = strdup(name);
    if (!r->name)
        goto out_free;
    size_t pos = 0;
    unsigned line = 0;
    while (pos < len) {
        line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (!nl) {
            rc = rp_err(errbuf, errsize, r->name, line, end - pos + 1,
                        "truncated line (no newline at end of file)", NULL);
            goto out_free;
        }
        if (end > pos &&
            (rc = rp_line(r, text + pos, end - pos, line, errbuf, errsize)))
            goto out_free;
        pos = end + 1;
    }
    if ((rc = rp_finish(r, errbuf, errsize)))
        goto out_free;
    *out = r;
    return 0;
out_free:
    if (rc == -ENOMEM)
        snprintf(errbuf, errsize, "%s: out of memory", name);
    ctl_replay_free(r);
    return rc;
}

int ctl_replay_load(const char *file, struct ctl_replay **out, char *errbuf,
                    size_t errsize)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(errbuf, errsize, "%s: %s", file, strerror(e));
        return -e;
    }
    struct ctl_buf b = {0};
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            snprintf(errbuf, errsize, "%s: %s", file, strerror(e));
            close(fd);
            ctl_buf_free(&b);
            return -e;
        }
        ctl_buf_append(&b, chunk, (size_t)n);
    }
    close(fd);
    int rc;
    if (b.oom) {
        snprintf(errbuf, errsize, "%s: out of memory", file);
        rc = -ENOMEM;
    } else {
        rc = ctl_replay_load_text(b.data ? b.data : "", b.len, file, out,
                                  errbuf, errsize);
    }
    ctl_buf_free(&b);
    return rc;
}

void ctl_replay_free(struct ctl_replay *r)
{
    if (!r)
        return;
    for (size_t b = 0; b < r->nbuckets; b++) {
        struct rp_key *k = r->buckets[b], *next;
        for (; k; k = next) {
            next = k->next;
            free(k->faults);
            free(k->path);
            free(k);
        }
    }
    free(r->buckets);
    free(r->name);
    free(r);
}

bool ctl_replay_lookup(struct ctl_replay *r, enum inj_op op, const char *path,
                       struct inj_verdict *out)
{
    if (!path)
        path = "";
    size_t len = strlen(path);
    struct rp_key *k = rp_find(r, op, path, len, ctl_occur_hash(op, path, len));
    if (!k)
        return false;
    uint64_t n =
        atomic_fetch_add_explicit(&k->seen, 1, memory_order_relaxed) + 1;
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->faults[mid].occurrence < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == k->n || k->faults[lo].occurrence != n)
        return false;
    struct rp_fault *f = &k->faults[lo];
    /* Each occurrence number is handed out once, so `used` flips once. */
    atomic_store_explicit(&f->used, true, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->used, 1, memory_order_relaxed);
    *out = f->v;
    return true;
}

bool ctl_replay_wants(const struct ctl_replay *r, enum inj_op op)
{
    return r && (unsigned)op < INJ_OP_COUNT && (r->ops & inj_op_bit(op));
}

size_t ctl_replay_size(const struct ctl_replay *r)
{
    return r ? r->nfaults : 0;
}

size_t ctl_replay_unused(const struct ctl_replay *r)
{
    if (!r)
        return 0;
    size_t used = atomic_load(&((struct ctl_replay *)r)->used);
    return r->nfaults - used;
}

size_t ctl_replay_report_unused(const struct ctl_replay *r, FILE *out)
{
    size_t count = 0;
    if (!r)
        return 0;
    for (size_t b = 0; b < r->nbuckets; b++) {
        for (const struct rp_key *k = r->buckets[b]; k; k = k->next) {
            uint64_t seen = atomic_load(&((struct rp_key *)k)->seen);
            for (size_t i = 0; i < k->n; i++) {
                const struct rp_fault *f = &k->faults[i];
                if (atomic_load(&((struct rp_fault *)f)->used))
                    continue;
                count++;
                if (!out)
                    continue;
                struct ctl_buf pb = {0};
                ctl_buf_json_str(&pb, k->path, k->path_len);
                fprintf(out,
                        "snagfs: replay: %s:%u: %s %s occurrence %llu was "
                        "never reached (saw %llu)\n",
                        r->name, f->line, ctl_op_name(k->op), ctl_buf_str(&pb),
                        (unsigned long long)f->occurrence,
                        (unsigned long long)seen);
                ctl_buf_free(&pb);
            }
        }
    }
    return count;
}
