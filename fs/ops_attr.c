/* fs/ops_attr.c — attributes: getattr, setattr, readlink, statfs, access.
 *
 * Invariants:
 *  - Attributes are always read from the backing object (fstatat on the
 *    O_PATH fd), never synthesised: st_ino, times and sizes are SOURCE's.
 *  - setattr applies mode, owner, size, then times, and stops at the first
 *    failure, like the VFS; a setattr that changes nothing still touches
 *    ctime (chown(-1, -1) semantics), as a local filesystem would.
 *  - An open file handle (fi) is used only for regular files, because a
 *    directory's fi->fh is not an fd.
 */
#include "fs.h"
#include "inject_seam.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int stat_node(struct fs_inode *n, struct stat *st)
{
    if (fstatat(n->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return 0;
}

void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct stat st;
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam_op(req, INJ_OP_GETATTR, n, NULL, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0)
        rc = stat_node(n, &st);
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fuse_reply_attr(req, &st, fs_ctx_of(req)->timeout);
}

static int set_times(struct fs_inode *n, int fd, const struct stat *attr,
                     int to_set)
{
    struct timespec tv[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
    if (to_set & FUSE_SET_ATTR_ATIME_NOW)
        tv[0].tv_nsec = UTIME_NOW;
    else if (to_set & FUSE_SET_ATTR_ATIME)
        tv[0] = attr->st_atim;
    if (to_set & FUSE_SET_ATTR_MTIME_NOW)
        tv[1].tv_nsec = UTIME_NOW;
    else if (to_set & FUSE_SET_ATTR_MTIME)
        tv[1] = attr->st_mtim;
    int rc =
        fd >= 0 ? futimens(fd, tv)
                : utimensat(n->fd, "", tv, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    return rc < 0 ? -errno : 0;
}

static int do_setattr(fuse_req_t req, struct fs_inode *n, int fd,
                      const struct stat *attr, int to_set)
{
    char proc[64];
    fs_proc_path(proc, n->fd);

    if (to_set & FUSE_SET_ATTR_MODE) {
        int rc =
            fd >= 0 ? fchmod(fd, attr->st_mode) : chmod(proc, attr->st_mode);
        if (rc < 0)
            return -errno;
    }
    bool own = to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID);
    bool any = to_set &
               (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID |
                FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME);
    if (own || !any) {
        /* chown(-1, -1) is how the kernel's bare "ctime changed" arrives;
         * doing the same on the backing object updates its ctime. */
        uid_t uid = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
        gid_t gid = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;
        if (fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) <
            0)
            return -errno;
    }
    if (to_set & FUSE_SET_ATTR_SIZE) {
        int rc = fd >= 0 ? ftruncate(fd, attr->st_size)
                         : truncate(proc, attr->st_size);
        if (rc < 0)
            return -errno;
        /* FATTR_KILL_SUIDGID (killpriv v2, which libfuse 3.14 passes on
         * as KILL_SUID): a truncate by a caller without CAP_FSETID. For a
         * chown the backing fchownat clears them itself. */
        if (to_set & FUSE_SET_ATTR_KILL_SUID) {
            rc = fs_kill_suidgid(req, n, fd, true);
            if (rc < 0)
                return rc;
        }
    }
    if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))
        return set_times(n, fd, attr, to_set);
    return 0;
}

void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                struct fuse_file_info *fi)
{
    struct stat st;
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int fd = (fi && fi->fh && n->type == S_IFREG) ? (int)(fi->fh - 1) : -1;
    int rc =
        fs_seam(req, INJ_OP_SETATTR, n, NULL,
                (to_set & FUSE_SET_ATTR_SIZE) ? attr->st_size : FS_SEAM_NONE,
                FS_SEAM_NONE, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v))
        rc = do_setattr(req, n, fd, attr, to_set);
    if (rc == 0)
        rc = stat_node(n, &st);
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fuse_reply_attr(req, &st, fs_ctx_of(req)->timeout);
}

void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
    char buf[PATH_MAX + 1];
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam_op(req, INJ_OP_READLINK, n, NULL, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    ssize_t len = readlinkat(n->fd, "", buf, sizeof(buf));
    if (len < 0) {
        fs_reply_status(req, -errno);
        return;
    }
    if ((size_t)len >= sizeof(buf)) {
        fs_reply_status(req, -ENAMETOOLONG);
        return;
    }
    buf[len] = '\0';
    fuse_reply_readlink(req, buf);
}

void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct statvfs sv;
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n)
        n = fs_node(req, FUSE_ROOT_ID);
    int rc = fs_seam_op(req, INJ_OP_STATFS, n, NULL, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0)
        rc = fstatvfs(n->fd, &sv) < 0 ? -errno : 0;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    fuse_reply_statfs(req, &sv);
}

void fs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam_op(req, INJ_OP_ACCESS, n, NULL, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v))
        rc = faccessat(n->fd, "", mask, AT_EMPTY_PATH | AT_EACCESS) < 0 ? -errno
                                                                        : 0;
    fs_reply_status(req, rc);
}
