/* fs/reactor/reactor_impl.h — the reactor's private structures, shared by its
 * backends.
 *
 * Lock order: r->lock is the only reactor lock; it is never held while a
 * callback runs or while the reactor waits on the ring. Fields are marked
 * with who may touch them: [lock] under r->lock, [thread] the reactor thread
 * only, [const] fixed before anyone else can see the object.
 */
#ifndef SNAG_FS_REACTOR_IMPL_H
#define SNAG_FS_REACTOR_IMPL_H

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "reactor.h"

enum fs_pstate {
    FS_PS_NEW,   /* allocated, not armed */
    FS_PS_ARMED, /* in the heap */
    FS_PS_WOKEN, /* taken out of the heap; its callback runs (or ran) */
};

struct fs_parked {
    atomic_uint refs;
    fs_parked_fn fn;                 /* [const] one of fn / io_fn */
    fs_io_fn io_fn;                  /* [const] */
    void *arg;                       /* [const] */
    struct fs_io io;                 /* [const] valid when io_fn */
    enum fs_pstate state;            /* [lock] */
    bool intr_pending;               /* [lock] interrupted while NEW */
    enum fs_wake why;                /* [lock] set with WOKEN */
    uint64_t deadline, seq;          /* [lock] heap key */
    size_t heap_idx;                 /* [lock] while ARMED */
    struct fs_parked *next;          /* [lock] fire list; [thread] once taken */
    char rule_id[FS_REACTOR_ID_MAX]; /* [lock] written once by arm */
};

struct fs_heap {
    struct fs_parked **v;
    size_t n, cap;
};

struct fs_reactor {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* timer backend sleeps here; also start-up */
    struct fs_heap heap; /* [lock] ARMED entries by (deadline, seq) */
    struct fs_parked *fire_head, **fire_tail; /* [lock] WOKEN, not yet taken */
    uint64_t seq;                             /* [lock] arrival counter */
    uint64_t wait_deadline; /* [lock] what the thread sleeps until; 0 busy */
    bool kicked;            /* [lock] a wake-up is on its way */
    bool stopping;          /* [lock] */
    int start_state;        /* [lock] 0 starting, 1 running */
    unsigned flags;         /* [const] */
    bool use_uring;         /* [const] once start returned */
    int efd;                /* [const] eventfd the uring backend reads */
    pthread_t thread;       /* [const] */
    atomic_size_t parked;   /* armed, callback not yet returned */
    /* uring backend, [thread] */
    struct io_uring ring;
    uint64_t efd_buf;
    size_t inflight; /* io SQEs submitted, CQE not yet seen */
};

/* Monotonic clock in ns. */
uint64_t fs_reactor_now(void);

/* Heap of armed entries (reactor_heap.c); all under r->lock. */
int fs_heap_push(struct fs_heap *h, struct fs_parked *p);
struct fs_parked *fs_heap_pop(struct fs_heap *h);
void fs_heap_remove(struct fs_heap *h, struct fs_parked *p);
void fs_heap_heapify(struct fs_heap *h);
static inline struct fs_parked *fs_heap_min(const struct fs_heap *h)
{
    return h->n ? h->v[0] : NULL;
}
void fs_heap_free(struct fs_heap *h);

/* Core (reactor.c). fs_reactor_collect_locked() moves due entries (expired,
 * or all of them when stopping) to the fire list and detaches the list. */
struct fs_parked *fs_reactor_collect_locked(struct fs_reactor *r, uint64_t now);
/* Run p's callback (no lock held) and drop the reactor's reference. res is
 * used for io entries only. */
void fs_reactor_finish(struct fs_reactor *r, struct fs_parked *p, ssize_t res);
/* Perform p's io synchronously: the timer backend, or a ring without SQEs. */
ssize_t fs_reactor_do_io_sync(const struct fs_io *io);

/* Backends. */
int fs_uring_init(struct fs_reactor *r); /* on the reactor thread; -errno */
void fs_uring_run(struct fs_reactor *r);
void fs_uring_kick_locked(struct fs_reactor *r);
void fs_timer_run(struct fs_reactor *r);

#endif
