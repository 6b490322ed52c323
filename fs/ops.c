/* fs/ops.c — the low-level ops table and connection setup (init/destroy).
 *
 * Invariants: the table is the only place that names the handlers (each
 * through a trampoline that drops the handler's node pins); init
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

/* Pins taken with fs_node() during one handler, dropped when it returns.
 * Handlers reply before returning, so nothing uses a node after that. A
 * full array only means a node stays pinned (never evicted): harmless. */
#define FS_MAX_PINS 32
static _Thread_local struct {
    struct fs_itable *t;
    struct fs_inode *n[FS_MAX_PINS];
    unsigned count;
} fs_pins;

void fs_pin_note(struct fs_itable *t, struct fs_inode *n)
{
    if (fs_pins.count < FS_MAX_PINS) {
        fs_pins.t = t;
        fs_pins.n[fs_pins.count++] = n;
    }
}

void fs_unpin_all(void)
{
    for (unsigned i = 0; i < fs_pins.count; i++)
        fs_inode_unpin(fs_pins.t, fs_pins.n[i]);
    fs_pins.count = 0;
}

/* t_<op>: fs_<op>, then drop the pins it took. */
#define TRAMPOLINE(op, params, args)                                           \
    static void t_##op params                                                  \
    {                                                                          \
        fs_##op args;                                                          \
        fs_unpin_all();                                                        \
    }

TRAMPOLINE(lookup, (fuse_req_t req, fuse_ino_t p, const char *name),
           (req, p, name))
TRAMPOLINE(getattr, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
           (req, ino, fi))
TRAMPOLINE(setattr,
           (fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
            struct fuse_file_info *fi),
           (req, ino, attr, to_set, fi))
TRAMPOLINE(readlink, (fuse_req_t req, fuse_ino_t ino), (req, ino))
TRAMPOLINE(mknod,
           (fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode,
            dev_t rdev),
           (req, p, name, mode, rdev))
TRAMPOLINE(mkdir, (fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode),
           (req, p, name, mode))
TRAMPOLINE(unlink, (fuse_req_t req, fuse_ino_t p, const char *name),
           (req, p, name))
TRAMPOLINE(rmdir, (fuse_req_t req, fuse_ino_t p, const char *name),
           (req, p, name))
TRAMPOLINE(symlink,
           (fuse_req_t req, const char *link, fuse_ino_t p, const char *name),
           (req, link, p, name))
TRAMPOLINE(rename,
           (fuse_req_t req, fuse_ino_t p, const char *name, fuse_ino_t np,
            const char *newname, unsigned int flags),
           (req, p, name, np, newname, flags))
TRAMPOLINE(link,
           (fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *newname),
           (req, ino, np, newname))
TRAMPOLINE(open, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
           (req, ino, fi))
TRAMPOLINE(create,
           (fuse_req_t req, fuse_ino_t p, const char *name, mode_t mode,
            struct fuse_file_info *fi),
           (req, p, name, mode, fi))
TRAMPOLINE(read,
           (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
            struct fuse_file_info *fi),
           (req, ino, size, off, fi))
TRAMPOLINE(write_buf,
           (fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
            struct fuse_file_info *fi),
           (req, ino, bufv, off, fi))
TRAMPOLINE(flush, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
           (req, ino, fi))
TRAMPOLINE(release, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
           (req, ino, fi))
TRAMPOLINE(fsync,
           (fuse_req_t req, fuse_ino_t ino, int datasync,
            struct fuse_file_info *fi),
           (req, ino, datasync, fi))
TRAMPOLINE(opendir, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
           (req, ino, fi))
TRAMPOLINE(readdir,
           (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
            struct fuse_file_info *fi),
           (req, ino, size, off, fi))
TRAMPOLINE(readdirplus,
           (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
            struct fuse_file_info *fi),
           (req, ino, size, off, fi))
TRAMPOLINE(releasedir,
           (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
           (req, ino, fi))
TRAMPOLINE(fsyncdir,
           (fuse_req_t req, fuse_ino_t ino, int datasync,
            struct fuse_file_info *fi),
           (req, ino, datasync, fi))
TRAMPOLINE(statfs, (fuse_req_t req, fuse_ino_t ino), (req, ino))
TRAMPOLINE(setxattr,
           (fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
            size_t size, int flags),
           (req, ino, name, value, size, flags))
TRAMPOLINE(getxattr,
           (fuse_req_t req, fuse_ino_t ino, const char *name, size_t size),
           (req, ino, name, size))
TRAMPOLINE(listxattr, (fuse_req_t req, fuse_ino_t ino, size_t size),
           (req, ino, size))
TRAMPOLINE(removexattr, (fuse_req_t req, fuse_ino_t ino, const char *name),
           (req, ino, name))
TRAMPOLINE(access, (fuse_req_t req, fuse_ino_t ino, int mask), (req, ino, mask))
TRAMPOLINE(flock,
           (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op),
           (req, ino, fi, op))
TRAMPOLINE(fallocate,
           (fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
            off_t length, struct fuse_file_info *fi),
           (req, ino, mode, offset, length, fi))
TRAMPOLINE(copy_file_range,
           (fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
            struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
            struct fuse_file_info *fi_out, size_t len, int flags),
           (req, ino_in, off_in, fi_in, ino_out, off_out, fi_out, len, flags))
TRAMPOLINE(lseek,
           (fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
            struct fuse_file_info *fi),
           (req, ino, off, whence, fi))

const struct fuse_lowlevel_ops fs_ops = {
    .init = fs_init,
    .destroy = fs_destroy,
    .lookup = t_lookup,
    .forget = fs_forget,
    .forget_multi = fs_forget_multi,
    .getattr = t_getattr,
    .setattr = t_setattr,
    .readlink = t_readlink,
    .mknod = t_mknod,
    .mkdir = t_mkdir,
    .unlink = t_unlink,
    .rmdir = t_rmdir,
    .symlink = t_symlink,
    .rename = t_rename,
    .link = t_link,
    .open = t_open,
    .create = t_create,
    .read = t_read,
    .write_buf = t_write_buf,
    .flush = t_flush,
    .release = t_release,
    .fsync = t_fsync,
    .opendir = t_opendir,
    .readdir = t_readdir,
    .readdirplus = t_readdirplus,
    .releasedir = t_releasedir,
    .fsyncdir = t_fsyncdir,
    .statfs = t_statfs,
    .setxattr = t_setxattr,
    .getxattr = t_getxattr,
    .listxattr = t_listxattr,
    .removexattr = t_removexattr,
    .access = t_access,
    .flock = t_flock,
    .fallocate = t_fallocate,
    .copy_file_range = t_copy_file_range,
    .lseek = t_lseek,
};
