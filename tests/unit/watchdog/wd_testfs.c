/* tests/unit/watchdog/wd_testfs.c — a tiny FUSE daemon that deadlocks on its
 * own mount on demand.
 *
 * Test helper for the watchdog's end-to-end cases (e2e.sh), built on the
 * shape of libfuse's hello_ll.c. It wires fs/watchdog exactly as
 * docs/watchdog.md tells fs/ to: a slot per request, lazy worker
 * registration, the self-origin check, a rescue hook on the session.
 *
 * Tree: / (1), file (2, in memory), trigger (3), slow (4), slowraw (5).
 *   OP trigger      (OP = --trigger lookup|open|write, default write) does
 *                   --selfio on our own mount from inside the handler:
 *                   stat  → stat(MNT/.snag-selfio-N) (never exists: no
 *                           negative dentry can absorb it)
 *                   write → write --selfio-mib MiB to MNT/file through an fd
 *                           opened at start-up (the writeback variant)
 *                   writesame → open MNT/trigger and write to it (the file
 *                           the client is writing)
 *                   fsync → write 256 KiB to MNT/file and fsync it (the
 *                           writeback-cache fsync variant)
 *   lookup slow     sleeps --delay-ms on the worker after extending its
 *                   deadline by that much (an injected delay: no alarm)
 *   lookup slowraw  sleeps --delay-ms without telling the watchdog (a stall)
 * All timeouts are 0 so every access reaches the daemon.
 */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watchdog.h"

enum { INO_ROOT = 1, INO_FILE, INO_TRIGGER, INO_SLOW, INO_SLOWRAW, INO_MAX };
static const char *names[INO_MAX] = {NULL,      ".",    "file",
                                     "trigger", "slow", "slowraw"};

static struct {
    char mnt[PATH_MAX];
    struct fuse_session *se;
    struct fs_inflight_table *table;
    struct fs_watchdog *wd;
    const char *selfio;
    unsigned selfio_mib;
    unsigned delay_ms;
    const char *trigger; /* the op on "trigger" that does the self-I/O */
    bool writeback;
    atomic_uint selfio_seq;
    int self_fd; /* MNT/file, opened by the opener thread */
    atomic_bool self_fd_ready;
    pthread_mutex_t mu; /* protects data/size */
    char *data;
    size_t size;
} g = {.self_fd = -1};

/* ---- the wiring recipe (docs/watchdog.md) ---- */

struct req_track {
    struct fs_inflight_slot *slot;
};

/* Returns false if the request was answered (EDEADLK) and must not run. */
static bool track_begin(fuse_req_t req, const char *op, fuse_ino_t ino,
                        struct req_track *t)
{
    fs_self_register_thread(FS_ROLE_WORKER); /* one load after the first */
    const struct fuse_ctx *cx = fuse_req_ctx(req);
    t->slot = fs_inflight_begin(g.table, 0, op, ino, cx->pid, fs_self_tid(), 0);
    if (fs_inflight_is_self(t->slot)) {
        int rc = fs_watchdog_self_origin(g.wd, t->slot);
        if (rc < 0) {
            fs_inflight_end(t->slot);
            fuse_reply_err(req, -rc);
            return false;
        }
    }
    return true;
}

static void track_end(struct req_track *t)
{
    fs_inflight_end(t->slot);
}

/* ---- handlers ---- */

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_ino = ino;
    if (ino == INO_ROOT) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return;
    }
    st->st_mode = S_IFREG | 0666;
    st->st_nlink = 1;
    if (ino == INO_FILE) {
        pthread_mutex_lock(&g.mu);
        st->st_size = (off_t)g.size;
        pthread_mutex_unlock(&g.mu);
    }
}

/* With the writeback cache the kernel owns "file"'s size: let it keep the
 * attributes, so a write is not preceded by a GETATTR (which would deadlock
 * earlier and hide the balance_dirty_pages form). */
static double attr_timeout(fuse_ino_t ino)
{
    return g.writeback && ino == INO_FILE ? 3600.0 : 0.0;
}

static void do_selfio(void)
{
    unsigned n = atomic_fetch_add(&g.selfio_seq, 1);
    int err = 0;
    if (strcmp(g.selfio, "stat") == 0) {
        char p[PATH_MAX + 64];
        struct stat st;
        snprintf(p, sizeof(p), "%s/.snag-selfio-%u", g.mnt, n);
        err = stat(p, &st) < 0 ? errno : 0;
    } else if (strcmp(g.selfio, "writesame") == 0) {
        /* the very file the client is writing: its inode lock is held */
        char p[PATH_MAX + 64];
        snprintf(p, sizeof(p), "%s/trigger", g.mnt);
        int fd = open(p, O_WRONLY);
        if (fd < 0)
            err = errno;
        else if (write(fd, "self", 4) < 0)
            err = errno;
        if (fd >= 0)
            close(fd);
    } else if (strcmp(g.selfio, "fsync") == 0) {
        /* dirty a little (below any dirty limit), then wait for writeback
         * that only we can serve */
        static char chunk[256 << 10];
        memset(chunk, 'f', sizeof(chunk));
        if (!atomic_load(&g.self_fd_ready))
            err = EBADF;
        else if (write(g.self_fd, chunk, sizeof(chunk)) < 0 ||
                 fsync(g.self_fd) < 0)
            err = errno;
    } else if (strcmp(g.selfio, "write") == 0) {
        static char chunk[1 << 20];
        if (!atomic_load(&g.self_fd_ready)) {
            fprintf(stderr, "wd_testfs: selfio write: no self fd yet\n");
            return;
        }
        memset(chunk, 'w', sizeof(chunk));
        for (unsigned i = 0; i < g.selfio_mib && !err; i++)
            if (write(g.self_fd, chunk, sizeof(chunk)) < 0)
                err = errno;
    }
    fprintf(stderr, "wd_testfs: selfio %s -> %s\n", g.selfio,
            err ? strerrorname_np(err) : "ok");
}

static void tfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct req_track t;
    if (!track_begin(req, "lookup", parent, &t))
        return;
    fuse_ino_t ino = 0;
    for (int i = INO_FILE; i < INO_MAX; i++)
        if (parent == INO_ROOT && strcmp(name, names[i]) == 0)
            ino = (fuse_ino_t)i;
    if (!ino) {
        track_end(&t);
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (ino == INO_TRIGGER && g.selfio && strcmp(g.trigger, "lookup") == 0)
        do_selfio();
    if (ino == INO_SLOW) {
        fs_inflight_extend(t.slot, (uint64_t)g.delay_ms * 1000000u);
        usleep(g.delay_ms * 1000u);
    }
    if (ino == INO_SLOWRAW)
        usleep(g.delay_ms * 1000u);
    struct fuse_entry_param e = {.ino = ino, .attr_timeout = attr_timeout(ino)};
    fill_attr(ino, &e.attr);
    track_end(&t);
    fuse_reply_entry(req, &e);
}

static void tfs_getattr(fuse_req_t req, fuse_ino_t ino,
                        struct fuse_file_info *fi)
{
    struct req_track t;
    if (!track_begin(req, "getattr", ino, &t))
        return;
    struct stat st;
    fill_attr(ino, &st);
    track_end(&t);
    fuse_reply_attr(req, &st, attr_timeout(ino));
}

static void tfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
                        int to_set, struct fuse_file_info *fi)
{
    struct req_track t;
    if (!track_begin(req, "setattr", ino, &t))
        return;
    if ((to_set & FUSE_SET_ATTR_SIZE) && ino == INO_FILE) {
        pthread_mutex_lock(&g.mu);
        if ((size_t)attr->st_size < g.size)
            g.size = (size_t)attr->st_size;
        pthread_mutex_unlock(&g.mu);
    }
    struct stat st;
    fill_attr(ino, &st);
    track_end(&t);
    fuse_reply_attr(req, &st, attr_timeout(ino));
}

static void tfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct req_track t;
    if (!track_begin(req, "open", ino, &t))
        return;
    if (ino == INO_TRIGGER && g.selfio && strcmp(g.trigger, "open") == 0)
        do_selfio();
    track_end(&t);
    if (ino == INO_ROOT)
        fuse_reply_err(req, EISDIR);
    else
        fuse_reply_open(req, fi);
}

static void tfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
                      size_t size, off_t off, struct fuse_file_info *fi)
{
    struct req_track t;
    if (!track_begin(req, "write", ino, &t))
        return;
    if (ino == INO_TRIGGER && g.selfio && strcmp(g.trigger, "write") == 0)
        do_selfio();
    if (ino == INO_FILE) {
        /* keep only the last 1 MiB window: content is irrelevant here */
        pthread_mutex_lock(&g.mu);
        if ((size_t)off + size > g.size)
            g.size = (size_t)off + size;
        pthread_mutex_unlock(&g.mu);
    }
    track_end(&t);
    fuse_reply_write(req, size);
}

static void tfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    struct req_track t;
    if (!track_begin(req, "read", ino, &t))
        return;
    track_end(&t);
    fuse_reply_buf(req, NULL, 0);
}

static void tfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
                      struct fuse_file_info *fi)
{
    struct req_track t;
    if (!track_begin(req, "fsync", ino, &t))
        return;
    track_end(&t);
    fuse_reply_err(req, 0);
}

static void tfs_init(void *userdata, struct fuse_conn_info *conn)
{
    /* No parallel dirops: libfuse 3.14 never sends FUSE_PARALLEL_DIROPS in
     * its INIT reply, whatever conn->want says. Lookups in one directory
     * serialise on the kernel's per-directory mutex, so a self-lookup in
     * the directory being served hangs before it reaches us (the
     * e2e_mt_dirlock_abort case). */
    if (g.writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
        conn->want |= FUSE_CAP_WRITEBACK_CACHE;
}

static const struct fuse_lowlevel_ops tfs_ops = {
    .init = tfs_init,
    .lookup = tfs_lookup,
    .getattr = tfs_getattr,
    .setattr = tfs_setattr,
    .open = tfs_open,
    .read = tfs_read,
    .write = tfs_write,
    .fsync = tfs_fsync,
};

/* ---- rescue hook: the recipe for fs/ ---- */

static __thread struct fuse_buf rescue_buf; /* the rescue thread's own */

static void tfs_rescue_exit(void *arg)
{
    free(rescue_buf.mem);
    rescue_buf.mem = NULL;
}

static int tfs_rescue_one(void *arg, int timeout_ms)
{
    struct fuse_session *se = arg;
    struct fuse_buf *buf = &rescue_buf;
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
    int res = fuse_session_receive_buf(se, buf);
    if (res == -EINTR || res == -EAGAIN)
        return 0;
    if (res <= 0)
        return res < 0 ? res : -ENODEV;
    fuse_session_process_buf(se, buf);
    return 1;
}

static void log_sink(void *arg, const struct fs_watchdog_report *r)
{
    fputs(r->text, stderr);
    fflush(stderr);
}

/* Opens MNT/file from a thread that is not registered as ours (it stands
 * for "some earlier request"), and warms the page cache up, so that the
 * trigger's self-write has an fd without a lookup. */
static void *opener(void *arg)
{
    g.self_fd = open(g.mnt, O_RDONLY | O_DIRECTORY); /* root: no lookup */
    int dfd = g.self_fd;
    g.self_fd = openat(dfd, "file", O_WRONLY);
    close(dfd);
    if (g.self_fd >= 0) {
        static char chunk[1 << 16];
        memset(chunk, 'x', sizeof(chunk));
        if (write(g.self_fd, chunk, sizeof(chunk)) < 0)
            perror("wd_testfs: warm-up write");
        fsync(g.self_fd);
    }
    fprintf(stderr, "wd_testfs: self fd %s\n",
            g.self_fd >= 0 ? "ready" : "failed");
    atomic_store(&g.self_fd_ready, true);
    return NULL;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: wd_testfs [-s] [--action A] [--threshold-ms N] "
            "[--hard-ms N] [--selfio stat|write|writesame|fsync] "
            "[--selfio-mib N] "
            "[--trigger lookup|open|write] [--delay-ms N] [--writeback] "
            "MOUNTPOINT\n");
}

int main(int argc, char **argv)
{
    bool single = false;
    unsigned actions = FS_WD_DEFAULT_ACTIONS;
    unsigned threshold_ms = 5000, hard_ms = 0;
    g.selfio_mib = 8;
    g.delay_ms = 1000;
    g.trigger = "write";
    static const struct option opts[] = {
        {"action", required_argument, NULL, 'a'},
        {"threshold-ms", required_argument, NULL, 't'},
        {"hard-ms", required_argument, NULL, 'H'},
        {"selfio", required_argument, NULL, 'i'},
        {"selfio-mib", required_argument, NULL, 'm'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"writeback", no_argument, NULL, 'w'},
        {"trigger", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "s", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            single = true;
            break;
        case 'a':
            if (fs_watchdog_action_parse(optarg, &actions) < 0) {
                fprintf(stderr, "wd_testfs: bad action %s\n", optarg);
                return 2;
            }
            break;
        case 't':
            threshold_ms = (unsigned)atoi(optarg);
            break;
        case 'H':
            hard_ms = (unsigned)atoi(optarg);
            break;
        case 'i':
            g.selfio = optarg;
            break;
        case 'm':
            g.selfio_mib = (unsigned)atoi(optarg);
            break;
        case 'd':
            g.delay_ms = (unsigned)atoi(optarg);
            break;
        case 'w':
            g.writeback = true;
            break;
        case 'T':
            g.trigger = optarg;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage();
        return 2;
    }
    /* Resolve before mounting: afterwards it would be a request to us. */
    if (!realpath(argv[optind], g.mnt)) {
        perror("wd_testfs: mountpoint");
        return 1;
    }
    pthread_mutex_init(&g.mu, NULL);
    g.table = fs_inflight_table_new(0);

    char *fargv[] = {argv[0], NULL};
    struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
    g.se = fuse_session_new(&args, &tfs_ops, sizeof(tfs_ops), NULL);
    if (!g.se)
        return 1;
    int rc = 1;
    if (fuse_set_signal_handlers(g.se) != 0)
        goto out_destroy;
    if (fuse_session_mount(g.se, g.mnt) != 0)
        goto out_signals;

    struct fs_watchdog_config cfg = {
        .table = g.table,
        .threshold_ns = (uint64_t)threshold_ms * 1000000u,
        .hard_deadline_ns = (uint64_t)hard_ms * 1000000u,
        .actions = actions,
        .mountpoint = g.mnt,
        .sink = log_sink,
        .rescue = tfs_rescue_one,
        .rescue_arg = g.se,
        .rescue_exit = tfs_rescue_exit,
    };
    int err = fs_watchdog_start(&cfg, &g.wd);
    if (err < 0) {
        fprintf(stderr, "wd_testfs: watchdog: %s\n", strerror(-err));
        goto out_unmount;
    }
    unsigned conn = 0;
    if (fs_watchdog_conn(g.wd, &conn))
        fprintf(stderr, "wd_testfs: mounted %s conn=%u %s\n", g.mnt, conn,
                single ? "single" : "multi");
    pthread_t op;
    if (g.selfio &&
        (strcmp(g.selfio, "write") == 0 || strcmp(g.selfio, "fsync") == 0)) {
        pthread_create(&op, NULL, opener, NULL);
        pthread_detach(op);
    }

    if (single) {
        fs_self_register_thread(FS_ROLE_WORKER);
        rc = fuse_session_loop(g.se);
    } else {
        fs_self_register_thread(FS_ROLE_MAIN);
        struct fuse_loop_config *lc = fuse_loop_cfg_create();
        fuse_loop_cfg_set_max_threads(lc, 10);
        fuse_loop_cfg_set_idle_threads(lc, 10);
        rc = fuse_session_loop_mt(g.se, lc);
        fuse_loop_cfg_destroy(lc);
    }
out_unmount:
    /* Watchdog first: no rescue thread may still be dispatching when the
     * session fd goes away. */
    if (g.wd) {
        struct fs_watchdog_stats st;
        fs_watchdog_get_stats(g.wd, &st); /* the loop is over: final */
        fs_watchdog_stop(g.wd);
        fprintf(stderr,
                "wd_testfs: stats self_origin=%llu self_failed=%llu "
                "stalls=%llu aborts=%llu rescues=%llu rescued=%llu\n",
                (unsigned long long)st.self_origin,
                (unsigned long long)st.self_failed,
                (unsigned long long)st.stalls, (unsigned long long)st.aborts,
                (unsigned long long)st.rescues, (unsigned long long)st.rescued);
    }
    fuse_session_unmount(g.se);
out_signals:
    fuse_remove_signal_handlers(g.se);
out_destroy:
    fuse_session_destroy(g.se);
    fuse_opt_free_args(&args);
    fs_inflight_table_free(g.table);
    return rc ? 1 : 0;
}
