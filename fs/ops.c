/* fs/ops.c — connection setup (init/destroy) and per-request node pins.
 *
 * Invariants: the ops table lives in dispatch.c, whose wrappers drop the
 * handler's node pins (fs_unpin_all) when it returns; init
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
    /* POSIX ACLs: with default_permissions (allow_other, or asked for) the
     * kernel enforces them and system.posix_acl_* pass through. The kernel
     * turns default_permissions on whenever FUSE_POSIX_ACL is granted, and
     * then never sends FUSE_ACCESS; without default_permissions the ACL
     * xattrs still pass through and the backing filesystem enforces them.
     * With DONT_MASK the kernel sends the caller's umask instead of
     * applying it, so a default ACL on the parent takes precedence over the
     * umask, as on a local filesystem. */
    if (fs->opt->allow_other || fs->opt->default_permissions)
        want(conn, FUSE_CAP_POSIX_ACL);
    else
        conn->want &= ~(unsigned)FUSE_CAP_POSIX_ACL;
    want(conn, FUSE_CAP_DONT_MASK);
    want(conn, FUSE_CAP_FLOCK_LOCKS);
    /* Splice only for replies (large reads, ops_file.c). Receiving by
     * splice costs a second syscall on every request (splice, then read
     * the header back from the pipe) and saved nothing measurable on
     * 1 MiB writes (docs/performance.md); libfuse's default would ask. */
    want(conn, FUSE_CAP_SPLICE_WRITE);
    conn->want &= ~(unsigned)FUSE_CAP_SPLICE_READ;
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
