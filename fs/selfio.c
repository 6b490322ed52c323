/* fs/selfio.c — selfio=KIND: I/O on our own mountpoint from a worker thread.
 *
 * Invariants:
 *  - Only the thread serving the request does it, synchronously, before the
 *    request's backend call: that is the cycle being reproduced. The
 *    request it sends back to us is self-originated; the watchdog answers
 *    it (EDEADLK with action fail) or it waits (single worker) until
 *    rescue/abort breaks it.
 *  - stat/lookup use a name that never exists and that the kernel never
 *    caches (an ENOENT reply carries no negative entry), so every firing
 *    reaches the daemon.
 *  - Never on the rescue thread (it must stay free to drain the queue); the
 *    self-originated requests themselves never match a rule (inject_seam.c).
 */
#include "selfio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watchdog/watchdog.h"

static _Atomic uint64_t selfio_seq;

static const char *kind_name(enum inj_selfio k)
{
    static const char *const names[] = {"none", "stat",  "lookup",
                                        "open", "write", "fsync"};
    return (unsigned)k < 6 ? names[k] : "?";
}

/* MNT + rel (rel starts with '/'), or MNT/.snagfs-selfio-N in rel's parent
 * directory (parent) or at the root. */
static int selfio_path(const struct fs_ctx *fs, const char *rel, bool parent,
                       bool probe, uint64_t seq, char *buf, size_t size)
{
    int n;
    if (!probe) {
        n = snprintf(buf, size, "%s%s", fs->mountpoint, rel);
    } else {
        const char *slash = parent && rel ? strrchr(rel, '/') : NULL;
        int dlen = slash ? (int)(slash - rel) : 0;
        n = snprintf(buf, size, "%s%.*s/.snagfs-selfio-%llu", fs->mountpoint,
                     dlen, rel ? rel : "", (unsigned long long)seq);
    }
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int do_write(const char *p, uint64_t size)
{
    int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    static const char zeros[65536];
    int rc = 0;
    while (size > 0) {
        size_t n = size < sizeof(zeros) ? (size_t)size : sizeof(zeros);
        ssize_t w = write(fd, zeros, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        size -= (uint64_t)w;
    }
    close(fd);
    return rc;
}

void fs_selfio_run(struct fs_ctx *fs, const struct inj_verdict *v,
                   const char *path)
{
    char p[PATH_MAX];
    struct stat st;
    int rc;
    enum inj_selfio k = v->selfio;

    if (!fs->mountpoint || k == INJ_SELFIO_NONE || fs_watchdog_in_rescue())
        return;
    uint64_t seq = atomic_fetch_add(&selfio_seq, 1);
    bool probe = k == INJ_SELFIO_STAT || k == INJ_SELFIO_LOOKUP || !path;
    rc =
        selfio_path(fs, path, k == INJ_SELFIO_LOOKUP, probe, seq, p, sizeof(p));
    if (rc == 0) {
        if (probe) {
            rc =
                fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        } else if (k == INJ_SELFIO_WRITE) {
            rc = do_write(p, v->selfio_size);
        } else {
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            rc = fd < 0 ? -errno : 0;
            if (fd >= 0 && k == INJ_SELFIO_FSYNC && fsync(fd) < 0)
                rc = -errno;
            if (fd >= 0)
                close(fd);
        }
    }
    fprintf(stderr, "snagfs: rule %s: selfio=%s %s: %s\n", v->rule_id,
            kind_name(k), p, rc ? strerrorname_np(-rc) : "ok");
}
