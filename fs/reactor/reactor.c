/* fs/reactor/reactor.c — the reactor's public API: start/stop, park, wake,
 * release.
 *
 * Every wake decision (deadline, interrupt, release, stop) is made under
 * r->lock by moving the entry from ARMED to WOKEN, out of the heap and onto
 * the fire list; only ARMED entries can be woken, so each callback runs
 * exactly once. The reactor thread detaches the fire list under the lock
 * and runs the callbacks without it. Other threads never touch the ring:
 * they change the heap or the fire list and kick the thread (eventfd for
 * the ring backend, condvar for the timer backend) only when it would
 * otherwise sleep past the change.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "reactor_impl.h"

uint64_t fs_reactor_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *fs_wake_name(enum fs_wake why)
{
    switch (why) {
    case FS_WAKE_TIMER:
        return "timer";
    case FS_WAKE_RELEASED:
        return "released";
    case FS_WAKE_INTERRUPTED:
        return "interrupted";
    case FS_WAKE_SHUTDOWN:
        return "shutdown";
    }
    return "?";
}

/* Make the reactor thread look again. Under r->lock. */
static void kick_locked(struct fs_reactor *r)
{
    if (r->kicked)
        return;
    r->kicked = true;
    if (r->use_uring)
        fs_uring_kick_locked(r);
    else
        pthread_cond_signal(&r->cond);
}

/* → WOKEN, appended to the fire list; p is not in the heap. Under r->lock. */
static void enqueue_woken_locked(struct fs_reactor *r, struct fs_parked *p,
                                 enum fs_wake why)
{
    p->state = FS_PS_WOKEN;
    p->why = why;
    p->next = NULL;
    *r->fire_tail = p;
    r->fire_tail = &p->next;
}

/* ARMED or NEW → WOKEN. Under r->lock. */
static void wake_locked(struct fs_reactor *r, struct fs_parked *p,
                        enum fs_wake why)
{
    if (p->state == FS_PS_ARMED)
        fs_heap_remove(&r->heap, p);
    enqueue_woken_locked(r, p, why);
}

struct fs_parked *fs_reactor_collect_locked(struct fs_reactor *r, uint64_t now)
{
    struct fs_parked *p, *list;

    while ((p = fs_heap_min(&r->heap)) && p->deadline <= now)
        wake_locked(r, p, FS_WAKE_TIMER);
    if (r->stopping)
        while ((p = fs_heap_min(&r->heap)))
            wake_locked(r, p, FS_WAKE_SHUTDOWN);
    list = r->fire_head;
    r->fire_head = NULL;
    r->fire_tail = &r->fire_head;
    return list;
}

void fs_reactor_finish(struct fs_reactor *r, struct fs_parked *p, ssize_t res)
{
    if (p->io_fn)
        p->io_fn(p->arg, p->why, res);
    else
        p->fn(p->arg, p->why);
    atomic_fetch_sub_explicit(&r->parked, 1, memory_order_relaxed);
    fs_parked_put(p);
}

ssize_t fs_reactor_do_io_sync(const struct fs_io *io)
{
    ssize_t n;

    switch (io->op) {
    case FS_IO_PREAD:
        n = pread(io->fd, io->buf, io->len, io->off);
        break;
    case FS_IO_PWRITE:
        n = pwrite(io->fd, io->buf, io->len, io->off);
        break;
    case FS_IO_FSYNC:
        n = fsync(io->fd);
        break;
    case FS_IO_FDATASYNC:
        n = fdatasync(io->fd);
        break;
    default:
        errno = EINVAL;
        n = -1;
        break;
    }
    return n < 0 ? -errno : n;
}

/* Logged once per process, however many reactors fall back. */
static void log_fallback_once(int err)
{
    static atomic_bool logged;

    if (!atomic_exchange(&logged, true))
        fprintf(stderr,
                "snagfs: io_uring unavailable (%s); using timer thread\n",
                strerror(-err));
}

static void *reactor_main(void *arg)
{
    struct fs_reactor *r = arg;
    bool uring = false;

    if (!(r->flags & FS_REACTOR_NO_URING)) {
        int err = fs_uring_init(r);
        uring = err == 0;
        if (!uring)
            log_fallback_once(err);
    }
    pthread_mutex_lock(&r->lock);
    r->use_uring = uring;
    r->start_state = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);

    if (uring)
        fs_uring_run(r);
    else
        fs_timer_run(r);
    return NULL;
}

int fs_reactor_start(unsigned flags, struct fs_reactor **out)
{
    struct fs_reactor *r;
    pthread_condattr_t ca;
    sigset_t all, old;
    int err;

    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->flags = flags;
    r->fire_tail = &r->fire_head;
    r->wait_deadline = UINT64_MAX;
    atomic_init(&r->parked, 0);
    r->efd = eventfd(0, EFD_CLOEXEC);
    if (r->efd < 0) {
        err = -errno;
        goto out_free;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);

    /* The thread inherits a full signal mask: process signals (SIGINT,
     * SIGTERM for libfuse's exit handler) must reach the threads that wait
     * for them, never interrupt the ring wait here. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = -pthread_create(&r->thread, NULL, reactor_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        goto out_destroy;
    pthread_mutex_lock(&r->lock);
    while (r->start_state == 0)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
    *out = r;
    return 0;

out_destroy:
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    close(r->efd);
out_free:
    free(r);
    return err;
}

void fs_reactor_stop(struct fs_reactor *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    kick_locked(r);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);

    fs_heap_free(&r->heap);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    close(r->efd);
    free(r);
}

static int parked_alloc(fs_parked_fn fn, fs_io_fn io_fn, void *arg,
                        const struct fs_io *io, struct fs_parked **out)
{
    struct fs_parked *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (!p)
        return -ENOMEM;
    atomic_init(&p->refs, 1);
    p->fn = fn;
    p->io_fn = io_fn;
    p->arg = arg;
    if (io)
        p->io = *io;
    p->state = FS_PS_NEW;
    *out = p;
    return 0;
}

int fs_parked_new(struct fs_reactor *r, fs_parked_fn fn, void *arg,
                  struct fs_parked **out)
{
    (void)r;
    if (!fn) {
        *out = NULL;
        return -EINVAL;
    }
    return parked_alloc(fn, NULL, arg, NULL, out);
}

int fs_parked_new_io(struct fs_reactor *r, const struct fs_io *io, fs_io_fn fn,
                     void *arg, struct fs_parked **out)
{
    (void)r;
    if (!fn || !io || io->op > FS_IO_FDATASYNC) {
        *out = NULL;
        return -EINVAL;
    }
    return parked_alloc(NULL, fn, arg, io, out);
}

uint64_t fs_parked_deadline(const struct fs_parked *p)
{
    return p->deadline;
}

void fs_parked_get(struct fs_parked *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void fs_parked_put(struct fs_parked *p)
{
    if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        free(p);
}

int fs_reactor_arm(struct fs_reactor *r, struct fs_parked *p, uint64_t delay_ns,
                   const char *rule_id)
{
    uint64_t now = fs_reactor_now();
    int err = 0;

    pthread_mutex_lock(&r->lock);
    if (r->stopping) {
        err = -ESHUTDOWN;
        goto out_unlock;
    }
    if (p->state != FS_PS_NEW) {
        err = -EINVAL;
        goto out_unlock;
    }
    snprintf(p->rule_id, sizeof(p->rule_id), "%s", rule_id ? rule_id : "");
    p->deadline = delay_ns >= UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
    p->seq = r->seq++;
    if (p->intr_pending) {
        /* The interrupt beat the arming: answer it at once. */
        wake_locked(r, p, FS_WAKE_INTERRUPTED);
        kick_locked(r);
    } else {
        err = fs_heap_push(&r->heap, p);
        if (err)
            goto out_unlock;
        p->state = FS_PS_ARMED;
        if (p->deadline < r->wait_deadline)
            kick_locked(r);
    }
    fs_parked_get(p); /* the reactor's reference, dropped after the callback */
    atomic_fetch_add_explicit(&r->parked, 1, memory_order_relaxed);
out_unlock:
    pthread_mutex_unlock(&r->lock);
    return err;
}

static int park_common(struct fs_reactor *r, struct fs_parked *p,
                       uint64_t delay_ns, const char *rule_id,
                       struct fs_parked **handle)
{
    int err = fs_reactor_arm(r, p, delay_ns, rule_id);

    if (err || !handle) {
        fs_parked_put(p);
        p = NULL;
    }
    if (handle)
        *handle = p;
    return err;
}

int fs_reactor_park(struct fs_reactor *r, uint64_t delay_ns,
                    const char *rule_id, fs_parked_fn fn, void *arg,
                    struct fs_parked **handle)
{
    struct fs_parked *p;
    int err = fs_parked_new(r, fn, arg, &p);

    if (err) {
        if (handle)
            *handle = NULL;
        return err;
    }
    return park_common(r, p, delay_ns, rule_id, handle);
}

int fs_reactor_park_io(struct fs_reactor *r, uint64_t delay_ns,
                       const char *rule_id, const struct fs_io *io, fs_io_fn fn,
                       void *arg, struct fs_parked **handle)
{
    struct fs_parked *p;
    int err = fs_parked_new_io(r, io, fn, arg, &p);

    if (err) {
        if (handle)
            *handle = NULL;
        return err;
    }
    return park_common(r, p, delay_ns, rule_id, handle);
}

void fs_reactor_interrupt(struct fs_reactor *r, struct fs_parked *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&r->lock);
    if (p->state == FS_PS_NEW) {
        p->intr_pending = true;
    } else if (p->state == FS_PS_ARMED) {
        wake_locked(r, p, FS_WAKE_INTERRUPTED);
        kick_locked(r);
    }
    pthread_mutex_unlock(&r->lock);
}

unsigned fs_reactor_release(struct fs_reactor *r, const char *rule_id)
{
    struct fs_heap *h = &r->heap;
    unsigned woken = 0;
    size_t keep = 0;

    if (!rule_id)
        rule_id = "";
    pthread_mutex_lock(&r->lock);
    /* One pass: compact the survivors, wake the matches, then re-heapify. */
    for (size_t i = 0; i < h->n; i++) {
        struct fs_parked *p = h->v[i];
        if (strcmp(p->rule_id, rule_id) != 0) {
            h->v[keep++] = p;
            continue;
        }
        enqueue_woken_locked(r, p, FS_WAKE_RELEASED);
        woken++;
    }
    if (woken) {
        h->n = keep;
        fs_heap_heapify(h);
        kick_locked(r);
    }
    pthread_mutex_unlock(&r->lock);
    return woken;
}

size_t fs_reactor_parked(const struct fs_reactor *r)
{
    return atomic_load_explicit(&((struct fs_reactor *)r)->parked,
                                memory_order_relaxed);
}

const char *fs_reactor_backend(const struct fs_reactor *r)
{
    return r->use_uring ? "io_uring" : "timer-thread";
}
