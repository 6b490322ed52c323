/* fs/inject_seam.h — the one seam between FUSE handlers and the fault engine.
 *
 * Invariants:
 *  - Every handler calls fs_seam() before its backend syscall. With no rule
 *    naming the op, that costs one atomic load and a branch.
 *  - A negative return means: fail the request with that errno and do no
 *    work. A zero return with v->actions != 0 leaves the handler to apply
 *    SHORT, CORRUPT or LIE (see the helpers below); ERROR and SELFIO are
 *    resolved here.
 *  - DELAY and HANG come first: the request is parked on the reactor
 *    (defer.c) and fs_seam() returns FS_SEAM_DEFERRED; the handler then
 *    returns at once without replying. When the reactor wakes it, the same
 *    handler runs again and its fs_seam() returns the saved verdict minus
 *    DELAY/HANG (the engine is not asked twice), so delay+error behaves
 *    exactly like error, only later.
 *  - The path (relative to the mount root) and comm are computed only if the
 *    engine asks for them.
 */
#ifndef SNAG_FS_INJECT_SEAM_H
#define SNAG_FS_INJECT_SEAM_H

#include <stdbool.h>
#include <stdint.h>

#include "../inject/engine.h"
#include "fs.h"

#define FS_SEAM_NONE (-1) /* "no offset / size / flags" */
/* fs_seam() parked the request: return without replying. Positive, so no
 * "rc < 0" error path and no "rc == 0" success path can take it. */
#define FS_SEAM_DEFERRED 1

/* Ask the engine about one request on node (the object, or the directory
 * holding name when name is not NULL). off, size and flags are FS_SEAM_NONE
 * when the op has none. Returns 0 (see v->actions) or -errno. */
int fs_seam(fuse_req_t req, enum inj_op op, struct fs_inode *node,
            const char *name, int64_t off, int64_t size, int64_t flags,
            struct inj_verdict *v);

/* Does op need fs_seam() at all? False costs one atomic load. */
bool fs_seam_wanted(struct fs_ctx *fs, enum inj_op op);

static inline int fs_seam_op(fuse_req_t req, enum inj_op op,
                             struct fs_inode *node, const char *name,
                             struct inj_verdict *v)
{
    return fs_seam(req, op, node, name, FS_SEAM_NONE, FS_SEAM_NONE,
                   FS_SEAM_NONE, v);
}

/* fs_seam() on the node ino, which the handler does not pin: its kept path
 * is read by id under one lock when a rule asks (pinned only if it has
 * none yet). */
int fs_seam_id(fuse_req_t req, enum inj_op op, fuse_ino_t ino, int64_t off,
               int64_t size, struct inj_verdict *v);

/* fs_seam() for ops that need the node only for the engine (read, write,
 * flush, ...): nothing is looked up unless a rule names the op. */
static inline int fs_seam_ino(fuse_req_t req, enum inj_op op, fuse_ino_t ino,
                              int64_t off, int64_t size, struct inj_verdict *v)
{
    v->actions = 0;
    if (!fs_seam_wanted(fs_ctx_of(req), op))
        return 0;
    return fs_seam_id(req, op, ino, off, size, v);
}

/* What fs_seam_lookup() decided, for marking the node the lookup found. */
struct fs_seam_name_mark {
    bool want;
    uint64_t pgen, rgen, op_bit;
};

/* fs_seam() for a lookup of name in parent, whose target the caller has
 * stat'ed: child is its nodeid (0: none or unknown). A lookup the engine
 * ruled out for this very name before (a mark on child) passes after one
 * probe. After a successful lookup the caller hands the node it found to
 * fs_seam_lookup_found(), which marks it when the engine ruled the lookup
 * out (mark->want). */
int fs_seam_lookup(fuse_req_t req, struct fs_inode *parent, const char *name,
                   uint64_t child, struct inj_verdict *v,
                   struct fs_seam_name_mark *mark);
void fs_seam_lookup_found(fuse_req_t req, const struct fs_seam_name_mark *mark,
                          struct fs_inode *parent, const char *name,
                          uint64_t found);

/* Report success without doing the work. */
static inline bool fs_seam_lie(const struct inj_verdict *v)
{
    return (v->actions & INJ_ACT_LIE) != 0;
}

/* Bytes to transfer out of size asked. */
static inline size_t fs_seam_len(const struct inj_verdict *v, size_t size)
{
    if ((v->actions & INJ_ACT_SHORT) && v->short_len < size)
        return (size_t)v->short_len;
    return size;
}

static inline bool fs_seam_corrupts(const struct inj_verdict *v)
{
    return (v->actions & INJ_ACT_CORRUPT) && v->corrupt != INJ_CORRUPT_NONE;
}

/* Damage buf[0..len) as the verdict says. */
void fs_seam_corrupt(const struct inj_verdict *v, void *buf, size_t len);

/* Set the engine the seam consults (NULL: none). Call before mounting. */
void fs_seam_set_engine(struct fs_ctx *fs, struct inj_engine *e);

#endif
