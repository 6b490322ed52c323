/* fs/defer.c — delayed and hung requests: deep-copy the call, park it on the
 * reactor, and when it wakes run the same handler again.
 *
 * Invariants:
 *  - A parked call owns copies of everything libfuse lends a handler only
 *    for its duration: names, the struct stat of setattr, fuse_file_info,
 *    the xattr value and the write data (libfuse reuses or splices its
 *    buffer once the handler returns). The fuse_req_t itself stays valid
 *    until we reply.
 *  - Order (docs/reactor.md): handle, fuse_req_interrupt_func, arm. Once
 *    armed, the callback may run on the reactor thread at any moment, so
 *    nothing here touches the closure or the request after a successful arm.
 *  - The callback runs exactly once. TIMER/RELEASED resume the handler with
 *    the saved verdict minus DELAY/HANG; INTERRUPTED resumes it with
 *    error=EINTR and SHUTDOWN with error=EIO, so the handler's own error
 *    path answers (and release/releasedir still free their handle).
 *  - Resumed handlers run on the reactor thread: a slow backend call there
 *    delays other parked requests, never a FUSE worker.
 */
#include "defer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "call.h"
#include "inject_seam.h"
#include "reactor/reactor.h"
#include "watchdog/inflight.h"

struct fs_deferred {
    struct fs_call call; /* pointers below point into this struct */
    struct fs_parked *p; /* our handle, put in the callback */
    struct inj_verdict v;
    struct stat attr;
    struct fuse_file_info fi, fi2;
    struct fuse_bufvec bufv; /* write data, one memory buffer */
    char *strs[4];           /* owned copies of name, name2, value, data */
};

static void deferred_free(struct fs_deferred *d)
{
    for (size_t i = 0; i < sizeof(d->strs) / sizeof(d->strs[0]); i++)
        free(d->strs[i]);
    free(d);
}

static int dup_str(struct fs_deferred *d, unsigned i, const char **s)
{
    if (!*s)
        return 0;
    d->strs[i] = strdup(*s);
    if (!d->strs[i])
        return -ENOMEM;
    *s = d->strs[i];
    return 0;
}

/* Copy c into a heap closure that owns every borrowed argument. */
static int deferred_copy(const struct fs_call *c, const struct inj_verdict *v,
                         struct fs_deferred **out)
{
    struct fs_deferred *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->call = *c;
    d->v = *v;
    struct fs_call *k = &d->call;
    if (dup_str(d, 0, &k->name) < 0 || dup_str(d, 1, &k->name2) < 0)
        goto out_nomem;
    if (k->value) {
        d->strs[2] = malloc(k->size ? k->size : 1);
        if (!d->strs[2])
            goto out_nomem;
        memcpy(d->strs[2], k->value, k->size);
        k->value = d->strs[2];
    }
    if (k->attr) {
        d->attr = *k->attr;
        k->attr = &d->attr;
    }
    if (k->fi) {
        d->fi = *k->fi;
        k->fi = &d->fi;
    }
    if (k->fi2) {
        d->fi2 = *k->fi2;
        k->fi2 = &d->fi2;
    }
    if (k->bufv) {
        size_t n = fuse_buf_size(k->bufv);
        d->strs[3] = malloc(n ? n : 1);
        if (!d->strs[3])
            goto out_nomem;
        struct fuse_bufvec mem = FUSE_BUFVEC_INIT(n);
        mem.buf[0].mem = d->strs[3];
        ssize_t got = fuse_buf_copy(&mem, k->bufv, FUSE_BUF_NO_SPLICE);
        if (got < 0) {
            deferred_free(d);
            return (int)got;
        }
        d->bufv = (struct fuse_bufvec)FUSE_BUFVEC_INIT((size_t)got);
        d->bufv.buf[0].mem = d->strs[3];
        k->bufv = &d->bufv;
    }
    *out = d;
    return 0;

out_nomem:
    deferred_free(d);
    return -ENOMEM;
}

/* libfuse calls this (request lock held) on FUSE_INTERRUPT, possibly from
 * inside fuse_req_interrupt_func(). */
static void on_interrupt(fuse_req_t req, void *data)
{
    fs_reactor_interrupt(fs_ctx_of(req)->reactor, data);
}

/* Reactor thread, exactly once per parked call. */
static void on_wake(void *arg, enum fs_wake why)
{
    static _Thread_local bool thread_ready;
    struct fs_deferred *d = arg;
    struct inj_verdict rv = d->v;

    if (!thread_ready) {
        /* Resumed handlers switch fsuid like workers do. */
        fs_creds_thread_setup();
        fs_self_register_thread(FS_ROLE_REACTOR);
        thread_ready = true;
    }
    /* Waits out an on_interrupt() still running; only then drop the
     * handle it uses. */
    fuse_req_interrupt_func(d->call.req, NULL, NULL);
    fs_parked_put(d->p);
    if (why == FS_WAKE_INTERRUPTED || why == FS_WAKE_SHUTDOWN) {
        /* EINTR: what the kernel's interrupt asks for (docs/reactor.md:
         * SA_RESTART cannot hide it). EIO at shutdown: the filesystem is
         * going away and the operation did not happen. */
        rv.actions = INJ_ACT_ERROR;
        rv.err = why == FS_WAKE_INTERRUPTED ? EINTR : EIO;
    }
    fs_inflight_set_worker(d->call.slot, fs_self_tid());
    fs_call_resume(&d->call, &rv);
    deferred_free(d);
}

int fs_defer(fuse_req_t req, const struct inj_verdict *v)
{
    struct fs_ctx *fs = fs_ctx_of(req);
    struct fs_call *c = fs_call_current();
    struct fs_deferred *d = NULL;
    bool hang = v->actions & INJ_ACT_HANG;
    uint64_t ns =
        hang ? (v->hang_ns ? v->hang_ns : FS_PARK_FOREVER) : v->delay_ns;

    if (!c || c->req != req || !fs->reactor) {
        /* Only a handler called outside the dispatch table (a unit test)
         * gets here: answer rather than sleep on a worker. */
        fprintf(stderr, "snagfs: rule %s: cannot park the request; EIO\n",
                v->rule_id);
        return -EIO;
    }
    int err = deferred_copy(c, v, &d);
    if (err < 0)
        return err;
    err = fs_parked_new(fs->reactor, on_wake, d, &d->p);
    if (err < 0) {
        deferred_free(d);
        return err;
    }
    /* Our own latency faults are not stalls; a parked request blocks no
     * worker. */
    fs_inflight_extend(c->slot, hang ? FS_INFLIGHT_NO_DEADLINE : ns);
    fs_inflight_set_worker(c->slot, 0);
    c->deferred = true; /* the bookkeeping now belongs to d->call */
    fuse_req_interrupt_func(req, on_interrupt, d->p);
    err = fs_reactor_arm(fs->reactor, d->p, ns, v->rule_id);
    if (err == 0)
        return FS_SEAM_DEFERRED;
    fuse_req_interrupt_func(req, NULL, NULL);
    fs_parked_put(d->p);
    deferred_free(d);
    c->deferred = false;
    fs_inflight_set_worker(c->slot, fs_self_tid());
    return err == -ESHUTDOWN ? -EIO : err;
}
