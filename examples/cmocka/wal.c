/* wal.c — append a record and make it durable; report every error. */
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int wal_append(const char *path, const void *rec, size_t len)
{
    const char *p = rec;
    int fd, rc = 0;

    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto out_close;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) < 0)
        rc = -errno;
out_close:
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}
