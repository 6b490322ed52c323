/* fs/workers.h — the multi-threaded request loop (see workers.c). */
#ifndef SNAG_FS_WORKERS_H
#define SNAG_FS_WORKERS_H

#include "fs.h"

/* Threads that wait in read() on /dev/fuse at once; the rest park. */
#define FS_WORKERS_READERS 2
/* libfuse's default for max_threads. */
#define FS_WORKERS_DEFAULT_MAX 10

/* Serve se until it exits (unmount, connection abort, or a signal through
 * libfuse's handlers), with at most max_threads workers (0: the default).
 * Returns 0, or -1 when reading the device failed. The calling thread only
 * waits; it should receive the termination signals (workers block them). */
int fs_workers_run(struct fuse_session *se, unsigned max_threads);

/* The calling thread is about to write the reply with this unique id (the
 * /dev/fuse writev hook calls it for every reply; a no-op outside the
 * workers and for replies to other requests): from now on it counts as
 * ready for the next request. */
void fs_workers_replied(uint64_t unique);

#endif
