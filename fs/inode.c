/* fs/inode.c — the inode table: a sharded hash keyed by nodeid.
 *
 * Invariants (see inode.h for the contract):
 *  - nodeid is derived from (st_dev, st_ino), so the hash is keyed by nodeid
 *    alone and a lookup by (dev, ino) is a lookup by the derived nodeid.
 *  - A node is in exactly one shard's chain from publish until it is freed;
 *    it is freed only under its shard lock with nlookup == 0, pins == 0 and
 *    not a ghost (or at destroy).
 *  - A node that becomes a ghost is moved (when nobody pins it) into a
 *    record of t->ghost_slab with its handle inline, and is never moved
 *    again: ghosts are long-lived, and packed apart from the short-lived
 *    nodes they would otherwise pin pages of, forgetting returns memory.
 *  - live counts nodes with nlookup > 0 (root excluded); ghosts counts
 *    nodes with n->ghost set (nlookup == 0, fd == -1, handle kept). Nodes
 *    between the two phases of a forget are in neither.
 *  - open_fds counts node fds (root excluded). A live node's fd is closed
 *    only by the evictor (pins == 0, handle kept) or by its final forget;
 *    it is reopened only with the node pinned (ensure_fd()).
 */
#include "inode.h"
#include "inode_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fs_fhandle {
    int mount_id;
    struct file_handle h; /* flexible: h.f_handle[h.handle_bytes] follows */
};

/* A node in t->ghost_slab: its handle is stored inline when it fits
 * (ext4, xfs, tmpfs and btrfs handles do); larger ones stay in place. */
#define FS_INLINE_HANDLE 32
struct pooled_node {
    struct fs_inode node; /* first: a struct fs_inode * points here */
    _Alignas(struct fs_fhandle) unsigned char fh[sizeof(struct fs_fhandle) +
                                                 FS_INLINE_HANDLE];
};

static bool fh_is_inline(const struct fs_inode *n, const struct fs_fhandle *fh)
{
    return n->pooled && (const void *)fh ==
                            (const void *)((const struct pooled_node *)n)->fh;
}

/* Free fh, one of n's handles (past or present), unless it lives in n. */
static void fh_free(const struct fs_inode *n, struct fs_fhandle *fh)
{
    if (!fh_is_inline(n, fh))
        free(fh);
}

static void note_freed(struct fs_itable *t);

static void node_free(struct fs_itable *t, struct fs_inode *n)
{
    fh_free(n, n->fh);
    free(n->path);
    if (n->pooled)
        fs_slab_put(&t->ghost_slab, n);
    else
        free(n);
    note_freed(t);
}

/* Caller holds s->lock. Rehash into nb buckets; on ENOMEM the table simply
 * stays at its current size. */
static void shard_resize(struct fs_shard *s, size_t nb)
{
    struct fs_inode **b = calloc(nb, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct fs_inode *p = s->buckets[i], *next;
        for (; p; p = next) {
            next = p->next;
            size_t j = (mix64(p->nodeid) / FS_SHARDS) & (nb - 1);
            p->next = b[j];
            b[j] = p;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
}

/* Caller holds s->lock. Grows the bucket array when chains get long. */
static void shard_insert(struct fs_shard *s, uint64_t hash, struct fs_inode *n)
{
    if (s->count >= 2 * s->nbuckets)
        shard_resize(s, s->nbuckets * 2);
    struct fs_inode **head = chain_of(s, hash);
    n->next = *head;
    *head = n;
    s->count++;
}

/* Caller holds s->lock. */
static void shard_remove(struct fs_shard *s, uint64_t hash, struct fs_inode *n)
{
    for (struct fs_inode **pp = chain_of(s, hash); *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            s->count--;
            /* Shrink once far below the grow point (hysteresis: no
             * resizing back and forth), so forgetting a big tree hands the
             * bucket arrays back too. */
            if (s->nbuckets > FS_SHARD_MIN_BUCKETS &&
                s->count < s->nbuckets / 8)
                shard_resize(s, s->nbuckets / 4 < FS_SHARD_MIN_BUCKETS
                                    ? FS_SHARD_MIN_BUCKETS
                                    : s->nbuckets / 4);
            return;
        }
    }
}

/* Index of dev, adding it when new and fd >= 0. open_by_handle_at() needs
 * a real (not O_PATH) fd on the device: a directory is opened read-only for
 * it (the first object seen on a device is nearly always its mount root);
 * otherwise the device's forgotten nodes cannot be reopened (ESTALE).
 * Returns -1 when unknown and not added. */
/* Lock-free: entries below ndevs never change once published. */
static int dev_find(struct fs_itable *t, dev_t dev)
{
    unsigned n = atomic_load_explicit(&t->ndevs, memory_order_acquire);
    for (unsigned i = 0; i < n; i++)
        if (t->devs[i] == dev)
            return (int)i;
    return -1;
}

static int dev_index(struct fs_itable *t, dev_t dev, int fd, bool is_dir)
{
    int idx = dev_find(t, dev);
    if (idx >= 0 || fd < 0)
        return idx;

    /* New device: open its handle fd unlocked, then add it unless another
     * thread won the race. */
    int dfd = is_dir ? openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd < 0)
        dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dfd < 0)
        return -1;
    pthread_mutex_lock(&t->dev_lock);
    idx = dev_find(t, dev);
    unsigned n = atomic_load_explicit(&t->ndevs, memory_order_relaxed);
    if (idx < 0 && n < FS_MAX_DEVS) {
        t->dev_fd[n] = dfd;
        t->devs[n] = dev;
        atomic_store_explicit(&t->ndevs, n + 1, memory_order_release);
        idx = (int)n;
        dfd = -1;
    }
    pthread_mutex_unlock(&t->dev_lock);
    if (dfd >= 0)
        close(dfd);
    return idx;
}

static uint64_t nodeid_for(struct fs_itable *t, dev_t dev, ino_t ino, int fd,
                           bool is_dir)
{
    if (t->root && dev == t->root->dev && ino == t->root->ino)
        return FS_ROOT_NODEID;
    if ((uint64_t)ino >> FS_INO_BITS)
        return 0;
    int idx = dev_index(t, dev, fd, is_dir);
    if (idx < 0)
        return 0;
    return ((uint64_t)(idx + 1) << FS_INO_BITS) | (uint64_t)ino;
}

uint64_t fs_itable_nodeid(struct fs_itable *t, dev_t dev, ino_t ino)
{
    return nodeid_for(t, dev, ino, -1, false);
}

int fs_itable_init(struct fs_itable *t, int root_fd, size_t ghost_max)
{
    struct stat st;
    memset(t, 0, sizeof(*t));
    fs_slab_init(&t->ghost_slab, sizeof(struct pooled_node));
    if (fstatat(root_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    for (int i = 0; i < FS_SHARDS; i++) {
        struct fs_shard *s = &t->shards[i];
        pthread_mutex_init(&s->lock, NULL);
        s->nbuckets = FS_SHARD_MIN_BUCKETS;
        s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
        if (!s->buckets)
            goto out_free;
    }
    pthread_mutex_init(&t->dev_lock, NULL);
    t->ghost_max = ghost_max;
    struct fs_inode *r = calloc(1, sizeof(*r));
    if (!r)
        goto out_free;
    r->nodeid = FS_ROOT_NODEID;
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->type = st.st_mode & S_IFMT;
    r->fd = root_fd;
    r->nlookup = 1;
    r->root = true;
    r->new_names = FS_NEW_NAMES_START;
    if (dev_index(t, st.st_dev, root_fd, true) != 0) {
        free(r);
        goto out_free;
    }
    t->root = r;
    uint64_t h;
    struct fs_shard *s = shard_of(t, r->nodeid, &h);
    shard_insert(s, h, r);
    return 0;

out_free:
    for (int i = 0; i < FS_SHARDS; i++)
        free(t->shards[i].buckets);
    fs_slab_destroy(&t->ghost_slab);
    return -ENOMEM;
}

void fs_itable_stats(struct fs_itable *t, struct fs_itable_stats *out)
{
    out->live = atomic_load(&t->live);
    out->ghosts = atomic_load(&t->ghosts);
}

void fs_itable_destroy(struct fs_itable *t, struct fs_itable_stats *left)
{
    if (left)
        fs_itable_stats(t, left);
    for (int i = 0; i < FS_SHARDS; i++) {
        struct fs_shard *s = &t->shards[i];
        for (size_t b = 0; s->buckets && b < s->nbuckets; b++) {
            struct fs_inode *n = s->buckets[b], *next;
            for (; n; n = next) {
                next = n->next;
                if (n->fd >= 0)
                    close(n->fd);
                node_free(t, n);
            }
        }
        free(s->buckets);
        s->buckets = NULL;
        pthread_mutex_destroy(&s->lock);
    }
    for (unsigned i = 0; i < atomic_load(&t->ndevs); i++)
        close(t->dev_fd[i]);
    fs_slab_destroy(&t->ghost_slab);
    pthread_mutex_destroy(&t->dev_lock);
    t->root = NULL;
    t->ndevs = 0;
}

struct fs_inode *fs_inode_get(struct fs_itable *t, uint64_t nodeid)
{
    if (nodeid == FS_ROOT_NODEID)
        return t->root;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    pthread_mutex_lock(&s->lock);
    struct fs_inode *n = shard_find(s, h, nodeid);
    if (n && n->nlookup == 0)
        n = NULL;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* The backing handle of fd, or NULL when it has none or the object is
 * deleted (a ghost could never be reopened). */
static struct fs_fhandle *handle_of(int fd)
{
    struct stat st;
    if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ||
        st.st_nlink == 0)
        return NULL;
    struct fs_fhandle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
    if (!fh)
        return NULL;
    fh->h.handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(fd, "", &fh->h, &fh->mount_id, AT_EMPTY_PATH) < 0) {
        free(fh);
        return NULL;
    }
    struct fs_fhandle *small = realloc(fh, sizeof(*fh) + fh->h.handle_bytes);
    return small ? small : fh;
}

/* Close node fds past the budget, down to 7/8 of it: unpinned live nodes
 * keep their backing handle and are reopened by fs_inode_pin() when next
 * used. Nodes without a handle (deleted, or a filesystem without export
 * support) keep their fd. name_to_handle_at and close on an O_PATH fd do
 * no I/O, so they are done under the shard lock. */
static void maybe_evict(struct fs_itable *t)
{
    if (!t->fd_budget || atomic_load(&t->open_fds) <= t->fd_budget)
        return;
    if (atomic_flag_test_and_set(&t->evicting))
        return;
    size_t target = t->fd_budget - t->fd_budget / 8;
    for (int k = 0; k < FS_SHARDS && atomic_load(&t->open_fds) > target; k++) {
        struct fs_shard *s =
            &t->shards[atomic_fetch_add(&t->evict_cursor, 1) % FS_SHARDS];
        pthread_mutex_lock(&s->lock);
        for (size_t b = 0; b < s->nbuckets; b++) {
            for (struct fs_inode *n = s->buckets[b]; n; n = n->next) {
                if (n->root || n->nlookup == 0 || n->pins || n->fd < 0)
                    continue;
                if (!n->fh)
                    n->fh = handle_of(n->fd);
                if (!n->fh)
                    continue;
                close(n->fd);
                n->fd = -1;
                atomic_fetch_sub(&t->open_fds, 1);
            }
            if (atomic_load(&t->open_fds) <= target)
                break;
        }
        pthread_mutex_unlock(&s->lock);
    }
    atomic_flag_clear(&t->evicting);
}

int fs_inode_publish(struct fs_itable *t, int fd, const struct stat *st,
                     struct fs_inode **out)
{
    uint64_t nodeid =
        nodeid_for(t, st->st_dev, st->st_ino, fd, S_ISDIR(st->st_mode));
    if (nodeid == 0) {
        close(fd);
        return -EOVERFLOW;
    }
    struct fs_inode *fresh = NULL;
    struct fs_fhandle *stale = NULL;
    struct fs_node_path *stale_path = NULL;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    int was_live = 0;

    pthread_mutex_lock(&s->lock);
    struct fs_inode *n = shard_find(s, h, nodeid);
    if (!n) {
        /* A new node: allocated unlocked, then looked for again. Most
         * publishes find theirs (a ghost revived after drop_caches, a
         * live node) and allocate nothing. */
        pthread_mutex_unlock(&s->lock);
        fresh = calloc(1, sizeof(*fresh));
        if (!fresh) {
            close(fd);
            return -ENOMEM;
        }
        pthread_mutex_lock(&s->lock);
        n = shard_find(s, h, nodeid);
    }
    if (n) {
        was_live = n->nlookup > 0;
        if (n->nlookup == 0 && !n->root) {
            /* Revive a ghost (or a node between forget's phases). The
             * object may be a new one that reuses the inode number, so
             * its type and handle are refreshed. */
            if (n->ghost) {
                n->ghost = false;
                atomic_fetch_sub(&t->ghosts, 1);
            }
            stale = fh_is_inline(n, n->fh) ? NULL : n->fh;
            n->fh = NULL;
            stale_path = n->path; /* normally already dropped at retire */
            n->path = NULL;
            atomic_fetch_add(&t->nodes_retired, 1);
            if (n->fd < 0) {
                n->fd = fd;
                fd = -1;
                atomic_fetch_add(&t->open_fds, 1);
            } /* else forgotten while pinned: its fd is still open */
            n->type = st->st_mode & S_IFMT;
            atomic_store_explicit(&n->new_names, FS_NEW_NAMES_START,
                                  memory_order_relaxed);
            atomic_fetch_add(&t->live, 1);
        } else if (n->fd < 0 && !n->root) {
            /* Live but evicted: keep the fresh fd. */
            n->fd = fd;
            fd = -1;
            atomic_fetch_add(&t->open_fds, 1);
        }
        n->nlookup++;
    } else {
        n = fresh;
        fresh = NULL;
        n->nodeid = nodeid;
        n->dev = st->st_dev;
        n->ino = st->st_ino;
        n->type = st->st_mode & S_IFMT;
        n->fd = fd;
        fd = -1;
        n->nlookup = 1;
        n->new_names = FS_NEW_NAMES_START;
        shard_insert(s, h, n);
        atomic_fetch_add(&t->live, 1);
        atomic_fetch_add(&t->open_fds, 1);
    }
    pthread_mutex_unlock(&s->lock);

    if (fd >= 0)
        close(fd);
    free(fresh);
    free(stale);
    free(stale_path);
    *out = n;
    maybe_evict(t);
    return was_live;
}

struct fs_inode *fs_inode_ref_open(struct fs_itable *t, const struct stat *st)
{
    uint64_t nodeid = nodeid_for(t, st->st_dev, st->st_ino, -1, false);
    if (nodeid == 0 || nodeid == FS_ROOT_NODEID)
        return NULL;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    pthread_mutex_lock(&s->lock);
    struct fs_inode *n = shard_find(s, h, nodeid);
    if (n && n->nlookup > 0 && n->fd >= 0)
        n->nlookup++;
    else
        n = NULL;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void fs_inode_ref(struct fs_itable *t, struct fs_inode *n)
{
    uint64_t h;
    struct fs_shard *s = shard_of(t, n->nodeid, &h);
    pthread_mutex_lock(&s->lock);
    /* The caller pinned n while it was live, but a FORGET may have taken
     * its last reference since (forgotten while pinned): then this one
     * brings it back to life, and it counts as live again. */
    if (n->nlookup++ == 0 && !n->root) {
        atomic_fetch_add(&t->live, 1);
        if (n->ghost) { /* cannot be while pinned; kept for safety */
            n->ghost = false;
            atomic_fetch_sub(&t->ghosts, 1);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

/* After a wave of forgets (drop_caches, a big `rm -rf`) the freed nodes
 * lie in glibc's free lists, interleaved with live ones; hand whole free
 * pages back to the kernel every FS_TRIM_AFTER frees, so forgetting inodes
 * returns the daemon's memory. */
#define FS_TRIM_AFTER 4096

static void note_freed(struct fs_itable *t)
{
    if (atomic_fetch_add(&t->freed_untrimmed, 1) + 1 < FS_TRIM_AFTER)
        return;
    atomic_store(&t->freed_untrimmed, 0);
    malloc_trim(0);
}

/* Move n, about to become a ghost, into the ghost slab: returns the node
 * that now stands for it (n itself when it cannot move: pinned, already
 * pooled, a handle too big to inline, or no memory). The old node is left
 * in *old for the caller to free after unlocking. Caller holds s->lock. */
static struct fs_inode *ghost_pack(struct fs_itable *t, struct fs_shard *s,
                                   uint64_t h, struct fs_inode *n,
                                   struct fs_inode **old)
{
    if (n->pins || n->pooled || n->fh->h.handle_bytes > FS_INLINE_HANDLE)
        return n;
    struct pooled_node *p = fs_slab_get(&t->ghost_slab);
    if (!p)
        return n;
    p->node = *n;
    p->node.pooled = true;
    p->node.fh = (struct fs_fhandle *)p->fh;
    memcpy(p->fh, n->fh, sizeof(*n->fh) + n->fh->h.handle_bytes);
    for (struct fs_inode **pp = chain_of(s, h); *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = &p->node;
            break;
        }
    }
    *old = n;
    return &p->node;
}

/* Retire n: nlookup has reached 0 and nobody pins it. Called with s->lock
 * held; returns with it released. Closes the fd (after taking its file
 * handle, so the nodeid stays resolvable as a ghost) or frees the node.
 * The handle is taken before the lock is dropped, as the evictor does
 * (no I/O on an O_PATH fd): an export lookup racing this forget must find
 * either the fd or the handle, never neither (it would answer ESTALE). */
static void retire_unlock(struct fs_itable *t, struct fs_shard *s, uint64_t h,
                          struct fs_inode *n)
{
    int fd = n->fd;
    struct fs_node_path *path = n->path; /* a ghost's object may change */
    if (fd >= 0 && t->ghost_max && !n->fh)
        n->fh = handle_of(fd); /* an evicted node already has one */
    n->fd = -1;
    n->path = NULL;
    atomic_fetch_add(&t->nodes_retired, 1);
    n->pins++; /* keeps n in the table while the lock is dropped */
    if (fd >= 0)
        atomic_fetch_sub(&t->open_fds, 1);
    pthread_mutex_unlock(&s->lock);
    free(path);
    if (fd >= 0)
        close(fd);

    pthread_mutex_lock(&s->lock);
    n->pins--;
    struct fs_inode *dead = NULL, *moved = NULL;
    if (n->nlookup == 0 && n->fd < 0 && !n->ghost) {
        if (n->fh && atomic_load(&t->ghosts) < t->ghost_max) {
            n = ghost_pack(t, s, h, n, &moved);
            n->ghost = true;
            atomic_fetch_add(&t->ghosts, 1);
        } else if (n->pins == 0) {
            shard_remove(s, h, n);
            dead = n;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (dead)
        node_free(t, dead);
    if (moved)
        node_free(t, moved); /* its handle was copied, its path is NULL */
}

void fs_inode_forget(struct fs_itable *t, uint64_t nodeid, uint64_t count)
{
    if (nodeid == FS_ROOT_NODEID)
        return;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);

    pthread_mutex_lock(&s->lock);
    struct fs_inode *n = shard_find(s, h, nodeid);
    if (!n || n->nlookup == 0) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    n->nlookup -= count < n->nlookup ? count : n->nlookup;
    if (n->nlookup > 0) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    atomic_fetch_sub(&t->live, 1);
    if (n->pins > 0) {
        /* A handler still uses its fd (a FORGET racing, say, an export
         * LOOKUP of the same node): the last fs_inode_unpin() retires it. */
        pthread_mutex_unlock(&s->lock);
        return;
    }
    retire_unlock(t, s, h, n);
}

/* The mount fd open_by_handle_at() needs for nodeid's device, or -1. */
static int mount_fd_of(struct fs_itable *t, uint64_t nodeid)
{
    unsigned idx = (unsigned)(nodeid >> FS_INO_BITS) - 1;
    if (idx < atomic_load_explicit(&t->ndevs, memory_order_acquire))
        return t->dev_fd[idx];
    return -1;
}

/* n is pinned. Its fd, reopened by handle when it was evicted; -errno
 * (-ESTALE) when it cannot be. */
static int ensure_fd(struct fs_itable *t, struct fs_inode *n)
{
    uint64_t h;
    struct fs_shard *s = shard_of(t, n->nodeid, &h);
    struct fs_fhandle *copy = NULL;

    pthread_mutex_lock(&s->lock);
    int fd = n->fd;
    if (fd < 0 && n->fh) {
        size_t sz = sizeof(*n->fh) + n->fh->h.handle_bytes;
        copy = malloc(sz);
        if (copy)
            memcpy(copy, n->fh, sz);
    }
    pthread_mutex_unlock(&s->lock);
    if (fd >= 0)
        return fd;
    if (!copy)
        return -ESTALE;

    int mfd = mount_fd_of(t, n->nodeid);
    fd = mfd < 0 ? -1 : open_by_handle_at(mfd, &copy->h, O_PATH | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -ESTALE;
    pthread_mutex_lock(&s->lock);
    if (n->fd < 0) {
        n->fd = fd;
        fd = -1;
        atomic_fetch_add(&t->open_fds, 1);
    }
    int ret = n->fd;
    pthread_mutex_unlock(&s->lock);
    if (fd >= 0)
        close(fd); /* another thread reopened it first */
    maybe_evict(t);
    return ret;
}

struct fs_inode *fs_inode_pin(struct fs_itable *t, uint64_t nodeid)
{
    if (nodeid == FS_ROOT_NODEID)
        return t->root;
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    pthread_mutex_lock(&s->lock);
    struct fs_inode *n = shard_find(s, h, nodeid);
    if (n && n->nlookup == 0)
        n = NULL;
    if (n)
        n->pins++;
    bool has_fd = n && n->fd >= 0; /* the usual case: one lock, no reopen */
    pthread_mutex_unlock(&s->lock);
    if (n && !has_fd && ensure_fd(t, n) < 0) {
        fs_inode_unpin(t, n);
        n = NULL;
    }
    return n;
}

void fs_inode_unpin(struct fs_itable *t, struct fs_inode *n)
{
    if (n->root)
        return;
    uint64_t h;
    struct fs_shard *s = shard_of(t, n->nodeid, &h);
    pthread_mutex_lock(&s->lock);
    n->pins--;
    if (n->pins == 0 && n->nlookup == 0 && !n->ghost && n->fd >= 0) {
        retire_unlock(t, s, h, n); /* forgotten while we used it */
        return;
    }
    pthread_mutex_unlock(&s->lock);
}

void fs_itable_set_fd_budget(struct fs_itable *t, size_t budget)
{
    t->fd_budget = budget;
}

int fs_itable_resolve(struct fs_itable *t, uint64_t nodeid,
                      struct fs_inode **out, struct stat *st)
{
    if (nodeid == FS_ROOT_NODEID) {
        fs_inode_ref(t, t->root);
        *out = t->root;
        if (fstatat(t->root->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
            return -errno;
        return 0;
    }
    uint64_t h;
    struct fs_shard *s = shard_of(t, nodeid, &h);
    struct fs_fhandle *copy = NULL;

    pthread_mutex_lock(&s->lock);
    struct fs_inode *n = shard_find(s, h, nodeid);
    if (n && n->nlookup > 0) {
        n->nlookup++; /* our reference keeps the node from here on */
        n->pins++;
        pthread_mutex_unlock(&s->lock);
        *out = n;
        int fd = ensure_fd(t, n);
        int rc = 0;
        if (fd < 0)
            rc = fd;
        else if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            rc = -errno;
        fs_inode_unpin(t, n);
        if (rc < 0)
            fs_inode_forget(t, nodeid, 1);
        return rc;
    }
    if (n && n->fh && n->nlookup == 0) {
        size_t sz = sizeof(*n->fh) + n->fh->h.handle_bytes;
        copy = malloc(sz);
        if (copy)
            memcpy(copy, n->fh, sz);
    }
    pthread_mutex_unlock(&s->lock);
    if (!copy)
        return -ESTALE;

    int rc = -ESTALE;
    int mfd = mount_fd_of(t, nodeid);
    if (mfd < 0)
        goto out_free;
    int fd = open_by_handle_at(mfd, &copy->h, O_PATH | O_CLOEXEC);
    if (fd < 0)
        goto out_free;
    if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ||
        nodeid_for(t, st->st_dev, st->st_ino, -1, false) != nodeid) {
        close(fd);
        goto out_free;
    }
    rc = fs_inode_publish(t, fd, st, out);
    if (rc > 0)
        rc = 0;
out_free:
    free(copy);
    return rc;
}
