/* fs/creds.c — act as the caller around a creating syscall.
 *
 * Invariants:
 *  - fsuid/fsgid and umask are per thread here: setfsuid/setfsgid are raw
 *    per-thread syscalls, and each worker unshares CLONE_FS once so umask()
 *    does not leak into other threads.
 *  - With default_permissions (allow_other, or -o default_permissions),
 *    permission checks are the kernel's, with the caller's real
 *    supplementary groups. Without it only the mounting user can reach the
 *    mount (the kernel refuses everyone else), and the backing syscalls,
 *    made with the daemon's ids (the mounting user's), judge as the
 *    directory itself would for that user; fs_access() asks faccessat().
 *    The backing syscall keeps the daemon's capabilities
 * (SECBIT_NO_SETUID_FIXUP on worker threads), so a caller allowed through a
 * supplementary group is not refused by the backing filesystem, which only sees
 * fsuid/fsgid. Ownership comes out right: fsuid, and fsgid or the parent's
 * group for setgid directories.
 *  - Every fs_creds_enter() is paired with fs_creds_leave() on the same
 *    thread before the handler replies.
 */
#include "fs.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>

static _Thread_local bool fs_thread_unshared;

void fs_creds_thread_setup(void)
{
    int bits = prctl(PR_GET_SECUREBITS);
    if (bits >= 0)
        (void)prctl(PR_SET_SECUREBITS,
                    (unsigned long)bits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0);
}

int fs_creds_enter(struct fs_ctx *fs, fuse_req_t req, struct fs_creds *c)
{
    const struct fuse_ctx *fc = fuse_req_ctx(req);
    c->switched = false;
    if (!fs_thread_unshared) {
        if (unshare(CLONE_FS) < 0)
            return -errno;
        fs_thread_unshared = true;
    }
    c->old_umask = umask(fc->umask);
    if (fs->switch_ids && (fc->uid != 0 || fc->gid != 0)) {
        setfsgid(fc->gid);
        setfsuid(fc->uid);
        c->switched = true;
    }
    return 0;
}

void fs_creds_leave(struct fs_ctx *fs, struct fs_creds *c)
{
    (void)fs;
    if (c->switched) {
        setfsuid(0);
        setfsgid(0);
    }
    umask(c->old_umask);
}
