/* tests/unit/fs/test_options.c — command-line parsing, good and bad.
 *
 * Bad command lines must fail with a message that names the culprit; good
 * ones must land in the right fields, with -o items split between snagfs
 * and libfuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"
#include "watchdog/watchdog.h"

#define MAXARGS 48

/* Split a space-separated command line (no quoting needed here). */
static int split(const char *line, char *buf, char **argv)
{
    int argc = 0;
    strcpy(buf, line);
    for (char *tok = strtok(buf, " "); tok && argc < MAXARGS - 1;
         tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    return argc;
}

static int parse(const char *line, struct fs_options *o, char *err, char *buf,
                 char **argv)
{
    int argc = split(line, buf, argv);
    return fs_options_parse(argc, argv, o, err, 256);
}

static void test_minimal(void **state)
{
    struct fs_options o;
    char err[256], buf[512], *argv[MAXARGS];
    assert_int_equal(parse("snagfs /src /mnt", &o, err, buf, argv), 0);
    assert_string_equal(o.source, "/src");
    assert_string_equal(o.mountpoint, "/mnt");
    assert_false(o.run);
    assert_false(o.clone_fd); /* docs/performance.md: it costs, buys nothing */
    assert_false(o.foreground);
    assert_int_equal(o.cache, FS_CACHE_STRICT);
    assert_false(o.has_seed);
    assert_null(o.fuse_opts);
    fs_options_free(&o);
}

static void test_everything(void **state)
{
    struct fs_options o;
    char err[256], buf[1024], *argv[MAXARGS];
    assert_int_equal(
        parse("snagfs -f -s -d -o allow_other,ro,max_threads=7 -onoatime "
              "-r read:error=EIO --rule=write:error=ENOSPC -R a.rules "
              "--rules b.rules -p disk-full --seed 42 --trace t.json "
              "--replay r.json --control /tmp/c.sock --watchdog 250ms "
              "--watchdog-action=abort --cache=writeback --clone-fd "
              "--timeout 90s /src /mnt",
              &o, err, buf, argv),
        0);
    assert_true(o.foreground && o.single_thread && o.debug);
    assert_true(o.allow_other);
    assert_true(o.noatime);
    assert_int_equal(o.max_threads, 7);
    assert_true(o.clone_fd);
    assert_string_equal(o.fuse_opts, "allow_other,ro,noatime");
    assert_int_equal(o.n_rules, 2);
    assert_string_equal(o.rules[0], "read:error=EIO");
    assert_string_equal(o.rules[1], "write:error=ENOSPC");
    assert_int_equal(o.n_rule_files, 2);
    assert_string_equal(o.rule_files[1], "b.rules");
    assert_int_equal(o.n_profiles, 1);
    assert_string_equal(o.profiles[0], "disk-full");
    assert_true(o.has_seed);
    assert_int_equal(o.seed, 42);
    assert_string_equal(o.trace, "t.json");
    assert_string_equal(o.replay, "r.json");
    assert_string_equal(o.control, "/tmp/c.sock");
    assert_true(o.has_watchdog);
    assert_int_equal(o.watchdog_ns, 250000000ull);
    assert_int_equal(o.watchdog_actions, FS_WD_LOG | FS_WD_ABORT);
    assert_int_equal(o.cache, FS_CACHE_WRITEBACK);
    assert_true(o.has_timeout);
    assert_int_equal(o.timeout_ns, 90000000000ull);
    fs_options_free(&o);
}

static void test_run_mode(void **state)
{
    struct fs_options o;
    char err[256], buf[512], *argv[MAXARGS];
    assert_int_equal(parse("snagfs run --cache=normal -r fsync:error=EIO /src "
                           "-- sh -c true",
                           &o, err, buf, argv),
                     0);
    assert_true(o.run);
    assert_string_equal(o.source, "/src");
    assert_null(o.mountpoint);
    assert_string_equal(o.command[0], "sh");
    assert_string_equal(o.command[1], "-c");
    assert_string_equal(o.command[2], "true");
    assert_null(o.command[3]);
    assert_int_equal(o.cache, FS_CACHE_NORMAL);
    /* Options after the command belong to the command. */
    fs_options_free(&o);
    assert_int_equal(parse("snagfs run /src -- ls -d -o x", &o, err, buf, argv),
                     0);
    assert_false(o.debug);
    assert_null(o.fuse_opts);
    assert_string_equal(o.command[1], "-d");
    fs_options_free(&o);
}

static void test_help_version(void **state)
{
    struct fs_options o;
    char err[256], buf[512], *argv[MAXARGS];
    assert_int_equal(parse("snagfs --help", &o, err, buf, argv), 0);
    assert_true(o.help);
    fs_options_free(&o);
    assert_int_equal(parse("snagfs -V", &o, err, buf, argv), 0);
    assert_true(o.version);
    fs_options_free(&o);
    assert_non_null(strstr(fs_options_usage(), "--cache=strict"));
}

/* The last of --clone-fd / --no-clone-fd wins. */
static void test_clone_fd_flags(void **state)
{
    struct fs_options o;
    char err[256], buf[512], *argv[MAXARGS];
    assert_int_equal(
        parse("snagfs --clone-fd --no-clone-fd /s /m", &o, err, buf, argv), 0);
    assert_false(o.clone_fd);
    fs_options_free(&o);
    assert_int_equal(
        parse("snagfs --no-clone-fd --clone-fd /s /m", &o, err, buf, argv), 0);
    assert_true(o.clone_fd);
    fs_options_free(&o);
}

static void test_default_permissions_swallowed(void **state)
{
    struct fs_options o;
    char err[256], buf[512], *argv[MAXARGS];
    assert_int_equal(parse("snagfs -o default_permissions,clone_fd,"
                           "max_idle_threads=3,fsname=a\\,b /s /m",
                           &o, err, buf, argv),
                     0);
    assert_string_equal(o.fuse_opts, "fsname=a\\,b");
    assert_true(o.clone_fd);
    assert_true(o.default_permissions); /* the session adds it back */
    assert_int_equal(o.max_idle_threads, 3);
    fs_options_free(&o);
}

/* fstab through mount.fuse3: every snagfs option has an -o spelling, which
 * never reaches the kernel's option list. */
static void test_fstab_spellings(void **state)
{
    struct fs_options o;
    char err[256], buf[512], *argv[MAXARGS];
    assert_int_equal(parse("snagfs -o ro,rules=a.rules,profile=disk-full,"
                           "seed=9,cache=normal,control=/c.sock,trace=t.json,"
                           "replay=r.json,watchdog=2s,watchdog_action=rescue,"
                           "handle_cache=0,timeout=250ms,"
                           "rule=read\\,write:error=EIO,allow_other /s /m",
                           &o, err, buf, argv),
                     0);
    assert_string_equal(o.fuse_opts, "ro,allow_other");
    assert_int_equal(o.n_rule_files, 1);
    assert_string_equal(o.rule_files[0], "a.rules");
    assert_int_equal(o.n_profiles, 1);
    assert_string_equal(o.profiles[0], "disk-full");
    assert_int_equal(o.n_rules, 1);
    assert_string_equal(o.rules[0], "read,write:error=EIO");
    assert_true(o.has_seed);
    assert_int_equal(o.seed, 9);
    assert_int_equal(o.cache, FS_CACHE_NORMAL);
    assert_string_equal(o.control, "/c.sock");
    assert_string_equal(o.trace, "t.json");
    assert_string_equal(o.replay, "r.json");
    assert_int_equal(o.watchdog_ns, 2000000000ull);
    assert_int_equal(o.watchdog_actions, FS_WD_LOG | FS_WD_RESCUE);
    assert_true(o.has_handle_cache);
    assert_int_equal(o.handle_cache, 0);
    assert_true(o.has_timeout);
    assert_int_equal(o.timeout_ns, 250000000ull);
    assert_true(o.allow_other);
    fs_options_free(&o);
    assert_int_equal(parse("snagfs -o cache=fast /s /m", &o, err, buf, argv),
                     -EINVAL);
    assert_non_null(strstr(err, "bad cache mode 'fast'"));
    assert_int_equal(
        parse("snagfs --watchdog off --list-profiles", &o, err, buf, argv), 0);
    assert_true(o.list_profiles);
    assert_true(o.has_watchdog);
    assert_int_equal(o.watchdog_ns, 0);
    fs_options_free(&o);
}

static const struct {
    const char *line;
    const char *msg; /* substring of the error */
} bad[] = {
    {"snagfs", "usage: snagfs"},
    {"snagfs /src", "usage: snagfs"},
    {"snagfs /a /b /c", "unexpected argument '/c'"},
    {"snagfs --bogus /a /b", "unknown option '--bogus'"},
    {"snagfs -x /a /b", "unknown option '-x'"},
    {"snagfs --rules", "needs a value"},
    {"snagfs /a /b -r", "needs a value"},
    {"snagfs --seed abc /a /b", "bad seed 'abc'"},
    {"snagfs --seed -1 /a /b", "bad seed"},
    {"snagfs --seed 99999999999999999999999 /a /b", "bad seed"},
    {"snagfs --cache=lazy /a /b", "bad cache mode 'lazy'"},
    {"snagfs --cache /a /b", "bad cache mode '/a'"},
    {"snagfs --watchdog 10parsecs /a /b", "bad duration '10parsecs'"},
    {"snagfs --watchdog 0s0 /a /b", "bad duration '0s0'"},
    {"snagfs --watchdog-action reboot /a /b", "bad watchdog action"},
    {"snagfs --max-threads 0 /a /b", "bad thread count"},
    {"snagfs --handle-cache lots /a /b", "bad handle cache size 'lots'"},
    {"snagfs --timeout 1d --cache=normal /a /b", "bad duration '1d'"},
    {"snagfs --timeout 5s /a /b", "--timeout needs --cache=normal"},
    {"snagfs -o timeout=2s,cache=strict /a /b", "--timeout needs"},
    {"snagfs --handle-cache -1 /a /b", "bad handle cache size"},
    {"snagfs -o max_threads=x /a /b", "bad value in -o max_threads=x"},
    {"snagfs -o max_idle_threads=-2 /a /b", "bad value"},
    {"snagfs --rulez x /a /b", "unknown option '--rulez'"},
    {"snagfs run /src", "missing COMMAND"},
    {"snagfs run /src --", "missing COMMAND"},
    {"snagfs run -- ls", "usage: snagfs run"},
    {"snagfs run /src /mnt -- ls", "put the command after --"},
};

static void test_bad_lines(void **state)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fs_options o;
        char err[256], buf[512], *argv[MAXARGS];
        int rc = parse(bad[i].line, &o, err, buf, argv);
        if (rc != -EINVAL || !strstr(err, bad[i].msg))
            fail_msg("'%s': rc %d, message '%s', wanted '%s'", bad[i].line, rc,
                     err, bad[i].msg);
        /* Failed parses leave nothing to free. */
        assert_null(o.fuse_opts);
        assert_null(o.rules);
    }
}

static void test_durations(void **state)
{
    uint64_t ns;
    assert_int_equal(fs_parse_duration("5", &ns), 0);
    assert_int_equal(ns, 5000000000ull);
    assert_int_equal(fs_parse_duration("10ms", &ns), 0);
    assert_int_equal(ns, 10000000ull);
    assert_int_equal(fs_parse_duration("3us", &ns), 0);
    assert_int_equal(ns, 3000ull);
    assert_int_equal(fs_parse_duration("2m", &ns), 0);
    assert_int_equal(ns, 120000000000ull);
    assert_int_equal(fs_parse_duration("1h", &ns), 0);
    assert_int_equal(fs_parse_duration("7ns", &ns), 0);
    assert_int_equal(ns, 7ull);
    assert_int_equal(fs_parse_duration("", &ns), -EINVAL);
    assert_int_equal(fs_parse_duration("ms", &ns), -EINVAL);
    assert_int_equal(fs_parse_duration("-1s", &ns), -EINVAL);
    assert_int_equal(fs_parse_duration("1d", &ns), -EINVAL);
    assert_int_equal(fs_parse_duration("99999999999999h", &ns), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_everything),
        cmocka_unit_test(test_run_mode),
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_clone_fd_flags),
        cmocka_unit_test(test_default_permissions_swallowed),
        cmocka_unit_test(test_fstab_spellings),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
