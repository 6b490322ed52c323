/* fs/selfio.h — the selfio= action: the daemon does I/O on its own mount.
 *
 * It exists to provoke, on purpose, the self-deadlocks the watchdog must
 * catch (docs/watchdog.md, "Provoking the cycle on purpose").
 */
#ifndef SNAG_FS_SELFIO_H
#define SNAG_FS_SELFIO_H

#include "../inject/engine.h"
#include "fs.h"

/* Perform v->selfio through fs->mountpoint from the calling thread, before
 * the request's own backend work; path is the matched path relative to the
 * mount root (NULL if unknown: stat is done instead). Logs the outcome.
 * Does nothing on the watchdog's rescue thread. Never fails the request. */
void fs_selfio_run(struct fs_ctx *fs, const struct inj_verdict *v,
                   const char *path);

#endif
