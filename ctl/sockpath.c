/* ctl/sockpath.c — the per-mount default control socket path.
 *
 * Invariant: nothing here touches the mountpoint itself (no stat, no open,
 * no realpath of it): on a wedged mount that would hang the caller. Only the
 * parent directory is resolved, so snagctl -m works while the mount hangs.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "occur.h"

int ctl_mountpoint_canon(const char *mountpoint, char *buf, size_t size)
{
    if (!mountpoint || !*mountpoint)
        return -EINVAL;
    size_t len = strlen(mountpoint);
    if (len >= PATH_MAX)
        return -ENAMETOOLONG;
    char tmp[PATH_MAX];
    memcpy(tmp, mountpoint, len + 1);
    while (len > 1 && tmp[len - 1] == '/')
        tmp[--len] = '\0';
    char *slash = strrchr(tmp, '/');
    const char *base;
    char parent_real[PATH_MAX];
    if (strcmp(tmp, "/") == 0) {
        snprintf(buf, size, "/");
        return 0;
    }
    if (!slash) {
        base = tmp;
        if (!realpath(".", parent_real))
            return -errno;
    } else {
        *slash = '\0';
        base = slash + 1;
        if (!realpath(slash == tmp ? "/" : tmp, parent_real))
            return -errno;
    }
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        /* Rare spelling: resolve it all. "." is getcwd (no FUSE call);
         * ".." resolves the mountpoint's children, which we accept. */
        if (!realpath(mountpoint, parent_real))
            return -errno;
        if (snprintf(buf, size, "%s", parent_real) >= (int)size)
            return -ENAMETOOLONG;
        return 0;
    }
    int n = snprintf(buf, size, "%s%s%s", parent_real,
                     strcmp(parent_real, "/") == 0 ? "" : "/", base);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return 0;
}

int ctl_path_escape(const char *path, char *buf, size_t size)
{
    size_t o = 0;
    const char *p = path;
    while (*p == '/')
        p++;
    if (!*p)
        return snprintf(buf, size, "-") < (int)size ? 0 : -ENAMETOOLONG;
    bool first = true;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char piece[8];
        if (c == '/') {
            while (p[1] == '/')
                p++;
            if (!p[1])
                break; /* trailing slash */
            snprintf(piece, sizeof(piece), "-");
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == ':' || c == '_' ||
                   (c == '.' && !first)) {
            piece[0] = (char)c;
            piece[1] = '\0';
        } else {
            snprintf(piece, sizeof(piece), "\\x%02x", c);
        }
        first = false;
        size_t l = strlen(piece);
        if (o + l + 1 > size)
            return -ENAMETOOLONG;
        memcpy(buf + o, piece, l);
        o += l;
    }
    buf[o] = '\0';
    return 0;
}

static int sock_dir(char *buf, size_t size)
{
    uid_t uid = geteuid();
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (uid == 0)
        n = snprintf(buf, size, "/run/snagfs");
    else if (xdg && xdg[0] == '/')
        n = snprintf(buf, size, "%s/snagfs", xdg);
    else
        n = snprintf(buf, size, "/tmp/snagfs-%u", (unsigned)uid);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ctl_sockpath_default(const char *mountpoint, char *buf, size_t size)
{
    char canon[PATH_MAX], dir[PATH_MAX], esc[PATH_MAX * 4];
    int rc = ctl_mountpoint_canon(mountpoint, canon, sizeof(canon));
    if (rc)
        return rc;
    if ((rc = sock_dir(dir, sizeof(dir))))
        return rc;
    const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path);
    rc = ctl_path_escape(canon, esc, sizeof(esc));
    int n = -1;
    if (rc == 0)
        n = snprintf(buf, size, "%s/%s.sock", dir, esc);
    if (rc || n < 0 || (size_t)n >= size || (size_t)n >= sun_max) {
        /* Too long for sun_path: a stable hash of the canonical path. */
        uint64_t h = ctl_occur_hash(0, canon, strlen(canon));
        n = snprintf(buf, size, "%s/h-%016llx.sock", dir,
                     (unsigned long long)h);
        if (n < 0 || (size_t)n >= size || (size_t)n >= sun_max)
            return -ENAMETOOLONG;
    }
    return 0;
}
