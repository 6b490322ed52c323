/* fs/paths.c — SOURCE and MOUNTPOINT validation before anything is mounted.
 *
 * Invariants: these checks run before fuse_session_mount(), never after,
 * so the daemon never stats its own mount. They refuse every layout in
 * which the daemon's own tree would contain the mount (self-deadlock):
 * SOURCE equal to, inside, or containing MOUNTPOINT.
 */
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errsz, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return rc;
}

/* True when inner is outer or lies below it (both canonical). */
bool fs_path_within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);
    if (strcmp(outer, "/") == 0)
        return true;
    return strncmp(inner, outer, n) == 0 &&
           (inner[n] == '\0' || inner[n] == '/');
}

static int check_dir(const char *what, const char *path, char **real, char *err,
                     size_t errsz)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        int e = errno;
        if (e == ENOTCONN)
            return fail(err, errsz, -e,
                        "%s '%s': %s (a dead FUSE mount? try "
                        "fusermount3 -u)",
                        what, path, strerror(e));
        return fail(err, errsz, -e, "%s '%s': %s", what, path, strerror(e));
    }
    if (!S_ISDIR(st.st_mode))
        return fail(err, errsz, -ENOTDIR, "%s '%s' is not a directory", what,
                    path);
    *real = realpath(path, NULL);
    if (!*real)
        return fail(err, errsz, -errno, "%s '%s': %s", what, path,
                    strerror(errno));
    return 0;
}

/* Is path the root of a mount? statx knows; fall back to comparing the
 * device with the parent's. */
static bool is_mount_root(const char *path)
{
    struct statx sx;
    if (statx(AT_FDCWD, path, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
              STATX_BASIC_STATS, &sx) == 0 &&
        (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
        return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    char parent[PATH_MAX];
    struct stat a, b;
    snprintf(parent, sizeof(parent), "%s/..", path);
    if (stat(path, &a) < 0 || stat(parent, &b) < 0)
        return false;
    return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

int fs_check_paths(const char *source, const char *mountpoint,
                   char **source_real, char **mnt_real, char *err, size_t errsz)
{
    int rc;
    *source_real = NULL;
    *mnt_real = NULL;
    rc = check_dir("SOURCE", source, source_real, err, errsz);
    if (rc < 0)
        return rc;
    rc = check_dir("MOUNTPOINT", mountpoint, mnt_real, err, errsz);
    if (rc < 0)
        goto out_free;
    if (is_mount_root(*mnt_real)) {
        rc = fail(err, errsz, -EBUSY,
                  "MOUNTPOINT '%s' is already a mount point", mountpoint);
        goto out_free;
    }
    if (fs_path_within(*source_real, *mnt_real)) {
        rc = fail(err, errsz, -EINVAL,
                  "SOURCE '%s' is %s MOUNTPOINT '%s': the mount would hide "
                  "its own backing directory",
                  source,
                  strcmp(*source_real, *mnt_real) == 0 ? "the same as"
                                                       : "inside",
                  mountpoint);
        goto out_free;
    }
    if (fs_path_within(*mnt_real, *source_real)) {
        rc = fail(err, errsz, -EINVAL,
                  "MOUNTPOINT '%s' is inside SOURCE '%s': the daemon would "
                  "walk into its own mount and deadlock",
                  mountpoint, source);
        goto out_free;
    }
    if (access("/dev/fuse", R_OK | W_OK) < 0) {
        rc = fail(err, errsz, -ENODEV,
                  "/dev/fuse is not available (%s): is the fuse module "
                  "loaded and the device present?",
                  strerror(errno));
        goto out_free;
    }
    return 0;

out_free:
    free(*source_real);
    free(*mnt_real);
    *source_real = *mnt_real = NULL;
    return rc;
}
