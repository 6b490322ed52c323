/* fs/session.c — one mount: check, open SOURCE, mount, serve, tear down.
 *
 * Invariants:
 *  - Nothing is mounted until every check has passed; any failure after the
 *    mount unmounts before returning (no half-mounted state).
 *  - default_permissions only with allow_other or when the user asked for
 *    it: then the kernel checks permissions against the attributes SOURCE
 *    reports (other users must not get the daemon's rights). Otherwise the
 *    kernel sends FUSE_ACCESS (so access rules can fire) and the backing
 *    filesystem judges each operation as it would for the mounting user.
 *  - The daemon never stats its own mountpoint: the fusectl connection
 *    number comes from /proc/self/mountinfo.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devio.h"
#include "inject_seam.h"
#include "paths.h"
#include "workers.h"

/* Forgotten inodes kept resolvable by default (--handle-cache): about
 * 7 MiB at ~110 bytes each, whatever the size of the tree. */
#define FS_GHOST_MAX (64u * 1024u)

/* Every live node holds an O_PATH fd, so the daemon needs as many fds as
 * the kernel keeps inodes. Root may raise the hard limit to fs.nr_open. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (geteuid() == 0) {
        FILE *f = fopen("/proc/sys/fs/nr_open", "re");
        unsigned long nr = 0;
        if (f) {
            if (fscanf(f, "%lu", &nr) != 1)
                nr = 0;
            fclose(f);
        }
        if (nr > rl.rlim_max) {
            struct rlimit big = {.rlim_cur = nr, .rlim_max = nr};
            if (setrlimit(RLIMIT_NOFILE, &big) == 0)
                return;
        }
    }
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* How many node fds to keep open: 3/4 of the fd limit, the rest being for
 * open files, directory streams and libfuse. SNAGFS_FD_BUDGET overrides it
 * (tests use a tiny budget to exercise eviction). */
static size_t fd_budget(void)
{
    const char *env = getenv("SNAGFS_FD_BUDGET");
    if (env && *env)
        return (size_t)strtoull(env, NULL, 10);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    size_t b = (size_t)rl.rlim_cur / 4 * 3;
    return b < 64 ? 64 : b;
}

/* The minor device number of the fuse mount at mnt, from mountinfo. */
static unsigned find_conn(const char *mnt)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return 0;
    char line[4096];
    unsigned conn = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned maj, min;
        char point[2048], *dash;
        if (sscanf(line, "%*u %*u %u:%u %*s %2047s", &maj, &min, point) != 3)
            continue;
        dash = strstr(line, " - ");
        if (!dash || strncmp(dash + 3, "fuse", 4) != 0)
            continue;
        if (strcmp(point, mnt) == 0) /* mnt has no spaces to escape here */
            conn = min;
    }
    fclose(f);
    return conn;
}

static int build_args(struct fuse_args *args, const struct fs_options *o,
                      const char *source_real)
{
    char *opts = NULL;
    if (fuse_opt_add_arg(args, "snagfs") < 0 ||
        fuse_opt_add_opt(&opts, "subtype=snagfs") < 0)
        goto out_nomem;
    if ((o->allow_other || o->default_permissions) &&
        fuse_opt_add_opt(&opts, "default_permissions") < 0)
        goto out_nomem;
    /* fsname shows SOURCE in the mount table; escaped for commas. */
    char *fsname = malloc(strlen(source_real) + 8);
    if (!fsname)
        goto out_nomem;
    sprintf(fsname, "fsname=%s", source_real);
    int rc = fuse_opt_add_opt_escaped(&opts, fsname);
    free(fsname);
    if (rc < 0)
        goto out_nomem;
    if (o->fuse_opts && fuse_opt_add_opt(&opts, o->fuse_opts) < 0)
        goto out_nomem;
    if (fuse_opt_add_arg(args, "-o") < 0 || fuse_opt_add_arg(args, opts) < 0)
        goto out_nomem;
    if (o->debug && fuse_opt_add_arg(args, "-d") < 0)
        goto out_nomem;
    free(opts);
    return 0;
out_nomem:
    free(opts);
    return -ENOMEM;
}

int fs_mount_setup(struct fs_mount *m, const struct fs_options *o,
                   const char *mountpoint, struct inj_engine *engine,
                   bool signals)
{
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    char err[1024];
    char *source_real = NULL;
    int rc;

    memset(m, 0, sizeof(*m));
    rc = fs_check_paths(o->source, mountpoint, &source_real, &m->mountpoint,
                        err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "snagfs: %s\n", err);
        return rc;
    }
    raise_nofile();

    struct fs_ctx *fs = &m->fs;
    fs->opt = o;
    fs->source = source_real;
    fs->source_len = strlen(source_real);
    fs->timeout = o->cache == FS_CACHE_STRICT ? 0.0
                  : o->has_timeout            ? (double)o->timeout_ns / 1e9
                                              : 1.0;
    fs->direct_io = o->cache == FS_CACHE_STRICT;
    fs->keep_cache = o->cache != FS_CACHE_STRICT;
    fs->noatime = o->noatime;
    fs->switch_ids = geteuid() == 0;
    fs->splice_max = fs_splice_limit();
    fs_seam_set_engine(fs, engine);

    int root_fd = open(source_real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        rc = -errno;
        fprintf(stderr, "snagfs: SOURCE '%s': %s\n", o->source,
                strerror(errno));
        goto out_free;
    }
    rc = fs_itable_init(&fs->itable, root_fd,
                        o->has_handle_cache ? (size_t)o->handle_cache
                                            : FS_GHOST_MAX);
    if (rc < 0) {
        close(root_fd);
        fprintf(stderr, "snagfs: inode table: %s\n", strerror(-rc));
        goto out_free;
    }
    fs_itable_set_fd_budget(&fs->itable, fd_budget());
    rc = build_args(&args, o, source_real);
    if (rc < 0)
        goto out_itable;
    m->se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), fs);
    fuse_opt_free_args(&args);
    if (!m->se) {
        rc = -EINVAL; /* libfuse printed why (e.g. an unknown -o option) */
        goto out_itable;
    }
    if (signals) {
        if (fuse_set_signal_handlers(m->se) < 0) {
            rc = -EIO;
            goto out_session;
        }
        m->signals = true;
        /* SIGHUP reloads the rules (services.c installs that handler once
         * the control server runs). libfuse's would end the session: a
         * SIGHUP arriving between the mount and that point took the mount
         * down (seen under load in integration.lifecycle). */
        signal(SIGHUP, SIG_IGN);
    }
    if (fuse_session_mount(m->se, m->mountpoint) < 0) {
        fprintf(stderr, "snagfs: cannot mount on '%s'\n", mountpoint);
        rc = -EIO;
        goto out_signals;
    }
    m->mounted = true;
    m->conn = find_conn(m->mountpoint);
    rc = fs_devio_install(fs, m->se);
    if (rc < 0) {
        fprintf(stderr, "snagfs: cannot hook /dev/fuse I/O: %s\n",
                strerror(-rc));
        goto out_unmount;
    }
    return 0;

out_unmount:
    fuse_session_unmount(m->se);
    m->mounted = false;

out_signals:
    if (m->signals)
        fuse_remove_signal_handlers(m->se);
    m->signals = false;
out_session:
    fuse_session_destroy(m->se);
    m->se = NULL;
out_itable:
    fs_itable_destroy(&fs->itable, NULL);
out_free:
    free(source_real);
    fs->source = NULL;
    free(m->mountpoint);
    m->mountpoint = NULL;
    return rc;
}

int fs_mount_loop(struct fs_mount *m)
{
    const struct fs_options *o = m->fs.opt;
    int rc;
    fs_creds_thread_setup();
    if (o->single_thread) {
        rc = fuse_session_loop(m->se);
    } else if (!o->clone_fd && !o->max_idle_threads) {
        rc = fs_workers_run(m->se, o->max_threads);
    } else {
        /* Per-worker channels and retiring idle threads are libfuse's
         * loop's (workers.c says why ours is the default). */
        struct fuse_loop_config *cfg = fuse_loop_cfg_create();
        if (!cfg)
            return -1;
        fuse_loop_cfg_set_clone_fd(cfg, o->clone_fd);
        if (o->max_threads)
            fuse_loop_cfg_set_max_threads(cfg, o->max_threads);
        if (o->max_idle_threads)
            fuse_loop_cfg_set_idle_threads(cfg, o->max_idle_threads);
        rc = fuse_session_loop_mt(m->se, cfg);
        fuse_loop_cfg_destroy(cfg);
    }
    /* libfuse 3.14 returns the signal number after SIGINT/SIGTERM/SIGHUP
     * ended the loop: a requested, clean shutdown. */
    return rc >= 0 ? 0 : -1;
}

int fs_mount_detach(struct fs_mount *m)
{
    if (!m->mounted)
        return 0;
    if (geteuid() == 0)
        return umount2(m->mountpoint, MNT_DETACH) < 0 ? -errno : 0;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        execlp("fusermount3", "fusermount3", "-u", "-z", "-q", m->mountpoint,
               (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int fs_mount_abort(struct fs_mount *m)
{
    char path[96];
    if (!m->conn)
        return -ENOENT;
    snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort", m->conn);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = write(fd, "1", 1) == 1 ? 0 : -errno;
    close(fd);
    return rc;
}

void fs_mount_teardown(struct fs_mount *m)
{
    struct fs_itable_stats left;
    if (!m->se)
        return;
    if (m->signals)
        fuse_remove_signal_handlers(m->se);
    /* Closes the device first (no recursion into ourselves), then
     * unmounts unless the connection is already gone. */
    fuse_session_unmount(m->se);
    m->mounted = false;
    fuse_session_destroy(m->se);
    m->se = NULL;
    fs_itable_destroy(&m->fs.itable, &left);
    const char *env = getenv("SNAGFS_DEBUG_INODES");
    if (m->fs.opt->debug || (env && *env && strcmp(env, "0") != 0))
        fprintf(stderr,
                "snagfs: inodes left: %zu (kernel references at unmount; "
                "forgotten handles kept: %zu)\n",
                left.live, left.ghosts);
    free(m->fs.source);
    m->fs.source = NULL;
    free(m->mountpoint);
    m->mountpoint = NULL;
}
