/* fs/ops.c — the low-level ops table and connection setup (init/destroy).
 *
 * Invariants: the table is the only place that names the handlers; init
 * negotiates capabilities once, before any other request, and is the only
 * writer of fs->writeback. getlk/setlk are left out on purpose: without them
 * the kernel keeps POSIX locks locally, which is correct for a single host.
 */
#include "fs.h"

#include <stdio.h>

static void want(struct fuse_conn_info *conn, unsigned cap)
{
    if (conn->capable & cap)
        conn->want |= cap;
}

void fs_init(void *userdata, struct fuse_conn_info *conn)
{
    struct fs_ctx *fs = userdata;

    /* File handles through the mount (name_to_handle_at/open_by_handle_at)
     * and lookups of "." / "..". */
    want(conn, FUSE_CAP_EXPORT_SUPPORT);
    /* POSIX ACLs: the kernel enforces them (default_permissions is on) and
     * system.posix_acl_* pass through. With DONT_MASK the kernel sends the
     * caller's umask instead of applying it, so a default ACL on the parent
     * takes precedence over the umask, as on a local filesystem. */
    want(conn, FUSE_CAP_POSIX_ACL);
    want(conn, FUSE_CAP_DONT_MASK);
    want(conn, FUSE_CAP_FLOCK_LOCKS);
    want(conn, FUSE_CAP_SPLICE_WRITE);
    want(conn, FUSE_CAP_SPLICE_READ);
    want(conn, FUSE_CAP_ATOMIC_O_TRUNC);
    want(conn, FUSE_CAP_READDIRPLUS);
    want(conn, FUSE_CAP_PARALLEL_DIROPS);
    conn->want &= ~(unsigned)FUSE_CAP_POSIX_LOCKS;
    conn->want &= ~(unsigned)FUSE_CAP_HANDLE_KILLPRIV;

    fs->writeback = false;
    if (fs->opt->cache == FS_CACHE_WRITEBACK &&
        (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
        conn->want |= FUSE_CAP_WRITEBACK_CACHE;
        fs->writeback = true;
    } else {
        conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
    }
    if (fs->opt->cache == FS_CACHE_STRICT) {
        /* Nothing may be answered from a kernel cache in strict mode. */
        conn->want &= ~(unsigned)FUSE_CAP_CACHE_SYMLINKS;
    }
    if (fs->opt->debug)
        fprintf(stderr, "snagfs: init: capable %#x want %#x\n", conn->capable,
                conn->want);
}

void fs_destroy(void *userdata)
{
    (void)userdata; /* the inode table is torn down by the session owner */
}

const struct fuse_lowlevel_ops fs_ops = {
    .init = fs_init,
    .destroy = fs_destroy,
    .lookup = fs_lookup,
    .forget = fs_forget,
    .forget_multi = fs_forget_multi,
    .getattr = fs_getattr,
    .setattr = fs_setattr,
    .readlink = fs_readlink,
    .mknod = fs_mknod,
    .mkdir = fs_mkdir,
    .unlink = fs_unlink,
    .rmdir = fs_rmdir,
    .symlink = fs_symlink,
    .rename = fs_rename,
    .link = fs_link,
    .open = fs_open,
    .create = fs_create,
    .read = fs_read,
    .write_buf = fs_write_buf,
    .flush = fs_flush,
    .release = fs_release,
    .fsync = fs_fsync,
    .opendir = fs_opendir,
    .readdir = fs_readdir,
    .readdirplus = fs_readdirplus,
    .releasedir = fs_releasedir,
    .fsyncdir = fs_fsyncdir,
    .statfs = fs_statfs,
    .setxattr = fs_setxattr,
    .getxattr = fs_getxattr,
    .listxattr = fs_listxattr,
    .removexattr = fs_removexattr,
    .access = fs_access,
    .flock = fs_flock,
    .fallocate = fs_fallocate,
    .copy_file_range = fs_copy_file_range,
    .lseek = fs_lseek,
};
