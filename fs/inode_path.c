/* fs/inode_path.c — kept paths and rule-out marks on the inode table's nodes.
 *
 * Invariants (contract in inode.h):
 *  - A kept path is valid only in the path generation it was stored in;
 *    fs_itable_paths_moved() (every rename through the mount) starts a new
 *    one, so a stale path is never used, only recomputed.
 *  - Marks live on the kept path and die with it; they also answer only
 *    for the rule-set generation they were made in. A name mark answers
 *    only for the directory and name the path was derived from.
 *  - Every read or write of n->path and its fields holds n's shard lock;
 *    no lock is held across a syscall or a malloc.
 */
#include "inode_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

uint64_t fs_itable_path_gen(struct fs_itable *t)
{
    return atomic_load_explicit(&t->path_gen, memory_order_acquire);
}

void fs_itable_paths_moved(struct fs_itable *t)
{
    atomic_fetch_add_explicit(&t->path_gen, 1, memory_order_acq_rel);
}

ssize_t fs_inode_path_get(struct fs_itable *t, struct fs_inode *n, uint64_t gen,
                          char *buf, size_t size)
{
    uint64_t h;
    struct fs_shard *s = shard_of(t, n->nodeid, &h);
    ssize_t len = -1;

    pthread_mutex_lock(&s->lock);
    const struct fs_node_path *p = n->path;
    if (p && p->gen == gen && p->len < size) {
        memcpy(buf, p->text, p->len + 1);
        len = (ssize_t)p->len;
    }
    pthread_mutex_unlock(&s->lock);
    return len;
}

/* Caller holds s->lock: nodeid's kept path of generation gen, or NULL. */
static struct fs_node_path *kept_path(struct fs_shard *s, uint64_t h,
                                      uint64_t nodeid, uint64_t gen)
{
    struct fs_inode *n = shard_find(s, h, nodeid);
    struct fs_node_path *p = n && n->nlookup > 0 ? n->path : NULL;
    return p && p->gen == gen ? p : NULL;
}

ssize_t fs_itable_path_probe(struct fs_itable *t, uint64_t nodeid,
                             uint64_t pgen, uint64_t rgen, uint64_t op_bit,
                             bool dir, char *buf, size_t size, uint64_t *parent)
{
    if (parent)
        *parent = 0;
    if (nodeid == FS_ROOT_NODEID)
        return -1;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    ssize_t len = -1;
    pthread_mutex_lock(&s->lock);
    const struct fs_node_path *p = kept_path(s, h, nodeid, pgen);
    if (p && p->rules_gen == rgen &&
        ((dir ? p->out_dir : p->out_self) & op_bit))
        len = FS_PATH_RULED_OUT;
    else if (p && buf && p->len < size) {
        memcpy(buf, p->text, p->len + 1);
        len = (ssize_t)p->len;
    }
    if (p && parent)
        *parent = p->parent;
    pthread_mutex_unlock(&s->lock);
    return len;
}

ssize_t fs_itable_path_by_id(struct fs_itable *t, uint64_t nodeid, uint64_t gen,
                             char *buf, size_t size)
{
    return fs_itable_path_probe(t, nodeid, gen, UINT64_MAX, 0, false, buf, size,
                                NULL);
}

/* Is p the path of name in directory parent (derived from it)? */
static bool path_names(const struct fs_node_path *p, uint64_t parent,
                       const char *name)
{
    size_t nl = strlen(name);
    return parent && p->parent == parent && p->len > nl &&
           p->text[p->len - nl - 1] == '/' &&
           memcmp(p->text + p->len - nl, name, nl) == 0;
}

bool fs_itable_name_probe(struct fs_itable *t, uint64_t nodeid, uint64_t parent,
                          const char *name, uint64_t pgen, uint64_t rgen,
                          uint64_t op_bit)
{
    if (nodeid == FS_ROOT_NODEID || !nodeid)
        return false;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    pthread_mutex_lock(&s->lock);
    const struct fs_node_path *p = kept_path(s, h, nodeid, pgen);
    bool out = p && p->rules_gen == rgen && (p->out_self & op_bit) &&
               path_names(p, parent, name);
    pthread_mutex_unlock(&s->lock);
    return out;
}

/* Caller holds the lock: add op_bit to p's marks (on the path itself, or
 * dir: on the names in it) for rule-set generation rgen, dropping marks of
 * an older one first. */
static void marks_add(struct fs_node_path *p, uint64_t rgen, uint64_t op_bit,
                      bool dir)
{
    if (p->rules_gen != rgen) {
        p->rules_gen = rgen;
        p->out_self = p->out_dir = 0;
    }
    *(dir ? &p->out_dir : &p->out_self) |= op_bit;
}

/* Add op_bit to nodeid's marks (marks_add); with a name, only when its
 * kept path is the one derived from name in parent. */
static void rule_out(struct fs_itable *t, uint64_t nodeid, uint64_t pgen,
                     uint64_t rgen, uint64_t op_bit, bool dir, uint64_t parent,
                     const char *name)
{
    if (nodeid == FS_ROOT_NODEID)
        return;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    pthread_mutex_lock(&s->lock);
    struct fs_node_path *p = kept_path(s, h, nodeid, pgen);
    if (p && (!name || path_names(p, parent, name)))
        marks_add(p, rgen, op_bit, dir);
    pthread_mutex_unlock(&s->lock);
}

void fs_itable_name_rule_out(struct fs_itable *t, uint64_t nodeid,
                             uint64_t parent, const char *name, uint64_t pgen,
                             uint64_t rgen, uint64_t op_bit)
{
    rule_out(t, nodeid, pgen, rgen, op_bit, false, parent, name);
}

void fs_itable_path_rule_out(struct fs_itable *t, uint64_t nodeid,
                             uint64_t pgen, uint64_t rgen, uint64_t op_bit,
                             bool dir)
{
    rule_out(t, nodeid, pgen, rgen, op_bit, dir, 0, NULL);
}

uint64_t fs_itable_nodes_retired(struct fs_itable *t)
{
    return atomic_load_explicit(&t->nodes_retired, memory_order_acquire);
}

void fs_itable_want_paths(struct fs_itable *t)
{
    if (!atomic_load_explicit(&t->paths_wanted, memory_order_relaxed))
        atomic_store_explicit(&t->paths_wanted, true, memory_order_relaxed);
}

/* Caller holds n's shard lock: n's kept path of generation gen: 1 when it
 * was derived from a directory, -1 when there is none; 0 when it was read
 * from the kernel, in which case it is adopted as derived from parent when
 * its text is text[0, len) (the same name: a hard link keeps the name it
 * was first reached by). */
static int kept_origin(struct fs_inode *n, uint64_t gen, uint64_t parent,
                       const char *text, size_t len)
{
    struct fs_node_path *p = n->path;
    if (!p || p->gen != gen)
        return -1;
    if (p->parent)
        return 1;
    if (text && p->len == len && memcmp(p->text, text, len) == 0)
        p->parent = parent;
    return 0;
}

void fs_inode_path_inherit(struct fs_itable *t, struct fs_inode *parent,
                           struct fs_inode *child, const char *name)
{
    if (!atomic_load_explicit(&t->paths_wanted, memory_order_relaxed) ||
        child->root)
        return;
    uint64_t gen = fs_itable_path_gen(t), h;
    struct fs_shard *s = shard_of(t, child->nodeid, &h);
    pthread_mutex_lock(&s->lock);
    int origin = kept_origin(child, gen, 0, NULL, 0);
    pthread_mutex_unlock(&s->lock);
    if (origin > 0)
        return; /* the usual case: one lock, no copy */

    char buf[PATH_MAX];
    ssize_t len = 0;
    if (!parent->root) {
        len = fs_inode_path_get(t, parent, gen, buf, sizeof(buf));
        if (len < 0)
            return;
    }
    size_t nl = strlen(name);
    if ((size_t)len + 1 + nl >= sizeof(buf))
        return;
    buf[len] = '/';
    memcpy(buf + len + 1, name, nl + 1);
    len += (ssize_t)(1 + nl);
    if (origin == 0) { /* read from the kernel: adopt it if it is this name */
        pthread_mutex_lock(&s->lock);
        kept_origin(child, gen, parent->nodeid, buf, (size_t)len);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    fs_inode_path_set(t, child, gen, buf, (size_t)len, parent->nodeid);
}

void fs_inode_path_set(struct fs_itable *t, struct fs_inode *n, uint64_t gen,
                       const char *path, size_t len, uint64_t parent)
{
    fs_itable_want_paths(t);
    struct fs_node_path *p = malloc(sizeof(*p) + len + 1);
    if (!p)
        return;
    p->gen = gen;
    p->len = len;
    p->rules_gen = UINT64_MAX; /* no marks */
    p->out_self = p->out_dir = 0;
    p->parent = parent;
    memcpy(p->text, path, len);
    p->text[len] = '\0';

    uint64_t h;
    struct fs_shard *s = shard_of(t, n->nodeid, &h);
    pthread_mutex_lock(&s->lock);
    struct fs_node_path *old = n->path;
    if (n->nlookup > 0 && (!old || old->gen <= gen)) {
        n->path = p;
        p = NULL;
    } else {
        old = NULL; /* forgotten meanwhile, or a newer path is there */
    }
    pthread_mutex_unlock(&s->lock);
    free(old);
    free(p);
}
