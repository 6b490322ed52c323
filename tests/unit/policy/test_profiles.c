/* tests/unit/policy/test_profiles.c — profile lookup and rules files.
 *
 * Every shipped profile is found by name and parses cleanly. Lookup order
 * and name validation are checked against a private directory named by
 * $SNAGFS_PROFILE_DIR; files are written under a fresh mkdtemp() dir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/policy.h"

static char tmpdir[PATH_MAX];

static void write_file(const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "%s/snag-policy-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_shipped_profiles_parse(void **state)
{
    const char *src = SNAG_TEST_PROFILE_SRC;
    unsigned n = 0;
    struct dirent *de;
    DIR *d;

    unsetenv("SNAGFS_PROFILE_DIR");
    d = opendir(src);
    assert_non_null(d);
    while ((de = readdir(d))) {
        char name[256], path[PATH_MAX];
        size_t len = strlen(de->d_name);
        struct pol_rules rules;
        struct pol_error err;
        char buf[600];
        int rc;

        if (len < 7 || strcmp(de->d_name + len - 6, ".rules") != 0)
            continue;
        memcpy(name, de->d_name, len - 6);
        name[len - 6] = '\0';
        /* found by name (installed dir first, then the source tree) */
        assert_int_equal(pol_profile_path(name, path, sizeof(path)), 0);
        rc = pol_parse_file(path, &rules, &err);
        if (rc != 0)
            fail_msg("%s", pol_error_format(&err, buf, sizeof(buf)));
        assert_true(rules.n > 0);
        for (size_t i = 0; i < rules.n; i++)
            assert_true(rules.specs[i].id[0] != '\0'); /* shipped: named */
        pol_rules_clear(&rules);
        n++;
    }
    closedir(d);
    assert_true(n >= 1);
}

static void test_disk_full(void **state)
{
    char path[PATH_MAX];
    struct pol_rules rules;
    struct pol_error err;

    unsetenv("SNAGFS_PROFILE_DIR");
    assert_int_equal(pol_profile_path("disk-full", path, sizeof(path)), 0);
    assert_int_equal(pol_parse_file(path, &rules, &err), 0);
    assert_int_equal(rules.n, 1);
    assert_string_equal(rules.specs[0].id, "disk-full");
    assert_true(rules.specs[0].has_after);
    assert_int_equal(rules.specs[0].after_bytes, 64u << 20);
    assert_int_equal(rules.specs[0].errnos[0], ENOSPC);
    pol_rules_clear(&rules);
}

static void test_env_dir_first(void **state)
{
    char path[PATH_MAX], want[PATH_MAX + 32];

    write_file("disk-full.rules", "write:error=EIO:id=mine\n");
    write_file("only-here.rules", "read:hang:id=here\n");
    setenv("SNAGFS_PROFILE_DIR", tmpdir, 1);
    assert_int_equal(pol_profile_path("disk-full", path, sizeof(path)), 0);
    snprintf(want, sizeof(want), "%s/disk-full.rules", tmpdir);
    assert_string_equal(path, want);
    assert_int_equal(pol_profile_path("only-here", path, sizeof(path)), 0);
    /* not in the env dir: falls through to the other dirs */
    assert_int_equal(pol_profile_path("no-such-profile", path, sizeof(path)),
                     -ENOENT);
    assert_string_equal(path, "");
    unsetenv("SNAGFS_PROFILE_DIR");
    assert_int_equal(pol_profile_path("only-here", path, sizeof(path)),
                     -ENOENT);
}

static void test_bad_names(void **state)
{
    static const char *const names[] = {
        "",
        "../etc/passwd",
        "..",
        "a/b",
        "Disk-full",
        "disk_full",
        "disk-full.rules",
        "disk full",
        "/abs",
        "a234567890123456789012345678901234567890123456789012345678901234x",
    };
    char path[PATH_MAX];

    setenv("SNAGFS_PROFILE_DIR", tmpdir, 1);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_int_equal(pol_profile_path(names[i], path, sizeof(path)),
                         -EINVAL);
    assert_int_equal(pol_profile_path(NULL, path, sizeof(path)), -EINVAL);
    assert_int_equal(pol_profile_path("x", NULL, 10), -EINVAL);
    assert_int_equal(pol_profile_path("x", path, 0), -EINVAL);
    /* a buffer too small for any candidate */
    assert_int_equal(pol_profile_path("disk-full", path, 8), -ENAMETOOLONG);
    unsetenv("SNAGFS_PROFILE_DIR");
}

static void test_parse_file_errors(void **state)
{
    char path[PATH_MAX + 32], buf[600];
    struct pol_rules rules;
    struct pol_error err;

    snprintf(path, sizeof(path), "%s/missing.rules", tmpdir);
    assert_int_equal(pol_parse_file(path, &rules, &err), -ENOENT);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 0);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_null(rules.specs);
    assert_non_null(strstr(pol_error_format(&err, buf, sizeof(buf)),
                           "missing.rules: cannot open"));

    assert_int_equal(pol_parse_file(tmpdir, &rules, &err), -EISDIR);

    write_file("bad.rules", "# ok\nread:error=EIO\n\nwrite:error=ENOTEMPTY\n");
    snprintf(path, sizeof(path), "%s/bad.rules", tmpdir);
    assert_int_equal(pol_parse_file(path, &rules, &err), -EINVAL);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 4);
    assert_int_equal(err.col, 13);
    assert_string_equal(err.token, "ENOTEMPTY");
    assert_null(rules.specs);
    assert_int_equal(rules.n, 0);

    write_file("good.rules", "read:error=EIO\nwrite:lie:id=w\n");
    snprintf(path, sizeof(path), "%s/good.rules", tmpdir);
    assert_int_equal(pol_parse_file(path, &rules, &err), 0);
    assert_int_equal(rules.n, 2);
    assert_non_null(strstr(rules.specs[1].origin, "good.rules:2"));
    pol_rules_clear(&rules);

    write_file("empty.rules", "");
    snprintf(path, sizeof(path), "%s/empty.rules", tmpdir);
    assert_int_equal(pol_parse_file(path, &rules, &err), 0);
    assert_int_equal(rules.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_profiles_parse),
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_env_dir_first),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_parse_file_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
