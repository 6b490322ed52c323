/* fs/session.h — one mounted snagfs: set up, serve, tear down.
 *
 * Invariants: fs_mount_setup() either returns with the filesystem mounted
 * and a session ready to serve, or with nothing mounted and everything it
 * made undone. fs_mount_teardown() leaves nothing mounted and frees all.
 */
#ifndef SNAG_FS_SESSION_H
#define SNAG_FS_SESSION_H

#include <pthread.h>
#include <stdbool.h>

#include "fs.h"

struct fs_mount {
    struct fs_ctx fs;
    struct fuse_session *se;
    char *mountpoint; /* canonical, owned */
    unsigned conn;    /* /sys/fs/fuse/connections/N, 0 when unknown */
    bool signals;     /* libfuse signal handlers installed */
    bool mounted;
};

/* Check the paths, open SOURCE, create the session and mount it at
 * mountpoint. signals: install libfuse's SIGINT/SIGTERM/SIGHUP handlers.
 * Prints its own errors ("snagfs: ..."). Returns 0 or -errno. */
int fs_mount_setup(struct fs_mount *m, const struct fs_options *o,
                   const char *mountpoint, struct inj_engine *engine,
                   bool signals);

/* Serve requests until unmounted or told to exit. Returns 0 or -1. */
int fs_mount_loop(struct fs_mount *m);

/* Unmount when still mounted, destroy the session, free the inode table
 * (reporting what was left when o->debug or SNAGFS_DEBUG_INODES is set). */
void fs_mount_teardown(struct fs_mount *m);

/* Ask the kernel to drop the mount (detached if busy) without touching the
 * session: the loop then ends by itself. Returns 0 or -errno. */
int fs_mount_detach(struct fs_mount *m);

/* Abort the connection through fusectl. Returns 0 or -errno. */
int fs_mount_abort(struct fs_mount *m);

#endif
