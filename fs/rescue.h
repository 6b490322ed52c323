/* fs/rescue.h — the watchdog's rescue hook: read and dispatch one request
 * on the watchdog's rescue thread (docs/watchdog.md, recipe step 6).
 */
#ifndef SNAG_FS_RESCUE_H
#define SNAG_FS_RESCUE_H

/* arg is the struct fuse_session. Returns 1 if a request was dispatched,
 * 0 if none came within timeout_ms, -errno when the session is gone. */
int fs_rescue_one(void *arg, int timeout_ms);

/* Frees the rescue thread's buffer; runs on that thread as it exits. */
void fs_rescue_exit(void *arg);

#endif
