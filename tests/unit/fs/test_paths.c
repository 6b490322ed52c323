/* tests/unit/fs/test_paths.c — SOURCE/MOUNTPOINT checks made before mounting.
 *
 * Every refused layout must be refused with a message naming why; nothing
 * here mounts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "paths.h"

static char base[64];

static int setup(void **state)
{
    strcpy(base, "/tmp/snagfs-paths-XXXXXX");
    if (!mkdtemp(base))
        return -1;
    char p[128];
    snprintf(p, sizeof(p), "%s/src", base);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/src/sub", base);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/mnt", base);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/file", base);
    fclose(fopen(p, "w"));
    snprintf(p, sizeof(p), "%s/link", base);
    if (symlink("src", p) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

static int check(const char *src, const char *mnt, char *err)
{
    char s[128], m[128], *sr, *mr;
    snprintf(s, sizeof(s), "%s/%s", base, src);
    snprintf(m, sizeof(m), "%s/%s", base, mnt);
    int rc = fs_check_paths(s, m, &sr, &mr, err, 512);
    if (rc == 0) {
        free(sr);
        free(mr);
    }
    return rc;
}

static void test_good(void **state)
{
    char err[512];
    assert_int_equal(check("src", "mnt", err), 0);
    assert_int_equal(check("link/sub", "mnt", err), 0);
}

static const struct {
    const char *src, *mnt;
    int rc;
    const char *msg;
} bad[] = {
    {"nope", "mnt", -ENOENT, "SOURCE"},
    {"file", "mnt", -ENOTDIR, "SOURCE"},
    {"src", "nope", -ENOENT, "MOUNTPOINT"},
    {"src", "file", -ENOTDIR, "MOUNTPOINT"},
    {"src", "src", -EINVAL, "the same as MOUNTPOINT"},
    {"src", "link", -EINVAL, "the same as MOUNTPOINT"},
    {"src/sub", "src", -EINVAL, "inside MOUNTPOINT"},
    {"src", "src/sub", -EINVAL, "MOUNTPOINT"},
    {"link", "src/sub", -EINVAL, "deadlock"},
};

static void test_bad(void **state)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        int rc = check(bad[i].src, bad[i].mnt, err);
        if (rc != bad[i].rc || !strstr(err, bad[i].msg))
            fail_msg("%s on %s: rc %d '%s', wanted %d '%s'", bad[i].src,
                     bad[i].mnt, rc, err, bad[i].rc, bad[i].msg);
    }
}

static void test_already_mounted(void **state)
{
    char err[512], *sr, *mr;
    char s[128];
    snprintf(s, sizeof(s), "%s/src", base);
    /* /proc is a mount root on every system this runs on. */
    int rc = fs_check_paths(s, "/proc", &sr, &mr, err, sizeof(err));
    assert_int_equal(rc, -EBUSY);
    assert_non_null(strstr(err, "already a mount point"));
}

static void test_within(void **state)
{
    assert_true(fs_path_within("/a/b", "/a"));
    assert_true(fs_path_within("/a", "/a"));
    assert_false(fs_path_within("/ab", "/a"));
    assert_true(fs_path_within("/x", "/"));
    assert_false(fs_path_within("/a", "/a/b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_already_mounted),
        cmocka_unit_test(test_within),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
