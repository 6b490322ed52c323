/* test_wal.c — cmocka tests of wal_append() with faults flipped on and off
 * between test cases by snagctl.
 *
 * Run under snagfs, which exports SNAGFS_MOUNT and SNAGFS_CONTROL:
 *
 *     snagfs run ./data -- ./test_wal
 *
 * Each test's setup adds the rules it needs (`snagctl add`, live when it
 * returns), the test asserts the errno wal_append() reports and that the
 * rule really fired (`snagctl wait ID N`), and the teardown removes them
 * (`snagctl clear`), so the next test starts on a healthy disk.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wal.h"

static char wal_path[4096];

/* Run snagctl with the given arguments (no shell); return its exit status. */
#define SNAGCTL(...)                                                           \
    snagctl_argv((const char *[]){"snagctl", __VA_ARGS__, NULL})
static int snagctl_argv(const char **argv)
{
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        execvp("snagctl", (char *const *)argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static off_t file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_size : -1;
}

static int group_setup(void **state)
{
    const char *mnt = getenv("SNAGFS_MOUNT");

    if (!mnt || !getenv("SNAGFS_CONTROL")) {
        fprintf(stderr, "run me under snagfs: snagfs run DIR -- %s\n",
                "./test_wal");
        return -1;
    }
    snprintf(wal_path, sizeof(wal_path), "%s/wal", mnt);
    return 0;
}

/* Each test starts from an empty log and no rules. */
static int setup(void **state)
{
    unlink(wal_path);
    return SNAGCTL("clear") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    return SNAGCTL("clear") == 0 ? 0 : -1;
}

static void test_append_on_a_healthy_disk(void **state)
{
    assert_int_equal(wal_append(wal_path, "record-1\n", 9), 0);
    assert_int_equal(file_size(wal_path), 9);
}

static void test_fsync_eio_is_reported(void **state)
{
    assert_int_equal(SNAGCTL("add", "fsync:path=/wal:error=EIO:id=wal-fsync"),
                     0);
    assert_int_equal(wal_append(wal_path, "record-2\n", 9), -EIO);
    assert_int_equal(SNAGCTL("wait", "wal-fsync", "1", "--timeout", "10s"), 0);
}

static void test_full_disk_is_reported(void **state)
{
    assert_int_equal(SNAGCTL("add", "write:path=/wal:error=ENOSPC:id=wal-full"),
                     0);
    assert_int_equal(wal_append(wal_path, "record-3\n", 9), -ENOSPC);
    assert_int_equal(SNAGCTL("wait", "wal-full", "1", "--timeout", "10s"), 0);
    assert_int_equal(file_size(wal_path), 0);
}

static void test_short_writes_are_retried(void **state)
{
    char rec[1000];

    memset(rec, 'r', sizeof(rec));
    assert_int_equal(SNAGCTL("add", "write:path=/wal:short=7:id=wal-short"), 0);
    assert_int_equal(wal_append(wal_path, rec, sizeof(rec)), 0);
    assert_int_equal(file_size(wal_path), 1000);
    /* 1000 bytes at most 7 per write: 142 short writes, then 6 bytes */
    assert_int_equal(SNAGCTL("wait", "wal-short", "142", "--timeout", "10s"),
                     0);
}

static void test_interrupted_writes_are_retried(void **state)
{
    assert_int_equal(
        SNAGCTL("add", "write:path=/wal:when=1..3:error=EINTR:id=wal-eintr"),
        0);
    assert_int_equal(wal_append(wal_path, "record-5\n", 9), 0);
    assert_int_equal(SNAGCTL("wait", "wal-eintr", "3", "--timeout", "10s"), 0);
    assert_int_equal(file_size(wal_path), 9);
}

static void test_healthy_again_after_clear(void **state)
{
    assert_int_equal(wal_append(wal_path, "record-6\n", 9), 0);
    assert_int_equal(file_size(wal_path), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_on_a_healthy_disk, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fsync_eio_is_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_is_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_short_writes_are_retried, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_writes_are_retried,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_healthy_again_after_clear, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
