/* fs/ops_xattr.c — extended attributes, POSIX ACL xattrs included.
 *
 * Invariants: xattrs are reached through /proc/self/fd/N of the node's
 * O_PATH fd, which names the object itself even for a symlink (the magic
 * link is not followed further), so nothing outside SOURCE is touched.
 * Size 0 asks for the needed size, as for getxattr(2).
 */
#include "fs.h"
#include "inject_seam.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/xattr.h>

void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                 const char *value, size_t size, int flags)
{
    struct inj_verdict v;
    char proc[64];
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam(req, INJ_OP_SETXATTR, n, NULL, FS_SEAM_NONE, (int64_t)size,
                     FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v)) {
        fs_proc_path(proc, n->fd);
        rc = setxattr(proc, name, value, size, flags) < 0 ? -errno : 0;
    }
    fs_reply_status(req, rc);
}

/* Shared by getxattr and listxattr: get(proc, buf, size) semantics. */
static void reply_sized(fuse_req_t req, struct fs_inode *n, size_t size,
                        ssize_t (*get)(const char *, const char *, void *,
                                       size_t),
                        const char *name)
{
    char proc[64];
    fs_proc_path(proc, n->fd);
    if (size == 0) {
        ssize_t len = get(proc, name, NULL, 0);
        if (len < 0) {
            fs_reply_status(req, -errno);
            return;
        }
        fuse_reply_xattr(req, (size_t)len);
        return;
    }
    char *buf = malloc(size);
    if (!buf) {
        fs_reply_status(req, -ENOMEM);
        return;
    }
    ssize_t len = get(proc, name, buf, size);
    if (len < 0)
        fs_reply_status(req, -errno);
    else
        fuse_reply_buf(req, buf, (size_t)len);
    free(buf);
}

static ssize_t get_one(const char *path, const char *name, void *buf,
                       size_t size)
{
    return getxattr(path, name, buf, size);
}

static ssize_t get_list(const char *path, const char *name, void *buf,
                        size_t size)
{
    (void)name;
    return listxattr(path, buf, size);
}

void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam(req, INJ_OP_GETXATTR, n, NULL, FS_SEAM_NONE, (int64_t)size,
                     FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    reply_sized(req, n, size, get_one, name);
}

void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct inj_verdict v;
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam(req, INJ_OP_LISTXATTR, n, NULL, FS_SEAM_NONE,
                     (int64_t)size, FS_SEAM_NONE, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc < 0) {
        fs_reply_status(req, rc);
        return;
    }
    reply_sized(req, n, size, get_list, NULL);
}

void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    struct inj_verdict v;
    char proc[64];
    struct fs_inode *n = fs_node(req, ino);
    if (!n) {
        fs_reply_status(req, -ESTALE);
        return;
    }
    int rc = fs_seam_op(req, INJ_OP_REMOVEXATTR, n, NULL, &v);
    if (rc == FS_SEAM_DEFERRED)
        return;
    if (rc == 0 && !fs_seam_lie(&v)) {
        fs_proc_path(proc, n->fd);
        rc = removexattr(proc, name) < 0 ? -errno : 0;
    }
    fs_reply_status(req, rc);
}
