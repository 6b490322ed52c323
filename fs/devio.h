/* fs/devio.h — /dev/fuse I/O hooks (see devio.c).
 *
 * Invariants: installed once, right after fuse_session_mount(), before the
 * loop reads the INIT request.
 */
#ifndef SNAG_FS_DEVIO_H
#define SNAG_FS_DEVIO_H

#include "fs.h"

/* Route the session's device I/O through hooks that add
 * FUSE_HANDLE_KILLPRIV_V2 (and, in strict mode, FUSE_DIRECT_IO_ALLOW_MMAP)
 * to the INIT reply. Returns 0 or -errno. */
int fs_devio_install(struct fs_ctx *fs, struct fuse_session *se);

#endif
