/* fs/call.h — one FUSE request as data: which handler, its arguments, and
 * the bookkeeping (stats, in-flight slot) that travels with it.
 *
 * Every request except init/destroy/forget goes through a dispatch wrapper
 * (dispatch.c) that records its arguments in a struct fs_call on the stack
 * and makes it the thread's current call while the handler runs. That is
 * what lets fs_seam() park a request on the reactor (defer.c) without the
 * handler knowing how: the call is deep-copied, and when the reactor wakes
 * it the same handler is entered again with the copy and a "resume verdict".
 *
 * Invariants:
 *  - A call is finished (stats recorded, in-flight slot ended) exactly once:
 *    by the wrapper when the handler replied before returning, or by the
 *    reactor callback after the resumed handler replied (deferred).
 *  - The pointers in a call borrow libfuse's buffers while the wrapper runs;
 *    a deferred copy owns its own copies (defer.c).
 */
#ifndef SNAG_FS_CALL_H
#define SNAG_FS_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "../inject/engine.h"
#include "fs.h"

struct fs_inflight_slot;

/* X(KIND, inj op): the handlers a call can name. KIND is the fs_<kind>
 * handler; the op is what stats and the watchdog file it under. */
#define FS_CALL_LIST(X)                                                        \
    X(lookup, LOOKUP)                                                          \
    X(getattr, GETATTR)                                                        \
    X(setattr, SETATTR)                                                        \
    X(readlink, READLINK)                                                      \
    X(mknod, MKNOD)                                                            \
    X(mkdir, MKDIR)                                                            \
    X(unlink, UNLINK)                                                          \
    X(rmdir, RMDIR)                                                            \
    X(symlink, SYMLINK)                                                        \
    X(rename, RENAME)                                                          \
    X(link, LINK)                                                              \
    X(open, OPEN)                                                              \
    X(create, CREATE)                                                          \
    X(read, READ)                                                              \
    X(write_buf, WRITE)                                                        \
    X(flush, FLUSH)                                                            \
    X(release, RELEASE)                                                        \
    X(fsync, FSYNC)                                                            \
    X(opendir, OPENDIR)                                                        \
    X(readdir, READDIR)                                                        \
    X(readdirplus, READDIR)                                                    \
    X(releasedir, RELEASEDIR)                                                  \
    X(fsyncdir, FSYNCDIR)                                                      \
    X(statfs, STATFS)                                                          \
    X(setxattr, SETXATTR)                                                      \
    X(getxattr, GETXATTR)                                                      \
    X(listxattr, LISTXATTR)                                                    \
    X(removexattr, REMOVEXATTR)                                                \
    X(access, ACCESS)                                                          \
    X(flock, FLOCK)                                                            \
    X(fallocate, FALLOCATE)                                                    \
    X(copy_file_range, COPY_FILE_RANGE)                                        \
    X(lseek, LSEEK)

enum fs_call_kind {
#define FS_CALL_ENUM(kind, op) FS_CALL_##kind,
    FS_CALL_LIST(FS_CALL_ENUM)
#undef FS_CALL_ENUM
        FS_CALL_COUNT
};

/* The arguments of every handler, by meaning. Only those of `kind` are set. */
struct fs_call {
    enum fs_call_kind kind;
    enum inj_op op;
    fuse_req_t req;
    fuse_ino_t ino;     /* the node, or the parent for namespace ops */
    fuse_ino_t ino2;    /* newparent (rename, link), ino_out (copy) */
    const char *name;   /* name; setxattr/getxattr/removexattr: xattr */
    const char *name2;  /* newname (rename, link), link target (symlink) */
    const char *value;  /* setxattr */
    mode_t mode;        /* mknod, mkdir, create */
    dev_t rdev;         /* mknod */
    size_t size;        /* read, readdir, xattrs, copy len */
    off_t off, off2;    /* offset / off_in; off_out; fallocate length */
    int arg;            /* mask, datasync, whence, to_set, flock op,
                           fallocate mode, xattr flags, copy flags */
    unsigned int flags; /* rename flags */
    struct stat *attr;  /* setattr */
    struct fuse_file_info *fi, *fi2; /* fi2: copy_file_range's fi_out */
    struct fuse_bufvec *bufv;        /* write_buf */

    /* Bookkeeping, moved with the call when it is deferred. */
    struct fs_ctx *fs;             /* set by the wrapper: req dies at reply */
    uint64_t start_ns;             /* ctl_stats_begin() */
    struct fs_inflight_slot *slot; /* watchdog in-flight slot, may be NULL */
    int status;                    /* errno the request was answered with */
    bool self;     /* caller is one of our own threads: no rule applies */
    bool deferred; /* parked on the reactor: the callback finishes it */
};

/* The call this thread is serving, or NULL (outside a dispatch wrapper). */
struct fs_call *fs_call_current(void);

/* While a parked call is resumed: the verdict it was parked with (DELAY and
 * HANG already removed). fs_seam() takes it instead of asking the engine
 * again, so a fault is decided, counted and traced once. NULL otherwise.
 * Taking it clears it. */
bool fs_call_resuming(void);
bool fs_call_take_resume(struct inj_verdict *v);

/* Run c's handler with c as the current call (resume: with that verdict),
 * drop its node pins, and finish c unless the handler deferred it. */
void fs_call_serve(struct fs_call *c);
void fs_call_resume(struct fs_call *c, const struct inj_verdict *resume);

/* Stats and in-flight end for c (its reply has gone out). */
void fs_call_finish(struct fs_call *c);

#endif
