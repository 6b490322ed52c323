/* fs/creds.c — act as the caller: creating syscalls, setuid/setgid clearing.
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
#include <unistd.h>

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

int fs_kill_suidgid(fuse_req_t req, struct fs_inode *n, int fd, bool always)
{
    const struct fuse_ctx *fc = fuse_req_ctx(req);
    struct stat st;
    if (!always && fc->uid == 0)
        return 0;
    int rc = fd >= 0
                 ? fstat(fd, &st)
                 : fstatat(n->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    if (rc < 0)
        return 0; /* the write or truncate itself will say what is wrong */
    mode_t mode = st.st_mode;
    if (!S_ISREG(mode) || !(mode & (S_ISUID | S_ISGID)))
        return 0;
    mode &= ~(mode_t)S_ISUID;
    if ((mode & S_ISGID) && ((mode & S_IXGRP) || fc->gid != st.st_gid))
        mode &= ~(mode_t)S_ISGID;
    if (mode == st.st_mode)
        return 0;
    if (fd >= 0) {
        rc = fchmod(fd, mode & 07777);
    } else {
        char proc[64];
        fs_proc_path(proc, n->fd);
        rc = chmod(proc, mode & 07777);
    }
    return rc < 0 ? -errno : 0;
}
