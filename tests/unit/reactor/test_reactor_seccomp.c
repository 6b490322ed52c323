/* tests/unit/reactor/test_reactor_seccomp.c — io_uring forbidden by seccomp →
 * the timer backend, logged once.
 *
 * Each case forks a child that installs a seccomp filter making
 * io_uring_setup fail (EPERM as container runtimes' default profiles do, or
 * ENOSYS), starts two reactors without forcing anything, checks that both
 * picked the timer thread and still fire, and exits. The parent checks the
 * child's status and that stderr carries the fallback line exactly once.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reactor.h"

#if defined(__x86_64__)
#define SNAG_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SNAG_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

static int forbid_io_uring(int err)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SNAG_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return -errno;
    return 0;
}

static atomic_int g_fired;
static enum fs_wake g_why;

static void on_wake(void *arg, enum fs_wake why)
{
    g_why = why;
    atomic_fetch_add(&g_fired, 1);
}

/* In the child: 0 when everything held, else a step number. */
static int child_body(int err)
{
    struct fs_reactor *r1, *r2;
    struct timespec ts = {0, 1000000};

    if (forbid_io_uring(err) != 0)
        return 10;
    if (fs_reactor_start(0, &r1) != 0 || fs_reactor_start(0, &r2) != 0)
        return 11;
    if (strcmp(fs_reactor_backend(r1), "timer-thread") != 0 ||
        strcmp(fs_reactor_backend(r2), "timer-thread") != 0)
        return 12;
    if (fs_reactor_park(r1, 5000000, "a", on_wake, NULL, NULL) != 0 ||
        fs_reactor_park(r2, FS_PARK_FOREVER, "b", on_wake, NULL, NULL) != 0)
        return 13;
    for (int i = 0; i < 5000 && atomic_load(&g_fired) < 1; i++)
        nanosleep(&ts, NULL);
    if (atomic_load(&g_fired) != 1 || g_why != FS_WAKE_TIMER)
        return 14;
    if (fs_reactor_release(r2, "b") != 1)
        return 15;
    fs_reactor_stop(r1);
    fs_reactor_stop(r2);
    if (atomic_load(&g_fired) != 2 || g_why != FS_WAKE_RELEASED)
        return 16;
    return 0;
}

static void run_case(int err, const char *want)
{
    int pfd[2], status;
    char out[4096];
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    assert_int_equal(pipe(pfd), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        _exit(child_body(err));
    }
    close(pfd[1]);
    while ((n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(pfd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        print_message("child status %#x, stderr: %s\n", status, out);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    const char *hit = strstr(out, want);
    assert_non_null(hit);
    assert_null(strstr(hit + strlen(want), "io_uring unavailable")); /* once */
}

static void test_seccomp_eperm(void **state)
{
    run_case(EPERM, "snagfs: io_uring unavailable (Operation not permitted); "
                    "using timer thread\n");
}

static void test_seccomp_enosys(void **state)
{
    run_case(ENOSYS, "snagfs: io_uring unavailable (Function not implemented); "
                     "using timer thread\n");
}

/* Without the filter (and without the flag) the ring is used, silently. */
static void test_no_filter_uses_uring(void **state)
{
    struct fs_reactor *r;

    assert_int_equal(fs_reactor_start(0, &r), 0);
    assert_string_equal(fs_reactor_backend(r), "io_uring");
    fs_reactor_stop(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seccomp_eperm),
        cmocka_unit_test(test_seccomp_enosys),
        cmocka_unit_test(test_no_filter_uses_uring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
