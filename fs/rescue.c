/* fs/rescue.c — the watchdog's rescue hook (from wd_testfs.c's, which the
 * watchdog's end-to-end tests prove).
 *
 * Invariants: the session fd stays blocking (libfuse's loops take EAGAIN
 * as fatal), so the hook polls before it reads; a worker may still win the
 * race for the request, and then the read blocks until the next one or
 * until fs_watchdog_stop() interrupts it with SIGURG. The buffer belongs to
 * the rescue thread alone.
 */
#include "rescue.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "fs.h"

static _Thread_local struct fuse_buf rescue_buf;

void fs_rescue_exit(void *arg)
{
    (void)arg;
    free(rescue_buf.mem);
    rescue_buf.mem = NULL;
}

int fs_rescue_one(void *arg, int timeout_ms)
{
    struct fuse_session *se = arg;
    if (fuse_session_exited(se))
        return -ESHUTDOWN;
    struct pollfd p = {.fd = fuse_session_fd(se), .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -errno;
    if (r == 0)
        return 0;
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
        return -ENODEV;
    int res = fuse_session_receive_buf(se, &rescue_buf);
    if (res == -EINTR || res == -EAGAIN)
        return 0;
    if (res <= 0)
        return res < 0 ? res : -ENODEV;
    fuse_session_process_buf(se, &rescue_buf);
    return 1;
}
