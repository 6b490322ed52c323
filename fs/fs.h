/* fs/fs.h — the daemon's shared state and the helpers every op family uses.
 *
 * Invariants:
 *  - struct fs_ctx is set up before the session starts and is read-only
 *    afterwards, except the inode table (locked inside) and the engine
 *    (lock-free inside).
 *  - Every handler replies exactly once. Errors are -errno values until
 *    fs_reply_status(), the one place that turns them into fuse_reply_err().
 *  - Regular-file handles: fi->fh is the backing fd + 1. Directory
 *    handles: fi->fh is a struct fs_dir pointer. Either may be 0 (no
 *    handle) once the kernel stopped sending open/opendir after ENOSYS.
 *    Handlers never mix the two (they look at the node's type).
 */
#ifndef SNAG_FS_FS_H
#define SNAG_FS_FS_H

#define FUSE_USE_VERSION 312

#include <assert.h>
#include <fuse_lowlevel.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "../ctl/observe.h"
#include "inode.h"
#include "options.h"

struct inj_engine;
struct fs_reactor;
struct fs_inflight_table;
struct fs_watchdog;

/* State of the /dev/fuse hooks (devio.c). */
struct fs_devio {
    _Atomic uint64_t init_unique;   /* INIT request being answered, or 0 */
    _Atomic uint32_t kernel_flags;  /* INIT flags the kernel offered */
    _Atomic uint32_t kernel_flags2; /* INIT flags2 the kernel offered */
    bool want_dio_mmap;             /* ask for FUSE_DIRECT_IO_ALLOW_MMAP */
    bool dio_mmap;                  /* asked for it (set once, at INIT) */
    bool killpriv_v2; /* FUSE_HANDLE_KILLPRIV_V2 granted (set once, at
                         INIT): the kernel leaves clearing setuid/setgid
                         to us (fs_kill_suidgid) and skips its per-write
                         getxattr("security.capability") */
};

struct fs_ctx {
    const struct fs_options *opt;
    struct fs_itable itable;
    char *source;      /* realpath of SOURCE, owned */
    size_t source_len; /* strlen(source) */
    double timeout;    /* entry and attr timeout: 0 in strict mode */
    bool direct_io;    /* strict mode: FOPEN_DIRECT_IO on every open */
    bool keep_cache;
    bool writeback;    /* FUSE_CAP_WRITEBACK_CACHE was granted */
    bool noatime;      /* open backing files with O_NOATIME */
    bool switch_ids;   /* daemon is root: create as the caller */
    size_t splice_max; /* largest read reply spliced, 0: none (ops_file.c);
                          set before the session loop */
    struct inj_engine *engine; /* may be NULL: no injection */
    /* Services (services.c), set before the session loop starts and
     * cleared after it returned; NULL when off. */
    struct ctl_observe obs;             /* stats, --trace, --replay */
    struct fs_reactor *reactor;         /* delay and hang (defer.c) */
    struct fs_inflight_table *inflight; /* watchdog's in-flight table */
    struct fs_watchdog *wd;
    const char *mountpoint; /* canonical, for selfio= */
    struct fs_devio devio;
};

/* Record the errno a request is answered with, for its stats (call.h). */
void fs_call_note_status(int rc);

/* The one place a status becomes a reply: rc is 0 or -errno. */
static inline void fs_reply_status(fuse_req_t req, int rc)
{
    assert(rc <= 0);
    fs_call_note_status(rc);
    fuse_reply_err(req, -rc);
}

static inline struct fs_ctx *fs_ctx_of(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

/* Remember a pin taken by this thread for the current request; the ops
 * trampolines (ops.c) drop them all when the handler returns. */
void fs_pin_note(struct fs_itable *t, struct fs_inode *n);
void fs_unpin_all(void);

/* The live node for ino with its fd open and pinned until the handler
 * returns, or NULL (reply -ESTALE then). */
static inline struct fs_inode *fs_node(fuse_req_t req, fuse_ino_t ino)
{
    struct fs_itable *t = &fs_ctx_of(req)->itable;
    struct fs_inode *n = fs_inode_pin(t, ino);
    if (n && !n->root)
        fs_pin_note(t, n);
    return n;
}

/* Fill e for the object behind a fresh O_PATH fd: publish it in the table
 * (taking fd) and set timeouts; *out (may be NULL) gets the node. Returns 0
 * (new or revived node), 1 (it was live: fd closed as a duplicate) or
 * -errno. */
int fs_entry_from_fd(struct fs_ctx *fs, int fd, struct fuse_entry_param *e,
                     struct fs_inode **out);

/* Look up name in parent: one more kernel reference on success. Learns
 * per directory whether its names tend to be new or known, and stats or
 * opens first accordingly (the fewest syscalls either way). */
int fs_do_lookup(struct fs_ctx *fs, struct fs_inode *parent, const char *name,
                 struct fuse_entry_param *e);
/* The same when the caller knows better (and the directory's count is
 * left alone): likely_new for a name just created or a readdirplus entry no
 * live node has (openat first: two syscalls), else fstatat first (one for
 * a node the kernel holds). Either way the answer is the same. */
int fs_do_lookup_hinted(struct fs_ctx *fs, struct fs_inode *parent,
                        const char *name, bool likely_new,
                        struct fuse_entry_param *e);

/* "/proc/self/fd/N" for a node's O_PATH fd. */
void fs_proc_path(char buf[64], int fd);

/* The backing fd for an open-file request (ops_file.c). fi->fh holds the
 * fd + 1; 0 means no handle (the kernel stopped sending open after one
 * answered ENOSYS), and then a private fd is opened on the node and *tmp
 * set, to be closed with fs_file_done(). Returns the fd or -errno. */
/* The largest read reply worth splicing: what a pipe of this process can
 * hold, minus room for headers; 0 when splicing cannot pay (ops_file.c). */
size_t fs_splice_limit(void);

int fs_file_fd(fuse_req_t req, fuse_ino_t ino, const struct fuse_file_info *fi,
               int *tmp);
static inline void fs_file_done(int tmp)
{
    if (tmp >= 0)
        close(tmp);
}

/* Credentials of the caller around a creating syscall (creds.c). */
struct fs_creds {
    bool switched;
    mode_t old_umask;
};
int fs_creds_enter(struct fs_ctx *fs, fuse_req_t req, struct fs_creds *c);
void fs_creds_leave(struct fs_ctx *fs, struct fs_creds *c);
/* Make this thread's fsuid switches keep the daemon's capabilities; call in
 * each thread before it serves requests (inherited by threads it creates). */
void fs_creds_thread_setup(void);

/* Clear setuid, and setgid where the VFS would (group-executable, or the
 * caller is not in the file's group), on the regular file behind fd (an
 * open fd) or, when fd < 0, behind node n (its O_PATH fd). The backing
 * write or truncate runs with the daemon's CAP_FSETID and keeps them, so
 * this stands in for the kernel's FUSE_*_KILL_SUIDGID requests (killpriv
 * v2, devio.c). always: the kernel asked for it (setattr's
 * FATTR_KILL_SUIDGID); otherwise only for callers other than uid 0,
 * libfuse 3.14 passing on neither the write nor the open flag: uid 0
 * stands for CAP_FSETID, the primary gid for group membership. File
 * capabilities need nothing: the backing filesystem drops them on any
 * write or truncate. Returns 0 or -errno. */
int fs_kill_suidgid(fuse_req_t req, struct fs_inode *n, int fd, bool always);

/* The op tables (ops.c). */
extern const struct fuse_lowlevel_ops fs_ops;

/* Handlers, by family. */
void fs_init(void *userdata, struct fuse_conn_info *conn);
void fs_destroy(void *userdata);

void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void fs_forget_multi(fuse_req_t req, size_t count,
                     struct fuse_forget_data *forgets);
void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
              dev_t rdev);
void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                const char *name);
void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
             const char *newname);
void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
               fuse_ino_t newparent, const char *newname, unsigned int flags);

void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                struct fuse_file_info *fi);
void fs_readlink(fuse_req_t req, fuse_ino_t ino);
void fs_statfs(fuse_req_t req, fuse_ino_t ino);
void fs_access(fuse_req_t req, fuse_ino_t ino, int mask);

void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
               struct fuse_file_info *fi);
void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
             struct fuse_file_info *fi);
void fs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
                  off_t off, struct fuse_file_info *fi);
void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
              struct fuse_file_info *fi);
void fs_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
              int op);
void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
                  off_t length, struct fuse_file_info *fi);
void fs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                        struct fuse_file_info *fi_in, fuse_ino_t ino_out,
                        off_t off_out, struct fuse_file_info *fi_out,
                        size_t len, int flags);
void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
              struct fuse_file_info *fi);

void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                struct fuse_file_info *fi);
void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi);
void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                 struct fuse_file_info *fi);

void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                 const char *value, size_t size, int flags);
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif
