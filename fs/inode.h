/* fs/inode.h — the inode table: backing objects by (st_dev, st_ino).
 *
 * Invariants:
 *  - A node's nodeid is a pure function of its backing (st_dev, st_ino) for
 *    the lifetime of the daemon: ((dev index + 1) << 48) | st_ino, or
 *    FUSE_ROOT_ID (1) for SOURCE itself. So the kernel can forget a node and
 *    ask for it again by nodeid (NFS-style export, lookup of ".") and get
 *    the same object back; nodeids are stable and re-resolvable.
 *  - A live node (nlookup > 0) normally owns an O_PATH|O_NOFOLLOW fd. The
 *    fds are a cache bounded by fd_budget (the daemon may not hold one fd
 *    per inode the kernel knows): past it, fds of unpinned live nodes are
 *    closed and their backing file handle kept, and fs_inode_pin() reopens
 *    them (open_by_handle_at) on demand. A pinned node's fd stays open and
 *    unchanged until it is unpinned; handlers pin every node they use (the
 *    ops trampolines in ops.c unpin when the handler returns).
 *  - When nlookup drops to 0 the fd is closed and the node becomes a ghost:
 *    a small record holding the backing file handle (name_to_handle_at) so
 *    the nodeid stays resolvable. Ghosts are capped (ghost_max); past the
 *    cap, forgotten nodes are freed outright. The root never dies.
 *  - Lock order: a shard lock is a leaf, except that it may be taken
 *    before t->dev_lock (adding a device) and t->ghost_slab's lock. No two
 * shard locks are ever held together. No lock is held across a syscall that can
 * block.
 *
 * This file knows nothing of FUSE so it can be unit-tested alone.
 */
#ifndef SNAG_FS_INODE_H
#define SNAG_FS_INODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "slab.h"

#define FS_ROOT_NODEID 1
#define FS_INO_BITS 48
#define FS_MAX_DEVS 1024
#define FS_SHARDS 64

struct fs_fhandle;   /* opaque copy of a struct file_handle */
struct fs_node_path; /* opaque: a path and the generation it is valid in */

struct fs_inode {
    struct fs_inode *next; /* hash chain; shard lock */
    uint64_t nodeid;       /* immutable */
    dev_t dev;             /* immutable */
    ino_t ino;             /* immutable */
    mode_t type;           /* S_IFMT bits; immutable */
    int fd;                /* O_PATH fd, or -1 (ghost, or evicted); shard
                              lock for writes, read freely while pinned */
    uint64_t nlookup;      /* kernel references; shard lock */
    uint32_t pins;         /* users that need fd to stay; shard lock */
    bool root;             /* never freed before fs_itable_destroy() */
    bool ghost;            /* counted in t->ghosts; shard lock */
    bool pooled;           /* lives in t->ghost_slab (see inode.c) */
    /* A directory's recent lookups that found names new to the table, a
     * saturating count (ops_namespace.c picks the lookup's first syscall
     * by it; relaxed, a hint). FS_NEW_NAMES_START for a node new to the
     * table or revived: nobody has looked into it, so its names are new. */
    _Atomic uint8_t new_names;
    struct fs_fhandle *fh; /* backing handle of a ghost, or NULL; shard lock */
    struct fs_node_path *path; /* cached path for rules, or NULL; shard lock;
                                  dropped when the node is forgotten */
};

#define FS_NEW_NAMES_START 2

struct fs_shard {
    pthread_mutex_t lock;
    struct fs_inode **buckets; /* nbuckets chains */
    size_t nbuckets;           /* power of two */
    size_t count;              /* live + ghost nodes in this shard */
};

/* Lock order: shards[i].lock, then dev_lock (never the reverse, never two
 * shard locks at once). Neither is held across a syscall that can block. */
struct fs_itable {
    struct fs_shard shards[FS_SHARDS];
    /* Devices are append-only: dev_lock serialises writers; readers load
     * ndevs (acquire) and read the entries below it without a lock. */
    pthread_mutex_t dev_lock;
    dev_t devs[FS_MAX_DEVS]; /* index → st_dev; index 0 is SOURCE's */
    int dev_fd[FS_MAX_DEVS]; /* an O_PATH fd on that device, for
                                open_by_handle_at(); owned */
    _Atomic unsigned ndevs;
    struct fs_inode *root;
    size_t ghost_max;               /* 0: forget frees at once */
    size_t fd_budget;               /* most node fds kept open (0: no limit) */
    _Atomic size_t open_fds;        /* node fds open now, root excluded */
    _Atomic unsigned evict_cursor;  /* next shard the evictor scans */
    atomic_flag evicting;           /* one evictor at a time */
    _Atomic size_t live, ghosts;    /* counts, for stats and the exit check */
    _Atomic uint64_t path_gen;      /* bumped when names move (rename) */
    _Atomic bool paths_wanted;      /* a path was ever cached: rules use them */
    _Atomic uint64_t nodes_retired; /* nodeids that stopped naming their
                                       object (and dropped their path) */
    _Atomic size_t freed_untrimmed; /* nodes freed since the last trim */
    struct fs_slab ghost_slab;      /* where ghosts are packed */
};

struct fs_itable_stats {
    size_t live;   /* nodes with nlookup > 0, root excluded */
    size_t ghosts; /* forgotten nodes kept for re-resolution */
};

/* Set up the table with root_fd (O_PATH on SOURCE; the table takes it).
 * Returns 0 or -errno. */
int fs_itable_init(struct fs_itable *t, int root_fd, size_t ghost_max);

/* Free every node and close every fd. *left (may be NULL) receives the
 * counts found just before teardown. Call only when no thread uses t. */
void fs_itable_destroy(struct fs_itable *t, struct fs_itable_stats *left);

void fs_itable_stats(struct fs_itable *t, struct fs_itable_stats *out);

/* The live node for nodeid, or NULL. No reference is taken: valid while the
 * kernel holds one (i.e. for the duration of a request naming nodeid); its
 * fd may be -1 (evicted) unless pinned. */
struct fs_inode *fs_inode_get(struct fs_itable *t, uint64_t nodeid);

/* The live node for nodeid with its fd open and pinned (not evicted until
 * fs_inode_unpin()), or NULL (unknown, or its fd cannot be reopened). */
struct fs_inode *fs_inode_pin(struct fs_itable *t, uint64_t nodeid);
void fs_inode_unpin(struct fs_itable *t, struct fs_inode *n);

/* Bound the number of open node fds (0: unbounded). */
void fs_itable_set_fd_budget(struct fs_itable *t, size_t budget);

/* Enter the object behind fd (O_PATH, stat'ed as *st) into the table with
 * one more kernel reference. Takes ownership of fd (closed when the node
 * already had one). Returns 1 when the node was live already (the kernel
 * held it), 0 when it is new or revived from a ghost, or -errno
 * (-EOVERFLOW: too many devices). */
int fs_inode_publish(struct fs_itable *t, int fd, const struct stat *st,
                     struct fs_inode **out);

/* The lookup fast path: when the live node for st's (dev, ino) holds its
 * fd, that fd keeps the very inode st describes alive, so the node is that
 * object: take one more kernel reference and return it. NULL (and no
 * reference) when unknown, forgotten or evicted: publish a fresh fd then. */
struct fs_inode *fs_inode_ref_open(struct fs_itable *t, const struct stat *st);

/* Take one more kernel reference on a node the caller has pinned (lookup
 * of "."); revives it if a FORGET took its last one meanwhile. */
void fs_inode_ref(struct fs_itable *t, struct fs_inode *n);

/* Drop n kernel references. At zero the fd is closed and the node freed or
 * kept as a ghost. Unknown nodeids are ignored. */
void fs_inode_forget(struct fs_itable *t, uint64_t nodeid, uint64_t n);

/* Bring back a nodeid the kernel forgot: a live node gets a reference; a
 * ghost is reopened by its file handle and verified. On success one kernel
 * reference is taken and *st is filled. -ESTALE when it cannot be done. */
int fs_itable_resolve(struct fs_itable *t, uint64_t nodeid,
                      struct fs_inode **out, struct stat *st);

/* Path cache for rules that filter on paths (fs/inject_seam.c computes a
 * path from the kernel's view of the node's fd; that costs microseconds, so
 * the answer is kept on the node). A cached path is valid only in the
 * generation it was stored in; fs_itable_paths_moved() starts a new one
 * (call it after every rename through the mount). Store with the
 * generation read *before* computing the path, so a rename racing the
 * computation can only make the entry stale, never wrong. */
uint64_t fs_itable_path_gen(struct fs_itable *t);
void fs_itable_paths_moved(struct fs_itable *t);

/* Copy n's path cached in generation gen into buf (NUL-terminated) and
 * return its length; -1 when there is none, it is stale, or it does not
 * fit. */
ssize_t fs_inode_path_get(struct fs_itable *t, struct fs_inode *n, uint64_t gen,
                          char *buf, size_t size);

/* fs_inode_path_get() for the live node nodeid, found and read under one
 * lock, without pinning it (the root has no kept path): -1 on a miss. */
ssize_t fs_itable_path_by_id(struct fs_itable *t, uint64_t nodeid, uint64_t gen,
                             char *buf, size_t size);

/* Rule-out marks: a kept path also records, per rule-set generation, the
 * ops (bits op_bit, the engine's inj_op_bit()) that no rule can match on
 * the node itself or, for a directory, on any name in it (the engine says
 * so: INJ_RULED_OUT_PATH, _DIR), so a request on it need not ask the
 * engine again. A rename (new path generation) or a new rule set drops
 * them. fs_itable_path_probe(): FS_PATH_RULED_OUT when op_bit is marked
 * for rgen (dir: for names in the node), else fs_itable_path_by_id() (buf
 * may be NULL: nothing copied); *parent (may be NULL) gets the directory
 * the kept path was derived from, 0 when none or unknown. */
#define FS_PATH_RULED_OUT (-2)
ssize_t fs_itable_path_probe(struct fs_itable *t, uint64_t nodeid,
                             uint64_t pgen, uint64_t rgen, uint64_t op_bit,
                             bool dir, char *buf, size_t size,
                             uint64_t *parent);
/* Marks on one name: a lookup of name in directory parent, answered by node
 * nodeid, is ruled out when nodeid's kept path is parent's plus name (it
 * was derived so) and carries op_bit for rgen. The root's names, and those
 * of a directory some rule descends through, cannot be marked as a
 * directory; their nodes can. fs_itable_name_rule_out() marks it. */
bool fs_itable_name_probe(struct fs_itable *t, uint64_t nodeid, uint64_t parent,
                          const char *name, uint64_t pgen, uint64_t rgen,
                          uint64_t op_bit);
void fs_itable_name_rule_out(struct fs_itable *t, uint64_t nodeid,
                             uint64_t parent, const char *name, uint64_t pgen,
                             uint64_t rgen, uint64_t op_bit);

/* Mark op_bit out for rgen on nodeid's kept path of generation pgen (no-op
 * when it has none). */
void fs_itable_path_rule_out(struct fs_itable *t, uint64_t nodeid,
                             uint64_t pgen, uint64_t rgen, uint64_t op_bit,
                             bool dir);

/* Cache path[0, len) as n's path in generation gen (best effort: silently
 * skipped when out of memory); parent: the nodeid of the directory it was
 * derived from by appending n's name, 0 when it was not. */
void fs_inode_path_set(struct fs_itable *t, struct fs_inode *n, uint64_t gen,
                       const char *path, size_t len, uint64_t parent);

/* How many times a nodeid stopped naming the object it named (forgotten,
 * or revived for an object that may be another): what a cache of facts
 * about nodeids checks to know they still hold. Read it before taking the
 * fact from the table. */
uint64_t fs_itable_nodes_retired(struct fs_itable *t);

/* Paths are in use from now on (a rule looked at one): lookups keep them
 * (fs_inode_path_inherit). Cheap enough to call on every such request. */
void fs_itable_want_paths(struct fs_itable *t);

/* Once paths are in use (some path was cached), give child, just looked
 * up as name in parent, the path parent's cached one implies, unless it
 * has one for this generation: a new node would otherwise cost a readlink
 * of /proc/self/fd/N on its first request a path rule looks at. Cheap
 * no-op while no path rule ever asked. */
void fs_inode_path_inherit(struct fs_itable *t, struct fs_inode *parent,
                           struct fs_inode *child, const char *name);

/* The nodeid (dev, ino) has or would have; 0 when it cannot have one. */
uint64_t fs_itable_nodeid(struct fs_itable *t, dev_t dev, ino_t ino);

#endif
