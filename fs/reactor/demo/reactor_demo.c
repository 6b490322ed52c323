/* fs/reactor/demo/reactor_demo.c — a tiny low-level FUSE fs showing the reactor
 * wiring fs/ handlers need.
 *
 * Not part of snagfs: a working reference for the recipe in docs/reactor.md
 * and a rig for measuring it before fs/ is wired. Files (1 MiB each, opened
 * direct_io so every read reaches the daemon and is interruptible):
 *   fast       answered at once
 *   delay      parked for --delay-ms (default 100), then pread in the callback
 *   delayring  parked the same, pread through the ring (fs_reactor_park_io)
 *   hang       parked until released, interrupted or unmounted
 *   release    opening it releases every hang (rule id "hang")
 *   hangcached like hang, but opened without direct_io: the read goes
 *              through the page cache (readahead), which the kernel does
 *              not interrupt for a non-fatal signal
 * Options: the usual libfuse ones (-f -s -d, -o ...), --timer forces the
 * timer backend, --delay-ms=N. On exit, parked reads are answered EIO.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reactor.h"

#define FILE_SIZE (1u << 20)

enum {
    INO_ROOT = 1,
    INO_FAST,
    INO_DELAY,
    INO_DELAYRING,
    INO_HANG,
    INO_RELEASE,
    INO_HANGCACHED,
    INO_END
};
static const char *const names[INO_END] = {
    [INO_FAST] = "fast",           [INO_DELAY] = "delay",
    [INO_DELAYRING] = "delayring", [INO_HANG] = "hang",
    [INO_RELEASE] = "release",     [INO_HANGCACHED] = "hangcached",
};

static struct fs_reactor *g_r;
static int g_backing = -1;
static struct {
    int timer;
    unsigned delay_ms;
} g_conf = {0, 100};

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_ino = ino;
    if (ino == INO_ROOT) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        st->st_size = ino == INO_RELEASE ? 0 : FILE_SIZE;
    }
}

static void demo_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fuse_entry_param e = {0};

    for (fuse_ino_t ino = INO_FAST; parent == INO_ROOT && ino < INO_END;
         ino++) {
        if (strcmp(name, names[ino]) == 0) {
            e.ino = ino;
            e.attr_timeout = e.entry_timeout = 1.0;
            fill_attr(ino, &e.attr);
            fuse_reply_entry(req, &e);
            return;
        }
    }
    fuse_reply_err(req, ENOENT);
}

static void demo_getattr(fuse_req_t req, fuse_ino_t ino,
                         struct fuse_file_info *fi)
{
    struct stat st;

    if (ino >= INO_END) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    fill_attr(ino, &st);
    fuse_reply_attr(req, &st, 1.0);
}

static void demo_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    if (ino == INO_RELEASE)
        fprintf(stderr, "reactor_demo: released %u hung reads\n",
                fs_reactor_release(g_r, "hang"));
    /* direct_io: every read reaches us, synchronously, so interruptible */
    fi->direct_io = ino != INO_HANGCACHED;
    fuse_reply_open(req, fi);
}

/* ---- the wiring recipe (docs/reactor.md) ---- */

struct pending {
    fuse_req_t req;
    struct fs_parked *p; /* our reference, dropped in the callback */
    size_t size;
    off_t off;
    char *buf; /* ring reads: the destination, ours until the callback */
};

/* libfuse calls this (with the request's lock held) when the kernel sends
 * FUSE_INTERRUPT, possibly from inside fuse_req_interrupt_func(). */
static void on_interrupt(fuse_req_t req, void *data)
{
    fs_reactor_interrupt(g_r, data);
}

/* First thing in every callback: unregister, which waits out an
 * on_interrupt() running on a libfuse thread; only then drop the handle. */
static void pending_detach(struct pending *pd)
{
    fuse_req_interrupt_func(pd->req, NULL, NULL);
    fs_parked_put(pd->p);
}

static void reply_read(struct pending *pd, enum fs_wake why)
{
    char *buf;
    ssize_t n;

    switch (why) {
    case FS_WAKE_TIMER:
    case FS_WAKE_RELEASED:
        buf = malloc(pd->size);
        n = buf ? pread(g_backing, buf, pd->size, pd->off) : -1;
        if (n < 0)
            fuse_reply_err(pd->req, buf ? errno : ENOMEM);
        else
            fuse_reply_buf(pd->req, buf, (size_t)n);
        free(buf);
        break;
    case FS_WAKE_INTERRUPTED:
        /* REACTOR_DEMO_INTR_ERRNO: experiment with other answers */
        if (getenv("REACTOR_DEMO_INTR_ERRNO")) {
            int e = atoi(getenv("REACTOR_DEMO_INTR_ERRNO"));
            int rc = fuse_reply_err(pd->req, e);
            fprintf(stderr, "reactor_demo: interrupt answered %d: %s\n", e,
                    rc ? strerror(-rc) : "accepted");
            break;
        }
        fuse_reply_err(pd->req, EINTR);
        break;
    case FS_WAKE_SHUTDOWN:
        fuse_reply_err(pd->req, EIO);
        break;
    }
}

static void on_wake(void *arg, enum fs_wake why)
{
    struct pending *pd = arg;

    pending_detach(pd);
    reply_read(pd, why);
    free(pd);
}

static void on_ring_read(void *arg, enum fs_wake why, ssize_t res)
{
    struct pending *pd = arg;

    pending_detach(pd);
    if (why == FS_WAKE_INTERRUPTED)
        fuse_reply_err(pd->req, EINTR);
    else if (why == FS_WAKE_SHUTDOWN)
        fuse_reply_err(pd->req, EIO);
    else if (res < 0)
        fuse_reply_err(pd->req, (int)-res);
    else
        fuse_reply_buf(pd->req, pd->buf, (size_t)res);
    free(pd->buf);
    free(pd);
}

static void park_read(fuse_req_t req, size_t size, off_t off, uint64_t delay_ns,
                      const char *rule_id, bool ring)
{
    struct pending *pd = calloc(1, sizeof(*pd));
    int err = -ENOMEM;

    if (!pd)
        goto out_reply;
    pd->req = req;
    pd->size = size;
    pd->off = off;
    if (ring) {
        struct fs_io io = {FS_IO_PREAD, g_backing, NULL, size, off};
        pd->buf = io.buf = malloc(size ? size : 1);
        if (pd->buf)
            err = fs_parked_new_io(g_r, &io, on_ring_read, pd, &pd->p);
    } else {
        err = fs_parked_new(g_r, on_wake, pd, &pd->p);
    }
    if (err)
        goto out_free;
    /* Publish the handle before arming: the callback may run (and the
     * request be answered) the moment fs_reactor_arm() returns. */
    fuse_req_interrupt_func(req, on_interrupt, pd->p);
    err = fs_reactor_arm(g_r, pd->p, delay_ns, rule_id);
    if (err == 0)
        return; /* pd belongs to the callback now */
    fuse_req_interrupt_func(req, NULL, NULL);
    fs_parked_put(pd->p);
out_free:
    if (pd)
        free(pd->buf);
    free(pd);
out_reply:
    fuse_reply_err(req, err == -ESHUTDOWN ? EIO : -err);
}

static void demo_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                      struct fuse_file_info *fi)
{
    uint64_t delay = (uint64_t)g_conf.delay_ms * 1000000u;

    switch (ino) {
    case INO_DELAY:
        park_read(req, size, off, delay, "delay", false);
        return;
    case INO_DELAYRING:
        park_read(req, size, off, delay, "delay", true);
        return;
    case INO_HANG:
    case INO_HANGCACHED:
        park_read(req, size, off, FS_PARK_FOREVER, "hang", false);
        return;
    default: {
        struct pending pd = {req, NULL, size, off, NULL};
        reply_read(&pd, FS_WAKE_TIMER);
        return;
    }
    }
}

static const struct fuse_lowlevel_ops demo_ops = {
    .lookup = demo_lookup,
    .getattr = demo_getattr,
    .open = demo_open,
    .read = demo_read,
};

static const struct fuse_opt demo_opts[] = {
    {"--timer", offsetof(typeof(g_conf), timer), 1},
    {"--delay-ms=%u", offsetof(typeof(g_conf), delay_ms), 0},
    FUSE_OPT_END,
};

int main(int argc, char **argv)
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts opts;
    struct fuse_session *se;
    int ret = 1;

    if (fuse_opt_parse(&args, &g_conf, demo_opts, NULL) != 0 ||
        fuse_parse_cmdline(&args, &opts) != 0 || !opts.mountpoint) {
        fprintf(stderr, "usage: reactor_demo [-f] [-s] [--timer] "
                        "[--delay-ms=N] MOUNTPOINT\n");
        return 1;
    }
    g_backing = memfd_create("reactor_demo", MFD_CLOEXEC);
    if (g_backing < 0 || ftruncate(g_backing, FILE_SIZE) != 0)
        return 1;
    for (unsigned i = 0; i < FILE_SIZE; i += 4096) {
        char page[4096];
        for (unsigned j = 0; j < sizeof(page); j++)
            page[j] = (char)('a' + (i + j) % 26);
        if (pwrite(g_backing, page, sizeof(page), i) != sizeof(page))
            return 1;
    }
    if (fs_reactor_start(g_conf.timer ? FS_REACTOR_NO_URING : 0, &g_r) != 0)
        return 1;
    fprintf(stderr, "reactor_demo: backend %s, delay %u ms, %s\n",
            fs_reactor_backend(g_r), g_conf.delay_ms,
            opts.singlethread ? "single-threaded" : "multi-threaded");

    se = fuse_session_new(&args, &demo_ops, sizeof(demo_ops), NULL);
    if (!se)
        goto out_reactor;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_session;
    if (fuse_session_mount(se, opts.mountpoint) != 0)
        goto out_signals;
    fuse_daemonize(opts.foreground);
    if (opts.singlethread) {
        ret = fuse_session_loop(se);
    } else {
        struct fuse_loop_config *cfg = fuse_loop_cfg_create();
        fuse_loop_cfg_set_clone_fd(cfg, opts.clone_fd);
        fuse_loop_cfg_set_max_threads(cfg, opts.max_threads);
        ret = fuse_session_loop_mt(se, cfg);
        fuse_loop_cfg_destroy(cfg);
    }
    /* The loop has returned (unmount, abort or signal): answer what is
     * still parked while the session can still carry replies, then go. */
    fprintf(stderr, "reactor_demo: stopping with %zu parked\n",
            fs_reactor_parked(g_r));
    fs_reactor_stop(g_r);
    g_r = NULL;
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out_reactor:
    fs_reactor_stop(g_r);
    free(opts.mountpoint);
    fuse_opt_free_args(&args);
    close(g_backing);
    return ret ? 1 : 0;
}
