/* fs/run.h — `snagfs run [OPTIONS] SOURCE -- COMMAND [ARGS...]`.
 *
 * Invariants: never leaves a mount or the temporary mountpoint behind.
 */
#ifndef SNAG_FS_RUN_H
#define SNAG_FS_RUN_H

#include "options.h"

struct fs_services;

/* Mount o->source on a fresh private directory, start the services sv
 * (loaded by fs_services_load), export SNAGFS_MOUNT and SNAGFS_CONTROL, run
 * o->command, unmount, remove the directory. Returns the exit status for
 * main: the command's, 128+N if it died by signal N, 1 on setup failure. */
int fs_run(const struct fs_options *o, struct fs_services *sv);

#endif
