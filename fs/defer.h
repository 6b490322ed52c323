/* fs/defer.h — park a request on the reactor (delay, hang) and resume it.
 *
 * Invariants: see defer.c. The handler that called fs_seam() must return
 * without replying when it gets FS_SEAM_DEFERRED.
 */
#ifndef SNAG_FS_DEFER_H
#define SNAG_FS_DEFER_H

#include "../inject/engine.h"
#include "fs.h"

/* Park the thread's current call (call.h) with verdict v, which has DELAY
 * or HANG. Returns FS_SEAM_DEFERRED (the callback now owns the request), or
 * -errno when it could not be parked (no reactor, out of memory, stopping:
 * -EIO) and the handler must answer that error itself. */
int fs_defer(fuse_req_t req, const struct inj_verdict *v);

#endif
