/* tests/unit/ctl/test_snagctl.c — the snagctl binary against a live server:
 * output and exit status (unit.ctl.snagctl).
 *
 * Runs the real executable (path in argv[1]) so option parsing, socket
 * discovery (-S, -m, $SNAGFS_CONTROL) and the 0/1/2 exit contract are
 * tested exactly as scripts will use them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"

static const char *snagctl;
static char dir[64], sock[128];
static struct inj_engine *engine;
static struct ctl_server *srv;

/* Run snagctl with args; stdout into out; returns the exit status. */
static int run(char *out, size_t size, const char *const *args)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        const char *argv[16] = {snagctl};
        int n = 1;
        for (; args[n - 1] && n < 15; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        dup2(pfd[1], 1);
        close(pfd[0]);
        execv(snagctl, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t len = 0;
    ssize_t r;
    while ((r = read(pfd[0], out + len, size - 1 - len)) > 0)
        len += (size_t)r;
    out[len] = '\0';
    close(pfd[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define RUN(out, ...)                                                          \
    run(out, sizeof(out), (const char *const[]){__VA_ARGS__, NULL})

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ctl_cli_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(sock, sizeof(sock), "%s/c.sock", dir);
    engine = inj_engine_new(1);
    struct ctl_config cfg = {.socket_path = sock, .engine = engine};
    char err[256];
    return ctl_server_start(&cfg, &srv, err, sizeof(err));
}

static int teardown(void **state)
{
    (void)state;
    ctl_server_stop(srv);
    inj_engine_free(engine);
    rmdir(dir);
    return 0;
}

static void test_commands(void **state)
{
    (void)state;
    char out[65536];
    assert_int_equal(RUN(out, "-S", sock, "add", "read:error=EIO:id=x"), 0);
    assert_string_equal(out, "x\n");
    assert_int_equal(RUN(out, "-S", sock, "generation"), 0);
    assert_string_equal(out, "1\n");
    assert_int_equal(RUN(out, "-S", sock, "list"), 0);
    assert_non_null(strstr(out, "read:error=EIO:id=x"));
    assert_int_equal(RUN(out, "-S", sock, "list", "--json"), 0);
    assert_non_null(strstr(out, "{\"v\":1,\"ok\":true,\"gen\":1,\"rules\":["));
    assert_int_equal(RUN(out, "-S", sock, "--json", "generation"), 0);
    assert_string_equal(out, "{\"v\":1,\"ok\":true,\"gen\":1}\n");
    assert_int_equal(RUN(out, "-S", sock, "stats", "--prometheus"), 0);
    assert_non_null(strstr(out, "snagfs_rule_fired_total{rule=\"x\"} 0\n"));
    assert_int_equal(RUN(out, "-S", sock, "stats", "--json"), 0);
    assert_non_null(strstr(out, "\"latency_bounds_ns\":["));
    assert_int_equal(RUN(out, "-S", sock, "stats"), 0);
    assert_non_null(strstr(out, "in flight"));
    assert_int_equal(RUN(out, "-S", sock, "version"), 0);
    assert_string_equal(out, "snagctl/1 snagfs 0.1.0\n");
    assert_int_equal(RUN(out, "-S", sock, "help"), 0);
    assert_int_equal(RUN(out, "-S", sock, "trace"), 0);
    assert_string_equal(out, "(no trace) 0\n");
    /* Failures: exit 1 with the daemon's reason. */
    assert_int_equal(
        RUN(out, "-S", sock, "wait", "x", "1", "--timeout", "100ms"), 1);
    assert_int_equal(RUN(out, "-S", sock, "add", "read:bogus"), 1);
    assert_int_equal(RUN(out, "-S", sock, "release", "x"), 1); /* ENOSYS */
    assert_int_equal(RUN(out, "-S", sock, "del", "nope"), 1);
    assert_int_equal(RUN(out, "-S", sock, "reload"), 0); /* no sources */
    assert_string_equal(out, "generation 2\n");
    /* Rules added over the socket survive a reload. */
    assert_int_equal(RUN(out, "-S", sock, "wait", "x", "0"), 0);
    assert_string_equal(out, "fired 0\n");
    assert_int_equal(RUN(out, "-S", sock, "add", "read:error=EIO:id=y"), 0);
    assert_int_equal(RUN(out, "-S", sock, "wait", "y", "0"), 0);
    assert_string_equal(out, "fired 0\n");
    assert_int_equal(RUN(out, "-S", sock, "del", "y"), 0);
    assert_string_equal(out, "generation 4\n");
    assert_int_equal(RUN(out, "-S", sock, "clear"), 0);
    /* Usage and connection errors: exit 2. */
    assert_int_equal(RUN(out, "-S", sock, "frobnicate"), 2);
    assert_int_equal(RUN(out, "-S", sock, "wait", "x"), 2);
    assert_int_equal(RUN(out, "-S", sock, "wait", "x", "1", "--timeout", "1x"),
                     2);
    assert_int_equal(RUN(out, "-S", sock, "del"), 2);
    assert_int_equal(RUN(out, "-S", sock, "list", "extra"), 2);
    assert_int_equal(RUN(out, "-S", sock, "add", "a\nb"), 2);
    assert_int_equal(RUN(out, "-S", sock, "-m", "/x", "list"), 2);
    assert_int_equal(RUN(out, "-S", "/nonexistent/sock", "list"), 2);
    assert_int_equal(RUN(out, "list"), 2); /* no socket named at all */
}

static void test_discovery(void **state)
{
    (void)state;
    char out[4096];
    /* $SNAGFS_CONTROL. */
    setenv("SNAGFS_CONTROL", sock, 1);
    assert_int_equal(RUN(out, "generation"), 0);
    unsetenv("SNAGFS_CONTROL");
    /* -m: a server on the default path of a mountpoint that does not even
     * exist (snagctl must not look inside it). */
    char mnt[128], path[PATH_MAX];
    snprintf(mnt, sizeof(mnt), "%s/not-mounted", dir);
    setenv("XDG_RUNTIME_DIR", dir, 1);
    assert_int_equal(ctl_sockpath_default(mnt, path, sizeof(path)), 0);
    struct ctl_config cfg = {.socket_path = path, .engine = engine};
    struct ctl_server *s2;
    char err[256];
    assert_int_equal(ctl_server_start(&cfg, &s2, err, sizeof(err)), 0);
    assert_int_equal(RUN(out, "-m", mnt, "generation"), 0);
    char mnt2[160];
    snprintf(mnt2, sizeof(mnt2), "%s/./not-mounted/", dir);
    assert_int_equal(RUN(out, "-m", mnt2, "generation"), 0);
    setenv("SNAGFS_MOUNT", mnt, 1);
    assert_int_equal(RUN(out, "generation"), 0);
    unsetenv("SNAGFS_MOUNT");
    ctl_server_stop(s2);
    assert_int_equal(RUN(out, "-m", mnt, "generation"), 2);
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/snagfs", dir);
    rmdir(sub);
    unsetenv("XDG_RUNTIME_DIR");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH_TO_SNAGCTL\n", argv[0]);
        return 2;
    }
    snagctl = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_discovery),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
