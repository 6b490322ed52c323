/* fs/services.h — everything a mount runs beside the FUSE session: the rule
 * engine and its control server, stats/trace/replay, the reactor for
 * delayed and hung requests, and the watchdog.
 *
 * Lifecycle (main.c and run.c):
 *   fs_services_load()   before mounting: rules (exit 2 when bad), --trace,
 *                        --replay; nothing is started.
 *   fs_services_start()  after mounting (and after fuse_daemonize: threads
 *                        do not survive its fork), before the loop.
 *   fs_services_stop()   after the loop returned, before the session is
 *                        unmounted: control server, watchdog, then the
 *                        reactor (answers parked requests EIO).
 *   fs_services_close()  after teardown: per-rule counters and the unused
 *                        replay faults to stderr, then free everything.
 */
#ifndef SNAG_FS_SERVICES_H
#define SNAG_FS_SERVICES_H

#include <stdbool.h>

#include "../ctl/ctl.h"
#include "session.h"

struct fs_services {
    const struct fs_options *o;
    struct inj_engine *engine;
    struct ctl_stats *stats;
    struct ctl_trace *trace;
    struct ctl_replay *replay;
    struct ctl_source *sources; /* -p (resolved), -R, -r */
    char **profile_paths;       /* owned */
    size_t n_sources, n_profiles;
    struct fs_reactor *reactor;
    struct fs_inflight_table *inflight;
    struct fs_watchdog *wd;
    struct ctl_server *ctl;
    struct fs_mount *m; /* while started */
};

/* Returns 0, or the exit status: 2 for bad rules or a bad replay file
 * (printed), 1 for anything else. */
int fs_services_load(struct fs_services *sv, const struct fs_options *o);

/* Start the services for mount m and hook them into m->fs. sighup: install
 * the SIGHUP → reload handler (after libfuse's own handlers). Exports
 * SNAGFS_CONTROL. Returns 0 or -errno (printed; the caller unmounts). */
int fs_services_start(struct fs_services *sv, struct fs_mount *m, bool sighup);

void fs_services_stop(struct fs_services *sv);
void fs_services_close(struct fs_services *sv);

/* --list-profiles: name and first comment line of each profile. */
int fs_services_list_profiles(void);

#endif
