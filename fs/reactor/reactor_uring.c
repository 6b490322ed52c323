/* fs/reactor/reactor_uring.c — the io_uring backend: one ring, created and used
 * on the reactor thread.
 *
 * The thread sleeps in io_uring_submit_and_wait_timeout() bounded by the
 * earliest deadline (one timeout for the whole heap, however many entries
 * are parked). A read SQE on r->efd is always outstanding so that other
 * threads can kick the ring without touching it. io entries whose delay is
 * over become SQEs (user_data = the entry); their CQE runs the callback.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "reactor_impl.h"

#define RING_ENTRIES 256
#define RING_CQ_ENTRIES 4096
/* user_data of the eventfd read; entries are pointers */
#define UD_EVENTFD 1u

int fs_uring_init(struct fs_reactor *r)
{
    struct io_uring_params prm = {0};
    int err;

    /* SINGLE_ISSUER (6.0+) holds: only this thread ever enters the ring. */
    prm.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
                IORING_SETUP_COOP_TASKRUN;
    prm.cq_entries = RING_CQ_ENTRIES;
    err = io_uring_queue_init_params(RING_ENTRIES, &r->ring, &prm);
    if (err == -EINVAL) {
        /* Older kernels reject the newer flags; the ring works without. */
        prm = (struct io_uring_params){.flags = IORING_SETUP_CQSIZE,
                                       .cq_entries = RING_CQ_ENTRIES};
        err = io_uring_queue_init_params(RING_ENTRIES, &r->ring, &prm);
    }
    return err;
}

/* Under r->lock (any thread): the counter wakes the outstanding read SQE. */
void fs_uring_kick_locked(struct fs_reactor *r)
{
    uint64_t one = 1;
    ssize_t n;

    do
        n = write(r->efd, &one, sizeof(one));
    while (n < 0 && errno == EINTR);
}

static struct io_uring_sqe *get_sqe(struct fs_reactor *r)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

    if (!sqe) {
        io_uring_submit(&r->ring);
        sqe = io_uring_get_sqe(&r->ring);
    }
    return sqe;
}

static void arm_eventfd(struct fs_reactor *r)
{
    struct io_uring_sqe *sqe = get_sqe(r);

    /* Cannot fail: the SQ was just flushed. */
    io_uring_prep_read(sqe, r->efd, &r->efd_buf, sizeof(r->efd_buf), 0);
    io_uring_sqe_set_data64(sqe, UD_EVENTFD);
}

/* The delay is over: hand the backend operation to the ring. */
static void start_io(struct fs_reactor *r, struct fs_parked *p)
{
    struct io_uring_sqe *sqe = get_sqe(r);
    const struct fs_io *io = &p->io;

    if (!sqe) {
        fs_reactor_finish(r, p, fs_reactor_do_io_sync(io));
        return;
    }
    switch (io->op) {
    case FS_IO_PREAD:
        io_uring_prep_read(sqe, io->fd, io->buf, (unsigned)io->len,
                           (uint64_t)io->off);
        break;
    case FS_IO_PWRITE:
        io_uring_prep_write(sqe, io->fd, io->buf, (unsigned)io->len,
                            (uint64_t)io->off);
        break;
    case FS_IO_FSYNC:
        io_uring_prep_fsync(sqe, io->fd, 0);
        break;
    case FS_IO_FDATASYNC:
        io_uring_prep_fsync(sqe, io->fd, IORING_FSYNC_DATASYNC);
        break;
    }
    io_uring_sqe_set_data(sqe, p);
    r->inflight++;
}

static void fire(struct fs_reactor *r, struct fs_parked *list)
{
    while (list) {
        struct fs_parked *p = list;

        list = p->next;
        if (!p->io_fn)
            fs_reactor_finish(r, p, 0);
        else if (p->why == FS_WAKE_TIMER || p->why == FS_WAKE_RELEASED)
            start_io(r, p);
        else
            fs_reactor_finish(
                r, p, p->why == FS_WAKE_INTERRUPTED ? -EINTR : -ESHUTDOWN);
    }
}

/* Reap every CQE that is ready. Returns false when the eventfd read ended. */
static void reap(struct fs_reactor *r, bool *need_efd)
{
    struct io_uring_cqe *cqe;

    while (io_uring_peek_cqe(&r->ring, &cqe) == 0) {
        uint64_t ud = io_uring_cqe_get_data64(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&r->ring, cqe);
        if (ud == UD_EVENTFD) {
            *need_efd = true;
        } else if (ud) {
            r->inflight--;
            fs_reactor_finish(r, (struct fs_parked *)(uintptr_t)ud, res);
        }
    }
}

void fs_uring_run(struct fs_reactor *r)
{
    bool need_efd = true;

    for (;;) {
        struct fs_parked *list, *min;
        uint64_t now = fs_reactor_now(), next;
        bool stopping;

        pthread_mutex_lock(&r->lock);
        r->kicked = false;
        list = fs_reactor_collect_locked(r, now);
        stopping = r->stopping;
        min = fs_heap_min(&r->heap);
        next = min ? min->deadline : UINT64_MAX;
        r->wait_deadline = list ? 0 : next;
        pthread_mutex_unlock(&r->lock);

        if (need_efd && !stopping) {
            arm_eventfd(r);
            need_efd = false;
        }
        if (list) {
            fire(r, list);
            io_uring_submit(&r->ring);
            reap(r, &need_efd);
            continue;
        }
        if (stopping && r->inflight == 0)
            break;

        struct io_uring_cqe *cqe;
        int ret;
        if (next == UINT64_MAX || stopping) {
            ret =
                io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, NULL, NULL);
        } else {
            uint64_t rel = next > now ? next - now : 0;
            struct __kernel_timespec ts = {
                .tv_sec = (long long)(rel / 1000000000u),
                .tv_nsec = (long long)(rel % 1000000000u)};
            ret =
                io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, &ts, NULL);
        }
        (void)ret; /* -ETIME, -EINTR: look at the heap again either way */
        reap(r, &need_efd);
    }
    /* Stopping: the eventfd read may still be outstanding; the ring's exit
     * cancels it. No entry is left: every one was fired or reaped. */
    io_uring_queue_exit(&r->ring);
}
