/* fs/workers.c — the multi-threaded request loop: a few hot readers, more
 * threads only when requests block.
 *
 * Why not fuse_session_loop_mt: there, every idle worker waits in read()
 * on /dev/fuse, and the kernel wakes those waiters in FIFO order. The
 * ~10 workers that a burst of concurrent requests leaves behind then take
 * turns: each request runs on the thread that has been idle longest, with
 * cold caches. Each request also takes the loop's mutex twice. Here only
 * FS_WORKERS_READERS threads wait in read(), so one client's requests
 * alternate between two warm threads. docs/performance.md (session 5,
 * item 14) has the numbers.
 *
 * Invariants:
 *  - `avail` counts the workers that can take the next request: those in
 *    or on their way into read(), and those whose request has been
 *    answered (fs_workers_replied(), from the reply hook) and which are
 *    about to read again. Counting a worker as soon as it has replied
 *    matters: with the client on the same CPU, the woken client often
 *    preempts the worker between its reply and its next read, and a count
 *    of readers alone would then see "nobody left" on every other request.
 *  - A worker that takes a request leaves the count; if it was the last
 *    one, it wakes a parked worker or starts a new one (up to
 *    max_threads) before serving, so a request that blocks never stops
 *    the reading. A worker that has served parks if at least
 *    FS_WORKERS_READERS are available without it (LIFO: the most recently
 *    busy thread is the next one woken), and reads otherwise.
 *  - A waker counts the woken or started thread itself, so two wakers
 *    racing do not both see "nobody left"; a worker parks only by a
 *    compare-and-swap that leaves FS_WORKERS_READERS in the count.
 *  - Workers are started with the termination signals blocked: they go to
 *    the thread in fs_workers_run(), as with libfuse's loop.
 *  - Cancellation is enabled only while a worker waits in read(). Stopping
 *    cancels every worker (only those in read() act on it at once), wakes
 *    the parked ones, and joins all of them.
 *  - New threads are started between reading a request and serving it,
 *    never from inside a handler: they inherit the daemon's credentials,
 *    not a caller's (creds.c switches them per request).
 */
#include "workers.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include <linux/fuse.h>

struct worker {
    struct fs_workers *pool;
    pthread_t thread;
    struct fuse_buf buf;
    pthread_cond_t wake; /* parked here, under pool->lock */
    bool woken;
    bool counted;    /* back in pool->avail (replied, or a forget) */
    uint64_t unique; /* the request being served (0: not known) */
    struct worker *next_parked;
    struct worker *next;
};

struct fs_workers {
    struct fuse_session *se;
    unsigned max_threads;
    _Atomic int avail;
    pthread_mutex_t lock; /* the lists, nthreads, stopping */
    struct worker *parked;
    struct worker *all;
    unsigned nthreads;
    bool stopping;
    sem_t finished; /* posted by every worker that leaves its loop */
    _Atomic int error;
};

static void *worker_main(void *arg);

static _Thread_local struct worker *tls_worker;

static void count_ready(struct worker *w)
{
    if (!w->counted) {
        w->counted = true;
        atomic_fetch_add(&w->pool->avail, 1);
    }
}

void fs_workers_replied(uint64_t unique)
{
    /* Only the reply to this worker's own request: libfuse answers a stale
     * INTERRUPT (EAGAIN) on the worker that found it, before the handler. */
    struct worker *w = tls_worker;
    if (w && unique != 0 && unique == w->unique)
        count_ready(w);
}

/* Start a worker, counted in p->avail from the start. Caller holds p->lock. */
static bool worker_start(struct fs_workers *p)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (!w)
        return false;
    atomic_fetch_add(&p->avail, 1);
    w->pool = p;
    pthread_cond_init(&w->wake, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        atomic_fetch_sub(&p->avail, 1);
        pthread_cond_destroy(&w->wake);
        free(w);
        return false;
    }
    w->next = p->all;
    p->all = w;
    p->nthreads++;
    return true;
}

/* Nobody is left to read: wake a parked worker, or start one if there is room.
 * With neither, the next worker to finish its request reads. */
static void reader_wanted(struct fs_workers *p)
{
    pthread_mutex_lock(&p->lock);
    if (!p->stopping) {
        struct worker *w = p->parked;
        if (w) {
            p->parked = w->next_parked;
            w->woken = true;
            atomic_fetch_add(&p->avail, 1);
            pthread_cond_signal(&w->wake);
        } else if (p->nthreads < p->max_threads) {
            (void)worker_start(p);
        }
    }
    pthread_mutex_unlock(&p->lock);
}

/* Wait until woken as a reader (true) or until the pool stops (false). */
static bool park(struct fs_workers *p, struct worker *w)
{
    pthread_mutex_lock(&p->lock);
    w->woken = false;
    /* Everyone else took a request after this worker left the count: the
     * wake they asked for found nobody parked, so read instead. */
    if (!p->stopping && atomic_load(&p->avail) == 0) {
        atomic_fetch_add(&p->avail, 1);
        pthread_mutex_unlock(&p->lock);
        return true;
    }
    if (!p->stopping) {
        w->next_parked = p->parked;
        p->parked = w;
        while (!w->woken && !p->stopping)
            pthread_cond_wait(&w->wake, &p->lock);
    }
    bool reader = w->woken && !p->stopping;
    pthread_mutex_unlock(&p->lock);
    return reader;
}

/* Leave the count if FS_WORKERS_READERS stay in it without this worker. */
static bool surplus(struct fs_workers *p)
{
    int a = atomic_load(&p->avail);
    while (a > FS_WORKERS_READERS)
        if (atomic_compare_exchange_weak(&p->avail, &a, a - 1))
            return true;
    return false;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct fs_workers *p = w->pool;
    tls_worker = w;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    while (!fuse_session_exited(p->se)) {
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        int res = fuse_session_receive_buf(p->se, &w->buf);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        if (res == -EINTR)
            continue;
        if (res <= 0) { /* 0: unmounted or aborted (libfuse ended it) */
            if (res < 0) {
                atomic_store(&p->error, res);
                fuse_session_exit(p->se);
            }
            break;
        }
        /* Forgets are quick and come in bursts: like libfuse, they do not
         * take the worker out of the count. */
        const struct fuse_in_header *in = NULL;
        if (!(w->buf.flags & FUSE_BUF_IS_FD) &&
            res >= (int)sizeof(struct fuse_in_header))
            in = w->buf.mem;
        w->unique = in ? in->unique : 0;
        w->counted = in && (in->opcode == FUSE_FORGET ||
                            in->opcode == FUSE_BATCH_FORGET);
        if (!w->counted && atomic_fetch_sub(&p->avail, 1) == 1)
            reader_wanted(p);
        fuse_session_process_buf(p->se, &w->buf);
        w->unique = 0;
        count_ready(w); /* no reply of its own (parked, spliced): now */
        if (surplus(p) && !park(p, w))
            break;
    }
    sem_post(&p->finished);
    return NULL;
}

static void stop_and_join(struct fs_workers *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    for (struct worker *w = p->all; w; w = w->next) {
        pthread_cond_signal(&w->wake);
        pthread_cancel(w->thread);
    }
    p->parked = NULL;
    pthread_mutex_unlock(&p->lock);
    /* No thread starts once stopping is set, so the list is final. */
    struct worker *w = p->all;
    while (w) {
        struct worker *next = w->next;
        pthread_join(w->thread, NULL);
        free(w->buf.mem);
        pthread_cond_destroy(&w->wake);
        free(w);
        w = next;
    }
    p->all = NULL;
}

int fs_workers_run(struct fuse_session *se, unsigned max_threads)
{
    struct fs_workers p = {.se = se,
                           .max_threads = max_threads ? max_threads
                                                      : FS_WORKERS_DEFAULT_MAX};
    if (p.max_threads < FS_WORKERS_READERS)
        p.max_threads = FS_WORKERS_READERS;
    pthread_mutex_init(&p.lock, NULL);
    sem_init(&p.finished, 0, 0);
    pthread_mutex_lock(&p.lock);
    for (int i = 0; i < FS_WORKERS_READERS; i++)
        (void)worker_start(&p);
    pthread_mutex_unlock(&p.lock);
    if (p.nthreads == 0)
        fuse_session_exit(se);
    /* A signal (libfuse's handler ends the session) interrupts the wait. */
    while (!fuse_session_exited(se))
        sem_wait(&p.finished);
    stop_and_join(&p);
    sem_destroy(&p.finished);
    pthread_mutex_destroy(&p.lock);
    fuse_session_reset(se);
    return atomic_load(&p.error) < 0 || p.nthreads == 0 ? -1 : 0;
}
