/* fs/paths.h — checks on SOURCE and MOUNTPOINT made before mounting.
 *
 * Invariants: no FUSE here; messages are complete sentences naming the
 * argument, for the user to read as is.
 */
#ifndef SNAG_FS_PATHS_H
#define SNAG_FS_PATHS_H

#include <stdbool.h>
#include <stddef.h>

/* Both must be existing directories; MOUNTPOINT must not already be a
 * mount; neither may contain the other; /dev/fuse must be usable. On
 * success returns 0 and the canonical paths (caller frees); otherwise
 * -errno and a message in err. */
int fs_check_paths(const char *source, const char *mountpoint,
                   char **source_real, char **mnt_real, char *err,
                   size_t errsz);

/* True when canonical path inner is outer or below it. */
bool fs_path_within(const char *inner, const char *outer);

#endif
