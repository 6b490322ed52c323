/* fs/reactor/reactor_timer.c — the fallback backend: the heap driven by one
 * condvar.
 *
 * Used when io_uring cannot be set up (or FS_REACTOR_NO_URING). Same
 * semantics as the ring backend; the only difference is that io entries'
 * syscalls run on this thread, one after another, after their delay.
 */
#include <errno.h>
#include <time.h>

#include "reactor_impl.h"

static void fire_sync(struct fs_reactor *r, struct fs_parked *list)
{
    while (list) {
        struct fs_parked *p = list;
        ssize_t res = 0;

        list = p->next;
        if (p->io_fn)
            res = p->why == FS_WAKE_TIMER || p->why == FS_WAKE_RELEASED
                      ? fs_reactor_do_io_sync(&p->io)
                  : p->why == FS_WAKE_INTERRUPTED ? -EINTR
                                                  : -ESHUTDOWN;
        fs_reactor_finish(r, p, res);
    }
}

void fs_timer_run(struct fs_reactor *r)
{
    pthread_mutex_lock(&r->lock);
    for (;;) {
        struct fs_parked *list = fs_reactor_collect_locked(r, fs_reactor_now());
        struct fs_parked *min;

        if (list) {
            r->wait_deadline = 0; /* busy: we look at the heap again first */
            pthread_mutex_unlock(&r->lock);
            fire_sync(r, list);
            pthread_mutex_lock(&r->lock);
            continue;
        }
        if (r->stopping)
            break;
        min = fs_heap_min(&r->heap);
        r->wait_deadline = min ? min->deadline : UINT64_MAX;
        r->kicked = false;
        if (r->wait_deadline == UINT64_MAX) {
            pthread_cond_wait(&r->cond, &r->lock);
        } else {
            struct timespec ts = {
                .tv_sec = (time_t)(r->wait_deadline / 1000000000u),
                .tv_nsec = (long)(r->wait_deadline % 1000000000u),
            };
            pthread_cond_timedwait(&r->cond, &r->lock, &ts);
        }
    }
    pthread_mutex_unlock(&r->lock);
}
