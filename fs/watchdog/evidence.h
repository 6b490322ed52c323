/* fs/watchdog/evidence.h — module-internal: procfs evidence for a watchdog
 * report.
 *
 * Not part of the module's API (fs/ includes watchdog.h and inflight.h only).
 */
#ifndef SNAG_FS_WATCHDOG_EVIDENCE_H
#define SNAG_FS_WATCHDOG_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watchdog.h"

struct fs_wd_collect_in {
    const char *mountpoint;  /* canonical; copied */
    const char *fusectl_dir; /* copied */
    int mnt_id;              /* our mount's, -1 unknown */
    bool have_conn;
    unsigned conn;
    uint64_t timeout_ns; /* how long to wait for the helper */
};

/* Fill r's threads, waiting count and caller fields (r->req must be set):
 * spawns a detached helper that reads procfs and waits for it at most
 * in->timeout_ns; fields it had not finished stay unset. Returns true if
 * the helper was abandoned (r->caller_timed_out is then set). */
bool fs_wd_collect(const struct fs_wd_collect_in *in,
                   struct fs_watchdog_report *r,
                   const struct fs_inflight_entry *all, size_t n_all);

#endif
