/* tests/unit/watchdog/test_procfs.c — procfs, mountinfo and fusectl readers
 * against real /proc.
 *
 * Blocked subjects are made deterministically: a child blocked in read() on
 * a pipe, a thread blocked in openat() of a FIFO. We wait (bounded) until
 * procfs shows them blocked; no assertion depends on a sleep being long
 * enough.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs.h"
#include "inflight.h"

/* Wait up to 5 s until tid of pid is in state S inside syscall nr. */
static bool wait_blocked_in(pid_t pid, pid_t tid, long nr)
{
    for (int i = 0; i < 5000; i++) {
        char st = '?';
        struct fs_proc_syscall sc;
        if (fs_proc_task_state(pid, tid, &st, NULL, 0) == 0 && st == 'S' &&
            fs_proc_syscall(pid, tid, &sc) == 0 && sc.state == FS_SC_BLOCKED &&
            sc.nr == nr)
            return true;
        usleep(1000);
    }
    return false;
}

static void test_child_blocked_in_pipe_read(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t c = fork();
    if (c == 0) {
        char b;
        close(p[1]);
        (void)read(p[0], &b, 1);
        _exit(0);
    }
    close(p[0]);
    assert_true(wait_blocked_in(c, c, SYS_read));

    char st, comm[16];
    assert_int_equal(fs_proc_task_state(c, c, &st, comm, sizeof(comm)), 0);
    assert_int_equal(st, 'S');
    assert_string_equal(comm, "test_procfs");
    char wchan[FS_WCHAN_LEN];
    assert_int_equal(fs_proc_wchan(c, c, wchan, sizeof(wchan)), 0);
    assert_non_null(strstr(wchan, "pipe_read"));
    struct fs_proc_syscall sc;
    assert_int_equal(fs_proc_syscall(c, c, &sc), 0);
    assert_int_equal(sc.nr, SYS_read);
    assert_string_equal(fs_syscall_info(sc.nr).name, "read");
    /* Kernel stack: root only; when readable it shows the pipe wait. */
    char stack[4096];
    if (fs_proc_stack(c, c, stack, sizeof(stack)) == 0 && stack[0])
        assert_non_null(strstr(stack, "pipe_read"));

    close(p[1]);
    int status;
    waitpid(c, &status, 0);
    assert_int_equal(fs_proc_task_state(c, c, &st, NULL, 0), -ENOENT);
}

static void test_syscall_parse(void **state)
{
    struct fs_proc_syscall sc;
    assert_int_equal(fs_proc_syscall_parse("running\n", &sc), 0);
    assert_int_equal(sc.state, FS_SC_RUNNING);
    assert_int_equal(
        fs_proc_syscall_parse("262 0xffffff9c 0x7ffd1 0x7ffd2 0x0 0x0 0x0 "
                              "0x7ffd0 0x7f00\n",
                              &sc),
        0);
    assert_int_equal(sc.state, FS_SC_BLOCKED);
    assert_int_equal(sc.nr, 262);
    assert_int_equal(sc.args[0], 0xffffff9c);
    assert_int_equal(sc.args[2], 0x7ffd2);
    assert_int_equal(sc.pc, 0x7f00);
    assert_int_equal(fs_proc_syscall_parse("-1 0x7ffd0 0x7f00\n", &sc), 0);
    assert_int_equal(sc.state, FS_SC_USER);
    assert_int_equal(fs_proc_syscall_parse("garbage", &sc), -EPROTO);
    assert_int_equal(fs_proc_syscall_parse("1 0x1 0x2", &sc), -EPROTO);
}

static void test_list_tasks_sees_threads(void **state)
{
    pid_t t[64];
    size_t n = 0;
    assert_int_equal(fs_proc_list_tasks(0, t, 64, &n), 0);
    assert_true(n >= 1);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= t[i] == fs_self_tid();
    assert_true(found);
}

/* ---- syscall targets of our own threads ---- */

static char fifo_dir[PATH_MAX];
static char fifo_path[PATH_MAX + 16];
static _Atomic pid_t opener_tid;

static void *open_fifo(void *arg)
{
    opener_tid = fs_self_tid();
    int fd = open(fifo_path, O_RDONLY); /* blocks until a writer opens */
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void test_path_target_of_own_thread(void **state)
{
    snprintf(fifo_dir, sizeof(fifo_dir), "/tmp/wd-procfs-XXXXXX");
    assert_non_null(mkdtemp(fifo_dir));
    snprintf(fifo_path, sizeof(fifo_path), "%s/fifo", fifo_dir);
    assert_int_equal(mkfifo(fifo_path, 0600), 0);
    pthread_t th;
    opener_tid = 0;
    pthread_create(&th, NULL, open_fifo, NULL);
    while (!opener_tid)
        usleep(100);
    assert_true(wait_blocked_in(0, opener_tid, SYS_openat));

    struct fs_proc_syscall sc;
    assert_int_equal(fs_proc_syscall(0, opener_tid, &sc), 0);
    struct fs_sc_target tg;
    assert_int_equal(fs_syscall_target(&sc, fifo_dir, -1, &tg), 0);
    assert_true(tg.known);
    assert_true(tg.ours); /* the path is under "our mount" fifo_dir */
    assert_non_null(strstr(tg.desc, fifo_path));
    assert_int_equal(fs_syscall_target(&sc, "/nonexistent-mnt", -1, &tg), 0);
    assert_true(tg.known);
    assert_false(tg.ours);

    int w = open(fifo_path, O_WRONLY); /* releases the opener */
    pthread_join(th, NULL);
    close(w);
    unlink(fifo_path);
    rmdir(fifo_dir);
}

static int pipe_fds[2];
static void *read_pipe(void *arg)
{
    opener_tid = fs_self_tid();
    char b;
    (void)read(pipe_fds[0], &b, 1);
    return NULL;
}

static void test_fd_target_by_mnt_id(void **state)
{
    assert_int_equal(pipe(pipe_fds), 0);
    int pipe_mnt;
    assert_int_equal(fs_proc_fd_mnt_id(0, pipe_fds[0], &pipe_mnt), 0);
    opener_tid = 0;
    pthread_t th;
    pthread_create(&th, NULL, read_pipe, NULL);
    while (!opener_tid)
        usleep(100);
    assert_true(wait_blocked_in(0, opener_tid, SYS_read));
    struct fs_proc_syscall sc;
    assert_int_equal(fs_proc_syscall(0, opener_tid, &sc), 0);
    struct fs_sc_target tg;
    assert_int_equal(fs_syscall_target(&sc, "/x", pipe_mnt, &tg), 0);
    assert_true(tg.known && tg.ours); /* same mnt_id → "ours" */
    assert_int_equal(tg.mnt_id, pipe_mnt);
    assert_int_equal(fs_syscall_target(&sc, "/x", pipe_mnt + 1000, &tg), 0);
    assert_true(tg.known && !tg.ours);
    assert_non_null(strstr(tg.desc, "pipe:"));
    (void)write(pipe_fds[1], "x", 1);
    pthread_join(th, NULL);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/* ---- mountinfo ---- */

static void test_mountinfo_parse(void **state)
{
    char path[] = "/tmp/wd-mountinfo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 0:44 / /mnt/a\\040b rw,nosuid - fuse.snagfs snagfs rw\n"
        "41 22 0:45 / /mnt/plain rw - tmpfs tmpfs rw\n"
        "42 41 0:46 / /mnt/plain rw,nosuid master:3 - fuse /src rw\n"
        "43 22 8:2 / /mnt/blk rw - fuseblk /dev/sdb rw\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct fs_mount_id m;
    assert_int_equal(fs_mountinfo_find(path, "/mnt/a b", true, &m), 0);
    assert_int_equal(m.mnt_id, 40);
    assert_int_equal(m.major, 0);
    assert_int_equal(m.minor, 44);
    assert_string_equal(m.fstype, "fuse.snagfs");
    /* stacked: the top (last) fuse mount wins */
    assert_int_equal(fs_mountinfo_find(path, "/mnt/plain", true, &m), 0);
    assert_int_equal(m.mnt_id, 42);
    assert_int_equal(m.minor, 46);
    assert_int_equal(fs_mountinfo_find(path, "/", true, &m), -ENOENT);
    assert_int_equal(fs_mountinfo_find(path, "/", false, &m), 0);
    assert_int_equal(m.mnt_id, 22);
    assert_int_equal(fs_mountinfo_find(path, "/mnt/blk", true, &m), 0);
    assert_int_equal(m.major, 8);
    assert_int_equal(fs_mountinfo_find(path, "/mnt/a", true, &m), -ENOENT);
    unlink(path);
    /* the real one: / is mounted, and its mnt_id matches an fd's fdinfo */
    assert_int_equal(fs_mountinfo_find(NULL, "/", false, &m), 0);
    int rfd = open("/", O_RDONLY | O_DIRECTORY);
    int mnt;
    assert_int_equal(fs_proc_fd_mnt_id(0, rfd, &mnt), 0);
    assert_int_equal(mnt, m.mnt_id);
    close(rfd);
}

static void test_path_under(void **state)
{
    assert_true(fs_path_under("/mnt/x", "/mnt/x"));
    assert_true(fs_path_under("/mnt/x/a", "/mnt/x"));
    assert_true(fs_path_under("/mnt/x/a", "/mnt/x/"));
    assert_false(fs_path_under("/mnt/xy", "/mnt/x"));
    assert_false(fs_path_under("/mnt", "/mnt/x"));
    assert_true(fs_path_under("/anything", "/"));
}

/* ---- fusectl files (a fake directory; the real one is in e2e tests) ---- */

static void test_fusectl_files(void **state)
{
    char dir[] = "/tmp/wd-fusectl-XXXXXX", p[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof(p), "%s/57", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/57/waiting", dir);
    FILE *f = fopen(p, "w");
    fputs("3\n", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/57/abort", dir);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    long w = -1;
    assert_int_equal(fs_fusectl_waiting(dir, 57, &w), 0);
    assert_int_equal(w, 3);
    assert_int_equal(fs_fusectl_waiting(dir, 58, &w), -ENOENT);
    assert_int_equal(fs_fusectl_abort(dir, 57), 0);
    char b[8] = "";
    f = fopen(p, "r");
    assert_non_null(fgets(b, sizeof(b), f));
    fclose(f);
    assert_string_equal(b, "1");
    assert_int_equal(fs_fusectl_abort(dir, 58), -ENOENT);
    /* a plain directory is not fusectl: ensure would try to mount there;
     * do not, on a temp dir, just check the real one is (or can be) there */
    if (geteuid() == 0)
        assert_int_equal(fs_fusectl_ensure(NULL), 0);
    snprintf(p, sizeof(p), "rm -rf %s", dir);
    assert_int_equal(system(p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_blocked_in_pipe_read),
        cmocka_unit_test(test_syscall_parse),
        cmocka_unit_test(test_list_tasks_sees_threads),
        cmocka_unit_test(test_path_target_of_own_thread),
        cmocka_unit_test(test_fd_target_by_mnt_id),
        cmocka_unit_test(test_mountinfo_parse),
        cmocka_unit_test(test_path_under),
        cmocka_unit_test(test_fusectl_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
