/* fs/run.c — `snagfs run`: private mount, run a command, clean up.
 *
 * Invariants:
 *  - The FUSE session runs on a thread of this process; the command is a
 *    forked child. Whatever happens to the child (exit, signal), the mount
 *    is detached, the session torn down and the directory removed before
 *    this process exits.
 *  - If orphans of the command keep the detached mount busy, the loop is
 *    given FS_RUN_GRACE_S to end by itself; then the connection is aborted
 *    through fusectl, so run never hangs on a straggler.
 *  - The child gets the caller's signal dispositions, umask and securebits
 *    (only FUSE worker threads change theirs), and no snagfs fd (all are
 *    O_CLOEXEC).
 *  - SIGINT/SIGTERM/SIGHUP/SIGQUIT are forwarded to the child; a child
 *    killed by signal N makes run exit 128+N.
 */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "services.h"
#include "session.h"

#define FS_RUN_GRACE_S 5

static volatile sig_atomic_t run_child;
static volatile sig_atomic_t run_pending;

static const int run_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void forward_signal(int sig)
{
    pid_t c = run_child;
    if (c > 0)
        kill(c, sig);
    else
        run_pending = sig;
}

static void *loop_main(void *arg)
{
    struct fs_mount *m = arg;
    fs_mount_loop(m);
    return NULL;
}

/* mkdtemp in the first candidate directory that is not inside SOURCE. */
static char *make_mountpoint(const char *source)
{
    const char *cands[] = {getenv("TMPDIR"), "/tmp", "/var/tmp", "/dev/shm",
                           "/run"};
    char *src = realpath(source, NULL);
    if (!src)
        return NULL; /* fs_mount_setup reports why */
    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        if (!cands[i] || !*cands[i])
            continue;
        char *dir = realpath(cands[i], NULL);
        if (!dir)
            continue;
        bool ok = !fs_path_within(dir, src); /* dir/snagfs.X not in SOURCE */
        char tmpl[PATH_MAX];
        int n = snprintf(tmpl, sizeof(tmpl), "%s/snagfs.XXXXXX", dir);
        free(dir);
        if (!ok || n < 0 || (size_t)n >= sizeof(tmpl))
            continue;
        if (mkdtemp(tmpl)) {
            free(src);
            return strdup(tmpl);
        }
    }
    free(src);
    return NULL;
}

static void set_forwarding(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on ? forward_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(run_signals) / sizeof(run_signals[0]); i++)
        sigaction(run_signals[i], &sa, NULL);
}

static pid_t spawn(char **command, const sigset_t *mask)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    set_forwarding(false);
    sigprocmask(SIG_SETMASK, mask, NULL);
    execvp(command[0], command);
    /* Only async-signal-safe calls here: other threads may have held
     * stdio or malloc locks at fork time. */
    int e = errno;
    const char *why = strerrordesc_np(e); /* no locale, no lock */
    const char *parts[] = {"snagfs: run: cannot execute '", command[0],
                           "': ", why, "\n"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (write(STDERR_FILENO, parts[i], strlen(parts[i])) < 0)
            break;
    errno = e;
    _exit(errno == ENOENT ? 127 : 126);
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

/* Detach the mount and wait for the loop to notice; abort if it won't. */
static void stop_loop(struct fs_mount *m, pthread_t th)
{
    int rc = fs_mount_detach(m);
    if (rc < 0)
        fprintf(stderr, "snagfs: run: unmount '%s': %s\n", m->mountpoint,
                strerror(-rc));
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += FS_RUN_GRACE_S;
    if (pthread_timedjoin_np(th, NULL, &deadline) == 0)
        return;
    fprintf(stderr,
            "snagfs: run: mount still busy after %ds (processes left "
            "behind?); aborting the connection\n",
            FS_RUN_GRACE_S);
    fs_mount_abort(m);
    pthread_join(th, NULL);
}

int fs_run(const struct fs_options *o, struct fs_services *sv)
{
    struct fs_mount m;
    sigset_t all, old;
    pthread_t th;
    int status = 1;

    char *dir = make_mountpoint(o->source);
    if (!dir) {
        int e = errno;
        char *src = realpath(o->source, NULL);
        if (src) { /* else fs_mount_setup says what is wrong with SOURCE */
            free(src);
            fprintf(stderr,
                    "snagfs: run: cannot create a temporary "
                    "mountpoint: %s\n",
                    strerror(e));
            return 1;
        }
    }
    if (fs_mount_setup(&m, o, dir ? dir : "", sv->engine, false) < 0)
        goto out_rmdir;

    /* The loop thread (and the workers it spawns) must not take the
     * signals meant for the child. */
    sigemptyset(&all);
    for (size_t i = 0; i < sizeof(run_signals) / sizeof(run_signals[0]); i++)
        sigaddset(&all, run_signals[i]);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    if (fs_services_start(sv, &m, false) < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fs_mount_teardown(&m);
        goto out_rmdir;
    }
    int rc = pthread_create(&th, NULL, loop_main, &m);
    set_forwarding(true);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fprintf(stderr, "snagfs: run: cannot start the session: %s\n",
                strerror(rc));
        set_forwarding(false);
        fs_mount_teardown(&m);
        goto out_rmdir;
    }

    setenv("SNAGFS_MOUNT", m.mountpoint, 1);
    pid_t pid = spawn(o->command, &old);
    if (pid < 0) {
        fprintf(stderr, "snagfs: run: fork: %s\n", strerror(errno));
    } else {
        run_child = pid;
        if (run_pending)
            kill(pid, run_pending);
        status = wait_child(pid);
        run_child = 0;
    }
    set_forwarding(false);
    stop_loop(&m, th);
    fs_services_stop(sv);
    fs_mount_teardown(&m);

out_rmdir:
    if (dir && rmdir(dir) < 0)
        fprintf(stderr, "snagfs: run: cannot remove '%s': %s\n", dir,
                strerror(errno));
    free(dir);
    return status;
}
