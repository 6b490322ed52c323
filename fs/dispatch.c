/* fs/dispatch.c — the low-level ops table: one small wrapper per op that
 * records the call (call.h) and runs the fs_<op> handler through it.
 *
 * Invariants:
 *  - The wrappers are the only place that names the handlers for libfuse.
 *    Around each handler they keep the per-request bookkeeping: stats
 *    (ctl_stats_begin/end), the watchdog's in-flight slot and its
 *    self-origin check, and the node pins the handler took.
 *  - A self-originated request (the caller is one of our own threads) is
 *    answered EDEADLK without running the handler when the watchdog says so
 *    (action fail); if it is served, no rule applies to it (c->self).
 *  - forget/forget_multi are not wrapped: they have no reply and never wait.
 *  - The stats and the in-flight slot end right after the reply, not just
 *    before it: the handlers reply themselves, and a few microseconds of
 *    overlap cannot be mistaken for a stall.
 */
#include "call.h"

#include <errno.h>

#include "../ctl/stats.h"
#include "watchdog/watchdog.h"

static _Thread_local struct fs_call *cur;
static _Thread_local const struct inj_verdict *resume_v;

struct fs_call *fs_call_current(void)
{
    return cur;
}

void fs_call_note_status(int rc)
{
    if (cur && rc < 0)
        cur->status = -rc;
}

bool fs_call_resuming(void)
{
    return resume_v != NULL;
}

bool fs_call_take_resume(struct inj_verdict *v)
{
    if (!resume_v)
        return false;
    *v = *resume_v;
    v->actions &= ~(unsigned)(INJ_ACT_DELAY | INJ_ACT_HANG);
    resume_v = NULL;
    return true;
}

static const enum inj_op call_ops[FS_CALL_COUNT] = {
#define FS_CALL_OP(kind, op) [FS_CALL_##kind] = INJ_OP_##op,
    FS_CALL_LIST(FS_CALL_OP)
#undef FS_CALL_OP
};

static void call_invoke(struct fs_call *c)
{
    fuse_req_t q = c->req;
    switch (c->kind) {
    case FS_CALL_lookup:
        fs_lookup(q, c->ino, c->name);
        break;
    case FS_CALL_getattr:
        fs_getattr(q, c->ino, c->fi);
        break;
    case FS_CALL_setattr:
        fs_setattr(q, c->ino, c->attr, c->arg, c->fi);
        break;
    case FS_CALL_readlink:
        fs_readlink(q, c->ino);
        break;
    case FS_CALL_mknod:
        fs_mknod(q, c->ino, c->name, c->mode, c->rdev);
        break;
    case FS_CALL_mkdir:
        fs_mkdir(q, c->ino, c->name, c->mode);
        break;
    case FS_CALL_unlink:
        fs_unlink(q, c->ino, c->name);
        break;
    case FS_CALL_rmdir:
        fs_rmdir(q, c->ino, c->name);
        break;
    case FS_CALL_symlink:
        fs_symlink(q, c->name2, c->ino, c->name);
        break;
    case FS_CALL_rename:
        fs_rename(q, c->ino, c->name, c->ino2, c->name2, c->flags);
        break;
    case FS_CALL_link:
        fs_link(q, c->ino, c->ino2, c->name2);
        break;
    case FS_CALL_open:
        fs_open(q, c->ino, c->fi);
        break;
    case FS_CALL_create:
        fs_create(q, c->ino, c->name, c->mode, c->fi);
        break;
    case FS_CALL_read:
        fs_read(q, c->ino, c->size, c->off, c->fi);
        break;
    case FS_CALL_write_buf:
        fs_write_buf(q, c->ino, c->bufv, c->off, c->fi);
        break;
    case FS_CALL_flush:
        fs_flush(q, c->ino, c->fi);
        break;
    case FS_CALL_release:
        fs_release(q, c->ino, c->fi);
        break;
    case FS_CALL_fsync:
        fs_fsync(q, c->ino, c->arg, c->fi);
        break;
    case FS_CALL_opendir:
        fs_opendir(q, c->ino, c->fi);
        break;
    case FS_CALL_readdir:
        fs_readdir(q, c->ino, c->size, c->off, c->fi);
        break;
    case FS_CALL_readdirplus:
        fs_readdirplus(q, c->ino, c->size, c->off, c->fi);
        break;
    case FS_CALL_releasedir:
        fs_releasedir(q, c->ino, c->fi);
        break;
    case FS_CALL_fsyncdir:
        fs_fsyncdir(q, c->ino, c->arg, c->fi);
        break;
    case FS_CALL_statfs:
        fs_statfs(q, c->ino);
        break;
    case FS_CALL_setxattr:
        fs_setxattr(q, c->ino, c->name, c->value, c->size, c->arg);
        break;
    case FS_CALL_getxattr:
        fs_getxattr(q, c->ino, c->name, c->size);
        break;
    case FS_CALL_listxattr:
        fs_listxattr(q, c->ino, c->size);
        break;
    case FS_CALL_removexattr:
        fs_removexattr(q, c->ino, c->name);
        break;
    case FS_CALL_access:
        fs_access(q, c->ino, c->arg);
        break;
    case FS_CALL_flock:
        fs_flock(q, c->ino, c->fi, c->arg);
        break;
    case FS_CALL_fallocate:
        fs_fallocate(q, c->ino, c->arg, c->off, c->off2, c->fi);
        break;
    case FS_CALL_copy_file_range:
        fs_copy_file_range(q, c->ino, c->off, c->fi, c->ino2, c->off2, c->fi2,
                           c->size, c->arg);
        break;
    case FS_CALL_lseek:
        fs_lseek(q, c->ino, c->off, c->arg, c->fi);
        break;
    case FS_CALL_COUNT:
        fs_reply_status(q, -ENOSYS);
        break;
    }
}

/* Stats, in-flight slot, self-origin. False when the request has been
 * answered here (EDEADLK) and the handler must not run. */
static bool call_begin(struct fs_call *c)
{
    struct fs_ctx *fs = fs_ctx_of(c->req);
    c->fs = fs;
    c->op = call_ops[c->kind];
    c->start_ns = ctl_stats_begin(fs->obs.stats, c->op);
    /* Lazy and idempotent (one thread-local load after the first call):
     * libfuse starts and ends workers on its own. Registered even without
     * a watchdog, so our own requests never match a rule (a selfio= rule
     * would otherwise feed on its own I/O). */
    fs_self_register_thread(FS_ROLE_WORKER);
    const struct fuse_ctx *cx = fuse_req_ctx(c->req);
    c->slot = fs_inflight_begin(fs->inflight, (int)c->op, inj_op_name(c->op),
                                c->ino, cx->pid, fs_self_tid(), 0);
    c->self =
        c->slot ? fs_inflight_is_self(c->slot) : fs_self_is_own_thread(cx->pid);
    if (c->self && c->slot && fs->wd) {
        int rc = fs_watchdog_self_origin(fs->wd, c->slot);
        if (rc < 0) {
            fs_reply_status(c->req, rc);
            return false;
        }
    }
    return true;
}

void fs_call_finish(struct fs_call *c)
{
    ctl_stats_end(c->fs->obs.stats, c->op, c->start_ns, c->status);
    fs_inflight_end(c->slot);
    c->slot = NULL;
}

void fs_call_serve(struct fs_call *c)
{
    struct fs_call *prev = cur;
    cur = c;
    if (call_begin(c))
        call_invoke(c);
    fs_unpin_all();
    cur = prev;
    if (!c->deferred)
        fs_call_finish(c);
}

void fs_call_resume(struct fs_call *c, const struct inj_verdict *resume)
{
    struct fs_call *prev = cur;
    c->deferred = false;
    cur = c;
    resume_v = resume;
    call_invoke(c);
    resume_v = NULL; /* a handler that failed before its seam left it */
    fs_unpin_all();
    cur = prev;
    if (!c->deferred)
        fs_call_finish(c);
}

/* ---- the wrappers: record the arguments, serve ---- */

#define SERVE(kind_, ...)                                                      \
    do {                                                                       \
        struct fs_call c = {.kind = FS_CALL_##kind_, .req = req, __VA_ARGS__}; \
        fs_call_serve(&c);                                                     \
    } while (0)

static void d_lookup(fuse_req_t req, fuse_ino_t p, const char *name)
{
    SERVE(lookup, .ino = p, .name = name);
}

static void d_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SERVE(getattr, .ino = ino, .fi = fi);
}

static void d_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
                      int to_set, struct fuse_file_info *fi)
{
    SERVE(setattr, .ino = ino, .attr = attr, .arg = to_set, .fi = fi);
}

static void d_readlink(fuse_req_t req, fuse_ino_t ino)
{
    SERVE(readlink, .ino = ino);
}

static void d_mknod(fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode,
                    dev_t rdev)
{
    SERVE(mknod, .ino = p, .name = name, .mode = mode, .rdev = rdev);
}

static void d_mkdir(fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode)
{
    SERVE(mkdir, .ino = p, .name = name, .mode = mode);
}

static void d_unlink(fuse_req_t req, fuse_ino_t p, const char *name)
{
    SERVE(unlink, .ino = p, .name = name);
}

static void d_rmdir(fuse_req_t req, fuse_ino_t p, const char *name)
{
    SERVE(rmdir, .ino = p, .name = name);
}

static void d_symlink(fuse_req_t req, const char *link, fuse_ino_t p,
                      const char *name)
{
    SERVE(symlink, .ino = p, .name = name, .name2 = link);
}

static void d_rename(fuse_req_t req, fuse_ino_t p, const char *name,
                     fuse_ino_t np, const char *newname, unsigned int flags)
{
    SERVE(rename, .ino = p, .name = name, .ino2 = np, .name2 = newname,
          .flags = flags);
}

static void d_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np,
                   const char *newname)
{
    SERVE(link, .ino = ino, .ino2 = np, .name2 = newname);
}

static void d_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SERVE(open, .ino = ino, .fi = fi);
}

static void d_create(fuse_req_t req, fuse_ino_t p, const char *name,
                     mode_t mode, struct fuse_file_info *fi)
{
    SERVE(create, .ino = p, .name = name, .mode = mode, .fi = fi);
}

static void d_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
    SERVE(read, .ino = ino, .size = size, .off = off, .fi = fi);
}

static void d_write_buf(fuse_req_t req, fuse_ino_t ino,
                        struct fuse_bufvec *bufv, off_t off,
                        struct fuse_file_info *fi)
{
    SERVE(write_buf, .ino = ino, .bufv = bufv, .off = off, .fi = fi);
}

static void d_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SERVE(flush, .ino = ino, .fi = fi);
}

static void d_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SERVE(release, .ino = ino, .fi = fi);
}

static void d_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
                    struct fuse_file_info *fi)
{
    SERVE(fsync, .ino = ino, .arg = datasync, .fi = fi);
}

static void d_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    SERVE(opendir, .ino = ino, .fi = fi);
}

static void d_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                      struct fuse_file_info *fi)
{
    SERVE(readdir, .ino = ino, .size = size, .off = off, .fi = fi);
}

static void d_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
                          off_t off, struct fuse_file_info *fi)
{
    SERVE(readdirplus, .ino = ino, .size = size, .off = off, .fi = fi);
}

static void d_releasedir(fuse_req_t req, fuse_ino_t ino,
                         struct fuse_file_info *fi)
{
    SERVE(releasedir, .ino = ino, .fi = fi);
}

static void d_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                       struct fuse_file_info *fi)
{
    SERVE(fsyncdir, .ino = ino, .arg = datasync, .fi = fi);
}

static void d_statfs(fuse_req_t req, fuse_ino_t ino)
{
    SERVE(statfs, .ino = ino);
}

static void d_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                       const char *value, size_t size, int flags)
{
    SERVE(setxattr, .ino = ino, .name = name, .value = value, .size = size,
          .arg = flags);
}

static void d_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                       size_t size)
{
    SERVE(getxattr, .ino = ino, .name = name, .size = size);
}

static void d_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    SERVE(listxattr, .ino = ino, .size = size);
}

static void d_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    SERVE(removexattr, .ino = ino, .name = name);
}

static void d_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
    SERVE(access, .ino = ino, .arg = mask);
}

static void d_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                    int op)
{
    SERVE(flock, .ino = ino, .fi = fi, .arg = op);
}

static void d_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
                        off_t length, struct fuse_file_info *fi)
{
    SERVE(fallocate, .ino = ino, .arg = mode, .off = offset, .off2 = length,
          .fi = fi);
}

static void d_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                              struct fuse_file_info *fi_in, fuse_ino_t ino_out,
                              off_t off_out, struct fuse_file_info *fi_out,
                              size_t len, int flags)
{
    SERVE(copy_file_range, .ino = ino_in, .off = off_in, .fi = fi_in,
          .ino2 = ino_out, .off2 = off_out, .fi2 = fi_out, .size = len,
          .arg = flags);
}

static void d_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
                    struct fuse_file_info *fi)
{
    SERVE(lseek, .ino = ino, .off = off, .arg = whence, .fi = fi);
}

const struct fuse_lowlevel_ops fs_ops = {
    .init = fs_init,
    .destroy = fs_destroy,
    .lookup = d_lookup,
    .forget = fs_forget,
    .forget_multi = fs_forget_multi,
    .getattr = d_getattr,
    .setattr = d_setattr,
    .readlink = d_readlink,
    .mknod = d_mknod,
    .mkdir = d_mkdir,
    .unlink = d_unlink,
    .rmdir = d_rmdir,
    .symlink = d_symlink,
    .rename = d_rename,
    .link = d_link,
    .open = d_open,
    .create = d_create,
    .read = d_read,
    .write_buf = d_write_buf,
    .flush = d_flush,
    .release = d_release,
    .fsync = d_fsync,
    .opendir = d_opendir,
    .readdir = d_readdir,
    .readdirplus = d_readdirplus,
    .releasedir = d_releasedir,
    .fsyncdir = d_fsyncdir,
    .statfs = d_statfs,
    .setxattr = d_setxattr,
    .getxattr = d_getxattr,
    .listxattr = d_listxattr,
    .removexattr = d_removexattr,
    .access = d_access,
    .flock = d_flock,
    .fallocate = d_fallocate,
    .copy_file_range = d_copy_file_range,
    .lseek = d_lseek,
};
